/**
 * Snapshot -> baseline scenario. What the server told us (kernel, sysctls, limits, HAProxy,
 * nginx, php-fpm) becomes the scenario's configuration; the load curve, round trips and
 * backend service times come from a workload given separately (a demo's recorded workload,
 * the user's drawing, or `workloadFromSnapshot`: what HAProxy measured, where it did).
 * Pure: no node, no I/O.
 *
 * Every value the snapshot lacks keeps the scenario default for that host's kernel era, and
 * is listed in `assumed` so the UI can say which numbers are assumptions.
 */
import type { Item, Snapshot, HaproxyProxy } from '../snapshot/schema'
import {
  defaultBackend,
  defaultHaproxy,
  defaultKernel,
  defaultScenario,
  defaultServerCheck,
  haproxyDefaultNbthread,
  haproxyProfile,
  isLoopbackAddr,
  type HaproxyConfig,
  type KernelConfig,
  type Scenario,
  type ServerCheck
} from '../../simulator/scenario'
import { parseHaproxyTime } from '../snapshot/parse/haproxy-cfg'
import { nginxLocationFor, type NginxConfig } from '../snapshot/parse/nginx'

/** A deep partial of Scenario: arrays and tuples are replaced whole, objects merged. */
export type ScenarioPatch = { [K in keyof Scenario]?: Patch<Scenario[K]> }
type Patch<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: Patch<T[K]> } | null : T

export interface FromSnapshotResult {
  scenario: Scenario
  /** Settings not found in the snapshot, where a default was assumed (dotted scenario paths). */
  assumed: string[]
}

function val<T>(it: Item<T> | undefined | null): T | undefined {
  return it && it.ok ? it.value : undefined
}

/** Scenario paths a patch replaces whole: a service time of another distribution has other fields. */
const REPLACED_WHOLE = new Set(['backend.serviceTime'])

/** Merge `patch` into `base` (returns a new object). Arrays, tuples and REPLACED_WHOLE paths are replaced, not merged. */
export function applyPatch<T>(base: T, patch: unknown, path = ''): T {
  if (patch === undefined) return base
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch) || base === null || typeof base !== 'object' || Array.isArray(base) || REPLACED_WHOLE.has(path)) {
    return patch as T
  }
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) }
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) out[k] = applyPatch(out[k], v, path ? `${path}.${k}` : k)
  return out as T
}

function kernelFromSnapshot(snap: Snapshot, assumed: string[], prefix: string): KernelConfig {
  const v = val(snap.host.kernelVersion)
  const version = v ? `${v.major}.${v.minor}` : '6.1'
  if (!v) assumed.push(`${prefix}.version`)
  const k = defaultKernel(version)
  const num = (key: string): number | undefined => {
    const s = val(snap.sysctls.values[key])
    return s && s.numbers.length ? s.numbers[0] : undefined
  }
  const set = <K extends keyof KernelConfig>(field: K, key: string, map: (n: number) => KernelConfig[K] = (n) => n as KernelConfig[K]): void => {
    const n = num(key)
    if (n === undefined) assumed.push(`${prefix}.${String(field)}`)
    else k[field] = map(n)
  }
  set('somaxconn', 'net.core.somaxconn')
  set('tcpMaxSynBacklog', 'net.ipv4.tcp_max_syn_backlog')
  set('syncookies', 'net.ipv4.tcp_syncookies', (n) => (n === 0 ? 0 : n === 2 ? 2 : 1))
  set('abortOnOverflow', 'net.ipv4.tcp_abort_on_overflow', (n) => (n ? 1 : 0))
  set('synRetries', 'net.ipv4.tcp_syn_retries')
  set('synackRetries', 'net.ipv4.tcp_synack_retries')
  if (num('net.ipv4.tcp_syn_linear_timeouts') !== undefined) k.synLinearTimeouts = num('net.ipv4.tcp_syn_linear_timeouts')!
  set('twReuse', 'net.ipv4.tcp_tw_reuse', (n) => (n === 1 ? 1 : n === 2 ? 2 : 0))
  set('timestamps', 'net.ipv4.tcp_timestamps', (n) => (n ? 1 : 0))
  // tcp_tw_recycle is absent on 4.12+ kernels: absence there is a fact, not an assumption.
  const recycle = num('net.ipv4.tcp_tw_recycle')
  k.twRecycle = recycle ? 1 : 0
  set('maxTwBuckets', 'net.ipv4.tcp_max_tw_buckets')
  set('fileMax', 'fs.file-max')
  const range = val(snap.sysctls.values['net.ipv4.ip_local_port_range'])
  if (range && range.numbers.length >= 2) k.ipLocalPortRange = [range.numbers[0], range.numbers[1]]
  else assumed.push(`${prefix}.ipLocalPortRange`)
  const reserved = val(snap.sysctls.values['net.ipv4.ip_local_reserved_ports'])
  if (reserved) k.reservedPorts = countReserved(reserved.raw, k.ipLocalPortRange)
  return k
}

