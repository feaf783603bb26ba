/**
 * Ground truth for how a fidelity case's load tool spreads its requests over connections
 * (main/sim/fidelity-case.ts): the real h2load and ab -k against a real HAProxy on 127.0.0.1,
 * HAProxy's own counters read before and after, and the simulator's prediction for the same
 * command line next to them. h2load gives each of its -c clients one keep-alive connection;
 * ab -k keeps each user's connection; HAProxy keeps about one server connection per session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { type AddressInfo } from 'node:net'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requireTool } from '../../helpers/require-tool'
import { freePort } from '../../helpers/world'
import { showStatNumbers, startHaproxy } from '../../helpers/haproxy-stat'
import { caseToScenario, predictCase, predictedFor, type FidelityCase } from '../../../main/sim/fidelity-case'
import { simulate } from '../../../simulator/index'
import { decodeResult } from '../../../simulator/result'

const haproxy = requireTool('haproxy')
const h2load = requireTool('h2load')
const ab = requireTool('ab')
const ready = !!(haproxy && h2load && ab)

describe.skipIf(!ready)('load tools against a real HAProxy: connections per request', () => {
  let dir = ''
  let proc: ChildProcess | null = null
  let port = 0
  let sock = ''
  const template = JSON.parse(readFileSync(join(__dirname, '../../../../shared/fidelity/cases/haproxy-maxconn-raised.json'), 'utf8')) as FidelityCase

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'headroom-tools-'))
    port = await freePort()
    const app = await freePort()
    sock = join(dir, 'stats.sock')
    // fe -> bk/s1 -> app, a frontend of the same HAProxy answering 200 itself (the "server")
    proc = await startHaproxy(haproxy!, dir, [
      'global',
      '  maxconn 200',
      `  stats socket ${sock} mode 600 level admin`,
      'defaults',
      '  mode http',
      '  timeout connect 5s',
      '  timeout client 30s',
      '  timeout server 30s',
      'frontend fe',
      `  bind 127.0.0.1:${port}`,
      '  default_backend bk',
      'backend bk',
      `  server s1 127.0.0.1:${app}`,
      'frontend app',
      `  bind 127.0.0.1:${app}`,
      '  http-request return status 200 content-type text/plain string ok',
    ], port)
    const end = Date.now() + 10_000
    // the probe that found the port open is a session too: wait until HAProxy has accepted and
    // counted it, or on a busy machine it lands in the first command's stot delta (5 for -c 4)
    for (;;) {
      const stot = await showStatNumbers(sock).then((r) => r['fe/FRONTEND']?.['stot'] ?? 0, () => 0)
      if (stot >= 1) break
      if (Date.now() > end) throw new Error('haproxy never counted the start-up probe connection')
      await new Promise((r) => setTimeout(r, 50))
    }
  })

  afterAll(() => {
    proc?.kill('SIGKILL')
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  /** Run one command; HAProxy's counter deltas, and the simulator's prediction for the same command line. */
  async function measure(tool: 'h2load' | 'ab', args: string[], c: number, n: number, rate: number | null) {
    const before = await showStatNumbers(sock)
    execFileSync(tool === 'h2load' ? h2load! : ab!, [...args, `http://127.0.0.1:${port}/`], { stdio: 'ignore', timeout: 60_000 })
    const after = await showStatNumbers(sock)
    const d = (row: string, f: string): number => (after[row]?.[f] ?? 0) - (before[row]?.[f] ?? 0)
    const k = structuredClone(template)
    k.id = `${tool} ${args.join(' ')}`
    k.scenario.load =
      rate === null
        ? { tool, command: `${tool} ${args.join(' ')} http://x/`, model: 'closed', concurrency: c, requests: n, rate_per_s: null, connections: null, duration_s: null, target: 'lb' }
        : { tool, command: `${tool} ${args.join(' ')} http://x/`, model: 'open', concurrency: null, requests: n, rate_per_s: rate, connections: c, duration_s: null, target: 'lb' }
    k.scenario.proxy!.global_maxconn = 200
    k.scenario.proxy!.frontend_maxconn = null
    k.scenario.backend.service_time_ms = 0
    const { scenario, load } = caseToScenario(k)
    const p = predictedFor(k, load, decodeResult(simulate(scenario, { seed: 1 })).summary)
    return {
      real: { sessions: d('fe/FRONTEND', 'stot'), ok: d('fe/FRONTEND', 'hrsp_2xx'), serverConnects: d('bk/s1', 'connect') },
      sim: { sessions: p['haproxy.frontend.stot'] as number, ok: p.ok as number, serverConnects: p['haproxy.server_s1.connect'] as number }
    }
  }

  const runs: [string, 'h2load' | 'ab', string[], number, number, number | null][] = [
    ['h2load -c 4 -n 40', 'h2load', ['--h1', '-c', '4', '-n', '40'], 4, 40, null],
    ['h2load -c 4 -n 10 (10 mod 4 != 0)', 'h2load', ['--h1', '-c', '4', '-n', '10'], 4, 10, null],
    ['h2load -c 16 -n 1600', 'h2load', ['--h1', '-c', '16', '-n', '1600'], 16, 1600, null],
    // rate mode: -c connections in all, 4 every 100 ms, 5 requests each (with n mod c != 0 the
    // simulator gives every connection round(n/c): h2load -c 8 -n 30 would be 32, not 30)
    ['h2load -r 4 --rate-period 100ms -c 8 -n 40', 'h2load', ['--h1', '-r', '4', '--rate-period', '100ms', '-c', '8', '-n', '40'], 8, 40, 40],
    ['ab -k -c 16 -n 1600', 'ab', ['-k', '-c', '16', '-n', '1600'], 16, 1600, null],
    ['ab -c 8 -n 80 (no keep-alive: a connection per request)', 'ab', ['-c', '8', '-n', '80'], 8, 80, null],
    // timing-based: -n is ignored, each client keeps its connection busy for 1 s (the number of
    // requests is this machine's speed, so only the connections are compared)
    ['h2load -c 4 -D 1', 'h2load', ['--h1', '-c', '4', '-D', '1'], 4, 0, null]
  ]
  for (const [name, tool, args, c, n, rate] of runs) {
    it(name, async () => {
      const { real, sim } = await measure(tool, args, c, n, rate)
      if (n > 0) {
        expect(real.ok).toBe(n)
        expect(sim.ok).toBe(n)
      } else expect(Math.min(real.ok, sim.ok)).toBeGreaterThan(10 * c)
      // frontend sessions are client connections: the simulator must open as many. h2load
      // opens exactly -c; ab now and then opens a few more that it closes before sending a
      // request (HAProxy counts them in ereq and 4xx: 0-3 per run here), so ab gets the fidelity
      // README's HAProxy-stats tolerance (10 %, 2)
      if (tool === 'h2load') expect(sim.sessions).toBe(real.sessions)
      else expect(Math.abs(sim.sessions - real.sessions)).toBeLessThanOrEqual(0.1 * real.sessions + 2)
      // server connections: about one per session with keep-alive (HAProxy makes a few more
      // now and then: 16-18 for 16 sessions here, 21 once on a busy box), one per request without
      expect(Math.abs(sim.serverConnects - real.serverConnects)).toBeLessThanOrEqual(0.25 * real.serverConnects + 2)
    })
  }
})

