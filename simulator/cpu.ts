/**
 * Processor sharing on a host's cores (Linux CFS, to the grain of its time slices): n runnable
 * jobs on c cores each run at min(1, c / n) of a core. Every job progresses at the same rate,
 * so they finish in the order of (virtual start + work): a virtual clock V that advances at
 * that rate, and a binary heap of finishing virtual times. Only the earliest completion needs
 * an event; the caller reschedules it whenever `nextAt()` changes (an arrival, a completion).
 *
 * Pure: no I/O, no randomness; the model owns the event queue.
 */
export class CpuShare {
  /** Runnable jobs (on the cores or waiting for one). */
  n = 0
  /** Virtual time: CPU seconds every runnable job has received since the start. */
  private v = 0
  /** Simulated time at which v was last brought up to date. */
  private at = 0
  /** Heap by finishing virtual time: the key and the slot of each entry. */
  private key = new Float64Array(16)
  private slot = new Int32Array(16)
  /** Per slot: the caller's id and two values (e.g. a connection and the rest of its service), and when the job was added. */
  private ids = new Int32Array(16)
  private vals = new Float64Array(32)
  private starts = new Float64Array(16)
  private freeSlots: number[] = []
  private slots = 0

  constructor(readonly cores: number) {
    if (!(cores >= 1)) throw new Error('CpuShare needs at least 1 core')
  }

  /** The id a job was added with (valid until its slot is reused by a later add). */
  idOf(slot: number): number {
    return this.ids[slot]!
  }

  /** The values a job was added with. */
  valOf(slot: number): number {
    return this.vals[slot << 1]!
  }
  val2Of(slot: number): number {
    return this.vals[(slot << 1) + 1]!
  }

  /** When the job became runnable. */
  startOf(slot: number): number {
    return this.starts[slot]!
  }

  /** The rate each runnable job gets (share of one core). */
  rate(): number {
    return this.n <= this.cores ? 1 : this.cores / this.n
  }

  private advance(now: number): void {
    if (this.n > 0) this.v += (now - this.at) * this.rate()
    this.at = now
  }

  /** A job needing `work` CPU seconds becomes runnable at `now`; returns its slot (id, values and start are kept there until it finishes). */
  add(now: number, work: number, id: number, val: number, val2 = 0): number {
    this.advance(now)
    let s: number
    if (this.freeSlots.length > 0) s = this.freeSlots.pop()!
    else {
      s = this.slots++
      if (s === this.ids.length) {
        const ni = new Int32Array(s * 2)
        ni.set(this.ids)
        const nv = new Float64Array(s * 4)
        nv.set(this.vals)
        const ns = new Float64Array(s * 2)
        ns.set(this.starts)
        this.ids = ni
        this.vals = nv
        this.starts = ns
      }
    }
    this.ids[s] = id
    this.vals[s << 1] = val
    this.vals[(s << 1) + 1] = val2
    this.starts[s] = now
    this.push(this.v + Math.max(0, work), s)
    return s
  }

  /** When the next job finishes at the current rate (Infinity when none runs). */
  nextAt(): number {
    if (this.n === 0) return Infinity
    return this.at + Math.max(0, this.key[0]! - this.v) / this.rate()
  }

  /** The earliest job finishes at `now` (its nextAt): remove it and return its slot (read idOf / valOf before the next add). */
  pop(now: number): number {
    this.advance(now)
    const k = this.key[0]!
    // it was due now: rounding must not leave the others behind it
    if (k > this.v) this.v = k
    const s = this.slot[0]!
    this.freeSlots.push(s)
    const n = --this.n
    if (n > 0) {
      const lk = this.key[n]!
      const ls = this.slot[n]!
      let pos = 0
      for (;;) {
        let c = 2 * pos + 1
        if (c >= n) break
        if (c + 1 < n && this.key[c + 1]! < this.key[c]!) c++
        if (lk <= this.key[c]!) break
        this.key[pos] = this.key[c]!
        this.slot[pos] = this.slot[c]!
        pos = c
      }
      this.key[pos] = lk
      this.slot[pos] = ls
    }
    return s
  }

  private push(k: number, s: number): void {
    if (this.n === this.key.length) {
      const nk = new Float64Array(this.n * 2)
      nk.set(this.key)
      const ns = new Int32Array(this.n * 2)
      ns.set(this.slot)
      this.key = nk
      this.slot = ns
    }
    let pos = this.n++
    while (pos > 0) {
      const p = (pos - 1) >> 1
      if (this.key[p]! <= k) break
      this.key[pos] = this.key[p]!
      this.slot[pos] = this.slot[p]!
      pos = p
    }
    this.key[pos] = k
    this.slot[pos] = s
  }
}
