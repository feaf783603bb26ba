/**
 * Pure assembly of a Snapshot from the framed outputs of the three collector phases
 * (collect-script.ts). Also decides, from phase 1, what phase 2 and 3 must read (config
 * paths, systemd units, stats socket). No I/O here: tests feed recorded outputs.
 *
 * Error mapping for an item: exit 124/137 => 'timed out' (remote `timeout`); "Permission
 * denied"/"Operation not permitted"/sudo refusal => 'permission denied'; exit 127 or
 * "command not found" => 'not installed'; "No such file" => 'not found'; any other non-zero
 * exit => 'command failed'; a frame cut short or never started => the phase's failure
 * ('connection lost', 'timed out', 'cancelled') with the session's message.
 */
import { redactHaproxyCfg, redactNginxT, redactPhpFpm } from './redact'
import {
  SNAPSHOT_FORMAT,
  SYSCTL_KEYS,
  collectProblems,
  type Item,
  type ItemError,
  type ProcessInfo,
  type Snapshot,
  type SysctlConfEntry
} from './schema'
import type { RawPhase, RawSection } from './collect-script'
import { clip, failItem, okItem, splitFiles } from './parse/common'
import {
  counterRates,
  parseCounterSample,
  parseKernelVersion,
  parseMemTotal,
  parseOsRelease,
  parseProcLimits,
  parseProcStatus,
  parseSysctlConf,
  parseSysctlValue,
  parseSystemdNofile,
  parseUlimit,
  parseUptime
} from './parse/kernel'
import { parseProcNetTcp, parseSsConnections, parseSsListeners, parseSsUnixListeners } from './parse/sockets'
import { parseHaproxyConfig } from './parse/haproxy-cfg'
import { parseHaproxyVersion, parseShowInfo, parseShowStat } from './parse/haproxy'
import { parseNginxDump, parseNginxVersion, parseStubStatus } from './parse/nginx'
import { parsePhpFpmPools, parsePhpFpmStatus, parsePhpFpmVersion } from './parse/php-fpm'

/** A phase as collected: its framed output (null if it never ran) and why it stopped early. */
export interface PhaseOutcome {
  raw: RawPhase | null
  /** Why items of this phase are missing: set when the phase did not reach its end. */
  failure: { error: ItemError['error']; detail: string } | null
}

/** What the user asked for (all optional beyond host). */
export interface CollectOptions {
  sampleIntervalS: number
  sudo: boolean
  haproxyConfigPath?: string
  haproxyStatsSocket?: string
  haproxyStatsUrl?: string
  nginxStatusUrl?: string
  phpFpmStatusUrl?: string
}

export interface SnapshotMeta {
  id: string
  name: string
  takenAt: string
  durationS: number
  source: Snapshot['source']
}

/** A URL without its user:password part (stats pages often use basic auth): never stored. */
export function redactUrl(u: string): string {
  return u.replace(/^(https?:\/\/)[^@/]*@/i, '$1')
}

/** Map one framed item to its text or its error. */
export function sectionItem(s: RawSection | undefined, missing: ItemError): Item<string> {
  if (!s || s.rc === null) return missing
  if (s.rc === 0) return okItem(s.out)
  return classify(s.rc, s.err || s.out)
}

/** Exit status + stderr => the item error kind. */
export function classify(rc: number, err: string): ItemError {
  const first = err.split('\n').find((l) => l.trim() !== '') ?? ''
  const detail = clip(first.trim() || `exit status ${rc}`, 300)
  if (rc === 124 || rc === 137) return failItem('timed out', `no answer within the per-command timeout (${detail})`)
  if (/permission denied|operation not permitted|a password is required|not allowed to execute|EACCES/i.test(err)) return failItem('permission denied', detail)
  if (rc === 127 || /command not found|: not found\b/i.test(err)) return failItem('not installed', detail)
  if (/no such file or directory|ENOENT/i.test(err)) return failItem('not found', detail)
  return failItem('command failed', `exit status ${rc}: ${detail}`)
}

const text = (phase: PhaseOutcome, name: string): Item<string> =>
  sectionItem(phase.raw?.sections.get(name), failItem(phase.failure?.error ?? 'connection lost', phase.failure?.detail ?? 'not collected'))

const bind = <A, B>(a: Item<A>, f: (a: A) => Item<B>): Item<B> => (a.ok ? f(a.value) : a)