/** Ports of `ip_local_reserved_ports` ("8080,9000-9100") inside the ephemeral range. */
export function countReserved(raw: string, [lo, hi]: [number, number]): number {
  let n = 0
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part)
    if (!m) continue
    const a = Math.max(lo, Number(m[1]))
    const b = Math.min(hi, Number(m[2] ?? m[1]))
    if (b >= a) n += b - a + 1
  }
  return n
}

/** The frontend the scenario models (the first with a bind) and the backend it sends to. */
function modelledProxies(proxies: HaproxyProxy[]): { frontend?: HaproxyProxy; backend?: HaproxyProxy } {
  const frontend = proxies.find((p) => (p.kind === 'frontend' || p.kind === 'listen') && p.binds.length > 0)
  const backend =
    frontend?.kind === 'listen'
      ? frontend
      : proxies.find((p) => p.kind === 'backend' && p.name === frontend?.defaultBackend) ?? proxies.find((p) => p.kind === 'backend')
  return { frontend, backend }
}

/**
 * A server's health check from its line and the `default-server` lines in force (its defaults
 * section's, then its backend's, the later winning): `check` enables it and `no-check` turns it
 * off; inter / fastinter / downinter / rise / fall as written, HAProxy's defaults otherwise
 * (inter 2 s, rise 2, fall 3). null: not checked.
 */
export function serverCheckFromConfig(serverRaw: string, defaultServerArgs: readonly (readonly string[])[]): ServerCheck | null {
  const own = serverRaw.replace(/#.*/, '').trim().split(/\s+/).slice(3) // server <name> <addr> options...
  const ck = defaultServerCheck()
  let on = false
  for (const args of [...defaultServerArgs, own]) {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]
      if (a === 'check') on = true
      else if (a === 'no-check') on = false
      else if (a === 'inter' || a === 'fastinter' || a === 'downinter') {
        const ms = parseHaproxyTime(args[++i])
        if (ms !== null && ms >= 1) {
          if (a === 'inter') ck.interMs = Math.round(ms)
          else if (a === 'fastinter') ck.fastinterMs = Math.round(ms)
          else ck.downinterMs = Math.round(ms)
        }
      } else if (a === 'rise' || a === 'fall') {
        const n = Number(args[++i])
        if (Number.isInteger(n) && n >= 1 && n <= 1000) ck[a] = n
      }
    }
  }
  return on ? ck : null
}

/**
 * `option httpchk` in force for a backend's checks: the last check-type option (httpchk, tcp-check,
 * ssl-hello-chk, ...) of the backend, else of its defaults section (HAProxy accepts no `no option
 * httpchk`; another check type replaces it). The other types are modelled as layer-4 checks.
 */
export function httpCheckFromConfig(backend: HaproxyProxy, defaults: HaproxyProxy | undefined): boolean {
  const kind = /^(httpchk|tcp-check|ssl-hello-chk|smtpchk|pgsql-check|mysql-check|redis-check|ldap-check|spop-check|external-check)\b/
  const chk = [...(defaults?.options ?? []), ...backend.options].filter((o) => kind.test(o)).pop()
  return chk !== undefined && chk.startsWith('httpchk')
}

/**
 * The request of a backend's HTTP checks: `option httpchk` (OPTIONS /), `option httpchk <uri>`,
 * `option httpchk <method> <uri> [<version>]`, then `http-check send meth <m> uri <u>` (2.2+),
 * each from the backend, else its defaults section.
 */
