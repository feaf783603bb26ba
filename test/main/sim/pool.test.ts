/**
 * SimPool against the real built worker (out/main/worker.js; `npm test` builds it first).
 * Under CI=true a missing build fails instead of skipping.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { SimPool } from '../../../main/sim/pool'
import { decodeResult } from '../../../simulator/result'
import { defaultScenario, type Scenario } from '../../../simulator/scenario'
import { report1Scenario } from '../../../simulator/presets'

const workerPath = resolve(__dirname, '../../../out/main/worker.js')
const built = existsSync(workerPath)

function small(durationS = 20): Scenario {
  return { ...defaultScenario(), durationS, drainS: 5 }
}

const run = built || process.env.CI === 'true'
;(run ? describe : describe.skip)('SimPool (real worker threads)', () => {
  const pool = new SimPool({ workerPath, size: 2 })
  afterAll(() => pool.close())

  it('the built worker exists', () => expect(existsSync(workerPath), `build first: ${workerPath}`).toBe(true))

  it('runs a simulation and returns the result buffer with progress on the way', async () => {
    const seen: number[] = []
    const buf = await pool.run(report1Scenario({ durationS: 60, peak: 3000 }), { seed: 5, onProgress: (f) => seen.push(f) })
    expect(buf).toBeInstanceOf(ArrayBuffer)
    const r = decodeResult(buf)
    expect(r.summary.totals.offered).toBeGreaterThan(10_000)
    expect(seen.length).toBeGreaterThanOrEqual(2)
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!)
    expect(seen[seen.length - 1]).toBe(1)
  })

  it('gives the same bytes as the in-process run for the same seed', async () => {
    const { simulate } = await import('../../../simulator/index')
    const s = small()
    const a = new Uint8Array(await pool.run(s, { seed: 77 }))
    const b = new Uint8Array(simulate(s, { seed: 77 }))
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true)
  })

  it('cancel: the promise rejects with AbortError at once and the pool keeps working', async () => {
    const ac = new AbortController()
    const long = report1Scenario({ durationS: 600, peak: 5000 })
    const p = pool.run(long, { seed: 1, signal: ac.signal })
    setTimeout(() => ac.abort(), 100)
    await expect(p).rejects.toMatchObject({ name: 'AbortError' })
    // both workers usable afterwards
    const rs = await pool.runMany([{ scenario: small(5), seed: 1 }, { scenario: small(5), seed: 2 }, { scenario: small(5), seed: 3 }])
    expect(rs).toHaveLength(3)
    const offered = rs.map((b) => decodeResult(b).summary.totals.offered)
    expect(new Set(offered).size).toBeGreaterThan(1) // different seeds, different Poisson arrivals
  })

  it('an already-aborted signal rejects without running; preview runs are marked', async () => {
    const ac = new AbortController()
    ac.abort()
    await expect(pool.run(small(), { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' })
    const prev = decodeResult(await pool.run(small(), { preview: true }))
    expect(prev.preview).toBe(true)
    expect(prev.summary.preview).toBe(true)
  })

  it('warm: workers start at once and warm up first; results are byte-identical to a cold pool', async () => {
    const warm = new SimPool({ workerPath, size: 1, warm: true })
    try {
      const s = report1Scenario({ durationS: 20, peak: 3000 })
      const a = new Uint8Array(await warm.run(s, { seed: 9 }))
      const b = new Uint8Array(await pool.run(s, { seed: 9 }))
      expect(a.byteLength).toBeGreaterThan(0)
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true)
    } finally {
      await warm.close()
    }
  })

  it('rejects after close', async () => {
    const p2 = new SimPool({ workerPath, size: 1 })
    await p2.close()
    await expect(p2.run(small())).rejects.toThrow(/closed/)
  })
})

if (!run) console.warn(`SimPool tests need ${workerPath}: run "npx electron-vite build" (npm test does); under CI=true they run and fail without it`)
