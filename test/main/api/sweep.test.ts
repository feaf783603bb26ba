import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { maxScale, scaleLoad } from '../../../main/api/sweep'
import { createSimHandlers } from '../../../main/api/sim-handlers'
import { createEventBus } from '../../../main/api/events'
import { SimPool } from '../../../main/sim/pool'
import { loadDemo } from '../../../main/demos/handlers'
import { defaultScenario } from '../../../simulator/scenario'

const ROOT = new URL('../../../', import.meta.url).pathname
const WORKER = join(ROOT, 'out', 'main', 'worker.js')

describe('maxScale search', () => {
  it('finds the threshold of a monotone failure curve within the bisection precision', async () => {
    for (const threshold of [0.3, 1, 2.7, 9.5]) {
      const r = await maxScale(async (f) => (f > threshold ? 0.2 : 0), 0.01, { maxFactor: 16, minFactor: 1 / 64, steps: 8 })
      expect(r.scale).toBeLessThanOrEqual(threshold)
      expect(threshold - r.scale).toBeLessThan(threshold / 8 + 0.01)
      expect(r.capped).toBe(false)
    }
  })
  it('reports a cap when the target holds everywhere', async () => {
    const r = await maxScale(async () => 0, 0.01, { maxFactor: 16, minFactor: 1 / 64, steps: 8 })
    expect(r).toMatchObject({ scale: 16, capped: true })
  })
  it('scales open and closed loads', () => {
    const s = defaultScenario()
    expect(scaleLoad(s, 2).clients.loadCurve.map((p) => p.rate)).toEqual(s.clients.loadCurve.map((p) => p.rate * 2))
    s.clients.mode = 'closed'
    s.clients.loadCurve = []
    s.clients.concurrency = 100
    s.clients.totalRequests = 1000
    const c = scaleLoad(s, 1.5)
    expect(c.clients.concurrency).toBe(150)
    expect(c.clients.totalRequests).toBe(1500)
  })
})

const built = existsSync(WORKER)
if (!built && process.env['CI'] === 'true') throw new Error('out/main/worker.js missing: `npm test` builds first')

describe.skipIf(!built)('sim.sweep on the worker pool', () => {
  const pool = new SimPool({ workerPath: WORKER, size: 2 })
  afterAll(() => pool.close())

  it('gives report 2 more headroom with a larger somaxconn', async () => {
    const demo = await loadDemo(join(ROOT, 'resources'), 'report2-nginx-php-fpm')
    const bus = createEventBus()
    const progress: number[] = []
    bus.subscribe((e, p) => {
      if (e === 'sim.sweepProgress') progress.push((p as { done: number }).done)
    })
    const sim = createSimHandlers({ runner: pool, emit: bus.emit })
    const variants = [8, 128, 1024].map((v) => {
      const s = structuredClone(demo.scenario)
      s.hosts.backend.somaxconn = v
      return { value: v, scenario: s }
    })
    const { sweepId } = await sim.sweep({ variants, targetFailureShare: 0.01, quality: 'full', maxScale: 4 })
    const r = await sim.sweepResult(sweepId)
    expect(r.points.map((p) => p.value)).toEqual([8, 128, 1024])
    expect(r.points[2].maxScale).toBeGreaterThan(r.points[0].maxScale)
    expect(r.points[1].maxScale).toBeGreaterThanOrEqual(r.points[0].maxScale)
    expect(progress.sort()).toEqual([1, 2, 3])
  })
})
