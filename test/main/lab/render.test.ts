import { describe, expect, it } from 'vitest'
import { defaultScenario, defaultServerCheck } from '../../../simulator/scenario'
import { availableParallelism } from 'node:os'
import { backendIps, fpmCpuSet, haproxySources, kernelSysctls, phpFpmCommand, planHaproxy, renderHaproxyCfg, renderNginxConf, renderPhpFpmConf, renderPhpPage } from '../../../main/lab/render'
import { effectiveScenario, labDeviations, requiredTools } from '../../../main/lab/run'
import { arrivalTimes } from '../../../main/lab/openloop'
import { simulate } from '../../../simulator/index'
import { decodeResult } from '../../../simulator/result'

describe('lab renderers', () => {
  it('maps a host to sysctls and reports what the kernel lacks', () => {
    const k = defaultScenario().hosts.proxy
    k.somaxconn = 8
    k.ipLocalPortRange = [40000, 40199]
    k.twRecycle = 1
    const r = kernelSysctls(k, (n) => n !== 'net.ipv4.tcp_tw_reuse_delay')
    expect(r.set['net.core.somaxconn']).toBe('8')
    expect(r.set['net.ipv4.ip_local_port_range']).toBe('40000 40199')
    expect(r.set['net.ipv4.tcp_tw_reuse_delay']).toBeUndefined()
    expect(r.deviations.join('\n')).toMatch(/tcp_tw_reuse_delay/)
    expect(r.deviations.join('\n')).toMatch(/tw_recycle/)
  })

  it('sizes HAProxy maxconn to the fd limit the lab can give', () => {
    const h = defaultScenario().haproxy!
    const p = planHaproxy(h, 4096, 20000)
    expect(p.fdHard).toBe(20000)
    expect(2 * p.globalMaxconn + 10 + 1 + 2 + 3 + 12).toBeLessThanOrEqual(20000)
    expect(p.deviations.length).toBeGreaterThan(0)
    h.globalMaxconn = 50
    expect(planHaproxy(h, 4096, 20000).globalMaxconn).toBe(50)
  })

  it('runs loopback servers on the proxy host: 127.0.0.x:8080, loopback sources, the proxy kernel for the backend', () => {
    const s = defaultScenario()
    s.hosts.backend.somaxconn = 128
    s.haproxy!.servers = [
      { name: 's1', maxconn: 0, maxqueue: 0, weight: 1, loopback: true },
      { name: 's2', maxconn: 0, maxqueue: 0, weight: 1, loopback: true }
    ]
    s.haproxy!.sourceIps = 2
    const plan = planHaproxy(s.haproxy!, 4096, 20000)
    expect(backendIps(s)).toEqual(['127.0.0.1', '127.0.0.2'])
    expect(haproxySources(s).ips).toEqual(['127.0.1.1', '127.0.1.2'])
    const cfg = renderHaproxyCfg(s, plan, '/tmp/x/haproxy.sock')
    expect(cfg).toContain('server s1.src1 127.0.0.1:8080')
    expect(cfg).toContain('source 127.0.1.2')
    expect(cfg).toMatch(/bind 10\.200\.1\.2:80\b/)
    expect(renderNginxConf(s, '/tmp/x', '/m.so')).toContain('listen 127.0.0.2:8080')
    const e = effectiveScenario(s, plan, '6.18.44', {})
    expect(e.hosts.backend).toEqual(e.hosts.proxy)
    expect(e.haproxy!.servers.every((sv) => sv.loopback)).toBe(true)
    expect(labDeviations(s, plan, '6.18.44').join('\n')).toMatch(/backend host's sysctls are the proxy's/)
    s.network.backendRttMs = 30
    expect(effectiveScenario(s, plan, '6.18.44', {}).network.backendRttMs).toBe(0)
    expect(labDeviations(s, plan, '6.18.44').join('\n')).toMatch(/no 30 ms RTT towards them/)
    // a mix runs all remote, and is simulated so
    s.haproxy!.servers[1]!.loopback = false
    expect(backendIps(s)).toEqual(['10.200.2.2', '10.200.2.3'])
    expect(effectiveScenario(s, plan, '6.18.44', {}).haproxy!.servers.some((sv) => sv.loopback)).toBe(false)
    expect(labDeviations(s, plan, '6.18.44').join('\n')).toMatch(/some servers are loopback/)
  })

  it('renders haproxy.cfg from the scenario', () => {
    const s = defaultScenario()
    const h = s.haproxy!
    h.globalMaxconn = 50
    h.frontendMaxconn = 25
    h.bindBacklog = 16
    h.timeoutQueueS = 3
    h.servers = [{ name: 's1', maxconn: 2, maxqueue: 5, weight: 1 }]
    const cfg = renderHaproxyCfg(s, planHaproxy(h, 4096, 20000), '/tmp/x/haproxy.sock')
    expect(cfg).toMatch(/^global\n\s+maxconn 50$/m)
    expect(cfg).toMatch(/bind 10\.200\.1\.2:80 backlog 16$/m)
    expect(cfg).toMatch(/^frontend fe\n[^]*?\n\s+maxconn 25$/m)
    expect(cfg).toMatch(/timeout queue 3000ms/)
    expect(cfg).toMatch(/server s1 10\.200\.2\.2:80 weight 1 maxconn 2 maxqueue 5/)
    expect(cfg).toMatch(/stats socket \/tmp\/x\/haproxy\.sock/)
  })

  it('renders balance and the server-connection mode: http-reuse, or http-server-close for per-request under keep-alive clients', () => {
    const s = defaultScenario()
    const h = s.haproxy!
    const cfg = (): string => renderHaproxyCfg(s, planHaproxy(h, 4096, 20000), '/tmp/x/haproxy.sock')
    h.balance = 'source'
    h.serverConnections = 'keep-alive'
    h.httpReuse = 'always'
    expect(cfg()).toMatch(/^\s+balance source$/m)
    expect(cfg()).toMatch(/^\s+http-reuse always$/m)
    delete h.httpReuse
    expect(cfg()).toMatch(/^\s+http-reuse safe$/m)
    h.serverConnections = 'per-request'
    expect(cfg()).toMatch(/^\s+http-reuse never$/m)
    expect(cfg()).not.toMatch(/http-server-close/)
    s.clients.keepAlive = true
    s.clients.requestsPerConnection = 10
    expect(cfg()).toMatch(/^\s+option http-server-close$/m)
    h.mode = 'tcp'
    expect(cfg()).not.toMatch(/http-reuse|http-server-close/)
  })

  it('renders nginx echo_sleep, or nginx + php-fpm pools with the service-time draw', () => {
    const s = defaultScenario()
    s.haproxy = null
    s.backend.kind = 'nginx-echo'
    s.backend.serviceTime = { kind: 'constant', s: 0.2 }
    s.backend.listenBacklog = 64
    const n = renderNginxConf(s, '/tmp/r', '/mod.so')
    expect(n).toMatch(/listen 10\.200\.1\.2:80 backlog=64;/)
    expect(n).toMatch(/echo_sleep 0\.2;/)
    s.backend.kind = 'nginx-php-fpm'
    s.backend.phpFpm = { children: 4, listenBacklog: 511, socket: 'tcp' }
    expect(renderNginxConf(s, '/tmp/r', '/mod.so')).toMatch(/fastcgi_pass 127\.0\.0\.1:9000;/)
    const f = renderPhpFpmConf(s, '/tmp/r')
    expect(f).toMatch(/pm.max_children = 4/)
    expect(f).toMatch(/listen.backlog = 511/)
    expect(renderPhpPage({ kind: 'constant', s: 0.005 })).toMatch(/\$s = 0\.005;/)
    expect(renderPhpPage({ kind: 'lognormal', p50S: 0.02, p99S: 0.2 })).toMatch(/exp\(/)
  })

  it('burns the CPU share of the service time on the child\'s own CPU time only with backend.cpu; the page is unchanged without it', () => {
    const st = { kind: 'constant', s: 0.01 } as const
    // the page every saved row ran: sleep the draw
    const plain = '<?php\n$s = 0.01;\nif ($s > 0) usleep((int) round($s * 1000000));\necho "ok\\n";\n'
    expect(renderPhpPage(st)).toBe(plain)
    expect(renderPhpPage(st, null)).toBe(plain)
    expect(renderPhpPage(st, { cores: 1, share: 0 })).toBe(plain)
    const burn = renderPhpPage(st, { cores: 1, share: 1 })
    expect(burn).not.toBe(plain)
    // CPU time of this process (user + system) from the start of the script, busy-looped to the target
    expect(burn).toMatch(/^\$c0 = \$cpu\(\);\n\$s = 0\.01;$/m)
    expect(burn).toMatch(/getrusage\(\); return \$r\['ru_utime\.tv_sec'\] \+ \$r\['ru_stime\.tv_sec'\] \+ \(\$r\['ru_utime\.tv_usec'\] \+ \$r\['ru_stime\.tv_usec'\]\) \/ 1e6;/)
    expect(burn).toMatch(/^\$burn = 1 \* \$s;$/m)
    expect(burn).toMatch(/^while \(\$cpu\(\) - \$c0 < \$burn\) for /m)
    // the rest is off the CPU
    expect(burn).toMatch(/^\$rest = \$s - \$burn;\nif \(\$rest > 0\) usleep\(\(int\) round\(\$rest \* 1000000\)\);\necho "ok\\n";\n$/m)
    expect(renderPhpPage(st, { cores: 2, share: 0.25 })).toMatch(/^\$burn = 0\.25 \* \$s;$/m)
    expect(renderPhpPage({ kind: 'lognormal', p50S: 0.02, p99S: 0.2 }, { cores: 1, share: 0.5 })).toMatch(/exp\([^]*\n\$burn = 0\.5 \* \$s;/)
  })

  it('pins php-fpm to the first backend.cpu cores with taskset, and reports more cores than this machine has', () => {
    const s = defaultScenario()
    s.backend.kind = 'nginx-php-fpm'
    expect(fpmCpuSet(s, 2)).toBeNull()
    expect(phpFpmCommand(s, '/r/php-fpm.conf', 2)).toEqual({ cmd: 'php-fpm8.2', args: ['-F', '-y', '/r/php-fpm.conf'] })
    expect(renderPhpFpmConf(s, '/r')).not.toMatch(/access\./)
    s.backend.cpu = { cores: 1, share: 1 }
    expect(phpFpmCommand(s, '/r/php-fpm.conf', 2)).toEqual({ cmd: 'taskset', args: ['-c', '0', 'php-fpm8.2', '-F', '-y', '/r/php-fpm.conf'] })
    expect(requiredTools(s)).toContain('taskset')
    // each child logs its time per request (ms)
    expect(renderPhpFpmConf(s, '/r')).toMatch(/^access\.log = \/r\/fpm-access-0\.log\naccess\.format = "%\{mili\}d"$/m)
    s.backend.cpu = { cores: 2, share: 1 }
    expect(phpFpmCommand(s, '/r/php-fpm.conf', 4).args.slice(0, 2)).toEqual(['-c', '0-1'])
    expect(fpmCpuSet(s, 4)?.deviation).toBeNull()
    expect(labDeviations(s, null, '6.18.44', 'ab', 4).join('\n')).toMatch(/php-fpm pinned to CPU 0-1 \(taskset\)/)
    // more cores than here: all of them, and said so
    s.backend.cpu = { cores: 8, share: 1 }
    expect(fpmCpuSet(s, 2)).toEqual({ list: '0-1', cores: 2, deviation: "backend CPU cores 8 > this machine's 2: php-fpm ran on all 2" })
    expect(labDeviations(s, null, '6.18.44', 'ab', 2).join('\n')).toMatch(/backend CPU cores 8 > this machine's 2/)
    s.backend.cpu = { cores: 4096, share: 1 }
    expect(effectiveScenario(s, null, '6.18.44', {}).backend.cpu).toEqual({ cores: availableParallelism(), share: 1 })
    // a generic backend runs as nginx + php-fpm: pinned the same way
    s.backend.kind = 'generic'
    s.backend.cpu = { cores: 1, share: 0.5 }
    expect(phpFpmCommand(s, '/r/php-fpm.conf', 2).cmd).toBe('taskset')
    expect(effectiveScenario(s, null, '6.18.44', {}).backend.cpu).toEqual({ cores: 1, share: 0.5 })
    // nginx-echo does not compute (echo_sleep is a timer): nothing to pin
    s.backend.kind = 'nginx-echo'
    expect(fpmCpuSet(s, 2)).toBeNull()
    expect(requiredTools(s)).not.toContain('taskset')
  })

  it('option httpchk asks `GET /` (the app) or, for a static endpoint, `GET /health`, which every nginx server block answers itself', () => {
    const s = defaultScenario()
    s.backend.kind = 'nginx-php-fpm'
    const h = s.haproxy!
    h.servers = h.servers.map((sv) => ({ ...sv, check: defaultServerCheck() }))
    h.httpCheck = true
    const cfg = (): string => renderHaproxyCfg(s, planHaproxy(h, 4096, 20000), '/tmp/x/haproxy.sock')
    expect(cfg()).toMatch(/^\s+option httpchk GET \/$/m)
    expect(renderNginxConf(s, '/tmp/r', '/mod.so')).not.toMatch(/location = \/health/)
    h.httpCheckEndpoint = 'static'
    expect(cfg()).toMatch(/^\s+option httpchk GET \/health$/m)
    const n = renderNginxConf(s, '/tmp/r', '/mod.so')
    expect(n.match(/location = \/health \{ access_log off; return 200; \}/g)?.length).toBe(h.servers.length)
  })

  it('spreads open-loop arrivals along the curve', () => {
    const even = arrivalTimes([{ tS: 0, rate: 100 }], 2, 'even', 10_000)
    expect(even.length).toBe(200)
    expect(even[0]).toBe(0)
    expect(even[199]).toBeCloseTo(1.99, 9)
    // the simulator's count for the same window (its 'even' rule), also where a running sum of
    // 1/r lands a rounding error below the end (80/s for 5 s, 60/s for 5 s) and on a ramp
    for (const [curve, d] of [
      [[{ tS: 0, rate: 80 }], 5],
      [[{ tS: 0, rate: 60 }], 5],
      [[{ tS: 0, rate: 0 }, { tS: 2, rate: 0 }, { tS: 2, rate: 40 }, { tS: 6, rate: 120 }], 6]
    ] as const) {
      const s = defaultScenario()
      s.haproxy = null
      s.durationS = d
      s.drainS = 1
      s.clients = { ...s.clients, mode: 'open', loadCurve: [...curve], arrivals: 'even', arrivalBatch: 1 }
      const offered = decodeResult(simulate(s, { seed: 1 })).summary.totals.offered
      expect(arrivalTimes(curve, d, 'even', 100_000).length, JSON.stringify(curve)).toBe(offered)
    }
    let seed = 1
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647)
    const ramp = arrivalTimes([{ tS: 0, rate: 0 }, { tS: 10, rate: 200 }], 10, 'poisson', 10_000, rnd)
    const firstHalf = ramp.filter((t) => t < 5).length
    expect(ramp.length).toBeGreaterThan(800)
    expect(ramp.length).toBeLessThan(1200)
    expect(firstHalf).toBeLessThan(ramp.length / 2)
    expect(arrivalTimes([{ tS: 0, rate: 1000 }], 10, 'even', 50)).toHaveLength(50)
  })
})
