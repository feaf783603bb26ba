import { describe, expect, it } from 'vitest'
import { compareMetrics, flattenMetrics, judge, toleranceFor } from '../../../main/lab/tolerance'

describe('fidelity tolerance (shared/fidelity/README.md)', () => {
  it('picks (r, a) by metric family', () => {
    expect(toleranceFor('ok', 3000)).toEqual({ r: 0.25, a: 30 })
    expect(toleranceFor('ok', 100)).toEqual({ r: 0.25, a: 3 })
    expect(toleranceFor('latency_ms.p99', 100)).toEqual({ r: 0.25, a: 25 })
    expect(toleranceFor('duration_s', 100)).toEqual({ r: 0.2, a: 1 })
    expect(toleranceFor('kernel.lb.ListenOverflows', 3000)).toEqual({ r: 0.5, a: 30 })
    expect(toleranceFor('haproxy.frontend.smax', 3000)).toEqual({ r: 0.1, a: 2 })
    expect(toleranceFor('sockets.max_acceptq_lb_port80', 3000)).toEqual({ r: 0.2, a: 3 })
    expect(toleranceFor('syn_retry_share', 3000)).toEqual({ r: 0.25, a: 0.02 })
    expect(toleranceFor('proxy_started', 3000)).toBeNull()
  })

  it('passes inside [min(1-r)-a, max(1+r)+a] and fails outside', () => {
    const m = { mean: 201, min: 200, max: 202 }
    // latency: lo = 200*0.75-25 = 125, hi = 202*1.25+25 = 277.5
    expect(judge('latency_ms.p50', m, 125, 100).ok).toBe(true)
    expect(judge('latency_ms.p50', m, 277.5, 100).ok).toBe(true)
    expect(judge('latency_ms.p50', m, 124.9, 100).ok).toBe(false)
    expect(judge('latency_ms.p50', m, 278, 100).ok).toBe(false)
    expect(judge('latency_ms.p50', m, null, 100).ok).toBe(false)
    expect(judge('latency_ms.p50', m, 211, 100)).toMatchObject({ error: 10, ok: true })
    expect(judge('proxy_started', { value: true }, true, 0).ok).toBe(true)
    expect(judge('proxy_started', { value: false }, true, 0).ok).toBe(false)
  })

  it('flattens nested predictions and compares every measured key', () => {
    expect(flattenMetrics({ kernel: { lb: { ListenOverflows: 3 } }, ok: { mean: 5, min: 4, max: 6 } })).toEqual({ 'kernel.lb.ListenOverflows': 3, ok: 5 })
    const rows = compareMetrics(
      { requests: { mean: 100, min: 100, max: 100 }, ok: { mean: 90, min: 88, max: 92 }, 'haproxy.frontend.smax': { mean: 4, min: 4, max: 4 } },
      { ok: 60, haproxy: { frontend: { smax: 4 } } }
    )
    expect(rows.map((r) => [r.key, r.ok])).toEqual([
      ['requests', false],
      ['ok', false],
      ['haproxy.frontend.smax', true]
    ])
  })
})
