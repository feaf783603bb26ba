/**
 * Fidelity cases (shared/fidelity/README.md, "headroom-fidelity-case/1"): read a measured
 * case, turn its setup into a Scenario (generic mapping of sysctls, HAProxy settings,
 * backend and load tool; nothing per case), and turn a simulation result into the
 * `predicted` object with the case's metric keys. `scoreCase` applies the README's
 * tolerance rules exactly as score.py does.
 */
import { readFileSync } from 'node:fs'
import {
  SCENARIO_FORMAT,
  defaultBackend,
  defaultHaproxy,
  defaultKernel,
  type HttpReuse,
  type KernelConfig,
  type Scenario
} from '../../simulator/scenario'
import { decodeResult, type SimSummary } from '../../simulator/result'
import { simulate } from '../../simulator/index'

export interface MeasuredStat {
  mean: number
  min: number
  max: number
}

export interface FidelityCase {
  format: 'headroom-fidelity-case/1'
  id: string
  family?: string
  description?: string
  measured_on?: { kernel?: string; haproxy?: string }
  scenario: {
    kernel: { set?: Record<string, Record<string, unknown>>; effective?: Record<string, Record<string, string>> }
    network: {
      rtt_ms_client_lb?: number
      rtt_ms_lb_app?: number
      measured_ping_rtt_ms?: Record<string, { avg?: MeasuredStat; max?: MeasuredStat; min?: MeasuredStat; mdev?: MeasuredStat }>
    }
    proxy: Record<string, unknown> | null
    backend: Record<string, unknown>
    load: Record<string, unknown>
  }
  measured: Record<string, MeasuredStat | { value: boolean | string }>
  scored: string[]
}

/** Read and minimally validate a case file. */
export function readCase(path: string): FidelityCase {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new Error(`cannot read fidelity case ${path}: ${(e as Error).message}`)
  }
  const c = raw as FidelityCase
  if (!c || c.format !== 'headroom-fidelity-case/1') throw new Error(`${path} is not a headroom-fidelity-case/1 file`)
  if (!c.scenario || !c.scenario.load || !c.scenario.backend || !Array.isArray(c.scored)) throw new Error(`${path}: case lacks scenario/load/backend/scored`)
  return c
}

function num(v: unknown, fallback: number): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  return fallback
}

/** HAProxy time "5s", "100ms", "2m", or a number of ms. */
export function parseDuration(v: unknown, fallbackS: number): number {
  if (typeof v === 'number') return v / 1000
  if (typeof v !== 'string') return fallbackS
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h|d)?\s*$/.exec(v)
  if (!m) return fallbackS
  const n = Number(m[1])
  const mult = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 'ms') as 'us' | 'ms' | 's' | 'm' | 'h' | 'd']
  return n * mult
}

function kernelFor(version: string, eff: Record<string, string> | undefined, set: Record<string, unknown> | undefined): KernelConfig {
  const k = defaultKernel(version)
  const get = (name: string): unknown => (set && name in set ? set[name] : eff ? eff[name] : undefined)
  k.somaxconn = num(get('net.core.somaxconn'), k.somaxconn)
  k.tcpMaxSynBacklog = num(get('net.ipv4.tcp_max_syn_backlog'), k.tcpMaxSynBacklog)
  k.syncookies = num(get('net.ipv4.tcp_syncookies'), k.syncookies) as 0 | 1 | 2
  k.abortOnOverflow = num(get('net.ipv4.tcp_abort_on_overflow'), k.abortOnOverflow) as 0 | 1
  k.synRetries = num(get('net.ipv4.tcp_syn_retries'), k.synRetries)
  k.synackRetries = num(get('net.ipv4.tcp_synack_retries'), k.synackRetries)
  k.synLinearTimeouts = num(get('net.ipv4.tcp_syn_linear_timeouts'), k.synLinearTimeouts)
  k.twReuse = num(get('net.ipv4.tcp_tw_reuse'), k.twReuse) as 0 | 1 | 2
  k.twReuseDelayMs = num(get('net.ipv4.tcp_tw_reuse_delay'), k.twReuseDelayMs)
  k.timestamps = num(get('net.ipv4.tcp_timestamps'), k.timestamps) as 0 | 1
  k.twRecycle = num(get('net.ipv4.tcp_tw_recycle'), 0) as 0 | 1
  k.maxTwBuckets = num(get('net.ipv4.tcp_max_tw_buckets'), k.maxTwBuckets)
  const pr = get('net.ipv4.ip_local_port_range')
  const m = Array.isArray(pr) ? /^(\d+) (\d+)$/.exec(pr.join(' ')) : typeof pr === 'string' ? /(\d+)\s+(\d+)/.exec(pr) : null
  if (m && Number(m[1]) <= Number(m[2])) k.ipLocalPortRange = [Number(m[1]), Number(m[2])]
  k.fileMax = num(get('fs.file-max'), k.fileMax)
  // ip_local_reserved_ports: "40000-40099,50000": the ones inside the range are never picked
  const rp = get('net.ipv4.ip_local_reserved_ports')
  if (typeof rp === 'string' && rp.trim()) {
    const [lo, hi] = k.ipLocalPortRange
    const taken = new Set<number>()
    for (const part of rp.split(',')) {
      const r = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part)
      if (!r) continue
      const a = Math.max(lo, Number(r[1]))
      const b = Math.min(hi, Number(r[2] ?? r[1]))
      for (let p = a; p <= b; p++) taken.add(p)
    }
    k.reservedPorts = Math.min(taken.size, hi - lo)
  }
  return k
}

