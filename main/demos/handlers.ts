/**
 * `demo.*`: the built-in demos of the field reports. Each is a snapshot in the project's
 * snapshot format plus a recorded workload (what a snapshot cannot know: the load curve,
 * round trips, backend service times), listed in resources/demo/demos.json. Opening one
 * builds its scenario through the same snapshot -> scenario path a real server takes.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import type { ApiContract, DemoBundle, DemoSummary } from '../api/contract'
import { ApiError } from '../api/errors'
import { parseSnapshot } from '../snapshot/schema'
import { scenarioFromSnapshot, type ScenarioPatch } from '../scenario/from-snapshot'
import { parseScenario } from '../sim/scenario-schema'

const ManifestSchema = z.object({
  format: z.literal('headroom-demos/1'),
  demos: z
    .array(
      z.object({
        id: z.string().regex(/^[a-z0-9-]+$/),
        title: z.string().min(1),
        summary: z.string().min(1),
        snapshot: z.string().regex(/^[A-Za-z0-9._-]+\.json$/, 'a file name inside resources/demo'),
        observed: z.array(z.string()),
        workload: z.record(z.string(), z.unknown())
      })
    )
    .min(1)
})
type Manifest = z.infer<typeof ManifestSchema>

async function readJson(file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ApiError('demo_missing', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ApiError('demo_corrupt', `${file} is not valid JSON: ${(err as Error).message}`)
  }
}

/** Load and fully build one demo (exported for tests and the CLI). */
export async function loadDemo(resourcesDir: string, id: string): Promise<DemoBundle> {
  const manifest = await loadManifest(resourcesDir)
  const entry = manifest.demos.find((d) => d.id === id)
  if (!entry) throw new ApiError('not_found', `no demo "${id}" (have: ${manifest.demos.map((d) => d.id).join(', ')})`)
  const file = join(resourcesDir, 'demo', entry.snapshot)
  const parsed = parseSnapshot(await readJson(file))
  if (!parsed.ok) throw new ApiError('demo_corrupt', `${entry.snapshot}: ${parsed.error}`)
  const { scenario } = scenarioFromSnapshot(parsed.snapshot, entry.workload as ScenarioPatch, entry.title)
  let valid
  try {
    valid = parseScenario(scenario)
  } catch (err) {
    throw new ApiError('demo_corrupt', `demo ${id} builds an invalid scenario: ${(err as Error).message}`)
  }
  return { id: entry.id, title: entry.title, summary: entry.summary, observed: entry.observed, snapshot: parsed.snapshot, scenario: valid }
}

export async function loadManifest(resourcesDir: string): Promise<Manifest> {
  const file = join(resourcesDir, 'demo', 'demos.json')
  const r = ManifestSchema.safeParse(await readJson(file))
  if (!r.success) throw new ApiError('demo_corrupt', `${file}: ${z.prettifyError(r.error)}`)
  return r.data
}

export function createDemoHandlers(deps: { resourcesDir: string }): ApiContract['demo'] {
  return {
    async list(): Promise<DemoSummary[]> {
      const m = await loadManifest(deps.resourcesDir)
      return m.demos.map(({ id, title, summary }) => ({ id, title, summary }))
    },
    async open(id: string): Promise<DemoBundle> {
      return loadDemo(deps.resourcesDir, id)
    }
  }
}
