import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseSnapshot, type Snapshot } from '../../../main/snapshot/schema'
import { parseHaproxyConfig } from '../../../main/snapshot/parse/haproxy-cfg'
import { parseNginxDump } from '../../../main/snapshot/parse/nginx'
import { parsePhpFpmPools } from '../../../main/snapshot/parse/php-fpm'

const demoDir = join(__dirname, '..', '..', '..', 'resources', 'demo')
function load(name: string): Snapshot {
  const r = parseSnapshot(JSON.parse(readFileSync(join(demoDir, name), 'utf8')))
  if (!r.ok) throw new Error(r.error)
  expect(r.migrated).toBe(false)
  return r.snapshot
}
function val<T>(i: { ok: true; value: T } | { ok: false }): T {
  if (!i.ok) throw new Error('item failed')
  return i.value
}

describe('demo snapshots', () => {
  it('report 1 parses and shows the HAProxy 1.5 gateway situation', () => {
    const s = load('report1.snapshot.json')
    expect(s.partial).toBe(false)
    expect(val(s.host.kernelRelease)).toMatch(/^3\.10\.0-1160/)
    expect(val(s.sysctls.values['net.core.somaxconn']!).numbers).toEqual([128])
    expect(val(s.sysctls.values['net.ipv4.tcp_tw_recycle']!).numbers).toEqual([1])
    const conf = val(s.sysctls.conf).entries
    expect(conf.find((e) => e.key === 'net.ipv4.tcp_fin_timeout' && e.file === '/etc/sysctl.conf')?.value).toBe('30')
    expect(val(s.limits.shell)).toEqual({ soft: 1024, hard: 4096 })
    const hap = s.haproxy!
    expect(val(hap.version).major).toBe(1)
    const cfg = val(hap.config)
    expect(cfg.parsed.global.maxconn).toBeNull()
    expect(cfg.parsed.proxies.filter((p) => p.maxconn !== null)).toEqual([])
    expect(cfg.text).toContain('# turn on stats unix socket')
    const be = cfg.parsed.proxies.find((p) => p.kind === 'backend')!
    expect(be.servers.map((x) => x.name)).toEqual(['web03', 'web04'])
    const rows = val(hap.stat).rows
    const fe = rows.find((r) => r.pxname === 'sms_callback' && r.svname === 'FRONTEND')!
    expect(fe.scur).toBe(2000)
    expect(fe.slim).toBe(2000)
    const early = val(hap.statEarlier).rows
    for (const srv of ['web03', 'web04']) {
      const a = early.find((r) => r.svname === srv)!.eresp as number
      const b = rows.find((r) => r.svname === srv)!.eresp as number
      expect(b).toBeGreaterThan(a)
    }
    expect(val(s.counters.rates).delta.TcpExtListenOverflows).toBeGreaterThan(0)
    expect(val(hap.info).Maxconn).toBe(2000)
  })

  it('report 2 parses and shows the nginx + php-fpm somaxconn 8 situation', () => {
    const s = load('report2.snapshot.json')
    expect(s.haproxy).toBeNull()
    expect(val(s.host.cpus)).toBe(1)
    expect(val(s.sysctls.values['net.core.somaxconn']!).numbers).toEqual([8])
    expect(val(s.sysctls.values['net.ipv4.tcp_syncookies']!).numbers).toEqual([0])
    expect(val(s.sysctls.values['net.ipv4.tcp_max_syn_backlog']!).numbers).toEqual([1024])
    const l80 = val(s.sockets.listeners).find((l) => l.localPort === 80)!
    expect([l80.recvQ, l80.sendQ]).toEqual([9, 8])
    const ng = val(s.nginx!.config)
    expect(ng.listens[0]!.backlog).toBeNull() // default 511
    const pool = val(s.phpFpm!.config).pools[0]!
    expect(pool.listenBacklog).toBe(511)
    expect(pool.listen).toBe('127.0.0.1:9000') // CentOS 7's php-fpm default: FastCGI over TCP, a second kernel listener
    const l9000 = val(s.sockets.listeners).find((l) => l.localPort === 9000)!
    expect([l9000.recvQ, l9000.sendQ]).toEqual([9, 8])
    expect(val(s.counters.rates).perS.TcpExtTCPReqQFullDrop).toBeGreaterThan(0) // drops on both queues
    expect(pool.maxChildren).toBeLessThanOrEqual(8)
    expect(val(s.counters.rates).perS.TcpExtListenOverflows).toBeGreaterThan(0)
  })

  it('rejects a damaged demo with a clear error instead of throwing', () => {
    const raw = JSON.parse(readFileSync(join(demoDir, 'report1.snapshot.json'), 'utf8'))
    raw.sysctls.values['net.core.somaxconn'] = { ok: true, value: { raw: '128' } }
    const r = parseSnapshot(raw)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toContain('sysctls.values.net.core.somaxconn')
    expect(parseSnapshot({ format: 'headroom-snapshot/0' })).toEqual({ ok: false, error: expect.stringContaining('unsupported snapshot format') })
    expect(parseSnapshot('x').ok).toBe(false)
  })

  it('demo configs agree with what the parsers make of their raw text', () => {
    const r1 = load('report1.snapshot.json')
    const cfg = val(r1.haproxy!.config)
    expect(val(parseHaproxyConfig(cfg.text))).toEqual(cfg.parsed)
    const r2 = load('report2.snapshot.json')
    const ng = val(r2.nginx!.config)
    expect(val(parseNginxDump(ng.text))).toEqual(ng)
    const fpm = val(r2.phpFpm!.config)
    expect(val(parsePhpFpmPools(fpm.files))).toEqual(fpm.pools)
  })
})
