/**
 * Simulation result: per-second typed-array columns in ONE ArrayBuffer plus a JSON trailer
 * (style.md 9, after kdbush: a small header validated on read).
 *
 * Layout (little-endian):
 *   bytes 0..31  header: u32 magic 0x48524d31 ('HRM1'), u32 version (1), u32 columnCount,
 *                u32 rowCount, u32 trailerOffset, u32 trailerLength, u32 0, u32 0
 *   bytes 32..   columnCount Float64Array columns of rowCount values each, in the order of
 *                `summary.columns` (row i = simulated second [i, i+1))
 *   trailer      UTF-8 JSON `SimSummary` (totals, histograms, counters, stats, verdict)
 *
 * Column meanings (per simulated second; "level" columns are the maximum in that second):
 *   t                 start of the second (s)
 *   offered           new client connection attempts (open loop) / requests started (closed)
 *   accepted          connections accepted by the front process (HAProxy or backend)
 *   completed         requests answered 2xx
 *   failed            requests that failed (any cause), by the second they failed in
 *   failed_<cause>    failed split by cause (FAILURE_CAUSES)
 *   synq:<listener>, acceptq:<listener>   SYN queue (request socks) / accept queue levels
 *   proxy_scur        HAProxy sessions (frontend scur)
 *   backend_queue     HAProxy backend + server queues
 *   busy_workers      busy backend workers (generic workers / php-fpm children / nginx echo in service)
 *   time_wait         TIME_WAIT sockets on all hosts; time_wait_proxy_to_backend on the proxy's side
 *   free_ports        lowest count of free source ports over proxy->server tuples (or client side without proxy)
 *   open_fds          HAProxy (or front backend) open fds
 *   syn_sent          clients in SYN-SENT
 *   syn_sent_upstream HAProxy's and nginx's own connects (to servers, to php-fpm) in SYN-SENT
 *   cpu_runnable      workers in their CPU work on the backend hosts, running or waiting for a core (only with backend.cpu)
 */

// The simulator core has no DOM/node types (types: []); these exist in every runtime we target.
declare class TextEncoder {
  encode(s: string): Uint8Array
}
declare class TextDecoder {
  decode(b: Uint8Array): string
}

export const RESULT_MAGIC = 0x48524d31
export const RESULT_VERSION = 1
const HEADER_BYTES = 32

export const FAILURE_CAUSES = [
  'connect_timeout', // client gave up connecting (app connect timeout or kernel SYN retries)
  'timeout', // client request timeout (a callback's); ApacheBench: requests not done when it stopped early (-s, -t)
  'reset', // ECONNRESET (abort_on_overflow, expired request sock, server RST)
  'http502', // bad gateway (php-fpm unix socket EAGAIN, server reset)
  'http503', // no server / queue timeout / no free source ports
  'http504', // gateway timeout (nginx fastcgi connect timeout, timeout server)
  'http408', // HAProxy request timeout (client request bytes lost with the final ACK)
  'no_port', // client side EADDRNOTAVAIL
  'refused' // ECONNREFUSED: nothing listening (HAProxy did not start)
] as const
export type FailureCause = (typeof FAILURE_CAUSES)[number]

export const BASE_COLUMNS = [
  't',
  'offered',
  'accepted',
  'completed',
  'failed',
  ...FAILURE_CAUSES.map((c) => `failed_${c}` as const),
  'proxy_scur',
  'backend_queue',
  'busy_workers',
  'time_wait',
  'time_wait_proxy_to_backend',
  'free_ports',
  'open_fds',
  'syn_sent',
  'syn_sent_upstream'
] as const
export type BaseColumn = (typeof BASE_COLUMNS)[number]

