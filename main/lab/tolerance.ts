/**
 * Fidelity tolerance rules of shared/fidelity/README.md (the same rules as its score.py):
 * a prediction p for a measured {min, max} passes when min*(1-r) - a <= p <= max*(1+r) + a,
 * with (r, a) chosen by the metric's key. `requests` is the measured request count (mean).
 * (r, a) come from the simulator's case reader (`tolerance`), so the lab and `simulate --case`
 * judge alike; this module adds the per-metric error rows of `headroom lab --compare`.
 */
import { tolerance } from '../sim/fidelity-case'

export interface MeasuredStat {
  mean: number
  min: number
  max: number
  values?: number[]
}

export type MeasuredValue = MeasuredStat | { value: boolean | string }

/** (r, a) for a metric key; null for exact-match keys. The rule itself lives once, in main/sim/fidelity-case.ts. */
export function toleranceFor(key: string, requests: number): { r: number; a: number } | null {
  if (key === 'proxy_start_message') return null
  const t = tolerance(key, requests)
  return t ? { r: t[0], a: t[1] } : null
}

/** Flatten nested predictions ({a: {b: 1}} -> {'a.b': 1}); {mean,min,max} objects become their mean. */
export function flattenMetrics(o: unknown, prefix = ''): Record<string, unknown> {
  if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
    const keys = Object.keys(o)
    if (keys.includes('mean') && keys.every((k) => ['mean', 'min', 'max', 'values'].includes(k)))
      return { [prefix.slice(0, -1)]: (o as { mean: unknown }).mean }
    if (keys.length === 1 && keys[0] === 'value' && prefix) return { [prefix.slice(0, -1)]: (o as { value: unknown }).value }
    const out: Record<string, unknown> = {}
    for (const k of keys) Object.assign(out, flattenMetrics((o as Record<string, unknown>)[k], prefix + k + '.'))
    return out
  }
  return { [prefix.slice(0, -1)]: o }
}

export interface CompareRow {
  key: string
  measured: MeasuredValue
  predicted: number | boolean | null
  /** predicted - measured mean (null when not numeric). */
  error: number | null
  /** error relative to the measured mean (null when the mean is 0 or not numeric). */
  relError: number | null
  lo: number | null
  hi: number | null
  ok: boolean
}

/** Judge one prediction against one measured value with the README rule. */
export function judge(key: string, measured: MeasuredValue, predicted: unknown, requests: number): CompareRow {
  if ('value' in measured) {
    const p = typeof predicted === 'boolean' ? predicted : predicted == null ? null : Boolean(predicted)
    return { key, measured, predicted: p, error: null, relError: null, lo: null, hi: null, ok: p !== null && p === measured.value }
  }
  const tol = toleranceFor(key, requests) ?? { r: 0, a: 0 }
  const lo = measured.min * (1 - tol.r) - tol.a
  const hi = measured.max * (1 + tol.r) + tol.a
  const p = typeof predicted === 'number' && Number.isFinite(predicted) ? predicted : null
  const error = p === null ? null : p - measured.mean
  return {
    key,
    measured,
    predicted: p,
    error,
    relError: error === null || measured.mean === 0 ? null : error / Math.abs(measured.mean),
    lo,
    hi,
    ok: p !== null && lo <= p && p <= hi
  }
}

/** Compare every measured key (or only `keys`) with a prediction object (nested or dotted). */
export function compareMetrics(
  measured: Record<string, MeasuredValue>,
  predicted: unknown,
  keys: readonly string[] = Object.keys(measured)
): CompareRow[] {
  const pred = flattenMetrics(predicted)
  const req = measured['requests']
  const requests = req && 'mean' in req ? req.mean : 0
  const rows: CompareRow[] = []
  for (const k of keys) {
    const m = measured[k]
    if (!m) continue
    rows.push(judge(k, m, pred[k], requests))
  }
  return rows
}
