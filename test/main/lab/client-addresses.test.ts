import { describe, expect, it } from 'vitest'
import { runLab, sourcesPerArrival } from '../../../main/lab/run'
import { labNamespaces } from '../../../main/lab/sys'
import type { Scenario } from '../../../simulator/scenario'
import { defaultScenario } from '../../../simulator/scenario'
import { labIt } from './lab-env'

// Several client source addresses and clients behind NAT, for real: the open-loop client binds
// its source addresses, a `nat` namespace masquerades the NAT hosts (nftables). The check is what
// the front's kernel saw (its socket table sampled during the run plus its per-peer TCP metrics).
function scenario(name: string, sourceIps: number, natShare: number, natHosts: number): Scenario {
  const s = defaultScenario()
  s.name = name
  s.durationS = 1
  s.drainS = 10
  s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
  s.clients.mode = 'open'
  s.clients.arrivals = 'even'
  s.clients.loadCurve = [{ tS: 0, rate: 20 }]
  s.clients.closesFirst = 'client'
  s.clients.requestTimeoutS = 10
  s.clients.sourceIps = sourceIps
  s.clients.natShare = natShare
  s.clients.natHosts = natHosts
  for (const h of ['client', 'proxy', 'backend'] as const) s.hosts[h].version = '6.18'
  const h = s.haproxy!
  h.version = '2.6.12'
  h.globalMaxconn = 1000
  h.servers = [{ name: 's1', maxconn: 0, maxqueue: 0, weight: 1 }]
  s.backend.kind = 'nginx-echo'
  s.backend.serviceTime = { kind: 'constant', s: 0 }
  return s
}

const ips3 = scenario('lab-test-source-ips-3', 3, 0, 16)
const nat = scenario('lab-test-nat-half', 2, 0.5, 3)
const { test, missing } = await labIt(nat)

function seen(res: Awaited<ReturnType<typeof runLab>>): string[] {
  return (res.scenario['network'] as { client_src_ips_at_front: string[] }).client_src_ips_at_front
}

describe('lab: client source addresses', () => {
  it('assigns source addresses round-robin, the natShare of them behind the NAT', () => {
    expect(sourcesPerArrival(ips3, 5)).toEqual(['10.200.1.10', '10.200.1.11', '10.200.1.12', '10.200.1.10', '10.200.1.11'])
    expect(sourcesPerArrival(nat, 6)).toEqual(['10.200.3.10', '10.200.3.100', '10.200.3.11', '10.200.3.101', '10.200.3.10', '10.200.3.102'])
    expect(sourcesPerArrival(scenario('one', 1, 0, 16), 5)).toBeNull()
  })

  test('the proxy sees connections from 3 distinct client addresses', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const res = await runLab(ips3, { runs: 1 })
    expect(seen(res)).toEqual(['10.200.1.10', '10.200.1.11', '10.200.1.12'])
    expect(res.measured['ok']).toMatchObject({ mean: 20 })
    expect(res.headroom.effectiveScenario.clients.sourceIps).toBe(3)
  })

  test('behind NAT the proxy sees only the NAT address for the NATed hosts', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const res = await runLab(nat, { runs: 1 })
    // 2 routed addresses + the NAT's outside address; none of the hosts behind it (10.200.3.100..)
    expect(seen(res)).toEqual(['10.200.1.1', '10.200.3.10', '10.200.3.11'])
    expect(res.measured['ok']).toMatchObject({ mean: 20 })
    expect((await labNamespaces()).filter((n) => n.endsWith('-nat'))).toEqual([])
  })
})
