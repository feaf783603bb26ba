/**
 * The generated apply.sh / rollback.sh, run for real: inside a throwaway network namespace
 * (net.* sysctls are per namespace there, so the machine's own values are untouched), with
 * every file under a temporary ROOT prefix, and the real `haproxy -c`. systemd cannot run
 * here, so `systemctl` is replaced by a script that records its arguments.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPlan, PlanError } from '../../../main/plan/build'
import { redactHaproxyCfg } from '../../../main/snapshot/redact'
import { parseHaproxyConfig } from '../../../main/snapshot/parse/haproxy-cfg'
import type { Plan } from '../../../main/plan/types'
import { Netns, canNetns, haveTool, report1Inputs, report2Inputs } from './tools'

const enabled = canNetns() && haveTool('haproxy') && haveTool('sysctl')
const CREATED = '2026-11-22T00:00:00.000Z'

interface Sandbox {
  root: string
  dir: string
  log: string
  env: NodeJS.ProcessEnv
}

function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-apply-'))
  const root = join(dir, 'root')
  mkdirSync(root)
  const log = join(dir, 'systemctl.log')
  const fake = join(dir, 'systemctl')
  writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n`)
  chmodSync(fake, 0o755)
  return { root, dir, log, env: { HEADROOM_SYSTEMCTL: fake, HEADROOM_NGINX: '/bin/true', HEADROOM_PHPFPM: '/bin/true' } }
}

function put(root: string, path: string, text: string): void {
  const full = join(root, path)
  mkdirSync(dirname(full), { recursive: true })
  writeFileSync(full, text)
}

function writeScripts(sb: Sandbox, plan: Plan): void {
  writeFileSync(join(sb.dir, 'apply.sh'), plan.applySh)
  writeFileSync(join(sb.dir, 'rollback.sh'), plan.rollbackSh)
}

/** The server's files as the snapshot saw them, under ROOT. */
function seedReport1(sb: Sandbox, plan: Plan, cfgText: string, cfgPath = '/etc/haproxy/haproxy.cfg'): void {
  put(sb.root, cfgPath, cfgText)
  // CentOS 7: /etc/sysctl.d/99-sysctl.conf is a symlink to ../sysctl.conf
  put(sb.root, '/etc/sysctl.conf', '# System default settings live in /usr/lib/sysctl.d/00-system.conf.\n' + '#\n'.repeat(9) + 'net.ipv4.tcp_tw_recycle = 1\nnet.ipv4.tcp_fin_timeout = 30\n')
  mkdirSync(join(sb.root, 'etc/sysctl.d'), { recursive: true })
  symlinkSync('../sysctl.conf', join(sb.root, 'etc/sysctl.d/99-sysctl.conf'))
  void plan
}

/**
 * Report 1 whose live haproxy.cfg ends with a stats listener plus `secrets` (lines with
 * passwords): the snapshot holds it redacted, as the collector stores it; the plan is built from that.
 */
async function redactedReport1(secrets: string): Promise<{ live: string; plan: Plan; redactedLines: number }> {
  const input = await report1Inputs()
  const cfg = input.snapshot.haproxy!.config
  if (!cfg.ok) throw new Error('demo has no config')
  const live = cfg.value.text.trimEnd() + '\n\nlisten admin_stats\n    bind 127.0.0.1:8404\n    mode http\n    stats enable\n' + secrets
  const red = redactHaproxyCfg(live)
  cfg.value.text = red.text
  cfg.value.sha256 = red.sha256
  return { live, plan: buildPlan({ ...input, createdAt: CREATED }), redactedLines: red.lines.length }
}

/**
 * Report 1 with HAProxy started as `-f mainPath -f conf.d`: global and defaults in the first
 * file, the proxies (plus `extra` lines) in the second; the snapshot holds them joined by
 * `# @@file` lines and redacted, as the collector stores them.
 */
