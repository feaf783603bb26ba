/**
 * The workbench shell: servers (snapshots) and the field-report demos on the left; the open
 * one on the right, in views: overview (a run of the demo as recorded), the snapshot's limits
 * next to their usage, the what-if workbench.
 */
import { useCallback, useEffect, useState } from 'react'
import { useDemoStore } from './state/demo-store'
import { useSimStore } from './state/sim-store'
import { useSnapshots } from './state/snapshot-store'
import { useWhatIf } from './state/whatif-store'
import { ResultView } from './components/ResultView'
import { ScenarioFacts } from './components/ScenarioFacts'
import { WhatIfView } from './features/whatif/WhatIfView'
import { ConnectForm } from './features/snapshots/ConnectForm'
import { FleetForm } from './features/snapshots/FleetForm'
import { SnapshotView } from './features/snapshots/SnapshotView'
import { SnapshotList } from './features/snapshots/SnapshotList'
import { PlanTab } from './features/plan/PlanTab'
import { LabView } from './features/lab/LabView'
import { getApi } from './api'
import type { LabCaseInfo } from '../../main/lab/api-types'
import { haproxyEffectiveLimits } from '../../simulator/scenario'
import { scenarioFromSnapshot, workloadFromSnapshot } from '../../main/scenario/from-snapshot'
import type { Snapshot } from '../../main/snapshot/schema'

type Selection = { kind: 'demo'; id: string } | { kind: 'snapshot'; id: string } | { kind: 'connect' } | { kind: 'lab'; id: string }
type View = 'overview' | 'server' | 'whatif' | 'plan'

