/**
 * HAProxy's queues and server-connection reuse on tiny scenarios whose outcome follows from the
 * rules by hand (backend.c assign_server_and_queue, lb_fwrr.c / lb_fwlc.c, queue.c, and the
 * http-reuse table of connect_server; numbers derived from the rule, not read off the model).
 */
import { describe, expect, it } from 'vitest'
import { simulate } from '../../simulator/index'
import { decodeResult, type SimSummary } from '../../simulator/result'
import { defaultScenario, defaultHaproxy, defaultKernel, type HttpReuse, type Scenario } from '../../simulator/scenario'
import { parseScenario } from '../../main/sim/scenario-schema'

const run = (s: Scenario, seed = 1): SimSummary => decodeResult(simulate(parseScenario(s), { seed })).summary

/** `n` connections at t=0 (one batch), one server, no RTT, constant service time. */
function burst(n: number, serviceS: number, server: { maxconn: number; maxqueue: number }, balance: 'roundrobin' | 'leastconn' | 'source', timeoutQueueS = 30): Scenario {
  const s = defaultScenario()
  s.durationS = 1
  s.drainS = 40
  s.clients = { ...s.clients, loadCurve: [{ tS: 0, rate: 1 }], arrivals: 'even', arrivalBatch: n, requestTimeoutS: null, closesFirst: 'client', sourceIps: 1 }
  s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
  s.hosts = { client: defaultKernel('6.18'), proxy: defaultKernel('6.18'), backend: defaultKernel('6.18') }
  s.haproxy = { ...defaultHaproxy('2.6.12'), globalMaxconn: 1000, servers: [{ name: 's1', weight: 1, ...server }], balance, timeoutQueueS }
  s.backend = { ...s.backend, kind: 'nginx-echo', serviceTime: { kind: 'constant', s: serviceS } }
  return s
}

