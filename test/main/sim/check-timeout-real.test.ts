/**
 * Ground truth for health checks against a server whose accept queue is full (simulator/model.ts
 * onCheckSyn): a real HAProxy on 127.0.0.1 checks a real listener that never accepts (listen
 * backlog 2, so 3 connections fill its accept queue and every later SYN is dropped). Two backends
 * check it: `b1` with `inter 500ms` (its check times out after inter) and `b2` with `timeout check`
 * set (its check times out after min(timeout connect, inter) = 300 ms). HAProxy's own show stat
 * gives the check durations, the spacing of the failures and the DOWN; the simulator runs the
 * same configuration and must give the same. Then the listener accepts again: both come back UP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requireTool } from '../../helpers/require-tool'
import { freePort } from '../../helpers/world'
import { showStat, startHaproxy } from '../../helpers/haproxy-stat'
import { simulate } from '../../../simulator/index'
import { decodeResult } from '../../../simulator/result'
import { checkScenario } from '../../helpers/check-scenario'

const haproxy = requireTool('haproxy')
const python = requireTool('python3')
const ready = !!(haproxy && python)

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** A listener that accepts nothing until told to ("drain" on stdin), then accepts and closes everything. */
const LISTENER = `
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(2)
print('listening', flush=True)
sys.stdin.readline()
while True:
    c, _ = s.accept(); c.close()
`

interface Failure {
  /** ms since the start of the test when chkfail went up */
  at: number
  duration: number
}

