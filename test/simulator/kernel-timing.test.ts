/**
 * Kernel timing mechanisms, each checked against numbers derived by hand from the kernel source:
 *  - timer wheel (kernel/time/timer.c calc_wheel_index / calc_index, 4.8+): a timer lands in the
 *    level its distance in jiffies selects (level L from 63 << 3(L-1) jiffies) and fires at the next
 *    multiple of 8^L jiffies strictly after its expiry; CONFIG_HZ per host, by profile by default;
 *  - the first data RTO after a handshake whose SYN was retransmitted (tcp_init_metrics,
 *    tcp_ack_update_rtt): 3 s TCP_TIMEOUT_FALLBACK only without timestamps; with timestamps the
 *    TS echo of the SYN-ACK is an RTT sample (RTTM rule) and the RTO is RTO_MIN + RTT;
 *  - softirq handshakes on a hop without added delay (net/core/dev.c netif_rx + local_bh_enable,
 *    veth / loopback; switched on by setSoftirqHandshake): a connect() from process context
 *    completes inside the syscall; SYNs retransmitted from the timer softirq reach the listener
 *    before any of their ACKs; request segments resent from the timer softirq queue the same way,
 *    and php-fpm's children that a packet of such a burst woke accept only once it is done
 *    (setBurstWakeOwners).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { simulate } from '../../simulator/index'
import { setHostTiming, setSoftirqHandshake, setBurstWakeOwners, DEFAULT_SOFTIRQ_S, APP_REACT_S, HOST_JITTER_S, CONNECT_COST_S, KERNEL_HZ, BURST_WAKE_OWNERS } from '../../simulator/model'
import { defaultKernel, defaultScenario, kernelHz, timerAt, type Scenario } from '../../simulator/scenario'
import { decodeResult } from '../../simulator/result'

const saved = [APP_REACT_S, HOST_JITTER_S, CONNECT_COST_S, KERNEL_HZ] as const
const savedBurstWake = BURST_WAKE_OWNERS
afterEach(() => {
  setHostTiming(...saved)
  setSoftirqHandshake(false, DEFAULT_SOFTIRQ_S)
  setBurstWakeOwners(savedBurstWake)
})

/** `users` closed-loop clients straight to the backend (no HAProxy), one request each, over hops without added delay. */
function direct(users: number, durationS: number): Scenario {
  const s = defaultScenario()
  s.haproxy = null
  s.durationS = durationS
  s.drainS = 0
  s.clients = { ...s.clients, mode: 'closed', loadCurve: [], concurrency: users, totalRequests: users, requestTimeoutS: null, closesFirst: 'client' }
  s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
  return s
}

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
      const s = direct(2, 4)
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
 * A SYN retransmit counts (TCPSynRetrans, the log) when it leaves, not when it reaches the
 * listener: the model handles a dropped SYN's retransmit as one event at its arrival and does
 * the timer's bookkeeping there, or when the connection ends first. 200 ms one way: the SYNs
 * (sent 20 us apart) reach the listener at 0.2 s, the second is dropped (SYN queue B+1 = 1), its
 * retransmit leaves at 1.024 s (HZ 250) and would arrive at 1.224 s.
 */
