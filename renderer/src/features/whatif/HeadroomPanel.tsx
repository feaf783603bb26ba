/**
 * "How much more can we take": for one knob at several values, the largest load scale that
 * keeps failures under a target, computed as a sweep across the worker pool. One chart.
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import { axisBottom, axisLeft, line, scaleLinear, scaleLog, select } from 'd3'
import { getApi } from '../../api'
import { cloneScenario, curvePeak, type Scenario } from '../../../../simulator/scenario'
import type { SweepResult } from '../../../../main/api/contract'
import { visibleKnobs, type NumberKnob } from './knobs'

const M = { top: 12, right: 16, bottom: 36, left: 56 }

/** Knob values for a sweep: `n` values from `from` to `to`, spaced as the knob's slider is. */
export function sweepValues(k: NumberKnob, from: number, to: number, n: number): number[] {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const f = n === 1 ? 0 : i / (n - 1)
    let v = k.scale === 'log' && from > 0 ? Math.exp(Math.log(from) + f * (Math.log(to) - Math.log(from))) : from + f * (to - from)
    v = Math.round(v / k.step) * k.step
    v = Math.min(k.max, Math.max(k.min, Number(v.toFixed(6))))
    if (!out.includes(v)) out.push(v)
  }
  return out
}

export function HeadroomPanel({ scenario, width }: { scenario: Scenario; width: number }) {
  const knobs = useMemo(() => visibleKnobs(scenario).filter((k): k is NumberKnob => k.kind === 'number'), [scenario])
  const [knobId, setKnobId] = useState(knobs[0]?.id ?? '')
  const knob = knobs.find((k) => k.id === knobId) ?? knobs[0]
  const current = knob?.get(scenario) ?? null
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [steps, setSteps] = useState('6')
  const [target, setTarget] = useState('1')
  const [quality, setQuality] = useState<'preview' | 'full'>('full')
  const [state, setState] = useState<{ running: string | null; done: number; total: number; result: SweepResult | null; error: string | null }>({
    running: null,
    done: 0,
    total: 0,
    result: null,
    error: null
  })

  useEffect(() => {
    if (!knob) return
    const c = knob.get(scenario) ?? knob.min
    setFrom(String(Math.max(knob.min, knob.scale === 'log' ? c / 4 : c * 0.25)))
    setTo(String(Math.min(knob.max, c * 4 || knob.max)))
    // reset the range only when another knob is chosen
  }, [knobId])

  useEffect(
    () =>
      getApi().on('sim.sweepProgress', (e) => {
        setState((s) => (s.running === e.sweepId ? { ...s, done: e.done, total: e.total } : s))
      }),
    []
  )

  const run = async (): Promise<void> => {
    if (!knob) return
    const a = Number(from)
    const b = Number(to)
    const n = Number(steps)
    const tgt = Number(target)
    const problems = [
      !Number.isFinite(a) || a < knob.min || a > knob.max ? `from must be between ${knob.min} and ${knob.max}` : null,
      !Number.isFinite(b) || b < knob.min || b > knob.max ? `to must be between ${knob.min} and ${knob.max}` : null,
      Number.isFinite(a) && Number.isFinite(b) && a >= b ? 'from must be below to' : null,
      !Number.isInteger(n) || n < 2 || n > 16 ? 'steps must be a whole number from 2 to 16' : null,
      !Number.isFinite(tgt) || tgt < 0 || tgt > 100 ? 'the failure target is a percentage from 0 to 100' : null
    ].filter(Boolean)
    if (problems.length) {
      setState((s) => ({ ...s, error: problems.join('; ') }))
      return
    }
    const variants = sweepValues(knob, a, b, n).map((value) => {
      const s = cloneScenario(scenario)
      knob.set(s, value)
      return { value, scenario: s }
    })
    if (state.running) void getApi().sim.sweepCancel(state.running).catch(() => undefined)
    try {
      const { sweepId } = await getApi().sim.sweep({ variants, targetFailureShare: tgt / 100, quality, maxScale: 16 })
      setState({ running: sweepId, done: 0, total: variants.length, result: null, error: null })
      const result = await getApi().sim.sweepResult(sweepId)
      setState((s) => (s.running === sweepId ? { running: null, done: s.total, total: s.total, result, error: null } : s))
    } catch (err) {
      setState((s) => ({ ...s, running: null, error: (err as Error).message }))
    }
  }

  const peak = Math.max(1, scenario.clients.mode === 'closed' && !scenario.clients.loadCurve.length ? scenario.clients.concurrency : curvePeak(scenario.clients.loadCurve))
  const unit = scenario.clients.mode === 'closed' ? 'users' : 'conn/s'
  if (!knob) return null
  return (
    <section className="headroom" aria-label="headroom curve" data-testid="headroom">
      <h3>Headroom curve</h3>
      <div className="curve-tools">
        <label>
          knob{' '}
          <select value={knob.id} onChange={(e) => setKnobId(e.target.value)} aria-label="knob to sweep" data-testid="sweep-knob">
            {knobs.map((k) => (
              <option key={k.id} value={k.id}>
                {k.group}: {k.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          from <input className="knob-number" value={from} onChange={(e) => setFrom(e.target.value)} aria-label="sweep from" />
        </label>
        <label>
          to <input className="knob-number" value={to} onChange={(e) => setTo(e.target.value)} aria-label="sweep to" />
        </label>
        <label>
          steps <input className="knob-number narrow" value={steps} onChange={(e) => setSteps(e.target.value)} aria-label="sweep steps" />
        </label>
        <label>
          failures ≤ <input className="knob-number narrow" value={target} onChange={(e) => setTarget(e.target.value)} aria-label="failure target percent" /> %
        </label>
        <label>
          <select value={quality} onChange={(e) => setQuality(e.target.value as 'preview' | 'full')} aria-label="sweep quality">
            <option value="full">exact (full runs)</option>
            <option value="preview">quick (preview runs)</option>
          </select>
        </label>
        <button type="button" className="primary" onClick={() => void run()} data-testid="sweep-run">
          {state.running ? 'Restart' : 'Find headroom'}
        </button>
        {state.running ? (
          <>
            <progress max={state.total || 1} value={state.done} aria-label="sweep progress" />
            <button type="button" onClick={() => state.running && void getApi().sim.sweepCancel(state.running).then(() => setState((s) => ({ ...s, running: null })))}>
              Cancel
            </button>
          </>
        ) : null}
      </div>
      {state.error ? (
        <p className="error" role="alert">
          {state.error}
        </p>
      ) : null}
      {state.result ? (
        <SweepChart result={state.result} width={width} knobLabel={knob.label} current={current} log={knob.scale === 'log'} peak={peak} unit={unit} />
      ) : (
        <p className="muted">The largest multiple of the current load whose failures stay under the target, for each value of one knob.</p>
      )}
    </section>
  )
}

function SweepChart({ result, width, knobLabel, current, log, peak, unit }: { result: SweepResult; width: number; knobLabel: string; current: number | null; log: boolean; peak: number; unit: string }) {
  const height = 220
  const innerW = Math.max(10, width - M.left - M.right)
  const innerH = height - M.top - M.bottom
  const xRef = useRef<SVGGElement>(null)
  const yRef = useRef<SVGGElement>(null)
  const pts = result.points
  const { x, y, d } = useMemo(() => {
    const xs = pts.map((p) => p.value)
    const lo = Math.min(...xs)
    const hi = Math.max(...xs)
    const x = (log && lo > 0 ? scaleLog() : scaleLinear()).domain([lo, hi === lo ? lo + 1 : hi]).range([0, innerW])
    const y = scaleLinear().domain([0, Math.max(1, ...pts.map((p) => p.maxScale)) * 1.1]).nice().range([innerH, 0])
    const d = line<(typeof pts)[number]>()
      .x((p) => x(p.value))
      .y((p) => y(p.maxScale))(pts) ?? ''
    return { x, y, d }
  }, [pts, innerW, innerH, log])
  useEffect(() => {
    if (xRef.current) select(xRef.current).call(axisBottom(x).ticks(6, '~s'))
    if (yRef.current) select(yRef.current).call(axisLeft(y).ticks(5))
  }, [x, y])
  return (
    <figure className="chart">
      <figcaption>
        <span className="chart-title">Max load scale (×) by {knobLabel}</span>
        <span className="muted">
          {result.runs} runs in {(result.wallMs / 1000).toFixed(1)} s ({result.quality}) · 1× = peak {Math.round(peak)} {unit}
        </span>
      </figcaption>
      <svg width={width} height={height} role="img" aria-label="headroom curve" data-testid="sweep-chart">
        <g transform={`translate(${M.left},${M.top})`}>
          <g ref={yRef} className="axis axis-y" />
          <g ref={xRef} className="axis axis-x" transform={`translate(0,${innerH})`} />
          <text className="axis-label" x={innerW} y={innerH + 32} textAnchor="end">
            {knobLabel}
          </text>
          <text className="axis-label" transform={`translate(${-M.left + 12},${innerH / 2}) rotate(-90)`} textAnchor="middle">
            × current load
          </text>
          <line className="hover-rule" x1={0} x2={innerW} y1={y(1)} y2={y(1)} />
          {current !== null && current >= x.domain()[0] && current <= x.domain()[1] ? (
            <g className="limit">
              <line x1={x(current)} x2={x(current)} y1={0} y2={innerH} />
              <text x={x(current) + 3} y={10}>
                now
              </text>
            </g>
          ) : null}
          <path d={d} className="series s-completed" />
          {pts.map((p) => (
            <circle key={p.index} cx={x(p.value)} cy={y(p.maxScale)} r={4} className={`point ${p.capped ? 'capped' : ''}`} data-testid={`sweep-point-${p.index}`}>
              <title>
                {knobLabel} {p.value}: up to {p.maxScale.toFixed(2)}× ({Math.round(p.maxScale * peak)} {unit}){p.capped ? ', search cap reached' : ''}; failures {(p.failureAtScale * 100).toFixed(2)}%
              </title>
            </circle>
          ))}
        </g>
      </svg>
    </figure>
  )
}
