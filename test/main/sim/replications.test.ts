import { describe, expect, it } from 'vitest'
import { replicationSeeds, summarizeReplications } from '../../../main/sim/replications'
import { simulate } from '../../../simulator/index'
import { decodeResult } from '../../../simulator/result'
import { defaultScenario } from '../../../simulator/scenario'

describe('replications', () => {
  it('seeds are distinct and reproducible; bad counts are refused', () => {
    expect(replicationSeeds(3)).toEqual(replicationSeeds(3))
    expect(new Set(replicationSeeds(50)).size).toBe(50)
    expect(() => replicationSeeds(0)).toThrow(/1..1000/)
  })
  it('spreads bracket every replication and bands bracket every second', () => {
    const s = { ...defaultScenario(), durationS: 10, drainS: 2 }
    const seeds = replicationSeeds(4)
    const bufs = seeds.map((seed) => simulate(s, { seed }))
    const sum = summarizeReplications(bufs, seeds)
    expect(sum.n).toBe(4)
    const oks = bufs.map((b) => decodeResult(b).summary.totals.ok)
    expect(sum.ok.min).toBe(Math.min(...oks))
    expect(sum.ok.max).toBe(Math.max(...oks))
    expect(sum.ok.max).toBeGreaterThan(sum.ok.min) // Poisson arrivals differ per seed
    expect(sum.ok.sd).toBeGreaterThan(0)
    for (const b of bufs) {
      const r = decodeResult(b)
      r.col('completed').forEach((v, i) => {
        expect(v).toBeGreaterThanOrEqual(sum.bands.completed.min[i]!)
        expect(v).toBeLessThanOrEqual(sum.bands.completed.max[i]!)
      })
    }
    expect(Object.values(sum.ceilings).reduce((a, b) => a + b, 0)).toBe(4)
    expect(() => summarizeReplications([])).toThrow(/no replications/)
  })
})
