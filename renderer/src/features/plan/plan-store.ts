/**
 * Diagnosis and plan state for the workbench (zustand). Built by a factory that takes the
 * two API domains, so it type-checks against main/plan/api-types before the contract lists
 * them; the shell passes `window.api` (or the HTTP client) once `diagnosis` and `plan` are
 * in the contract. Every state is a discriminated union (style.md 11).
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { Diagnosis } from '../../../../main/diagnosis/types'
import type { DiagnosisApi, PlanApi, PlanBuildRequest, PlanExport, PlanExportFormat, SnapshotSource } from '../../../../main/plan/api-types'
import type { Plan } from '../../../../main/plan/types'
import type { PlanVerification } from '../../../../main/plan/verify'
import type { Recommendation } from '../../../../main/plan/recommend'
import type { Scenario } from '../../../../simulator/scenario'

export type Loadable<T> = { status: 'idle' } | { status: 'running' } | { status: 'done'; value: T } | { status: 'failed'; error: string }

export interface PlanState {
  diagnosis: Loadable<Diagnosis>
  recommendation: Loadable<Recommendation>
  plan: Loadable<Plan>
  verification: Loadable<PlanVerification>
  diagnose(source: SnapshotSource, simRunId?: string): Promise<void>
  /** A starting what-if with the fixes the findings call for. */
  recommend(source: SnapshotSource, baseline?: Scenario): Promise<void>
  build(req: PlanBuildRequest): Promise<void>
  /** Export the current plan; null (and `plan` keeps its state) when there is none or it failed. */
  exportPlan(format: PlanExportFormat): Promise<{ ok: true; file: PlanExport } | { ok: false; error: string }>
  verify(after: SnapshotSource): Promise<void>
  reset(): void
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e))

export function createPlanStore(api: { diagnosis: DiagnosisApi; plan: PlanApi }): StoreApi<PlanState> {
  // Each slot remembers its latest request: a reply that arrives after a newer request (or a
  // reset, e.g. another demo opened) is dropped, so a late answer or error never overwrites
  // the current one.
  const gen = { diagnosis: 0, recommendation: 0, plan: 0, verification: 0 }
  type Slot = keyof typeof gen
  return createStore<PlanState>((set, get) => {
    async function load<K extends Slot>(slot: K, work: () => Promise<Extract<PlanState[K], { status: 'done' }>['value']>, extra: Partial<PlanState> = {}): Promise<void> {
      const mine = ++gen[slot]
      set({ ...extra, [slot]: { status: 'running' } } as Partial<PlanState>)
      try {
        const value = await work()
        if (gen[slot] === mine) set({ [slot]: { status: 'done', value } } as Partial<PlanState>)
      } catch (e) {
        if (gen[slot] === mine) set({ [slot]: { status: 'failed', error: message(e) } } as Partial<PlanState>)
      }
    }
    return {
      diagnosis: { status: 'idle' },
      recommendation: { status: 'idle' },
      plan: { status: 'idle' },
      verification: { status: 'idle' },
      recommend: (source, baseline) => load('recommendation', () => api.plan.recommend({ source, ...(baseline ? { baseline } : {}) })),
      diagnose: (source, simRunId) => load('diagnosis', () => api.diagnosis.run({ source, ...(simRunId ? { simRunId } : {}) })),
      build: (req) => {
        gen.verification++
        return load('plan', () => api.plan.build(req), { verification: { status: 'idle' } })
      },
      async exportPlan(format) {
        const p = get().plan
        if (p.status !== 'done') return { ok: false, error: 'build a plan first' }
        try {
          return { ok: true, file: await api.plan.export(p.value.id, format) }
        } catch (e) {
          return { ok: false, error: message(e) }
        }
      },
      async verify(after) {
        const p = get().plan
        if (p.status !== 'done') {
          gen.verification++
          set({ verification: { status: 'failed', error: 'build a plan first' } })
          return
        }
        await load('verification', () => api.plan.verify(p.value.id, after))
      },
      reset() {
        for (const k of Object.keys(gen) as Slot[]) gen[k]++
        set({ diagnosis: { status: 'idle' }, recommendation: { status: 'idle' }, plan: { status: 'idle' }, verification: { status: 'idle' } })
      }
    }
  })
}
