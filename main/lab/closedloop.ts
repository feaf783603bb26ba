/**
 * Closed-loop load without `ab`: C users, each sending one request per connection and starting
 * the next as soon as the previous one ends (`ab -c C -n R`), until R requests were started or
 * `durationS` passed. Run by `node` inside the client namespace like the open-loop client
 * (openloop.ts): plain kernel TCP sockets, connect and total time per request.
 *
 * What it adds over ab (the reference tool of the shared fidelity cases, still used for the
 * plain cases): the source address of request i is bound before connect (round-robin over the
 * scenario's client addresses, some of them behind the lab's NAT namespace), an application
 * connect timeout, and a user count that follows the scenario's load curve: the target is
 * re-read at t = 0 and every whole second (as the simulator does), missing users start at once,
 * users above the target stop after their current request.
 *
 * 'server' closes first (ab's case): HTTP/1.0, the client waits for the server's close.
 * 'client': HTTP/1.1, the client closes once the response is complete (TIME_WAIT on its side).
 * Bounded: at most R requests (or a cap), no new request after `durationS`, hard stop `hardStopS`.
 */
import type { LoadPoint } from '../../simulator/scenario'

/** Config the client reads from the HR_LAB_CFG environment variable. */
export interface ClosedLoopConfig {
  host: string
  port: number
  /** Concurrent users when `curve` is empty. */
  users: number
  /** Users over time (piecewise linear, read at whole seconds); empty: `users` throughout. */
  curve: LoadPoint[]
  /** Requests to start in total (ab -n); the cap of a time-bounded run otherwise. */
  totalRequests: number
  /** No request starts after this (s from the start). */
  durationS: number
  connectTimeoutS: number | null
  requestTimeoutS: number | null
  closesFirst: 'client' | 'server'
  hardStopS: number
  outFile: string
  /** JSON file with one local (source) address per request index, bound before connect; null: the kernel picks. */
  sourcesFile: string | null
}

/** One finished request: [startMs, connectMs (-1: never connected), totalMs, HTTP status (0: none), error code ('' if none)]. */
export type ClosedLoopRecord = [number, number, number, number, string]

