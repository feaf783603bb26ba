/**
 * Reading a fidelity case (main/sim/fidelity-case.ts): what the load tool's command line says
 * when the case's structured fields leave it out, and what the tool's latency covers.
 */
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { caseToScenario, predictCase, toolFlags, type FidelityCase } from '../../../main/sim/fidelity-case'

const lab = (id: string): FidelityCase => JSON.parse(readFileSync(join(__dirname, '../../../resources/lab', `${id}.json`), 'utf8')) as FidelityCase

describe('toolFlags', () => {
  it('ab: -n, -c, the -t time limit and the -s poll timeout; -r (keep going on receive errors) is no number', () => {
    expect(toolFlags('ab', 'ab -r -l -s 30 -t 20 -n 1280 -c 128 -g <run-dir>/ab.tsv http://10.200.1.2:80/')).toEqual({
      requests: 1280,
      concurrency: 128,
      timeLimitS: 20,
      pollTimeoutS: 30
    })
    expect(toolFlags('ab', 'ab -n 10 -c 2 -s 5 http://x/').pollTimeoutS).toBe(5)
  })

  it('h2load -c C -n N: a connection still in SYN retries at -T is closed by h2load, a timeout, and the run lasts that long', () => {
    const c = JSON.parse(readFileSync(join(__dirname, '../../../../shared/fidelity/cases/accept-overflow-b16.json'), 'utf8')) as FidelityCase
    const s0 = caseToScenario(c).scenario
    expect(s0.durationS + s0.drainS).toBe(65) // -T 50, the harness's hard timeout 65
    // bind backlog 8: 128 SYNs at once; the SYN retries of 6.18 (1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s)
    // leave some connecting past 50 s
    ;(c.scenario.proxy as Record<string, unknown>).bind_backlog = 8
    const p = predictCase(c).predicted
    expect(p.not_ok).toBeGreaterThan(0)
    expect(p.errors).toBe(p.not_ok) // h2load's "timeout", not unfinished requests
    expect(p.duration_s as number).toBeCloseTo(50, 0)
  })

  it('reads ip_local_reserved_ports (the reserved ports inside the range are never picked) and fs.file-max', () => {
    const c = JSON.parse(readFileSync(join(__dirname, '../../../../shared/fidelity/cases/port-exhaustion-tw0.json'), 'utf8')) as FidelityCase
    expect(predictCase(c).predicted.ok).toBe(200) // range 40000-40199, tcp_tw_reuse 0: one connection per port
    const set = c.scenario.kernel.set as Record<string, Record<string, unknown>>
    set.lb = { ...set.lb, 'net.ipv4.ip_local_reserved_ports': '39990-40019,40100,50000-50010', 'fs.file-max': 100000 }
    const s = caseToScenario(c).scenario
    expect(s.hosts.proxy.reservedPorts).toBe(21) // 40000-40019 and 40100; the rest is outside the range
    expect(s.hosts.proxy.fileMax).toBe(100000)
    expect(predictCase(c).predicted.ok).toBe(179)
  })

  it("ab's -s is its watchdog, not a per-request timeout; the run lasts until the harness's hard timeout", () => {
    const c = JSON.parse(readFileSync(join(__dirname, '../../../../shared/fidelity/cases/seed-backlog-8.json'), 'utf8')) as FidelityCase
    const { scenario } = caseToScenario(c)
    expect(scenario.clients.tool).toBe('ab')
    expect(scenario.clients.requestTimeoutS).toBe(30) // ab -s 30: ApacheBench mode reads it as -s
    expect(scenario.durationS).toBe(70) // -t 70
    expect(scenario.durationS + scenario.drainS).toBe(80) // hard_timeout_s
    // without -s and without a hard timeout: ab's default 30 s, and the run goes on that long past -t
    const k = structuredClone(c)
    k.scenario.load = { tool: 'ab', command: 'ab -t 10 -n 100 -c 4 http://x/', model: 'closed', concurrency: 4, requests: 100, target: 'app' }
    const s2 = caseToScenario(k).scenario
    expect(s2.clients.requestTimeoutS).toBe(30)
    expect(s2.durationS + s2.drainS).toBe(40)
  })

  it('h2load: -r N --rate-period P is N connections every P; -t (threads) is not a time; -T with a unit', () => {
    expect(toolFlags('h2load', 'ip netns exec cli h2load --h1 -t 1 -r 3 --rate-period 10ms -c 3000 -n 3000 -T 20s http://10.200.1.2/')).toEqual({
      requests: 3000,
      concurrency: 3000,
      activeTimeoutS: 20,
      batch: 3,
      ratePerS: 300
    })
    expect(toolFlags('h2load', 'h2load --rate=50 --rate-period=0.5s --connection-active-timeout=1m http://x/')).toEqual({
      activeTimeoutS: 60,
      batch: 50,
      ratePerS: 100
    })
    // without --rate-period the period is h2load's default, 1 s
    expect(toolFlags('h2load', 'h2load -r 40 http://x/').ratePerS).toBe(40)
  })

  it('ab -k, alone or among the switches without a value (getopt: -rk), is keep-alive', () => {
    expect(toolFlags('ab', 'ab -k -c 4 -n 40 http://x/').keepAlive).toBe(true)
    expect(toolFlags('ab', 'ab -rk -s 30 -c 4 -n 40 http://x/').keepAlive).toBe(true)
    expect(toolFlags('ab', 'ab -r -c 4 -n 40 http://k/').keepAlive).toBeUndefined()
  })

  it('takes nothing malformed: no value, a negative or non-numeric one, an unknown unit', () => {
    expect(toolFlags('ab', 'ab -n abc -c -5 -t')).toEqual({})
    expect(toolFlags('h2load', 'h2load -T 5x -r 0 -n 1.5')).toEqual({})
    expect(toolFlags('h2load', '')).toEqual({})
  })
})

