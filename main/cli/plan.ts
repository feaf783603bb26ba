/**
 * `headroom plan --snapshot FILE --scenario FILE --out DIR [--baseline-scenario FILE]
 *                [--sim full|preview|none] [--seed N] [--no-pdf]`
 *
 * Diagnoses the snapshot, simulates the baseline and the chosen scenario under the same load
 * curve (in-process, like `headroom simulate`), and writes the plan bundle: plan.md,
 * plan.html, plan.pdf (system Chromium), plan.json, apply.sh, rollback.sh, files/...
 * Without --baseline-scenario the baseline is built from the snapshot with the scenario's
 * workload (clients, network, service times). Exit codes: 0 ok, 1 PDF failed (everything
 * else written), 2 usage / bad input (nothing written).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { simulate } from '../../simulator/index'
import { decodeResult } from '../../simulator/result'
import type { Scenario } from '../../simulator/scenario'
import { buildPlan, PlanError, type PredictionInput } from '../plan/build'
import { writePlanBundle, type PrintToPdf } from '../plan/bundle'
import { chromiumPrintToPdf } from '../plan/pdf-chromium'
import { planToPdf } from '../plan/render'
import type { Plan } from '../plan/types'
import { baselineFor } from '../plan/baseline'
import { recommendScenario } from '../plan/recommend'
import { diagnose } from '../diagnosis/rules'
import { scenarioFromSnapshot, workloadFromSnapshot } from '../scenario/from-snapshot'
import { parseScenario } from '../sim/scenario-schema'
import { parseSnapshot } from '../snapshot/schema'

export interface PlanIo {
  stdout: (s: string) => void
  stderr: (s: string) => void
  /** Simulation runner (default: in-process `simulate`); the app may pass its worker pool. */
  simulate?: (scenario: Scenario, opts: { seed: number; preview: boolean }) => Promise<ArrayBuffer>
  /** PDF printer (default: system Chromium through playwright-core). */
  printToPdf?: PrintToPdf
}

export const PLAN_USAGE = `usage: headroom plan --snapshot FILE (--scenario FILE | --recommended) --out DIR [--baseline-scenario FILE]
                    [--sim full|preview|none] [--seed N] [--no-pdf]
  --recommended  plan the fixes the findings call for (applied to the baseline; give
                 --baseline-scenario to carry your load curve, else the snapshot's observed load
                 and HAProxy's measured response and connect times are used)
  --sim full     discrete-event runs of baseline and scenario (default; minutes for long curves)
  --sim preview  fast fluid approximation (seconds)
  --sim none     no prediction in the plan`

class UsageError extends Error {}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new UsageError(`${what} ${file} is not valid JSON: ${(err as Error).message}`)
  }
}

function scenarioOf(json: unknown, file: string): Scenario {
  try {
    return parseScenario(json)
  } catch (err) {
    throw new UsageError(`${file} is not a valid scenario: ${(err as Error).message}`)
  }
}

