/**
 * Draw the load: a time x rate chart whose points are dragged with the mouse (d3-drag, bound
 * through a ref in useEffect) and edited with the keyboard (arrows move the selected point,
 * Delete removes it, Insert/+ adds one after it). Clicking empty space adds a point.
 * Pure editing rules live in curve.ts; this component maps input to them.
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import { axisBottom, axisLeft, drag, line, scaleLinear, select } from 'd3'
import type { LoadPoint } from '../../../../simulator/scenario'
import { addPoint, movePoint, removePoint } from './curve'

export interface LoadCurveEditorProps {
  points: LoadPoint[]
  durationS: number
  /** Upper bound of the y axis and of any point. */
  maxRate: number
  unit: string
  width: number
  height: number
  onChange(points: LoadPoint[]): void
}

const M = { top: 10, right: 14, bottom: 32, left: 58 }

export function LoadCurveEditor(props: LoadCurveEditorProps) {
  const { points, durationS, maxRate, width, height, onChange } = props
  const innerW = Math.max(10, width - M.left - M.right)
  const innerH = Math.max(10, height - M.top - M.bottom)
  const [selected, setSelected] = useState<number | null>(null)
  const xAxis = useRef<SVGGElement>(null)
  const yAxis = useRef<SVGGElement>(null)
  const handles = useRef<SVGGElement>(null)
  // The latest points for d3 callbacks bound once per render of the handles.
  const latest = useRef(points)
  latest.current = points

  const yTop = useMemo(() => Math.max(1, ...points.map((p) => p.rate)) * 1.15, [points])
  const x = useMemo(() => scaleLinear().domain([0, durationS]).range([0, innerW]), [durationS, innerW])
  const y = useMemo(() => scaleLinear().domain([0, Math.min(maxRate, yTop)]).nice().range([innerH, 0]), [maxRate, yTop, innerH])
  const path = useMemo(() => {
    const ext = [...points]
    if (ext.length && ext[ext.length - 1].tS < durationS) ext.push({ tS: durationS, rate: ext[ext.length - 1].rate })
    if (ext.length && ext[0].tS > 0) ext.unshift({ tS: 0, rate: ext[0].rate })
    return (
      line<LoadPoint>()
        .x((p) => x(p.tS))
        .y((p) => y(p.rate))(ext) ?? ''
    )
  }, [points, durationS, x, y])

  useEffect(() => {
    if (xAxis.current) select(xAxis.current).call(axisBottom(x).ticks(Math.max(2, Math.floor(innerW / 80))))
    if (yAxis.current) select(yAxis.current).call(axisLeft(y).ticks(5))
  }, [x, y, innerW])

  useEffect(() => {
    if (!handles.current) return
    const sel = select(handles.current).selectAll<SVGCircleElement, unknown>('circle.handle')
    sel.call(
      drag<SVGCircleElement, unknown>()
        .on('start', function () {
          setSelected(Number(this.getAttribute('data-index')))
        })
        .on('drag', function (event: { x: number; y: number }) {
          const i = Number(this.getAttribute('data-index'))
          onChange(movePoint(latest.current, i, { tS: x.invert(event.x), rate: y.invert(event.y) }, durationS, maxRate))
        })
    )
    return () => {
      sel.on('.drag', null)
    }
  }, [points.length, x, y, durationS, maxRate, onChange])

  const onBackgroundClick = (e: React.MouseEvent<SVGRectElement>): void => {
    const rect = e.currentTarget.getBoundingClientRect()
    const r = addPoint(points, { tS: x.invert(e.clientX - rect.left), rate: y.invert(e.clientY - rect.top) }, durationS, maxRate)
    onChange(r.points)
    setSelected(r.index)
  }

  const onKeyDown = (e: React.KeyboardEvent<SVGSVGElement>): void => {
    if (selected === null || selected >= points.length) {
      if (e.key === 'Tab') return
      if (e.key.startsWith('Arrow') && points.length) {
        setSelected(0)
        e.preventDefault()
      }
      return
    }
    const p = points[selected]
    const dt = durationS / 100
    const dr = Math.max(0.1, (y.domain()[1] - y.domain()[0]) / 50) * (e.shiftKey ? 10 : 1)
    let next: LoadPoint[] | null = null
    switch (e.key) {
      case 'ArrowUp':
        next = movePoint(points, selected, { tS: p.tS, rate: p.rate + dr }, durationS, maxRate)
        break
      case 'ArrowDown':
        next = movePoint(points, selected, { tS: p.tS, rate: p.rate - dr }, durationS, maxRate)
        break
      case 'ArrowRight':
        next = movePoint(points, selected, { tS: p.tS + dt, rate: p.rate }, durationS, maxRate)
        break
      case 'ArrowLeft':
        next = movePoint(points, selected, { tS: p.tS - dt, rate: p.rate }, durationS, maxRate)
        break
      case 'Delete':
      case 'Backspace':
        next = removePoint(points, selected)
        setSelected(next.length ? Math.min(selected, next.length - 1) : null)
        break
      case 'Insert':
      case '+': {
        const after = points[selected + 1]
        const r = addPoint(points, { tS: after ? (p.tS + after.tS) / 2 : Math.min(durationS, p.tS + dt * 5), rate: p.rate }, durationS, maxRate)
        next = r.points
        setSelected(r.index)
        break
      }
      case 'PageDown':
        setSelected(Math.min(points.length - 1, selected + 1))
        break
      case 'PageUp':
        setSelected(Math.max(0, selected - 1))
        break
      default:
        return
    }
    e.preventDefault()
    if (next && next !== points) onChange(next)
  }

  const sel = selected !== null && selected < points.length ? points[selected] : null
  return (
    <figure className="curve-editor">
      <figcaption>
        <span className="chart-title">Load curve</span>
        <span className="muted">
          {sel ? `point ${selected! + 1}: t ${sel.tS.toFixed(0)} s, ${sel.rate.toFixed(1)} ${props.unit}` : 'click to add a point, drag to move; arrows, Delete, + with the keyboard'}
        </span>
      </figcaption>
      <svg
        width={width}
        height={height}
        tabIndex={0}
        role="application"
        aria-label={`load curve editor, ${points.length} points, ${props.unit}`}
        onKeyDown={onKeyDown}
        data-testid="curve-editor"
      >
        <g transform={`translate(${M.left},${M.top})`}>
          <g ref={yAxis} className="axis axis-y" />
          <g ref={xAxis} className="axis axis-x" transform={`translate(0,${innerH})`} />
          <text className="axis-label" transform={`translate(${-M.left + 12},${innerH / 2}) rotate(-90)`} textAnchor="middle">
            {props.unit}
          </text>
          <rect className="curve-bg" width={innerW} height={innerH} onClick={onBackgroundClick} data-testid="curve-bg" />
          <path className="curve-line" d={path} />
          <g ref={handles}>
            {points.map((p, i) => (
              <circle
                key={i}
                className={`handle ${i === selected ? 'selected' : ''}`}
                data-index={i}
                data-testid={`curve-point-${i}`}
                cx={x(p.tS)}
                cy={y(p.rate)}
                r={i === selected ? 7 : 5}
                onClick={(e) => {
                  e.stopPropagation()
                  setSelected(i)
                }}
              />
            ))}
          </g>
        </g>
      </svg>
    </figure>
  )
}
