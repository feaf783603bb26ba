/**
 * Open-loop load: new connections arrive on the scenario's piecewise-linear curve, whatever
 * happens to earlier ones. `h2load --rate` only knows one constant rate, so the lab uses this
 * small Node client instead, run by `node` inside the client namespace: plain kernel TCP
 * sockets, one HTTP request per connection, connect and total time per request.
 * Bounded: a fixed list of arrival times (at most `cap`) and a hard stop at `hardStopS`.
 */
import type { LoadPoint } from '../../simulator/scenario'
import { curveRate } from '../../simulator/scenario'

/** Arrival times (s) on [0, durationS) for a curve in conn/s: 'even' spacing or Poisson (thinning). */
export function arrivalTimes(curve: readonly LoadPoint[], durationS: number, kind: 'even' | 'poisson', cap: number, rnd: () => number = Math.random): number[] {
  const out: number[] = []
  if (kind === 'even') {
    // next arrival when the integral of the rate grows by 1
    let acc = 0
    const dt = 0.001
    for (let t = 0; t < durationS && out.length < cap; t += dt) {
      acc += curveRate(curve, t) * dt
      while (acc >= 1 && out.length < cap) {
        out.push(t)
        acc -= 1
      }
    }
    return out
  }
  let peak = 0
  for (const p of curve) peak = Math.max(peak, p.rate)
  if (peak <= 0) return out
  let t = 0
  while (out.length < cap) {
    t += -Math.log(1 - rnd()) / peak
    if (t >= durationS) break
    if (rnd() * peak <= curveRate(curve, t)) out.push(t)
  }
  return out
}

/** Config the client reads from the HR_LAB_CFG environment variable. */
export interface OpenLoopConfig {
  host: string
  port: number
  arrivalsFile: string
  outFile: string
  connectTimeoutS: number | null
  requestTimeoutS: number | null
  /** 'client': HTTP/1.1, the client closes after the response; 'server': HTTP/1.0, waits for the server's close. */
  closesFirst: 'client' | 'server'
  hardStopS: number
  /** JSON file with one local (source) address per arrival, bound before connect; null: the kernel picks (one address). */
  sourcesFile?: string | null
}

/** One finished request: [startMs, connectMs (-1: never connected), totalMs, HTTP status (0: none), error code ('' if none)]. */
export type OpenLoopRecord = [number, number, number, number, string]

/** Source of the client (ES module, run with `node --input-type=module -e`). Kept free of dependencies. */
export const OPEN_LOOP_CLIENT = String.raw`
import net from 'node:net'
import { readFileSync, writeFileSync } from 'node:fs'
const cfg = JSON.parse(process.env.HR_LAB_CFG)
const times = JSON.parse(readFileSync(cfg.arrivalsFile, 'utf8'))
const srcs = cfg.sourcesFile ? JSON.parse(readFileSync(cfg.sourcesFile, 'utf8')) : null
const t0 = performance.now()
const recs = []
let open = 0, started = 0, finished = false
const live = new Set()
const req = cfg.closesFirst === 'client'
  ? 'GET / HTTP/1.1\r\nHost: lab\r\nUser-Agent: headroom-lab\r\n\r\n'
  : 'GET / HTTP/1.0\r\nHost: lab\r\nUser-Agent: headroom-lab\r\n\r\n'
function done() {
  if (finished) return
  finished = true
  for (const s of [...live]) { s.__rec([s.__start, s.__conn, performance.now() - t0 - s.__start, s.__status(), 'hard-stop']); s.destroy() }
  writeFileSync(cfg.outFile, JSON.stringify({ records: recs, wallMs: performance.now() - t0 }))
  process.exit(0)
}
function one() {
  const start = performance.now() - t0
  let conn = -1, status = 0, buf = '', need = -1, chunked = false, closedRec = false
  const s = net.connect(srcs ? { host: cfg.host, port: cfg.port, localAddress: srcs[(started - 1) % srcs.length] } : { host: cfg.host, port: cfg.port })
  live.add(s)
  open++
  s.__start = start; s.__conn = -1; s.__status = () => status
  const rec = (r) => { if (closedRec) return; closedRec = true; recs.push(r); live.delete(s); open--; if (started === times.length && open === 0) done() }
  s.__rec = rec
  const timers = []
  if (cfg.connectTimeoutS != null) timers.push(setTimeout(() => { if (conn < 0) { rec([start, -1, performance.now() - t0 - start, 0, 'connect-timeout']); s.destroy() } }, cfg.connectTimeoutS * 1000))
  if (cfg.requestTimeoutS != null) timers.push(setTimeout(() => { rec([start, conn, performance.now() - t0 - start, status, 'timeout']); s.destroy() }, cfg.requestTimeoutS * 1000))
  const finish = (err) => { for (const t of timers) clearTimeout(t); rec([start, conn, performance.now() - t0 - start, status, err]) }
  s.setNoDelay(true)
  s.on('connect', () => { conn = performance.now() - t0 - start; s.__conn = conn; s.write(req) })
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
    if (cfg.closesFirst === 'client' && complete) { finish(''); s.end() }
  })
  s.on('error', (e) => finish(e.code || 'error'))
  s.on('close', () => finish(status ? '' : 'closed'))
  s.on('end', () => s.end())
}
let i = 0
function tick() {
  const now = (performance.now() - t0) / 1000
  while (i < times.length && times[i] <= now) { i++; started++; one() }
  if (i < times.length) setTimeout(tick, Math.max(0, Math.min(5, (times[i] - now) * 1000)))
  else if (open === 0) done()
}
setTimeout(done, cfg.hardStopS * 1000)
tick()
`
