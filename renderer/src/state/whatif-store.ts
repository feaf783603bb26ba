/**
 * The what-if workspace: a baseline scenario (from a demo or a snapshot), the edited scenario,
 * undo/redo of knob changes, and the runs of both. While a knob moves, an in-page preview (the
 * simulator's reduced run, pure code, no round trip) answers at once; the full run follows in
 * a worker thread and replaces it; a newer change cancels the older full run.
 */
import { create } from 'zustand'
import { getApi } from '../api'
import { decodeResult, type SimResult } from '../../../simulator/result'
import { cloneScenario, type Scenario } from '../../../simulator/scenario'
import { simulate } from '../../../simulator/index'

export type Side = 'baseline' | 'scenario'

export interface RunSlot {
  preview: SimResult | null
  previewMs: number | null
  full: SimResult | null
  /** The full run in flight (null when none). */
  runId: string | null
  progress: number
  error: string | null
  /** Generation of the scenario this slot's results belong to. */
  gen: number
  /** The run id of `full` (for plan predictions). */
  doneRunId?: string
  /** This side's full result comes from the other side's identical run. */
  sharedWith?: Side
}

const emptySlot = (): RunSlot => ({ preview: null, previewMs: null, full: null, runId: null, progress: 0, error: null, gen: 0 })

/** Where a snapshot's baseline came from: lines of what was measured, and the assumed scenario paths. */
export interface Provenance {
  seeded: string[]
  assumed: string[]
}

export interface WhatIfStore {
  sourceLabel: string
  /** For a snapshot's baseline: what was measured and what assumed (null for demos and files). */
  provenance: Provenance | null
  baseline: Scenario | null
  scenario: Scenario | null
  past: Scenario[]
  future: Scenario[]
  runs: Record<Side, RunSlot>
  seed: number
  /** Open a baseline: both sides start equal. */
  open(baseline: Scenario, sourceLabel: string, provenance?: Provenance | null): void
  /** Change the scenario through a mutator (applied to a copy); records undo history. */
  edit(mutate: (s: Scenario) => void): void
  replace(s: Scenario): void
  undo(): void
  redo(): void
  resetToBaseline(): void
  /** Compare against another scenario (e.g. a saved one) instead of the original baseline. */
  setBaseline(s: Scenario, label: string): void
  /** What the baseline side is (the demo/snapshot, or a saved scenario's name). */
  baselineLabel: string
  /** Run both sides (full); the scenario side re-runs on every edit by itself. */
  runBoth(): void
  runSide(side: Side): void
}

const HISTORY = 200
/**
 * Quiet time after the last edit before the full run starts, for edits that come in quick
 * succession. A drag delivers an input event every frame (~16 ms) and key repeat one every
 * ~30 ms, so 40 ms still coalesces a continuous drag into one run. An edit after a quiet spell
 * of at least this long starts its run at once (leading edge); when it is the first of a drag,
 * the next input cancels that run, which costs little (cancel is cooperative and reaches the
 * worker within ~1 ms).
 */
const DEBOUNCE_MS = 40
const timers: Partial<Record<Side, ReturnType<typeof setTimeout>>> = {}
const lastChange: Partial<Record<Side, number>> = {}

function preview(s: Scenario, seed: number): { result: SimResult | null; ms: number | null } {
  try {
    const t0 = performance.now()
    const buf = simulate(s, { seed, preview: true })
    return { result: decodeResult(buf), ms: performance.now() - t0 }
  } catch {
    return { result: null, ms: null }
  }
}

