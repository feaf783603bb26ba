/**
 * The browser host's security, against the real service: binds 127.0.0.1 only, a token on
 * every API request and on the event socket, Host and Origin checked, no CORS.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createService, type Service } from '../../../main/api/service'
import { startBrowserHost, type BrowserHost } from '../../../main/host/server'
import { decodeWire, encodeWire } from '../../../main/api/codec'
import { defaultScenario } from '../../../simulator/scenario'
import { tempDir } from '../../helpers/tmp'

const ROOT = new URL('../../../', import.meta.url).pathname
const WORKER = join(ROOT, 'out', 'main', 'worker.js')
const RENDERER = join(ROOT, 'out', 'renderer')
const built = existsSync(WORKER) && existsSync(join(RENDERER, 'index.html'))
if (!built && process.env['CI'] === 'true') throw new Error('out/ is missing: `npm test` builds before testing')

/** Raw HTTP so Host and Origin can be forged the way an attacker's page or rebinding would. */
function raw(port: number, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers, setHost: false }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    if (opts.body) req.write(opts.body)
    req.end()
  })
}

describe.skipIf(!built)('browser host', () => {
  let service: Service
  let host: BrowserHost
  let H: Record<string, string>

  beforeAll(async () => {
    service = createService({ hostKind: 'browser', resourcesDir: join(ROOT, 'resources'), userDataDir: tempDir('headroom-host-'), workerPath: WORKER, poolSize: 1 })
    host = await startBrowserHost({ dispatch: service.dispatch, rendererDir: RENDERER })
    service.bus.subscribe((e, p) => host.emit(e, p))
    H = { Host: `127.0.0.1:${host.port}`, 'Content-Type': 'application/json' }
  })
  afterAll(async () => {
    await host?.close()
    await service?.close()
  })

  const call = (name: string, args: unknown[], headers: Record<string, string>) =>
    raw(host.port, { method: 'POST', path: `/api/call/${name}`, headers, body: encodeWire(args) })

  it('listens on 127.0.0.1 only, with a long random token', () => {
    expect(host.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${host.port}/#token=[A-Za-z0-9_-]{43}$`))
  })

  it('answers a call that carries the token', async () => {
    const r = await call('demo.list', [], { ...H, Authorization: `Bearer ${host.token}` })
    expect(r.status).toBe(200)
    const reply = decodeWire(r.body) as { ok: boolean; value: { id: string }[] }
    expect(reply.ok).toBe(true)
    expect(reply.value.map((d) => d.id)).toContain('report1-sms-gateway')
    expect(r.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('refuses a missing or wrong token', async () => {
    expect((await call('demo.list', [], H)).status).toBe(401)
    expect((await call('demo.list', [], { ...H, Authorization: `Bearer ${host.token}x` })).status).toBe(401)
    expect((await call('demo.list', [], { ...H, Authorization: `Bearer ${'A'.repeat(43)}` })).status).toBe(401)
  })

  it('refuses a foreign Origin even with the token (cross-site request)', async () => {
    const r = await call('demo.list', [], { ...H, Authorization: `Bearer ${host.token}`, Origin: 'https://evil.example' })
    expect(r.status).toBe(403)
    const r2 = await call('demo.list', [], { ...H, Authorization: `Bearer ${host.token}`, Origin: `http://127.0.0.1:${host.port}` })
    expect(r2.status).toBe(200)
  })

  it('refuses a foreign Host (DNS rebinding), for pages and API alike', async () => {
    expect((await raw(host.port, { path: '/', headers: { Host: 'evil.example' } })).status).toBe(421)
    expect((await call('demo.list', [], { ...H, Host: `evil.example:${host.port}`, Authorization: `Bearer ${host.token}` })).status).toBe(421)
    expect((await raw(host.port, { path: '/', headers: { Host: `localhost:${host.port}` } })).status).toBe(200)
  })

  it('refuses non-JSON posts, other methods and unknown endpoints', async () => {
    const auth = { Authorization: `Bearer ${host.token}`, Host: H.Host }
    expect((await raw(host.port, { method: 'POST', path: '/api/call/demo.list', headers: { ...auth, 'Content-Type': 'text/plain' }, body: '[]' })).status).toBe(415)
    expect((await raw(host.port, { method: 'GET', path: '/api/call/demo.list', headers: auth })).status).toBe(405)
    expect((await raw(host.port, { method: 'POST', path: '/api/nope', headers: { ...auth, 'Content-Type': 'application/json' }, body: '[]' })).status).toBe(404)
    expect((await raw(host.port, { method: 'OPTIONS', path: '/', headers: { Host: H.Host } })).status).toBe(405)
  })

  it('validates arguments and says what is wrong', async () => {
    const auth = { ...H, Authorization: `Bearer ${host.token}` }
    const bad = decodeWire((await call('demo.open', ['../../etc/passwd'], auth)).body) as { ok: boolean; error: { code: string } }
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } })
    const garbage = await raw(host.port, { method: 'POST', path: '/api/call/demo.list', headers: auth, body: '{not json' })
    expect(garbage.status).toBe(400)
  })

  it('serves the workbench with a strict CSP and never outside its folder', async () => {
    const page = await raw(host.port, { path: '/', headers: { Host: H.Host } })
    expect(page.status).toBe(200)
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'; script-src 'self'/)
    expect(page.body).toMatch(/<div id="root">/)
    const trav = await raw(host.port, { path: '/..%2f..%2fpackage.json', headers: { Host: H.Host } })
    expect([403, 404]).toContain(trav.status)
    expect(trav.body).not.toMatch(/"name": "headroom"/)
  })

  it('requires the token on the event socket and pushes events to it', async () => {
    const url = `ws://127.0.0.1:${host.port}/api/events`
    const refused = (protocols: string[], headers: Record<string, string> = {}) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, protocols, { headers })
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
        ws.on('open', () => {
          ws.close()
          resolve(101)
        })
        ws.on('error', () => undefined)
      })
    expect(await refused([])).toBe(401)
    expect(await refused(['headroom-token.wrong'])).toBe(401)
    expect(await refused([`headroom-token.${host.token}`], { Origin: 'https://evil.example' })).toBe(403)

    const ws = new WebSocket(url, [`headroom-token.${host.token}`], { headers: { Origin: `http://127.0.0.1:${host.port}` } })
    await new Promise((r) => ws.once('open', r))
    const events: { event: string; payload: { runId: string } }[] = []
    ws.on('message', (m) => events.push(decodeWire(String(m)) as (typeof events)[number]))
    const s = defaultScenario()
    s.durationS = 5
    s.drainS = 5
    const started = decodeWire((await call('sim.run', [{ scenario: s, seed: 2 }], { ...H, Authorization: `Bearer ${host.token}` })).body) as { ok: boolean; value: { runId: string } }
    expect(started.ok).toBe(true)
    const result = decodeWire((await call('sim.result', [started.value.runId], { ...H, Authorization: `Bearer ${host.token}` })).body) as { ok: boolean; value: { buffer: ArrayBuffer } }
    expect(result.ok).toBe(true)
    expect(result.value.buffer.byteLength).toBeGreaterThan(32)
    await expect.poll(() => events.some((e) => e.event === 'sim.done' && e.payload.runId === started.value.runId)).toBe(true)
    ws.close()
  })
})
