import { describe, expect, it } from 'vitest'
import { render, fireEvent } from '@testing-library/react'
import { TimeSeriesChart, formatNumber } from '../../renderer/src/charts/TimeSeriesChart'

// jsdom has no ResizeObserver / layout; the chart takes its size as props, so none is needed.
describe('TimeSeriesChart', () => {
  const t = new Float64Array([0, 1, 2, 3, 4])
  const offered = new Float64Array([0, 100, 200, 300, 400])
  const failed = new Float64Array([0, 0, 0, 50, 100])

  it('draws one path per series, scaled to the data', () => {
    const { container } = render(
      <TimeSeriesChart
        title="Throughput"
        yLabel="per second"
        width={472}
        height={246}
        t={t}
        series={[
          { key: 'offered', label: 'offered', values: offered, className: 's-offered' },
          { key: 'failed', label: 'failed', values: failed, className: 's-failed' }
        ]}
      />
    )
    const paths = container.querySelectorAll('path.series')
    expect(paths).toHaveLength(2)
    // inner width 472-56-16 = 400 px over t 0..4 => 100 px per second; y: 0 at the bottom (200 px).
    const d = paths[0].getAttribute('d') ?? ''
    const pts = d.replace(/^M/, '').split('L').map((p) => p.split(',').map(Number))
    expect(pts).toHaveLength(5)
    expect(pts.map((p) => p[0])).toEqual([0, 100, 200, 300, 400])
    expect(pts[0][1]).toBeCloseTo(200, 5)
    // y grows upwards and offered is monotone: every next point is higher on screen
    for (let i = 1; i < pts.length; i++) expect(pts[i][1]).toBeLessThan(pts[i - 1][1])
    // the failed series stays on the baseline until t=3
    const f = (paths[1].getAttribute('d') ?? '').replace(/^M/, '').split('L').map((p) => p.split(',').map(Number))
    expect(f[2][1]).toBeCloseTo(200, 5)
    expect(f[4][1]).toBeLessThan(f[3][1])
  })

  it('renders axes with ticks and a limit line', () => {
    const { container, getByText } = render(
      <TimeSeriesChart
        title="Sessions"
        yLabel="connections"
        width={500}
        height={200}
        t={t}
        series={[{ key: 'scur', label: 'sessions', values: offered, className: 's-scur' }]}
        limit={{ value: 2000, label: 'maxconn 2000' }}
      />
    )
    expect(container.querySelectorAll('.axis-x .tick').length).toBeGreaterThan(1)
    const yTicks = Array.from(container.querySelectorAll('.axis-y .tick text')).map((n) => Number((n.textContent ?? '').replace(/,/g, '')))
    expect(Math.max(...yTicks)).toBeGreaterThanOrEqual(2000) // the domain includes the limit
    expect(getByText('maxconn 2000')).toBeTruthy()
  })

  it('shows the values under the pointer', () => {
    const { container, getByRole } = render(
      <TimeSeriesChart title="T" yLabel="y" width={472} height={246} t={t} series={[{ key: 'o', label: 'offered', values: offered, className: 's-offered' }]} />
    )
    const target = container.querySelector('rect.hover-target') as SVGRectElement
    target.getBoundingClientRect = () => ({ left: 0, top: 0, width: 400, height: 200, right: 400, bottom: 200, x: 0, y: 0, toJSON: () => ({}) })
    fireEvent.pointerMove(target, { clientX: 301, clientY: 10 })
    expect(getByRole('status').textContent).toMatch(/t = 3 s.*offered: 300/)
  })

  it('formats numbers compactly', () => {
    expect(formatNumber(5120)).toBe('5120')
    expect(formatNumber(48222187)).toBe('48.22M')
    expect(formatNumber(12345)).toBe('12.3k')
    expect(formatNumber(NaN)).toBe('–')
  })
})
