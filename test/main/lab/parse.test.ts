import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  counterDelta,
  parseAbGnuplot,
  parseAbOutput,
  parseChildren,
  parseFpmAccessLog,
  parseHaproxyStat,
  parseProcCounters,
  parseProcNetTcp,
  parseShowInfo,
  parseSsListenBacklog,
  parseProcStatBusy,
  percentile,
  procCpuTicks,
  procState,
  sampleSockets
} from '../../../main/lab/parse'
import { APP_BODY_BYTES } from '../../../main/lab/render'

// Recorded on kernel 6.18 / HAProxy 2.6.12 / nginx 1.22 / ab 2.3 (loopback in `unshare -n`:
// HAProxy frontend maxconn 4, backlog 8, server s1 maxconn 2; nginx echo_sleep 50 ms; ab -c 6 -n 20).
const fx = (f: string): string => readFileSync(join(import.meta.dirname, 'fixtures', f), 'utf8')

describe('lab parsers on recorded real outputs', () => {
  it('reads TcpExt and Tcp counters and their deltas', () => {
    const c = parseProcCounters(fx('proc-net-netstat.txt') + fx('proc-net-snmp.txt'))
    expect(typeof c['TcpExtListenOverflows']).toBe('number')
    expect(typeof c['TcpExtTCPReqQFullDrop']).toBe('number')
    expect(c['TcpActiveOpens']).toBeGreaterThan(0)
    expect(counterDelta({ TcpExtListenOverflows: 3, X: 1 }, { TcpExtListenOverflows: 10 })).toEqual({ TcpExtListenOverflows: 7 })
  })

  it('counts listeners, TIME_WAIT and queues in /proc/net/tcp', () => {
    const rows = parseProcNetTcp(fx('proc-net-tcp.txt'))
    const listeners = rows.filter((r) => r.state === 10).map((r) => `${r.localIp}:${r.localPort}`).sort()
    expect(listeners).toEqual(['127.0.0.1:8089', '127.0.0.1:8090'])
    const s = sampleSockets(rows, ['127.0.0.1'])
    expect(s.timeWait).toBe(rows.filter((r) => r.state === 6).length)
    expect(s.timeWait).toBeGreaterThan(0)
    expect(s.acceptq[8090]).toBe(0)
  })

  it('reads a LISTEN row rx_queue as the accept queue and counts SYN_RECV and SYN-SENT', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000004 00:00000000 00000000     0        0 25224 5 0 100 0 0 10 0',
      '   1: 0100007F:B85E 0100007F:1F90 02 00000001:00000000 01:00000046 00000000     0        0 25229 2 0 100 0 0 10 -1',
      '   2: 0100007F:1F90 0100007F:B85C 03 00000000:00000000 01:00000000 00000000     0        0 0 1 0 20 0 0 10 -1'
    ].join('\n')
    const s = sampleSockets(parseProcNetTcp(text))
    expect(s).toMatchObject({ acceptq: { 8080: 4 }, synq: { 8080: 1 }, synSent: 1, timeWait: 0 })
  })

  it('tells the two ends of a loopback proxy -> backend connection apart by the backend port', () => {
    // one namespace holds HAProxy (front 10.200.1.2:80) and its server 127.0.0.1:8080 (0x1F90)
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
      // HAProxy's end, it closed first: remote is the server
      '   1: 0100007F:B85E 0100007F:1F90 06 00000000:00000000 03:00000100 00000000     0        0 0 3 0 0 0 0 0 0',
      // the server's end of another connection, the server closed first: local is the server
      '   2: 0100007F:1F90 0100007F:B860 06 00000000:00000000 03:00000100 00000000     0        0 0 3 0 0 0 0 0 0',
      // a client connection at the front
      '   3: 0201C80A:0050 0101C80A:9C40 06 00000000:00000000 03:00000100 00000000     0        0 0 3 0 0 0 0 0 0'
    ].join('\n')
    const rows = parseProcNetTcp(text)
    expect(sampleSockets(rows, ['127.0.0.1'], 8080)).toMatchObject({ timeWait: 3, timeWaitToBackend: 1, timeWaitAtBackend: 1 })
    // by address alone both ends look like "towards the backend"
    expect(sampleSockets(rows, ['127.0.0.1'])).toMatchObject({ timeWait: 3, timeWaitToBackend: 2, timeWaitAtBackend: 0 })
  })

  it('reads HAProxy show stat rows and show info', () => {
    const st = parseHaproxyStat(fx('haproxy-show-stat.csv'))
    expect(st['frontend']).toMatchObject({ pxname: 'fe', smax: 4, slim: 4, stot: 20 })
    expect(st['server_s1']).toMatchObject({ smax: 2, slim: 2 })
    expect(st['backend']).toMatchObject({ pxname: 'be', stot: 20 })
    const info = parseShowInfo(fx('haproxy-show-info.txt'))
    expect(info).toMatchObject({ Maxconn: 100, Maxsock: 228, 'Ulimit-n': 228 })
  })

  it('reads ab output and its per-request file', () => {
    const ab = parseAbOutput(fx('ab-output.txt'))
    expect(ab).toMatchObject({ complete: 20, failed: 0, non2xx: 0, aborted: null, htmlBytes: 60 })
    // every answer is the lab app's 3-byte body: the bodies count the successes (run.ts)
    expect(ab.htmlBytes / APP_BODY_BYTES).toBe(ab.complete)
    expect(ab.timeTakenS).toBeGreaterThan(0)
    const reqs = parseAbGnuplot(fx('ab-gnuplot.tsv'))
    expect(reqs).toHaveLength(20)
    expect(Math.min(...reqs.map((r) => r.totalMs))).toBeGreaterThanOrEqual(50)
    expect(parseAbOutput('Benchmarking x\napr_pollset_poll: The timeout specified has expired (70007)\n').aborted).toMatch(/timeout/)
  })

  it('reads listen backlogs from ss and takes nearest-rank percentiles', () => {
    expect(parseSsListenBacklog(fx('ss-ltn.txt'))).toEqual({ 8089: 64, 8090: 8 })
    expect(percentile([5, 1, 4, 2, 3], 0.5)).toBe(3)
    expect(percentile([1, 2, 3, 4, 100], 0.99)).toBe(100)
    expect(Number.isNaN(percentile([], 0.5))).toBe(true)
  })
  // Recorded on kernel 6.18 / php-fpm 8.2: a static pool of 4 children pinned to CPU 0
  // (taskset -c 0), 3 requests at once of a page that burns 200 ms of CPU (backend.cpu share 1).
  it('reads php-fpm children, their state and CPU time, the pinned core\'s busy time and the access log', () => {
    const kids = parseChildren(fx('fpm-children.txt'))
    expect(kids).toEqual([9418, 9419, 9420, 9421])
    const stats = fx('fpm-child-stat.txt').trim().split('\n')
    // 3 busy children are runnable on the one core, the idle one sleeps in accept
    expect(stats.map(procState)).toEqual(['R', 'R', 'R', 'S'])
    expect(stats.map(procCpuTicks)).toEqual([9, 9, 9, 0])
    expect(procState('')).toBe('')
    expect(procCpuTicks('123 (a) b) S 1')).toBe(0)
    const before = parseProcStatBusy(fx('proc-stat-before.txt'))
    const after = parseProcStatBusy(fx('proc-stat-after.txt'))
    expect(Object.keys(after)).toEqual(['0', '1'])
    // 3 x 200 ms of CPU on CPU 0 (USER_HZ 100)
    expect(after[0]! - before[0]!).toBe(63)
    // the three shared the core: each held its child ~3 x 200 ms
    const ms = parseFpmAccessLog(fx('fpm-access.txt'))
    expect(ms).toEqual([597.705, 597.757, 595.038])
    expect(parseFpmAccessLog('12.5\n\n-\n')).toEqual([12.5])
  })
})
