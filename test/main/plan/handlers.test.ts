import { describe, expect, it } from 'vitest'
import { ApiError } from '../../../main/api/errors'
import { planArgSchemas } from '../../../main/plan/api-schemas'
import { createPlanHandlers } from '../../../main/plan/handlers'
import { simulate } from '../../../simulator/index'
import { report1Inputs, resources } from './tools'

describe('diagnosis.* and plan.* handlers', () => {
  it('diagnoses a demo, builds a plan with the predictions of finished runs, exports and verifies it', async () => {
    const { snapshot, baseline, scenario } = await report1Inputs()
    const runs = new Map<string, ArrayBuffer>([
      ['run-base', simulate(baseline, { seed: 3, preview: true })],
      ['run-scen', simulate(scenario, { seed: 3, preview: true })]
    ])
    const pdfs: string[] = []
    const h = createPlanHandlers({
      resourcesDir: resources,
      simResult: async (id) => {
        const b = runs.get(id)
        if (!b) throw new ApiError('not_found', `no run ${id}`)
        return b
      },
      printToPdf: async (html) => (pdfs.push(html), new TextEncoder().encode('%PDF-1.7 stub'))
    })
    const rec = await h.plan.recommend({ source: { kind: 'demo', id: 'report1-sms-gateway' } })
    expect(rec.changes.find((c) => c.path === 'haproxy.globalMaxconn')?.to).toBe('5000')
    const d = await h.diagnosis.run({ source: { kind: 'demo', id: 'report1-sms-gateway' } })
    expect(d.findings[0]!.id).toBe('haproxy-maxconn-reached')
    const plan = await h.plan.build({ source: { kind: 'demo', id: 'report1-sms-gateway' }, scenario, baselineRunId: 'run-base', scenarioRunId: 'run-scen' })
    expect(plan.baselineName).toBe(baseline.name)
    expect(plan.prediction.baseline!.seed).toBe(3)
    expect(plan.items.length).toBeGreaterThan(5)
    const md = await h.plan.export(plan.id, 'md')
    expect(md.mime).toBe('text/markdown')
    expect(md.text).toContain('## Changes')
    const html = await h.plan.export(plan.id, 'html')
    expect(html.text).toContain('<svg')
    const pdf = await h.plan.export(plan.id, 'pdf')
    expect(new Uint8Array(pdf.bytes!).subarray(0, 5)).toEqual(new TextEncoder().encode('%PDF-'))
    expect(pdfs[0]).toBe(html.text)
    const bundle = await h.plan.export(plan.id, 'bundle')
    expect(bundle.files!.map((f) => f.path)).toEqual(expect.arrayContaining(['apply.sh', 'rollback.sh', 'plan.pdf', 'files/etc/haproxy/haproxy.cfg']))
    expect(bundle.files!.find((f) => f.path === 'apply.sh')!.executable).toBe(true)
    const v = await h.plan.verify(plan.id, { kind: 'inline', snapshot })
    expect(v.summary.applied).toBe(0)
    expect(v.summary.notApplied).toBeGreaterThan(0)
  })

  it('clear errors: unknown plan, stored snapshots or runs without a provider, no PDF printer', async () => {
    const { scenario, snapshot } = await report1Inputs()
    const h = createPlanHandlers({ resourcesDir: resources })
    await expect(h.plan.export('plan-000000000000', 'md')).rejects.toThrow(/no plan plan-000000000000/)
    await expect(h.diagnosis.run({ source: { kind: 'stored', id: 'abc' } })).rejects.toThrow(/stored snapshots are not available/)
    await expect(h.plan.build({ source: { kind: 'inline', snapshot }, scenario, scenarioRunId: 'r1' })).rejects.toThrow(/simulation results are not available/)
    const p = await h.plan.build({ source: { kind: 'inline', snapshot }, scenario })
    await expect(h.plan.export(p.id, 'pdf')).rejects.toThrow(/PDF export is not available/)
    const bad = structuredClone(snapshot)
    bad.limits.systemd[0]!.unit = 'haproxy;reboot.service'
    const err = await h.plan.build({ source: { kind: 'inline', snapshot: bad }, scenario }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('plan_invalid')
  })

  it('argument schemas reject malformed calls before any work', async () => {
    const { scenario, snapshot } = await report1Inputs()
    expect(planArgSchemas['plan.export'].safeParse(['plan-1', 'docx']).success).toBe(false)
    expect(planArgSchemas['plan.export'].safeParse(['../etc/passwd', 'md']).success).toBe(false)
    expect(planArgSchemas['diagnosis.run'].safeParse([{ source: { kind: 'file', path: '/etc/shadow' } }]).success).toBe(false)
    expect(planArgSchemas['diagnosis.run'].safeParse([{ source: { kind: 'inline', snapshot: { format: 'headroom-snapshot/1' } } }]).success).toBe(false)
    expect(planArgSchemas['plan.build'].safeParse([{ source: { kind: 'inline', snapshot }, scenario: { ...scenario, durationS: -1 } }]).success).toBe(false)
    expect(planArgSchemas['plan.build'].safeParse([{ source: { kind: 'inline', snapshot }, scenario }]).success).toBe(true)
    expect(planArgSchemas['plan.recommend'].safeParse([{ source: { kind: 'demo', id: 'x' }, extra: 1 }]).success).toBe(false)
    expect(planArgSchemas['plan.verify'].safeParse(['plan-1', { kind: 'demo', id: 'report1-sms-gateway' }]).success).toBe(true)
  })
})
