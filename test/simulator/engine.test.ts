import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { EventQueue } from '../../simulator/engine'
import { Stream } from '../../simulator/random'
import { runMMcK, mmckBlocking, erlangC, mmckDistribution } from '../../simulator/mmck'

describe('EventQueue', () => {
  it('pops by (time, priority, seq): time order, then priority, then FIFO', () => {
    const q = new EventQueue(2)
    q.schedule(2, 0, 1, 0, 0)
    q.schedule(1, 0, 2, 0, 0)
    q.schedule(1, -1, 3, 0, 0)
    q.schedule(1, 0, 4, 0, 0)
    q.schedule(1, 0, 5, 7, 9)
    const out: number[] = []
    while (q.step()) out.push(q.kind)
    expect(out).toEqual([3, 2, 4, 5, 1])
    expect(q.popped).toBe(5)
    expect(q.peek()).toBe(Infinity)
  })

  it('matches a sorted reference for random schedules (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: -1, max: 1 })), { maxLength: 300 }), (evs) => {
        const q = new EventQueue(4)
        evs.forEach(([t, p], i) => q.schedule(t, p, i, i, -i))
        const ref = evs.map(([t, p], i) => ({ t, p, i })).sort((x, y) => x.t - y.t || x.p - y.p || x.i - y.i)
        const got: number[] = []
        while (q.step()) {
          expect(q.a + q.b).toBe(0)
          got.push(q.kind)
        }
        expect(got).toEqual(ref.map((r) => r.i))
      })
    )
  })

  it('bucket tier: same pops as a sorted reference (near, bucketed, beyond the ring, Infinity)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 300, noNaN: true }), fc.integer({ min: -1, max: 1 }), fc.boolean()), { maxLength: 300 }),
        fc.constantFrom(1 / 64, 0.01, 1),
        (evs, w) => {
          const q = new EventQueue(2, w)
          const ref = new EventQueue(2)
          // interleave: schedule half, pop a few, schedule the rest relative to now
          const half = evs.length >> 1
          const put = (t: number, p: number, i: number): void => {
            q.schedule(t, p, i, i, -i)
            ref.schedule(t, p, i, i, -i)
          }
          evs.slice(0, half).forEach(([t, p, inf], i) => put(inf && i % 7 === 0 ? Infinity : t, p, i))
          for (let k = 0; k < 5 && ref.length > 0; k++) {
            expect(q.step()).toBe(ref.step())
            expect([q.now, q.kind, q.a, q.b]).toEqual([ref.now, ref.kind, ref.a, ref.b])
          }
          evs.slice(half).forEach(([t, p], j) => put((ref.now < Infinity ? ref.now : 0) + t * (j % 3 === 0 ? 0.001 : 1), p, half + j))
          expect(q.length).toBe(ref.length)
          while (ref.length > 0) {
            expect(q.peek()).toBe(ref.peek())
            expect(q.step()).toBe(ref.step())
            expect([q.now, q.kind, q.a, q.b]).toEqual([ref.now, ref.kind, ref.a, ref.b])
          }
          expect(q.step()).toBe(false)
        }
      )
    )
  })

  it('bucket tier: crowded buckets (sorted pour with equal keys, ties and priorities) pop like the reference', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 24 }), fc.integer({ min: -1, max: 1 }), fc.nat(3)), { minLength: 1, maxLength: 2000 }),
        fc.constantFrom(1, 1 / 256),
        (evs, w) => {
          // times on a grid of w/8: many events share a bucket, a radix key and an exact time
          const q = new EventQueue(2, w)
          const ref = new EventQueue(2)
          let i = 0
          for (const [slot, p, pops] of evs) {
            const t = (ref.now < Infinity && ref.popped > 0 ? ref.now : 0) + (slot * w) / 8
            q.schedule(t, p, i & 0xfffff, i, -i)
            ref.schedule(t, p, i & 0xfffff, i, -i)
            i++
            for (let k = 0; k < pops && ref.length > 0; k++) {
              expect(q.step()).toBe(ref.step())
              expect([q.now, q.kind, q.a, q.b]).toEqual([ref.now, ref.kind, ref.a, ref.b])
            }
          }
          expect(q.length).toBe(ref.length)
          while (ref.length > 0) {
            expect(q.step()).toBe(ref.step())
            expect([q.now, q.kind, q.a, q.b]).toEqual([ref.now, ref.kind, ref.a, ref.b])
          }
          expect(q.step()).toBe(false)
        }
      ),
      { numRuns: 60 }
    )
  })

  it('touchRows: a poured bucket reads every line of each event row (a in range), and pops stay the same', () => {
    const rows = 50
    const view = new Int32Array(rows << 5)
    for (let r = 0; r < rows; r++) {
      view[r << 5] = r + 1
      view[(r << 5) + 16] = 1000 * (r + 1)
    }
    const q = new EventQueue(4, 1)
    const ref = new EventQueue(4, 1)
    q.touchRows(view, 5)
    // one bucket [3, 4): rows 2 and 7 (twice), a = -1 (no row) and a = 60 (past the view)
    const evs: [number, number][] = [[3.5, 7], [3.25, 2], [3.75, -1], [3.1, 60], [3.9, 7]]
    for (const [t, a] of evs) {
      q.schedule(t, 0, 1, a, 0)
      ref.schedule(t, 0, 1, a, 0)
    }
    const out: number[] = []
    while (q.step()) {
      expect(ref.step()).toBe(true)
      expect([q.now, q.a]).toEqual([ref.now, ref.a])
      out.push(q.a)
    }
    expect(out).toEqual([60, 2, 7, -1, 7])
    expect(q.touchSink).toBe(3003 + 8008 + 8008)
    expect(ref.touchSink).toBe(0)
  })

  it('interleaved schedule/step keeps order (grows under load)', () => {
    const q = new EventQueue(1)
    const r = new Stream(1, 1)
    for (let i = 0; i < 100; i++) q.schedule(r.next(), 0, i, 0, 0)
    let last = -1
    for (let i = 0; i < 5000; i++) {
      expect(q.step()).toBe(true)
      expect(q.now).toBeGreaterThanOrEqual(last)
      last = q.now
      q.schedule(q.now + r.next(), 0, i, 0, 0)
    }
  })
})

