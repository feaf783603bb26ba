/**
 * Snapshots on disk: one `<id>.snapshot.json` per snapshot in `<userDataDir>/snapshots`.
 * Writes are atomic (temp file in the same folder, fsync, rename), so a crash never leaves a
 * half-written snapshot. A file that does not parse is reported with a clear error and never
 * modified or deleted by list/open/rename.
 */
import { redactSnapshot } from './redact'
import { randomBytes, randomUUID } from 'node:crypto'
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseSnapshot, type Snapshot } from './schema'
import type { SnapshotList, SnapshotSummary } from './api-types'

export class StoreError extends Error {
  constructor(
    readonly code: 'not-found' | 'corrupt' | 'invalid' | 'bad-id',
    message: string
  ) {
    super(message)
    this.name = 'StoreError'
  }
}

const ID_RE = /^[A-Za-z0-9._-]{1,128}$/
const SUFFIX = '.snapshot.json'

/** Summary of a snapshot for lists. */
export function summarize(s: Snapshot): SnapshotSummary {
  return {
    id: s.id,
    name: s.name,
    takenAt: s.takenAt,
    host: s.source.host,
    hostName: s.source.hostName,
    kind: s.source.kind,
    partial: s.partial,
    problems: s.problems.length,
    kernel: s.host.kernelRelease.ok ? s.host.kernelRelease.value : null,
    haproxyVersion: s.haproxy?.version.ok ? s.haproxy.version.value.version : null,
    nginxVersion: s.nginx?.version.ok ? s.nginx.version.value : null
  }
}

/** Write a file atomically: temp file in the same directory, fsync, rename over the target. */
export function writeFileAtomic(path: string, data: string): void {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    writeSync(fd, data)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    renameSync(tmp, path)
  } catch (e) {
    try {
      unlinkSync(tmp)
    } catch {
      // nothing left to clean
    }
    throw e
  }
}

export class SnapshotStore {
  readonly dir: string
  constructor(userDataDir: string) {
    this.dir = join(userDataDir, 'snapshots')
  }

  private path(id: string): string {
    if (!ID_RE.test(id)) throw new StoreError('bad-id', `bad snapshot id ${JSON.stringify(id)}`)
    return join(this.dir, `${id}${SUFFIX}`)
  }

  /** Save (create or replace) atomically. */
  save(snap: Snapshot): SnapshotSummary {
    // secrets in configuration texts never reach the disk (main/snapshot/redact.ts)
    const s = redactSnapshot(snap)
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    writeFileAtomic(this.path(s.id), `${JSON.stringify(s, null, 1)}\n`)
    return summarize(s)
  }

  /** Read and validate; corrupt files are reported, never touched. */
  open(id: string): Snapshot {
    const p = this.path(id)
    if (!existsSync(p)) throw new StoreError('not-found', `no snapshot ${id}`)
    let json: unknown
    try {
      json = JSON.parse(readFileSync(p, 'utf8'))
    } catch (e) {
      throw new StoreError('corrupt', `snapshot file ${p} is not valid JSON (${(e as Error).message}); it was left untouched`)
    }
    const r = parseSnapshot(json)
    if (!r.ok) throw new StoreError('corrupt', `snapshot file ${p} is not a readable snapshot: ${r.error}; it was left untouched`)
    // a file written before redaction existed: served redacted (the file itself is left as it is)
    return redactSnapshot(r.snapshot)
  }

  list(): SnapshotList {
    const out: SnapshotList = { snapshots: [], unreadable: [] }
    if (!existsSync(this.dir)) return out
    for (const f of readdirSync(this.dir).sort()) {
      if (!f.endsWith(SUFFIX)) continue
      const id = f.slice(0, -SUFFIX.length)
      try {
        out.snapshots.push(summarize(this.open(id)))
      } catch (e) {
        out.unreadable.push({ id, file: join(this.dir, f), error: (e as Error).message })
      }
    }
    out.snapshots.sort((a, b) => b.takenAt.localeCompare(a.takenAt))
    return out
  }

  rename(id: string, name: string): SnapshotSummary {
    const s = this.open(id)
    return this.save({ ...s, name })
  }

  delete(id: string): boolean {
    const p = this.path(id)
    if (!existsSync(p)) return false
    unlinkSync(p)
    return true
  }

  /** The snapshot's JSON, pretty-printed, and a file name for it. */
  export(id: string): { fileName: string; json: string } {
    const s = this.open(id)
    const safe = s.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || s.id
    return { fileName: `${safe}${SUFFIX}`, json: `${JSON.stringify(s, null, 2)}\n` }
  }

  /** Import JSON text (migrated if older); a clashing id gets a fresh one. */
  import(text: string): SnapshotSummary {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (e) {
      throw new StoreError('invalid', `not JSON: ${(e as Error).message}`)
    }
    const r = parseSnapshot(json)
    if (!r.ok) throw new StoreError('invalid', r.error)
    let s = r.snapshot
    if (!ID_RE.test(s.id) || existsSync(this.path(ID_RE.test(s.id) ? s.id : 'x'))) s = { ...s, id: `import-${randomUUID()}` }
    return this.save(s)
  }
}