type ProcKind = ProcessInfo['kind']
const kindOf = (comm: string): ProcKind | null =>
  comm.startsWith('haproxy') ? 'haproxy' : comm.startsWith('nginx') ? 'nginx' : comm.startsWith('php-fpm') ? 'php-fpm' : null

/** Processes found by phase 1, with raw cmdline/cgroup/exe for planning phase 2. */
export function discoveredProcesses(p1: PhaseOutcome): Array<ProcessInfo & { cgroup: string; exe: string | null }> {
  const pids = new Set<number>()
  for (const name of p1.raw?.sections.keys() ?? []) {
    const m = /^proc (\d+) status$/.exec(name)
    if (m) pids.add(Number(m[1]))
  }
  const out: Array<ProcessInfo & { cgroup: string; exe: string | null }> = []
  for (const pid of [...pids].sort((a, b) => a - b)) {
    const st = bind(text(p1, `proc ${pid} status`), parseProcStatus)
    if (!st.ok) continue // the process exited between listing and reading
    const kind = kindOf(st.value.name)
    if (!kind) continue
    const cmd = text(p1, `proc ${pid} cmdline`)
    const argv = cmd.ok ? cmd.value.split('\n').filter((x) => x !== '') : []
    // A version probe (`haproxy -v` of another collector running at the same time) is not a daemon.
    if (argv.length === 2 && /^-(v|vv|V|t|T)$/.test(argv[1]!)) continue
    const fd = text(p1, `proc ${pid} fd`)
    const lim = text(p1, `proc ${pid} limits`)
    // ENOENT under /proc/PID means the process exited while we read it: drop it, it is gone.
    const gone = (i: Item<string>): boolean => !i.ok && i.error === 'not found'
    if (gone(fd) || gone(lim)) continue
    const exe = text(p1, `proc ${pid} exe`)
    const cg = text(p1, `proc ${pid} cgroup`)
    out.push({
      pid,
      kind,
      comm: st.value.name,
      cmdline: argv,
      ppid: st.value.ppid,
      uid: st.value.uid,
      limits: bind(lim, parseProcLimits),
      fdCount: fd.ok ? okItem(fd.value.split('\n').filter((x) => x.trim() !== '').length) : fd,
      cgroup: cg.ok ? cg.value : '',
      exe: exe.ok ? exe.value.trim() : null
    })
  }
  return out
}

export interface ConfigsPlan {
  /** The first config path (the one reported as `configPath`). */
  haproxyConfig: string
  /** Every -f path in order (files or directories). */
  haproxyConfigs: string[]
  nginxBinary: string
  nginxConf: string
  phpFpmConf: string
  units: string[]
}

/** From phase 1: which files phase 2 reads. Values come from the server's own /proc. */
export function planConfigs(p1: PhaseOutcome, opts: CollectOptions): ConfigsPlan {
  const procs = discoveredProcesses(p1)
  const hap = procs.filter((p) => p.kind === 'haproxy')
  let haproxyConfigs: string[] = opts.haproxyConfigPath ? [opts.haproxyConfigPath] : []
  if (haproxyConfigs.length === 0) {
    // Every -f, in order (`-f /etc/haproxy/haproxy.cfg -f /etc/haproxy/conf.d`), of the first
    // HAProxy process that has one (master and workers share the command line).
    for (const p of hap) {
      const fs = p.cmdline.flatMap((a, i) => (a === '-f' && p.cmdline[i + 1] ? [p.cmdline[i + 1]!] : []))
      if (fs.length) {
        haproxyConfigs = fs
        break
      }
    }
  }
  const hv = text(p1, 'haproxy-v')
  let haproxyConfig = haproxyConfigs[0] ?? ''
  if (!haproxyConfig && (hap.length > 0 || hv.ok)) {
    haproxyConfig = '/etc/haproxy/haproxy.cfg'
    haproxyConfigs = [haproxyConfig]
  }
  let nginxBinary = ''
  let nginxConf = ''
  for (const p of procs.filter((x) => x.kind === 'nginx')) {
    // The master rewrites its argv: "nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf"
    const words = p.cmdline.join(' ').split(/\s+/)
    const mi = words.indexOf('process')
    if (words[0] === 'nginx:' && words[1] === 'master' && mi >= 0) {
      const bin = words[mi + 1]
      if (bin && bin.startsWith('/')) nginxBinary = bin
      const ci = words.indexOf('-c')
      if (ci >= 0 && words[ci + 1]) nginxConf = words[ci + 1]!
      if (!nginxBinary && p.exe) nginxBinary = p.exe
      break
    }
  }
  let phpFpmConf = ''
  for (const p of procs.filter((x) => x.kind === 'php-fpm')) {
    const m = /master process \((.+)\)/.exec(p.cmdline.join(' '))
    if (m) {
      phpFpmConf = m[1]!
      break
    }
  }
  const units = new Set<string>()
  for (const p of procs) {
    for (const m of p.cgroup.matchAll(/\/([\w@.:-]+\.service)(?:\/|$)/gm)) units.add(m[1]!)
  }
  return { haproxyConfig, haproxyConfigs, nginxBinary, nginxConf, phpFpmConf, units: [...units].sort() }
}

