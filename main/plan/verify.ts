/**
 * Verify a plan against a snapshot taken after applying it: item by item, is the new value
 * in force (applied), still the old one (not applied: e.g. the daemon was not reloaded, so
 * `ss` Send-Q still shows the old backlog), or replaced by something else (overridden: e.g.
 * a sysctl file applied after the drop-in)? And did the kernel counters that motivated the
 * plan stop rising? PURE.
 */
import type { Snapshot } from '../snapshot/schema'
import { counterRate, haproxyCfg, infoNum, sysctlRaw, val } from '../diagnosis/facts'
import { SYSCTL_DROPIN } from './constants'
import type { Plan, PlanItem } from './types'

export type VerifyStatus = 'applied' | 'not applied' | 'overridden' | 'unknown'

export interface ItemVerification {
  id: string
  knob: string
  expected: string
  /** What the new snapshot shows ('' when it cannot tell). */
  found: string
  status: VerifyStatus
  detail: string
}

export interface CounterVerification {
  counter: string
  beforePerS: number
  afterPerS: number | null
  /** stopped: no longer rising; reduced: rising more slowly; rising: not better; unknown: no samples. */
  status: 'stopped' | 'reduced' | 'rising' | 'unknown'
}

export interface PlanVerification {
  planId: string
  snapshotId: string
  items: ItemVerification[]
  counters: CounterVerification[]
  summary: { applied: number; notApplied: number; overridden: number; unknown: number; countersStopped: boolean }
}

const norm = (s: string | undefined): string | undefined => s?.trim().replace(/\s+/g, ' ')

function parseDurationS(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(us|ms|s|m|h|d)?$/.exec(s.trim())
  if (!m) return undefined
  const mult: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 }
  return Number(m[1]) * mult[m[2] ?? 'ms']!
}

function result(i: PlanItem, status: VerifyStatus, found: string, detail: string): ItemVerification {
  return { id: i.id, knob: i.knob, expected: i.new, found, status, detail }
}

function verifySysctl(i: PlanItem, key: string, snap: Snapshot): ItemVerification {
  const live = norm(sysctlRaw(snap, key))
  const entries = val(snap.sysctls.conf)?.entries.filter((e) => e.key === key) ?? []
  const last = entries[entries.length - 1]
  const bootWinner = last && norm(last.value) !== i.new && last.file !== SYSCTL_DROPIN ? last : undefined
  if (live === undefined) {
    if (i.new === '0' && snap.sysctls.values[key] && !snap.sysctls.values[key]!.ok) return result(i, 'applied', 'absent', `${key} does not exist on this kernel; 0 is what the plan wants`)
    return result(i, 'unknown', '', `the snapshot could not read ${key}`)
  }
  if (live === i.new) {
    if (bootWinner) return result(i, 'overridden', live, `live value is right, but ${bootWinner.file}:${bootWinner.line} sets ${norm(bootWinner.value)} after the drop-in: it wins at the next boot`)
    if (!entries.some((e) => e.file === SYSCTL_DROPIN) && val(snap.sysctls.conf)) return result(i, 'applied', live, `live, but ${SYSCTL_DROPIN} does not set it: lost at the next boot`)
    return result(i, 'applied', live, '')
  }
  if (bootWinner && norm(bootWinner.value) === live) return result(i, 'overridden', live, `${bootWinner.file}:${bootWinner.line} sets ${live} after the drop-in`)
  if (live === norm(i.old)) return result(i, 'not applied', live, 'still the old value')
  return result(i, 'overridden', live, 'set to another value by something else')
}

