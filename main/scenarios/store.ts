/**
 * Saved what-if scenarios: one JSON file each in `<userData>/scenarios/`, written atomically.
 * A corrupt file is reported (by name, with the reason) and left untouched; it never hides
 * the others and is never overwritten by a save under another id.
 */
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { readJsonFile, writeFileAtomic } from '../util/atomic-file'
import type { Scenario } from '../../simulator/scenario'
import { SAVED_FORMAT, SavedSchema, type BaselineRef, type SavedScenario, type SavedScenarioInfo, type ScenarioListing } from './types'
import { ApiError } from '../api/errors'

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export class ScenarioStore {
  private readonly dir: string
  constructor(userDataDir: string) {
    this.dir = join(userDataDir, 'scenarios')
  }

  private file(id: string): string {
    if (!ID.test(id)) throw new ApiError('invalid_arguments', `not a scenario id: ${JSON.stringify(id).slice(0, 60)}`)
    return join(this.dir, `${id}.json`)
  }

  async list(): Promise<ScenarioListing> {
    await mkdir(this.dir, { recursive: true })
    const out: ScenarioListing = { scenarios: [], broken: [] }
    for (const name of (await readdir(this.dir)).sort()) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue
      try {
        const s = await this.read(join(this.dir, name))
        const { scenario: _omit, ...info } = s
        void _omit
        out.scenarios.push(info)
      } catch (err) {
        out.broken.push({ file: name, error: (err as Error).message })
      }
    }
    out.scenarios.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
    return out
  }

  private async read(file: string): Promise<SavedScenario> {
    const json = await readJsonFile(file)
    const r = SavedSchema.safeParse(json)
    if (!r.success) {
      const first = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`)
      throw new Error(`${file} is not a valid saved scenario (${first.join('; ')}); it was left untouched`)
    }
    return r.data as SavedScenario
  }

  async open(id: string): Promise<SavedScenario> {
    try {
      return await this.read(this.file(id))
    } catch (err) {
      if (err instanceof ApiError) throw err
      throw new ApiError(/does not exist/.test((err as Error).message) ? 'not_found' : 'corrupt', (err as Error).message)
    }
  }

  /** Save a new scenario (no id) or overwrite an existing one (id given). */
  async save(input: { id?: string; name: string; baseline: BaselineRef; scenario: Scenario }): Promise<SavedScenarioInfo> {
    await mkdir(this.dir, { recursive: true })
    const now = new Date().toISOString()
    let createdAt = now
    if (input.id) {
      const prev = await this.open(input.id) // refuses to overwrite a corrupt or missing file silently
      createdAt = prev.createdAt
    }
    const saved: SavedScenario = {
      format: SAVED_FORMAT,
      id: input.id ?? randomUUID(),
      name: input.name,
      createdAt,
      updatedAt: now,
      baseline: input.baseline,
      scenario: { ...input.scenario, name: input.name }
    }
    await writeFileAtomic(this.file(saved.id), JSON.stringify(saved, null, 1))
    const { scenario: _s, ...info } = saved
    void _s
    return info
  }

  async rename(id: string, name: string): Promise<SavedScenarioInfo> {
    const s = await this.open(id)
    return this.save({ id, name, baseline: s.baseline, scenario: s.scenario })
  }

  async duplicate(id: string, name?: string): Promise<SavedScenarioInfo> {
    const s = await this.open(id)
    return this.save({ name: name ?? `${s.name} (copy)`, baseline: s.baseline, scenario: s.scenario })
  }

  async remove(id: string): Promise<{ deleted: boolean }> {
    const f = this.file(id)
    await this.open(id)
    await rm(f)
    return { deleted: true }
  }
}
