import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseSnapshot, type Snapshot } from '../../../main/snapshot/schema'
import { applyPatch, countReserved, httpCheckRequest, scenarioFromSnapshot, serverCheckFromConfig } from '../../../main/scenario/from-snapshot'
import { parseNginxDump } from '../../../main/snapshot/parse/nginx'
import { val } from '../../../main/diagnosis/facts'
import { parseScenario } from '../../../main/sim/scenario-schema'
import { haproxyEffectiveLimits, effectiveBacklog, defaultServerCheck } from '../../../simulator/scenario'

function demo(name: string): Snapshot {
  const r = parseSnapshot(JSON.parse(readFileSync(new URL(`../../../resources/demo/${name}`, import.meta.url), 'utf8')))
  if (!r.ok) throw new Error(r.error)
  return r.snapshot
}

describe('scenarioFromSnapshot', () => {
  it('marks servers on loopback addresses (tcp_tw_reuse=2 reuses towards them only)', () => {
    const snap = demo('report1.snapshot.json')
    const cfg = snap.haproxy?.config
    if (!cfg?.ok) throw new Error('the demo has an HAProxy config')
    const be = cfg.value.parsed.proxies.find((p) => p.servers.length > 0)!
    be.servers[0]!.addr = '127.0.0.1'
    be.servers[1]!.addr = '[::1]'
    expect(scenarioFromSnapshot(snap).scenario.haproxy!.servers.map((s) => s.loopback)).toEqual([true, true])
    be.servers[1]!.addr = '127.0.0.1.example'
    expect(scenarioFromSnapshot(snap).scenario.haproxy!.servers.map((s) => s.loopback)).toEqual([true, false])
  })
  it('maps report 1 (HAProxy 1.5 on 3.10) faithfully', () => {
    const { scenario, assumed } = scenarioFromSnapshot(demo('report1.snapshot.json'))
    parseScenario(scenario)
    const h = scenario.haproxy!
    expect(h).not.toBeNull()
    expect(h.version).toMatch(/^1\.5/)
    expect(h.globalMaxconn).toBeNull() // not set in haproxy.cfg: the 1.x default applies
    expect(h.frontendMaxconn).toBeNull()
    const lim = haproxyEffectiveLimits(h, scenario.hosts.proxy.somaxconn)
    expect(lim.maxconn).toBe(2000)
    expect(lim.frontendMaxconn).toBe(2000)
    expect(lim.backlogEffective).toBe(128) // listen(2000) clamped by somaxconn 128
    expect(scenario.hosts.proxy.version).toBe('3.10')
    expect(scenario.hosts.proxy.somaxconn).toBe(128)
    expect(scenario.hosts.proxy.twRecycle).toBe(1)
    expect(h.servers.map((s) => s.name)).toEqual(['web03', 'web04'])
    // remote servers (10.20.1.13-14): tcp_tw_reuse=2 would not reuse towards them
    expect(h.servers.map((s) => s.loopback)).toEqual([false, false])
    expect(h.fdSoft).toBe(1024)
    expect(assumed).toContain('clients')
    expect(assumed).not.toContain('hosts.proxy.somaxconn')
    // `server web03 10.20.1.13:8080 check`: HAProxy's check defaults; both UP in show stat
    expect(h.servers.map((s) => s.check)).toEqual([defaultServerCheck(), defaultServerCheck()])
    expect(h.servers.map((s) => s.refuses)).toEqual([undefined, undefined])
    // `timeout check 10s` in its defaults: a check's connect gives up at min(timeout connect, inter)
    expect(h.timeoutCheckS).toBe(10)
  })

  it('health checks: default-server lines of the defaults section, then the backend, then the server line; no-check turns it off', () => {
    expect(serverCheckFromConfig('server a 10.0.0.1:80 check', [])).toEqual(defaultServerCheck())
    expect(serverCheckFromConfig('server a 10.0.0.1:80', [['inter', '3s', 'fall', '5']])).toBeNull()
    expect(serverCheckFromConfig('server a 10.0.0.1:80 check inter 500ms fastinter 100 # comment', [['inter', '3s', 'fall', '5'], ['rise', '4', 'downinter', '10s']])).toEqual({
      interMs: 500,
      fastinterMs: 100,
      downinterMs: 10000,
      rise: 4,
      fall: 5
    })
    expect(serverCheckFromConfig('server a 10.0.0.1:80 no-check', [['check']])).toBeNull()
    expect(serverCheckFromConfig('server a 10.0.0.1:80', [['check', 'inter', 'bogus', 'rise', '0']])).toEqual(defaultServerCheck())
  })

  it('a server show stat has DOWN is modelled as refusing, so its check keeps it DOWN: every request goes to the other', () => {
    const snap = demo('report1.snapshot.json')
    const stat = snap.haproxy!.stat
    if (!stat.ok) throw new Error('demo has no stats')
    for (const r of stat.value.rows) if (r['pxname'] === 'sms_app' && r['svname'] === 'web04') r['status'] = 'DOWN'
    const h = scenarioFromSnapshot(snap).scenario.haproxy!
    expect(h.servers.map((s) => s.refuses === true)).toEqual([false, true])
    expect(h.startedS ?? null).toBeNull()
  })

  it('option httpchk in the backend or its defaults makes every check an HTTP check; a later check type (tcp-check) replaces it', () => {
    const snap = demo('report1.snapshot.json')
    const cfg = snap.haproxy?.config
    if (!cfg?.ok) throw new Error('the demo has an HAProxy config')
    const proxies = cfg.value.parsed.proxies
    const be = proxies.find((p) => p.servers.length > 0)!
    // report 1's backend: `option httpchk GET /health`
    expect(be.options).toContain('httpchk GET /health')
    expect(scenarioFromSnapshot(snap).scenario.haproxy!.httpCheck).toBe(true)
    be.options.push('tcp-check')
    expect(scenarioFromSnapshot(snap).scenario.haproxy!.httpCheck ?? false).toBe(false)
    be.options.length = 0
    expect(scenarioFromSnapshot(snap).scenario.haproxy!.httpCheck ?? false).toBe(false)
    const dflt = proxies.find((p) => p.kind === 'defaults')!
    dflt.options.push('httpchk')
    const s = scenarioFromSnapshot(snap).scenario
    expect(s.haproxy!.httpCheck).toBe(true)
    parseScenario(s)
    be.options.push('ssl-hello-chk') // the backend's own check type wins over its defaults'
    expect(scenarioFromSnapshot(snap).scenario.haproxy!.httpCheck ?? false).toBe(false)
  })

  it("what answers the HTTP checks: the check's request from the config, the location of this host's nginx when the servers are local, else assumed", () => {
    const snap = demo('report1.snapshot.json')
    const cfg = snap.haproxy?.config
    if (!cfg?.ok) throw new Error('the demo has an HAProxy config')
    const be = cfg.value.parsed.proxies.find((p) => p.servers.length > 0)!
    expect(httpCheckRequest(be, undefined)).toEqual({ method: 'GET', uri: '/health' })
    const req = (options: string[], settings: { keyword: string; args: string[] }[] = []) => httpCheckRequest({ ...be, options, settings: settings as typeof be.settings }, undefined)
    expect(req(['httpchk'])).toEqual({ method: 'OPTIONS', uri: '/' })
    expect(req(['httpchk /ping'])).toEqual({ method: 'OPTIONS', uri: '/ping' })
    expect(req(['httpchk HEAD /x HTTP/1.1'])).toEqual({ method: 'HEAD', uri: '/x' })
    expect(req(['httpchk'], [{ keyword: 'http-check', args: ['send', 'meth', 'GET', 'uri', '/y', 'ver', 'HTTP/1.1'] }])).toEqual({ method: 'GET', uri: '/y' })

    // report 1: the servers are other machines, so nothing says what answers /health
    const r1 = scenarioFromSnapshot(snap)
    expect(r1.scenario.haproxy!.httpCheckEndpoint ?? null).toBeNull()
    expect(r1.assumed).toContain('haproxy.httpCheckEndpoint')

    // the same HAProxy in front of this host's own nginx (report 2's, one location added)
    const nginxText = (extra: string) => val(parseNginxDump(`# configuration file /etc/nginx/conf.d/api.conf:\nserver {\n  listen 8080;\n${extra}  location / { fastcgi_pass 127.0.0.1:9000; }\n}\n`))!
    const local = (extra: string) => {
      const s = demo('report1.snapshot.json')
      const c = s.haproxy!.config
      if (!c.ok) throw new Error('config')
      for (const sv of c.value.parsed.proxies.find((p) => p.servers.length > 0)!.servers) sv.addr = '127.0.0.1'
      const r2 = demo('report2.snapshot.json')
      s.nginx = { ...r2.nginx!, config: { ok: true, value: nginxText(extra) } as NonNullable<typeof r2.nginx>['config'] }
      return scenarioFromSnapshot(s)
    }
    const st = local('  location = /health { access_log off; return 200; }\n')
    expect(st.scenario.haproxy!.httpCheckEndpoint).toBe('static')
    expect(st.assumed).not.toContain('haproxy.httpCheckEndpoint')
    parseScenario(st.scenario)
    expect(local('').scenario.haproxy!.httpCheckEndpoint).toBe('app') // /health reaches php-fpm through location /
    expect(local('  location = /health { proxy_pass http://127.0.0.1:9001; }\n').scenario.haproxy!.httpCheckEndpoint).toBe('app')
    const err = local('  location = /health { return 404; }\n') // every check would fail: not modelled, left assumed
    expect(err.scenario.haproxy!.httpCheckEndpoint ?? null).toBeNull()
    expect(err.assumed).toContain('haproxy.httpCheckEndpoint')
  })

  it('maps report 2 (nginx + php-fpm, no proxy)', () => {
    const { scenario } = scenarioFromSnapshot(demo('report2.snapshot.json'))
    parseScenario(scenario)
    expect(scenario.haproxy).toBeNull()
    expect(scenario.backend.kind).toBe('nginx-php-fpm')
    expect(scenario.hosts.backend.somaxconn).toBe(8)
    expect(scenario.hosts.backend.syncookies).toBe(0)
    expect(scenario.hosts.backend.tcpMaxSynBacklog).toBe(1024)
    expect(scenario.backend.phpFpm.socket).toBe('tcp')
    expect(scenario.backend.phpFpm.children).toBe(5)
    expect(effectiveBacklog(scenario.backend.nginx.listenBacklog, 8)).toBe(8)
    expect(effectiveBacklog(scenario.backend.phpFpm.listenBacklog, 8)).toBe(8)
  })

  it('applies a workload last, replacing arrays whole', () => {
    const { scenario } = scenarioFromSnapshot(demo('report2.snapshot.json'), {
      clients: { mode: 'closed', concurrency: 7, loadCurve: [] },
      network: { clientRttMs: 12 }
    })
    expect(scenario.clients.concurrency).toBe(7)
    expect(scenario.clients.loadCurve).toEqual([])
    expect(scenario.network.clientRttMs).toBe(12)
    expect(scenario.hosts.backend.somaxconn).toBe(8)
  })

  it('keeps defaults and says so when items failed to collect', () => {
    const snap = demo('report2.snapshot.json')
    snap.sysctls.values['net.core.somaxconn'] = { ok: false, error: 'permission denied', detail: 'x' }
    const { scenario, assumed } = scenarioFromSnapshot(snap)
    expect(assumed).toContain('hosts.backend.somaxconn')
    expect(scenario.hosts.backend.somaxconn).toBe(128) // the 3.10-era default
  })
})

