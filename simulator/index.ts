/**
 * Simulator entry: `simulate(scenario, { seed, preview })` -> one transferable ArrayBuffer
 * (simulator/result.ts). The full run is the discrete-event model (simulator/model.ts);
 * `preview: true` is a fluid (analytic) approximation of the same ceilings, computed per
 * second in well under a millisecond for slider dragging, and marked `preview: true`.
 */
import { Model, CancelledError, type ModelOptions } from './model'
import { encodeResult, BASE_COLUMNS, FAILURE_CAUSES, zeroCounters, type SimSummary, type CeilingKind, type FailureCause } from './result'
import { curveRate, effectiveBacklog, haproxyEffectiveLimits, kernelTraits, twReuseApplies, type Scenario } from './scenario'
import { Histogram } from './stats'

export { CancelledError }
export type { Scenario }

export interface SimulateOptions {
  seed: number
  preview?: boolean
  onProgress?: (fraction: number, simTimeS: number) => void
  shouldCancel?: () => boolean
  /** Golden tests: collect a textual event log. */
  log?: string[]
  /** Fidelity cases: also report socket maxima as a sampler of this period (s) sees them. */
  socketSampleS?: number
  /** ... and at these phases of the period (s); default: 8 spread over it (simulator/sampler.ts). */
  socketSamplePhases?: number[]
}

/** Run one simulation; returns the encoded result. Throws CancelledError when shouldCancel() says so. */
export function simulate(scenario: Scenario, opts: SimulateOptions): ArrayBuffer {
  if (opts.preview) return preview(scenario, opts.seed)
  const mopts: ModelOptions = { seed: opts.seed }
  if (opts.onProgress) mopts.onProgress = opts.onProgress
  if (opts.shouldCancel) mopts.shouldCancel = opts.shouldCancel
  if (opts.log) mopts.log = opts.log
  if (opts.socketSampleS) mopts.socketSampleS = opts.socketSampleS
  if (opts.socketSamplePhases) mopts.socketSamplePhases = opts.socketSamplePhases
  const m = new Model(scenario, mopts)
  const summary = m.run()
  if (opts.onProgress) opts.onProgress(1, summary.simulatedS)
  return encodeResult(m.cols, summary)
}

function mean(s: Scenario['backend']['serviceTime']): number {
  if (s.kind === 'constant') return s.s
  if (s.kind === 'exponential') return s.meanS
  const sigma = (Math.log(s.p99S) - Math.log(s.p50S)) / 2.3263478740408408
  return s.p50S * Math.exp((sigma * sigma) / 2)
}

/**
 * Share of requests that open a new server connection (fluid preview): all with per-request
 * connections; with kept-alive ones, none under http-reuse always (idle connections are taken
 * by anyone) and one per client session otherwise (a session's first request opens its own).
 */
function newConnShare(s: Scenario): number {
  const h = s.haproxy!
  if (h.mode === 'tcp' || h.serverConnections === 'per-request') return 1
  if (h.httpReuse === 'always') return 0
  const c = s.clients
  return c.keepAlive && c.requestsPerConnection > 1 ? 1 / c.requestsPerConnection : 1
}

/**
 * Fluid preview: per second, offered load flows through the tightest capacity
 * (concurrency limits divided by time in system, Little's law; source ports over the
 * TIME_WAIT budget); the excess first fills the kernel accept queue and then fails as
 * connect timeouts (or 503 with a server queue). Good for direction and ceilings, not for
 * retransmit timing: the full run replaces it.
 */