/** Listener backlog: `ss` Send-Q of the front listener after a somaxconn / backlog change. */
function verifyListeners(plan: Plan, snap: Snapshot): ItemVerification[] {
  const out: ItemVerification[] = []
  const soma = Number(norm(sysctlRaw(snap, 'net.core.somaxconn')))
  for (const c of plan.checklist) {
    const m = /^ss -ltn 'sport = :(\d+)'$/.exec(c.command)
    const e = /^Send-Q (\d+)/.exec(c.expect)
    if (!m || !e) continue
    const port = Number(m[1])
    const expected = Number(e[1])
    const l = val(snap.sockets.listeners)?.find((x) => x.localPort === port)
    const pseudo: PlanItem = { id: `listener:${port}`, kind: 'manual', knob: `listener :${port} backlog (ss Send-Q)`, scenarioPath: '', old: '', new: String(expected), appliedIn: '', actions: [], findings: [], notes: [] }
    if (!l) out.push(result(pseudo, 'unknown', '', `no listener on :${port} in the snapshot`))
    else if (l.sendQ === expected) out.push(result(pseudo, 'applied', String(l.sendQ), ''))
    else {
      const detail = Number.isFinite(soma) && soma >= expected
        ? `net.core.somaxconn is ${soma} but :${port} still shows Send-Q ${l.sendQ}: the daemon did not call listen() again; restart it`
        : `Send-Q ${l.sendQ} (somaxconn ${Number.isFinite(soma) ? soma : '?'})`
      out.push(result(pseudo, 'not applied', String(l.sendQ), detail))
    }
  }
  return out
}

function verifyHaproxy(i: PlanItem, snap: Snapshot): ItemVerification {
  const cfg = haproxyCfg(snap)?.parsed
  if (!cfg) return result(i, 'unknown', '', 'the snapshot has no parsed haproxy.cfg')
  const key = i.id.slice('haproxy:'.length)
  const check = (found: number | string | null | undefined, want: number | string, running?: number): ItemVerification => {
    const f = found == null ? 'unset' : String(found)
    if (String(found) !== String(want)) return result(i, f === norm(i.old) || found == null ? 'not applied' : 'overridden', f, 'haproxy.cfg does not hold the planned value')
    if (running !== undefined && running !== Number(want)) return result(i, 'not applied', `${f} (running: ${running})`, 'haproxy.cfg is right but the running HAProxy still uses the old value: reload it')
    return result(i, 'applied', f, '')
  }
  let m: RegExpExecArray | null
  if (key === 'global.maxconn') return check(cfg.global.maxconn, i.new, infoNum(snap, 'Maxconn'))
  if (key === 'global.ulimit-n') return check(cfg.global.ulimitN, i.new)
  if (key === 'global.nbthread') return check(cfg.global.nbthread, i.new)
  if (key === 'global.tune.maxaccept') return check(cfg.global.tuneMaxaccept, i.new)
  const px = (name: string) => cfg.proxies.find((p) => p.name === name && p.kind !== 'defaults')
  if ((m = /^frontend\.(.+)\.(maxconn|backlog)$/.exec(key))) return check(px(m[1]!)?.[m[2] as 'maxconn' | 'backlog'], i.new)
  if ((m = /^bind\.(.+)\.(maxconn|backlog)$/.exec(key))) return check(px(m[1]!)?.binds[0]?.[m[2] as 'maxconn' | 'backlog'], i.new)
  if ((m = /^(?:backend|frontend)\.(.+)\.timeout\.(.+)$/.exec(key))) {
    const ms = px(m[1]!)?.timeoutsMs[m[2]!]
    const want = parseDurationS(i.new)
    if (ms !== undefined && want !== undefined && Math.abs(ms / 1000 - want) < 1e-6) return result(i, 'applied', `${ms / 1000}s`, '')
    return result(i, ms === undefined ? 'not applied' : 'overridden', ms === undefined ? 'unset' : `${ms / 1000}s`, 'haproxy.cfg does not hold the planned value')
  }
  if ((m = /^backend\.(.+)\.retries$/.exec(key))) return check(px(m[1]!)?.retries, i.new)
  if ((m = /^backend\.(.+)\.balance$/.exec(key))) return check(px(m[1]!)?.balance?.split(' ')[0], i.new)
  if ((m = /^server\.(.+)\/(.+)\.(maxconn|maxqueue|weight)$/.exec(key))) {
    const srv = px(m[1]!)?.servers.find((s) => s.name === m![2])
    return check(srv?.[m[3] as 'maxconn' | 'maxqueue' | 'weight'], i.new)
  }
  return result(i, 'unknown', '', 'check it with the verification checklist')
}

