import { describe, expect, it } from 'vitest'
import { closedLoopDriver, effectiveScenario, labDeviations, runLab } from '../../../main/lab/run'
import type { Scenario } from '../../../simulator/scenario'
import { closedLoopScenario, labIt } from './lab-env'

// The lab's own closed-loop client (closedloop.ts): ab's load (C users, one connection per
// request) plus what ab cannot do: source addresses bound round-robin, a connect timeout, a user
// count that follows the load curve. Short real runs, small numbers; no timing assertions.
const plain = closedLoopScenario({ name: 'lab-test-closed-plain', users: 12, requests: 24, frontendMaxconn: 4, bindBacklog: 64, serviceS: 0.2 })
plain.clients.closesFirst = 'server'

function withSources(): Scenario {
  const s = closedLoopScenario({ name: 'lab-test-closed-sources', users: 4, requests: 24, frontendMaxconn: 100, bindBacklog: 64, serviceS: 0.02 })
  s.clients.sourceIps = 3
  s.clients.connectTimeoutS = 2
  return s
}

function withCurve(): Scenario {
  const s = closedLoopScenario({ name: 'lab-test-closed-curve', users: 4, requests: 0, frontendMaxconn: 100, bindBacklog: 64, serviceS: 0.05 })
  s.durationS = 2
  s.drainS = 5
  // the server closes first (HTTP/1.0): HAProxy ends a session before its user starts the next one
  s.clients.closesFirst = 'server'
  // read at whole seconds: 1 user from t = 0, 4 users from t = 1 s, no new request after 2 s
  s.clients.loadCurve = [
    { tS: 0, rate: 1 },
    { tS: 0.5, rate: 1 },
    { tS: 0.5, rate: 4 }
  ]
  return s
}

const sources = withSources()
const curve = withCurve()
const { test, missing } = await labIt(plain)

function mean(res: Awaited<ReturnType<typeof runLab>>, k: string): number {
  const v = res.measured[k]
  if (!v || !('mean' in v)) throw new Error(`no measured ${k}`)
  return v.mean
}

const tool = (res: Awaited<ReturnType<typeof runLab>>): string => String((res.scenario['load'] as { tool: string }).tool)

describe('lab: closed-loop client', () => {
  it('uses ab for plain closed loops and its own client for what ab lacks', () => {
    expect(closedLoopDriver(plain)).toBe('ab')
    expect(closedLoopDriver(sources)).toBe('node')
    expect(closedLoopDriver(curve)).toBe('node')
    const t = closedLoopScenario({ name: 't', users: 1, requests: 1, frontendMaxconn: 1, bindBacklog: 1, serviceS: 0 })
    t.clients.connectTimeoutS = 1
    expect(closedLoopDriver(t)).toBe('node')
    const n = closedLoopScenario({ name: 'n', users: 1, requests: 1, frontendMaxconn: 1, bindBacklog: 1, serviceS: 0 })
    n.clients.natShare = 0.5
    expect(closedLoopDriver(n)).toBe('node')
  })

  test('gives the same outcome as ab on a plain scenario (maxconn 4 plateau, 12 users, 24 requests)', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const byAb = await runLab(plain, { runs: 1 })
    const byNode = await runLab(plain, { runs: 1, closedLoopDriver: 'node' })
    expect(tool(byAb)).toBe('ab')
    expect(tool(byNode)).toBe('node-closed-loop')
    for (const res of [byAb, byNode]) {
      expect(mean(res, 'requests')).toBe(24)
      expect(mean(res, 'ok')).toBe(24)
      expect(mean(res, 'haproxy.frontend.smax')).toBe(4)
      expect(mean(res, 'kernel.lb.ListenOverflows')).toBe(0)
    }
  })

  test('binds 3 source addresses round-robin (the proxy sees 3 clients)', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const res = await runLab(sources, { runs: 1 })
    expect(tool(res)).toBe('node-closed-loop')
    expect((res.scenario['network'] as { client_src_ips_at_front: string[] }).client_src_ips_at_front).toEqual(['10.200.1.10', '10.200.1.11', '10.200.1.12'])
    expect(mean(res, 'requests')).toBe(24)
    expect(mean(res, 'ok')).toBe(24)
    expect(res.headroom.effectiveScenario.clients.sourceIps).toBe(3)
    expect(res.headroom.deviations.join(' ')).not.toMatch(/\bab\b/)
  })

  test('follows the load curve of users (1, then 4)', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const res = await runLab(curve, { runs: 1 })
    expect(tool(res)).toBe('node-closed-loop')
    expect(mean(res, 'clients.max_users')).toBe(4)
    expect(mean(res, 'haproxy.frontend.smax')).toBeLessThanOrEqual(4)
    expect(mean(res, 'haproxy.frontend.smax')).toBeGreaterThan(1)
    expect(mean(res, 'ok')).toBe(mean(res, 'requests'))
  })
})

describe('lab: closed loop with ab forced', () => {
  it('simulates what ab really ran (one address, no connect timeout, the peak user count)', () => {
    const s = withCurve()
    s.clients.sourceIps = 3
    s.clients.connectTimeoutS = 1
    const e = effectiveScenario(s, null, '6.18.44', {}, null, 'ab')
    expect(e.clients.sourceIps).toBe(1)
    expect(e.clients.connectTimeoutS).toBeNull()
    expect(e.clients.loadCurve).toEqual([])
    expect(e.clients.concurrency).toBe(4)
    expect(e.clients.closesFirst).toBe('server')
    expect(labDeviations(s, null, '6.18.44', 'ab').join(' ')).toMatch(/ab was forced/)
    expect(effectiveScenario(s, null, '6.18.44', {}, null, 'node').clients.sourceIps).toBe(3)
  })
})
