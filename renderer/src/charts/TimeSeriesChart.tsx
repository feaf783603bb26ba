/**
 * A time-series line chart: d3 computes scales, paths and ticks in useMemo; React renders
 * the SVG; the only DOM-touching d3 (axes) runs through refs in useEffect (style.md 12).
 * Receives data and size as props and never fetches. Hover shows the values at that second.
 */
import { ChartCaption } from './ChartCaption'
import { useMemo, useState } from 'react'
import { bisector, line, max, scaleLinear } from 'd3'
import { useAxes } from './useAxes'

export interface Series {
  key: string
  label: string
  values: ArrayLike<number>
  /** CSS class that sets the stroke colour (the CSP forbids inline style attributes in markup). */
  className: string
  dashed?: boolean
}

export interface TimeSeriesChartProps {
  title: string
  width: number
  height: number
  /** Seconds since the start of the run, ascending. */
  t: ArrayLike<number>
  series: Series[]
  yLabel: string
  /** Optional horizontal reference line (a limit), e.g. maxconn. */
  limit?: { value: number; label: string }
}

const M = { top: 12, right: 16, bottom: 34, left: 56 }

export function TimeSeriesChart(props: TimeSeriesChartProps) {
  const { width, height, t, series, limit } = props
  const innerW = Math.max(10, width - M.left - M.right)
  const innerH = Math.max(10, height - M.top - M.bottom)
  const [hover, setHover] = useState<number | null>(null)

  const { x, y, paths } = useMemo(() => {
    const n = t.length
    const tMax = n > 0 ? t[n - 1] : 1
    const yMax = Math.max(1, limit?.value ?? 0, ...series.map((s) => max(Array.from(s.values).filter(Number.isFinite)) ?? 0))
    const x = scaleLinear().domain([n > 0 ? t[0] : 0, Math.max(tMax, 1)]).range([0, innerW])
    const y = scaleLinear().domain([0, yMax * 1.05]).nice().range([innerH, 0])
    const paths = series.map((s) => {
      // Missing values (a run shorter than the axis, a column a run lacks) leave gaps.
      const gen = line<number>()
        .defined((i) => Number.isFinite(s.values[i]))
        .x((i) => x(t[i]))
        .y((i) => y(s.values[i] ?? 0))
      return { key: s.key, d: gen(Array.from({ length: n }, (_, i) => i)) ?? '' }
    })
    return { x, y, paths }
  }, [t, series, limit, innerW, innerH])

  const { xRef: xAxisRef, yRef: yAxisRef } = useAxes(x, y, { xTicks: Math.max(2, Math.floor(innerW / 80)), yTicks: Math.max(2, Math.floor(innerH / 40)) })

  const onMove = (e: React.MouseEvent<SVGRectElement>): void => {
    const rect = e.currentTarget.getBoundingClientRect()
    const tx = x.invert(e.clientX - rect.left)
    const arr = Array.from(t)
    const i = Math.min(arr.length - 1, Math.max(0, bisector((d: number) => d).center(arr, tx)))
    setHover(arr.length ? i : null)
  }

  return (
    <figure className="chart" aria-label={props.title}>
      <ChartCaption title={props.title} items={series} swatch="line" />
      <svg width={width} height={height} role="img" aria-label={`${props.title} over time`} data-testid={`chart-${props.title}`}>
        <g transform={`translate(${M.left},${M.top})`}>
          <g ref={yAxisRef} className="axis axis-y" />
          <g ref={xAxisRef} className="axis axis-x" transform={`translate(0,${innerH})`} />
          <text className="axis-label" transform={`translate(${-M.left + 12},${innerH / 2}) rotate(-90)`} textAnchor="middle">
            {props.yLabel}
          </text>
          <text className="axis-label" x={innerW} y={innerH + 30} textAnchor="end">
            time (s)
          </text>
          {limit ? (
            <g className="limit">
              <line x1={0} x2={innerW} y1={y(limit.value)} y2={y(limit.value)} />
              <text x={innerW - 4} y={y(limit.value) - 4} textAnchor="end">
                {limit.label}
              </text>
            </g>
          ) : null}
          {paths.map((p, i) => (
            <path key={p.key} d={p.d} className={`series ${series[i].className} ${series[i].dashed ? 'dashed' : ''}`} data-series={p.key} />
          ))}
          {hover !== null ? <line className="hover-rule" x1={x(t[hover])} x2={x(t[hover])} y1={0} y2={innerH} /> : null}
          <rect
            className="hover-target"
            width={innerW}
            height={innerH}
            onMouseMove={onMove}
            onMouseLeave={() => setHover(null)}
          />
        </g>
      </svg>
      {hover !== null ? (
        <div className="chart-tooltip" role="status">
          t = {Number(t[hover]).toFixed(0)} s
          {series.map((s) => (
            <span key={s.key} className={s.className}>
              {' '}
              · {s.label}: {formatNumber(s.values[hover] ?? 0)}
            </span>
          ))}
        </div>
      ) : null}
    </figure>
  )
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return '–'
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(2)}M`
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toFixed(1)}k`
  if (Number.isInteger(v)) return String(v)
  return v.toFixed(1)
}
