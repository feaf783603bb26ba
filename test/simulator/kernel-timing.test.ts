/**
 * Kernel timing mechanisms, each checked against numbers derived by hand from the kernel source:
 *  - timer wheel (kernel/time/timer.c calc_wheel_index / calc_index, 4.8+): a timer lands in the
 *    level its distance in jiffies selects (level L from 63 << 3(L-1) jiffies) and fires at the next
 *    multiple of 8^L jiffies strictly after its expiry; CONFIG_HZ per host, by profile by default;
 *  - the first data RTO after a handshake whose SYN was retransmitted (tcp_init_metrics,
 *    tcp_ack_update_rtt): 3 s TCP_TIMEOUT_FALLBACK only without timestamps; with timestamps the
 *    TS echo of the SYN-ACK is an RTT sample (RTTM rule) and the RTO is RTO_MIN + RTT.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { simulate } from '../../simulator/index'
import { setHostTiming, APP_REACT_S, HOST_JITTER_S, CONNECT_COST_S, KERNEL_HZ } from '../../simulator/model'
import { defaultKernel, defaultScenario, kernelHz, timerAt } from '../../simulator/scenario'
import { decodeResult } from '../../simulator/result'

const saved = [APP_REACT_S, HOST_JITTER_S, CONNECT_COST_S, KERNEL_HZ] as const
afterEach(() => setHostTiming(...saved))

describe('timer wheel granularity (4.8+)', () => {
  it('rounds up to the level granularity, strictly after the expiry', () => {
    // 1 s at HZ 250 = 250 jiffies: level 1 (63..503), granularity 8 -> 256 jiffies
    expect(timerAt(0, 1, true, 250)).toBeCloseTo(1.024, 9)
    // HZ 1000: 1000 jiffies, level 2 (504..4031), granularity 64 -> 1024 jiffies
    expect(timerAt(0, 1, true, 1000)).toBeCloseTo(1.024, 9)
    // HZ 100: 100 jiffies, level 1 -> 104 jiffies; HZ 300: 300 -> 304 jiffies
    expect(timerAt(0, 1, true, 100)).toBeCloseTo(1.04, 9)
    expect(timerAt(0, 1, true, 300)).toBeCloseTo(304 / 300, 9)
    // 200 ms RTO at HZ 250 = 50 jiffies: level 0 still fires one jiffy late
    expect(timerAt(0, 0.2, true, 250)).toBeCloseTo(0.204, 9)
    // 3 s at HZ 250 = 750 jiffies: level 2, granularity 64 -> 768 jiffies
    expect(timerAt(0, 3, true, 250)).toBeCloseTo(3.072, 9)
    // armed mid-bucket: now = 10 jiffies, expiry 260 -> 264 (the next multiple of 8 above 260)
    expect(timerAt(0.04, 1, true, 250)).toBeCloseTo(1.056, 9)
    // before 4.8 the timer fires on its jiffy; hz 0 means exact
    expect(timerAt(0, 1, false, 250)).toBeCloseTo(1, 9)
    expect(timerAt(0.0001, 1, true, 0)).toBe(1.0001)
  })
  it('CONFIG_HZ comes from the host, else from the profile build', () => {
    expect(kernelHz(defaultKernel('3.10'))).toBe(1000)
    expect(kernelHz(defaultKernel('6.18'))).toBe(250)
    expect(kernelHz({ ...defaultKernel('6.18'), hz: 1000 })).toBe(1000)
  })
  it('linear SYN retries on 6.18 leave every 1.024 s at HZ 250, every 1.04 s at HZ 100', () => {
    const at = (hz: number): number[] => {
      setHostTiming(0, 0, 20e-6, -1)
      const s = defaultScenario()
      s.haproxy = null
      s.durationS = 4
      s.drainS = 0
      s.clients = { ...s.clients, mode: 'closed', loadCurve: [], concurrency: 2, totalRequests: 2, requestTimeoutS: null, closesFirst: 'client' }
      s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
      // listen backlog 0, syncookies 0: the second client's SYN meets a full SYN queue (B+1 = 1),
      // its retries a full accept queue (the first connection, never accepted)
      s.hosts.client = { ...defaultKernel('6.18'), hz }
      s.hosts.backend = { ...defaultKernel('6.18'), hz, syncookies: 0 }
      s.backend = { ...s.backend, kind: 'generic', workers: 0, listenBacklog: 0, serviceTime: { kind: 'constant', s: 10 } }
      const log: string[] = []
      simulate(s, { seed: 1, log })
      return log.filter((l) => l.includes('syn-retransmit')).map((l) => Number(l.split(' ')[0]))
    }
    // first SYN at 20 us (jiffy 0): retries at 256, 512, 768 jiffies of 4 ms
    expect(at(250)).toEqual([1.024, 2.048, 3.072])
    // HZ 100: 104, 208, 312 jiffies of 10 ms
    expect(at(100)).toEqual([1.04, 2.08, 3.12])
  })
})

/**
 * Backlog 0 (accept queue and SYN queue hold 1 each on 6.18), one worker, 0.9 s service, exact
 * timers, 15 us per hop, four clients 20 us apart. c0 is served at once; c1 (cookie: SYN queue
 * full) waits in the accept queue; c2's SYN got a request sock but its ACK + request overflowed;
 * c3's SYN is dropped (accept queue full) and retried at 1.000060 s. The queue is empty then (c1
 * was accepted at 0.900045), but c2's dup ACK (SYN-ACK retransmit at 1.000055) takes the slot, so
 * c3 (a cookie: c2 still holds the SYN queue) has its ACK + request dropped at 1.000105: c3 is
 * ESTABLISHED after a retransmitted SYN and must resend its request.
 *  - timestamps on: RTO 0.2 s + RTT, doubling: resent at ~1.2, 1.6 (queue full) and 2.4 s (c2 was
 *    accepted at 1.800045): queued, taken by the worker at 2.700045, done at 3.600045 (+15 us);
 *  - timestamps off: RTO 3 s (no RTT sample from the handshake): resent at ~4.0001 s, served at
 *    once, done ~4.9 s.
 */
