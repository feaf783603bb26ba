import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ScenarioStore } from '../../../main/scenarios/store'
import { defaultScenario } from '../../../simulator/scenario'
import { tempDir } from '../../helpers/tmp'

const fresh = () => {
  const dir = tempDir('headroom-scen-')
  return { dir, store: new ScenarioStore(dir) }
}
const base = { kind: 'demo' as const, id: 'report1-sms-gateway' }

describe('ScenarioStore', () => {
  it('saves, lists, reopens, renames, duplicates and deletes', async () => {
    const { store } = fresh()
    const s = defaultScenario()
    s.hosts.proxy.somaxconn = 1024
    const a = await store.save({ name: 'raise somaxconn', baseline: base, scenario: s })
    expect((await store.open(a.id)).scenario.hosts.proxy.somaxconn).toBe(1024)
    const renamed = await store.rename(a.id, 'somaxconn 1024')
    expect(renamed.createdAt).toBe(a.createdAt)
    expect((await store.open(a.id)).name).toBe('somaxconn 1024')
    const b = await store.duplicate(a.id)
    expect(b.id).not.toBe(a.id)
    expect(b.name).toBe('somaxconn 1024 (copy)')
    expect((await store.list()).scenarios.map((x) => x.id).sort()).toEqual([a.id, b.id].sort())
    await store.remove(a.id)
    expect((await store.list()).scenarios.map((x) => x.id)).toEqual([b.id])
    await expect(store.open(a.id)).rejects.toThrow(/does not exist/)
  })

  it('reports a corrupt file, keeps listing the others, and never touches it', async () => {
    const { dir, store } = fresh()
    const ok = await store.save({ name: 'fine', baseline: base, scenario: defaultScenario() })
    const badId = '00000000-0000-4000-8000-000000000000'
    const bad = join(dir, 'scenarios', `${badId}.json`)
    writeFileSync(bad, '{"format": "headroom-saved-scenario/1", "scenario": {')
    const listing = await store.list()
    expect(listing.scenarios.map((s) => s.id)).toEqual([ok.id])
    expect(listing.broken).toHaveLength(1)
    expect(listing.broken[0].error).toMatch(/corrupt.*left untouched/)
    await expect(store.open(badId)).rejects.toThrow(/corrupt/)
    // saving over it is refused (it would lose what is in it)
    await expect(store.save({ id: badId, name: 'x', baseline: base, scenario: defaultScenario() })).rejects.toThrow(/corrupt/)
    expect(readFileSync(bad, 'utf8')).toBe('{"format": "headroom-saved-scenario/1", "scenario": {')
  })

  it('rejects ids that are not uuids (no path tricks) and leaves no temp files', async () => {
    const { dir, store } = fresh()
    await expect(store.open('../../etc/passwd')).rejects.toThrow(/not a scenario id/)
    await store.save({ name: 'a', baseline: base, scenario: defaultScenario() })
    expect(readdirSync(join(dir, 'scenarios')).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('refuses to load a file whose scenario is invalid', async () => {
    const { dir, store } = fresh()
    const a = await store.save({ name: 'a', baseline: base, scenario: defaultScenario() })
    const f = join(dir, 'scenarios', `${a.id}.json`)
    const j = JSON.parse(readFileSync(f, 'utf8'))
    j.scenario.hosts.proxy.somaxconn = -3
    writeFileSync(f, JSON.stringify(j))
    await expect(store.open(a.id)).rejects.toThrow(/somaxconn/)
  })
})