describe('server queue vs backend queue (semantics 7.3)', () => {
  it('roundrobin: every server at maxconn -> the backend queue, which maxqueue does not cap', () => {
    // 5 at once on maxconn 1 / maxqueue 1: 1 served, 4 wait in the BACKEND queue, all served in turn
    const r = run(burst(5, 1, { maxconn: 1, maxqueue: 1 }, 'roundrobin'))
    expect(r.totals.ok).toBe(5)
    expect(r.haproxy!.backend.qmax).toBe(4)
    expect(r.haproxy!.servers[0]!.qmax).toBe(0)
    // a queued request belongs to the backend already: BACKEND smax = served + queued
    expect(r.haproxy!.backend.smax).toBe(5)
    expect(r.haproxy!.servers[0]!.smax).toBe(1)
    expect(r.latency.maxMs).toBeGreaterThan(4900)
  })

  it('balance source: the hash binds the request to its server; its queue holds maxqueue, the rest get 503 at once (econ)', () => {
    // 5 at once: 1 served, 1 in the server queue, 3 beyond maxqueue 1 -> 503 without waiting
    const r = run(burst(5, 1, { maxconn: 1, maxqueue: 1 }, 'source'))
    expect(r.totals.ok).toBe(2)
    expect(r.totals.byCause.http503).toBe(3)
    expect(r.haproxy!.servers[0]!.qmax).toBe(1)
    expect(r.haproxy!.backend.qmax).toBe(0)
    expect(r.haproxy!.servers[0]!.econ).toBe(3)
    expect(r.haproxy!.backend.econ).toBe(3)
    expect(r.latency.p50).toBeLessThan(100) // the 503s are immediate
    // every stream took the backend before the server's queue refused it (stream_set_backend:
    // beconn, cum_sess): BACKEND stot counts all 5, and smax the served + queued + the one refused
    // (the lab measured 5 with maxconn 2 / maxqueue 2: queue-maxconn-2-maxqueue-2-source)
    expect(r.haproxy!.backend.stot).toBe(5)
    expect(r.haproxy!.backend.smax).toBe(3)
    expect(r.haproxy!.servers[0]!.smax).toBe(1)
  })

  it('balance source with maxqueue 0 (unlimited): the server queue grows; timeout queue expiries count on the server too', () => {
    // service 1 s, timeout queue 1.5 s: #1 at 0-1 s, #2 (queued) at 1-2 s, #3..#5 expire at 1.5 s
    const r = run(burst(5, 1, { maxconn: 1, maxqueue: 0 }, 'source', 1.5))
    expect(r.totals.ok).toBe(2)
    expect(r.totals.byCause.http503).toBe(3)
    expect(r.haproxy!.servers[0]!.qmax).toBe(4)
    expect(r.haproxy!.servers[0]!.econ).toBe(3)
    expect(r.haproxy!.backend.econ).toBe(3)
    expect(r.haproxy!.backend.stot).toBe(5) // the 3 that expired in the queue had the backend too
  })

  it('leastconn (2.x): a full server stays a candidate while served + queued < maxconn + maxqueue, then the backend queue', () => {
    // 5 at once, maxconn 1 maxqueue 1: 1 served, 1 in the server queue, 3 in the backend queue; all served
    const r = run(burst(5, 1, { maxconn: 1, maxqueue: 1 }, 'leastconn'))
    expect(r.totals.ok).toBe(5)
    expect(r.haproxy!.servers[0]!.qmax).toBe(1)
    expect(r.haproxy!.backend.qmax).toBe(3)
    const none = run(burst(5, 1, { maxconn: 1, maxqueue: 0 }, 'leastconn'))
    expect(none.haproxy!.servers[0]!.qmax).toBe(0)
    expect(none.haproxy!.backend.qmax).toBe(4)
  })

  it('a freed slot serves the oldest waiting request of the server queue and the backend queue (FIFO across both)', () => {
    // leastconn maxqueue 1: arrival order #2 (server queue), #3, #4 (backend queue): served at 1, 2, 3 s
    const r = run(burst(4, 1, { maxconn: 1, maxqueue: 1 }, 'leastconn'))
    expect(r.totals.ok).toBe(4)
    expect(r.latency.maxMs).toBeGreaterThan(3900)
    expect(r.latency.maxMs).toBeLessThan(4100)
  })
})

/** 10 client sessions 100 ms apart, each `rpc` requests back to back, 10 ms of work, one server. */
function sessions(rpc: number, conn: 'per-request' | 'keep-alive', reuse: HttpReuse): Scenario {
  const s = burst(1, 0.01, { maxconn: 0, maxqueue: 0 }, 'roundrobin')
  s.clients = { ...s.clients, loadCurve: [{ tS: 0, rate: 10 }], arrivalBatch: 1, keepAlive: rpc > 1, requestsPerConnection: rpc }
  s.durationS = 0.95 // arrivals at 0, 0.1, .. 0.9 s
  s.haproxy = { ...s.haproxy!, serverConnections: conn, httpReuse: reuse, backendClosesFirst: 'proxy' }
  return s
}