describe('data RTO after a retransmitted SYN', () => {
  const c3Done = (ts: 0 | 1): number => {
    setHostTiming(0, 0, 20e-6, 0)
    const s = defaultScenario()
    s.haproxy = null
    s.durationS = 10
    s.drainS = 0
    s.clients = { ...s.clients, mode: 'closed', loadCurve: [], concurrency: 4, totalRequests: 4, requestTimeoutS: null, closesFirst: 'client' }
    s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
    s.hosts.client = { ...defaultKernel('6.18'), timestamps: ts }
    s.hosts.backend = { ...defaultKernel('6.18'), timestamps: ts }
    s.backend = { ...s.backend, kind: 'generic', workers: 1, listenBacklog: 0, serviceTime: { kind: 'constant', s: 0.9 } }
    const log: string[] = []
    const r = decodeResult(simulate(s, { seed: 1, log })).summary
    expect(r.totals).toMatchObject({ ok: 4, failed: 0 })
    expect(log).toContain('1.000105 ack-overflow drop conn=3 L=backend:80 data=1')
    // one SYN retransmit (c3) on the client; one SYN-ACK retransmit (c2) on the server, which
    // tcp_rtx_synack counts as TCPSynRetrans in the listener's namespace
    expect(r.kernel.client.TCPSynRetrans).toBe(1)
    expect(r.kernel.backend.TCPSynRetrans).toBe(1)
    const done = log.filter((l) => l.includes('response conn=3')).map((l) => Number(l.split(' ')[0]))
    expect(done).toHaveLength(1)
    return done[0]!
  }
  it('with timestamps the request is resent after ~0.2 s (RTT sample from the TS echo)', () => {
    expect(c3Done(1)).toBeCloseTo(3.600045 + 15e-6, 5)
  })
  it('without timestamps it waits for the 3 s TCP_TIMEOUT_FALLBACK', () => {
    const t = c3Done(0)
    expect(t).toBeGreaterThan(4.9)
    expect(t).toBeLessThan(4.91)
  })
})
