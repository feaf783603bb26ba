/**
 * `headroom simulate --scenario FILE [--json] [--seed N] [--preview]` and
 * `headroom simulate --case FILE --json [--seed N] [--seeds N]` (a shared/fidelity case).
 * Runs in-process (no pool needed). Exit codes: 0 ok, 2 usage / bad input.
 *
 * A case's `predicted` is the per-key median over replications with seeds seed..seed+N-1
 * (N = CASE_REPLICATIONS, 5, unless `--seeds N`; `--seeds 1` is the single run with `--seed`).
 * `--seeds N` also adds `replications`: per scored key the min / median / max prediction,
 * and how many of the N runs fall inside the case's tolerance (how much of a pass or a miss
 * is the seed's luck).
 */
import { readFileSync } from 'node:fs'
import { simulate } from '../../simulator/index'
import { abStopText, decodeResult, type SimSummary } from '../../simulator/result'
import { parseScenario } from '../sim/scenario-schema'
import { CASE_REPLICATIONS, median, nest, predictCase, readCase, scoreCase, sortedValues, type FidelityCase } from '../sim/fidelity-case'

export interface CliIo {
  stdout: (s: string) => void
  stderr: (s: string) => void
}

const USAGE = `usage: headroom simulate --scenario FILE [--json] [--seed N] [--preview]
       headroom simulate --case FILE --json [--seed N] [--seeds N]`

/** Entry of the `simulate` sub-command; returns the process exit code. */
export async function simulateCommand(argv: string[], io: CliIo): Promise<number> {
  let scenarioFile: string | null = null
  let caseFile: string | null = null
  let json = false
  let preview = false
  let seed = 1
  let seeds: number | null = null
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const next = (): string | null => (i + 1 < argv.length ? argv[++i]! : null)
    if (a === '--scenario') scenarioFile = next()
    else if (a === '--case') caseFile = next()
    else if (a === '--json') json = true
    else if (a === '--preview') preview = true
    else if (a === '--seed') {
      const v = next()
      if (v === null || !/^-?\d+$/.test(v)) {
        io.stderr(`--seed needs an integer\n${USAGE}\n`)
        return 2
      }
      seed = Number(v)
    } else if (a === '--seeds') {
      const v = next()
      if (v === null || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 1000) {
        io.stderr(`--seeds needs a whole number 1..1000\n${USAGE}\n`)
        return 2
      }
      seeds = Number(v)
    } else if (a === '-h' || a === '--help') {
      io.stdout(USAGE + '\n')
      return 0
    } else {
      io.stderr(`unknown argument "${a}"\n${USAGE}\n`)
      return 2
    }
  }
  if ((scenarioFile === null) === (caseFile === null)) {
    io.stderr(`give exactly one of --scenario FILE or --case FILE\n${USAGE}\n`)
    return 2
  }
  if (seeds !== null && caseFile === null) {
    io.stderr(`--seeds applies to --case only\n${USAGE}\n`)
    return 2
  }
  try {
    if (caseFile !== null) {
      const c = readCase(caseFile)
      const { predicted, runs } = predictCase(c, seed, seeds ?? CASE_REPLICATIONS)
      if (seeds === null) {
        io.stdout(JSON.stringify({ id: c.id, predicted: nest(predicted) }) + '\n')
        return 0
      }
      io.stdout(JSON.stringify({ id: c.id, predicted: nest(predicted), replications: replicationSummary(c, runs, seed) }) + '\n')
      return 0
    }
    let raw: unknown
    try {
      raw = JSON.parse(readFileSync(scenarioFile!, 'utf8'))
    } catch (e) {
      io.stderr(`cannot read scenario ${scenarioFile}: ${(e as Error).message}\n`)
      return 2
    }
    const scenario = parseScenario(raw)
    const t0 = Date.now()
    const r = decodeResult(simulate(scenario, { seed, preview }))
    const wall = Date.now() - t0
    if (json) {
      const columns: Record<string, number[]> = {}
      for (const n of r.columnNames) columns[n] = Array.from(r.col(n))
      io.stdout(JSON.stringify({ summary: r.summary, columns, wallMs: wall }) + '\n')
    } else io.stdout(humanSummary(r.summary, wall))
    return 0
  } catch (e) {
    io.stderr(`${(e as Error).message}\n`)
    return 2
  }
}

