/**
 * M/M/c/K through the real engine (EventQueue + seeded streams): the engine benchmark and
 * the closed-form checks. Arrivals Poisson(lambda), c servers with Exp(mu) service, at most
 * K in the system (arrivals finding K are lost). Events: arrivals + departures.
 */
import { EventQueue } from './engine'
import { Stream, STREAM } from './random'

export interface MMcKResult {
  arrivals: number
  lost: number
  events: number
  lossProbability: number
  /** Time-average number in system. */
  meanInSystem: number
  /** Share of admitted arrivals that had to wait for a server. */
  waitProbability: number
  simulatedS: number
}

const ARRIVAL = 0
const DEPARTURE = 1

/** Simulate `arrivals` arrivals of an M/M/c/K queue (K >= c; K = Infinity for M/M/c). */
export function runMMcK(p: { c: number; K: number; lambda: number; mu: number; arrivals: number; seed: number }): MMcKResult {
  const q = new EventQueue(Math.max(64, p.c * 2 + 8))
  const ra = new Stream(p.seed, STREAM.arrivals)
  const rs = new Stream(p.seed, STREAM.service)
  let inSystem = 0
  let busy = 0
  let lost = 0
  let waited = 0
  let admitted = 0
  let area = 0
  let last = 0
  let n = 0
  const meanIa = 1 / p.lambda
  const meanSv = 1 / p.mu
  q.schedule(ra.expZig(meanIa), 0, ARRIVAL, 0, 0)
  while (q.step()) {
    const now = q.now
    area += inSystem * (now - last)
    last = now
    if (q.kind === ARRIVAL) {
      n++
      if (n < p.arrivals) q.schedule(now + ra.expZig(meanIa), 0, ARRIVAL, 0, 0)
      if (inSystem >= p.K) {
        lost++
        continue
      }
      admitted++
      inSystem++
      if (busy < p.c) {
        busy++
        q.schedule(now + rs.expZig(meanSv), 0, DEPARTURE, 0, 0)
      } else waited++
    } else {
      inSystem--
      if (inSystem >= p.c) q.schedule(now + rs.expZig(meanSv), 0, DEPARTURE, 0, 0)
      else busy--
    }
  }
  return {
    arrivals: n,
    lost,
    events: q.popped,
    lossProbability: lost / n,
    meanInSystem: area / last,
    waitProbability: admitted ? waited / admitted : 0,
    simulatedS: last
  }
}

/** Closed form: stationary distribution of M/M/c/K (K finite). */
export function mmckDistribution(c: number, K: number, lambda: number, mu: number): number[] {
  const a = lambda / mu
  const p: number[] = []
  let term = 1
  for (let n = 0; n <= K; n++) {
    if (n > 0) term *= n <= c ? a / n : a / c
    p.push(term)
  }
  const sum = p.reduce((x, y) => x + y, 0)
  return p.map((x) => x / sum)
}

/** Closed form: blocking probability P_K of M/M/c/K. */
export function mmckBlocking(c: number, K: number, lambda: number, mu: number): number {
  const d = mmckDistribution(c, K, lambda, mu)
  return d[K]!
}

/** Erlang C: probability that an arrival waits in M/M/c (a = lambda/mu < c). */
export function erlangC(c: number, a: number): number {
  let b = 1 // Erlang B by recursion
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b)
  return (c * b) / (c - a * (1 - b))
}
