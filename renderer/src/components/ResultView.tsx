/** A finished run: summary cards, the verdict, and the charts. */
import { useMemo } from 'react'
import { abStopText, type HaproxyStatRow, type SimResult } from '../../../simulator/result'
import { TimeSeriesChart, formatNumber, type Series } from '../charts/TimeSeriesChart'
import { useWidth } from './useSize'
import { useTimeWindow } from '../charts/time-window'
import { TimeWindowBar } from '../charts/TimeWindowBar'

const CAUSE_LABEL: Record<string, string> = {
  connect_timeout: 'connect timeout',
  timeout: 'request timeout',
  reset: 'connection reset',
  http502: 'HTTP 502',
  http503: 'HTTP 503',
  http504: 'HTTP 504',
  http408: 'HTTP 408',
  no_port: 'no free port'
}

const CEILING_LABEL: Record<string, string> = {
  none: 'no ceiling hit',
  'proxy-not-started': 'HAProxy refused to start',
  'syn-queue': 'SYN queue',
  'accept-queue': 'listen (accept) queue',
  'haproxy-maxconn': 'HAProxy maxconn',
  'haproxy-fd': 'HAProxy fd limit',
  'server-maxconn': 'server maxconn',
  'backend-queue': 'queue 503s',
  'backend-workers': 'backend workers',
  'backend-cpu': 'backend CPU',
  'php-fpm-backlog': 'php-fpm socket backlog',
  'source-ports': 'proxy source ports',
  'client-ports': 'client ports',
  'tw-recycle': 'tcp_tw_recycle SYN drops',
  'fd-limit': 'fd limit',
  'servers-down': 'every server DOWN',
  'check-timeout': 'health checks timed out'
}

/** Columns whose last non-zero second ends the default ("fit activity") time window. */
export const ACTIVITY = ['offered', 'completed', 'failed', 'proxy_scur', 'syn_sent', 'busy_workers']

function pct(n: number, d: number): string {
  return d > 0 ? `${((100 * n) / d).toFixed(d >= 1000 ? 2 : 1)}%` : '–'
}

