/**
 * Snapshot many hosts at once: a pasted list or a ~/.ssh/config pattern, in parallel with a
 * concurrency limit, with each host's progress and outcome.
 */
import { useEffect, useState } from 'react'
import { getApi } from '../../api'
import { useSnapshots } from '../../state/snapshot-store'
import type { SnapshotFleetDoneEvent, SnapshotFleetProgressEvent, SnapshotFleetRequest } from '../../../../main/snapshot/api-types'

type Row = Pick<SnapshotFleetProgressEvent, 'host' | 'state' | 'stage' | 'snapshotId' | 'error'>

export function FleetForm({ onOpen }: { onOpen(id: string): void }) {
  const refresh = useSnapshots((s) => s.refresh)
  const [hostsText, setHostsText] = useState('')
  const [pattern, setPattern] = useState('')
  const [concurrency, setConcurrency] = useState('4')
  const [interval, setIntervalS] = useState('5')
  const [fleetId, setFleetId] = useState<string | null>(null)
  const [rows, setRows] = useState<Row[]>([])
  const [wallMs, setWallMs] = useState<number | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    const api = getApi()
    const progress = (e: SnapshotFleetProgressEvent): void => {
      setRows((rs) => {
        const next = rs.filter((r) => r.host !== e.host)
        const row: Row = { host: e.host, state: e.state }
        if (e.stage) row.stage = e.stage
        if (e.snapshotId) row.snapshotId = e.snapshotId
        if (e.error) row.error = e.error
        const i = rs.findIndex((r) => r.host === e.host)
        next.splice(i < 0 ? next.length : i, 0, row)
        return next
      })
    }
    const done = (e: SnapshotFleetDoneEvent): void => {
      setWallMs(e.wallMs)
      setFleetId(null)
      fleetIdRef.current = null
      void refresh()
    }
    // Events can arrive before snapshot.fleet() has answered with the fleet's id (a host that
    // fails at once): keep them and replay them when the id is known.
    replay.current = (id) => {
      for (const ev of early.get(id) ?? []) (ev.kind === 'progress' ? progress(ev.e as SnapshotFleetProgressEvent) : done(ev.e as SnapshotFleetDoneEvent))
      early.clear()
    }
    const off1 = api.on('snapshot.fleetProgress', (e) => {
      if (e.fleetId === fleetIdRef.current) progress(e)
      else if (fleetIdRef.current === PENDING) early.set(e.fleetId, [...(early.get(e.fleetId) ?? []), { kind: 'progress', e }])
    })
    const off2 = api.on('snapshot.fleetDone', (e) => {
      if (e.fleetId === fleetIdRef.current) done(e)
      else if (fleetIdRef.current === PENDING) early.set(e.fleetId, [...(early.get(e.fleetId) ?? []), { kind: 'done', e }])
    })
    return () => {
      off1()
      off2()
    }
  }, [refresh])

  const start = async (e: React.FormEvent): Promise<void> => {
    e.preventDefault()
    const hosts = hostsText
      .split(/[\s,]+/)
      .map((h) => h.trim())
      .filter(Boolean)
    const c = Number(concurrency)
    const iv = Number(interval)
    const problems = [
      !hosts.length && !pattern.trim() ? 'paste hosts or give a ~/.ssh/config pattern' : null,
      hosts.length && pattern.trim() ? 'either a list or a pattern, not both' : null,
      !Number.isInteger(c) || c < 1 || c > 32 ? 'parallel sessions: 1 to 32' : null,
      !Number.isFinite(iv) || iv < 0 || iv > 600 ? 'the sampling interval is 0 to 600 seconds' : null
    ].filter((x): x is string => x !== null)
    if (problems.length) {
      setError(problems.join('; '))
      return
    }
    setError(null)
    setWallMs(null)
    const req: SnapshotFleetRequest = { concurrency: c, sampleIntervalS: iv }
    if (hosts.length) req.hosts = hosts
    else req.pattern = pattern.trim()
    try {
      fleetIdRef.current = PENDING
      setRows([])
      const r = await getApi().snapshot.fleet(req)
      fleetIdRef.current = r.fleetId
      setFleetId(r.fleetId)
      setRows(r.hosts.map((h) => ({ host: h, state: 'queued' as const })))
      replay.current?.(r.fleetId)
    } catch (err) {
      fleetIdRef.current = null
      setError((err as Error).message)
    }
  }

  return (
    <form className="connect" onSubmit={(e) => void start(e)} aria-label="snapshot many hosts" data-testid="fleet-form">
      <h2>Snapshot many hosts</h2>
      <div className="form-grid">
        <label htmlFor="fleet-hosts">hosts</label>
        <textarea id="fleet-hosts" rows={3} value={hostsText} onChange={(e) => setHostsText(e.target.value)} placeholder="web-01 web-02 10.0.0.7 (one per line or space separated)" />
        <label htmlFor="fleet-pattern">or a pattern</label>
        <input id="fleet-pattern" value={pattern} onChange={(e) => setPattern(e.target.value)} placeholder="web-* (aliases in ~/.ssh/config)" />
        <label htmlFor="fleet-c">parallel sessions</label>
        <input id="fleet-c" className="knob-number narrow" value={concurrency} onChange={(e) => setConcurrency(e.target.value)} />
        <label htmlFor="fleet-iv">counter sampling</label>
        <span>
          <input id="fleet-iv" className="knob-number narrow" value={interval} onChange={(e) => setIntervalS(e.target.value)} /> s
        </span>
      </div>
      <div className="run-bar">
        <button type="submit" className="primary" disabled={fleetId !== null}>
          Snapshot all
        </button>
        {fleetId ? (
          <button type="button" onClick={() => void getApi().snapshot.cancel(fleetId)}>
            Cancel
          </button>
        ) : null}
        {wallMs !== null ? <span className="muted">done in {(wallMs / 1000).toFixed(1)} s</span> : null}
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {rows.length ? (
        <table className="facts" aria-label="hosts">
          <tbody>
            {rows.map((r) => (
              <tr key={r.host} data-testid={`fleet-${r.host}`}>
                <td>{r.host}</td>
                <td className={r.state === 'failed' ? 'error' : ''}>{r.state === 'running' ? (r.stage ?? 'running') : r.state}</td>
                <td>
                  {r.error ? r.error.message : null}
                  {r.snapshotId ? (
                    <button type="button" className="link" onClick={() => onOpen(r.snapshotId!)}>
                      open
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </form>
  )
}

const PENDING = 'pending'
const fleetIdRef: { current: string | null } = { current: null }
const early = new Map<string, { kind: 'progress' | 'done'; e: unknown }[]>()
const replay: { current: ((id: string) => void) | null } = { current: null }