export function httpCheckRequest(backend: HaproxyProxy, defaults: HaproxyProxy | undefined): { method: string; uri: string } {
  const req = { method: 'OPTIONS', uri: '/' }
  const opt = [...(defaults?.options ?? []), ...backend.options].filter((o) => /^httpchk\b/.test(o)).pop()
  const a = opt ? opt.split(/\s+/).slice(1) : []
  if (a.length === 1) req.uri = a[0]!
  else if (a.length >= 2) {
    req.method = a[0]!
    req.uri = a[1]!
  }
  const send = [...(defaults?.settings ?? []), ...backend.settings].filter((x) => x.keyword === 'http-check' && x.args[0] === 'send').pop()
  if (send) {
    const m = send.args.indexOf('meth')
    const u = send.args.indexOf('uri')
    if (m > 0 && send.args[m + 1]) req.method = send.args[m + 1]!
    if (u > 0 && send.args[u + 1]) req.uri = send.args[u + 1]!
  }
  return req
}

/**
 * What answers a backend's HTTP checks, from the nginx of the same snapshot when every server is
 * on this host: 'static' when the location nginx picks for the check's URL answers by itself
 * with a 2xx/3xx (`return 200`, `stub_status`), 'app' when it passes the request on (php-fpm, an
 * upstream). null: no nginx here, servers elsewhere, no location for the URL, or one that answers
 * an error: unknown (the model then assumes the app answers).
 */
export function httpCheckEndpointFromNginx(ngx: NginxConfig | undefined, servers: HaproxyProxy['servers'], uri: string): 'app' | 'static' | null {
  if (!ngx?.locations || servers.length === 0 || !servers.every((s) => isLoopbackAddr(s.addr))) return null
  const kinds = new Set(servers.map((s) => {
    const l = nginxLocationFor(ngx, uri, s.port ?? 80)
    if (!l) return null
    if (l.passes || l.answers === null) return 'app'
    // nginx answers itself; a 4xx/5xx would fail every check (L7STS), which the model does not play
    return l.answers >= 200 && l.answers < 400 ? 'static' : null
  }))
  const [k] = kinds
  return kinds.size === 1 && k ? k : null
}

/** The arguments of the `default-server` lines in force for a backend's servers: its defaults section's, then its own. */
export function defaultServerArgs(backend: HaproxyProxy, defaults: HaproxyProxy | undefined): string[][] {
  return [...(defaults?.settings ?? []), ...backend.settings].filter((x) => x.keyword === 'default-server').map((x) => x.args)
}