describe('HAProxy threads from a snapshot', () => {
  /** Report 1's snapshot with HAProxy 2.6 (no nbthread in its haproxy.cfg) on `cpus` CPUs. */
  function v26(cpus: number, liveThreads: number | null): Snapshot {
    const snap = demo('report1.snapshot.json')
    const hp = snap.haproxy!
    hp.version = { ok: true, value: { ...(hp.version.ok ? hp.version.value : { raw: '', date: '' }), version: '2.6.12', major: 2, minor: 6 } } as typeof hp.version
    if (hp.info.ok) {
      delete hp.info.value['Nbthread']
      if (liveThreads != null) hp.info.value['Nbthread'] = liveThreads
    }
    snap.host.cpus = { ok: true, value: cpus } as typeof snap.host.cpus
    return snap
  }

  it('1.5 has no threads: 1; 2.x without nbthread runs one per CPU, as its show info says when it has the line', () => {
    expect(scenarioFromSnapshot(demo('report1.snapshot.json')).scenario.haproxy!.nbthread).toBe(1)
    expect(scenarioFromSnapshot(v26(8, null)).scenario.haproxy!.nbthread).toBe(8)
    expect(scenarioFromSnapshot(v26(128, null)).scenario.haproxy!.nbthread).toBe(64) // MAX_THREADS
    expect(scenarioFromSnapshot(v26(8, 4)).scenario.haproxy!.nbthread).toBe(4) // e.g. bound by cpu-map / taskset
    // the threads' fds count in maxsock, so they move the maxconn 2.x computes from the fd limit
    const h = scenarioFromSnapshot(v26(8, null)).scenario.haproxy!
    expect(haproxyEffectiveLimits({ ...h, globalMaxconn: null }, 4096).maxconn).toBeLessThan(haproxyEffectiveLimits({ ...h, globalMaxconn: null, nbthread: 1 }, 4096).maxconn)
  })

  it('the CPU count missing: the version default for one CPU, marked as assumed', () => {
    const snap = v26(8, null)
    snap.host.cpus = { ok: false, error: 'permission denied', detail: 'x' } as typeof snap.host.cpus
    const { scenario, assumed } = scenarioFromSnapshot(snap)
    expect(scenario.haproxy!.nbthread).toBe(1)
    expect(assumed).toContain('haproxy.nbthread')
  })
})

