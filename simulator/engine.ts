/**
 * SimPy-style event queue on a flat binary heap of typed arrays (style.md 7).
 *
 * Key = (time, priority, seq): `seq` is a monotonic counter so events with equal time and
 * priority come out FIFO and every run with the same inputs pops the same order. Times are
 * seconds in a Float64Array; (priority, seq) are folded into one Float64 tiebreak
 * (priority * 2^40 + seq, exact below 2^53). Each event carries a kind and two int32
 * arguments (entity ids), stored by slot so a heap move copies three numbers, not five.
 * Capacity grows by doubling; no allocation per event.
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
  // heap, by position
  private times: Float64Array
  private ties: Float64Array
  private slots: Int32Array
  // payload, by slot
  private kinds: Int32Array
  private as: Int32Array
  private bs: Int32Array
  private freeSlots: Int32Array
  private nFree: number

  constructor(capacity = 1024) {
    this.times = new Float64Array(capacity)
    this.ties = new Float64Array(capacity)
    this.slots = new Int32Array(capacity)
    this.kinds = new Int32Array(capacity)
    this.as = new Int32Array(capacity)
    this.bs = new Int32Array(capacity)
    this.freeSlots = new Int32Array(capacity)
    for (let i = 0; i < capacity; i++) this.freeSlots[i] = capacity - 1 - i
    this.nFree = capacity
  }

  get length(): number {
    return this.size
  }

  /** Schedule an event at absolute time `time` (>= now); lower priority runs first on equal times. */
  schedule(time: number, priority: number, kind: number, a: number, b: number): void {
    if (this.nFree === 0) this.grow()
    const slot = this.freeSlots[--this.nFree]!
    this.kinds[slot] = kind
    this.as[slot] = a
    this.bs[slot] = b
    const tie = priority * SEQ_SPAN + this.seq++
    const times = this.times
    const ties = this.ties
    const slots = this.slots
    let pos = this.size++
    while (pos > 0) {
      const parent = (pos - 1) >> 1
      const pt = times[parent]!
      if (pt < time || (pt === time && ties[parent]! < tie)) break
      times[pos] = pt
      ties[pos] = ties[parent]!
      slots[pos] = slots[parent]!
      pos = parent
    }
    times[pos] = time
    ties[pos] = tie
    slots[pos] = slot
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
    const slots = this.slots
    const top = slots[0]!
    this.now = times[0]!
    this.kind = this.kinds[top]!
    this.a = this.as[top]!
    this.b = this.bs[top]!
    this.freeSlots[this.nFree++] = top
    this.popped++
    const last = n - 1
    this.size = last
    if (last === 0) return true
    const t = times[last]!
    const ti = ties[last]!
    const sl = slots[last]!
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
      slots[pos] = slots[c]!
      pos = c
    }
    times[pos] = t
    ties[pos] = ti
    slots[pos] = sl
    return true
  }

  private grow(): void {
    const old = this.times.length
    const n = old * 2
    const f = (a: Float64Array): Float64Array => {
      const b = new Float64Array(n)
      b.set(a)
      return b
    }
    const i = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n)
      b.set(a)
      return b
    }
    this.times = f(this.times)
    this.ties = f(this.ties)
    this.slots = i(this.slots)
    this.kinds = i(this.kinds)
    this.as = i(this.as)
    this.bs = i(this.bs)
    const fs = new Int32Array(n)
    // all old slots are in use (nFree was 0): the new ones are free
    for (let k = 0; k < n - old; k++) fs[k] = n - 1 - k
    this.freeSlots = fs
    this.nFree = n - old
  }
}
