import { describe, expect } from 'vitest'
import { runLab } from '../../../main/lab/run'
import { defaultScenario } from '../../../simulator/scenario'
import { labIt } from './lab-env'

// Field report 2's mechanism on the real stack: somaxconn=8 clamps both nginx's listen(511) and
// php-fpm's listen.backlog (511) to 8, so php-fpm's accept queue holds at most 9 connections from
// nginx; 2 PHP workers sleeping 100 ms cannot keep up with 24 clients and the queue overflows.
// (fastcgi_connect_timeout 2 s keeps the run short: nginx answers 504 instead of waiting 60 s.)
const s = defaultScenario()
s.name = 'lab-test-php-fpm-somaxconn'
s.durationS = 20
s.drainS = 10
s.haproxy = null
s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
s.clients.mode = 'closed'
s.clients.loadCurve = []
s.clients.concurrency = 24
s.clients.totalRequests = 48
s.clients.requestTimeoutS = 20
s.clients.sourceIps = 1
s.backend.kind = 'nginx-php-fpm'
s.backend.serviceTime = { kind: 'constant', s: 0.1 }
s.backend.nginx = { workers: 1, workerConnections: 1024, listenBacklog: 511, fastcgiConnectTimeoutS: 2 }
s.backend.phpFpm = { children: 2, listenBacklog: 511, socket: 'tcp' }
for (const h of ['client', 'proxy', 'backend'] as const) s.hosts[h].version = '6.18'
s.hosts.backend.somaxconn = 8
s.hosts.backend.syncookies = 0
const { test, missing } = await labIt(s)

describe('lab: nginx + php-fpm under somaxconn=8', () => {
  test('both listeners are clamped to 8, php-fpm queue holds at most 9 and overflows', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const res = await runLab(s, { runs: 1 })
    const m = (k: string): number => {
      const v = res.measured[k]
      if (!v || !('mean' in v)) throw new Error(`no measured ${k}`)
      return v.mean
    }
    expect((res.scenario['backend'] as { listen_backlog_effective: Record<string, number> }).listen_backlog_effective).toEqual({ 80: 8, 9000: 8 })
    expect(m('sockets.max_acceptq_app_port9000')).toBeGreaterThan(0)
    expect(m('sockets.max_acceptq_app_port9000')).toBeLessThanOrEqual(9)
    expect(m('kernel.app.ListenOverflows')).toBeGreaterThan(0)
    expect(m('requests')).toBe(48)
    expect(m('ok') + m('not_ok')).toBe(48)
  })
})
