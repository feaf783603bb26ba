// Fuzzing (fast-check): every parser, fed arbitrary text or mutated real outputs, returns an
// item (value or error) and never throws; whatever garbage a server prints, the assembled
// snapshot is still schema-valid.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ITEM_ERRORS, ProcLimitsSchema, StatTableSchema, HaproxyConfigSchema, parseSnapshot } from '../../../main/snapshot/schema'
import * as kernel from '../../../main/snapshot/parse/kernel'
import * as sockets from '../../../main/snapshot/parse/sockets'
import * as haproxy from '../../../main/snapshot/parse/haproxy'
import { parseHaproxyConfig } from '../../../main/snapshot/parse/haproxy-cfg'
import * as nginx from '../../../main/snapshot/parse/nginx'
import * as fpm from '../../../main/snapshot/parse/php-fpm'
import { assembleSnapshot, type PhaseOutcome } from '../../../main/snapshot/assemble'
import type { RawSection } from '../../../main/snapshot/collect-script'
import { SYSCTL_KEYS } from '../../../main/snapshot/schema'

const FX = join(__dirname, '..', '..', 'fixtures')
const fx = (p: string): string => readFileSync(join(FX, p), 'utf8')

type AnyItem = { ok: true; value: unknown } | { ok: false; error: string; detail: string }
const parsers: Array<[string, (s: string) => AnyItem, string, { safeParse(v: unknown): { success: boolean } } | null]> = [
  ['netstat', kernel.parseProcNetCounters, 'linux-6.18-haproxy-2.6/proc-net-netstat.txt', null],
  ['limits', kernel.parseProcLimits, 'linux-6.18-haproxy-2.6/proc-pid-limits.txt', ProcLimitsSchema],
  ['sysctl.conf', (s) => kernel.parseSysctlConf(s, '/etc/sysctl.conf'), 'odd/sysctl-crlf.conf', null],
  ['sysctl', kernel.parseSysctlValue, 'odd/sysctl-crlf.conf', null],
  ['systemd', kernel.parseSystemdNofile, 'odd/systemctl-show-infinity.txt', null],
  ['os-release', kernel.parseOsRelease, 'linux-6.18-haproxy-2.6/os-release.txt', null],
  ['ss -ltn', sockets.parseSsListeners, 'linux-6.18-haproxy-2.6/ss-ltnp.txt', null],
  ['ss -lx', sockets.parseSsUnixListeners, 'linux-6.18-haproxy-2.6/ss-lxp.txt', null],
  ['ss -tan', sockets.parseSsConnections, 'linux-6.18-haproxy-2.6/ss-tan.txt', null],
  ['/proc/net/tcp', sockets.parseProcNetTcp, 'busybox/proc-net-tcp.txt', null],
  ['show stat', haproxy.parseShowStat, 'linux-6.18-haproxy-2.6/show-stat.txt', StatTableSchema],
  ['show stat 1.5', haproxy.parseShowStat, 'centos7-3.10-haproxy-1.5/show-stat.txt', StatTableSchema],
  ['show info', haproxy.parseShowInfo, 'linux-6.18-haproxy-2.6/show-info.txt', null],
  ['haproxy -v', haproxy.parseHaproxyVersion, 'linux-6.18-haproxy-2.6/haproxy-v.txt', null],
  ['haproxy.cfg', parseHaproxyConfig, 'demo/report1-haproxy.cfg', HaproxyConfigSchema],
  ['nginx -T', nginx.parseNginxDump, 'demo/report2-nginx-T.txt', null],
  ['stub_status', nginx.parseStubStatus, 'linux-6.18-haproxy-2.6/nginx-stub-status.txt', null],
  ['php-fpm pools', (s) => fpm.parsePhpFpmPools([{ path: 'x', text: s }]), 'demo/report2-www.conf', null],
  ['php-fpm status', fpm.parsePhpFpmStatus, 'odd/sysctl-crlf.conf', null]
]

