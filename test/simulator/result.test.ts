import { describe, expect, it } from 'vitest'
import { decodeResult, encodeResult, BASE_COLUMNS } from '../../simulator/result'
import { simulate } from '../../simulator/index'
import { defaultScenario } from '../../simulator/scenario'

describe('result codec', () => {
  const buf = simulate({ ...defaultScenario(), durationS: 5, drainS: 2 }, { seed: 3 })

  it('decodes columns as views into the one buffer, with the lead chart columns', () => {
    const r = decodeResult(buf)
    expect(r.rows).toBe(7)
    for (const c of ['t', 'offered', 'completed', 'failed', ...BASE_COLUMNS]) expect(r.col(c)).toBeInstanceOf(Float64Array)
    expect(r.col('t').buffer).toBe(buf)
    expect(Array.from(r.col('t'))).toEqual([0, 1, 2, 3, 4, 5, 6])
    const offered = r.col('offered').reduce((a, b) => a + b, 0)
    expect(offered).toBe(r.summary.totals.offered)
    expect(r.summary.format).toBe('headroom-result/1')
    expect(r.preview).toBe(false)
    expect(() => r.col('nope')).toThrow(/no column "nope"/)
  })

  it('round-trips arbitrary columns and refuses malformed buffers with clear errors', () => {
    const r = decodeResult(buf)
    const again = decodeResult(encodeResult(r.columns, r.summary))
    expect(Array.from(again.col('completed'))).toEqual(Array.from(r.col('completed')))
    expect(() => decodeResult(new ArrayBuffer(8))).toThrow(/shorter than the 32-byte header/)
    const bad = buf.slice(0)
    new DataView(bad).setUint32(0, 0xdeadbeef, true)
    expect(() => decodeResult(bad)).toThrow(/bad magic/)
    const ver = buf.slice(0)
    new DataView(ver).setUint32(4, 99, true)
    expect(() => decodeResult(ver)).toThrow(/version 99 unsupported/)
    expect(() => decodeResult(buf.slice(0, buf.byteLength - 3))).toThrow(/header says/)
    const junk = buf.slice(0)
    const dv = new DataView(junk)
    const off = dv.getUint32(16, true)
    new Uint8Array(junk, off, 1)[0] = 0x7b + 1
    expect(() => decodeResult(junk)).toThrow(/not valid JSON/)
    expect(() => encodeResult({ a: [1, 2] }, { ...r.summary, columns: ['a', 'b'] })).toThrow(/column "b"/)
  })
})
