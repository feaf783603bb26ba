/**
 * Partial snapshots: every item of both demos is turned into a failed item, one at a time;
 * diagnosis must never throw, and the plan either builds or refuses with a PlanError that
 * says what is missing.
 */
import { describe, expect, it } from 'vitest'
import { diagnose } from '../../../main/diagnosis/rules'
import { buildPlan, PlanError } from '../../../main/plan/build'
import type { Snapshot } from '../../../main/snapshot/schema'
import { report1Inputs, report2Inputs } from '../plan/tools'

/** Paths of every `{ ok: true, value }` item in a snapshot. */
function itemPaths(v: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => itemPaths(x, [...path, i]))
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>
    const here = o['ok'] === true && 'value' in o ? [path] : []
    return [...here, ...Object.entries(o).flatMap(([k, x]) => itemPaths(x, [...path, k]))]
  }
  return []
}

function failAt(s: Snapshot, path: (string | number)[]): Snapshot {
  const c = structuredClone(s) as unknown as Record<string | number, unknown>
  let o = c
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>
  o[path[path.length - 1]!] = { ok: false, error: 'permission denied', detail: 'test' }
  return c as unknown as Snapshot
}

describe('partial snapshots', () => {
  for (const [name, inputs] of [['report 1', report1Inputs], ['report 2', report2Inputs]] as const) {
    it(`${name}: no item failure makes diagnosis or planning crash`, async () => {
      const { snapshot, baseline, scenario } = await inputs()
      const paths = itemPaths(snapshot)
      expect(paths.length).toBeGreaterThan(30)
      let refused = 0
      for (const p of paths) {
        const s = failAt(snapshot, p)
        const d = diagnose(s)
        expect(d.findings.every((f) => f.evidence.every((e) => typeof e.value === 'string'))).toBe(true)
        try {
          buildPlan({ snapshot: s, baseline, scenario })
        } catch (err) {
          expect(err, p.join('.')).toBeInstanceOf(PlanError)
          expect((err as Error).message.length).toBeGreaterThan(20)
          refused++
        }
      }
      if (name === 'report 2') {
        const p = buildPlan({ snapshot: failAt(snapshot, ['phpFpm', 'config']), baseline, scenario })
        expect(p.items.some((i) => i.kind === 'php-fpm')).toBe(false)
        expect(p.manual.find((i) => i.id === 'php-fpm:pm.max_children')).toMatchObject({ old: '5', new: '16', appliedIn: 'the snapshot has no php-fpm pool configuration' })
      }
      // only a missing configuration text stops a plan (HAProxy or php-fpm changes cannot be written)
      expect(refused).toBeLessThanOrEqual(2)
    })
  }
})
