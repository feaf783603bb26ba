import { describe, expect } from 'vitest'
import { runLab } from '../../../main/lab/run'
import { closedLoopScenario, labIt } from './lab-env'

// 12 closed-loop users against a frontend maxconn of 4 (backlog large enough for all): HAProxy
// holds exactly 4 sessions (scur/smax plateau at slim), the other clients wait in the kernel's
// accept queue where HAProxy's stats cannot see them, and every request is eventually answered.
const scenario = closedLoopScenario({ name: 'lab-test-maxconn-plateau', users: 12, requests: 24, frontendMaxconn: 4, bindBacklog: 64, serviceS: 0.3 })
const { test, missing } = await labIt(scenario)

describe('lab: HAProxy maxconn plateau', () => {
  test('frontend smax equals maxconn under more concurrent clients; the excess queues in the kernel', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const res = await runLab(scenario, { runs: 1 })
    const m = (k: string): number => {
      const v = res.measured[k]
      if (!v || !('mean' in v)) throw new Error(`no measured ${k}`)
      return v.mean
    }
    expect(res.measured['proxy_started']).toEqual({ value: true })
    expect(m('haproxy.frontend.slim')).toBe(4)
    expect(m('haproxy.frontend.smax')).toBe(4)
    expect(m('haproxy.info.Maxconn')).toBe(1000)
    expect(m('sockets.max_acceptq_lb_port80')).toBeGreaterThan(0)
    expect(m('sockets.max_acceptq_lb_port80')).toBeLessThanOrEqual(12 - 4)
    expect(m('kernel.lb.ListenOverflows')).toBe(0)
    expect(m('ok')).toBe(24)
    expect(m('not_ok')).toBe(0)
    // 24 requests, 4 at a time, 0.3 s each: at least 6 rounds
    expect(m('latency_ms.max')).toBeGreaterThanOrEqual(300)
    const series = res.headroom.series[0]!
    expect(series.length).toBeGreaterThan(3)
  })
})