describe('Stream', () => {
  it('is reproducible per (seed, stream) and streams are independent', () => {
    const a = new Stream(7, 1)
    const b = new Stream(7, 1)
    const c = new Stream(7, 2)
    const xa = Array.from({ length: 5 }, () => a.next())
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xa)
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xa)
    const s = new Stream(1, 3)
    let sum = 0
    const n = 200000
    for (let i = 0; i < n; i++) {
      const u = s.next()
      expect(u >= 0 && u < 1).toBe(true)
      sum += u
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005)
    let e = 0
    for (let i = 0; i < n; i++) e += s.exp(2)
    expect(Math.abs(e / n - 2)).toBeLessThan(0.03)
  })
})

describe('Stream.expZig (ziggurat) is Exp(mean)', () => {
  it('matches the exponential CDF (Kolmogorov-Smirnov), its moments and its tail', () => {
    const s = new Stream(3, 9)
    const n = 400_000
    const x = new Float64Array(n)
    for (let i = 0; i < n; i++) x[i] = s.expZig(1)
    x.sort()
    let d = 0
    let sum = 0
    let sq = 0
    for (let i = 0; i < n; i++) {
      const F = 1 - Math.exp(-x[i])
      d = Math.max(d, Math.abs(F - i / n), Math.abs(F - (i + 1) / n))
      sum += x[i]
      sq += x[i] * x[i]
    }
    // KS critical value at alpha = 0.001: 1.95 / sqrt(n)
    expect(d).toBeLessThan(1.95 / Math.sqrt(n))
    expect(x[0]).toBeGreaterThanOrEqual(0)
    expect(Math.abs(sum / n - 1)).toBeLessThan(0.01)
    expect(Math.abs(sq / n - 2)).toBeLessThan(0.04) // E[X^2] = 2
    // the tail beyond the ziggurat's base (R = 7.697) is drawn too: P(X > 8) = e^-8
    const tail = n - x.findIndex((v) => v > 8)
    expect(tail / n).toBeGreaterThan(Math.exp(-8) * 0.5)
    expect(tail / n).toBeLessThan(Math.exp(-8) * 1.6)
    // scaled by the mean
    const t = new Stream(4, 9)
    let m = 0
    for (let i = 0; i < n; i++) m += t.expZig(0.25)
    expect(Math.abs(m / n - 0.25)).toBeLessThan(0.0025)
  })
  it('the wedge and tail paths are exercised and stay exact (layer 0 and layers > 0 rejects)', () => {
    // finer check on the region where most rejections happen: P(X in [a, b]) per bin
    const s = new Stream(5, 9)
    const n = 1_000_000
    const bins = new Float64Array(40) // 0..10 in 0.25 steps
    for (let i = 0; i < n; i++) {
      const v = s.expZig(1)
      if (v < 10) bins[Math.floor(v * 4)]++
    }
    for (let k = 0; k < 40; k++) {
      const p = Math.exp(-k / 4) - Math.exp(-(k + 1) / 4)
      const sd = Math.sqrt(n * p * (1 - p))
      expect(Math.abs(bins[k] - n * p)).toBeLessThan(5 * sd + 3)
    }
  })
})

describe('engine vs closed forms', () => {
  it('M/M/c/K c=8 K=16 loss probability and distribution mean', () => {
    const p = { c: 8, K: 16, lambda: 7.2, mu: 1, arrivals: 400_000, seed: 11 }
    const r = runMMcK(p)
    const pk = mmckBlocking(8, 16, 7.2, 1)
    // standard error of a proportion ~ sqrt(p(1-p)/n), inflated for autocorrelation
    expect(Math.abs(r.lossProbability - pk)).toBeLessThan(0.004)
    const d = mmckDistribution(8, 16, 7.2, 1)
    const L = d.reduce((s, x, n) => s + x * n, 0)
    expect(Math.abs(r.meanInSystem - L) / L).toBeLessThan(0.02)
  })
  it('M/M/c waiting probability matches Erlang C', () => {
    const r = runMMcK({ c: 4, K: 1e9, lambda: 3, mu: 1, arrivals: 300_000, seed: 5 })
    const pw = erlangC(4, 3)
    expect(pw).toBeCloseTo(0.5094, 3)
    expect(Math.abs(r.waitProbability - pw)).toBeLessThan(0.02)
    expect(r.lost).toBe(0)
  })
})
