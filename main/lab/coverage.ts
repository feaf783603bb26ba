/**
 * Which what-if knobs the lab has run, and with which values: for every knob the sliders offer
 * (the sliders' own definitions, renderer/src/features/whatif/knobs.ts, so this table cannot
 * drift from the UI), the values it had in the saved lab rows' effective scenarios. A knob is
 * exercised when at least two values were run (a contrast the simulator must reproduce); a
 * knob with one value everywhere must be explained in resources/lab/uncovered-knobs.md
 * (test/main/lab/coverage.test.ts checks it).
 */
import type { Scenario } from '../../simulator/scenario'
import { KNOBS } from '../../renderer/src/features/whatif/knobs'

export interface KnobCoverage {
  id: string
  group: string
  label: string
  /** Distinct values with the rows that ran them, most rows first. */
  values: { value: string; rows: string[] }[]
}

/** Coverage of every knob over the rows (id + the effective scenario the simulator was given). */
export function knobCoverage(rows: readonly { id: string; scenario: Scenario }[]): KnobCoverage[] {
  return KNOBS.map((k) => {
    const by = new Map<string, string[]>()
    for (const r of rows) {
      // a knob that does not apply to the row (e.g. HAProxy knobs without a proxy) says nothing
      if (k.when && !k.when(r.scenario)) continue
      const v = k.get(r.scenario)
      const key = v === null ? 'unset' : typeof v === 'number' ? String(Number(v.toPrecision(4))) : v
      by.set(key, [...(by.get(key) ?? []), r.id])
    }
    const values = [...by.entries()].map(([value, ids]) => ({ value, rows: ids })).sort((a, b) => b.rows.length - a.rows.length || a.value.localeCompare(b.value))
    return { id: k.id, group: k.group, label: k.label, values }
  })
}

/** Markdown section: one line per knob, values with their rows (the most common one as a count). */
export function renderKnobCoverage(cov: readonly KnobCoverage[]): string {
  const out = [
    '## Knob coverage',
    '',
    'Every knob the what-if sliders offer, with the values the saved lab rows ran (their effective scenarios, as',
    'given to the simulator). Two or more values mean the lab measured a contrast the simulator has to reproduce;',
    'a knob with one value is listed under "Knobs this machine cannot reproduce" below with the reason.',
    '',
    '| group | knob | values run in the lab (rows) |',
    '|---|---|---|'
  ]
  for (const c of cov) {
    const cells = c.values.map((v, i) => {
      if (i === 0 && c.values.length > 1) return `\`${v.value}\` (${v.rows.length} rows)`
      const shown = v.rows.slice(0, 4).map((r) => `[${r}](#${r})`)
      return `\`${v.value}\` (${shown.join(', ')}${v.rows.length > 4 ? `, +${v.rows.length - 4}` : ''})`
    })
    const text = c.values.length === 0 ? 'not applicable to any row' : c.values.length === 1 ? `only ${cells[0]!.replace(/ \(.*$/, '')} (${c.values[0]!.rows.length} rows)` : cells.join('; ')
    out.push(`| ${c.group} | ${c.label.replace(/\|/g, '\\|')} | ${text} |`)
  }
  return out.join('\n') + '\n'
}
