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
  return createStore<PlanState>((set, get) => ({
    diagnosis: { status: 'idle' },
    recommendation: { status: 'idle' },
    plan: { status: 'idle' },
    verification: { status: 'idle' },
    async recommend(source, baseline) {
      set({ recommendation: { status: 'running' } })
      try {
        set({ recommendation: { status: 'done', value: await api.plan.recommend({ source, ...(baseline ? { baseline } : {}) }) } })
      } catch (e) {
        set({ recommendation: { status: 'failed', error: message(e) } })
      }
    },
    async diagnose(source, simRunId) {
      set({ diagnosis: { status: 'running' } })
      try {
        set({ diagnosis: { status: 'done', value: await api.diagnosis.run({ source, ...(simRunId ? { simRunId } : {}) }) } })
      } catch (e) {
        set({ diagnosis: { status: 'failed', error: message(e) } })
      }
    },
    async build(req) {
      set({ plan: { status: 'running' }, verification: { status: 'idle' } })
      try {
        set({ plan: { status: 'done', value: await api.plan.build(req) } })
      } catch (e) {
        set({ plan: { status: 'failed', error: message(e) } })
      }
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
        set({ verification: { status: 'failed', error: 'build a plan first' } })
        return
      }
      set({ verification: { status: 'running' } })
      try {
        set({ verification: { status: 'done', value: await api.plan.verify(p.value.id, after) } })
      } catch (e) {
        set({ verification: { status: 'failed', error: message(e) } })
      }
    },
    reset() {
      set({ diagnosis: { status: 'idle' }, recommendation: { status: 'idle' }, plan: { status: 'idle' }, verification: { status: 'idle' } })
    }
  }))
}
