/**
 * Boundary validation: one zod tuple per call, for its argument list. Every call coming over
 * IPC or HTTP is parsed here before any simulation, SSH or file work (style.md 3). The
 * record is total over CallName, so a call without a schema fails to compile.
 */
import { z } from 'zod'
import type { CallName } from './contract'
import { scenarioSchema } from '../sim/scenario-schema'
import { BaselineRefSchema } from '../scenarios/types'
import { snapshotArgSchemas } from '../snapshot/api-schemas'
import { planArgSchemas } from '../plan/api-schemas'

const id = z
  .string()
  .min(1, 'an id is required')
  .max(128, 'ids are at most 128 characters')
  .regex(/^[A-Za-z0-9._-]+$/, 'ids use letters, digits, dot, dash and underscore only')

export const simRunRequestSchema = z
  .object({
    scenario: scenarioSchema,
    seed: z.number().int('seed must be an integer').min(0).max(2 ** 31 - 1).optional(),
    preview: z.boolean().optional()
  })
  .strict()

export const callArgSchemas = {
  'app.info': z.tuple([]),
  'demo.list': z.tuple([]),
  'demo.open': z.tuple([id]),
  'sim.run': z.tuple([simRunRequestSchema]),
  'sim.cancel': z.tuple([id]),
  'sim.result': z.tuple([id]),
  'sim.sweep': z.tuple([
    z
      .object({
        variants: z.array(z.object({ value: z.number().finite(), scenario: scenarioSchema }).strict()).min(1, 'at least one knob value').max(32, 'at most 32 knob values'),
        targetFailureShare: z.number().min(0, 'the failure target is a share from 0 to 1').max(1, 'the failure target is a share from 0 to 1'),
        maxScale: z.number().min(1, 'maxScale must be at least 1').max(1000, 'maxScale must be at most 1000').optional(),
        quality: z.enum(['preview', 'full']),
        seed: z.number().int().min(0).max(2 ** 31 - 1).optional()
      })
      .strict()
  ]),
  'sim.sweepResult': z.tuple([id]),
  'sim.sweepCancel': z.tuple([id]),
  ...snapshotArgSchemas,
  ...planArgSchemas,
  'lab.cases': z.tuple([]),
  'lab.compare': z.tuple([id]),
  'scenario.list': z.tuple([]),
  'scenario.open': z.tuple([z.uuid('not a scenario id')]),
  'scenario.save': z.tuple([
    z
      .object({
        id: z.uuid('not a scenario id').optional(),
        name: z.string().trim().min(1, 'a name is required').max(200, 'names are at most 200 characters'),
        baseline: BaselineRefSchema,
        scenario: scenarioSchema
      })
      .strict()
  ]),
  'scenario.rename': z.tuple([z.uuid('not a scenario id'), z.string().trim().min(1, 'a name is required').max(200)]),
  'scenario.duplicate': z.tuple([z.uuid('not a scenario id'), z.string().trim().min(1).max(200).optional()]),
  'scenario.delete': z.tuple([z.uuid('not a scenario id')])
} satisfies Record<CallName, z.ZodTuple>
