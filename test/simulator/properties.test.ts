/**
 * Property tests through the full pipeline model: conservation, Little's law, M/M/c/K
 * blocking and Erlang C waiting probability (closed forms) within statistical tolerance.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { simulate } from '../../simulator/index'
import { decodeResult } from '../../simulator/result'
import { defaultScenario, defaultHaproxy, type Scenario } from '../../simulator/scenario'
import { mmckBlocking, erlangC } from '../../simulator/mmck'

/** Clients straight to a generic backend: c workers, accept queue B+1, Poisson arrivals, Exp service. */
function queueing(c: number, B: number, lambda: number, meanS: number, durationS: number, connectTimeoutS: number | null): Scenario {
  const s = defaultScenario()
  s.haproxy = null
  s.durationS = durationS
  s.drainS = 60
  s.clients = { ...s.clients, mode: 'open', loadCurve: [{ tS: 0, rate: lambda }], arrivals: 'poisson', connectTimeoutS, requestTimeoutS: null, closesFirst: 'client', sourceIps: 1000 }
  s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
  s.hosts.backend = { ...s.hosts.backend, somaxconn: 65535 }
  s.backend = { ...s.backend, kind: 'generic', workers: c, listenBacklog: B, serviceTime: { kind: 'exponential', meanS } }
  return s
}

function sum(a: Float64Array): number {
  let x = 0
  for (const v of a) x += v
  return x
}