/** Entry of the `plan` sub-command; returns the process exit code. */
export async function planCommand(argv: string[], io: PlanIo): Promise<number> {
  const opts: { snapshot?: string; scenario?: string; baseline?: string; out?: string; sim: 'full' | 'preview' | 'none'; seed: number; pdf: boolean; recommended: boolean } = { sim: 'full', seed: 1, pdf: true, recommended: false }
  try {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!
      const next = (): string => {
        const v = argv[++i]
        if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`)
        return v
      }
      if (a === '--snapshot') opts.snapshot = next()
      else if (a === '--scenario') opts.scenario = next()
      else if (a === '--baseline-scenario') opts.baseline = next()
      else if (a === '--out') opts.out = next()
      else if (a === '--no-pdf') opts.pdf = false
      else if (a === '--recommended') opts.recommended = true
      else if (a === '--sim') {
        const v = next()
        if (v !== 'full' && v !== 'preview' && v !== 'none') throw new UsageError(`--sim takes full, preview or none, not ${JSON.stringify(v)}`)
        opts.sim = v
      } else if (a === '--seed') {
        const v = next()
        if (!/^\d+$/.test(v) || Number(v) > 2 ** 31 - 1) throw new UsageError('--seed needs an integer 0..2147483647')
        opts.seed = Number(v)
      } else if (a === '-h' || a === '--help') {
        io.stdout(PLAN_USAGE + '\n')
        return 0
      } else throw new UsageError(`unknown argument ${JSON.stringify(a)}`)
    }
    if (!opts.snapshot || !opts.out || (!opts.scenario === !opts.recommended)) throw new UsageError('--snapshot, --out and one of --scenario FILE or --recommended are required')

    const parsed = parseSnapshot(await readJson(opts.snapshot, 'snapshot'))
    if (!parsed.ok) throw new UsageError(`${opts.snapshot}: ${parsed.error}`)
    const snapshot = parsed.snapshot
    let scenario: Scenario
    let baseline: Scenario
    if (opts.scenario) {
      scenario = scenarioOf(await readJson(opts.scenario, 'scenario'), opts.scenario)
      baseline = opts.baseline ? scenarioOf(await readJson(opts.baseline, 'baseline scenario'), opts.baseline) : baselineFor(snapshot, scenario)
    } else {
      const w = workloadFromSnapshot(snapshot)
      if (!opts.baseline) io.stderr(`headroom plan: no --baseline-scenario: predictions use the workload the snapshot observed, not your load curve (${w.seeded.length ? w.seeded.join('; ') : w.basis})\n`)
      baseline = opts.baseline ? scenarioOf(await readJson(opts.baseline, 'baseline scenario'), opts.baseline) : scenarioFromSnapshot(snapshot, w.patch).scenario
      const rec = recommendScenario(snapshot, baseline, diagnose(snapshot))
      scenario = rec.scenario
      for (const c of rec.changes) io.stderr(`headroom plan: recommended ${c.path}: ${c.from} -> ${c.to} (${c.because})\n`)
    }

    let baselineResult: PredictionInput | undefined
    let scenarioResult: PredictionInput | undefined
    if (opts.sim !== 'none') {
      const preview = opts.sim === 'preview'
      const run =
        io.simulate ?? (async (s: Scenario, o: { seed: number; preview: boolean }) => simulate(s, { seed: o.seed, preview: o.preview }))
      for (const [label, s] of [['baseline', baseline], ['scenario', scenario]] as const) {
        io.stderr(`headroom plan: simulating ${label} (${preview ? 'preview' : 'full run'})...\n`)
        const r = decodeResult(await run(s, { seed: opts.seed, preview }))
        const p = { summary: r.summary, columns: r.columns }
        if (label === 'baseline') baselineResult = p
        else scenarioResult = p
      }
    }
    const plan = buildPlan({ snapshot, baseline, scenario, baselineResult, scenarioResult })
    const out = resolve(opts.out)
    const written = await writePlanBundle(plan, out)
    let code = 0
    if (opts.pdf) {
      try {
        written.push(...(await writePlanBundlePdf(plan, out, io.printToPdf ?? chromiumPrintToPdf)))
      } catch (err) {
        io.stderr(`headroom plan: PDF not written: ${(err as Error).message}\n`)
        code = 1
      }
    }
    io.stdout(`plan ${plan.id}: ${plan.items.length} change(s), ${plan.findings.length} finding(s)\n`)
    for (const f of written) io.stdout(`  ${out}/${f}\n`)
    return code
  } catch (err) {
    if (err instanceof UsageError || err instanceof PlanError) {
      io.stderr(`headroom plan: ${err.message}\n${err instanceof UsageError ? PLAN_USAGE + '\n' : ''}`)
      return 2
    }
    throw err
  }
}

async function writePlanBundlePdf(plan: Plan, dir: string, printer: PrintToPdf): Promise<string[]> {
  const pdf = await planToPdf(plan, printer)
  await writeFile(resolve(dir, 'plan.pdf'), pdf)
  return ['plan.pdf']
}
