/**
 * The discrete-event model: clients -> kernel listen queues -> HAProxy -> backends.
 *
 * Every TCP connection is a 128-byte record (a "conn", layout below), with an initiator side
 * (SYN_SENT -> ESTABLISHED) and a listener side (request sock in the SYN queue, or cookie,
 * -> accept queue -> accepted by the process), following semantics.md Appendix B:
 *   SYN at a listener: SYN-queue test per era (pow2 / B / B+1), syncookies 0/1/2, the
 *   accept-queue-full drop (always on 4.9+, only with young > 1 before), the 3/4
 *   tcp_max_syn_backlog rule with syncookies=0, tw_recycle PAWS drops of NAT'd clients;
 *   final ACK / data: promotion to the accept queue (B+1) or ListenOverflows with
 *   abort_on_overflow 0 (request stays, retried by SYN-ACK retransmits and the client's
 *   data retransmits; expiry -> RST) or 1 (RST);
 *   initiator: SYN retransmits per era (exponential, or linear first on 6.5+), give-up
 *   per tcp_model_timeout, kernel timers rounded to the timer wheel's granularity (>= 4.8),
 *   which is why retransmitted SYNs arrive in bursts.
 * HAProxy: accept gated by bind / frontend / global maxconn (listener paused, kernel queue
 * fills), fd limit (EMFILE, 100 ms pause), tune.maxaccept per loop; server maxconn and the
 * backend queue (requests without a server; not capped by maxqueue) and per-server queues
 * (hash balance or leastconn with maxqueue; capped by maxqueue -> 503) with timeout queue
 * (503, econ); timeout connect, retries (wretr), redispatch; source ports per server tuple
 * (EADDRNOTAVAIL -> retries -> 503 / close); per-request or kept-alive server connections
 * shared per `http-reuse` (never / safe / aggressive / always); TIME_WAIT where the closer is.
 * Backends: generic (thread per connection: accepts only with an idle worker),
 * nginx-echo (event driven, fixed delay), nginx + php-fpm (unix socket: EAGAIN -> 502;
 * TCP: a kernel listener, fastcgi connect timeout -> 504).
 *
 * Times are seconds. Hosts: 0 client, 1 proxy, 2 backend.
 */
import { EventQueue } from './engine'
import { Stream, STREAM } from './random'
import { Histogram } from './stats'
import { PortPool } from './ports'
import { SampledMax } from './sampler'
import { CpuShare } from './cpu'
import {
  curvePeak,
  curveRate,
  effectiveBacklog,
  haproxyEffectiveLimits,
  kernelHz,
  kernelTraits,
  nextEvenArrival,
  NGINX_RESERVED_CONNS,
  timerAt,
  synQueueCapacity,
  synSchedule,
  synackSchedule,
  type HaproxyLimits,
  type KernelConfig,
  type KernelTraits,
  type Scenario,
  type HaproxyServer,
  type ServerCheck,
  serverDownAtS,
  serverRefusesFromStart,
  twReuseApplies
} from './scenario'
import {
  BASE_COLUMNS,
  FAILURE_CAUSES,
  zeroCounters,
  type AbStopReason,
  type CeilingKind,
  type FailureCause,
  type HaproxyStatRow,
  type KernelCounters,
  type ListenerInfo,
  type SimSummary
} from './result'

// ------------------------------------------------------------ model constants --
/** Key of a client TIME_WAIT ring entry whose port a new connect took over (tcp_tw_reuse). */
const TW_REUSED = -2
/** One-way delay of a veth / loopback hop with no configured RTT (s). */
export const MIN_OWD_S = 15e-6
/**
 * Softirq handshakes on hops without added delay (veth or loopback: RTT 0 and no delay link).
 * There a packet is handled by NET_RX on the sending CPU, in order, within microseconds:
 * - a connect() from process context (netif_rx, then local_bh_enable) completes SYN, SYN-ACK
 *   and ACK inside the syscall, so the child reaches the accept queue, or the SYN is dropped,
 *   before the process does anything else: no ACK can overflow a queue that filled meanwhile;
 * - a SYN retransmitted from the timer softirq is only queued to the backlog; NET_RX runs after
 *   every timer of that jiffy, so the jiffy's SYNs reach the listener one after the other
 *   (SOFTIRQ_S apart) before any of their ACKs: a burst fills the SYN queue first, and the ACKs
 *   beyond the accept queue's room overflow (the request socks stay in the SYN queue);
 * - a request segment resent from the timer softirq is queued the same way (EV_DATA_RX); the
 *   request of a retransmitted handshake is written when its process runs, after the burst; and
 *   an acceptor a packet of the burst woke may run only after it (BURST_WAKE_OWNERS).
 * On (what the kernel does; semantics 7.1's 9 clients in SYN-SENT); `setSoftirqHandshake(false)`
 * gives per-packet delays on every hop, for studies. Effects per case: docs/simulator.md.
 */
export let SOFTIRQ_HANDSHAKE = true
/**
 * Time per packet step while NET_RX works through a burst queued from the timer softirq (s):
 * each of the jiffy's retransmitted SYNs, then each SYN-ACK + ACK, this far apart. Measured on
 * this 6.18 VM kind (scripts/softirq-burst.py, docs/simulator.md): the timer softirq queues a
 * SYN per 1.8 us and NET_RX starts after it; NET_RX then takes 1.2 us per dropped SYN, 2.5 us
 * per admitted one and 3.1 us per SYN-ACK + ACK (medians of 12 bursts of 60-250 SYNs). So a
 * SYN reaches the listener ~3-4.3 us after the one before it, its ACK 3.1 us after the one
 * before: 3 us per step.
 */
export const DEFAULT_SOFTIRQ_S = 3e-6
export let SOFTIRQ_S = DEFAULT_SOFTIRQ_S
/**
 * Which acceptors (bit per Listener.owner: 1 HAProxy, 2 a backend server's front process, 4
 * php-fpm) asleep in accept() run only after a burst of packets queued from the timer softirq
 * has been handled, when a packet of that burst woke them. The burst runs in NET_RX on one CPU;
 * the woken process waits for that CPU or for an idle vCPU to be woken, which on this VM kind
 * takes longer than a burst of a few dozen packets. Effects per case: docs/simulator.md.
 */
export let BURST_WAKE_OWNERS = 4
export function setBurstWakeOwners(mask: number): void {
  BURST_WAKE_OWNERS = mask
}
/**
 * Retransmits of a SYN that tcp_tw_recycle's PAWS check dropped, when the same check is certain
 * to drop them too, are counted when the first drop happens instead of run as events
 * (Model.pawsCertain). Off only to check that this changes nothing (tests).
 */
export let PAWS_CHAIN = true
export function setPawsChain(on: boolean): void {
  PAWS_CHAIN = on
}
/** Turn softirq handshakes on hops without added delay on or off, and set SOFTIRQ_S (sensitivity studies, tests). */
export function setSoftirqHandshake(on: boolean, perPacketS = SOFTIRQ_S): void {
  SOFTIRQ_HANDSHAKE = on
  SOFTIRQ_S = perPacketS
}
/** CPU time of one connect() in a load generator: connects started together are this far apart (s). */
export let CONNECT_COST_S = 20e-6
/**
 * User-space reaction time of a process woken by a socket event before its next syscall
 * (a load generator reconnecting after a response, nginx connecting upstream after reading
 * a request): scheduler wake-up plus handling. Decides who wins a freed accept-queue slot.
 */
export let APP_REACT_S = 100e-6
/**
 * Per-packet delivery jitter of a host-local hop (veth / loopback softirq processing and
 * scheduling on a busy host): uniform 0..HOST_JITTER_S added to each one-way delay, on top
 * of the configured network jitter. It decorrelates otherwise lock-stepped clients.
 */
export let HOST_JITTER_S = 100e-6
/** Sensitivity studies may vary the host-level timing constants (s). */
export function setHostTiming(reactS: number, jitterS: number, connectCostS = CONNECT_COST_S, hz = KERNEL_HZ): void {
  APP_REACT_S = reactS
  HOST_JITTER_S = jitterS
  CONNECT_COST_S = connectCostS
  KERNEL_HZ = hz
}
/**
 * CPU time one HAProxy thread spends forwarding a response (write to the client, close,
 * stream teardown), s: ~30 us on a small VM thread doing ~10k requests/s end to end.
 * HAProxy's event loop handles the events of one poll in a batch and
 * only then polls the (resumed) listener again, so a burst of N responses delays the next
 * accept() by about N times this: a client reconnecting at once can meet a still-full
 * accept queue while a retransmitted SYN a moment later finds the slot.
 */
export let HAPROXY_EVENT_S = 30e-6
/** Sensitivity studies may vary HAProxy's per-event CPU time (s). */
export function setHaproxyEventS(v: number): void {
  HAPROXY_EVENT_S = v
}
/**
 * HAProxy pool-purge-delay (default 5 s): idle server connections are purged after it. HAProxy
 * closes part of the idle pool each interval; the model closes a connection once it has been
 * idle that long (checked lazily whenever that server's pool is used).
 */
export const POOL_PURGE_DELAY_S = 5
/** HAProxy event-loop turn between accept batches of tune.maxaccept (s). */
export const HAPROXY_LOOP_S = 20e-6
/**
 * TCP minimum RTO (s) for data retransmits. 3 s (TCP_TIMEOUT_FALLBACK) only when the handshake
 * gave no RTT sample: a retransmitted SYN without TCP timestamps (see handshakeRto).
 */
export const RTO_MIN_S = 0.2
export const RTO_FALLBACK_S = 3
/** Tail loss probe timeout without an RTT sample (TCP_TIMEOUT_INIT). */
export const TLP_NO_RTT_S = 1
/** TIME_WAIT length (TCP_TIMEWAIT_LEN, fixed). */
export const TIME_WAIT_S = 60
/** php-fpm's request lifecycle around the script when the scenario does not set `requestOverheadMs` (ms, mean). */
export const FPM_OVERHEAD_MS = 1
/** Its spread: lognormal sigma (measured on the fidelity machine kind, see docs/simulator.md). */
export const FPM_OVERHEAD_SIGMA = 0.3
/** Kernel HZ override for every host (golden tests: 0 = exact timers); -1 = each host's `hz`. */
export let KERNEL_HZ = -1

// ------------------------------------------------------------------ enums --
const ROLE_CLIENT = 0 // client -> front (HAProxy or backend)
const ROLE_UPSTREAM = 1 // HAProxy -> server
const ROLE_FCGI = 2 // nginx -> php-fpm (TCP or unix)

// initiator states
const I_NONE = 0
const I_SYN_SENT = 1
const I_EST = 2
const I_DONE = 3
/** The initiator's socket is gone, its last SYN (or the request sock it left) is not: see ghostSyn. */
const I_GHOST = 4

// listener-side states
const S_NONE = 0
const S_REQ = 1 // request sock in the SYN queue
const S_COOKIE = 2 // answered with a cookie, no state
const S_ACCEPTQ = 3
const S_ACCEPTED = 4
const S_GONE = 5 // request expired / reset

// event kinds
const EV_ARRIVAL = 1
const EV_USER = 2
const EV_SYN = 3
const EV_SYN_TIMER = 4
const EV_CONNECT_TIMEOUT = 5
const EV_SYNACK = 6
const EV_ACK = 7
const EV_DATA = 8
const EV_REQSK_TIMER = 9
const EV_DATA_RTX = 10
const EV_PROXY_ACCEPT = 11
const EV_QUEUE_TIMEOUT = 13
const EV_SERVICE_DONE = 14
const EV_RESP_AT_PROXY = 15
const EV_RESP_AT_CLIENT = 16
const EV_FAIL_AT_CLIENT = 17
const EV_REQ_TIMEOUT = 18
const EV_HTTP_REQ_TIMEOUT = 19
const EV_SECOND = 20
const EV_RETRY = 21
const EV_SERVER_TIMEOUT = 22
const EV_NEXT_REQ = 23
const EV_BACKEND_ACCEPT = 24
const EV_RESP_AT_NGINX = 25
const EV_SESSION_END = 26
const EV_CLIENT_START = 27
const EV_NGINX_UPSTREAM = 28
const EV_FIFO = 29
const EV_FE_RELEASE = 30
const EV_SYN_RTX = 31
/** ab's poll watchdog (ClientConfig.requestTimeoutS in ab mode: `ab -s`). */
const EV_AB_POLL = 32
/** A reset from a host where nothing listens on the port reaches the initiator (ECONNREFUSED). */
const EV_REFUSED = 33
/** A health check of server b ends (its result arrives, one round trip after it started). */
const EV_CHECK = 34
/** Server b stops listening (servers[b].downAtS). */
const EV_SERVER_STOP = 35
/** A layer-4 health check's SYN (a = its index in the proxy host's SYN schedule) reaches server b's listener; a = -1: an HTTP check (option httpchk) of server b opens its connection. */
const EV_CHECK_SYN = 36
/** The expiry of server b's HTTP check number a (its task's timer). */
const EV_CHECK_EXPIRE = 37
/** A request segment retransmitted from the timer softirq on a host-local hop reaches the listener, in NET_RX order. */
const EV_DATA_RX = 38
/** php-fpm's children of server b, woken during a softirq burst, look at their listen queue. */
const EV_FPM_ACCEPT = 39
/** A retransmitted SYN's SYN-ACK and ACK on a host-local hop, in the NET_RX burst of its jiffy. */
const EV_SYNACK_RX = 40
/** The earliest job of a backend host's CPU run queue is done (a: ~token, b: server). */
const EV_CPU_DONE = 41
/** synAdmission's verdicts: accepted (a request sock), answered with a cookie, dropped (>= SYN_DROP_SYNQ). */
const SYN_ACCEPT = 0
const SYN_COOKIE = 1
const SYN_DROP_SYNQ = 2
const SYN_DROP_ACCEPTQ = 3
const SYN_DROP_34 = 4
/** Health check results (EV_CHECK's a). */
const CK_OK = 0
const CK_TIMEOUT = 1
const CK_REFUSED = 2
const CK_L7OK = 3
const CK_L7STS = 4
const CK_L7TOUT = 5
const CK_SOCKERR = 6
const CK_STATUS = ['L4OK', 'L4TOUT', 'L4CON', 'L7OK', 'L7STS', 'L7TOUT', 'SOCKERR'] as const

// conn record layout (Model.grow): 128 bytes per connection, offsets within each view.
// Bytes 0-63 hold the integer fields touched by nearly every event, bytes 64-127 the times.
// Access: this.i32[(c << 5) + I32_X], this.i16[(c << 6) + I16_X], this.i8[(c << 7) + I8_X],
// this.f64[(c << 4) + F64_X]. Free for new fields: bytes 61-63 (i8 61-63); a new time field
// needs a bigger record (256 bytes: every shift + 1; measured ~15 % slower) or its own
// Float64Array.
const REC_BYTES = 128
// Int32 view, record at c << 5
const I32_GEN = 0 // generation: bumped on alloc and release; events carry it
const I32_PEER = 1 // the other row of a proxied pair (client <-> upstream, fcgi -> front), -1 if none
const I32_REQ_LEFT = 2
const I32_REQ_SEQ = 3
const I32_PORT = 4
const I32_IP = 5
const I32_CHILD = 6 // nginx -> php-fpm connection of a backend-side request (the fcgi row), -1 if none
// Int16 view, record at c << 6 (bytes 28-43)
const I16_L = 14 // listener index
const I16_SERVER = 15
const I16_SYN_IDX = 16
const I16_SYNACK_IDX = 17
const I16_RTX = 18
const I16_POOL = 19
const I16_NAT_HOST = 20
const I16_AWAIT_RESP = 21
// Int8 view, record at c << 7 (bytes 44-53)
const I8_ROLE = 44
const I8_INI = 45
const I8_SRV = 46
const I8_HAS_DATA = 47
const I8_YOUNG = 48
const I8_RETRANSMITTED = 49
const I8_TRIES = 50
const I8_WAITING = 51
const I8_TIMERS = 52 // lazily armed timers: 1 connect timeout, 2 SYN-ACK retransmit
const I8_WAITED_ACCEPT = 53
const I8_RTX_PENDING = 54 // a SYN retransmit left at F64_SYN_AT, its arrival (EV_SYN_RTX) not yet handled
const I8_PEER_CLOSED = 55 // the client's peer (HAProxy) closed first: no TIME_WAIT on the client
const I8_LEAVE = 56 // 1: leaves SYN-SENT when its SYN-ACK arrives (F64_EST_AT), counted out by the leave FIFO
const I8_AB_REQ = 57 // clients.tool 'ab': 1 once the connection counts as a request (written, or an idle one answered)
const I8_SYN_OUT = 58 // the first SYN (or a softirq-hop retransmit) left at F64_SYN_AT and has not reached the listener yet
const I8_CURR_SESS = 59 // the stream counts in its server's cur_sess (scur, smax): from a connect attempt to its failure or the stream's end (SF_CURR_SESS)
const I8_CHECK = 60 // 1: an upstream row that is its server's HTTP health check (option httpchk), closed with a reset
// Float64 view, record at c << 4 (bytes 64-127); SYN_AT, GIVE_UP, REQ_AT, EST_AT: lazily armed
// timers (SYN sent time, give-up, request-sock creation, handshake completion)
const F64_START = 8
const F64_EST_AT = 9
const F64_SYN_AT = 10
const F64_GIVE_UP = 11
const F64_REQ_START = 12
const F64_CONN_START = 13
const F64_QUEUED_AT = 14
const F64_REQ_AT = 15

const CAUSE_INDEX: Record<FailureCause, number> = Object.fromEntries(FAILURE_CAUSES.map((c, i) => [c, i])) as Record<FailureCause, number>
const C_CONNECT_TIMEOUT = CAUSE_INDEX.connect_timeout
const C_TIMEOUT = CAUSE_INDEX.timeout
const C_RESET = CAUSE_INDEX.reset
const C_502 = CAUSE_INDEX.http502
const C_503 = CAUSE_INDEX.http503
const C_504 = CAUSE_INDEX.http504
const C_408 = CAUSE_INDEX.http408
const C_NO_PORT = CAUSE_INDEX.no_port
const C_REFUSED = CAUSE_INDEX.refused

export class CancelledError extends Error {
  constructor() {
    super('simulation cancelled')
    this.name = 'CancelledError'
  }
}

export interface ModelOptions {
  seed: number
  onProgress?: (fraction: number, simTimeS: number) => void
  shouldCancel?: () => boolean
  /** Record a textual event log (golden tests); keep tiny scenarios only. */
  log?: string[]
  /** Stop after this many events (a reduced run for previews); the summary covers what ran. */
  maxEvents?: number
  /**
   * Also report socket maxima as a sampler with this period sees them (simulator/sampler.ts):
   * fidelity cases measured them by sampling. 0 / absent: exact peaks only.
   */
  socketSampleS?: number
  /** The sampler's phases (s), see SampledMax; default 8 spread over the period. */
  socketSamplePhases?: readonly number[]
}

interface Host {
  k: KernelConfig
  t: KernelTraits
  wheel: boolean
  /** CONFIG_HZ used for timer rounding (KERNEL_HZ overrides it when >= 0). */
  hz: number
  counters: KernelCounters
  /** TIME_WAIT sockets alive, and their expiry ring. */
  twLive: number
  twMax: number
  twRing: Float64Array
  twRingKey: Int32Array
  twHead: number
  twLen: number
  syn: number[]
  synGiveUp: number
  synack: number[]
  synackExpire: number
  /** tw_recycle per-peer cached timestamp (NAT address): value, and when stamped. */
  pawsTs: number
  pawsAt: number
  openFiles: number
}

class Listener {
  id: string
  host: number
  unix: boolean
  B: number
  synCap: number
  synq = 0
  young = 0
  acceptq: Int32Array = new Int32Array(64)
  aqHead = 0
  aqLen = 0
  maxAcceptq = 0
  maxSynq = 0
  /** Sampled views of the two queues (ModelOptions.socketSampleS), and the clock they read. */
  aqSampled: SampledMax | null = null
  sqSampled: SampledMax | null = null
  clock: EventQueue | null = null
  /** Nothing listens on this port (a server that is down on a host that is up): every SYN is answered with a reset. */
  refuses = false
  /** Owner: 0 haproxy, 1 backend server (index in `server`), 2 php-fpm of server `server`. */
  owner: number
  server: number
  colSynq: Float64Array | null = null
  colAcceptq: Float64Array | null = null
  /** Position in Model.listeners (conn rows store it). */
  index = -1
  /**
   * Peers with cached TCP metrics (tcp_metrics, keyed by peer address; see Model.peerOf): an
   * established connection from that address closed here. `tcp_peer_is_proven` exempts them from
   * the syncookies=0 3/4 rule. Sized by Model.
   */
  proven: Uint8Array = new Uint8Array(1)
  constructor(id: string, host: number, unix: boolean, B: number, synCap: number, owner: number, server: number) {
    this.id = id
    this.host = host
    this.unix = unix
    this.B = B
    this.synCap = synCap
    this.owner = owner
    this.server = server
  }
  acceptqGen: Int32Array = new Int32Array(64)
  /** Generation of the row returned by the last shift(): a closed-and-reused row is skipped by the caller. */
  lastGen = 0
  push(c: number, gen: number): void {
    if (this.aqLen === this.acceptq.length) {
      const n = new Int32Array(this.acceptq.length * 2)
      const g = new Int32Array(this.acceptq.length * 2)
      for (let i = 0; i < this.aqLen; i++) {
        n[i] = this.acceptq[(this.aqHead + i) % this.acceptq.length]!
        g[i] = this.acceptqGen[(this.aqHead + i) % this.acceptq.length]!
      }
      this.acceptq = n
      this.acceptqGen = g
      this.aqHead = 0
    }
    const at = (this.aqHead + this.aqLen) % this.acceptq.length
    this.acceptq[at] = c
    this.acceptqGen[at] = gen
    this.aqLen++
    if (this.aqLen > this.maxAcceptq) this.maxAcceptq = this.aqLen
    if (this.aqSampled) this.aqSampled.set(this.clock!.now, this.aqLen)
  }
  shift(): number {
    const c = this.acceptq[this.aqHead]!
    this.lastGen = this.acceptqGen[this.aqHead]!
    this.aqHead = (this.aqHead + 1) % this.acceptq.length
    this.aqLen--
    if (this.aqSampled) this.aqSampled.set(this.clock!.now, this.aqLen)
    return c
  }
  get full(): boolean {
    return this.aqLen > this.B
  }
}

/**
 * Timers of one constant duration (request timeout, timeout client/queue/server, retry
 * turn-around) fire in the order they were armed: a FIFO ring with a single heap event for
 * its head instead of one heap entry per request. Stale entries are skipped by token.
 */
class TimerFifo {
  at = new Float64Array(256)
  conn = new Int32Array(256)
  tok = new Int32Array(256)
  head = 0
  len = 0
  push(t: number, c: number, tok: number): boolean {
    if (this.len === this.at.length) {
      const n = this.at.length * 2
      const a = new Float64Array(n)
      const cc = new Int32Array(n)
      const tk = new Int32Array(n)
      for (let i = 0; i < this.len; i++) {
        const j = (this.head + i) % this.at.length
        a[i] = this.at[j]!
        cc[i] = this.conn[j]!
        tk[i] = this.tok[j]!
      }
      this.at = a
      this.conn = cc
      this.tok = tk
      this.head = 0
    }
    const j = (this.head + this.len) % this.at.length
    this.at[j] = t
    this.conn[j] = c
    this.tok[j] = tok
    this.len++
    return this.len === 1
  }
}

/**
 * Requests waiting for a server slot (HAProxy pendconns), FIFO: row, its generation (a row
 * reused after the request left is skipped) and a global arrival number, so that a freed slot
 * serves the older of its server's queue head and the backend queue head (process_srv_queue).
 */
class PendQueue {
  conn: number[] = []
  gen: number[] = []
  seq: number[] = []
  head = 0
  /** Requests waiting now (qcur) and the most ever (qmax). */
  live = 0
  max = 0
  push(c: number, gen: number, seq: number): void {
    this.conn.push(c)
    this.gen.push(gen)
    this.seq.push(seq)
    if (++this.live > this.max) this.max = this.live
  }
  compact(): void {
    if (this.head > 1024 && this.head * 2 > this.conn.length) {
      this.conn = this.conn.slice(this.head)
      this.gen = this.gen.slice(this.head)
      this.seq = this.seq.slice(this.head)
      this.head = 0
    }
  }
}

