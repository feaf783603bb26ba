import { describe, expect, it } from 'vitest'
import { runLab } from '../../../main/lab/run'
import { DELAY_LINK } from '../../../main/lab/delaylink'
import { run } from '../../../main/lab/sys'
import { requireTool } from '../../helpers/require-tool'
import { defaultScenario } from '../../../simulator/scenario'
import { labIt } from './lab-env'

// RTT jitter on the user-space delay link: 10 ms RTT plus 0..10 ms per packet and direction
// (seeded). 40 TCP SYN -> RST probes record the achieved spread; every probe pays at least the
// base RTT, and with two draws per round trip the spread covers a good part of 2 x 10 ms.
// Connections keep their packet order, so all requests complete. No upper time bound asserted.
const s = defaultScenario()
s.name = 'lab-test-jitter'
s.durationS = 1
s.drainS = 10
s.haproxy = null
s.network = { clientRttMs: 10, backendRttMs: 0, jitterMs: 10 }
s.clients.mode = 'open'
s.clients.arrivals = 'even'
s.clients.loadCurve = [{ tS: 0, rate: 20 }]
s.clients.sourceIps = 1
s.backend.kind = 'nginx-echo'
s.backend.serviceTime = { kind: 'constant', s: 0 }
for (const h of ['client', 'proxy', 'backend'] as const) s.hosts[h].version = '6.18'
const { test, missing } = await labIt(s)

describe('lab: RTT jitter on the delay link', () => {
  test('records the RTT spread and the base RTT for the simulator', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const res = await runLab(s, { runs: 1 })
    const net = res.scenario['network'] as { measured_ping_rtt_ms: Record<string, { p50: { mean: number }; min: { mean: number }; max: { mean: number } }>; links: string[] }
    const p = net.measured_ping_rtt_ms['rtt_ms_client_lb']!
    expect(p.min.mean).toBeGreaterThanOrEqual(10)
    expect(p.max.mean - p.min.mean).toBeGreaterThan(5)
    expect(net.links.join(' ')).toMatch(/jitter 0\.\.10 ms/)
    // the simulator gets the base RTT and the jitter separately (a round trip carries two draws, median 10 ms)
    expect(res.headroom.effectiveScenario.network.clientRttMs).toBeCloseTo(Math.max(0, p.p50.mean - 10), 6)
    expect(res.headroom.effectiveScenario.network.jitterMs).toBe(10)
    const ok = res.measured['ok']
    expect(ok && 'mean' in ok ? ok.mean : -1).toBe(20)
  })
})

// The delay link's scheduling alone (its --selftest mode, no TUN devices): 3 interleaved TCP flows,
// a packet every 0.5 ms, 10 ms delay + 0..20 ms jitter. Bounded, seeded, per-flow order kept.
const python = requireTool('python3')

describe('delay link scheduling with jitter', () => {
  ;(python ? it : it.skip)('keeps each flow in order, stays within delay..delay + jitter, repeats per seed', async () => {
    const arrivals = Array.from({ length: 60 }, (_, i) => [i * 0.0005, i % 3])
    const sched = async (seed: number): Promise<number[]> => {
      const r = await run(python!, ['-c', DELAY_LINK, '--selftest', JSON.stringify(arrivals), '10', '20', String(seed)])
      expect(r.code).toBe(0)
      return JSON.parse(r.stdout) as number[]
    }
    const d = await sched(7)
    expect(d).toHaveLength(60)
    for (const x of d) {
      expect(x).toBeGreaterThanOrEqual(0.01 - 1e-9)
      expect(x).toBeLessThanOrEqual(0.03 + 1e-9)
    }
    const release = d.map((x, i) => arrivals[i]![0]! + x)
    for (let i = 3; i < 60; i++) expect(release[i]!).toBeGreaterThanOrEqual(release[i - 3]!)
    // packets of different flows do overtake each other
    expect(release.some((r, i) => i > 0 && r < release[i - 1]!)).toBe(true)
    expect(await sched(7)).toEqual(d)
    expect(await sched(8)).not.toEqual(d)
  })
})
