/** Recommended what-if from the findings: right knobs for both field reports, and the simulator agrees it helps. */
import { describe, expect, it } from 'vitest'
import { loadDemo } from '../../../main/demos/handlers'
import { diagnose } from '../../../main/diagnosis/rules'
import { buildPlan } from '../../../main/plan/build'
import { recommendScenario } from '../../../main/plan/recommend'
import { decodeResult } from '../../../simulator/result'
import { simulate } from '../../../simulator/index'
import type { Scenario } from '../../../simulator/scenario'
import { resources } from './tools'

// preview: report 1's 6-minute open-loop curve; report 2 (closed loop) fails late (30 s request
// timeouts, 60 s fastcgi_connect_timeout), past a closed-loop preview's event budget: its full run
const failedShare = (s: Scenario, preview = true): number => {
  const r = decodeResult(simulate(s, { seed: 5, preview })).summary
  return r.totals.failed / Math.max(1, r.totals.ok + r.totals.failed)
}

describe('recommendScenario', () => {
  it('report 1: maxconn, backlog, somaxconn, tw_recycle off, server maxconn + timeout queue, ports', async () => {
    const d = await loadDemo(resources, 'report1-sms-gateway')
    const rec = recommendScenario(d.snapshot, d.scenario, diagnose(d.snapshot))
    const by = Object.fromEntries(rec.changes.map((c) => [c.path, c]))
    expect(by['haproxy.globalMaxconn']).toMatchObject({ from: 'null', to: '5000' })
    expect(by['hosts.proxy.somaxconn']).toMatchObject({ from: '128', to: '4096' })
    expect(by['hosts.proxy.twRecycle']).toMatchObject({ to: '0', because: 'tcp-tw-recycle' })
    expect(by['haproxy.bindBacklog']!.to).toBe('4096')
    expect(by['haproxy.servers']!.to).toBe('[1550,1550]')
    expect(by['haproxy.timeoutQueueS']).toMatchObject({ from: '60', to: '5' })
    expect(by['hosts.proxy.ipLocalPortRange']!.to).toBe('[10240,65000]')
    const plan = buildPlan({ snapshot: d.snapshot, baseline: d.scenario, scenario: rec.scenario })
    expect(plan.items.map((i) => i.id)).toEqual(expect.arrayContaining(['sysctl:net.core.somaxconn', 'sysctl:net.ipv4.tcp_tw_recycle', 'haproxy:global.maxconn', 'haproxy:frontend.sms_callback.maxconn', 'haproxy:server.sms_app/web03.maxconn']))
    expect(failedShare(rec.scenario)).toBeLessThan(failedShare(d.scenario))
  })

  it('report 2: somaxconn, syncookies, tw buckets, php-fpm children, and nginx worker_connections for what php-fpm can then hold', async () => {
    const d = await loadDemo(resources, 'report2-nginx-php-fpm')
    const rec = recommendScenario(d.snapshot, d.scenario, diagnose(d.snapshot))
    expect(rec.changes.map((c) => c.path).sort()).toEqual(['backend.nginx.workerConnections', 'backend.phpFpm.children', 'hosts.backend.maxTwBuckets', 'hosts.backend.somaxconn', 'hosts.backend.syncookies'])
    // php-fpm's queue is min(511, 4096) + 1 with 8 children: 2 x 520 + nginx's own 2 > 1024
    expect(rec.changes.find((c) => c.path === 'backend.nginx.workerConnections')).toMatchObject({ from: '1024', to: '2048' })
    expect(failedShare(rec.scenario, false)).toBeLessThan(failedShare(d.scenario, false))
    // without it the larger queues let nginx run out of connections: worse than before
    const short = structuredClone(rec.scenario)
    short.backend.nginx.workerConnections = 1024
    expect(failedShare(short, false)).toBeGreaterThan(failedShare(d.scenario, false))
  })

  it('php-fpm children: no more than keep the backend host\'s cores busy when its CPU is in the scenario', async () => {
    const d = await loadDemo(resources, 'report2-nginx-php-fpm')
    const children = (cpu: Scenario['backend']['cpu']) => {
      const base = structuredClone(d.scenario)
      base.backend.cpu = cpu
      return recommendScenario(d.snapshot, base, diagnose(d.snapshot)).changes.find((c) => c.path === 'backend.phpFpm.children')
    }
    expect(d.scenario.backend.phpFpm.children).toBe(5)
    expect(children(null)).toMatchObject({ from: '5', to: '10' })
    // a page that only computes, or a quarter of it, on 1 core: 5 children already keep it busy; more only wait for it
    expect(children({ cores: 1, share: 1 })).toBeUndefined()
    expect(children({ cores: 1, share: 0.25 })).toBeUndefined()
    // an eighth: 8 keep the core busy
    expect(children({ cores: 1, share: 0.125 })).toMatchObject({ from: '5', to: '8' })
    // mostly waiting (5% CPU) on 4 cores: 80 would keep them busy, so the usual doubling stands
    expect(children({ cores: 4, share: 0.05 })).toMatchObject({ from: '5', to: '10' })
  })

  it('nginx worker_connections keeps 1/16 free: nginx reuses (resets) waiting connections below that', async () => {
    const d = await loadDemo(resources, 'report2-nginx-php-fpm')
    const wcChange = (backlog: number) => {
      const base = structuredClone(d.scenario)
      base.backend.phpFpm.listenBacklog = backlog
      return recommendScenario(d.snapshot, base, diagnose(d.snapshot)).changes.find((c) => c.path === 'backend.nginx.workerConnections')
    }
    // 8 children + a queue of 472: 2 x 480 + 2 = 962 fits 1024, but not 1024 less its 64
    expect(wcChange(471)).toMatchObject({ from: '1024', to: '2048' })
    // 8 + 448: 2 x 456 + 2 = 914 fits in 960
    expect(wcChange(447)).toBeUndefined()
  })

  it('servers without checks: check on each and option redispatch, and the plan writes them', async () => {
    const d = await loadDemo(resources, 'report1-sms-gateway')
    const cfg = d.snapshot.haproxy?.config
    if (!cfg?.ok) throw new Error('report 1 has an HAProxy config')
    for (const sv of cfg.value.parsed.proxies.flatMap((p) => p.servers)) {
      sv.raw = sv.raw.replace(/\s+check\b/, '')
      sv.check = false
    }
    const base = structuredClone(d.scenario)
    base.haproxy!.servers = base.haproxy!.servers.map((sv) => ({ ...sv, check: null }))
    base.haproxy!.redispatch = false
    const rec = recommendScenario(d.snapshot, base, diagnose(d.snapshot))
    const by = Object.fromEntries(rec.changes.map((c) => [c.path, c]))
    expect(by['haproxy.servers[].check']).toMatchObject({ from: '"no check, no check"', to: '"check, check"', because: 'haproxy-servers-unchecked' })
    expect(by['haproxy.redispatch']).toMatchObject({ from: 'false', to: 'true' })
    expect(rec.scenario.haproxy!.servers.every((sv) => sv.check?.interMs === 2000)).toBe(true)
    const plan = buildPlan({ snapshot: d.snapshot, baseline: base, scenario: rec.scenario })
    expect(plan.items.map((i) => i.id)).toEqual(expect.arrayContaining(['haproxy:server.sms_app/web03.check', 'haproxy:server.sms_app/web04.check', 'haproxy:backend.sms_app.redispatch']))
    // a new check is written out in full: a default-server line could say otherwise
    expect(plan.haproxyDiff).toMatch(/^\+\s+server\s+web03 10\.20\.1\.13:8080 check .*inter 2000ms rise 2 fall 3$/m)
  })

  it('a healthy snapshot gets no change', async () => {
    const d = await loadDemo(resources, 'report2-nginx-php-fpm')
    const rec = recommendScenario(d.snapshot, d.scenario, { ...diagnose(d.snapshot), findings: [] })
    expect(rec.changes).toEqual([])
  })
})
