import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createDemoHandlers, loadDemo } from '../../../main/demos/handlers'
import { tempDir } from '../../helpers/tmp'

const resources = new URL('../../../resources', import.meta.url).pathname

describe('built-in demos', () => {
  it('lists both field reports', async () => {
    const list = await createDemoHandlers({ resourcesDir: resources }).list()
    expect(list.map((d) => d.id)).toEqual(['report1-sms-gateway', 'report2-nginx-php-fpm'])
    for (const d of list) expect(d.summary.length).toBeGreaterThan(50)
  })

  it('opens each into a valid scenario built from its snapshot', async () => {
    const r1 = await loadDemo(resources, 'report1-sms-gateway')
    expect(r1.snapshot.format).toBe('headroom-snapshot/1')
    expect(r1.scenario.clients.mode).toBe('open')
    expect(r1.scenario.haproxy?.servers.length).toBe(2)
    expect(r1.scenario.network.backendRttMs).toBe(30)
    const r2 = await loadDemo(resources, 'report2-nginx-php-fpm')
    expect(r2.scenario.clients.mode).toBe('closed')
    expect(r2.scenario.clients.concurrency).toBe(512)
    expect(r2.scenario.clients.totalRequests).toBe(5120)
    expect(r2.scenario.backend.kind).toBe('nginx-php-fpm')
  })

  it('refuses an unknown id with the list of known ones', async () => {
    await expect(loadDemo(resources, 'nope')).rejects.toThrow(/no demo "nope".*report1-sms-gateway/)
  })

  it('reports a corrupt snapshot clearly and leaves the file untouched', async () => {
    const dir = tempDir('headroom-demo-')
    cpSync(resources, dir, { recursive: true })
    const file = join(dir, 'demo', 'report2.snapshot.json')
    writeFileSync(file, '{"format": "headroom-snapshot/1", "id": ')
    const before = readFileSync(file, 'utf8')
    await expect(loadDemo(dir, 'report2-nginx-php-fpm')).rejects.toThrow(/report2\.snapshot\.json is not valid JSON/)
    expect(readFileSync(file, 'utf8')).toBe(before)
    writeFileSync(file, JSON.stringify({ format: 'headroom-snapshot/1', id: 'x' }))
    await expect(loadDemo(dir, 'report2-nginx-php-fpm')).rejects.toThrow(/invalid snapshot/)
  })

  it('reports a corrupt manifest clearly', async () => {
    const dir = tempDir('headroom-demo-')
    cpSync(resources, dir, { recursive: true })
    writeFileSync(join(dir, 'demo', 'demos.json'), JSON.stringify({ format: 'headroom-demos/1', demos: [] }))
    await expect(createDemoHandlers({ resourcesDir: dir }).list()).rejects.toThrow(/demos\.json/)
  })
})
