/**
 * One snapshot: every limit next to its usage (listen queues, HAProxy sessions, fds, source
 * ports, system files), the counters that moved between the two samples, what could not be
 * read, and the way into the what-if workbench with this server as the baseline.
 */
import type { Item, Snapshot } from '../../../../main/snapshot/schema'
import { CompareSnapshots } from './CompareSnapshots'

function val<T>(it: Item<T> | undefined | null): T | undefined {
  return it && it.ok ? it.value : undefined
}

interface Usage {
  what: string
  used: number
  limit: number
  note: string
}

function Bar({ u }: { u: Usage }) {
  const share = u.limit > 0 ? Math.min(1, u.used / u.limit) : 0
  const level = share >= 0.9 ? 'bad' : share >= 0.7 ? 'warn' : 'ok'
  return (
    <tr data-testid={`usage-${u.what}`}>
      <td>{u.what}</td>
      <td className="num">{u.used.toLocaleString()}</td>
      <td className="num">{u.limit.toLocaleString()}</td>
      <td>
        <svg width="120" height="10" role="img" aria-label={`${Math.round(share * 100)}% used`}>
          <rect width="120" height="10" className="bar-bg" />
          <rect width={Math.max(1, 120 * share)} height="10" className={`bar-fill ${level}`} />
        </svg>{' '}
        {Math.round(share * 100)}%
      </td>
      <td className="muted">{u.note}</td>
    </tr>
  )
}

export function usages(s: Snapshot): Usage[] {
  const out: Usage[] = []
  for (const l of val(s.sockets.listeners) ?? []) {
    const proc = l.processes.map((p) => p.name).join(',') || '?'
    out.push({ what: `accept queue ${l.localAddr}:${l.localPort} (${proc})`, used: l.recvQ, limit: l.sendQ + 1, note: `Recv-Q now vs backlog ${l.sendQ} + 1` })
  }
  for (const l of val(s.sockets.unixListeners) ?? []) {
    out.push({ what: `accept queue ${l.path}`, used: l.recvQ, limit: l.sendQ + 1, note: `unix socket, backlog ${l.sendQ} + 1` })
  }
  const stat = s.haproxy ? val(s.haproxy.stat) : undefined
  for (const r of stat?.rows ?? []) {
    if (r['svname'] !== 'FRONTEND' && r['svname'] !== 'BACKEND' && typeof r['slim'] === 'number' && (r['slim'] as number) > 0) {
      out.push({ what: `server ${r['pxname']}/${r['svname']} sessions`, used: Number(r['scur'] ?? 0), limit: Number(r['slim']), note: `smax ${r['smax']}` })
    }
    if (r['svname'] === 'FRONTEND' && typeof r['slim'] === 'number') {
      out.push({ what: `frontend ${r['pxname']} sessions`, used: Number(r['scur'] ?? 0), limit: Number(r['slim']), note: `smax ${r['smax']} (at slim: the listener pauses, the kernel queue fills)` })
    }
  }
  const info = s.haproxy ? val(s.haproxy.info) : undefined
  if (info && typeof info['Maxconn'] === 'number') {
    out.push({ what: 'HAProxy process connections', used: Number(info['CurrConns'] ?? 0), limit: Number(info['Maxconn']), note: `global maxconn; Maxsock ${info['Maxsock']}, Ulimit-n ${info['Ulimit-n']}` })
  }
  for (const p of val(s.limits.processes) ?? []) {
    const lim = val(p.limits)?.nofile.soft
    const fds = val(p.fdCount)
    if (typeof lim === 'number' && fds !== undefined) out.push({ what: `fds ${p.comm} [${p.pid}]`, used: fds, limit: lim, note: p.uid === 0 ? 'runs as root' : `uid ${p.uid}` })
  }
  const range = val(s.sysctls.values['net.ipv4.ip_local_port_range'])
  const conns = val(s.sockets.connections)
  if (range && range.numbers.length >= 2 && conns) {
    const ports = range.numbers[1] - range.numbers[0] + 1
    for (const tw of [...conns.timeWaitByRemote].sort((a, b) => b.count - a.count).slice(0, 5)) {
      out.push({ what: `TIME_WAIT to ${tw.addr}:${tw.port}`, used: tw.count, limit: ports, note: `≈ ${Math.round(ports / 60)} new conn/s sustainable to it without reuse (if this host closes first)` })
    }
  }
  const fileNr = val(s.sysctls.values['fs.file-nr'])
  if (fileNr && fileNr.numbers.length >= 3) out.push({ what: 'system open files', used: fileNr.numbers[0], limit: fileNr.numbers[2], note: 'fs.file-nr vs fs.file-max (ENFILE beyond)' })
  return out
}

