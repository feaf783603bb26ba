/** The renderer's plan store driven by the real handlers (no IPC in between). */
import { describe, expect, it } from 'vitest'
import { createPlanHandlers } from '../../../main/plan/handlers'
import { createPlanStore } from '../../../renderer/src/features/plan/plan-store'
import { report2Inputs, resources } from './tools'

describe('plan store', () => {
  it('diagnose -> build -> export -> verify, with failures kept as states', async () => {
    const store = createPlanStore(createPlanHandlers({ resourcesDir: resources }))
    expect((await store.getState().exportPlan('md')).ok).toBe(false)
    await store.getState().diagnose({ kind: 'demo', id: 'report2-nginx-php-fpm' })
    const d = store.getState().diagnosis
    expect(d.status === 'done' && d.value.findings[0]!.id).toBe('listen-overflows-rising')
    await store.getState().recommend({ kind: 'demo', id: 'report2-nginx-php-fpm' })
    const r = store.getState().recommendation
    expect(r.status === 'done' && r.value.changes.map((c) => c.path)).toContain('hosts.backend.somaxconn')
    const { scenario, snapshot } = await report2Inputs()
    await store.getState().build({ source: { kind: 'demo', id: 'report2-nginx-php-fpm' }, scenario })
    const p = store.getState().plan
    expect(p.status).toBe('done')
    const md = await store.getState().exportPlan('md')
    expect(md.ok && md.file.text).toContain('net.core.somaxconn')
    const pdf = await store.getState().exportPlan('pdf')
    expect(pdf).toEqual({ ok: false, error: 'PDF export is not available in this host' })
    await store.getState().verify({ kind: 'inline', snapshot })
    const v = store.getState().verification
    expect(v.status === 'done' && v.value.summary.notApplied).toBeGreaterThan(0)
    await store.getState().diagnose({ kind: 'demo', id: 'no-such-demo' })
    const f = store.getState().diagnosis
    expect(f.status === 'failed' && f.error).toMatch(/no demo "no-such-demo"/)
  })
})
