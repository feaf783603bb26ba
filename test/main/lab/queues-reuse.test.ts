import { describe, expect } from 'vitest'
import { runLab } from '../../../main/lab/run'
import type { Scenario } from '../../../simulator/scenario'
import { defaultScenario } from '../../../simulator/scenario'
import { labIt } from './lab-env'

// HAProxy's queues and http-reuse, for real and small. Queues: 6 connections within 0.1 s on
// one server at maxconn 1 / maxqueue 1 (500 ms of work): roundrobin puts the 5 waiting ones in
// the BACKEND queue (maxqueue does not cap it); balance source binds them to the server, whose
// queue takes 1 and the other 4 get 503 at once. Reuse: 4 keep-alive client connections of 5
// requests each under http-reuse always: every request after the first one reuses.
function scenario(name: string, f: (s: Scenario) => void): Scenario {
  const s = defaultScenario()
  s.name = name
  s.durationS = 0.1
  s.drainS = 10
  s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
  s.clients = { ...s.clients, mode: 'open', arrivals: 'even', loadCurve: [{ tS: 0, rate: 60 }], closesFirst: 'client', requestTimeoutS: 10, sourceIps: 1 }
  for (const h of ['client', 'proxy', 'backend'] as const) s.hosts[h].version = '6.18'
  s.haproxy = { ...s.haproxy!, version: '2.6.12', globalMaxconn: 1000, timeoutQueueS: 5, servers: [{ name: 's1', maxconn: 1, maxqueue: 1, weight: 1 }] }
  s.backend.kind = 'nginx-echo'
  s.backend.serviceTime = { kind: 'constant', s: 0.5 }
  f(s)
  return s
}

const roundrobin = scenario('lab-test-queue-roundrobin', () => {})
const source = scenario('lab-test-queue-source', (s) => (s.haproxy!.balance = 'source'))
const always = scenario('lab-test-reuse-always', (s) => {
  s.durationS = 0.2
  s.clients.loadCurve = [{ tS: 0, rate: 20 }]
  s.clients.keepAlive = true
  s.clients.requestsPerConnection = 5
  s.haproxy = { ...s.haproxy!, servers: [{ name: 's1', maxconn: 0, maxqueue: 0, weight: 1 }], serverConnections: 'keep-alive', httpReuse: 'always' }
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
})
const { test, missing } = await labIt(roundrobin)

function metric(res: Awaited<ReturnType<typeof runLab>>, k: string): number {
  const v = res.measured[k]
  if (!v || !('mean' in v)) throw new Error(`no measured ${k}`)
  return v.mean
}

describe('lab: HAProxy queues and http-reuse', () => {
  test('roundrobin: the waiting requests sit in the backend queue, above maxqueue', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const res = await runLab(roundrobin, { runs: 1 })
    expect(metric(res, 'requests')).toBe(6)
    expect(metric(res, 'ok')).toBe(6)
    expect(metric(res, 'haproxy.backend.qmax')).toBe(5)
    expect(metric(res, 'haproxy.server_s1.qmax')).toBe(0)
  })

  test("balance source: the server's queue holds maxqueue, the rest get 503 (econ)", async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const res = await runLab(source, { runs: 1 })
    expect(metric(res, 'ok')).toBe(2)
    expect(metric(res, 'non_2xx')).toBe(4)
    expect(metric(res, 'haproxy.server_s1.qmax')).toBe(1)
    expect(metric(res, 'haproxy.backend.qmax')).toBe(0)
    expect(metric(res, 'haproxy.server_s1.econ')).toBe(4)
  })

  test('keep-alive clients with http-reuse always: one connect, then reuses', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const res = await runLab(always, { runs: 1 })
    expect(metric(res, 'requests')).toBe(20)
    expect(metric(res, 'ok')).toBe(20)
    expect(metric(res, 'haproxy.backend.connect') + metric(res, 'haproxy.backend.reuse')).toBe(20)
    expect(metric(res, 'haproxy.backend.connect')).toBeLessThanOrEqual(2)
  })
})
