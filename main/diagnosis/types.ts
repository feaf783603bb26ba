/**
 * Diagnosis findings: what is wrong on a snapshotted server, why, and what to change.
 * PURE types (no node imports): the renderer shows them as they are.
 */

export type Severity = 'critical' | 'warning' | 'info'
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info']

/** One value a rule read, with where it came from (command, file:line, counter). */
export interface Evidence {
  label: string
  value: string
  source: string
}

export interface Finding {
  /** Stable rule id (e.g. `haproxy-maxconn-reached`); one finding per rule per snapshot. */
  id: string
  severity: Severity
  title: string
  evidence: Evidence[]
  /** One paragraph: what the kernel / HAProxy really does here (shared/semantics.md). */
  mechanism: string
  /** A concrete change (knob and value, or what to check next). */
  fix: string
  /** 1 = highest impact; findings are sorted by it. */
  impactRank: number
  /** Internal impact score the rank is derived from (higher = worse). */
  score: number
  /** Scenario knobs (dotted paths) the fix changes; the plan links its items to findings by them. */
  knobs: string[]
}

export interface Diagnosis {
  snapshotId: string
  snapshotName: string
  host: string
  /** Sorted by impact (impactRank 1 first). */
  findings: Finding[]
  /** Items the rules wanted but the snapshot lacked (so an absent finding is not a clean bill). */
  unknown: string[]
  /** Set when a simulation of the snapshot informed the ranking. */
  simulated: { ceiling: string; atS: number | null; failedShare: number } | null
}
