/**
 * `headroom lab`: ground truth on demand (Linux, root).
 *
 *   headroom lab --scenario FILE [--runs N] [--out FILE] [--keep] [--driver ab|node]
 *       replay a scenario on the real kernel, HAProxy and nginx in network namespaces; prints
 *       (or writes) a fidelity case: what was measured, {mean, min, max} over the runs.
 *       --driver forces the closed-loop tool (default: ab unless the scenario needs the lab's own client)
 *   headroom lab --compare FILE [--predicted FILE] [--seed N] [--json]
 *       measured (a lab case) vs simulated for the same scenario, each metric's error and
 *       whether it is inside the shared/fidelity/README.md tolerance
 *   headroom lab --report [--runs N] [--out docs/fidelity.md] [--cases DIR] [--only ID,..] [--from DIR]
 *       measure every scenario of main/lab/scenarios.ts, simulate it, write the markdown report
 *
 * Exit codes: 0 ok, 1 the lab failed, 2 usage / cannot run here (not Linux, not root, tool missing).
 */
import { knobCoverage, renderKnobCoverage } from '../lab/coverage'
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { release } from 'node:os'
import { parseScenario } from '../sim/scenario-schema'
import { runLab, labPreflight, labCaseJson, type LabCase } from '../lab/run'
import { compareLab, formatCompareTable, predictLab } from '../lab/compare'
import { flattenMetrics } from '../lab/tolerance'
import { abortActiveRuns } from '../lab/sys'
import { labScenarios } from '../lab/scenarios'
import { REPORT_EXTRA_KEYS as REPORT_KEYS, renderFidelityMarkdown, type ReportItem } from '../lab/report'

export interface LabIo {
  stdout: (s: string) => void
  stderr: (s: string) => void
}

const USAGE = `usage: headroom lab --scenario FILE [--runs N] [--out FILE] [--keep] [--driver ab|node] [--sample-ms N]
       headroom lab --compare FILE [--predicted FILE] [--seed N] [--json]
       headroom lab --report [--runs N] [--out FILE] [--cases DIR] [--only ID,...] [--from DIR]`

interface Args {
  scenario?: string
  compare?: string
  predicted?: string
  report: boolean
  runs: number
  out?: string
  cases?: string
  from?: string
  only?: string[]
  seed: number
  json: boolean
  keep: boolean
  driver?: 'ab' | 'node'
  /** Socket sampling period (ms): 100 by default; a few ms to see short queue bursts. */
  sampleMs?: number
}

function parseArgs(argv: string[]): Args | string {
  const a: Args = { report: false, runs: 1, seed: 1, json: false, keep: false }
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!
    const next = (): string | null => (i + 1 < argv.length ? argv[++i]! : null)
    const need = (name: string): string => {
      const v = next()
      if (v === null) throw new Error(`${name} needs a value`)
      return v
    }
    try {
      if (k === '--scenario') a.scenario = need(k)
      else if (k === '--compare') a.compare = need(k)
      else if (k === '--predicted') a.predicted = need(k)
      else if (k === '--report') a.report = true
      else if (k === '--out') a.out = need(k)
      else if (k === '--cases') a.cases = need(k)
      else if (k === '--from') a.from = need(k)
      else if (k === '--only') a.only = need(k).split(',').filter(Boolean)
      else if (k === '--json') a.json = true
      else if (k === '--keep') a.keep = true
      else if (k === '--driver') {
        const v = need(k)
        if (v !== 'ab' && v !== 'node') return '--driver needs ab or node'
        a.driver = v
      }
      else if (k === '--sample-ms') {
        const v = need(k)
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 5000) return '--sample-ms needs an integer 1..5000 (milliseconds)'
        a.sampleMs = Number(v)
      } else if (k === '--runs' || k === '--seed') {
        const v = need(k)
        if (!/^\d+$/.test(v) || (k === '--runs' && (Number(v) < 1 || Number(v) > 20))) return `${k} needs an integer${k === '--runs' ? ' 1..20' : ''}`
        if (k === '--runs') a.runs = Number(v)
        else a.seed = Number(v)
      } else return `unknown argument "${k}"`
    } catch (e) {
      return (e as Error).message
    }
  }
  const modes = [a.scenario, a.compare, a.report || undefined].filter((x) => x !== undefined).length
  if (modes !== 1) return 'give exactly one of --scenario FILE, --compare FILE or --report'
  return a
}

export function readLabCase(path: string): LabCase {
  const c = JSON.parse(readFileSync(path, 'utf8')) as LabCase
  if (c?.format !== 'headroom-fidelity-case/1' || !c.headroom?.effectiveScenario)
    throw new Error(`${path} is not a headroom lab result (headroom-fidelity-case/1 with a "headroom" member); make one with headroom lab --scenario`)
  return c
}

