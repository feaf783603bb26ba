/**
 * Measured vs simulated for one lab case: the simulator runs the scenario exactly as the lab ran
 * it (`headroom.effectiveScenario`: this kernel, HAProxy 2.6, the lab's maxconn and fd limits,
 * measured RTTs), its summary is mapped onto the case's metric keys by the simulator's own
 * fidelity-case mapping, and every measured key gets its error and the README tolerance verdict.
 */
import { simulate } from '../../simulator/index'
import { decodeResult, type SimResult } from '../../simulator/result'
import { parseScenario } from '../sim/scenario-schema'
import { caseSocketSampleS, predictedFor, type FidelityCase } from '../sim/fidelity-case'
import type { LabCase } from './run'
import { compareMetrics, type CompareRow } from './tolerance'

/** Simulate the scenario as the lab ran it. */
export function simulateLab(c: LabCase, seed = 1): SimResult {
  // socket maxima as the lab's sampler saw them (every ~0.1 s), not the exact peaks
  const s = parseScenario(c.headroom.effectiveScenario)
  // the run's load tool is part of how it ran: ab counts and ends its run its own way
  if ((c.scenario['load'] as { tool?: string } | undefined)?.tool === 'ab' && s.clients.mode === 'closed' && !s.clients.keepAlive) s.clients.tool = 'ab'
  return decodeResult(simulate(s, { seed, socketSampleS: caseSocketSampleS(c) }))
}

/** Simulated values for a lab case (dotted keys); `sim` reuses a result of simulateLab. */
export function predictLab(c: LabCase, seed = 1, sim: SimResult = simulateLab(c, seed)): Record<string, number | boolean> {
  const r = sim
  const req = c.measured['requests']
  const requests = req && 'mean' in req ? req.mean : 0
  // both lab load tools time a request from the start of its connect
  return predictedFor(c as unknown as FidelityCase, { tool: c.scenario['load'] && (c.scenario['load'] as { tool?: string }).tool === 'ab' ? 'ab' : 'h2load', latencyIncludesConnect: true, requests }, r.summary)
}

/** Rows for every measured key the simulator predicts; scored keys first. */
export function compareLab(c: LabCase, predicted: Record<string, unknown>): CompareRow[] {
  const keys = [...c.scored, ...Object.keys(c.measured).filter((k) => !c.scored.includes(k) && k in predicted)]
  return compareMetrics(c.measured, predicted, keys)
}

function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-'
  const r = Math.abs(x) >= 100 ? Math.round(x) : Number(x.toPrecision(digits))
  return String(r)
}

/** Measured value as "mean [min-max]" (or the boolean). */
export function measuredText(r: CompareRow): string {
  const m = r.measured
  if ('value' in m) return String(m.value)
  return m.min === m.max ? fmt(m.mean) : `${fmt(m.mean)} [${fmt(m.min)}-${fmt(m.max)}]`
}

/** A plain-text table (CLI) of compare rows. */
export function formatCompareTable(rows: readonly CompareRow[]): string {
  const head = ['metric', 'measured', 'simulated', 'error', 'rel', 'tolerance', 'ok']
  const body = rows.map((r) => [
    r.key,
    measuredText(r),
    r.predicted === null ? '-' : typeof r.predicted === 'boolean' ? String(r.predicted) : fmt(r.predicted),
    fmt(r.error),
    r.relError === null ? '-' : `${Math.round(r.relError * 100)}%`,
    r.lo === null ? 'exact' : `${fmt(r.lo)}..${fmt(r.hi)}`,
    r.ok ? 'yes' : 'NO'
  ])
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')
  const passed = rows.filter((r) => r.ok).length
  return [line(head), ...body.map(line), `${passed}/${rows.length} metrics inside the fidelity tolerance`].join('\n') + '\n'
}
