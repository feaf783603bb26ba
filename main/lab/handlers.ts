/**
 * `lab.*` calls: the saved lab runs and their comparison with the simulator. The simulation
 * runs on the worker pool (never in the main process); the mapping onto fidelity metrics and
 * the tolerance verdicts are the lab's own (main/lab/compare.ts).
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError } from '../api/errors'
import { readJsonFile } from '../util/atomic-file'
import { decodeResult } from '../../simulator/result'
import { parseScenario } from '../sim/scenario-schema'
import type { SimRunner } from '../api/sim-handlers'
import { compareLab, predictLab } from './compare'
import { overlaySeries } from './overlay'
import type { LabCase } from './run'
import type { LabApi, LabCaseInfo, LabComparison } from './api-types'

const ID = /^[a-z0-9][a-z0-9._-]{0,120}$/

function info(c: LabCase): LabCaseInfo {
  return { id: c.id, family: c.family, description: c.description, runs: c.runs, measuredOn: c.measured_on }
}

async function load(dir: string, id: string): Promise<LabCase> {
  if (!ID.test(id)) throw new ApiError('invalid_arguments', `not a lab case id: ${JSON.stringify(id).slice(0, 60)}`)
  let json: unknown
  try {
    json = await readJsonFile(join(dir, `${id}.json`))
  } catch (err) {
    throw new ApiError(/does not exist/.test((err as Error).message) ? 'not_found' : 'corrupt', (err as Error).message)
  }
  const c = json as LabCase
  if (!c || c.format !== 'headroom-fidelity-case/1' || !c.headroom || c.headroom.format !== 'headroom-lab/1') {
    throw new ApiError('corrupt', `${id}.json is not a headroom lab case`)
  }
  return c
}

export function createLabHandlers(deps: { labDir: string; runner: SimRunner }): LabApi {
  return {
    async cases() {
      let files: string[]
      try {
        files = (await readdir(deps.labDir)).filter((f) => f.endsWith('.json')).sort()
      } catch {
        return []
      }
      const out: LabCaseInfo[] = []
      for (const f of files) {
        try {
          out.push(info(await load(deps.labDir, f.slice(0, -5))))
        } catch {
          /* an unreadable case is left out of the list; opening it reports why */
        }
      }
      return out
    },
    async compare(id) {
      const c = await load(deps.labDir, id)
      let scenario
      try {
        scenario = parseScenario(c.headroom.effectiveScenario)
      } catch (err) {
        throw new ApiError('corrupt', `${id}: ${(err as Error).message}`)
      }
      const sim = decodeResult(await deps.runner.run(scenario, { seed: 1 }))
      const predicted = predictLab(c, 1, sim)
      const rows = compareLab(c, predicted).map((r) => ({ ...r, scored: c.scored.includes(r.key) }))
      const result: LabComparison = {
        info: info(c),
        deviations: c.headroom.deviations,
        scenario,
        rows,
        series: overlaySeries(c, sim),
        passed: rows.filter((r) => r.ok).length,
        total: rows.length
      }
      return result
    }
  }
}
