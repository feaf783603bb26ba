/**
 * Types of the `snapshot.*` API domain (types only: the renderer and the contract import
 * this file). Implemented by handlers.ts; argument schemas in api-schemas.ts.
 */
import type { Snapshot } from './schema'

/** What to snapshot and how. Secrets are used for this take only unless `remember` is set. */
export interface SnapshotTakeRequest {
  /** Alias from ~/.ssh/config, hostname or address. */
  host: string
  user?: string
  port?: number
  /** Seconds between the two counter samples (default 5). */
  sampleIntervalS?: number
  /** Run privileged reads through `sudo -n` (never prompts). */
  sudo?: boolean
  password?: string
  /** Private key text (OpenSSH or PEM) and its passphrase. */
  privateKey?: string
  passphrase?: string
  /** Remember password/passphrase in the OS keychain (Electron safeStorage only). */
  remember?: boolean
  haproxyConfigPath?: string
  haproxyStatsSocket?: string
  /** HAProxy stats page CSV URL (`http://host:8000/haproxy?stats;csv`), read from the server. */
  haproxyStatsUrl?: string
  nginxStatusUrl?: string
  phpFpmStatusUrl?: string
  name?: string
  commandTimeoutS?: number
}

export interface SnapshotTakeStarted {
  takeId: string
  /** Set when `remember` was asked but no OS keychain is available (browser host). */
  notice?: string
}

/** A stored snapshot, as listed. */
export interface SnapshotSummary {
  id: string
  name: string
  takenAt: string
  host: string
  hostName: string | null
  kind: Snapshot['source']['kind']
  partial: boolean
  problems: number
  kernel: string | null
  haproxyVersion: string | null
  nginxVersion: string | null
}

/** A file of the store that could not be read: listed with the reason, never modified. */
export interface SnapshotListEntryError {
  id: string
  file: string
  error: string
}

export interface SnapshotList {
  snapshots: SnapshotSummary[]
  unreadable: SnapshotListEntryError[]
}

export interface SnapshotExport {
  fileName: string
  json: string
}

export interface SnapshotChange {
  /** Dotted path in the comparable view: `sysctls.net.core.somaxconn`, `haproxy.frontend[fe].maxconn`. */
  path: string
  kind: 'changed' | 'added' | 'removed'
  before: string | number | boolean | null
  after: string | number | boolean | null
}

export interface SnapshotComparison {
  a: { id: string; name: string; takenAt: string }
  b: { id: string; name: string; takenAt: string }
  changes: SnapshotChange[]
  /** Unified diffs of raw config texts that differ (haproxy.cfg, nginx -T, php-fpm pools). */
  textDiffs: Array<{ path: string; patch: string }>
}

export type SnapshotStage = 'connecting' | 'discover' | 'configs' | 'sample' | 'saving'

export interface SnapshotProgressEvent {
  takeId: string
  host: string
  stage: SnapshotStage
  /** 0..1 */
  progress: number
}

export interface SnapshotDoneEvent {
  takeId: string
  summary: SnapshotSummary
  /** Set when the snapshot is partial because the session failed midway (sshd died, timeout). */
  warning?: string
}

export type SnapshotFailureKind =
  | 'dns'
  | 'refused'
  | 'unreachable'
  | 'timeout'
  | 'auth'
  | 'hostkey-unknown'
  | 'hostkey-changed'
  | 'hostkey-revoked'
  | 'permission'
  | 'connection-lost'
  | 'cancelled'
  | 'config'
  | 'protocol'
  | 'error'

export interface SnapshotFailedEvent {
  takeId: string
  host: string
  kind: SnapshotFailureKind
  message: string
  /** For 'hostkey-unknown': confirm this with snapshot.confirmHostKey, then take again. */
  hostKey?: { host: string; port: number; keyType: string; fingerprint: string }
}

export interface SnapshotHostKeyConfirmation {
  host: string
  port: number
  /** Must equal the fingerprint the server presented (`SHA256:...`). */
  fingerprint: string
}

export interface SnapshotFleetRequest extends Omit<SnapshotTakeRequest, 'host' | 'name' | 'remember'> {
  /** Hosts or aliases (a pasted list). */
  hosts?: string[]
  /** Or: aliases of ~/.ssh/config matching this pattern (`web-*`). */
  pattern?: string
  /** Parallel sessions (default 4, at most 32). */
  concurrency?: number
}

export interface SnapshotFleetStarted {
  fleetId: string
  hosts: string[]
}

export interface SnapshotFleetProgressEvent {
  fleetId: string
  host: string
  state: 'queued' | 'running' | 'done' | 'failed'
  stage?: SnapshotStage
  snapshotId?: string
  error?: { kind: SnapshotFailureKind; message: string }
}

export interface SnapshotFleetDoneEvent {
  fleetId: string
  results: Array<{ host: string; ok: boolean; snapshotId?: string; partial?: boolean; error?: { kind: SnapshotFailureKind; message: string } }>
  wallMs: number
}

/** The `snapshot` domain of the API contract. */
export interface SnapshotApi {
  take(req: SnapshotTakeRequest): Promise<SnapshotTakeStarted>
  cancel(id: string): Promise<{ cancelled: boolean }>
  confirmHostKey(c: SnapshotHostKeyConfirmation): Promise<{ added: boolean }>
  list(): Promise<SnapshotList>
  open(id: string): Promise<Snapshot>
  rename(id: string, name: string): Promise<SnapshotSummary>
  delete(id: string): Promise<{ deleted: boolean }>
  export(id: string): Promise<SnapshotExport>
  import(json: string): Promise<SnapshotSummary>
  compare(idA: string, idB: string): Promise<SnapshotComparison>
  fleet(req: SnapshotFleetRequest): Promise<SnapshotFleetStarted>
  sshHosts(): Promise<{ hosts: string[] }>
}

/** Events pushed by the `snapshot` domain. */
export interface SnapshotEvents {
  'snapshot.progress': SnapshotProgressEvent
  'snapshot.done': SnapshotDoneEvent
  'snapshot.failed': SnapshotFailedEvent
  'snapshot.fleetProgress': SnapshotFleetProgressEvent
  'snapshot.fleetDone': SnapshotFleetDoneEvent
}