describe.skipIf(!ready)('health checks against a full accept queue: real HAProxy vs the simulator', () => {
  let dir = ''
  let hap: ChildProcess | null = null
  let lst: ChildProcess | null = null
  const fillers: Socket[] = []
  let sock = ''
  const seen: Record<string, { fails: Failure[]; downAt: number | null; upAt: number | null; status: string; chkdown: number }> = {}
  let drainedAt = 0

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'headroom-chk-'))
    const port = await freePort()
    const fe = await freePort()
    sock = join(dir, 'stats.sock')
    lst = spawn(python!, ['-c', LISTENER, String(port)], { stdio: ['pipe', 'pipe', 'ignore'] })
    await new Promise<void>((resolve, reject) => {
      lst!.stdout!.once('data', () => resolve())
      lst!.once('exit', () => reject(new Error('listener exited')))
    })
    hap = await startHaproxy(haproxy!, dir, [
      'global',
      '  maxconn 100',
      `  stats socket ${sock} mode 600 level admin`,
      'defaults',
      '  mode http',
      '  timeout connect 5s',
      '  timeout client 30s',
      '  timeout server 30s',
      'frontend fe',
      `  bind 127.0.0.1:${fe}`,
      '  default_backend b1',
      'backend b1',
      `  server s1 127.0.0.1:${port} check inter 500ms fall 3 rise 2`,
      'backend b2',
      '  timeout connect 300ms',
      '  timeout check 200ms',
      `  server s1 127.0.0.1:${port} check inter 500ms fall 3 rise 2`,
    ], fe)
    const end = Date.now() + 10_000
    // both UP with a passed check first
    const passed = (st: Record<string, Record<string, string>>): boolean => st['b1/s1']?.['check_status'] === 'L4OK' && st['b2/s1']?.['check_status'] === 'L4OK'
    while (!passed(await showStat(sock))) {
      if (Date.now() > end) throw new Error('the checks never passed')
      await sleep(50)
    }
    // fill the accept queue: B + 1 = 3 connections nobody accepts
    for (let i = 0; i < 3; i++) {
      const c = connect({ port, host: '127.0.0.1' })
      c.on('error', () => {})
      fillers.push(c)
      await sleep(20)
    }
    const t0 = Date.now()
    for (const k of ['b1/s1', 'b2/s1']) seen[k] = { fails: [], downAt: null, upAt: null, status: 'UP', chkdown: 0 }
    const lastFail: Record<string, number> = { 'b1/s1': 0, 'b2/s1': 0 }
    const poll = async (): Promise<void> => {
      const st = await showStat(sock)
      for (const k of ['b1/s1', 'b2/s1']) {
        const r = st[k]!
        const f = Number(r['chkfail'])
        if (f > lastFail[k]!) {
          seen[k]!.fails.push({ at: Date.now() - t0, duration: Number(r['check_duration']) })
          lastFail[k] = f
        }
        if (/^DOWN/.test(r['status']!) && seen[k]!.downAt === null) seen[k]!.downAt = Date.now() - t0
        if (r['status'] === 'UP' && seen[k]!.downAt !== null && seen[k]!.upAt === null) seen[k]!.upAt = Date.now() - t0
        seen[k]!.status = r['status']!
        seen[k]!.chkdown = Number(r['chkdown'])
      }
    }
    while ((seen['b1/s1']!.downAt === null || seen['b2/s1']!.downAt === null) && Date.now() - t0 < 8000) {
      await poll()
      await sleep(10)
    }
    lst.stdin!.write('drain\n')
    drainedAt = Date.now() - t0
    while ((seen['b1/s1']!.upAt === null || seen['b2/s1']!.upAt === null) && Date.now() - t0 < 16000) {
      await poll()
      await sleep(10)
    }
  }, 40_000)

  afterAll(() => {
    for (const c of fillers) c.destroy()
    hap?.kill('SIGKILL')
    lst?.kill('SIGKILL')
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  /** The simulator on the same configuration: the listener's queue filled at 0.1 s and never drained. */
  function simulated(timeoutCheck: boolean): { fails: number[]; downAt: number; chkfail: number; status: string | undefined } {
    const s = checkScenario({ rate: 30, durationS: 0.1, drainS: 8, connectTimeoutS: 60 }, {
      timeoutConnectS: timeoutCheck ? 0.3 : 5,
      timeoutCheckS: timeoutCheck ? 0.2 : null,
      timeoutServerS: 30,
      timeoutClientS: 30,
      startedS: -1.234,
      servers: [{ name: 's1', maxconn: 0, maxqueue: 0, weight: 1, check: { interMs: 500, fastinterMs: null, downinterMs: null, rise: 2, fall: 3 } }]
    })
    // a listener that accepts nothing: no worker ever takes a connection off its queue
    s.backend = { ...s.backend, kind: 'generic', workers: 0, listenBacklog: 2, serviceTime: { kind: 'constant', s: 1 } }
    const log: string[] = []
    const r = decodeResult(simulate(s, { seed: 1, log })).summary
    const ends = log.filter((l) => l.includes('check-end server=s1 L4TOUT')).map((l) => parseFloat(l))
    const down = log.find((l) => l.includes('check server=s1 DOWN'))
    const row = r.haproxy!.servers[0]!
    return { fails: ends, downAt: down ? parseFloat(down) : NaN, chkfail: row.chkfail ?? 0, status: row.check_status }
  }

  it('the check times out after inter, or min(timeout connect, inter) with timeout check set', () => {
    const b1 = seen['b1/s1']!
    const b2 = seen['b2/s1']!
    expect(b1.fails.length).toBe(3)
    expect(b2.fails.length).toBe(3)
    for (const f of b1.fails) expect(Math.abs(f.duration - 500)).toBeLessThan(30)
    for (const f of b2.fails) expect(Math.abs(f.duration - 300)).toBeLessThan(30)
    expect(simulated(false).status).toBe('L4TOUT')
    expect(simulated(true).status).toBe('L4TOUT')
  })

  it('failures are timeout + the next interval apart, and the third takes the server DOWN: as simulated', () => {
    for (const [k, tc] of [
      ['b1/s1', false],
      ['b2/s1', true]
    ] as const) {
      const real = seen[k]!
      const sim = simulated(tc)
      expect(sim.chkfail).toBe(3)
      expect(sim.fails.length).toBeGreaterThanOrEqual(3)
      const realGap = (real.fails[2]!.at - real.fails[0]!.at) / 2
      const simGap = ((sim.fails[2]! - sim.fails[0]!) * 1000) / 2
      // 1000 ms (500 timeout + 500 inter) for b1, 800 ms (300 + 500) for b2; the poll is every ~10 ms
      expect(Math.abs(realGap - simGap)).toBeLessThan(60)
      // DOWN at the third failure, in both
      expect(Math.abs(real.downAt! - real.fails[2]!.at)).toBeLessThan(60)
      expect(sim.downAt).toBeCloseTo(sim.fails[2]!, 6)
    }
  })

  it('once the listener accepts again the checks pass and the server is UP after rise of them', () => {
    for (const k of ['b1/s1', 'b2/s1']) {
      const real = seen[k]!
      expect(real.upAt).not.toBeNull()
      expect(real.chkdown).toBe(1)
      // rise 2 passes, 500 ms apart (downinter = inter), after the check in progress at the drain ends
      expect(real.upAt! - drainedAt).toBeGreaterThanOrEqual(400)
      expect(real.upAt! - drainedAt).toBeLessThan(2 * 500 + 500 + 200)
    }
  })
})