export function ResultView({ result, maxconn }: { result: SimResult; maxconn: number | null }) {
  const [ref, outer] = useWidth<HTMLDivElement>()
  // the figure's padding and border take 18 px of the container
  const width = Math.max(300, outer - 18)
  const s = result.summary
  const t = result.col('t')
  const flow: Series[] = useMemo(
    () => [
      { key: 'offered', label: 'offered', values: result.col('offered'), className: 's-offered', dashed: true },
      { key: 'completed', label: 'completed', values: result.col('completed'), className: 's-completed' },
      { key: 'failed', label: 'failed', values: result.col('failed'), className: 's-failed' }
    ],
    [result]
  )
  const queues: Series[] = useMemo(() => {
    const out: Series[] = []
    if (result.columns['proxy_scur'] && s.haproxy) out.push({ key: 'scur', label: 'HAProxy sessions', values: result.col('proxy_scur'), className: 's-scur' })
    for (const name of result.columnNames) {
      if (name.startsWith('acceptq:')) out.push({ key: name, label: `accept queue ${name.slice(8)}`, values: result.col(name), className: 's-acceptq' })
    }
    if (result.columns['syn_sent']) out.push({ key: 'syn_sent', label: 'clients in SYN-SENT', values: result.col('syn_sent'), className: 's-synsent', dashed: true })
    const up = result.columns['syn_sent_upstream'] ? result.col('syn_sent_upstream') : null
    if (up && up.some((v) => v > 0)) out.push({ key: 'syn_sent_up', label: s.haproxy ? 'HAProxy connects in SYN-SENT' : 'nginx connects in SYN-SENT', values: up, className: 's-synsent-up', dashed: true })
    if (result.columns['busy_workers']) out.push({ key: 'busy', label: 'busy workers', values: result.col('busy_workers'), className: 's-busy' })
    if (result.columns['cpu_runnable']) out.push({ key: 'cpu', label: 'workers on or waiting for a CPU', values: result.col('cpu_runnable'), className: 's-busy', dashed: true })
    return out
  }, [result, s.haproxy])
  const causes = Object.entries(s.totals.byCause).filter(([, n]) => n > 0)
  const activity = useMemo(() => ACTIVITY.map((c) => result.columns[c]), [result])
  const tw = useTimeWindow(t, activity)
  const span: [number, number] = [t.length ? t[0] : 0, t.length ? Math.max(t[t.length - 1], 1) : 1]
  const zoom = { window: tw.window, onZoom: tw.zoom, onResetZoom: tw.reset }

  return (
    <section className="result" aria-label="simulation result" data-testid="result">
      {result.preview ? <p className="badge preview">preview</p> : null}
      <div className="cards">
        <div className="card" data-testid="card-requests">
          <div className="card-label">requests</div>
          <div className="card-value">{formatNumber(s.totals.requests)}</div>
        </div>
        <div className="card ok" data-testid="card-success">
          <div className="card-label">succeeded</div>
          <div className="card-value">{pct(s.totals.ok, s.totals.requests)}</div>
          <div className="card-sub">{formatNumber(s.totals.ok)} ok</div>
        </div>
        <div className={`card ${s.totals.failed > 0 ? 'bad' : ''}`} data-testid="card-failed">
          <div className="card-label">failed</div>
          <div className="card-value" data-testid="failed-count">{formatNumber(s.totals.failed)}</div>
          <div className="card-sub">{causes.length ? causes.map(([c, n]) => `${CAUSE_LABEL[c] ?? c} ${formatNumber(n)}`).join(' · ') : 'none'}</div>
        </div>
        <div className="card" data-testid="card-latency">
          <div className="card-label">latency p50 / p99</div>
          <div className="card-value">
            {formatMs(s.latency.p50)} / {formatMs(s.latency.p99)}
          </div>
          <div className="card-sub">
            connect p99 {formatMs(s.connect.p99)} · SYN retried {pct(s.totals.synRetryShare, 1)} of connected
          </div>
        </div>
      </div>
      <div className={`verdict ${s.verdict.ceiling === 'none' ? 'clear' : 'hit'}`} data-testid="verdict">
        <strong>First ceiling: {CEILING_LABEL[s.verdict.ceiling] ?? s.verdict.ceiling}</strong>
        {s.verdict.atS !== null ? (
          <span>
            {' '}
            at t = {s.verdict.atS.toFixed(s.verdict.atS < 10 ? 1 : 0)} s{s.verdict.atLoad !== null ? `, load ${formatNumber(Math.round(s.verdict.atLoad))}` : ''}
          </span>
        ) : null}
        <p>{s.verdict.message}</p>
        {s.ab && s.ab.stoppedAtS !== null && s.ab.reason && s.ab.reason !== 'done' ? (
          <p data-testid="ab-stopped">
            ApacheBench {s.ab.reason === 'time-limit' ? 'stopped at' : 'gave up:'} {abStopText(s.ab.reason, s.ab.silenceS)} at t = {s.ab.stoppedAtS.toFixed(1)} s. The{' '}
            {formatNumber(s.totals.requests - s.ab.done)} requests of its -n it had not completed count as failed.
          </p>
        ) : null}
      </div>
      <div ref={ref} className="charts">
        <TimeWindowBar window={tw.window} span={span} isUser={tw.isUser} hasAuto={tw.auto !== null} onZoom={tw.zoom} onFit={tw.reset} onWhole={tw.showWhole} />
        <TimeSeriesChart title="Throughput" yLabel="per second" width={width} height={260} t={t} series={flow} {...zoom} />
        {queues.length ? (
          <TimeSeriesChart
            title="Sessions and queues"
            yLabel="connections"
            width={width}
            height={220}
            t={t}
            series={queues}
            limit={maxconn !== null && s.haproxy ? { value: maxconn, label: `maxconn ${maxconn}` } : undefined}
            {...zoom}
          />
        ) : null}
      </div>
      <CountersTable result={result} />
      <HaproxyStatsTable result={result} />
    </section>
  )
}

function formatSeconds(s: number): string {
  return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`
}

function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–'
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10000 ? 0 : 1)} s` : `${Math.round(ms)} ms`
}