export function preview(s: Scenario, seed: number): ArrayBuffer {
  // closed loop (ab-like runs of a few thousand requests): a reduced run of the real model
  if (s.clients.mode === 'closed') return reducedRun(s, seed, 40_000)
  const rows = Math.max(1, Math.ceil(s.durationS + s.drainS))
  const cols: Record<string, Float64Array> = {}
  const names: string[] = [...BASE_COLUMNS]
  for (const n of names) cols[n] = new Float64Array(rows)
  const h = s.haproxy
  const lim = h ? haproxyEffectiveLimits(h, s.hosts.proxy.somaxconn) : null
  const svc = mean(s.backend.serviceTime)
  const rttC = s.network.clientRttMs / 1000
  const rttB = s.network.backendRttMs / 1000
  const be = s.backend
  const nServers = h ? h.servers.length : 1
  const workers = be.kind === 'generic' ? be.workers : be.kind === 'nginx-php-fpm' ? be.phpFpm.children : Infinity
  // per-request time inside HAProxy: connect to the server (1 RTT, unless reused) + request/response (1 RTT) + service
  const fConn = h ? newConnShare(s) : 0
  const perConnRtt = fConn * rttB
  const tProxy = svc + rttB + perConnRtt
  const backendRate = (nServers * workers) / Math.max(svc, 1e-9)
  // the hosts' cores, shared by the workers (backend.cpu): cores / CPU seconds per request each
  const cpu = be.kind !== 'nginx-echo' && be.cpu && be.cpu.share > 0 ? be.cpu : null
  const cpuRate = cpu ? (nServers * cpu.cores) / Math.max(cpu.share * svc, 1e-9) : Infinity
  const maxconn = lim ? Math.min(lim.maxconn, lim.frontendMaxconn, lim.ulimitN > 0 ? Math.floor((lim.ulimitN - (lim.maxsock - 2 * lim.maxconn)) / 2) : Infinity) : Infinity
  let serverCap = Infinity
  if (h) {
    let sum = 0
    for (const sv of h.servers) sum += sv.maxconn > 0 ? sv.maxconn : Infinity
    serverCap = sum / Math.max(tProxy, 1e-9)
  }
  const proxyRate = maxconn / Math.max(tProxy + rttC, 1e-9)
  let portRate = Infinity
  if (h && fConn > 0 && h.backendClosesFirst === 'proxy') {
    const k = s.hosts.proxy
    const P = k.ipLocalPortRange[1] - k.ipLocalPortRange[0] + 1 - k.reservedPorts
    // tcp_tw_reuse frees a port ~1 s into TIME_WAIT (=2: towards loopback servers only); the
    // load is spread evenly, so the server that holds its ports longest binds first
    const reuse = h.servers.every((sv) => twReuseApplies(k, sv.loopback === true))
    // tw_recycle (<= 4.11) shortens TIME_WAIT to ~3.5 RTO
    const recycle = k.twRecycle === 1 && k.timestamps === 1 && kernelTraits(k.version).twRecycle
    const hold = (recycle ? 0.7 : reuse ? k.twReuseDelayMs / 1000 : 60) + tProxy
    portRate = (nServers * h.sourceIps * P) / (hold * fConn)
  }
  const caps: [CeilingKind, number][] = [
    ['haproxy-maxconn', proxyRate],
    ['server-maxconn', serverCap],
    ['backend-workers', backendRate],
    ['backend-cpu', cpuRate],
    ['source-ports', portRate]
  ]
  let capacity = Infinity
  let binding: CeilingKind = 'none'
  for (const [k, v] of caps)
    if (v < capacity) {
      capacity = v
      binding = k
    }
  const frontB = lim ? lim.backlogEffective : effectiveBacklog(be.kind === 'generic' ? be.listenBacklog : be.nginx.listenBacklog, s.hosts.backend.somaxconn)
  const started = !lim || lim.starts
  const natLoss = s.hosts.proxy.twRecycle === 1 && h ? s.clients.natShare * (1 - 1 / Math.max(1, s.clients.natHosts)) : 0
  let offered = 0
  let ok = 0
  let failed = 0
  const byCause = Object.fromEntries(FAILURE_CAUSES.map((c) => [c, 0])) as Record<FailureCause, number>
  let firstHit: { atS: number; atLoad: number } | null = null as { atS: number; atLoad: number } | null
  const lat = new Histogram()
  const conn = new Histogram()
  let backlog = 0
  for (let i = 0; i < rows; i++) {
    cols.t![i] = i
    const inLoad = i < s.durationS
    const rate = !inLoad
      ? 0
      : s.clients.mode === 'open'
        ? curveRate(s.clients.loadCurve, i + 0.5)
        : (s.clients.loadCurve.length ? curveRate(s.clients.loadCurve, i + 0.5) : s.clients.concurrency) / Math.max(tProxy + rttC + (h ? 0 : 0), 1e-6)
    offered += rate
    cols.offered![i] = rate
    if (!started) {
      cols.failed![i] = rate
      cols.failed_refused![i] = rate
      failed += rate
      byCause.refused += rate
      continue
    }
    const lost = rate * natLoss
    const eff = rate - lost
    const done = Math.min(eff + backlog, capacity)
    backlog = Math.max(0, Math.min(eff + backlog - done, frontB + 1))
    const over = Math.max(0, eff - done - backlog)
    if (over > 0 && !firstHit) firstHit = { atS: i, atLoad: rate }
    const fail = over + lost
    cols.accepted![i] = done
    cols.completed![i] = done
    cols.failed![i] = fail
    const cause: FailureCause = binding === 'source-ports' ? 'http503' : 'connect_timeout'
    cols[`failed_${cause}`]![i] = over
    cols.failed_connect_timeout![i] += lost
    byCause[cause] += over
    byCause.connect_timeout += lost
    ok += done
    failed += fail
    cols.proxy_scur![i] = h ? Math.min(maxconn, done * (tProxy + rttC)) : 0
    cols.busy_workers![i] = Math.min(nServers * workers, done * svc)
    cols.open_fds![i] = h ? (lim!.maxsock - 2 * lim!.maxconn) + 2 * cols.proxy_scur![i]! : cols.busy_workers![i]!
    if (h && h.backendClosesFirst === 'proxy') cols.time_wait_proxy_to_backend![i] = Math.min(60, i + 1) * done * fConn
    cols.time_wait![i] = cols.time_wait_proxy_to_backend![i]! + Math.min(60, i + 1) * done
  }
  // latency: time in system for the served share, connect timeouts for the rest
  const tSys = (tProxy + rttC * 2) * 1000
  for (let i = 0; i < 100; i++) lat.add(tSys)
  for (let i = 0; i < 100; i++) conn.add(rttC * 1000)
  void seed
  // tcp_tw_recycle + NAT loses a share of clients from the first second on
  if (natLoss > 0 && started) {
    firstHit = { atS: 0, atLoad: s.clients.mode === 'open' ? curveRate(s.clients.loadCurve, 0) : s.clients.concurrency }
    binding = 'tw-recycle'
  }
  const summary: SimSummary = {
    format: 'headroom-result/1',
    preview: true,
    seed,
    scenarioName: s.name,
    columns: names,
    simulatedS: rows,
    events: 0,
    durationS: s.durationS,
    totals: {
      offered: Math.round(offered),
      requests: Math.round(offered),
      ok: Math.round(ok),
      failed: Math.round(failed),
      inFlight: 0,
      byCause: Object.fromEntries(Object.entries(byCause).map(([k, v]) => [k, Math.round(v)])) as Record<FailureCause, number>,
      synRetryShare: offered ? failed / offered : 0
    },
    latency: lat.toJSON(),
    request: lat.toJSON(),
    connect: conn.toJSON(),
    backendWaitShare: 0,
    little: { meanInFlight: 0, throughput: ok / Math.max(1, rows), meanLatencyMs: tSys },
    kernel: { client: zeroCounters(), proxy: h ? zeroCounters() : null, backend: zeroCounters() },
    haproxy: h
      ? {
          started: lim!.starts,
          message: lim!.message,
          info: { Maxconn: lim!.maxconn, Maxsock: lim!.maxsock, 'Ulimit-n': lim!.ulimitN, CumConns: Math.round(ok) },
          frontend: statRow('FRONTEND', lim!.frontendMaxconn),
          backend: statRow('BACKEND', lim!.fullconn),
          servers: h.servers.map((sv) => statRow(sv.name, sv.maxconn))
        }
      : null,
    listeners: [],
    sockets: { maxTimeWait: { client: 0, proxy: 0, backend: 0 }, maxTimeWaitProxyToBackend: 0, maxSynSent: 0 },
    verdict: {
      ceiling: !started ? 'proxy-not-started' : firstHit ? binding : 'none',
      atS: !started ? 0 : firstHit ? firstHit.atS : null,
      atLoad: !started ? 0 : firstHit ? firstHit.atLoad : null,
      message: !started
        ? `HAProxy does not start: ${lim!.message}`
        : firstHit
          ? binding === 'tw-recycle'
            ? `Preview: tcp_tw_recycle drops SYNs from about ${(100 * natLoss).toFixed(0)} % of clients (behind NAT) (full run follows).`
            : `Preview: ${binding} caps throughput near ${capacity.toFixed(0)}/s from t=${firstHit.atS} s (full run follows).`
          : 'Preview: no ceiling reached (full run follows).',
      hits: firstHit ? [{ ceiling: binding, atS: firstHit.atS, atLoad: firstHit.atLoad }] : []
    }
  }
  return encodeResult(cols, summary)
}

/** The real model stopped after `maxEvents` events, marked as a preview. */
function reducedRun(s: Scenario, seed: number, maxEvents: number): ArrayBuffer {
  const m = new Model(s, { seed, maxEvents })
  const summary = m.run()
  summary.preview = true
  summary.verdict.message = `Preview (first ${summary.simulatedS.toFixed(1)} s simulated): ${summary.verdict.message}`
  return encodeResult(m.cols, summary)
}

function statRow(svname: string, slim: number): NonNullable<SimSummary['haproxy']>['frontend'] {
  return { pxname: 'preview', svname, qcur: 0, qmax: 0, scur: 0, smax: 0, slim, stot: 0, ereq: 0, econ: 0, eresp: 0, wretr: 0, wredis: 0, hrsp_2xx: 0, hrsp_4xx: 0, hrsp_5xx: 0, connect: 0, reuse: 0 }
}