describe('conservation (property)', () => {
  it('arrivals = completed + failed + in flight; columns add up to the totals', () => {
    fc.assert(
      fc.property(
        fc.record({
          proxy: fc.boolean(),
          closed: fc.boolean(),
          rate: fc.integer({ min: 5, max: 400 }),
          users: fc.integer({ min: 1, max: 120 }),
          maxconn: fc.integer({ min: 2, max: 200 }),
          somaxconn: fc.integer({ min: 1, max: 256 }),
          cookies: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
          abort: fc.constantFrom(0, 1) as fc.Arbitrary<0 | 1>,
          kernel: fc.constantFrom('3.10', '4.9-6.4', '6.5+', '6.1.0'),
          kind: fc.constantFrom('generic', 'nginx-echo', 'nginx-php-fpm') as fc.Arbitrary<'generic' | 'nginx-echo' | 'nginx-php-fpm'>,
          socket: fc.constantFrom('unix', 'tcp') as fc.Arbitrary<'unix' | 'tcp'>,
          ports: fc.integer({ min: 50, max: 3000 }),
          reuse: fc.constantFrom('per-request', 'keep-alive') as fc.Arbitrary<'per-request' | 'keep-alive'>,
          mode: fc.constantFrom('http', 'tcp') as fc.Arbitrary<'http' | 'tcp'>,
          closer: fc.constantFrom('proxy', 'server', 'reset') as fc.Arbitrary<'proxy' | 'server' | 'reset'>,
          servers: fc.integer({ min: 1, max: 3 }),
          redispatch: fc.boolean(),
          rpc: fc.integer({ min: 1, max: 3 }),
          recycle: fc.boolean(),
          // the last server down from the start, or from 3 s; health checks; HAProxy started just before the run or long ago
          down: fc.constantFrom('none', 'start', 'mid') as fc.Arbitrary<'none' | 'start' | 'mid'>,
          check: fc.boolean(),
          started: fc.boolean(),
          seed: fc.integer()
        }),
        (p) => {
          const s = defaultScenario()
          s.durationS = 8
          s.drainS = 4
          s.clients = {
            ...s.clients,
            mode: p.closed ? 'closed' : 'open',
            loadCurve: p.closed ? [] : [{ tS: 0, rate: p.rate }, { tS: 8, rate: p.rate / 2 }],
            concurrency: p.users,
            totalRequests: p.closed ? p.users * 5 : 0,
            requestTimeoutS: 3,
            connectTimeoutS: 2.5,
            keepAlive: p.rpc > 1,
            requestsPerConnection: p.rpc,
            natShare: 0.5,
            closesFirst: p.rpc > 1 ? 'client' : 'server'
          }
          for (const h of ['client', 'proxy', 'backend'] as const) {
            s.hosts[h] = { ...s.hosts[h], version: p.kernel, somaxconn: p.somaxconn, syncookies: p.kernel === '3.10' && p.cookies === 2 ? 1 : p.cookies, abortOnOverflow: p.abort, ipLocalPortRange: [40000, 40000 + p.ports], twReuse: p.kernel === '3.10' ? 0 : 2, twRecycle: p.kernel === '3.10' && p.recycle ? 1 : 0 }
          }
          s.haproxy = p.proxy
            ? {
                ...defaultHaproxy('2.6'),
                globalMaxconn: p.maxconn,
                timeoutConnectS: 1,
                timeoutServerS: 2,
                servers: Array.from({ length: p.servers }, (_, i) => ({
                  name: `s${i + 1}`,
                  maxconn: Math.max(1, p.maxconn >> 2),
                  maxqueue: i === 0 ? 0 : 3,
                  weight: i + 1,
                  ...(p.down !== 'none' && i === p.servers - 1 ? { refuses: true, downAtS: p.down === 'mid' ? 3 : null } : {}),
                  check: p.check ? { interMs: 500, fastinterMs: null, downinterMs: null, rise: 2, fall: 2 } : null
                })),
                startedS: p.started ? -0.5 : null,
                timeoutQueueS: 1,
                serverConnections: p.reuse,
                mode: p.mode,
                backendClosesFirst: p.closer,
                redispatch: p.redispatch,
                retries: 2
              }
            : null
          s.backend = { ...s.backend, kind: p.kind, workers: 8, serviceTime: { kind: 'exponential', meanS: 0.05 }, phpFpm: { ...s.backend.phpFpm, socket: p.socket, children: 4 } }
          const r = decodeResult(simulate(s, { seed: p.seed }))
          const t = r.summary.totals
          expect(t.requests).toBe(t.ok + t.failed + t.inFlight)
          expect(t.inFlight).toBeGreaterThanOrEqual(0)
          expect(sum(r.col('completed'))).toBe(t.ok)
          expect(sum(r.col('failed'))).toBe(t.failed)
          expect(sum(r.col('offered'))).toBe(t.offered)
          const byCause = Object.values(t.byCause).reduce((a, b) => a + b, 0)
          expect(byCause).toBe(t.failed)
          const k = r.summary.kernel.backend
          expect(k.ListenDrops).toBeGreaterThanOrEqual(k.ListenOverflows)
          if (r.summary.haproxy) expect(r.summary.haproxy.frontend.smax).toBeLessThanOrEqual(p.maxconn)
          // nothing in flight: no HAProxy session or server slot left behind
          if (r.summary.haproxy && t.inFlight === 0) {
            expect(r.summary.haproxy.frontend.scur).toBe(0)
            expect(r.summary.haproxy.backend.scur).toBe(0)
            for (const sv of r.summary.haproxy.servers) expect(sv.scur).toBe(0)
          }
          if (r.summary.haproxy) for (const sv of r.summary.haproxy.servers) expect(sv.smax).toBeGreaterThanOrEqual(0)
        }
      ),
      { numRuns: 120 }
    )
  })

  it('evenly spaced arrivals: batches of b every b/r s inside [0, d), so exactly b * ceil(r d / b) connections', () => {
    const offered = (rate: number, tenths: number, batch: number): number => {
      const s = queueing(64, 511, rate, 0.001, tenths / 10, null)
      s.clients = { ...s.clients, arrivals: 'even', arrivalBatch: batch }
      s.drainS = 1
      return decodeResult(simulate(s, { seed: 1 })).summary.totals.offered
    }
    // integer arithmetic for the expected count: ceil(r * (m / 10) / b)
    const expected = (rate: number, tenths: number, batch: number): number => batch * Math.ceil((rate * tenths) / (10 * batch))
    // the lab's and the shared cases' own shapes, where a running sum of 1/r lands a rounding
    // error below d and gave one batch too many (60/s for 5 s: 301; h2load -r 3 every 10 ms: 3003)
    for (const [r, m, b] of [[60, 50, 1], [300, 100, 3], [40, 30, 1], [30, 30, 1], [20, 30, 1], [100, 50, 1]] as const) {
      expect(offered(r, m, b), `${r}/s for ${m / 10} s in batches of ${b}`).toBe(expected(r, m, b))
    }
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 5 }), (r, m, b) => {
        expect(offered(r, m, b)).toBe(expected(r, m, b))
      }),
      { numRuns: 60 }
    )
  })

  it('keep-alive: an open-loop connection sends all its requests past the load window; a closed-loop user stops at the time limit', () => {
    // 20 connections/s for 5 s, 10 requests each, ~50 ms apiece: the last ones run to ~5.5 s
    const open = queueing(64, 511, 20, 0.05, 5, null)
    open.backend.serviceTime = { kind: 'constant', s: 0.05 }
    open.clients = { ...open.clients, arrivals: 'even', keepAlive: true, requestsPerConnection: 10 }
    const o = decodeResult(simulate(open, { seed: 1 })).summary.totals
    expect(o.offered).toBe(100)
    expect(o.requests).toBe(1000)
    expect(o.ok).toBe(1000)
    // 5 users for 1 s, 10 requests per connection, 70 ms each: ~14 requests per user, then stop
    const closed = queueing(64, 511, 1, 0.07, 1, null)
    closed.backend.serviceTime = { kind: 'constant', s: 0.07 }
    closed.drainS = 5
    closed.clients = { ...closed.clients, mode: 'closed', loadCurve: [], concurrency: 5, keepAlive: true, requestsPerConnection: 10 }
    const c = decodeResult(simulate(closed, { seed: 1 })).summary.totals
    expect(c.requests).toBeGreaterThanOrEqual(5 * 12)
    expect(c.requests).toBeLessThanOrEqual(5 * 16)
    expect(c.requests % 10).not.toBe(0) // a user's connection is cut mid-way, not run to its 10th request
  })
})

