/**
 * What changed between two snapshots (e.g. before/after applying a plan).
 *
 * Two complementary views, chosen for what each is good at:
 * - a structural diff of a flat "comparable view" (dotted paths => primitive values) built
 *   from the settings and limits that matter, with list items keyed by identity (listener
 *   address:port, proxy name, server name, process kind) rather than array position, so a
 *   reordered list is not a change. A line diff of the JSON would report noise (volatile
 *   counters, reordering, ids) and lose the "what knob moved" meaning.
 * - unified diffs (the `diff` package, a maintained implementation) of the raw config texts
 *   (haproxy.cfg, `nginx -T`, php-fpm pools), where line-level review is what people want.
 */
import { createTwoFilesPatch } from 'diff'
import type { Snapshot } from './schema'
import type { SnapshotChange, SnapshotComparison } from './api-types'

type Prim = string | number | boolean | null
type View = Map<string, Prim>

const COUNTER_RATES = [
  'TcpExtListenOverflows',
  'TcpExtListenDrops',
  'TcpExtTCPReqQFullDrop',
  'TcpExtTCPReqQFullDoCookies',
  'TcpExtSyncookiesSent',
  'TcpExtTCPTimeWaitOverflow',
  'TcpExtPAWSPassive',
  'TcpExtEmbryonicRsts',
  'TcpPassiveOpens',
  'TcpActiveOpens',
  'TcpRetransSegs',
  'TcpExtTCPSynRetrans'
]

const lim = (v: number | 'unlimited'): Prim => v

/** The flat view of everything worth comparing. */
export function comparableView(s: Snapshot): View {
  const v: View = new Map()
  const put = (k: string, x: Prim | undefined): void => {
    if (x !== undefined) v.set(k, x)
  }
  const h = s.host
  put('host.kernel', h.kernelRelease.ok ? h.kernelRelease.value : null)
  put('host.cpus', h.cpus.ok ? h.cpus.value : null)
  put('host.memTotalKiB', h.memTotalKiB.ok ? h.memTotalKiB.value : null)
  put('host.distro', h.distro.ok ? h.distro.value.prettyName : null)
  for (const [k, it] of Object.entries(s.sysctls.values)) put(`sysctls.${k}`, it.ok ? it.value.raw : `(${it.error})`)
  if (s.sysctls.conf.ok) for (const e of s.sysctls.conf.value.entries) put(`sysctl.conf[${e.file}].${e.key}`, e.value)
  if (s.limits.shell.ok) {
    put('limits.shell.nofile.soft', lim(s.limits.shell.value.soft))
    put('limits.shell.nofile.hard', lim(s.limits.shell.value.hard))
  }
  if (s.limits.processes.ok) {
    // Keyed by kind + role (first cmdline word), not pid: pids change on every restart.
    const seen = new Map<string, number>()
    for (const p of s.limits.processes.value) {
      const role = `${p.kind}:${p.uid === 0 ? 'root' : 'user'}`
      const n = (seen.get(role) ?? 0) + 1
      seen.set(role, n)
      if (n > 1) continue
      if (p.limits.ok) {
        put(`limits.process[${role}].nofile.soft`, lim(p.limits.value.nofile.soft))
        put(`limits.process[${role}].nofile.hard`, lim(p.limits.value.nofile.hard))
      }
    }
    for (const [role, n] of seen) put(`limits.process[${role}].count`, n)
  }
  for (const u of s.limits.systemd) if (u.limitNOFILE.ok) put(`limits.systemd[${u.unit}].LimitNOFILE`, `${u.limitNOFILE.value.soft}:${u.limitNOFILE.value.hard}`)
  if (s.sockets.listeners.ok) for (const l of s.sockets.listeners.value) put(`listeners[${l.localAddr}:${l.localPort}].backlog`, l.sendQ)
  if (s.sockets.unixListeners.ok) for (const l of s.sockets.unixListeners.value) put(`unixListeners[${l.path}].backlog`, l.sendQ)
  if (s.counters.rates.ok) for (const k of COUNTER_RATES) put(`counters.perS.${k}`, s.counters.rates.value.perS[k])
  const hp = s.haproxy
  if (hp) {
    put('haproxy.version', hp.version.ok ? hp.version.value.version : null)
    put('haproxy.configPath', hp.configPath.ok ? hp.configPath.value : null)
    if (hp.config.ok) {
      const g = hp.config.value.parsed.global
      for (const k of ['maxconn', 'ulimitN', 'nbthread', 'nbproc', 'maxsslconn', 'maxpipes', 'tuneMaxaccept'] as const) put(`haproxy.global.${k}`, g[k])
      for (const p of hp.config.value.parsed.proxies) {
        const base = `haproxy.${p.kind}[${p.name ?? ''}]`
        for (const k of ['mode', 'maxconn', 'backlog', 'fullconn', 'retries', 'balance', 'defaultBackend'] as const) put(`${base}.${k}`, p[k])
        for (const [t, ms] of Object.entries(p.timeoutsMs)) put(`${base}.timeout.${t}`, ms)
        for (const b of p.binds) {
          put(`${base}.bind[${b.addr}:${b.port}].backlog`, b.backlog)
          put(`${base}.bind[${b.addr}:${b.port}].maxconn`, b.maxconn)
        }
        for (const sv of p.servers) {
          for (const k of ['addr', 'port', 'maxconn', 'maxqueue', 'weight', 'check'] as const) put(`${base}.server[${sv.name}].${k}`, sv[k])
        }
      }
    }
    if (hp.info.ok) for (const k of ['Maxconn', 'Hard_maxconn', 'Maxsock', 'Ulimit-n', 'Nbthread']) put(`haproxy.info.${k}`, hp.info.value[k] ?? null)
    if (hp.stat.ok) for (const r of hp.stat.value.rows) put(`haproxy.stat[${r.pxname}/${r.svname}].slim`, r.slim ?? null)
  }
  const ng = s.nginx
  if (ng) {
    put('nginx.version', ng.version.ok ? ng.version.value : null)
    if (ng.config.ok) {
      const c = ng.config.value
      put('nginx.workerProcesses', c.workerProcesses)
      put('nginx.workerConnections', c.workerConnections)
      put('nginx.workerRlimitNofile', c.workerRlimitNofile)
      for (const l of c.listens) put(`nginx.listen[${l.addr}:${l.port}].backlog`, l.backlog)
    }
  }
  const fp = s.phpFpm
  if (fp) {
    put('phpFpm.version', fp.version.ok ? fp.version.value : null)
    if (fp.config.ok) {
      for (const p of fp.config.value.pools) {
        for (const k of ['listen', 'listenBacklog', 'pm', 'maxChildren', 'startServers', 'minSpareServers', 'maxSpareServers', 'maxRequests'] as const) put(`phpFpm.pool[${p.name}].${k}`, p[k])
      }
    }
  }
  return v
}