async function splitReport1(mainPath: string, proxPath: string, extra: string): Promise<{ input: Awaited<ReturnType<typeof report1Inputs>>; mainLive: string; proxLive: string; red: ReturnType<typeof redactHaproxyCfg> }> {
  const input = await report1Inputs()
  const cfg = input.snapshot.haproxy!.config
  if (!cfg.ok) throw new Error('demo has no config')
  const whole = cfg.value.text
  const cut = whole.search(/^frontend /m)
  const mainLive = whole.slice(0, cut)
  const proxLive = whole.slice(cut).trimEnd() + '\n' + extra
  const red = redactHaproxyCfg(`# @@file ${mainPath}\n${mainLive}# @@file ${proxPath}\n${proxLive}`)
  const parsed = parseHaproxyConfig(red.text)
  if (!parsed.ok) throw new Error('split config does not parse')
  // as the collector records it for `haproxy -f mainPath -f <dir of proxPath>`
  cfg.value = { path: mainPath, text: red.text, sha256: red.sha256, fileSha256: red.fileSha256, args: [mainPath, dirname(proxPath)], parsed: parsed.value }
  return { input, mainLive, proxLive, red }
}

describe.skipIf(!enabled)('apply.sh and rollback.sh in a network namespace', () => {
  let ns: Netns
  const dirs: string[] = []
  beforeAll(() => {
    ns = new Netns()
  })
  afterAll(() => {
    ns?.delete()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })
  /** A sandboxed server holding a split report-1 config (main file, the proxies file) and the plan's scripts. */
  const splitServer = (plan: Plan, mainPath: string, mainLive: string, proxPath: string, proxText: string): ReturnType<typeof sandbox> => {
    const sb = sandbox()
    dirs.push(sb.dir)
    seedReport1(sb, plan, mainLive, mainPath)
    put(sb.root, proxPath, proxText)
    writeScripts(sb, plan)
    return sb
  }

  it('report 1: applies every sysctl and haproxy.cfg change, is idempotent, and rollback restores everything', async () => {
    const input = await report1Inputs()
    const plan = buildPlan({ ...input, createdAt: CREATED })
    const sb = sandbox()
    dirs.push(sb.dir)
    const cfg = input.snapshot.haproxy!.config
    if (!cfg.ok) throw new Error('demo has no config')
    seedReport1(sb, plan, cfg.value.text)
    writeScripts(sb, plan)
    // the namespace starts like the snapshotted server
    ns.set('net.core.somaxconn', '128')
    ns.set('net.ipv4.ip_local_port_range', '32768 60999')
    const before = { somaxconn: ns.sysctl('net.core.somaxconn'), range: ns.sysctl('net.ipv4.ip_local_port_range') }
    const sysctlConfBefore = readFileSync(join(sb.root, 'etc/sysctl.conf'), 'utf8')

    const r1 = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r1.stderr).toBe('')
    expect(r1.status).toBe(0)
    expect(r1.stdout).toContain('haproxy -c: new /etc/haproxy/haproxy.cfg is valid')
    // every sysctl item is live with its new value
    const sysItems = plan.items.filter((i) => i.kind === 'sysctl')
    expect(sysItems.map((i) => i.knob).sort()).toEqual(['net.core.somaxconn', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_tw_recycle'])
    for (const i of sysItems) {
      if (i.knob === 'net.ipv4.tcp_tw_recycle') continue // absent on this kernel: the plan wants 0, nothing to write
      expect(ns.sysctl(i.knob)).toBe(i.new)
    }
    expect(r1.stdout).toContain('net.ipv4.tcp_tw_recycle: not on this kernel')
    // files: drop-in, haproxy.cfg as planned, overriding lines commented out (through the symlink)
    const dropIn = readFileSync(join(sb.root, 'etc/sysctl.d/90-headroom.conf'), 'utf8')
    expect(dropIn).toContain('net.core.somaxconn = 4096')
    const newCfg = readFileSync(join(sb.root, 'etc/haproxy/haproxy.cfg'), 'utf8')
    expect(newCfg).toBe(plan.files.find((f) => f.target === '/etc/haproxy/haproxy.cfg')!.content)
    const sysctlConf = readFileSync(join(sb.root, 'etc/sysctl.conf'), 'utf8')
    expect(sysctlConf).toContain('# disabled by headroom plan: net.ipv4.tcp_tw_recycle = 1')
    expect(sysctlConf).toContain('\nnet.ipv4.tcp_fin_timeout = 30')
    expect(readFileSync(join(sb.root, 'etc/sysctl.d/99-sysctl.conf'), 'utf8')).toBe(sysctlConf)
    // the fd limit goes to a systemd drop-in of the unit the snapshot named
    expect(readFileSync(join(sb.root, 'etc/systemd/system/haproxy.service.d/headroom-limits.conf'), 'utf8')).toMatch(/^\[Service\]\nLimitNOFILE=20000:20000$/m)
    // the installed config passes the real haproxy -c, then HAProxy is restarted once (new backlog)
    expect(readFileSync(sb.log, 'utf8').trim().split('\n')).toEqual(['daemon-reload', 'restart haproxy.service'])

    // idempotent: a second run changes nothing and reloads nothing
    const r2 = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r2.status).toBe(0)
    expect(r2.stdout).toContain('already applied')
    expect(readFileSync(join(sb.root, 'etc/haproxy/haproxy.cfg'), 'utf8')).toBe(newCfg)
    expect(readFileSync(join(sb.root, 'etc/sysctl.conf'), 'utf8')).toBe(sysctlConf)
    expect(readFileSync(sb.log, 'utf8').trim().split('\n')).toHaveLength(2)

    // rollback restores every recorded value and file
    const rb = ns.run(['sh', join(sb.dir, 'rollback.sh'), sb.root], sb.env)
    expect(rb.stderr).toBe('')
    expect(rb.status).toBe(0)
    expect(ns.sysctl('net.core.somaxconn')).toBe(before.somaxconn)
    expect(ns.sysctl('net.ipv4.ip_local_port_range')).toBe(before.range)
    expect(readFileSync(join(sb.root, 'etc/haproxy/haproxy.cfg'), 'utf8')).toBe(cfg.value.text)
    expect(readFileSync(join(sb.root, 'etc/sysctl.conf'), 'utf8')).toBe(sysctlConfBefore)
    expect(existsSync(join(sb.root, 'etc/sysctl.d/90-headroom.conf'))).toBe(false)
    expect(existsSync(join(sb.root, 'etc/systemd/system/haproxy.service.d/headroom-limits.conf'))).toBe(false)
    expect(readFileSync(sb.log, 'utf8').trim().split('\n').slice(2)).toEqual(['daemon-reload', 'restart haproxy.service'])
    // a second rollback has nothing recorded and says so
    const rb2 = ns.run(['sh', join(sb.dir, 'rollback.sh'), sb.root], sb.env)
    expect(rb2.status).not.toBe(0)
    expect(rb2.stderr).toMatch(/nothing to roll back/)
  })

  it('a config split over two -f files: each edit lands in its own file, haproxy -c checks them together, rollback restores both', async () => {
    const mainPath = '/etc/haproxy/haproxy.cfg'
    const proxPath = '/etc/haproxy/conf.d/10-proxies.cfg'
    const { input, mainLive, proxLive, red } = await splitReport1(mainPath, proxPath, '    stats auth admin:s3cr3t-pw\n')
    expect(Object.keys(red.fileSha256 ?? {})).toEqual([mainPath, proxPath])
    const plan = buildPlan({ ...input, createdAt: CREATED })

    const hpFiles = plan.files.filter((f) => f.target.startsWith('/etc/haproxy/'))
    expect(hpFiles.map((f) => f.target)).toEqual([mainPath, proxPath])
    for (const f of hpFiles) expect(f.content).not.toContain('@@file')
    expect(hpFiles[0]!.content).not.toMatch(/^(frontend|backend|listen) /m)
    expect(hpFiles[0]!.content).toMatch(/^global\n(?:.*\n)*? {4}maxconn 5000$/m)
    expect(hpFiles[1]!.content).toContain('server  web03 10.20.1.13:8080 check maxconn 1000')
    expect(hpFiles[1]!.content).toContain('<redacted:')
    expect(plan.items.find((i) => i.id === 'haproxy:global.maxconn')!.appliedIn).toBe(`${mainPath} (global)`)
    expect(plan.items.find((i) => i.id.startsWith('haproxy:server.'))!.appliedIn).toMatch(new RegExp(`^${proxPath} `))

    const sb = splitServer(plan, mainPath, mainLive, proxPath, proxLive)
    ns.set('net.core.somaxconn', '128')
    const r1 = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r1.stderr).toBe('')
    expect(r1.status).toBe(0)
    expect(r1.stdout).toContain(`haproxy -c: new ${mainPath}, ${proxPath} are valid`)
    const mainNew = readFileSync(join(sb.root, mainPath), 'utf8')
    const proxNew = readFileSync(join(sb.root, proxPath), 'utf8')
    expect(mainNew).toBe(hpFiles[0]!.content)
    expect(proxNew).toContain('    stats auth admin:s3cr3t-pw')
    expect(proxNew.replace('admin:s3cr3t-pw', '')).toBe(hpFiles[1]!.content.replace(/admin:<redacted:\d+>/, ''))
    // the real haproxy accepts the installed pair as HAProxy reads it; each file alone would not do
    const both = ns.run(['haproxy', '-c', '-f', join(sb.root, mainPath), '-f', join(sb.root, 'etc/haproxy/conf.d')])
    expect(both.status, both.stdout + both.stderr).toBe(0)
    expect(readFileSync(sb.log, 'utf8').trim().split('\n')).toEqual(['daemon-reload', 'restart haproxy.service'])

    const r2 = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r2.status).toBe(0)
    expect(r2.stdout.match(/already applied/g)?.length).toBeGreaterThanOrEqual(2)

    const rb = ns.run(['sh', join(sb.dir, 'rollback.sh'), sb.root], sb.env)
    expect(rb.stderr).toBe('')
    expect(rb.status).toBe(0)
    expect(readFileSync(join(sb.root, mainPath), 'utf8')).toBe(mainLive)
    expect(readFileSync(join(sb.root, proxPath), 'utf8')).toBe(proxLive)
  })

  it('a split config whose other file changed since the snapshot is refused before anything changes', async () => {
    const mainPath = '/etc/haproxy/haproxy.cfg'
    const proxPath = '/etc/haproxy/conf.d/10-proxies.cfg'
    const { input, mainLive, proxLive } = await splitReport1(mainPath, proxPath, '')
    const plan = buildPlan({ ...input, createdAt: CREATED })
    const edited = proxLive.replace('server  web04', 'server  web05')
    const sb = splitServer(plan, mainPath, mainLive, proxPath, edited)
    const r = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain(`${proxPath} changed since the snapshot`)
    expect(readFileSync(join(sb.root, mainPath), 'utf8')).toBe(mainLive)
    expect(readFileSync(join(sb.root, proxPath), 'utf8')).toBe(edited)
    expect(existsSync(sb.log)).toBe(false)
  })

  it('a split config whose -f directory gained a *.cfg file since the snapshot is refused before anything changes', async () => {
    const mainPath = '/etc/haproxy/haproxy.cfg'
    const proxPath = '/etc/haproxy/conf.d/10-proxies.cfg'
    const { input, mainLive, proxLive } = await splitReport1(mainPath, proxPath, '')
    const plan = buildPlan({ ...input, createdAt: CREATED })
    expect(plan.notes.join('\n')).toContain('HAProxy reads the directory /etc/haproxy/conf.d: apply.sh first checks it still holds exactly the 1 *.cfg file the snapshot read')
    const sb = splitServer(plan, mainPath, mainLive, proxPath, proxLive)
    // not a .cfg: HAProxy ignores it, and so does the check
    put(sb.root, '/etc/haproxy/conf.d/README', 'notes\n')
    // a new file HAProxy would load after 10-proxies.cfg: a duplicate frontend name, say
    put(sb.root, '/etc/haproxy/conf.d/20-new.cfg', 'frontend extra\n    bind :8081\n')
    const r = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain('/etc/haproxy/conf.d: its *.cfg files are not the 1 the snapshot read (now: /etc/haproxy/conf.d/10-proxies.cfg /etc/haproxy/conf.d/20-new.cfg)')
    expect(readFileSync(join(sb.root, mainPath), 'utf8')).toBe(mainLive)
    expect(readFileSync(join(sb.root, proxPath), 'utf8')).toBe(proxLive)
    expect(existsSync(join(sb.root, mainPath + '.headroom-new'))).toBe(false)
    expect(existsSync(join(sb.root, proxPath + '.headroom-new'))).toBe(false)
    expect(existsSync(sb.log)).toBe(false)
    // the file removed again: the plan applies
    rmSync(join(sb.root, 'etc/haproxy/conf.d/20-new.cfg'))
    const r2 = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r2.stderr).toBe('')
    expect(r2.status).toBe(0)
  })

  it('an -f directory given with a trailing slash (HAProxy reads conf.d//a.cfg) is checked as the same files', async () => {
    const mainPath = '/etc/haproxy/haproxy.cfg'
    const proxPath = '/etc/haproxy/conf.d//10-proxies.cfg'
    const { input, mainLive, proxLive } = await splitReport1(mainPath, proxPath, '')
    const cfg = input.snapshot.haproxy!.config
    if (!cfg.ok) throw new Error('no config')
    cfg.value.args = [mainPath, '/etc/haproxy/conf.d/']
    const plan = buildPlan({ ...input, createdAt: CREATED })
    expect(plan.applySh).toContain(`HP_DIR='/etc/haproxy/conf.d'`)
    const sb = splitServer(plan, mainPath, mainLive, proxPath, proxLive)
    ns.set('net.core.somaxconn', '128')
    const r = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    put(sb.root, '/etc/haproxy/conf.d/05-early.cfg', 'frontend early\n    bind :8082\n')
    const rb = ns.run(['sh', join(sb.dir, 'rollback.sh'), sb.root], sb.env)
    expect(rb.status).toBe(0)
    const r2 = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r2.status).not.toBe(0)
    expect(r2.stderr).toContain('(now: /etc/haproxy/conf.d/05-early.cfg /etc/haproxy/conf.d/10-proxies.cfg)')
  })

  it('secrets the snapshot redacted are put back from the live file: never in the plan, intact on the server', async () => {
    // the server's real haproxy.cfg has a stats password and a userlist; the snapshot keeps them redacted
    const { live, plan, redactedLines } = await redactedReport1('    stats auth admin:Sup3r$ecret\n\nuserlist ops\n    user alice insecure-password hunter2\n')
    expect(redactedLines).toBe(2)
    for (const secret of ['Sup3r$ecret', 'hunter2']) {
      expect(plan.applySh).not.toContain(secret)
      expect(JSON.stringify(plan)).not.toContain(secret)
    }
    expect(plan.notes.join('\n')).toMatch(/holds secrets the snapshot did not keep/)
    const sb = sandbox()
    dirs.push(sb.dir)
    seedReport1(sb, plan, live)
    writeScripts(sb, plan)
    ns.set('net.core.somaxconn', '128')
    const r1 = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r1.stderr).toBe('')
    expect(r1.status).toBe(0)
    expect(r1.stdout).toContain('haproxy -c: new /etc/haproxy/haproxy.cfg is valid')
    // installed: the planned file with each <redacted:N> line taken back from the live file
    const planned = plan.files.find((f) => f.target === '/etc/haproxy/haproxy.cfg')!.content
    const liveLines = live.split('\n')
    const expected = planned.split('\n').map((l) => {
      const m = /<redacted:(\d+)>/.exec(l)
      return m ? liveLines[Number(m[1]) - 1]! : l
    }).join('\n')
    const installed = readFileSync(join(sb.root, 'etc/haproxy/haproxy.cfg'), 'utf8')
    expect(installed).toBe(expected)
    expect(installed).toContain('    stats auth admin:Sup3r$ecret\n')
    expect(installed).toContain('    user alice insecure-password hunter2\n')
    expect(installed).not.toContain('<redacted:')
    expect(installed).not.toBe(live) // the plan's own changes are in too
    // idempotent: the installed file's sha was recorded, so a second run changes nothing
    const r2 = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r2.status).toBe(0)
    expect(r2.stdout).toContain('/etc/haproxy/haproxy.cfg: already applied')
    expect(readFileSync(join(sb.root, 'etc/haproxy/haproxy.cfg'), 'utf8')).toBe(installed)
    // rollback gives the live file back byte for byte
    const rb = ns.run(['sh', join(sb.dir, 'rollback.sh'), sb.root], sb.env)
    expect(rb.status).toBe(0)
    expect(readFileSync(join(sb.root, 'etc/haproxy/haproxy.cfg'), 'utf8')).toBe(live)
  })

  it('with redacted secrets, a live file that changed since the snapshot is refused (line numbers would not hold)', async () => {
    const { live, plan } = await redactedReport1('    stats auth admin:pw1\n')
    const sb = sandbox()
    dirs.push(sb.dir)
    const changed = '# one line more on top\n' + live.replace('admin:pw1', 'admin:pw2')
    seedReport1(sb, plan, changed)
    writeScripts(sb, plan)
    const r = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/changed since the snapshot/)
    expect(readFileSync(join(sb.root, 'etc/haproxy/haproxy.cfg'), 'utf8')).toBe(changed)
    expect(existsSync(join(sb.root, 'etc/haproxy/haproxy.cfg.headroom-new'))).toBe(false)
  })

  it('aborts before any change when haproxy -c rejects the new config', async () => {
    const input = await report1Inputs()
    const cfg = input.snapshot.haproxy!.config
    if (!cfg.ok) throw new Error('demo has no config')
    // the server's own config has a line HAProxy rejects; the plan keeps it, haproxy -c fails
    cfg.value.text = cfg.value.text.replace('    daemon\n', '    daemon\n    this-is-not-a-keyword 1\n')
    const plan = buildPlan({ ...input, createdAt: CREATED })
    const sb = sandbox()
    dirs.push(sb.dir)
    seedReport1(sb, plan, cfg.value.text)
    writeScripts(sb, plan)
    ns.set('net.core.somaxconn', '128')
    const confBefore = readFileSync(join(sb.root, 'etc/sysctl.conf'), 'utf8')
    const r = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/haproxy -c rejected the new haproxy.cfg; nothing was changed/)
    expect(ns.sysctl('net.core.somaxconn')).toBe('128')
    expect(readFileSync(join(sb.root, 'etc/haproxy/haproxy.cfg'), 'utf8')).toBe(cfg.value.text)
    expect(readFileSync(join(sb.root, 'etc/sysctl.conf'), 'utf8')).toBe(confBefore)
    expect(existsSync(join(sb.root, 'etc/sysctl.d/90-headroom.conf'))).toBe(false)
    expect(existsSync(sb.log)).toBe(false)
  })

  it('refuses to overwrite a haproxy.cfg that changed since the snapshot', async () => {
    const input = await report1Inputs()
    const plan = buildPlan({ ...input, createdAt: CREATED })
    const sb = sandbox()
    dirs.push(sb.dir)
    const cfg = input.snapshot.haproxy!.config
    if (!cfg.ok) throw new Error()
    const edited = cfg.value.text + '\n# edited by someone after the snapshot\n'
    seedReport1(sb, plan, edited)
    writeScripts(sb, plan)
    const r = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/changed since the snapshot/)
    expect(readFileSync(join(sb.root, 'etc/haproxy/haproxy.cfg'), 'utf8')).toBe(edited)
  })

  it('hostile values from a snapshot are quoted: nothing runs, odd paths are written as they are', async () => {
    const input = await report1Inputs()
    const snap = input.snapshot
    const cfg = snap.haproxy!.config
    if (!cfg.ok || !snap.sysctls.conf.ok) throw new Error()
    const pwn = join(tmpdir(), `headroom-pwned-${process.pid}`)
    const evilPath = `/etc/haproxy/it's $(touch ${pwn}) \`touch ${pwn}\` "x".cfg`
    cfg.value.path = evilPath
    cfg.value.text = `# $(touch ${pwn}) \`touch ${pwn}\` '"\n` + cfg.value.text
    snap.host.hostname = { ok: true, value: `evil\nnet.core.somaxconn = 1\n$(touch ${pwn})` }
    snap.sysctls.conf.value.entries.push({ key: 'net.core.somaxconn', value: `64 $(touch ${pwn})`, file: `/etc/sysctl.d/zz-$(touch ${pwn}).conf`, line: 1 })
    const plan = buildPlan({ ...input, createdAt: CREATED })
    const sb = sandbox()
    dirs.push(sb.dir)
    seedReport1(sb, plan, cfg.value.text, evilPath)
    put(sb.root, `/etc/sysctl.d/zz-$(touch ${pwn}).conf`, `net.core.somaxconn = 64\n`)
    writeScripts(sb, plan)
    ns.set('net.core.somaxconn', '128')
    const r = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(existsSync(pwn)).toBe(false)
    expect(readFileSync(join(sb.root, evilPath), 'utf8')).toBe(plan.files.find((f) => f.target === evilPath)!.content)
    expect(readFileSync(join(sb.root, `/etc/sysctl.d/zz-$(touch ${pwn}).conf`), 'utf8')).toBe('# disabled by headroom plan: net.core.somaxconn = 64\n')
    const dropIn = readFileSync(join(sb.root, 'etc/sysctl.d/90-headroom.conf'), 'utf8')
    expect(dropIn.split('\n').filter((l) => l.startsWith('net.core.somaxconn'))).toEqual(['net.core.somaxconn = 4096'])
    expect(ns.sysctl('net.core.somaxconn')).toBe('4096')
    const rb = ns.run(['sh', join(sb.dir, 'rollback.sh'), sb.root], sb.env)
    expect(rb.status).toBe(0)
    expect(existsSync(pwn)).toBe(false)
    expect(ns.sysctl('net.core.somaxconn')).toBe('128')
    expect(readFileSync(join(sb.root, evilPath), 'utf8')).toBe(cfg.value.text)
  })

  it('report 2: somaxconn and syncookies live, php-fpm and nginx files edited, both restarted; rollback restores', async () => {
    const input = await report2Inputs()
    const plan = buildPlan({ ...input, createdAt: CREATED })
    const sb = sandbox()
    dirs.push(sb.dir)
    const snap = input.snapshot
    if (!snap.phpFpm?.config.ok || !snap.nginx?.config.ok) throw new Error()
    for (const f of snap.phpFpm.config.value.files) put(sb.root, f.path, f.text)
    for (const f of plan.files.filter((x) => x.original !== null && x.target.startsWith('/etc/nginx'))) put(sb.root, f.target, f.original!)
    put(sb.root, '/usr/lib/sysctl.d/50-default.conf', 'net.ipv4.tcp_syncookies = 1\n')
    put(sb.root, '/etc/sysctl.conf', 'net.ipv4.tcp_max_tw_buckets = 5000\n\n\n\n\n\n\n\n\nnet.ipv4.tcp_max_syn_backlog = 1024\nnet.core.somaxconn = 8\nnet.ipv4.tcp_syncookies = 0\n')
    writeScripts(sb, plan)
    ns.set('net.core.somaxconn', '8')
    ns.set('net.ipv4.tcp_syncookies', '0')
    const r = ns.run(['sh', join(sb.dir, 'apply.sh'), sb.root], sb.env)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(ns.sysctl('net.core.somaxconn')).toBe('1024')
    expect(ns.sysctl('net.ipv4.tcp_syncookies')).toBe('1')
    const www = readFileSync(join(sb.root, 'etc/php-fpm.d/www.conf'), 'utf8')
    expect(www).toMatch(/^pm\.max_children = 16$/m)
    expect(www).toContain('; small VM: 1 CPU / 1 GB')
    expect(readFileSync(join(sb.root, 'etc/nginx/conf.d/api.conf'), 'utf8')).toMatch(/listen {7}80 default_server backlog=1024;/)
    const conf = readFileSync(join(sb.root, 'etc/sysctl.conf'), 'utf8')
    expect(conf).toContain('# disabled by headroom plan: net.core.somaxconn = 8')
    expect(conf).toContain('# disabled by headroom plan: net.ipv4.tcp_syncookies = 0')
    expect(conf).toContain('\nnet.ipv4.tcp_max_syn_backlog = 1024')
    expect(readFileSync(sb.log, 'utf8').trim().split('\n')).toEqual(['restart nginx.service', 'restart php-fpm.service'])
    const rb = ns.run(['sh', join(sb.dir, 'rollback.sh'), sb.root], sb.env)
    expect(rb.status).toBe(0)
    expect(ns.sysctl('net.core.somaxconn')).toBe('8')
    expect(ns.sysctl('net.ipv4.tcp_syncookies')).toBe('0')
    expect(readFileSync(join(sb.root, 'etc/php-fpm.d/www.conf'), 'utf8')).toBe(snap.phpFpm.config.value.files[0]!.text)
  })
})

describe('plan input checks', () => {
  it('refuses a unit name that is not a plain systemd service name', async () => {
    const input = await report1Inputs()
    input.snapshot.limits.systemd[0]!.unit = 'haproxy;rm -rf /.service'
    expect(() => buildPlan(input)).toThrow(PlanError)
    expect(() => buildPlan(input)).toThrow(/not a plain systemd service name/)
  })
  it('refuses a relative or dot-dot config path', async () => {
    const input = await report1Inputs()
    const cfg = input.snapshot.haproxy!.config
    if (!cfg.ok) throw new Error()
    cfg.value.path = '/etc/haproxy/../../root/.ssh/authorized_keys'
    expect(() => buildPlan(input)).toThrow(/not a plain absolute path/)
  })
})