/** Per scored key: min / median / max over the runs, and the runs inside the case's tolerance. */
function replicationSummary(c: FidelityCase, runs: Record<string, number | boolean>[], seed: number): unknown {
  const keys: Record<string, { min: number; median: number; max: number; inside: number }> = {}
  const scored = runs.map((p) => scoreCase(c, p))
  const rowsByRun = scored.map((x) => x.rows)
  for (const k of c.scored) {
    const v = sortedValues(runs, k)
    const inside = rowsByRun.filter((rows) => rows.find((r) => r.key === k)?.ok).length
    keys[k] = v.length ? { min: v[0]!, median: median(v), max: v[v.length - 1]!, inside } : { min: NaN, median: NaN, max: NaN, inside }
  }
  return { seeds: runs.map((_, i) => seed + i), passes: scored.filter((x) => x.pass).length, keys }
}

function humanSummary(s: SimSummary, wallMs: number): string {
  const t = s.totals
  const pct = (x: number): string => (t.requests ? ((100 * x) / t.requests).toFixed(1) + '%' : '-')
  const lines = [
    `${s.scenarioName}${s.preview ? ' (preview)' : ''}: ${t.requests} requests, ${t.ok} ok (${pct(t.ok)}), ${t.failed} failed (${pct(t.failed)}), ${t.inFlight} unfinished`,
    `latency ms: p50 ${s.latency.p50}  p90 ${s.latency.p90}  p99 ${s.latency.p99}  max ${s.latency.maxMs}; connect p99 ${s.connect.p99}; SYN retransmitted for ${(100 * t.synRetryShare).toFixed(1)}% of connections`
  ]
  const causes = Object.entries(t.byCause).filter(([, v]) => v > 0)
  if (causes.length) lines.push('failures: ' + causes.map(([k, v]) => `${k} ${v}`).join(', '))
  if (s.haproxy) {
    const f = s.haproxy.frontend
    lines.push(
      `haproxy: ${s.haproxy.started ? 'started' : 'DID NOT START'}${s.haproxy.message ? ' - ' + s.haproxy.message : ''}; Maxconn ${s.haproxy.info.Maxconn} Maxsock ${s.haproxy.info.Maxsock} Ulimit-n ${s.haproxy.info['Ulimit-n']}; frontend smax ${f.smax}/${f.slim}; backend qmax ${s.haproxy.backend.qmax} econ ${s.haproxy.backend.econ}`
    )
  }
  for (const [h, k] of Object.entries(s.kernel)) {
    if (!k) continue
    const nz = Object.entries(k).filter(([, v]) => v > 0)
    if (nz.length) lines.push(`kernel ${h}: ` + nz.map(([a, b]) => `${a} ${b}`).join(', '))
  }
  if (s.ab) {
    const a = s.ab
    lines.push(`ab: ${a.done} of ${t.requests} requests done; ` + (a.stoppedAtS != null && a.reason ? `stopped at ${a.stoppedAtS.toFixed(2)} s: ${abStopText(a.reason, a.silenceS)}` : 'still waiting when the run ended'))
  }
  lines.push(`verdict: ${s.verdict.ceiling}${s.verdict.atS != null ? ` at ${s.verdict.atS} s` : ''} - ${s.verdict.message}`)
  lines.push(`(${s.events} events, ${s.simulatedS.toFixed(0)} s simulated in ${wallMs} ms)`)
  return lines.join('\n') + '\n'
}