/** HAProxy max-session-srv-conns: idle private server connections one client session keeps. */
export const MAX_SESSION_SRV_CONNS = 10

interface Server {
  name: string
  maxconn: number
  maxqueue: number
  weight: number
  cur: number
  smax: number
  stot: number
  econ: number
  eresp: number
  wretr: number
  wredis: number
  hrsp5xx: number
  /** The server's own queue (requests already bound to it). */
  pq: PendQueue
  connect: number
  reuse: number
  /** Backend process on this server. */
  listener: Listener
  fpm: Listener | null
  busy: number
  active: number
  fds: number
  pools: PortPool[]
  poolRr: number
  idle: number[]
  /** When each idle connection went idle (parallel to idle, oldest first). */
  idleAt: number[]
  /** Parallel to idle: 1 when the connection has already been reused (HAProxy's "safe" list). */
  idleSafe: number[]
  /** How many of idle are safe. */
  idleSafeN: number
  /**
   * HAProxy's max_used_conns (peak of used server connections since the last purge tick),
   * est_need_conns (its estimate of the connections needed) and when the next tick is due.
   */
  maxUsed: number
  estNeed: number
  purgeAt: number
  /** php-fpm children busy / generic worker busy. */
  acceptPausedUntil: number
  /** When the softirq burst that woke the server's front process (nginx / worker) ends; it accepts then (BURST_WAKE_OWNERS). */
  burstWakeAt: number
  /** The same for its php-fpm children. */
  fpmBurstWakeAt: number
  /** Its host's cores shared by the workers in service (scenario backend.cpu; null: not modeled), the token of the pending EV_CPU_DONE and when it is due. */
  cpu: CpuShare | null
  cpuTok: number
  cpuDue: number
  /**
   * Streams counted in the server's cur_sess (its scur and smax): each connect attempt counts one
   * (connect_server) until the attempt fails (back_handle_st_cer) or the stream leaves, so a stream
   * waiting out a retry's turn-around is not in it, though it keeps its slot (`cur`, served).
   */
  sess: number
  /** Nothing listens on its port (scenario `refuses`). */
  refuses: boolean
  /** Its health check (null: none), the check's health counter (0..rise+fall-1), and whether HAProxy has it UP. */
  check: ServerCheck | null
  health: number
  up: boolean
  /** Failed checks counted while health was above 0 (chkfail) and UP -> DOWN transitions (chkdown). */
  chkfail: number
  chkdown: number
  /** When the status last changed during the run (s; -1: it did not). */
  changedAt: number
  /**
   * The check in progress: when it expires (checkTimeoutS after its start), which SYN of the
   * proxy host's schedule is the last sent and when it left.
   */
  ckDeadline: number
  ckSyn: number
  ckSynAt: number
  /** An HTTP check (option httpchk): its connection's row (-1: none open) and the check's number (stale expiries). */
  ckRow: number
  ckSeq: number
  /** The last check's outcome (HAProxy's check_status), or '' before the first. */
  ckStatus: '' | (typeof CK_STATUS)[number]
  /** Time DOWN during the run: closed DOWN spells, and when the open one began (-1: UP). */
  downTotal: number
  downSince: number
}

export class Model {
  readonly s: Scenario
  readonly q = new EventQueue(4096, 1 / 256)
  readonly opts: ModelOptions
  /** Event log on (golden tests): messages are only built when it is. */
  private readonly logOn: boolean
  /** Full runs (no maxEvents cut) leave out events known to be no-ops (see armSynTimers). */
  private readonly skipDeadTimers: boolean
  /** Peak of the client load curve (the thinning bound of open-loop arrivals). */
  private readonly peakRate: number
  /** Lognormal service time parameters (when the backend's service time is lognormal). */
  private readonly svcMu: number = 0
  private readonly svcSigma: number = 0
  /** Every proxy -> server port pool, server by server (for TIME_WAIT tallies). */
  private readonly proxyPools: PortPool[] = []
  private readonly rArr: Stream
  private readonly rSvc: Stream
  private readonly rJit: Stream
  private readonly rNat: Stream
  private readonly rPort: Stream
  private readonly hosts: Host[]
  private readonly listeners: Listener[] = []
  private readonly front: Listener
  private readonly servers: Server[] = []
  readonly limits: HaproxyLimits | null
  private readonly proxyUp: boolean
  private readonly endS: number
  private readonly loadEndS: number
  private readonly rows: number
  readonly cols: Record<string, Float64Array> = {}
  private readonly colNames: string[] = []
  private cOffered!: Float64Array
  private cAccepted!: Float64Array
  private cCompleted!: Float64Array
  private cFailed!: Float64Array
  private cFailedBy!: Float64Array[]

  // conn rows: one 128-byte record per connection (two cache lines, instead of one line in
  // each of ~30 per-field arrays), read through four views of one buffer. Record c starts at
  // i32 index c << 5, i16 index c << 6, i8 index c << 7 and f64 index c << 4; the I32_ / I16_ /
  // I8_ / F64_ constants (top of this file) are the field offsets within each view, with the
  // same widths and signedness as the per-field arrays they replace (stores wrap the same way).
  private cap = 0
  private free: number[] = []
  private next = 0
  private i32 = new Int32Array(0)
  private i16 = new Int16Array(0)
  private i8 = new Int8Array(0)
  private f64 = new Float64Array(0)

  // clients
  private offered = 0
  private requests = 0
  /**
   * Closed loop with a total (ab -n, h2load -n): requests promised to the connections open now
   * plus those issued by closed ones. A keep-alive connection takes up to requestsPerConnection
   * of what is left when it opens and gives back what it did not issue when it closes; users
   * reconnect while some are left. Without keep-alive it equals `requests`.
   */
  private committed = 0
  /**
   * clients.tool 'ab' (closed loop with a total, one request per connection; see ClientConfig.tool):
   * ab's `started` (requests written) and `done`, its failures (`bad`: it aborts when a connect
   * fails with more than 10), whether it has stopped, and the users it starts once the first
   * response header is in.
   */
  private readonly abMode: boolean
  private abWritten = 0
  private abDone = 0
  private abBad = 0
  private abPendingUsers = 0
  /**
   * ab's `-s` (requestTimeoutS in ab mode): ab has no per-request timeout; its one
   * apr_pollset_poll waits this long for an event on any of its sockets (a connect done or
   * failed, response bytes, a reset) and otherwise exits with "The timeout specified has
   * expired (70007)", every request not done by then lost. null: it waits for ever.
   */
  private readonly abSilenceS: number | null
  /** Time of ab's last socket event, when ab stopped (-1: running) and why (null: running). */
  private abLastEvent = 0
  private abStopAt = -1
  private abReason: AbStopReason | null = null
  private ok = 0
  private failed = 0
  private byCause = new Float64Array(FAILURE_CAUSES.length)
  private connected = 0
  private retriedConnects = 0
  private usersTarget = 0
  private usersActive = 0
  private lastEnd = 0
  private clientBurstAt = -1
  private clientIpBusy: Int32Array
  /**
   * tcp_tw_reuse on the client host applies to its connects to the front (twReuseApplies): an IP
   * with every port busy or in TIME_WAIT takes over its oldest TIME_WAIT once that is
   * tcp_tw_reuse_delay old (reuseClientTw). Per IP, the absolute position in host 0's TIME_WAIT
   * ring before which it has no live entry (cliTwPopped: entries popped from the ring so far).
   */
  private readonly cliReuse: boolean
  private cliTwCursor = new Float64Array(0)
  private cliTwPopped = 0
  private natTs: Float64Array
  readonly latency = new Histogram()
  readonly reqLatency = new Histogram()
  readonly connectH = new Histogram()
  private waitedReq = 0
  private servedReq = 0
  /** Share of a service time that is CPU work (scenario backend.cpu; 0: not modeled). */
  private cpuShare = 0
  /** With backend.cpu: each request's time in its worker / php-fpm child (ms), php-fpm's access-log %d. */
  private svcH: Histogram | null = null
  // Little's law tally: requests in flight (from connection attempt / request start to its outcome)
  private inFlight = 0
  private inFlightArea = 0
  private inFlightAt = 0
  private latencySumS = 0
  private doneReq = 0

  private flight(delta: number): void {
    this.flightAt(delta, this.q.now)
  }

  /** In-flight change at time `now` (may lie slightly ahead of the event clock, never behind the last change). */
  private flightAt(delta: number, now: number): void {
    if (now > this.inFlightAt) {
      this.inFlightArea += this.inFlight * (now - this.inFlightAt)
      this.inFlightAt = now
    }
    this.inFlight += delta
  }

  // haproxy
  private feconn = 0
  /** Sessions ended whose client FIN has not arrived yet (EV_FE_RELEASE pending). */
  private feReleasing = 0
  private feMax = 0
  private fdUsed = 0
  private fdFixed = 0
  private stot = 0
  private ereq = 0
  private fe2xx = 0
  private fe4xx = 0
  private fe5xx = 0
  /** The backend queue: requests with no server assigned (BACKEND qcur). */
  private beQ = new PendQueue()
  /** Requests in any queue (backend + servers) and the arrival counter of all queues. */
  private queued = 0
  private pendSeq = 0
  /** Upstream rows that have served more than one request (reused at least once). */
  private upReused = new Set<number>()
  /** http-reuse never: each client session's idle private server connections (by client row). */
  private priv = new Map<number, number[]>()
  private beEcon = 0
  private beEresp = 0
  private beWretr = 0
  private beWredis = 0
  /** Servers HAProxy has UP (srv_act; every server without a check is), and how often none was left (BACKEND chkdown). */
  private serversUp = 0
  private beChkdown = 0
  /** When the backend last went DOWN or UP during the run (s; -1: it did not). */
  private beChangedAt = -1
  private be5xx = 0
  private beSmax = 0
  private beCur = 0
  private beStot = 0
  private rr = 0
  private proxyPausedUntil = 0
  private proxyWakeArmed = false
  private maxTwProxyToBackend = 0
  /** Connections in SYN-SENT: all initiators (clients, HAProxy and nginx upstream connects), and clients only. */
  private synSent = 0
  private synSentCli = 0
  private maxSynSent = 0
  /** Clients in SYN-SENT as a sampler sees them (ModelOptions.socketSampleS). */
  private synSentSampled: SampledMax | null = null
  /** Per role: HAProxy's connects to servers (1) and nginx's TCP connects to php-fpm (2) in SYN-SENT, peaks, samplers. */
  private synSentUp = [0, 0, 0]
  private maxSynSentUp = [0, 0, 0]
  private synSentUpSampled: (SampledMax | null)[] = [null, null, null]
  /**
   * Per initiator role: when the SYN-ACKs now on their way (non-softirq hops) arrive. Their
   * initiators leave SYN-SENT then, half an RTT before their handshake event (the ACK at the
   * listener). FIFOs in admission order, drained whenever the counts are read or raised; one-way
   * jitter can put an entry behind a later one, which then leaves at most that jitter late. A
   * connection given up while its SYN-ACK is on the way is counted out when it would have arrived.
   */
  private leaveT: Float64Array[] = [new Float64Array(1024), new Float64Array(256), new Float64Array(256)]
  private leaveHead = [0, 0, 0]
  private leaveLen = [0, 0, 0]
  private leaving = 0
  /** Last time the SYN-SENT samplers were given (they need non-decreasing times). */
  private ssClock = 0

  /** Constant-duration timers, by event kind (see TimerFifo). */
  private fifos: (TimerFifo | undefined)[] = new Array<TimerFifo | undefined>(EV_FIFO + 1).fill(undefined)

  /** Arm a constant-duration timer of `kind` for request token `tok` of row c. */
  private timer(kind: number, delay: number, c: number, tok: number): void {
    let f = this.fifos[kind]
    if (!f) {
      f = new TimerFifo()
      this.fifos[kind] = f
    }
    const t = this.q.now + delay
    // FIFO order holds because one kind always has the same delay (asserted by construction)
    if (f.push(t, c, tok)) this.q.schedule(t, 0, EV_FIFO, kind, 0)
  }

  private onFifo(kind: number): void {
    const f = this.fifos[kind]!
    const now = this.q.now
    while (f.len > 0 && f.at[f.head]! <= now) {
      const c = f.conn[f.head]!
      const tok = f.tok[f.head]!
      f.head = (f.head + 1) % f.at.length
      f.len--
      this.dispatch(kind, c, tok)
    }
    // skip entries already dead (request finished): no heap event for them at all
    while (f.len > 0 && !this.fifoLive(kind, f.conn[f.head]!, f.tok[f.head]!)) {
      f.head = (f.head + 1) % f.at.length
      f.len--
    }
    if (f.len > 0) this.q.schedule(f.at[f.head]!, 0, EV_FIFO, kind, 0)
  }

  /** Would a constant-duration timer still act? (the conditions dispatch() checks) */
  private fifoLive(kind: number, c: number, tok: number): boolean {
    if (tok !== this.reqTok(c)) return false
    switch (kind) {
      case EV_REQ_TIMEOUT:
        return this.i8[(c << 7) + I8_INI] !== I_DONE
      case EV_HTTP_REQ_TIMEOUT:
        return this.i8[(c << 7) + I8_SRV] === S_ACCEPTED && !this.i8[(c << 7) + I8_HAS_DATA]
      case EV_QUEUE_TIMEOUT:
        return this.i8[(c << 7) + I8_WAITING] !== 0
      default:
        return this.i8[(c << 7) + I8_INI] === I_EST
    }
  }

  // verdict
  private hits = new Map<CeilingKind, { atS: number; atLoad: number }>()
  private lastHit: CeilingKind | null = null

  constructor(s: Scenario, opts: ModelOptions) {
    this.s = s
    this.opts = opts
    this.logOn = !!opts.log
    this.skipDeadTimers = opts.maxEvents == null
    this.peakRate = curvePeak(s.clients.loadCurve)
    const st = s.backend.serviceTime
    if (st.kind === 'lognormal') {
      this.svcMu = Math.log(st.p50S)
      this.svcSigma = (Math.log(st.p99S) - this.svcMu) / 2.3263478740408408
    }
    const seed = opts.seed | 0
    this.rArr = new Stream(seed, STREAM.arrivals)
    this.rSvc = new Stream(seed, STREAM.service)
    this.rJit = new Stream(seed, STREAM.jitter)
    this.rNat = new Stream(seed, STREAM.nat)
    this.rPort = new Stream(seed, STREAM.race)
    const net = s.network
    this.owdBase = [Math.max(MIN_OWD_S, net.clientRttMs / 2000), Math.max(MIN_OWD_S, net.backendRttMs / 2000)]
    this.netJitterS = net.jitterMs > 0 ? net.jitterMs / 1000 : 0
    const sq = SOFTIRQ_HANDSHAKE && this.netJitterS === 0
    this.softirq = [sq && net.clientRttMs === 0, sq && net.backendRttMs === 0, SOFTIRQ_HANDSHAKE]
    const mk = (k: KernelConfig): Host => {
      const t = kernelTraits(k.version)
      const syn = synSchedule(k)
      const sa = synackSchedule(k)
      return {
        k,
        t,
        wheel: t.major * 1000 + t.minor >= 4008,
        hz: KERNEL_HZ >= 0 ? KERNEL_HZ : kernelHz(k),
        counters: zeroCounters(),
        twLive: 0,
        twMax: 0,
        twRing: new Float64Array(1024),
        twRingKey: new Int32Array(1024),
        twHead: 0,
        twLen: 0,
        syn: syn.sendS,
        synGiveUp: syn.giveUpS,
        synack: sa.sendS,
        synackExpire: sa.expireS,
        pawsTs: -Infinity,
        pawsAt: -Infinity,
        openFiles: 0
      }
    }
    this.hosts = [mk(s.hosts.client), mk(s.hosts.proxy), mk(s.hosts.backend)]
    const h = s.haproxy
    this.limits = h ? haproxyEffectiveLimits(h, s.hosts.proxy.somaxconn) : null
    this.proxyUp = !h || this.limits!.starts
    this.loadEndS = s.durationS
    const cl0 = s.clients
    this.abMode = cl0.tool === 'ab' && cl0.mode === 'closed' && cl0.totalRequests > 0 && !cl0.keepAlive && cl0.loadCurve.length === 0
    this.abSilenceS = this.abMode ? cl0.requestTimeoutS : null
    this.endS = s.durationS + s.drainS
    this.rows = Math.max(1, Math.ceil(this.endS))
    this.clientIpBusy = new Int32Array(Math.max(1, s.clients.sourceIps))
    this.cliReuse = twReuseApplies(s.hosts.client, s.clients.loopback === true)
    if (this.cliReuse) this.cliTwCursor = new Float64Array(this.clientIpBusy.length)
    this.natTs = new Float64Array(Math.max(1, s.clients.natHosts))
    for (let i = 0; i < this.natTs.length; i++) this.natTs[i] = this.rNat.next() * 1e9 // per-host TS clock offset (ms)

    // backend servers
    const be = s.backend
    const bk = s.hosts.backend
    const serverList: HaproxyServer[] = h ? h.servers : [{ name: 'backend', maxconn: 0, maxqueue: 0, weight: 1 }]
    const cpuModel = be.kind !== 'nginx-echo' && be.cpu ? be.cpu : null
    this.cpuShare = cpuModel ? Math.min(1, Math.max(0, cpuModel.share)) : 0
    if (cpuModel) this.svcH = new Histogram()
    serverList.forEach((sv, i) => {
      const backlog = be.kind === 'generic' ? be.listenBacklog : be.nginx.listenBacklog
      const B = effectiveBacklog(backlog, bk.somaxconn)
      const L = new Listener(`backend${serverList.length > 1 ? i + 1 : ''}:80`, 2, false, B, synQueueCapacity(B, bk), 1, i)
      L.refuses = serverRefusesFromStart(sv)
      this.listeners.push(L)
      let fpm: Listener | null = null
      if (be.kind === 'nginx-php-fpm') {
        const fb = effectiveBacklog(be.phpFpm.listenBacklog, bk.somaxconn)
        const unix = be.phpFpm.socket === 'unix'
        fpm = new Listener(`php-fpm${serverList.length > 1 ? i + 1 : ''}${unix ? ':unix' : ':9000'}`, 2, unix, fb, unix ? 0 : synQueueCapacity(fb, bk), 2, i)
        this.listeners.push(fpm)
      }
      const pools: PortPool[] = []
      if (h) {
        const pk = s.hosts.proxy
        for (let ip = 0; ip < h.sourceIps; ip++) {
          pools.push(
            new PortPool(pk.ipLocalPortRange[0], pk.ipLocalPortRange[1], pk.reservedPorts, {
              canReuse: twReuseApplies(pk, sv.loopback === true),
              reuseDelayS: pk.twReuseDelayMs / 1000,
              twLenS: this.twLen(1),
              perturb: Math.floor(this.rPort.next() * 65536)
            })
          )
        }
      }
      this.servers.push({
        name: sv.name,
        maxconn: sv.maxconn,
        maxqueue: sv.maxqueue,
        weight: sv.weight,
        cur: 0,
        smax: 0,
        stot: 0,
        econ: 0,
        eresp: 0,
        wretr: 0,
        wredis: 0,
        hrsp5xx: 0,
        pq: new PendQueue(),
        connect: 0,
        reuse: 0,
        listener: L,
        fpm,
        busy: 0,
        active: 0,
        fds: 0,
        pools,
        poolRr: 0,
        idle: [],
        idleAt: [],
        idleSafe: [],
        idleSafeN: 0,
        maxUsed: 0,
        estNeed: 0,
        purgeAt: POOL_PURGE_DELAY_S,
        acceptPausedUntil: 0,
        burstWakeAt: 0,
        fpmBurstWakeAt: 0,
        cpu: cpuModel ? new CpuShare(cpuModel.cores) : null,
        cpuTok: 0,
        cpuDue: Infinity,
        sess: 0,
        refuses: serverRefusesFromStart(sv),
        check: sv.check ?? null,
        health: 0,
        up: true,
        chkfail: 0,
        chkdown: 0,
        changedAt: -1,
        ckDeadline: 0,
        ckSyn: 0,
        ckSynAt: 0,
        ckRow: -1,
        ckSeq: 0,
        ckStatus: '',
        downTotal: 0,
        downSince: -1
      })
    })
    for (const sv of this.servers) for (const p of sv.pools) this.proxyPools.push(p)
    this.serversUp = this.servers.length
    if (h) {
      this.proxyThreads = new Array<number>(Math.max(1, h.nbthread)).fill(0)
      const pk = s.hosts.proxy
      const B = this.limits!.backlogEffective
      this.front = new Listener('proxy:80', 1, false, B, synQueueCapacity(B, pk), 0, -1)
      this.listeners.unshift(this.front)
      this.fdFixed = this.limits!.maxsock - 2 * this.limits!.maxconn
      this.fdUsed = this.fdFixed
    } else {
      this.front = this.servers[0]!.listener
    }

    // peer addresses: client source IPs + the NAT address, HAProxy source IPs, nginx (one)
    const peers = Math.max(s.clients.sourceIps + 1, h ? h.sourceIps : 1, 1)
    this.listeners.forEach((L, i) => {
      L.index = i
      L.proven = new Uint8Array(peers)
    })
    const sampleS = opts.socketSampleS ?? 0
    const phases = opts.socketSamplePhases ?? 8
    if (sampleS > 0) {
      for (const L of this.listeners) {
        L.aqSampled = new SampledMax(sampleS, phases)
        L.sqSampled = new SampledMax(sampleS, phases)
        L.clock = this.q
      }
      this.synSentSampled = new SampledMax(sampleS, phases)
      this.synSentUpSampled = [null, new SampledMax(sampleS, phases), new SampledMax(sampleS, phases)]
    }
    // columns
    for (const n of BASE_COLUMNS) this.addCol(n)
    for (const L of this.listeners) {
      L.colSynq = this.cols[this.colNames[this.addCol(`synq:${L.id}`)]!]!
      L.colAcceptq = this.cols[this.colNames[this.addCol(`acceptq:${L.id}`)]!]!
    }
    if (cpuModel) this.addCol('cpu_runnable')
    this.cOffered = this.cols.offered!
    this.cAccepted = this.cols.accepted!
    this.cCompleted = this.cols.completed!
    this.cFailed = this.cols.failed!
    this.cFailedBy = FAILURE_CAUSES.map((c) => this.cols[`failed_${c}`]!)
    const t = this.cols.t!
    for (let i = 0; i < this.rows; i++) t[i] = i
    this.grow(1024)
  }

  private addCol(name: string): number {
    this.cols[name] = new Float64Array(this.rows)
    this.colNames.push(name)
    return this.colNames.length - 1
  }

  private twLenCache = [-1, -1, -1]
  private twLen(host: number): number {
    const cached = this.twLenCache[host]!
    if (cached >= 0) return cached
    const k = host === 0 ? this.s.hosts.client : host === 1 ? this.s.hosts.proxy : this.s.hosts.backend
    const t = kernelTraits(k.version)
    // tw_recycle (<= 4.11): TIME_WAIT lasts ~3.5 * RTO instead of 60 s
    const v = k.twRecycle === 1 && t.twRecycle && k.timestamps === 1 ? 3.5 * RTO_MIN_S : TIME_WAIT_S
    this.twLenCache[host] = v
    return v
  }

  // ---------------------------------------------------------------- conn rows --
  private grow(n: number): void {
    const buf = new ArrayBuffer(n * REC_BYTES)
    new Uint8Array(buf).set(new Uint8Array(this.f64.buffer, 0, this.cap * REC_BYTES))
    this.i32 = new Int32Array(buf)
    this.i16 = new Int16Array(buf)
    this.i8 = new Int8Array(buf)
    this.f64 = new Float64Array(buf)
    this.cap = n
    // rows idle since their event was scheduled (SYN retries, long service times) have gone
    // cold: the queue reads both lines of every poured event's row in one loop (engine.ts)
    this.q.touchRows(this.i32, 5)
  }

