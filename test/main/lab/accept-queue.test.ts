import { describe, expect } from 'vitest'
import { runLab } from '../../../main/lab/run'
import { labNamespaces } from '../../../main/lab/sys'
import { closedLoopScenario, labIt } from './lab-env'

// HAProxy at frontend maxconn 2 stops calling accept(); its listener (bind backlog 8) then never
// accepts until a session ends, so the kernel's accept queue fills to B+1 = 9, further SYNs are
// dropped (ListenOverflows) and the remaining clients wait in SYN-SENT. Real kernel, real HAProxy.
const scenario = closedLoopScenario({ name: 'lab-test-accept-queue', users: 16, requests: 16, frontendMaxconn: 2, bindBacklog: 8, serviceS: 0.5 })
const { test, missing } = await labIt(scenario)

describe('lab: accept queue of a listener that does not accept', () => {
  test('holds B+1 connections; the rest stay in SYN-SENT and overflow is counted', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const res = await runLab(scenario, { runs: 1 })
    const m = (k: string): number => {
      const v = res.measured[k]
      if (!v || !('mean' in v)) throw new Error(`no measured ${k}`)
      return v.mean
    }
    expect(res.measured['proxy_started']).toEqual({ value: true })
    expect(res.scenario['proxy']).toMatchObject({ bind_backlog_effective: [8] })
    expect(m('sockets.max_acceptq_lb_port80')).toBe(9)
    expect(m('sockets.max_syn_sent_cli')).toBeGreaterThan(0)
    expect(m('kernel.lb.ListenOverflows')).toBeGreaterThan(0)
    expect(m('kernel.cli.TCPSynRetrans')).toBeGreaterThan(0)
    expect(m('haproxy.frontend.smax')).toBe(2)
    expect(m('requests')).toBe(16)
    // the run cleaned up after itself
    expect((await labNamespaces()).filter((n) => n.startsWith(`hr-lab-${process.pid.toString(36)}`))).toEqual([])
  })
})
