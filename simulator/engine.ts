/**
 * SimPy-style event queue of typed arrays (style.md 7).
 *
 * Key = (time, priority, seq): `seq` is a monotonic counter so events with equal time and
 * priority come out FIFO and every run with the same inputs pops the same order. Keys are
 * unique, so any structure that always pops the smallest key pops the same sequence.
 * Times are seconds. (priority, seq) are folded into one Float64 tiebreak
 * (priority * 2^40 + seq, exact below 2^53).
 *
 * Layout (for speed; docs/performance.md): events are 4-double records
 * [time, tie, kind * 2^32 + uint32(a), int32(b)] (a and b are int32, kind an integer in
 * [0, 2^20)), so a comparison and its payload share cache lines.
 * - near: a 4-ary heap of the events before the frontier F;
 * - with `bucketWidthS` > 0 (the model: thousands of 1-10 s timers pending), events at or
 *   after F wait unsorted in a ring of buckets of that width (a power of two), or in an
 *   overflow heap beyond the ring; whenever the heap is empty or its top is >= F, the bucket
 *   at F is poured into the heap and F advances one width. Every waiting event is >= F, so
 *   the heap top is always the global minimum, and the heap stays small (cache-resident)
 *   instead of holding every pending timer.
 * Capacity grows by doubling; no allocation per event.
 */

const SEQ_SPAN = 2 ** 40
const U32 = 4294967296
const INV_U32 = 1 / U32
/** The ring of buckets spans this many seconds (rounded up to a power-of-two bucket count); later events go to the overflow heap. */
const RING_S = 64

