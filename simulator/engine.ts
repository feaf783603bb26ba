/**
 * SimPy-style event queue on a flat binary heap of typed arrays (style.md 7).
 *
 * Key = (time, priority, seq): `seq` is a monotonic counter so events with equal time and
 * priority come out FIFO and every run with the same inputs pops the same order. Times are
 * seconds in a Float64Array; (priority, seq) are folded into one Float64 tiebreak
 * (priority * 2^40 + seq, exact for < 2^53); each event carries a kind and two int32
 * arguments (entity ids). Capacity grows by doubling. No allocation per event.
 */

const SEQ_SPAN = 2 ** 40

export class EventQueue {
  /** Simulated time of the last popped event (s). */
  now = 0
  /** Payload of the last popped event. */
  kind = 0
  a = 0
  b = 0
  /** Events popped so far. */
  popped = 0
  private size = 0
  private seq = 0
  private times: Float64Array
  private ties: Float64Array
  private kinds: Int32Array
  private as: Int32Array
  private bs: Int32Array

  constructor(capacity = 1024) {
    this.times = new Float64Array(capacity)
    this.ties = new Float64Array(capacity)
    this.kinds = new Int32Array(capacity)
    this.as = new Int32Array(capacity)
    this.bs = new Int32Array(capacity)
  }

  get length(): number {
    return this.size
  }

  /** Schedule an event at absolute time `time` (>= now); lower priority runs first on equal times. */
  schedule(time: number, priority: number, kind: number, a: number, b: number): void {
    if (this.size === this.times.length) this.grow()
    const tie = priority * SEQ_SPAN + this.seq++
    const times = this.times
    const ties = this.ties
    let pos = this.size++
    // sift up with a hole
    while (pos > 0) {
      const parent = (pos - 1) >> 1
      const pt = times[parent]!
      if (pt < time || (pt === time && ties[parent]! < tie)) break
      times[pos] = pt
      ties[pos] = ties[parent]!
      this.kinds[pos] = this.kinds[parent]!
      this.as[pos] = this.as[parent]!
      this.bs[pos] = this.bs[parent]!
      pos = parent
    }
    times[pos] = time
    ties[pos] = tie
    this.kinds[pos] = kind
    this.as[pos] = a
    this.bs[pos] = b
  }

  /** Time of the next event, or Infinity when empty. */
  peek(): number {
    return this.size > 0 ? this.times[0]! : Infinity
  }

  /** Pop the next event into now/kind/a/b; returns false when empty. */
  step(): boolean {
    const n = this.size
    if (n === 0) return false
    const times = this.times
    const ties = this.ties
    const kinds = this.kinds
    const as = this.as
    const bs = this.bs
    this.now = times[0]!
    this.kind = kinds[0]!
    this.a = as[0]!
    this.b = bs[0]!
    this.popped++
    const last = n - 1
    this.size = last
    if (last === 0) return true
    const t = times[last]!
    const ti = ties[last]!
    const k = kinds[last]!
    const va = as[last]!
    const vb = bs[last]!
    let pos = 0
    const half = last >> 1
    while (pos < half) {
      let c = 2 * pos + 1
      let ct = times[c]!
      let cti = ties[c]!
      const r = c + 1
      if (r < last) {
        const rt = times[r]!
        if (rt < ct || (rt === ct && ties[r]! < cti)) {
          c = r
          ct = rt
          cti = ties[r]!
        }
      }
      if (t < ct || (t === ct && ti < cti)) break
      times[pos] = ct
      ties[pos] = cti
      kinds[pos] = kinds[c]!
      as[pos] = as[c]!
      bs[pos] = bs[c]!
      pos = c
    }
    times[pos] = t
    ties[pos] = ti
    kinds[pos] = k
    as[pos] = va
    bs[pos] = vb
    return true
  }

  private grow(): void {
    const n = this.times.length * 2
    const t = new Float64Array(n)
    t.set(this.times)
    this.times = t
    const ti = new Float64Array(n)
    ti.set(this.ties)
    this.ties = ti
    const k = new Int32Array(n)
    k.set(this.kinds)
    this.kinds = k
    const a = new Int32Array(n)
    a.set(this.as)
    this.as = a
    const b = new Int32Array(n)
    b.set(this.bs)
    this.bs = b
  }
}