/** An HTTP server in this process on 127.0.0.1 that answers every request after `ms`; returns its port (once started). */
function serverAnsweringAfter(ms: number): () => number {
  let server: Server | null = null
  let port = 0
  beforeAll(async () => {
    server = createServer((_req, res) => setTimeout(() => res.end('ok'), ms))
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())))
  return () => port
}

/** A shared case rewritten to `ab <args>` straight to an nginx-echo of `serviceMs`. */
function abCase(args: string, c: number, n: number, serviceMs: number): FidelityCase {
  const k = JSON.parse(readFileSync(join(__dirname, '../../../../shared/fidelity/cases/seed-backlog-1024.json'), 'utf8')) as FidelityCase
  k.scenario.load = { tool: 'ab', command: `ab ${args} http://x/`, model: 'closed', concurrency: c, requests: n, target: 'app' }
  k.scenario.backend = { kind: 'nginx-echo', service_time_ms: serviceMs, listen_backlog: 511, nginx_workers: 1, worker_connections: 1024 }
  return k
}

describe.skipIf(!ab)('ab against a real 200 ms server: the first request goes alone', () => {
  const port = serverAnsweringAfter(200)

  for (const n of [4, 8]) {
    it(`ab -c 4 -n ${n}: the simulated run lasts as long as the real one`, async () => {
      // (not execFileSync: the server runs in this process's event loop)
      const out = await new Promise<string>((resolve, reject) =>
        execFile(ab!, ['-c', '4', '-n', String(n), `http://127.0.0.1:${port()}/`], { encoding: 'utf8', timeout: 30_000 }, (e, so) => (e ? reject(e) : resolve(so)))
      )
      const real = Number(/Time taken for tests:\s+([\d.]+) seconds/.exec(out)![1])
      const sim = predictCase(abCase(`-c 4 -n ${n}`, 4, n, 200)).predicted.duration_s as number
      // 0.4 / 0.6 s: one request alone, then the other users; all at once would be 0.2 / 0.4 s
      expect(real).toBeGreaterThan(0.35)
      expect(Math.abs(sim - real)).toBeLessThan(0.1)
    })
  }
})

describe.skipIf(!ab)("ab's -s against a real 1.5 s server: a watchdog over all its sockets, not a per-request timeout", () => {
  const port = serverAnsweringAfter(1500)

  for (const s of [1, 2]) {
    it(`ab -c 4 -n 8 -s ${s}: ${s === 1 ? 'no event for 1 s after its first connect, ab gives up' : 'an event at least every 1.5 s, ab completes'}; the simulation says the same`, async () => {
      const t0 = Date.now()
      // (not execFileSync: the server runs in this process's event loop)
      const res = await new Promise<{ code: number; out: string; err: string }>((resolve) =>
        execFile(ab!, ['-s', String(s), '-c', '4', '-n', '8', `http://127.0.0.1:${port()}/`], { encoding: 'utf8', timeout: 30_000 }, (e, so, se) =>
          resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out: so, err: se })
        )
      )
      const wall = (Date.now() - t0) / 1000
      const sim = predictCase(abCase(`-s ${s} -c 4 -n 8`, 4, 8, 1500)).predicted
      if (s === 1) {
        expect(res.code).not.toBe(0)
        expect(res.err).toMatch(/timeout specified has expired/)
        expect(wall).toBeLessThan(1.4) // not 1.5 s (the first answer) and not 4.5 s (the whole run)
        expect(sim.ok).toBe(0)
        expect(sim.not_ok).toBe(8)
      } else {
        expect(res.code).toBe(0)
        expect(Number(/Complete requests:\s+(\d+)/.exec(res.out)![1])).toBe(8)
        expect(sim.ok).toBe(8)
        expect(sim.not_ok).toBe(0)
      }
      expect(Math.abs((sim.duration_s as number) - wall)).toBeLessThan(0.25)
    })
  }
})
