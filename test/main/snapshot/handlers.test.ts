// The snapshot API domain against a real sshd/HAProxy/nginx (test/helpers/world.ts):
// take with progress events, host-key confirmation, cancel, store calls, compare, fleet.
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSnapshotHandlers } from '../../../main/snapshot/handlers'
import type { SnapshotEvents } from '../../../main/snapshot/api-types'
import { snapshotArgSchemas } from '../../../main/snapshot/api-schemas'
import { createNoSecretStore } from '../../../main/ssh/secrets'
import { requireRoot, requireTool } from '../../helpers/require-tool'
import { startWorld, type World } from '../../helpers/world'

const ready = ['sshd', 'haproxy', 'nginx', 'unshare', 'ssh-keygen', 'perl', 'curl', 'ss'].map((t) => requireTool(t)).every(Boolean) && requireRoot()

type Ev = { [K in keyof SnapshotEvents]: { event: K; payload: SnapshotEvents[K] } }[keyof SnapshotEvents]

describe.skipIf(!ready)('snapshot handlers', () => {
  let world: World
  let tmp: string
  const events: Ev[] = []
  let api: ReturnType<typeof createSnapshotHandlers>
  const waitFor = <K extends keyof SnapshotEvents>(event: K, pred: (p: SnapshotEvents[K]) => boolean, ms = 60_000): Promise<SnapshotEvents[K]> =>
    new Promise((resolve, reject) => {
      const end = Date.now() + ms
      const tick = (): void => {
        const hit = events.find((e) => e.event === event && pred(e.payload as SnapshotEvents[K]))
        if (hit) return resolve(hit.payload as SnapshotEvents[K])
        if (Date.now() > end) return reject(new Error(`no ${event} within ${ms} ms; got ${JSON.stringify(events.map((e) => e.event))}`))
        setTimeout(tick, 25)
      }
      tick()
    })
  const endOf = (takeId: string): Promise<Ev> =>
    new Promise((resolve) => {
      const tick = (): void => {
        const hit = events.find((e) => (e.event === 'snapshot.done' || e.event === 'snapshot.failed') && e.payload.takeId === takeId)
        if (hit) resolve(hit)
        else setTimeout(tick, 25)
      }
      tick()
    })

  beforeAll(async () => {
    world = await startWorld({ maxconn: 200 })
    tmp = mkdtempSync(join(tmpdir(), 'headroom-handlers-'))
    writeFileSync(join(tmp, 'id_test'), world.userKey, { mode: 0o600 })
    writeFileSync(
      join(tmp, 'ssh_config'),
      `Host web-1 web-2 web-3\n  HostName 127.0.0.1\nHost db-*\n  HostName 127.0.0.1\nHost *\n  Port ${world.sshPort}\n  User root\n  IdentityFile ${join(tmp, 'id_test')}\n`
    )
    writeFileSync(join(tmp, 'known_hosts'), '')
    api = createSnapshotHandlers({
      emit: (event, payload) => events.push({ event, payload } as Ev),
      userDataDir: join(tmp, 'data'),
      secrets: createNoSecretStore(),
      sshConfigPath: join(tmp, 'ssh_config'),
      knownHostsPath: join(tmp, 'known_hosts')
    })
  })
  afterAll(async () => {
    api?.close()
    await world?.stop()
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  })

  it('unknown host key => failed event with fingerprint; confirm; take succeeds with progress', async () => {
    const { takeId } = await api.take({ host: 'web-1', sampleIntervalS: 1 })
    const f = (await endOf(takeId)) as Extract<Ev, { event: 'snapshot.failed' }>
    expect(f.event).toBe('snapshot.failed')
    expect(f.payload.kind).toBe('hostkey-unknown')
    expect(f.payload.hostKey).toMatchObject({ host: '127.0.0.1', port: world.sshPort, keyType: 'ssh-ed25519' })
    const fp = f.payload.hostKey!.fingerprint
    expect(snapshotArgSchemas['snapshot.confirmHostKey'].safeParse([{ host: '127.0.0.1', port: world.sshPort, fingerprint: fp }]).success).toBe(true)
    await expect(api.confirmHostKey({ host: '127.0.0.1', port: world.sshPort, fingerprint: 'SHA256:' + 'A'.repeat(43) })).rejects.toThrow(/no pending host key/)
    expect(await api.confirmHostKey({ host: '127.0.0.1', port: world.sshPort, fingerprint: fp })).toEqual({ added: true })
    expect(readFileSync(join(tmp, 'known_hosts'), 'utf8')).toMatch(/^\|1\|/)

    const second = await api.take({ host: 'web-1', sampleIntervalS: 1, password: 'x', remember: true })
    expect(second.notice).toMatch(/not remembered/)
    const done = (await endOf(second.takeId)) as Extract<Ev, { event: 'snapshot.done' }>
    expect(done.event).toBe('snapshot.done')
    expect(done.payload.summary).toMatchObject({ host: 'web-1', hostName: '127.0.0.1', kind: 'ssh' })
    const prog = events.filter((e) => e.event === 'snapshot.progress' && e.payload.takeId === second.takeId).map((e) => e.payload as SnapshotEvents['snapshot.progress'])
    expect(prog.map((p) => p.stage).filter((st, i, a) => st !== a[i - 1])).toEqual(['connecting', 'discover', 'configs', 'sample', 'saving'])
    // progress only grows, and moves during the sampling wait
    expect(prog.every((p, i) => i === 0 || p.progress >= prog[i - 1]!.progress)).toBe(true)
    expect(prog.filter((p) => p.stage === 'sample').length).toBeGreaterThan(1)
    const list = await api.list()
    expect(list.snapshots.map((s) => s.id)).toContain(done.payload.summary.id)
    const snap = await api.open(done.payload.summary.id)
    const fe = snap.haproxy!.stat.ok ? snap.haproxy!.stat.value.rows.find((r) => r.svname === 'FRONTEND') : undefined
    expect(fe?.slim).toBe(200)
  })

  it('store calls through the API: rename, export/import, compare, delete, errors', async () => {
    const { snapshots } = await api.list()
    const id = snapshots[0]!.id
    expect((await api.rename(id, 'lab box')).name).toBe('lab box')
    const ex = await api.export(id)
    const imp = await api.import(ex.json)
    const cmp = await api.compare(id, imp.id)
    expect(cmp.changes).toEqual([])
    await expect(api.open('nope')).rejects.toMatchObject({ code: 'not-found' })
    await expect(api.import('{}')).rejects.toMatchObject({ code: 'invalid' })
    expect(await api.delete(imp.id)).toEqual({ deleted: true })
  })

  it('cancel during sampling ends the take with a cancelled failure and saves nothing', async () => {
    const before = (await api.list()).snapshots.length
    const { takeId } = await api.take({ host: 'web-2', sampleIntervalS: 30 })
    await waitFor('snapshot.progress', (p) => p.takeId === takeId && p.stage === 'sample')
    expect(await api.cancel(takeId)).toEqual({ cancelled: true })
    const end = await endOf(takeId)
    expect(end.event).toBe('snapshot.failed')
    expect((end.payload as SnapshotEvents['snapshot.failed']).kind).toBe('cancelled')
    expect((await api.list()).snapshots.length).toBe(before)
    expect(await api.cancel(takeId)).toEqual({ cancelled: false })
  })

  it('fleet: hosts from a config pattern plus a pasted list, concurrency limit, per-host progress, isolated failures', async () => {
    expect((await api.sshHosts()).hosts).toEqual(['web-1', 'web-2', 'web-3'])
    const { fleetId, hosts } = await api.fleet({ pattern: 'web-*', hosts: ['no-such-host.invalid'], concurrency: 2, sampleIntervalS: 0 })
    expect(hosts).toEqual(['no-such-host.invalid', 'web-1', 'web-2', 'web-3'])
    const done = await waitFor('snapshot.fleetDone', (p) => p.fleetId === fleetId, 90_000)
    expect(done.results.map((r) => [r.host, r.ok])).toEqual([
      ['no-such-host.invalid', false],
      ['web-1', true],
      ['web-2', true],
      ['web-3', true]
    ])
    expect(done.results[0]!.error?.kind).toBe('dns')
    const prog = events.filter((e) => e.event === 'snapshot.fleetProgress' && e.payload.fleetId === fleetId).map((e) => e.payload as SnapshotEvents['snapshot.fleetProgress'])
    for (const h of hosts) {
      const states = prog.filter((p) => p.host === h).map((p) => p.state)
      expect(states[0]).toBe('queued')
      expect(states).toContain('running')
      expect(states.at(-1)).toBe(h === 'no-such-host.invalid' ? 'failed' : 'done')
    }
  })

  it('argument schemas refuse bad input before any SSH or file work', () => {
    const take = snapshotArgSchemas['snapshot.take']
    expect(take.safeParse([{ host: 'web-1' }]).success).toBe(true)
    expect(take.safeParse([{ host: '-oProxyCommand=x' }]).success).toBe(false)
    expect(take.safeParse([{ host: 'a\nb' }]).success).toBe(false)
    expect(take.safeParse([{ host: 'h', haproxyStatsSocket: 'relative.sock' }]).success).toBe(false)
    expect(take.safeParse([{ host: 'h', nginxStatusUrl: 'file:///etc/passwd' }]).success).toBe(false)
    expect(take.safeParse([{ host: 'h', extra: 1 }]).success).toBe(false)
    expect(snapshotArgSchemas['snapshot.open'].safeParse(['../x']).success).toBe(false)
    expect(snapshotArgSchemas['snapshot.fleet'].safeParse([{ concurrency: 2 }]).success).toBe(false)
  })
})
