/**
 * Replications: the same scenario under several seeds (SimPool.runMany) gives spreads.
 * `replicationSeeds` picks the seeds; `summarizeReplications` turns the result buffers into
 * mean / min / max / standard deviation of the headline figures, plus the per-second band of
 * the chart columns (min and max per second across replications).
 */
import { decodeResult, type SimResult } from '../../simulator/result'

export interface Spread {
  mean: number
  min: number
  max: number
  sd: number
}

export interface ReplicationSummary {
  n: number
  seeds: number[]
  ok: Spread
  failed: Spread
  failedShare: Spread
  latencyP50Ms: Spread
  latencyP99Ms: Spread
  /** How many replications named each first ceiling. */
  ceilings: Record<string, number>
  /** Per-second band (min, max) of these columns across replications. */
  bands: Record<'offered' | 'completed' | 'failed', { min: number[]; max: number[] }>
}

/** Seeds for n replications starting from `base` (distinct, reproducible). */
export function replicationSeeds(n: number, base = 1): number[] {
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error('replications must be a whole number 1..1000')
  return Array.from({ length: n }, (_, i) => base + i * 7919)
}

function spread(xs: number[]): Spread {
  const n = xs.length
  const mean = xs.reduce((a, b) => a + b, 0) / n
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0
  return { mean, min: Math.min(...xs), max: Math.max(...xs), sd }
}

/** Summarize replication result buffers (same scenario, different seeds). */
export function summarizeReplications(buffers: ArrayBuffer[], seeds: number[] = []): ReplicationSummary {
  if (buffers.length === 0) throw new Error('no replications to summarize')
  const rs: SimResult[] = buffers.map((b) => decodeResult(b))
  const rows = Math.min(...rs.map((r) => r.rows))
  const band = (col: string): { min: number[]; max: number[] } => {
    const min: number[] = []
    const max: number[] = []
    for (let i = 0; i < rows; i++) {
      let lo = Infinity
      let hi = -Infinity
      for (const r of rs) {
        const v = r.col(col)[i]!
        if (v < lo) lo = v
        if (v > hi) hi = v
      }
      min.push(lo)
      max.push(hi)
    }
    return { min, max }
  }
  const ceilings: Record<string, number> = {}
  for (const r of rs) ceilings[r.summary.verdict.ceiling] = (ceilings[r.summary.verdict.ceiling] ?? 0) + 1
  return {
    n: rs.length,
    seeds,
    ok: spread(rs.map((r) => r.summary.totals.ok)),
    failed: spread(rs.map((r) => r.summary.totals.failed)),
    failedShare: spread(rs.map((r) => (r.summary.totals.requests ? r.summary.totals.failed / r.summary.totals.requests : 0))),
    latencyP50Ms: spread(rs.map((r) => r.summary.latency.p50)),
    latencyP99Ms: spread(rs.map((r) => r.summary.latency.p99)),
    ceilings,
    bands: { offered: band('offered'), completed: band('completed'), failed: band('failed') }
  }
}