function haproxyFromSnapshot(snap: Snapshot, assumed: string[]): HaproxyConfig | null {
  const hp = snap.haproxy
  if (!hp) return null
  const ver = val(hp.version)
  const h = defaultHaproxy(ver ? ver.version : '2.x+')
  if (!ver) assumed.push('haproxy.version')
  const cfg = val(hp.config)?.parsed
  if (!cfg) assumed.push('haproxy.config')
  const proxies = cfg?.proxies ?? []
  const { frontend, backend } = modelledProxies(proxies)
  const defaultsFor = (p: HaproxyProxy | undefined): HaproxyProxy | undefined =>
    p ? proxies.find((d) => d.kind === 'defaults' && d.name === p.defaultsName) ?? proxies.filter((d) => d.kind === 'defaults' && d.line < p.line).pop() : undefined
  const feDefaults = defaultsFor(frontend)
  const beDefaults = defaultsFor(backend)

  h.globalMaxconn = cfg?.global.maxconn ?? null
  h.frontendMaxconn = frontend?.maxconn ?? feDefaults?.maxconn ?? null
  const bind = frontend?.binds[0]
  h.bindMaxconn = bind?.maxconn ?? null
  h.bindBacklog = bind?.backlog ?? null
  h.frontendBacklog = frontend?.backlog ?? feDefaults?.backlog ?? null
  // nbthread: the configuration's; else what the running HAProxy reports (show info Nbthread);
  // else the version's default (2.0+: one thread per CPU)
  const info = val(hp.info)
  const liveThreads = typeof info?.['Nbthread'] === 'number' ? info['Nbthread'] : null
  if (cfg?.global.nbthread != null) h.nbthread = cfg.global.nbthread
  else if (liveThreads != null && liveThreads >= 1) h.nbthread = liveThreads
  else {
    const cpus = val(snap.host.cpus)
    if (cpus == null) assumed.push('haproxy.nbthread')
    h.nbthread = haproxyDefaultNbthread(h.version, cpus ?? 1)
  }
  h.ulimitN = cfg?.global.ulimitN ?? null
  if (cfg?.global.tuneMaxaccept != null) h.maxaccept = cfg.global.tuneMaxaccept

  // The fd limit HAProxy starts with: its systemd unit's LimitNOFILE, else the login shell's
  // ulimit (an init script started from a shell). Whether it runs as root decides if it can
  // raise that limit itself.
  const procs = val(snap.limits.processes) ?? []
  const master = procs.filter((p) => p.kind === 'haproxy').sort((a, b) => a.ppid - b.ppid)[0]
  const unit = snap.limits.systemd.find((u) => /haproxy/.test(u.unit))
  const start = (unit && val(unit.limitNOFILE)) ?? val(snap.limits.shell)
  if (start) {
    h.fdSoft = start.soft === 'unlimited' ? 1048576 : start.soft
    h.fdHard = start.hard === 'unlimited' ? 1048576 : start.hard
  } else assumed.push('haproxy.fdSoft')
  if (master) h.startedAsRoot = master.uid === 0
  else assumed.push('haproxy.startedAsRoot')

  if (backend && backend.servers.length) {
    const dflt = defaultServerArgs(backend, beDefaults)
    // a server HAProxy has DOWN now (its checks fail): modelled as refusing connections, which
    // with its check keeps it DOWN for the whole run (HAProxy running since before it)
    const rows = val(hp.stat)?.rows ?? []
    const isDown = (name: string): boolean => rows.some((r) => r['pxname'] === backend.name && r['svname'] === name && /^DOWN/.test(String(r['status'] ?? '')))
    h.servers = backend.servers.map((s) => {
      const check = serverCheckFromConfig(s.raw, dflt)
      return { name: s.name, maxconn: s.maxconn ?? 0, maxqueue: s.maxqueue ?? 0, weight: s.weight ?? 1, loopback: isLoopbackAddr(s.addr), ...(check ? { check } : {}), ...(check && isDown(s.name) ? { refuses: true } : {}) }
    })
  } else assumed.push('haproxy.servers')
  const t = (k: string): number | undefined => backend?.timeoutsMs[k] ?? beDefaults?.timeoutsMs[k] ?? frontend?.timeoutsMs[k] ?? feDefaults?.timeoutsMs[k]
  const ms = (k: string): number | null => (t(k) === undefined ? null : t(k)! / 1000)
  h.timeoutQueueS = ms('queue')
  const tc = ms('check')
  if (tc !== null) h.timeoutCheckS = tc
  h.timeoutConnectS = ms('connect') ?? (assumed.push('haproxy.timeoutConnectS'), h.timeoutConnectS)
  h.timeoutServerS = ms('server') ?? (assumed.push('haproxy.timeoutServerS'), h.timeoutServerS)
  h.timeoutClientS = ms('client') ?? (assumed.push('haproxy.timeoutClientS'), h.timeoutClientS)
  h.retries = backend?.retries ?? beDefaults?.retries ?? h.retries
  const options = [...(beDefaults?.options ?? []), ...(backend?.options ?? [])]
  h.redispatch = options.some((o) => /^option redispatch/.test(o) || o === 'redispatch')
  if (backend && httpCheckFromConfig(backend, beDefaults)) {
    h.httpCheck = true
    const ngx = snap.nginx ? val(snap.nginx.config) : undefined
    const ep = httpCheckEndpointFromNginx(ngx, backend.servers, httpCheckRequest(backend, beDefaults).uri)
    if (ep) h.httpCheckEndpoint = ep
    else assumed.push('haproxy.httpCheckEndpoint')
  }
  const mode = backend?.mode ?? beDefaults?.mode ?? frontend?.mode ?? feDefaults?.mode
  h.mode = mode === 'tcp' ? 'tcp' : 'http'
  const reuse = [...(beDefaults?.settings ?? []), ...(backend?.settings ?? [])].find((s) => s.keyword === 'http-reuse')
  h.serverConnections = h.mode === 'http' && reuse && /^(always|aggressive)$/.test(reuse.args[0] ?? '') ? 'keep-alive' : 'per-request'
  // http-reuse as configured; unset: 'never' before 2.0, 'safe' since (configuration.txt)
  const rm = reuse?.args[0] ?? ''
  h.httpReuse = rm === 'never' || rm === 'safe' || rm === 'aggressive' || rm === 'always' ? rm : haproxyProfile(h.version) === '1.x' ? 'never' : 'safe'
  const bal = backend?.balance ?? beDefaults?.balance
  // hash-based algorithms stick to their server when it is full (server queue): modelled as 'source'
  h.balance = bal && bal.startsWith('leastconn') ? 'leastconn' : bal && /^(source|uri|url_param|hdr|rdp-cookie|hash)\b/.test(bal) ? 'source' : 'roundrobin'
  return h
}

