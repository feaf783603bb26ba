/**
 * A time-series line chart: d3 computes scales, paths and ticks in useMemo; React renders
 * the SVG; the only DOM-touching d3 (axes) runs through refs in useEffect (style.md 12).
 * Receives data and size as props and never fetches. Hover shows the values at that second.
 */
import { ChartCaption } from './ChartCaption'
import { useId, useMemo, useState } from 'react'
import { line, scaleLinear } from 'd3'
import { useAxes } from './useAxes'
import { useBrush, windowIndices, xDomain, type TimeWindow } from './time-window'

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
  /** Shown time range (the view's shared window); null/undefined: the whole run. */
  window?: TimeWindow | null
  /** Dragging across the plot zooms to that range; double-click resets. */
  onZoom?: (from: number, to: number) => void
  onResetZoom?: () => void
}

const M = { top: 12, right: 16, bottom: 34, left: 56 }

export function TimeSeriesChart(props: TimeSeriesChartProps) {
  const { width, height, t, series, limit } = props
  const innerW = Math.max(10, width - M.left - M.right)
  const innerH = Math.max(10, height - M.top - M.bottom)
  const [hover, setHover] = useState<number | null>(null)

  const clip = `clip-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`
  const { x, y, paths, i0, i1 } = useMemo(() => {
    const [i0, i1] = windowIndices(t, props.window)
    let yMax = Math.max(1, limit?.value ?? 0)
    for (const s of series) {
      for (let i = i0; i <= i1; i++) {
        const v = s.values[i]
        if (Number.isFinite(v) && v > yMax) yMax = v
      }
    }
    const x = scaleLinear().domain(xDomain(t, props.window)).range([0, innerW])
    const y = scaleLinear().domain([0, yMax * 1.05]).nice().range([innerH, 0])
    const idx = Array.from({ length: Math.max(0, i1 - i0 + 1) }, (_, k) => i0 + k)
    const paths = series.map((s) => {
      // Missing values (a run shorter than the axis, a column a run lacks) leave gaps.
      const gen = line<number>()
        .defined((i) => Number.isFinite(s.values[i]))
        .x((i) => x(t[i]))
        .y((i) => y(s.values[i] ?? 0))
      return { key: s.key, d: gen(idx) ?? '' }
    })
    return { x, y, paths, i0, i1 }
  }, [t, series, limit, innerW, innerH, props.window])
  const brush = useBrush(x, props.onZoom)

  const { xRef: xAxisRef, yRef: yAxisRef } = useAxes(x, y, { xTicks: Math.max(2, Math.floor(innerW / 80)), yTicks: Math.max(2, Math.floor(innerH / 40)) })

  const onMove = (e: React.PointerEvent<SVGRectElement>): void => {
    brush.onPointerMove(e)
    if (i1 < i0) return setHover(null)
    const tx = x.invert(e.clientX - e.currentTarget.getBoundingClientRect().left)
    // nearest sample inside the shown range
    let best = i0
    for (let i = i0; i <= i1; i++) if (Math.abs(t[i] - tx) < Math.abs(t[best] - tx)) best = i
    setHover(t[best] >= x.domain()[0] - 0.5 && t[best] <= x.domain()[1] + 0.5 ? best : null)
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
          <clipPath id={clip}>
            <rect width={innerW} height={innerH} />
          </clipPath>
          <g clipPath={`url(#${clip})`}>
            {paths.map((p, i) => (
              <path key={p.key} d={p.d} className={`series ${series[i].className} ${series[i].dashed ? 'dashed' : ''}`} data-series={p.key} />
            ))}
          </g>
          {hover !== null ? <line className="hover-rule" x1={x(t[hover])} x2={x(t[hover])} y1={0} y2={innerH} /> : null}
          {brush.sel ? <rect className="brush-sel" x={Math.min(...brush.sel)} width={Math.abs(brush.sel[1] - brush.sel[0])} y={0} height={innerH} /> : null}
          <rect
            className={`hover-target ${props.onZoom ? 'zoomable' : ''}`}
            width={innerW}
            height={innerH}
            data-testid={`plot-${props.title}`}
            onPointerDown={brush.onPointerDown}
            onPointerMove={onMove}
            onPointerUp={brush.onPointerUp}
            onPointerLeave={() => setHover(null)}
            onDoubleClick={props.onResetZoom}
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
