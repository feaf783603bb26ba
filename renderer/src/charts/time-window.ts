/**
 * The time window the charts of one view share: zoom by dragging across any time chart,
 * double-click (or "whole run") to reset, or type the bounds. A run's interesting part is
 * often a few seconds of a long drain (an `ab` burst, a spike), so by default the window fits
 * the activity: from the start to the last second where anything was offered, completed,
 * failed or still open, with a small margin.
 */
import { useCallback, useMemo, useState } from 'react'
import { bisector, type ScaleLinear } from 'd3'

export type TimeWindow = readonly [number, number]

/** First and last index (inclusive) of `t` inside the window, widened by one sample each side so lines reach the edges. */
export function windowIndices(t: ArrayLike<number>, w: TimeWindow | null | undefined): [number, number] {
  const n = t.length
  if (n === 0) return [0, -1]
  if (!w) return [0, n - 1]
  const arr = Array.from(t)
  const lo = Math.max(0, bisector((d: number) => d).left(arr, w[0]) - 1)
  const hi = Math.min(n - 1, bisector((d: number) => d).right(arr, w[1]))
  return [lo, Math.max(lo, hi)]
}

/** x domain for a chart: the window when set, else the whole of t (at least 1 s wide). */
export function xDomain(t: ArrayLike<number>, w: TimeWindow | null | undefined): [number, number] {
  if (w) return [w[0], Math.max(w[1], w[0] + 1e-3)]
  const n = t.length
  return [n ? t[0] : 0, Math.max(1, n ? t[n - 1] : 1)]
}

/**
 * The window that fits the activity: from t[0] to the last second where any of the columns
 * is non-zero, plus 5 % (at least 2 s), clamped to the run. null when that is the whole run
 * anyway (or there is nothing to fit).
 */
export function activityWindow(t: ArrayLike<number>, columns: (ArrayLike<number> | null | undefined)[]): TimeWindow | null {
  const n = t.length
  if (n < 2) return null
  let last = -1
  for (const c of columns) {
    if (!c) continue
    for (let i = Math.min(n, c.length) - 1; i > last; i--) {
      const v = c[i]
      if (Number.isFinite(v) && v !== 0) {
        last = i
        break
      }
    }
  }
  if (last < 0) return null
  const t0 = t[0]
  const tEnd = t[n - 1]
  const end = Math.min(tEnd, t[last] + Math.max(2, 0.05 * (t[last] - t0)))
  if (end >= tEnd - 1e-9) return null
  return [t0, end]
}

/** Clamp and order a window typed or dragged by the user; null when it is not a window. */
export function normaliseWindow(a: number, b: number, t: ArrayLike<number>): TimeWindow | null {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return null
  const n = t.length
  const lo = n ? t[0] : 0
  const hi = n ? Math.max(t[n - 1], lo + 1) : 1
  let x0 = Math.max(lo, Math.min(a, b))
  let x1 = Math.min(hi, Math.max(a, b))
  if (x1 - x0 < 0.5) {
    // at least half a second (one per-second sample either side shows)
    const mid = (x0 + x1) / 2
    x0 = Math.max(lo, mid - 0.25)
    x1 = Math.min(hi, x0 + 0.5)
  }
  return x1 > x0 ? [x0, x1] : null
}

/** A view's window state: `auto` fits the activity; a user's zoom replaces it until reset. */
export function useTimeWindow(t: ArrayLike<number>, activity: (ArrayLike<number> | null | undefined)[]) {
  const [user, setUser] = useState<TimeWindow | null>(null)
  const [whole, setWhole] = useState(false)
  // callers pass a memoised `activity` array
  const auto = useMemo(() => activityWindow(t, activity), [t, activity])
  // a zoom outlives new results (a slider drag); clamp it to the run it is shown on
  const clamped = user ? normaliseWindow(user[0], user[1], t) : null
  const window: TimeWindow | null = clamped ?? (whole ? null : auto)
  const zoom = useCallback(
    (a: number, b: number) => {
      const w = normaliseWindow(a, b, t)
      if (w) setUser(w)
    },
    [t]
  )
  const reset = useCallback(() => {
    setUser(null)
    setWhole(false)
  }, [])
  const showWhole = useCallback(() => {
    setUser(null)
    setWhole(true)
  }, [])
  return { window, auto, isUser: clamped !== null, zoom, reset, showWhole, whole: window === null }
}

/** Pointer drag across a chart's plot area selects a time range (the brush). */
export interface Brush {
  /** Pixel range being dragged, for the selection rectangle. */
  sel: [number, number] | null
  onPointerDown: (e: React.PointerEvent<SVGRectElement>) => void
  onPointerMove: (e: React.PointerEvent<SVGRectElement>) => boolean
  onPointerUp: (e: React.PointerEvent<SVGRectElement>) => void
}

export function useBrush(x: ScaleLinear<number, number>, onZoom: ((a: number, b: number) => void) | undefined): Brush {
  const [sel, setSel] = useState<[number, number] | null>(null)
  const px = (e: React.PointerEvent<SVGRectElement>): number => e.clientX - e.currentTarget.getBoundingClientRect().left
  return {
    sel,
    onPointerDown: (e) => {
      if (!onZoom || e.button !== 0) return
      e.currentTarget.setPointerCapture?.(e.pointerId)
      const p = px(e)
      setSel([p, p])
    },
    onPointerMove: (e) => {
      if (!sel) return false
      setSel([sel[0], px(e)])
      return true
    },
    onPointerUp: (e) => {
      if (!sel) return
      const p = px(e)
      setSel(null)
      // a click (under 4 px) is not a zoom
      if (onZoom && Math.abs(p - sel[0]) >= 4) onZoom(x.invert(Math.min(p, sel[0])), x.invert(Math.max(p, sel[0])))
    }
  }
}
