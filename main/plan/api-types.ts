/**
 * The `diagnosis.*` and `plan.*` calls of the API contract (types only; the lead adds
 * `diagnosis: DiagnosisApi` and `plan: PlanApi` to ApiContract). PURE.
 */
import type { Scenario } from '../../simulator/scenario'
import type { Snapshot } from '../snapshot/schema'
import type { Diagnosis } from '../diagnosis/types'
import type { Plan } from './types'
import type { PlanVerification } from './verify'
import type { Recommendation } from './recommend'

/** Which snapshot: a built-in demo, one from the snapshot store, or one given whole. */
export type SnapshotSource = { kind: 'demo'; id: string } | { kind: 'stored'; id: string } | { kind: 'inline'; snapshot: Snapshot }

export interface DiagnosisRequest {
  source: SnapshotSource
  /** A finished `sim.run` of this snapshot's baseline: its first ceiling raises the findings that explain it. */
  simRunId?: string
}

export interface PlanBuildRequest {
  source: SnapshotSource
  /** The chosen what-if scenario. */
  scenario: Scenario
  /** Default: the demo's scenario (demo source) or the snapshot's baseline under the scenario's workload. */
  baseline?: Scenario
  /** Finished `sim.run` ids of the baseline and the scenario (same load curve), for the predicted effect and charts. */
  baselineRunId?: string
  scenarioRunId?: string
}

export type PlanExportFormat = 'md' | 'html' | 'pdf' | 'bundle'

export interface PlanExportFile {
  /** Path inside the bundle (`apply.sh`, `files/etc/haproxy/haproxy.cfg`). */
  path: string
  /** Text files (everything but the PDF). */
  text?: string
  /** Binary (the PDF). */
  bytes?: ArrayBuffer
  executable: boolean
}

export interface PlanExport {
  /** Suggested file name (`plan-<id>.md`); for `bundle`, a folder name. */
  fileName: string
  mime: string
  text?: string
  bytes?: ArrayBuffer
  /** `bundle` only: every file of the bundle. */
  files?: PlanExportFile[]
}

export interface DiagnosisApi {
  run(req: DiagnosisRequest): Promise<Diagnosis>
}

export interface PlanRecommendRequest {
  source: SnapshotSource
  /** Default: the demo's scenario (demo source) or the snapshot's own baseline. */
  baseline?: Scenario
}

export interface PlanApi {
  /** A starting what-if with the fixes the findings call for (each change names its finding). */
  recommend(req: PlanRecommendRequest): Promise<Recommendation>
  build(req: PlanBuildRequest): Promise<Plan>
  export(planId: string, format: PlanExportFormat): Promise<PlanExport>
  verify(planId: string, after: SnapshotSource): Promise<PlanVerification>
}