/**
 * Build the baseline scenario of a snapshot. `workload` supplies what a snapshot cannot know
 * (clients, network, backend service); it is applied last and may override anything.
 */
export function scenarioFromSnapshot(snap: Snapshot, workload: ScenarioPatch = {}, name = snap.name): FromSnapshotResult {
  const assumed: string[] = []
  const base = defaultScenario()
  base.name = name
  const haproxy = haproxyFromSnapshot(snap, assumed)
  const hostKernel = kernelFromSnapshot(snap, assumed, haproxy ? 'hosts.proxy' : 'hosts.backend')
  base.haproxy = haproxy
  if (haproxy) {
    base.hosts.proxy = hostKernel
    // The backends are other machines the snapshot did not read: assume the same kernel era.
    base.hosts.backend = defaultKernel(hostKernel.version)
    assumed.push('hosts.backend')
  } else {
    base.hosts.backend = hostKernel
    base.hosts.proxy = defaultKernel(hostKernel.version)
  }
  const backend = defaultBackend()
  const ngx = snap.nginx ? val(snap.nginx.config) : undefined
  const pools = snap.phpFpm ? val(snap.phpFpm.config)?.pools ?? [] : []
  if (!haproxy && ngx) {
    backend.kind = pools.length ? 'nginx-php-fpm' : 'nginx-echo'
    backend.nginx.listenBacklog = ngx.listens[0]?.backlog ?? 511
    backend.nginx.workerConnections = ngx.workerConnections ?? 512
    const cpus = val(snap.host.cpus) ?? 1
    backend.nginx.workers = ngx.workerProcesses === 'auto' ? cpus : ngx.workerProcesses ?? 1
    const procs = val(snap.limits.processes) ?? []
    const worker = procs.find((p) => p.kind === 'nginx' && p.uid !== 0) ?? procs.find((p) => p.kind === 'nginx')
    const lim = worker ? val(worker.limits)?.nofile.soft : undefined
    if (ngx.workerRlimitNofile) backend.fdLimit = ngx.workerRlimitNofile
    else if (typeof lim === 'number') backend.fdLimit = lim
    else assumed.push('backend.fdLimit')
  }
  if (pools.length) {
    const pool = pools[0]
    backend.phpFpm.children = pool.maxChildren ?? (assumed.push('backend.phpFpm.children'), backend.phpFpm.children)
    // PHP's default is 511; -1 (old default) means somaxconn.
    backend.phpFpm.listenBacklog = pool.listenBacklog ?? 511
    backend.phpFpm.socket = pool.listen && /^\//.test(pool.listen) ? 'unix' : 'tcp'
  }
  if (haproxy) backend.servers = haproxy.servers.length
  base.backend = backend
  if (haproxy || !ngx) assumed.push('backend.serviceTime', 'backend.workers')
  assumed.push('clients', 'network.clientRttMs', 'network.backendRttMs', 'network.jitterMs')
  const scenario = applyPatch(base, workload)
  return { scenario, assumed: [...new Set(assumed)] }
}

/**
 * A first workload for a snapshot of a live server: open loop, seeded from what it observed.
 * HAProxy's FRONTEND `rate` (sessions/s now) and `rate_max` (peak) when there is a proxy,
 * otherwise the kernel's passive opens per second between the two counter samples. The
 * curve holds today's rate, climbs to the observed peak and holds it: a shape to edit.
 */
export interface SnapshotWorkload {
  patch: ScenarioPatch
  /** Where the load curve came from. */
  basis: string
  /** One line per value the workload took from the snapshot (the load, and what `timingFromSnapshot` found). */
  seeded: string[]
  /** The scenario paths those lines set (so they are not listed as assumed). */
  seededPaths: string[]
  /** What the workload had to make up (the load curve when nothing was observed). */
  assumed: string[]
}

/**
 * What HAProxy measured towards the modelled backend (its BACKEND row of `show stat`, averages
 * over the last 1024 requests): `ctime` (connect time) and `rtime` (response time: request sent
 * to response headers, HTTP only). A connect is one round trip, so ctime from 2 ms to 1 s is the
 * backend RTT (whole ms; reused connections count 0, so with http-reuse it reads low; HAProxy 2.6
 * reports 1 for a loopback server); 1 s and more means SYN retransmits, not distance. rtime is
 * one round trip plus the server's time, so the service time is rtime - ctime: its mean, with an
 * exponential shape (assumed), and it includes any queueing inside the servers when they were
 * saturated (test/main/scenario/timing-real.test.ts checks both against a real HAProxy).
 */
