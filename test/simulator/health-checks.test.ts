/**
 * HAProxy's layer-4 health checks (HaproxyServer.check): the health counter of check.c
 * set_server_check_status, the spread of the first checks (start_checks), a DOWN server leaving
 * the balancing, no server left (503 at once, BACKEND econ) and `option redispatch` for a
 * server that is DOWN. Each expectation follows from those rules; the lab rows
 * server-refuses-check, -redispatch and servers-all-down-check measure them on HAProxy 2.6.
 */
import { describe, expect, it } from 'vitest'
import { simulate } from '../../simulator/index'
import { decodeResult, type SimSummary } from '../../simulator/result'
import { haproxyEffectiveLimits, type HaproxyConfig, type Scenario, type ServerCheck } from '../../simulator/scenario'
import { checkScenario, httpCheckEnds, httpCheckScenario } from '../helpers/check-scenario'

const check = (o: Partial<ServerCheck> = {}): ServerCheck => ({ interMs: 2000, fastinterMs: null, downinterMs: null, rise: 2, fall: 3, ...o })

/** 10 conn/s for 5 s, roundrobin over s1 and s2 (s2 refuses), both checked; HAProxy started at `startedS`. */
function twoServers(o: { startedS: number | null; redispatch?: boolean; allDown?: boolean; check?: Partial<ServerCheck> }): Scenario {
  const s = checkScenario({ rate: 10, durationS: 5, drainS: 10 }, {
    retries: 3,
    timeoutConnectS: 5,
    redispatch: o.redispatch === true,
    startedS: o.startedS,
    servers: [
      { name: 's1', maxconn: 0, maxqueue: 0, weight: 1, refuses: o.allDown === true, check: check(o.check) },
      { name: 's2', maxconn: 0, maxqueue: 0, weight: 1, refuses: true, check: check(o.check) }
    ]
  })
  s.backend = { ...s.backend, kind: 'nginx-echo', serviceTime: { kind: 'constant', s: 0.01 } }
  return s
}

const run = (s: Scenario, log?: string[]): SimSummary => decodeResult(simulate(s, { seed: 1, log })).summary
const server = (r: SimSummary, name: string) => r.haproxy!.servers.find((x) => x.svname === name)!

