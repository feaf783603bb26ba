/**
 * Test-side helpers for the plan tests: tool presence (missing tools skip locally but FAIL
 * under CI=true), a throwaway network namespace, and shared plan inputs.
 */
import { spawnSync } from 'node:child_process'
import { requireTool } from '../../helpers/require-tool'
import { loadDemo } from '../../../main/demos/handlers'
import { cloneScenario, type Scenario } from '../../../simulator/scenario'
import type { Snapshot } from '../../../main/snapshot/schema'

export const resources = new URL('../../../resources', import.meta.url).pathname

/** true when `cmd` is installed; under CI a missing tool throws (test/helpers/require-tool), so the test fails instead of skipping. */
export function haveTool(cmd: string): boolean {
  return requireTool(cmd) !== null
}

/** Network namespaces need root and iproute2. */
export function canNetns(): boolean {
  if (!haveTool('ip')) return false
  const ok = typeof process.getuid === 'function' && process.getuid() === 0
  if (!ok && process.env['CI'] === 'true') throw new Error('network namespace tests need root (CI=true: not skipping)')
  return ok
}

/** A named throwaway network namespace; `run` executes a command inside it. */
export class Netns {
  readonly name = `headroom-plan-${process.pid}-${Math.floor(Math.random() * 1e6)}`
  constructor() {
    const r = spawnSync('ip', ['netns', 'add', this.name], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`ip netns add failed: ${r.stderr}`)
    this.run(['ip', 'link', 'set', 'lo', 'up'])
  }
  run(argv: string[], env: NodeJS.ProcessEnv = {}): { status: number; stdout: string; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.name, ...argv], { encoding: 'utf8', env: { ...process.env, ...env } })
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
  }
  sysctl(key: string): string {
    const r = this.run(['sysctl', '-n', key])
    if (r.status !== 0) throw new Error(`sysctl -n ${key}: ${r.stderr}`)
    return r.stdout.trim().replace(/\s+/g, ' ')
  }
  set(key: string, value: string): void {
    const r = this.run(['sysctl', '-q', '-w', `${key}=${value}`])
    if (r.status !== 0) throw new Error(`sysctl -w ${key}: ${r.stderr}`)
  }
  delete(): void {
    spawnSync('ip', ['netns', 'delete', this.name])
  }
}

/** Report 1 and the what-if a senior engineer settles on (maxconn, backlog, somaxconn, server limits). */
export async function report1Inputs(): Promise<{ snapshot: Snapshot; baseline: Scenario; scenario: Scenario }> {
  const d = await loadDemo(resources, 'report1-sms-gateway')
  const s = cloneScenario(d.scenario)
  s.name = 'maxconn 5000, backlog 4096, somaxconn 4096, no tw_recycle, server maxconn'
  s.hosts.proxy.somaxconn = 4096
  s.hosts.proxy.twRecycle = 0
  s.hosts.proxy.ipLocalPortRange = [10240, 65001]
  s.haproxy!.globalMaxconn = 5000
  s.haproxy!.bindBacklog = 4096
  s.haproxy!.servers = s.haproxy!.servers.map((x) => ({ ...x, maxconn: 1000 }))
  s.haproxy!.timeoutQueueS = 5
  s.haproxy!.fdSoft = 20000
  s.haproxy!.fdHard = 20000
  return { snapshot: d.snapshot, baseline: d.scenario, scenario: s }
}

/** Report 2 and its fix: somaxconn 1024, syncookies on, more php-fpm children. */
export async function report2Inputs(): Promise<{ snapshot: Snapshot; baseline: Scenario; scenario: Scenario }> {
  const d = await loadDemo(resources, 'report2-nginx-php-fpm')
  const s = cloneScenario(d.scenario)
  s.name = 'somaxconn 1024, syncookies 1, 16 children'
  s.hosts.backend.somaxconn = 1024
  s.hosts.backend.syncookies = 1
  s.backend.phpFpm.children = 16
  s.backend.nginx.listenBacklog = 1024
  return { snapshot: d.snapshot, baseline: d.scenario, scenario: s }
}