describe('caseToScenario', () => {
  it('uses the ab command line for the run length when the case gives no timeouts', () => {
    const c = lab('report2-somaxconn-8')
    delete (c.scenario.load as { timeouts?: unknown }).timeouts
    expect(caseToScenario(c).scenario.durationS).toBe(20) // ab -t 20
    c.scenario.load.timeouts = { time_limit_s: 45 }
    expect(caseToScenario(c).scenario.durationS).toBe(45) // the structured field wins
  })

  it('an open-loop h2load case without rate fields is paced by its -r / --rate-period flags', () => {
    const c = lab('report2-somaxconn-8')
    c.scenario.load = { tool: 'h2load', model: 'open', command: 'h2load --h1 -t 1 -r 3 --rate-period 10ms -c 600 -n 600 -T 20s http://10.200.1.2/' }
    const { scenario, load } = caseToScenario(c)
    expect(scenario.clients.mode).toBe('open')
    expect(scenario.clients.arrivalBatch).toBe(3)
    expect(scenario.clients.loadCurve).toEqual([{ tS: 0, rate: 300 }])
    expect(scenario.durationS).toBeCloseTo(2, 9) // 600 requests at 300/s
    expect(scenario.clients.requestTimeoutS).toBe(20)
    expect(load.requests).toBe(600)
    expect(load.latencyIncludesConnect).toBe(false) // h2load times from the request
  })

  it('latency includes connect time when the case says so, whatever the tool', () => {
    const c = lab('accept-overflow-b16-burst128')
    expect(c.scenario.load.latency_includes_connect).toBe(true)
    expect(caseToScenario(c).load.latencyIncludesConnect).toBe(true)
    delete c.scenario.load.latency_includes_connect
    expect(caseToScenario(c).load.latencyIncludesConnect).toBe(false) // not ab: h2load's rule
    c.scenario.load.tool = 'ab'
    expect(caseToScenario(c).load.latencyIncludesConnect).toBe(true)
  })
})

