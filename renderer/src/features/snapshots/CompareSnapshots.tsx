/** What changed between two snapshots: settings and counters by path, and config text diffs. */
import { useState } from 'react'
import { getApi } from '../../api'
import { useSnapshots } from '../../state/snapshot-store'
import type { SnapshotComparison } from '../../../../main/snapshot/api-types'

export function CompareSnapshots({ id }: { id: string }) {
  const list = useSnapshots((s) => s.list.snapshots)
  const [other, setOther] = useState('')
  const [cmp, setCmp] = useState<SnapshotComparison | null>(null)
  const [error, setError] = useState<string | null>(null)
  const others = list.filter((s) => s.id !== id)
  if (!others.length) return null
  return (
    <section className="compare-snapshots" aria-label="compare snapshots">
      <div className="run-bar">
        <label>
          compare with{' '}
          <select value={other} onChange={(e) => setOther(e.target.value)} aria-label="snapshot to compare with" data-testid="compare-with">
            <option value="">choose…</option>
            {others.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          disabled={!other}
          data-testid="compare-go"
          onClick={() =>
            void getApi()
              .snapshot.compare(other, id)
              .then((c) => {
                setCmp(c)
                setError(null)
              })
              .catch((err: unknown) => setError((err as Error).message))
          }
        >
          What changed
        </button>
      </div>
      {error ? <p className="error">{error}</p> : null}
      {cmp ? (
        <>
          <p className="muted">
            {cmp.changes.length} change(s) from “{cmp.a.name}” to “{cmp.b.name}”
          </p>
          <table className="facts" data-testid="compare-table">
            <thead>
              <tr>
                <th>what</th>
                <th>before</th>
                <th>after</th>
              </tr>
            </thead>
            <tbody>
              {cmp.changes.slice(0, 300).map((c) => (
                <tr key={c.path}>
                  <td>
                    <code>{c.path}</code>
                  </td>
                  <td>{c.before === null ? '–' : String(c.before)}</td>
                  <td className="changed">{c.after === null ? '–' : String(c.after)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {cmp.textDiffs.map((d) => (
            <details key={d.path}>
              <summary>{d.path}</summary>
              <pre className="hr-diff">{d.patch}</pre>
            </details>
          ))}
        </>
      ) : null}
    </section>
  )
}