function versionOf(s: string | undefined, re: RegExp, fallback: string): string {
  const m = s ? re.exec(s) : null
  return m ? m[1]! : fallback
}

/** Tool facts the result mapping needs. */
export interface CaseLoad {
  tool: 'ab' | 'h2load'
  /** ab reports latency including connect; h2load from the request. */
  latencyIncludesConnect: boolean
  requests: number
}

/**
 * The period (s) at which the case's socket maxima were sampled, for the simulator to see them
 * the same way (simulator/sampler.ts): a lab case's own sample times (median spacing; the lab
 * reads /proc/net/tcp every 0.1 s), else 0.25 s, the shortest interval the shared fidelity
 * README gives ("maxima over samples every 0.25-1 s").
 */
export function caseSocketSampleS(c: object): number {
  const h = (c as { headroom?: { series?: unknown } }).headroom
  const series = h && Array.isArray(h.series) ? (h.series as unknown[]) : []
  const dts: number[] = []
  for (const run of series) {
    if (!Array.isArray(run)) continue
    for (let i = 1; i < run.length; i++) {
      const a = (run[i - 1] as { t?: unknown }).t
      const b = (run[i] as { t?: unknown }).t
      if (typeof a === 'number' && typeof b === 'number') dts.push(b - a)
    }
  }
  if (dts.length === 0) return h ? 0.1 : 0.25
  dts.sort((a, b) => a - b)
  const med = dts[dts.length >> 1]!
  return med > 0 ? med : 0.1
}

/**
 * The phases (s) of the case's socket sampler, or undefined for 8 spread over the period (a
 * sampler started at a random moment). A shared case's sampler started with the load, at t = 0,
 * P, 2P ...: accept-overflow-b128 measured 64 in its accept queue on all 3 runs, the queue as it
 * is from 0.2 to 0.4 s (96 before, from t = 0), and accept-overflow-b16 0 on all 3, the queue
 * empty from 0.2 s until the 1 s retransmits. A lab case's samplers also start at t = 0 but
 * drift (0, 0.114, 0.217 ... s): its phases stay spread.
 */
export function caseSocketSamplePhases(c: object): number[] | undefined {
  return (c as { headroom?: unknown }).headroom ? undefined : [0]
}

