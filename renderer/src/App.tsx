/** The workbench shell: demos (and later snapshots and scenarios) on the left, the open one on the right. */
import { useEffect, useState } from 'react'
import { useDemoStore } from './state/demo-store'
import { useSimStore } from './state/sim-store'
import { ResultView } from './components/ResultView'
import { ScenarioFacts } from './components/ScenarioFacts'
import { haproxyEffectiveLimits } from '../../simulator/scenario'
import { WhatIfView } from './features/whatif/WhatIfView'
import { useWhatIf } from './state/whatif-store'

type Tab = 'overview' | 'whatif'

export function App() {
  const { list, listError, open, openError, loading, load, select } = useDemoStore()
  const run = useSimStore((s) => s.run)
  const start = useSimStore((s) => s.start)
  const cancel = useSimStore((s) => s.cancel)
  const reset = useSimStore((s) => s.reset)
  const [tab, setTab] = useState<Tab>('overview')
  const openWhatIf = useWhatIf((s) => s.open)
  const whatIfSource = useWhatIf((s) => s.sourceLabel)

  useEffect(() => {
    void load()
  }, [load])
  // The what-if workspace starts from the open demo's scenario (again when another opens).
  useEffect(() => {
    if (tab === 'whatif' && open && whatIfSource !== open.id) openWhatIf(open.scenario, open.id)
  }, [tab, open, whatIfSource, openWhatIf])
  // With no server at all, the workbench opens on the first field report.
  useEffect(() => {
    if (!open && list.length > 0 && !loading) void select(list[0].id)
  }, [list, open, loading, select])

  const maxconn =
    open?.scenario.haproxy != null ? haproxyEffectiveLimits(open.scenario.haproxy, open.scenario.hosts.proxy.somaxconn).frontendMaxconn : null

  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Headroom</span>
        <span className="tagline">which ceiling will this load hit, and what does each change really buy?</span>
      </header>
      <nav className="sidebar" aria-label="workspace">
        <h2>Field-report demos</h2>
        {listError ? <p className="error">{listError}</p> : null}
        <ul>
          {list.map((d) => (
            <li key={d.id}>
              <button
                type="button"
                className={open?.id === d.id ? 'active' : ''}
                aria-current={open?.id === d.id ? 'page' : undefined}
                onClick={() => {
                  reset()
                  void select(d.id)
                }}
                data-testid={`demo-${d.id}`}
              >
                {d.title}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content">
        {openError ? <p className="error" role="alert">{openError}</p> : null}
        {!open ? (
          <p className="muted">{loading ? 'Opening…' : 'Loading demos…'}</p>
        ) : (
          <>
            <section className="demo-head">
              <h1 data-testid="demo-title">{open.title}</h1>
              <div className="tabs" role="tablist" aria-label="views">
                <button type="button" role="tab" aria-selected={tab === 'overview'} className={tab === 'overview' ? 'active' : ''} onClick={() => setTab('overview')} data-testid="tab-overview">
                  Overview
                </button>
                <button type="button" role="tab" aria-selected={tab === 'whatif'} className={tab === 'whatif' ? 'active' : ''} onClick={() => setTab('whatif')} data-testid="tab-whatif">
                  What-if
                </button>
              </div>
            </section>
            {tab === 'whatif' ? <WhatIfView baselineRef={{ kind: 'demo', id: open.id }} /> : null}
            {tab === 'overview' ? (
            <>
            <section className="demo-head">
              <p>{open.summary}</p>
              {open.observed.length ? (
                <details open>
                  <summary>What the operators saw</summary>
                  <ul className="observed">
                    {open.observed.map((o) => (
                      <li key={o}>{o}</li>
                    ))}
                  </ul>
                </details>
              ) : null}
              <ScenarioFacts scenario={open.scenario} />
            </section>
            <section className="run-bar" aria-label="simulation">
              <button
                type="button"
                className="primary"
                data-testid="run"
                disabled={run.status === 'running'}
                onClick={() => void start(open.scenario)}
              >
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
                  {run.result.summary.simulatedS.toFixed(0)} s simulated in {Math.round(run.wallMs)} ms · seed {run.result.summary.seed} ·{' '}
                  {run.result.summary.events.toLocaleString()} events
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
          </>
        )}
      </main>
    </div>
  )
}
