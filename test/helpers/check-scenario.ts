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