/** Build the Scenario a case describes (and what the load tool reports). */
export function caseToScenario(c: FidelityCase): { scenario: Scenario; load: CaseLoad } {
  const sc = c.scenario
  const kver = versionOf(c.measured_on?.kernel, /(\d+\.\d+(?:\.\d+)?)/, '6.5+')
  const eff = sc.kernel.effective ?? {}
  const set = sc.kernel.set ?? {}
  const hosts = {
    client: kernelFor(kver, eff.cli, set.cli),
    proxy: kernelFor(kver, eff.lb, set.lb),
    backend: kernelFor(kver, eff.app, set.app)
  }
  // network: the achieved RTT when measured (min as base, spread as jitter), else the nominal one
  const net = sc.network
  const rtt = (key: 'rtt_ms_client_lb' | 'rtt_ms_lb_app'): { base: number; jitter: number } => {
    const m = net.measured_ping_rtt_ms?.[key]
    if (m?.min && m.max) return { base: m.min.mean, jitter: Math.max(0, m.max.mean - m.min.mean) / 2 }
    return { base: num(net[key], 0), jitter: 0 }
  }
  const rc = rtt('rtt_ms_client_lb')
  const rb = rtt('rtt_ms_lb_app')
  const load = sc.load
  const tool = String(load.tool) === 'ab' ? 'ab' : 'h2load'
  const cmd = String(load.command ?? '')
  const flags = toolFlags(tool, cmd)
  const target = String(load.target ?? 'lb')
  const p = sc.proxy
  const useProxy = !!p && target !== 'app'
  let haproxy: Scenario['haproxy'] = null
  if (useProxy && p) {
    const h = defaultHaproxy(versionOf(c.measured_on?.haproxy, /version\s+(\d+\.\d+(?:\.\d+)?)/i, '2.x+'))
    h.globalMaxconn = p.global_maxconn == null ? null : num(p.global_maxconn, 2000)
    h.frontendMaxconn = p.frontend_maxconn == null ? null : num(p.frontend_maxconn, 2000)
    h.bindBacklog = p.bind_backlog == null ? null : num(p.bind_backlog, 1024)
    h.nbthread = num(p.nbthread, 1)
    // the measuring host's root lacks CAP_SYS_RESOURCE (README): HAProxy cannot raise its hard limit
    h.startedAsRoot = false
    const pl = typeof p.prlimit_nofile === 'string' ? /(\d+):(\d+)/.exec(p.prlimit_nofile) : null
    h.fdSoft = pl ? Number(pl[1]) : 1024
    h.fdHard = pl ? Number(pl[2]) : 1048576
    h.ulimitN = p.ulimit_n == null ? null : num(p.ulimit_n, 1024)
    const n = num(p.servers, 1)
    h.servers = Array.from({ length: n }, (_, i) => ({
      name: `s${i + 1}`,
      maxconn: p.server_maxconn == null ? 0 : num(p.server_maxconn, 0),
      maxqueue: p.server_maxqueue == null ? 0 : num(p.server_maxqueue, 0),
      weight: 1
    }))
    h.timeoutConnectS = parseDuration(p.timeout_connect, 5)
    h.timeoutClientS = parseDuration(p.timeout_client, 30)
    h.timeoutServerS = parseDuration(p.timeout_server, 30)
    h.timeoutQueueS = p.timeout_queue == null ? null : parseDuration(p.timeout_queue, 30)
    if (p.timeout_check != null) h.timeoutCheckS = parseDuration(p.timeout_check, 2)
    h.retries = num(p.retries, 3)
    h.balance = p.balance === 'leastconn' || p.balance === 'source' ? p.balance : 'roundrobin'
    h.redispatch = Array.isArray(p.backend_options) && (p.backend_options as unknown[]).some((o) => String(o).includes('redispatch'))
    h.mode = p.mode === 'tcp' ? 'tcp' : 'http'
    const bcm = String(p.backend_connection_mode ?? '')
    // http-reuse safe: a session's first request always opens its own server connection;
    // in mode http those were closed with a reset (README notes); mode tcp: lb closes first
    const reuse = /http-reuse (never|safe|aggressive|always)/.exec(bcm)
    h.httpReuse = reuse ? (reuse[1] as HttpReuse) : 'safe'
    // a lab case says exactly what it rendered: `http-reuse MODE` alone means kept-alive server
    // connections; the shared cases' "haproxy 2.6 default (keep-alive, http-reuse safe)" had one
    // request per client connection, where safe reuses nothing: per-request is the same there
    h.serverConnections = /reuse always|http-reuse (always|aggressive)|pool/.test(bcm) || /^http-reuse \w+$/.test(bcm) ? 'keep-alive' : 'per-request'
    // ab speaks HTTP/1.0 without keep-alive (unless -k): the request goes to the server in close
    // mode and the server closes first, TIME_WAIT on the backend host (the shared haproxy-maxconn
    // cases: ~2990 there for 3000 requests, none from the proxy to the backend)
    const http10 = tool === 'ab' && !flags.keepAlive
    h.backendClosesFirst =
      h.mode === 'tcp' || /lb closes first|proxy closes first/.test(bcm) ? 'proxy' : /server closes first/.test(bcm) || http10 ? 'server' : 'reset'
    haproxy = h
  }
  const b = sc.backend
  const be = defaultBackend()
  const kind = String(b.kind ?? 'generic')
  be.kind = kind === 'nginx-echo' ? 'nginx-echo' : kind.includes('php') ? 'nginx-php-fpm' : 'generic'
  be.serviceTime = { kind: 'constant', s: num(b.service_time_ms, 10) / 1000 }
  be.nginx.workers = num(b.nginx_workers, 1)
  be.nginx.workerConnections = num(b.worker_connections, 1024)
  be.nginx.listenBacklog = num(b.listen_backlog, 511)
  be.nginx.fastcgiConnectTimeoutS = num(b.fastcgi_connect_timeout_s, 60)
  be.listenBacklog = num(b.listen_backlog, 511)
  be.workers = num(b.workers ?? b.children, be.workers)
  be.phpFpm.children = num(b.children, 5)
  be.phpFpm.listenBacklog = num(b.fpm_backlog, 511)
  be.phpFpm.socket = String(b.fpm_listen ?? 'unix') === 'tcp' ? 'tcp' : 'unix'

  const timeouts = (load.timeouts ?? {}) as Record<string, unknown>
  let abPollS: number | null = null
  const requests = num(load.requests, flags.requests ?? 0)
  const model = String(load.model ?? (tool === 'ab' ? 'closed' : 'open'))
  const s: Scenario = {
    format: SCENARIO_FORMAT,
    name: c.id,
    durationS: 60,
    drainS: 0,
    clients: {
      mode: model === 'open' ? 'open' : 'closed',
      loadCurve: [],
      arrivals: 'even',
      arrivalBatch: 1,
      concurrency: num(load.concurrency, flags.concurrency ?? 1),
      totalRequests: requests,
      requestsPerConnection: 1,
      keepAlive: false,
      thinkTimeS: 0,
      connectTimeoutS: null,
      requestTimeoutS: null,
      natShare: 0,
      natHosts: 16,
      sourceIps: 1,
      // ab speaks HTTP/1.0: the server closes first; h2load closes its connection itself
      closesFirst: tool === 'ab' ? 'server' : 'client'
    },
    network: { clientRttMs: rc.base, backendRttMs: rb.base, jitterMs: Math.max(rc.jitter, rb.jitter) },
    hosts,
    haproxy,
    backend: be
  }
  // structured fields first; the tool's own flags when a case leaves them out
  const timeLimitS = num(timeouts.time_limit_s, flags.timeLimitS ?? 60)
  const activeS = timeouts.active_timeout_s != null ? num(timeouts.active_timeout_s, 30) : flags.activeTimeoutS
  // the harness's own stop, when the case gives it
  const hardS = timeouts.hard_timeout_s != null ? num(timeouts.hard_timeout_s, 0) : 0
  if (tool === 'ab') {
    s.durationS = timeLimitS
    // ab -s (default 30 s): not a per-request timeout but a watchdog over all of ab's sockets
    // (ClientConfig.requestTimeoutS in ab mode, set below); the run goes on until ab stops by
    // itself, or until the harness's hard timeout when the case gives one
    abPollS = flags.pollTimeoutS ?? num(timeouts.timeout_s, 30)
    s.drainS = hardS > timeLimitS ? hardS - timeLimitS : abPollS
  } else if (flags.durationS && !flags.batch) {
    // h2load -D: timing-based, each of the -c clients sends requests back to back over one
    // connection for warm-up + duration (checked here: -c 4 -D 1 is 4 frontend sessions). Its
    // count covers the duration only; the simulated one includes the warm-up.
    s.clients.mode = 'closed'
    s.clients.totalRequests = 0
    s.clients.keepAlive = true
    s.clients.requestsPerConnection = 1_000_000
    s.durationS = flags.durationS + (flags.warmUpS ?? 0)
    s.clients.requestTimeoutS = activeS ?? null
  } else if (s.clients.mode === 'closed') {
    // h2load -c C -n N: each connection is closed -T after it opened (its active timeout);
    // the run goes on past that, so a connection still in SYN retries then ends as a timeout
    s.durationS = activeS ?? 60
    s.clients.requestTimeoutS = activeS ?? 60
    s.drainS = hardS > s.durationS ? hardS - s.durationS : 1
  } else {
    const rate = num(load.rate_per_s, flags.ratePerS ?? 1)
    const dur = num(load.duration_s, num(load.connections, flags.concurrency ?? requests) / rate)
    s.clients.arrivalBatch = flags.batch ?? 1
    // the last batch starts at (n/batch - 1) periods; the load window ends just after it
    s.clients.loadCurve = [{ tS: 0, rate }]
    s.durationS = dur
    s.drainS = activeS ?? 30
    s.clients.requestTimeoutS = activeS ?? 30
  }
  // Requests per connection. Lab cases say it (requests_per_connection). h2load gives each of
  // its -c clients one HTTP/1.1 connection and n/c of the requests (the first n mod c one
  // more; in rate mode -c is the number of connections made), and closes it at the end; ab -k
  // keeps each user's connection for its next requests until -n are issued (ab hands them out
  // as connections free up; with connections of equal speed that is ~n/c each). Checked against
  // HAProxy 2.6 here: `h2load --h1 -c 4 -n 10`, `-c 4 -n 40`, `-c 16 -n 1600` and `ab -k -c 16
  // -n 1600` are 4, 4, 16 and 16 frontend sessions. Closed loop: ceil(n/c) per connection
  // (the model hands out the total, so the last ones get less); open loop: round(n/c).
  let rpc = s.clients.keepAlive ? s.clients.requestsPerConnection : num(load.requests_per_connection, 0)
  // (only the real h2load: a lab case's own node clients open one connection per request)
  if (!rpc && tool === 'h2load' && (String(load.tool) === 'h2load' || /(^|[\s/])h2load\s/.test(cmd))) {
    const conns = num(load.connections, flags.concurrency ?? num(load.concurrency, 0))
    if (conns > 0 && requests > conns) rpc = s.clients.mode === 'closed' ? Math.ceil(requests / conns) : Math.max(1, Math.round(requests / conns))
  }
  if (!rpc && tool === 'ab' && flags.keepAlive && requests > 0) {
    rpc = Math.ceil(requests / Math.max(1, s.clients.concurrency))
    s.clients.closesFirst = 'client'
  }
  // ab without -k: ApacheBench's counting (ClientConfig.tool: the first request alone, extra
  // connects near the end, a stop at -n done)
  // (its -s as such: the generic keep-alive loop of ab -k would take it for a per-request
  // timeout, which ab does not have)
  if (tool === 'ab' && rpc <= 1 && s.clients.mode === 'closed' && requests > 0) {
    s.clients.tool = 'ab'
    s.clients.requestTimeoutS = abPollS
  }
  if (rpc > 1) {
    s.clients.keepAlive = true
    s.clients.requestsPerConnection = rpc
    // HAProxy's default keeps a session's server connection for its next requests
    if (haproxy && /default \(keep-alive/.test(String(p?.backend_connection_mode ?? ''))) haproxy.serverConnections = 'keep-alive'
  }
  // what the tool's latency covers: the case says so (lab exports), else per tool
  const withConnect = typeof load.latency_includes_connect === 'boolean' ? load.latency_includes_connect : tool === 'ab'
  return { scenario: s, load: { tool, latencyIncludesConnect: withConnect, requests } }
}

/** Flags of an `ab` or `h2load` command line that a case's structured fields may leave out. */
export interface ToolFlags {
  requests?: number
  concurrency?: number
  /** ab -t: wall-clock cap of the whole run (s). */
  timeLimitS?: number
  /** ab -s: how long its poll waits for an event on any socket before ab gives up the run (s; ab's default 30). */
  pollTimeoutS?: number
  /** h2load -T: a connection's inactivity timeout (s). */
  activeTimeoutS?: number
  /** h2load -r N --rate-period P: N new connections every P. */
  batch?: number
  ratePerS?: number
  /** ab -k: HTTP/1.0 keep-alive, each user keeps its connection for its next requests. */
  keepAlive?: boolean
  /** h2load -D (timing-based run: each client keeps one connection busy this long; -n ignored) and --warm-up-time before it. */
  durationS?: number
  warmUpS?: number
}

/**
 * Read the flags of the load tool's command line (words split on blanks, no shell): `ab -n -c
 * -t`, `h2load -n -c -T -r --rate-period` (h2load times: "20s", "500ms", "1m", or plain seconds).
 * Only what is there and well-formed is returned.
 */
export function toolFlags(tool: 'ab' | 'h2load', cmd: string): ToolFlags {
  const words = cmd.trim().split(/\s+/)
  const val = (names: string[]): string | undefined => {
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!
      for (const n of names) {
        if (w === n && i + 1 < words.length) return words[i + 1]
        if (n.startsWith('--') && w.startsWith(n + '=')) return w.slice(n.length + 1)
      }
    }
    return undefined
  }
  const int = (v: string | undefined): number | undefined => (v != null && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : undefined)
  // h2load times: parseDuration's units, but a bare number is seconds there
  const secs = (v: string | undefined): number | undefined => {
    if (v == null) return undefined
    const d = parseDuration(/^\d+(?:\.\d+)?$/.test(v) ? `${v}s` : v, NaN)
    return Number.isFinite(d) ? d : undefined
  }
  const f: ToolFlags = {}
  const put = <K extends keyof ToolFlags>(k: K, v: ToolFlags[K] | undefined): void => {
    if (v !== undefined) f[k] = v
  }
  put('requests', int(val(['-n', '--requests'])))
  put('concurrency', int(val(['-c', '--clients'])))
  if (tool === 'ab') {
    put('timeLimitS', int(val(['-t'])))
    put('pollTimeoutS', int(val(['-s'])))
    // -k alone or in a cluster of ab's switches without argument (getopt: -rk)
    if (words.some((w) => /^-[rkidSqlwVh]+$/.test(w) && w.includes('k'))) f.keepAlive = true
  } else {
    put('activeTimeoutS', secs(val(['-T', '--connection-active-timeout'])))
    put('durationS', secs(val(['-D', '--duration'])))
    put('warmUpS', secs(val(['--warm-up-time'])))
    const batch = int(val(['-r', '--rate']))
    put('batch', batch)
    if (batch) {
      const period = secs(val(['--rate-period'])) ?? 1
      if (period > 0) f.ratePerS = batch / period
    }
  }
  return f
}

