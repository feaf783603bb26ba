/**
 * Golden tests: a tiny scenario with an exact, hand-checked event log.
 * Four clients connect at once (20 us apart) straight to a one-worker backend with
 * listen backlog 1 on a 6.18 kernel: accept queue B+1 = 2, SYN queue B+1 = 2 (6.13+ rule),
 * 15 us per hop (an RTT of 30 us: on an RTT-0 hop without a delay link a connect() would
 * complete its handshake inside the syscall, docs/simulator.md "Softirq handshakes", and no
 * ACK could overflow here), exact kernel timers, service 1 s.
 *  - c0 is accepted at once; c1, c2 wait in the accept queue (len 2 = full);
 *  - c3's SYN found a non-full accept queue (request sock), but its ACK + request arrive
 *    when it is full: ListenOverflows, and
 *    abort_on_overflow=0: it stays a request sock; the client's data retransmits
 *      (0.2 s, 0.6 s) fail; the server's SYN-ACK retransmit at 1 s draws a dup ACK that
 *      finds room (c1 was accepted at 1.000045); the request arrives with the 1.4 s data
 *      retransmit; served from 3 s, done at 4 s;
 *    abort_on_overflow=1: reset at once (EmbryonicRsts).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { simulate } from '../../simulator/index'
import { setHostTiming, APP_REACT_S, HOST_JITTER_S, CONNECT_COST_S, KERNEL_HZ } from '../../simulator/model'
import { defaultScenario, type Scenario } from '../../simulator/scenario'
import { decodeResult } from '../../simulator/result'

const saved = [APP_REACT_S, HOST_JITTER_S, CONNECT_COST_S, KERNEL_HZ] as const
afterEach(() => setHostTiming(...saved))

function tiny(abort: 0 | 1): Scenario {
  const s = defaultScenario()
  s.haproxy = null
  s.durationS = 10
  s.drainS = 0
  s.clients = { ...s.clients, mode: 'closed', loadCurve: [], concurrency: 4, totalRequests: 4, requestTimeoutS: null, closesFirst: 'client' }
  s.network = { clientRttMs: 0.03, backendRttMs: 0, jitterMs: 0 }
  s.hosts.backend = { ...s.hosts.backend, version: '6.18', abortOnOverflow: abort }
  s.hosts.client = { ...s.hosts.client, version: '6.18' }
  s.backend = { ...s.backend, kind: 'generic', workers: 1, listenBacklog: 1, serviceTime: { kind: 'constant', s: 1 } }
  return s
}

function run(abort: 0 | 1): { log: string[]; r: ReturnType<typeof decodeResult> } {
  setHostTiming(0, 0, 20e-6, 0) // no reaction time, no jitter, exact timers
  const log: string[] = []
  const r = decodeResult(simulate(tiny(abort), { seed: 1, log }))
  return { log, r }
}

const COMMON = [
  '0.000015 syn-recv conn=0 L=backend:80 synq=1',
  '0.000035 syn-recv conn=1 L=backend:80 synq=2',
  '0.000045 established conn=0 connect_ms=0.030',
  '0.000045 acceptq conn=0 L=backend:80 len=1',
  '0.000045 backend-accept conn=0 server=backend',
  '0.000055 syn-recv conn=2 L=backend:80 synq=2',
  '0.000065 established conn=1 connect_ms=0.030',
  '0.000065 acceptq conn=1 L=backend:80 len=1',
  '0.000075 syn-recv conn=3 L=backend:80 synq=2',
  '0.000085 established conn=2 connect_ms=0.030',
  '0.000085 acceptq conn=2 L=backend:80 len=2',
  '0.000105 established conn=3 connect_ms=0.030'
]

describe('golden event logs', () => {
  it('abort_on_overflow=0: the dropped ACK is retried until the queue has room', () => {
    const { log, r } = run(0)
    expect(log).toEqual([
      ...COMMON,
      '0.000105 ack-overflow drop conn=3 L=backend:80 data=1',
      '0.200150 ack-overflow drop conn=3 L=backend:80 data=1',
      '0.400195 ack-overflow drop conn=3 L=backend:80 data=1',
      '0.800270 ack-overflow drop conn=3 L=backend:80 data=1',
      '1.000045 backend-accept conn=1 server=backend',
      '1.000060 response conn=0 latency_ms=1000.060',
      '1.000075 synack-retransmit conn=3 n=1',
      '1.000105 acceptq conn=3 L=backend:80 len=2',
      '2.000045 backend-accept conn=2 server=backend',
      '2.000060 response conn=1 latency_ms=2000.040',
      '3.000045 backend-accept conn=3 server=backend',
      '3.000060 response conn=2 latency_ms=3000.020',
      '4.000060 response conn=3 latency_ms=4000.000'
    ])
    expect(r.summary.totals).toMatchObject({ requests: 4, ok: 4, failed: 0, inFlight: 0 })
    // ACK + request segment at 105 us, then the tail loss probe at 0.2 s and the RTO re-armed from
    // it at 0.4 and 0.8 s (without the probe, before 3.10: 0.2 and 0.6 s)
    expect(r.summary.kernel.backend).toMatchObject({ ListenOverflows: 5, ListenDrops: 5, EmbryonicRsts: 0 })
  })

  it('abort_on_overflow=1: the overflowing ACK is answered with a reset', () => {
    const { log, r } = run(1)
    expect(log).toEqual([
      ...COMMON,
      '0.000105 ack-overflow reset conn=3 L=backend:80',
      '0.000105 fail conn=3 cause=reset after_ms=0.045',
      '1.000045 backend-accept conn=1 server=backend',
      '1.000060 response conn=0 latency_ms=1000.060',
      '2.000045 backend-accept conn=2 server=backend',
      '2.000060 response conn=1 latency_ms=2000.040',
      '3.000060 response conn=2 latency_ms=3000.020'
    ])
    expect(r.summary.totals).toMatchObject({ ok: 3, failed: 1 })
    expect(r.summary.totals.byCause.reset).toBe(1)
    expect(r.summary.kernel.backend).toMatchObject({ ListenOverflows: 1, EmbryonicRsts: 1 })
  })

  it('is deterministic: the same seed gives the same bytes, another seed other arrivals', () => {
    const s = defaultScenario()
    s.durationS = 20
    const a = new Uint8Array(simulate(s, { seed: 42 }))
    const b = new Uint8Array(simulate(s, { seed: 42 }))
    const c = new Uint8Array(simulate(s, { seed: 43 }))
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true)
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false)
  })
})
