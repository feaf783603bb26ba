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

  it('a late reply never overwrites a newer request or a reset (two demos opened quickly)', async () => {
    const real = createPlanHandlers({ resourcesDir: resources })
    // the first diagnosis (report 1) answers last, with an error; the second (report 2) first
    let releaseFirst: () => void = () => undefined
    const firstDone = new Promise<void>((r) => (releaseFirst = r))
    let calls = 0
    const api = {
      ...real,
      diagnosis: {
        run: async (req: Parameters<typeof real.diagnosis.run>[0]) => {
          if (++calls === 1) {
            await firstDone
            throw new Error('stale failure')
          }
          return real.diagnosis.run(req)
        }
      }
    }
    const store = createPlanStore(api)
    const first = store.getState().diagnose({ kind: 'demo', id: 'report1-sms-gateway' })
    await store.getState().diagnose({ kind: 'demo', id: 'report2-nginx-php-fpm' })
    releaseFirst()
    await first
    const d = store.getState().diagnosis
    expect(d.status).toBe('done')
    expect(d.status === 'done' && d.value.findings[0]!.id).toBe('listen-overflows-rising')
    // a reset (another source opened) drops what was in flight
    const third = store.getState().diagnose({ kind: 'demo', id: 'report2-nginx-php-fpm' })
    store.getState().reset()
    await third
    expect(store.getState().diagnosis.status).toBe('idle')
  })
})
