/** Saved scenarios (scenario.* calls): list, save, open, rename, duplicate, delete. */
import { create } from 'zustand'
import { getApi } from '../api'
import type { BaselineRef, SavedScenario, SavedScenarioInfo } from '../../../main/scenarios/types'
import type { Scenario } from '../../../simulator/scenario'

interface ScenarioFiles {
  list: SavedScenarioInfo[]
  broken: { file: string; error: string }[]
  error: string | null
  notice: string | null
  refresh(): Promise<void>
  save(req: { id?: string; name: string; baseline: BaselineRef; scenario: Scenario }): Promise<SavedScenarioInfo | null>
  open(id: string): Promise<SavedScenario | null>
  rename(id: string, name: string): Promise<void>
  duplicate(id: string): Promise<void>
  remove(id: string): Promise<void>
}

export const useScenarioFiles = create<ScenarioFiles>((set, get) => {
  const guard = async <T>(f: () => Promise<T>, notice?: string): Promise<T | null> => {
    try {
      const r = await f()
      set({ error: null, notice: notice ?? null })
      return r
    } catch (err) {
      set({ error: (err as Error).message, notice: null })
      return null
    }
  }
  return {
    list: [],
    broken: [],
    error: null,
    notice: null,
    async refresh() {
      const r = await guard(() => getApi().scenario.list())
      if (r) set({ list: r.scenarios, broken: r.broken })
    },
    async save(req) {
      const r = await guard(() => getApi().scenario.save(req), `saved “${req.name}”`)
      if (r) await get().refresh()
      return r
    },
    async open(id) {
      return guard(() => getApi().scenario.open(id))
    },
    async rename(id, name) {
      if (await guard(() => getApi().scenario.rename(id, name))) await get().refresh()
    },
    async duplicate(id) {
      if (await guard(() => getApi().scenario.duplicate(id))) await get().refresh()
    },
    async remove(id) {
      if (await guard(() => getApi().scenario.delete(id))) await get().refresh()
    }
  }
})
