import { describe, expect, it } from 'vitest'
import { runLab } from '../../../main/lab/run'
import { predictLab } from '../../../main/lab/compare'
import { defaultScenario, type Scenario } from '../../../simulator/scenario'
import { labIt } from './lab-env'

// tcp_tw_reuse=2 (the default since 4.19) through a real HAProxy: a server on the proxy host
// (127.0.0.1, loopback) against one across a veth. 16 source ports (an even range: an odd one
// gives 14 or 15 connects depending on the kernel's random scan offset, test/simulator/ports.test.ts),
// 10 conn/s for 3 s; HAProxy closes first (mode tcp), so its ports sit in TIME_WAIT. Towards
// loopback the kernel reuses a port whose TIME_WAIT is >= 1 s old (tcp_tw_reuse_delay): all 30
// connect. Across the veth it does not: the 17th connect finds no port, HAProxy retries 3 times
// at once, then 503 (econ).
function ports(loopback: boolean): Scenario {
  const s = defaultScenario()
  s.name = loopback ? 'lab-test-tw-reuse-2-loopback' : 'lab-test-tw-reuse-2-veth'
  s.durationS = 3
  s.drainS = 10
  s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
  s.clients = { ...s.clients, mode: 'open', arrivals: 'even', loadCurve: [{ tS: 0, rate: 10 }], closesFirst: 'client', sourceIps: 1, requestTimeoutS: 10 }
  for (const h of ['client', 'proxy', 'backend'] as const) s.hosts[h].version = '6.18'
  s.hosts.proxy = { ...s.hosts.proxy, ipLocalPortRange: [40000, 40015], twReuse: 2, timestamps: 1 }
  s.haproxy = { ...s.haproxy!, version: '2.6.12', mode: 'tcp', globalMaxconn: 1000, timeoutConnectS: 2, retries: 3, servers: [{ name: 's1', maxconn: 0, maxqueue: 0, weight: 1, loopback }] }
  s.backend = { ...s.backend, kind: 'nginx-echo', serviceTime: { kind: 'constant', s: 0.01 } }
  return s
}

const { test, missing } = await labIt(ports(true))

describe('lab: tcp_tw_reuse=2 towards a loopback server and a remote one', () => {
  it('builds the two scenarios as described', () => {
    expect(ports(true).haproxy!.servers[0]!.loopback).toBe(true)
    expect(ports(false).haproxy!.servers[0]!.loopback).toBe(false)
  })

  test('loopback: TIME_WAIT ports are reused, all 30 connect; across the veth 16 do, as the simulator says for each', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const local = await runLab(ports(true), { runs: 1 })
    expect((local.scenario['network'] as { topology: string }).topology).toContain('127.0.0.1:8080 (loopback)')
    expect(local.measured['ok']).toMatchObject({ mean: 30 })
    expect(local.measured['haproxy.backend.econ']).toMatchObject({ mean: 0 })
    // no app namespace: the backend's counters are the proxy host's
    expect(Object.keys(local.measured).some((k) => k.startsWith('kernel.app.'))).toBe(false)
    const far = await runLab(ports(false), { runs: 1 })
    expect(far.measured['ok']).toMatchObject({ mean: 16 })
    expect(far.measured['haproxy.backend.econ']).toMatchObject({ mean: 14 })
    // every attempt counts in connect: 16 + 14 x (1 + 3 retries)
    expect(far.measured['haproxy.backend.connect']).toMatchObject({ mean: 16 + 14 * 4 })
    for (const c of [local, far]) {
      const p = predictLab(c)
      expect(p['ok']).toBe((c.measured['ok'] as { mean: number }).mean)
      expect(p['haproxy.backend.econ']).toBe((c.measured['haproxy.backend.econ'] as { mean: number }).mean)
      expect(p['haproxy.backend.connect']).toBe((c.measured['haproxy.backend.connect'] as { mean: number }).mean)
    }
  })
})
