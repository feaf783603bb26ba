import { describe, expect } from 'vitest'
import { runLab } from '../../../main/lab/run'
import { labIt, measuredMean, phpFpmDirectScenario } from './lab-env'

// Field report 2's mechanism on the real stack: somaxconn=8 clamps both nginx's listen(511) and
// php-fpm's listen.backlog (511) to 8, so php-fpm's accept queue holds at most 9 connections from
// nginx; 2 PHP workers sleeping 100 ms cannot keep up with 24 clients and the queue overflows.
// (fastcgi_connect_timeout 2 s keeps the run short: nginx answers 504 instead of waiting 60 s.)
const s = phpFpmDirectScenario({ name: 'lab-test-php-fpm-somaxconn', users: 24, requests: 48, serviceS: 0.1, children: 2, fastcgiConnectTimeoutS: 2 })
s.hosts.backend.somaxconn = 8
s.hosts.backend.syncookies = 0
const { test, missing } = await labIt(s)

describe('lab: nginx + php-fpm under somaxconn=8', () => {
  test('both listeners are clamped to 8, php-fpm queue holds at most 9 and overflows', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const res = await runLab(s, { runs: 1 })
    const m = measuredMean(res)
    expect((res.scenario['backend'] as { listen_backlog_effective: Record<string, number> }).listen_backlog_effective).toEqual({ 80: 8, 9000: 8 })
    expect(m('sockets.max_acceptq_app_port9000')).toBeGreaterThan(0)
    expect(m('sockets.max_acceptq_app_port9000')).toBeLessThanOrEqual(9)
    expect(m('kernel.app.ListenOverflows')).toBeGreaterThan(0)
    expect(m('requests')).toBe(48)
    expect(m('ok') + m('not_ok')).toBe(48)
  })
})
