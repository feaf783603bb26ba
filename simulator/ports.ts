/**
 * Ephemeral source ports for outgoing connect() towards one (src IP, dst IP, dst port)
 * tuple, after Linux `__inet_hash_connect()` (semantics.md 5.1, 4.3):
 *   - the range [low, high] minus reserved ports; `remaining = (high - low + 1) & ~1`, the scan
 *     wrapping at high + 1 by `remaining` (so an odd range's last port is reachable from offset > 0);
 *   - a per-tuple perturb offset; first pass scans ports of low's parity in steps of 2,
 *     then the other parity; after a success the offset advances by
 *     `2 + max(i, random_below(8) * 2)` (i = ports tried);
 *   - a port is usable when its 4-tuple is unused, or is in TIME_WAIT and tcp_tw_reuse
 *     allows reuse (1, or 2 on loopback; timestamps on; TIME_WAIT older than
 *     tcp_tw_reuse_delay);
 *   - none usable: EADDRNOTAVAIL (-1).
 * TIME_WAIT ends lazily: a port whose TIME_WAIT started >= `twLenS` ago counts as unused,
 * so no expiry events are needed. Times are seconds.
 */
import type { Stream } from './random'

const FREE = 0
const BUSY = 1
const TW = 2

export class PortPool {
  readonly low: number
  readonly size: number
  private readonly remaining: number
  private readonly state: Uint8Array
  private readonly twSince: Float64Array
  private readonly reserved: Uint8Array
  private perturb: number
  busy = 0
  /** Live TIME_WAIT sockets, with a FIFO of (port, since) to expire them lazily. */
  private tw = 0
  private twQPort = new Int32Array(64)
  private twQSince = new Float64Array(64)
  private twQHead = 0
  private twQLen = 0
  /** Reuse rule inputs. */
  canReuse: boolean
  reuseDelayS: number
  twLenS: number

  constructor(
    low: number,
    high: number,
    reservedCount: number,
    opts: { canReuse: boolean; reuseDelayS: number; twLenS: number; perturb: number }
  ) {
    this.low = low
    this.size = high - low + 1
    this.remaining = this.size > 1 ? this.size & ~1 : this.size
    this.state = new Uint8Array(this.size)
    this.twSince = new Float64Array(this.size)
    this.reserved = new Uint8Array(this.size)
    // reserved ports: spread evenly (their identity does not matter, only their count)
    for (let i = 0; i < reservedCount && i < this.size; i++) this.reserved[Math.floor((i * this.size) / reservedCount)] = 1
    this.canReuse = opts.canReuse
    this.reuseDelayS = opts.reuseDelayS
    this.twLenS = opts.twLenS
    this.perturb = opts.perturb
  }

  /** Port usable for a new connection at `now`? Returns 0 no, 1 free, 2 reuse of a TIME_WAIT. */
  private usable(p: number, now: number): number {
    const s = this.state[p]!
    if (s === FREE) return 1
    if (s === TW) {
      const age = now - this.twSince[p]!
      if (age >= this.twLenS) return 1
      if (this.canReuse && age >= this.reuseDelayS) return 2
    }
    return 0
  }

  /**
   * connect(): pick a port index (0-based) or -1 (EADDRNOTAVAIL). `killTw` is called when a
   * live TIME_WAIT is reused (it ends early). `rnd` draws the kernel's random step.
   */
  connect(now: number, rnd: Stream): number {
    const rem = this.remaining
    let offset = (this.perturb % rem) & ~1
    let i = 0
    for (let pass = 0; pass < 2; pass++) {
      let port = offset
      for (i = 0; i < rem; i += 2, port += 2) {
        // the kernel wraps at the range's end (`port >= high`), not at `remaining`: in an odd-sized
        // range each scan reaches `remaining` ports, the last one only from an offset > 0
        if (port >= this.size) port -= rem
        if (this.reserved[port]) continue
        const u = this.usable(port, now)
        if (u !== 0) {
          if (u === 2) this.tw-- // a live TIME_WAIT reused early (tcp_tw_reuse)
          else if (this.state[port] === TW) this.expireUpTo(now)
          this.state[port] = BUSY
          this.busy++
          const step = Math.max(i, Math.floor(rnd.next() * 8) * 2)
          this.perturb += step + 2
          return port
        }
      }
      offset++
      if (!(offset & 1) || rem <= 1) break
    }
    return -1
  }

  /** The connection on port `p` closed; `timeWait`: this side holds TIME_WAIT for twLenS. */
  release(p: number, now: number, timeWait: boolean): void {
    if (this.state[p] !== BUSY) return
    this.busy--
    if (timeWait) {
      this.state[p] = TW
      this.twSince[p] = now
      this.tw++
      if (this.twQLen === this.twQPort.length) {
        const n = this.twQPort.length * 2
        const qp = new Int32Array(n)
        const qs = new Float64Array(n)
        for (let i = 0; i < this.twQLen; i++) {
          qp[i] = this.twQPort[(this.twQHead + i) % this.twQPort.length]!
          qs[i] = this.twQSince[(this.twQHead + i) % this.twQPort.length]!
        }
        this.twQPort = qp
        this.twQSince = qs
        this.twQHead = 0
      }
      const at = (this.twQHead + this.twQLen) % this.twQPort.length
      this.twQPort[at] = p
      this.twQSince[at] = now
      this.twQLen++
    } else this.state[p] = FREE
  }

  /** Drop expired TIME_WAIT entries from the FIFO (entries of ports reused meanwhile are stale). */
  private expireUpTo(now: number): void {
    while (this.twQLen > 0) {
      const since = this.twQSince[this.twQHead]!
      if (since + this.twLenS > now) break
      const p = this.twQPort[this.twQHead]!
      this.twQHead = (this.twQHead + 1) % this.twQPort.length
      this.twQLen--
      if (this.state[p] === TW && this.twSince[p] === since) {
        this.state[p] = FREE
        this.tw--
      }
    }
  }

  /** Upper bound of live TIME_WAIT sockets (expired ones not yet dropped included). */
  get twUpper(): number {
    return this.tw
  }

  /** Live TIME_WAIT sockets of this tuple at `now`. */
  twCount(now: number): number {
    this.expireUpTo(now)
    return this.tw
  }

  /**
   * Ports usable for a brand-new connection right now (for the free_ports column), in O(1)
   * plus the TIME_WAIT entries younger than the reuse delay: all ports of the scan minus busy
   * ones minus live TIME_WAIT that cannot be reused yet.
   */
  freeCount(now: number): number {
    let reserved = 0
    if (this.reservedCount === -1) {
      for (let p = 0; p < this.remaining; p++) reserved += this.reserved[p]!
      this.reservedCount = reserved
    }
    const tw = this.twCount(now)
    let blocked = tw
    if (this.canReuse) {
      // live TIME_WAIT older than the reuse delay is reusable: count only the young ones
      blocked = 0
      for (let i = this.twQLen - 1; i >= 0; i--) {
        const j = (this.twQHead + i) % this.twQPort.length
        const since = this.twQSince[j]!
        if (now - since >= this.reuseDelayS) break
        const p = this.twQPort[j]!
        if (this.state[p] === TW && this.twSince[p] === since) blocked++
      }
    }
    return Math.max(0, this.remaining - this.reservedCount - this.busy - blocked)
  }

  private reservedCount = -1
}
