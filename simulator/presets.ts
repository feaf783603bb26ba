/**
 * Presets: the two field reports (shared/field-reports.md) as scenarios, and load-curve
 * shapes the curve editor offers. The lead's demos are built from snapshots; these are the
 * simulator's own reference points for tests and benchmarks.
 *
 * Report 1: an SMS gateway's delivery-status callbacks (many senders, a share of them behind
 * NAT) into HAProxy 1.5 (global/frontend maxconn 2000 by default, `ulimit -n` 1024 in the
 * shell but started as root), CentOS 7 (3.10, somaxconn 128, tcp_tw_recycle=1), two backend
 * servers; after the datacenter move the proxy->backend RTT grew from ~1 ms to ~30 ms.
 * Report 2: nginx + php-fpm (4 children, 5 ms of PHP), somaxconn 8, syncookies 0,
 * `ab -c 512 -n 5120`.
 */
import { SCENARIO_FORMAT, defaultBackend, defaultHaproxy, defaultKernel, type LoadPoint, type Scenario } from './scenario'

/** Report 1 callbacks: a busy 10 minutes (conn/s), bursts when SMS batches are delivered. Scaled by `peak`. */
export function report1LoadCurve(peak = 5000, durationS = 600): LoadPoint[] {
  const shape: [number, number][] = [
    [0, 0.55],
    [0.1, 0.7],
    [0.2, 0.75],
    [0.25, 1.0],
    [0.3, 0.8],
    [0.45, 0.85],
    [0.5, 1.0],
    [0.55, 0.8],
    [0.7, 0.9],
    [0.75, 1.0],
    [0.8, 0.75],
    [1.0, 0.6]
  ]
  return shape.map(([f, r]) => ({ tS: Math.round(f * durationS * 1000) / 1000, rate: Math.round(r * peak) }))
}

/** Load-curve shapes for the curve editor (open loop, conn/s). */
export function curvePreset(kind: 'steady' | 'ramp' | 'spike' | 'daily', peak: number, durationS: number): LoadPoint[] {
  const d = durationS
  switch (kind) {
    case 'steady':
      return [
        { tS: 0, rate: peak },
        { tS: d, rate: peak }
      ]
    case 'ramp':
      return [
        { tS: 0, rate: 0 },
        { tS: d, rate: peak }
      ]
    case 'spike':
      return [
        { tS: 0, rate: peak * 0.3 },
        { tS: d * 0.45, rate: peak * 0.3 },
        { tS: d * 0.5, rate: peak },
        { tS: d * 0.55, rate: peak * 0.3 },
        { tS: d, rate: peak * 0.3 }
      ]
    case 'daily':
      return Array.from({ length: 25 }, (_, i) => ({
        tS: (d * i) / 24,
        rate: Math.round(peak * (0.55 - 0.45 * Math.cos((2 * Math.PI * i) / 24)))
      }))
  }
}

/**
 * Report 1 as a scenario. `backendRttMs` 30 is after the move (1 before); `rate` the
 * callback peak (conn/s). Scenario facts: HAProxy 1.5.18 with no maxconn set (2000),
 * per-request server connections closed by HAProxy (TIME_WAIT and ports on the proxy),
 * 40 % of callback senders behind NAT.
 */
export function report1Scenario(opts: { backendRttMs?: number; peak?: number; durationS?: number; curve?: LoadPoint[] } = {}): Scenario {
  const durationS = opts.durationS ?? 600
  const k = defaultKernel('3.10.0-1160.el7')
  k.somaxconn = 128
  k.tcpMaxSynBacklog = 512
  k.twRecycle = 1
  k.twReuse = 0
  k.ipLocalPortRange = [32768, 61000]
  const h = defaultHaproxy('1.5.18')
  h.fdSoft = 1024
  h.fdHard = 4096
  h.startedAsRoot = true
  h.servers = [
    { name: 'web03', maxconn: 0, maxqueue: 0, weight: 1 },
    { name: 'web04', maxconn: 0, maxqueue: 0, weight: 1 }
  ]
  h.timeoutConnectS = 5
  h.timeoutClientS = 30
  h.timeoutServerS = 30
  h.serverConnections = 'per-request'
  h.backendClosesFirst = 'proxy'
  h.nbthread = 1
  const be = defaultBackend()
  be.kind = 'generic'
  be.workers = 1500
  be.serviceTime = { kind: 'lognormal', p50S: 0.45, p99S: 2 }
  be.listenBacklog = 511
  return {
    format: SCENARIO_FORMAT,
    name: `report 1: SMS callbacks via HAProxy 1.5, backend RTT ${opts.backendRttMs ?? 30} ms`,
    durationS,
    drainS: 30,
    clients: {
      mode: 'open',
      loadCurve: opts.curve ?? report1LoadCurve(opts.peak ?? 5000, durationS),
      arrivals: 'poisson',
      arrivalBatch: 1,
      concurrency: 0,
      totalRequests: 0,
      requestsPerConnection: 1,
      keepAlive: false,
      thinkTimeS: 0,
      connectTimeoutS: 10,
      requestTimeoutS: 30,
      natShare: 0.4,
      natHosts: 16,
      sourceIps: 2000,
      closesFirst: 'server'
    },
    network: { clientRttMs: 40, backendRttMs: opts.backendRttMs ?? 30, jitterMs: 1 },
    hosts: { client: defaultKernel('4.9-6.4'), proxy: k, backend: { ...defaultKernel('3.10.0-1160.el7'), somaxconn: 128 } },
    haproxy: h,
    backend: be
  }
}

/** Report 2 as a scenario: `ab -c 512 -n 5120` against nginx + php-fpm with somaxconn `somaxconn`. */
export function report2Scenario(opts: { somaxconn?: number; socket?: 'unix' | 'tcp' } = {}): Scenario {
  const k = defaultKernel('4.9-6.4')
  k.somaxconn = opts.somaxconn ?? 8
  k.tcpMaxSynBacklog = 1024
  k.syncookies = 0
  const be = defaultBackend()
  be.kind = 'nginx-php-fpm'
  be.serviceTime = { kind: 'constant', s: 0.005 }
  be.nginx = { workers: 1, workerConnections: 1024, listenBacklog: 511, fastcgiConnectTimeoutS: 60 }
  be.phpFpm = { children: 4, listenBacklog: 511, socket: opts.socket ?? 'unix', requestOverheadMs: 1 }
  return {
    format: SCENARIO_FORMAT,
    name: `report 2: nginx + php-fpm, somaxconn ${k.somaxconn}, ab -c 512 -n 5120`,
    // long enough for a client whose SYNs keep being dropped to reach the kernel's 127 s give-up
    durationS: 180,
    drainS: 0,
    clients: {
      mode: 'closed',
      loadCurve: [],
      arrivals: 'even',
      arrivalBatch: 1,
      concurrency: 512,
      totalRequests: 5120,
      requestsPerConnection: 1,
      keepAlive: false,
      thinkTimeS: 0,
      connectTimeoutS: null,
      requestTimeoutS: null,
      natShare: 0,
      natHosts: 16,
      sourceIps: 1,
      closesFirst: 'server',
      // the field report's run was ApacheBench: its first request alone, its own counting
      tool: 'ab'
    },
    network: { clientRttMs: 1, backendRttMs: 0, jitterMs: 0 },
    hosts: { client: defaultKernel('4.9-6.4'), proxy: defaultKernel('4.9-6.4'), backend: k },
    haproxy: null,
    backend: be
  }
}
