/**
 * Boundary validation for the `diagnosis.*` and `plan.*` calls: one zod tuple per call
 * (merged by the lead into main/api/schemas.ts). Snapshots given inline are validated whole
 * with the snapshot schema; scenarios with the scenario schema.
 */
import { z } from 'zod'
import { scenarioSchema } from '../sim/scenario-schema'
import { SnapshotSchema } from '../snapshot/schema'

const id = z
  .string()
  .min(1, 'an id is required')
  .max(128, 'ids are at most 128 characters')
  .regex(/^[A-Za-z0-9._-]+$/, 'ids use letters, digits, dot, dash and underscore only')

export const snapshotSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('demo'), id }).strict(),
  z.object({ kind: z.literal('stored'), id }).strict(),
  z.object({ kind: z.literal('inline'), snapshot: SnapshotSchema }).strict()
])

export const planArgSchemas = {
  'diagnosis.run': z.tuple([z.object({ source: snapshotSourceSchema, simRunId: id.optional() }).strict()]),
  'plan.recommend': z.tuple([z.object({ source: snapshotSourceSchema, baseline: scenarioSchema.optional() }).strict()]),
  'plan.build': z.tuple([
    z
      .object({
        source: snapshotSourceSchema,
        scenario: scenarioSchema,
        baseline: scenarioSchema.optional(),
        baselineRunId: id.optional(),
        scenarioRunId: id.optional()
      })
      .strict()
  ]),
  'plan.export': z.tuple([id, z.enum(['md', 'html', 'pdf', 'bundle'])]),
  'plan.verify': z.tuple([id, snapshotSourceSchema])
} as const
