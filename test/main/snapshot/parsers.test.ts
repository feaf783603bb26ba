// Pure parsers against recorded real outputs (this machine: Linux 6.18, HAProxy 2.6.12,
// nginx 1.22, PHP-FPM 8.2), older layouts (CentOS 7 3.10 netstat, HAProxy 1.5 CSV, old ss
// users:() format, systemd 219), odd outputs (CRLF, quoted CSV, CLI errors) and BusyBox
// (/proc/net/tcp without ss).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseCounterSample, parseProcLimits, parseProcNetCounters, parseSysctlConf, parseSysctlValue, parseSystemdNofile, parseOsRelease, counterRates } from '../../../main/snapshot/parse/kernel'
import { parseProcNetTcp, parseSsConnections, parseSsListeners, parseSsUnixListeners } from '../../../main/snapshot/parse/sockets'
import { parseHaproxyVersion, parseShowInfo, parseShowStat } from '../../../main/snapshot/parse/haproxy'
import { parseHaproxyConfig, parseHaproxyTime } from '../../../main/snapshot/parse/haproxy-cfg'
import { nginxLocationFor, parseNginxDump, parseNginxVersion, parseStubStatus } from '../../../main/snapshot/parse/nginx'
import { parsePhpFpmPools, parsePhpFpmStatus, parsePhpFpmVersion } from '../../../main/snapshot/parse/php-fpm'
import { classify, orderSysctlFiles } from '../../../main/snapshot/assemble'
import { splitSections } from '../../../main/snapshot/collect-script'

const FX = join(__dirname, '..', '..', 'fixtures')
const fx = (p: string): string => readFileSync(join(FX, p), 'utf8')
function val<T>(i: { ok: true; value: T } | { ok: false; error: string; detail: string }): T {
  if (!i.ok) throw new Error(`${i.error}: ${i.detail}`)
  return i.value
}