export const useWhatIf = create<WhatIfStore>((set, get) => {
  const startFull = (side: Side): void => {
    const st = get()
    const s = side === 'baseline' ? st.baseline : st.scenario
    if (!s) return
    const slot = st.runs[side]
    if (slot.runId) void getApi().sim.cancel(slot.runId).catch(() => undefined)
    // Same scenario as the other side (e.g. right after opening): share its run, do not repeat it.
    const other: Side = side === 'baseline' ? 'scenario' : 'baseline'
    const otherScenario = other === 'baseline' ? st.baseline : st.scenario
    if (otherScenario && JSON.stringify(otherScenario) === JSON.stringify(s) && (st.runs[other].runId || st.runs[other].full)) {
      set((cur) => ({ runs: { ...cur.runs, [side]: { ...cur.runs[side], runId: null, full: cur.runs[other].full, sharedWith: other } } }))
      return
    }
    const gen = slot.gen
    const snapshot = cloneScenario(s)
    set((cur) => ({ runs: { ...cur.runs, [side]: { ...cur.runs[side], runId: 'starting', progress: 0, error: null } } }))
    void (async () => {
      try {
        const { runId } = await getApi().sim.run({ scenario: snapshot, seed: get().seed })
        if (get().runs[side].gen !== gen) {
          void getApi().sim.cancel(runId).catch(() => undefined)
          return
        }
        set((cur) => ({ runs: { ...cur.runs, [side]: { ...cur.runs[side], runId } } }))
        const msg = await getApi().sim.result(runId)
        const now = get().runs[side]
        if (now.gen !== gen || now.runId !== runId) return
        const full = decodeResult(msg.buffer)
        set((cur) => {
          const runs = { ...cur.runs, [side]: { ...cur.runs[side], full, runId: null, progress: 1, doneRunId: runId } }
          const o: Side = side === 'baseline' ? 'scenario' : 'baseline'
          if (runs[o].sharedWith === side) runs[o] = { ...runs[o], full, sharedWith: undefined, doneRunId: runId }
          return { runs }
        })
      } catch (err) {
        const now = get().runs[side]
        if (now.gen !== gen) return
        const message = (err as Error).message
        set((cur) => ({ runs: { ...cur.runs, [side]: { ...cur.runs[side], runId: null, error: /cancel/i.test(message) ? null : message } } }))
      }
    })()
  }

  const changed = (side: Side): void => {
    const st = get()
    const s = side === 'baseline' ? st.baseline : st.scenario
    if (!s) return
    // A newer change makes the running full run moot: stop it now, not after the debounce,
    // so it does not compete for the CPU with the preview and the next run.
    const running = st.runs[side].runId
    if (running && running !== 'starting') void getApi().sim.cancel(running).catch(() => undefined)
    const p = preview(s, st.seed)
    set((cur) => ({
      runs: { ...cur.runs, [side]: { ...cur.runs[side], preview: p.result, previewMs: p.ms, full: null, runId: null, gen: cur.runs[side].gen + 1, error: null, sharedWith: undefined } }
    }))
    // Leading edge: a change after a quiet spell (a click, one arrow key, a typed value) starts
    // its full run right after this task (so the preview renders first); changes in quick
    // succession (a drag, key repeat) wait for the pause.
    const now = performance.now()
    const quiet = now - (lastChange[side] ?? -Infinity) >= DEBOUNCE_MS
    lastChange[side] = now
    clearTimeout(timers[side])
    timers[side] = setTimeout(() => startFull(side), quiet ? 0 : DEBOUNCE_MS)
  }

  return {
    sourceLabel: '',
    provenance: null,
    baseline: null,
    scenario: null,
    past: [],
    future: [],
    runs: { baseline: emptySlot(), scenario: emptySlot() },
    seed: 1,
    baselineLabel: 'baseline',

    open(baseline, sourceLabel, provenance = null) {
      set({ baseline: cloneScenario(baseline), scenario: cloneScenario(baseline), past: [], future: [], sourceLabel, provenance, baselineLabel: 'baseline' })
      changed('baseline')
      changed('scenario')
    },

    edit(mutate) {
      const cur = get().scenario
      if (!cur) return
      const next = cloneScenario(cur)
      mutate(next)
      if (JSON.stringify(next) === JSON.stringify(cur)) return
      set((st) => ({ scenario: next, past: [...st.past, cur].slice(-HISTORY), future: [] }))
      changed('scenario')
    },

    replace(s) {
      const cur = get().scenario
      set((st) => ({ scenario: cloneScenario(s), past: cur ? [...st.past, cur].slice(-HISTORY) : st.past, future: [] }))
      changed('scenario')
    },

    undo() {
      const { past, scenario } = get()
      if (!past.length || !scenario) return
      set({ scenario: past[past.length - 1], past: past.slice(0, -1), future: [scenario, ...get().future] })
      changed('scenario')
    },

    redo() {
      const { future, scenario } = get()
      if (!future.length || !scenario) return
      set({ scenario: future[0], future: future.slice(1), past: [...get().past, scenario] })
      changed('scenario')
    },

    setBaseline(s, label) {
      set({ baseline: cloneScenario(s), baselineLabel: label })
      changed('baseline')
    },

    resetToBaseline() {
      const b = get().baseline
      if (b) get().replace(b)
    },

    runBoth() {
      startFull('baseline')
      startFull('scenario')
    },

    runSide(side) {
      startFull(side)
    }
  }
})

getApi().on('sim.progress', (e) => {
  const runs = useWhatIf.getState().runs
  for (const side of ['baseline', 'scenario'] as const) {
    if (runs[side].runId === e.runId) {
      useWhatIf.setState((cur) => ({ runs: { ...cur.runs, [side]: { ...cur.runs[side], progress: e.progress } } }))
    }
  }
})
