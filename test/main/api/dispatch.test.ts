import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { API_CALLS, API_CALLS_COMPLETE, type ApiContract, type CallName } from '../../../main/api/contract'
import { createDispatch } from '../../../main/api/dispatch'
import { callArgSchemas } from '../../../main/api/schemas'
import { decodeWire, encodeWire } from '../../../main/api/codec'
import { ApiError } from '../../../main/api/errors'
import { defaultScenario } from '../../../simulator/scenario'

// A recording implementation: the dispatcher's job is to refuse bad calls before any handler.
function recorder() {
  const calls: [string, unknown[]][] = []
  const rec =
    (name: string, value: unknown = null) =>
    async (...args: unknown[]) => {
      calls.push([name, args])
      if (name === 'demo.open' && args[0] === 'boom') throw new ApiError('not_found', 'no demo "boom"')
      return value
    }
  const impl = {
    app: { info: rec('app.info', { name: 'headroom' }) },
    demo: { list: rec('demo.list', []), open: rec('demo.open') },
    sim: { run: rec('sim.run', { runId: 'r1' }), cancel: rec('sim.cancel'), result: rec('sim.result') }
  } as unknown as ApiContract
  return { calls, impl }
}

describe('contract', () => {
  it('lists every call once, each with an argument schema', () => {
    expect(API_CALLS_COMPLETE).toBe(true)
    expect(new Set(API_CALLS).size).toBe(API_CALLS.length)
    for (const c of API_CALLS) expect(callArgSchemas[c as CallName]).toBeDefined()
  })
})

describe('dispatch', () => {
  it('passes valid arguments through', async () => {
    const { calls, impl } = recorder()
    const d = createDispatch(impl, callArgSchemas)
    expect(await d('demo.open', ['report1-sms-gateway'])).toEqual({ ok: true, value: null })
    expect(calls).toEqual([['demo.open', ['report1-sms-gateway']]])
  })

  it('refuses unknown calls and bad arguments without calling anything', async () => {
    const { calls, impl } = recorder()
    const d = createDispatch(impl, callArgSchemas)
    const unknown = await d('fs.readFile', ['/etc/passwd'])
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown_call' } })
    const proto = await d('__proto__.constructor', [])
    expect(proto).toMatchObject({ ok: false, error: { code: 'unknown_call' } })
    const bad = await d('demo.open', ['../../etc/passwd'])
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } })
    const extra = await d('demo.list', ['x'])
    expect(extra).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } })
    const notArray = await d('demo.open', 'report1')
    expect(notArray).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } })
    expect(calls).toEqual([])
  })

  it('validates a scenario deeply and names the bad field', async () => {
    const { calls, impl } = recorder()
    const d = createDispatch(impl, callArgSchemas)
    const s = defaultScenario()
    ;(s.hosts.proxy as { somaxconn: number }).somaxconn = -5
    const r = await d('sim.run', [{ scenario: s }])
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.message).toMatch(/somaxconn/)
    const ok = await d('sim.run', [{ scenario: defaultScenario(), seed: 3 }])
    expect(ok).toEqual({ ok: true, value: { runId: 'r1' } })
    expect(calls).toHaveLength(1)
  })

  it('turns handler errors into a reply with their code', async () => {
    const { impl } = recorder()
    const d = createDispatch(impl, callArgSchemas)
    expect(await d('demo.open', ['boom'])).toEqual({ ok: false, error: { code: 'not_found', message: 'no demo "boom"' } })
  })
})

describe('wire codec', () => {
  it('round-trips ArrayBuffers inside JSON', () => {
    const f = new Float64Array([1.5, -2, 1e300])
    const back = decodeWire(encodeWire({ a: 1, buffer: f.buffer, nested: [f.buffer] })) as { a: number; buffer: ArrayBuffer; nested: ArrayBuffer[] }
    expect(back.a).toBe(1)
    expect(Array.from(new Float64Array(back.buffer))).toEqual([1.5, -2, 1e300])
    expect(Array.from(new Float64Array(back.nested[0]))).toEqual([1.5, -2, 1e300])
  })

  it('does not turn look-alike objects with extra keys into buffers', () => {
    const v = decodeWire(encodeWire({ $ab: 'AAAA', other: 1 })) as Record<string, unknown>
    expect(v).toEqual({ $ab: 'AAAA', other: 1 })
  })

  it('throws on invalid JSON', () => {
    expect(() => decodeWire('{nope')).toThrow()
    expect(z.string().safeParse(1).success).toBe(false)
  })
})