/** Map a result summary onto the case's metric keys (dotted). */
export function predictedFor(c: FidelityCase, load: CaseLoad, r: SimSummary): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {}
  const t = r.totals
  const httpErr = t.byCause.http502 + t.byCause.http503 + t.byCause.http504 + t.byCause.http408
  const connErr = t.byCause.connect_timeout + t.byCause.reset + t.byCause.timeout + t.byCause.no_port + t.byCause.refused
  if (c.scenario.proxy && r.haproxy) out.proxy_started = r.haproxy.started
  out.requests = t.requests
  out.ok = t.ok
  out.not_ok = t.requests - t.ok
  out.non_2xx = httpErr
  out.errors = connErr + t.inFlight
  out.duration_s = r.durationS
  const lat = load.latencyIncludesConnect ? r.latency : r.request
  out['latency_ms.p50'] = lat.p50
  out['latency_ms.p90'] = lat.p90
  out['latency_ms.p99'] = lat.p99
  out['latency_ms.max'] = lat.maxMs
  out['connect_ms.p50'] = r.connect.p50
  if (r.service) {
    // time in the php-fpm child (the lab reads it from php-fpm's access log)
    out['fpm.request_ms.p50'] = r.service.p50
    out['fpm.request_ms.p90'] = r.service.p90
    out['fpm.request_ms.p99'] = r.service.p99
  }
  out['connect_ms.p99'] = r.connect.p99
  out.syn_retry_share = r.totals.synRetryShare
  const ns: [string, keyof SimSummary['kernel']][] = [
    ['cli', 'client'],
    ['lb', 'proxy'],
    ['app', 'backend']
  ]
  for (const [n, h] of ns) {
    const k = r.kernel[h]
    const src = k ?? { ListenOverflows: 0, ListenDrops: 0, TCPReqQFullDrop: 0, TCPReqQFullDoCookies: 0, SyncookiesSent: 0, EmbryonicRsts: 0, TCPSynRetrans: 0, TCPTimeWaitOverflow: 0 }
    for (const [key, v] of Object.entries(src)) if (key !== 'PAWSPassive') out[`kernel.${n}.${key}`] = v
  }
  // without a proxy the lb namespace only routes: zero counters
  if (!r.kernel.proxy) for (const key of Object.keys(r.kernel.client)) if (key !== 'PAWSPassive') out[`kernel.lb.${key}`] = 0
  for (const L of r.listeners) {
    const ns2 = L.host === 'proxy' ? 'lb' : 'app'
    const port = /:(\d+)$/.exec(L.id)?.[1] ?? 'unix'
    const k1 = `sockets.max_acceptq_${ns2}_port${port}`
    const k2 = `sockets.max_synq_${ns2}_port${port}`
    // sampled maxima when the run emulated the case's socket sampler (caseSocketSampleS)
    out[k1] = Math.max(Number(out[k1] ?? 0), L.sampledAcceptq ?? L.maxAcceptq)
    out[k2] = Math.max(Number(out[k2] ?? 0), L.sampledSynq ?? L.maxSynq)
  }
  out['sockets.max_time_wait_cli'] = r.sockets.maxTimeWait.client
  out['sockets.max_time_wait_lb'] = r.sockets.maxTimeWait.proxy
  out['sockets.max_time_wait_app'] = r.sockets.maxTimeWait.backend
  out['sockets.max_time_wait_lb_to_backend'] = r.sockets.maxTimeWaitProxyToBackend
  out['sockets.max_syn_sent_cli'] = r.sockets.sampledSynSent ?? r.sockets.maxSynSent
  // HAProxy's connects to its servers (lb), nginx's TCP connects to php-fpm (app)
  out['sockets.max_syn_sent_lb'] = r.sockets.sampledSynSentProxy ?? r.sockets.maxSynSentProxy ?? 0
  out['sockets.max_syn_sent_app'] = r.sockets.sampledSynSentBackend ?? r.sockets.maxSynSentBackend ?? 0
  if (r.haproxy) {
    const rows: [string, typeof r.haproxy.frontend | undefined][] = [
      ['frontend', r.haproxy.frontend],
      ['backend', r.haproxy.backend],
      // the first server as server_s1 (the shared cases name it so), every server by its name
      ['server_s1', r.haproxy.servers[0]],
      ...r.haproxy.servers.filter((sv) => sv.svname !== 's1').map((sv): [string, typeof sv] => [`server_${sv.svname}`, sv])
    ]
    for (const [name, row] of rows) {
      if (!row) continue
      for (const f of ['scur', 'smax', 'slim', 'stot', 'qcur', 'qmax', 'econ', 'eresp', 'wretr', 'wredis', 'ereq', 'hrsp_2xx', 'hrsp_4xx', 'hrsp_5xx', 'connect', 'reuse'] as const) out[`haproxy.${name}.${f}`] = row[f]
      // health checks, where the scenario has them
      for (const f of ['chkfail', 'chkdown'] as const) if (row[f] !== undefined) out[`haproxy.${name}.${f}`] = row[f]!
    }
    out['haproxy.info.Maxconn'] = r.haproxy.info.Maxconn
    out['haproxy.info.Maxsock'] = r.haproxy.info.Maxsock
    out['haproxy.info.Ulimit-n'] = r.haproxy.info['Ulimit-n']
  }
  return out
}