describe('queueing closed forms through the full model', () => {
  it("Little's law holds on a steady run (L = lambda W)", () => {
    const r = decodeResult(simulate(queueing(6, 64, 40, 0.1, 300, null), { seed: 9 }))
    const l = r.summary.little
    expect(l.meanInFlight).toBeGreaterThan(2)
    expect(Math.abs(l.meanInFlight - l.throughput * (l.meanLatencyMs / 1000)) / l.meanInFlight).toBeLessThan(0.02)
  })

  it('M/M/c/K blocking: SYNs dropped when c workers are busy and the accept queue (B+1) is full', () => {
    // c = 4 workers, B = 3 => K = 4 + 3 + 1 = 8; a connect timeout below the 1 s SYN retransmit turns a drop into a loss
    const c = 4
    const B = 3
    const lambda = 30
    const mu = 10
    const r = decodeResult(simulate(queueing(c, B, lambda, 1 / mu, 2000, 0.5), { seed: 4 }))
    const t = r.summary.totals
    const loss = t.byCause.connect_timeout / t.offered
    const pk = mmckBlocking(c, c + B + 1, lambda, mu)
    expect(t.offered).toBeGreaterThan(50_000)
    // binomial standard error ~0.0013 at n=60000; allow 4 sigma plus the handshake-time effect
    expect(Math.abs(loss - pk)).toBeLessThan(0.008)
  })

  it('Erlang C: share of requests that waited for a worker in M/M/c', () => {
    const r = decodeResult(simulate(queueing(4, 4096, 30, 0.1, 1500, null), { seed: 2 }))
    const pw = erlangC(4, 3)
    expect(r.summary.totals.failed).toBe(0)
    expect(Math.abs(r.summary.backendWaitShare - pw)).toBeLessThan(0.03)
  })
})
