/**
 * The what-if knob rows (renderer/src/features/whatif/KnobPanel.tsx) as a user meets them:
 * an unset knob says so in its narrow box and explains itself in the tooltip and the baseline
 * line; a value the knob refuses is reported with the reason and the scenario keeps its last
 * valid value; a valid one is applied.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render } from '@testing-library/react'
import { KnobPanel } from '../../renderer/src/features/whatif/KnobPanel'
import { report1Scenario } from '../../simulator/presets'
import type { Scenario } from '../../simulator/scenario'

function mount(s: Scenario): { edits: Scenario[]; box: (id: string) => HTMLInputElement; container: HTMLElement } {
  const edits: Scenario[] = []
  const { getByTestId, container } = render(
    <KnobPanel
      scenario={s}
      baseline={s}
      onEdit={(mutate) => {
        const next = structuredClone(s)
        mutate(next)
        edits.push(next)
      }}
    />
  )
  return { edits, box: (id) => getByTestId(`input-${id}`) as HTMLInputElement, container }
}

describe('KnobPanel', () => {
  afterEach(cleanup)

  it('an unset knob: "unset" in the box, its meaning in the tooltip and on the baseline line', () => {
    const s = report1Scenario()
    s.clients.connectTimeoutS = null
    const { box, container } = mount(s)
    const b = box('clients.connectTimeoutS')
    expect(b.value).toBe('')
    expect(b.placeholder).toBe('unset')
    expect(b.title).toBe('kernel SYN retries only')
    expect(container.textContent).toContain('baseline kernel SYN retries only')
  })

  it('a set knob has no tooltip; a knob that cannot be unset has no placeholder', () => {
    const s = report1Scenario()
    s.clients.connectTimeoutS = 3
    const { box } = mount(s)
    expect(box('clients.connectTimeoutS').value).toBe('3')
    expect(box('clients.connectTimeoutS').title).toBe('')
    expect(box('proxy.somaxconn').placeholder).toBe('')
  })

  it('refuses an invalid value with the reason and keeps the scenario; applies a valid one', () => {
    const s = report1Scenario()
    const { box, edits, container } = mount(s)
    const b = box('proxy.somaxconn')
    fireEvent.change(b, { target: { value: '-5' } })
    fireEvent.blur(b, { target: { value: '-5' } })
    expect(edits).toHaveLength(0)
    expect(b.getAttribute('aria-invalid')).toBe('true')
    expect(container.querySelector('[role="alert"]')?.textContent).toMatch(/between 0 and 65535/)
    fireEvent.change(b, { target: { value: '4096' } })
    fireEvent.blur(b, { target: { value: '4096' } })
    expect(edits).toHaveLength(1)
    expect(edits[0]!.hosts.proxy.somaxconn).toBe(4096)
    expect(b.getAttribute('aria-invalid')).toBeNull()
  })
})
