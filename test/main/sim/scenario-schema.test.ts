import { describe, expect, expectTypeOf, it } from 'vitest'
import type { z } from 'zod'
import { parseScenario, scenarioSchema } from '../../../main/sim/scenario-schema'
import { defaultScenario, cloneScenario, type Scenario } from '../../../simulator/scenario'
import { report1Scenario, report2Scenario } from '../../../simulator/presets'

describe('scenario schema', () => {
  it("its inferred type and the TS Scenario type agree (both directions)", () => {
    type Inferred = z.infer<typeof scenarioSchema>
    expectTypeOf<Inferred>().toEqualTypeOf<Scenario>()
    const s: Scenario = defaultScenario()
    const i: Inferred = s
    const back: Scenario = i
    expect(back).toBe(s)
  })

  it('accepts the defaults and both field-report presets', () => {
    expect(parseScenario(defaultScenario())).toEqual(defaultScenario())
    expect(() => parseScenario(report1Scenario())).not.toThrow()
    expect(() => parseScenario(report2Scenario())).not.toThrow()
  })

  const bad = (mut: (s: Scenario) => void): string => {
    const s = cloneScenario(defaultScenario())
    mut(s)
    try {
      parseScenario(s)
    } catch (e) {
      return (e as Error).message
    }
    return 'accepted'
  }

  it('refuses out-of-range values with the field path and a human reason', () => {
    expect(bad((s) => (s.hosts.proxy.somaxconn = -1))).toContain('hosts.proxy.somaxconn: somaxconn must be 0..2147483647')
    expect(bad((s) => ((s.hosts.backend as { syncookies: number }).syncookies = 3))).toContain('tcp_syncookies must be 0, 1 or 2')
    expect(bad((s) => (s.haproxy!.globalMaxconn = 0))).toContain('global maxconn must be 1..2147483647')
    expect(bad((s) => (s.clients.natShare = 1.5))).toContain('share of clients behind NAT must be 0..1')
    expect(bad((s) => (s.network.clientRttMs = Number.NaN))).toMatch(/client RTT/)
    expect(bad((s) => ((s as { format: string }).format = 'x'))).toContain('format must be "headroom-scenario/1"')
    expect(bad((s) => (s.hosts.client.version = 'windows'))).toContain('kernel version must be a profile')
    expect(bad((s) => (s.backend.cpu = { cores: 0, share: 1 }))).toContain('backend.cpu.cores: backend CPU cores must be 1..4096')
    expect(bad((s) => (s.backend.cpu = { cores: 2, share: 1.5 }))).toContain('backend.cpu.share: CPU share of the service time must be 0..1')
    expect(bad((s) => (s.backend.cpu = { cores: 2, share: 0.5 }))).toBe('accepted')
    expect(bad((s) => (s.backend.cpu = null))).toBe('accepted')
  })

  it('refuses inconsistent combinations with a reason', () => {
    expect(bad((s) => (s.hosts.proxy.ipLocalPortRange = [60000, 1024]))).toContain('must not exceed high')
    expect(bad((s) => ((s.hosts.proxy.version = '6.1'), (s.hosts.proxy.twRecycle = 1)))).toContain('tcp_tw_recycle does not exist on kernel 6.1 (removed in 4.12)')
    expect(bad((s) => ((s.hosts.proxy.version = '3.10'), (s.hosts.proxy.twReuse = 2)))).toContain('tcp_tw_reuse=2 (loopback only) does not exist')
    expect(bad((s) => ((s.haproxy!.fdSoft = 5000), (s.haproxy!.fdHard = 1024)))).toContain('cannot exceed the hard limit')
    expect(bad((s) => ((s.clients.keepAlive = false), (s.clients.requestsPerConnection = 3)))).toContain('need keep-alive')
    expect(bad((s) => (s.clients.loadCurve = []))).toContain('open-loop clients need a load curve')
    expect(bad((s) => (s.backend.serviceTime = { kind: 'lognormal', p50S: 1, p99S: 0.5 }))).toContain('p99 must be >= p50')
    expect(bad((s) => (s.haproxy!.servers = [{ name: 'a', maxconn: 0, maxqueue: 0, weight: 1 }, { name: 'a', maxconn: 0, maxqueue: 0, weight: 1 }]))).toContain('duplicate server name')
    expect(
      bad((s) => {
        s.clients.loadCurve = [
          { tS: 5, rate: 1 },
          { tS: 1, rate: 1 }
        ]
      })
    ).toContain('time order')
  })

  it('reports every problem at once and never mutates the input', () => {
    const s = cloneScenario(defaultScenario())
    s.hosts.proxy.somaxconn = -5
    s.haproxy!.retries = -1
    const before = JSON.stringify(s)
    expect(() => parseScenario(s)).toThrow(/somaxconn[\s\S]*retries/)
    expect(JSON.stringify(s)).toBe(before)
    expect(() => parseScenario(null)).toThrow(/invalid scenario/)
  })
})