describe('connections to servers: http-reuse (configuration.txt "http-reuse")', () => {
  it('per-request: a server connection per request, each closed by the proxy (TIME_WAIT there)', () => {
    const r = run(sessions(3, 'per-request', 'safe'))
    expect(r.totals.ok).toBe(30)
    expect(r.haproxy!.backend.connect).toBe(30)
    expect(r.haproxy!.backend.reuse).toBe(0)
    expect(r.sockets.maxTimeWaitProxyToBackend).toBe(30)
  })

  it('never: one private connection per client session, reused by its own requests, closed when the session ends', () => {
    const r = run(sessions(3, 'keep-alive', 'never'))
    expect(r.totals.ok).toBe(30)
    expect(r.haproxy!.backend.connect).toBe(10)
    expect(r.haproxy!.backend.reuse).toBe(20)
    expect(r.sockets.maxTimeWaitProxyToBackend).toBe(10)
  })

  it("safe: a session's first request never takes another session's idle connection", () => {
    const r = run(sessions(3, 'keep-alive', 'safe'))
    expect(r.haproxy!.backend.connect).toBe(10)
    expect(r.haproxy!.backend.reuse).toBe(20)
  })

  it('always and aggressive: later sessions start on the connection the first one left idle', () => {
    for (const mode of ['always', 'aggressive'] as const) {
      const r = run(sessions(3, 'keep-alive', mode))
      expect(r.totals.ok).toBe(30)
      expect(r.haproxy!.backend.connect).toBe(1)
      expect(r.haproxy!.backend.reuse).toBe(29)
    }
  })

  it('one request per client connection: only always reuses; aggressive needs a connection already reused once', () => {
    const always = run(sessions(1, 'keep-alive', 'always'))
    expect(always.haproxy!.backend.connect).toBe(1)
    expect(always.haproxy!.backend.reuse).toBe(9)
    for (const mode of ['never', 'safe', 'aggressive'] as const) {
      const r = run(sessions(1, 'keep-alive', mode))
      expect(r.totals.ok).toBe(10)
      expect(r.haproxy!.backend.connect).toBe(10)
      expect(r.haproxy!.backend.reuse).toBe(0)
    }
  })
})

describe('retries (stream.c back_handle_st_cer)', () => {
  it('a connect timeout is retried at once, without the 1 s turn-around (3 attempts of 100 ms, then 503)', () => {
    const s = sessions(1, 'per-request', 'safe')
    s.network.backendRttMs = 200 // the SYN-ACK would come back after timeout connect
    s.haproxy = { ...s.haproxy!, timeoutConnectS: 0.1, retries: 2 }
    const r = run(s)
    expect(r.totals.byCause.http503).toBe(10)
    expect(r.haproxy!.backend.wretr).toBe(20)
    expect(r.latency.p50).toBeGreaterThan(295)
    expect(r.latency.p50).toBeLessThan(330)
    // each abandoned SYN still reaches the server 100 ms after it left, just after its give-up:
    // a request sock, a SYN-ACK the proxy's kernel answers with a reset, EmbryonicRsts (lab: 180 of 180)
    expect(r.kernel.backend!.EmbryonicRsts).toBe(30)
    expect(r.haproxy!.backend.connect).toBe(30)
    // every 0.1 s three abandoned SYNs arrive together (requests k-1, k-2, k-3 on their 1st, 2nd,
    // 3rd attempt) and each request sock lives one RTT (0.2 s): 6 held, 9 where two sets meet
    const L = r.listeners.find((l) => l.host === 'backend')!
    expect(L.maxSynq).toBeGreaterThanOrEqual(6)
    expect(L.maxSynq).toBeLessThanOrEqual(9)
  })

  it('no free source port: retried at once, so the request fails without holding its session', () => {
    const s = sessions(1, 'per-request', 'safe')
    s.haproxy = { ...s.haproxy!, mode: 'tcp', retries: 3 }
    s.hosts.proxy = { ...s.hosts.proxy, ipLocalPortRange: [40000, 40003], twReuse: 0 }
    const r = run(s)
    // range 4, TIME_WAIT on the proxy for 60 s: 4 connections, the other 6 find no port
    expect(r.totals.ok).toBe(4)
    expect(r.haproxy!.backend.econ).toBe(6)
    expect(r.haproxy!.backend.wretr).toBe(18)
    expect(r.haproxy!.frontend.smax).toBe(1)
    // `connect` counts every attempt, also one that found no port (connect_server counts before
    // si_connect): 4 served + 6 x (1 + 3 retries); lab row ports-200-tw_reuse-2 measured 600 = 200 + 100 x 4
    expect(r.haproxy!.backend.connect).toBe(4 + 6 * 4)
    expect(r.haproxy!.servers[0]!.connect).toBe(28)
  })
})