export function timingFromSnapshot(snap: Snapshot): { patch: ScenarioPatch; seeded: string[]; seededPaths: string[] } {
  const out = { patch: {} as ScenarioPatch, seeded: [] as string[], seededPaths: [] as string[] }
  const stat = snap.haproxy ? val(snap.haproxy.stat) : undefined
  if (!stat) return out
  const name = modelledProxies(val(snap.haproxy!.config)?.parsed?.proxies ?? []).backend?.name
  const rows = stat.rows.filter((r) => r['svname'] === 'BACKEND' && (name === undefined ? r['pxname'] !== 'stats' : r['pxname'] === name))
  const row = rows.find((r) => num(r['stot']) > 0)
  if (!row) return out
  const be = String(row['pxname'])
  const ctime = row['ctime']
  const rtime = row['rtime']
  if (typeof ctime !== 'number' || !Number.isFinite(ctime) || ctime < 0) return out
  if (ctime < 2) {
    out.seeded.push(`HAProxy's average connect time to ${be} is ${ctime} ms: a round trip under about 1 ms (HAProxy counts whole ms and reports 1 even for a server on loopback), so the backend RTT keeps its default`)
  } else if (ctime < 1000) {
    out.patch.network = { backendRttMs: ctime }
    out.seeded.push(`backend round trip ${ctime} ms: HAProxy's average connect time to ${be} (last 1024 connects, whole ms; a reused connection counts 0)`)
    out.seededPaths.push('network.backendRttMs')
  } else {
    out.seeded.push(`HAProxy's average connect time to ${be} is ${ctime} ms: SYN retransmits, not a round trip (the backend RTT stays assumed)`)
  }
  if (typeof rtime === 'number' && Number.isFinite(rtime) && rtime > 0) {
    const rtt = ctime < 1000 ? ctime : 0
    const meanMs = Math.max(0.5, rtime - Math.min(rtt, rtime))
    out.patch.backend = { serviceTime: { kind: 'exponential', meanS: meanMs / 1000 } }
    out.seeded.push(
      `service time ${meanMs} ms on average: HAProxy's average response time from ${be} (${rtime} ms) less one round trip (${rtt} ms); exponential (the shape is assumed); it includes any queueing inside the servers if they were saturated`
    )
    out.seededPaths.push('backend.serviceTime')
  }
  return out
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0
}

export function workloadFromSnapshot(snap: Snapshot): SnapshotWorkload {
  let now: number | undefined
  let peak: number | undefined
  let basis = ''
  const stat = snap.haproxy ? val(snap.haproxy.stat) : undefined
  const fe = stat?.rows.filter((r) => r['svname'] === 'FRONTEND') ?? []
  if (fe.length) {
    const sum = (col: string): number => fe.reduce((a, r) => a + num(r[col]), 0)
    now = sum('rate')
    peak = sum('rate_max')
    basis = `HAProxy FRONTEND rate ${now}/s, rate_max ${peak}/s`
  }
  if (!now) {
    const rates = val(snap.counters.rates)
    const opens = rates?.perS['TcpPassiveOpens']
    if (opens !== undefined) {
      now = opens
      basis = `kernel TcpPassiveOpens ${opens.toFixed(1)}/s between the two samples`
    }
  }
  const base = Math.max(1, Math.round(now ?? 100))
  const top = Math.max(base, Math.round(peak ?? base))
  if (!basis) basis = 'no observed rate in the snapshot: a placeholder of 100 conn/s'
  const timing = timingFromSnapshot(snap)
  const placeholder = basis.startsWith('no observed')
  return {
    basis,
    seeded: [...(placeholder ? [] : [`load curve from ${basis}: today's rate, a climb to the peak, the peak held (a shape to edit)`]), ...timing.seeded],
    seededPaths: [...(placeholder ? [] : ['clients.loadCurve']), ...timing.seededPaths],
    assumed: placeholder ? ['clients.loadCurve'] : [],
    patch: {
      ...timing.patch,
      durationS: 180,
      drainS: 60,
      clients: {
        mode: 'open',
        arrivals: 'poisson',
        loadCurve: [
          { tS: 0, rate: base },
          { tS: 60, rate: top },
          { tS: 150, rate: top },
          { tS: 180, rate: base }
        ],
        requestsPerConnection: 1,
        keepAlive: false
      }
    }
  }
}
