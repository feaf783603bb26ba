/**
 * Plan -> apply -> re-snapshot -> verify, end to end on real parts: a real HAProxy 2.6 runs
 * in a throwaway network + PID namespace (so the collector sees only it, and net.* sysctls
 * are the namespace's own); the real collector snapshots it; apply.sh runs inside it with
 * /etc/sysctl.d and /var/lib on private tmpfs mounts (nothing of the machine's /etc is
 * touched); systemctl is a recorder, so HAProxy is NOT restarted by the script: the first
 * verification must say so, and after we restart HAProxy ourselves it must say applied.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diagnose } from '../../../main/diagnosis/rules'
import { buildPlan } from '../../../main/plan/build'
import { verifyPlan } from '../../../main/plan/verify'
import { scenarioFromSnapshot } from '../../../main/scenario/from-snapshot'
import { collectSnapshot, type CommandRunner } from '../../../main/snapshot/collect'
import { CommandHandle } from '../../../main/ssh/command-handle'
import { cloneScenario } from '../../../simulator/scenario'
import { demo } from '../../fixtures/diagnosis/derive'
import { canNetns, haveTool } from './tools'

const enabled = canNetns() && haveTool('haproxy') && haveTool('nsenter') && haveTool('ss') && (haveTool('perl') || haveTool('python3'))

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe.skipIf(!enabled)('verify a plan against real re-snapshots', () => {
  const ns = `headroom-verify-${process.pid}`
  const dir = mkdtempSync(join(tmpdir(), 'headroom-verify-'))
  let holder: ChildProcess | null = null
  let inner = 0

  const inside = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync('nsenter', ['-t', String(inner), '-n', '-p', '-m', ...argv], { encoding: 'utf8', env: { ...process.env, ...env } })
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
  }
  const runner: CommandRunner = {
    start(command) {
      const child = spawn('nsenter', ['-t', String(inner), '-n', '-p', '-m', '/bin/sh', '-c', command], { stdio: ['pipe', 'pipe', 'pipe'] })
      const h = new CommandHandle({ write: (s) => child.stdin.write(s), end: () => child.stdin.end(), kill: () => child.kill('SIGKILL') }, {})
      child.stdout.on('data', (d: Buffer) => h.data(d))
      child.stderr.on('data', (d: Buffer) => h.stderr(d))
      child.stdin.on('error', () => undefined)
      child.on('close', (code) => h.finish(code))
      return h
    }
  }
  const snapshot = () => collectSnapshot(runner, { host: 'netns', hostName: null, port: null, user: null, sampleIntervalS: 1, sudo: false, haproxyConfigPath: join(dir, 'haproxy.cfg'), haproxyStatsSocket: join(dir, 'stats') })
  const startHaproxy = () => {
    const r = inside(['haproxy', '-D', '-f', join(dir, 'haproxy.cfg')])
    if (r.status !== 0) throw new Error(`haproxy did not start: ${r.stderr}`)
  }

  beforeAll(async () => {
    if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) throw new Error('ip netns add failed')
    // the namespace's init: everything started inside dies with it (--kill-child)
    holder = spawn('ip', ['netns', 'exec', ns, 'unshare', '--pid', '--fork', '--mount-proc', '--kill-child', 'sleep', '3600'], { stdio: 'ignore' })
    for (let i = 0; i < 100 && !inner; i++) {
      await sleep(50)
      const r = spawnSync('pgrep', ['-P', String(holder.pid)], { encoding: 'utf8' })
      inner = Number(r.stdout.trim().split('\n')[0]) || 0
    }
    if (!inner) throw new Error('namespace init not found')
    inside(['ip', 'link', 'set', 'lo', 'up'])
    inside(['sysctl', '-qw', 'net.core.somaxconn=128'])
    // report 1's own haproxy.cfg, with ports and paths that exist here
    const cfg = (() => {
      const c = demo('report1').haproxy!.config
      if (!c.ok) throw new Error()
      return c.value.text
    })()
      .replace('pidfile     /var/run/haproxy.pid', `pidfile     ${dir}/haproxy.pid`)
      .replace('stats socket /var/lib/haproxy/stats', `stats socket ${dir}/stats mode 600 level admin`)
      .replace('bind *:80', 'bind 127.0.0.1:18090')
      .replace('bind *:8000', 'bind 127.0.0.1:18091')
    writeFileSync(join(dir, 'haproxy.cfg'), cfg)
    const fake = join(dir, 'systemctl')
    writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${dir}/systemctl.log'\n`)
    chmodSync(fake, 0o755)
    startHaproxy()
  }, 30_000)

  afterAll(() => {
    holder?.kill('SIGKILL')
    spawnSync('ip', ['netns', 'delete', ns])
    rmSync(dir, { recursive: true, force: true })
  })

  it('not restarted: new somaxconn live but Send-Q and Maxconn old; after a restart: applied', async () => {
    const before = await snapshot()
    expect(before.haproxy?.config.ok).toBe(true)
    const l = before.sockets.listeners.ok ? before.sockets.listeners.value.find((x) => x.localPort === 18090) : undefined
    expect(l?.sendQ).toBe(128)
    // the real snapshot shows the clamp
    expect(diagnose(before).findings.map((f) => f.id)).toContain('backlog-clamped-by-somaxconn')

    const baseline = scenarioFromSnapshot(before).scenario
    const scenario = cloneScenario(baseline)
    scenario.name = 'somaxconn 4096, backlog 4096, maxconn 5000'
    scenario.hosts.proxy.somaxconn = 4096
    scenario.haproxy!.bindBacklog = 4096
    scenario.haproxy!.globalMaxconn = 5000
    const plan = buildPlan({ snapshot: before, baseline, scenario })
    expect(plan.items.map((i) => i.id).sort()).toEqual(['haproxy:bind.sms_callback.backlog', 'haproxy:global.maxconn', 'sysctl:net.core.somaxconn'])
    writeFileSync(join(dir, 'apply.sh'), plan.applySh)
    const apply = inside(['unshare', '-m', 'sh', '-c', `mount -t tmpfs tmpfs /etc/sysctl.d && mount -t tmpfs tmpfs /var/lib && sh '${dir}/apply.sh'`], { HEADROOM_SYSTEMCTL: join(dir, 'systemctl') })
    expect(apply.stderr).toBe('')
    expect(apply.status).toBe(0)
    expect(readFileSync(join(dir, 'systemctl.log'), 'utf8').trim()).toBe('restart haproxy.service')

    const notRestarted = verifyPlan(plan, await snapshot())
    const st = Object.fromEntries(notRestarted.items.map((i) => [i.id, i]))
    expect(st['sysctl:net.core.somaxconn']!.status).toBe('applied')
    expect(st['haproxy:global.maxconn']).toMatchObject({ status: 'not applied' })
    expect(st['haproxy:global.maxconn']!.detail).toMatch(/reload it/)
    expect(st['listener:18090']).toMatchObject({ status: 'not applied', found: '128' })
    expect(st['listener:18090']!.detail).toMatch(/did not call listen\(\) again/)

    // what `systemctl restart haproxy` would do
    const pid = readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim().split('\n')
    inside(['kill', ...pid])
    for (let i = 0; i < 100 && inside(['ss', '-Hltn', 'sport = :18090']).stdout.trim() !== ''; i++) await sleep(50)
    startHaproxy()
    const restarted = verifyPlan(plan, await snapshot())
    expect(restarted.items.filter((i) => i.status !== 'applied')).toEqual([])
    expect(restarted.items.find((i) => i.id === 'listener:18090')!.found).toBe('4096')
  }, 60_000)
})