/** `users` closed-loop users with keep-alive connections of up to `rpc` requests, `total` requests in all. */
function keepAliveUsers(users: number, total: number, rpc: number): Scenario {
  const s = burst(1, 0.002, { maxconn: 0, maxqueue: 0 }, 'roundrobin')
  s.durationS = 30
  s.clients = { ...s.clients, mode: 'closed', loadCurve: [], concurrency: users, totalRequests: total, keepAlive: true, requestsPerConnection: rpc }
  s.haproxy = { ...s.haproxy!, serverConnections: 'keep-alive', httpReuse: 'safe', backendClosesFirst: 'reset' }
  return s
}

describe('closed-loop keep-alive users (h2load -c C -n N, ab -k)', () => {
  it('hand out exactly the total: ceil(N/C) per connection, the last ones less, and no user reconnects for the rest', () => {
    for (const [users, total] of [
      [4, 40],
      [4, 10],
      [16, 1600]
    ] as const) {
      const r = run(keepAliveUsers(users, total, Math.ceil(total / users)))
      expect(r.totals.requests).toBe(total)
      expect(r.totals.ok).toBe(total)
      // one connection per user, as h2load's clients and ab -k's users keep theirs
      expect(r.haproxy!.frontend.stot).toBe(users)
    }
  })

  it('a connection that fails gives back the requests it did not issue: the users still issue N in all', () => {
    // 4 users, 40 requests of 10 per connection; 5 ms of request timeout against 2 ms of work
    // with one worker: requests time out and their connections close, the rest go on new ones
    const s = keepAliveUsers(4, 40, 10)
    s.backend = { ...s.backend, kind: 'generic', workers: 1, serviceTime: { kind: 'constant', s: 0.002 } }
    s.clients.requestTimeoutS = 0.005
    const r = run(s)
    expect(r.totals.failed).toBeGreaterThan(0)
    expect(r.totals.requests).toBe(40)
    expect(r.totals.ok + r.totals.failed).toBe(40)
    expect(r.haproxy!.frontend.stot).toBeGreaterThan(4) // users reconnected for what was given back
  })

  it("concurrent sessions keep about one server connection each (srv_add_to_idle_list: used + idle <= est_need)", () => {
    // measured on HAProxy 2.6 here (test/main/sim/load-tools-real.test.ts): h2load -c 4 -n 40
    // and -c 16 -n 1600 made 4 and 17 server connections; bounding the idle pool by the
    // connections in use at that moment made 12 of 40
    for (const [users, total] of [
      [4, 40],
      [16, 1600]
    ] as const) {
      const r = run(keepAliveUsers(users, total, Math.ceil(total / users)))
      expect(r.haproxy!.backend.connect).toBeGreaterThanOrEqual(users)
      expect(r.haproxy!.backend.connect).toBeLessThanOrEqual(users + 2)
      expect(r.haproxy!.backend.connect + r.haproxy!.backend.reuse).toBe(total)
    }
  })
})

describe('HAProxy session lifetime', () => {
  it('a client that closes first holds its frontend session until its FIN arrives, one client RTT after the response', () => {
    // 20 conn/s (every 50 ms), client RTT 100 ms, 10 ms of work: a session lasts 10 ms of work +
    // 50 ms for the response to reach the client + 50 ms for its FIN = 110 ms: 3 overlap at most
    const s = sessions(1, 'per-request', 'safe')
    s.clients.loadCurve = [{ tS: 0, rate: 20 }]
    s.network.clientRttMs = 100
    expect(run(s).haproxy!.frontend.smax).toBe(3)
    // HAProxy closes first (HTTP/1.0 clients): the session ends as the response leaves
    s.clients.closesFirst = 'server'
    expect(run(s).haproxy!.frontend.smax).toBe(1)
  })
})
