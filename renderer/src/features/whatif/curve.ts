/**
 * Load-curve editing as pure functions (the editor component only maps pointer and keys to
 * these): points sorted by time, clamped to [0, duration] x [0, maxRate], never fewer than one.
 */
import type { LoadPoint } from '../../../../simulator/scenario'

export type CurvePreset = 'steady' | 'ramp' | 'spike' | 'daily' | 'report1' | 'report2'

export const PRESET_LABELS: Record<CurvePreset, string> = {
  steady: 'steady',
  ramp: 'ramp',
  spike: 'spike',
  daily: 'daily cycle',
  report1: 'report 1: callback burst',
  report2: 'report 2: ab burst'
}

const round = (v: number, step: number): number => Math.round(v / step) * step

export function sortCurve(points: LoadPoint[]): LoadPoint[] {
  return [...points].sort((a, b) => a.tS - b.tS)
}

/** Clamp a point into the editable area (1 ms time resolution, rates to 0.1). */
export function clampPoint(p: LoadPoint, durationS: number, maxRate: number): LoadPoint {
  return {
    tS: Math.min(durationS, Math.max(0, round(p.tS, 0.001))),
    rate: Math.min(maxRate, Math.max(0, round(p.rate, 0.1)))
  }
}

export function addPoint(points: LoadPoint[], p: LoadPoint, durationS: number, maxRate: number): { points: LoadPoint[]; index: number } {
  const c = clampPoint(p, durationS, maxRate)
  const next = sortCurve([...points.filter((q) => Math.abs(q.tS - c.tS) > 1e-9), c])
  return { points: next, index: next.findIndex((q) => q === c) }
}

/** Move point i; it may not pass its neighbours in time (keeps the index stable while dragging). */
export function movePoint(points: LoadPoint[], i: number, p: LoadPoint, durationS: number, maxRate: number): LoadPoint[] {
  if (i < 0 || i >= points.length) return points
  const lo = i > 0 ? points[i - 1].tS + 0.001 : 0
  const hi = i < points.length - 1 ? points[i + 1].tS - 0.001 : durationS
  const c = clampPoint(p, durationS, maxRate)
  const next = [...points]
  next[i] = { tS: Math.min(hi, Math.max(lo, c.tS)), rate: c.rate }
  return next
}

export function removePoint(points: LoadPoint[], i: number): LoadPoint[] {
  if (points.length <= 1 || i < 0 || i >= points.length) return points
  return points.filter((_, j) => j !== i)
}

export function scaleCurve(points: LoadPoint[], factor: number): LoadPoint[] {
  if (!Number.isFinite(factor) || factor < 0) throw new Error('the scale factor must be a number >= 0')
  return points.map((p) => ({ tS: p.tS, rate: round(p.rate * factor, 0.1) }))
}

/** A preset shape scaled to `peak` over `durationS`. */
export function presetCurve(preset: CurvePreset, durationS: number, peak: number): LoadPoint[] {
  const d = durationS
  const at = (f: number, r: number): LoadPoint => ({ tS: round(f * d, 0.001), rate: round(r * peak, 0.1) })
  switch (preset) {
    case 'steady':
      return [at(0, 1), at(1, 1)]
    case 'ramp':
      return [at(0, 0.1), at(1, 1)]
    case 'spike':
      return [at(0, 0.3), at(0.45, 0.3), at(0.5, 1), at(0.6, 1), at(0.65, 0.3), at(1, 0.3)]
    case 'daily':
      return [at(0, 0.25), at(0.25, 0.15), at(0.45, 0.8), at(0.6, 1), at(0.8, 0.7), at(1, 0.3)]
    case 'report1':
      return [at(0, 0.35), at(0.2, 0.55), at(0.4, 1), at(0.7, 1), at(0.9, 0.45), at(1, 0.4)]
    case 'report2':
      return [at(0, 1), at(1, 1)]
  }
}

/** Rate at time t on the piecewise-linear curve (constant outside it). */
export function rateAt(points: LoadPoint[], t: number): number {
  if (!points.length) return 0
  if (t <= points[0].tS) return points[0].rate
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]
    const b = points[i]
    if (t <= b.tS) return b.tS === a.tS ? b.rate : a.rate + ((b.rate - a.rate) * (t - a.tS)) / (b.tS - a.tS)
  }
  return points[points.length - 1].rate
}
