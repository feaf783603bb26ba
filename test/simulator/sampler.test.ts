import { describe, expect, it } from 'vitest'
import { SampledMax } from '../../simulator/sampler'

describe('SampledMax: a gauge as a periodic sampler sees it', () => {
  it('a spike shorter than the period is seen by the phases whose sample falls inside it only', () => {
    // 8 phases of a 0.1 s period: samples at k*0.1 + m*0.0125
    const s = new SampledMax(0.1, 8)
    s.set(1.0, 70) // 70 from 1.000 to 1.003: no sample instant of any phase in (1.000, 1.003]
    s.set(1.003, 0)
    expect(s.result(5)).toBe(0)
    const w = new SampledMax(0.1, 8)
    w.set(1.0, 70) // held 30 ms: the phases at 1.0125 and 1.025 see it, 6 of 8 do not
    w.set(1.03, 0)
    expect(w.result(5)).toBe(0)
    const long = new SampledMax(0.1, 8)
    long.set(1.0, 70) // held 60 ms: 4 of 8 phases have a sample inside -> median (upper) sees it
    long.set(1.06, 0)
    expect(long.result(5)).toBe(70)
  })

  it('a sampler started with the load (phase 0) sees the queue at 0, P, 2P ...: not its first 0.2 s', () => {
    // accept-overflow-b128's queue: 96 from t = 0, 64 from 0.2 s, 32 from 0.4 s, empty at 0.6 s
    const queue = (s: SampledMax): number => {
      s.set(0, 96)
      s.set(0.2, 64)
      s.set(0.4, 32)
      s.set(0.6, 0)
      return s.result(1)
    }
    expect(queue(new SampledMax(0.25, [0]))).toBe(64) // samples at 0 (empty yet), 0.25, 0.5 ...: as measured
    expect(queue(new SampledMax(0.25, 8))).toBe(96) // a random start mostly lands in the first 0.2 s
    expect(() => new SampledMax(0.25, [0.25])).toThrow(/phases/)
    expect(() => new SampledMax(0.25, [])).toThrow(/phases/)
  })

  it('a level held for a whole period is seen by every phase; the final value counts until the end', () => {
    const s = new SampledMax(0.25, 8)
    s.set(0.5, 45)
    s.set(0.8, 12)
    expect(s.result(3)).toBe(45)
    const t = new SampledMax(0.25, 8)
    t.set(2, 9) // still 9 when the run ends at 2.5
    expect(t.result(2.5)).toBe(9)
  })

  it('never reports more than the true peak, and reports it when nothing changes faster than the period', () => {
    const s = new SampledMax(0.1, 8)
    let peak = 0
    let t = 0
    for (let i = 0; i < 500; i++) {
      t += 0.001 + ((i * 7919) % 13) / 1000
      const v = (i * 31) % 17
      peak = Math.max(peak, v)
      s.set(t, v)
    }
    expect(s.result(t + 1)).toBeLessThanOrEqual(peak)
    const slow = new SampledMax(0.1, 8)
    for (let i = 0; i < 20; i++) slow.set(i * 0.5, i % 5)
    expect(slow.result(20)).toBe(4)
  })

  it('refuses a non-positive period', () => {
    expect(() => new SampledMax(0)).toThrow(/period/)
  })
})
