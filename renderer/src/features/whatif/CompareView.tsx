/**
 * Baseline vs scenario, overlaid (baseline dashed): throughput, failures by cause, queues and
 * sessions against their limits, TIME_WAIT and free ports, fds, and the connect-time
 * distribution where the 1 s / 3 s SYN-retransmit steps show. Summary cards carry the deltas.
 */
import { useMemo, useState } from 'react'
import type { SimResult } from '../../../../simulator/result'
import { TimeSeriesChart, formatNumber, type Series } from '../../charts/TimeSeriesChart'
import { StackedAreaChart } from '../../charts/StackedAreaChart'
import { HistogramChart } from '../../charts/HistogramChart'
import { useWidth } from '../../components/useSize'
import { useTimeWindow } from '../../charts/time-window'
import { TimeWindowBar } from '../../charts/TimeWindowBar'
import { ACTIVITY } from '../../components/ResultView'

const CAUSES: [string, string][] = [
  ['connect_timeout', 'connect timeout'],
  ['timeout', 'request timeout'],
  ['reset', 'reset'],
  ['http502', '502'],
  ['http503', '503'],
  ['http504', '504'],
  ['http408', '408'],
  ['no_port', 'no free port']
]

function col(r: SimResult | null, name: string): Float64Array | null {
  return r && r.columns[name] ? r.columns[name] : null
}

/** Align two runs on one time axis (the longer one's). */
function axis(a: SimResult | null, b: SimResult | null): Float64Array {
  const ta = col(a, 't')
  const tb = col(b, 't')
  if (ta && tb) return ta.length >= tb.length ? ta : tb
  return ta ?? tb ?? new Float64Array(0)
}

function padTo(v: Float64Array | null, n: number): Float64Array {
  if (!v) return new Float64Array(n).fill(NaN)
  if (v.length === n) return v
  const out = new Float64Array(n).fill(v.length ? 0 : NaN)
  out.set(v.subarray(0, Math.min(n, v.length)))
  return out
}

function pct(n: number, d: number): number {
  return d > 0 ? (100 * n) / d : NaN
}

/** `fmtDelta` formats the change when it is not the value's own unit (a share changes in percentage points). */
function Card({ label, base, scen, fmt, fmtDelta = fmt, better, testid }: { label: string; base: number; scen: number; fmt: (v: number) => string; fmtDelta?: (v: number) => string; better: 'up' | 'down'; testid: string }) {
  const delta = scen - base
  const good = Number.isFinite(delta) && delta !== 0 && (better === 'up' ? delta > 0 : delta < 0)
  return (
    <div className="card" data-testid={testid}>
      <div className="card-label">{label}</div>
      <div className="card-value" data-testid={`${testid}-value`}>
        {fmt(scen)}
      </div>
      <div className={`card-sub ${delta === 0 || !Number.isFinite(delta) ? '' : good ? 'delta-good' : 'delta-bad'}`}>
        baseline {fmt(base)}
        {Number.isFinite(delta) && delta !== 0 ? ` (${delta > 0 ? '+' : ''}${fmtDelta(delta)})` : ''}
      </div>
    </div>
  )
}

