/**
 * A latency distribution on a log time axis, as the share of requests per bin, several runs
 * side by side. Reference lines at 1 s and 3 s mark where SYN retransmissions land.
 */
import { ChartCaption } from './ChartCaption'
import { useMemo } from 'react'
import { max, scaleLinear, scaleLog } from 'd3'
import { useAxes } from './useAxes'

export interface HistSeries {
  key: string
  label: string
  /** Sparse [lowMs, highMs, count]. */
  bins: [number, number, number][]
  className: string
}

const M = { top: 12, right: 16, bottom: 34, left: 56 }

export function HistogramChart(props: { title: string; width: number; height: number; series: HistSeries[] }) {
  const { width, height, series } = props
  const innerW = Math.max(10, width - M.left - M.right)
  const innerH = Math.max(10, height - M.top - M.bottom)
  const { x, y, bars } = useMemo(() => {
    const lo = Math.max(0.1, Math.min(1, ...series.flatMap((s) => s.bins.map((b) => Math.max(0.1, b[0])))))
    const hi = Math.max(10, ...series.flatMap((s) => s.bins.map((b) => b[1])))
    const x = scaleLog().domain([lo, hi]).range([0, innerW]).clamp(true)
    const shares = series.map((s) => {
      const total = s.bins.reduce((a, b) => a + b[2], 0) || 1
      return s.bins.map((b) => ({ lo: Math.max(lo, b[0]), hi: b[1], share: b[2] / total }))
    })
    const top = max(shares.flat(), (d) => d.share) ?? 1
    const y = scaleLinear().domain([0, Math.max(0.01, top)]).nice().range([innerH, 0])
    const k = series.length || 1
    const bars = shares.flatMap((bins, si) =>
      bins.map((b, bi) => {
        const x0 = x(b.lo)
        const w = Math.max(1, (x(b.hi) - x0) / k)
        return { key: `${series[si].key}-${bi}`, x: x0 + si * w, w, y: y(b.share), h: innerH - y(b.share), className: series[si].className }
      })
    )
    return { x, y, bars }
  }, [series, innerW, innerH])
  const { xRef, yRef } = useAxes(x, y, { xTicks: 6, xFormat: '~s', yTicks: 4, yFormat: '.0%' })
  return (
    <figure className="chart" aria-label={props.title}>
      <ChartCaption title={props.title} items={series} swatch="box" />
      <svg width={width} height={height} role="img" aria-label={`${props.title} distribution`} data-testid={`chart-${props.title}`}>
        <g transform={`translate(${M.left},${M.top})`}>
          <g ref={yRef} className="axis axis-y" />
          <g ref={xRef} className="axis axis-x" transform={`translate(0,${innerH})`} />
          <text className="axis-label" x={innerW} y={innerH + 30} textAnchor="end">
            ms (log)
          </text>
          {[1000, 3000].map((v) =>
            v > x.domain()[0] && v < x.domain()[1] ? (
              <g key={v} className="limit">
                <line x1={x(v)} x2={x(v)} y1={0} y2={innerH} />
                <text x={x(v) + 3} y={10}>
                  {v / 1000} s SYN retry
                </text>
              </g>
            ) : null
          )}
          {bars.map((b) => (
            <rect key={b.key} x={b.x} y={b.y} width={b.w} height={Math.max(0, b.h)} className={`bar ${b.className}`} />
          ))}
        </g>
      </svg>
    </figure>
  )
}
