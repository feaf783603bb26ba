/**
 * SimPool: a small pool of simulator worker threads (one run per worker at a time).
 *
 * Why our own and not piscina/tinypool: both would need a per-task MessagePort for progress
 * anyway, and their worker bootstrap lives in node_modules (awkward inside an asar-packed
 * Electron app), while what we need is ~150 lines: a FIFO of tasks, progress messages,
 * results transferred (not cloned), and cancel that takes effect at once: the promise
 * rejects immediately with an AbortError, the worker stops cooperatively through a shared
 * flag, and is terminated (and later respawned) if it has not stopped within 250 ms.
 */
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import type { Scenario } from '../../simulator/scenario'
import type { WorkerReply, WorkerRequest, WorkerWarm } from '../../simulator/worker'

export interface SimRunOptions {
  seed?: number
  preview?: boolean
  onProgress?: (fraction: number, simTimeS: number) => void
  signal?: AbortSignal
}

export interface SimManyItem {
  scenario: Scenario
  seed?: number
  preview?: boolean
}

interface Task {
  id: number
  scenario: Scenario
  seed: number
  preview: boolean
  onProgress: ((f: number, t: number) => void) | undefined
  signal: AbortSignal | undefined
  resolve: (b: ArrayBuffer) => void
  reject: (e: Error) => void
  cancel: SharedArrayBuffer
  onAbort?: () => void
}

interface Slot {
  worker: Worker | null
  task: Task | null
  /** Id of a cancelled task the worker may still be running (slot unusable until it stops). */
  stopping: number
  stopTimer: ReturnType<typeof setTimeout> | null
}

function abortError(): Error {
  const e = new Error('simulation cancelled')
  e.name = 'AbortError'
  return e
}

export class SimPool {
  readonly size: number
  private readonly workerPath: string | URL
  private readonly slots: Slot[]
  private readonly queue: Task[] = []
  private nextId = 1
  private closed = false

  /**
   * `warm`: spawn every worker now and let it run its JIT warm-up (simulator/worker.ts) before
   * the first request (the workbench: the first full result after opening a demo then comes
   * ~0.3 s sooner); otherwise workers start on first use.
   */
  constructor(opts: { workerPath: string | URL; size?: number; warm?: boolean }) {
    this.workerPath = opts.workerPath
    this.size = Math.max(1, opts.size ?? Math.max(1, availableParallelism() - 1))
    this.slots = Array.from({ length: this.size }, () => ({ worker: null, task: null, stopping: 0, stopTimer: null }))
    if (opts.warm) {
      for (const slot of this.slots) {
        slot.worker = this.spawn(slot)
        slot.worker.postMessage({ warm: true } satisfies WorkerWarm)
      }
    }
  }

  /** Run one simulation on a free worker; resolves with the result buffer (see simulator/result.ts). */
  run(scenario: Scenario, opts: SimRunOptions = {}): Promise<ArrayBuffer> {
    if (this.closed) return Promise.reject(new Error('SimPool is closed'))
    if (opts.signal?.aborted) return Promise.reject(abortError())
    return new Promise<ArrayBuffer>((resolve, reject) => {
      const task: Task = {
        id: this.nextId++,
        scenario,
        seed: opts.seed ?? 1,
        preview: opts.preview ?? false,
        onProgress: opts.onProgress,
        signal: opts.signal,
        resolve,
        reject,
        cancel: new SharedArrayBuffer(4)
      }
      if (opts.signal) {
        task.onAbort = () => this.abort(task)
        opts.signal.addEventListener('abort', task.onAbort, { once: true })
      }
      this.queue.push(task)
      this.pump()
    })
  }

