import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, render, fireEvent } from '@testing-library/react'
import { activityWindow, normaliseWindow, windowIndices, xDomain } from '../../renderer/src/charts/time-window'
import { TimeSeriesChart } from '../../renderer/src/charts/TimeSeriesChart'
import { StackedAreaChart } from '../../renderer/src/charts/StackedAreaChart'

const t = Float64Array.from({ length: 201 }, (_, i) => i) // 0..200 s

describe('time window math', () => {
  it('fits the activity: last non-zero second of any column plus 5 % (>= 2 s)', () => {
    const offered = new Float64Array(201)
    const failed = new Float64Array(201)
    offered.fill(500, 0, 6) // an ab burst: 0..5 s
    failed[30] = 400 // request timeouts at 30 s
    expect(activityWindow(t, [offered])).toEqual([0, 7])
    expect(activityWindow(t, [offered, failed])).toEqual([0, 32])
    // activity to the end: the whole run, no window
    offered[200] = 1
    expect(activityWindow(t, [offered])).toBeNull()
    // nothing at all: no window
    expect(activityWindow(t, [new Float64Array(201)])).toBeNull()
    // a long run: 5 % of the active span
    const long = new Float64Array(201)
    long.fill(1, 0, 101)
    expect(activityWindow(t, [long])).toEqual([0, 105])
  })

  it('indices cover the window plus one sample each side', () => {
    expect(windowIndices(t, [10, 20])).toEqual([9, 21])
    expect(windowIndices(t, [0, 200])).toEqual([0, 200])
    expect(windowIndices(t, null)).toEqual([0, 200])
    expect(windowIndices(new Float64Array(0), [1, 2])).toEqual([0, -1])
    expect(xDomain(t, null)).toEqual([0, 200])
    expect(xDomain(t, [3, 9])).toEqual([3, 9])
  })

  it('orders, clamps and widens what the user drags or types', () => {
    expect(normaliseWindow(50, 20, t)).toEqual([20, 50])
    expect(normaliseWindow(-5, 300, t)).toEqual([0, 200])
    expect(normaliseWindow(10, 10.1, t)).toEqual([9.8, 10.3])
    expect(normaliseWindow(NaN, 3, t)).toBeNull()
    expect(normaliseWindow(250, 300, t)).toBeNull() // entirely after the run
  })
})

describe('charts in a window', () => {
  afterEach(cleanup)
  const ramp = Float64Array.from(t, (v) => v * 10)
  const points = (d: string) => d.replace(/^M/, '').split('L').map((p) => p.split(',').map(Number))

  it('scales x and y to the window only', () => {
    // inner width 472-56-16 = 400 px for 10..20 s => 40 px per second
    const { container } = render(
      <TimeSeriesChart title="T" yLabel="y" width={472} height={246} t={t} window={[10, 20]} series={[{ key: 'r', label: 'ramp', values: ramp, className: 's-offered' }]} />
    )
    const pts = points(container.querySelector('path.series')?.getAttribute('d') ?? '')
    expect(pts).toHaveLength(13) // 9..21
    expect(pts[1][0]).toBeCloseTo(0, 6) // t=10 at the left edge
    expect(pts[11][0]).toBeCloseTo(400, 6) // t=20 at the right edge
    // y fitted to the window (max 210 at t=21), not to the run (2000)
    const yTicks = Array.from(container.querySelectorAll('.axis-y .tick text')).map((n) => Number((n.textContent ?? '').replace(/,/g, '')))
    expect(Math.max(...yTicks)).toBeLessThan(400)
    // the lines are clipped to the plot area
    expect(container.querySelector('g[clip-path]')).toBeTruthy()
  })

  it('dragging across the plot zooms to that range; double-click resets; a click does not zoom', () => {
    const onZoom = vi.fn()
    const onReset = vi.fn()
    const { getByTestId } = render(
      <TimeSeriesChart title="T" yLabel="y" width={472} height={246} t={t} onZoom={onZoom} onResetZoom={onReset} series={[{ key: 'r', label: 'ramp', values: ramp, className: 's-offered' }]} />
    )
    const plot = getByTestId('plot-T') as unknown as SVGRectElement
    plot.getBoundingClientRect = () => ({ left: 0, top: 0, width: 400, height: 200, right: 400, bottom: 200, x: 0, y: 0, toJSON: () => ({}) })
    // 400 px for 0..200 s: 2 px per second
    fireEvent.pointerDown(plot, { clientX: 100, button: 0 })
    fireEvent.pointerMove(plot, { clientX: 160 })
    expect(document.querySelector('.brush-sel')).toBeTruthy()
    fireEvent.pointerUp(plot, { clientX: 160 })
    expect(onZoom).toHaveBeenCalledTimes(1)
    expect(onZoom.mock.calls[0][0]).toBeCloseTo(50, 6)
    expect(onZoom.mock.calls[0][1]).toBeCloseTo(80, 6)
    expect(document.querySelector('.brush-sel')).toBeNull()
    fireEvent.pointerDown(plot, { clientX: 100, button: 0 })
    fireEvent.pointerUp(plot, { clientX: 102 })
    expect(onZoom).toHaveBeenCalledTimes(1)
    fireEvent.doubleClick(plot)
    expect(onReset).toHaveBeenCalledTimes(1)
  })

  it('stacks only the window in the area chart', () => {
    const { container } = render(
      <StackedAreaChart title="F" yLabel="y" width={472} height={200} t={t} window={[100, 110]} series={[{ key: 'a', label: 'a', values: ramp, className: 'cause-0' }]} />
    )
    const d = container.querySelector('path.area')?.getAttribute('d') ?? ''
    const xs = d.replace(/^M/, '').split(/[LZ]/).filter(Boolean).map((p) => Number(p.split(',')[0]))
    expect(Math.min(...xs)).toBeCloseTo(-40, 6) // t=99, one sample left of the edge
    expect(Math.max(...xs)).toBeCloseTo(440, 6) // t=111
  })
})
