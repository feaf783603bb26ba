// Snapshots of 127.0.0.1 taken for real: a real sshd, HAProxy and nginx started by the test
// (test/helpers/world.ts, inside a private PID namespace), the real collector over ssh2.
import { normSha } from '../../../main/snapshot/redact'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { takeSnapshot, type TakeParams } from '../../../main/snapshot/take'
import { parseSnapshot, type Snapshot } from '../../../main/snapshot/schema'
import { scenarioFromSnapshot } from '../../../main/scenario/from-snapshot'
import { SshError } from '../../../main/ssh/errors'
import { findTool, requireRoot, requireTool } from '../../helpers/require-tool'
import { ensureTestUser, freePort, startWorld, TEST_USER, type World } from '../../helpers/world'

// perl: the collector talks to the stats socket with it; curl: status pages; ss: sockets.
const tools = ['sshd', 'haproxy', 'nginx', 'unshare', 'ssh-keygen', 'ssh-agent', 'ssh-add', 'perl', 'curl', 'ss', 'useradd', 'chpasswd'].map((t) => requireTool(t))
const ready = tools.every(Boolean) && requireRoot()
const phpFpm = ready && (findTool('php-fpm8.2') ?? findTool('php-fpm')) !== null
if (ready && !phpFpm && process.env.CI === 'true') throw new Error('php-fpm (Debian php8.2-fpm) is missing (CI=true: failing instead of skipping)')

function val<T>(i: { ok: true; value: T } | { ok: false; error: string; detail: string }): T {
  if (!i.ok) throw new Error(`item failed: ${i.error}: ${i.detail}`)
  return i.value
}

