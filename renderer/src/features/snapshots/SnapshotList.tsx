/** Stored snapshots in the sidebar: open, rename, delete, export and import as JSON. */
import { useRef, useState } from 'react'
import { useSnapshots } from '../../state/snapshot-store'
import { downloadBlob } from '../../util/download'

export function SnapshotList({ selectedId, onSelect }: { selectedId: string | null; onSelect(id: string): void }) {
  const { list, listError, rename, remove, importJson, exportJson } = useSnapshots()
  const [renaming, setRenaming] = useState<string | null>(null)
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null)
  const fileRef = useRef<HTMLInputElement>(null)

  const download = async (id: string): Promise<void> => {
    const r = await exportJson(id)
    if (!r) return
    downloadBlob(r.fileName, r.json, 'application/json')
  }

  return (
    <div className="snapshot-list" data-testid="snapshot-list">
      {list.snapshots.length ? (
        <ul>
          {list.snapshots.map((s) => (
            <li key={s.id}>
              {renaming === s.id ? (
                <input
                  aria-label={`new name for ${s.name}`}
                  defaultValue={s.name}
                  autoFocus
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') {
                      const v = (e.target as HTMLInputElement).value.trim()
                      if (v) void rename(s.id, v)
                      setRenaming(null)
                    } else if (e.key === 'Escape') setRenaming(null)
                  }}
                  onBlur={() => setRenaming(null)}
                />
              ) : (
                <button type="button" className={selectedId === s.id ? 'active' : ''} onClick={() => onSelect(s.id)} data-testid={`snapshot-${s.name}`} title={`${s.host} · ${s.kernel ?? ''}`}>
                  {s.name}
                  {s.partial ? <span className="badge partial">partial</span> : null}
                  <span className="sub">{new Date(s.takenAt).toLocaleString()}</span>
                </button>
              )}
              {selectedId === s.id ? (
                <span className="row-actions">
                  <button type="button" className="small" onClick={() => setRenaming(s.id)}>
                    rename
                  </button>
                  <button type="button" className="small" onClick={() => void download(s.id)}>
                    export
                  </button>
                  {confirmDelete === s.id ? (
                    <button type="button" className="small danger" onClick={() => void remove(s.id).then(() => setConfirmDelete(null))}>
                      really delete
                    </button>
                  ) : (
                    <button type="button" className="small" onClick={() => setConfirmDelete(s.id)}>
                      delete
                    </button>
                  )}
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small-text">No snapshots yet.</p>
      )}
      {list.unreadable.map((u) => (
        <p key={u.file} className="error small-text">
          {u.file}: {u.error}
        </p>
      ))}
      {listError ? (
        <p className="error small-text" role="alert">
          {listError}
        </p>
      ) : null}
      <button type="button" className="small" onClick={() => fileRef.current?.click()}>
        import JSON…
      </button>
      <input
        ref={fileRef}
        type="file"
        accept="application/json,.json"
        hidden
        onChange={(e) => {
          const f = e.target.files?.[0]
          if (f)
            void f.text().then(async (t) => {
              const id = await importJson(t)
              if (id) onSelect(id)
            })
          e.target.value = ''
        }}
      />
    </div>
  )
}
