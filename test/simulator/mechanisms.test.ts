/**
 * Mechanism tests: each scenario isolates one rule of semantics.md and checks the outcome
 * the rule implies (numbers derived from the rule, not read off the model).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { simulate } from '../../simulator/index'
import { setHostTiming, setPawsChain, APP_REACT_S, HOST_JITTER_S, CONNECT_COST_S, KERNEL_HZ } from '../../simulator/model'
import { decodeResult, type SimSummary } from '../../simulator/result'
import { defaultScenario, defaultHaproxy, defaultKernel, type Scenario } from '../../simulator/scenario'
import { report1Scenario, report2Scenario } from '../../simulator/presets'

const run = (s: Scenario, seed = 1): SimSummary => decodeResult(simulate(s, { seed })).summary

function viaProxy(o: { rate: number; durationS: number; service: number; kernel?: string }): Scenario {
  const s = defaultScenario()
  const k = o.kernel ?? '6.18'
  s.durationS = o.durationS
  s.drainS = 20
  s.clients = { ...s.clients, loadCurve: [{ tS: 0, rate: o.rate }], arrivals: 'even', requestTimeoutS: null, closesFirst: 'client' }
  s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
  s.hosts = { client: defaultKernel(k), proxy: defaultKernel(k), backend: defaultKernel(k) }
  s.haproxy = { ...defaultHaproxy('2.6.12'), servers: [{ name: 's1', maxconn: 0, maxqueue: 0, weight: 1 }], fdSoft: 65536, fdHard: 65536 }
  s.backend = { ...s.backend, kind: 'nginx-echo', serviceTime: { kind: 'constant', s: o.service } }
  return s
}

describe('ephemeral ports and TIME_WAIT (semantics 4-5)', () => {
  const ports = (reuse: 0 | 1 | 2, loopback?: boolean): Scenario => {
    const s = viaProxy({ rate: 10, durationS: 20, service: 0.01 })
    s.haproxy = { ...s.haproxy!, mode: 'tcp', backendClosesFirst: 'proxy', timeoutConnectS: 2 }
    if (loopback !== undefined) s.haproxy.servers = s.haproxy.servers.map((sv) => ({ ...sv, loopback }))
    s.hosts.proxy = { ...s.hosts.proxy, ipLocalPortRange: [40000, 40099], twReuse: reuse, timestamps: 1 }
    return s
  }
  it('tw_reuse=0: exactly range-size connections, then EADDRNOTAVAIL -> econ and closed clients', () => {
    const r = run(ports(0))
    expect(r.totals.requests).toBe(200)
    expect(r.totals.ok).toBe(100)
    expect(r.totals.byCause.reset).toBe(100) // mode tcp: the client connection is just closed
    expect(r.haproxy!.backend.econ).toBe(100)
    expect(r.sockets.maxTimeWaitProxyToBackend).toBe(100)
    expect(r.verdict.hits.map((h) => h.ceiling)).toContain('source-ports')
    // who closes first: the client after its 100 answers (TIME_WAIT there); HAProxy on the 100 it
    // could not connect, after reading their bytes (FIN: TIME_WAIT on the proxy, none on the client)
    expect(r.sockets.maxTimeWait.client).toBe(100)
    expect(r.sockets.maxTimeWait.proxy).toBe(200) // 100 to the backend + 100 client-facing
  })
  it('tw_reuse=1 with timestamps: TIME_WAIT older than 1 s is reused; only one parity of the range is used', () => {
    const r = run(ports(1))
    expect(r.totals.ok).toBe(200)
    expect(r.haproxy!.backend.econ).toBe(0)
    expect(r.sockets.maxTimeWaitProxyToBackend).toBe(50)
  })
  it('tw_reuse=2 (the default since 4.19) reuses towards loopback servers only, like 1 there and like 0 elsewhere', () => {
    const far = run(ports(2, false))
    expect(far.totals.ok).toBe(100)
    expect(far.haproxy!.backend.econ).toBe(100)
    const local = run(ports(2, true))
    expect(local.totals.ok).toBe(200)
    expect(local.haproxy!.backend.econ).toBe(0)
    expect(local.sockets.maxTimeWaitProxyToBackend).toBe(50)
    // a 4.9 kernel has no tw_reuse=2 (the schema refuses it; the model treats it as off)
    const old = ports(2, true)
    old.hosts.proxy.version = '4.9'
    expect(run(old).haproxy!.backend.econ).toBe(100)
    // and no reuse without timestamps, whatever the value
    const noTs = ports(2, true)
    noTs.hosts.proxy.timestamps = 0
    expect(run(noTs).haproxy!.backend.econ).toBe(100)
  })

  // The client closes first, so its ports sit in TIME_WAIT: 10 conn/s for 20 s from one source
  // address with 50 ports. Without reuse the 51st connect fails and a port comes back only 60 s
  // after its TIME_WAIT began (past the run). With reuse, a connect that finds every port taken
  // takes over the oldest TIME_WAIT once it is 1 s old: the first is 5 s old at the 51st connect.
  describe('client ports with tcp_tw_reuse', () => {
    const clients = (reuse: 0 | 1 | 2, loopback: boolean): Scenario => {
      const s = viaProxy({ rate: 10, durationS: 20, service: 0.01 })
      s.clients = { ...s.clients, sourceIps: 1, closesFirst: 'client', loopback }
      s.hosts.client = { ...s.hosts.client, ipLocalPortRange: [40000, 40049], twReuse: reuse, timestamps: 1 }
      return s
    }
    it('without reuse (or tw_reuse=2 to a non-loopback front) the range runs out after 50 connections', () => {
      for (const r of [run(clients(0, true)), run(clients(2, false))]) {
        expect(r.totals.requests).toBe(200)
        expect(r.totals.ok).toBe(50)
        expect(r.totals.byCause.no_port).toBe(150)
        expect(r.sockets.maxTimeWait.client).toBe(50)
        expect(r.verdict.hits.map((h) => h.ceiling)).toContain('client-ports')
      }
    })
    it('tw_reuse=1, or 2 towards a loopback front: every connection gets a port; TIME_WAIT never exceeds the range', () => {
      for (const r of [run(clients(1, false)), run(clients(2, true))]) {
        expect(r.totals.ok).toBe(200)
        expect(r.totals.byCause.no_port ?? 0).toBe(0)
        expect(r.sockets.maxTimeWait.client).toBe(50)
      }
    })
    it('a reused port is not freed again when its old TIME_WAIT would have ended', () => {
      // 10/s for 80 s: the ports run out at 5 s and are taken over from then on; 60 s after the
      // first TIME_WAITs began, their expiry must not hand out ports that are in use again
      const s = clients(1, false)
      s.durationS = 80
      const r = run(s)
      expect(r.totals.ok).toBe(800)
      // a port freed twice would let more than 50 sockets hold one at the same time
      expect(r.sockets.maxTimeWait.client).toBe(50)
    })
  })
})

describe('tcp_tw_recycle and NAT (semantics 4.4)', () => {
  it('3.10 with tw_recycle drops SYNs of NAT hosts whose timestamp clock is behind: ~natShare*(1-1/hosts) lost', () => {
    const base = report1Scenario({ durationS: 30, peak: 300 })
    const r = run(base)
    const loss = r.totals.failed / r.totals.requests
    expect(loss).toBeGreaterThan(0.4 * (15 / 16) - 0.06)
    expect(loss).toBeLessThan(0.4 * (15 / 16) + 0.06)
    expect(r.kernel.proxy!.PAWSPassive).toBeGreaterThan(0)
    expect(r.verdict.ceiling).toBe('tw-recycle')
    const fixed = report1Scenario({ durationS: 30, peak: 300 })
    fixed.hosts.proxy.twRecycle = 0
    const f = run(fixed)
    expect(f.kernel.proxy!.PAWSPassive).toBe(0)
    expect(f.totals.failed / f.totals.requests).toBeLessThan(0.01)
  })

  // The retransmits a PAWS drop makes certain are counted at once instead of run as events
  // (Model.pawsCertain). Without jitter (host timing 0, network jitter 0) no draw changes a
  // delay, so both ways must give the same result but the event count.
  describe('certain PAWS drops counted at once', () => {
    const saved = [APP_REACT_S, HOST_JITTER_S, CONNECT_COST_S, KERNEL_HZ] as const
    afterEach(() => {
      setHostTiming(...saved)
      setPawsChain(true)
    })
    const both = (s: Scenario): { on: ReturnType<typeof decodeResult>; off: ReturnType<typeof decodeResult> } => {
      setHostTiming(0, 0, CONNECT_COST_S, KERNEL_HZ)
      setPawsChain(false)
      const off = decodeResult(simulate(s, { seed: 5 }))
      setPawsChain(true)
      const on = decodeResult(simulate(s, { seed: 5 }))
      return { on, off }
    }
    const same = ({ on, off }: ReturnType<typeof both>): void => {
      expect(on.summary.events).toBeLessThan(off.summary.events)
      expect({ ...on.summary, events: 0 }).toEqual({ ...off.summary, events: 0 })
      expect(on.columnNames).toEqual(off.columnNames)
      for (const n of on.columnNames) expect(Array.from(on.col(n)), n).toEqual(Array.from(off.col(n)))
    }
    const scen = (): Scenario => {
      const s = report1Scenario({ durationS: 30, peak: 400 })
      s.network = { ...s.network, jitterMs: 0 }
      return s
    }
    it('report 1: the same run with fewer events', () => {
      const r = both(scen())
      expect(r.off.summary.kernel.proxy!.PAWSPassive).toBeGreaterThan(2 * r.off.summary.totals.byCause.connect_timeout)
      same(r)
    })
    it('a request timeout before the connect give-up, and a run that ends while clients retry', () => {
      const s = scen()
      s.clients = { ...s.clients, connectTimeoutS: 20, requestTimeoutS: 4 }
      s.drainS = 2
      const r = both(s)
      expect(r.off.summary.totals.byCause.timeout).toBeGreaterThan(0)
      expect(r.off.summary.totals.inFlight).toBeGreaterThan(0)
      same(r)
    })
  })
})

describe('the end of the run', () => {
  it('a session whose client FIN is still on its way when the run ends is not left in scur', () => {
    // one HTTP/1.1 client that closes first over a 20 ms round trip: HAProxy holds the session
    // until the FIN arrives, 10 ms after the client read its answer. End the run in between.
    const one = (drainS: number): SimSummary => {
      const s = viaProxy({ rate: 1, durationS: 1, service: 0.05 })
      s.network.clientRttMs = 20
      s.clients = { ...s.clients, closesFirst: 'client', keepAlive: true, requestsPerConnection: 1 }
      s.drainS = drainS
      return run(s)
    }
    const answeredAt = one(5).durationS
    expect(answeredAt).toBeGreaterThan(0.05)
    const r = one(answeredAt + 0.005 - 1)
    expect(r.totals.ok).toBe(1)
    expect(r.totals.inFlight).toBe(0)
    expect(r.haproxy!.frontend.scur).toBe(0)
  })
})

describe('a server that refuses connections (down, its host up)', () => {
  // 10 conn/s for 10 s, roundrobin over s1 and s2; nothing listens on s2's port, so its host
  // resets every SYN: connect() fails one round trip later and HAProxy retries the same server
  // after its turn-around, min(timeout connect, 1 s) (stream.c back_handle_st_cer), 3 times.
  const twoServers = (redispatch: boolean, timeoutConnectS: number): Scenario => {
    const s = viaProxy({ rate: 10, durationS: 10, service: 0.01 })
    s.network.backendRttMs = 2
    s.haproxy = {
      ...s.haproxy!,
      servers: [
        { name: 's1', maxconn: 0, maxqueue: 0, weight: 1 },
        { name: 's2', maxconn: 0, maxqueue: 0, weight: 1, refuses: true }
      ],
      retries: 3,
      redispatch,
      timeoutConnectS
    }
    return s
  }
  it('without redispatch: its half of the requests get 503 after 1 + 3 attempts and 3 turn-arounds of 1 s', () => {
    const r = run(twoServers(false, 5))
    expect(r.totals.ok).toBe(50)
    expect(r.totals.byCause.http503).toBe(50)
    expect(r.haproxy!.backend.econ).toBe(50)
    expect(r.haproxy!.backend.wretr).toBe(150)
    expect(r.haproxy!.backend.connect).toBe(50 + 50 * 4)
    expect(r.request.maxMs).toBeGreaterThanOrEqual(3000)
    expect(r.request.maxMs).toBeLessThan(3100)
    // no listener on the port: none of its queues or counters moves
    expect(r.kernel.backend.ListenDrops + r.kernel.backend.ListenOverflows + r.kernel.backend.EmbryonicRsts).toBe(0)
  })
  it('option redispatch with roundrobin: every retry goes to another server at once, counted in wredis, not wretr', () => {
    // stream.c back_handle_st_cer: with roundrobin and more than one server up "we don't care
    // about this particular server": no turn-around, and backend.c counts a changed server as a
    // redispatch. Measured: lab row server-refuses-retries-3-redispatch (wretr 0, wredis 49 of 50)
    const r = run(twoServers(true, 5))
    expect(r.totals.ok).toBe(100)
    expect(r.totals.failed).toBe(0)
    expect(r.haproxy!.backend.econ).toBe(0)
    expect(r.haproxy!.backend.wretr).toBe(0)
    // the redispatch pick moves the round robin on, so the next request meets s2 again
    expect(r.haproxy!.backend.wredis).toBe(99)
    expect(r.haproxy!.backend.connect).toBe(199)
    expect(r.request.maxMs).toBeLessThan(100)
  })
  it('option redispatch with leastconn: only the last retry leaves the server, after the turn-around like the others', () => {
    const s = twoServers(true, 5)
    s.haproxy!.balance = 'leastconn'
    // the down server first: leastconn breaks ties by position, so every request meets it first
    s.haproxy!.servers = [s.haproxy!.servers[1]!, s.haproxy!.servers[0]!]
    const r = run(s)
    expect(r.totals.failed).toBe(0)
    expect(r.haproxy!.backend.wredis).toBeGreaterThan(0)
    // the ones that met s2: 2 retries on it and the redispatch, each after 1 s
    expect(r.haproxy!.backend.wretr).toBe(2 * r.haproxy!.backend.wredis)
    expect(r.request.maxMs).toBeGreaterThanOrEqual(3000)
    expect(r.request.maxMs).toBeLessThan(3100)
  })
  it('a timeout connect below 1 s is the turn-around', () => {
    const r = run(twoServers(false, 0.2))
    expect(r.totals.byCause.http503).toBe(50)
    expect(r.request.maxMs).toBeGreaterThanOrEqual(600)
    expect(r.request.maxMs).toBeLessThan(700)
  })
})

describe('HAProxy limits (semantics 6-7)', () => {
  it('does not start when it cannot raise its fd limit (2.6, strict-limits): every client refused', () => {
    const s = viaProxy({ rate: 20, durationS: 5, service: 0.01 })
    s.haproxy = { ...s.haproxy!, globalMaxconn: 2000, fdSoft: 1024, fdHard: 1024, startedAsRoot: false }
    const r = run(s)
    expect(r.haproxy!.started).toBe(false)
    expect(r.haproxy!.message).toContain('Cannot raise FD limit to 4025, limit is 1024.')
    expect(r.totals.ok).toBe(0)
    expect(r.totals.byCause.refused).toBe(r.totals.requests)
    expect(r.verdict.ceiling).toBe('proxy-not-started')
  })

  it('a server connect that hits the fd limit (EMFILE) is an attempt: counted in connect, then retried or failed (econ)', () => {
    // 2.6 without strict-limits keeps maxconn 5000 under ulimit -n 1024: ~500 sessions of 10 s
    // (two fds each) use up the fds, so later sessions' socket() fails
    const s = viaProxy({ rate: 200, durationS: 5, service: 10 })
    s.haproxy = { ...s.haproxy!, globalMaxconn: 5000, fdSoft: 1024, fdHard: 1024, startedAsRoot: false, strictLimits: false }
    const r = run(s)
    const be = r.haproxy!.backend
    expect(r.haproxy!.info['Ulimit-n']).toBe(1024)
    expect(r.verdict.hits.map((h) => h.ceiling)).toContain('haproxy-fd')
    expect(be.wretr + be.econ).toBeGreaterThan(0)
    // every attempt ends as a server connection (one per served request here), a retry or a failure
    expect(be.connect).toBe(r.totals.ok + be.wretr + be.econ)
  })

  it('a client that gives up while its SYN is on the way: the SYN still gets a request sock, reset one RTT later (EmbryonicRsts)', () => {
    // 200 ms client RTT, connect timeout 50 ms: every SYN reaches HAProxy's kernel 50 ms after its
    // client gave up; its SYN-ACK finds no socket and the client's kernel resets it
    const s = viaProxy({ rate: 10, durationS: 1, service: 0.01 })
    s.network.clientRttMs = 200
    s.clients.connectTimeoutS = 0.05
    const r = run(s)
    expect(r.totals.byCause.connect_timeout).toBe(10)
    expect(r.kernel.proxy!.EmbryonicRsts).toBe(10)
    expect(r.haproxy!.frontend.stot).toBe(0)
    // no retransmit: the 1 s timer died with the socket
    expect(r.kernel.client!.TCPSynRetrans).toBe(0)
    // one every 100 ms, each held 200 ms: 2, or 3 where a reset and the next SYN arrive together
    const held = r.listeners.find((l) => l.host === 'proxy')!.maxSynq
    expect(held).toBeGreaterThanOrEqual(2)
    expect(held).toBeLessThanOrEqual(3)
    // syncookies=2 answers every SYN with a cookie and keeps no request sock: the reset finds nothing to remove
    s.hosts.proxy = { ...s.hosts.proxy, syncookies: 2 }
    const c = run(s)
    expect(c.kernel.proxy!.SyncookiesSent).toBe(10)
    expect(c.kernel.proxy!.EmbryonicRsts).toBe(0)
    expect(c.listeners.find((l) => l.host === 'proxy')!.maxSynq).toBe(0)
  })

  it('maxconn pauses the listener: scur stops at slim, the kernel queue (B+1) fills, SYNs drop, clients retry after 1 s', () => {
    const s = viaProxy({ rate: 50, durationS: 20, service: 1 })
    s.haproxy = { ...s.haproxy!, globalMaxconn: 20 }
    const r = run(s)
    expect(r.haproxy!.frontend.smax).toBe(20)
    expect(r.haproxy!.info.Maxconn).toBe(20)
    const L = r.listeners.find((l) => l.host === 'proxy')!
    expect(L.backlog).toBe(20)
    expect(L.maxAcceptq).toBe(21)
    expect(r.kernel.proxy!.ListenOverflows).toBeGreaterThan(100)
    expect(r.verdict.hits[0]!.ceiling).toBe('haproxy-maxconn')
    expect(r.connect.maxMs).toBeGreaterThan(1000)
  })

  it('server maxconn + timeout queue (semantics 7.1 experiment): queued requests get 503 after 3 s, counted in econ', () => {
    const s = viaProxy({ rate: 1, durationS: 60, service: 6 })
    s.clients = { ...s.clients, mode: 'closed', loadCurve: [], concurrency: 30, totalRequests: 30, requestTimeoutS: null }
    s.haproxy = { ...s.haproxy!, globalMaxconn: 10, timeoutQueueS: 3, nbthread: 2, servers: [{ name: 's1', maxconn: 2, maxqueue: 0, weight: 1 }] }
    const r = run(s)
    // measured: 6 x 200 and 24 x 503. Whether the third pair of 200s happens is a sub-millisecond
    // race at t = 6 s between the first responses freeing the server and the 3 s queue timeout of
    // the requests queued at t = 3 s; the model lands on the other side of it (4 x 200).
    expect(r.totals.ok).toBeGreaterThanOrEqual(4)
    expect(r.totals.ok).toBeLessThanOrEqual(6)
    expect(r.totals.ok + r.totals.byCause.http503).toBe(30)
    expect(r.haproxy!.backend.econ).toBe(r.totals.byCause.http503)
    expect(r.haproxy!.backend.eresp).toBe(0)
    expect(r.haproxy!.frontend.hrsp_5xx).toBe(r.totals.byCause.http503)
    // measured at t = 1.5 s: 10 sessions, 11 in the accept queue (B + 1), 9 clients in SYN-SENT
    // (their SYNs dropped: the handshakes of a load generator's connects complete inside
    // connect() on a hop without delay, so the queue is full when the later SYNs arrive); those
    // 9 connected "after 3.1 s" (6.5+ linear SYN retries, timer wheel: 3.072 s), once the first
    // queued requests got their 503 at 3 s and freed sessions
    expect(r.sockets.maxSynSent).toBe(9)
    const late = r.connect.bins.filter(([lo]) => lo > 1)
    expect(late.reduce((a, [, , n]) => a + n, 0)).toBe(9)
    for (const [lo, hi] of late) expect(lo >= 3000 && hi <= 3200, `connect bin ${lo}-${hi} ms`).toBe(true)
    // queueing happens in whole 3 s steps (timeout queue, 6 s service) from the moment HAProxy
    // accepted: the requests of the 21 clients connected at once end within a bin (1 % wide) of a
    // multiple of 3 s; the 9 late ones 3 s after their 3.07 s connect at the earliest
    const slow = r.request.bins.filter(([lo]) => lo > 100)
    expect(slow.length).toBeGreaterThan(0)
    const near3 = (lo: number, hi: number): boolean => Math.floor(hi / 3000) * 3000 >= lo
    const onTime = slow.filter(([lo, hi]) => near3(lo, hi)).reduce((a, [, , n]) => a + n, 0)
    expect(onTime).toBeGreaterThanOrEqual(21)
    expect(r.haproxy!.backend.qmax).toBe(8)
    expect(r.haproxy!.frontend.smax).toBe(10)
  })

  it("Little's law: a longer backend RTT raises concurrent sessions at the same rate", () => {
    const near = viaProxy({ rate: 300, durationS: 10, service: 0.01 })
    const far = viaProxy({ rate: 300, durationS: 10, service: 0.01 })
    far.network.backendRttMs = 30
    const a = run(near)
    const b = run(far)
    expect(a.totals.failed + b.totals.failed).toBe(0)
    // per request: connect (1 RTT) + request/response (1 RTT) + 10 ms => ~0.01 s vs ~0.07 s
    expect(b.little.meanInFlight / a.little.meanInFlight).toBeGreaterThan(5)
    expect(b.haproxy!.frontend.smax).toBeGreaterThan(a.haproxy!.frontend.smax * 3)
  })
})

describe('nginx + php-fpm (semantics 9)', () => {
  it('unix socket: backlog min(511, somaxconn)+1 overflows into immediate 502s; somaxconn 1024 avoids them, and then nginx runs out of worker_connections', () => {
    const r = run(report2Scenario({ somaxconn: 8, socket: 'unix' }))
    expect(r.totals.byCause.http502).toBeGreaterThan(100)
    expect(r.totals.byCause.http504).toBe(0)
    expect(r.totals.byCause.reset).toBe(0)
    expect(r.listeners.find((l) => l.kind === 'unix')!.maxAcceptq).toBe(9)
    // somaxconn 1024: php-fpm's queue holds 512, so each of the 512 clients' requests holds two
    // of nginx's connections (its own and the FastCGI one): 1024 plus nginx's 2 > worker_connections
    // 1024, and nginx resets what it accepts past that (lab row report2-somaxconn-1024-c512-wc1024)
    const fixed = run(report2Scenario({ somaxconn: 1024, socket: 'unix' }))
    expect(fixed.totals.byCause.http502).toBe(0)
    expect(fixed.totals.byCause.reset).toBeGreaterThan(100)
    expect(fixed.listeners.find((l) => l.kind !== 'unix')!.maxAcceptq).toBeLessThanOrEqual(1) // nginx keeps accepting
    const s = report2Scenario({ somaxconn: 1024, socket: 'unix' })
    s.backend.nginx.workerConnections = 1024 + 2 + 1
    const ok = run(s)
    expect(ok.totals.failed).toBe(0)
    expect(ok.totals.ok).toBe(5120)
  })
  it('TCP socket: dropped SYNs to php-fpm end as 504 after nginx fastcgi_connect_timeout (60 s)', () => {
    const s = report2Scenario({ somaxconn: 8, socket: 'tcp' })
    s.hosts.backend.version = '6.18'
    const r = run(s)
    expect(r.totals.byCause.http504).toBeGreaterThan(0)
    expect(r.totals.byCause.http502).toBe(0)
    // from the request being sent (the client's own connect may have needed SYN retries)
    expect(r.request.maxMs).toBeGreaterThanOrEqual(60_000)
    expect(r.request.maxMs).toBeLessThan(61_500)
    expect(r.kernel.backend.ListenOverflows + r.kernel.backend.TCPReqQFullDrop).toBeGreaterThan(0)
  })
  // A saturated php-fpm: 4 children, 5 ms of script, 1 ms of request lifecycle on average. The
  // lifecycle varies from request to request (measured: p10-p90 0.45-0.95 ms around 0.62-0.68),
  // so the children drift apart instead of accepting together every 6.000 ms; the mean stays.
  it('children are not in lock step: the request lifecycle varies, its mean sets the rate', () => {
    const s = report2Scenario({ somaxconn: 1024, socket: 'tcp' })
    s.durationS = 12
    const log: string[] = []
    decodeResult(simulate(s, { seed: 3, log }))
    const accepts = log.filter((l) => l.includes(' fpm-accept ')).map((l) => Number(l.split(' ')[0]))
    const busy = accepts.filter((t) => t >= 1 && t < 5) // all 4 children busy, 512 clients waiting
    // rate: 4 children / (5 ms + 1 ms) = 666.7/s, i.e. 2,667 in 4 s (lognormal noise ~0.3 %)
    expect(busy.length).toBeGreaterThan(2667 * 0.97)
    expect(busy.length).toBeLessThan(2667 * 1.03)
    // in lock step 3 of every 4 accepts would follow the one before within microseconds
    const gaps = busy.slice(1).map((t, i) => t - busy[i]!)
    const close = gaps.filter((g) => g < 100e-6).length / gaps.length
    expect(close).toBeLessThan(0.25)
  })
})

describe('kernel listen queues by era (semantics 1-3)', () => {
  it('syncookies=0 drops on a full SYN queue (TCPReqQFullDrop); syncookies=1 answers with cookies instead', () => {
    const mk = (cookies: 0 | 1): Scenario => {
      const s = defaultScenario()
      s.haproxy = null
      s.durationS = 3
      s.drainS = 5
      s.clients = { ...s.clients, mode: 'closed', loadCurve: [], concurrency: 200, totalRequests: 200, requestTimeoutS: null }
      s.network = { clientRttMs: 20, backendRttMs: 0, jitterMs: 0 } // 20 ms handshakes keep request socks around
      s.hosts.backend = { ...defaultKernel('6.1'), somaxconn: 16, syncookies: cookies }
      s.backend = { ...s.backend, kind: 'nginx-echo', serviceTime: { kind: 'constant', s: 0.01 } }
      return s
    }
    const off = run(mk(0))
    expect(off.kernel.backend.TCPReqQFullDrop).toBeGreaterThan(0)
    expect(off.kernel.backend.TCPReqQFullDoCookies).toBe(0)
    expect(off.listeners[0]!.maxSynq).toBe(16)
    const on = run(mk(1))
    expect(on.kernel.backend.TCPReqQFullDrop).toBe(0)
    expect(on.kernel.backend.SyncookiesSent).toBeGreaterThan(0)
    expect(on.kernel.backend.SyncookiesSent).toBe(on.kernel.backend.TCPReqQFullDoCookies)
    expect(on.totals.synRetryShare).toBeLessThan(off.totals.synRetryShare)
  })
})

describe('HAProxy server connection reuse (keep-alive, http-reuse safe) conserves requests', () => {
  // Regression: a reused idle server connection was marked as already carrying data, so the
  // backend never saw the request and the session hung until a timeout (lab case
  // server-keepalive-backend-rtt-60ms: 98 of 200 lost, frontend scur stuck at 98).
  const reuse = (rate: number, rpc: number, closer: 'proxy' | 'server'): Scenario => {
    const s = viaProxy({ rate, durationS: 5, service: 0.01 })
    s.network = { clientRttMs: 0, backendRttMs: 60, jitterMs: 0 }
    s.clients = { ...s.clients, keepAlive: rpc > 1, requestsPerConnection: rpc, thinkTimeS: 0, closesFirst: 'client' }
    s.haproxy = { ...s.haproxy!, serverConnections: 'keep-alive', backendClosesFirst: closer }
    return s
  }
  for (const [rate, rpc, closer] of [[40, 1, 'server'], [200, 1, 'proxy'], [40, 3, 'server'], [120, 5, 'proxy'], [300, 2, 'server']] as const) {
    it(`rate ${rate}/s, ${rpc} request(s) per client connection, ${closer} closes: every request ok, nothing left open`, () => {
      for (const seed of [1, 2, 3]) {
        const log: string[] = []
        const r = decodeResult(simulate(reuse(rate, rpc, closer), { seed, log })).summary
        expect(r.totals.requests).toBeGreaterThan(0)
        expect(r.totals.ok).toBe(r.totals.requests)
        expect(r.totals.failed).toBe(0)
        expect(r.totals.inFlight).toBe(0)
        expect(r.haproxy!.frontend.scur).toBe(0)
        expect(r.haproxy!.backend.scur).toBe(0)
        const reused = log.filter((l) => l.includes(' reuse-server-conn ')).length
        // http-reuse safe: a session's first request never takes an idle connection, so with one
        // request per client connection nothing is reused; with keep-alive clients later requests are
        if (rpc === 1) expect(reused).toBe(0)
        else {
          expect(reused).toBeGreaterThan(0)
          expect(reused).toBeLessThanOrEqual(r.totals.requests - r.totals.offered)
        }
      }
    })
  }
})

describe('syncookies=0 3/4 rule and proven peers (semantics 2.1, tcp_peer_is_proven)', () => {
  // tcp_max_syn_backlog 64: at most 64 - 16 + 1 = 49 request socks from unproven peers; a peer whose
  // earlier connection closed has cached TCP metrics and is exempt. 128 clients start within 10 ms
  // (RTT 30 ms: no handshake completes meanwhile); retried SYNs come back together about 1 s later.
  const burst = (sourceIps: number): Scenario => {
    const s = viaProxy({ rate: 12800, durationS: 0.01, service: 0.1 })
    s.network = { clientRttMs: 30, backendRttMs: 0, jitterMs: 0 }
    s.clients = { ...s.clients, sourceIps, requestTimeoutS: 30 }
    s.hosts.proxy = { ...s.hosts.proxy, somaxconn: 4096, tcpMaxSynBacklog: 64, syncookies: 0 }
    return s
  }
  it('one client address: 79 dropped, their retries all admitted (the first 49 closed: the peer is proven)', () => {
    const r = run(burst(1))
    expect(r.totals.requests).toBe(128)
    expect(r.totals.ok).toBe(128)
    expect(r.kernel.proxy!.ListenDrops).toBe(128 - 49)
    expect(r.kernel.proxy!.TCPReqQFullDrop).toBe(0)
    expect(r.haproxy!.frontend.smax).toBe(128 - 49)
    expect(r.latency.maxMs).toBeLessThan(1500)
  })
  it('a new address per connection: retries are unproven too, 49 admitted again, 30 wait for the next retry', () => {
    const r = run(burst(1000))
    expect(r.totals.ok).toBe(128)
    expect(r.kernel.proxy!.ListenDrops).toBe(128 - 49 + (128 - 49 - 49))
    expect(r.haproxy!.frontend.smax).toBe(49)
    expect(r.latency.maxMs).toBeGreaterThan(2000)
  })
})

describe('SYN-SENT counts', () => {
  it('clients in SYN-SENT are the clients only: HAProxy\'s connects to servers count apart', () => {
    // 200 conn/s with a 0-RTT client side, servers 200 ms away: every HAProxy connect spends
    // at least one RTT in SYN-SENT (>= 200 x 0.2 = 40 at once), the clients' connects complete at once
    const s = viaProxy({ rate: 200, durationS: 5, service: 0.01 })
    s.network.backendRttMs = 200
    const r = decodeResult(simulate(s, { seed: 1 }))
    const max = (a: Float64Array): number => a.reduce((m, v) => Math.max(m, v), 0)
    const up = max(r.col('syn_sent_upstream'))
    const cli = max(r.col('syn_sent'))
    expect(up).toBeGreaterThan(30)
    expect(cli).toBeLessThanOrEqual(2)
    // the run's peak (every change, not only the per-second samples) is the clients' alone
    expect(r.summary.sockets.maxSynSent).toBeGreaterThanOrEqual(cli)
    expect(r.summary.sockets.maxSynSent).toBeLessThanOrEqual(2)
    // HAProxy's own peak is counted apart (the lb namespace's SYN-SENT sockets); no nginx -> php-fpm
    // here. A connect leaves SYN-SENT when its SYN-ACK arrives, one RTT after its SYN left (not at
    // its handshake event, half an RTT later, when the ACK reaches the listener): 200/s x 0.2 s
    expect(r.summary.sockets.maxSynSentProxy).toBeGreaterThanOrEqual(up)
    expect(r.summary.sockets.maxSynSentProxy).toBeGreaterThanOrEqual(38)
    expect(r.summary.sockets.maxSynSentProxy).toBeLessThanOrEqual(200 * 0.2 + 3)
    expect(up).toBeLessThanOrEqual(200 * 0.2 + 3)
    expect(r.summary.sockets.maxSynSentBackend).toBe(0)
  })

  it("nginx's TCP connects to php-fpm count on the backend host; a unix socket has no SYN-SENT", () => {
    const tcp = report2Scenario({ somaxconn: 8, socket: 'tcp' })
    tcp.durationS = 5
    const t = decodeResult(simulate(tcp, { seed: 1 })).summary
    // php-fpm's backlog of 9 overflows: nginx's connects wait for SYN retransmits
    expect(t.sockets.maxSynSentBackend).toBeGreaterThan(50)
    expect(t.sockets.maxSynSentProxy).toBe(0) // no HAProxy in report 2
    const unix = report2Scenario({ somaxconn: 8, socket: 'unix' })
    unix.durationS = 5
    expect(decodeResult(simulate(unix, { seed: 1 })).summary.sockets.maxSynSentBackend).toBe(0)
  })
})

describe("ApacheBench's counting (clients.tool 'ab', ab.c start_connect / write_request)", () => {
  /** ab -c users -n total through HAProxy (maxconn), constant work. */
  const abRun = (o: { users: number; total: number; service: number; maxconn?: number; tool?: 'ab' }): Scenario => {
    const s = viaProxy({ rate: 1, durationS: 60, service: o.service })
    s.clients = { ...s.clients, mode: 'closed', loadCurve: [], concurrency: o.users, totalRequests: o.total, closesFirst: 'server', requestTimeoutS: null, ...(o.tool ? { tool: o.tool } : {}) }
    s.haproxy = { ...s.haproxy!, globalMaxconn: o.maxconn ?? 1000, frontendMaxconn: o.maxconn ?? 1000, backendClosesFirst: 'server' }
    return s
  }

  it('sends its first request alone and starts the other users when that response header is in', () => {
    // measured here with ab 2.3 against a 200 ms server: -c 4 -n 4 took 0.406 s, -c 4 -n 8 0.607 s
    expect(run(abRun({ users: 4, total: 4, service: 0.2, tool: 'ab' })).durationS).toBeCloseTo(0.4, 1)
    expect(run(abRun({ users: 4, total: 8, service: 0.2, tool: 'ab' })).durationS).toBeCloseTo(0.6, 1)
    // the generic closed loop starts every user at once
    expect(run(abRun({ users: 4, total: 4, service: 0.2 })).durationS).toBeCloseTo(0.2, 1)
  })

  it('near the end connects still in progress are not counted: the extra ones stay idle, and HAProxy counts them as sessions closed before a request (ereq, 4xx)', () => {
    // maxconn 20 under 80 users: connects wait in the accept queue and in SYN retries, so more
    // are under way than requests are left when ab writes its last ones
    const r = run(abRun({ users: 80, total: 800, service: 0.1, maxconn: 20, tool: 'ab' }))
    expect(r.totals.requests).toBe(800)
    expect(r.totals.ok).toBe(800)
    const f = r.haproxy!.frontend
    expect(f.ereq).toBeGreaterThan(0)
    expect(f.hrsp_4xx).toBe(f.ereq)
    expect(f.stot).toBe(800 + f.ereq) // sessions: the requests, and the idle extras it accepted
    // the generic loop opens exactly one connection per request
    const g = run(abRun({ users: 80, total: 800, service: 0.1, maxconn: 20 })).haproxy!.frontend
    expect(g.stot).toBe(800)
    expect(g.ereq).toBe(0)
  })

  it('a failed connect is retried, not a request; after more than 10 ab gives up ("Test aborted after 10 failures")', () => {
    const s = abRun({ users: 4, total: 100, service: 0.01, tool: 'ab' })
    // HAProxy cannot start (fd limit below what maxconn needs, strict): every SYN is answered by a RST
    s.haproxy = { ...s.haproxy!, globalMaxconn: 5000, fdSoft: 1024, fdHard: 1024, startedAsRoot: false, strictLimits: true }
    const r = run(s)
    expect(r.haproxy!.started).toBe(false)
    // ab exits: none of its -n was done; a harness that fixed -n counts them all as failed
    expect(r.totals.ok).toBe(0)
    expect(r.totals.requests).toBe(100)
    expect(r.totals.failed).toBe(100)
    expect(r.totals.byCause.refused).toBe(100)
    expect(r.ab!.done).toBe(0)
    expect(r.ab!.reason).toBe('connect-failures')
    expect(r.durationS).toBeLessThan(1)
  })

  /** ab -c users -n total -s silence straight to a server of `service` seconds (no proxy). */
  const direct = (o: { users: number; total: number; service: number; silence: number | null; limit?: number }): Scenario => {
    const s = abRun({ users: o.users, total: o.total, service: o.service, tool: 'ab' })
    s.haproxy = null
    s.backend = { ...s.backend, kind: 'generic', workers: 64, serviceTime: { kind: 'constant', s: o.service } }
    s.clients.requestTimeoutS = o.silence
    if (o.limit) s.durationS = o.limit
    return s
  }

  it('-s is no per-request timeout but a watchdog over all its sockets: no event for that long and ab exits, its requests not done lost', () => {
    // measured here (ab 2.3, a node server answering after 1.5 s): -c 4 -n 8 -s 1 exits with
    // "apr_pollset_poll: The timeout specified has expired" after 1.02 s; -s 2 completes in 4.52 s
    const cut = run(direct({ users: 4, total: 8, service: 1.5, silence: 1 }))
    expect(cut.ab!.reason).toBe('no-event')
    expect(cut.ab!.abortedAtS).not.toBeNull()
    expect(cut.durationS).toBeCloseTo(1.0, 1) // its one connect is the last event: at ~0 s
    expect(cut.totals.ok).toBe(0)
    expect(cut.totals.requests).toBe(8)
    expect(cut.totals.byCause.timeout).toBe(8)
    const full = run(direct({ users: 4, total: 8, service: 1.5, silence: 2 }))
    expect(full.ab!.abortedAtS).toBeNull()
    expect(full.totals.ok).toBe(8)
    expect(full.durationS).toBeCloseTo(4.5, 1) // 1 alone, 4, then 3: three rounds of 1.5 s
    // and nothing ends a request that never gets an answer but ab's watchdog: none with -s unset
    const forever = direct({ users: 2, total: 2, service: 1000, silence: null })
    forever.durationS = 20
    forever.drainS = 5
    const f = run(forever)
    expect(f.ab!.stoppedAtS).toBeNull()
    expect(f.totals.byCause.timeout).toBe(0)
    expect(f.totals.inFlight).toBe(1) // the first request, still waiting when the run ends
    expect(f.durationS).toBe(25) // ab was still running at the end of the run
  })

  it('-t: ab stops at the first request it completes at or past the time limit, the rest of its -n lost', () => {
    // measured here: `ab -t 2 -n 100 -c 1` against a 1.5 s server: 2 complete, 3.02 s
    const r = run(direct({ users: 1, total: 100, service: 1.5, silence: 30, limit: 2 }))
    expect(r.ab!.done).toBe(2)
    expect(r.ab!.reason).toBe('time-limit')
    expect(r.ab!.abortedAtS).toBeNull()
    expect(r.durationS).toBeCloseTo(3.0, 1)
    expect(r.totals.ok).toBe(2)
    expect(r.totals.requests).toBe(100)
    expect(r.totals.byCause.timeout).toBe(98)
    // a write sets ab's lasttime too: with a 0.8 s RTT the second request (connect from 1.7 s)
    // is written at 2.5 s, past -t 2, and that ends the run there (not at its answer, 3.4 s)
    const far = direct({ users: 1, total: 100, service: 0.1, silence: 30, limit: 2 })
    far.network = { ...far.network, clientRttMs: 800 }
    const f = run(far)
    expect(f.ab!.reason).toBe('time-limit')
    expect(f.ab!.done).toBe(1)
    expect(f.durationS).toBeCloseTo(2.5, 1)
  })
})
