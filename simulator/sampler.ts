/**
 * What a periodic sampler sees of a gauge (accept queue, SYN queue, sockets in SYN-SENT).
 *
 * The lab and the shared fidelity cases measure socket maxima by reading `ss` / `/proc/net/tcp`
 * every P seconds (the lab: 0.1 s; shared cases: 0.25-1 s), so a queue that fills for 3 ms
 * between two samples is never seen, while the simulator knows the exact peak. To compare like
 * with like, a case prediction reports the maximum over sample instants k*P + phase, for M
 * phases spread over one period, and takes their median: what a sampler started at a random
 * moment typically shows. The exact peak stays in the result for everything else.
 */
export class SampledMax {
  /** Maximum seen by the sampler of each phase. */
  private readonly max: Float64Array
  private readonly phases: Float64Array
  /** Current value and since when it holds. */
  private v = 0
  private t = 0
  /** Smallest of `max`: a value at or below it cannot raise any phase's maximum. */
  private floor = 0

  /**
   * `phases`: how many phases spread evenly over one period (a sampler started at a random
   * moment), or the phases themselves (s; [0]: a sampler started with the load, at t = 0, P, 2P ...).
   */
  constructor(
    readonly periodS: number,
    phases: number | readonly number[] = 8
  ) {
    if (!(periodS > 0)) throw new Error(`sampling period must be > 0 s, got ${periodS}`)
    const list = typeof phases === 'number' ? Array.from({ length: phases }, (_, m) => (m * periodS) / phases) : [...phases]
    if (list.length === 0 || !list.every((p) => p >= 0 && p < periodS)) throw new Error(`sampling phases must be in [0, ${periodS}) s`)
    this.max = new Float64Array(list.length)
    this.phases = Float64Array.from(list)
  }

  /** The gauge changes to `v` at time `t` (non-decreasing times). */
  set(t: number, v: number): void {
    if (v === this.v) return
    if (this.v > this.floor) this.credit(t)
    this.v = v
    this.t = t
  }

  /** The samples up to `t` (end of the run) and the median over phases of their maxima. */
  result(t: number): number {
    if (this.v > this.floor) this.credit(t)
    this.t = t
    const s = Array.from(this.max).sort((a, b) => a - b)
    return s[s.length >> 1]!
  }

  /** The value v held on (this.t, t]: every phase with a sample instant in there saw it. */
  private credit(t: number): void {
    const P = this.periodS
    const v = this.v
    let lo = Infinity
    for (let m = 0; m < this.max.length; m++) {
      const ph = this.phases[m]!
      if (v > this.max[m]! && Math.floor((t - ph) / P) > Math.floor((this.t - ph) / P)) this.max[m] = v
      if (this.max[m]! < lo) lo = this.max[m]!
    }
    this.floor = lo
  }
}