export { splitFiles } from './parse/common'

export interface SamplePlan {
  statsSocket: string
  statsUrl: string
  /** Set when no stats source is known: why. */
  notConfigured: string | null
}

/** From phase 2: where `show stat` comes from (user override > config's `stats socket`). */
export function planSample(p2: PhaseOutcome, opts: CollectOptions): SamplePlan {
  if (opts.haproxyStatsSocket) return { statsSocket: opts.haproxyStatsSocket, statsUrl: '', notConfigured: null }
  if (opts.haproxyStatsUrl) return { statsSocket: '', statsUrl: opts.haproxyStatsUrl, notConfigured: null }
  const cfg = text(p2, 'haproxy-cfg')
  if (!cfg.ok) return { statsSocket: '', statsUrl: '', notConfigured: `haproxy.cfg unreadable (${cfg.error}), and no stats socket or URL given` }
  const parsed = parseHaproxyConfig(cfg.value)
  const sock = parsed.ok ? parsed.value.global.statsSockets[0] : undefined
  if (sock) return { statsSocket: sock, statsUrl: '', notConfigured: null }
  // A TCP stats socket (`stats socket ipv4@127.0.0.1:9999`, `*:9999`): `tcp:HOST:PORT`.
  const tcp = parsed.ok ? parsed.value.global.settings.map((l) => (l.keyword === 'stats' && l.args[0] === 'socket' ? tcpStatsTarget(l.args[1] ?? '') : null)).find((x) => x) : null
  if (tcp) return { statsSocket: tcp, statsUrl: '', notConfigured: null }
  return { statsSocket: '', statsUrl: '', notConfigured: 'no unix "stats socket" in haproxy.cfg and no stats socket or URL given' }
}

/** `ipv4@1.2.3.4:9999`, `127.0.0.1:9999`, `*:9999`, `:9999`, `ipv6@[::1]:9999` => `tcp:HOST:PORT` (wildcards => loopback). */
export function tcpStatsTarget(addr: string): string | null {
  const m = /^(?:(ipv4|ipv6|tcp|tcp4|tcp6)@)?(\[[^\]]*\]|[^:@/]*|::):(\d{1,5})$/.exec(addr)
  if (!m || (!m[1] && addr.startsWith('/'))) return null
  let host = m[2] ?? ''
  if (host === '' || host === '*' || host === '0.0.0.0') host = '127.0.0.1'
  if (host === '::' || host === '[::]') host = '[::1]'
  return `tcp:${host}:${m[3]}`
}

/** systemd-sysctl order: by file name, first directory wins per name; /etc/sysctl.conf last. */
export function orderSysctlFiles(paths: string[]): string[] {
  const dirs = ['/etc/sysctl.d/', '/run/sysctl.d/', '/usr/local/lib/sysctl.d/', '/usr/lib/sysctl.d/', '/lib/sysctl.d/']
  const byName = new Map<string, string>()
  for (const d of dirs) {
    for (const p of paths) {
      if (!p.startsWith(d)) continue
      const name = p.slice(d.length)
      if (!byName.has(name)) byName.set(name, p)
    }
  }
  const ordered = [...byName.keys()].sort().map((n) => byName.get(n)!)
  if (paths.includes('/etc/sysctl.conf')) ordered.push('/etc/sysctl.conf')
  return ordered
}