  private alloc(role: number): number {
    let c: number
    if (this.free.length > 0) c = this.free.pop()!
    else {
      if (this.next === this.cap) this.grow(this.cap * 2)
      c = this.next++
    }
    this.i32[(c << 5) + I32_GEN] = (this.i32[(c << 5) + I32_GEN]! + 1) & 0x3fffffff
    this.i8[(c << 7) + I8_ROLE] = role
    this.i8[(c << 7) + I8_INI] = I_NONE
    this.i8[(c << 7) + I8_SRV] = S_NONE
    this.i32[(c << 5) + I32_PEER] = -1
    this.i16[(c << 6) + I16_SYN_IDX] = 0
    this.i16[(c << 6) + I16_SYNACK_IDX] = 0
    this.i16[(c << 6) + I16_RTX] = 0
    this.i8[(c << 7) + I8_HAS_DATA] = 0
    this.i8[(c << 7) + I8_YOUNG] = 0
    this.i8[(c << 7) + I8_RETRANSMITTED] = 0
    this.i8[(c << 7) + I8_RTX_PENDING] = 0
    this.i8[(c << 7) + I8_PEER_CLOSED] = 0
    this.i8[(c << 7) + I8_LEAVE] = 0
    this.i8[(c << 7) + I8_AB_REQ] = 0
    this.i8[(c << 7) + I8_SYN_OUT] = 0
    this.i8[(c << 7) + I8_CURR_SESS] = 0
    this.i8[(c << 7) + I8_CHECK] = 0
    this.i32[(c << 5) + I32_REQ_LEFT] = 0
    this.i16[(c << 6) + I16_SERVER] = -1
    this.i32[(c << 5) + I32_PORT] = -1
    this.i16[(c << 6) + I16_POOL] = -1
    this.i8[(c << 7) + I8_TRIES] = 0
    this.i16[(c << 6) + I16_NAT_HOST] = -1
    this.i32[(c << 5) + I32_IP] = -1
    this.i8[(c << 7) + I8_WAITING] = 0
    this.i16[(c << 6) + I16_AWAIT_RESP] = 0
    this.f64[(c << 4) + F64_EST_AT] = 0
    this.i8[(c << 7) + I8_TIMERS] = 0
    this.i32[(c << 5) + I32_CHILD] = -1
    return c
  }

  private release(c: number): void {
    this.i32[(c << 5) + I32_GEN] = (this.i32[(c << 5) + I32_GEN]! + 1) & 0x3fffffff
    this.i8[(c << 7) + I8_INI] = I_DONE
    this.free.push(c)
  }

  private at(time: number, kind: number, c: number): void {
    this.q.schedule(time, 0, kind, c, c >= 0 ? this.i32[(c << 5) + I32_GEN]! : 0)
  }

  /** Base one-way delay per hop (0: client <-> front, 1: proxy <-> backend) and the network jitter span (s). */
  private readonly owdBase: [number, number]
  private readonly netJitterS: number
  /** Per role (client, upstream, fcgi): handshakes on this hop run in softirq order (SOFTIRQ_HANDSHAKE). */
  private readonly softirq: [boolean, boolean, boolean]
  /** Per initiator host (role index): when NET_RX has handled every packet queued from the timer softirq (s). */
  private readonly rxBusyUntil = [0, 0, 0]
  /** The event being handled is a packet of a NET_RX burst queued from the timer softirq of initiator host rxBurstHost (-1: not). */
  private rxBurstHost = -1

  private owd(host: 0 | 1): number {
    let d = this.owdBase[host] + this.rJit.next() * HOST_JITTER_S
    if (this.netJitterS > 0) d += this.rJit.next() * this.netJitterS
    return d
  }

  private owdOf(c: number): number {
    const r = this.i8[(c << 7) + I8_ROLE]!
    if (r === ROLE_CLIENT) return this.owd(0)
    if (r === ROLE_UPSTREAM) return this.owd(1)
    return MIN_OWD_S + this.rJit.next() * HOST_JITTER_S // nginx -> php-fpm on the same host
  }

  /** Host index of the connection's initiator. */
  private iniHost(c: number): Host {
    const r = this.i8[(c << 7) + I8_ROLE]!
    return this.hosts[r === ROLE_CLIENT ? 0 : r === ROLE_UPSTREAM ? 1 : 2]!
  }

  private sidx(): number {
    const i = Math.floor(this.q.now)
    return i < this.rows ? i : this.rows - 1
  }

  private bump(col: Float64Array): void {
    col[this.sidx()]!++
  }

  private level(col: Float64Array, v: number): void {
    const i = this.sidx()
    if (v > col[i]!) col[i] = v
  }

  private hit(kind: CeilingKind): void {
    // the same ceiling again (every dropped SYN of a burst): already recorded, skip the lookup
    if (kind === this.lastHit) return
    this.lastHit = kind
    if (!this.hits.has(kind)) this.hits.set(kind, { atS: this.q.now, atLoad: this.currentLoad() })
  }

  private currentLoad(): number {
    const c = this.s.clients
    if (c.mode === 'open') return curveRate(c.loadCurve, this.q.now)
    return c.loadCurve.length ? Math.round(curveRate(c.loadCurve, this.q.now)) : c.concurrency
  }

  private logEv(msg: string): void {
    this.opts.log!.push(`${this.q.now.toFixed(6)} ${msg}`)
  }

  /** A log line for an earlier moment (a SYN retransmit noted when it arrives): the log is put in time order at the end. */
  private logEvAt(t: number, msg: string): void {
    this.opts.log!.push(`${t.toFixed(6)} ${msg}`)
    this.logUnsorted = true
  }

  private logUnsorted = false

  // ------------------------------------------------------------------ clients --
  private startClients(): void {
    const c = this.s.clients
    if (c.mode === 'open') {
      if (curvePeak(c.loadCurve) > 0) this.scheduleArrival(0)
    } else {
      this.usersTarget = c.loadCurve.length ? Math.round(curveRate(c.loadCurve, 0)) : c.concurrency
      // ab sends one request alone, and starts its other users when that response header is in
      const first = this.abMode ? Math.min(1, this.usersTarget) : this.usersTarget
      this.abPendingUsers = this.usersTarget - first
      for (let u = 0; u < first; u++) this.startUser()
      if (this.abSilenceS != null) this.q.schedule(this.abSilenceS, 0, EV_AB_POLL, -1, 0)
    }
  }

  private scheduleArrival(from: number): void {
    const c = this.s.clients
    const peak = this.peakRate
    const batch = Math.max(1, c.arrivalBatch)
    let t = from
    if (c.arrivals === 'even') {
      // deterministic spacing batch / rate(t), the rule the lab's client follows too
      const n = nextEvenArrival(c.loadCurve, from > 0 || this.q.popped > 0 ? from : null, batch, this.loadEndS)
      if (n === null) return
      t = n
    } else {
      // thinning of a non-homogeneous Poisson process of batches
      for (;;) {
        t += this.rArr.exp(batch / peak)
        if (t >= this.loadEndS) return
        if (this.rArr.next() * peak <= curveRate(c.loadCurve, t)) break
      }
    }
    if (t < this.loadEndS) this.q.schedule(t, 0, EV_ARRIVAL, -1, 0)
  }

  private onArrival(): void {
    const batch = Math.max(1, this.s.clients.arrivalBatch)
    for (let i = 0; i < batch; i++) this.newClientConn(this.q.now + i * CONNECT_COST_S)
    this.scheduleArrival(this.q.now)
  }

  private startUser(from = this.q.now): void {
    this.usersActive++
    // connects issued together by one load generator are CONNECT_COST_S apart
    const t = Math.max(from, this.clientBurstAt + CONNECT_COST_S)
    this.clientBurstAt = t
    this.q.schedule(t, 0, EV_USER, -1, 0)
  }

  private onUser(): void {
    const c = this.s.clients
    const full = this.abMode ? this.abReason !== null || this.abWritten >= c.totalRequests : c.totalRequests > 0 && this.committed >= c.totalRequests
    if (this.q.now >= this.loadEndS || full || this.usersActive > this.usersTarget) {
      this.usersActive--
      return
    }
    this.newClientConn(this.q.now)
  }

  private newClientConn(t: number): void {
    if (t > this.q.now) {
      this.q.schedule(t, 0, EV_CLIENT_START, -1, 0)
      return
    }
    const cl = this.s.clients
    const c = this.alloc(ROLE_CLIENT)
    this.offered++
    this.bump(this.cOffered)
    let quota = cl.keepAlive ? cl.requestsPerConnection : 1
    if (cl.mode === 'closed' && cl.totalRequests > 0) {
      quota = Math.max(1, Math.min(quota, cl.totalRequests - this.committed))
      this.committed += quota
    }
    this.i32[(c << 5) + I32_REQ_LEFT] = quota
    // requests count when the connection attempt starts; ab counts them when written (abCount)
    if (!this.abMode) {
      this.requests++
      this.flight(1)
    }
    this.f64[(c << 4) + F64_CONN_START] = this.q.now
    this.f64[(c << 4) + F64_REQ_START] = this.q.now
    this.i32[(c << 5) + I32_REQ_SEQ] = 0
    if (cl.natShare > 0 && this.rNat.next() < cl.natShare) this.i16[(c << 6) + I16_NAT_HOST] = Math.floor(this.rNat.next() * this.natTs.length)
    // client source port: per (src IP, front) tuple, active + TIME_WAIT
    const ip = this.offered % this.clientIpBusy.length
    const ck = this.s.hosts.client
    const range = ck.ipLocalPortRange[1] - ck.ipLocalPortRange[0] + 1 - ck.reservedPorts
    this.popTw(0)
    if (this.clientIpBusy[ip]! < range) this.clientIpBusy[ip]!++
    else if (!this.cliReuse || !this.reuseClientTw(ip)) {
      this.hit('client-ports')
      this.clientFail(c, C_NO_PORT)
      return
    } // (a reused TIME_WAIT port stays counted in clientIpBusy: it passes to this connection)
    this.i32[(c << 5) + I32_IP] = ip
    // (ab has no timeout per request: its -s is a watchdog over all its sockets, onAbPoll)
    if (cl.requestTimeoutS != null && !this.abMode) this.timer(EV_REQ_TIMEOUT, cl.requestTimeoutS, c, this.reqTok(c))
    if (!this.proxyUp) {
      // nothing listens: SYN answered by RST
      this.hit('proxy-not-started')
      this.q.schedule(this.q.now + 2 * this.owd(0), 0, EV_FAIL_AT_CLIENT, c, this.i32[(c << 5) + I32_GEN]! * 32 + C_REFUSED)
      this.i16[(c << 6) + I16_AWAIT_RESP] = 1
      return
    }
    this.openTcp(c, this.front, cl.connectTimeoutS)
  }

  private reqTok(c: number): number {
    return ((this.i32[(c << 5) + I32_GEN]! & 0xffff) << 12) | (this.i32[(c << 5) + I32_REQ_SEQ]! & 0xfff)
  }

  /** Start a TCP handshake from the initiator of `c` to listener L. */
  private openTcp(c: number, L: Listener, connectTimeout: number | null): void {
    this.i16[(c << 6) + I16_L] = L.index
    this.i8[(c << 7) + I8_INI] = I_SYN_SENT
    this.f64[(c << 4) + F64_START] = this.q.now
    // draining only lowers the counts: needed for the samplers, or when this one may be a new peak
    const role = this.i8[(c << 7) + I8_ROLE]!
    if (this.leaving > 0 && (this.synSentSampled !== null || (role === ROLE_CLIENT ? this.synSentCli >= this.maxSynSent : this.synSentUp[role]! >= this.maxSynSentUp[role]!))) this.drainLeaves(this.q.now)
    this.ssClock = this.q.now
    this.synSent++
    if (role === ROLE_CLIENT) {
      if (++this.synSentCli > this.maxSynSent) this.maxSynSent = this.synSentCli
      if (this.synSentSampled) this.synSentSampled.set(this.q.now, this.synSentCli)
    }
    if (L.unix) return
    if (role !== ROLE_CLIENT) this.synSentUpDelta(c, 1)
    // with softirq handshakes this delay is the host's scheduling jitter before connect() runs
    this.at(this.q.now + this.owdOf(c), EV_SYN, c)
    this.i8[(c << 7) + I8_SYN_OUT] = 1
    const ih = this.iniHost(c)
    this.f64[(c << 4) + F64_SYN_AT] = this.q.now
    this.f64[(c << 4) + F64_GIVE_UP] = connectTimeout != null ? Math.min(connectTimeout, ih.synGiveUp) : ih.synGiveUp
    // A SYN that gets a SYN-ACK needs neither the retransmit timer nor the connect timeout:
    // both are armed (as the kernel armed them when the SYN left) only once a SYN is dropped.
    if (this.f64[(c << 4) + F64_GIVE_UP] < 4 * MIN_OWD_S + (role === ROLE_UPSTREAM ? this.s.network.backendRttMs : this.s.network.clientRttMs) / 1000) this.armSynTimers(c)
  }

  /** A proxy or nginx TCP connect (not a client's, not a unix socket) enters (+1) or leaves (-1) SYN-SENT. */
  private synSentUpDelta(c: number, d: number): void {
    const r = this.i8[(c << 7) + I8_ROLE]!
    if (r === ROLE_CLIENT || this.listeners[this.i16[(c << 6) + I16_L]!]!.unix) return
    const v = (this.synSentUp[r]! += d)
    if (v > this.maxSynSentUp[r]!) this.maxSynSentUp[r] = v
    const sm = this.synSentUpSampled[r]
    if (sm) sm.set(this.q.now, v)
  }

  /** An initiator of role r is no longer in SYN-SENT since time t (counts and samplers). */
  private ssDec(r: number, t: number): void {
    this.synSent--
    if (r === ROLE_CLIENT) {
      this.synSentCli--
      if (this.synSentSampled) this.synSentSampled.set(t, this.synSentCli)
      return
    }
    const v = --this.synSentUp[r]!
    const sm = this.synSentUpSampled[r]
    if (sm) sm.set(t, v)
  }

  /** c leaves SYN-SENT now (handshake event, give-up, failure), unless the leave FIFO counts it out. */
  private leaveSynSent(c: number): void {
    if (this.i8[(c << 7) + I8_LEAVE]) return
    if (this.leaving > 0 && this.synSentSampled) this.drainLeaves(this.q.now) // the samplers need times in order
    this.ssClock = this.q.now
    const r = this.i8[(c << 7) + I8_ROLE]!
    if (r === ROLE_CLIENT) this.ssDec(r, this.q.now)
    else {
      this.synSent--
      this.synSentUpDelta(c, -1)
    }
  }

  /** The SYN-ACK of c reaches it at t1: it leaves SYN-SENT then. */
  private queueLeave(c: number, t1: number): void {
    if (this.i8[(c << 7) + I8_LEAVE]) return // already on its way out (a second admission)
    const r = this.i8[(c << 7) + I8_ROLE]!
    let a = this.leaveT[r]!
    if (this.leaveLen[r] === a.length) {
      const b = new Float64Array(a.length * 2)
      for (let i = 0; i < a.length; i++) b[i] = a[(this.leaveHead[r]! + i) & (a.length - 1)]!
      this.leaveT[r] = a = b
      this.leaveHead[r] = 0
    }
    a[(this.leaveHead[r]! + this.leaveLen[r]!++) & (a.length - 1)] = t1
    this.leaving++
    this.i8[(c << 7) + I8_LEAVE] = 1
  }

  /** Count out every initiator whose SYN-ACK has arrived by `now`. */
  private drainLeaves(now: number): void {
    for (let r = 0; r < 3; r++) {
      const a = this.leaveT[r]!
      const mask = a.length - 1
      let h = this.leaveHead[r]!
      let n = this.leaveLen[r]!
      while (n > 0 && a[h]! <= now) {
        const t1 = a[h]!
        h = (h + 1) & mask
        n--
        this.leaving--
        if (t1 > this.ssClock) this.ssClock = t1
        this.ssDec(r, this.ssClock)
      }
      this.leaveHead[r] = h
      this.leaveLen[r] = n
    }
  }

  /** A packet queued now to the NET_RX backlog of initiator host h (role index): when it is handled, in order. */
  private rxQueue(h: number): number {
    const t = Math.max(this.q.now, this.rxBusyUntil[h]!) + SOFTIRQ_S
    this.rxBusyUntil[h] = t
    return t
  }

  /** The SYN of c was dropped: arm the retransmit timer (from when it was sent) and, once, the give-up. */
  private armSynTimers(c: number): void {
    const ih = this.iniHost(c)
    const k = this.i16[(c << 6) + I16_SYN_IDX]!
    const giveUpAt = this.f64[(c << 4) + F64_START]! + this.f64[(c << 4) + F64_GIVE_UP]!
    if (k + 1 < ih.syn.length && !this.i8[(c << 7) + I8_RTX_PENDING]) {
      const t = timerAt(this.f64[(c << 4) + F64_SYN_AT]!, ih.syn[k + 1]! - ih.syn[k]!, ih.wheel, ih.hz)
      // A retransmit due strictly after the give-up would be popped as a no-op: the connect
      // timeout (armed below, if not yet) releases the row first, as a pending retransmit means
      // the last SYN was dropped. Not scheduled in full runs; runs cut at maxEvents (previews)
      // keep it, since it counts towards the cut.
      if (!(t > giveUpAt && this.skipDeadTimers)) {
        if (this.softirq[this.i8[(c << 7) + I8_ROLE]!]) this.at(t, EV_SYN_TIMER, c)
        else {
          // Nothing reaches an initiator whose SYN was dropped, so the retransmit leaves at t
          // for certain unless the connection is given up first: one event, its arrival, with
          // the timer's bookkeeping done there (rtxSent) or when the connection ends.
          this.i8[(c << 7) + I8_RTX_PENDING] = 1
          this.f64[(c << 4) + F64_SYN_AT] = t
          this.at(t + this.owdOf(c), EV_SYN_RTX, c)
        }
      }
    }
    if (!(this.i8[(c << 7) + I8_TIMERS]! & 1)) {
      this.i8[(c << 7) + I8_TIMERS]! |= 1
      this.at(giveUpAt, EV_CONNECT_TIMEOUT, c)
    }
  }

  /**
   * A client's SYN was dropped by the PAWS check of tcp_tw_recycle (onSyn): its next
   * retransmits that the same check is certain to drop are done here, at once: counted
   * (TCPSynRetrans on the client; PAWSPassive, ListenDrops on H) and stepped over, so
   * armSynTimers schedules only the first one that is not certain (or none).
   * Certain means: it arrives, at the latest, at A = its departure + the largest one-way delay,
   * before the connection can end (connect give-up, request timeout, end of run), and the check
   * with the cache as it is now already drops it at A: its timestamp natTs + 1000 A is below
   * pawsTs and A is within 60 s of pawsAt. The cache only moves forward while it is fresh
   * (stampPaws replaces it with a larger timestamp, or once it is 60 s old, which it cannot be
   * before A), so the check at the real arrival drops it too. Nothing else happens to a
   * client in SYN-SENT whose SYNs are all dropped, so the run is the same, with fewer events
   * (test/simulator/mechanisms.test.ts compares both ways).
   */
  private pawsCertain(c: number, H: Host): void {
    if (this.i8[(c << 7) + I8_RTX_PENDING]) return
    const ih = this.hosts[0]!
    const cl = this.s.clients
    let end = Math.min(this.f64[(c << 4) + F64_START]! + this.f64[(c << 4) + F64_GIVE_UP]!, this.endS)
    if (cl.requestTimeoutS != null && !this.abMode) end = Math.min(end, this.f64[(c << 4) + F64_CONN_START]! + cl.requestTimeoutS)
    const maxOwd = this.owdBase[0] + HOST_JITTER_S + this.netJitterS
    const ts0 = this.natTs[this.i16[(c << 6) + I16_NAT_HOST]!]!
    let k = this.i16[(c << 6) + I16_SYN_IDX]!
    let at = this.f64[(c << 4) + F64_SYN_AT]!
    const k0 = k
    while (k + 1 < ih.syn.length) {
      const t = timerAt(at, ih.syn[k + 1]! - ih.syn[k]!, ih.wheel, ih.hz)
      const a = t + maxOwd
      if (!(a < end && a - H.pawsAt < TIME_WAIT_S && ts0 + a * 1000 < H.pawsTs)) break
      k++
      at = t
      ih.counters.TCPSynRetrans++
      H.counters.PAWSPassive++
      H.counters.ListenDrops++
    }
    if (k === k0) return
    this.i16[(c << 6) + I16_SYN_IDX] = k
    this.f64[(c << 4) + F64_SYN_AT] = at
    this.i8[(c << 7) + I8_RETRANSMITTED] = 1
  }

  /**
   * The retransmit that left at F64_SYN_AT: its timer's work, done when the timer fires
   * (onSynTimer), or for a fused retransmit when it arrives or the connection ends.
   */
  private rtxSent(c: number): void {
    this.i8[(c << 7) + I8_RTX_PENDING] = 0
    const k = ++this.i16[(c << 6) + I16_SYN_IDX]!
    this.iniHost(c).counters.TCPSynRetrans++
    this.i8[(c << 7) + I8_RETRANSMITTED] = 1
    if (this.logOn) {
      const t = this.f64[(c << 4) + F64_SYN_AT]!
      if (t === this.q.now) this.logEv(`syn-retransmit conn=${c} n=${k}`)
      else this.logEvAt(t, `syn-retransmit conn=${c} n=${k}`)
    }
  }

  /** c leaves SYN-SENT without its pending retransmit having arrived: count it if it left by now. */
  private settleRtx(c: number, until: number): void {
    if (this.i8[(c << 7) + I8_RTX_PENDING]) {
      if (this.f64[(c << 4) + F64_SYN_AT]! <= until) this.rtxSent(c)
      else this.i8[(c << 7) + I8_RTX_PENDING] = 0
    }
  }

  /** A SYN of c was dropped at the listener: its retransmit timers, or, for a ghost, the end of it. */
  private synDropped(c: number): void {
    if (this.i8[(c << 7) + I8_INI] === I_GHOST) this.release(c)
    else this.armSynTimers(c)
  }

  /**
   * Initiator c closes in SYN-SENT (connect timeout, or given up): closing sends nothing
   * (tcp_close in SYN_SENT), but a SYN already on its way still reaches the listener, and a
   * request sock whose SYN-ACK is on its way stays until then. That SYN-ACK finds no socket at
   * the initiator, whose kernel answers with a reset, and the reset removes the request sock
   * (tcp_check_req, embryonic_reset: EmbryonicRsts). A ghost row (I_GHOST) carries this on: its
   * SYN takes the usual admission (or drop) at the listener, a request sock it gets, or takes
   * over from c, lives until the reset arrives (onSynack -> ghostReset). The ghost's SYN arrives
   * at the SYN's departure plus the hop's base one-way delay (its jitter draw is not known).
   * Lab row timeout-connect-0.1s-retries-2: 180 EmbryonicRsts for 180 connects given up after
   * 100 ms on a 200 ms round trip, up to 14 request socks at nginx.
   */
  private ghostSyn(c: number): void {
    const L = this.listeners[this.i16[(c << 6) + I16_L]!]!
    if (L.unix) return
    const now = this.q.now
    const st = this.i8[(c << 7) + I8_SRV]!
    const role = this.i8[(c << 7) + I8_ROLE]!
    const owd = role === ROLE_CLIENT ? this.owdBase[0] : role === ROLE_UPSTREAM ? this.owdBase[1] : MIN_OWD_S
    let at = -1
    let kind = EV_SYN
    if (st === S_REQ) {
      const est = this.f64[(c << 4) + F64_EST_AT]!
      if (!(est > now)) return
      at = est + owd
      kind = EV_SYNACK
    } else if (st === S_NONE) {
      const left = this.f64[(c << 4) + F64_SYN_AT]!
      if ((this.i8[(c << 7) + I8_RTX_PENDING] && left <= now) || this.i8[(c << 7) + I8_SYN_OUT]) at = Math.max(now, left + owd)
    }
    if (at < 0) return
    const g = this.alloc(role)
    this.i8[(g << 7) + I8_INI] = I_GHOST
    this.i16[(g << 6) + I16_L] = L.index
    this.i16[(g << 6) + I16_SERVER] = this.i16[(c << 6) + I16_SERVER]!
    this.i16[(g << 6) + I16_POOL] = this.i16[(c << 6) + I16_POOL]!
    this.i16[(g << 6) + I16_NAT_HOST] = this.i16[(c << 6) + I16_NAT_HOST]!
    this.i32[(g << 5) + I32_IP] = this.i32[(c << 5) + I32_IP]!
    if (st === S_REQ) {
      // the request sock passes to the ghost
      this.i8[(g << 7) + I8_SRV] = S_REQ
      this.i8[(g << 7) + I8_YOUNG] = this.i8[(c << 7) + I8_YOUNG]!
      this.f64[(g << 4) + F64_REQ_AT] = this.f64[(c << 4) + F64_REQ_AT]!
      this.i8[(c << 7) + I8_SRV] = S_NONE
      this.i8[(c << 7) + I8_YOUNG] = 0
    }
    if (this.logOn) this.logEv(`syn-ghost conn=${c} ghost=${g} ${st === S_REQ ? 'request sock' : 'SYN in flight'} reset_or_arrival_at=${(at * 1000).toFixed(3)}ms`)
    this.at(at, kind, g)
  }

