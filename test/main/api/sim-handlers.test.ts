/**
 * sim.run / sim.result on the real worker pool: a scenario already run (undo, redo, a knob
 * moved back) whose result is still kept comes back at once, under a new id, with the same
 * bytes; anything else runs.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createSimHandlers, type SimRunner } from '../../../main/api/sim-handlers'
import { createEventBus } from '../../../main/api/events'
import { SimPool } from '../../../main/sim/pool'
import { defaultScenario } from '../../../simulator/scenario'

const ROOT = new URL('../../../', import.meta.url).pathname
const WORKER = join(ROOT, 'out', 'main', 'worker.js')
const built = existsSync(WORKER)
if (!built && process.env['CI'] === 'true') throw new Error('out/main/worker.js missing: `npm test` builds first')

describe.skipIf(!built)('sim.run reuses a kept result of the same run', () => {
  const pool = new SimPool({ workerPath: WORKER, size: 2 })
  afterAll(() => pool.close())
  let calls = 0
  const runner: SimRunner = {
    run: (s, o) => {
      calls++
      return pool.run(s, o)
    }
  }
  const bus = createEventBus()
  const done: string[] = []
  bus.subscribe((e, p) => {
    if (e === 'sim.done') done.push((p as { runId: string }).runId)
  })
  const sim = createSimHandlers({ runner, emit: bus.emit })
  const scen = (somaxconn: number) => {
    const s = defaultScenario()
    s.durationS = 5
    s.hosts.proxy.somaxconn = somaxconn
    return s
  }
  const bytes = async (runId: string): Promise<Buffer> => Buffer.from((await sim.result(runId)).buffer)

  it('same scenario and seed: a new id, the same bytes, no second run', async () => {
    const a = await sim.run({ scenario: scen(128), seed: 3 })
    const ba = await bytes(a.runId)
    expect(calls).toBe(1)
    const b = await sim.run({ scenario: scen(128), seed: 3 })
    expect(b.runId).not.toBe(a.runId)
    expect((await bytes(b.runId)).equals(ba)).toBe(true)
    expect(calls).toBe(1)
    await expect.poll(() => done.includes(b.runId)).toBe(true)
    // the original stays readable
    expect((await bytes(a.runId)).equals(ba)).toBe(true)
  })

  it('another seed, another scenario or a preview runs', async () => {
    const before = calls
    const ref = await bytes((await sim.run({ scenario: scen(128), seed: 3 })).runId)
    expect(calls).toBe(before)
    const other = await bytes((await sim.run({ scenario: scen(128), seed: 4 })).runId)
    expect(other.equals(ref)).toBe(false)
    await bytes((await sim.run({ scenario: scen(4096), seed: 3 })).runId)
    await bytes((await sim.run({ scenario: scen(128), seed: 3, preview: true })).runId)
    expect(calls).toBe(before + 3)
  })

  it('a cancelled run is not reused', async () => {
    const big = scen(64)
    big.durationS = 600
    const c = await sim.run({ scenario: big, seed: 1 })
    expect((await sim.cancel(c.runId)).cancelled).toBe(true)
    await expect(sim.result(c.runId)).rejects.toThrow(/cancel/)
    const before = calls
    const d = await sim.run({ scenario: big, seed: 1 })
    expect(calls).toBe(before + 1)
    await sim.cancel(d.runId)
  })
})