/** Entry of the `lab` sub-command; returns the process exit code. */
export async function labCommand(argv: string[], io: LabIo): Promise<number> {
  if (argv.some((x) => x === '-h' || x === '--help')) {
    io.stdout(USAGE + '\n')
    return 0
  }
  const a = parseArgs(argv)
  if (typeof a === 'string') {
    io.stderr(`headroom lab: ${a}\n${USAGE}\n`)
    return 2
  }
  const log = (l: string): void => io.stderr(`lab: ${l}\n`)
  if (a.compare) return compare(a, io)
  // Ctrl-C or a kill mid-run: remove this run's namespaces and daemons before leaving
  const onSignal = (sig: NodeJS.Signals): void => {
    io.stderr(`headroom lab: ${sig}, cleaning up\n`)
    void abortActiveRuns().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return a.report ? await report(a, io, log) : await measure(a, io, log)
  } finally {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
}

async function compare(a: Args, io: LabIo): Promise<number> {
  let c: LabCase
  let predicted: Record<string, unknown>
  try {
    c = readLabCase(a.compare!)
    if (a.predicted) {
      const p = JSON.parse(readFileSync(a.predicted, 'utf8')) as { predicted?: unknown }
      predicted = flattenMetrics(p.predicted ?? p)
    } else predicted = predictLab(c, a.seed)
  } catch (e) {
    io.stderr(`headroom lab: ${(e as Error).message}\n`)
    return 2
  }
  const rows = compareLab(c, predicted)
  if (a.json) io.stdout(JSON.stringify({ id: c.id, rows }, null, 1) + '\n')
  else io.stdout(`${c.id}: measured in the lab (${c.runs} run(s)) vs simulated\n` + formatCompareTable(rows))
  return 0
}

async function measure(a: Args, io: LabIo, log: (l: string) => void): Promise<number> {
  let scenario
  try {
    scenario = parseScenario(JSON.parse(readFileSync(a.scenario!, 'utf8')))
  } catch (e) {
    io.stderr(`headroom lab: cannot read scenario ${a.scenario}: ${(e as Error).message}\n`)
    return 2
  }
  const why = await labPreflight(scenario)
  if (why) {
    io.stderr(`headroom lab: ${why}\n`)
    return 2
  }
  try {
    const res = await runLab(scenario, { runs: a.runs, log, keepFiles: a.keep, closedLoopDriver: a.driver, ...(a.sampleMs ? { sampleMs: a.sampleMs } : {}) })
    const text = labCaseJson(res)
    if (a.out) {
      writeFileSync(a.out, text)
      log(`wrote ${a.out}`)
    } else io.stdout(text)
    return 0
  } catch (e) {
    io.stderr(`headroom lab: ${(e as Error).message}\n`)
    return 1
  }
}

async function report(a: Args, io: LabIo, log: (l: string) => void): Promise<number> {
  // --only re-measures those scenarios; the others come from the saved cases (--cases DIR) when present
  const entries = labScenarios().filter((e) => !a.only || a.only.includes(e.id) || (a.cases && existsSync(join(a.cases, `${e.id}.json`))))
  const remeasure = (id: string): boolean => !a.from && (!a.only || a.only.includes(id))
  if (entries.length === 0 || (a.only && !labScenarios().some((e) => a.only!.includes(e.id)))) {
    io.stderr(`headroom lab: --only matches no scenario (${labScenarios().map((e) => e.id).join(', ')})\n`)
    return 2
  }
  if (!a.from) {
    for (const e of entries.filter((x) => remeasure(x.id))) {
      const why = await labPreflight(e.scenario)
      if (why) {
        io.stderr(`headroom lab: ${why}\n`)
        return 2
      }
    }
  }
  if (a.cases) mkdirSync(a.cases, { recursive: true })
  const items: ReportItem[] = []
  for (const e of entries) {
    let lab: LabCase | null = null
    try {
      if (!remeasure(e.id)) {
        const dir = a.from ?? a.cases!
        const f = join(dir, `${e.id}.json`)
        if (!existsSync(f)) {
          log(`${e.id}: no saved case in ${dir}, skipped`)
          continue
        }
        lab = readLabCase(f)
      } else {
        lab = await runLab(e.scenario, { runs: a.runs, log, closedLoopDriver: e.driver, ...(e.sampleMs ? { sampleMs: e.sampleMs } : {}) })
        if (a.cases) writeFileSync(join(a.cases, `${e.id}.json`), labCaseJson(lab))
      }
      const rows = compareLab(lab, predictLab(lab, a.seed))
      const wanted = new Set([...lab.scored, ...REPORT_KEYS])
      items.push({ id: e.id, what: e.what, lab, rows: rows.filter((r) => wanted.has(r.key)) })
      log(`${e.id}: ${rows.filter((r) => r.ok).length}/${rows.length} metrics inside tolerance`)
    } catch (err) {
      log(`${e.id}: ${(err as Error).message}`)
      if (lab) items.push({ id: e.id, what: e.what, lab, rows: [], error: (err as Error).message })
      else items.push({ id: e.id, what: e.what, lab: undefined as unknown as LabCase, rows: [], error: (err as Error).message })
    }
  }
  const runs = items.find((i) => i.lab)?.lab.runs ?? a.runs
  const md = renderFidelityMarkdown(items, {
    command: `node bin/headroom.mjs lab --report --runs ${runs} --cases resources/lab`,
    generatedAt: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    runs,
    machine: `Linux ${items.find((i) => i.lab)?.lab.measured_on['kernel'] ?? release()}, HAProxy 2.6.12, nginx 1.22`
  })
  const out = a.out ?? 'docs/fidelity.md'
  // Which slider knobs the rows ran with which values, then the hand-written part (knobs this
  // machine cannot reproduce), which lives beside the saved cases.
  const coverage = renderKnobCoverage(knobCoverage(items.filter((i) => i.lab).map((i) => ({ id: i.id, scenario: i.lab.headroom.effectiveScenario }))))
  const extra = join(a.cases ?? 'resources/lab', 'uncovered-knobs.md')
  writeFileSync(out, `${md.trimEnd()}\n\n${coverage}` + (existsSync(extra) ? `\n${readFileSync(extra, 'utf8')}` : ''))
  log(`wrote ${out}`)
  return items.some((i) => i.error) ? 1 : 0
}
