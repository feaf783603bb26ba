/**
 * Engine benchmark (issue #3): M/M/c/K with c=8, K=16, lambda=7.2/s, mu=1/s, 2,000,000
 * arrivals through the real event queue. Prints events/s (arrivals + departures) and the
 * loss probability next to the closed form. Target: >= 14M events/s.
 *
 * The run is repeated (5 timed runs after a JIT warm-up, each with its own seed) and the
 * median and best are printed, per wall second and per CPU second of this process: on a
 * shared 2-core machine one run alone mostly measures the neighbours.
 */
import { runMMcK, mmckBlocking } from '../simulator/mmck'

const p = { c: 8, K: 16, lambda: 7.2, mu: 1, arrivals: 2_000_000, seed: 1 }
for (let i = 0; i < 3; i++) runMMcK({ ...p, arrivals: 200_000, seed: 100 + i }) // warm-up (JIT)
const runs: { events: number; wallS: number; cpuS: number; loss: number }[] = []
for (let i = 0; i < 5; i++) {
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const r = runMMcK({ ...p, seed: p.seed + i })
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9
  const cu = process.cpuUsage(c0)
  runs.push({ events: r.events, wallS, cpuS: (cu.user + cu.system) / 1e6, loss: r.lossProbability })
}
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const perWall = runs.map((r) => r.events / r.wallS / 1e6)
const perCpu = runs.map((r) => r.events / r.cpuS / 1e6)
const closed = mmckBlocking(p.c, p.K, p.lambda, p.mu)
const loss = runs.reduce((s, r) => s + r.loss, 0) / runs.length
console.log(`engine M/M/c/K c=${p.c} K=${p.K} lambda=${p.lambda} mu=${p.mu}: ${p.arrivals} arrivals per run, ~${runs[0]!.events} events, 5 runs (seeds ${p.seed}..${p.seed + 4})`)
console.log(`  events/s: median ${med(perWall).toFixed(2)}M, best ${Math.max(...perWall).toFixed(2)}M per wall second; median ${med(perCpu).toFixed(2)}M, best ${Math.max(...perCpu).toFixed(2)}M per CPU second (target >= 14M)`)
console.log(`  loss probability: simulated ${loss.toFixed(5)} (mean of 5 runs), closed form ${closed.toFixed(5)} (diff ${(loss - closed).toExponential(2)})`)
console.log(JSON.stringify({ bench: 'engine', runs, medianEventsPerS: med(perWall) * 1e6, bestEventsPerS: Math.max(...perWall) * 1e6, medianEventsPerCpuS: med(perCpu) * 1e6, loss, lossClosedForm: closed }))