/** Mutations of a real output: drop, duplicate, truncate lines; replace characters. */
const mutated = (base: string): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
        fc.record({ op: fc.constant('dup' as const), at: fc.nat() }),
        fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
        fc.record({ op: fc.constant('char' as const), at: fc.nat(), ch: fc.constantFrom(',', ':', ' ', '\t', '"', '#', ';', '{', '}', '\0', '\r', '-', '9', 'x', '\u00e9') })
      ),
      { maxLength: 8 }
    )
    .map((ops) => {
      let ls = base.split('\n')
      for (const o of ops) {
        const i = ls.length ? o.at % ls.length : 0
        if (o.op === 'drop') ls.splice(i, 1)
        else if (o.op === 'dup') ls.splice(i, 0, ls[i] ?? '')
        else if (o.op === 'cut') ls = ls.slice(0, i)
        else {
          const l = ls[i] ?? ''
          const j = l.length ? o.at % l.length : 0
          ls[i] = l.slice(0, j) + o.ch + l.slice(j + 1)
        }
      }
      return ls.join('\n')
    })

function checkItem(r: AnyItem, schema: { safeParse(v: unknown): { success: boolean } } | null): void {
  expect(typeof r.ok).toBe('boolean')
  if (r.ok) {
    if (schema) expect(schema.safeParse(r.value).success).toBe(true)
  } else {
    expect(ITEM_ERRORS).toContain(r.error)
    expect(typeof r.detail).toBe('string')
  }
}

describe('parsers never throw', () => {
  for (const [name, parse, fixture, schema] of parsers) {
    it(`${name}: arbitrary text and mutated real output`, () => {
      fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => checkItem(parse(s), schema)), { numRuns: 300 })
      fc.assert(fc.property(mutated(fx(fixture)), (s) => checkItem(parse(s), schema)), { numRuns: 300 })
    })
  }
})

describe('assembly from garbage is still a valid snapshot', () => {
  it('any section outputs and exit codes => schema-valid snapshot, partial when something failed', () => {
    const names = ['hostname', 'kernel', 'os-release', 'cpus', 'meminfo', 'uptime', 'ulimit', 'ss-listen', 'ss-unix', 'ss-all', 'haproxy-v', 'nginx-v', 'php-fpm-v', 'proc 7 status', 'proc 7 cmdline', 'proc 7 limits', 'proc 7 fd', 'proc 7 cgroup', ...SYSCTL_KEYS.map((k) => `sysctl ${k}`), 'sysctlconf /etc/sysctl.conf']
    const section: fc.Arbitrary<RawSection> = fc.record({
      out: fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('Name:\thaproxy\nPPid:\t1\nUid:\t0\t0\t0\t0\n', '-f\n/etc/haproxy/haproxy.cfg\n', '1024\n4096\n', '128\n')),
      rc: fc.oneof(fc.constant(0), fc.constant(0), fc.constantFrom(1, 2, 124, 127), fc.constant(null)),
      err: fc.string({ maxLength: 40 })
    })
    const phase = (keys: string[]): fc.Arbitrary<PhaseOutcome> =>
      fc.record({
        raw: fc.option(fc.record({ sections: fc.array(fc.tuple(fc.constantFrom(...keys), section), { maxLength: keys.length }).map((e) => new Map(e)), done: fc.integer({ min: 0, max: 3 }) })),
        failure: fc.option(fc.record({ error: fc.constantFrom('connection lost' as const, 'timed out' as const, 'cancelled' as const), detail: fc.string({ maxLength: 20 }) }))
      })
    fc.assert(
      fc.property(
        phase(names),
        phase(['haproxy-cfg', 'nginx-T', 'php-fpm-conf', 'systemd haproxy.service']),
        phase(['counters1 uptime', 'counters1 netstat', 'counters1 snmp', 'counters2 uptime', 'counters2 netstat', 'counters2 snmp', 'haproxy-info', 'haproxy-stat1', 'haproxy-stat2']),
        (p1, p2, p3) => {
          const snap = assembleSnapshot(
            { id: 'x', name: 'x', takenAt: '2026-01-01T00:00:00.000Z', durationS: 1, source: { kind: 'ssh', host: 'h', hostName: 'h', port: 22, user: 'u', sudo: false, collector: 'headroom/test' } },
            { sampleIntervalS: 1, sudo: false },
            p1,
            p2,
            p3
          )
          const r = parseSnapshot(JSON.parse(JSON.stringify(snap)))
          if (!r.ok) throw new Error(r.error)
          expect(snap.partial).toBe(snap.problems.length > 0)
        }
      ),
      { numRuns: 300 }
    )
  })
})
