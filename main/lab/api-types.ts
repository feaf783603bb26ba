/**
 * Types of the `lab.*` API domain (types only; the renderer imports them). The workbench shows
 * saved lab runs (resources/lab: real kernel + HAProxy + nginx in network namespaces) next to
 * the simulator's prediction of the same scenario, metric by metric and as overlaid series.
 */
import type { Scenario } from '../../simulator/scenario'

export interface LabCaseInfo {
  id: string
  family: string
  description: string
  runs: number
  /** Kernel, HAProxy, nginx... versions of the machine that measured it. */
  measuredOn: Record<string, string>
}

export type LabMeasured = { mean: number; min: number; max: number } | { value: boolean | string }

export interface LabCompareRow {
  key: string
  measured: LabMeasured
  predicted: number | boolean | null
  error: number | null
  relError: number | null
  /** Tolerance band from shared/fidelity/README.md (null = exact). */
  lo: number | null
  hi: number | null
  ok: boolean
  scored: boolean
}

export interface LabSeries {
  name: string
  measured: { t: number[]; v: number[] }
  simulated: { t: number[]; v: number[] } | null
}

export interface LabComparison {
  info: LabCaseInfo
  /** How the lab run differed from the scenario asked for (tools, kernel, limits). */
  deviations: string[]
  /** The scenario as the lab ran it (what was simulated). */
  scenario: Scenario
  rows: LabCompareRow[]
  series: LabSeries[]
  passed: number
  total: number
}

export interface LabApi {
  cases(): Promise<LabCaseInfo[]>
  compare(id: string): Promise<LabComparison>
}
