/**
 * Simulation run state: a discriminated union (style.md 11), driven by pushed events
 * (progress) and by `sim.result` (the source of truth for completion, so a missed event can
 * never leave a run spinning). Events are subscribed once, at module scope.
 */
import { create } from 'zustand'
import { getApi } from '../api'
import { decodeResult, type SimResult } from '../../../simulator/result'
import type { Scenario } from '../../../simulator/scenario'

export type RunState =
  | { status: 'idle' }
  | { status: 'running'; runId: string | null; progress: number; simTimeS: number }
  | { status: 'done'; runId: string; result: SimResult; wallMs: number }
  | { status: 'failed'; error: string; cancelled: boolean }

interface SimStore {
  run: RunState
  start(scenario: Scenario, seed?: number): Promise<void>
  cancel(): Promise<void>
  reset(): void
}

export const useSimStore = create<SimStore>((set, get) => ({
  run: { status: 'idle' },

  async start(scenario, seed = 1) {
    const prev = get().run
    if (prev.status === 'running' && prev.runId) void getApi().sim.cancel(prev.runId).catch(() => undefined)
    set({ run: { status: 'running', runId: null, progress: 0, simTimeS: 0 } })
    const started = performance.now()
    try {
      const { runId } = await getApi().sim.run({ scenario, seed })
      const cur = get().run
      if (cur.status === 'running' && cur.runId === null) set({ run: { ...cur, runId } })
      const msg = await getApi().sim.result(runId)
      const now = get().run
      // A newer run (or a cancel) replaced this one while it finished: drop its result.
      if (now.status !== 'running' || now.runId !== runId) return
      set({ run: { status: 'done', runId, result: decodeResult(msg.buffer), wallMs: performance.now() - started } })
    } catch (err) {
      const message = (err as Error)?.message ?? String(err)
      const cancelled = /cancel/i.test(message)
      const now = get().run
      if (now.status === 'running') set({ run: { status: 'failed', error: message, cancelled } })
    }
  },

  async cancel() {
    const cur = get().run
    if (cur.status !== 'running') return
    set({ run: { status: 'failed', error: 'cancelled', cancelled: true } })
    if (cur.runId) await getApi().sim.cancel(cur.runId).catch(() => undefined)
  },

  reset() {
    set({ run: { status: 'idle' } })
  }
}))

getApi().on('sim.progress', (e) => {
  const cur = useSimStore.getState().run
  if (cur.status === 'running' && (cur.runId === e.runId || cur.runId === null)) {
    useSimStore.setState({ run: { ...cur, progress: Math.max(cur.progress, e.progress), simTimeS: e.simTimeS } })
  }
})
