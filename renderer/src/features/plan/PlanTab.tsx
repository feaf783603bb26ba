/**
 * Diagnosis and tuning plan for the open demo or snapshot: the findings in order of impact,
 * the recommended fixes as a what-if, a plan built from the what-if the user settled on
 * (with the predicted effect of both full runs), export (Markdown, HTML, PDF, or the whole
 * bundle as a .tar keeping apply.sh executable) and verification against a later snapshot.
 */
import { useEffect, useMemo, useState } from 'react'
import { useStore } from 'zustand'
import { createTar } from 'nanotar'
import { getApi } from '../../api'
import { downloadBlob } from '../../util/download'
import { createPlanStore } from './plan-store'
import { FindingsList } from './FindingsList'
import { PlanView } from './PlanView'
import { useWhatIf } from '../../state/whatif-store'
import { useSnapshots } from '../../state/snapshot-store'
import type { PlanExport, PlanExportFormat, SnapshotSource } from '../../../../main/plan/api-types'

const planStore = createPlanStore(getApi())

const save = downloadBlob

/** The bundle as one .tar: file modes kept, so `tar xf` gives an executable apply.sh. */
export function bundleTar(exp: PlanExport): Uint8Array {
  const enc = new TextEncoder()
  return createTar(
    (exp.files ?? []).map((f) => ({
      name: `${exp.fileName}/${f.path}`,
      data: f.bytes ? new Uint8Array(f.bytes) : enc.encode(f.text ?? ''),
      attrs: { mode: f.executable ? '755' : '644', uid: 0, gid: 0, user: 'root', group: 'root' }
    }))
  )
}

export function PlanTab({ source, onOpenWhatIf }: { source: SnapshotSource; onOpenWhatIf(): void }) {
  const st = useStore(planStore)
  const whatif = useWhatIf()
  const snaps = useSnapshots()
  const [exportError, setExportError] = useState<string | null>(null)
  const [verifyId, setVerifyId] = useState('')
  const key = JSON.stringify(source)

  useEffect(() => {
    planStore.getState().reset()
    void planStore.getState().diagnose(source)
    // re-diagnose when another demo or snapshot is opened
  }, [key])

  const canBuild = whatif.scenario !== null && whatif.baseline !== null
  const changed = useMemo(() => canBuild && JSON.stringify(whatif.scenario) !== JSON.stringify(whatif.baseline), [canBuild, whatif.scenario, whatif.baseline])

  const build = (): void => {
    if (!whatif.scenario || !whatif.baseline) return
    void planStore.getState().build({
      source,
      scenario: whatif.scenario,
      baseline: whatif.baseline,
      ...(whatif.runs.baseline.doneRunId && whatif.runs.baseline.full ? { baselineRunId: whatif.runs.baseline.doneRunId } : {}),
      ...(whatif.runs.scenario.doneRunId && whatif.runs.scenario.full ? { scenarioRunId: whatif.runs.scenario.doneRunId } : {})
    })
  }

  const doExport = async (format: PlanExportFormat): Promise<void> => {
    const r = await planStore.getState().exportPlan(format)
    if (!r.ok) {
      setExportError(r.error)
      return
    }
    setExportError(null)
    const f = r.file
    if (format === 'bundle') save(`${f.fileName}.tar`, bundleTar(f) as BlobPart, 'application/x-tar')
    else save(f.fileName, (f.bytes ?? f.text ?? '') as BlobPart, f.mime)
  }

  const rec = st.recommendation
  return (
    <section className="plan-tab" data-testid="plan-tab">
      <h2>Findings</h2>
      {st.diagnosis.status === 'running' ? <p className="muted">Diagnosing…</p> : null}
      {st.diagnosis.status === 'failed' ? (
        <p className="error" role="alert">
          {st.diagnosis.error}
        </p>
      ) : null}
      {st.diagnosis.status === 'done' ? (
        <div data-testid="findings">
          <FindingsList findings={st.diagnosis.value.findings} unknown={st.diagnosis.value.unknown} />
        </div>
      ) : null}

      <h2>Plan</h2>
      <div className="run-bar">
        <button type="button" onClick={() => void planStore.getState().recommend(source, whatif.baseline ?? undefined)} data-testid="recommend">
          Recommend fixes
        </button>
        <button type="button" className="primary" disabled={!canBuild || !changed} onClick={build} data-testid="build-plan" title={changed ? '' : 'change something in the what-if first'}>
          Build plan from the what-if
        </button>
        {!canBuild ? <span className="muted">open the What-if tab first: the plan is the difference between its baseline and your scenario</span> : null}
      </div>
      {rec.status === 'done' ? (
        <div className="recommendation" data-testid="recommendation">
          <ul>
            {rec.value.changes.map((c) => (
              <li key={c.path}>
                <code>{c.path}</code>: {c.from} → <b>{c.to}</b> <span className="muted">({c.because})</span>
              </li>
            ))}
          </ul>
          <button
            type="button"
            onClick={() => {
              whatif.replace(rec.value.scenario)
              onOpenWhatIf()
            }}
            data-testid="use-recommendation"
          >
            Try these in the what-if
          </button>
        </div>
      ) : null}
      {rec.status === 'failed' ? <p className="error">{rec.error}</p> : null}
      {st.plan.status === 'running' ? <p className="muted">Building the plan…</p> : null}
      {st.plan.status === 'failed' ? (
        <p className="error" role="alert">
          {st.plan.error}
        </p>
      ) : null}
      {st.plan.status === 'done' ? (
        <>
          <div className="run-bar" role="toolbar" aria-label="export the plan">
            <span>Export:</span>
            {(['md', 'html', 'pdf', 'bundle'] as const).map((f) => (
              <button key={f} type="button" onClick={() => void doExport(f)} data-testid={`export-${f}`}>
                {f === 'md' ? 'Markdown' : f === 'html' ? 'HTML' : f === 'pdf' ? 'PDF' : 'bundle (.tar: apply.sh, rollback.sh, files)'}
              </button>
            ))}
            {exportError ? (
              <span className="error" role="alert">
                {exportError}
              </span>
            ) : null}
          </div>
          <div data-testid="plan-view">
            <PlanView plan={st.plan.value} verification={st.verification.status === 'done' ? st.verification.value : null} showFindings={false} />
          </div>
          <div className="run-bar">
            <label>
              verify against a later snapshot{' '}
              <select value={verifyId} onChange={(e) => setVerifyId(e.target.value)} aria-label="snapshot to verify against">
                <option value="">choose…</option>
                {snaps.list.snapshots.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" disabled={!verifyId} onClick={() => void planStore.getState().verify({ kind: 'stored', id: verifyId })}>
              Verify
            </button>
            {st.verification.status === 'failed' ? <span className="error">{st.verification.error}</span> : null}
          </div>
        </>
      ) : null}
    </section>
  )
}
