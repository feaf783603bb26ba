import { describe, expect, it } from 'vitest'
import { simulate } from '../../simulator/index'
import { decodeResult } from '../../simulator/result'
import { report1Scenario, report2Scenario } from '../../simulator/presets'
import { defaultScenario } from '../../simulator/scenario'

const prev = (s: Parameters<typeof simulate>[0]) => decodeResult(simulate(s, { seed: 1, preview: true }))
const full = (s: Parameters<typeof simulate>[0]) => decodeResult(simulate(s, { seed: 1 }))

describe('preview', () => {
  it('is marked as preview and carries the same columns as the full run', () => {
    const p = prev(defaultScenario())
    expect(p.preview).toBe(true)
    expect(p.summary.preview).toBe(true)
    const f = full(defaultScenario())
    expect(f.preview).toBe(false)
    for (const c of ['t', 'offered', 'completed', 'failed', 'proxy_scur', 'free_ports']) expect(p.columnNames).toContain(c)
  })

  it('open loop (fluid): report 1 loses about the NAT share to tw_recycle, like the full run', () => {
    const s = report1Scenario({ durationS: 30, peak: 2000 })
    const p = prev(s).summary
    const f = full(s).summary
    const share = (x: typeof p) => x.totals.failed / x.totals.requests
    expect(Math.abs(share(p) - share(f))).toBeLessThan(0.1)
    expect(p.verdict.ceiling).toBe('tw-recycle')
  })

  it('open loop (fluid): maxconn over time in system binds when the load exceeds it', () => {
    const s = defaultScenario()
    s.haproxy = { ...s.haproxy!, globalMaxconn: 50 }
    s.backend.serviceTime = { kind: 'constant', s: 0.5 }
    s.clients.loadCurve = [{ tS: 0, rate: 50 }, { tS: 60, rate: 400 }]
    const p = prev(s).summary
    expect(p.verdict.ceiling).toBe('haproxy-maxconn')
    expect(p.totals.failed).toBeGreaterThan(0)
    expect(p.verdict.atLoad!).toBeGreaterThan(50)
  })

  it('closed loop: a reduced run of the real model moves in the right direction with somaxconn', () => {
    const bad = prev(report2Scenario({ somaxconn: 8 })).summary
    const good = prev(report2Scenario({ somaxconn: 1024 })).summary
    expect(bad.preview && good.preview).toBe(true)
    expect(bad.totals.failed).toBeGreaterThan(good.totals.failed)
    expect(bad.events).toBeLessThanOrEqual(40_001)
  })
})