/** Tolerance (r, a) per key, exactly as score.py's `tolerance`. */
export function tolerance(key: string, requests: number): [number, number] | null {
  if (key === 'proxy_started') return null
  if (key.startsWith('latency_ms') || key.startsWith('connect_ms')) return [0.25, 25]
  if (key === 'duration_s') return [0.2, 1]
  if (key.startsWith('kernel.')) return [0.5, Math.max(5, 0.01 * requests)]
  if (key.startsWith('haproxy.')) return [0.1, 2]
  if (key.startsWith('sockets.')) return [0.2, 3]
  if (key === 'syn_retry_share') return [0.25, 0.02]
  return [0.25, Math.max(3, 0.01 * requests)]
}

export interface KeyScore {
  key: string
  measured: string
  predicted: number | boolean | undefined
  lo?: number
  hi?: number
  ok: boolean
}

/** Score predictions against a case (score.py `score_case`). */
export function scoreCase(c: FidelityCase, predicted: Record<string, number | boolean>): { pass: boolean; rows: KeyScore[] } {
  const reqStat = c.measured.requests as MeasuredStat | undefined
  const req = reqStat?.mean ?? 0
  const rows: KeyScore[] = []
  let pass = true
  for (const k of c.scored) {
    const meas = c.measured[k]!
    const p = predicted[k]
    if (k === 'proxy_started') {
      const v = (meas as { value: boolean }).value
      const good = p !== undefined && Boolean(p) === v
      rows.push({ key: k, measured: String(v), predicted: p, ok: good })
      pass &&= good
      if (!v) break
      continue
    }
    const m = meas as MeasuredStat
    const [r, a] = tolerance(k, req)!
    const lo = m.min * (1 - r) - a
    const hi = m.max * (1 + r) + a
    const good = typeof p === 'number' && lo <= p && p <= hi
    rows.push({ key: k, measured: `${m.mean} [${m.min}-${m.max}]`, predicted: p, lo, hi, ok: good })
    pass &&= good
  }
  return { pass, rows }
}

