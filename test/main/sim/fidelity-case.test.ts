/**
 * Reading a fidelity case (main/sim/fidelity-case.ts): what the load tool's command line says
 * when the case's structured fields leave it out, and what the tool's latency covers.
 */
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { caseToScenario, toolFlags, type FidelityCase } from '../../../main/sim/fidelity-case'

const lab = (id: string): FidelityCase => JSON.parse(readFileSync(join(__dirname, '../../../resources/lab', `${id}.json`), 'utf8')) as FidelityCase

describe('toolFlags', () => {
  it('ab: -n, -c and the -t time limit; -r (keep going on receive errors) and -s are no numbers it needs', () => {
    expect(toolFlags('ab', 'ab -r -l -s 30 -t 20 -n 1280 -c 128 -g <run-dir>/ab.tsv http://10.200.1.2:80/')).toEqual({
      requests: 1280,
      concurrency: 128,
      timeLimitS: 20
    })
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

  it('takes nothing malformed: no value, a negative or non-numeric one, an unknown unit', () => {
    expect(toolFlags('ab', 'ab -n abc -c -5 -t')).toEqual({})
    expect(toolFlags('h2load', 'h2load -T 5x -r 0 -n 1.5')).toEqual({})
    expect(toolFlags('h2load', '')).toEqual({})
  })
})

describe('caseToScenario', () => {
  it('uses the ab command line for the run length when the case gives no timeouts', () => {
    const c = lab('report2-somaxconn-8')
    expect((c.scenario.load as { timeouts?: unknown }).timeouts).toBeUndefined()
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