/** HAProxy `show stat` fields for one row (semantics.md 8.2). */
export interface HaproxyStatRow {
  pxname: string
  svname: string
  qcur: number
  qmax: number
  scur: number
  smax: number
  slim: number
  stot: number
  ereq: number
  econ: number
  eresp: number
  wretr: number
  wredis: number
  hrsp_2xx: number
  hrsp_4xx: number
  hrsp_5xx: number
  /** Server connections opened (`connect`, 2.x) and idle ones reused (`reuse`); backend and server rows. */
  connect: number
  reuse: number
  /** With health checks (servers with `check`, and their backend): UP / DOWN at the end, failed checks (chkfail, servers) and UP -> DOWN transitions (chkdown). */
  status?: 'UP' | 'DOWN'
  chkfail?: number
  chkdown?: number
  /** Seconds from the last UP / DOWN change to the end of the run (HAProxy's lastchg, not rounded); absent when the status did not change during the run. */
  lastchg?: number
  /**
   * Servers with checks: the last check's outcome (check_status): L4OK, L4TOUT (its SYNs dropped
   * until the check's timeout), L4CON (refused); with option httpchk L7OK, L7STS (an error status),
   * L7TOUT (no response in time), SOCKERR (reset after the connect, or no fd / source port).
   */
  check_status?: 'L4OK' | 'L4TOUT' | 'L4CON' | 'L7OK' | 'L7STS' | 'L7TOUT' | 'SOCKERR'
  /** Seconds DOWN during the run (HAProxy's downtime counts from its start). */
  downtime?: number
}

export interface HaproxyStats {
  started: boolean
  /** ALERT/WARNING at start ('' when none). */
  message: string
  info: { Maxconn: number; Maxsock: number; 'Ulimit-n': number; CumConns: number }
  frontend: HaproxyStatRow
  backend: HaproxyStatRow
  servers: HaproxyStatRow[]
}

/** TcpExt counter deltas of one host (semantics.md 1.5). */
export interface KernelCounters {
  ListenOverflows: number
  ListenDrops: number
  TCPReqQFullDrop: number
  TCPReqQFullDoCookies: number
  SyncookiesSent: number
  EmbryonicRsts: number
  TCPSynRetrans: number
  TCPTimeWaitOverflow: number
  PAWSPassive: number
}

export const KERNEL_COUNTER_NAMES: readonly (keyof KernelCounters)[] = [
  'ListenOverflows',
  'ListenDrops',
  'TCPReqQFullDrop',
  'TCPReqQFullDoCookies',
  'SyncookiesSent',
  'EmbryonicRsts',
  'TCPSynRetrans',
  'TCPTimeWaitOverflow',
  'PAWSPassive'
]

export function zeroCounters(): KernelCounters {
  return {
    ListenOverflows: 0,
    ListenDrops: 0,
    TCPReqQFullDrop: 0,
    TCPReqQFullDoCookies: 0,
    SyncookiesSent: 0,
    EmbryonicRsts: 0,
    TCPSynRetrans: 0,
    TCPTimeWaitOverflow: 0,
    PAWSPassive: 0
  }
}

export interface HistogramSummary {
  count: number
  meanMs: number
  maxMs: number
  p50: number
  p90: number
  p99: number
  /** Sparse [lowMs, highMs, count]. */
  bins: [number, number, number][]
}

export interface ListenerInfo {
  /** Column suffix, e.g. 'proxy:80', 'backend:80', 'php-fpm'. */
  id: string
  host: 'proxy' | 'backend'
  kind: 'tcp' | 'unix'
  /** Effective backlog B (accept queue holds B+1). */
  backlog: number
  synQueueCapacity: number
  maxAcceptq: number
  maxSynq: number
  /** The same maxima as a periodic sampler sees them (runs with a socket sample period only). */
  sampledAcceptq?: number
  sampledSynq?: number
}

export type CeilingKind =
  | 'none'
  | 'proxy-not-started'
  | 'syn-queue'
  | 'accept-queue'
  | 'haproxy-maxconn'
  | 'haproxy-fd'
  | 'server-maxconn'
  | 'backend-queue'
  | 'backend-workers'
  | 'backend-cpu'
  | 'php-fpm-backlog'
  | 'source-ports'
  | 'client-ports'
  | 'tw-recycle'
  | 'fd-limit'
  | 'servers-down'
  | 'check-timeout'

