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
 *   overflow heap beyond the ring. When the heap and the run below are both used up, the
 *   bucket at F is poured into the run, a contiguous array sorted once (a radix sort on the
 *   offset in the bucket, then an insertion pass that settles equal keys by (time, tie)), and F
 *   advances one width; events scheduled before the new F meanwhile go to the heap. A pop
 *   takes the smaller of the run's head and the heap's top. Every waiting event is >= F, so
 *   that is always the global minimum; the heap stays tiny, and a bucket's events cost one
 *   sort instead of a heap push and a full-depth heap pop each.
 * Capacity grows by doubling; no allocation per event.
 */

const SEQ_SPAN = 2 ** 40
const U32 = 4294967296
const INV_U32 = 1 / U32
/** The ring of buckets spans this many seconds (rounded up to a power-of-two bucket count); later events go to the overflow heap. */
const RING_S = 64
/** Records per chunk of a bucket (16 * 32 bytes = 512 bytes). */
const CHUNK = 16

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
  /** Per bucket: first and last chunk (-1: empty) and the number of events. */
  private bHead: Int32Array
  private bTail: Int32Array
  private bCount: Int32Array
  /** Chunks of CHUNK records (4 doubles each), filled in park order, linked per bucket. */
  private chunk: Float64Array
  private chunkNext: Int32Array
  private chunkFill: Int32Array
  private freeChunk = -1
  private readonly over = new RecordHeap()
  /** The sorted run: the poured bucket, records of 4 doubles, popped from srPos up to srLen. */
  private sr = new Float64Array(0)
  private srPos = 0
  private srLen = 0
  /** Pour scratch: the bucket's records in park order. */
  private gather = new Float64Array(0)
  /** Radix-sort scratch: keys, orders, and the two digit counts. */
  private rkey = new Int32Array(0)
  private rord = new Int32Array(0)
  private rtmp = new Int32Array(0)
  private readonly cnt0 = new Int32Array(256)
  private readonly cnt1 = new Int32Array(256)
  private readonly bucketed: boolean
  /**
   * Optional early read of each poured event's row (see `touchRows`): the view, the log2 of a
   * row's length in its elements, and where the reads' sum goes (so the reads are kept).
   */
  private touchView: Int32Array | null = null
  private touchShift = 0
  touchSink = 0

  /** `bucketWidthS` > 0 enables the bucket tier (rounded to a power of two). */
  constructor(capacity = 1024, bucketWidthS = 0) {
    this.h = new Float64Array(Math.max(1, capacity) * 4)
    this.bucketed = bucketWidthS > 0
    if (bucketWidthS > 0) {
      this.width = 2 ** Math.round(Math.log2(bucketWidthS))
      this.invWidth = 1 / this.width
      this.F = 0
      this.nb = 2 ** Math.max(10, Math.ceil(Math.log2(RING_S / this.width)))
      this.bHead = new Int32Array(this.nb).fill(-1)
      this.bTail = new Int32Array(this.nb).fill(-1)
      this.bCount = new Int32Array(this.nb)
      this.chunk = new Float64Array(0)
      this.chunkNext = new Int32Array(0)
      this.chunkFill = new Int32Array(0)
      this.growChunks(256)
    } else {
      this.width = Infinity
      this.invWidth = 0
      this.nb = 0
      this.bHead = new Int32Array(0)
      this.bTail = new Int32Array(0)
      this.bCount = new Int32Array(0)
      this.chunk = new Float64Array(0)
      this.chunkNext = new Int32Array(0)
      this.chunkFill = new Int32Array(0)
    }
  }

  /**
   * Memory-level parallelism for the caller's per-event rows: when a bucket is poured, read one
   * word of every 64-byte line of row `a` (view indexes a << shift up to (a + 1) << shift) of
   * every event in it with a >= 0, in one loop of independent loads, so the rows that went cold
   * since their events were scheduled arrive together instead of one stall per event. Pass the
   * view again after it is reallocated.
   */
  touchRows(view: Int32Array, shift: number): void {
    this.touchView = view
    this.touchShift = shift
  }

  get length(): number {
    return this.size + this.waiting + this.srLen - this.srPos
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
    if (this.bucketed || this.waiting > 0) {
      while (this.size === 0 && this.srPos === this.srLen && this.waiting > 0) this.advance()
      const r = this.srPos < this.srLen ? this.sr[this.srPos << 2]! : Infinity
      return this.size > 0 && this.h[0]! < r ? this.h[0]! : r
    }
    return this.size > 0 ? this.h[0]! : Infinity
  }

  /** Pop the next event into now/kind/a/b; returns false when empty. */
  step(): boolean {
    // (without buckets, only events at Infinity wait: in the overflow heap)
    if (this.bucketed || this.waiting > 0) return this.stepBucketed()
    return this.popNear()
  }

  private stepBucketed(): boolean {
    for (;;) {
      const sp = this.srPos
      if (sp < this.srLen) {
        const sr = this.sr
        const so = sp << 2
        const st = sr[so]!
        if (this.size > 0) {
          const ht = this.h[0]!
          if (ht < st || (ht === st && this.h[1]! < sr[so + 1]!)) return this.popNear()
        }
        this.srPos = sp + 1
        this.now = st
        const ka = sr[so + 2]!
        const kind = Math.floor(ka * INV_U32)
        this.kind = kind
        this.a = (ka - kind * U32) | 0
        this.b = sr[so + 3]!
        this.popped++
        return true
      }
      if (this.size > 0) return this.popNear()
      if (this.waiting === 0) return false
      this.advance()
    }
  }

  /** Pop the near heap's top into now/kind/a/b; false when the heap is empty. */
  private popNear(): boolean {
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
    const slot = id & (this.nb - 1)
    let c = this.bTail[slot]!
    if (c < 0 || this.chunkFill[c] === CHUNK) {
      // a new chunk at the bucket's tail
      if (this.freeChunk < 0) this.growChunks(this.chunkNext.length * 2)
      const nc = this.freeChunk
      this.freeChunk = this.chunkNext[nc]!
      this.chunkNext[nc] = -1
      this.chunkFill[nc] = 0
      if (c < 0) this.bHead[slot] = nc
      else this.chunkNext[c] = nc
      this.bTail[slot] = nc
      c = nc
    }
    const f = this.chunkFill[c]!
    this.chunkFill[c] = f + 1
    const o = (c * CHUNK + f) << 2
    const ch = this.chunk
    ch[o] = time
    ch[o + 1] = tie
    ch[o + 2] = ka
    ch[o + 3] = b
    this.bCount[slot]!++
    this.ringCount++
  }

  /**
   * Called with the run and the heap used up: pour the bucket at the frontier into the run,
   * sorted (overflow events up to it go to the heap); F += width.
   */
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
    let c = this.bHead[slot]!
    const n = this.bCount[slot]!
    this.bHead[slot] = -1
    this.bTail[slot] = -1
    this.bCount[slot] = 0
    // the frontier moves first, so events scheduled from now on before it go to the heap
    this.fb = fb + 1
    this.F = (fb + 1) * this.width
    if (this.gather.length < n * 4) {
      const cap = Math.max(n, 256, (this.gather.length >> 2) * 2)
      this.gather = new Float64Array(cap * 4)
      this.sr = new Float64Array(cap * 4)
      this.rkey = new Int32Array(cap)
      this.rord = new Int32Array(cap)
      this.rtmp = new Int32Array(cap)
    }
    // the bucket's chunks in order, each a contiguous block: park order
    const g = this.gather
    const ch = this.chunk
    const next = this.chunkNext
    let go = 0
    while (c >= 0) {
      const end = ((c * CHUNK) << 2) + (this.chunkFill[c]! << 2)
      for (let k = (c * CHUNK) << 2; k < end; k++) g[go++] = ch[k]!
      const nx = next[c]!
      next[c] = this.freeChunk
      this.freeChunk = c
      c = nx
    }
    this.waiting -= n
    this.ringCount -= n
    const tv = this.touchView
    if (tv !== null) {
      const sh = this.touchShift
      const lim = tv.length >> sh
      const words = 1 << sh
      let acc = 0
      for (let i = 0; i < n; i++) {
        const ka = g[(i << 2) + 2]!
        const a = (ka - Math.floor(ka * INV_U32) * U32) | 0
        if (a >= 0 && a < lim) for (let w = a << sh, e = w + words; w < e; w += 16) acc = (acc + tv[w]!) | 0
      }
      this.touchSink = acc
    }
    this.sortInto(n, fb * this.width)
    this.srPos = 0
    this.srLen = n
    while (over.size > 0 && Math.floor(over.h[0]! * this.invWidth) <= fb) this.pourTop()
  }

  /**
   * Sort the n gathered records of the bucket starting at `base` into the run by (time, tie):
   * a stable two-pass LSD radix sort (8 + 8 bits) on the 16-bit offset in the bucket
   * (1/2^24 s for 1/256 s buckets), so equal keys keep park order, then an insertion pass
   * that orders those by exact time and tie (priorities; times closer than the key's step).
   */
  private sortInto(n: number, base: number): void {
    const g = this.gather
    const sr = this.sr
    if (n > 16) {
      const key = this.rkey
      const ord = this.rord
      const tmp = this.rtmp
      const c0 = this.cnt0
      const c1 = this.cnt1
      c0.fill(0)
      c1.fill(0)
      const sc = this.invWidth * 65536
      for (let i = 0; i < n; i++) {
        let k = Math.floor((g[i << 2]! - base) * sc)
        if (k > 65535) k = 65535
        key[i] = k
        c0[k & 255]++
        c1[k >> 8]++
      }
      let a = 0
      let b = 0
      for (let d = 0; d < 256; d++) {
        const x = c0[d]!
        c0[d] = a
        a += x
        const y = c1[d]!
        c1[d] = b
        b += y
      }
      for (let i = 0; i < n; i++) tmp[c0[key[i]! & 255]!++] = i
      for (let j = 0; j < n; j++) {
        const i = tmp[j]!
        ord[c1[key[i]! >> 8]!++] = i
      }
      for (let j = 0; j < n; j++) {
        const go = ord[j]! << 2
        const so = j << 2
        sr[so] = g[go]!
        sr[so + 1] = g[go + 1]!
        sr[so + 2] = g[go + 2]!
        sr[so + 3] = g[go + 3]!
      }
    } else sr.set(g.subarray(0, n * 4))
    // insertion pass: exact (time, tie) order (everything when the key sort was skipped)
    for (let j = 1; j < n; j++) {
      const o = j << 2
      const t = sr[o]!
      const tie = sr[o + 1]!
      let p = j - 1
      let po = p << 2
      if (sr[po]! < t || (sr[po]! === t && sr[po + 1]! < tie)) continue
      const ka = sr[o + 2]!
      const b = sr[o + 3]!
      do {
        sr[po + 4] = sr[po]!
        sr[po + 5] = sr[po + 1]!
        sr[po + 6] = sr[po + 2]!
        sr[po + 7] = sr[po + 3]!
        p--
        po -= 4
      } while (p >= 0 && (sr[po]! > t || (sr[po]! === t && sr[po + 1]! > tie)))
      const d = po + 4
      sr[d] = t
      sr[d + 1] = tie
      sr[d + 2] = ka
      sr[d + 3] = b
    }
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

  private growChunks(n: number): void {
    const old = this.chunkNext.length
    const ch = new Float64Array(n * CHUNK * 4)
    ch.set(this.chunk)
    const nx = new Int32Array(n)
    nx.set(this.chunkNext)
    const fill = new Int32Array(n)
    fill.set(this.chunkFill)
    // new chunks onto the free list (all old ones are in use when this runs)
    for (let i = old; i < n; i++) nx[i] = i + 1 < n ? i + 1 : this.freeChunk
    this.freeChunk = old
    this.chunk = ch
    this.chunkNext = nx
    this.chunkFill = fill
  }

}
