/**
 * Pipeline benchmark (issue #3): the report-1 scenario at a steady 5,000 new connections/s
 * for 600 s of simulated time through the full model. Prints simulated connections per wall
 * second (target >= 1M/s), wall time (target <= 3 s) and peak memory (target <= 500 MB).
 */
import { simulate } from '../simulator/index'
import { decodeResult } from '../simulator/result'
import { report1Scenario } from '../simulator/presets'

const rate = 5000
const durationS = 600
const s = report1Scenario({ durationS, curve: [{ tS: 0, rate }, { tS: durationS, rate }] })
simulate(report1Scenario({ durationS: 10, curve: [{ tS: 0, rate }] }), { seed: 2 }) // warm-up (JIT)
const rssBefore = process.memoryUsage().rss
const c0 = process.cpuUsage()
const t0 = process.hrtime.bigint()
const buf = simulate(s, { seed: 1 })
const wallS = Number(process.hrtime.bigint() - t0) / 1e9
const cu = process.cpuUsage(c0)
const cpuS = (cu.user + cu.system) / 1e6
const r = decodeResult(buf)
const peakMb = process.resourceUsage().maxRSS / 1024
const conns = r.summary.totals.offered
console.log(`pipeline report-1 at ${rate}/s for ${durationS} s: ${conns} connections, ${r.summary.events} events, ${wallS.toFixed(2)} s wall`)
console.log(`  connections per wall second: ${(conns / wallS / 1e6).toFixed(3)}M, per CPU second ${(conns / cpuS / 1e6).toFixed(3)}M (target >= 1M/s)`)
console.log(`  events per wall second: ${(r.summary.events / wallS / 1e6).toFixed(2)}M, per CPU second ${(r.summary.events / cpuS / 1e6).toFixed(2)}M`)
console.log(`  wall time: ${wallS.toFixed(2)} s, CPU time ${cpuS.toFixed(2)} s (target <= 3 s); peak RSS ${peakMb.toFixed(0)} MB (target <= 500 MB; ${(rssBefore / 1048576).toFixed(0)} MB before the run)`)
console.log(`  outcome: ${r.summary.totals.ok} ok, ${r.summary.totals.failed} failed; verdict ${r.summary.verdict.ceiling}`)
console.log(JSON.stringify({ bench: 'pipeline', connections: conns, events: r.summary.events, wallS, cpuS, connsPerS: conns / wallS, connsPerCpuS: conns / cpuS, peakRssMb: peakMb, resultBytes: buf.byteLength }))