export interface Verdict {
  /** The ceiling that bound first. */
  ceiling: CeilingKind
  /** Simulated second when it first bound (null when none). */
  atS: number | null
  /** Offered load at that moment (conn/s open loop, users closed loop). */
  atLoad: number | null
  /** One-paragraph explanation for the operator. */
  message: string
  /** Every ceiling that was hit, in order of first hit. */
  hits: { ceiling: CeilingKind; atS: number; atLoad: number }[]
}

/** Why ApacheBench stopped: its -n done, its -t time limit, its -s watchdog, more than 10 failed connects. */
export type AbStopReason = 'done' | 'time-limit' | 'no-event' | 'connect-failures'

/** Why ab stopped, as ab itself would say it (the result view and `headroom simulate`). */
export function abStopText(reason: AbStopReason, silenceS: number | null): string {
  switch (reason) {
    case 'done':
      return 'its -n done'
    case 'time-limit':
      return "its time limit (-t, the run's duration)"
    case 'no-event':
      return `no event on any of its connections for ${silenceS} s (its -s; "apr_pollset_poll: The timeout specified has expired")`
    case 'connect-failures':
      return 'more than 10 failed connects ("Test aborted after 10 failures")'
  }
}

export interface SimSummary {
  format: 'headroom-result/1'
  preview: boolean
  seed: number
  scenarioName: string
  /** Column names in buffer order. */
  columns: string[]
  simulatedS: number
  events: number
  /** Time (s) the last request ended (like a load tool's wall time); in ApacheBench mode, when ab stopped. */
  durationS: number
  /**
   * ApacheBench mode (ClientConfig.tool 'ab') only: requests ab completed, when it stopped
   * (null: still running at the end of the run) and why, and when its `-s` watchdog ended it
   * (null: it did not: "apr_pollset_poll: The timeout specified has expired").
   */
  ab?: { done: number; stoppedAtS: number | null; reason: AbStopReason | null; abortedAtS: number | null; silenceS: number | null }
  totals: {
    offered: number
    requests: number
    ok: number
    failed: number
    inFlight: number
    byCause: Record<FailureCause, number>
    /** Connections that needed at least one SYN retransmission / connections that connected. */
    synRetryShare: number
  }
  /** Per request, from the client's first SYN (or the request, on a reused connection) to the response: what ab reports. */
  latency: HistogramSummary
  /** Per request, from the request being sent to the response (connect excluded): what h2load reports. */
  request: HistogramSummary
  /** Per connection, first SYN to SYN-ACK received (the 1 s / 3 s retransmit steps). */
  connect: HistogramSummary
  /** Share of backend requests that waited for a worker / child (Erlang C check). */
  backendWaitShare: number
  /** With backend.cpu: each request's time in its worker or php-fpm child, the CPU part stretched by the others on the cores (php-fpm's access-log duration). */
  service?: HistogramSummary
  /** Little's law tally over the whole run: time-average requests in flight, and completion rate (per s). */
  little: { meanInFlight: number; throughput: number; meanLatencyMs: number }
  kernel: { client: KernelCounters; proxy: KernelCounters | null; backend: KernelCounters }
  haproxy: HaproxyStats | null
  listeners: ListenerInfo[]
  sockets: {
    maxTimeWait: { client: number; proxy: number; backend: number }
    maxTimeWaitProxyToBackend: number
    maxSynSent: number
    /** The proxy's own connects to servers, and nginx's TCP connects to php-fpm, in SYN-SENT (peaks). */
    maxSynSentProxy?: number
    maxSynSentBackend?: number
    /** Runs with a socket sample period (simulator/sampler.ts): the period and what it saw of SYN-SENT. */
    samplePeriodS?: number
    sampledSynSent?: number
    sampledSynSentProxy?: number
    sampledSynSentBackend?: number
  }
  verdict: Verdict
}

export interface SimResult {
  summary: SimSummary
  preview: boolean
  rows: number
  columnNames: string[]
  /** Views into the buffer (no copies). */
  columns: Record<string, Float64Array>
  /** Convenience: a named column or throws. */
  col(name: string): Float64Array
}

