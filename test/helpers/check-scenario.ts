/**
 * The scenario the health-check tests start from: clients, HAProxy 2.6.12 and servers with no
 * round trip between them on 6.18 kernels, as on the loopback the real tests use; an open loop at
 * `rate` conn/s evenly spaced for `durationS`, no request timeout; `haproxy` overrides the rest.
 */
import { defaultHaproxy, defaultKernel, defaultScenario, type HaproxyConfig, type Scenario } from '../../simulator/scenario'

export function checkScenario(o: { rate: number; durationS: number; drainS: number; connectTimeoutS?: number }, haproxy: Partial<HaproxyConfig>): Scenario {
  const s = defaultScenario()
  s.durationS = o.durationS
  s.drainS = o.drainS
  s.clients = { ...s.clients, loadCurve: [{ tS: 0, rate: o.rate }], arrivals: 'even', requestTimeoutS: null, closesFirst: 'client' }
  if (o.connectTimeoutS !== undefined) s.clients.connectTimeoutS = o.connectTimeoutS
  s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
  s.hosts = { client: defaultKernel('6.18'), proxy: defaultKernel('6.18'), backend: defaultKernel('6.18') }
  s.haproxy = { ...defaultHaproxy('2.6.12'), fdSoft: 65536, fdHard: 65536, ...haproxy }
  return s
}

/**
 * One server checked with `option httpchk` and no load: a threaded server that answers every
 * request after `svcS` (100 workers, backlog 64), HAProxy started 1 s before the run, `fall 3`.
 */
export function httpCheckScenario(o: { svcS: number; timeoutCheckS?: number | null; timeoutConnectS?: number; interMs?: number; drainS?: number }): Scenario {
  const s = checkScenario({ rate: 0, durationS: 0.1, drainS: o.drainS ?? 14, connectTimeoutS: 60 }, {
    httpCheck: true,
    timeoutConnectS: o.timeoutConnectS ?? 5,
    timeoutCheckS: o.timeoutCheckS ?? null,
    startedS: -1,
    servers: [{ name: 's1', maxconn: 0, maxqueue: 0, weight: 1, check: { interMs: o.interMs ?? 2000, fastinterMs: null, downinterMs: null, rise: 2, fall: 3 } }]
  })
  s.backend = { ...s.backend, kind: 'generic', workers: 100, listenBacklog: 64, serviceTime: { kind: 'constant', s: o.svcS } }
  return s
}

/** The HTTP checks of server s1 that ended in a run's log: duration (s, from its connection's open to its end) and status. */
export function httpCheckEnds(log: readonly string[]): { d: number; status: string }[] {
  const ends: { d: number; status: string }[] = []
  let open = NaN
  for (const l of log) {
    if (l.includes('check-open server=s1')) open = parseFloat(l)
    else if (l.includes('check-end server=s1') && !Number.isNaN(open)) {
      ends.push({ d: parseFloat(l) - open, status: l.trim().split(' ').pop()! })
      open = NaN
    }
  }
  return ends
}