describe('requests per connection of the load tool', () => {
  const shared = (id: string): FidelityCase =>
    JSON.parse(readFileSync(join(__dirname, '../../../../shared/fidelity/cases', `${id}.json`), 'utf8')) as FidelityCase
  const withLoad = (load: Record<string, unknown>): ReturnType<typeof caseToScenario>['scenario'] => {
    const c = shared('haproxy-maxconn-raised')
    c.scenario.load = load
    return caseToScenario(c).scenario
  }

  it('h2load -c C -n N: C keep-alive connections of ceil(N/C), closed by the client; HAProxy keeps server connections', () => {
    const s = withLoad({ tool: 'h2load', model: 'closed', concurrency: 4, requests: 10, command: 'h2load --h1 -c 4 -n 10 http://x/' })
    expect(s.clients).toMatchObject({ mode: 'closed', concurrency: 4, totalRequests: 10, keepAlive: true, requestsPerConnection: 3, closesFirst: 'client' })
    expect(s.haproxy!.serverConnections).toBe('keep-alive') // "haproxy 2.6 default (keep-alive, http-reuse safe)"
  })

  it('h2load -n = -c (the shared cases): one request per connection, as before', () => {
    const s = caseToScenario(shared('accept-overflow-b16')).scenario
    expect(s.clients.keepAlive).toBe(false)
    expect(s.clients.requestsPerConnection).toBe(1)
    expect(s.haproxy!.serverConnections).toBe('per-request')
  })

  it("a lab case's own node client (N requests over C users) keeps one connection per request", () => {
    const c = lab('closed-client-ports-50-source-ips-1')
    expect(c.scenario.load.tool).toBe('node-closed-loop')
    expect(caseToScenario(c).scenario.clients.keepAlive).toBe(false)
  })

  it('h2load rate mode: -c connections at the rate, round(N/C) requests each; the run lasts -c / rate', () => {
    const s = withLoad({ tool: 'h2load', model: 'open', command: 'h2load --h1 -r 10 --rate-period 1s -c 50 -n 500 http://x/' })
    expect(s.clients.mode).toBe('open')
    expect(s.clients.requestsPerConnection).toBe(10)
    expect(s.clients.keepAlive).toBe(true)
    expect(s.durationS).toBeCloseTo(5, 9)
  })

  it('h2load -D (timing-based): C connections kept busy for warm-up + duration, -n ignored', () => {
    expect(toolFlags('h2load', 'h2load --h1 -c 4 -D 10s --warm-up-time 2 http://x/')).toMatchObject({ concurrency: 4, durationS: 10, warmUpS: 2 })
    const s = withLoad({ tool: 'h2load', model: 'closed', concurrency: 4, command: 'h2load --h1 -c 4 -D 10 --warm-up-time 2s http://x/' })
    expect(s.clients).toMatchObject({ mode: 'closed', concurrency: 4, totalRequests: 0, keepAlive: true, closesFirst: 'client' })
    expect(s.clients.requestsPerConnection).toBeGreaterThanOrEqual(1_000_000)
    expect(s.durationS).toBe(12)
  })

  it('ab -k -c C -n N: C keep-alive users (ceil(N/C) each), the client closes; ab without -k: one per request, the server closes', () => {
    const k = withLoad({ tool: 'ab', model: 'closed', concurrency: 16, requests: 1600, command: 'ab -k -c 16 -n 1600 http://x/' })
    expect(k.clients).toMatchObject({ keepAlive: true, requestsPerConnection: 100, closesFirst: 'client' })
    // the generic keep-alive loop would take -s for a per-request timeout: none
    expect(k.clients.requestTimeoutS).toBeNull()
    expect(k.clients.tool).toBeUndefined()
    const plain = withLoad({ tool: 'ab', model: 'closed', concurrency: 16, requests: 1600, command: 'ab -c 16 -n 1600 http://x/' })
    expect(plain.clients).toMatchObject({ keepAlive: false, requestsPerConnection: 1, closesFirst: 'server', tool: 'ab', requestTimeoutS: 30 })
  })
})

describe('who closes the proxy -> server connections', () => {
  const shared = (id: string): FidelityCase =>
    JSON.parse(readFileSync(join(__dirname, '../../../../shared/fidelity/cases', `${id}.json`), 'utf8')) as FidelityCase

  it('ab (HTTP/1.0, no -k) through HAProxy in http mode: the server, so TIME_WAIT lands on the backend host', () => {
    const c = shared('haproxy-maxconn-raised')
    expect(caseToScenario(c).scenario.haproxy!.backendClosesFirst).toBe('server')
    c.scenario.load.command = String(c.scenario.load.command).replace(' ab ', ' ab -k ')
    expect(caseToScenario(c).scenario.haproxy!.backendClosesFirst).toBe('reset') // keep-alive: HAProxy's reset
  })

  it('h2load (HTTP/1.1) in http mode: a reset from HAProxy; mode tcp: the proxy', () => {
    expect(caseToScenario(shared('rtt-migration-1ms')).scenario.haproxy!.backendClosesFirst).toBe('reset')
    expect(caseToScenario(shared('port-exhaustion-tw0')).scenario.haproxy!.backendClosesFirst).toBe('proxy')
  })
})

describe('predictCase: the median over replications', () => {
  it('takes 5 seeds, the median per key; a case heavier than the event budget gets fewer, by its event count', () => {
    const c = lab('accept-overflow-b16-burst128')
    const five = predictCase(c, 1)
    expect(five.runs).toHaveLength(5)
    const v = five.runs.map((r) => r['latency_ms.p99'] as number).sort((a, b) => a - b)
    expect(five.predicted['latency_ms.p99']).toBe(v[2])
    expect(predictCase(c, 1, 5, 1).runs).toHaveLength(1) // budget below one run's events
    expect(predictCase(c, 1, 5, 1).predicted).toEqual(five.runs[0])
  })
})
