/**
 * A tuning plan (`headroom-plan/1`): every knob the chosen what-if scenario changes on the
 * snapshotted server, where it is applied, the predicted effect, the files and scripts that
 * apply / roll it back, and how to verify it. PURE types (the renderer shows plans as they are).
 */
import type { Finding } from '../diagnosis/types'

export type PlanItemKind = 'sysctl' | 'haproxy' | 'systemd' | 'nginx' | 'php-fpm' | 'manual'

/** What has to happen after a file change for it to take effect. */
export type PlanAction =
  | 'sysctl -w'
  | 'reload haproxy'
  | 'restart haproxy'
  | 'systemctl daemon-reload'
  | 'reload nginx'
  | 'restart nginx'
  | 'restart php-fpm'
  | 'manual'

export interface PlanItem {
  /** Stable id: `sysctl:net.core.somaxconn`, `haproxy:global.maxconn`, `haproxy:server.sms_app/web03.maxconn`... */
  id: string
  kind: PlanItemKind
  /** Human label (`net.core.somaxconn`, `HAProxy global maxconn`). */
  knob: string
  /** Dotted scenario path the value comes from. */
  scenarioPath: string
  /** Value on the server now (from the snapshot; baseline scenario when the snapshot lacks it). */
  old: string
  new: string
  /** Where it is applied (file path, and `sysctl -w` for live kernel values). */
  appliedIn: string
  /** What must happen for it to take effect. */
  actions: PlanAction[]
  /** Findings (ids) this item answers. */
  findings: string[]
  /** Notes for the reviewer (e.g. a later sysctl file that the plan comments out). */
  notes: string[]
}

export interface PlanFile {
  /** Path inside the exported bundle (`files/etc/sysctl.d/90-headroom.conf`). */
  bundlePath: string
  /** Absolute path on the server. */
  target: string
  /** Full new content. */
  content: string
  /** The server's current text (from the snapshot) when the plan edits an existing file; null for new files. */
  original: string | null
  /** Unified diff against `original` (for new files: against /dev/null). */
  diff: string
}

export interface CheckItem {
  /** Plan item ids it verifies ('' for the overall checks). */
  items: string[]
  what: string
  command: string
  expect: string
}

/** Digest of one simulation for the plan (baseline or scenario). */
export interface PredictionDigest {
  scenarioName: string
  seed: number
  requests: number
  ok: number
  failed: number
  /** Requests neither ok nor failed when the run ended (still connecting / in flight). */
  unfinished: number
  successPct: number
  byCause: Record<string, number>
  p50Ms: number
  p99Ms: number
  connectP99Ms: number
  ceiling: string
  ceilingAtS: number | null
  ceilingAtLoad: number | null
  verdict: string
  /** Per-second series for the charts (downsampled to at most 600 points), when columns were given. */
  series: { t: number[]; offered: number[]; completed: number[]; failed: number[] } | null
}

export interface Plan {
  format: 'headroom-plan/1'
  id: string
  createdAt: string
  host: string
  snapshotId: string
  snapshotName: string
  snapshotTakenAt: string
  baselineName: string
  scenarioName: string
  items: PlanItem[]
  /** Items the plan cannot apply by file (other hosts, versions, workload); listed for the reviewer. */
  manual: PlanItem[]
  /** The baseline snapshot's findings (diagnosis), in order of impact. */
  findings: Finding[]
  files: PlanFile[]
  /** Unified diff of haproxy.cfg (also in `files`), or null when HAProxy is unchanged. */
  haproxyDiff: string | null
  applySh: string
  rollbackSh: string
  checklist: CheckItem[]
  prediction: { baseline: PredictionDigest | null; scenario: PredictionDigest | null }
  /** Kernel counter rates (per second) in the baseline snapshot that motivated the plan (non-zero ones). */
  motivation: { counter: string; perS: number }[]
  /** Service units the scripts reload/restart. */
  services: { haproxy: string | null; nginx: string | null; phpFpm: string | null }
  notes: string[]
}