/** Source of the client (ES module, run with `node --input-type=module -e`). Kept free of dependencies. */
export const CLOSED_LOOP_CLIENT = String.raw`
import net from 'node:net'
import { readFileSync, writeFileSync } from 'node:fs'
const cfg = JSON.parse(process.env.HR_LAB_CFG)
const srcs = cfg.sourcesFile ? JSON.parse(readFileSync(cfg.sourcesFile, 'utf8')) : null
let t0 = performance.now()
const now = () => performance.now() - t0
const recs = []
const live = new Set()
let active = 0, started = 0, finished = false, target = 0, maxActive = 0
const req = cfg.closesFirst === 'client'
  ? 'GET / HTTP/1.1\r\nHost: lab\r\nUser-Agent: headroom-lab\r\n\r\n'
  : 'GET / HTTP/1.0\r\nHost: lab\r\nUser-Agent: headroom-lab\r\n\r\n'
// the simulator's curveRate: constant before the first and after the last point, linear between
function curveRate(c, t) {
  if (c.length === 0) return 0
  if (t <= c[0].tS) return c[0].rate
  for (let i = 1; i < c.length; i++) {
    const b = c[i]
    if (t <= b.tS) { const a = c[i - 1]; const span = b.tS - a.tS; return span <= 0 ? b.rate : a.rate + ((b.rate - a.rate) * (t - a.tS)) / span }
  }
  return c[c.length - 1].rate
}
const curve = cfg.curve && cfg.curve.length ? cfg.curve : null
const loadOver = () => now() >= cfg.durationS * 1000 || started >= cfg.totalRequests
function done() {
  if (finished) return
  finished = true
  for (const s of [...live]) { s.__rec([s.__start, s.__conn, now() - s.__start, s.__status(), 'hard-stop']); s.destroy() }
  const cpu = process.cpuUsage(cpu0)
  writeFileSync(cfg.outFile, JSON.stringify({ records: recs, wallMs: now(), maxUsers: maxActive, cpuMs: (cpu.user + cpu.system) / 1000 }))
  process.exit(0)
}
function maybeDone() { if (active === 0 && (loadOver() || !curve)) done() }
// one user's next step: a request, or stop (load over, or more users than the curve wants now)
function next() {
  if (finished) return
  if (loadOver() || active > target) { active--; maybeDone(); return }
  one(started++)
}
function startUser() { active++; if (active > maxActive) maxActive = active; next() }
function one(i, warm) {
  const start = now()
  let conn = -1, status = 0, buf = '', need = -1, chunked = false, closedRec = false
  const opts = warm ? { path: warm.path } : { host: cfg.host, port: cfg.port }
  if (srcs && !warm) opts.localAddress = srcs[i % srcs.length]
  const s = net.connect(opts)
  if (!warm) live.add(s)
  s.__start = start; s.__conn = -1; s.__status = () => status
  const timers = []
  const rec = (r) => {
    if (closedRec) return
    closedRec = true
    for (const t of timers) clearTimeout(t)
    if (warm) return warm.done()
    recs.push(r)
    live.delete(s)
    // the user goes on in a new tick (ab reconnects from its event loop too)
    if (!finished) setImmediate(next)
  }
  s.__rec = rec
  if (cfg.connectTimeoutS != null) timers.push(setTimeout(() => { if (conn < 0) { rec([start, -1, now() - start, 0, 'connect-timeout']); s.destroy() } }, cfg.connectTimeoutS * 1000))
  if (cfg.requestTimeoutS != null) timers.push(setTimeout(() => { rec([start, conn, now() - start, status, 'timeout']); s.destroy() }, cfg.requestTimeoutS * 1000))
  if (!warm) s.setNoDelay(true)
  s.on('connect', () => { conn = now() - start; s.__conn = conn; s.write(req) })
  s.on('data', (d) => {
    buf += d.toString('latin1')
    if (status === 0) { const m = /^HTTP\/1\.[01] (\d{3})/.exec(buf); if (m) status = Number(m[1]) }
    const h = buf.indexOf('\r\n\r\n')
    if (h >= 0 && need < 0) {
      const head = buf.slice(0, h)
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head)
      need = m ? h + 4 + Number(m[1]) : /\r\ntransfer-encoding:\s*chunked/i.test(head) ? -2 : Infinity
      if (need === -2) chunked = true
    }
    const complete = chunked ? buf.endsWith('\r\n0\r\n\r\n') || buf.endsWith('\n0\r\n\r\n') : need >= 0 && buf.length >= need
    if (cfg.closesFirst === 'client' && complete) { rec([start, conn, now() - start, status, '']); s.end() }
  })
  s.on('error', (e) => { rec([start, conn, now() - start, status, e.code || 'error']); s.destroy() })
  s.on('close', () => rec([start, conn, now() - start, status, status ? '' : 'closed']))
  s.on('end', () => s.end())
}
function retarget() {
  if (finished) return
  target = curve ? Math.max(0, Math.round(curveRate(curve, now() / 1000))) : cfg.users
  if (!loadOver()) while (active < target) startUser()
  maybeDone()
}
// Warm-up before the clock starts: Node compiles its socket and stream paths lazily, which made
// the first round of connections ~100 ms slower than ab's. 32 exchanges with a server of our own
// on a unix socket (no TCP: no kernel counter moves) run the same request code first.
async function warmUp() {
  const path = cfg.outFile + '.warm.sock'
  const srv = net.createServer((c) => { c.on('data', () => c.end('HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n')); c.on('error', () => {}) })
  await new Promise((r) => srv.listen(path, r))
  for (let k = 0; k < 4; k++) await Promise.all(Array.from({ length: 8 }, () => new Promise((r) => one(-1, { path, done: r }))))
  await new Promise((r) => srv.close(r))
}
await warmUp()
t0 = performance.now()
const cpu0 = process.cpuUsage()
setTimeout(done, cfg.hardStopS * 1000)
if (curve) {
  // whole seconds, as the simulator re-reads the curve
  let k = 0
  const tick = () => { if (finished || loadOver()) return; k++; retarget(); setTimeout(tick, Math.max(0, k * 1000 + 1000 - now())) }
  setTimeout(tick, 1000)
}
retarget()
`
