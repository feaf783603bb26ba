// The snapshot store on a real temp dir, compare on the demo snapshots, fleet pool, secrets.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SnapshotStore, StoreError } from '../../../main/snapshot/store'
import { normSha, redactHaproxyCfg, redactSnapshot } from '../../../main/snapshot/redact'
import { compareSnapshots } from '../../../main/snapshot/compare'
import { runFleet } from '../../../main/snapshot/fleet'
import { parseSnapshot, type Snapshot } from '../../../main/snapshot/schema'
import { createNoSecretStore } from '../../../main/ssh/secrets'
import { createSafeStorageSecretStore, type SafeStorageLike } from '../../../main/electron/secrets'

const demo = (n: 1 | 2): Snapshot => {
  const r = parseSnapshot(JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'resources', 'demo', `report${n}.snapshot.json`), 'utf8')))
  if (!r.ok) throw new Error(r.error)
  return r.snapshot
}

describe('SnapshotStore', () => {
  let dir: string
  let store: SnapshotStore
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'headroom-store-'))
    store = new SnapshotStore(dir)
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('an imported or older snapshot with secrets in its configs is saved redacted, with the checksums of the original texts', () => {
    const s = structuredClone(demo(1))
    const cfg = s.haproxy!.config
    if (!cfg.ok) throw new Error('demo has no config')
    const original = cfg.value.text + '\nlisten admin\n    bind :8404\n    stats auth admin:import-pw\n'
    cfg.value.text = original
    delete cfg.value.sha256
    const sum = store.import(JSON.stringify({ ...s, id: 'with-secret' }))
    const onDisk = readFileSync(join(store.dir, `${sum.id}.snapshot.json`), 'utf8')
    expect(onDisk).not.toContain('import-pw')
    const back = store.open(sum.id).haproxy!.config
    if (!back.ok) throw new Error('config lost')
    expect(back.value.text).toMatch(/stats auth admin:<redacted:\d+>/)
    expect(back.value.sha256).toBe(normSha(original))
    // an already redacted text is not redacted twice (its checksum stays the original's)
    store.rename(sum.id, 'renamed')
    const again = store.open(sum.id).haproxy!.config
    expect(again.ok && again.value.sha256).toBe(normSha(original))
    // a file written before redaction existed is served redacted and left as it is on disk
    const oldFile = join(store.dir, 'old-one.snapshot.json')
    writeFileSync(oldFile, JSON.stringify({ ...s, id: 'old-one' }))
    const old = store.open('old-one').haproxy!.config
    expect(old.ok && old.value.text).not.toContain('import-pw')
    expect(readFileSync(oldFile, 'utf8')).toContain('import-pw')
  })

  it('saves atomically, lists, opens, renames, exports, imports, deletes', () => {
    const s = demo(1)
    const sum = store.save(s)
    expect(sum).toMatchObject({ id: 'demo-report1', host: 'gw-sms-01', haproxyVersion: '1.5.18', kernel: '3.10.0-1160.el7.x86_64', partial: false })
    expect(readdirSync(store.dir)).toEqual(['demo-report1.snapshot.json']) // no temp file left
    expect(statSync(join(store.dir, 'demo-report1.snapshot.json')).mode & 0o777).toBe(0o600)
    expect(store.open('demo-report1')).toEqual(redactSnapshot(s)) // the demo predates redaction: saved with its checksums
    store.save(demo(2))
    expect(store.list().snapshots.map((x) => x.id)).toEqual(['demo-report2', 'demo-report1']) // newest first
    expect(store.rename('demo-report1', 'gateway before the fix').name).toBe('gateway before the fix')
    expect(store.open('demo-report1').name).toBe('gateway before the fix')
    const ex = store.export('demo-report1')
    expect(ex.fileName).toBe('gateway-before-the-fix.snapshot.json')
    const imp = store.import(ex.json)
    expect(imp.id).not.toBe('demo-report1') // clashing id => fresh id
    expect(store.open(imp.id).sysctls).toEqual(s.sysctls)
    expect(store.delete('demo-report1')).toBe(true)
    expect(store.delete('demo-report1')).toBe(false)
    expect(() => store.open('demo-report1')).toThrow(/no snapshot demo-report1/)
  })

  it('a corrupt file gives a clear error and is left untouched', () => {
    store.save(demo(1))
    const bad = join(store.dir, 'broken.snapshot.json')
    writeFileSync(bad, '{"format":"headroom-snapshot/1","id":"broken"')
    const bad2 = join(store.dir, 'wrong.snapshot.json')
    writeFileSync(bad2, JSON.stringify({ format: 'headroom-snapshot/1', id: 'wrong' }))
    const before = [readFileSync(bad), readFileSync(bad2)]
    const l = store.list()
    expect(l.snapshots.map((x) => x.id)).toEqual(['demo-report1'])
    expect(l.unreadable.map((x) => x.id)).toEqual(['broken', 'wrong'])
    expect(l.unreadable[0]!.error).toMatch(/not valid JSON.*left untouched/)
    expect(l.unreadable[1]!.error).toMatch(/not a readable snapshot: invalid snapshot: name/)
    expect(() => store.rename('broken', 'x')).toThrow(StoreError)
    expect([readFileSync(bad), readFileSync(bad2)]).toEqual(before)
  })

  it('refuses bad ids and bad imports without writing anything', () => {
    expect(() => store.open('../etc/passwd')).toThrow(/bad snapshot id/)
    expect(() => store.import('not json')).toThrow(/not JSON/)
    expect(() => store.import('{"format":"headroom-snapshot/9"}')).toThrow(/unsupported snapshot format/)
    expect(existsSync(store.dir)).toBe(false)
  })
})

