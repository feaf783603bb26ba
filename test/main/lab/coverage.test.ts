/**
 * Knob coverage of the saved lab rows (resources/lab): every knob the what-if sliders offer is
 * either run with at least two values in the lab, or explained in uncovered-knobs.md (a row of
 * its table naming the knob). Pure: reads the saved cases, runs nothing.
 */
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { knobCoverage, renderKnobCoverage } from '../../../main/lab/coverage'
import { readLabCase } from '../../../main/cli/lab'
import { KNOBS } from '../../../renderer/src/features/whatif/knobs'
import { defaultScenario } from '../../../simulator/scenario'

const dir = resolve(__dirname, '../../../resources/lab')
const rows = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => {
    const c = readLabCase(join(dir, f))
    return { id: c.id, scenario: c.headroom.effectiveScenario }
  })

describe('knob coverage of the lab', () => {
  it('lists every slider knob with the values the rows ran', () => {
    const cov = knobCoverage(rows)
    expect(cov.map((c) => c.id)).toEqual(KNOBS.map((k) => k.id))
    for (const c of cov) {
      const n = c.values.reduce((a, v) => a + v.rows.length, 0)
      expect(n).toBeLessThanOrEqual(rows.length)
      // most rows first
      for (let i = 1; i < c.values.length; i++) expect(c.values[i - 1]!.rows.length).toBeGreaterThanOrEqual(c.values[i]!.rows.length)
    }
    const somaxconn = cov.find((c) => c.id === 'backend.somaxconn')!
    expect(somaxconn.values.find((v) => v.value === '8')?.rows).toContain('report2-somaxconn-8')
  })

  it('a knob with fewer than two values in the lab is explained in uncovered-knobs.md', () => {
    const text = readFileSync(join(dir, 'uncovered-knobs.md'), 'utf8').toLowerCase()
    const firstCells = text
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| knob') && !l.startsWith('|---'))
      .map((l) => l.split('|')[1]!.trim())
    const unexplained = knobCoverage(rows)
      .filter((c) => c.values.length < 2)
      .filter((c) => !firstCells.some((cell) => cell.includes(c.label.toLowerCase()) || cell.includes(c.id.toLowerCase())))
      .map((c) => `${c.id} (${c.label}): ${c.values.map((v) => v.value).join(', ') || 'no row'}`)
    expect(unexplained).toEqual([])
  })

  it('renders one markdown row per knob, naming the rows of the less common values', () => {
    const s1 = { ...defaultScenario(), name: 'a' }
    const s2 = structuredClone(s1)
    s2.hosts.backend.somaxconn = 8
    const md = renderKnobCoverage(knobCoverage([{ id: 'a', scenario: s1 }, { id: 'a2', scenario: structuredClone(s1) }, { id: 'b', scenario: s2 }]))
    const line = md.split('\n').find((l) => l.includes('| Backend host kernel | net.core.somaxconn |'))!
    expect(line).toContain('`4096` (2 rows)')
    expect(line).toContain('`8` ([b](#b))')
    expect(md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| group')).length).toBe(KNOBS.length)
  })
})
