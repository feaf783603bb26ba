/**
 * Worker-pool benchmark: progress events per second of wall time during a full run, cancel
 * latency (abort -> promise rejected, and -> worker free again), and the fast preview's
 * latency for the report-1 scenario at 5,000 conn/s for 60 s (issue #5's slider case).
 * Uses the built worker (out/main/worker.js; `npm run bench` builds first).
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { SimPool } from '../main/sim/pool'
import { simulate } from '../simulator/index'
import { report1Scenario } from '../simulator/presets'

const workerPath = resolve(process.cwd(), 'out/main/worker.js')
if (!existsSync(workerPath)) {
  console.error(`no ${workerPath}: run npm run build first`)
  process.exit(1)
}
const pool = new SimPool({ workerPath, size: 1 })
const s60 = report1Scenario({ durationS: 60, curve: [{ tS: 0, rate: 5000 }] })

// progress rate
let n = 0
const t0 = Date.now()
await pool.run(s60, { seed: 1, onProgress: () => n++ })
const wall = (Date.now() - t0) / 1000
console.log(`progress: ${n} events in ${wall.toFixed(2)} s of wall time = ${(n / wall).toFixed(1)}/s (target >= 10/s)`)

// cancel latency
const lat: number[] = []
const free: number[] = []
for (let i = 0; i < 5; i++) {
  const ac = new AbortController()
  const p = pool.run(report1Scenario({ durationS: 600, curve: [{ tS: 0, rate: 5000 }] }), { seed: i, signal: ac.signal })
  await new Promise((r) => setTimeout(r, 300))
  const ta = performance.now()
  ac.abort()
  await p.catch(() => undefined)
  lat.push(performance.now() - ta)
  const tb = performance.now()
  await pool.run(report1Scenario({ durationS: 1, curve: [{ tS: 0, rate: 10 }] }), { seed: 1 })
  free.push(performance.now() - tb)
}
console.log(`cancel: promise rejected ${Math.max(...lat).toFixed(2)} ms after abort (max of 5; target <= 50 ms); next small run done ${Math.max(...free).toFixed(1)} ms after that (max)`)

// preview latency, in-process (what the main process answers a slider with)
const pv: number[] = []
for (let i = 0; i < 20; i++) {
  const t = performance.now()
  simulate({ ...s60, network: { ...s60.network, backendRttMs: 1 + i } }, { seed: 1, preview: true })
  pv.push(performance.now() - t)
}
pv.sort((a, b) => a - b)
console.log(`preview (report-1, 5000/s, 60 s): median ${pv[10]!.toFixed(2)} ms, p95 ${pv[18]!.toFixed(2)} ms, max ${pv[19]!.toFixed(2)} ms (target p95 <= 50 ms)`)
console.log(JSON.stringify({ bench: 'sim-pool', progressPerS: n / wall, cancelMaxMs: Math.max(...lat), previewMedianMs: pv[10], previewP95Ms: pv[18] }))
await pool.close()