export function App() {
  const demos = useDemoStore()
  const snaps = useSnapshots()
  const run = useSimStore((s) => s.run)
  const start = useSimStore((s) => s.start)
  const cancel = useSimStore((s) => s.cancel)
  const reset = useSimStore((s) => s.reset)
  const openWhatIf = useWhatIf((s) => s.open)
  const whatIfSource = useWhatIf((s) => s.sourceLabel)
  const [sel, setSel] = useState<Selection | null>(null)
  const [view, setView] = useState<View>('overview')
  const [labCases, setLabCases] = useState<LabCaseInfo[]>([])
  useEffect(() => {
    void getApi()
      .lab.cases()
      .then(setLabCases)
      .catch(() => setLabCases([]))
  }, [])

  useEffect(() => {
    void demos.load()
    void snaps.refresh()
    // load once at start
  }, [demos.load, snaps.refresh])

  // With no server at all, the workbench opens on the first field report.
  useEffect(() => {
    if (!sel && demos.list.length > 0) {
      setSel({ kind: 'demo', id: demos.list[0].id })
      void demos.select(demos.list[0].id)
    }
  }, [sel, demos.list, demos.select])

  const selectDemo = (id: string): void => {
    reset()
    setSel({ kind: 'demo', id })
    if (view === 'server') setView('overview')
    void demos.select(id)
  }
  const selectSnapshot = useCallback(
    (id: string): void => {
      setSel({ kind: 'snapshot', id })
      setView('server')
      void snaps.select(id)
    },
    [snaps.select]
  )

  const demo = sel?.kind === 'demo' && demos.open?.id === sel.id ? demos.open : null
  const snapshot: Snapshot | null = sel?.kind === 'snapshot' && snaps.open?.id === sel.id ? snaps.open : sel?.kind === 'demo' ? (demo?.snapshot ?? null) : null
  const sourceKey = sel ? `${sel.kind}:${sel.kind === 'connect' ? '' : sel.id}` : ''

  // The what-if workspace starts from the selected demo's or snapshot's scenario.
  useEffect(() => {
    if ((view !== 'whatif' && view !== 'plan') || whatIfSource === sourceKey) return
    if (demo) openWhatIf(demo.scenario, sourceKey)
    else if (sel?.kind === 'snapshot' && snapshot) {
      const w = workloadFromSnapshot(snapshot)
      const r = scenarioFromSnapshot(snapshot, w.patch)
      openWhatIf(r.scenario, sourceKey, { seeded: w.seeded, assumed: [...w.assumed, ...r.assumed.filter((p) => !w.seededPaths.includes(p))] })
    }
  }, [view, demo, snapshot, sel, sourceKey, whatIfSource, openWhatIf])

  const maxconn = demo?.scenario.haproxy != null ? haproxyEffectiveLimits(demo.scenario.haproxy, demo.scenario.hosts.proxy.somaxconn).frontendMaxconn : null
  const title = demo ? demo.title : sel?.kind === 'snapshot' ? (snapshot?.name ?? 'Opening…') : sel?.kind === 'connect' ? 'Connect to a server' : ''
  const labSel = sel?.kind === 'lab' ? sel : null

  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Headroom</span>
        <span className="tagline">which ceiling will this load hit, and what does each change really buy?</span>
      </header>
      <nav className="sidebar" aria-label="workspace">
        <h2>Servers</h2>
        <button type="button" className={sel?.kind === 'connect' ? 'active' : ''} onClick={() => setSel({ kind: 'connect' })} data-testid="nav-connect">
          + Snapshot a server…
        </button>
        <SnapshotList selectedId={sel?.kind === 'snapshot' ? sel.id : null} onSelect={selectSnapshot} />
        <h2>Field-report demos</h2>
        {demos.listError ? <p className="error">{demos.listError}</p> : null}
        <ul>
          {demos.list.map((d) => (
            <li key={d.id}>
              <button
                type="button"
                className={sel?.kind === 'demo' && sel.id === d.id ? 'active' : ''}
                aria-current={sel?.kind === 'demo' && sel.id === d.id ? 'page' : undefined}
                onClick={() => selectDemo(d.id)}
                data-testid={`demo-${d.id}`}
              >
                {d.title}
              </button>
            </li>
          ))}
        </ul>
        {labCases.length ? (
          <>
            <h2>Ground truth (lab runs)</h2>
            <ul>
              {labCases.map((c) => (
                <li key={c.id}>
                  <button type="button" className={labSel?.id === c.id ? 'active' : ''} onClick={() => setSel({ kind: 'lab', id: c.id })} data-testid={`lab-${c.id}`} title={c.description}>
                    {c.id}
                  </button>
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </nav>
      <main className="content">
        {demos.openError ? (
          <p className="error" role="alert">
            {demos.openError}
          </p>
        ) : null}
        {snaps.openError && sel?.kind === 'snapshot' ? (
          <p className="error" role="alert">
            {snaps.openError}
          </p>
        ) : null}
        {sel?.kind === 'connect' ? (
          <>
            <ConnectForm onOpened={selectSnapshot} />
            <FleetForm onOpen={selectSnapshot} />
          </>
        ) : null}
        {labSel ? (
          <>
            <h1 data-testid="demo-title">Lab: {labSel.id}</h1>
            <LabView id={labSel.id} />
          </>
        ) : null}
        {sel && sel.kind !== 'connect' && sel.kind !== 'lab' ? (
          <>
            <section className="demo-head">
              <h1 data-testid="demo-title">{title}</h1>
              <div className="tabs" role="tablist" aria-label="views">
                {sel.kind === 'demo' ? (
                  <button type="button" role="tab" aria-selected={view === 'overview'} className={view === 'overview' ? 'active' : ''} onClick={() => setView('overview')} data-testid="tab-overview">
                    Overview
                  </button>
                ) : null}
                <button type="button" role="tab" aria-selected={view === 'server'} className={view === 'server' ? 'active' : ''} onClick={() => setView('server')} data-testid="tab-server">
                  Server
                </button>
                <button type="button" role="tab" aria-selected={view === 'whatif'} className={view === 'whatif' ? 'active' : ''} onClick={() => setView('whatif')} data-testid="tab-whatif">
                  What-if
                </button>
                <button type="button" role="tab" aria-selected={view === 'plan'} className={view === 'plan' ? 'active' : ''} onClick={() => setView('plan')} data-testid="tab-plan">
                  Diagnosis &amp; plan
                </button>
              </div>
            </section>
            {view === 'whatif' && whatIfSource === sourceKey ? <WhatIfView baselineRef={sel.kind === 'demo' ? { kind: 'demo', id: sel.id } : { kind: 'snapshot', id: sel.id }} /> : null}
            {view === 'plan' ? (
              <PlanTab source={sel.kind === 'demo' ? { kind: 'demo', id: sel.id } : { kind: 'stored', id: sel.id }} onOpenWhatIf={() => setView('whatif')} />
            ) : null}
            {view === 'server' && snapshot ? <SnapshotView snapshot={snapshot} onWhatIf={() => setView('whatif')} /> : null}
            {view === 'overview' && demo ? (
              <>
                <section className="demo-head">
                  <p>{demo.summary}</p>
                  {demo.observed.length ? (
                    <details open>
                      <summary>What the operators saw</summary>
                      <ul className="observed">
                        {demo.observed.map((o) => (
                          <li key={o}>{o}</li>
                        ))}
                      </ul>
                    </details>
                  ) : null}
                  <ScenarioFacts scenario={demo.scenario} />
                </section>
                <section className="run-bar" aria-label="simulation">
                  <button type="button" className="primary" data-testid="run" disabled={run.status === 'running'} onClick={() => void start(demo.scenario)}>
                    {run.status === 'done' ? 'Run again' : 'Simulate'}
                  </button>
                  {run.status === 'running' ? (
                    <>
                      <progress max={1} value={run.progress} aria-label="simulation progress" data-testid="progress" />
                      <span className="muted">{run.simTimeS.toFixed(0)} s simulated</span>
                      <button type="button" onClick={() => void cancel()}>
                        Cancel
                      </button>
                    </>
                  ) : null}
                  {run.status === 'done' ? (
                    <span className="muted" data-testid="run-meta">
                      {run.result.summary.simulatedS.toFixed(0)} s simulated in {Math.round(run.wallMs)} ms · seed {run.result.summary.seed} · {run.result.summary.events.toLocaleString()} events
                    </span>
                  ) : null}
                  {run.status === 'failed' ? (
                    <span className={run.cancelled ? 'muted' : 'error'} role="alert">
                      {run.cancelled ? 'Cancelled.' : run.error}
                    </span>
                  ) : null}
                </section>
                {run.status === 'done' ? <ResultView result={run.result} maxconn={maxconn} /> : null}
              </>
            ) : null}
            {!demo && sel.kind === 'demo' ? <p className="muted">{demos.loading ? 'Opening…' : 'Loading demos…'}</p> : null}
          </>
        ) : null}
      </main>
    </div>
  )
}
