/**
 * `diagnosis.*` and `plan.*` calls: diagnose a snapshot (demo, stored or inline), build a plan
 * from it and a chosen scenario (with the predictions of finished sim runs), export it
 * (Markdown, HTML, PDF, or the whole bundle) and verify it against a later snapshot. Built
 * plans are kept in memory for export/verify (the last KEEP). Effects come in through `ctx`.
 */
import type { Snapshot } from '../snapshot/schema'
import type { Scenario } from '../../simulator/scenario'
import { decodeResult } from '../../simulator/result'
import { ApiError } from '../api/errors'
import { loadDemo } from '../demos/handlers'
import { diagnose } from '../diagnosis/rules'
import { baselineFor } from './baseline'
import type { DiagnosisApi, PlanApi, PlanExport, PlanExportFile, SnapshotSource } from './api-types'
import { buildPlan, PlanError, type PredictionInput } from './build'
import { planToHtml, planToMarkdown, planToPdf } from './render'
import type { Plan } from './types'
import { verifyPlan } from './verify'
import { recommendScenario } from './recommend'
import { scenarioFromSnapshot, workloadFromSnapshot } from '../scenario/from-snapshot'

export interface PlanHandlersContext {
  /** Folder holding demo/ (resources/). */
  resourcesDir: string
  /** The snapshot store (snapshot.open); absent => 'stored' sources are refused. */
  openSnapshot?: (id: string) => Promise<Snapshot> | Snapshot
  /** A finished sim run's result buffer (sim.result); absent => run ids are refused. */
  simResult?: (runId: string) => Promise<ArrayBuffer>
  /** PDF printer: Electron webContents.printToPDF in the desktop app, chromiumPrintToPdf in the browser host. */
  printToPdf?: (html: string) => Promise<Uint8Array>
}

const KEEP = 16

function toArrayBuffer(u: Uint8Array): ArrayBuffer {
  return u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer
}

export function createPlanHandlers(ctx: PlanHandlersContext): { diagnosis: DiagnosisApi; plan: PlanApi } {
  const plans = new Map<string, Plan>()

  const resolve = async (src: SnapshotSource): Promise<{ snapshot: Snapshot; demoScenario?: Scenario }> => {
    if (src.kind === 'inline') return { snapshot: src.snapshot }
    if (src.kind === 'demo') {
      const d = await loadDemo(ctx.resourcesDir, src.id)
      return { snapshot: d.snapshot, demoScenario: d.scenario }
    }
    if (!ctx.openSnapshot) throw new ApiError('unsupported', 'stored snapshots are not available here')
    return { snapshot: await ctx.openSnapshot(src.id) }
  }
  const prediction = async (runId: string | undefined): Promise<PredictionInput | undefined> => {
    if (!runId) return undefined
    if (!ctx.simResult) throw new ApiError('unsupported', 'simulation results are not available here')
    const r = decodeResult(await ctx.simResult(runId))
    return { summary: r.summary, columns: r.columns }
  }
  const get = (planId: string): Plan => {
    const p = plans.get(planId)
    if (!p) throw new ApiError('not_found', `no plan ${planId} (plans are kept for the last ${KEEP} builds; build it again)`)
    return p
  }
  const pdf = async (p: Plan): Promise<ArrayBuffer> => {
    if (!ctx.printToPdf) throw new ApiError('unsupported', 'PDF export is not available in this host')
    return toArrayBuffer(await planToPdf(p, ctx.printToPdf))
  }

  return {
    diagnosis: {
      async run(req) {
        const { snapshot } = await resolve(req.source)
        const sim = await prediction(req.simRunId)
        return diagnose(snapshot, sim?.summary)
      }
    },
    plan: {
      async recommend(req) {
        const { snapshot, demoScenario } = await resolve(req.source)
        const baseline = req.baseline ?? demoScenario ?? scenarioFromSnapshot(snapshot, workloadFromSnapshot(snapshot).patch).scenario
        return recommendScenario(snapshot, baseline, diagnose(snapshot))
      },
      async build(req) {
        const { snapshot, demoScenario } = await resolve(req.source)
        const baseline = req.baseline ?? demoScenario ?? baselineFor(snapshot, req.scenario)
        try {
          const plan = buildPlan({ snapshot, baseline, scenario: req.scenario, baselineResult: await prediction(req.baselineRunId), scenarioResult: await prediction(req.scenarioRunId) })
          plans.set(plan.id, plan)
          while (plans.size > KEEP) plans.delete(plans.keys().next().value as string)
          return plan
        } catch (err) {
          if (err instanceof PlanError) throw new ApiError('plan_invalid', err.message)
          throw err
        }
      },
      async export(planId, format): Promise<PlanExport> {
        const p = get(planId)
        if (format === 'md') return { fileName: `${p.id}.md`, mime: 'text/markdown', text: planToMarkdown(p) }
        if (format === 'html') return { fileName: `${p.id}.html`, mime: 'text/html', text: planToHtml(p) }
        if (format === 'pdf') return { fileName: `${p.id}.pdf`, mime: 'application/pdf', bytes: await pdf(p) }
        const files: PlanExportFile[] = [
          { path: 'plan.md', text: planToMarkdown(p), executable: false },
          { path: 'plan.html', text: planToHtml(p), executable: false },
          { path: 'plan.json', text: JSON.stringify(p, null, 2) + '\n', executable: false },
          { path: 'apply.sh', text: p.applySh, executable: true },
          { path: 'rollback.sh', text: p.rollbackSh, executable: true },
          ...p.files.map((f) => ({ path: `files${f.target}`, text: f.content, executable: false }))
        ]
        if (ctx.printToPdf) files.push({ path: 'plan.pdf', bytes: await pdf(p), executable: false })
        return { fileName: p.id, mime: 'application/x-headroom-plan-bundle', files }
      },
      async verify(planId, after) {
        const p = get(planId)
        const { snapshot } = await resolve(after)
        return verifyPlan(p, snapshot)
      }
    }
  }
}