describe('kernel files', () => {
  it('6.18 /proc/net/netstat + snmp by nstat name, header/value pairs', () => {
    const ns = val(parseProcNetCounters(fx('linux-6.18-haproxy-2.6/proc-net-netstat.txt')))
    const header = fx('linux-6.18-haproxy-2.6/proc-net-netstat.txt').split('\n')[0]!.split(' ').slice(1)
    expect(Object.keys(ns).filter((k) => k.startsWith('TcpExt')).length).toBe(header.length)
    expect(ns).toHaveProperty('TcpExtListenOverflows')
    expect(ns).toHaveProperty('TcpExtTCPReqQFullDoCookies')
    const sn = val(parseProcNetCounters(fx('linux-6.18-haproxy-2.6/proc-net-snmp.txt')))
    expect(sn.TcpRtoMin).toBe(200)
    expect(sn.TcpMaxConn).toBe(-1)
    expect(sn).toHaveProperty('IcmpMsgInType3')
  })
  it('3.10 netstat layout (fewer/other columns) parses by name', () => {
    const ns = val(parseProcNetCounters(fx('centos7-3.10-haproxy-1.5/proc-net-netstat.txt')))
    expect(ns.TcpExtListenOverflows).toBe(1834221)
    expect(ns.TcpExtTWRecycled).toBe(95130221)
    expect(ns).toHaveProperty('TcpExtTCPPrequeued') // gone in 4.x
    expect(ns).not.toHaveProperty('TcpExtTCPSynRetrans_missing')
  })
  it('counter samples and rates', () => {
    const a = val(parseCounterSample('TcpExt: ListenOverflows ListenDrops\nTcpExt: 10 12\n', 'Tcp: PassiveOpens\nTcp: 100\n', '500.00 900.00\n'))
    const b = val(parseCounterSample('TcpExt: ListenOverflows ListenDrops\nTcpExt: 30 32\n', 'Tcp: PassiveOpens\nTcp: 90\n', '502.50 905.00\n'))
    const r = val(counterRates(a, b))
    expect(r.intervalS).toBe(2.5)
    expect(r.delta.TcpExtListenOverflows).toBe(20)
    expect(r.perS.TcpExtListenOverflows).toBe(8)
    expect(r.delta).not.toHaveProperty('TcpPassiveOpens') // went backwards: counter reset, dropped
  })
  it('mismatched counter lines are a parse error', () => {
    expect(parseProcNetCounters('TcpExt: A B\nTcpExt: 1\n')).toMatchObject({ ok: false, error: 'parse error' })
    expect(parseProcNetCounters('')).toMatchObject({ ok: false })
  })
  it('/proc/PID/limits (6.18 and 3.10)', () => {
    expect(val(parseProcLimits(fx('linux-6.18-haproxy-2.6/proc-pid-limits.txt'))).nofile).toEqual({ soft: 20000, hard: 20000 })
    const l = val(parseProcLimits(fx('centos7-3.10-haproxy-1.5/proc-pid-limits.txt')))
    expect(l.nofile).toEqual({ soft: 4013, hard: 4013 })
    expect(l.rows.find((r) => r.name === 'Max cpu time')).toEqual({ name: 'Max cpu time', soft: 'unlimited', hard: 'unlimited', units: 'seconds' })
    expect(l.rows.find((r) => r.name === 'Max nice priority')?.units).toBe('')
    expect(parseProcLimits('cat: /proc/1/limits: Permission denied')).toMatchObject({ ok: false, error: 'parse error' })
  })
  it('sysctl values and sysctl.d lines (CRLF, tabs, "-" prefix, slashes, comments)', () => {
    expect(val(parseSysctlValue('32768\t60999\n'))).toEqual({ raw: '32768 60999', numbers: [32768, 60999] })
    expect(val(parseSysctlValue('\n'))).toEqual({ raw: '', numbers: [] })
    expect(val(parseSysctlValue('8000-8002,9000\n')).numbers).toEqual([8000, 8002, 9000])
    const e = val(parseSysctlConf(fx('odd/sysctl-crlf.conf'), '/etc/sysctl.conf'))
    expect(e).toEqual([
      { key: 'net.ipv4.tcp_tw_recycle', value: '1', file: '/etc/sysctl.conf', line: 5 },
      { key: 'net.ipv4.tcp_fin_timeout', value: '30', file: '/etc/sysctl.conf', line: 6 },
      { key: 'net.ipv4.tcp_tw_reuse', value: '1', file: '/etc/sysctl.conf', line: 7 },
      { key: 'net.core.somaxconn', value: '1024', file: '/etc/sysctl.conf', line: 8 },
      { key: 'net.ipv4.ip_local_port_range', value: '10240 61000', file: '/etc/sysctl.conf', line: 9 }
    ])
  })
  it('sysctl.d order: by name, first dir wins, /etc/sysctl.conf last', () => {
    expect(orderSysctlFiles(['/etc/sysctl.conf', '/usr/lib/sysctl.d/50-default.conf', '/lib/sysctl.d/50-default.conf', '/etc/sysctl.d/99-sysctl.conf', '/usr/lib/sysctl.d/10-a.conf', '/etc/sysctl.d/50-default.conf'])).toEqual([
      '/usr/lib/sysctl.d/10-a.conf',
      '/etc/sysctl.d/50-default.conf',
      '/etc/sysctl.d/99-sysctl.conf',
      '/etc/sysctl.conf'
    ])
  })
  it('systemd LimitNOFILE (new and systemd 219 output, infinity)', () => {
    expect(val(parseSystemdNofile('LimitNOFILE=524288\nLimitNOFILESoft=1024\n'))).toEqual({ soft: 1024, hard: 524288 })
    expect(val(parseSystemdNofile(fx('centos7-3.10-haproxy-1.5/systemctl-show.txt')))).toEqual({ soft: 4096, hard: 4096 })
    expect(val(parseSystemdNofile(fx('odd/systemctl-show-infinity.txt')))).toEqual({ soft: 1024, hard: 'unlimited' })
  })
  it('os-release', () => {
    expect(val(parseOsRelease(fx('linux-6.18-haproxy-2.6/os-release.txt')))).toEqual({ id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' })
  })
})

describe('sockets', () => {
  it('ss -ltnp (iproute2 6.1): queues and owning processes', () => {
    const l = val(parseSsListeners(fx('linux-6.18-haproxy-2.6/ss-ltnp.txt')))
    expect(l.find((x) => x.localPort === 18080)).toEqual({ localAddr: '127.0.0.1', localPort: 18080, recvQ: 0, sendQ: 64, processes: [{ name: 'haproxy', pid: 13909, fd: 4 }] })
    expect(l.find((x) => x.localPort === 18081)?.processes.map((p) => p.pid)).toEqual([13913, 13912])
    expect(l.find((x) => x.localPort === 2024)?.processes).toEqual([])
  })
  it('ss -ltnp of the 3.10 era: old users:() format, *:port, :::port; full accept queue', () => {
    const l = val(parseSsListeners(fx('centos7-3.10-haproxy-1.5/ss-ltnp.txt')))
    expect(l[0]).toEqual({ localAddr: '*', localPort: 80, recvQ: 129, sendQ: 128, processes: [{ name: 'haproxy', pid: 1187, fd: 5 }] })
    expect(l[1]!.processes).toEqual([{ name: 'haproxy', pid: 1187, fd: 6 }])
    expect(l[4]).toMatchObject({ localAddr: '::', localPort: 22 })
  })
  it('ss -lxp: unix listeners with Send-Q', () => {
    const u = val(parseSsUnixListeners(fx('linux-6.18-haproxy-2.6/ss-lxp.txt')))
    expect(u).toEqual([{ path: '/tmp/hrrec/stats.sock.13907.tmp', recvQ: 0, sendQ: 10, processes: [{ name: 'haproxy', pid: 13909, fd: 5 }] }])
  })
  it('ss -tan: TIME-WAIT per remote, ESTAB per local port', () => {
    const c = val(parseSsConnections(fx('linux-6.18-haproxy-2.6/ss-tan.txt')))
    expect(c.total).toBe(9)
    expect(c.byState).toEqual({ LISTEN: 3, ESTAB: 2, 'TIME-WAIT': 4 })
    expect(c.timeWaitByRemote).toEqual([
      { addr: '127.0.0.1', port: 18080, count: 3 },
      { addr: '127.0.0.1', port: 18081, count: 1 }
    ])
    expect(c.establishedByLocalPort).toEqual([
      { port: 34672, count: 1 },
      { port: 18081, count: 1 }
    ])
  })
  it('BusyBox fallback: /proc/net/tcp + tcp6 give states and TIME-WAIT per remote', () => {
    const c = val(parseProcNetTcp(fx('busybox/proc-net-tcp.txt')))
    expect(c.byState.LISTEN).toBeGreaterThanOrEqual(1)
    // line 1: 0100007F:CE6E -> 0100007F:A7D3 state 06
    expect(c.timeWaitByRemote.find((x) => x.port === 0xa7d3)).toMatchObject({ addr: '127.0.0.1' })
    expect(c.total).toBe(fx('busybox/proc-net-tcp.txt').split('\n').filter((l) => /^\s*\d+:/.test(l)).length)
    const v6 = val(parseProcNetTcp('  sl  local_address                         remote_address                        st\n   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 0\n   1: 0000000000000000FFFF00000100007F:0050 0000000000000000FFFF00000200007F:9C40 06 0\n'))
    expect(v6.timeWaitByRemote).toEqual([{ addr: '::ffff:127.0.0.2', port: 40000, count: 1 }])
  })
})

describe('HAProxy', () => {
  it('show stat 2.6 by column name', () => {
    const t = val(parseShowStat(fx('linux-6.18-haproxy-2.6/show-stat.txt')))
    expect(t.columns.slice(0, 7)).toEqual(['pxname', 'svname', 'qcur', 'qmax', 'scur', 'smax', 'slim'])
    expect(t.columns.length).toBeGreaterThan(90)
    const fe = t.rows.find((r) => r.svname === 'FRONTEND')!
    expect(fe).toMatchObject({ pxname: 'fe_main', slim: 300, stot: 3, status: 'OPEN', qcur: null })
    const s1 = t.rows.find((r) => r.svname === 's1')!
    expect(s1).toMatchObject({ slim: 20, qlimit: 100, check_status: 'L4OK', addr: '127.0.0.1:18081' })
  })
  it('show stat 1.5 (62 columns) by the same names', () => {
    const t = val(parseShowStat(fx('centos7-3.10-haproxy-1.5/show-stat.txt')))
    expect(t.columns.length).toBe(62)
    expect(t.rows.find((r) => r.pxname === 'sms_callback')).toMatchObject({ scur: 2000, slim: 2000, status: 'FULL' })
    expect(t.rows.find((r) => r.svname === 'web03')).toMatchObject({ eresp: 4382, srv_abrt: 4101 })
    expect(t.rows[0]).not.toHaveProperty('addr')
  })
  it('column order does not matter (parsed by header, never by position)', () => {
    const csv = fx('centos7-3.10-haproxy-1.5/show-stat.txt').trim().split('\n').map((l) => l.replace(/^# /, '').split(','))
    const order = csv[0]!.map((_, i) => i).reverse()
    const shuffled = csv.map((r, j) => (j === 0 ? '# ' : '') + order.map((i) => r[i] ?? '').join(',')).join('\n')
    const a = val(parseShowStat(fx('centos7-3.10-haproxy-1.5/show-stat.txt'))).rows
    const b = val(parseShowStat(shuffled)).rows
    expect(b.find((r) => r.svname === 'web04')?.eresp).toBe(4127)
    expect(b.length).toBe(a.length)
  })
  it('stats page CSV with CRLF and a quoted field holding a comma', () => {
    const t = val(parseShowStat(fx('odd/stats-page-csv-crlf-quoted.txt')))
    expect(t.rows[1]).toMatchObject({ svname: 'srv,1', slim: 50, check_desc: 'Layer7 wrong status, code: 503' })
  })
  it('CLI errors instead of data are classified, not parsed as rows', () => {
    expect(parseShowInfo(fx('odd/show-info-permission-denied.txt'))).toMatchObject({ ok: false, error: 'permission denied' })
    expect(parseShowStat(fx('odd/show-stat-unknown-command.txt'))).toMatchObject({ ok: false, error: 'command failed' })
  })
  it('show info 2.6 and 1.5', () => {
    expect(val(parseShowInfo(fx('linux-6.18-haproxy-2.6/show-info.txt')))).toMatchObject({ Maxconn: 500, 'Ulimit-n': 1029, Maxsock: 1029, Nbthread: 2, Version: '2.6.12-1+deb12u4' })
    expect(val(parseShowInfo(fx('centos7-3.10-haproxy-1.5/show-info.txt')))).toMatchObject({ Maxconn: 2000, Hard_maxconn: 2000, 'Ulimit-n': 4013, description: '' })
  })
  it('haproxy -v of 2.6 and 1.5', () => {
    expect(val(parseHaproxyVersion(fx('linux-6.18-haproxy-2.6/haproxy-v.txt')))).toMatchObject({ version: '2.6.12-1+deb12u4', major: 2, minor: 6, date: '2026/10/17' })
    expect(val(parseHaproxyVersion(fx('centos7-3.10-haproxy-1.5/haproxy-v.txt')))).toMatchObject({ version: '1.5.18', major: 1, minor: 5, date: '2016/05/10' })
  })
  it('haproxy.cfg: sections, explicit settings with line numbers, servers, timeouts', () => {
    const c = val(parseHaproxyConfig(fx('linux-6.18-haproxy-2.6/haproxy.cfg')))
    expect(c.global).toMatchObject({ maxconn: 500, nbthread: 2, statsSockets: ['/tmp/hrrec/stats.sock'] })
    const fe = c.proxies.find((p) => p.kind === 'frontend')!
    expect(fe).toMatchObject({ name: 'fe_main', maxconn: 300, defaultBackend: 'be_app', defaultsName: '' })
    expect(fe.binds).toEqual([{ addr: '127.0.0.1', port: 18080, backlog: 64, maxconn: null, raw: 'bind 127.0.0.1:18080 backlog 64' }])
    const be = c.proxies.find((p) => p.kind === 'backend')!
    expect(be.servers.map((s) => [s.name, s.port, s.maxconn, s.maxqueue, s.check])).toEqual([
      ['s1', 18081, 20, 100, true],
      ['s2', 18082, 20, null, false]
    ])
    expect(c.proxies.find((p) => p.kind === 'defaults')!.timeoutsMs).toEqual({ connect: 5000, client: 30000, server: 30000, queue: 3000 })
    expect(c.warnings).toEqual([])
  })
  it('haproxy.cfg oddities: 1.x listen with address, legacy timeouts, named defaults, quotes, bad numbers', () => {
    const c = val(
      parseHaproxyConfig(
        'global\n  maxconn 4096 # comment\n  stats socket unix@/run/h.sock level admin\n  stats socket ipv4@127.0.0.1:9999\ndefaults base\n  contimeout 5000\n  srvtimeout 50s\ndefaults other from base\nlisten web 0.0.0.0:80\n  maxconn lots\n  server a "10.0.0.1:80" maxconn 10 weight 3\nbackend be from base\n  server b /run/app.sock\nuserlist u\n  user x password y\n'
      )
    )
    expect(c.global.maxconn).toBe(4096)
    expect(c.global.statsSockets).toEqual(['/run/h.sock'])
    const [d1, d2, listen, be] = c.proxies
    expect(d1).toMatchObject({ kind: 'defaults', name: 'base', timeoutsMs: { connect: 5000, server: 50000 } })
    expect(d2).toMatchObject({ name: 'other', defaultsName: 'base' })
    expect(listen).toMatchObject({ kind: 'listen', name: 'web', defaultsName: 'other', maxconn: null, binds: [{ addr: '0.0.0.0', port: 80 }] })
    expect(listen!.servers[0]).toMatchObject({ addr: '10.0.0.1', port: 80, maxconn: 10, weight: 3 })
    expect(be).toMatchObject({ defaultsName: 'base', servers: [{ addr: '/run/app.sock', port: null }] })
    expect(c.warnings).toEqual(['line 10: maxconn expects a number, got "lots"'])
    expect(parseHaproxyTime('1.5s')).toBe(1500)
    expect(parseHaproxyTime('100us')).toBe(0.1)
    expect(parseHaproxyTime('x')).toBeNull()
  })
})

describe('nginx and php-fpm', () => {
  it('nginx -v and nginx -T (1.22) with listen backlog, workers and stub_status', () => {
    expect(val(parseNginxVersion(fx('linux-6.18-haproxy-2.6/nginx-v.txt')))).toBe('1.22.1')
    const c = val(parseNginxDump(fx('linux-6.18-haproxy-2.6/nginx-T.txt')))
    expect(c).toMatchObject({ files: ['/tmp/hrrec/n.conf'], workerProcesses: 1, workerConnections: 256, workerRlimitNofile: null })
    expect(c.listens).toEqual([{ addr: '127.0.0.1', port: 18081, backlog: 100, file: '/tmp/hrrec/n.conf', line: 8, raw: 'listen 127.0.0.1:18081 backlog=100;' }])
    expect(val(parseStubStatus(fx('linux-6.18-haproxy-2.6/nginx-stub-status.txt')))).toEqual({ active: 2, accepts: 2, handled: 2, requests: 2, reading: 0, writing: 1, waiting: 1 })
  })
  it('nginx -T with includes, unix listen, quoted strings with ; and {', () => {
    const c = val(parseNginxDump('# configuration file /a.conf:\nworker_processes auto;\nworker_rlimit_nofile 8192;\nevents { worker_connections 4096; }\nhttp { log_format x \'a;{ b}\'; include /b.conf; }\n# configuration file /b.conf:\nserver {\n  listen [::]:443 ssl backlog=4096;\n  listen unix:/run/n.sock;\n  location / { fastcgi_pass 127.0.0.1:9000; }\n}\n'))
    expect(c).toMatchObject({ workerProcesses: 'auto', workerRlimitNofile: 8192, workerConnections: 4096, fastcgiPass: ['127.0.0.1:9000'] })
    expect(c.listens.map((l) => [l.addr, l.port, l.backlog, l.file, l.line])).toEqual([
      ['::', 443, 4096, '/b.conf', 2],
      ['unix:/run/n.sock', null, null, '/b.conf', 3]
    ])
  })
  it("nginx -T locations: what answers a URL, by nginx's own order (exact, longest prefix, ^~, regex in file order)", () => {
    const text = [
      '# configuration file /a.conf:',
      'http { include /b.conf; }',
      '# configuration file /b.conf:',
      'server {',
      '  listen 127.0.0.1:8080;',
      '  location = /health { access_log off; return 200 "ok"; }',
      '  location / { fastcgi_pass unix:/run/php.sock; }',
      '  location ^~ /static/ { root /srv; }',
      '  location ~ \\.php$ { fastcgi_pass unix:/run/php.sock; }',
      '  location /status { stub_status; }',
      '  location /old { return https://example.com/; }',
      '  location /api { location /api/ping { return 204; } proxy_pass http://app; }',
      '}',
      'server { listen 9000; location / { return 503; } }',
      ''
    ].join('\n')
    const c = val(parseNginxDump(text))
    expect(c.locations!.map((l) => [l.modifier, l.path, l.answers, l.passes, l.ports])).toEqual([
      ['=', '/health', 200, false, [8080]],
      ['', '/', null, true, [8080]],
      ['^~', '/static/', null, false, [8080]],
      ['~', '\\.php$', null, true, [8080]],
      ['', '/status', 200, false, [8080]],
      ['', '/old', 302, false, [8080]],
      ['', '/api', null, true, [8080]],
      ['', '/api/ping', 204, false, [8080]],
      ['', '/', 503, false, [9000]]
    ])
    const at = (uri: string, port: number | null = 8080) => {
      const l = nginxLocationFor(c, uri, port)
      return l && [l.modifier, l.path, l.answers]
    }
    expect(at('/health')).toEqual(['=', '/health', 200])
    expect(at('/health?full=1')).toEqual(['=', '/health', 200])
    expect(at('/healthz')).toEqual(['', '/', null]) // not the exact match: the prefix /
    expect(at('/index.php')).toEqual(['~', '\\.php$', null]) // a regex beats the prefix /
    expect(at('/static/x.php')).toEqual(['^~', '/static/', null]) // ^~ stops the regexes
    expect(at('/status')).toEqual(['', '/status', 200])
    expect(at('/old')).toEqual(['', '/old', 302])
    expect(at('/health', 9000)).toEqual(['', '/', 503])
    expect(at('/health', 1234)).toEqual(['=', '/health', 200]) // no server on that port: every server block
  })
  it('php-fpm: version, pool files ($pool, quotes, comments), status text and json', () => {
    expect(val(parsePhpFpmVersion(fx('linux-6.18-haproxy-2.6/php-fpm-v.txt')))).toBe('8.2.36')
    const pools = val(parsePhpFpmPools([{ path: '/etc/php/8.2/fpm/pool.d/www.conf', text: fx('linux-6.18-haproxy-2.6/php-fpm-www.conf') }]))
    expect(pools).toEqual([
      expect.objectContaining({ name: 'www', listen: '/run/php/php8.2-fpm.sock', listenBacklog: null, pm: 'dynamic', maxChildren: 5, startServers: 2, statusPath: null })
    ])
    const p2 = val(parsePhpFpmPools([{ path: 'x.conf', text: '[global]\npid = /run/x.pid\n[api]\nlisten = "/run/$pool.sock" ; socket\nlisten.backlog = -1\npm.max_children = 50\n' }]))
    expect(p2).toEqual([expect.objectContaining({ name: 'api', listen: '/run/api.sock', listenBacklog: -1, maxChildren: 50 })])
    const st = 'pool:                 www\nprocess manager:      dynamic\nlisten queue:         3\nmax listen queue:     9\nlisten queue len:     8\nmax children reached: 2\n'
    expect(val(parsePhpFpmStatus(st))).toMatchObject({ pool: 'www', 'listen queue': 3, 'listen queue len': 8 })
    expect(val(parsePhpFpmStatus('{"pool":"www","listen queue":0,"max children reached":1}'))).toMatchObject({ 'max children reached': 1 })
  })
})

describe('framing and error mapping', () => {
  it('splits framed items, keeps stderr and rc, and marks a cut-off frame', () => {
    const n = 'abc'
    const out = `\n@@abc@B one\nhello\n\n@@abc@E 0\n\n@@abc@Z\n\n@@abc@B two\n\n@@abc@E 1\ncat: x: Permission denied\n@@abc@Z\n\n@@abc@B three\npartial data`
    const r = splitSections(out, n)
    expect(r.done).toBe(0)
    expect(r.sections.get('one')).toEqual({ out: 'hello', rc: 0, err: '' })
    expect(r.sections.get('two')).toEqual({ out: '', rc: 1, err: 'cat: x: Permission denied' })
    expect(r.sections.get('three')).toEqual({ out: 'partial data', rc: null, err: '' })
    // a file that contains marker-like lines without the nonce cannot forge a frame
    const forged = splitSections(`\n@@abc@B f\n@@zzz@E 0\n@@zzz@Z\nstill in f\n\n@@abc@E 0\n\n@@abc@Z\n\n@@abc@DONE3\n`, n)
    expect(forged.sections.get('f')?.out).toBe('@@zzz@E 0\n@@zzz@Z\nstill in f')
    expect(forged.done).toBe(3)
  })
  it('maps exit codes and messages to item errors', () => {
    expect(classify(124, '')).toMatchObject({ error: 'timed out' })
    expect(classify(1, 'ls: cannot open directory /proc/1/fd: Permission denied')).toMatchObject({ error: 'permission denied' })
    expect(classify(127, 'sh: 1: ss: not found')).toMatchObject({ error: 'not installed' })
    expect(classify(1, 'cat: /proc/sys/net/ipv4/tcp_tw_recycle: No such file or directory')).toMatchObject({ error: 'not found' })
    expect(classify(1, 'sudo: a password is required')).toMatchObject({ error: 'permission denied' })
    expect(classify(3, 'weird')).toMatchObject({ error: 'command failed', detail: 'exit status 3: weird' })
  })
})

describe('process discovery', () => {
  it('drops processes that exit while being read and version probes of concurrent collectors', async () => {
    const { discoveredProcesses } = await import('../../../main/snapshot/assemble')
    const sec = (out: string, rc = 0, err = ''): { out: string; rc: number; err: string } => ({ out, rc, err })
    const status = (name: string): string => `Name:\t${name}\nPPid:\t1\nUid:\t0\t0\t0\t0\n`
    const limits = fx('linux-6.18-haproxy-2.6/proc-pid-limits.txt')
    const sections = new Map([
      ['proc 10 status', sec(status('haproxy'))],
      ['proc 10 cmdline', sec('haproxy\n-f\n/etc/haproxy/haproxy.cfg\n')],
      ['proc 10 limits', sec(limits)],
      ['proc 10 fd', sec('0\n1\n2\n3\n')],
      ['proc 11 status', sec(status('haproxy'))],
      ['proc 11 cmdline', sec('haproxy\n-v\n')],
      ['proc 11 limits', sec(limits)],
      ['proc 11 fd', sec('0\n1\n2\n')],
      ['proc 12 status', sec(status('nginx'))],
      ['proc 12 cmdline', sec('nginx: worker process\n')],
      ['proc 12 limits', sec('', 1, '/proc/12/limits: No such file or directory')],
      ['proc 12 fd', sec('', 2, "ls: cannot access '/proc/12/fd': No such file or directory")],
      ['proc 13 status', sec(status('nginx'))],
      ['proc 13 cmdline', sec('nginx: master process /usr/sbin/nginx\n')],
      ['proc 13 limits', sec(limits)],
      ['proc 13 fd', sec('', 2, "ls: cannot open directory '/proc/13/fd': Permission denied")]
    ])
    const procs = discoveredProcesses({ raw: { sections, done: 1 }, failure: null })
    expect(procs.map((p) => p.pid)).toEqual([10, 13])
    expect(procs[0]!.fdCount).toEqual({ ok: true, value: 4 })
    expect(procs[1]!.fdCount).toMatchObject({ ok: false, error: 'permission denied' })
  })
})

describe('secrets in URLs', () => {
  it('stats URLs are recorded without user:password', async () => {
    const { redactUrl } = await import('../../../main/snapshot/assemble')
    expect(redactUrl('http://admin:s3cret@10.0.0.1:8000/haproxy?stats;csv')).toBe('http://10.0.0.1:8000/haproxy?stats;csv')
    expect(redactUrl('https://h/x@y')).toBe('https://h/x@y')
  })
})

describe('HAProxy TCP stats sockets', () => {
  it('maps the config address to a tcp: target', async () => {
    const { tcpStatsTarget } = await import('../../../main/snapshot/assemble')
    expect(tcpStatsTarget('ipv4@127.0.0.1:9999')).toBe('tcp:127.0.0.1:9999')
    expect(tcpStatsTarget('*:9999')).toBe('tcp:127.0.0.1:9999')
    expect(tcpStatsTarget(':9999')).toBe('tcp:127.0.0.1:9999')
    expect(tcpStatsTarget('ipv6@[::1]:9999')).toBe('tcp:[::1]:9999')
    expect(tcpStatsTarget('/run/haproxy.sock')).toBeNull()
    expect(tcpStatsTarget('abns@stats')).toBeNull()
  })
})