  /** The initiator's reset reaches a ghost's request sock: removed (EmbryonicRsts); the ghost ends. */
  private ghostReset(g: number): void {
    if (this.i8[(g << 7) + I8_SRV] === S_REQ) {
      const L = this.listeners[this.i16[(g << 6) + I16_L]!]!
      this.removeReq(g, L)
      this.hosts[L.host]!.counters.EmbryonicRsts++
      if (this.logOn) this.logEv(`embryonic-reset ghost=${g} L=${L.id} synq=${L.synq}`)
    }
    this.release(g)
  }

  private onSynTimer(c: number): void {
    if (this.i8[(c << 7) + I8_INI] !== I_SYN_SENT) return
    this.f64[(c << 4) + F64_SYN_AT] = this.q.now
    this.rtxSent(c)
    const r = this.i8[(c << 7) + I8_ROLE]!
    this.at(this.softirq[r] ? this.rxQueue(r) : this.q.now + this.owdOf(c), EV_SYN, c)
    this.i8[(c << 7) + I8_SYN_OUT] = 1
  }

  /** ECONNREFUSED at the initiator (a proxy's connect to a server that is down): HAProxy retries after its turn-around. */
  private onRefused(c: number): void {
    if (this.i8[(c << 7) + I8_INI] !== I_SYN_SENT) return
    if (this.logOn) this.logEv(`connect-refused conn=${c}`)
    if (this.i8[(c << 7) + I8_ROLE] !== ROLE_UPSTREAM) {
      this.clientFail(c, C_REFUSED) // also leaves SYN-SENT (only servers refuse today)
      return
    }
    this.settleRtx(c, this.q.now)
    this.i8[(c << 7) + I8_INI] = I_DONE
    this.leaveSynSent(c)
    this.upstreamFailed(c, 'refused')
  }

  private onConnectTimeout(c: number): void {
    if (this.i8[(c << 7) + I8_INI] !== I_SYN_SENT) return
    // the SYN-ACK already reached the initiator (handshake event pending): connected
    if (this.f64[(c << 4) + F64_EST_AT]! > 0 && this.f64[(c << 4) + F64_EST_AT]! <= this.q.now) return
    const r = this.i8[(c << 7) + I8_ROLE]!
    if (this.logOn) this.logEv(`connect-timeout conn=${c} role=${r}`)
    if (r === ROLE_CLIENT) {
      this.clientFail(c, C_CONNECT_TIMEOUT) // also leaves SYN-SENT
      return
    }
    this.ghostSyn(c)
    this.settleRtx(c, this.q.now)
    this.i8[(c << 7) + I8_INI] = I_DONE
    this.leaveSynSent(c)
    if (r === ROLE_UPSTREAM) {
      this.upstreamFailed(c, 'connect')
    } else {
      // nginx -> php-fpm TCP: fastcgi_connect_timeout -> 504
      if (this.i8[(c << 7) + I8_SRV] === S_REQ) this.removeReq(c, this.listeners[this.i16[(c << 6) + I16_L]!]!)
      const front = this.i32[(c << 5) + I32_PEER]!
      const sv = this.servers[this.i16[(c << 6) + I16_SERVER]!]!
      sv.fds--
      this.release(c)
      if (front >= 0) {
        this.i32[(front << 5) + I32_CHILD] = -1
        this.backendRespond(front, 504)
      }
    }
  }

  // ------------------------------------------------------------------ kernel --
  /** SYN arrives at the listener of c. */
  /**
   * tcp_conn_request's admission of a SYN of connection c (-1: HAProxy's health check, from its
   * address) at listener L of host H, tcp_tw_recycle aside: the SYN queue full without cookies (or cookies=2), then the
   * accept queue full, then the 3/4 rule of tcp_max_syn_backlog; counted as the kernel counts.
   * SYN_ACCEPT, SYN_COOKIE (answered with a cookie: SyncookiesSent) or a SYN_DROP_*.
   */
  private synAdmission(L: Listener, H: Host, c: number): number {
    const k = H.k
    const ctr = H.counters
    const cookies = k.syncookies
    let wantCookie = false
    if (cookies === 2 || L.synq >= L.synCap) {
      if (cookies === 0) {
        ctr.ListenDrops++
        ctr.TCPReqQFullDrop++
        return SYN_DROP_SYNQ
      }
      wantCookie = true
      ctr.TCPReqQFullDoCookies++
    }
    if (L.full && (H.t.acceptFullSynDrop === 'always' || L.young > 1)) {
      ctr.ListenOverflows++
      ctr.ListenDrops++
      return SYN_DROP_ACCEPTQ
    }
    if (!wantCookie && cookies === 0 && k.tcpMaxSynBacklog - L.synq < k.tcpMaxSynBacklog >> 2 && L.proven[c >= 0 ? this.peerOf(c) : 0] !== 1) {
      ctr.ListenDrops++
      return SYN_DROP_34
    }
    if (wantCookie) {
      ctr.SyncookiesSent++
      return SYN_COOKIE
    }
    return SYN_ACCEPT
  }

  private onSyn(c: number): void {
    const ini = this.i8[(c << 7) + I8_INI]!
    if ((ini !== I_SYN_SENT && ini !== I_GHOST) || this.i8[(c << 7) + I8_SRV] === S_REQ || this.i8[(c << 7) + I8_SRV] === S_COOKIE) return
    this.i8[(c << 7) + I8_SYN_OUT] = 0
    const L = this.listeners[this.i16[(c << 6) + I16_L]!]!
    if (L.refuses) {
      // no listener: the host answers with a reset (tcp_v4_send_reset), no queue and no counter
      // of the listen path moves; the initiator's connect() fails one round trip after it began
      if (this.logOn) this.logEv(`syn-refused conn=${c} L=${L.id}`)
      if (ini === I_GHOST) this.synDropped(c)
      else this.at(this.q.now + this.owdOf(c), EV_REFUSED, c)
      return
    }
    const H = this.hosts[L.host]!
    const k = H.k
    const ctr = H.counters
    // tcp_tw_recycle (<= 4.11): PAWS check against the NAT address's cached timestamp
    if (k.twRecycle === 1 && H.t.twRecycle && k.timestamps === 1 && this.i8[(c << 7) + I8_ROLE] === ROLE_CLIENT && this.i16[(c << 6) + I16_NAT_HOST]! >= 0) {
      const ts = this.natTs[this.i16[(c << 6) + I16_NAT_HOST]!]! + this.q.now * 1000
      if (this.q.now - H.pawsAt < TIME_WAIT_S && ts < H.pawsTs) {
        ctr.PAWSPassive++
        ctr.ListenDrops++
        this.hit('tw-recycle')
        if (this.logOn) this.logEv(`syn-drop paws conn=${c}`)
        if (ini !== I_GHOST && PAWS_CHAIN && this.skipDeadTimers && !this.logOn && !this.softirq[ROLE_CLIENT]) this.pawsCertain(c, H)
        this.synDropped(c)
        return
      }
    }
    const adm = this.synAdmission(L, H, c)
    if (adm >= SYN_DROP_SYNQ) {
      if (adm === SYN_DROP_ACCEPTQ) this.overflowHit(L)
      else this.hit('syn-queue')
      if (this.logOn) this.logEv(`syn-drop ${adm === SYN_DROP_SYNQ ? 'synq-full' : adm === SYN_DROP_ACCEPTQ ? 'acceptq-full' : '3/4-rule'} conn=${c} L=${L.id}`)
      this.synDropped(c)
      return
    }
    if (adm === SYN_COOKIE) {
      this.i8[(c << 7) + I8_SRV] = S_COOKIE
      if (this.logOn) this.logEv(`syn-cookie conn=${c} L=${L.id}`)
    } else {
      L.synq++
      L.young++
      this.i8[(c << 7) + I8_YOUNG] = 1
      this.i8[(c << 7) + I8_SRV] = S_REQ
      this.i16[(c << 6) + I16_SYNACK_IDX] = 0
      if (L.synq > L.maxSynq) L.maxSynq = L.synq
      if (L.sqSampled) L.sqSampled.set(this.q.now, L.synq)
      this.level(L.colSynq!, L.synq)
      // the SYN-ACK retransmit timer is armed lazily, when the final ACK is dropped
      this.f64[(c << 4) + F64_REQ_AT] = this.q.now
      if (this.logOn) this.logEv(`syn-recv conn=${c} L=${L.id} synq=${L.synq}`)
    }
    if (ini === I_GHOST) {
      // its SYN-ACK finds no socket at the initiator, whose reset comes back one round trip later
      this.at(this.q.now + this.owdOf(c) + this.owdOf(c), EV_SYNACK, c)
      return
    }
    if (this.softirq[this.i8[(c << 7) + I8_ROLE]!]) {
      if (this.i16[(c << 6) + I16_SYN_IDX] === 0) {
        // connect() from process context: SYN-ACK and ACK are handled before the syscall returns
        this.f64[(c << 4) + F64_EST_AT] = this.q.now
        this.onSynack(c)
      } else {
        // a retransmit: its SYN-ACK, then its ACK, queue behind every SYN of this jiffy
        const t = this.rxQueue(this.i8[(c << 7) + I8_ROLE]!)
        this.f64[(c << 4) + F64_EST_AT] = t
        this.at(t, EV_SYNACK_RX, c)
      }
      return
    }
    // SYN-ACK reaches the initiator at t1 (connect() returns), its ACK + request reach us d2 later
    const t1 = this.q.now + this.owdOf(c)
    this.f64[(c << 4) + F64_EST_AT] = t1
    this.queueLeave(c, t1)
    this.at(t1 + this.owdOf(c), EV_SYNACK, c)
  }

  /**
   * Address the listener sees connection c come from (index into Listener.proven): a client's
   * source IP or the shared NAT address, HAProxy's source IP, nginx for php-fpm.
   */
  private peerOf(c: number): number {
    const r = this.i8[(c << 7) + I8_ROLE]!
    if (r === ROLE_CLIENT) return this.i16[(c << 6) + I16_NAT_HOST]! >= 0 ? this.s.clients.sourceIps : Math.max(0, this.i32[(c << 5) + I32_IP]!)
    if (r === ROLE_UPSTREAM) return Math.max(0, this.i16[(c << 6) + I16_POOL]!)
    return 0
  }

  /**
   * An established connection accepted on its listener closes (FIN, not RST): tcp_update_metrics
   * (LAST_ACK done / tcp_time_wait) caches the peer's RTT, so the peer is "proven" from now on.
   * The cache's 1 h expiry and hash-bucket eviction are not modelled.
   */
  private markProven(c: number): void {
    this.listeners[this.i16[(c << 6) + I16_L]!]!.proven[this.peerOf(c)] = 1
  }

  private overflowHit(L: Listener): void {
    if (L.owner === 0) this.hit('accept-queue')
    else if (L.owner === 2) this.hit('php-fpm-backlog')
    else this.hit(this.s.backend.kind === 'generic' ? 'backend-workers' : 'accept-queue')
  }

  /**
   * Handshake completion, as one event: the initiator got the SYN-ACK at cEstAt (connect()
   * returned, the request was written) and its ACK plus request segment reach the listener now.
   */
  private onSynack(c: number): void {
    if (this.i8[(c << 7) + I8_INI] !== I_SYN_SENT) {
      if (this.i8[(c << 7) + I8_INI] === I_GHOST) this.ghostReset(c)
      return
    }
    const t1 = this.f64[(c << 4) + F64_EST_AT]!
    this.settleRtx(c, t1) // a retransmit that left before the SYN-ACK came (RTT > RTO)
    this.i8[(c << 7) + I8_INI] = I_EST
    this.leaveSynSent(c)
    const connectS = t1 - this.f64[(c << 4) + F64_START]!
    let withData = true
    if (this.i8[(c << 7) + I8_ROLE] === ROLE_CLIENT) {
      this.connectH.add(connectS * 1000)
      this.connected++
      if (this.i8[(c << 7) + I8_RETRANSMITTED]) this.retriedConnects++
      this.f64[(c << 4) + F64_REQ_START] = t1
      if (this.abMode) {
        this.abEvent(t1)
        // ab writes only while fewer than -n are written; otherwise the connection stays idle
        if (this.abWritten < this.s.clients.totalRequests) {
          this.abWritten++
          this.abCount(c, t1)
        } else withData = false
      }
    }
    if (this.logOn) this.logEv(`established conn=${c} connect_ms=${(connectS * 1000).toFixed(3)}${withData ? '' : ' idle'}`)
    if (withData && this.rxBurstHost >= 0) {
      // the ACK leaves inside the NET_RX burst; the process writes its request when it runs, after
      // the burst (a write from process context is handled at once, so an acceptor it wakes can run)
      this.onAck(c, false)
      this.at(Math.max(this.q.now, this.rxBusyUntil[this.rxBurstHost]!) + this.rJit.exp(APP_REACT_S), EV_DATA, c)
    } else {
      this.onAck(c, withData)
      // a dropped ACK is followed microseconds later by the request segment: a second attempt
      if (withData && (this.i8[(c << 7) + I8_SRV] === S_REQ || this.i8[(c << 7) + I8_SRV] === S_COOKIE)) {
        const H = this.hosts[this.listeners[this.i16[(c << 6) + I16_L]!]!.host]!
        H.counters.ListenOverflows++
        H.counters.ListenDrops++
      }
    }
    // ab's write_request sets `lasttime` too: a request written at or past -t ends its run
    if (this.abMode && withData && t1 >= this.loadEndS && this.i8[(c << 7) + I8_ROLE] === ROLE_CLIENT) this.abStop(t1, 'time-limit')
  }

  /** Final ACK (pure) at the listener. */
  private onAck(c: number, withData: boolean): void {
    const st = this.i8[(c << 7) + I8_SRV]!
    const L = this.listeners[this.i16[(c << 6) + I16_L]!]!
    if (st === S_ACCEPTQ || st === S_ACCEPTED) {
      if (withData && !this.i8[(c << 7) + I8_HAS_DATA]) {
        this.i8[(c << 7) + I8_HAS_DATA] = 1
        if (st === S_ACCEPTED) this.onRequestData(c)
      }
      return
    }
    if (st === S_GONE) {
      // request expired: RST to the client's segment
      if (withData) this.initiatorReset(c)
      return
    }
    if (st !== S_REQ && st !== S_COOKIE) return
    const H = this.hosts[L.host]!
    if (L.full) {
      H.counters.ListenOverflows++
      H.counters.ListenDrops++
      this.overflowHit(L)
      // tcp_abort_on_overflow acts in tcp_check_req (request socks); a cookie ACK is just dropped
      if (H.k.abortOnOverflow === 1 && st === S_REQ) {
        H.counters.EmbryonicRsts++
        this.removeReq(c, L)
        this.i8[(c << 7) + I8_SRV] = S_GONE
        if (this.logOn) this.logEv(`ack-overflow reset conn=${c} L=${L.id}`)
        this.initiatorReset(c)
        return
      }
      if (this.logOn) this.logEv(`ack-overflow drop conn=${c} L=${L.id} data=${withData ? 1 : 0}`)
      if (withData && this.i16[(c << 6) + I16_RTX] === 0) this.armDataRtx(c)
      if (st === S_REQ && !(this.i8[(c << 7) + I8_TIMERS]! & 2)) {
        // request sock stays: its SYN-ACK retransmit timer (armed when it was created) matters now
        this.i8[(c << 7) + I8_TIMERS]! |= 2
        const sa = H.synack
        this.at(timerAt(this.f64[(c << 4) + F64_REQ_AT]!, sa.length > 1 ? sa[1]! : H.synackExpire, H.wheel, H.hz), EV_REQSK_TIMER, c)
      }
      return
    }
    // promote
    if (st === S_REQ) this.removeReq(c, L)
    this.i8[(c << 7) + I8_SRV] = S_ACCEPTQ
    if (withData) this.i8[(c << 7) + I8_HAS_DATA] = 1
    L.push(c, this.i32[(c << 5) + I32_GEN]!)
    this.f64[(c << 4) + F64_QUEUED_AT] = this.q.now
    this.level(L.colAcceptq!, L.aqLen)
    if (this.logOn) this.logEv(`acceptq conn=${c} L=${L.id} len=${L.aqLen}`)
    if (this.rxBurstHost >= 0 && (BURST_WAKE_OWNERS >> L.owner) & 1) this.wakeAfterBurst(L, this.rxBusyUntil[this.rxBurstHost]!)
    else this.wake(L)
  }

  /** L's acceptor, woken by a packet of a softirq burst, runs once the burst (ending at t) is done. */
  private wakeAfterBurst(L: Listener, t: number): void {
    if (L.owner === 0) {
      if (t > this.q.now) this.proxyPause(t - this.q.now)
      else this.proxyAccept()
      return
    }
    const sv = this.servers[L.server]!
    if (L.owner === 1) {
      if (t <= sv.burstWakeAt) return
      sv.burstWakeAt = t
      this.q.schedule(t, 0, EV_BACKEND_ACCEPT, -1, L.server)
    } else {
      if (t <= sv.fpmBurstWakeAt) return
      sv.fpmBurstWakeAt = t
      this.q.schedule(t, 0, EV_FPM_ACCEPT, -1, L.server)
    }
  }

  private removeReq(c: number, L: Listener): void {
    L.synq--
    if (L.sqSampled) L.sqSampled.set(this.q.now, L.synq)
    if (this.i8[(c << 7) + I8_YOUNG]) {
      L.young--
      this.i8[(c << 7) + I8_YOUNG] = 0
    }
  }

  /**
   * Did the handshake give the initiator an RTT sample? Its first data RTO (tcp_init_metrics) is
   * RTO_MIN + RTT if so, else 3 s (armDataRtx). A SYN-ACK answering a retransmitted SYN gives none by Karn's rule,
   * but with timestamps negotiated (both hosts' tcp_timestamps=1) tcp_ack_update_rtt takes it from
   * the TS echo (RTTM rule); only without timestamps does srtt stay 0 and the RTO fall back to 3 s.
   */
  private hasRttSample(c: number): boolean {
    const tsBoth = this.iniHost(c).k.timestamps === 1 && this.hosts[this.listeners[this.i16[(c << 6) + I16_L]!]!.host]!.k.timestamps === 1
    return !this.i8[(c << 7) + I8_RETRANSMITTED] || tsBoth
  }

  private armDataRtx(c: number): void {
    const n = this.i16[(c << 6) + I16_RTX]!
    const sampled = this.hasRttSample(c)
    const delay = requestResendDelay(n, sampled ? RTO_MIN_S + 2 * this.owdOf(c) : RTO_FALLBACK_S, sampled)
    this.i16[(c << 6) + I16_RTX] = n + 1
    const ih = this.iniHost(c)
    const t = timerAt(this.q.now, delay, ih.wheel, ih.hz)
    this.at(this.softirq[this.i8[(c << 7) + I8_ROLE]!] ? t : t + this.owdOf(c), EV_DATA_RTX, c)
  }

  private onDataRtx(c: number): void {
    if (this.i8[(c << 7) + I8_INI] !== I_EST) return
    if (this.i8[(c << 7) + I8_HAS_DATA]) return
    const st = this.i8[(c << 7) + I8_SRV]!
    if (st === S_REQ || st === S_COOKIE) {
      this.onAck(c, true)
      if (this.i8[(c << 7) + I8_SRV] === S_REQ || this.i8[(c << 7) + I8_SRV] === S_COOKIE) this.armDataRtx(c)
      return
    }
    this.onAck(c, true)
  }

  /** Server request-sock timer: SYN-ACK retransmit (client answers with a dup ACK) or expiry. */
  private onReqskTimer(c: number): void {
    if (this.i8[(c << 7) + I8_SRV] !== S_REQ) return
    const L = this.listeners[this.i16[(c << 6) + I16_L]!]!
    const H = this.hosts[L.host]!
    const n = ++this.i16[(c << 6) + I16_SYNACK_IDX]!
    // semantics 2.2: with the queue more than half full, old requests lose retries (down to 2)
    // while qlen >= young * 2^k; computed before this request stops being young, as the kernel does
    const maxRetries = prunedSynackRetries(H.k.synackRetries, L.synq, L.young, H.t.synQueueRule === 'pow2' ? L.synCap : 0, L.B)
    if (this.i8[(c << 7) + I8_YOUNG]) {
      L.young--
      this.i8[(c << 7) + I8_YOUNG] = 0
    }
    if (n > maxRetries) {
      this.removeReq(c, L)
      this.i8[(c << 7) + I8_SRV] = S_GONE
      if (this.logOn) this.logEv(`reqsk-expired conn=${c} L=${L.id}`)
      // the client's next segment meets a listener without request: RST (semantics 3.4); its
      // pending data retransmit is that segment, else (no retransmit armed) it is reset now
      if (this.i8[(c << 7) + I8_INI] === I_EST && !(this.i16[(c << 6) + I16_RTX]! > 0 && !this.i8[(c << 7) + I8_HAS_DATA])) this.initiatorReset(c)
      return
    }
    H.counters.TCPSynRetrans++ // tcp_rtx_synack counts SYN-ACK retransmits in the listener's netns
    if (this.logOn) this.logEv(`synack-retransmit conn=${c} n=${n}`)
    if (this.i8[(c << 7) + I8_INI] === I_EST) {
      // client already established: its dup ACK retries the promotion one RTT later
      this.at(this.q.now + 2 * this.owdOf(c), EV_ACK, c)
    }
    const sa = H.synack
    const nextGap = n + 1 < sa.length ? sa[n + 1]! - sa[n]! : H.synackExpire - sa[n]!
    this.at(timerAt(this.q.now, nextGap, H.wheel, H.hz), EV_REQSK_TIMER, c)
  }

  /** The initiator of c gets a reset (ECONNRESET). */
  private initiatorReset(c: number): void {
    if (this.i8[(c << 7) + I8_INI] !== I_EST) return
    const r = this.i8[(c << 7) + I8_ROLE]!
    if (r === ROLE_CLIENT) this.clientFail(c, C_RESET)
    else if (r === ROLE_UPSTREAM) {
      this.i8[(c << 7) + I8_INI] = I_DONE
      this.upstreamFailed(c, 'reset')
    } else {
      const front = this.i32[(c << 5) + I32_PEER]!
      this.i8[(c << 7) + I8_INI] = I_DONE
      const sv = this.servers[this.i16[(c << 6) + I16_SERVER]!]!
      sv.fds--
      if (this.i8[(c << 7) + I8_SRV] === S_ACCEPTED) sv.busy--
      this.release(c)
      if (front >= 0) {
        this.i32[(front << 5) + I32_CHILD] = -1
        this.backendRespond(front, 502)
      }
    }
  }

  // -------------------------------------------------------------- processes --
  private wake(L: Listener): void {
    if (L.owner === 0) this.proxyAccept()
    else if (L.owner === 1) this.backendAccept(this.servers[L.server]!)
    else this.fpmAccept(this.servers[L.server]!)
  }

