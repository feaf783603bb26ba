/**
 * Ground truth for `option httpchk` (simulator/model.ts openHttpCheck, onCheckExpire,
 * httpCheckResp): a real HAProxy on 127.0.0.1 checks real HTTP servers (python, one thread per
 * connection) that answer late, answer 503, reset, or answer at once. HAProxy's own show stat
 * gives each check's status and duration; the simulator runs the same settings
 * (test/helpers/check-scenario.ts httpCheckScenario) and must give the same. Settings whose
 * `timeout check` ends before the connect stage's expiry are left out: there HAProxy's check task
 * is sometimes woken early by the other checks of the process (see onCheckExpire).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requireTool } from '../../helpers/require-tool'
import { freePort } from '../../helpers/world'
import { showStat, startHaproxy } from '../../helpers/haproxy-stat'
import { simulate } from '../../../simulator/index'
import { decodeResult } from '../../../simulator/result'
import { httpCheckEnds, httpCheckScenario } from '../../helpers/check-scenario'

const haproxy = requireTool('haproxy')
const python = requireTool('python3')
const ss = requireTool('ss')
const ready = !!(haproxy && python && ss)

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** An HTTP server: argv[2] = 'slow<s>' (200 after s seconds), '503', 'rst' (reset after the request) or 'ok'. */
const SERVER = `
import socket, struct, sys, threading, time
mode = sys.argv[2]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(64)
print('listening', flush=True)
def serve(c):
    try:
        c.recv(4096)
        if mode.startswith('slow'):
            time.sleep(float(mode[4:]))
            c.sendall(b'HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok')
        elif mode == '503':
            c.sendall(b'HTTP/1.0 503 Service Unavailable\\r\\nContent-Length: 0\\r\\n\\r\\n')
        elif mode == 'rst':
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        else:
            c.sendall(b'HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok')
        time.sleep(0.05)
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`

/** Backend name -> the server it checks and its settings (the simulator's httpCheckScenario options). */
const BACKENDS = {
  inter: { mode: 'slow2.5', lines: [], check: 'inter 500ms', sim: { svcS: 2.5, interMs: 500 }, want: 'L7TOUT', ms: 500 },
  tcheck: { mode: 'slow2.5', lines: ['timeout connect 100ms', 'timeout check 300ms'], check: 'inter 2s', sim: { svcS: 2.5, timeoutConnectS: 0.1, timeoutCheckS: 0.3 }, want: 'L7TOUT', ms: 300 },
  tchecklong: { mode: 'slow2.5', lines: ['timeout connect 1s', 'timeout check 1500ms'], check: 'inter 2s', sim: { svcS: 2.5, timeoutConnectS: 1, timeoutCheckS: 1.5 }, want: 'L7TOUT', ms: 1500 },
  ok: { mode: 'ok', lines: [], check: 'inter 300ms', sim: { svcS: 0.001, interMs: 300 }, want: 'L7OK', ms: null },
  status: { mode: '503', lines: [], check: 'inter 300ms', sim: null, want: 'L7STS', ms: null },
  reset: { mode: 'rst', lines: [], check: 'inter 300ms', sim: null, want: 'SOCKERR', ms: null }
} as const
type Name = keyof typeof BACKENDS
const NAMES = Object.keys(BACKENDS) as Name[]

