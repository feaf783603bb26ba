/**
 * Sliders and inputs for every knob, grouped as the system is. Each row shows the baseline
 * value, the value in effect where the system clamps or computes it, and what the knob really
 * does. Invalid values are refused at the input with the reason; the scenario keeps its last
 * valid value.
 */
import { memo, useCallback, useId, useRef, useState } from 'react'
import type { Scenario } from '../../../../simulator/scenario'
import { knobError, visibleKnobs, type ChoiceKnob, type Knob, type NumberKnob } from './knobs'

export interface KnobPanelProps {
  scenario: Scenario
  baseline: Scenario
  onEdit(mutate: (s: Scenario) => void): void
}

const SLIDER_STEPS = 1000

function toSlider(k: NumberKnob, v: number): number {
  if (k.scale === 'log') {
    const lo = Math.log(Math.max(k.min, 1e-3))
    const hi = Math.log(k.max)
    return Math.round(((Math.log(Math.max(v, 1e-3)) - lo) / (hi - lo)) * SLIDER_STEPS)
  }
  return Math.round(((v - k.min) / (k.max - k.min)) * SLIDER_STEPS)
}

function fromSlider(k: NumberKnob, pos: number): number {
  const f = pos / SLIDER_STEPS
  let v = k.scale === 'log' ? Math.exp(Math.log(Math.max(k.min, 1e-3)) + f * (Math.log(k.max) - Math.log(Math.max(k.min, 1e-3)))) : k.min + f * (k.max - k.min)
  v = Math.round(v / k.step) * k.step
  // Keep a sensible number of decimals for fractional steps.
  const decimals = k.step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(k.step)))
  return Math.min(k.max, Math.max(k.min, Number(v.toFixed(decimals))))
}

interface RowProps<K> {
  knob: K
  value: K extends NumberKnob ? number | null : string
  base: K extends NumberKnob ? number | null : string
  effective: string | null
  /** The latest scenario, for cross-field checks at input time (rows re-render only when their own values change). */
  getScenario(): Scenario
  onEdit: KnobPanelProps['onEdit']
}

const NumberRow = memo(function NumberRow({ knob, value, base, effective, getScenario, onEdit }: RowProps<NumberKnob>) {
  const id = useId()
  const [draft, setDraft] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const commit = (raw: string): void => {
    const trimmed = raw.trim()
    const v = trimmed === '' ? null : Number(trimmed)
    const err = knobError(knob, getScenario(), v === null || Number.isNaN(v) ? (trimmed === '' ? null : NaN) : v)
    if (err) {
      setError(err)
      return
    }
    setError(null)
    setDraft(null)
    onEdit((s) => knob.set(s, v))
  }
  const changedFromBase = value !== base
  return (
    <div className={`knob ${changedFromBase ? 'knob-changed' : ''}`} data-testid={`knob-${knob.id}`}>
      <label htmlFor={id} className="knob-label">
        {knob.label}
        {knob.unit ? <span className="muted"> ({knob.unit})</span> : null}
      </label>
      <div className="knob-inputs">
        <input
          type="range"
          aria-label={`${knob.label} slider`}
          min={0}
          max={SLIDER_STEPS}
          value={value === null ? 0 : toSlider(knob, value)}
          disabled={value === null}
          data-testid={`slider-${knob.id}`}
          onChange={(e) => {
            const v = fromSlider(knob, Number(e.target.value))
            const err = knobError(knob, getScenario(), v)
            setError(err)
            if (!err) onEdit((s) => knob.set(s, v))
          }}
        />
        <input
          id={id}
          type="text"
          inputMode="decimal"
          className="knob-number"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-err` : undefined}
          value={draft ?? (value === null ? '' : String(value))}
          // the box is narrow: it says 'unset', the full meaning is its tooltip and the baseline line
          placeholder={knob.nullable ? 'unset' : ''}
          title={knob.nullable && value === null && draft === null ? knob.nullable : undefined}
          data-testid={`input-${knob.id}`}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={(e) => commit(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit((e.target as HTMLInputElement).value)
            if (e.key === 'Escape') {
              setDraft(null)
              setError(null)
            }
          }}
        />
        {knob.nullable ? (
          <button type="button" className="small" title={knob.nullable} disabled={value === null} onClick={() => onEdit((s) => knob.set(s, null))}>
            unset
          </button>
        ) : null}
      </div>
      {error ? (
        <div id={`${id}-err`} className="knob-error" role="alert">
          {error}
        </div>
      ) : null}
      <div className="knob-meta">
        <span>baseline {base === null ? (knob.nullable ?? 'unset') : base}</span>
        {effective !== null ? <span className="knob-effective">in effect: {effective}</span> : null}
      </div>
      <div className="knob-explain">{knob.explain}</div>
    </div>
  )
})

const ChoiceRow = memo(function ChoiceRow({ knob, value, base, effective, onEdit }: RowProps<ChoiceKnob>) {
  const id = useId()
  return (
    <div className={`knob ${value !== base ? 'knob-changed' : ''}`} data-testid={`knob-${knob.id}`}>
      <label htmlFor={id} className="knob-label">
        {knob.label}
      </label>
      <select id={id} value={value} data-testid={`select-${knob.id}`} onChange={(e) => onEdit((s) => knob.set(s, e.target.value))}>
        {knob.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <div className="knob-meta">
        <span>baseline {knob.options.find((o) => o.value === base)?.label ?? base}</span>
        {effective !== null ? <span className="knob-effective">in effect: {effective}</span> : null}
      </div>
      <div className="knob-explain">{knob.explain}</div>
    </div>
  )
})

export function KnobPanel(props: KnobPanelProps) {
  const latest = useRef(props.scenario)
  latest.current = props.scenario
  const getScenario = useCallback(() => latest.current, [])
  const knobs = visibleKnobs(props.scenario)
  const groups = new Map<string, Knob[]>()
  for (const k of knobs) groups.set(k.group, [...(groups.get(k.group) ?? []), k])
  return (
    <div className="knob-panel" aria-label="what-if knobs">
      {[...groups.entries()].map(([group, ks]) => (
        <details key={group} open className="knob-group">
          <summary>{group}</summary>
          {ks.map((k) =>
            k.kind === 'number' ? (
              <NumberRow
                key={k.id}
                knob={k}
                value={k.get(props.scenario)}
                base={k.get(props.baseline)}
                effective={(k.effective ? k.effective(props.scenario) : '') || null}
                getScenario={getScenario}
                onEdit={props.onEdit}
              />
            ) : (
              <ChoiceRow
                key={k.id}
                knob={k}
                value={k.get(props.scenario)}
                base={k.get(props.baseline)}
                effective={(k.effective ? k.effective(props.scenario) : '') || null}
                getScenario={getScenario}
                onEdit={props.onEdit}
              />
            )
          )}
        </details>
      ))}
    </div>
  )
}