describe('helpers', () => {
  it('applyPatch merges objects and replaces arrays', () => {
    expect(applyPatch({ a: { b: 1, c: 2 }, d: [1, 2] }, { a: { c: 3 }, d: [9] })).toEqual({ a: { b: 1, c: 3 }, d: [9] })
    expect(applyPatch({ a: 1 }, undefined)).toEqual({ a: 1 })
  })
  it('counts reserved ports inside the range only', () => {
    expect(countReserved('8080,32768-32770,61000-61010', [32768, 60999])).toBe(3)
    expect(countReserved('', [32768, 60999])).toBe(0)
    expect(countReserved('junk,40000', [32768, 60999])).toBe(1)
  })
})

describe('workloadFromSnapshot', () => {
  it('seeds report 1 from the HAProxy frontend rate and rate_max', async () => {
    const { workloadFromSnapshot } = await import('../../../main/scenario/from-snapshot')
    const snap = demo('report1.snapshot.json')
    const w = workloadFromSnapshot(snap)
    const stat = snap.haproxy!.stat
    if (!stat.ok) throw new Error('demo has no stats')
    const fe = stat.value.rows.filter((r) => r['svname'] === 'FRONTEND')
    const rate = fe.reduce((a, r) => a + Number(r['rate']), 0)
    const max = fe.reduce((a, r) => a + Number(r['rate_max']), 0)
    expect(rate).toBeGreaterThan(0)
    expect(max).toBeGreaterThan(rate)
    expect(w.basis).toBe(`HAProxy FRONTEND rate ${rate}/s, rate_max ${max}/s`)
    expect(w.patch.clients?.loadCurve?.map((p) => p.rate)).toEqual([rate, max, max, rate])
    parseScenario(scenarioFromSnapshot(snap, w.patch).scenario)
  })
  it('falls back to the kernel passive-open rate without HAProxy', async () => {
    const { workloadFromSnapshot } = await import('../../../main/scenario/from-snapshot')
    const snap = demo('report2.snapshot.json')
    const w = workloadFromSnapshot(snap)
    expect(w.basis).toMatch(/TcpPassiveOpens/)
    expect(w.patch.clients?.loadCurve?.[0].rate).toBeGreaterThan(0)
  })
})