describe('HAProxy health checks', () => {
  it('at start every health is rise, so a server that refuses is DOWN at its first check; roundrobin sends it every other request until then', () => {
    // two checked servers, inter 2 s: s2's first check at 2 s x 1/2 = 1 s after the start
    const log: string[] = []
    const r = run(twoServers({ startedS: 0 }), log)
    const down = log.find((l) => l.includes('check server=s2 DOWN'))
    expect(down).toBeDefined()
    expect(parseFloat(down!)).toBeCloseTo(1, 2)
    const s2 = server(r, 's2')
    expect(s2.status).toBe('DOWN')
    expect(s2.chkfail).toBe(1) // one failure takes health from rise to 0; later ones are not counted
    expect(s2.chkdown).toBe(1)
    expect(server(r, 's1')).toMatchObject({ status: 'UP', chkfail: 0, chkdown: 0 })
    // lastchg: from the change to the end of the run (s1 never changed: none)
    expect(r.simulatedS - s2.lastchg!).toBeCloseTo(1, 3)
    expect(server(r, 's1').lastchg).toBeUndefined()
    // arrivals at 0.05, 0.15, ... 0.95 s (evenly spaced): s2 got 5 of them, each tried 4 times (stot counts attempts) and 503 after 3 turn-arounds
    expect(s2.econ).toBe(5)
    expect(s2.wretr).toBe(15)
    expect(s2.stot).toBe(20)
    expect(s2.smax).toBe(1) // a stream waiting out the turn-around is not in cur_sess
    expect(r.totals.ok).toBe(45)
    expect(r.totals.byCause.http503).toBe(5)
    expect(r.haproxy!.backend).toMatchObject({ status: 'UP', chkdown: 0 })
  })

  it('HAProxy started long before (startedS null): a server that refuses is already DOWN and never chosen', () => {
    const r = run(twoServers({ startedS: null }))
    expect(r.totals.ok).toBe(50)
    expect(r.totals.failed).toBe(0)
    expect(server(r, 's2')).toMatchObject({ status: 'DOWN', stot: 0, econ: 0, chkfail: 0, chkdown: 0 })
    expect(server(r, 's1').stot).toBe(50)
  })

  it('checks that end before the run are played: started 1.5 s before, s2 is already DOWN at t=0', () => {
    const r = run(twoServers({ startedS: -1.5 }))
    expect(r.totals.ok).toBe(50)
    expect(server(r, 's2')).toMatchObject({ status: 'DOWN', stot: 0, chkfail: 1, chkdown: 1 })
  })

  it('the first checks spread over the smallest interval of 1 s or more, by place among the checked servers', () => {
    // inter 4 s: s2 at 2 s, so 10 of the first 20 requests meet it
    const r = run(twoServers({ startedS: 0, check: { interMs: 4000 } }))
    expect(server(r, 's2').econ).toBe(10)
    // fastinter is what a check at rise uses (srv_getinter: not fully up yet): 1 s spreads s2 to
    // 0.5 s, so 2 of the first 5 requests meet it
    const f = run(twoServers({ startedS: 0, check: { interMs: 4000, fastinterMs: 1000 } }))
    expect(server(f, 's2').econ).toBe(2)
  })

  it('with option redispatch a retry leaves a DOWN server at once', () => {
    const r = run(twoServers({ startedS: 0, redispatch: true }))
    expect(r.totals.ok).toBe(50)
    expect(r.haproxy!.backend.econ).toBe(0)
    expect(r.haproxy!.backend.wretr).toBe(0)
    // each request that met s2 before it was DOWN tried it once and went on to s1 (the redispatch
    // pick moves the round robin on, so more than every other one meets s2)
    const s2 = server(r, 's2')
    expect(s2.wredis).toBeGreaterThanOrEqual(5)
    expect(s2.wredis).toBeLessThanOrEqual(10)
    expect(s2.stot).toBe(s2.wredis)
    expect(r.request.maxMs).toBeLessThan(100)
  })

  it('no server UP: every request gets 503 at once, counted in BACKEND econ only, and the verdict says so', () => {
    const log: string[] = []
    const r = run(twoServers({ startedS: 0, allDown: true }), log)
    // s1 is checked at the start, s2 at 1 s: until then every request meets s2 (4 attempts, 3 s)
    expect(parseFloat(log.find((l) => l.includes('check server=s1 DOWN'))!)).toBeCloseTo(0, 3)
    expect(r.totals.byCause.http503).toBe(50)
    expect(server(r, 's2').econ).toBe(10)
    expect(server(r, 's1')).toMatchObject({ stot: 0, econ: 0, status: 'DOWN', chkdown: 1 })
    expect(r.haproxy!.backend).toMatchObject({ econ: 50, status: 'DOWN', chkdown: 1 })
    expect(r.request.p50).toBeLessThan(50)
    expect(r.verdict.hits.map((h) => h.ceiling)).toContain('servers-down')
  })

  it('a server that dies while fully UP is DOWN after `fall` failed checks, fastinter apart once the first has failed', () => {
    // HAProxy running since before the run; s2 stops listening at 2 s. Its checks keep the phase
    // of a start at t=0 (s2 second of two: 0.5 s, then every inter 1 s), so they fail at 2.5, 3.5, 4.5
    const dies = (c: Partial<ServerCheck>): Scenario => {
      const s = twoServers({ startedS: null, check: { interMs: 1000, ...c } })
      s.durationS = 7
      s.haproxy!.servers[1]!.downAtS = 2
      return s
    }
    const downAt = (s: Scenario): number => {
      const log: string[] = []
      run(s, log)
      return parseFloat(log.find((l) => l.includes('check server=s2 DOWN'))!)
    }
    const r = run(dies({}))
    expect(server(r, 's2')).toMatchObject({ status: 'DOWN', chkfail: 3, chkdown: 1 })
    expect(downAt(dies({}))).toBeCloseTo(4.5, 3)
    expect(downAt(dies({ fall: 1 }))).toBeCloseTo(2.5, 3)
    expect(downAt(dies({ fastinterMs: 200 }))).toBeCloseTo(2.9, 3)
    // before 2 s s2 served its half; from 2 s to 4.5 s its half was refused (503 after 3 s); then s1 took all
    expect(server(r, 's2').econ).toBe(13)
    expect(r.totals.byCause.http503).toBe(13)
    expect(r.totals.ok).toBe(57)
    // without checks it keeps its half to the end
    const nc = dies({})
    nc.haproxy!.servers = nc.haproxy!.servers.map((sv) => ({ ...sv, check: null }))
    expect(run(nc).totals.byCause.http503).toBe(25)
  })

  it('balance source hashes over the servers UP only', () => {
    const s = twoServers({ startedS: null })
    s.haproxy!.balance = 'source'
    s.clients.sourceIps = 20
    const r = run(s)
    expect(r.totals.ok).toBe(50)
    expect(server(r, 's2').stot).toBe(0)
  })

  it('each checked server adds one fd to maxsock (init_srv_check; measured 428 -> 430 with two)', () => {
    const s = twoServers({ startedS: 0 })
    s.haproxy!.globalMaxconn = 200
    s.haproxy!.nbthread = 2
    expect(haproxyEffectiveLimits(s.haproxy!, 4096).maxsock).toBe(430)
    s.haproxy!.servers = s.haproxy!.servers.map((sv) => ({ ...sv, check: null }))
    expect(haproxyEffectiveLimits(s.haproxy!, 4096).maxsock).toBe(428)
  })

  describe('a check whose SYNs the server drops (its accept queue full) times out', () => {
    /**
     * The HAProxy 2.6 measurement this replays (loopback, one server with 1 worker that holds each
     * connection, listen backlog 2, `check inter 2s fall 3 rise 2`): 4 connections fill it at
     * 4.2 s after HAProxy's start (1 accepted, 3 = B + 1 queued); the check that started at
     * ~6.1 s ends L4TOUT 2000 ms later, the next ones 4 s apart, and s1 is DOWN at 16.07 s, 11.9 s
     * after the queue filled. With `timeout check` set the timeout is min(timeout connect, inter):
     * 1500 ms with timeout connect 1.5s; without it, inter even with timeout connect 1.5s; and
     * with `fastinter 1s` the next check starts 1 s after a failure, the timeout staying 2 s.
     */
    function held(o: { check?: Partial<ServerCheck>; timeoutCheckS?: number | null; timeoutConnectS?: number; serverMaxconn?: number } = {}): Scenario {
      const s = checkScenario({ rate: 20, durationS: 0.2, drainS: 25, connectTimeoutS: 60 }, {
        timeoutConnectS: o.timeoutConnectS ?? 5,
        timeoutServerS: 60,
        timeoutClientS: 60,
        timeoutCheckS: o.timeoutCheckS ?? null,
        startedS: -4.2,
        servers: [{ name: 's1', maxconn: o.serverMaxconn ?? 0, maxqueue: 0, weight: 1, check: check(o.check) }]
      })
      s.backend = { ...s.backend, kind: 'generic', workers: 1, listenBacklog: 2, serviceTime: { kind: 'constant', s: 30 } }
      return s
    }
    const checkLog = (s: Scenario): { r: SimSummary; log: string[] } => {
      const log: string[] = []
      const r = run(s, log)
      return { r, log }
    }
    const when = (log: string[], what: string): number[] => log.filter((l) => l.includes(what)).map((l) => parseFloat(l))

    it('every SYN dropped: L4TOUT after inter, fall of them take the server DOWN (measured: 11.9 s after the queue filled)', () => {
      const { r, log } = checkLog(held())
      const s1 = server(r, 's1')
      expect(s1).toMatchObject({ status: 'DOWN', chkdown: 1, chkfail: 3, check_status: 'L4TOUT' })
      const down = when(log, 'check server=s1 DOWN')
      expect(down).toHaveLength(1)
      // the check that started at 1.8 s (HAProxy's start + 3 x 2 s) is the first to find the queue full
      expect(down[0]).toBeCloseTo(1.8 + 2 + 2 * 4, 2)
      // each check: its SYN and the 1 s retransmit dropped (the 3 s one is past the 2 s timeout)
      const drops = when(log, 'check-syn-drop server=s1')
      expect(drops.filter((t) => t < down[0]!)).toHaveLength(6)
      expect(r.kernel.backend.ListenOverflows).toBeGreaterThanOrEqual(drops.length)
      expect(s1.downtime).toBeCloseTo(r.simulatedS - down[0]!, 3)
      expect(r.verdict.hits.map((h) => h.ceiling)).toContain('check-timeout')
    })

    it('timeout check set: the check gives up at min(timeout connect, inter); not set: at inter whatever timeout connect is', () => {
      const downAt = (s: Scenario): number => when(checkLog(s).log, 'check server=s1 DOWN')[0]!
      expect(downAt(held({ timeoutCheckS: 0.7, timeoutConnectS: 1.5 }))).toBeCloseTo(1.8 + 1.5 + 2 * 3.5, 2)
      expect(downAt(held({ timeoutConnectS: 1.5 }))).toBeCloseTo(1.8 + 2 + 2 * 4, 2)
      // fastinter 1 s: HAProxy's start at -4.2 s, checks every 3 s once one fails (2 s timeout + 1 s)
      expect(downAt(held({ check: { fastinterMs: 1000 } }))).toBeCloseTo(1.8 + 2 + 2 * 3, 2)
    })

    it('server maxconn at its workers keeps the queue, and the checks, clear', () => {
      const { r, log } = checkLog(held({ serverMaxconn: 1 }))
      expect(server(r, 's1')).toMatchObject({ status: 'UP', chkfail: 0, chkdown: 0, check_status: 'L4OK', downtime: 0 })
      expect(when(log, 'check-syn-drop')).toHaveLength(0)
    })

    it('once the queue drains the checks pass again and the server is UP after rise of them', () => {
      const s = held()
      s.backend.serviceTime = { kind: 'constant', s: 14 }
      const { r, log } = checkLog(s)
      const down = when(log, 'check server=s1 DOWN')
      const up = when(log, 'check server=s1 UP')
      expect(down).toHaveLength(1)
      expect(up).toHaveLength(1)
      expect(up[0]!).toBeGreaterThan(down[0]!)
      expect(server(r, 's1')).toMatchObject({ status: 'UP', chkdown: 1, check_status: 'L4OK' })
      expect(server(r, 's1').downtime).toBeCloseTo(up[0]! - down[0]!, 3)
    })
  })
})

