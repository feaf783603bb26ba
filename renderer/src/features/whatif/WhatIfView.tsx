/**
 * The what-if workbench: draw the load, drag the knobs, see baseline vs scenario. Undo/redo,
 * save/reopen/rename/duplicate scenarios. Keyboard: Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y).
 */
import { useEffect, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { useWhatIf } from '../../state/whatif-store'
import { useScenarioFiles } from '../../state/scenario-files'
import { LoadCurveEditor } from './LoadCurveEditor'
import { KnobPanel } from './KnobPanel'
import { CompareView } from './CompareView'
import { HeadroomPanel } from './HeadroomPanel'
import { ProvenanceNote } from './Provenance'
import { PRESET_LABELS, presetCurve, scaleCurve, type CurvePreset } from './curve'
import { useWidth } from '../../components/useSize'
import { curvePeak, haproxyEffectiveLimits } from '../../../../simulator/scenario'

/**
 * The run state of the scenario side (preview, full run with its progress bar, full result) and
 * its error. Its own component: progress arrives 10 times a second during a full run, and only
 * this span needs to re-render for it, not the charts (which would take the CPU the run needs).
 */
function RunState() {
  const run = useWhatIf((st) => st.runs.scenario)
  return (
    <>
      <span className={`run-state ${run.runId ? 'busy' : ''}`} data-testid="run-state">
        {run.runId ? (
          <>
            {run.preview ? `preview (${run.previewMs?.toFixed(0)} ms) · ` : ''}full run <progress max={1} value={run.progress} aria-label="full run progress" />
          </>
        ) : run.full ? (
          'full result'
        ) : run.preview ? (
          `preview (${run.previewMs?.toFixed(0)} ms)`
        ) : (
          ''
        )}
      </span>
      {run.error ? (
        <span className="error" role="alert">
          {run.error}
        </span>
      ) : null}
    </>
  )
}

export function WhatIfView({ baselineRef }: { baselineRef: { kind: 'demo' | 'snapshot' | 'none'; id: string } }) {
  // every field but the run slots, whose progress changes 10 times a second (see RunState);
  // of those, only the results shown (full result, else preview) of each side
  const st = useWhatIf(
    useShallow(({ runs, ...rest }) => ({
      ...rest,
      scen: runs.scenario.full ?? runs.scenario.preview,
      base: runs.baseline.full ?? runs.baseline.preview
    }))
  )
  const files = useScenarioFiles()
  const [ref, width] = useWidth<HTMLDivElement>()
  const [mainRef, mainWidth] = useWidth<HTMLDivElement>()
  const [scale, setScale] = useState('1')
  const [scaleError, setScaleError] = useState<string | null>(null)
  const [name, setName] = useState('')
  const [renaming, setRenaming] = useState<string | null>(null)

  useEffect(() => {
    void files.refresh()
  }, [files.refresh])

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (!(e.ctrlKey || e.metaKey)) return
      const target = e.target as HTMLElement
      if (target.tagName === 'INPUT' && (target as HTMLInputElement).type === 'text') return
      if (e.key.toLowerCase() === 'z' && !e.shiftKey) {
        e.preventDefault()
        st.undo()
      } else if ((e.key.toLowerCase() === 'z' && e.shiftKey) || e.key.toLowerCase() === 'y') {
        e.preventDefault()
        st.redo()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [st.undo, st.redo])

  if (!st.scenario || !st.baseline) return null
  const s = st.scenario
  const closed = s.clients.mode === 'closed'
  const unit = closed ? 'users' : 'conn/s'
  const peak = Math.max(1, curvePeak(s.clients.loadCurve), closed ? s.clients.concurrency : 0)
  const maxconn = s.haproxy ? haproxyEffectiveLimits(s.haproxy, s.hosts.proxy.somaxconn).frontendMaxconn : null
  const { scen, base } = st

  const applyScale = (): void => {
    const f = Number(scale)
    if (!Number.isFinite(f) || f <= 0 || f > 1000) {
      setScaleError('the scale factor must be a number above 0 and at most 1000')
      return
    }
    setScaleError(null)
    st.edit((x) => {
      if (x.clients.loadCurve.length) x.clients.loadCurve = scaleCurve(x.clients.loadCurve, f)
      if (x.clients.mode === 'closed' && !x.clients.loadCurve.length) x.clients.concurrency = Math.max(1, Math.round(x.clients.concurrency * f))
    })
  }

  return (
    <div className="whatif" data-testid="whatif">
      <div className="whatif-toolbar" role="toolbar" aria-label="scenario">
        <button type="button" onClick={st.undo} disabled={!st.past.length} data-testid="undo" title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button type="button" onClick={st.redo} disabled={!st.future.length} data-testid="redo" title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
        <button type="button" onClick={st.resetToBaseline} data-testid="reset">
          Reset to baseline
        </button>
        {st.baselineLabel !== 'baseline' ? (
          <span className="muted" data-testid="baseline-label">
            comparing against “{st.baselineLabel}”
          </span>
        ) : null}
        <span className="sep" />
        <input aria-label="scenario name" placeholder="scenario name" value={name} onChange={(e) => setName(e.target.value)} data-testid="scenario-name" />
        <button
          type="button"
          data-testid="save-scenario"
          onClick={() => void files.save({ name: name.trim() || s.name, baseline: baselineRef, scenario: s })}
        >
          Save
        </button>
        {files.error ? (
          <span className="error" role="alert">
            {files.error}
          </span>
        ) : null}
        {files.notice ? <span className="muted" role="status">{files.notice}</span> : null}
        <span className="sep" />
        <RunState />
      </div>
      {st.provenance ? <ProvenanceNote provenance={st.provenance} /> : null}
      <div className="whatif-grid">
        <aside className="whatif-side">
          <div ref={ref} className="curve-box">
            <LoadCurveEditor
              points={s.clients.loadCurve.length ? s.clients.loadCurve : [{ tS: 0, rate: s.clients.concurrency }]}
              durationS={s.durationS}
              maxRate={1_000_000}
              unit={unit}
              width={Math.max(300, width - 18)}
              height={200}
              onChange={(pts) =>
                st.edit((x) => {
                  x.clients.loadCurve = pts
                })
              }
            />
            <div className="curve-tools">
              <label>
                preset{' '}
                <select
                  aria-label="load preset"
                  value=""
                  data-testid="preset"
                  onChange={(e) => {
                    const p = e.target.value as CurvePreset
                    if (p) st.edit((x) => void (x.clients.loadCurve = presetCurve(p, x.durationS, peak)))
                  }}
                >
                  <option value="">choose…</option>
                  {(Object.keys(PRESET_LABELS) as CurvePreset[]).map((p) => (
                    <option key={p} value={p}>
                      {PRESET_LABELS[p]}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                scale ×{' '}
                <input
                  className="knob-number"
                  aria-label="scale factor"
                  value={scale}
                  aria-invalid={scaleError ? true : undefined}
                  onChange={(e) => setScale(e.target.value)}
                  onKeyDown={(e) => e.key === 'Enter' && applyScale()}
                  data-testid="scale"
                />
              </label>
              <button type="button" onClick={applyScale} data-testid="apply-scale">
                Apply
              </button>
              <label>
                duration{' '}
                <input
                  className="knob-number"
                  aria-label="duration in seconds"
                  defaultValue={String(s.durationS)}
                  key={s.durationS}
                  onBlur={(e) => {
                    const v = Number(e.target.value)
                    if (Number.isFinite(v) && v >= 1 && v <= 86400) st.edit((x) => void (x.durationS = v))
                    else e.target.value = String(s.durationS)
                  }}
                />{' '}
                s
              </label>
              {scaleError ? (
                <span className="error" role="alert">
                  {scaleError}
                </span>
              ) : null}
            </div>
          </div>
          <KnobPanel scenario={s} baseline={st.baseline} onEdit={st.edit} />
          {files.list.length ? (
            <div className="saved" aria-label="saved scenarios">
              <h3>Saved scenarios</h3>
              <ul>
                {files.list.map((f) => (
                  <li key={f.id}>
                    <button type="button" className="link" onClick={() => void files.open(f.id).then((x) => x && st.replace(x.scenario))} data-testid={`open-${f.name}`}>
                      {f.name}
                    </button>{' '}
                    <button type="button" className="small" onClick={() => void files.duplicate(f.id)}>
                      duplicate
                    </button>{' '}
                    <button
                      type="button"
                      className="small"
                      title="compare the current scenario against this one"
                      onClick={() => void files.open(f.id).then((x) => x && st.setBaseline(x.scenario, f.name))}
                      data-testid={`compare-${f.name}`}
                    >
                      compare with
                    </button>{' '}
                    {renaming === f.id ? (
                      <input
                        aria-label={`new name for ${f.name}`}
                        defaultValue={f.name}
                        autoFocus
                        onKeyDown={(e) => {
                          if (e.key === 'Enter') {
                            const v = (e.target as HTMLInputElement).value.trim()
                            if (v) void files.rename(f.id, v)
                            setRenaming(null)
                          } else if (e.key === 'Escape') setRenaming(null)
                        }}
                        onBlur={() => setRenaming(null)}
                      />
                    ) : (
                      <button type="button" className="small" onClick={() => setRenaming(f.id)}>
                        rename
                      </button>
                    )}{' '}
                    <button type="button" className="small" onClick={() => void files.remove(f.id)}>
                      delete
                    </button>
                  </li>
                ))}
              </ul>
              {files.broken.length ? <p className="error">{files.broken.length} saved file(s) could not be read: {files.broken.map((b) => b.error).join('; ')}</p> : null}
            </div>
          ) : null}
        </aside>
        <div className="whatif-main" ref={mainRef}>
          <CompareView baseline={base} scenario={scen} maxconn={maxconn} />
          <HeadroomPanel scenario={s} width={Math.max(320, mainWidth - 18)} />
        </div>
      </div>
    </div>
  )
}
