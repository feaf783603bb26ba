/**
 * Running statistics for the simulator (style.md 8): fixed-bin histograms and tallies,
 * never per-event arrays. Histogram bins are 1 ms wide below 1 s and log-spaced (1 %)
 * above, up to ~1 h, so the 1 s / 3 s SYN-retransmit steps stay visible and
 * percentiles are exact to 1 ms (below 1 s) or 1 % (above).
 */

const LINEAR_MS = 1000
const LOG_STEP = Math.log(1.01)
const LOG_BINS = Math.ceil(Math.log(3_600_000 / LINEAR_MS) / LOG_STEP) + 1
export const HISTOGRAM_BINS = LINEAR_MS + LOG_BINS

/** Bin index for a value in milliseconds. */
export function binOf(ms: number): number {
  if (!(ms > 0)) return 0
  if (ms < LINEAR_MS) return Math.floor(ms)
  const i = LINEAR_MS + Math.floor(Math.log(ms / LINEAR_MS) / LOG_STEP)
  return i < HISTOGRAM_BINS ? i : HISTOGRAM_BINS - 1
}

/** Lower edge (ms) of a bin. */
export function binLowMs(i: number): number {
  return i < LINEAR_MS ? i : LINEAR_MS * Math.exp((i - LINEAR_MS) * LOG_STEP)
}

/** Upper edge (ms) of a bin. */
export function binHighMs(i: number): number {
  return i < LINEAR_MS ? i + 1 : LINEAR_MS * Math.exp((i + 1 - LINEAR_MS) * LOG_STEP)
}

/** Serialised histogram: sparse [lowMs, highMs, count] triples plus summary figures (ms). */
export interface HistogramJson {
  count: number
  meanMs: number
  maxMs: number
  p50: number
  p90: number
  p99: number
  bins: [number, number, number][]
}

export class Histogram {
  readonly counts = new Float64Array(HISTOGRAM_BINS)
  count = 0
  sum = 0
  max = 0

  add(ms: number): void {
    this.counts[binOf(ms)]!++
    this.count++
    this.sum += ms
    if (ms > this.max) this.max = ms
  }

  /** Percentile q in 0..1 (nearest rank: the bin holding the ceil(q*n)-th value, reported at its midpoint, capped at the max). */
  quantile(q: number): number {
    if (this.count === 0) return 0
    const rank = Math.max(1, Math.ceil(q * this.count))
    let acc = 0
    for (let i = 0; i < HISTOGRAM_BINS; i++) {
      acc += this.counts[i]!
      // bin midpoint: unbiased within the bin (1 ms wide below 1 s, 1 % above)
      if (acc >= rank) return Math.min((binLowMs(i) + binHighMs(i)) / 2, this.max)
    }
    return this.max
  }

  toJSON(): HistogramJson {
    const bins: [number, number, number][] = []
    for (let i = 0; i < HISTOGRAM_BINS; i++) {
      const c = this.counts[i]!
      if (c > 0) bins.push([round3(binLowMs(i)), round3(binHighMs(i)), c])
    }
    return {
      count: this.count,
      meanMs: this.count ? round3(this.sum / this.count) : 0,
      maxMs: round3(this.max),
      p50: round3(this.quantile(0.5)),
      p90: round3(this.quantile(0.9)),
      p99: round3(this.quantile(0.99)),
      bins
    }
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}
