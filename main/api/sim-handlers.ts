/**
 * `sim.*` calls: start a run on the worker pool, push progress, keep the finished result for
 * `sim.result`, cancel on demand. Results stay as the simulator's ArrayBuffer end to end.
 */
import { randomUUID } from 'node:crypto'
import type { ApiContract, SimResultMessage, SimRunRequest } from './contract'
import type { Emit } from './events'
import { ApiError } from './errors'
import type { Scenario } from '../../simulator/scenario'
import { createSweeps } from './sweep'

/** What the handlers need from the worker pool (main/sim/pool.ts implements it). */
export interface SimRunner {
  run(
    scenario: Scenario,
    opts: { seed: number; preview?: boolean; signal?: AbortSignal; onProgress?: (fraction: number, simTimeS: number) => void }
  ): Promise<ArrayBuffer>
}

interface RunEntry {
  controller: AbortController
  preview: boolean
  done: Promise<ArrayBuffer>
  buffer?: ArrayBuffer
  error?: string
  /** What was run: the same key gives the same bytes (the simulator is deterministic per seed). */
  key: string
}

/** Finished runs kept for `sim.result`; older ones are dropped (a result is ~100 KB-1 MB). */
const KEEP = 24
/** Progress events are throttled to at most one per this many ms per run. */
const PROGRESS_MS = 50

export function createSimHandlers(deps: { runner: SimRunner; emit: Emit }): ApiContract['sim'] {
  const runs = new Map<string, RunEntry>()
  const sweeps = createSweeps(deps)

  const trim = (): void => {
    while (runs.size > KEEP) {
      const oldest = runs.keys().next().value as string
      runs.get(oldest)?.controller.abort()
      runs.delete(oldest)
    }
  }

  return {
    async run(req: SimRunRequest) {
      const runId = randomUUID()
      const controller = new AbortController()
      const preview = req.preview === true
      const key = `${preview ? 'p' : 'f'}:${req.seed ?? 1}:${JSON.stringify(req.scenario)}`
      // A scenario run before (undo, redo, a knob moved back) with its result still kept: the
      // same bytes under a new id, at once, instead of another run.
      for (const e of runs.values()) {
        if (e.key !== key || !e.buffer) continue
        const buffer = e.buffer
        runs.set(runId, { controller, preview, done: Promise.resolve(buffer), buffer, key })
        trim()
        setImmediate(() => deps.emit('sim.done', { runId, preview, wallMs: 0 }))
        return { runId }
      }
      const started = Date.now()
      let lastProgress = 0
      const done = deps.runner.run(req.scenario, {
        seed: req.seed ?? 1,
        preview,
        signal: controller.signal,
        onProgress: (fraction, simTimeS) => {
          const now = Date.now()
          if (now - lastProgress < PROGRESS_MS && fraction < 1) return
          lastProgress = now
          deps.emit('sim.progress', { runId, progress: fraction, simTimeS })
        }
      })
      const entry: RunEntry = { controller, preview, done, key }
      runs.set(runId, entry)
      trim()
      done.then(
        (buffer) => {
          entry.buffer = buffer
          deps.emit('sim.done', { runId, preview, wallMs: Date.now() - started })
        },
        (err: unknown) => {
          const cancelled = controller.signal.aborted
          entry.error = cancelled ? 'cancelled' : (err as Error)?.message ?? String(err)
          deps.emit('sim.failed', { runId, reason: cancelled ? 'cancelled' : 'error', message: entry.error })
        }
      )
      return { runId }
    },

    async cancel(runId: string) {
      const entry = runs.get(runId)
      if (!entry || entry.buffer || entry.error) return { cancelled: false }
      entry.controller.abort()
      return { cancelled: true }
    },

    async sweep(req) {
      return sweeps.start(req)
    },
    async sweepResult(sweepId) {
      return sweeps.result(sweepId)
    },
    async sweepCancel(sweepId) {
      return sweeps.cancel(sweepId)
    },

    async result(runId: string): Promise<SimResultMessage> {
      const entry = runs.get(runId)
      if (!entry) throw new ApiError('not_found', `no run ${runId} (finished runs are kept for the last ${KEEP} runs)`)
      try {
        const buffer = entry.buffer ?? (await entry.done)
        // Each reply gets its own copy: the IPC/HTTP layer may transfer or serialize it.
        return { runId, preview: entry.preview, buffer: buffer.slice(0) }
      } catch {
        throw new ApiError(entry.controller.signal.aborted ? 'cancelled' : 'sim_failed', `run ${runId}: ${entry.error ?? 'failed'}`)
      }
    }
  }
}