/** Binary heap of 4-double records (the overflow tier; rarely used). */
class RecordHeap {
  h = new Float64Array(64 * 4)
  size = 0
  push(t: number, tie: number, ka: number, b: number): void {
    if (this.size * 4 === this.h.length) {
      const n = new Float64Array(this.h.length * 2)
      n.set(this.h)
      this.h = n
    }
    const h = this.h
    let pos = this.size++
    while (pos > 0) {
      const p = (pos - 1) >> 1
      const pi = p << 2
      if (h[pi]! < t || (h[pi]! === t && h[pi + 1]! < tie)) break
      h.copyWithin(pos << 2, pi, pi + 4)
      pos = p
    }
    const o = pos << 2
    h[o] = t
    h[o + 1] = tie
    h[o + 2] = ka
    h[o + 3] = b
  }
  /** Remove the top record (read it from h[0..3] first). */
  pop(): void {
    const h = this.h
    const last = --this.size
    if (last === 0) return
    const lo = last << 2
    const t = h[lo]!
    const tie = h[lo + 1]!
    const ka = h[lo + 2]!
    const b = h[lo + 3]!
    let pos = 0
    for (;;) {
      let c = 2 * pos + 1
      if (c >= last) break
      const r = c + 1
      if (r < last && (h[r << 2]! < h[c << 2]! || (h[r << 2]! === h[c << 2]! && h[(r << 2) + 1]! < h[(c << 2) + 1]!))) c = r
      const co = c << 2
      if (t < h[co]! || (t === h[co]! && tie < h[co + 1]!)) break
      h.copyWithin(pos << 2, co, co + 4)
      pos = c
    }
    const o = pos << 2
    h[o] = t
    h[o + 1] = tie
    h[o + 2] = ka
    h[o + 3] = b
  }
}

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
  /** Near heap: records of 4 doubles, by heap position. */
  private h: Float64Array
  // far tier (bucketWidthS > 0)
  /** Frontier: the near heap holds every event < F (F = fb * width). */
  private F = Infinity
  private fb = 0
  private readonly width: number
  private readonly invWidth: number
  private waiting = 0
  private ringCount = 0
  private readonly nb: number
  private bHead: Int32Array
  private rec: Float64Array
  private recNext: Int32Array
  private freeRec = -1
  private readonly over = new RecordHeap()

  /** `bucketWidthS` > 0 enables the bucket tier (rounded to a power of two). */
  constructor(capacity = 1024, bucketWidthS = 0) {
    this.h = new Float64Array(Math.max(1, capacity) * 4)
    if (bucketWidthS > 0) {
      this.width = 2 ** Math.round(Math.log2(bucketWidthS))
      this.invWidth = 1 / this.width
      this.F = 0
      this.nb = 2 ** Math.max(10, Math.ceil(Math.log2(RING_S / this.width)))
      this.bHead = new Int32Array(this.nb).fill(-1)
      this.rec = new Float64Array(0)
      this.recNext = new Int32Array(0)
      this.growRec(1024)
    } else {
      this.width = Infinity
      this.invWidth = 0
      this.nb = 0
      this.bHead = new Int32Array(0)
      this.rec = new Float64Array(0)
      this.recNext = new Int32Array(0)
    }
  }

  get length(): number {
    return this.size + this.waiting
  }

  /** Schedule an event at absolute time `time` (>= now); lower priority runs first on equal times. */
  schedule(time: number, priority: number, kind: number, a: number, b: number): void {
    const tie = priority * SEQ_SPAN + this.seq++
    const ka = kind * U32 + (a >>> 0)
    const bb = b | 0
    if (time >= this.F) {
      this.park(time, tie, ka, bb)
      return
    }
    this.insertNear(time, tie, ka, bb)
  }

  /** Time of the next event, or Infinity when empty. */
  peek(): number {
    while (this.waiting > 0 && (this.size === 0 || this.h[0]! >= this.F)) this.advance()
    return this.size > 0 ? this.h[0]! : Infinity
  }

  /** Pop the next event into now/kind/a/b; returns false when empty. */
  step(): boolean {
    while (this.waiting > 0 && (this.size === 0 || this.h[0]! >= this.F)) this.advance()
    const n = this.size
    if (n === 0) return false
    const h = this.h
    this.now = h[0]!
    const ka = h[2]!
    const kind = Math.floor(ka * INV_U32) // exact: 2^-32 is a power of two
    this.kind = kind
    this.a = (ka - kind * U32) | 0
    this.b = h[3]!
    this.popped++
    const last = n - 1
    this.size = last
    if (last === 0) return true
    const lo = last << 2
    const t = h[lo]!
    const ti = h[lo + 1]!
    let pos = 0
    for (;;) {
      const c0 = (pos << 2) + 1
      if (c0 >= last) break
      // smallest of up to 4 children (unrolled when all 4 exist)
      let c = c0
      let co = c0 << 2
      let ct = h[co]!
      let cti = h[co + 1]!
      if (c0 + 3 < last) {
        let k = co + 4
        let kt = h[k]!
        if (kt < ct || (kt === ct && h[k + 1]! < cti)) {
          co = k
          ct = kt
          cti = h[k + 1]!
        }
        k += 4
        kt = h[k]!
        if (kt < ct || (kt === ct && h[k + 1]! < cti)) {
          co = k
          ct = kt
          cti = h[k + 1]!
        }
        k += 4
        kt = h[k]!
        if (kt < ct || (kt === ct && h[k + 1]! < cti)) {
          co = k
          ct = kt
          cti = h[k + 1]!
        }
        c = co >> 2
      } else {
        for (let k = c0 + 1; k < last; k++) {
          const kt = h[k << 2]!
          if (kt < ct || (kt === ct && h[(k << 2) + 1]! < cti)) {
            c = k
            ct = kt
            cti = h[(k << 2) + 1]!
          }
        }
        co = c << 2
      }
      if (t < ct || (t === ct && ti < cti)) break
      const o = pos << 2
      h[o] = ct
      h[o + 1] = cti
      h[o + 2] = h[co + 2]!
      h[o + 3] = h[co + 3]!
      pos = c
    }
    const o = pos << 2
    h[o] = t
    h[o + 1] = ti
    h[o + 2] = h[lo + 2]!
    h[o + 3] = h[lo + 3]!
    return true
  }

  /** An event at or after the frontier: into its bucket, or the overflow heap beyond the ring. */
  private park(time: number, tie: number, ka: number, b: number): void {
    this.waiting++
    const id = Math.floor(time * this.invWidth) // exact: the width is a power of two
    if (id - this.fb >= this.nb || !(id < Infinity)) {
      this.over.push(time, tie, ka, b)
      return
    }
    if (this.freeRec < 0) this.growRec(this.recNext.length * 2)
    const r = this.freeRec
    this.freeRec = this.recNext[r]!
    const o = r << 2
    const rec = this.rec
    rec[o] = time
    rec[o + 1] = tie
    rec[o + 2] = ka
    rec[o + 3] = b
    const slot = id & (this.nb - 1)
    this.recNext[r] = this.bHead[slot]!
    this.bHead[slot] = r
    this.ringCount++
  }

  /** Pour the bucket at the frontier (and overflow events up to it) into the heap; F += width. */
  private advance(): void {
    const over = this.over
    if (this.ringCount === 0) {
      // nothing in the ring: jump to the overflow's first bucket
      const t = over.h[0]!
      if (!(t < Infinity)) {
        this.pourTop()
        return
      }
      const id = Math.floor(t * this.invWidth)
      if (id > this.fb) this.fb = id
    }
    const fb = this.fb
    const slot = fb & (this.nb - 1)
    let r = this.bHead[slot]!
    this.bHead[slot] = -1
    const rec = this.rec
    // the frontier moves first, so the pour below lands in the heap (time < F)
    this.fb = fb + 1
    this.F = (fb + 1) * this.width
    while (r >= 0) {
      const o = r << 2
      const nx = this.recNext[r]!
      this.waiting--
      this.ringCount--
      this.insertNear(rec[o]!, rec[o + 1]!, rec[o + 2]!, rec[o + 3]!)
      this.recNext[r] = this.freeRec
      this.freeRec = r
      r = nx
    }
    while (over.size > 0 && Math.floor(over.h[0]! * this.invWidth) <= fb) this.pourTop()
  }

  private pourTop(): void {
    const over = this.over
    const oh = over.h
    this.waiting--
    this.insertNear(oh[0]!, oh[1]!, oh[2]!, oh[3]!)
    over.pop()
  }

  private insertNear(time: number, tie: number, ka: number, b: number): void {
    if (this.size * 4 === this.h.length) this.grow()
    const h = this.h
    let pos = this.size++
    while (pos > 0) {
      const parent = (pos - 1) >> 2
      const pi = parent << 2
      const pt = h[pi]!
      if (pt < time || (pt === time && h[pi + 1]! < tie)) break
      const o = pos << 2
      h[o] = pt
      h[o + 1] = h[pi + 1]!
      h[o + 2] = h[pi + 2]!
      h[o + 3] = h[pi + 3]!
      pos = parent
    }
    const o = pos << 2
    h[o] = time
    h[o + 1] = tie
    h[o + 2] = ka
    h[o + 3] = b
  }

  private grow(): void {
    const b = new Float64Array(this.h.length * 2)
    b.set(this.h)
    this.h = b
  }

  private growRec(n: number): void {
    const old = this.recNext.length
    const rec = new Float64Array(n * 4)
    rec.set(this.rec)
    const nx = new Int32Array(n)
    nx.set(this.recNext)
    // new records onto the free list (all old ones are in use when this runs)
    for (let i = old; i < n; i++) nx[i] = i + 1 < n ? i + 1 : this.freeRec
    this.freeRec = old
    this.rec = rec
    this.recNext = nx
  }
}