describe('compare', () => {
  it('reports changed knobs by identity and unified diffs of config texts', () => {
    const a = demo(1)
    const b = structuredClone(a)
    b.id = 'after'
    b.sysctls.values['net.core.somaxconn'] = { ok: true, value: { raw: '4096', numbers: [4096] } }
    const cfg = b.haproxy!.config
    if (!cfg.ok) throw new Error('cfg')
    cfg.value.text = cfg.value.text.replace('    daemon\n', '    daemon\n    maxconn 10000\n')
    cfg.value.parsed.global.maxconn = 10000
    // reordering listeners is not a change
    if (b.sockets.listeners.ok) b.sockets.listeners.value.reverse()
    const c = compareSnapshots(a, b)
    expect(c.changes).toContainEqual({ path: 'sysctls.net.core.somaxconn', kind: 'changed', before: '128', after: '4096' })
    expect(c.changes).toContainEqual({ path: 'haproxy.global.maxconn', kind: 'changed', before: null, after: 10000 })
    expect(c.changes.filter((x) => x.path.startsWith('listeners'))).toEqual([])
    expect(c.textDiffs).toHaveLength(1)
    expect(c.textDiffs[0]!.patch).toContain('+    maxconn 10000')
    expect(compareSnapshots(a, a).changes).toEqual([])
  })
  it('a redacted secret that only moved down a line is not a config change', () => {
    const a = structuredClone(demo(1))
    const cfg = a.haproxy!.config
    if (!cfg.ok) throw new Error('cfg')
    const base = cfg.value.text.trimEnd() + '\nlisten admin\n    stats auth admin:pw\n'
    cfg.value.text = redactHaproxyCfg(base).text
    const b = structuredClone(a)
    const cb = b.haproxy!.config
    if (!cb.ok) throw new Error('cfg')
    cb.value.text = redactHaproxyCfg('# a comment on top\n' + base).text
    const d = compareSnapshots(a, b).textDiffs
    expect(d).toHaveLength(1)
    expect(d[0]!.patch).toContain('+# a comment on top')
    expect(d[0]!.patch).not.toMatch(/^[-+].*stats auth/m)
  })
  it('nginx/php-fpm snapshots compare too, with added/removed items', () => {
    const a = demo(2)
    const b = structuredClone(a)
    const pools = b.phpFpm!.config
    if (!pools.ok) throw new Error('pools')
    pools.value.pools[0]!.maxChildren = 20
    b.limits.systemd = []
    const c = compareSnapshots(a, b)
    expect(c.changes).toContainEqual({ path: 'phpFpm.pool[www].maxChildren', kind: 'changed', before: 5, after: 20 })
    expect(c.changes).toContainEqual({ path: 'limits.systemd[nginx.service].LimitNOFILE', kind: 'removed', before: '1024:4096', after: null })
  })
})

describe('fleet pool', () => {
  it('never runs more than the limit at once, keeps order, isolates failures', async () => {
    let now = 0
    let peak = 0
    const started: string[] = []
    const r = await runFleet(
      ['a', 'b', 'c', 'd', 'e'],
      2,
      async (h) => {
        now++
        peak = Math.max(peak, now)
        started.push(h)
        await new Promise((res) => setTimeout(res, 20))
        now--
        if (h === 'c') throw new Error('boom')
        return h.toUpperCase()
      }
    )
    expect(peak).toBe(2)
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(r.map((x) => [x.host, x.ok, x.value ?? String(x.error)])).toEqual([
      ['a', true, 'A'],
      ['b', true, 'B'],
      ['c', false, 'Error: boom'],
      ['d', true, 'D'],
      ['e', true, 'E']
    ])
  })
})

describe('secrets', () => {
  it('no keychain: nothing is remembered', async () => {
    const s = createNoSecretStore()
    expect(s.available).toBe(false)
    await expect(s.set('k', 'v')).rejects.toThrow(/not remembered/)
    expect(await s.get('k')).toBeNull()
  })
  it('safeStorage adapter stores only ciphertext, atomically; refuses the basic_text backend', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'headroom-secrets-'))
    try {
      // Electron is not runnable here; this stands in for safeStorage's encrypt/decrypt pair.
      const fake = (backend: string): SafeStorageLike => ({
        isEncryptionAvailable: () => true,
        encryptString: (p) => Buffer.from(Buffer.from(p, 'utf8').map((x) => x ^ 0x5a)),
        decryptString: (b) => Buffer.from(b.map((x) => x ^ 0x5a)).toString('utf8'),
        getSelectedStorageBackend: () => backend
      })
      const file = join(dir, 'secrets.json')
      const s = createSafeStorageSecretStore(fake('gnome_libsecret'), file)
      expect(s.available).toBe(true)
      await s.set('ssh:root@h:22', 'hunter2-secret')
      expect(readFileSync(file, 'utf8')).not.toContain('hunter2')
      expect(await s.get('ssh:root@h:22')).toBe('hunter2-secret')
      await s.delete('ssh:root@h:22')
      expect(await s.get('ssh:root@h:22')).toBeNull()
      if (process.platform === 'linux') {
        const weak = createSafeStorageSecretStore(fake('basic_text'), join(dir, 'weak.json'))
        expect(weak.available).toBe(false)
        await expect(weak.set('k', 'v')).rejects.toThrow(/basic_text/)
        expect(existsSync(join(dir, 'weak.json'))).toBe(false)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