  private proxyAccept(): void {
    const L = this.front
    const lim = this.limits!
    if (this.q.now < this.proxyPausedUntil) {
      // paused (EMFILE, a loop turn, a batch of responses in progress): come back then
      if (L.aqLen > 0 && !this.proxyWakeArmed) this.proxyPause(0)
      return
    }
    let n = 0
    while (L.aqLen > 0) {
      if (this.feconn >= lim.frontendMaxconn || this.feconn >= lim.maxconn || (lim.bindMaxconn > 0 && this.feconn >= lim.bindMaxconn)) {
        this.hit('haproxy-maxconn')
        return // resumed when a session ends
      }
      if (this.fdUsed + 1 > lim.ulimitN || this.hosts[1]!.openFiles + 1 > this.s.hosts.proxy.fileMax) {
        // EMFILE / ENFILE: "Proxy reached process FD limit", listener paused 100 ms
        this.hit('haproxy-fd')
        this.proxyPause(0.1)
        return
      }
      if (lim.maxaccept > 0 && n >= lim.maxaccept) {
        this.proxyPause(HAPROXY_LOOP_S)
        return
      }
      const c = L.shift()
      if (L.lastGen !== this.i32[(c << 5) + I32_GEN] || this.i8[(c << 7) + I8_SRV] !== S_ACCEPTQ) continue // closed while queued
      n++
      this.i8[(c << 7) + I8_SRV] = S_ACCEPTED
      this.feconn++
      if (this.feconn > this.feMax) this.feMax = this.feconn
      this.fdUsed++
      this.hosts[1]!.openFiles++
      this.stot++
      this.bump(this.cAccepted)
      this.level(this.cols.proxy_scur!, this.feconn)
      this.level(this.cols.open_fds!, this.fdUsed)
      if (this.logOn) this.logEv(`haproxy-accept conn=${c} feconn=${this.feconn}`)
      if (this.s.haproxy!.mode === 'tcp') this.route(c)
      else if (this.i8[(c << 7) + I8_HAS_DATA]) this.route(c)
      else this.timer(EV_HTTP_REQ_TIMEOUT, this.s.haproxy!.timeoutClientS, c, this.reqTok(c))
    }
  }

  private proxyPause(d: number): void {
    const until = this.q.now + d
    if (until > this.proxyPausedUntil) this.proxyPausedUntil = until
    if (!this.proxyWakeArmed || this.proxyWakeAt < this.proxyPausedUntil) {
      this.proxyWakeArmed = true
      this.proxyWakeAt = this.proxyPausedUntil
      this.q.schedule(this.proxyPausedUntil, 0, EV_PROXY_ACCEPT, -1, 0)
    }
  }
  private proxyWakeAt = 0
  private proxyThreads: number[] = []

  /** Request bytes arrived on an accepted connection. */
  private onRequestData(c: number): void {
    const r = this.i8[(c << 7) + I8_ROLE]!
    const L = this.listeners[this.i16[(c << 6) + I16_L]!]!
    if (r === ROLE_CLIENT && L.owner === 0) {
      if (this.s.haproxy!.mode === 'http' && this.i8[(c << 7) + I8_WAITING] === 0 && this.i16[(c << 6) + I16_SERVER] < 0) this.route(c)
      return
    }
    // a backend process got the request
    if (L.owner === 1) this.backendRequest(c)
    else if (L.owner === 2) this.fpmRequest(c)
  }

  // -------------------------------------------------------------- HAProxy --
  /**
   * Pick a server for request c, or queue it (backend.c assign_server_and_queue): roundrobin /
   * leastconn skip saturated servers and, when none is left, queue in the backend queue, which
   * no maxqueue caps; a server picked while full (hash balance; leastconn with maxqueue > 0)
   * queues the request in its own queue, up to its maxqueue, beyond which the request gets 503.
   */
  private route(c: number): void {
    // the stream takes its backend (stream_set_backend): BACKEND stot counts it now, whether it
    // is then served, queued, or refused; redispatch and retries do not count it again
    this.beStot++
    this.place(c)
  }

  /** route() once the backend has counted the stream; again for one a DOWN server's queue gives back (redistribute). */
  private place(c: number): void {
    const h = this.s.haproxy!
    if (this.serversUp === 0) {
      this.noServer(c)
      return
    }
    const sIdx = h.balance === 'source' ? this.hashServer(c) : this.pickServer(-1)
    if (sIdx < 0) {
      this.enqueue(c, -1)
      return
    }
    const sv = this.servers[sIdx]!
    if (this.hasRoom(sv)) {
      this.assign(c, sIdx)
      return
    }
    if (sv.maxqueue > 0 && sv.pq.live >= sv.maxqueue) {
      // SRV_STATUS_FULL without a cookie-assigned (DIRECT) server: no redispatch, 503 + econ
      this.hit('backend-queue')
      sv.econ++
      this.beEcon++
      // be->beconn counted it until the 503 was written: BACKEND smax sees it on top of the rest
      if (this.beCur + 1 > this.beSmax) this.beSmax = this.beCur + 1
      this.proxyFail(c, 503)
      return
    }
    this.enqueue(c, sIdx)
  }

  /** Server not saturated: no maxconn, or nobody queued for it and a free slot. */
  private hasRoom(sv: Server): boolean {
    return sv.maxconn === 0 || (sv.pq.live === 0 && sv.cur < sv.maxconn)
  }

  /** No server is UP (every checked one DOWN): 503 at once, counted in BACKEND econ only (backend.c SRV_STATUS_NOSRV; measured on 2.6). */
  private noServer(c: number): void {
    this.hit('servers-down')
    this.beEcon++
    this.proxyFail(c, 503)
  }

  /** balance source (map-based): the client's address hashed onto the weight-expanded list of the servers UP. */
  private hashServer(c: number): number {
    let x = (this.peerOf(c) + 1) * 0x9e3779b1
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0
    let total = 0
    for (const sv of this.servers) if (sv.up) total += sv.weight
    if (total === 0) return -1
    let slot = x % total
    for (let i = 0; i < this.servers.length; i++) {
      if (!this.servers[i]!.up) continue
      slot -= this.servers[i]!.weight
      if (slot < 0) return i
    }
    return 0
  }

  /** Wait for a slot of server sIdx (its queue) or of any server (sIdx < 0: the backend queue). */
  private enqueue(c: number, sIdx: number): void {
    const h = this.s.haproxy!
    this.hit('server-maxconn')
    if (sIdx < 0) {
      this.i8[(c << 7) + I8_WAITING] = 1
      this.beQ.push(c, this.i32[(c << 5) + I32_GEN]!, this.pendSeq++)
    } else {
      this.i8[(c << 7) + I8_WAITING] = 2
      this.i16[(c << 6) + I16_SERVER] = sIdx
      this.servers[sIdx]!.pq.push(c, this.i32[(c << 5) + I32_GEN]!, this.pendSeq++)
    }
    this.level(this.cols.backend_queue!, ++this.queued)
    // a queued request is already the backend's (be->beconn): BACKEND scur/smax count it
    if (++this.beCur > this.beSmax) this.beSmax = this.beCur
    const tq = h.timeoutQueueS ?? h.timeoutConnectS
    this.timer(EV_QUEUE_TIMEOUT, tq, c, this.reqTok(c))
  }

  // ------------------------------------------------------------ health checks --
  /** check.c srv_getinter: inter while fully up, downinter while fully down, fastinter in between (s). */
  private checkInterS(sv: Server): number {
    const ck = sv.check!
    if (sv.health === ck.rise + ck.fall - 1) return ck.interMs / 1000
    if (!sv.up && sv.health === 0) return (ck.downinterMs ?? ck.interMs) / 1000
    return (ck.fastinterMs ?? ck.interMs) / 1000
  }

  /**
   * check.c: a layer-4 check's connect expires `inter` after it starts (the configured inter,
   * whatever interval is in use), or min(timeout connect, inter) when `timeout check` is set (s).
   * Measured on HAProxy 2.6 with every SYN dropped: L4TOUT after 2000 ms with inter 2s (fastinter
   * 1s, timeout connect 1.5s), after 1500 ms once `timeout check` is set.
   */
  private checkTimeoutS(sv: Server): number {
    const h = this.s.haproxy!
    const inter = sv.check!.interMs / 1000
    return h.timeoutCheckS != null ? Math.min(h.timeoutConnectS, inter) : inter
  }

  /**
   * Health checks (HaproxyServer.check), each a layer-4 check: a TCP connect to the server that
   * passes when its SYN-ACK comes back (L4OK), fails at once when nothing listens (a reset:
   * L4CON), and fails at its timeout when every SYN it sent by then was dropped by the server's
   * full accept or SYN queue (L4TOUT); with option httpchk an HTTP request on a connection of its
   * own (openHttpCheck). The next check starts an interval (srv_getinter) after one ends.
   * HAProxy started long before the run (startedS null): each checked server is at its steady
   * state, one that refuses DOWN (health 0: its checks keep failing, uncounted) and the others
   * fully UP; the checks keep the phase of a start at the run's start.
   * Started at startedS: every health is rise (UP, "but will fall down at first failure"), the
   * first checks are spread over the smallest interval of 1 s or more (SRV_CHK_INTER_THRES), each
   * at least its own, by the server's place among the checked ones (checks.c start_checks,
   * start_check_task); the checks that end before the run's start are played at once, without
   * load: each passes unless the server refuses.
   */
  private startChecks(): void {
    const h = this.s.haproxy
    if (!h) return
    const idx: number[] = []
    this.servers.forEach((sv, i) => {
      if (sv.check) idx.push(i)
    })
    if (!idx.length) return
    if (h.startedS == null) {
      for (const i of idx) {
        const sv = this.servers[i]!
        sv.health = sv.refuses ? 0 : sv.check!.rise + sv.check!.fall - 1
        if (sv.refuses) {
          sv.up = false
          sv.downSince = 0
          this.serversUp--
        }
      }
    } else for (const i of idx) this.servers[i]!.health = this.servers[i]!.check!.rise
    let mininter = 0
    for (const i of idx) {
      const v = this.checkInterS(this.servers[i]!)
      if (v >= 1 && (!mininter || v < mininter)) mininter = v
    }
    const rtt = 2 * this.owdBase[1]
    idx.forEach((i, pos) => {
      const sv = this.servers[i]!
      let start = Math.min(0, h.startedS ?? 0) + (Math.max(mininter, this.checkInterS(sv)) * pos) / idx.length
      while (start + rtt < 0) {
        this.checkDone(i, sv.refuses ? CK_REFUSED : h.httpCheck ? CK_L7OK : CK_OK)
        start += rtt + this.checkInterS(sv)
      }
      this.checkStart(i, start)
    })
  }

  /**
   * A check of server i starts at t (its SYN leaves HAProxy); a layer-4 check's SYN reaches the
   * server one way later, an HTTP check opens a real connection then (openHttpCheck).
   */
  private checkStart(i: number, t: number): void {
    const sv = this.servers[i]!
    sv.ckDeadline = t + this.checkTimeoutS(sv)
    sv.ckSyn = 0
    sv.ckSynAt = t
    if (this.s.haproxy!.httpCheck) this.q.schedule(Math.max(this.q.now, t), 0, EV_CHECK_SYN, -1, i)
    else this.q.schedule(Math.max(this.q.now, t + this.owdBase[1]), 0, EV_CHECK_SYN, 0, i)
  }

  /**
   * An HTTP check (option httpchk) of server i starts: a connection from HAProxy like a request's
   * (a source port, an fd, the proxy host's SYN schedule, the server's listen queues, a worker or
   * php-fpm child for its request), uncounted in the server's sessions (stot, scur) and never
   * retried. Its task's timer is the connect-stage expiry (checkTimeoutS: inter, or min(timeout
   * connect, inter) with `timeout check`); no free fd or source port: SOCKERR at once.
   */
  private openHttpCheck(i: number): void {
    const sv = this.servers[i]!
    const seq = ++sv.ckSeq
    let port = -1
    const poolIdx = sv.poolRr % sv.pools.length
    if (this.fdUsed + 1 <= this.limits!.ulimitN) port = sv.pools[poolIdx]!.connect(this.q.now, this.rPort)
    if (port < 0) {
      this.q.schedule(this.q.now, 0, EV_CHECK, CK_SOCKERR, i)
      return
    }
    sv.poolRr++
    const u = this.alloc(ROLE_UPSTREAM)
    this.i8[(u << 7) + I8_CHECK] = 1
    this.i32[(u << 5) + I32_PORT] = port
    this.i16[(u << 6) + I16_POOL] = poolIdx
    this.i16[(u << 6) + I16_SERVER] = i
    this.fdUsed++
    this.hosts[1]!.openFiles++
    this.level(this.cols.open_fds!, this.fdUsed)
    sv.ckRow = u
    if (this.logOn) this.logEv(`check-open server=${sv.name} up=${u}`)
    this.openTcp(u, sv.listener, null)
    this.q.schedule(sv.ckDeadline, 0, EV_CHECK_EXPIRE, seq, i)
  }

  /**
   * The timer of server i's HTTP check number seq fires (its task wakes). Not connected: L4TOUT.
   * Connected: without `timeout check` the check's whole time was inter: L7TOUT. With it, the
   * connection's establishment set the expiry to `timeout check` after it, but the task stays
   * queued at its connect-stage expiry: it fails then if that later expiry has passed, else waits
   * for it. Measured on HAProxy 2.6.12 (one check alone; a server that answers after 2.5 s):
   * L7TOUT at 1000 ms with inter 1s / timeout connect 1s / timeout check 300ms, at 300 ms with
   * timeout connect 100ms, at 1500 ms with timeout check 1500ms, at 2000 ms (inter) with timeout
   * connect 5s. With other checks in the same process the task is sometimes woken earlier (365-763
   * ms measured for the first setting); not modelled.
   */
  private onCheckExpire(seq: number, i: number): void {
    const sv = this.servers[i]!
    const u = sv.ckRow
    if (seq !== sv.ckSeq || u < 0) return
    // connected once its SYN-ACK is back (the handshake event may still be on its way to the server)
    const ini = this.i8[(u << 7) + I8_INI]
    const estAt = this.f64[(u << 4) + F64_EST_AT]!
    const est = ini === I_EST || (ini === I_SYN_SENT && estAt > 0 && estAt <= this.q.now)
    const tc = this.s.haproxy!.timeoutCheckS
    if (est && tc != null) {
      const late = estAt + tc
      if (late > this.q.now) {
        this.q.schedule(late, 0, EV_CHECK_EXPIRE, seq, i)
        return
      }
    }
    this.endHttpCheck(i, est ? CK_L7TOUT : CK_TIMEOUT)
  }

  /** Server i's HTTP check ends with res: HAProxy closes its connection with a reset (no TIME_WAIT on either side) and the next check is due. */
  private endHttpCheck(i: number, res: number): void {
    const sv = this.servers[i]!
    const u = sv.ckRow
    sv.ckRow = -1
    if (u >= 0) this.closeUpstream(u, false)
    this.onCheck(i, res)
  }

  /**
   * The response to HTTP check row u reaches HAProxy: 2xx/3xx passes (L7OK), another status fails
   * (L7STS: nginx's 502 or 504 from php-fpm); past `timeout check` after the connection was
   * established, the task woken by it fails the check instead (L7TOUT, measured: a response at
   * 800 ms with timeout check 300ms gave L7TOUT at 793 ms).
   */
  private httpCheckResp(u: number, code: number): void {
    const i = this.i16[(u << 6) + I16_SERVER]!
    if (this.servers[i]!.ckRow !== u) {
      this.closeUpstream(u, false)
      return
    }
    const tc = this.s.haproxy!.timeoutCheckS
    const late = tc != null && this.q.now > this.f64[(u << 4) + F64_EST_AT]! + tc
    this.endHttpCheck(i, late ? CK_L7TOUT : code === 200 ? CK_L7OK : CK_L7STS)
  }

  /**
   * A check's SYN reaches server i's listener: the listener's admission, as for any SYN (onSyn),
   * decides. Dropped (the accept queue full, the SYN queue full without cookies, the 3/4 rule):
   * counted in the server host's ListenDrops and friends like any SYN, and retransmitted on the
   * proxy host's SYN schedule while that stays before the check's timeout. Answered: the check
   * passes when the SYN-ACK is back. The check's own request sock (and its ACK, then HAProxy's
   * reset) are not put in the server's queues: one short-lived slot per interval.
   */
  private onCheckSyn(i: number): void {
    const sv = this.servers[i]!
    const back = this.q.now + this.owdBase[1]
    if (sv.refuses) {
      this.q.schedule(Math.min(back, sv.ckDeadline), 0, EV_CHECK, sv.ckDeadline < back ? CK_TIMEOUT : CK_REFUSED, i)
      return
    }
    if (this.synAdmission(sv.listener, this.hosts[sv.listener.host]!, -1) < SYN_DROP_SYNQ) {
      this.q.schedule(Math.min(back, sv.ckDeadline), 0, EV_CHECK, sv.ckDeadline < back ? CK_TIMEOUT : CK_OK, i)
      return
    }
    if (this.logOn) this.logEv(`check-syn-drop server=${sv.name} n=${sv.ckSyn}`)
    const ph = this.hosts[1]!
    const k = sv.ckSyn + 1
    if (k < ph.syn.length) {
      const t = timerAt(sv.ckSynAt, ph.syn[k]! - ph.syn[k - 1]!, ph.wheel, ph.hz)
      if (t < sv.ckDeadline) {
        ph.counters.TCPSynRetrans++
        sv.ckSyn = k
        sv.ckSynAt = t
        this.q.schedule(t + this.owdBase[1], 0, EV_CHECK_SYN, k, i)
        return
      }
    }
    this.q.schedule(sv.ckDeadline, 0, EV_CHECK, CK_TIMEOUT, i)
  }


  /** The check of server i ends with `res`; the next starts an interval later. */
  private onCheck(i: number, res: number): void {
    this.checkDone(i, res)
    this.checkStart(i, this.q.now + this.checkInterS(this.servers[i]!))
  }

  /** A check of server i ends (check.c set_server_check_status): health up on a pass, down on a failure. */
  private checkDone(i: number, res: number): void {
    const sv = this.servers[i]!
    const ck = sv.check!
    const full = ck.rise + ck.fall - 1
    sv.ckStatus = CK_STATUS[res]!
    if (this.logOn) this.logEv(`check-end server=${sv.name} ${sv.ckStatus}`)
    if (res !== CK_OK && res !== CK_L7OK) {
      if (sv.health > 0) {
        sv.chkfail++
        if (--sv.health < ck.rise) sv.health = 0
      }
      if (sv.health === 0 && sv.up) {
        if (res === CK_TIMEOUT || res === CK_L7TOUT) this.hit('check-timeout')
        this.serverDown(i)
      }
    } else {
      if (sv.health < full && ++sv.health >= ck.rise) sv.health = full
      if (sv.health === full && !sv.up) {
        sv.up = true
        if (sv.downSince >= 0) sv.downTotal += this.q.now - sv.downSince
        sv.downSince = -1
        if (this.q.now > 0) sv.changedAt = this.q.now
        if (this.serversUp++ === 0 && this.q.now > 0) this.beChangedAt = this.q.now
        if (this.logOn) this.logEv(`check server=${sv.name} UP`)
        this.dequeue(i) // pendconn_grab_from_px: it takes requests from the backend queue
      }
    }
  }

  /**
   * Server i goes DOWN: it leaves the balancing (chkdown; BACKEND chkdown when none is left UP).
   * With option redispatch the requests waiting in its own queue are placed again (queue.c
   * pendconn_redistribute); without it they wait there for it, or for timeout queue.
   */
  private serverDown(i: number): void {
    const sv = this.servers[i]!
    sv.up = false
    sv.downSince = Math.max(0, this.q.now)
    sv.chkdown++
    // checks played before the run's start change nothing it shows
    if (this.q.now > 0) sv.changedAt = this.q.now
    if (--this.serversUp === 0) {
      this.beChkdown++
      if (this.q.now > 0) this.beChangedAt = this.q.now
    }
    if (this.logOn) this.logEv(`check server=${sv.name} DOWN up=${this.serversUp}`)
    if (!this.s.haproxy!.redispatch) return
    const moved: number[] = []
    for (let k = sv.pq.head; k < sv.pq.conn.length; k++) {
      const c = sv.pq.conn[k]!
      if (sv.pq.gen[k] === this.i32[(c << 5) + I32_GEN] && this.i8[(c << 7) + I8_WAITING] === 2 && this.i16[(c << 6) + I16_SERVER] === i && this.i8[(c << 7) + I8_INI] === I_EST) moved.push(c)
    }
    for (const c of moved) {
      this.unqueue(c)
      this.place(c)
    }
  }

  private pickServer(exclude: number): number {
    const n = this.servers.length
    const lb = this.s.haproxy!.balance
    let best = -1
    if (lb === 'leastconn') {
      // lb_fwlc.c (2.x): a server is a candidate while served + queued < maxconn + maxqueue
      let bv = Infinity
      for (let i = 0; i < n; i++) {
        const sv = this.servers[i]!
        if (i === exclude || sv.weight === 0 || !sv.up || (sv.maxconn > 0 && sv.cur + sv.pq.live >= sv.maxconn + sv.maxqueue)) continue
        const v = sv.cur / sv.weight
        if (v < bv) {
          bv = v
          best = i
        }
      }
      return best
    }
    // weighted round robin over a weight-expanded cycle; saturated servers are skipped (lb_fwrr.c)
    let total = 0
    for (const sv of this.servers) total += sv.weight
    for (let k = 0; k < total; k++) {
      const slot = (this.rr + k) % total
      let acc = 0
      let i = 0
      for (; i < n; i++) {
        acc += this.servers[i]!.weight
        if (slot < acc) break
      }
      const sv = this.servers[i]!
      if (i === exclude || !sv.up || !this.hasRoom(sv)) continue
      this.rr = slot + 1
      return i
    }
    return -1
  }

  /** Leave the backend or server queue (served, timed out, or the client went away). */
  private unqueue(c: number): void {
    const w = this.i8[(c << 7) + I8_WAITING]!
    if (w === 0) return
    this.i8[(c << 7) + I8_WAITING] = 0
    this.queued--
    this.beCur--
    if (w === 1) this.beQ.live--
    else {
      this.servers[this.i16[(c << 6) + I16_SERVER]!]!.pq.live--
      this.i16[(c << 6) + I16_SERVER] = -1
    }
  }

  private assign(c: number, sIdx: number): void {
    const sv = this.servers[sIdx]!
    this.unqueue(c)
    this.i16[(c << 6) + I16_SERVER] = sIdx
    if (this.q.now >= sv.purgeAt) this.purgeTick(sv)
    sv.cur++
    if (sv.cur > sv.maxUsed) sv.maxUsed = sv.cur
    if (sv.cur > sv.estNeed) sv.estNeed = sv.cur
    this.beCur++
    if (this.beCur > this.beSmax) this.beSmax = this.beCur
    this.connectServer(c)
  }

  /**
   * A connect to c's server is issued (or an idle connection taken): it counts in the server's stot
   * (srv_inc_sess_ctr), retries included, and puts the stream in its cur_sess (measured on 2.6: a
   * server that refuses, 2 requests x 4 attempts: stot 8, smax 1). An attempt that fails before
   * the socket (no free port, fd limit) counts in neither.
   */
  private sessAttempt(c: number, sv: Server): void {
    sv.stot++
    if (!this.i8[(c << 7) + I8_CURR_SESS]) {
      this.i8[(c << 7) + I8_CURR_SESS] = 1
      if (++sv.sess > sv.smax) sv.smax = sv.sess
    }
  }

  /** c's stream leaves its server's cur_sess (a failed attempt, or the stream done with the server). */
  private leaveSess(c: number): void {
    if (!this.i8[(c << 7) + I8_CURR_SESS]) return
    this.i8[(c << 7) + I8_CURR_SESS] = 0
    this.servers[this.i16[(c << 6) + I16_SERVER]!]!.sess--
  }