function verifyItem(i: PlanItem, snap: Snapshot): ItemVerification {
  if (i.kind === 'sysctl') return verifySysctl(i, i.id.slice('sysctl:'.length), snap)
  if (i.kind === 'haproxy') return verifyHaproxy(i, snap)
  if (i.kind === 'systemd') {
    const unit = i.id.slice('systemd:'.length).replace(/\.LimitNOFILE$/, '')
    const u = snap.limits.systemd.find((x) => x.unit === unit)
    const lim = u ? val(u.limitNOFILE) : undefined
    if (!lim) return result(i, 'unknown', '', `the snapshot has no LimitNOFILE for ${unit}`)
    const found = `${lim.soft}:${lim.hard}`
    return result(i, found === i.new ? 'applied' : found === i.old ? 'not applied' : 'overridden', found, found === i.new ? '' : 'systemd does not report the planned limit (daemon-reload + restart?)')
  }
  if (i.kind === 'nginx') {
    const ngx = snap.nginx ? val(snap.nginx.config) : undefined
    if (!ngx) return result(i, 'unknown', '', 'the snapshot has no nginx config')
    let found: string | undefined
    const m = /^nginx:listen\.(.+)\.backlog$/.exec(i.id)
    if (m) found = String(ngx.listens.find((l) => String(l.port ?? l.addr) === m[1])?.backlog ?? 'unset')
    else if (i.id === 'nginx:worker_connections') found = String(ngx.workerConnections ?? 'unset')
    else if (i.id === 'nginx:worker_processes') found = String(ngx.workerProcesses ?? 'unset')
    else if (i.id === 'nginx:worker_rlimit_nofile') found = String(ngx.workerRlimitNofile ?? 'unset')
    if (found === undefined) return result(i, 'unknown', '', '')
    return result(i, found === i.new ? 'applied' : 'not applied', found, found === i.new ? '' : 'nginx config does not hold the planned value')
  }
  if (i.kind === 'php-fpm') {
    const m = /^php-fpm:(.+)\.(pm\.max_children|listen\.backlog)$/.exec(i.id)
    const pool = m && snap.phpFpm ? val(snap.phpFpm.config)?.pools.find((p) => p.name === m[1]) : undefined
    if (!m || !pool) return result(i, 'unknown', '', 'the snapshot has no such php-fpm pool')
    const found = String((m[2] === 'pm.max_children' ? pool.maxChildren : pool.listenBacklog) ?? 'unset')
    return result(i, found === i.new ? 'applied' : 'not applied', found, found === i.new ? '' : 'pool file does not hold the planned value')
  }
  return result(i, 'unknown', '', '')
}

/** Compare a plan with a snapshot taken after applying it. */
export function verifyPlan(plan: Plan, after: Snapshot): PlanVerification {
  const items = [...plan.items.map((i) => verifyItem(i, after)), ...verifyListeners(plan, after)]
  const counters: CounterVerification[] = plan.motivation.map((m) => {
    const r = counterRate(after, m.counter)
    if (!r) return { counter: m.counter, beforePerS: m.perS, afterPerS: null, status: 'unknown' }
    return { counter: m.counter, beforePerS: m.perS, afterPerS: r.perS, status: r.delta <= 0 ? 'stopped' : r.perS < m.perS ? 'reduced' : 'rising' }
  })
  const n = (s: VerifyStatus): number => items.filter((x) => x.status === s).length
  return {
    planId: plan.id,
    snapshotId: after.id,
    items,
    counters,
    summary: { applied: n('applied'), notApplied: n('not applied'), overridden: n('overridden'), unknown: n('unknown'), countersStopped: counters.every((c) => c.status === 'stopped') }
  }
}
