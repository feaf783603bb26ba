/**
 * Engine benchmark (issue #3): M/M/c/K with c=8, K=16, lambda=7.2/s, mu=1/s, 2,000,000
 * arrivals through the real event queue. Prints events/s (arrivals + departures) and the
 * loss probability next to the closed form. Target: >= 14M events/s.
 */
import { runMMcK, mmckBlocking } from '../simulator/mmck'

const p = { c: 8, K: 16, lambda: 7.2, mu: 1, arrivals: 2_000_000, seed: 1 }
runMMcK({ ...p, arrivals: 200_000 }) // warm-up (JIT)
const c0 = process.cpuUsage()
const t0 = process.hrtime.bigint()
const r = runMMcK(p)
const wallS = Number(process.hrtime.bigint() - t0) / 1e9
const cu = process.cpuUsage(c0)
const cpuS = (cu.user + cu.system) / 1e6
const closed = mmckBlocking(p.c, p.K, p.lambda, p.mu)
console.log(`engine M/M/c/K c=${p.c} K=${p.K} lambda=${p.lambda} mu=${p.mu}: ${r.arrivals} arrivals, ${r.events} events in ${wallS.toFixed(3)} s`)
console.log(`  events/s: ${(r.events / wallS / 1e6).toFixed(2)}M per wall second, ${(r.events / cpuS / 1e6).toFixed(2)}M per CPU second (target >= 14M)`)
console.log(`  loss probability: simulated ${r.lossProbability.toFixed(5)}, closed form ${closed.toFixed(5)} (diff ${(r.lossProbability - closed).toExponential(2)})`)
console.log(JSON.stringify({ bench: 'engine', events: r.events, wallS, cpuS, eventsPerS: r.events / wallS, eventsPerCpuS: r.events / cpuS, loss: r.lossProbability, lossClosedForm: closed }))
