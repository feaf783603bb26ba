/**
 * A tuning plan: the changes (old -> new, where applied, what reloads), the predicted effect
 * (baseline vs scenario, with a bar chart), the file diffs, the verification checklist and,
 * when given, the verification against a later snapshot. Props only; no fetching.
 */
import { useMemo } from 'react'
import { scaleBand, scaleLinear } from 'd3'
import type { Plan, PredictionDigest } from '../../../../main/plan/types'
import type { PlanVerification } from '../../../../main/plan/verify'
import { predictionRows } from '../../../../main/plan/render'
import { FindingsList } from './FindingsList'
import './plan.css'

export interface PlanViewProps {
  plan: Plan
  verification?: PlanVerification | null
  /** Show the baseline findings above the changes (default true). */
  showFindings?: boolean
  chartWidth?: number
}

export function DiffView({ diff }: { diff: string }) {
  return (
    <pre className="hr-diff">
      {diff.split('\n').map((l, i) => (
        <span key={i} className={l.startsWith('+') && !l.startsWith('+++') ? 'hr-add' : l.startsWith('-') && !l.startsWith('---') ? 'hr-del' : undefined}>
          {l}
          {'\n'}
        </span>
      ))}
    </pre>
  )
}

/** Grouped bars: ok and failures by cause, baseline vs scenario (d3 scales, React SVG). */
export function OutcomeBars({ baseline, scenario, width = 560, height = 220 }: { baseline: PredictionDigest | null; scenario: PredictionDigest | null; width?: number; height?: number }) {
  const bars = useMemo(() => {
    const causes = new Set<string>()
    for (const d of [baseline, scenario]) for (const [c, n] of Object.entries(d?.byCause ?? {})) if (n > 0) causes.add(c)
    const cats = ['ok', ...[...causes].sort()]
    const value = (d: PredictionDigest | null, c: string): number => (d ? (c === 'ok' ? d.ok : d.byCause[c] ?? 0) : 0)
    const max = Math.max(1, ...cats.flatMap((c) => [value(baseline, c), value(scenario, c)]))
    const m = { top: 10, right: 8, bottom: 28, left: 56 }
    const x = scaleBand<string>().domain(cats).range([m.left, width - m.right]).padding(0.25)
    const inner = scaleBand<string>().domain(['baseline', 'scenario']).range([0, x.bandwidth()]).padding(0.1)
    const y = scaleLinear().domain([0, max]).nice().range([height - m.bottom, m.top])
    const rects = cats.flatMap((c) =>
      (['baseline', 'scenario'] as const)
        .filter((k) => (k === 'baseline' ? baseline : scenario))
        .map((k) => {
          const v = value(k === 'baseline' ? baseline : scenario, c)
          return { key: `${c}-${k}`, k, c, v, x: x(c)! + inner(k)!, y: y(v), w: inner.bandwidth(), h: y(0) - y(v) }
        })
    )
    return { rects, ticks: y.ticks(4).map((t) => ({ t, y: y(t) })), labels: cats.map((c) => ({ c, x: x(c)! + x.bandwidth() / 2 })), m, y0: y(0) }
  }, [baseline, scenario, width, height])
  return (
    <svg className="hr-bars" width={width} height={height} role="img" aria-label="Requests by outcome, baseline vs scenario">
      {bars.ticks.map(({ t, y }) => (
        <g key={t}>
          <line x1={bars.m.left} x2={width - bars.m.right} y1={y} y2={y} stroke="#e3e3e3" />
          <text x={bars.m.left - 4} y={y + 4} textAnchor="end" fontSize={10}>
            {t.toLocaleString('en-US')}
          </text>
        </g>
      ))}
      {bars.rects.map((r) => (
        <rect key={r.key} className={r.k} x={r.x} y={r.y} width={r.w} height={r.h}>
          <title>{`${r.k} ${r.c}: ${r.v}`}</title>
        </rect>
      ))}
      {bars.labels.map(({ c, x }) => (
        <text key={c} x={x} y={height - bars.m.bottom + 14} textAnchor="middle" fontSize={10}>
          {c === 'ok' ? 'ok (2xx)' : c}
        </text>
      ))}
      <line x1={bars.m.left} x2={width - bars.m.right} y1={bars.y0} y2={bars.y0} stroke="#333" />
    </svg>
  )
}

