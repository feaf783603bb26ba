/** Stacked areas over time (failures by cause). d3 computes the stack; React renders it. */
import { ChartCaption } from './ChartCaption'
import { useId, useMemo } from 'react'
import { area, max, scaleLinear, stack } from 'd3'
import { useAxes } from './useAxes'
import { useBrush, windowIndices, xDomain, type TimeWindow } from './time-window'

export interface StackSeries {
  key: string
  label: string
  values: ArrayLike<number>
  className: string
}

const M = { top: 12, right: 16, bottom: 34, left: 56 }

export function StackedAreaChart(props: {
  title: string
  yLabel: string
  width: number
  height: number
  t: ArrayLike<number>
  series: StackSeries[]
  /** Shown time range (the view's shared window); null: the whole run. */
  window?: TimeWindow | null
  onZoom?: (from: number, to: number) => void
  onResetZoom?: () => void
}) {
  const { width, height, t, series } = props
  const innerW = Math.max(10, width - M.left - M.right)
  const innerH = Math.max(10, height - M.top - M.bottom)
  const clip = `clip-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`
  const { x, y, paths } = useMemo(() => {
    const [i0, i1] = windowIndices(t, props.window)
    const rows = Array.from({ length: Math.max(0, i1 - i0 + 1) }, (_, k) => {
      const r: Record<string, number> = {}
      for (const s of series) r[s.key] = Number.isFinite(s.values[i0 + k]) ? s.values[i0 + k] : 0
      return r
    })
    const layers = stack<Record<string, number>>().keys(series.map((s) => s.key))(rows)
    const top = max(layers.length ? layers[layers.length - 1] : [], (d) => d[1]) ?? 1
    const x = scaleLinear().domain(xDomain(t, props.window)).range([0, innerW])
    const y = scaleLinear().domain([0, Math.max(1, top) * 1.05]).nice().range([innerH, 0])
    const gen = area<[number, number]>()
      .x((_, k) => x(t[i0 + k]))
      .y0((d) => y(d[0]))
      .y1((d) => y(d[1]))
    return { x, y, paths: layers.map((l) => gen(l.map((d) => [d[0], d[1]] as [number, number])) ?? '') }
  }, [t, series, innerW, innerH, props.window])
  const brush = useBrush(x, props.onZoom)
  const { xRef, yRef } = useAxes(x, y, { xTicks: Math.max(2, Math.floor(innerW / 80)), yTicks: 4 })
  return (
    <figure className="chart" aria-label={props.title}>
      <ChartCaption title={props.title} items={series} swatch="box" />
      <svg width={width} height={height} role="img" aria-label={`${props.title} over time`} data-testid={`chart-${props.title}`}>
        <g transform={`translate(${M.left},${M.top})`}>
          <g ref={yRef} className="axis axis-y" />
          <g ref={xRef} className="axis axis-x" transform={`translate(0,${innerH})`} />
          <text className="axis-label" transform={`translate(${-M.left + 12},${innerH / 2}) rotate(-90)`} textAnchor="middle">
            {props.yLabel}
          </text>
          <clipPath id={clip}>
            <rect width={innerW} height={innerH} />
          </clipPath>
          <g clipPath={`url(#${clip})`}>
            {paths.map((d, i) => (
              <path key={series[i].key} d={d} className={`area ${series[i].className}`} data-series={series[i].key} />
            ))}
          </g>
          {brush.sel ? <rect className="brush-sel" x={Math.min(...brush.sel)} width={Math.abs(brush.sel[1] - brush.sel[0])} y={0} height={innerH} /> : null}
          <rect
            className={`hover-target ${props.onZoom ? 'zoomable' : ''}`}
            width={innerW}
            height={innerH}
            data-testid={`plot-${props.title}`}
            onPointerDown={brush.onPointerDown}
            onPointerMove={brush.onPointerMove}
            onPointerUp={brush.onPointerUp}
            onDoubleClick={props.onResetZoom}
          />
        </g>
      </svg>
    </figure>
  )
}