describe.skipIf(!ready)('snapshot of a real server over SSH', () => {
  let world: World
  let tmp: string
  let knownHosts: string
  let password: string
  const base = (): TakeParams => ({
    host: '127.0.0.1',
    port: world.sshPort,
    user: 'root',
    sampleIntervalS: 1,
    sudo: false,
    credentials: { privateKey: world.userKey, agent: null },
    nginxStatusUrl: world.nginx!.statusUrl
  })
  const env = () => ({ sshConfigText: '', knownHostsPath: knownHosts })

  beforeAll(async () => {
    password = ensureTestUser()
    world = await startWorld({ maxconn: 300, backlog: 64, nginxBacklog: 100, passwords: true, phpFpm })
    tmp = mkdtempSync(join(tmpdir(), 'headroom-take-'))
    knownHosts = join(tmp, 'known_hosts')
    writeFileSync(knownHosts, `# test known_hosts\n${world.knownHostsLine}\n`)
  })
  afterAll(async () => {
    await world?.stop()
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  })

  it('takes a full snapshot of 127.0.0.1 with HAProxy and nginx', async () => {
    const snap = await takeSnapshot({ ...base() }, env())
    expect(parseSnapshot(JSON.parse(JSON.stringify(snap))).ok).toBe(true)
    expect(snap.problems).toEqual([])
    expect(snap.partial).toBe(false)
    expect(snap.source).toMatchObject({ kind: 'ssh', hostName: '127.0.0.1', port: world.sshPort, user: 'root' })
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'))
    expect(val(snap.sysctls.values['net.core.somaxconn']!).numbers[0]).toBe(somaxconn)

    // Listener Send-Q = min(backlog, somaxconn) for both daemons
    const listeners = val(snap.sockets.listeners)
    const hl = listeners.find((l) => l.localPort === world.haproxy!.port)!
    expect(hl.sendQ).toBe(Math.min(world.haproxy!.backlog, somaxconn))
    expect(hl.processes[0]?.name).toBe('haproxy')
    const nl = listeners.find((l) => l.localPort === world.nginx!.port)!
    expect(nl.sendQ).toBe(Math.min(world.nginx!.backlog, somaxconn))

    // HAProxy: config found from the process's own -f, stats socket from the config
    const hap = snap.haproxy!
    expect(val(hap.version).major).toBe(2)
    expect(val(hap.configPath)).toBe(world.haproxy!.configPath)
    const cfg = val(hap.config)
    expect(cfg.parsed.global.maxconn).toBe(300)
    expect(cfg.parsed.global.statsSockets).toEqual([world.haproxy!.statsSocket])
    expect(cfg.text).toContain('# test HAProxy')
    // secrets are redacted before the snapshot exists; the unredacted file's checksum is kept for apply.sh
    expect(cfg.text).not.toContain('w0rld-pa55')
    expect(cfg.text).toMatch(/^ {4}user alice insecure-password <redacted:\d+>$/m)
    expect(cfg.sha256).toBe(normSha(readFileSync(world.haproxy!.configPath, 'utf8')))
    expect(JSON.stringify(snap)).not.toContain('w0rld-pa55')
    expect(val(hap.statsSource)).toEqual({ kind: 'socket', where: world.haproxy!.statsSocket })
    const fe = val(hap.stat).rows.find((r) => r.pxname === 'fe_test' && r.svname === 'FRONTEND')!
    expect(fe.slim).toBe(300)
    expect(val(hap.statEarlier).rows.find((r) => r.svname === 's1')?.pxname).toBe('be_test')
    expect(val(hap.info).Maxconn).toBe(300)

    // processes: the haproxy and nginx started by the world, with their limits and fd counts
    const procs = val(snap.limits.processes)
    const hp = procs.find((p) => p.kind === 'haproxy')!
    expect(hp.cmdline).toContain(world.haproxy!.configPath)
    expect(val(hp.limits).nofile.soft).toBeGreaterThan(0)
    expect(val(hp.fdCount)).toBeGreaterThan(3)
    expect(procs.filter((p) => p.kind === 'nginx').length).toBe(2) // master + 1 worker

    // nginx: config via nginx -T of the running master's -c, stub_status read
    const ng = snap.nginx!
    const ncfg = val(ng.config)
    expect(ncfg.listens.find((l) => l.port === world.nginx!.port)?.backlog).toBe(100)
    expect(ncfg.workerConnections).toBe(256)
    expect(val(ng.stubStatus).active).toBeGreaterThanOrEqual(1)

    // counters sampled twice, ~1 s apart
    const rates = val(snap.counters.rates)
    expect(rates.intervalS).toBeGreaterThan(0.5)
    expect(rates.intervalS).toBeLessThan(5)
    expect(typeof rates.perS.TcpExtListenOverflows).toBe('number')
    expect(snap.durationS).toBeLessThan(10)
  })

  it.skipIf(!phpFpm)('php-fpm pool found from its master process, unix listener clamped, status page; HAProxy stats over HTTP', async () => {
    const snap = await takeSnapshot({ ...base(), phpFpmStatusUrl: world.phpFpm!.statusUrl, haproxyStatsUrl: world.haproxy!.statsHttpUrl }, env())
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'))
    const fpm = snap.phpFpm!
    expect(val(fpm.version)).toMatch(/^\d+\.\d+\.\d+/)
    const cfg = val(fpm.config)
    expect(cfg.files.map((f) => f.path)).toEqual([world.phpFpm!.configPath, join(world.dir, 'pool.d', 'www.conf')])
    expect(cfg.pools).toEqual([expect.objectContaining({ name: 'www', listen: world.phpFpm!.socket, listenBacklog: 511, pm: 'static', maxChildren: 2 })])
    const ux = val(snap.sockets.unixListeners).find((u) => u.path === world.phpFpm!.socket)!
    expect(ux.sendQ).toBe(Math.min(511, somaxconn))
    expect(val(fpm.status)).toMatchObject({ pool: 'www', 'process manager': 'static' })
    expect(val(snap.limits.processes).filter((p) => p.kind === 'php-fpm').length).toBe(3) // master + 2 children
    // HAProxy through its stats page (;csv): show stat by URL, show info needs the socket
    const hap = snap.haproxy!
    expect(val(hap.statsSource)).toEqual({ kind: 'http', where: world.haproxy!.statsHttpUrl })
    expect(val(hap.stat).rows.find((r) => r.pxname === 'fe_test' && r.svname === 'FRONTEND')?.slim).toBe(300)
    expect(hap.info).toMatchObject({ ok: false, error: 'not configured' })
  })

  it('logs in with an encrypted PEM key and refuses a wrong passphrase clearly', async () => {
    const ok = await takeSnapshot({ ...base(), credentials: { privateKey: world.pemKey, passphrase: world.pemPassphrase, agent: null } }, env())
    expect(ok.host.hostname.ok).toBe(true)
    const bad = await takeSnapshot({ ...base(), credentials: { privateKey: world.pemKey, passphrase: 'wrong', agent: null } }, env()).catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(SshError)
    expect((bad as SshError).kind).toBe('auth')
    expect((bad as SshError).message).toMatch(/passphrase is wrong/)
  })

  it('logs in through a real ssh-agent (SSH_AUTH_SOCK-style socket)', async () => {
    const sock = join(tmp, 'agent.sock')
    const out = execFileSync('ssh-agent', ['-s', '-a', sock], { encoding: 'utf8' })
    const pid = /SSH_AGENT_PID=(\d+)/.exec(out)?.[1]
    try {
      const keyFile = join(tmp, 'agent_key')
      writeFileSync(keyFile, world.userKey, { mode: 0o600 })
      execFileSync('ssh-add', [keyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' })
      const snap = await takeSnapshot({ ...base(), credentials: { agent: sock } }, env())
      expect(snap.host.hostname.ok).toBe(true)
      const none = (await takeSnapshot({ ...base(), credentials: { agent: null } }, env()).catch((x: unknown) => x)) as SshError
      expect(none.kind).toBe('auth')
      expect(none.message).toMatch(/nothing to try/)
    } finally {
      if (pid) process.kill(Number(pid), 'SIGTERM')
    }
  })

  it('password and keyboard-interactive logins; a bad password is an auth error', async () => {
    const p: TakeParams = { ...base(), user: TEST_USER, credentials: { password, agent: null } }
    const snap = await takeSnapshot(p, env())
    expect(snap.source.user).toBe(TEST_USER)
    const bad = await takeSnapshot({ ...p, credentials: { password: 'not-the-password', agent: null } }, env()).catch((e: unknown) => e)
    expect((bad as SshError).kind).toBe('auth')
    expect((bad as SshError).message).toMatch(/authentication failed for headroom-t@127\.0\.0\.1/)
  })

  it('non-root collector: permission denied on a root process is reported and the rest kept', async () => {
    const snap = await takeSnapshot({ ...base(), user: TEST_USER, credentials: { privateKey: world.userKey, agent: null } }, env())
    const hp = val(snap.limits.processes).find((p) => p.kind === 'haproxy')!
    expect(hp.fdCount).toMatchObject({ ok: false, error: 'permission denied' })
    // /proc/PID/limits is world-readable (0444) on Linux, so it is still read
    expect(hp.limits.ok).toBe(true)
    expect(snap.partial).toBe(true)
    expect(snap.problems.some((p) => p.item === `limits.processes[${hp.pid}].fdCount`)).toBe(true)
    expect(val(snap.sysctls.values['net.core.somaxconn']!).numbers.length).toBe(1)
    // the stats socket is mode 600 root: show stat is denied, reported as such
    expect(snap.haproxy!.stat).toMatchObject({ ok: false, error: 'permission denied' })
  })

  it('unknown host key: refused with its SHA256 fingerprint until confirmed, then remembered (hashed)', async () => {
    const kh = join(tmp, 'known_hosts_empty')
    writeFileSync(kh, '')
    const e = (await takeSnapshot(base(), { sshConfigText: '', knownHostsPath: kh }).catch((x: unknown) => x)) as SshError
    expect(e.kind).toBe('hostkey-unknown')
    const expected = execFileSync('ssh-keygen', ['-lf', join(world.dir, 'host_ed25519.pub')], { encoding: 'utf8' }).split(' ')[1]
    expect(e.hostKey?.fingerprint).toBe(expected)
    expect(e.message).toContain(expected)
    expect(readFileSync(kh, 'utf8')).toBe('')
    // a wrong confirmation does not help
    const wrong = (await takeSnapshot(base(), { sshConfigText: '', knownHostsPath: kh, confirmedFingerprints: { [`[127.0.0.1]:${world.sshPort}`]: 'SHA256:AAAA' } }).catch((x: unknown) => x)) as SshError
    expect(wrong.kind).toBe('hostkey-unknown')
    const snap = await takeSnapshot(base(), { sshConfigText: '', knownHostsPath: kh, confirmedFingerprints: { [`[127.0.0.1]:${world.sshPort}`]: expected! } })
    expect(snap.host.hostname.ok).toBe(true)
    const line = readFileSync(kh, 'utf8').trim()
    expect(line).toMatch(/^\|1\|[^ ]+ ssh-ed25519 /)
    // OpenSSH itself finds the hashed entry
    expect(execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${world.sshPort}`, '-f', kh], { encoding: 'utf8' })).toContain('ssh-ed25519')
    const again = await takeSnapshot(base(), { sshConfigText: '', knownHostsPath: kh })
    expect(again.host.hostname.ok).toBe(true)
  })

  it('known_hosts with only the RSA key of the host: that algorithm is preferred and verified, no prompt', async () => {
    const kh = join(tmp, 'known_hosts_rsa')
    writeFileSync(kh, `${world.knownHostsLineRsa}\n`)
    const snap = await takeSnapshot(base(), { sshConfigText: '', knownHostsPath: kh })
    expect(snap.host.hostname.ok).toBe(true)
    expect(readFileSync(kh, 'utf8')).toBe(`${world.knownHostsLineRsa}\n`) // nothing appended
  })

  it('changed host key: refused with a clear message, even with a confirmation', async () => {
    const kh = join(tmp, 'known_hosts_changed')
    const other = readFileSync('/etc/ssh/ssh_host_ed25519_key.pub', 'utf8').split(' ').slice(0, 2).join(' ')
    writeFileSync(kh, `[127.0.0.1]:${world.sshPort} ${other}\n`)
    const e = (await takeSnapshot(base(), { sshConfigText: '', knownHostsPath: kh, confirmedFingerprints: { [`[127.0.0.1]:${world.sshPort}`]: 'x' } }).catch((x: unknown) => x)) as SshError
    expect(e.kind).toBe('hostkey-changed')
    expect(e.message).toMatch(/HOST KEY CHANGED .* line 1 of/)
  })

  it('clear errors for DNS and refused connections', async () => {
    const dns = (await takeSnapshot({ ...base(), host: 'no-such-host.invalid' }, env()).catch((x: unknown) => x)) as SshError
    expect(dns.kind).toBe('dns')
    const port = await freePort()
    const refused = (await takeSnapshot({ ...base(), port }, env()).catch((x: unknown) => x)) as SshError
    expect(refused.kind).toBe('refused')
    expect(refused.message).toContain(`127.0.0.1:${port}`)
  })

  it('a server that accepts TCP but never speaks SSH: handshake timeout, clearly', async () => {
    const silent: Server = createServer(() => undefined)
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    try {
      const port = (silent.address() as { port: number }).port
      const t0 = Date.now()
      const e = (await takeSnapshot({ ...base(), port, authTimeoutS: 1 }, env()).catch((x: unknown) => x)) as SshError
      expect(e.kind).toBe('timeout')
      expect(e.message).toMatch(/timed out after 1000 ms in the SSH handshake/)
      expect(Date.now() - t0).toBeLessThan(10_000)
    } finally {
      silent.close()
    }
  })

  it('ProxyJump through two hops from an ssh config with Host patterns', async () => {
    const keyFile = join(tmp, 'id_test')
    writeFileSync(keyFile, world.userKey, { mode: 0o600 })
    const cfgText = `Host jump1 jump2
  HostName 127.0.0.1
Host target-*
  HostName 127.0.0.1
  ProxyJump jump1,jump2
Host *
  Port ${world.sshPort}
  User root
  IdentityFile ${keyFile}
`
    const snap = await takeSnapshot({ host: 'target-a', sampleIntervalS: 0, sudo: false, credentials: { agent: null } }, { sshConfigText: cfgText, knownHostsPath: knownHosts })
    expect(snap.source).toMatchObject({ host: 'target-a', hostName: '127.0.0.1', port: world.sshPort, user: 'root' })
    expect(snap.host.hostname.ok).toBe(true)
  })

  it('a hanging command times out; that item is reported and the rest kept', async () => {
    const sock = join(world.dir, 'hang.sock')
    const srv: Server = createServer(() => undefined) // accepts, never answers
    await new Promise<void>((r) => srv.listen(sock, r))
    try {
      const snap = await takeSnapshot({ ...base(), haproxyStatsSocket: sock, commandTimeoutS: 2 }, env())
      expect(snap.haproxy!.stat).toMatchObject({ ok: false, error: 'timed out' })
      expect(snap.haproxy!.info).toMatchObject({ ok: false, error: 'timed out' })
      expect(snap.partial).toBe(true)
      expect(val(snap.counters.rates).intervalS).toBeGreaterThan(0)
      expect(val(snap.sockets.listeners).length).toBeGreaterThan(0)
    } finally {
      srv.close()
    }
  })

  it('stats socket missing: show stat is not found, everything else kept', async () => {
    const snap = await takeSnapshot({ ...base(), haproxyStatsSocket: join(world.dir, 'no-such.sock') }, env())
    expect(snap.haproxy!.stat).toMatchObject({ ok: false, error: 'not found' })
    expect(val(snap.haproxy!.config).parsed.global.maxconn).toBe(300)
  })
})

describe.skipIf(!ready)('faults that need their own server', () => {
  let tmp: string
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'headroom-take2-'))
  })
  afterAll(() => rmSync(tmp, { recursive: true, force: true }))

  it('a TCP stats socket (stats socket ipv4@127.0.0.1:PORT) is found in the config and used; no nbthread: HAProxy 2.x runs one thread per CPU, and so does the scenario', async () => {
    const w = await startWorld({ statsTcp: true, nginx: false, maxconn: 99, nbthread: null })
    try {
      const kh = join(tmp, 'kh4')
      writeFileSync(kh, `${w.knownHostsLine}\n`)
      const snap = await takeSnapshot({ host: '127.0.0.1', port: w.sshPort, user: 'root', sampleIntervalS: 0, sudo: false, credentials: { privateKey: w.userKey, agent: null } }, { sshConfigText: '', knownHostsPath: kh })
      expect(val(snap.haproxy!.statsSource)).toMatchObject({ kind: 'socket', where: expect.stringMatching(/^tcp:127\.0\.0\.1:\d+$/) })
      expect(val(snap.haproxy!.info).Maxconn).toBe(99)
      expect(val(snap.haproxy!.stat).rows.find((r) => r.pxname === 'fe_test' && r.svname === 'FRONTEND')?.slim).toBe(99)
      expect(val(snap.haproxy!.config).parsed.global.nbthread).toBeNull()
      const live = val(snap.haproxy!.info).Nbthread
      expect(live).toBe(Math.min(64, availableParallelism()))
      expect(scenarioFromSnapshot(snap).scenario.haproxy!.nbthread).toBe(live)
      // the same without the show info line: the version's default from the host's CPU count
      const noInfo = structuredClone(snap)
      delete val(noInfo.haproxy!.info)['Nbthread']
      expect(scenarioFromSnapshot(noInfo).scenario.haproxy!.nbthread).toBe(live)
    } finally {
      await w.stop()
    }
  })

  it('no stats socket in haproxy.cfg: stat is "not configured", not a failure', async () => {
    const w = await startWorld({ noStatsSocket: true, nginx: false })
    try {
      const kh = join(tmp, 'kh1')
      writeFileSync(kh, `${w.knownHostsLine}\n`)
      const snap = await takeSnapshot({ host: '127.0.0.1', port: w.sshPort, user: 'root', sampleIntervalS: 0, sudo: false, credentials: { privateKey: w.userKey, agent: null } }, { sshConfigText: '', knownHostsPath: kh })
      expect(snap.haproxy!.stat).toMatchObject({ ok: false, error: 'not configured' })
      expect(snap.haproxy!.config.ok).toBe(true)
    } finally {
      await w.stop()
    }
  })

  it('HAProxy started with -f FILE -f DIR: every file read, in order, parsed as one config', async () => {
    const w = await startWorld({ splitConfig: true, nginx: false, maxconn: 123 })
    try {
      const kh = join(tmp, 'kh3')
      writeFileSync(kh, `${w.knownHostsLine}\n`)
      const snap = await takeSnapshot({ host: '127.0.0.1', port: w.sshPort, user: 'root', sampleIntervalS: 0, sudo: false, credentials: { privateKey: w.userKey, agent: null } }, { sshConfigText: '', knownHostsPath: kh })
      const cfg = val(snap.haproxy!.config)
      expect(val(snap.haproxy!.configPath)).toBe(w.haproxy!.configPath)
      expect(cfg.text).toContain(`# @@file ${join(w.dir, 'conf.d', '10-proxies.cfg')}`)
      expect(cfg.args).toEqual([w.haproxy!.configPath, join(w.dir, 'conf.d')])
      expect(cfg.parsed.global.maxconn).toBe(123)
      expect(cfg.parsed.proxies.map((p) => `${p.kind}:${p.name ?? ''}`)).toEqual(['defaults:', 'frontend:fe_test', 'backend:be_test', 'listen:stats'])
      expect(val(snap.haproxy!.stat).rows.find((r) => r.svname === 'FRONTEND' && r.pxname === 'fe_test')?.slim).toBe(123)
    } finally {
      await w.stop()
    }
  })

  it('sshd dies in the middle: partial snapshot with a clear error, earlier items kept', async () => {
    const w = await startWorld({ nginx: false })
    try {
      const kh = join(tmp, 'kh2')
      writeFileSync(kh, `${w.knownHostsLine}\n`)
      let snap: Snapshot | null = null
      const p = takeSnapshot({ host: '127.0.0.1', port: w.sshPort, user: 'root', sampleIntervalS: 5, sudo: false, credentials: { privateKey: w.userKey, agent: null } }, { sshConfigText: '', knownHostsPath: kh }, {
        onStage: (stage) => {
          if (stage === 'sample') setTimeout(() => w.kill(), 1500)
        }
      }).then((s) => (snap = s))
      await p
      const s = snap as unknown as Snapshot
      expect(s.partial).toBe(true)
      const session = s.problems.find((x) => x.item === 'session')!
      expect(session.error).toBe('connection lost')
      expect(session.detail).toMatch(/closed by the server|lost/)
      expect(s.counters.second).toMatchObject({ ok: false, error: 'connection lost' })
      expect(s.counters.first.ok).toBe(true)
      expect(s.host.hostname.ok).toBe(true)
      expect(s.haproxy!.config.ok).toBe(true)
      expect(parseSnapshot(JSON.parse(JSON.stringify(s))).ok).toBe(true)
    } finally {
      await w.stop()
    }
  })
})