export function VerificationView({ verification }: { verification: PlanVerification }) {
  return (
    <section aria-label="Verification">
      <table>
        <thead>
          <tr>
            <th>Item</th>
            <th>Expected</th>
            <th>Found</th>
            <th>Status</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {verification.items.map((i) => (
            <tr key={i.id} data-item={i.id}>
              <td>{i.knob}</td>
              <td>{i.expected}</td>
              <td>{i.found}</td>
              <td className={`hr-status-${i.status.replace(' ', '-')}`}>{i.status}</td>
              <td>{i.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {verification.counters.length ? (
        <ul>
          {verification.counters.map((c) => (
            <li key={c.counter}>
              {c.counter}: {c.beforePerS.toFixed(1)}/s before, {c.afterPerS === null ? 'unknown' : `${c.afterPerS.toFixed(1)}/s`} after: <b>{c.status}</b>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  )
}

export function PlanView({ plan, verification, showFindings = true, chartWidth = 560 }: PlanViewProps) {
  const { baseline, scenario } = plan.prediction
  return (
    <article className="hr-plan" aria-label={`Tuning plan for ${plan.host}`}>
      <header>
        <h2>Tuning plan for {plan.host}</h2>
        <p>
          {plan.baselineName} &rarr; {plan.scenarioName} <code>{plan.id}</code>
        </p>
      </header>
      {showFindings ? (
        <>
          <h3>Findings</h3>
          <FindingsList findings={plan.findings} />
        </>
      ) : null}
      <h3>Changes</h3>
      {plan.items.length === 0 ? (
        <p>This plan changes no setting on the server.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Knob</th>
              <th>Old</th>
              <th>New</th>
              <th>Applied in</th>
              <th>Takes effect by</th>
            </tr>
          </thead>
          <tbody>
            {plan.items.map((i) => (
              <tr key={i.id} data-item={i.id}>
                <td>{i.knob}</td>
                <td>{i.old}</td>
                <td className="hr-new">{i.new}</td>
                <td>{i.appliedIn}</td>
                <td>{i.actions.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {plan.manual.length ? (
        <>
          <h4>Not applied by the scripts</h4>
          <ul>
            {plan.manual.map((i) => (
              <li key={i.id}>
                {i.knob}: {i.old} &rarr; {i.new} ({i.appliedIn})
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h3>Predicted effect</h3>
      {!baseline && !scenario ? (
        <p>No simulation was given with this plan.</p>
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th></th>
                <th>Baseline</th>
                <th>Scenario</th>
              </tr>
            </thead>
            <tbody>
              {predictionRows(baseline, scenario).map(([m, b, s]) => (
                <tr key={m}>
                  <td>{m}</td>
                  <td>{b}</td>
                  <td>{s}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <OutcomeBars baseline={baseline} scenario={scenario} width={chartWidth} />
        </>
      )}
      <h3>Files</h3>
      {plan.files.map((f) => (
        <details key={f.target}>
          <summary>
            <code>{f.target}</code> {f.original === null ? '(new)' : '(edited)'}
          </summary>
          <DiffView diff={f.diff} />
        </details>
      ))}
      <h3>Verification checklist</h3>
      <ul>
        {plan.checklist.map((c, i) => (
          <li key={i}>
            {c.what}: <code>{c.command}</code> &mdash; expect {c.expect}
          </li>
        ))}
      </ul>
      {verification ? (
        <>
          <h3>Verification against {verification.snapshotId}</h3>
          <VerificationView verification={verification} />
        </>
      ) : null}
      {plan.notes.length ? (
        <>
          <h3>Notes</h3>
          <ul>
            {plan.notes.map((n, i) => (
              <li key={i}>{n}</li>
            ))}
          </ul>
        </>
      ) : null}
    </article>
  )
}