  private connectServer(c: number): void {
    const h = this.s.haproxy!
    const sv = this.servers[this.i16[(c << 6) + I16_SERVER]!]!
    // reuse an idle kept-alive server connection, as http-reuse allows
    const idle = h.serverConnections === 'keep-alive' ? this.takeIdle(c, this.i16[(c << 6) + I16_SERVER]!) : -1
    if (idle >= 0) {
      const u = idle
      this.upReused.add(u)
      sv.reuse++
      this.sessAttempt(c, sv)
      this.i32[(u << 5) + I32_PEER] = c
      this.i32[(c << 5) + I32_PEER] = u
      // cHasData[u] stays 0 (cleared when it went idle): the EV_DATA below sets it and hands the
      // request to the backend (onAck -> onRequestData); setting it here made onAck skip that
      if (this.logOn) this.logEv(`reuse-server-conn conn=${c} up=${u}`)
      this.at(this.q.now + this.owd(1), EV_DATA, u)
      this.armServerTimeout(c)
      return
    }
    // HAProxy counts the attempt before the socket exists (backend.c connect_server increments
    // `connect`, then si_connect): EMFILE and EADDRNOTAVAIL attempts count too (lab row
    // ports-200-tw_reuse-2: 600 = 200 served + 100 x (1 + 3 retries) failed)
    sv.connect++
    if (this.fdUsed + 1 > this.limits!.ulimitN) {
      this.hit('haproxy-fd')
      this.retryOrFail(c)
      return
    }
    // source port for (proxy IP, server IP, server port)
    const poolIdx = sv.poolRr++ % sv.pools.length
    const pool = sv.pools[poolIdx]!
    const port = pool.connect(this.q.now, this.rPort)
    if (port < 0) {
      this.hit('source-ports')
      if (this.logOn) this.logEv(`eaddrnotavail conn=${c}`)
      this.retryOrFail(c)
      return
    }
    const u = this.alloc(ROLE_UPSTREAM)
    this.i32[(u << 5) + I32_PORT] = port
    this.i16[(u << 6) + I16_POOL] = poolIdx
    this.i16[(u << 6) + I16_SERVER] = this.i16[(c << 6) + I16_SERVER]!
    this.i32[(u << 5) + I32_PEER] = c
    this.i32[(c << 5) + I32_PEER] = u
    this.fdUsed++
    this.hosts[1]!.openFiles++
    this.level(this.cols.open_fds!, this.fdUsed)
    this.sessAttempt(c, sv)
    this.openTcp(u, sv.listener, h.timeoutConnectS)
  }

  /**
   * An idle server connection of server sIdx that request c may use (removed from its list), or
   * -1 (backend.c connect_server): the session's own first; under 'never' nothing else. Otherwise
   * from the server's idle list: a session's later requests take any; its first request takes
   * one only under 'always', or under 'aggressive' one already reused once ("safe").
   */
  private takeIdle(c: number, sIdx: number): number {
    const mode = this.s.haproxy!.httpReuse ?? 'safe'
    if (mode === 'never') {
      const list = this.priv.get(c)
      if (!list) return -1
      for (let i = list.length - 1; i >= 0; i--) {
        const u = list[i]!
        if (this.i16[(u << 6) + I16_SERVER] === sIdx && this.i8[(u << 7) + I8_INI] === I_EST) {
          list.splice(i, 1)
          return u
        }
      }
      return -1
    }
    const sv = this.servers[sIdx]!
    this.purgeIdle(sv)
    const first = this.i32[(c << 5) + I32_REQ_SEQ] === 0
    for (let i = sv.idle.length - 1; i >= 0; i--) {
      if (first && mode === 'safe') return -1
      if (first && mode === 'aggressive' && sv.idleSafe[i] !== 1) continue
      const u = sv.idle[i]!
      sv.idleSafeN -= sv.idleSafe[i]!
      sv.idle.splice(i, 1)
      sv.idleAt.splice(i, 1)
      sv.idleSafe.splice(i, 1)
      return u
    }
    return -1
  }

  /** http-reuse never: the client session of c ends, HAProxy closes its private server connections. */
  private closePrivate(c: number): void {
    const list = this.priv.get(c)
    if (!list) return
    this.priv.delete(c)
    for (const u of list) this.closeUpstream(u, false)
  }

  /**
   * Can any request take an idle server connection? Under 'always' any request can; otherwise
   * only a client session's second and later requests can (a connection becomes "safe" for
   * 'aggressive' only by such a reuse): without client keep-alive none ever does, and the
   * connection is closed now rather than idling until HAProxy purges it.
   */
  private reusable(): boolean {
    const cl = this.s.clients
    return this.s.haproxy!.httpReuse === 'always' || (cl.keepAlive && cl.requestsPerConnection > 1)
  }

  /** HAProxy closes server connections idle for pool-purge-delay (5 s by default). */
  private purgeIdle(sv: Server): void {
    const cut = this.q.now - POOL_PURGE_DELAY_S
    let n = 0
    while (n < sv.idle.length && sv.idleAt[n]! <= cut) n++
    if (n === 0) return
    const gone = sv.idle.splice(0, n)
    sv.idleAt.splice(0, n)
    for (const x of sv.idleSafe.splice(0, n)) sv.idleSafeN -= x
    for (const u of gone) this.closeUpstream(u, false)
  }

  /**
   * HAProxy's idle-connection purge task, every pool-purge-delay (srv_cleanup_idle_conns): the
   * estimate of needed connections moves halfway to the peak used since the last tick (never
   * below it), and the peak restarts from the connections in use. Applied lazily, tick by tick.
   */
  private purgeTick(sv: Server): void {
    for (let k = 0; k < 64 && this.q.now >= sv.purgeAt; k++) {
      sv.estNeed = Math.max(sv.maxUsed, (sv.estNeed + sv.maxUsed) >> 1)
      sv.maxUsed = sv.cur
      sv.purgeAt += POOL_PURGE_DELAY_S
    }
    if (this.q.now >= sv.purgeAt) sv.purgeAt = (Math.floor(this.q.now / POOL_PURGE_DELAY_S) + 1) * POOL_PURGE_DELAY_S
  }

  /** An upstream connect failed (timeout / reset / refused). */
  private upstreamFailed(u: number, why: 'connect' | 'reset' | 'refused'): void {
    if (this.i8[(u << 7) + I8_CHECK]) {
      // an HTTP check's connection: refused L4CON, reset after the connect SOCKERR (measured)
      const i = this.i16[(u << 6) + I16_SERVER]!
      if (this.servers[i]!.ckRow === u) this.endHttpCheck(i, why === 'connect' ? CK_TIMEOUT : why === 'refused' ? CK_REFUSED : CK_SOCKERR)
      else this.closeUpstream(u, false)
      return
    }
    const c = this.i32[(u << 5) + I32_PEER]!
    this.closeUpstream(u, false)
    if (c < 0 || this.i8[(c << 7) + I8_INI] !== I_EST) return
    this.i32[(c << 5) + I32_PEER] = -1
    this.leaveSess(c)
    if (this.logOn) this.logEv(`upstream-${why} conn=${c}`)
    this.retryOrFail(c, why !== 'connect')
  }

  /**
   * A connection attempt failed: retry (wretr) or give up (503, econ). Only an asynchronous
   * connection error (reset, refused) waits the turn-around min(timeout connect, 1 s) before
   * retrying; a connect timeout and a synchronous resource error (no free source port, fd limit)
   * retry at once (stream.c back_handle_st_cer, backend.c: "likely a source port allocation
   * problem, so we want to retry now"). With `option redispatch` the retry goes to another
   * server on the last retry, and on every retry when the algorithm is round robin and more than
   * one server is up ("we don't care about this particular server"); the turn-around is skipped
   * only in that round-robin case (it applies when retrying the same server, or with any other
   * algorithm).
   */
  private retryOrFail(c: number, turnaround = false): void {
    const h = this.s.haproxy!
    const sv = this.servers[this.i16[(c << 6) + I16_SERVER]!]!
    const tries = this.i8[(c << 7) + I8_TRIES]!
    if (tries < h.retries) {
      this.i8[(c << 7) + I8_TRIES] = tries + 1
      // a retry on the same server counts in wretr now; one that may go elsewhere is counted
      // when the server is picked (backend.c assign_server_and_queue: wredis if it changed)
      if (!this.redispatchDue(c)) {
        sv.wretr++
        this.beWretr++
      }
      if (turnaround && !this.redispatchEveryRetry()) this.timer(EV_RETRY, Math.min(h.timeoutConnectS, 1), c, this.reqTok(c))
      else this.onRetry(c)
      return
    }
    sv.econ++
    this.beEcon++
    this.releaseServerSlot(c)
    this.proxyFail(c, 503)
  }

  /** option redispatch with round robin over several servers UP (srv_act > 1): every retry goes elsewhere, at once. */
  private redispatchEveryRetry(): boolean {
    const h = this.s.haproxy!
    return h.redispatch && h.balance === 'roundrobin' && this.serversUp > 1
  }

  /** option redispatch applies to c's pending retry: its last one, any one with round robin over several servers, or any one while its server is DOWN. */
  private redispatchDue(c: number): boolean {
    const h = this.s.haproxy!
    if (!h.redispatch) return false
    return this.redispatchEveryRetry() || !this.servers[this.i16[(c << 6) + I16_SERVER]!]!.up || (this.servers.length > 1 && this.i8[(c << 7) + I8_TRIES] === h.retries)
  }

  private onRetry(c: number): void {
    if (this.redispatchDue(c)) {
      const cur = this.i16[(c << 6) + I16_SERVER]!
      const sv = this.servers[cur]!
      if (this.serversUp === 0) {
        // the stream leaves its server and finds none UP
        this.releaseServerSlot(c)
        this.noServer(c)
        return
      }
      const other = this.pickServer(cur)
      if (other >= 0 && this.hasRoom(this.servers[other]!)) {
        this.leaveSess(c)
        sv.cur--
        sv.wredis++
        this.beWredis++
        this.beCur--
        this.dequeue(cur)
        this.assign(c, other)
        return
      }
      // no other server has room: the same one again, a retry after all
      sv.wretr++
      this.beWretr++
    }
    this.connectServer(c)
  }

  private armServerTimeout(c: number): void {
    this.timer(EV_SERVER_TIMEOUT, this.s.haproxy!.timeoutServerS, c, this.reqTok(c))
  }

  private releaseServerSlot(c: number): void {
    const sIdx = this.i16[(c << 6) + I16_SERVER]!
    if (sIdx < 0) return
    const sv = this.servers[sIdx]!
    if (this.q.now >= sv.purgeAt) this.purgeTick(sv)
    this.leaveSess(c)
    sv.cur--
    this.beCur--
    this.i16[(c << 6) + I16_SERVER] = -1
    this.dequeue(sIdx)
  }

  /** A slot of server sIdx freed: serve the oldest waiting request of its queue and the backend queue (queue.c process_srv_queue). */
  private dequeue(sIdx: number): void {
    const sv = this.servers[sIdx]!
    while (sv.maxconn === 0 || sv.cur < sv.maxconn) {
      const a = this.pendHead(sv.pq, 2, sIdx)
      // a server that is DOWN serves its own queue only (queue.c: the backend's queue goes to usable servers)
      const b = sv.up ? this.pendHead(this.beQ, 1, -1) : -1
      if (a < 0 && b < 0) break
      const q = a >= 0 && (b < 0 || sv.pq.seq[a]! < this.beQ.seq[b]!) ? sv.pq : this.beQ
      const c = q.conn[q.head++]!
      this.assign(c, sIdx)
    }
    sv.pq.compact()
    this.beQ.compact()
  }

  /** Index of the first entry of q still waiting there (stale ones dropped), or -1. */
  private pendHead(q: PendQueue, w: number, sIdx: number): number {
    while (q.head < q.conn.length) {
      const c = q.conn[q.head]!
      if (q.gen[q.head] === this.i32[(c << 5) + I32_GEN] && this.i8[(c << 7) + I8_WAITING] === w && (w === 1 || this.i16[(c << 6) + I16_SERVER] === sIdx) && this.i8[(c << 7) + I8_INI] === I_EST) return q.head
      q.head++
    }
    return -1
  }

  private closeUpstream(u: number, keep: boolean): void {
    const h = this.s.haproxy!
    const sv = this.servers[this.i16[(u << 6) + I16_SERVER]!]!
    // idle pool bounded by the connections in use (sv.cur still counts this one's session): HAProxy's
    // purge keeps about the recent peak of used connections; the model applies that bound at once
    // (an unbounded pool would hold backend worker / worker_connections slots the backend needs)
    if (keep && h.serverConnections === 'keep-alive' && this.i8[(u << 7) + I8_INI] === I_EST && this.reusable()) {
      const c = this.i32[(u << 5) + I32_PEER]!
      if ((h.httpReuse ?? 'safe') === 'never') {
        // private to the client session: kept for its next requests (max-session-srv-conns)
        const list = c >= 0 ? (this.priv.get(c) ?? []) : []
        if (c >= 0 && list.length < MAX_SESSION_SRV_CONNS) {
          this.i32[(u << 5) + I32_PEER] = -1
          this.i8[(u << 7) + I8_HAS_DATA] = 0
          list.push(u)
          this.priv.set(c, list)
          return
        }
      } else {
        this.purgeIdle(sv)
        if (this.q.now >= sv.purgeAt) this.purgeTick(sv)
        // srv_add_to_idle_list: kept when the pool has no safe connection (and, for one not yet
        // reused, no other either), or while used + idle <= max(used, est_need_conns); sv.cur
        // still counts this one's session, as curr_used_conns still counts the connection
        const safe = this.upReused.has(u) ? 1 : 0
        const n = sv.idle.length
        if ((sv.idleSafeN === 0 && (safe === 1 || n === 0)) || sv.cur + n <= Math.max(sv.cur, sv.estNeed)) {
          this.i32[(u << 5) + I32_PEER] = -1
          this.i8[(u << 7) + I8_HAS_DATA] = 0
          sv.idle.push(u)
          sv.idleAt.push(this.q.now)
          sv.idleSafe.push(safe)
          sv.idleSafeN += safe
          return
        }
      }
    }
    this.upReused.delete(u)
    const wasEst = this.i8[(u << 7) + I8_INI] === I_EST || this.i8[(u << 7) + I8_SRV] === S_ACCEPTED
    if (this.i8[(u << 7) + I8_INI] === I_SYN_SENT) {
      this.ghostSyn(u)
      this.settleRtx(u, this.q.now)
      this.leaveSynSent(u)
    }
    // listener side clean-up
    const st = this.i8[(u << 7) + I8_SRV]!
    const L = sv.listener
    if (st === S_REQ) this.removeReq(u, L)
    if (st === S_ACCEPTED) this.backendConnClosed(u)
    // ports and TIME_WAIT (a check's connection is closed with a reset: none)
    const rst = this.i8[(u << 7) + I8_CHECK] === 1
    const tw = wasEst && h.backendClosesFirst === 'proxy' && !rst
    if (this.i32[(u << 5) + I32_PORT]! >= 0) {
      const pool = sv.pools[this.i16[(u << 6) + I16_POOL]!]!
      let placed = false
      if (tw) {
        if (this.twAtLimit(1)) this.hosts[1]!.counters.TCPTimeWaitOverflow++
        else placed = true
      }
      pool.release(this.i32[(u << 5) + I32_PORT]!, this.q.now, placed)
      if (placed && this.poolTwUpper() > this.maxTwProxyToBackend) {
        // exact counts only when the upper bound could set a new maximum
        let ptw = 0
        for (const s2 of this.servers) for (const p of s2.pools) ptw += p.twCount(this.q.now)
        if (ptw > this.maxTwProxyToBackend) this.maxTwProxyToBackend = ptw
        const all = this.twCount(1)
        if (all > this.hosts[1]!.twMax) this.hosts[1]!.twMax = all
      }
    }
    if (wasEst && h.backendClosesFirst === 'server' && !rst) this.addTw(2)
    this.fdUsed--
    this.hosts[1]!.openFiles--
    this.i8[(u << 7) + I8_INI] = I_DONE
    this.release(u)
  }

  private proxyFail(c: number, code: number): void {
    const h = this.s.haproxy!
    this.unqueue(c)
    if (h.mode === 'tcp') {
      // tcp mode: HAProxy closes the client connection first, with a FIN once it has read the
      // client's bytes (here they came with the final ACK): TIME_WAIT on the proxy, none on the
      // client (the shared port-exhaustion-tw0 case: 200 TIME_WAIT on the client for 200 served,
      // 598 on the proxy: 200 to the backend + ~400 client-facing). Not modelled: bytes that
      // arrive after the close meet a closed socket (RST, no TIME_WAIT), as in the lab's runs
      // with a slower client (35-50 % of the refused ones).
      this.i8[(c << 7) + I8_PEER_CLOSED] = 1
      this.endSession(c, this.q.now, this.q.now, true)
      this.q.schedule(this.q.now + this.owd(0), 0, EV_FAIL_AT_CLIENT, c, this.i32[(c << 5) + I32_GEN]! * 32 + C_RESET)
      return
    }
    if (code === 503) {
      this.fe5xx++
      this.be5xx++
    } else if (code >= 500) {
      this.fe5xx++
      this.be5xx++
    } else this.fe4xx++
    const cause = code === 503 ? C_503 : code === 504 ? C_504 : code === 502 ? C_502 : C_408
    this.endSession(c)
    this.q.schedule(this.q.now + this.owd(0), 0, EV_FAIL_AT_CLIENT, c, this.i32[(c << 5) + I32_GEN]! * 32 + cause)
  }

  /** HAProxy frontend session ends (client connection closed by either side). */
  private endSession(c: number, resumeAt = this.q.now, releaseAt = this.q.now, proxyFin = false): void {
    if (this.i8[(c << 7) + I8_SRV] !== S_ACCEPTED) return
    this.i8[(c << 7) + I8_SRV] = S_GONE
    if (this.priv.size > 0) this.closePrivate(c)
    this.markProven(c)
    if (releaseAt > this.q.now) {
      // the connection (frontend slot, fd) stays HAProxy's until the client's FIN arrives
      this.q.schedule(releaseAt, 0, EV_FE_RELEASE, -1, 0)
      this.feReleasing++
      return
    }
    this.feconn--
    this.fdUsed--
    this.hosts[1]!.openFiles--
    if ((proxyFin || this.s.clients.closesFirst === 'server') && this.addTw(1)) this.stampPaws(1, c)
    if (resumeAt <= this.q.now) this.proxyAccept()
    else if (this.front.aqLen > 0) this.proxyPause(resumeAt - this.q.now)
    else if (resumeAt > this.proxyPausedUntil) this.proxyPausedUntil = resumeAt // nothing queued: no wake-up needed yet
  }

  // --------------------------------------------------------------- backends --
  private backendAccept(sv: Server): void {
    const be = this.s.backend
    const L = sv.listener
    if (this.q.now < sv.acceptPausedUntil) return
    while (L.aqLen > 0) {
      if (be.kind === 'generic') {
        if (sv.busy >= be.workers) {
          this.hit('backend-workers')
          return
        }
      } else if (sv.active * (be.kind === 'nginx-php-fpm' ? 2 : 1) >= be.nginx.workers * Math.max(1, be.nginx.workerConnections - NGINX_RESERVED_CONNS)) {
        // nginx out of worker_connections keeps accepting: ngx_event_accept gets no connection
        // for the new socket ("worker_connections are not enough") and closes it, unread, so the
        // peer gets a reset; the listen queue never fills
        this.hit('backend-workers')
        const c = L.shift()
        if (L.lastGen !== this.i32[(c << 5) + I32_GEN] || this.i8[(c << 7) + I8_SRV] !== S_ACCEPTQ) continue
        this.i8[(c << 7) + I8_SRV] = S_GONE
        if (this.logOn) this.logEv(`backend-accept-close conn=${c} server=${sv.name}`)
        this.initiatorReset(c)
        continue
      }
      if (sv.fds + 1 > be.fdLimit || this.hosts[2]!.openFiles + 1 > this.s.hosts.backend.fileMax) {
        this.hit('fd-limit')
        sv.acceptPausedUntil = this.q.now + 0.5 // nginx disables accept events for 500 ms
        this.q.schedule(sv.acceptPausedUntil, 0, EV_BACKEND_ACCEPT, -1, this.servers.indexOf(sv))
        return
      }
      const c = L.shift()
      if (L.lastGen !== this.i32[(c << 5) + I32_GEN] || this.i8[(c << 7) + I8_SRV] !== S_ACCEPTQ) continue // closed while queued
      this.i8[(c << 7) + I8_SRV] = S_ACCEPTED
      this.i8[(c << 7) + I8_WAITED_ACCEPT] = this.q.now > this.f64[(c << 4) + F64_QUEUED_AT]! ? 1 : 0
      sv.active++
      sv.fds++
      this.hosts[2]!.openFiles++
      if (be.kind === 'generic') {
        sv.busy++
        this.level(this.cols.busy_workers!, this.busyTotal())
      }
      if (!this.s.haproxy) {
        this.bump(this.cAccepted)
        this.level(this.cols.open_fds!, sv.fds)
      }
      if (this.logOn) this.logEv(`backend-accept conn=${c} server=${sv.name}`)
      if (this.i8[(c << 7) + I8_HAS_DATA]) this.backendRequest(c)
    }
  }

  /** The front request of an nginx -> php-fpm connection went away: the fcgi row finishes alone. */
  private detachChild(c: number): void {
    const f = this.i32[(c << 5) + I32_CHILD]!
    if (f >= 0) {
      this.i32[(f << 5) + I32_PEER] = -1
      this.i32[(c << 5) + I32_CHILD] = -1
    }
  }

  private busyTotal(): number {
    let b = 0
    for (const sv of this.servers) b += sv.busy
    return b
  }

  private serviceTime(): number {
    const st = this.s.backend.serviceTime
    if (st.kind === 'constant') return st.s
    if (st.kind === 'exponential') return this.rSvc.exp(st.meanS)
    return Math.exp(this.svcMu + this.svcSigma * this.rSvc.normal())
  }

  /** A backend process has the request on accepted connection c (client or upstream). */
  private backendRequest(c: number): void {
    const be = this.s.backend
    if (this.i8[(c << 7) + I8_CHECK] && this.s.haproxy!.httpCheckEndpoint === 'static') {
      // a cheap check endpoint: nginx answers it itself (no php-fpm child), a worker's handler at once
      this.at(this.q.now + this.rJit.exp(APP_REACT_S), EV_RESP_AT_NGINX, c)
      return
    }
    if (be.kind === 'nginx-php-fpm') {
      // nginx reads the request, then connects to php-fpm
      this.at(this.q.now + this.rJit.exp(APP_REACT_S), EV_NGINX_UPSTREAM, c)
      return
    }
    this.servedReq++
    if (this.i8[(c << 7) + I8_WAITED_ACCEPT]) this.waitedReq++
    // with backend.cpu (svcH set) every server has its run queue; without it, no lookup on this hot path
    if (this.svcH) this.startCpu(this.servers[this.i8[(c << 7) + I8_ROLE] === ROLE_UPSTREAM ? this.i16[(c << 6) + I16_SERVER]! : 0]!, c, this.serviceTime(), 0)
    else this.at(this.q.now + this.serviceTime(), EV_SERVICE_DONE, c)
  }

  /**
   * Request c starts its service of `svc` seconds on server sv, whose host's cores are shared
   * (scenario backend.cpu): its CPU part (share x svc) runs in the host's run queue, then the
   * rest (off the CPU) and `extra` (php-fpm's request lifecycle, measured in wall time) follow.
   */
  private startCpu(sv: Server, c: number, svc: number, extra: number): void {
    const P = sv.cpu!
    const work = this.cpuShare * svc
    P.add(this.q.now, work, c, svc - work, extra)
    if (P.n > P.cores) this.hit('backend-cpu')
    this.cpuLevel()
    this.cpuReschedule(sv)
  }

  /** Keep one EV_CPU_DONE pending, at the run queue's next completion. */
  private cpuReschedule(sv: Server): void {
    const t = sv.cpu!.nextAt()
    if (t === sv.cpuDue) return
    sv.cpuDue = t
    sv.cpuTok = (sv.cpuTok + 1) & 0x3fffffff
    if (t < Infinity) this.q.schedule(t, 0, EV_CPU_DONE, ~sv.cpuTok, this.servers.indexOf(sv))
  }

  private onCpuDone(si: number, tok: number): void {
    const sv = this.servers[si]!
    if (tok !== sv.cpuTok) return // the run queue changed since: a later event stands
    const P = sv.cpu!
    sv.cpuDue = Infinity
    const slot = P.pop(this.q.now)
    const c = P.idOf(slot)
    const rest = P.valOf(slot)
    // time in the worker / child: the CPU part as stretched by the others, and the rest as it is
    this.svcH!.add((this.q.now + rest - P.startOf(slot)) * 1000)
    this.at(this.q.now + rest + P.val2Of(slot), EV_SERVICE_DONE, c)
    this.cpuLevel()
    this.cpuReschedule(sv)
  }

  private cpuLevel(): void {
    let n = 0
    for (const sv of this.servers) n += sv.cpu!.n
    this.level(this.cols.cpu_runnable!, n)
  }