  /** Replications or a sweep: every item on the pool; results in input order. */
  runMany(items: SimManyItem[], opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<ArrayBuffer[]> {
    let done = 0
    return Promise.all(
      items.map((it) => {
        const o: SimRunOptions = { seed: it.seed ?? 1, preview: it.preview ?? false }
        if (opts.signal) o.signal = opts.signal
        return this.run(it.scenario, o).then((b) => {
          done++
          opts.onProgress?.(done, items.length)
          return b
        })
      })
    )
  }

  /** Terminate all workers; queued and running tasks reject. */
  async close(): Promise<void> {
    this.closed = true
    for (const t of this.queue.splice(0)) this.finish(t, null, new Error('SimPool closed'))
    await Promise.all(
      this.slots.map(async (s) => {
        if (s.task) this.finish(s.task, null, new Error('SimPool closed'))
        s.task = null
        const w = s.worker
        s.worker = null
        if (w) await w.terminate()
      })
    )
  }

  private spawn(slot: Slot): Worker {
    const w = new Worker(this.workerPath)
    w.unref()
    w.on('message', (m: WorkerReply) => this.onMessage(slot, m))
    w.on('error', (e) => {
      const t = slot.task
      slot.task = null
      slot.worker = null
      if (t) this.finish(t, null, e instanceof Error ? e : new Error(String(e)))
      this.pump()
    })
    w.on('exit', () => {
      if (slot.worker === w) {
        slot.worker = null
        slot.stopping = 0
        const t = slot.task
        slot.task = null
        if (t) this.finish(t, null, new Error('simulator worker exited unexpectedly'))
        this.pump()
      }
    })
    return w
  }

  private pump(): void {
    if (this.closed) return
    for (const slot of this.slots) {
      if (slot.task || slot.stopping || this.queue.length === 0) continue
      const task = this.queue.shift()!
      if (!slot.worker) slot.worker = this.spawn(slot)
      slot.task = task
      const req: WorkerRequest = { id: task.id, scenario: task.scenario, seed: task.seed, preview: task.preview, cancel: task.cancel }
      slot.worker.ref()
      slot.worker.postMessage(req)
    }
  }

  private onMessage(slot: Slot, m: WorkerReply): void {
    if (slot.stopping && m.id === slot.stopping) {
      // the cancelled run acknowledged: the worker is free again
      if (m.type !== 'progress') {
        slot.stopping = 0
        if (slot.stopTimer) clearTimeout(slot.stopTimer)
        slot.stopTimer = null
        slot.worker?.unref()
        this.pump()
      }
      return
    }
    const t = slot.task
    if (!t || t.id !== m.id) return
    if (m.type === 'progress') {
      t.onProgress?.(m.fraction, m.simTimeS)
      return
    }
    slot.task = null
    slot.worker?.unref()
    if (m.type === 'done') this.finish(t, m.buffer, null)
    else this.finish(t, null, m.cancelled ? abortError() : new Error(m.message))
    this.pump()
  }

  private finish(t: Task, buf: ArrayBuffer | null, err: Error | null): void {
    if (t.onAbort && t.signal) t.signal.removeEventListener('abort', t.onAbort)
    t.onAbort = undefined
    if (err) t.reject(err)
    else t.resolve(buf!)
  }

  private abort(t: Task): void {
    const qi = this.queue.indexOf(t)
    if (qi >= 0) {
      this.queue.splice(qi, 1)
      this.finish(t, null, abortError())
      return
    }
    const slot = this.slots.find((s) => s.task === t)
    if (!slot) return
    // reject at once; stop the worker cooperatively (it checks the flag every 1024 events),
    // terminate it if it lingers > 250 ms (a respawn costs more than waiting that long)
    Atomics.store(new Int32Array(t.cancel), 0, 1)
    slot.task = null
    slot.stopping = t.id
    this.finish(t, null, abortError())
    const w = slot.worker
    slot.stopTimer = setTimeout(() => {
      slot.stopTimer = null
      if (slot.stopping === t.id) {
        slot.stopping = 0
        if (slot.worker === w) slot.worker = null
        if (w) void w.terminate()
        this.pump()
      }
    }, 250)
  }
}
