/**
 * Worker-thread entry (built to out/main/worker.js): runs one simulation per message and
 * posts progress (>= 10/s of wall time while running) and the result ArrayBuffer back,
 * transferred, not cloned. Cancellation is cooperative through a shared Int32 flag the
 * pool sets (checked every 1024 events); the pool also terminates a worker that does not
 * stop within 250 ms. The only file in simulator/ that touches worker_threads.
 */
import { parentPort } from 'node:worker_threads'
import { simulate, CancelledError } from './index'
import { report1Scenario, report2Scenario } from './presets'
import type { Scenario } from './scenario'

export interface WorkerRequest {
  id: number
  scenario: Scenario
  seed: number
  preview: boolean
  /** Int32Array(1) over a SharedArrayBuffer: non-zero = cancel. */
  cancel: SharedArrayBuffer
}

/** Sent once by a pool that spawns its workers ahead of use (SimPool `warm`). */
export interface WorkerWarm {
  warm: true
}

export type WorkerReply =
  | { id: number; type: 'progress'; fraction: number; simTimeS: number }
  | { id: number; type: 'done'; buffer: ArrayBuffer; wallMs: number }
  | { id: number; type: 'error'; message: string; cancelled: boolean }

const port = parentPort
if (!port) throw new Error('simulator/worker.ts must run inside a worker thread')

/**
 * JIT warm-up: a fresh worker's first full runs are ~1.5x slower (V8 optimises the model's
 * handlers during them, and re-optimises once after the first Model instance dies). Two short
 * runs of each demo's shape before the first request take ~0.4 s of a core that is idle then.
 */
function warmUp(): void {
  for (let i = 0; i < 2; i++) {
    simulate(report1Scenario({ durationS: 5, curve: [{ tS: 0, rate: 2000 }, { tS: 5, rate: 2000 }] }), { seed: 7 + i })
    simulate({ ...report2Scenario(), durationS: 5, drainS: 5 }, { seed: 7 + i })
  }
}

port.on('message', (req: WorkerRequest | WorkerWarm) => {
  if ('warm' in req) {
    try {
      warmUp()
    } catch {
      // only a speed-up: a failure here must not cost the worker
    }
    return
  }
  const flag = new Int32Array(req.cancel)
  const t0 = Date.now()
  let last = 0
  try {
    const buffer = simulate(req.scenario, {
      seed: req.seed,
      preview: req.preview,
      shouldCancel: () => Atomics.load(flag, 0) !== 0,
      onProgress: (fraction, simTimeS) => {
        const now = Date.now()
        if (now - last < 40 && fraction < 1) return
        last = now
        port.postMessage({ id: req.id, type: 'progress', fraction, simTimeS } satisfies WorkerReply)
      }
    })
    port.postMessage({ id: req.id, type: 'done', buffer, wallMs: Date.now() - t0 } satisfies WorkerReply, [buffer])
  } catch (e) {
    const cancelled = e instanceof CancelledError
    port.postMessage({ id: req.id, type: 'error', message: (e as Error).message ?? String(e), cancelled } satisfies WorkerReply)
  }
})
