/**
 * Socket maxima of a lab case are predicted as the lab's sampler (/proc/net/tcp every ~0.1 s)
 * saw them. report1-maxconn-100: 80 closed-loop clients, maxconn 100, 100 ms echo. Every 100 ms
 * all 80 responses leave HAProxy within ~3 ms and the clients reconnect at once, so HAProxy's
 * accept queue peaks at tens of connections for a few milliseconds; the lab's samples saw 0.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { readLabCase } from '../../../main/cli/lab'
import { predictLab, simulateLab } from '../../../main/lab/compare'
import { caseSocketSampleS, caseSocketSamplePhases } from '../../../main/sim/fidelity-case'

const root = join(__dirname, '../../..')

describe('lab predictions: sampled socket maxima', () => {
  it('the sample period comes from the case (lab: ~0.1 s; a shared case: 0.25 s)', () => {
    const c = readLabCase(join(root, 'resources/lab/report1-maxconn-100.json'))
    const p = caseSocketSampleS(c)
    expect(p).toBeGreaterThan(0.08)
    expect(p).toBeLessThan(0.2)
    expect(caseSocketSampleS({ id: 'shared', measured: {} })).toBe(0.25)
    // a shared case's sampler started with the load; the lab's drift, so spread phases
    expect(caseSocketSamplePhases({ id: 'shared', measured: {} })).toEqual([0])
    expect(caseSocketSamplePhases(c)).toBeUndefined()
  })

  it('a 3 ms burst in the accept queue is in the exact peak, not in what the sampler sees', () => {
    const c = readLabCase(join(root, 'resources/lab/report1-maxconn-100.json'))
    const r = simulateLab(c)
    const front = r.summary.listeners.find((l) => l.host === 'proxy')!
    expect(front.maxAcceptq).toBeGreaterThan(40)
    expect(front.sampledAcceptq).toBeDefined()
    expect(front.sampledAcceptq!).toBeLessThanOrEqual(3)
    expect(predictLab(c, 1, r)['sockets.max_acceptq_lb_port80']).toBe(front.sampledAcceptq)
    expect(c.measured['sockets.max_acceptq_lb_port80']).toMatchObject({ max: 0 })
  })

  it('a queue that stays full is seen by the sampler too (fd-limit-256: 45 waiting beyond maxconn 115)', () => {
    const c = readLabCase(join(root, 'resources/lab/fd-limit-256-maxconn-computed.json'))
    const r = simulateLab(c)
    const front = r.summary.listeners.find((l) => l.host === 'proxy')!
    expect(front.sampledAcceptq!).toBeGreaterThanOrEqual(33)
    expect(front.sampledAcceptq!).toBeLessThanOrEqual(57)
    expect(front.maxAcceptq).toBeGreaterThan(front.sampledAcceptq!)
  })
})