/** Pack columns + summary into one transferable ArrayBuffer. Columns must all have `rows` values. */
export function encodeResult(columns: Record<string, ArrayLike<number>>, summary: SimSummary): ArrayBuffer {
  const names = summary.columns
  const rows = names.length ? columns[names[0]!]!.length : 0
  for (const n of names) {
    const c = columns[n]
    if (!c) throw new Error(`encodeResult: column "${n}" listed in summary.columns is missing`)
    if (c.length !== rows) throw new Error(`encodeResult: column "${n}" has ${c.length} rows, expected ${rows}`)
  }
  const trailer = new TextEncoder().encode(JSON.stringify(summary))
  const colBytes = names.length * rows * 8
  const trailerOffset = HEADER_BYTES + colBytes
  const buf = new ArrayBuffer(trailerOffset + trailer.length)
  const h = new DataView(buf)
  h.setUint32(0, RESULT_MAGIC, true)
  h.setUint32(4, RESULT_VERSION, true)
  h.setUint32(8, names.length, true)
  h.setUint32(12, rows, true)
  h.setUint32(16, trailerOffset, true)
  h.setUint32(20, trailer.length, true)
  const f = new Float64Array(buf, HEADER_BYTES, names.length * rows)
  names.forEach((n, i) => f.set(columns[n]!, i * rows))
  new Uint8Array(buf, trailerOffset).set(trailer)
  return buf
}

/** Decode (and validate) a result buffer; throws a clear Error on anything malformed. */
export function decodeResult(buf: ArrayBuffer): SimResult {
  // Checked by tag, not instanceof: buffers may come from another realm (IPC, a worker, a test DOM).
  if (Object.prototype.toString.call(buf) !== '[object ArrayBuffer]') throw new Error('decodeResult: expected an ArrayBuffer')
  if (buf.byteLength < HEADER_BYTES) throw new Error(`decodeResult: buffer of ${buf.byteLength} bytes is shorter than the ${HEADER_BYTES}-byte header`)
  const h = new DataView(buf)
  const magic = h.getUint32(0, true)
  if (magic !== RESULT_MAGIC) throw new Error(`decodeResult: bad magic 0x${magic.toString(16)}; not a Headroom result`)
  const version = h.getUint32(4, true)
  if (version !== RESULT_VERSION) throw new Error(`decodeResult: result version ${version} unsupported (expected ${RESULT_VERSION})`)
  const nCols = h.getUint32(8, true)
  const rows = h.getUint32(12, true)
  const tOff = h.getUint32(16, true)
  const tLen = h.getUint32(20, true)
  if (tOff !== HEADER_BYTES + nCols * rows * 8) throw new Error(`decodeResult: trailer offset ${tOff} does not match ${nCols} columns x ${rows} rows`)
  if (tOff + tLen !== buf.byteLength) throw new Error(`decodeResult: buffer is ${buf.byteLength} bytes, header says ${tOff + tLen}`)
  let summary: SimSummary
  try {
    summary = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, tOff, tLen))) as SimSummary
  } catch (e) {
    throw new Error(`decodeResult: trailer is not valid JSON (${(e as Error).message})`)
  }
  if (!summary || summary.format !== 'headroom-result/1' || !Array.isArray(summary.columns)) throw new Error('decodeResult: trailer is not a headroom-result/1 summary')
  if (summary.columns.length !== nCols) throw new Error(`decodeResult: header has ${nCols} columns, trailer names ${summary.columns.length}`)
  const columns: Record<string, Float64Array> = {}
  summary.columns.forEach((n, i) => {
    columns[n] = new Float64Array(buf, HEADER_BYTES + i * rows * 8, rows)
  })
  return {
    summary,
    preview: summary.preview,
    rows,
    columnNames: summary.columns,
    columns,
    col(name: string): Float64Array {
      const c = columns[name]
      if (!c) throw new Error(`result has no column "${name}" (has: ${summary.columns.join(', ')})`)
      return c
    }
  }
}