describe.skipIf(!ready)('option httpchk: real HAProxy vs the simulator', () => {
  let dir = ''
  let hap: ChildProcess | null = null
  const servers: ChildProcess[] = []
  const ports = {} as Record<Name, number>
  /** Per backend: the checks seen to end (status, duration), and the last check's status at every poll. */
  const seen = {} as Record<Name, { status: string; ms: number }[]>
  const polled = {} as Record<Name, string[]>
  let okTimeWait = -1

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'headroom-httpchk-'))
    const sock = join(dir, 'stats.sock')
    for (const n of NAMES) {
      ports[n] = await freePort()
      const p = spawn(python!, ['-c', SERVER, String(ports[n]), BACKENDS[n].mode], { stdio: ['ignore', 'pipe', 'ignore'] })
      servers.push(p)
      await new Promise<void>((resolve, reject) => {
        p.stdout!.once('data', () => resolve())
        p.once('exit', () => reject(new Error(`server ${n} exited`)))
      })
    }
    const fe = await freePort()
    const cfg = ['global', '  maxconn 100', `  stats socket ${sock} mode 600 level admin`, 'defaults', '  mode http', '  timeout connect 5s', '  timeout client 30s', '  timeout server 30s', '  option httpchk GET /', 'frontend fe', `  bind 127.0.0.1:${fe}`, '  default_backend ok']
    for (const n of NAMES) cfg.push(`backend ${n}`, ...BACKENDS[n].lines.map((l) => `  ${l}`), `  server s1 127.0.0.1:${ports[n]} check ${BACKENDS[n].check} fall 1000 rise 1`)
    hap = await startHaproxy(haproxy!, dir, cfg, fe)
    for (const n of NAMES) {
      seen[n] = []
      polled[n] = []
    }
    const running = {} as Record<Name, boolean>
    // the longest check (1.5 s + inter 2 s) ends at least 3 times in 12 s
    const stop = Date.now() + 12_000
    const timed = NAMES.filter((n) => BACKENDS[n].ms !== null)
    while (Date.now() < stop && !timed.every((n) => seen[n].length >= 3)) {
      const st = await showStat(sock)
      for (const n of NAMES) {
        const r = st[`${n}/s1`]!
        // "* L7TOUT": a check is running, the last one ended L7TOUT; "L7TOUT": none is running
        const star = r['check_status']!.startsWith('* ')
        const status = r['check_status']!.replace(/^\* /, '')
        if (status === 'INI' || status === '') continue
        polled[n].push(status)
        if (star) running[n] = true
        else if (running[n] || seen[n].length === 0) {
          running[n] = false
          seen[n].push({ status, ms: Number(r['check_duration']) })
        }
      }
      await sleep(20)
    }
    // checks of the prompt server passed by now: their connections left no TIME_WAIT on either side
    const out = execFileSync(ss!, ['-tan', 'state', 'time-wait'], { encoding: 'utf8' })
    okTimeWait = out.split('\n').filter((l) => l.includes(`:${ports.ok} `) || l.endsWith(`:${ports.ok}`)).length
  }, 40_000)

  afterAll(() => {
    hap?.kill('SIGKILL')
    for (const p of servers) p.kill('SIGKILL')
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('HAProxy: a late answer L7TOUT, a 503 L7STS, a reset SOCKERR, a prompt 200 L7OK', () => {
    for (const n of NAMES) {
      expect(polled[n].length, n).toBeGreaterThanOrEqual(10)
      expect(new Set(polled[n]), n).toEqual(new Set([BACKENDS[n].want]))
      if (BACKENDS[n].ms !== null) expect(seen[n].length, n).toBeGreaterThanOrEqual(3)
    }
  })

  it('the simulator ends each check as HAProxy does, after the same time', () => {
    for (const n of NAMES) {
      const b = BACKENDS[n]
      if (!b.sim) continue
      const log: string[] = []
      const r = decodeResult(simulate(httpCheckScenario(b.sim), { seed: 1, log })).summary
      const ends = httpCheckEnds(log)
      expect(ends.length, n).toBeGreaterThanOrEqual(2)
      for (const e of ends) expect(e.status, n).toBe(b.want)
      expect(r.haproxy!.servers[0]!.check_status, n).toBe(b.want)
      if (b.ms === null) continue
      for (const c of seen[n]) expect(Math.abs(c.ms - b.ms), `${n}: real ${c.ms} ms`).toBeLessThan(40)
      for (const e of ends) expect(Math.abs(e.d * 1000 - b.ms), `${n}: simulated ${e.d * 1000} ms`).toBeLessThan(5)
    }
  })

  it('passed checks leave no TIME_WAIT (HAProxy closes them with a reset), as simulated', () => {
    expect(polled.ok.length).toBeGreaterThanOrEqual(10)
    expect(okTimeWait).toBe(0)
    const r = decodeResult(simulate(httpCheckScenario(BACKENDS.ok.sim), { seed: 1 })).summary
    expect(r.sockets.maxTimeWait.proxy + r.sockets.maxTimeWait.backend).toBe(0)
  })
})