describe('SYN retransmits count when they leave', () => {
  const run = (connectTimeoutS: number | null, durationS: number): { retrans: number; log: string[] } => {
    setHostTiming(0, 0, 20e-6, -1)
    const s = defaultScenario()
    s.haproxy = null
    s.durationS = durationS
    s.drainS = 0
    s.clients = { ...s.clients, mode: 'closed', loadCurve: [], concurrency: 2, totalRequests: 2, requestTimeoutS: null, connectTimeoutS, closesFirst: 'client' }
    s.network = { clientRttMs: 400, backendRttMs: 0, jitterMs: 0 }
    s.hosts.client = { ...defaultKernel('6.18'), hz: 250 }
    s.hosts.backend = { ...defaultKernel('6.18'), hz: 250, syncookies: 0 }
    s.backend = { ...s.backend, kind: 'generic', workers: 0, listenBacklog: 0, serviceTime: { kind: 'constant', s: 10 } }
    const log: string[] = []
    const r = decodeResult(simulate(s, { seed: 1, log })).summary
    return { retrans: r.kernel.client.TCPSynRetrans, log }
  }
  const times = (log: string[], what: string): number[] => log.filter((l) => l.includes(what)).map((l) => Number(l.split(' ')[0]))

  it('arrives and is dropped again: counted, logged at its departure, the log in time order', () => {
    const { retrans, log } = run(null, 3)
    expect(retrans).toBe(2) // 1.024 and 2.048 s (the third would leave at 3.072 s, after the end)
    expect(times(log, 'syn-retransmit')).toEqual([1.024, 2.048])
    expect(times(log, 'syn-drop')).toEqual([0.20002, 1.224, 2.248])
    const all = log.map((l) => Number(l.split(' ')[0]))
    expect(all).toEqual([...all].sort((a, b) => a - b))
  })
  it('the connect timeout fires while it is in flight: still counted', () => {
    const { retrans, log } = run(1.1, 3)
    expect(retrans).toBe(1)
    expect(times(log, 'syn-retransmit')).toEqual([1.024])
    // the client's socket is gone at 1.1 s, the retransmit that left at 1.024 s is not: it still
    // reaches the listener at 1.224 s (a ghost, ghostSyn) and is dropped there again
    expect(times(log, 'syn-drop')).toEqual([0.20002, 1.224])
    expect(times(log, 'syn-ghost')).toEqual([1.10002]) // c1 started 20 us after c0
    expect(log.some((l) => l.includes('connect-timeout conn=1'))).toBe(true)
  })
  it('the connect timeout fires before it leaves: not counted', () => {
    expect(run(1.0, 3).retrans).toBe(0)
  })
  it('the run ends while it is in flight: counted', () => {
    expect(run(null, 1.1).retrans).toBe(1)
    expect(run(null, 1.0).retrans).toBe(0)
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
 * The first resend is the tail loss probe (TLP), then the RTO from the probe on, doubling:
 *  - timestamps on: RTT sample from the TS echo, RTO 0.2 s + RTT: resent at ~1.2 (probe), 1.4
 *    (queue full both times) and 1.8 s (c2 was accepted at 1.800045): queued, taken by the worker
 *    at 2.700045, done at 3.600045 (+15 us);
 *  - timestamps off: no RTT sample (Karn), RTO 3 s (TCP_TIMEOUT_FALLBACK) and the probe after
 *    TCP_TIMEOUT_INIT, 1 s: resent at ~2.0001 s (room by then), the next resend would be 3 s later.
 * Both schedules as measured on this kernel with the request dropped at the receiver's input hook
 * (nftables, `ss -ti` retrans count): 0.23, 0.43, 0.88, 1.70 s at RTO 204 ms; without timestamps
 * after a retransmitted SYN 1.0, 4.2, 10.4 s.
 */
describe('data RTO after a retransmitted SYN', () => {
  const c3Done = (ts: 0 | 1): { drops: number[]; queued: number; done: number } => {
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
    const at = (what: string): number[] => log.filter((l) => l.includes(`${what} conn=3 `)).map((l) => Number(l.split(' ')[0]))
    const done = at('response')
    expect(done).toHaveLength(1)
    // the request segment: dropped with the ACK, then every resend until one finds room
    return { drops: at('ack-overflow drop'), queued: at('acceptq')[0]!, done: done[0]! }
  }
  it('with timestamps the request is resent after ~0.2 s (RTT sample from the TS echo), then 0.2 and 0.4 s later', () => {
    const r = c3Done(1)
    expect(r.drops).toHaveLength(3)
    expect(r.drops[1]! - r.drops[0]!).toBeCloseTo(0.2, 3) // the probe: min(2 srtt + 200 ms, RTO)
    expect(r.drops[2]! - r.drops[1]!).toBeCloseTo(0.2, 3) // the RTO re-armed from the probe, not backed off
    expect(r.queued - r.drops[2]!).toBeCloseTo(0.4, 3) // then doubled
    expect(r.done).toBeCloseTo(3.600045 + 15e-6, 5)
  })
  it('without timestamps the probe waits 1 s (TCP_TIMEOUT_INIT): no RTT sample after a retransmitted SYN', () => {
    const r = c3Done(0)
    expect(r.drops).toHaveLength(1)
    expect(r.queued - r.drops[0]!).toBeCloseTo(1.0, 3)
    expect(r.done).toBeCloseTo(3.600045 + 15e-6, 5)
  })
})

describe('pruning of old request socks (semantics 2.2, reqsk_timer_handler)', () => {
  it('cuts the SYN-ACK retry budget of old requests when the SYN queue is more than half full', async () => {
    const { prunedSynackRetries } = await import('../../simulator/model')
    // 4.4+: (qlen << 1) > max(8, B); B = 8: qlen 4 is not crowded, qlen 5 is
    expect(prunedSynackRetries(5, 4, 0, 0, 8)).toBe(5)
    // crowded, no young request: qlen >= 0 at every step, down to the floor of 2
    expect(prunedSynackRetries(5, 5, 0, 0, 8)).toBe(2)
    // young 3 of qlen 7: 7 >= 6 -> 4; 7 < 12 -> stop
    expect(prunedSynackRetries(5, 7, 3, 0, 8)).toBe(4)
    // young 1 of 7: 7 >= 2 -> 4, 7 >= 4 -> 3, 7 < 8 -> stop
    expect(prunedSynackRetries(5, 7, 1, 0, 8)).toBe(3)
    // half young: 7 < 8 at once, the budget stays
    expect(prunedSynackRetries(5, 7, 4, 0, 8)).toBe(5)
    // max(8, B): with B = 100 the threshold is qlen > 50
    expect(prunedSynackRetries(5, 50, 0, 0, 100)).toBe(5)
    expect(prunedSynackRetries(5, 51, 0, 0, 100)).toBe(2)
    // a budget of 2 or less is never cut
    expect(prunedSynackRetries(2, 9, 0, 0, 8)).toBe(2)
    expect(prunedSynackRetries(1, 9, 0, 0, 8)).toBe(1)
    // <= 4.3 (power-of-two table of 16): crowded from qlen >= 8 (qlen >> (max_qlen_log - 1))
    expect(prunedSynackRetries(5, 7, 0, 16, 8)).toBe(5)
    expect(prunedSynackRetries(5, 8, 0, 16, 8)).toBe(2)
  })

  it('old acked requests in a crowded queue expire after 2 SYN-ACK retransmits until the queue is half empty', () => {
    setHostTiming(0, 0, 20e-6, -1)
    const s = defaultScenario()
    s.haproxy = null
    s.durationS = 90
    s.drainS = 0
    // a connection per ms for 40 ms, 10 ms RTT, to a listener (B = 8, SYN queue B+1) whose
    // process never accepts: the first 9 ACKs fill the accept queue (B+1) while 8 later SYNs
    // enter the SYN queue; their ACKs overflow, so their request socks stay, old after one timer
    s.clients = { ...s.clients, mode: 'open', arrivals: 'even', arrivalBatch: 1, loadCurve: [{ tS: 0, rate: 1000 }, { tS: 0.04, rate: 1000 }, { tS: 0.0401, rate: 0 }, { tS: 90, rate: 0 }], requestTimeoutS: null, closesFirst: 'client' }
    s.network = { clientRttMs: 10, backendRttMs: 0, jitterMs: 0 }
    s.hosts.backend = { ...defaultKernel('6.5+'), syncookies: 0, somaxconn: 8 }
    s.backend = { ...s.backend, kind: 'generic', workers: 0, listenBacklog: 8, serviceTime: { kind: 'constant', s: 1 } }
    const log: string[] = []
    simulate(s, { seed: 1, log })
    const expired = log.filter((l) => l.includes('reqsk-expired'))
    const at = (l: string): number => Number(l.split(' ')[0])
    const connOf = (l: string): string => l.match(/conn=(\d+)/)![1]!
    expect(expired.length).toBe(8)
    // timers at ~1, 3, 7 s (timer wheel, HZ 250): at the third, qlen 8 > 4 with no young request
    // cuts the budget to 2, so requests expire (num_timeout 2 >= 2) ...
    const early = expired.filter((l) => at(l) < 10)
    expect(early.length).toBe(4)
    for (const l of early) expect(at(l)).toBeCloseTo(7.168, 6)
    // ... until qlen is 4 (4 << 1 is not > max(8, B)): the other half keeps the full budget of 5
    // retransmits and expires at ~63 s
    for (const l of expired.filter((l) => at(l) >= 10)) expect(at(l)).toBeGreaterThan(63)
    const retx = (c: string): number => log.filter((l) => l.includes('synack-retransmit') && l.includes(`conn=${c} `)).length
    expect(retx(connOf(early[0]!))).toBe(2)
    expect(retx(connOf(expired[7]!))).toBe(5)
    // the client learns it at its next data retransmit (RST from the listener), not at expiry
    const reset = log.find((l) => l.includes(`fail conn=${connOf(early[0]!)} `))!
    expect(reset).toContain('cause=reset')
    expect(at(reset)).toBeGreaterThan(7.168)
  })
})

/**
 * Closed-loop clients over a hop with RTT 0 to a generic backend (6.18, syncookies 0) with no
 * jitter and no reaction time: users connect 20 us apart and each connect() runs 15 us later.
 */
describe('softirq handshakes on a hop without added delay', () => {
  const run = (softirq: boolean, users: number, workers: number, backlog: number, serviceS: number, durationS: number) => {
    setHostTiming(0, 0, 20e-6, -1)
    setSoftirqHandshake(softirq, DEFAULT_SOFTIRQ_S)
    const s = direct(users, durationS)
    s.hosts.backend = { ...defaultKernel('6.18'), syncookies: 0 }
    s.backend = { ...s.backend, kind: 'generic', workers, listenBacklog: backlog, serviceTime: { kind: 'constant', s: serviceS } }
    const log: string[] = []
    const r = decodeResult(simulate(s, { seed: 1, log })).summary
    return { log, r }
  }

  it('a burst of connects meets the full accept queue at SYN time: no ACK overflows', () => {
    // backlog 1: the accept queue holds B+1 = 2 and nothing accepts. c0 and c1 complete inside
    // their connect() (15 and 35 us); c2 and c3 find the queue full at their SYN (55, 75 us)
    const { log, r } = run(true, 4, 0, 1, 10, 0.5)
    expect(log).toEqual([
      '0.000015 syn-recv conn=0 L=backend:80 synq=1',
      '0.000015 established conn=0 connect_ms=0.015',
      '0.000015 acceptq conn=0 L=backend:80 len=1',
      '0.000035 syn-recv conn=1 L=backend:80 synq=1',
      '0.000035 established conn=1 connect_ms=0.015',
      '0.000035 acceptq conn=1 L=backend:80 len=2',
      '0.000055 syn-drop acceptq-full conn=2 L=backend:80',
      '0.000075 syn-drop acceptq-full conn=3 L=backend:80'
    ])
    expect(r.kernel.backend).toMatchObject({ ListenOverflows: 2, ListenDrops: 2, TCPReqQFullDrop: 0 })
    // with a one-way delay per packet instead, c2's SYN (55 us) still sees one slot (c1's ACK
    // arrives at 65 us): it gets a request sock and its ACK + request overflow at 85 us
    const old = run(false, 4, 0, 1, 10, 0.5).log
    expect(old).toContain('0.000055 syn-recv conn=2 L=backend:80 synq=2')
    expect(old).toContain('0.000085 ack-overflow drop conn=2 L=backend:80 data=1')
  })

  it('the SYN retransmits of one jiffy fill the SYN queue before their ACKs', () => {
    // backlog 2: accept queue and SYN queue hold 3 each on 6.18; one worker, 1 s service.
    // c0 is taken at once, c1..c3 fill the accept queue, c4..c7 (80..140 us) are dropped at SYN
    // time; their retries are due at ~1.00008..1.00014 s, which the timer wheel (HZ 250, level 1,
    // 8 jiffies) rounds to 1.024 s. At 1.000015 the worker takes c1: one slot is free. NET_RX
    // handles the jiffy's 4 SYNs 3 us apart (DEFAULT_SOFTIRQ_S, measured): c4..c6 get request
    // socks (the accept queue is not full yet), c7 meets a full SYN queue; then the ACKs, 3 us
    // apart: c4 takes the slot, c5 and c6 overflow and their request socks stay in the SYN queue;
    // their requests, written after the burst, find the queue still full
    const { log, r } = run(true, 8, 1, 2, 1, 1.1)
    expect(log.filter((l) => Number(l.split(' ')[0]) < 0.001 && l.includes('syn-drop acceptq-full')).length).toBe(4)
    expect(log.filter((l) => Number(l.split(' ')[0]) > 1.0239 && !l.includes('syn-retransmit'))).toEqual([
      '1.024003 syn-recv conn=4 L=backend:80 synq=1',
      '1.024006 syn-recv conn=5 L=backend:80 synq=2',
      '1.024009 syn-recv conn=6 L=backend:80 synq=3',
      '1.024012 syn-drop synq-full conn=7 L=backend:80',
      '1.024015 established conn=4 connect_ms=1023.935',
      '1.024015 acceptq conn=4 L=backend:80 len=3',
      '1.024018 established conn=5 connect_ms=1023.918',
      '1.024018 ack-overflow drop conn=5 L=backend:80 data=0',
      '1.024021 established conn=6 connect_ms=1023.901',
      '1.024021 ack-overflow drop conn=6 L=backend:80 data=0',
      // the clients write their requests once they run, after the burst (reaction time 0 here)
      '1.024021 ack-overflow drop conn=5 L=backend:80 data=1',
      '1.024021 ack-overflow drop conn=6 L=backend:80 data=1'
    ])
    expect(r.kernel.backend.TCPReqQFullDrop).toBe(1)
  })
})

describe('php-fpm children woken by a softirq burst (fpm-tcp-listen-backlog-8)', () => {
  // 12 users through nginx to php-fpm on TCP: listen.backlog 2 (accept queue 3), 2 children x 5 ms.
  // At t = 0 nginx's connects fill the children and the queue; the other 7 lose their SYNs and
  // retry together at 1.024 s (timer wheel, HZ 250)
  const run = (mask: number) => {
    setHostTiming(0, 0, 20e-6, -1)
    setSoftirqHandshake(true, DEFAULT_SOFTIRQ_S)
    setBurstWakeOwners(mask)
    const s = direct(12, 3)
    s.hosts.backend = { ...defaultKernel('6.18'), syncookies: 1 }
    s.backend = { ...s.backend, kind: 'nginx-php-fpm', serviceTime: { kind: 'constant', s: 0.005 }, phpFpm: { children: 2, listenBacklog: 2, socket: 'tcp', requestOverheadMs: 0 } }
    const log: string[] = []
    const r = decodeResult(simulate(s, { seed: 1, log })).summary
    return { log: log.filter((l) => Number(l.split(' ')[0]) > 1 && /php-fpm:9000|fpm-accept/.test(l)), r }
  }

  it('a burst admits the accept queue (B + 1); the children and the requests come after it; each resend wave again', () => {
    const { log, r } = run(4)
    expect(log).toEqual([
      '1.024003 syn-recv conn=11 L=php-fpm:9000 synq=1',
      '1.024006 syn-recv conn=13 L=php-fpm:9000 synq=2',
      '1.024009 syn-recv conn=15 L=php-fpm:9000 synq=3',
      '1.024012 syn-cookie conn=17 L=php-fpm:9000',
      '1.024015 syn-cookie conn=19 L=php-fpm:9000',
      '1.024018 syn-cookie conn=21 L=php-fpm:9000',
      '1.024021 syn-cookie conn=23 L=php-fpm:9000',
      '1.024024 acceptq conn=11 L=php-fpm:9000 len=1',
      '1.024027 acceptq conn=13 L=php-fpm:9000 len=2',
      '1.024030 acceptq conn=15 L=php-fpm:9000 len=3',
      '1.024033 ack-overflow drop conn=17 L=php-fpm:9000 data=0',
      '1.024036 ack-overflow drop conn=19 L=php-fpm:9000 data=0',
      '1.024039 ack-overflow drop conn=21 L=php-fpm:9000 data=0',
      '1.024042 ack-overflow drop conn=23 L=php-fpm:9000 data=0',
      // the burst's last packet was handled at 1.024042: only now do the woken children run, and
      // nginx writes the four requests (reaction time 0 here): two find room, two are dropped
      '1.024042 fpm-accept fcgi=11',
      '1.024042 fpm-accept fcgi=13',
      '1.024042 acceptq conn=17 L=php-fpm:9000 len=2',
      '1.024042 acceptq conn=19 L=php-fpm:9000 len=3',
      '1.024042 ack-overflow drop conn=21 L=php-fpm:9000 data=1',
      '1.024042 ack-overflow drop conn=23 L=php-fpm:9000 data=1',
      '1.029042 fpm-accept fcgi=15',
      '1.029042 fpm-accept fcgi=17',
      '1.034042 fpm-accept fcgi=19',
      // their first resend (RTO_MIN + RTT from the TS echo, rounded by the wheel) leaves from one
      // jiffy: NET_RX handles the two 3 us apart, and the idle children take them after it
      '1.232003 acceptq conn=21 L=php-fpm:9000 len=1',
      '1.232006 acceptq conn=23 L=php-fpm:9000 len=2',
      '1.232006 fpm-accept fcgi=21',
      '1.232006 fpm-accept fcgi=23'
    ])
    // 7 SYNs at t = 0; 4 ACKs at 1.024; 2 requests right after the burst
    expect(r.kernel.backend).toMatchObject({ ListenOverflows: 13, SyncookiesSent: 4, TCPSynRetrans: 7 })
  })

  it('children that accept inside the burst (the model before) take its ACKs as they come', () => {
    const { log, r } = run(0)
    expect(log).toContain('1.024024 fpm-accept fcgi=11')
    expect(log).toContain('1.024027 fpm-accept fcgi=13')
    const inBurst = (l: string): boolean => Number(l.split(' ')[0]) < 1.024042 && l.includes('acceptq')
    expect(log.filter(inBurst)).toHaveLength(5)
    expect(run(4).log.filter(inBurst)).toHaveLength(3)
    expect(r.kernel.backend.ListenOverflows).toBe(11)
  })
})