  private nginxToFpm(c: number, sv: Server): void {
    const F = sv.fpm!
    const f = this.alloc(ROLE_FCGI)
    this.i32[(f << 5) + I32_PEER] = c
    this.i32[(c << 5) + I32_CHILD] = f
    this.i16[(f << 6) + I16_SERVER] = this.servers.indexOf(sv)
    sv.fds++
    if (F.unix) {
      // non-blocking connect() on a unix socket: EAGAIN when the backlog (B+1) is full -> 502
      this.i16[(f << 6) + I16_L] = F.index
      if (F.full) {
        // unix sockets have no TCP counters: the overflow shows only as nginx's 502
        this.hit('php-fpm-backlog')
        if (this.logOn) this.logEv(`fpm-eagain conn=${c}`)
        sv.fds--
        this.i32[(c << 5) + I32_CHILD] = -1
        this.release(f)
        this.backendRespond(c, 502)
        return
      }
      this.i8[(f << 7) + I8_INI] = I_EST
      this.i8[(f << 7) + I8_SRV] = S_ACCEPTQ
      this.i8[(f << 7) + I8_HAS_DATA] = 1
      this.f64[(f << 4) + F64_START] = this.q.now
      F.push(f, this.i32[(f << 5) + I32_GEN]!)
      this.f64[(f << 4) + F64_QUEUED_AT] = this.q.now
      this.level(F.colAcceptq!, F.aqLen)
      this.fpmAccept(sv)
      return
    }
    this.openTcp(f, F, this.s.backend.nginx.fastcgiConnectTimeoutS)
  }

  private fpmAccept(sv: Server): void {
    const F = sv.fpm!
    const children = this.s.backend.phpFpm.children
    while (F.aqLen > 0 && sv.busy < children) {
      const f = F.shift()
      if (F.lastGen !== this.i32[(f << 5) + I32_GEN] || this.i8[(f << 7) + I8_SRV] !== S_ACCEPTQ) continue // nginx gave up meanwhile
      this.i8[(f << 7) + I8_SRV] = S_ACCEPTED
      this.i8[(f << 7) + I8_WAITED_ACCEPT] = this.q.now > this.f64[(f << 4) + F64_QUEUED_AT]! ? 1 : 0
      sv.busy++
      this.level(this.cols.busy_workers!, this.busyTotal())
      if (this.logOn) this.logEv(`fpm-accept fcgi=${f}`)
      if (this.i8[(f << 7) + I8_HAS_DATA]) this.fpmRequest(f)
    }
    if (F.aqLen > 0) this.hit('backend-workers')
  }

  /** php-fpm's request lifecycle around the script (s): lognormal, mean requestOverheadMs, sigma FPM_OVERHEAD_SIGMA. */
  private fpmOverhead(): number {
    const mean = (this.s.backend.phpFpm.requestOverheadMs ?? FPM_OVERHEAD_MS) / 1000
    if (mean <= 0 || FPM_OVERHEAD_SIGMA <= 0) return Math.max(0, mean)
    return mean * Math.exp(FPM_OVERHEAD_SIGMA * this.rSvc.normal() - (FPM_OVERHEAD_SIGMA * FPM_OVERHEAD_SIGMA) / 2)
  }

  private fpmRequest(f: number): void {
    this.servedReq++
    if (this.i8[(f << 7) + I8_WAITED_ACCEPT]) this.waitedReq++
    if (this.svcH) {
      const svc = this.serviceTime()
      this.startCpu(this.servers[this.i16[(f << 6) + I16_SERVER]!]!, f, svc, this.fpmOverhead())
    } else this.at(this.q.now + this.serviceTime() + this.fpmOverhead(), EV_SERVICE_DONE, f)
  }

  private onServiceDone(c: number): void {
    const r = this.i8[(c << 7) + I8_ROLE]!
    if (r === ROLE_FCGI) {
      // php-fpm child done: response to nginx, child free; php-fpm closes (TIME_WAIT on its side)
      const sv = this.servers[this.i16[(c << 6) + I16_SERVER]!]!
      sv.busy--
      sv.fds--
      if (!sv.fpm!.unix) {
        this.addTw(2)
        this.markProven(c)
      }
      const front = this.i32[(c << 5) + I32_PEER]!
      this.i8[(c << 7) + I8_INI] = I_DONE
      this.release(c)
      this.fpmAccept(sv)
      if (front >= 0) {
        this.i32[(front << 5) + I32_CHILD] = -1
        this.at(this.q.now + MIN_OWD_S, EV_RESP_AT_NGINX, front)
      }
      return
    }
    this.backendRespond(c, 200)
  }

  private onRespAtNginx(c: number): void {
    this.backendRespond(c, 200)
  }

  /** The backend answers on accepted connection c (client conn without proxy, or upstream conn). */
  private backendRespond(c: number, code: number): void {
    if (this.i8[(c << 7) + I8_INI] === I_DONE && this.i8[(c << 7) + I8_ROLE] === ROLE_CLIENT && !this.s.haproxy) return
    if (this.i8[(c << 7) + I8_ROLE] === ROLE_UPSTREAM) {
      const front = this.i32[(c << 5) + I32_PEER]!
      if (front < 0 && !this.i8[(c << 7) + I8_CHECK]) {
        this.closeUpstream(c, false)
        return
      }
      this.i16[(c << 6) + I16_AWAIT_RESP] = code
      this.at(this.q.now + this.owd(1), EV_RESP_AT_PROXY, c)
      return
    }
    // direct client
    if (code !== 200) {
      this.q.schedule(this.q.now + this.owd(0), 0, EV_FAIL_AT_CLIENT, c, this.i32[(c << 5) + I32_GEN]! * 32 + (code === 502 ? C_502 : C_504))
    } else {
      const t = this.q.now + this.owd(0)
      if (this.i32[(c << 5) + I32_REQ_LEFT]! <= 1) this.backendConnClosed(c)
      this.onRespAtClient(c, t)
      return
    }
    if (this.i32[(c << 5) + I32_REQ_LEFT]! <= 1 || code !== 200) this.backendConnClosed(c)
  }

  /** A connection accepted by a backend process closes. */
  private backendConnClosed(c: number): void {
    if (this.i8[(c << 7) + I8_SRV] !== S_ACCEPTED) return
    const be = this.s.backend
    const sv = this.servers[this.i8[(c << 7) + I8_ROLE] === ROLE_UPSTREAM ? this.i16[(c << 6) + I16_SERVER]! : 0]!
    this.i8[(c << 7) + I8_SRV] = S_GONE
    if (!(this.i8[(c << 7) + I8_ROLE] === ROLE_UPSTREAM && (this.s.haproxy!.backendClosesFirst === 'reset' || this.i8[(c << 7) + I8_CHECK]))) this.markProven(c)
    this.detachChild(c)
    sv.active--
    sv.fds--
    this.hosts[2]!.openFiles--
    if (be.kind === 'generic') {
      sv.busy--
    }
    if (this.i8[(c << 7) + I8_ROLE] === ROLE_CLIENT && this.s.clients.closesFirst === 'server' && this.addTw(2)) this.stampPaws(2, c)
    this.backendAccept(sv)
  }

  private onRespAtProxy(u: number): void {
    const c = this.i32[(u << 5) + I32_PEER]!
    const code = this.i16[(u << 6) + I16_AWAIT_RESP]!
    if (c < 0 || this.i8[(c << 7) + I8_INI] !== I_EST) {
      if (this.i8[(u << 7) + I8_CHECK]) this.httpCheckResp(u, code)
      else this.closeUpstream(u, false)
      return
    }
    // per-request server connections close here; kept-alive ones go back to the idle pool
    this.closeUpstream(u, true)
    this.i32[(c << 5) + I32_PEER] = -1
    this.releaseServerSlot(c)
    if (code !== 200) {
      this.proxyFail(c, code)
      return
    }
    this.fe2xx++
    // the thread forwards responses one after the other: this one leaves when its CPU turn ends
    const cpu = this.proxyCpuTurn()
    // the last response ends the session; the freed slot is used at the next poll, after the
    // batch in progress. A client that closes first (HTTP/1.1) holds its HAProxy session and
    // maxconn slot until its FIN arrives, one client RTT after the response left (with no
    // client RTT that is microseconds and is not modelled)
    const atClient = cpu + this.owd(0)
    if (this.i32[(c << 5) + I32_REQ_LEFT]! <= 1) {
      if (this.s.clients.closesFirst === 'client' && this.s.network.clientRttMs > 0) this.endSession(c, cpu, atClient + this.owd(0))
      else this.endSession(c, cpu)
    }
    this.onRespAtClient(c, atClient)
  }

  /** Reserve one HAProxy event's CPU time on the least busy thread; returns when it is done. */
  private proxyCpuTurn(): number {
    const th = this.proxyThreads
    let best = 0
    for (let i = 1; i < th.length; i++) if (th[i]! < th[best]!) best = i
    const t = Math.max(this.q.now, th[best]!) + HAPROXY_EVENT_S
    th[best] = t
    return t
  }

  private onServerTimeout(c: number): void {
    const u = this.i32[(c << 5) + I32_PEER]!
    if (u < 0 || this.i16[(c << 6) + I16_SERVER]! < 0) return
    const sv = this.servers[this.i16[(c << 6) + I16_SERVER]!]!
    sv.eresp++
    this.beEresp++
    this.closeUpstream(u, false)
    this.i32[(c << 5) + I32_PEER] = -1
    this.releaseServerSlot(c)
    this.proxyFail(c, 504)
  }

  // ----------------------------------------------------------- client side --
  /**
   * The response reaches the client at `now` (>= the current event time: the proxy or backend
   * that sends it books the receipt directly instead of scheduling one more event).
   */
  private onRespAtClient(c: number, now = this.q.now): void {
    if (this.i8[(c << 7) + I8_INI] !== I_EST) return
    if (this.abMode) {
      this.abEvent(now)
      this.abFirstHeader(now)
    }
    this.ok++
    const row = Math.floor(now)
    this.cCompleted[row < this.rows ? row : this.rows - 1]!++
    this.flightAt(-1, now)
    const lat = (now - (this.i32[(c << 5) + I32_REQ_SEQ] === 0 ? this.f64[(c << 4) + F64_CONN_START]! : this.f64[(c << 4) + F64_REQ_START]!)) * 1000
    this.latencySumS += lat / 1000
    this.doneReq++
    this.latency.add(lat)
    this.reqLatency.add((now - this.f64[(c << 4) + F64_REQ_START]!) * 1000)
    if (now > this.lastEnd) this.lastEnd = now
    if (this.logOn) this.opts.log!.push(`${now.toFixed(6)} response conn=${c} latency_ms=${lat.toFixed(3)}`)
    const left = --this.i32[(c << 5) + I32_REQ_LEFT]!
    // open loop: the load window bounds new connections, and each one sends all its requests;
    // closed loop: a user stops at the time limit (ab -t), mid-connection too
    if (left > 0 && (this.s.clients.mode === 'open' || now < this.loadEndS)) {
      this.i32[(c << 5) + I32_REQ_SEQ]!++
      this.requests++
      this.flightAt(1, now)
      this.q.schedule(now + this.s.clients.thinkTimeS, 0, EV_NEXT_REQ, c, this.reqTok(c))
      return
    }
    this.clientClose(c, now)
    if (this.abMode) this.abRequestDone(now)
  }

  private onNextReq(c: number): void {
    this.f64[(c << 4) + F64_REQ_START] = this.q.now
    this.i8[(c << 7) + I8_HAS_DATA] = 0
    const rt = this.s.clients.requestTimeoutS
    if (rt != null) this.timer(EV_REQ_TIMEOUT, rt, c, this.reqTok(c))
    // the request reaches the front one-way later
    this.at(this.q.now + this.owd(0), EV_DATA, c)
  }

  private clientFail(c: number, cause: number): void {
    if (this.i8[(c << 7) + I8_INI] === I_DONE) return
    // a reset ends the socket where it is (tcp_reset -> tcp_done): no TIME_WAIT on the client
    if (cause === C_RESET) this.i8[(c << 7) + I8_PEER_CLOSED] = 1
    if (this.abMode) this.abEvent(this.q.now)
    if (this.abMode && !this.i8[(c << 7) + I8_AB_REQ]) {
      if (this.i8[(c << 7) + I8_INI] !== I_EST) {
        // a connect that failed: ab retries it without counting a request, and gives up the
        // whole run when more than 10 have failed ("Test aborted after 10 failures"). ab has no
        // timeout of its own on a connect: the scenario's request timeout ending one is retried
        // the same way but is no connect error of ab's
        if (this.logOn) this.logEv(`ab-connect-failed conn=${c} cause=${FAILURE_CAUSES[cause]}`)
        this.abandonClient(c)
        this.clientClose(c)
        if (cause !== C_TIMEOUT && this.abBad++ > 10) this.abStop(this.q.now, 'connect-failures', cause)
        return
      }
      // an idle connection answered or closed: ab counts it as a request done
      this.abCount(c, this.f64[(c << 4) + F64_REQ_START]!)
    }
    this.failed++
    this.byCause[cause]!++
    this.i32[(c << 5) + I32_REQ_LEFT]!-- // the failed request was issued: left = not issued
    this.flight(-1)
    this.bump(this.cFailed)
    this.bump(this.cFailedBy[cause]!)
    const now = this.q.now
    const lat = (now - (this.i32[(c << 5) + I32_REQ_SEQ] === 0 ? this.f64[(c << 4) + F64_CONN_START]! : this.f64[(c << 4) + F64_REQ_START]!)) * 1000
    this.latencySumS += lat / 1000
    this.doneReq++
    if (now > this.lastEnd) this.lastEnd = now
    // HTTP error responses are answered requests: load tools count them in their percentiles; ab
    // (-r) also records a connection reset after it connected (close_connection)
    if (cause === C_502 || cause === C_503 || cause === C_504 || cause === C_408 || (this.abMode && cause === C_RESET && this.i8[(c << 7) + I8_AB_REQ])) {
      this.latency.add(lat)
      this.reqLatency.add((now - this.f64[(c << 4) + F64_REQ_START]!) * 1000)
    }
    if (this.logOn) this.logEv(`fail conn=${c} cause=${FAILURE_CAUSES[cause]} after_ms=${lat.toFixed(3)}`)
    if (this.abMode) {
      if (cause === C_502 || cause === C_503 || cause === C_504 || cause === C_408) this.abFirstHeader(now)
      if (cause === C_RESET) this.abBad++
    }
    this.abandonClient(c)
    this.clientClose(c)
    if (this.abMode) this.abRequestDone(now)
  }

  /** The listener side of a client connection that is going away (before clientClose). */
  private abandonClient(c: number): void {
    if (this.i8[(c << 7) + I8_INI] === I_SYN_SENT) {
      this.ghostSyn(c)
      this.settleRtx(c, this.q.now)
      this.leaveSynSent(c)
    }
    const st = this.i8[(c << 7) + I8_SRV]!
    if (st === S_REQ) this.removeReq(c, this.listeners[this.i16[(c << 6) + I16_L]!]!)
    if (st === S_ACCEPTED) this.abandonAccepted(c)
    // S_ACCEPTQ: the closed connection keeps its accept-queue slot until the process accepts it (skipped then)
  }

  /** ab: connection c counts as a request from time t (in flight from then). */
  private abCount(c: number, t: number): void {
    this.i8[(c << 7) + I8_AB_REQ] = 1
    this.requests++
    this.flightAt(1, Math.max(t, this.inFlightAt))
  }

  /** ab: one more request done (answered, or its connection closed after connect); it stops at -n. */
  private abRequestDone(now: number): void {
    // ab's loop ends after the iteration that completed -n, or the first completion (or write,
    // onSynack) at or past -t: `while (lasttime < stoptime && done < requests)`
    if (++this.abDone >= this.s.clients.totalRequests) this.abStop(now, 'done')
    else if (now >= this.loadEndS) this.abStop(now, 'time-limit')
  }

  /** An event on one of ab's sockets at time t (>= now when a receipt is booked ahead). */
  private abEvent(t: number): void {
    if (t > this.abLastEvent) this.abLastEvent = t
  }

  /** ab's poll watchdog: `-s` seconds without a socket event and ab exits (ab.c: apr_err on APR_TIMEUP). */
  private onAbPoll(): void {
    if (this.abReason !== null) return
    const due = this.abLastEvent + this.abSilenceS!
    if (this.q.now < due) {
      this.q.schedule(due, 0, EV_AB_POLL, -1, 0)
      return
    }
    if (this.logOn) this.logEv(`ab-abort apr_pollset_poll timeout after ${this.abSilenceS} s without a socket event`)
    this.abStop(this.q.now, 'no-event')
  }

  /** ab: the first response header is in: start the other users. */
  private abFirstHeader(now: number): void {
    if (this.abPendingUsers === 0) return
    const n = this.abPendingUsers
    this.abPendingUsers = 0
    for (let u = 0; u < n; u++) this.startUser(now)
  }

  /**
   * ab has done its -n requests (or stopped early: -t, -s, more than 10 failed connects): it
   * prints its results and exits, closing what is still open. Those connections are no
   * requests of its: a written request not answered yet is taken back; a session HAProxy
   * accepted without a request ends as a client abort (ereq, 400). What it did not complete of
   * its -n is lost: attempted and failed (cause timeout, or that of the connects it gave up
   * on), as a harness that fixed -n counts it.
   */
  private abStop(now: number, reason: AbStopReason, lostCause = C_TIMEOUT): void {
    if (this.abReason !== null) return
    this.abStopAt = now
    this.abReason = reason
    if (this.logOn) this.logEv(`ab-stop done=${this.abDone} written=${this.abWritten}`)
    for (let c = 0; c < this.next; c++) {
      if (this.i8[(c << 7) + I8_ROLE] !== ROLE_CLIENT || this.i8[(c << 7) + I8_INI] === I_DONE || this.i8[(c << 7) + I8_INI] === I_GHOST) continue
      if (this.i8[(c << 7) + I8_AB_REQ]) {
        this.requests--
        this.flightAt(-1, Math.max(now, this.inFlightAt))
      }
      this.abandonClient(c)
      this.clientClose(c, now)
    }
    const lost = this.s.clients.totalRequests - this.abDone
    if (lost > 0) {
      if (this.logOn) this.logEv(`ab-lost ${lost} of ${this.s.clients.totalRequests} requests not done`)
      const i = Math.min(Math.floor(now), this.rows - 1)
      this.requests += lost
      this.failed += lost
      this.byCause[lostCause]! += lost
      this.cFailed[i]! += lost
      this.cFailedBy[lostCause]![i]! += lost
    }
  }

  /** The server side (HAProxy session or direct backend) of client connection c learns it closed. */
  private abandonAccepted(c: number): void {
    if (this.i8[(c << 7) + I8_SRV] !== S_ACCEPTED) return
    if (!this.s.haproxy) {
      this.backendConnClosed(c)
      return
    }
    const u = this.i32[(c << 5) + I32_PEER]!
    if (u >= 0) {
      this.closeUpstream(u, false)
      this.i32[(c << 5) + I32_PEER] = -1
    }
    this.unqueue(c)
    if (this.i16[(c << 6) + I16_SERVER]! >= 0) this.releaseServerSlot(c)
    // closed before sending a request: HAProxy's "CR" abort, a request error answered 400
    // (the lab's ab rows: ereq = hrsp_4xx = the connections ab opened beyond its -n)
    if (this.s.haproxy!.mode === 'http' && !this.i8[(c << 7) + I8_HAS_DATA]) {
      this.ereq++
      this.fe4xx++
    }
    this.endSession(c)
  }

  private clientClose(c: number, now = this.q.now): void {
    // a keep-alive client that stops early (load over) closes a connection the server side still
    // holds open between requests: end that session too (its FIN's one-way delay is not modelled)
    this.abandonAccepted(c)
    const ip = this.i32[(c << 5) + I32_IP]!
    if (ip >= 0) {
      this.clientIpBusy[ip]!--
      // client closes first: it holds TIME_WAIT on (its IP, port) for 60 s
      if (this.s.clients.closesFirst === 'client' && this.i8[(c << 7) + I8_INI] === I_EST && !this.i8[(c << 7) + I8_PEER_CLOSED] && this.addTw(0, ip, now)) this.clientIpBusy[ip]!++
    }
    this.i8[(c << 7) + I8_INI] = I_DONE
    this.release(c)
    if (this.s.clients.mode === 'closed') {
      // the requests this connection was promised and did not issue go back to the users
      if (this.s.clients.totalRequests > 0) this.committed -= Math.max(0, this.i32[(c << 5) + I32_REQ_LEFT]!)
      this.usersActive--
      if (now < this.loadEndS) {
        // a load generator is one thread: its reconnects are serialised CONNECT_COST_S apart
        const t0 = now + this.s.clients.thinkTimeS + this.rJit.exp(APP_REACT_S)
        const t = Math.max(t0, this.clientBurstAt + CONNECT_COST_S)
        this.clientBurstAt = t
        this.usersActive++
        this.q.schedule(t, 0, EV_USER, -1, 0)
      }
    }
  }

  // -------------------------------------------------------------- TIME_WAIT --
  /** tcp_max_tw_buckets reached on host h? (cheap upper bound first; exact count only near the limit) */
  private twAtLimit(h: number): boolean {
    const H = this.hosts[h]!
    let upper = H.twLen
    if (h === 1) upper += this.poolTwUpper()
    if (upper < H.k.maxTwBuckets) return false
    return this.twCount(h) >= H.k.maxTwBuckets
  }

  /** TIME_WAIT sockets on host h (ring + proxy->server port pools). */
  private twCount(h: number): number {
    this.popTw(h)
    let n = this.hosts[h]!.twLive
    if (h === 1) for (const p of this.proxyPools) n += p.twCount(this.q.now)
    return n
  }

  /**
   * Create a TIME_WAIT socket on host `h` (key: client IP index on the client host, else -1).
   * Returns false on TCPTimeWaitOverflow (tcp_max_tw_buckets reached: no TIME_WAIT).
   */
  private addTw(h: number, key = -1, at = this.q.now): boolean {
    const H = this.hosts[h]!
    if (this.twAtLimit(h)) {
      H.counters.TCPTimeWaitOverflow++
      return false
    }
    if (H.twLen === H.twRing.length) {
      const n = H.twRing.length * 2
      const r = new Float64Array(n)
      const k = new Int32Array(n)
      for (let i = 0; i < H.twLen; i++) {
        r[i] = H.twRing[(H.twHead + i) % H.twRing.length]!
        k[i] = H.twRingKey[(H.twHead + i) % H.twRing.length]!
      }
      H.twRing = r
      H.twRingKey = k
      H.twHead = 0
    }
    const idx = (H.twHead + H.twLen) % H.twRing.length
    H.twRing[idx] = at + this.twLen(h)
    H.twRingKey[idx] = key
    H.twLen++
    H.twLive++
    if (h !== 1) {
      if (H.twLive > H.twMax) H.twMax = H.twLive
    } else if (H.twLen + this.poolTwUpper() > H.twMax) {
      const all = this.twCount(1)
      if (all > H.twMax) H.twMax = all
    }
    return true
  }

  /** tw_recycle: a server-side TIME_WAIT remembers the peer's latest TCP timestamp (per source address). */
  private stampPaws(h: number, c: number): void {
    const H = this.hosts[h]!
    if (H.k.twRecycle !== 1 || !H.t.twRecycle || this.i16[(c << 6) + I16_NAT_HOST]! < 0) return
    const ts = this.natTs[this.i16[(c << 6) + I16_NAT_HOST]!]! + this.q.now * 1000
    if (ts > H.pawsTs || this.q.now - H.pawsAt >= TIME_WAIT_S) {
      H.pawsTs = ts
      H.pawsAt = this.q.now
    }
  }

  private poolTwUpper(): number {
    let n = 0
    const pools = this.proxyPools
    for (let i = 0; i < pools.length; i++) n += pools[i]!.twUpper
    return n
  }

  private popTw(h: number): void {
    const H = this.hosts[h]!
    const now = this.q.now
    while (H.twLen > 0 && H.twRing[H.twHead]! <= now) {
      const key = H.twRingKey[H.twHead]!
      H.twHead = (H.twHead + 1) % H.twRing.length
      H.twLen--
      if (key !== TW_REUSED) H.twLive--
      if (h === 0) {
        this.cliTwPopped++
        if (key >= 0) this.clientIpBusy[key]!--
      }
    }
  }

