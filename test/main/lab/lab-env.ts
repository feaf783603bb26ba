/**
 * Shared setup of the lab tests: a small scenario builder and the CI rule. A test that needs root,
 * namespaces, haproxy, nginx (+ echo module) or ab is skipped locally when they are missing, and
 * FAILS under CI=true (CI installs them, so a skip there would hide a broken lab).
 */
import { it } from 'vitest'
import type { Scenario } from '../../../simulator/scenario'
import { defaultScenario } from '../../../simulator/scenario'
import { labPreflight, requiredTools, type LabCase } from '../../../main/lab/run'
import { requireRoot, requireTool } from '../../helpers/require-tool'

/** it() when the lab can run (or under CI, where a missing dependency must fail), it.skip otherwise. */
export async function labIt(s: Scenario): Promise<{ test: (name: string, fn: () => Promise<void>) => void; missing: string | null }> {
  // the shared helpers first (under CI they throw: the file fails), then the lab's own checks
  // (echo module, Linux), which fail the test itself under CI
  requireRoot()
  for (const t of requiredTools(s)) requireTool(t)
  const missing = await labPreflight(s)
  const test = (name: string, fn: () => Promise<void>): void => (missing && process.env['CI'] !== 'true' ? it.skip : it)(name, fn)
  return { test, missing }
}

/** HAProxy in lb, one nginx echo_sleep server in app, closed-loop ab: small and short. */
export function closedLoopScenario(o: { name: string; users: number; requests: number; frontendMaxconn: number; bindBacklog: number; serviceS: number }): Scenario {
  const s = closedBase(o)
  const h = s.haproxy!
  h.version = '2.6.12'
  h.globalMaxconn = 1000
  h.frontendMaxconn = o.frontendMaxconn
  h.bindBacklog = o.bindBacklog
  h.servers = [{ name: 's1', maxconn: 0, maxqueue: 0, weight: 1 }]
  s.backend.kind = 'nginx-echo'
  s.backend.serviceTime = { kind: 'constant', s: o.serviceS }
  return s
}

/** No proxy: closed-loop ab straight to nginx in app, which passes each request to php-fpm over TCP. */
export function phpFpmDirectScenario(o: { name: string; users: number; requests: number; serviceS: number; children: number; fastcgiConnectTimeoutS: number }): Scenario {
  const s = closedBase(o)
  s.haproxy = null
  s.backend.kind = 'nginx-php-fpm'
  s.backend.serviceTime = { kind: 'constant', s: o.serviceS }
  s.backend.nginx = { workers: 1, workerConnections: 1024, listenBacklog: 511, fastcgiConnectTimeoutS: o.fastcgiConnectTimeoutS }
  s.backend.phpFpm = { children: o.children, listenBacklog: 511, socket: 'tcp' }
  return s
}

/** ab users (closed loop, 20 s timeout, one source address), no added delay, kernel 6.18 everywhere. */
function closedBase(o: { name: string; users: number; requests: number }): Scenario {
  const s = defaultScenario()
  s.name = o.name
  s.durationS = 20
  s.drainS = 10
  s.clients.mode = 'closed'
  s.clients.loadCurve = []
  s.clients.concurrency = o.users
  s.clients.totalRequests = o.requests
  s.clients.requestTimeoutS = 20
  s.clients.sourceIps = 1
  s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
  for (const h of ['client', 'proxy', 'backend'] as const) s.hosts[h].version = '6.18'
  return s
}

/** A measured key's mean over the runs (throws when the lab did not measure it). */
export function measuredMean(res: LabCase): (key: string) => number {
  return (k) => {
    const v = res.measured[k]
    if (!v || !('mean' in v)) throw new Error(`no measured ${k}`)
    return v.mean
  }
}
