/**
 * Ground truth: a lab run (real kernel, HAProxy, nginx in network namespaces) next to the
 * simulator's prediction of the same scenario, metric by metric with the fidelity tolerance,
 * and the sampled queues / SYN-SENT / TIME_WAIT overlaid on the simulated ones.
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import { axisBottom, axisLeft, line, max, scaleLinear, select } from 'd3'
import { getApi } from '../../api'
import type { LabComparison, LabSeries } from '../../../../main/lab/api-types'
import { ChartExport } from '../../charts/ChartExport'
import { useWidth } from '../../components/useSize'

const M = { top: 12, right: 16, bottom: 34, left: 56 }

function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–'
  return Math.abs(x) >= 100 ? String(Math.round(x)) : String(Number(x.toPrecision(3)))
}

function OverlayChart({ s, width }: { s: LabSeries; width: number }) {
  const height = 200
  const innerW = Math.max(10, width - M.left - M.right)
  const innerH = height - M.top - M.bottom
  const xRef = useRef<SVGGElement>(null)
  const yRef = useRef<SVGGElement>(null)
  const { x, y, dm, ds } = useMemo(() => {
    const tMax = Math.max(1, max(s.measured.t) ?? 1, s.simulated ? (max(s.simulated.t) ?? 1) : 1)
    const vMax = Math.max(1, max(s.measured.v) ?? 1, s.simulated ? (max(s.simulated.v) ?? 1) : 1)
    const x = scaleLinear().domain([0, tMax]).range([0, innerW])
    const y = scaleLinear().domain([0, vMax * 1.05]).nice().range([innerH, 0])
    const mk = (xy: { t: number[]; v: number[] }) =>
      line<number>()
        .x((i) => x(xy.t[i]))
        .y((i) => y(xy.v[i]))(xy.t.map((_, i) => i)) ?? ''
    return { x, y, dm: mk(s.measured), ds: s.simulated ? mk(s.simulated) : '' }
  }, [s, innerW, innerH])
  useEffect(() => {
    if (xRef.current) select(xRef.current).call(axisBottom(x).ticks(6))
    if (yRef.current) select(yRef.current).call(axisLeft(y).ticks(4))
  }, [x, y])
  return (
    <figure className="chart">
      <figcaption>
        <span className="chart-title">{s.name}</span>
        <ChartExport title={s.name} />
        <span className="legend">
          <span className="legend-item s-offered">measured (lab)</span>
          <span className="legend-item s-scur">{s.simulated ? 'simulated' : 'not simulated'}</span>
        </span>
      </figcaption>
      <svg width={width} height={height} role="img" aria-label={`${s.name}: measured and simulated`}>
        <g transform={`translate(${M.left},${M.top})`}>
          <g ref={yRef} className="axis axis-y" />
          <g ref={xRef} className="axis axis-x" transform={`translate(0,${innerH})`} />
          <text className="axis-label" x={innerW} y={innerH + 30} textAnchor="end">
            time (s)
          </text>
          <path d={dm} className="series s-offered" />
          {ds ? <path d={ds} className="series s-scur dashed" /> : null}
        </g>
      </svg>
    </figure>
  )
}

export function LabView({ id }: { id: string }) {
  const [state, setState] = useState<{ loading: boolean; value: LabComparison | null; error: string | null }>({ loading: true, value: null, error: null })
  const [ref, outer] = useWidth<HTMLDivElement>()
  useEffect(() => {
    let live = true
    setState({ loading: true, value: null, error: null })
    getApi()
      .lab.compare(id)
      .then((value) => live && setState({ loading: false, value, error: null }))
      .catch((err: unknown) => live && setState({ loading: false, value: null, error: (err as Error).message }))
    return () => {
      live = false
    }
  }, [id])
  const c = state.value
  return (
    <section className="lab-view" data-testid="lab-view" ref={ref}>
      {state.loading ? <p className="muted">Simulating the lab's scenario…</p> : null}
      {state.error ? (
        <p className="error" role="alert">
          {state.error}
        </p>
      ) : null}
      {c ? (
        <>
          <p>{c.info.description}</p>
          <p className="muted">
            measured {c.info.runs}× on {Object.values(c.info.measuredOn).slice(0, 2).join(', ')} ·{' '}
            <strong data-testid="lab-score">
              {c.passed}/{c.total} metrics within tolerance
            </strong>
          </p>
          <table className="lab-table" aria-label="measured versus simulated">
            <thead>
              <tr>
                <th>metric</th>
                <th>measured (mean [min–max])</th>
                <th>simulated</th>
                <th>error</th>
                <th>tolerance</th>
                <th>ok</th>
              </tr>
            </thead>
            <tbody>
              {c.rows.map((r) => (
                <tr key={r.key} className={r.ok ? '' : 'miss'}>
                  <td>
                    {r.key}
                    {r.scored ? ' *' : ''}
                  </td>
                  <td>{'value' in r.measured ? String(r.measured.value) : `${fmt(r.measured.mean)} [${fmt(r.measured.min)}–${fmt(r.measured.max)}]`}</td>
                  <td>{r.predicted === null ? '–' : typeof r.predicted === 'boolean' ? String(r.predicted) : fmt(r.predicted)}</td>
                  <td>
                    {fmt(r.error)}
                    {r.relError !== null ? ` (${Math.round(r.relError * 100)}%)` : ''}
                  </td>
                  <td>{r.lo === null ? 'exact' : `${fmt(r.lo)} … ${fmt(r.hi)}`}</td>
                  <td>{r.ok ? 'yes' : 'NO'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small-text">* scored keys of the fidelity rules (shared/fidelity/README.md)</p>
          {c.deviations.length ? (
            <details>
              <summary>How the lab run differed from the scenario</summary>
              <ul>
                {c.deviations.map((d) => (
                  <li key={d}>{d}</li>
                ))}
              </ul>
            </details>
          ) : null}
          <div className="charts">
            {c.series.map((s) => (
              <OverlayChart key={s.name} s={s} width={Math.max(320, outer - 18)} />
            ))}
          </div>
        </>
      ) : null}
    </section>
  )
}