/** Nest dotted keys into objects (the `--case --json` output shape). */
export function nest(flat: Record<string, number | boolean>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(flat)) {
    const parts = k.split('.')
    let o = out
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i]!
      if (typeof o[p] !== 'object' || o[p] === null) o[p] = {}
      o = o[p] as Record<string, unknown>
    }
    o[parts[parts.length - 1]!] = v
  }
  return out
}

/**
 * Replications behind one `--case` prediction. One run is one draw: a percentile that sits on
 * the 1 s / 3 s SYN-retry steps, or a peak, can land on either side of a step by the seed's
 * luck (haproxy-maxconn-saturation's p99: 1.8, 2.2 or 3.6 s by seed, 2.7 s measured). The
 * cases' measured values are means over 3 runs; the prediction is the median over these.
 */
export const CASE_REPLICATIONS = 5
/** Events all replications of one case may take together (~10 s here); a heavier case gets fewer. */
export const CASE_EVENT_BUDGET = 60_000_000

/** Each replication's prediction (seeds seed..seed+runs-1) and, per key, their median (booleans: the first run's). */
export function predictCase(c: FidelityCase, seed = 1, runs = CASE_REPLICATIONS, eventBudget = CASE_EVENT_BUDGET): { predicted: Record<string, number | boolean>; runs: Record<string, number | boolean>[] } {
  const { scenario, load } = caseToScenario(c)
  const socketSampleS = caseSocketSampleS(c)
  const socketSamplePhases = caseSocketSamplePhases(c)
  const sampling = socketSamplePhases ? { socketSampleS, socketSamplePhases } : { socketSampleS }
  const all: Record<string, number | boolean>[] = []
  let n = runs
  for (let i = 0; i < n; i++) {
    const r = decodeResult(simulate(scenario, { seed: seed + i, ...sampling })).summary
    all.push(predictedFor(c, load, r))
    // a heavy case gets fewer replications (by its event count, so the output stays deterministic)
    if (i === 0 && r.events > 0) n = Math.min(runs, Math.max(1, Math.floor(eventBudget / r.events)))
  }
  const predicted: Record<string, number | boolean> = {}
  for (const k of Object.keys(all[0]!)) {
    const first = all[0]![k]!
    if (typeof first !== 'number') {
      predicted[k] = first
      continue
    }
    predicted[k] = median(sortedValues(all, k))
  }
  return { predicted, runs: all }
}

/** The numeric values of key k over the runs, ascending. */
export function sortedValues(runs: Record<string, number | boolean>[], k: string): number[] {
  return runs.map((p) => p[k]).filter((x): x is number => typeof x === 'number').sort((a, b) => a - b)
}

/** Median of ascending values (an even count: the mean of the middle two); NaN for none. */
export function median(v: number[]): number {
  if (v.length === 0) return NaN
  const m = v.length >> 1
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2
}