describe('timingFromSnapshot: what HAProxy measured towards the modelled backend', () => {
  /** report 1's snapshot with its backend row's ctime / rtime / mode replaced. */
  function withBackend(ctime: number | '', rtime: number | '', stot = 100): Snapshot {
    const snap = demo('report1.snapshot.json')
    const stat = snap.haproxy!.stat
    if (!stat.ok) throw new Error('demo has no stats')
    for (const r of stat.value.rows) {
      if (r['svname'] !== 'BACKEND' || r['pxname'] !== 'sms_app') continue
      r['ctime'] = ctime
      r['rtime'] = rtime
      r['stot'] = stot
    }
    return snap
  }

  it("report 1: response time less connect time is the service time; a 1 ms connect time is no RTT to go by", async () => {
    const { timingFromSnapshot, workloadFromSnapshot } = await import('../../../main/scenario/from-snapshot')
    const snap = demo('report1.snapshot.json')
    // sms_app's BACKEND row (the frontend's default_backend): ctime 1 ms, rtime 2407 ms
    const t = timingFromSnapshot(snap)
    expect(t.patch.network).toBeUndefined()
    expect(t.seeded[0]).toMatch(/connect time to sms_app is 1 ms: a round trip under about 1 ms/)
    expect(t.patch.backend).toEqual({ serviceTime: { kind: 'exponential', meanS: 2.406 } })
    expect(t.seededPaths).toEqual(['backend.serviceTime'])
    expect(t.seeded[1]).toMatch(/service time 2406 ms.*sms_app \(2407 ms\).*queueing inside the servers/)
    // the workload carries it, and the scenario no longer lists it as assumed
    const w = workloadFromSnapshot(snap)
    const r = scenarioFromSnapshot(snap, w.patch)
    expect(r.scenario.backend.serviceTime).toEqual({ kind: 'exponential', meanS: 2.406 })
    expect(w.seededPaths).toEqual(['clients.loadCurve', 'backend.serviceTime'])
    const assumed = r.assumed.filter((p) => !w.seededPaths.includes(p))
    expect(assumed).toEqual(expect.arrayContaining(['clients', 'backend.workers', 'network.clientRttMs', 'network.backendRttMs']))
    expect(assumed).not.toContain('backend.serviceTime')
    parseScenario(r.scenario)
  })
  it('a connect time of 2 ms to 1 s is the round trip', async () => {
    const { timingFromSnapshot, workloadFromSnapshot } = await import('../../../main/scenario/from-snapshot')
    const snap = withBackend(30, 80)
    const t = timingFromSnapshot(snap)
    expect(t.patch.network).toEqual({ backendRttMs: 30 })
    expect(t.patch.backend).toEqual({ serviceTime: { kind: 'exponential', meanS: 0.05 } })
    expect(t.seededPaths).toEqual(['network.backendRttMs', 'backend.serviceTime'])
    const r = scenarioFromSnapshot(snap, workloadFromSnapshot(snap).patch)
    expect(r.scenario.network.backendRttMs).toBe(30)
    expect(r.scenario.network.clientRttMs).toBe(scenarioFromSnapshot(snap).scenario.network.clientRttMs)
  })
  it('a connect time of 1 s or more is SYN retransmits: no round trip from it, nothing subtracted', async () => {
    const { timingFromSnapshot } = await import('../../../main/scenario/from-snapshot')
    const t = timingFromSnapshot(withBackend(1500, 1700))
    expect(t.patch.network).toBeUndefined()
    expect(t.seeded[0]).toMatch(/1500 ms: SYN retransmits/)
    expect(t.patch.backend).toEqual({ serviceTime: { kind: 'exponential', meanS: 1.7 } })
  })
  it('a response time of 0 (tcp mode, or none yet) seeds no service time', async () => {
    const { timingFromSnapshot } = await import('../../../main/scenario/from-snapshot')
    const t = timingFromSnapshot(withBackend(40, 0))
    expect(t.patch.network).toEqual({ backendRttMs: 40 })
    expect(t.patch.backend).toBeUndefined()
  })
  it('nothing from a backend that served nothing, missing columns, or no stats', async () => {
    const { timingFromSnapshot } = await import('../../../main/scenario/from-snapshot')
    for (const snap of [withBackend(1, 50, 0), withBackend('', '')]) {
      const t = timingFromSnapshot(snap)
      expect(t.seeded).toEqual([])
      expect(t.patch).toEqual({})
    }
    expect(timingFromSnapshot(demo('report2.snapshot.json')).seeded).toEqual([])
  })
})