/** Config texts to diff; a redacted secret's marker loses its line number, so a line that only moved is not a change. */
function textOf(s: Snapshot): Array<[string, string]> {
  const out: Array<[string, string]> = []
  if (s.haproxy?.config.ok) out.push(['haproxy.cfg', s.haproxy.config.value.text])
  if (s.nginx?.config.ok) out.push(['nginx -T', s.nginx.config.value.text])
  if (s.phpFpm?.config.ok) for (const f of s.phpFpm.config.value.files) out.push([`php-fpm ${f.path}`, f.text])
  return out.map(([p, t]) => [p, t.replace(/<redacted:\d+>/g, '<redacted>')])
}

/** Compare a (before) with b (after). */
export function compareSnapshots(a: Snapshot, b: Snapshot): SnapshotComparison {
  const va = comparableView(a)
  const vb = comparableView(b)
  const changes: SnapshotChange[] = []
  for (const [k, x] of va) {
    if (!vb.has(k)) changes.push({ path: k, kind: 'removed', before: x, after: null })
    else if (vb.get(k) !== x) changes.push({ path: k, kind: 'changed', before: x, after: vb.get(k)! })
  }
  for (const [k, y] of vb) if (!va.has(k)) changes.push({ path: k, kind: 'added', before: null, after: y })
  changes.sort((p, q) => p.path.localeCompare(q.path))
  const ta = new Map(textOf(a))
  const tb = new Map(textOf(b))
  const textDiffs: SnapshotComparison['textDiffs'] = []
  for (const path of new Set([...ta.keys(), ...tb.keys()])) {
    const x = ta.get(path) ?? ''
    const y = tb.get(path) ?? ''
    if (x !== y) textDiffs.push({ path, patch: createTwoFilesPatch(`a/${path}`, `b/${path}`, x, y, a.name, b.name) })
  }
  return {
    a: { id: a.id, name: a.name, takenAt: a.takenAt },
    b: { id: b.id, name: b.name, takenAt: b.takenAt },
    changes,
    textDiffs
  }
}