/** Build the snapshot from the three phases (any of which may be missing or cut short). */
export function assembleSnapshot(meta: SnapshotMeta, opts: CollectOptions, p1: PhaseOutcome, p2: PhaseOutcome, p3: PhaseOutcome, extraProblems: Snapshot['problems'] = []): Snapshot {
  const t1 = (n: string): Item<string> => text(p1, n)
  const t2 = (n: string): Item<string> => text(p2, n)
  const t3 = (n: string): Item<string> => text(p3, n)
  const problems: Snapshot['problems'] = [...extraProblems]
  for (const [p, ph] of [['discover', p1], ['configs', p2], ['sample', p3]] as const) {
    const sudo = ph.raw?.sections.get('sudo')
    if (sudo && p === 'discover') problems.push({ item: 'sudo', error: 'permission denied', detail: `sudo -n refused, collected without it: ${clip(sudo.err || 'no detail')}` })
  }

  // ---- host
  const kernelRelease = bind(t1('kernel'), (s) => (s.trim() ? okItem(s.trim()) : failItem('parse error', 'empty uname -r')))
  const host: Snapshot['host'] = {
    hostname: bind(t1('hostname'), (s) => okItem(s.trim())),
    kernelRelease,
    kernelVersion: bind(kernelRelease, parseKernelVersion),
    distro: bind(t1('os-release'), parseOsRelease),
    cpus: bind(t1('cpus'), (s) => {
      const n = Number(s.trim().split('\n')[0])
      return Number.isInteger(n) && n > 0 ? okItem(n) : failItem('parse error', `bad CPU count ${clip(s)}`)
    }),
    memTotalKiB: bind(t1('meminfo'), parseMemTotal),
    uptimeS: bind(t1('uptime'), parseUptime)
  }

  // ---- sysctls
  const values: Snapshot['sysctls']['values'] = {}
  for (const k of SYSCTL_KEYS) {
    values[k] = bind(t1(`sysctl ${k}`), parseSysctlValue)
    const v = values[k]!
    if (!v.ok && v.error === 'not found') values[k] = failItem('not found', `no /proc/sys/${k.replace(/\./g, '/')} on this kernel`)
  }
  const confPaths = [...(p1.raw?.sections.keys() ?? [])].filter((n) => n.startsWith('sysctlconf ')).map((n) => n.slice('sysctlconf '.length))
  const files = orderSysctlFiles(confPaths)
  const entries: SysctlConfEntry[] = []
  for (const f of files) {
    const r = bind(t1(`sysctlconf ${f}`), (s) => parseSysctlConf(s, f))
    if (r.ok) entries.push(...r.value)
    else problems.push({ item: `sysctls.conf[${f}]`, error: r.error, detail: r.detail })
  }
  const sysctls: Snapshot['sysctls'] = {
    values,
    conf: p1.raw ? okItem({ files, entries }) : failItem(p1.failure?.error ?? 'connection lost', p1.failure?.detail ?? 'not collected')
  }

  // ---- limits
  const procs = discoveredProcesses(p1)
  const plan = planConfigs(p1, opts)
  const limits: Snapshot['limits'] = {
    shell: bind(t1('ulimit'), parseUlimit),
    processes: p1.raw ? okItem(procs.map(({ cgroup: _c, exe: _e, ...p }) => p)) : failItem(p1.failure?.error ?? 'connection lost', p1.failure?.detail ?? 'not collected'),
    systemd: plan.units.map((unit) => ({ unit, limitNOFILE: bind(t2(`systemd ${unit}`), parseSystemdNofile) }))
  }

  // ---- counters
  const sample = (n: 1 | 2): ReturnType<typeof parseCounterSample> => {
    const u = t3(`counters${n} uptime`)
    const a = t3(`counters${n} netstat`)
    const b = t3(`counters${n} snmp`)
    if (!u.ok) return u
    if (!a.ok) return a
    if (!b.ok) return b
    return parseCounterSample(a.value, b.value, u.value)
  }
  const first = sample(1)
  const second = sample(2)
  const counters: Snapshot['counters'] = {
    requestedIntervalS: opts.sampleIntervalS,
    first,
    second,
    rates: first.ok && second.ok ? counterRates(first.value, second.value) : failItem((!first.ok ? first : (second as ItemError)).error, 'needs both samples')
  }

  // ---- sockets
  const ssListen = t1('ss-listen')
  const ssMissing = !ssListen.ok && ssListen.error === 'not installed'
  const sockets: Snapshot['sockets'] = {
    listeners: ssMissing ? failItem('not installed', 'ss not found (BusyBox?); /proc/net/tcp does not show the listen backlog') : bind(ssListen, parseSsListeners),
    unixListeners: ssMissing ? failItem('not installed', 'ss not found (BusyBox?)') : bind(t1('ss-unix'), parseSsUnixListeners),
    connections: ssMissing ? bind(t1('proc-net-tcp'), parseProcNetTcp) : bind(t1('ss-all'), parseSsConnections)
  }

  // ---- HAProxy
  const hv = t1('haproxy-v')
  const hasHaproxy = procs.some((p) => p.kind === 'haproxy') || hv.ok || !!opts.haproxyStatsSocket || !!opts.haproxyStatsUrl
  let haproxy: Snapshot['haproxy'] = null
  if (hasHaproxy) {
    const sp = planSample(p2, opts)
    const cfgText = t2('haproxy-cfg')
    const notConf = failItem('not configured', sp.notConfigured ?? '')
    const statItem = (name: string): NonNullable<Snapshot['haproxy']>['stat'] =>
      sp.notConfigured ? notConf : bind(t3(name), parseShowStat)
    haproxy = {
      version: bind(hv, parseHaproxyVersion),
      configPath: plan.haproxyConfig ? okItem(plan.haproxyConfig) : failItem('not found', 'no -f in the HAProxy command line'),
      config: bind(cfgText, (s) => {
        const r = redactHaproxyCfg(s)
        return bind(parseHaproxyConfig(r.text), (parsed) => okItem({ path: plan.haproxyConfig, text: r.text, sha256: r.sha256, ...(r.fileSha256 ? { fileSha256: r.fileSha256 } : {}), ...(plan.haproxyConfigs.length ? { args: plan.haproxyConfigs } : {}), parsed }))
      }),
      statsSource: sp.notConfigured ? notConf : okItem(sp.statsSocket ? { kind: 'socket' as const, where: sp.statsSocket } : { kind: 'http' as const, where: redactUrl(sp.statsUrl) }),
      info: sp.notConfigured ? notConf : sp.statsUrl ? failItem('not configured', 'show info needs the stats socket (an HTTP stats URL gives show stat only)') : bind(t3('haproxy-info'), parseShowInfo),
      stat: statItem('haproxy-stat2'),
      statEarlier: statItem('haproxy-stat1')
    }
  }

  // ---- nginx
  const nv = t1('nginx-v')
  let nginx: Snapshot['nginx'] = null
  if (procs.some((p) => p.kind === 'nginx') || nv.ok) {
    nginx = {
      version: bind(nv, parseNginxVersion),
      config: bind(t2('nginx-T'), (s) => {
        const r = redactNginxT(s)
        return bind(parseNginxDump(r.text), (c) => okItem({ ...c, fileSha256: r.fileSha256 }))
      }),
      stubStatus: opts.nginxStatusUrl ? bind(t3('nginx-status'), parseStubStatus) : failItem('not configured', 'no stub_status URL given')
    }
  }

  // ---- php-fpm
  const pv = t1('php-fpm-v')
  let phpFpm: Snapshot['phpFpm'] = null
  if (procs.some((p) => p.kind === 'php-fpm') || pv.ok) {
    const conf = t2('php-fpm-conf')
    phpFpm = {
      version: bind(pv, parsePhpFpmVersion),
      config: bind(conf, (s) => {
        const fl = splitFiles(s, plan.phpFpmConf || 'php-fpm.conf').map((f) => {
          const r = redactPhpFpm(f.text)
          return { path: f.path, text: r.text, sha256: r.sha256 }
        })
        return bind(parsePhpFpmPools(fl), (pools) => okItem({ files: fl, pools }))
      }),
      status: opts.phpFpmStatusUrl ? bind(t3('php-fpm-status'), parsePhpFpmStatus) : failItem('not configured', 'no php-fpm status URL given')
    }
  }

  const snap: Snapshot = {
    format: SNAPSHOT_FORMAT,
    id: meta.id,
    name: meta.name,
    takenAt: meta.takenAt,
    durationS: meta.durationS,
    source: meta.source,
    partial: false,
    problems: [],
    host,
    sysctls,
    limits,
    counters,
    sockets,
    haproxy,
    nginx,
    phpFpm
  }
  // 'not configured' (no status URL given) and 'not found' sysctls absent on this kernel are
  // facts, not failures: they do not make the snapshot partial.
  const failed = collectProblems(snap).filter((p) => p.error !== 'not configured' && !(p.item.startsWith('sysctls.values') && p.error === 'not found'))
  snap.problems = [...problems, ...failed]
  snap.partial = snap.problems.length > 0
  return snap
}