  /**
   * Client IP `ip` has no free port: connect() takes over its oldest TIME_WAIT socket if that is
   * at least tcp_tw_reuse_delay old (the kernel takes the first reusable one of its port scan;
   * with every port busy or in TIME_WAIT that is as good as any, as far as counts go). The entry
   * stays in the ring, marked, so its expiry neither counts it out of TIME_WAIT again nor frees
   * the port. Below exhaustion the model keeps the TIME_WAIT sockets the kernel's scan would
   * reuse early, so the client's TIME_WAIT count is an upper bound there (docs/simulator.md).
   */
  private reuseClientTw(ip: number): boolean {
    const H = this.hosts[0]!
    const delay = this.s.hosts.client.twReuseDelayMs / 1000
    const len = this.twLen(0)
    const n = H.twRing.length
    for (let j = Math.max(0, this.cliTwCursor[ip]! - this.cliTwPopped); j < H.twLen; j++) {
      const idx = (H.twHead + j) % n
      if (H.twRingKey[idx] !== ip) continue
      if (this.q.now - (H.twRing[idx]! - len) < delay) {
        this.cliTwCursor[ip] = this.cliTwPopped + j
        return false
      }
      H.twRingKey[idx] = TW_REUSED
      H.twLive--
      this.cliTwCursor[ip] = this.cliTwPopped + j + 1
      return true
    }
    this.cliTwCursor[ip] = this.cliTwPopped + H.twLen
    return false
  }

  // ------------------------------------------------------------- sampling --
  private onSecond(): void {
    const i = Math.floor(this.q.now + 1e-9)
    const now = this.q.now
    if (i >= this.rows) return
    let tw = 0
    for (let h = 0; h < 3; h++) tw += this.twCount(h)
    this.cols.time_wait![i] = Math.max(this.cols.time_wait![i]!, tw)
    if (this.s.haproxy) {
      let ptw = 0
      let free = Infinity
      for (const sv of this.servers)
        for (const p of sv.pools) {
          const f = p.freeCount(now)
          if (f < free) free = f
          ptw += p.twCount(now)
        }
      this.cols.time_wait_proxy_to_backend![i] = ptw
      this.cols.free_ports![i] = free === Infinity ? 0 : free
      this.level(this.cols.proxy_scur!, this.feconn)
      this.level(this.cols.open_fds!, this.fdUsed)
      this.level(this.cols.backend_queue!, this.queued)
    } else {
      const ck = this.s.hosts.client
      const range = ck.ipLocalPortRange[1] - ck.ipLocalPortRange[0] + 1 - ck.reservedPorts
      let used = 0
      for (let k = 0; k < this.clientIpBusy.length; k++) if (this.clientIpBusy[k]! > used) used = this.clientIpBusy[k]!
      this.cols.free_ports![i] = range - used
      this.level(this.cols.open_fds!, this.servers[0]!.fds)
    }
    this.level(this.cols.busy_workers!, this.busyTotal())
    if (this.leaving > 0) this.drainLeaves(this.q.now)
    this.level(this.cols.syn_sent!, this.synSentCli)
    this.level(this.cols.syn_sent_upstream!, this.synSent - this.synSentCli)
    for (const L of this.listeners) {
      this.level(L.colSynq!, L.synq)
      this.level(L.colAcceptq!, L.aqLen)
    }
    // closed loop with a user curve: adjust users
    const cl = this.s.clients
    if (cl.mode === 'closed' && cl.loadCurve.length && now < this.loadEndS) {
      this.usersTarget = Math.round(curveRate(cl.loadCurve, now))
      while (this.usersActive < this.usersTarget) this.startUser()
    }
    if (i + 1 < this.rows) this.q.schedule(i + 1, -1, EV_SECOND, -1, 0)
  }

  // ------------------------------------------------------------------ run --
  run(): SimSummary {
    const q = this.q
    this.q.schedule(0, -1, EV_SECOND, -1, 0)
    this.s.haproxy?.servers.forEach((sv, i) => {
      const at = serverDownAtS(sv)
      if (at !== null) this.q.schedule(at, 0, EV_SERVER_STOP, -1, i)
    })
    this.startChecks()
    this.startClients()
    const cancel = this.opts.shouldCancel
    const progress = this.opts.onProgress
    let n = 0
    let lastWall = Date.now()
    const maxEvents = this.opts.maxEvents ?? Infinity
    while (q.step()) {
      if (q.now > this.endS || q.popped > maxEvents) break
      if ((++n & 1023) === 0) {
        if (cancel && cancel()) throw new CancelledError()
        if (progress) {
          // wall-clock progress too, so a heavy simulated second still reports >= 10 times/s
          const w = Date.now()
          if (w - lastWall >= 50) {
            lastWall = w
            progress(Math.min(1, q.now / this.endS), q.now)
          }
        }
      }
      const c = q.a
      const b = q.b
      switch (q.kind) {
        case EV_ARRIVAL:
          this.onArrival()
          break
        case EV_CLIENT_START:
          this.newClientConn(q.now)
          break
        case EV_USER:
          this.onUser()
          break
        case EV_SECOND:
          this.onSecond()
          break
        case EV_FE_RELEASE:
          this.feReleasing--
          this.feconn--
          this.fdUsed--
          this.hosts[1]!.openFiles--
          this.proxyAccept()
          break
        case EV_PROXY_ACCEPT:
          if (q.now >= this.proxyWakeAt) this.proxyWakeArmed = false
          this.proxyAccept()
          break
        case EV_BACKEND_ACCEPT:
          if (q.now >= this.servers[b]!.burstWakeAt) this.backendAccept(this.servers[b]!)
          break
        case EV_FPM_ACCEPT:
          if (q.now >= this.servers[b]!.fpmBurstWakeAt) this.fpmAccept(this.servers[b]!)
          break
        case EV_FIFO:
          this.onFifo(c)
          break
        case EV_AB_POLL:
          this.onAbPoll()
          break
        case EV_CHECK_SYN:
          if (c < 0) this.openHttpCheck(b)
          else this.onCheckSyn(b)
          break
        case EV_CHECK_EXPIRE:
          this.onCheckExpire(c, b)
          break
        case EV_CHECK:
          this.onCheck(b, c)
          break
        case EV_SERVER_STOP:
          this.servers[b]!.refuses = true
          this.servers[b]!.listener.refuses = true
          if (this.logOn) this.logEv(`server-stop server=${this.servers[b]!.name}`)
          break
        default:
          this.dispatch(q.kind, c, b)
      }
    }
    // retransmits sent by the end whose arrival was not reached
    for (let c = 0; c < this.next; c++) if (this.i8[(c << 7) + I8_INI] === I_SYN_SENT) this.settleRtx(c, Math.min(q.now, this.endS))
    if (this.logUnsorted) this.opts.log!.sort((x, y) => parseFloat(x) - parseFloat(y))
    return this.summary()
  }

  private dispatch(kind: number, c: number, b: number): void {
    // request-scoped events carry a request token, the rest the row generation
    switch (kind) {
      case EV_CPU_DONE:
        this.onCpuDone(b, ~c)
        break
      case EV_REQ_TIMEOUT:
        if (b === this.reqTok(c) && this.i8[(c << 7) + I8_INI] !== I_DONE) this.clientFail(c, C_TIMEOUT)
        return
      case EV_HTTP_REQ_TIMEOUT:
        if (b === this.reqTok(c) && this.i8[(c << 7) + I8_SRV] === S_ACCEPTED && !this.i8[(c << 7) + I8_HAS_DATA] && this.i16[(c << 6) + I16_SERVER]! < 0 && !this.i8[(c << 7) + I8_WAITING]) {
          this.ereq++
          this.proxyFail(c, 408)
        }
        return
      case EV_QUEUE_TIMEOUT:
        if (b === this.reqTok(c) && this.i8[(c << 7) + I8_WAITING] !== 0) {
          // timeout queue (sQ): failed_conns of the backend, and of the server it waited for
          if (this.i8[(c << 7) + I8_WAITING] === 2) this.servers[this.i16[(c << 6) + I16_SERVER]!]!.econ++
          this.unqueue(c)
          this.beEcon++
          this.proxyFail(c, 503)
        }
        return
      case EV_RETRY:
        if (b === this.reqTok(c) && this.i8[(c << 7) + I8_INI] === I_EST) this.onRetry(c)
        return
      case EV_SERVER_TIMEOUT:
        if (b === this.reqTok(c) && this.i8[(c << 7) + I8_INI] === I_EST) this.onServerTimeout(c)
        return
      case EV_NEXT_REQ:
        if (b === this.reqTok(c) && this.i8[(c << 7) + I8_INI] === I_EST) this.onNextReq(c)
        return
      case EV_FAIL_AT_CLIENT:
        if ((b >> 5) === this.i32[(c << 5) + I32_GEN]) this.clientFail(c, b & 31)
        return
    }
    if (b !== this.i32[(c << 5) + I32_GEN]) return
    switch (kind) {
      case EV_SYN:
        this.onSyn(c)
        break
      case EV_SYN_TIMER:
        this.onSynTimer(c)
        break
      case EV_SYN_RTX:
        if (this.i8[(c << 7) + I8_INI] !== I_SYN_SENT) break
        this.rtxSent(c)
        this.onSyn(c)
        break
      case EV_CONNECT_TIMEOUT:
        this.onConnectTimeout(c)
        break
      case EV_SYNACK:
        this.onSynack(c)
        break
      case EV_SYNACK_RX:
        this.rxBurstHost = this.i8[(c << 7) + I8_ROLE]!
        this.onSynack(c)
        this.rxBurstHost = -1
        break
      case EV_REFUSED:
        this.onRefused(c)
        break
      case EV_ACK:
        this.onAck(c, false)
        break
      case EV_DATA:
        this.onAck(c, true)
        if (this.i8[(c << 7) + I8_ROLE] === ROLE_CLIENT && (this.i8[(c << 7) + I8_SRV] === S_REQ || this.i8[(c << 7) + I8_SRV] === S_COOKIE) && this.i16[(c << 6) + I16_RTX] === 0) this.armDataRtx(c)
        break
      case EV_REQSK_TIMER:
        this.onReqskTimer(c)
        break
      case EV_DATA_RTX:
        // on a host-local hop the timer softirq only queues the segment: NET_RX handles it in order
        if (this.softirq[this.i8[(c << 7) + I8_ROLE]!]) this.at(this.rxQueue(this.i8[(c << 7) + I8_ROLE]!), EV_DATA_RX, c)
        else this.onDataRtx(c)
        break
      case EV_DATA_RX:
        this.rxBurstHost = this.i8[(c << 7) + I8_ROLE]!
        this.onDataRtx(c)
        this.rxBurstHost = -1
        break
      case EV_SERVICE_DONE:
        this.onServiceDone(c)
        break
      case EV_RESP_AT_NGINX:
        this.onRespAtNginx(c)
        break
      case EV_NGINX_UPSTREAM:
        if (this.i8[(c << 7) + I8_SRV] === S_ACCEPTED) this.nginxToFpm(c, this.servers[this.i8[(c << 7) + I8_ROLE] === ROLE_UPSTREAM ? this.i16[(c << 6) + I16_SERVER]! : 0]!)
        break
      case EV_RESP_AT_PROXY:
        this.onRespAtProxy(c)
        break
      case EV_RESP_AT_CLIENT:
        this.onRespAtClient(c)
        break
      case EV_SESSION_END:
        this.endSession(c)
        break
    }
  }

  // -------------------------------------------------------------- summary --
  private littleTally(): SimSummary['little'] {
    this.flight(0)
    const T = this.inFlightAt
    return {
      meanInFlight: T > 0 ? this.inFlightArea / T : 0,
      throughput: T > 0 ? this.doneReq / T : 0,
      meanLatencyMs: this.doneReq ? (1000 * this.latencySumS) / this.doneReq : 0
    }
  }

  private summary(): SimSummary {
    if (this.leaving > 0) this.drainLeaves(Math.min(this.q.now, this.endS))
    const inFlight = this.requests - this.ok - this.failed
    const byCause = {} as Record<FailureCause, number>
    FAILURE_CAUSES.forEach((c, i) => (byCause[c] = this.byCause[i]!))
    const L: ListenerInfo[] = this.listeners.map((l) => ({
      id: l.id,
      host: l.host === 1 ? 'proxy' : 'backend',
      kind: l.unix ? 'unix' : 'tcp',
      backlog: l.B,
      synQueueCapacity: l.synCap,
      maxAcceptq: l.maxAcceptq,
      maxSynq: l.maxSynq,
      ...(l.aqSampled && l.sqSampled ? { sampledAcceptq: l.aqSampled.result(this.q.now), sampledSynq: l.sqSampled.result(this.q.now) } : {})
    }))
    const row = (pxname: string, svname: string, o: Partial<HaproxyStatRow>): HaproxyStatRow => ({
      pxname,
      svname,
      qcur: 0,
      qmax: 0,
      scur: 0,
      smax: 0,
      slim: 0,
      stot: 0,
      ereq: 0,
      econ: 0,
      eresp: 0,
      wretr: 0,
      wredis: 0,
      hrsp_2xx: 0,
      hrsp_4xx: 0,
      hrsp_5xx: 0,
      connect: 0,
      reuse: 0,
      ...o
    })
    const lim = this.limits
    const haproxy = this.s.haproxy
      ? {
          started: lim!.starts,
          message: lim!.message,
          info: { Maxconn: lim!.maxconn, Maxsock: lim!.maxsock, 'Ulimit-n': lim!.ulimitN, CumConns: this.stot },
          frontend: row('fe', 'FRONTEND', {
            // a session whose client's FIN is still on its way when the run ends is over: its
            // response was booked as received, like every answer after the end of the run
            scur: this.feconn - this.feReleasing,
            smax: this.feMax,
            slim: lim!.frontendMaxconn,
            stot: this.stot,
            ereq: this.ereq,
            hrsp_2xx: this.fe2xx,
            hrsp_4xx: this.fe4xx,
            hrsp_5xx: this.fe5xx
          }),
          backend: row('be', 'BACKEND', {
            ...(this.servers.some((sv) => sv.check) ? { status: this.serversUp > 0 ? ('UP' as const) : ('DOWN' as const), chkdown: this.beChkdown, ...(this.beChangedAt >= 0 ? { lastchg: round(Math.min(this.q.now, this.endS) - this.beChangedAt) } : {}) } : {}),
            qcur: this.beQ.live,
            qmax: this.beQ.max,
            scur: this.beCur,
            smax: this.beSmax,
            slim: lim!.fullconn,
            stot: this.beStot,
            econ: this.beEcon,
            eresp: this.beEresp,
            wretr: this.beWretr,
            wredis: this.beWredis,
            hrsp_2xx: this.fe2xx,
            hrsp_5xx: this.be5xx,
            connect: this.servers.reduce((a, sv) => a + sv.connect, 0),
            reuse: this.servers.reduce((a, sv) => a + sv.reuse, 0)
          }),
          servers: this.servers.map((sv) =>
            row('be', sv.name, {
              qcur: sv.pq.live,
              qmax: sv.pq.max,
              scur: sv.sess,
              smax: sv.smax,
              slim: sv.maxconn,
              stot: sv.stot,
              econ: sv.econ,
              eresp: sv.eresp,
              wretr: sv.wretr,
              wredis: sv.wredis,
              connect: sv.connect,
              reuse: sv.reuse,
              ...(sv.check
                ? {
                    status: sv.up ? ('UP' as const) : ('DOWN' as const),
                    chkfail: sv.chkfail,
                    chkdown: sv.chkdown,
                    ...(sv.changedAt >= 0 ? { lastchg: round(Math.min(this.q.now, this.endS) - sv.changedAt) } : {}),
                    ...(sv.ckStatus ? { check_status: sv.ckStatus } : {}),
                    downtime: round(sv.downTotal + (sv.downSince >= 0 ? Math.max(0, Math.min(this.q.now, this.endS) - sv.downSince) : 0))
                  }
                : {})
            })
          )
        }
      : null
    const hitsSorted = [...this.hits.entries()].sort((a, b) => a[1].atS - b[1].atS).map(([ceiling, v]) => ({ ceiling, atS: round(v.atS), atLoad: round(v.atLoad) }))
    const first = hitsSorted[0]
    return {
      format: 'headroom-result/1',
      preview: false,
      seed: this.opts.seed,
      scenarioName: this.s.name,
      columns: this.colNames,
      simulatedS: Math.min(this.q.now, this.endS),
      events: this.q.popped,
      // ab's wall time is when it stopped (responses are booked ahead, so the last of them may
      // end after the one that made -n), its -s watchdog's time, or the end of the run it was still waiting at
      durationS: !this.abMode ? this.lastEnd : this.abReason === null ? this.endS : this.abReason === 'no-event' ? this.abStopAt : Math.max(this.abStopAt, this.lastEnd),
      ...(this.abMode
        ? {
            ab: {
              done: this.abDone,
              stoppedAtS: this.abReason !== null ? this.abStopAt : null,
              reason: this.abReason,
              abortedAtS: this.abReason === 'no-event' ? this.abStopAt : null,
              silenceS: this.abSilenceS
            }
          }
        : {}),
      totals: {
        offered: this.offered,
        requests: this.requests,
        ok: this.ok,
        failed: this.failed,
        inFlight,
        byCause,
        synRetryShare: this.connected ? this.retriedConnects / this.connected : 0
      },
      latency: this.latency.toJSON(),
      request: this.reqLatency.toJSON(),
      connect: this.connectH.toJSON(),
      backendWaitShare: this.servedReq ? this.waitedReq / this.servedReq : 0,
      ...(this.svcH ? { service: this.svcH.toJSON() } : {}),
      little: this.littleTally(),
      kernel: { client: this.hosts[0]!.counters, proxy: this.s.haproxy ? this.hosts[1]!.counters : null, backend: this.hosts[2]!.counters },
      haproxy,
      listeners: L,
      sockets: {
        maxTimeWait: { client: this.hosts[0]!.twMax, proxy: this.hosts[1]!.twMax, backend: this.hosts[2]!.twMax },
        maxTimeWaitProxyToBackend: this.maxTwProxyToBackend,
        maxSynSent: this.maxSynSent,
        maxSynSentProxy: this.maxSynSentUp[ROLE_UPSTREAM]!,
        maxSynSentBackend: this.maxSynSentUp[ROLE_FCGI]!,
        ...(this.synSentSampled
          ? {
              samplePeriodS: this.synSentSampled.periodS,
              sampledSynSent: this.synSentSampled.result(this.q.now),
              sampledSynSentProxy: this.synSentUpSampled[ROLE_UPSTREAM]!.result(this.q.now),
              sampledSynSentBackend: this.synSentUpSampled[ROLE_FCGI]!.result(this.q.now)
            }
          : {})
      },
      verdict: {
        ceiling: first ? first.ceiling : 'none',
        atS: first ? first.atS : null,
        atLoad: first ? first.atLoad : null,
        message: verdictMessage(first?.ceiling ?? 'none', first?.atS ?? 0, first?.atLoad ?? 0, this),
        hits: hitsSorted
      }
    }
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}

function verdictMessage(c: CeilingKind, atS: number, atLoad: number, m: Model): string {
  const when = `at t=${atS.toFixed(1)} s (load ${atLoad.toFixed(0)})`
  const lim = m.limits
  switch (c) {
    case 'none':
      return 'No ceiling was reached: every queue and limit kept headroom for this load.'
    case 'proxy-not-started':
      return `HAProxy does not start with this configuration: ${lim?.message ?? ''}`
    case 'haproxy-maxconn':
      return `HAProxy reached maxconn ${lim ? Math.min(lim.maxconn, lim.frontendMaxconn) : ''} ${when}: it stops accepting, the kernel accept queue (B+1 = ${lim ? lim.backlogEffective + 1 : '?'}) fills and further SYNs are dropped; clients see 1 s / 3 s connect delays or time out. HAProxy stats show only scur == slim.`
    case 'accept-queue':
      return `A listen accept queue overflowed ${when} (ListenOverflows): the process did not accept fast enough; SYNs were dropped and clients retransmitted.`
    case 'syn-queue':
      return `The SYN queue was full ${when} with syncookies off (TCPReqQFullDrop): SYNs were dropped.`
    case 'haproxy-fd':
      return `HAProxy hit its fd limit (Ulimit-n ${lim?.ulimitN}) ${when}: accept() got EMFILE and the listener paused 100 ms at a time.`
    case 'server-maxconn':
      return `Servers reached their maxconn ${when}: requests waited in the backend queue (no server assigned; maxqueue does not cap it) or in a server's own queue (hash balance, leastconn with maxqueue).`
    case 'backend-queue':
      return `Queued requests got 503 ${when}: a server's queue was at its maxqueue (hash balance: no redispatch) or a request waited longer than timeout queue.`
    case 'backend-workers':
      return `The backend ran out of workers ${when}: connections waited in its accept queue.`
    case 'backend-cpu':
      return `The backend hosts ran out of CPU ${when}: more workers were runnable than there are cores, so each request's CPU work took longer (the cores are shared). More workers or php-fpm children add no throughput past this point, only latency; fewer CPU seconds per request, more cores or more servers do.`
    case 'php-fpm-backlog':
      return `php-fpm's listen backlog (clamped by somaxconn) overflowed ${when}: unix socket -> 502 at once, TCP -> SYN drops and 504 after nginx's connect timeout.`
    case 'source-ports':
      return `HAProxy ran out of source ports towards a server ${when} (EADDRNOTAVAIL, "no free ports"): 503 / econ. TIME_WAIT lasts 60 s on the side that closes first.`
    case 'client-ports':
      return `Clients ran out of source ports ${when}.`
    case 'tw-recycle':
      return `tcp_tw_recycle dropped SYNs from clients behind NAT ${when} (PAWS check on per-host timestamps): those clients time out. Remove tcp_tw_recycle.`
    case 'fd-limit':
      return `The backend hit its fd limit ${when}.`
    case 'check-timeout':
      return `Health checks timed out ${when}: the server's listen queue was full, so the check's SYNs were dropped (L4TOUT) and HAProxy marked it DOWN after \`fall\` of them; its share went to the others, which fill up in turn. A server maxconn at or below its workers keeps its queue, and its checks, clear.`
    case 'servers-down':
      return `Every server was DOWN by its health checks ${when}: HAProxy answered each new request with 503 at once (no server available; BACKEND econ).`
  }
}

/**
 * Delay of the n-th resend (n = 0, 1, ...) of a request segment nobody acknowledges, from the
 * previous send, for a connection whose RTO is `rtoS`. The first is the tail loss probe (TLP,
 * `tcp_schedule_loss_probe`, on by default since 3.10 with SACK: `tcp_early_retrans` 3): PTO =
 * 2 srtt + 200 ms for one segment in flight, at most the time left to the RTO, so the RTO
 * itself; TCP_TIMEOUT_INIT (1 s) without an RTT sample. The probe re-arms the RTO from its own
 * departure without backing off, so the resends leave at 1, 2, 4, 8 ... x RTO after the request
 * (not 1, 3, 7, 15). Checked against this kernel in test/main/sim/retransmit-real.test.ts.
 */
export function requestResendDelay(n: number, rtoS: number, rttSampled: boolean): number {
  if (n === 0) return rttSampled ? rtoS : Math.min(TLP_NO_RTT_S, rtoS)
  return Math.min(120, rtoS * (n < 32 ? 1 << (n - 1) : Math.pow(2, n - 1))) // 1 << k: exact, without a pow call
}

/**
 * SYN-ACK retry budget of a request sock at its timer (reqsk_timer_handler, semantics 2.2): when
 * the SYN queue is more than half full ((qlen << 1) > max(8, B) on 4.4+; qlen >= half the
 * power-of-two table on <= 4.3, `pow2Cap` > 0), old requests are aborted early: the budget drops
 * by one while qlen >= young * 2, young * 4, ... and stays >= 2 ("reserve half of room for young
 * embrions").
 */
export function prunedSynackRetries(retries: number, qlen: number, young: number, pow2Cap: number, B: number): number {
  const crowded = pow2Cap > 0 ? qlen * 2 >= pow2Cap : qlen * 2 > Math.max(8, B)
  if (!crowded) return retries
  let max = retries
  let y = young * 2
  while (max > 2) {
    if (qlen < y) break
    max--
    y *= 2
  }
  return max
}