const COUNTERS = ['TcpExtListenOverflows', 'TcpExtListenDrops', 'TcpExtTCPReqQFullDrop', 'TcpExtTCPReqQFullDoCookies', 'TcpExtSyncookiesSent', 'TcpExtTCPTimeWaitOverflow', 'TcpExtEmbryonicRsts', 'TcpPassiveOpens', 'TcpActiveOpens']

export function SnapshotView({ snapshot, onWhatIf }: { snapshot: Snapshot; onWhatIf(): void }) {
  const s = snapshot
  const rates = val(s.counters.rates)
  const us = usages(s)
  return (
    <section className="snapshot-view" data-testid="snapshot-view">
      <div className="run-bar">
        <button type="button" className="primary" onClick={onWhatIf} data-testid="snapshot-whatif">
          What-if from this server
        </button>
        <span className="muted">
          taken {new Date(s.takenAt).toLocaleString()} in {s.durationS.toFixed(1)} s from {s.source.host}
          {s.partial ? ' · partial' : ''}
        </span>
      </div>
      <table className="facts" aria-label="host">
        <tbody>
          <tr>
            <td>host</td>
            <td>{val(s.host.hostname) ?? '?'}</td>
            <td>kernel</td>
            <td>{val(s.host.kernelRelease) ?? '?'}</td>
            <td>distribution</td>
            <td>{val(s.host.distro)?.prettyName ?? '?'}</td>
          </tr>
          <tr>
            <td>CPUs</td>
            <td>{val(s.host.cpus) ?? '?'}</td>
            <td>memory</td>
            <td>{val(s.host.memTotalKiB) !== undefined ? `${Math.round(val(s.host.memTotalKiB)! / 1024)} MiB` : '?'}</td>
            <td>HAProxy</td>
            <td>{s.haproxy ? (val(s.haproxy.version)?.version ?? 'unreadable') : 'not present'}</td>
          </tr>
        </tbody>
      </table>
      <h3>Limits next to their usage</h3>
      <table className="usage" aria-label="limits and usage">
        <thead>
          <tr>
            <th>what</th>
            <th>used</th>
            <th>limit</th>
            <th />
            <th>note</th>
          </tr>
        </thead>
        <tbody>
          {us.map((u) => (
            <Bar key={u.what} u={u} />
          ))}
        </tbody>
      </table>
      <h3>Kernel counters between the two samples</h3>
      {rates ? (
        <table className="counters" aria-label="counter rates">
          <thead>
            <tr>
              <th>counter</th>
              <th>delta</th>
              <th>per second</th>
            </tr>
          </thead>
          <tbody>
            {COUNTERS.filter((c) => c in rates.delta).map((c) => (
              <tr key={c} className={rates.delta[c]! > 0 && /Overflows|Drops|Drop$|Overflow$/.test(c) ? 'rising' : ''}>
                <td>{c}</td>
                <td>{rates.delta[c]!.toLocaleString()}</td>
                <td>{(rates.perS[c] ?? 0).toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">Counter rates unavailable (one of the two samples failed).</p>
      )}
      {s.source.kind !== 'demo' ? <CompareSnapshots id={s.id} /> : null}
      {s.problems.length ? (
        <>
          <h3>Not read</h3>
          <ul className="problems" data-testid="snapshot-problems">
            {s.problems.map((p) => (
              <li key={p.item}>
                <code>{p.item}</code>: {p.error} {p.detail ? <span className="muted">({p.detail})</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  )
}
