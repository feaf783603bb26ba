/**
 * Headroom curve: for each scenario variant (one knob at several values), the largest load
 * scale that keeps the share of failed requests at or under a target. Each variant's search
 * is sequential (double until it fails, then bisect); variants run in parallel across the
 * worker pool.
 */
import { randomUUID } from 'node:crypto'
import { decodeResult } from '../../simulator/result'
import { cloneScenario, type Scenario } from '../../simulator/scenario'
import type { SimRunner } from './sim-handlers'
import type { Emit } from './events'
import type { SweepPoint, SweepRequest, SweepResult } from './contract'
import { ApiError } from './errors'

/** Scale the offered load: open loop multiplies the curve's rates; closed loop the users. */
export function scaleLoad(s: Scenario, factor: number): Scenario {
  const out = cloneScenario(s)
  out.clients.loadCurve = out.clients.loadCurve.map((p) => ({ tS: p.tS, rate: p.rate * factor }))
  if (out.clients.mode === 'closed') {
    if (!out.clients.loadCurve.length) out.clients.concurrency = Math.max(1, Math.round(out.clients.concurrency * factor))
    else out.clients.loadCurve = out.clients.loadCurve.map((p) => ({ tS: p.tS, rate: Math.max(1, Math.round(p.rate)) }))
    if (out.clients.totalRequests > 0) out.clients.totalRequests = Math.max(1, Math.round(out.clients.totalRequests * factor))
  }
  return out
}

/** Share of attempted requests that did not succeed (failed, or still unanswered at the end). */
export function failureShare(buf: ArrayBuffer): number {
  const t = decodeResult(buf).summary.totals
  return t.requests > 0 ? (t.requests - t.ok) / t.requests : 0
}

/** Binary search on the load scale for one scenario. `probe` runs one scaled scenario. */
export async function maxScale(
  probe: (factor: number) => Promise<number>,
  target: number,
  opts: { maxFactor: number; minFactor: number; steps: number }
): Promise<{ scale: number; failureAtScale: number; runs: number; capped: boolean }> {
  let runs = 0
  const at = async (f: number): Promise<number> => {
    runs++
    return probe(f)
  }
  let lo = 0
  let loFail = 0
  let hi = 1
  let hiFail = await at(1)
  if (hiFail <= target) {
    // Grow until it fails or the cap is reached.
    lo = 1
    loFail = hiFail
    while (hi < opts.maxFactor) {
      const next = Math.min(opts.maxFactor, hi * 2)
      const f = await at(next)
      if (f > target) {
        hi = next
        hiFail = f
        break
      }
      lo = next
      loFail = f
      hi = next
      if (next >= opts.maxFactor) return { scale: next, failureAtScale: f, runs, capped: true }
    }
  } else {
    lo = 0
  }
  for (let i = 0; i < opts.steps && hi - lo > 1e-6; i++) {
    const mid = lo === 0 ? Math.max(opts.minFactor, hi / 2) : (lo + hi) / 2
    const f = await at(mid)
    if (f <= target) {
      lo = mid
      loFail = f
    } else {
      hi = mid
      hiFail = f
      if (mid <= opts.minFactor) break
    }
  }
  void hiFail
  return { scale: lo, failureAtScale: loFail, runs, capped: false }
}

interface SweepEntry {
  controller: AbortController
  done: Promise<SweepResult>
  result?: SweepResult
}

export function createSweeps(deps: { runner: SimRunner; emit: Emit }) {
  const sweeps = new Map<string, SweepEntry>()
  return {
    start(req: SweepRequest): { sweepId: string } {
      const sweepId = randomUUID()
      const controller = new AbortController()
      const total = req.variants.length
      let finished = 0
      let runs = 0
      const started = Date.now()
      const one = async (v: SweepRequest['variants'][number], index: number): Promise<SweepPoint> => {
        const r = await maxScale(
          async (factor) => {
            if (controller.signal.aborted) throw new ApiError('cancelled', 'sweep cancelled')
            runs++
            const buf = await deps.runner.run(scaleLoad(v.scenario, factor), { seed: req.seed ?? 1, preview: req.quality === 'preview', signal: controller.signal })
            return failureShare(buf)
          },
          req.targetFailureShare,
          { maxFactor: req.maxScale ?? 16, minFactor: 1 / 64, steps: req.quality === 'preview' ? 8 : 5 }
        )
        finished++
        deps.emit('sim.sweepProgress', { sweepId, done: finished, total, runs })
        return { index, value: v.value, maxScale: r.scale, failureAtScale: r.failureAtScale, capped: r.capped, runs: r.runs }
      }
      const done = Promise.all(req.variants.map(one)).then((points) => {
        const result: SweepResult = { sweepId, points, wallMs: Date.now() - started, runs, quality: req.quality }
        entry.result = result
        return result
      })
      const entry: SweepEntry = { controller, done }
      done.catch(() => undefined)
      sweeps.set(sweepId, entry)
      while (sweeps.size > 8) {
        const oldest = sweeps.keys().next().value as string
        sweeps.get(oldest)?.controller.abort()
        sweeps.delete(oldest)
      }
      return { sweepId }
    },
    async result(sweepId: string): Promise<SweepResult> {
      const e = sweeps.get(sweepId)
      if (!e) throw new ApiError('not_found', `no sweep ${sweepId}`)
      try {
        return e.result ?? (await e.done)
      } catch (err) {
        throw new ApiError(e.controller.signal.aborted ? 'cancelled' : 'sim_failed', (err as Error).message)
      }
    },
    cancel(sweepId: string): { cancelled: boolean } {
      const e = sweeps.get(sweepId)
      if (!e || e.result) return { cancelled: false }
      e.controller.abort()
      return { cancelled: true }
    }
  }
}
