/** Saved-scenario file format and listing types (pure: the renderer imports these types). */
import { z } from 'zod'
import { scenarioSchema } from '../sim/scenario-schema'
import type { Scenario } from '../../simulator/scenario'

export const SAVED_FORMAT = 'headroom-saved-scenario/1' as const

export const BaselineRefSchema = z.object({
  kind: z.enum(['demo', 'snapshot', 'none']),
  id: z.string().max(200)
})
export type BaselineRef = z.infer<typeof BaselineRefSchema>

export const SavedSchema = z.object({
  format: z.literal(SAVED_FORMAT),
  id: z.uuid(),
  name: z.string().min(1).max(200),
  createdAt: z.string(),
  updatedAt: z.string(),
  baseline: BaselineRefSchema,
  scenario: scenarioSchema
})
export type SavedScenario = Omit<z.infer<typeof SavedSchema>, 'scenario'> & { scenario: Scenario }
export type SavedScenarioInfo = Omit<SavedScenario, 'scenario'>

export interface ScenarioListing {
  scenarios: SavedScenarioInfo[]
  /** Files that could not be read, with why (left untouched). */
  broken: { file: string; error: string }[]
}