/**
 * option httpchk (HaproxyConfig.httpCheck): each check is an HTTP request on its own connection,
 * served by the server like any request. Its timeouts follow what HAProxy 2.6.12 did in
 * test/main/sim/httpchk-real.test.ts and the measurements in model.ts onCheckExpire.
 */
describe('option httpchk: the check is a request the server must answer', () => {
  const one = httpCheckScenario
  /** A checked server whose php-fpm falls behind: 5 children x 1/0.1 s = 50 req/s for 60 offered, so its backlog grows by 10 a second. */
  const busyFpm = (h: Partial<HaproxyConfig>): Scenario => {
    const s = checkScenario({ rate: 60, durationS: 20, drainS: 5 }, {
      ...h,
      timeoutConnectS: 5,
      timeoutServerS: 60,
      startedS: -5,
      servers: [{ name: 's1', maxconn: 0, maxqueue: 0, weight: 1, check: check() }]
    })
    s.backend = { ...s.backend, kind: 'nginx-php-fpm', serviceTime: { kind: 'constant', s: 0.1 } }
    return s
  }
  const checks = (s: Scenario): { r: SimSummary; ends: { d: number; status: string }[] } => {
    const log: string[] = []
    const r = run(s, log)
    return { r, ends: httpCheckEnds(log) }
  }

  it('a prompt 200 passes (L7OK); the check holds no session and leaves no TIME_WAIT on either side', () => {
    const { r, ends } = checks(one({ svcS: 0.001, interMs: 500 }))
    expect(ends.length).toBeGreaterThan(10)
    for (const e of ends) expect(e).toMatchObject({ status: 'L7OK' })
    const s1 = server(r, 's1')
    expect(s1).toMatchObject({ status: 'UP', chkfail: 0, check_status: 'L7OK' })
    expect(s1.stot ?? 0).toBe(0) // no client in this run: nothing counts the checks as sessions
    expect(r.sockets.maxTimeWait.proxy).toBe(0)
    expect(r.sockets.maxTimeWait.backend).toBe(0)
  })

  it('timeouts as measured on HAProxy 2.6.12: inter without timeout check; with it, the later of the connect stage expiry and timeout check after the connect', () => {
    const cases: [Parameters<typeof one>[0], number][] = [
      [{ svcS: 2.5, interMs: 500 }, 0.5], // measured 500-502 ms
      [{ svcS: 2.5, interMs: 1000, timeoutConnectS: 1, timeoutCheckS: 0.3 }, 1.0], // 1000-1001 ms
      [{ svcS: 2.5, timeoutConnectS: 0.1, timeoutCheckS: 0.3 }, 0.3], // 301-302 ms
      [{ svcS: 2.5, timeoutConnectS: 1, timeoutCheckS: 1.5 }, 1.5], // 1502 ms
      [{ svcS: 2.5, timeoutConnectS: 5, timeoutCheckS: 0.3 }, 2.0], // 2001 ms: inter
      [{ svcS: 0.8, timeoutConnectS: 1, timeoutCheckS: 0.3 }, 0.8] // the response at 800 ms wakes it past timeout check: 793 ms
    ]
    for (const [o, d] of cases) {
      const { r, ends } = checks(one(o))
      expect(ends.length, JSON.stringify(o)).toBeGreaterThanOrEqual(2)
      for (const e of ends) {
        expect(e.status, JSON.stringify(o)).toBe('L7TOUT')
        expect(e.d, JSON.stringify(o)).toBeCloseTo(d, 3)
      }
      expect(server(r, 's1').status).toBe('DOWN')
    }
  })

  it('a busy php-fpm: its checks wait behind the queued requests and time out, HAProxy takes the server out, and every request gets 503; a layer-4 check sees nothing', () => {
    const log: string[] = []
    const r = run(busyFpm({ httpCheck: true }), log)
    const s1 = server(r, 's1')
    expect(s1.chkdown).toBeGreaterThanOrEqual(1)
    expect(['L7TOUT', 'L7OK']).toContain(s1.check_status)
    const down = log.filter((l) => l.includes('check server=s1 DOWN')).map((l) => parseFloat(l))
    // 2 s of checks take 2 s x 10 req/s = 20 queued requests x 0.1 s / 5 children = 0.4 s: they
    // start timing out once ~100 requests (10 s) are queued ahead, DOWN after fall (3) of them
    expect(down[0]).toBeGreaterThan(8)
    expect(down[0]).toBeLessThan(20)
    expect(log.some((l) => l.includes('check-end server=s1 L7TOUT'))).toBe(true)
    expect(r.totals.byCause.http503).toBeGreaterThan(0)
    expect(r.verdict.hits.map((h) => h.ceiling)).toContain('check-timeout')
    const l4 = run(busyFpm({ httpCheck: false }))
    expect(server(l4, 's1')).toMatchObject({ status: 'UP', chkdown: 0, check_status: 'L4OK' })
    expect(l4.totals.byCause.http503).toBe(0)
  })

  it('a static check endpoint: nginx answers it without php-fpm, so the busy server stays UP; a worker server still makes it wait for a free worker', () => {
    const log: string[] = []
    const r = run(busyFpm({ httpCheck: true, httpCheckEndpoint: 'static' }), log)
    expect(server(r, 's1')).toMatchObject({ status: 'UP', chkfail: 0, chkdown: 0, check_status: 'L7OK' })
    expect(r.totals.byCause.http503).toBe(0)
    const ends = httpCheckEnds(log)
    expect(ends.length).toBeGreaterThanOrEqual(10)
    for (const e of ends) expect(e.d).toBeLessThan(0.005)
    // the same run with the app's URL takes the server out (the test above)
    expect(server(run(busyFpm({ httpCheck: true, httpCheckEndpoint: 'app' })), 's1').chkdown).toBeGreaterThanOrEqual(1)

    // an idle worker server whose pages take 2.5 s: the app's URL times out, a static one does not
    const slow = (endpoint: 'app' | 'static') => checks({ ...one({ svcS: 2.5, interMs: 500 }), haproxy: { ...one({ svcS: 2.5, interMs: 500 }).haproxy!, httpCheckEndpoint: endpoint } })
    expect(slow('app').ends.every((e) => e.status === 'L7TOUT')).toBe(true)
    const fast = slow('static')
    expect(fast.ends.length).toBeGreaterThan(10)
    for (const e of fast.ends) expect(e).toMatchObject({ status: 'L7OK' })

    // one worker, busy 90 % of the time (1 req/s x 0.9 s): a static check that comes while it
    // serves waits in the listen queue until it is free; with inter 500ms (no timeout check) it
    // times out instead
    const one1 = one({ svcS: 0.9, interMs: 2000, drainS: 2 })
    one1.durationS = 20
    one1.clients = { ...one1.clients, loadCurve: [{ tS: 0, rate: 1 }] }
    one1.haproxy!.httpCheckEndpoint = 'static'
    one1.backend = { ...one1.backend, workers: 1 }
    const w = checks(one1).ends
    expect(w.some((e) => e.status === 'L7OK' && e.d > 0.5)).toBe(true) // waited for the worker, then passed
    expect(w.some((e) => e.status === 'L7OK' && e.d < 0.005)).toBe(true) // found the worker free
    one1.haproxy!.servers[0]!.check!.interMs = 500
    expect(checks(one1).ends.some((e) => e.status === 'L7TOUT')).toBe(true)
  })

  it("php-fpm's backlog full: nginx answers the check 502 (L7STS); nginx out of worker_connections resets it (SOCKERR); a server that refuses: L4CON", () => {
    const base = (): Scenario => {
      const s = checkScenario({ rate: 200, durationS: 6, drainS: 2 }, {
        httpCheck: true,
        timeoutConnectS: 5,
        timeoutServerS: 60,
        startedS: -5,
        servers: [{ name: 's1', maxconn: 0, maxqueue: 0, weight: 1, check: check({ interMs: 500 }) }]
      })
      s.backend = { ...s.backend, kind: 'nginx-php-fpm', serviceTime: { kind: 'constant', s: 1 } }
      return s
    }
    const full = base()
    full.backend.phpFpm = { ...full.backend.phpFpm, children: 2, listenBacklog: 8 }
    const a: string[] = []
    run(full, a)
    expect(a.some((l) => l.includes('check-end server=s1 L7STS'))).toBe(true)
    const wc = base()
    wc.backend.phpFpm = { ...wc.backend.phpFpm, children: 2, listenBacklog: 4096 }
    wc.backend.nginx = { ...wc.backend.nginx, workerConnections: 64 }
    const b: string[] = []
    run(wc, b)
    expect(b.some((l) => l.includes('check-end server=s1 SOCKERR'))).toBe(true)
    const gone = base()
    gone.haproxy!.servers[0]!.refuses = true
    expect(server(run(gone), 's1')).toMatchObject({ status: 'DOWN', check_status: 'L4CON' })
  })
})