/** What each simulated kernel counter counts (shared/semantics.md), one line for the table. */
export const COUNTER_MEANING: Record<string, string> = {
  ListenOverflows: 'SYNs and final ACKs dropped because an accept queue was full (B+1 waiting)',
  ListenDrops: 'every SYN or ACK dropped at a listener: accept-queue overflows, SYN-queue drops, the 3/4 rule, PAWS',
  TCPReqQFullDrop: 'SYNs dropped at a full SYN queue with syncookies off',
  TCPReqQFullDoCookies: 'SYNs answered with a cookie because the SYN queue was full (or syncookies=2)',
  SyncookiesSent: 'SYN-ACKs sent as syncookies (no request sock kept)',
  EmbryonicRsts: 'request socks reset before the handshake completed: tcp_abort_on_overflow, or callers that gave up connecting',
  TCPSynRetrans: 'SYN and SYN-ACK retransmissions sent by this host',
  TCPTimeWaitOverflow: 'TIME_WAIT sockets not kept because tcp_max_tw_buckets was reached',
  PAWSPassive: 'SYNs dropped by the tcp_tw_recycle timestamp check (clients behind NAT)'
}

/** HAProxy's `show stat` as the simulator ends the run: frontend, backend and each server. */
function HaproxyStatsTable({ result }: { result: SimResult }) {
  const h = result.summary.haproxy
  if (!h || !h.started) return null
  const rows = [h.frontend, h.backend, ...h.servers]
  const checks = rows.some((r) => r.status !== undefined)
  const cols: [keyof HaproxyStatRow, string][] = [
    ['smax', 'smax'],
    ['stot', 'stot'],
    ['qmax', 'qmax'],
    ['econ', 'econ'],
    ['wretr', 'wretr'],
    ['wredis', 'wredis'],
    ['hrsp_5xx', '5xx'],
    ...(checks ? ([['chkfail', 'chkfail'], ['chkdown', 'chkdown'], ['downtime', 'downtime (s)']] as [keyof HaproxyStatRow, string][]) : [])
  ]
  return (
    <table className="counters" aria-label="HAProxy stats">
      <thead>
        <tr>
          <th>HAProxy</th>
          {checks ? <th>status</th> : null}
          {checks ? <th title="the last check's outcome: L4OK, L4TOUT (its SYNs dropped by a full listen queue until the check's timeout), L4CON (refused); option httpchk: L7OK, L7TOUT (answered too late), L7STS (an error status), SOCKERR (reset)">last check</th> : null}
          {cols.map(([, l]) => (
            <th key={l} className="num">
              {l}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.svname} className={r.status === 'DOWN' ? 'down' : undefined}>
            <td>{r.svname}</td>
            {checks ? <td>{r.status === undefined ? '' : r.lastchg !== undefined ? `${r.status} at ${formatSeconds(result.summary.simulatedS - r.lastchg)}` : r.status}</td> : null}
            {checks ? <td>{r.check_status ?? ''}</td> : null}
            {cols.map(([k, l]) => (
              <td key={l} className="num">
                {r.svname === 'FRONTEND' && k !== 'smax' && k !== 'stot' && k !== 'hrsp_5xx' ? '' : typeof r[k] === 'number' ? formatNumber(r[k] as number) : ''}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function CountersTable({ result }: { result: SimResult }) {
  const k = result.summary.kernel
  const rows: [string, string, number][] = []
  for (const host of ['proxy', 'backend'] as const) {
    const c = k[host]
    if (!c) continue
    for (const [name, v] of Object.entries(c)) if (typeof v === 'number' && v > 0) rows.push([host, name, v])
  }
  if (!rows.length) return null
  return (
    <table className="counters" aria-label="kernel counters">
      <thead>
        <tr>
          <th>host</th>
          <th>TcpExt counter</th>
          <th>simulated delta</th>
          <th>what it counts</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([h, n, v]) => (
          <tr key={`${h}-${n}`}>
            <td>{h}</td>
            <td>{n}</td>
            <td>{formatNumber(v)}</td>
            <td className="muted">{COUNTER_MEANING[n] ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
