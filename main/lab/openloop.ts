/**
 * Open-loop load: new connections arrive on the scenario's piecewise-linear curve, whatever
 * happens to earlier ones. `h2load --rate` only knows one constant rate, so the lab uses this
 * small Node client instead, run by `node` inside the client namespace: plain kernel TCP
 * sockets, one HTTP request per connection or (keep-alive) N HTTP/1.1 requests back to back
 * on each connection before the client closes it; connect and total time per request.
 * Bounded: a fixed list of arrival times (at most `cap`) and a hard stop at `hardStopS`.
 */
import type { LoadPoint } from '../../simulator/scenario'
import { curveRate, nextEvenArrival } from '../../simulator/scenario'

/** Arrival times (s) on [0, durationS) for a curve in conn/s: 'even' spacing or Poisson (thinning). */
export function arrivalTimes(curve: readonly LoadPoint[], durationS: number, kind: 'even' | 'poisson', cap: number, rnd: () => number = Math.random): number[] {
  const out: number[] = []
  if (kind === 'even') {
    // the simulator's own rule (nextEvenArrival): the first at the curve's start, then 1 / rate apart
    for (let t = nextEvenArrival(curve, null, 1, durationS); t !== null && out.length < cap; t = nextEvenArrival(curve, t, 1, durationS)) out.push(t)
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
  /** Requests sent one after the other on each connection (keep-alive, HTTP/1.1; the client closes after the last). */
  requestsPerConnection?: number
  hardStopS: number
  /** JSON file with one local (source) address per arrival, bound before connect; null: the kernel picks (one address). */
  sourcesFile?: string | null
}

/**
 * One finished request: [startMs, connectMs (-1: never connected; -2: a later request on a
 * kept-alive connection), totalMs (from the request's start; the first one's includes the
 * connect), HTTP status (0: none), error code ('' if none)].
 */
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
  writeFileSync(cfg.outFile, JSON.stringify({ records: recs, wallMs: performance.now() - t0, startEpochMs: performance.timeOrigin + t0 }))
  process.exit(0)
}
const rpc = Math.max(1, cfg.requestsPerConnection || 1)
const reqKa = 'GET / HTTP/1.1\r\nHost: lab\r\nUser-Agent: headroom-lab\r\n\r\n'
function one() {
  const start = performance.now() - t0
  // per connection: the request in progress (k of rpc), its start, status and parser state
  let conn = -1, status = 0, buf = '', need = -1, chunked = false, closedRec = false, k = 0, reqStart = start
  const s = net.connect(srcs ? { host: cfg.host, port: cfg.port, localAddress: srcs[(started - 1) % srcs.length] } : { host: cfg.host, port: cfg.port })
  live.add(s)
  open++
  s.__start = start; s.__conn = -1; s.__status = () => status
  const connField = () => (k === 0 ? conn : -2)
  // one record per request; a connection that ends early records its current request only
  const rec = (r) => { if (closedRec) return; recs.push(r); if (r[4] !== '' || k + 1 >= rpc) { closedRec = true; live.delete(s); open--; if (started === times.length && open === 0) done() } }
  s.__rec = rec
  const timers = []
  const clear = () => { for (const t of timers.splice(0)) clearTimeout(t) }
  const arm = () => { if (cfg.requestTimeoutS != null) timers.push(setTimeout(() => { rec([reqStart, connField(), performance.now() - t0 - reqStart, status, 'timeout']); s.destroy() }, cfg.requestTimeoutS * 1000)) }
  if (cfg.connectTimeoutS != null) timers.push(setTimeout(() => { if (conn < 0) { rec([start, -1, performance.now() - t0 - start, 0, 'connect-timeout']); s.destroy() } }, cfg.connectTimeoutS * 1000))
  arm()
  const finish = (err) => { clear(); rec([reqStart, connField(), performance.now() - t0 - reqStart, status, err]) }
  s.setNoDelay(true)
  s.on('connect', () => { conn = performance.now() - t0 - start; s.__conn = conn; s.write(rpc > 1 ? reqKa : req) })
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
    if (!complete) return
    if (rpc > 1 && k + 1 < rpc) {
      // keep-alive: record this response, send the next request at once on the same connection
      finish('')
      k++
      reqStart = performance.now() - t0
      status = 0; buf = ''; need = -1; chunked = false
      arm()
      s.write(reqKa)
      return
    }
    if (cfg.closesFirst === 'client' || rpc > 1) { finish(''); s.end() }
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