const ms = (v: number): string => (!Number.isFinite(v) ? '–' : Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`)

export function CompareView({ baseline, scenario, maxconn }: { baseline: SimResult | null; scenario: SimResult | null; maxconn: number | null }) {
  const [ref, outer] = useWidth<HTMLDivElement>()
  // the figure's padding and border take 18 px of the container
  const width = Math.max(300, outer - 18)
  const t = useMemo(() => axis(baseline, scenario), [baseline, scenario])
  const n = t.length
  const s = scenario?.summary
  const b = baseline?.summary
  // the window fits the activity of both runs
  const activity = useMemo(() => ACTIVITY.flatMap((c) => [col(baseline, c), col(scenario, c)]), [baseline, scenario])
  const tw = useTimeWindow(t, activity)
  const span: [number, number] = [n ? t[0] : 0, n ? Math.max(t[n - 1], 1) : 1]
  const zoom = { window: tw.window, onZoom: tw.zoom, onResetZoom: tw.reset }

  const flow: Series[] = useMemo(
    () => [
      { key: 'offered', label: 'offered', values: padTo(col(scenario, 'offered'), n), className: 's-offered', dashed: true },
      { key: 'b-completed', label: 'completed (baseline)', values: padTo(col(baseline, 'completed'), n), className: 's-completed base', dashed: true },
      { key: 'completed', label: 'completed', values: padTo(col(scenario, 'completed'), n), className: 's-completed' },
      { key: 'b-failed', label: 'failed (baseline)', values: padTo(col(baseline, 'failed'), n), className: 's-failed base', dashed: true },
      { key: 'failed', label: 'failed', values: padTo(col(scenario, 'failed'), n), className: 's-failed' }
    ],
    [baseline, scenario, n]
  )
  // failures by cause of one run at a time (stacks do not overlay); the scenario by default
  const [failuresOf, setFailuresOf] = useState<'scenario' | 'baseline'>('scenario')
  const failures = useMemo(
    () =>
      CAUSES.filter(([c]) => (s?.totals.byCause as Record<string, number> | undefined)?.[c] || (b?.totals.byCause as Record<string, number> | undefined)?.[c]).map(([c, label], i) => ({
        key: c,
        label,
        values: padTo(col(failuresOf === 'scenario' ? scenario : baseline, `failed_${c}`), n),
        className: `cause-${i}`
      })),
    [scenario, baseline, failuresOf, n, s, b]
  )
  const queues: Series[] = useMemo(() => {
    const out: Series[] = []
    const names = new Set([...(scenario?.columnNames ?? []), ...(baseline?.columnNames ?? [])])
    if (names.has('proxy_scur') && (s?.haproxy || b?.haproxy)) {
      out.push({ key: 'b-scur', label: 'HAProxy sessions (baseline)', values: padTo(col(baseline, 'proxy_scur'), n), className: 's-scur base', dashed: true })
      out.push({ key: 'scur', label: 'HAProxy sessions', values: padTo(col(scenario, 'proxy_scur'), n), className: 's-scur' })
    }
    for (const name of names) {
      if (name.startsWith('acceptq:')) {
        out.push({ key: `b-${name}`, label: `accept queue ${name.slice(8)} (baseline)`, values: padTo(col(baseline, name), n), className: 's-acceptq base', dashed: true })
        out.push({ key: name, label: `accept queue ${name.slice(8)}`, values: padTo(col(scenario, name), n), className: 's-acceptq' })
      }
    }
    if (names.has('backend_queue')) out.push({ key: 'bq', label: 'backend queue', values: padTo(col(scenario, 'backend_queue'), n), className: 's-busy' })
    if (names.has('syn_sent')) out.push({ key: 'syn', label: 'clients in SYN-SENT', values: padTo(col(scenario, 'syn_sent'), n), className: 's-synsent' })
    if (names.has('syn_sent_upstream')) {
      const up = padTo(col(scenario, 'syn_sent_upstream'), n)
      if (up.some((v) => v > 0)) out.push({ key: 'syn-up', label: scenario?.summary.haproxy ? 'HAProxy connects in SYN-SENT' : 'nginx connects in SYN-SENT', values: up, className: 's-synsent-up' })
    }
    return out
  }, [baseline, scenario, n, s, b])
  const ports: Series[] = useMemo(
    () => [
      { key: 'b-tw', label: 'TIME_WAIT (baseline)', values: padTo(col(baseline, 'time_wait'), n), className: 's-offered base', dashed: true },
      { key: 'tw', label: 'TIME_WAIT', values: padTo(col(scenario, 'time_wait'), n), className: 's-offered' },
      { key: 'fp', label: 'free source ports', values: padTo(col(scenario, 'free_ports'), n), className: 's-completed' },
      { key: 'fd', label: 'open fds', values: padTo(col(scenario, 'open_fds'), n), className: 's-scur' }
    ],
    [baseline, scenario, n]
  )

  if (!s || !b) return <p className="muted">Waiting for the first runs…</p>
  return (
    <section className="compare" aria-label="baseline versus scenario" data-testid="compare">
      <div className="cards">
        <Card label="succeeded" base={pct(b.totals.ok, b.totals.requests)} scen={pct(s.totals.ok, s.totals.requests)} fmt={(v) => (Number.isFinite(v) ? `${v.toFixed(1)}%` : '–')} fmtDelta={(v) => `${v.toFixed(1)} pp`} better="up" testid="cmp-success" />
        <Card label="failed" base={b.totals.failed} scen={s.totals.failed} fmt={formatNumber} better="down" testid="cmp-failed" />
        <Card label="latency p99" base={b.latency.p99} scen={s.latency.p99} fmt={ms} better="down" testid="cmp-p99" />
        <Card label="connect p99" base={b.connect.p99} scen={s.connect.p99} fmt={ms} better="down" testid="cmp-connect" />
        <div className="card" data-testid="cmp-ceiling">
          <div className="card-label">first ceiling</div>
          <div className="card-value small">{s.verdict.ceiling}</div>
          <div className="card-sub">
            {s.verdict.atS !== null ? `at ${s.verdict.atS.toFixed(s.verdict.atS < 10 ? 1 : 0)} s, load ${formatNumber(Math.round(s.verdict.atLoad ?? NaN))}` : 'none hit'} · baseline {b.verdict.ceiling}
          </div>
        </div>
      </div>
      <p className="verdict-text" data-testid="cmp-verdict">
        {s.verdict.message}
      </p>
      <div ref={ref} className="charts">
        <TimeWindowBar window={tw.window} span={span} isUser={tw.isUser} hasAuto={tw.auto !== null} onZoom={tw.zoom} onFit={tw.reset} onWhole={tw.showWhole} />
        <TimeSeriesChart title="Throughput" yLabel="per second" width={width} height={240} t={t} series={flow} {...zoom} />
        {failures.length ? (
          <div className="failures-of">
            <div className="seg" role="group" aria-label="failures of which run">
              {(['scenario', 'baseline'] as const).map((k) => (
                <button key={k} type="button" className="small" aria-pressed={failuresOf === k} data-testid={`failures-of-${k}`} onClick={() => setFailuresOf(k)}>
                  {k} ({formatNumber((k === 'scenario' ? s : b)?.totals.failed ?? 0)} failed)
                </button>
              ))}
            </div>
            <StackedAreaChart title={`Failures by cause (${failuresOf})`} yLabel="per second" width={width} height={200} t={t} series={failures} {...zoom} />
          </div>
        ) : null}
        {queues.length ? (
          <TimeSeriesChart
            title="Sessions and queues"
            yLabel="connections"
            width={width}
            height={220}
            t={t}
            series={queues}
            limit={maxconn !== null ? { value: maxconn, label: `maxconn ${maxconn}` } : undefined}
            {...zoom}
          />
        ) : null}
        <TimeSeriesChart title="Ports, TIME_WAIT and fds" yLabel="count" width={width} height={200} t={t} series={ports} {...zoom} />
        <HistogramChart
          title="Connect time"
          width={width}
          height={200}
          series={[
            { key: 'base', label: 'baseline', bins: b.connect.bins, className: 's-offered' },
            { key: 'scen', label: 'scenario', bins: s.connect.bins, className: 's-scur' }
          ]}
        />
      </div>
    </section>
  )
}
