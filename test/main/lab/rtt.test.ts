import { describe, expect } from 'vitest'
import { runLab } from '../../../main/lab/run'
import { defaultScenario } from '../../../simulator/scenario'
import { labIt } from './lab-env'

// RTT without sch_netem: clients and nginx are joined by two TUN devices and the user-space
// delay link (10 ms each way). Both ends are real kernel TCP stacks, so a connect costs one RTT
// and a request on a new connection at least two. The open-loop client drives it (20 conn/s, 1 s).
const s = defaultScenario()
s.name = 'lab-test-rtt'
s.durationS = 1
s.drainS = 10
s.haproxy = null
s.network = { clientRttMs: 20, backendRttMs: 0, jitterMs: 0 }
s.clients.mode = 'open'
s.clients.arrivals = 'even'
s.clients.loadCurve = [{ tS: 0, rate: 20 }]
s.clients.sourceIps = 1
s.backend.kind = 'nginx-echo'
s.backend.serviceTime = { kind: 'constant', s: 0 }
for (const h of ['client', 'proxy', 'backend'] as const) s.hosts[h].version = '6.18'
const { test, missing } = await labIt(s)

describe('lab: RTT over the TUN delay link', () => {
  test('records the achieved RTT and every request pays it twice (connect + request)', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const res = await runLab(s, { runs: 1 })
    const m = (k: string): number => {
      const v = res.measured[k]
      if (!v || !('mean' in v)) throw new Error(`no measured ${k}`)
      return v.mean
    }
    const ping = (res.scenario['network'] as { measured_ping_rtt_ms: Record<string, { avg: { mean: number } }> }).measured_ping_rtt_ms
    expect(ping['rtt_ms_client_lb']!.avg.mean).toBeGreaterThanOrEqual(20)
    expect(res.headroom.effectiveScenario.network.clientRttMs).toBe(ping['rtt_ms_client_lb']!.avg.mean)
    expect(m('requests')).toBe(20)
    expect(m('ok')).toBe(20)
    expect(m('connect_ms.p50')).toBeGreaterThanOrEqual(20)
    expect(m('latency_ms.p50')).toBeGreaterThanOrEqual(40)
    // the client closes first (HTTP/1.1, then FIN): TIME_WAIT lands on the client host
    expect(m('sockets.max_time_wait_cli')).toBeGreaterThan(0)
  })
})
