/**
 * observedBackendClose: who closed the proxy -> server connections in a lab run, from where
 * TIME_WAIT landed. The httpchk-busy-php-fpm row measured 1-3 TIME_WAITs on nginx's side from
 * HAProxy's address: check connections nginx closed first (HTTP/1.0), not the requests' ones,
 * which HAProxy reset as in every other mode-http row.
 */
import { describe, expect, it } from 'vitest'
import { observedBackendClose, type LabSample, type RunMetrics } from '../../../main/lab/run'
import { defaultScenario, defaultServerCheck, type Scenario } from '../../../simulator/scenario'

const sample = (toBackend: number, fromProxy: number): LabSample => ({ t: 0, acceptq: {}, synq: {}, synSent: {}, timeWait: {}, timeWaitToBackend: toBackend, timeWaitBackendFromProxy: fromProxy })
const runOf = (samples: LabSample[]): RunMetrics => ({ metrics: { ok: 100 }, proxyStarted: true, proxyMessage: '', samples, backlogs: {}, effective: {}, pingRttMs: {}, loadCommand: '' })

function checked(http: boolean): Scenario {
  const s = defaultScenario()
  s.haproxy!.httpCheck = http
  s.haproxy!.servers = s.haproxy!.servers.map((sv) => ({ ...sv, check: defaultServerCheck() })) // inter 2 s: 31 checks per 60 s each
  return s
}

describe('observedBackendClose', () => {
  it('TIME_WAIT on the proxy: proxy; on the backend: server; nowhere: reset', () => {
    const s = defaultScenario()
    expect(observedBackendClose(s, [runOf([sample(0, 0), sample(5, 0)])])).toBe('proxy')
    expect(observedBackendClose(s, [runOf([sample(0, 0), sample(0, 1)])])).toBe('server')
    expect(observedBackendClose(s, [runOf([sample(0, 0)])])).toBe('reset')
  })

  it('with option httpchk, as many backend TIME_WAITs as the checks of 60 s are the checks', () => {
    expect(observedBackendClose(checked(true), [runOf([sample(0, 3)])])).toBe('reset')
    expect(observedBackendClose(checked(true), [runOf([sample(0, 62)])])).toBe('reset')
    expect(observedBackendClose(checked(true), [runOf([sample(0, 63)])])).toBe('server')
    // layer-4 checks carry no request: nginx never closes them first
    expect(observedBackendClose(checked(false), [runOf([sample(0, 3)])])).toBe('server')
  })
})
