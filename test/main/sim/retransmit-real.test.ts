/**
 * Ground truth for the simulator's retransmit schedules, asked of this kernel directly: in a
 * fresh network namespace packets are dropped at the receiver's input hook (nftables) and the
 * sender's retransmit times are read from `ss -ti` (test/fixtures/kernel/retransmit-probe.mjs).
 *  - A request nobody acknowledges (simulator/model.ts, requestResendDelay): when the final ACK
 *    and the request are dropped at a full accept queue, the client resends the request until
 *    one finds room, and every resend that meets a full queue counts ListenOverflows again. The
 *    tail loss probe first, then the RTO re-armed from it (1, 2, 4, 8 x RTO), and the probe
 *    after 1 s when the handshake gave no RTT sample (timestamps off, SYN retransmitted).
 *  - A SYN nobody answers (simulator/scenario.ts, synSchedule): 1 s apart for the first
 *    `tcp_syn_linear_timeouts` retransmits on 6.5+, then doubling.
 *  - A request sock whose final ACK is dropped (synackSchedule): its SYN-ACK again after 1, 3,
 *    7 ... s; each answered by the client's dup ACK, which is what retries the promotion into a
 *    full accept queue.
 */
import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { requireRoot, requireTool } from '../../helpers/require-tool'
import { requestResendDelay, RTO_FALLBACK_S, RTO_MIN_S } from '../../../simulator/model'
import { defaultKernel, synackSchedule, synSchedule } from '../../../simulator/scenario'

const tools = ['unshare', 'nft', 'ss', 'ip', 'sysctl'].map((t) => requireTool(t))
const ready = tools.every(Boolean) && requireRoot()
const PROBE = join(__dirname, '../../fixtures/kernel/retransmit-probe.mjs')

interface Probe {
  synRetrans: number
  rtoMs: number | null
  resends: [number, number][]
  /** The first send left within [0, sentBy] s of the probe's clock start. */
  sentBy: number
}

function probe(mode: 'request' | 'syn' | 'synack', arg: number, seconds: number): Promise<Probe> {
  return new Promise((resolve, reject) => {
    execFile('unshare', ['-n', process.execPath, PROBE, mode, String(arg), String(seconds)], { timeout: (seconds + 20) * 1000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`))
      else resolve(JSON.parse(stdout) as Probe)
    })
  })
}

/** The model's resend times after the request, cumulative. */
function modelTimes(rtoS: number, sampled: boolean, count: number): number[] {
  const out: number[] = []
  let t = 0
  for (let n = 0; n < count; n++) out.push((t += requestResendDelay(n, rtoS, sampled)))
  return out
}

/**
 * Each model time (s after the first send) within 6 % + 20 ms of the interval that holds the
 * measured resend (the margin: timer-wheel rounding and jiffies, which the model applies with the
 * host's own HZ). The probe's clock starts up to `sentBy` s before the first send left (a busy
 * machine delays the tick that makes the connect(2) call: once 100 ms in a CI run), so a resend
 * measured at [lo, hi] on that clock is [lo - sentBy, hi] after the first send.
 */
function expectClose(measured: [number, number][], model: number[], sentBy = 0): void {
  expect(measured.length).toBeGreaterThanOrEqual(model.length)
  model.forEach((m, i) => {
    const [lo, hi] = measured[i]!
    const tol = 0.06 * m + 0.02
    const what = `resend ${i + 1}: measured in [${lo.toFixed(3)}, ${hi.toFixed(3)}] s (first send within ${sentBy.toFixed(3)} s), model ${m.toFixed(3)} s`
    expect(m, what).toBeGreaterThanOrEqual(lo - sentBy - tol)
    expect(m, what).toBeLessThanOrEqual(hi + tol)
  })
}

// concurrent: each probe has its own namespace, and its intervals stay true on a busy machine
describe.skipIf(!ready)('retransmits on this kernel vs the model', { concurrent: true }, () => {
  it('with an RTT sample: the probe after one RTO, then 1, 2, 4 x RTO (0.2, 0.4, 0.8, 1.6, 3.2 s)', async () => {
    const r = await probe('request', 1, 3.7)
    expect(r.synRetrans).toBe(0)
    expect(r.rtoMs).not.toBeNull()
    // the kernel's RTO for a loopback handshake: RTO_MIN plus a few ms of rounding
    expect(r.rtoMs! / 1000).toBeGreaterThanOrEqual(RTO_MIN_S)
    expect(r.rtoMs! / 1000).toBeLessThan(RTO_MIN_S + 0.02)
    expectClose(r.resends, modelTimes(r.rtoMs! / 1000, true, 5))
    // without the probe the second resend would come at 3 x RTO: the measurement rules that out
    expect(r.resends[1]![0]).toBeLessThan(2.5 * (r.rtoMs! / 1000))
  })

  it('without an RTT sample: the probe after 1 s, then the 3 s fallback RTO (1, 4 s)', async () => {
    const r = await probe('request', 0, 4.8)
    expect(r.synRetrans).toBe(1) // the dropped first SYN: the handshake gives no RTT sample
    expectClose(r.resends, modelTimes(RTO_FALLBACK_S, false, 2))
  })

  // send times after the first one (s), as the model has them for this kernel's profile
  const k618 = defaultKernel('6.18')
  const cases: [string, 'syn' | 'synack', number, number[], number[]][] = [
    ['SYN retransmits with tcp_syn_linear_timeouts 4 (6.5+): 1, 2, 3, 4, 5 s, then 7, 11 s', 'syn', 4, synSchedule({ ...k618, synLinearTimeouts: 4 }).sendS, [1, 2, 3, 4, 5, 7, 11]],
    ['SYN retransmits with tcp_syn_linear_timeouts 0: the exponential backoff of older kernels, 1, 3, 7 s', 'syn', 0, synSchedule({ ...k618, synLinearTimeouts: 0 }).sendS, [1, 3, 7]],
    ['SYN-ACK retransmits of a request sock whose final ACK is dropped: 1, 3, 7 s', 'synack', 5, synackSchedule({ ...k618, synackRetries: 5 }).sendS, [1, 3, 7]]
  ]
  it.each(cases)('%s', async (_name, mode, arg, sendS, expected) => {
    const until = expected[expected.length - 1]! + 0.5
    const model = sendS.slice(1).filter((t) => t < until)
    expect(model).toEqual(expected)
    const r = await probe(mode, arg, until + 0.1)
    expectClose(r.resends, model, r.sentBy)
    expect(r.resends).toHaveLength(model.length)
  })
})
