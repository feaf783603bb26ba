/**
 * The keyboard way to the charts' shared time window (dragging across a chart is the mouse
 * way): two bounds in seconds, "fit activity" and "whole run".
 */
import { useEffect, useState } from 'react'
import type { TimeWindow } from './time-window'

export function TimeWindowBar(props: {
  window: TimeWindow | null
  /** The run's full span. */
  span: TimeWindow
  isUser: boolean
  hasAuto: boolean
  onZoom: (from: number, to: number) => void
  onFit: () => void
  onWhole: () => void
}) {
  const w = props.window ?? props.span
  const [from, setFrom] = useState(fmt(w[0]))
  const [to, setTo] = useState(fmt(w[1]))
  const [err, setErr] = useState<string | null>(null)
  useEffect(() => {
    setFrom(fmt(w[0]))
    setTo(fmt(w[1]))
    setErr(null)
  }, [w[0], w[1]])
  const apply = (): void => {
    const a = Number(from)
    const b = Number(to)
    if (from.trim() === '' || to.trim() === '' || !Number.isFinite(a) || !Number.isFinite(b)) return setErr('enter two numbers of seconds')
    if (b <= a) return setErr('the end must be after the start')
    if (b <= props.span[0] || a >= props.span[1]) return setErr(`the run spans ${fmt(props.span[0])}–${fmt(props.span[1])} s`)
    setErr(null)
    props.onZoom(a, b)
  }
  const onKey = (e: React.KeyboardEvent): void => {
    if (e.key === 'Enter') apply()
  }
  return (
    <div className="time-window" role="group" aria-label="time window of the charts" data-testid="time-window">
      <span className="muted">time window</span>
      <input aria-label="window start (s)" inputMode="decimal" value={from} onChange={(e) => setFrom(e.target.value)} onKeyDown={onKey} onBlur={apply} />
      <span>to</span>
      <input aria-label="window end (s)" inputMode="decimal" value={to} onChange={(e) => setTo(e.target.value)} onKeyDown={onKey} onBlur={apply} />
      <span>s</span>
      {props.hasAuto ? (
        <button type="button" className="small" onClick={props.onFit} disabled={!props.isUser && props.window !== null}>
          fit activity
        </button>
      ) : null}
      <button type="button" className="small" onClick={props.onWhole} disabled={props.window === null}>
        whole run
      </button>
      <span className="muted">drag across a chart to zoom, double-click to reset</span>
      {err ? (
        <span className="error" role="alert">
          {err}
        </span>
      ) : null}
    </div>
  )
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1)
}
