/**
 * `headroom lab`: replay a Scenario on the real Linux kernel, HAProxy and nginx (+ php-fpm).
 *
 * Per run: client, proxy and backend hosts are network namespaces `hr-lab-<runid>-{cli,lb,app}`
 * joined by veth pairs (or, for an RTT > 0, by a user-space delay link over TUN devices, see
 * delaylink.ts), each with its host's sysctls from the scenario. Real daemons are started with
 * configs rendered from the scenario; a real load generator drives them (`ab` closed loop, or the
 * closed-loop client of closedloop.ts when the scenario needs what ab lacks; the open-loop client
 * of openloop.ts); the lab samples every listener's accept queue and SYN_RECV,
 * the clients in SYN-SENT and TIME_WAIT from `/proc/<pid>/net/tcp` of a process inside each
 * namespace, and takes counter deltas of `/proc/<pid>/net/{netstat,snmp}` there. With
 * `backend.cpu` php-fpm runs pinned to that many CPUs (taskset) and its page burns the CPU share
 * of each request (render.ts); the lab checks the pinning took and watches the children. The
 * result is a fidelity case (shared/fidelity/README.md format): `measured` holds {mean, min, max}
 * over runs.
 */
import { readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from 'node:net'
import { randomBytes } from 'node:crypto'
import { availableParallelism, release } from 'node:os'
import type { Scenario } from '../../simulator/scenario'
import { cloneScenario, curvePeak, serverDownAtS } from '../../simulator/scenario'
import { TIME_WAIT_S } from '../../simulator/model'
import {
  CLIENT_IP,
  FRONT_IP,
  FRONT_PORT,
  LB_BACK_IP,
  backendIps,
  backendPort,
  loopbackBackend,
  LOOPBACK_BACKEND_PORT,
  APP_BODY_BYTES,
  checkUri,
  echoSleepFor,
  fpmAccessLog,
  fpmCpuSet,
  kernelSysctls,
  planHaproxy,
  renderHaproxyCfg,
  renderNginxConf,
  renderPhpFpmConf,
  renderPhpPage,
  phpFpmCommand,
  haproxySources,
  serverConnectionLines,
  serverRefuses,
  usesPhpFpm,
  type HaproxyPlan
} from './render'
import {
  counterDelta,
  parseAbGnuplot,
  parseAbOutput,
  parseChildren,
  parseFpmAccessLog,
  parseHaproxyStat,
  parseProcStatBusy,
  parseProcCounters,
  parseProcNetTcp,
  parseShowInfo,
  parseSsListenBacklog,
  percentile,
  procCpuTicks,
  procState,
  sampleSockets
} from './parse'
import { OPEN_LOOP_CLIENT, arrivalTimes, type OpenLoopConfig, type OpenLoopRecord } from './openloop'
import { CLOSED_LOOP_CLIENT, type ClosedLoopConfig, type ClosedLoopRecord } from './closedloop'
import { DELAY_LINK, pingRtt } from './delaylink'
import { cleanupStale, endRun, makeRunDir, must, removeNamespace, run, sleep, startInNs, stopDaemon, type Daemon } from './sys'
import type { MeasuredValue } from './tolerance'

export const KERNEL_COUNTERS = [
  'ListenOverflows',
  'ListenDrops',
  'TCPReqQFullDrop',
  'TCPReqQFullDoCookies',
  'SyncookiesSent',
  'EmbryonicRsts',
  'TCPSynRetrans',
  'TCPTimeWaitOverflow'
] as const
const SNMP_COUNTERS = ['ActiveOpens', 'PassiveOpens', 'AttemptFails', 'EstabResets', 'OutRsts', 'RetransSegs'] as const
const HAPROXY_FIELDS: Record<string, string[]> = {
  frontend: ['scur', 'smax', 'slim', 'stot', 'ereq', 'dreq', 'hrsp_2xx', 'hrsp_4xx', 'hrsp_5xx'],
  backend: ['scur', 'smax', 'slim', 'qmax', 'econ', 'eresp', 'wretr', 'wredis', 'hrsp_5xx', 'connect', 'reuse'],
  server: ['smax', 'slim', 'qmax', 'econ', 'eresp', 'wretr', 'wredis', 'connect', 'reuse']
}
const SYSCTLS_READ_BACK = [
  'net.core.somaxconn',
  'net.ipv4.tcp_max_syn_backlog',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_abort_on_overflow',
  'net.ipv4.tcp_syn_retries',
  'net.ipv4.tcp_synack_retries',
  'net.ipv4.tcp_syn_linear_timeouts',
  'net.ipv4.tcp_tw_reuse',
  'net.ipv4.tcp_tw_reuse_delay',
  'net.ipv4.tcp_timestamps',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_max_tw_buckets',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.ip_forward'
]
export const ECHO_MODULE = '/usr/lib/nginx/modules/ngx_http_echo_module.so'

export interface LabOptions {
  runs: number
  /** Socket sampling period (ms); default 100. */
  sampleMs?: number
  /** Progress lines (stderr of the CLI). */
  log?: (line: string) => void
  /** Keep `/tmp/hr-lab/<runid>/` (configs and logs) after the run. */
  keepFiles?: boolean
  /** Closed-loop load tool; default: `closedLoopDriver(s)` (ab unless the scenario needs what ab lacks). */
  closedLoopDriver?: ClosedLoopDriver
}

/** Closed-loop load tools: `ab`, or the lab's own closed-loop client (closedloop.ts). */
export type ClosedLoopDriver = 'ab' | 'node'

/**
 * Which closed-loop tool a scenario needs: ab (the reference tool of the shared fidelity cases)
 * unless it asks for what ab cannot do: several client source addresses, clients behind NAT, a
 * client connect timeout, or a user count that follows a load curve.
 */
export function closedLoopDriver(s: Scenario): ClosedLoopDriver {
  const c = s.clients
  const curve = c.loadCurve.length > 1 && new Set(c.loadCurve.map((p) => p.rate)).size > 1
  return c.sourceIps > 1 || c.natShare > 0 || c.connectTimeoutS != null || curve ? 'node' : 'ab'
}

type Host = 'cli' | 'lb' | 'app'

/** One time-series sample (t in s from the load start). */
export interface LabSample {
  t: number
  acceptq: Record<string, number>
  synq: Record<string, number>
  synSent: Record<string, number>
  timeWait: Record<string, number>
  timeWaitToBackend: number
  /** TIME_WAIT sockets on the backend host whose peer is the proxy (the server closed first). */
  timeWaitBackendFromProxy: number
  /** With `backend.cpu`: php-fpm children running or waiting for a CPU (state R). */
  fpmRunnable?: number
}

/** One run's flat metrics (dotted keys) plus its samples. */
export interface RunMetrics {
  metrics: Record<string, number>
  proxyStarted: boolean | null
  proxyMessage: string
  samples: LabSample[]
  backlogs: Record<string, Record<number, number>>
  effective: Record<string, Record<string, string>>
  pingRttMs: Record<string, { avg: number; p50?: number; min: number; max: number }>
  loadCommand: string
  /** The load tool that ran: 'ab', 'node-closed-loop' or 'node-open-loop'. */
  loadTool?: string
  /** Client addresses the front listener's connections came from (sampled from its socket table). */
  srcIpsAtFront?: string[]
  /** When HAProxy was started, in seconds from the load's start (negative): its health checks count from then. */
  proxyStartS?: number
  /** Servers that went down during the run (downAtS): when nginx was told to drop them, seconds from the load's start. */
  serverStopS?: Record<string, number>
  /** With `backend.cpu`: the CPUs php-fpm's master and children were allowed to run on (Cpus_allowed_list, read back). */
  fpmCpusAllowed?: string
}

/** The lab's result: a fidelity case plus Headroom's own scenario, deviations and time series. */
export interface LabCase {
  format: 'headroom-fidelity-case/1'
  id: string
  family: string
  description: string
  measured_on: Record<string, string>
  runs: number
  scenario: Record<string, unknown>
  measured: Record<string, MeasuredValue>
  scored: string[]
  headroom: {
    format: 'headroom-lab/1'
    scenario: Scenario
    /** The scenario as the lab really ran it (this kernel, HAProxy 2.6, lab maxconn/fd limits). Simulate this one to compare. */
    effectiveScenario: Scenario
    deviations: string[]
    series: LabSample[][]
    startedAt: string
  }
}

/**
 * Where the clients connect from. Open loop and the lab's closed-loop client (`ab` cannot bind a source address): with
 * `sourceIps` > 1 the client side of the cli <-> front link gets that many addresses
 * (10.200.1.10..), bound round-robin before connect. With `natShare` > 0 the clients sit behind an
 * extra namespace `nat` (cli 10.200.3.0/24 -> nat -> front): the natShare of the connections come
 * from `natHosts` addresses (10.200.3.100..) that nat masquerades (nftables) to its own 10.200.1.1,
 * the rest from `sourceIps` addresses (10.200.3.10..) that nat only routes.
 */
export interface ClientAddressing {
  nat: boolean
  direct: string[]
  natHosts: string[]
}

export const NAT_OUTSIDE_IP = CLIENT_IP
const NAT_INSIDE_IP = '10.200.3.1'
const CLI_BEHIND_NAT_IP = '10.200.3.2'

export function clientAddressing(s: Scenario): ClientAddressing {
  const open = s.clients.mode === 'open' || closedLoopDriver(s) === 'node'
  const nat = open && s.clients.natShare > 0
  const n = open ? Math.max(1, Math.min(90, Math.round(s.clients.sourceIps))) : 1
  const range = (k: number, f: (i: number) => string): string[] => Array.from({ length: k }, (_, i) => f(i))
  return {
    nat,
    direct: nat ? range(n, (i) => `10.200.3.${10 + i}`) : n > 1 ? range(n, (i) => `10.200.1.${10 + i}`) : [],
    natHosts: nat ? range(Math.max(1, Math.min(100, Math.round(s.clients.natHosts))), (j) => `10.200.3.${100 + j}`) : []
  }
}

/** Source address of each of `count` arrivals (null: one address, the kernel picks): connection i is NATed when floor((i+1) share) > floor(i share). */
export function sourcesPerArrival(s: Scenario, count: number): string[] | null {
  const a = clientAddressing(s)
  if (!a.nat && a.direct.length === 0) return null
  const share = Math.min(1, s.clients.natShare)
  const out: string[] = []
  let d = 0
  let n = 0
  for (let i = 0; i < count; i++) {
    const natted = a.nat && Math.floor((i + 1) * share) > Math.floor(i * share)
    out.push(natted ? a.natHosts[n++ % a.natHosts.length]! : a.direct[d++ % a.direct.length]!)
  }
  return out
}

/** Tools a lab run needs for this scenario; the CLI reports what is missing. */
export function requiredTools(s: Scenario): string[] {
  const t = ['ip', 'sysctl', 'ss', 'prlimit', 'nginx']
  if (s.haproxy) t.push('haproxy')
  if (usesPhpFpm(s)) t.push('php-fpm8.2')
  if (fpmCpuSet(s, availableParallelism())) t.push('taskset')
  if (s.clients.mode === 'closed' && closedLoopDriver(s) === 'ab') t.push('ab')
  if (s.network.clientRttMs > 0 || s.network.backendRttMs > 0) t.push('python3')
  if (clientAddressing(s).nat) t.push('nft')
  return t
}

/** Why the lab cannot run here (null when it can): not Linux, not root, a tool or the echo module missing. */
export async function labPreflight(s: Scenario): Promise<string | null> {
  if (process.platform !== 'linux') return `headroom lab needs Linux (network namespaces); this is ${process.platform}`
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'headroom lab needs root (it creates network namespaces and sets their sysctls)'
  const missing: string[] = []
  for (const t of requiredTools(s)) {
    const r = await run('sh', ['-c', `command -v ${t}`], { timeoutMs: 5000 })
    if (r.code !== 0) missing.push(t)
  }
  if (missing.length) return `missing tools: ${missing.join(', ')} (Debian: iproute2 procps util-linux nginx haproxy php-fpm apache2-utils python3 nftables)`
  if (!usesPhpFpm(s) && !existsSync(ECHO_MODULE)) return `nginx echo module missing (${ECHO_MODULE}); install the Debian package libnginx-mod-http-echo`
  return null
}

function hardFdCap(): number {
  const t = readFileSync('/proc/self/limits', 'utf8')
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(t)
  return m && m[2] !== 'unlimited' ? Number(m[2]) : 1048576
}

/** php-fpm children per pool (the workers of a generic backend). */
function fpmPoolSize(s: Scenario): number {
  return Math.max(1, s.backend.kind === 'generic' ? s.backend.workers : s.backend.phpFpm.children)
}

/** Children of a process (`/proc/<pid>/task/<pid>/children`), once `n` of them are there (up to 5 s). */
async function waitForChildren(pid: number, n: number): Promise<number[]> {
  let kids: number[] = []
  await waitFor(() => {
    try {
      kids = parseChildren(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8'))
    } catch {
      kids = []
    }
    return kids.length >= n
  }, 5000)
  return kids
}

/** Cpus_allowed_list of a process ('' when it is gone). */
function cpusAllowed(pid: number): string {
  try {
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? ''
  } catch {
    return ''
  }
}

/** CPU ticks (USER_HZ 100) used so far by php-fpm's master and children, and the busy ticks of the CPUs it is pinned to ('0', '0-1'). */
function fpmCpuNow(master: number, children: readonly number[], cpuList: string): { fpm: number; cores: number } {
  let fpm = 0
  for (const pid of [master, ...children]) {
    try {
      fpm += procCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'))
    } catch {
      /* gone: the run reports it */
    }
  }
  const [lo, hi] = cpuList.split('-').map(Number)
  const busy = parseProcStatBusy(readFileSync('/proc/stat', 'utf8'))
  let cores = 0
  for (let c = lo!; c <= (hi ?? lo!); c++) cores += busy[c] ?? 0
  return { fpm, cores }
}

function readProcState(pid: number): string {
  try {
    return procState(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return ''
  }
}

/**
 * With `backend.cpu`: how the pinned php-fpm children spent the run. `fpm.*_runnable_children`:
 * children in state R at the socket samples (running or waiting for one of the cores; the mean
 * over the load window); `fpm.request_ms.*`: each request's time in its child, from php-fpm's
 * access log (the CPU burn stretched by the other runnable children, plus the sleep);
 * `fpm.cpu_ms`: CPU time php-fpm used from before the load to its end, and `fpm.cores_busy_ms`
 * how busy its cores were meanwhile (the difference is other work on them: nginx, HAProxy, the
 * clients, interrupts, or another job on a shared machine, which would lower php-fpm's capacity).
 */
function fpmMetrics(res: RunMetrics, s: Scenario, runDir: string, cpu0: { fpm: number; cores: number }, cpu1: { fpm: number; cores: number }): void {
  res.metrics['fpm.cpu_ms'] = (cpu1.fpm - cpu0.fpm) * 10
  res.metrics['fpm.cores_busy_ms'] = (cpu1.cores - cpu0.cores) * 10
  const r = res.samples.map((x) => x.fpmRunnable).filter((v): v is number => v !== undefined)
  const inLoad = res.samples.filter((x) => x.t > 0 && x.t <= s.durationS && x.fpmRunnable !== undefined).map((x) => x.fpmRunnable!)
  if (r.length) res.metrics['fpm.max_runnable_children'] = Math.max(...r)
  if (inLoad.length) res.metrics['fpm.mean_runnable_children'] = inLoad.reduce((a, b) => a + b, 0) / inLoad.length
  const ms = backendIps(s).flatMap((_, i) => (existsSync(fpmAccessLog(runDir, i)) ? parseFpmAccessLog(readFileSync(fpmAccessLog(runDir, i), 'utf8')) : []))
  res.metrics['fpm.requests'] = ms.length
  if (ms.length) {
    res.metrics['fpm.request_ms.p50'] = percentile(ms, 0.5)
    res.metrics['fpm.request_ms.p90'] = percentile(ms, 0.9)
    res.metrics['fpm.request_ms.p99'] = percentile(ms, 0.99)
    res.metrics['fpm.request_ms.max'] = Math.max(...ms)
  }
}

function sysctlAvailable(name: string): boolean {
  return existsSync('/proc/sys/' + name.replace(/\./g, '/'))
}

async function setSysctls(ns: string, set: Record<string, string>): Promise<void> {
  const args = Object.entries(set).map(([k, v]) => `${k}=${v}`)
  if (args.length) await must('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', ...args])
}

async function readSysctls(ns: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const names = SYSCTLS_READ_BACK.filter(sysctlAvailable)
  const r = await run('ip', ['netns', 'exec', ns, 'sysctl', ...names])
  for (const l of r.stdout.split('\n')) {
    const i = l.indexOf(' = ')
    if (i > 0) out[l.slice(0, i)] = l.slice(i + 3).replace(/\s+/g, ' ')
  }
  return out
}

/** Ask HAProxy's stats socket one command. */
function haproxyCommand(sock: string, cmd: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = ''
    const c = connect(sock)
    const t = setTimeout(() => {
      c.destroy()
      reject(new Error(`stats socket: no answer to ${cmd}`))
    }, timeoutMs)
    c.on('connect', () => c.write(cmd + '\n'))
    c.on('data', (d) => (buf += d.toString()))
    c.on('error', (e) => {
      clearTimeout(t)
      reject(e)
    })
    c.on('close', () => {
      clearTimeout(t)
      resolve(buf)
    })
  })
}

async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await cond()) return true
    await sleep(stepMs)
  }
  return false
}

/** Does the namespace (seen through a process inside it) listen on ip:port? */
function listening(anchorPid: number, ip: string, port: number): boolean {
  try {
    return parseProcNetTcp(readFileSync(`/proc/${anchorPid}/net/tcp`, 'utf8')).some(
      (r) => r.state === 10 && r.localPort === port && (r.localIp === ip || r.localIp === '0.0.0.0')
    )
  } catch {
    return false
  }
}

function readCounters(pid: number): Record<string, number> {
  return {
    ...parseProcCounters(readFileSync(`/proc/${pid}/net/netstat`, 'utf8')),
    ...parseProcCounters(readFileSync(`/proc/${pid}/net/snmp`, 'utf8'))
  }
}

interface Topology {
  ns: Partial<Record<Host, string>>
  anchors: Partial<Record<Host, Daemon>>
  daemons: Daemon[]
  links: string[]
  /** Namespaces without an anchor process (the NAT router). */
  extraNs: string[]
}

/**
 * Join two namespaces: a veth pair, or (rttMs > 0 or jitterMs > 0) two TUN devices bridged by the
 * delay link. Returns the device's name in `a`.
 */
async function link(runDir: string, topo: Topology, a: string, aIp: string, b: string, bIps: string[], rttMs: number, name: string, jitterMs = 0, seed = 1): Promise<string> {
  if (rttMs <= 0 && jitterMs <= 0) {
    await must('ip', ['-n', a, 'link', 'add', 'name', name, 'type', 'veth', 'peer', 'name', name, 'netns', b])
    await must('ip', ['-n', a, 'addr', 'add', `${aIp}/24`, 'dev', name])
    for (const ip of bIps) await must('ip', ['-n', b, 'addr', 'add', `${ip}/24`, 'dev', name])
    await must('ip', ['-n', a, 'link', 'set', name, 'up'])
    await must('ip', ['-n', b, 'link', 'set', name, 'up'])
    topo.links.push(`${a.replace(/^hr-lab-[^-]+-/, '')}(${aIp}/24) <-veth-> ${b.replace(/^hr-lab-[^-]+-/, '')}(${bIps.join(', ')}/24), no added delay`)
    return name
  }
  // The delay link opens both TUN devices in `a`; the second one then moves to `b`.
  const ta = `${name}a`
  const tb = `${name}b`
  const d = startInNs(runDir, `delaylink-${name}`, a, 'python3', ['-c', DELAY_LINK, ta, tb, String(rttMs / 2), String(jitterMs), String(seed)])
  topo.daemons.push(d)
  const up = await waitFor(() => {
    try {
      return readFileSync(join(runDir, `delaylink-${name}.log`), 'utf8').includes('ready')
    } catch {
      return false
    }
  }, 5000)
  if (!up) throw new Error(`delay link ${name} did not start: ${readFileSync(join(runDir, `delaylink-${name}.log`), 'utf8').slice(-400)}`)
  await must('ip', ['-n', a, 'link', 'set', tb, 'netns', b])
  await must('ip', ['-n', a, 'addr', 'add', `${aIp}/24`, 'dev', ta])
  for (const ip of bIps) await must('ip', ['-n', b, 'addr', 'add', `${ip}/24`, 'dev', tb])
  await must('ip', ['-n', a, 'link', 'set', ta, 'up'])
  await must('ip', ['-n', b, 'link', 'set', tb, 'up'])
  const jit = jitterMs > 0 ? ` + jitter 0..${jitterMs} ms per packet (seed ${seed}, per-flow order kept)` : ''
  topo.links.push(`${a.replace(/^hr-lab-[^-]+-/, '')}(${aIp}) <-TUN pair + delay link, ${rttMs / 2} ms one-way each direction${jit} (RTT ${rttMs} ms)-> ${b.replace(/^hr-lab-[^-]+-/, '')}(${bIps.join(', ')})`)
  return ta
}

/** Everything of one run; always removes its namespaces and processes, also on failure. */
async function oneRun(s: Scenario, plan: HaproxyPlan | null, opts: LabOptions, runIndex: number): Promise<RunMetrics> {
  const log = opts.log ?? (() => {})
  const runId = process.pid.toString(36) + randomBytes(3).toString('hex')
  const runDir = makeRunDir(runId)
  // loopback servers run on the proxy host (lb namespace), so there is no app namespace
  const loop = loopbackBackend(s)
  const hosts: Host[] = s.haproxy ? (loop ? ['cli', 'lb'] : ['cli', 'lb', 'app']) : ['cli', 'app']
  const topo: Topology = { ns: {}, anchors: {}, daemons: [], links: [], extraNs: [] }
  const addr = clientAddressing(s)
  const capS = s.durationS + s.drainS
  const ips = backendIps(s)
  const res: RunMetrics = {
    metrics: {},
    proxyStarted: s.haproxy ? false : null,
    proxyMessage: '',
    samples: [],
    backlogs: {},
    effective: {},
    pingRttMs: {},
    loadCommand: '',
    srcIpsAtFront: []
  }
  try {
    for (const h of hosts) {
      const ns = `hr-lab-${runId}-${h}`
      await must('ip', ['netns', 'add', ns])
      topo.ns[h] = ns
      await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
      // a process inside the namespace whose /proc/<pid>/net/* the lab reads; bounded by the run cap
      topo.anchors[h] = startInNs(runDir, `anchor-${h}`, ns, 'sleep', [String(Math.ceil(capS + 120))])
    }
    const cli = topo.ns.cli!
    const lb = topo.ns.lb
    // where the backend daemons run, and the process whose /proc/<pid>/net/* shows them
    const app = loop ? lb! : topo.ns.app!
    const appAnchor = loop ? topo.anchors.lb! : topo.anchors.app!
    // sysctls where each acts
    const kern = { cli: s.hosts.client, lb: s.hosts.proxy, app: s.hosts.backend }
    for (const h of hosts) await setSysctls(topo.ns[h]!, kernelSysctls(kern[h], sysctlAvailable).set)
    const front = lb ?? app
    if (addr.nat) {
      // cli (10.200.3.x) -- nat (routes; masquerades the NAT hosts to 10.200.1.1) -- front
      const nat = `hr-lab-${runId}-nat`
      await must('ip', ['netns', 'add', nat])
      topo.extraNs.push(nat)
      await must('ip', ['-n', nat, 'link', 'set', 'lo', 'up'])
      await setSysctls(nat, { 'net.ipv4.ip_forward': '1' })
      await link(runDir, topo, cli, CLI_BEHIND_NAT_IP, nat, [NAT_INSIDE_IP], 0, 'hr2')
      for (const ip of [...addr.direct, ...addr.natHosts]) await must('ip', ['-n', cli, 'addr', 'add', `${ip}/24`, 'dev', 'hr2'])
      await must('ip', ['-n', cli, 'route', 'add', 'default', 'via', NAT_INSIDE_IP])
      await link(runDir, topo, nat, NAT_OUTSIDE_IP, front, [FRONT_IP], s.network.clientRttMs, 'hr0', s.network.jitterMs, 1)
      await must('ip', ['-n', front, 'route', 'add', '10.200.3.0/24', 'via', NAT_OUTSIDE_IP])
      const first = addr.natHosts[0]!
      const last = addr.natHosts[addr.natHosts.length - 1]!
      const rules = `table ip hrlab {\n  chain post {\n    type nat hook postrouting priority srcnat;\n    ip saddr ${first}-${last} ip daddr 10.200.1.0/24 masquerade\n  }\n}\n`
      writeFileSync(join(runDir, 'nat.nft'), rules)
      await must('ip', ['netns', 'exec', nat, 'nft', '-f', join(runDir, 'nat.nft')])
      topo.links.push(`nat: nftables masquerade of ${first}-${last} to ${NAT_OUTSIDE_IP}; ${addr.direct.join(', ')} routed unchanged`)
    } else {
      const dev = await link(runDir, topo, cli, CLIENT_IP, front, [FRONT_IP], s.network.clientRttMs, 'hr0', s.network.jitterMs, 1)
      for (const ip of addr.direct) await must('ip', ['-n', cli, 'addr', 'add', `${ip}/24`, 'dev', dev])
    }
    if (lb && !loop) {
      const dev = await link(runDir, topo, lb, LB_BACK_IP, app, ips, s.network.backendRttMs, 'hr1', s.network.jitterMs, 2)
      // HAProxy's extra source addresses (render.ts: one server line with `source` per address)
      for (const ip of haproxySources(s).ips) await must('ip', ['-n', lb, 'addr', 'add', `${ip}/24`, 'dev', dev])
    }
    for (const h of hosts) res.effective[h] = await readSysctls(topo.ns[h]!)
    // with jitter, more probes: the spread is what is recorded
    const probes = s.network.jitterMs > 0 ? 40 : 10
    if (s.network.clientRttMs > 0 || s.network.jitterMs > 0) res.pingRttMs['rtt_ms_client_lb'] = await pingRtt(cli, FRONT_IP, 22, probes)
    if (lb && !loop && (s.network.backendRttMs > 0 || s.network.jitterMs > 0)) res.pingRttMs['rtt_ms_lb_app'] = await pingRtt(lb, ips[0]!, 22, probes)

    // backend: nginx (echo_sleep) or nginx + php-fpm
    // with backend.cpu: php-fpm's pinned master and children, watched while the load runs
    let fpmMaster = 0
    let fpmChildren: number[] = []
    if (usesPhpFpm(s)) {
      const cpuSet = fpmCpuSet(s, availableParallelism())
      writeFileSync(join(runDir, 'app.php'), renderPhpPage(s.backend.serviceTime, cpuSet ? s.backend.cpu : null))
      writeFileSync(join(runDir, 'php-fpm.conf'), renderPhpFpmConf(s, runDir))
      const cmd = phpFpmCommand(s, join(runDir, 'php-fpm.conf'), availableParallelism())
      const fpm = startInNs(runDir, 'php-fpm', app, cmd.cmd, cmd.args)
      topo.daemons.push(fpm)
      const ok = await waitFor(() => {
        if (fpm.done()) return true
        return s.backend.phpFpm.socket === 'unix'
          ? ips.every((_, i) => existsSync(join(runDir, `fpm-${i}.sock`)))
          : ips.every((_, i) => listening(appAnchor.pid, '127.0.0.1', 9000 + i))
      }, 10_000)
      if (!ok || fpm.done()) throw new Error(`php-fpm did not start: ${readFileSync(join(runDir, 'php-fpm.log'), 'utf8').slice(-400)}`)
      if (cpuSet) {
        // the children do the work: each must have inherited the pinning, or the run measures another machine
        fpmMaster = fpm.pid
        fpmChildren = await waitForChildren(fpm.pid, ips.length * fpmPoolSize(s))
        const allowed = [fpm.pid, ...fpmChildren].map(cpusAllowed)
        if (fpmChildren.length === 0 || allowed.some((a) => a !== cpuSet.list)) throw new Error(`php-fpm is not pinned to CPUs ${cpuSet.list}: master and children allow ${allowed.join(' / ')}`)
        res.fpmCpusAllowed = cpuSet.list
      }
    }
    writeFileSync(join(runDir, 'nginx.conf'), renderNginxConf(s, runDir, ECHO_MODULE))
    const nginx = startInNs(runDir, 'nginx', app, 'nginx', ['-c', join(runDir, 'nginx.conf'), '-e', join(runDir, 'nginx-error.log'), '-g', 'daemon off;'])
    topo.daemons.push(nginx)
    if (!(await waitFor(() => nginx.done() || ips.every((ip, i) => serverRefuses(s, i) || listening(appAnchor.pid, ip, backendPort(s))), 10_000)) || nginx.done())
      throw new Error(`nginx did not start: ${readFileSync(join(runDir, 'nginx.log'), 'utf8').slice(-400)}`)

    // HAProxy with the lab's explicit maxconn and fd limit
    let haproxySock: string | null = null
    let hpSpawnMs = 0
    if (lb && s.haproxy && plan) {
      haproxySock = join(runDir, 'haproxy.sock')
      writeFileSync(join(runDir, 'haproxy.cfg'), renderHaproxyCfg(s, plan, haproxySock))
      hpSpawnMs = Date.now()
      const hp = startInNs(runDir, 'haproxy', lb, 'prlimit', [`--nofile=${plan.fdSoft}:${plan.fdHard}`, 'haproxy', '-f', join(runDir, 'haproxy.cfg'), '-db'])
      topo.daemons.push(hp)
      const sock = haproxySock
      await waitFor(async () => hp.done() || (existsSync(sock) && listening(topo.anchors.lb!.pid, FRONT_IP, FRONT_PORT)), 10_000)
      const msg = readFileSync(join(runDir, 'haproxy.log'), 'utf8')
      res.proxyMessage = msg.split('\n').filter((l) => /ALERT|WARNING/.test(l)).join(' ').slice(0, 600)
      res.proxyStarted = !hp.done()
      if (!res.proxyStarted) {
        log(`run ${runIndex + 1}: HAProxy refused to start: ${res.proxyMessage || msg.slice(-300)}`)
        return res
      }
    }
    for (const h of hosts) {
      const r = await run('ip', ['netns', 'exec', topo.ns[h]!, 'ss', '-Hltn'])
      res.backlogs[h] = parseSsListenBacklog(r.stdout)
    }

    // baselines, then sample sockets while the load runs
    const before: Partial<Record<Host, Record<string, number>>> = {}
    for (const h of hosts) before[h] = readCounters(topo.anchors[h]!.pid)
    const fpmCpu0 = fpmChildren.length ? fpmCpuNow(fpmMaster, fpmChildren, res.fpmCpusAllowed!) : null
    const t0 = Date.now()
    if (hpSpawnMs) res.proxyStartS = (hpSpawnMs - t0) / 1000
    let loadStartMs: number | null = null
    const frontHost: Host = lb ? 'lb' : 'app'
    const seenAtFront = new Set<string>()
    const sampleOnce = (): void => {
      const smp: LabSample = { t: (Date.now() - t0) / 1000, acceptq: {}, synq: {}, synSent: {}, timeWait: {}, timeWaitToBackend: 0, timeWaitBackendFromProxy: 0 }
      for (const h of hosts) {
        let text: string
        try {
          text = readFileSync(`/proc/${topo.anchors[h]!.pid}/net/tcp`, 'utf8')
        } catch {
          continue
        }
        const rows = parseProcNetTcp(text)
        if (h === frontHost) for (const r of rows) if (r.state !== 10 && r.localIp === FRONT_IP && r.localPort === FRONT_PORT) seenAtFront.add(r.remoteIp)
        const x = sampleSockets(rows, h === 'lb' ? ips : h === 'app' && lb ? [LB_BACK_IP] : [], h === 'lb' && loop ? backendPort(s) : null)
        for (const [p, v] of Object.entries(x.acceptq)) smp.acceptq[`${h}_port${p}`] = v
        for (const [p, v] of Object.entries(x.synq)) smp.synq[`${h}_port${p}`] = v
        smp.synSent[h] = x.synSent
        smp.timeWait[h] = x.timeWait
        if (h === 'lb') smp.timeWaitToBackend = x.timeWaitToBackend
        if (h === 'app' && lb) smp.timeWaitBackendFromProxy = x.timeWaitToBackend
        if (h === 'lb' && loop) smp.timeWaitBackendFromProxy = x.timeWaitAtBackend
      }
      if (fpmChildren.length) smp.fpmRunnable = fpmChildren.filter((pid) => readProcState(pid) === 'R').length
      res.samples.push(smp)
    }
    sampleOnce()
    const timer = setInterval(sampleOnce, opts.sampleMs ?? 100)

    // servers that go down during the run (downAtS): at that time nginx reloads without their
    // server block (SIGHUP: the old workers stop accepting and finish what they have, the
    // listening socket closes), so their host resets every later connect
    const stopsAt: Record<string, number> = {}
    const stopTimers: ReturnType<typeof setTimeout>[] = []
    const later = (s.haproxy?.servers ?? []).filter((sv) => serverDownAtS(sv) !== null)
    for (const T of new Set(later.map((sv) => serverDownAtS(sv)!))) {
      stopTimers.push(
        setTimeout(() => {
          const after = cloneScenario(s)
          for (const sv of after.haproxy!.servers) if ((serverDownAtS(sv) ?? Infinity) <= T) sv.downAtS = null
          writeFileSync(join(runDir, 'nginx.conf'), renderNginxConf(after, runDir, ECHO_MODULE))
          try {
            process.kill(nginx.pid, 'SIGHUP')
          } catch {
            /* gone: the run reports it */
          }
          for (const sv of later) if (sv.downAtS === T) stopsAt[sv.name] = Date.now()
        }, T * 1000)
      )
    }

    // the load, bounded in requests and in time
    const url = `http://${FRONT_IP}:${FRONT_PORT}/`
    const c = s.clients
    const driver = opts.closedLoopDriver ?? closedLoopDriver(s)
    try {
      if (c.mode === 'closed' && driver === 'ab') {
        const users = c.loadCurve.length ? Math.max(1, Math.round(curvePeak(c.loadCurve))) : c.concurrency
        const total = c.totalRequests > 0 ? c.totalRequests : 50_000
        const gfile = join(runDir, 'ab.tsv')
        const args = ['-r', '-l', '-s', String(Math.max(1, Math.ceil(c.requestTimeoutS ?? 30))), '-t', String(Math.ceil(s.durationS)), '-n', String(total), '-c', String(Math.min(users, total)), '-g', gfile, url]
        res.loadCommand = `ab ${args.join(' ')}`.replace(gfile, '<run-dir>/ab.tsv')
        res.loadTool = 'ab'
        const ab = startInNs(runDir, 'ab', cli, 'ab', args)
        topo.daemons.push(ab)
        // ab prints what it has on SIGINT; SIGKILL only if it ignores that
        const stop = setTimeout(() => {
          try {
            process.kill(ab.pid, 'SIGINT')
          } catch {
            /* gone */
          }
        }, capS * 1000)
        await ab.exited
        clearTimeout(stop)
        const out = readFileSync(join(runDir, 'ab.log'), 'utf8')
        const sum = parseAbOutput(out)
        if (sum.aborted && sum.complete === 0) throw new Error(`ab aborted: ${sum.aborted}`)
        const reqs = existsSync(gfile) ? parseAbGnuplot(readFileSync(gfile, 'utf8')) : []
        // requests ab never finished (cut by -t or by the cap) count as attempted and failed when the
        // scenario fixes the count; a time-bounded run (no count) attempted what it completed
        const requests = c.totalRequests > 0 ? Math.max(c.totalRequests, sum.complete) : sum.complete
        const errors = sum.failedConnect + sum.failedReceive + sum.failedExceptions + (requests - sum.complete)
        // ab's failure counts overlap when the server resets connections it accepted (nginx out of
        // worker_connections: Receive + Exceptions > Complete); every answer is the app's 3-byte
        // body ("ok\n", render.ts), so without non-2xx answers the bodies count the successes
        const ok = sum.non2xx === 0 && sum.htmlBytes > 0 ? Math.min(requests, Math.round(sum.htmlBytes / APP_BODY_BYTES)) : Math.max(0, requests - errors - sum.non2xx)
        Object.assign(res.metrics, {
          requests,
          ok,
          not_ok: requests - ok,
          non_2xx: sum.non2xx,
          errors,
          duration_s: sum.timeTakenS
        })
        latencyMetrics(res.metrics, reqs.map((r) => r.totalMs), reqs.map((r) => r.connectMs), s)
      } else if (c.mode === 'closed') {
        // the lab's closed-loop client: what ab does, plus source addresses, connect timeout, a user curve
        const curve = c.loadCurve.length > 1 && new Set(c.loadCurve.map((p) => p.rate)).size > 1 ? c.loadCurve : []
        const users = c.loadCurve.length ? Math.max(1, Math.round(curvePeak(c.loadCurve))) : c.concurrency
        const total = c.totalRequests > 0 ? c.totalRequests : 50_000
        const sources = sourcesPerArrival(s, total)
        const sourcesFile = sources ? join(runDir, 'sources.json') : null
        if (sourcesFile) writeFileSync(sourcesFile, JSON.stringify(sources))
        const cfg: ClosedLoopConfig = {
          host: FRONT_IP,
          port: FRONT_PORT,
          users: Math.min(users, total),
          curve,
          totalRequests: total,
          durationS: s.durationS,
          connectTimeoutS: c.connectTimeoutS,
          requestTimeoutS: c.requestTimeoutS,
          closesFirst: c.closesFirst,
          hardStopS: capS,
          outFile: join(runDir, 'closedloop.json'),
          sourcesFile
        }
        const who = curve.length ? `users following the curve ${curve.map((p) => `${p.tS}s:${p.rate}`).join(' ')} (read every second)` : `${cfg.users} users`
        res.loadCommand = `node closed-loop client: ${who}, ${total} requests at most, one connection each (${c.closesFirst === 'server' ? 'HTTP/1.0, the server closes' : 'HTTP/1.1, the client closes'}), no new request after ${s.durationS} s, hard stop ${capS} s${c.connectTimeoutS != null ? `, connect timeout ${c.connectTimeoutS} s` : ''}${c.requestTimeoutS != null ? `, request timeout ${c.requestTimeoutS} s` : ''}${sources ? `, source addresses bound round-robin: ${addr.direct.join(' ')}${addr.nat ? `${addr.direct.length ? '; ' : ''}behind NAT (share ${s.clients.natShare}): ${addr.natHosts.join(' ')}` : ''}` : ''}`
        res.loadTool = 'node-closed-loop'
        process.env['HR_LAB_CFG'] = JSON.stringify(cfg)
        const cl = startInNs(runDir, 'closedloop', cli, process.execPath, ['--input-type=module', '-e', CLOSED_LOOP_CLIENT])
        delete process.env['HR_LAB_CFG']
        topo.daemons.push(cl)
        const stop = setTimeout(() => {
          try {
            process.kill(cl.pid, 'SIGKILL')
          } catch {
            /* gone */
          }
        }, (capS + 10) * 1000)
        await cl.exited
        clearTimeout(stop)
        if (!existsSync(cfg.outFile)) throw new Error(`closed-loop client failed: ${readFileSync(join(runDir, 'closedloop.log'), 'utf8').slice(-400)}`)
        const out = JSON.parse(readFileSync(cfg.outFile, 'utf8')) as { records: ClosedLoopRecord[]; maxUsers: number; cpuMs: number }
        const recs = out.records
        const answered = recs.filter((r) => r[3] > 0 && r[4] === '')
        const ok = answered.filter((r) => r[3] >= 200 && r[3] < 300).length
        // requests count when their connection attempt starts (ab -n and the simulator count attempts)
        Object.assign(res.metrics, {
          requests: recs.length,
          ok,
          not_ok: recs.length - ok,
          non_2xx: answered.length - ok,
          errors: recs.length - answered.length,
          duration_s: recs.length ? Math.max(...recs.map((r) => r[0] + r[2])) / 1000 : 0,
          'clients.max_users': out.maxUsers,
          // the client's own CPU time during the load (user + system): a busy machine shows here first
          'clients.cpu_ms': Math.round(out.cpuMs)
        })
        for (const code of new Set(recs.map((r) => r[4]).filter(Boolean))) res.metrics[`clients.errors.${code}`] = recs.filter((r) => r[4] === code).length
        latencyMetrics(res.metrics, answered.map((r) => r[2]), recs.filter((r) => r[1] >= 0).map((r) => r[1]), s)
      } else {
        const times = arrivalTimes(c.loadCurve, s.durationS, c.arrivals, 200_000)
        const arrivalsFile = join(runDir, 'arrivals.json')
        writeFileSync(arrivalsFile, JSON.stringify(times))
        const sources = sourcesPerArrival(s, times.length)
        const sourcesFile = sources ? join(runDir, 'sources.json') : null
        if (sourcesFile) writeFileSync(sourcesFile, JSON.stringify(sources))
        const cfg: OpenLoopConfig = {
          host: FRONT_IP,
          port: FRONT_PORT,
          arrivalsFile,
          outFile: join(runDir, 'openloop.json'),
          connectTimeoutS: c.connectTimeoutS,
          requestTimeoutS: c.requestTimeoutS,
          closesFirst: c.closesFirst,
          requestsPerConnection: c.keepAlive ? Math.max(1, c.requestsPerConnection) : 1,
          hardStopS: capS,
          sourcesFile
        }
        res.loadTool = 'node-open-loop'
        const rpc = cfg.requestsPerConnection ?? 1
        res.loadCommand = `node open-loop client: ${times.length} connections over ${s.durationS} s (${c.arrivals}), ${rpc > 1 ? `${rpc} keep-alive requests (HTTP/1.1) each, back to back` : 'one request each'}, hard stop ${capS} s${sources ? `, source addresses bound round-robin: ${addr.direct.length ? addr.direct.join(' ') : ''}${addr.nat ? `${addr.direct.length ? '; ' : ''}behind NAT (share ${s.clients.natShare}): ${addr.natHosts.join(' ')}` : ''}` : ''}`
        process.env['HR_LAB_CFG'] = JSON.stringify(cfg)
        const cl = startInNs(runDir, 'openloop', cli, process.execPath, ['--input-type=module', '-e', OPEN_LOOP_CLIENT])
        delete process.env['HR_LAB_CFG']
        topo.daemons.push(cl)
        const stop = setTimeout(() => {
          try {
            process.kill(cl.pid, 'SIGKILL')
          } catch {
            /* gone */
          }
        }, (capS + 10) * 1000)
        await cl.exited
        clearTimeout(stop)
        if (!existsSync(cfg.outFile)) throw new Error(`open-loop client failed: ${readFileSync(join(runDir, 'openloop.log'), 'utf8').slice(-400)}`)
        const olOut = JSON.parse(readFileSync(cfg.outFile, 'utf8')) as { records: OpenLoopRecord[]; startEpochMs?: number }
        const recs = olOut.records
        // the open-loop client's own clock starts the load: HAProxy's start relative to it
        if (olOut.startEpochMs) loadStartMs = olOut.startEpochMs
        if (hpSpawnMs && olOut.startEpochMs) res.proxyStartS = (hpSpawnMs - olOut.startEpochMs) / 1000
        const answered = recs.filter((r) => r[3] > 0 && r[4] === '')
        const ok = answered.filter((r) => r[3] >= 200 && r[3] < 300).length
        const non2xx = answered.length - ok
        // keep-alive: requests a broken connection never sent count as attempted and failed
        const attempted = times.length * rpc
        Object.assign(res.metrics, {
          requests: attempted,
          ok,
          not_ok: attempted - ok,
          non_2xx: non2xx,
          errors: attempted - answered.length,
          duration_s: recs.length ? Math.max(...recs.map((r) => r[0] + r[2])) / 1000 : 0
        })
        latencyMetrics(res.metrics, answered.map((r) => r[2]), recs.filter((r) => r[1] >= 0).map((r) => r[1]), s)
      }
    } finally {
      for (const t of stopTimers) clearTimeout(t)
      await sleep(300)
      clearInterval(timer)
      sampleOnce()
    }
    if (later.length) {
      const base = loadStartMs ?? t0
      res.serverStopS = Object.fromEntries(Object.entries(stopsAt).map(([k, v]) => [k, (v - base) / 1000]))
    }

    // the front's kernel keeps TCP metrics per peer address of every closed connection: short
    // connections the 100 ms sampler missed show up there
    const tm = await run('ip', ['-n', topo.ns[frontHost]!, 'tcp_metrics', 'show'])
    for (const l of tm.stdout.split('\n')) {
      const ip = l.split(' ')[0] ?? ''
      if (/^10\.200\.[13]\.\d+$/.test(ip)) seenAtFront.add(ip)
    }
    res.metrics['clients.src_ips_at_front'] = seenAtFront.size
    res.srcIpsAtFront = [...seenAtFront].sort()

    // kernel counter deltas per namespace
    for (const h of hosts) {
      const d = counterDelta(before[h]!, readCounters(topo.anchors[h]!.pid))
      for (const k of KERNEL_COUNTERS) res.metrics[`kernel.${h}.${k}`] = d[`TcpExt${k}`] ?? 0
      for (const k of SNMP_COUNTERS) res.metrics[`kernel.${h}.Tcp${k}`] = d[`Tcp${k}`] ?? 0
    }
    // socket maxima
    const maxOf = (f: (x: LabSample) => Record<string, number>): Record<string, number> => {
      const m: Record<string, number> = {}
      for (const x of res.samples) for (const [k, v] of Object.entries(f(x))) m[k] = Math.max(m[k] ?? 0, v)
      return m
    }
    for (const [k, v] of Object.entries(maxOf((x) => x.acceptq))) res.metrics[`sockets.max_acceptq_${k}`] = v
    for (const [k, v] of Object.entries(maxOf((x) => x.synq))) res.metrics[`sockets.max_synq_${k}`] = v
    for (const [k, v] of Object.entries(maxOf((x) => x.synSent))) res.metrics[`sockets.max_syn_sent_${k}`] = v
    for (const [k, v] of Object.entries(maxOf((x) => x.timeWait))) res.metrics[`sockets.max_time_wait_${k}`] = v
    if (lb) res.metrics['sockets.max_time_wait_lb_to_backend'] = Math.max(0, ...res.samples.map((x) => x.timeWaitToBackend))
    if (fpmCpu0) fpmMetrics(res, s, runDir, fpmCpu0, fpmCpuNow(fpmMaster, fpmChildren, res.fpmCpusAllowed!))

    // HAProxy's own view
    if (haproxySock && s.haproxy) {
      const stat = parseHaproxyStat(await haproxyCommand(haproxySock, 'show stat'))
      const info = parseShowInfo(await haproxyCommand(haproxySock, 'show info'))
      for (const row of Object.keys(stat)) {
        const fields = row === 'frontend' || row === 'backend' ? HAPROXY_FIELDS[row]! : HAPROXY_FIELDS['server']!
        for (const f of fields) {
          const v = stat[row]![f]
          if (typeof v === 'number') res.metrics[`haproxy.${row}.${f}`] = v
        }
      }
      // several source addresses: one server line per address (render.ts); sum the counters per scenario server
      for (const sv of s.haproxy.servers) {
        const lines = Object.keys(stat).filter((r) => r.startsWith(`server_${sv.name}.src`))
        if (lines.length === 0) continue
        for (const f of ['econ', 'eresp', 'wretr', 'wredis', 'stot', 'connect', 'reuse']) res.metrics[`haproxy.server_${sv.name}.${f}`] = lines.reduce((a, r) => a + (Number(stat[r]![f]) || 0), 0)
      }
      // health checks: failed checks and UP -> DOWN transitions (only where the scenario checks servers)
      if (s.haproxy.servers.some((sv) => sv.check)) {
        for (const sv of s.haproxy.servers) {
          const lines = Object.keys(stat).filter((r) => r === `server_${sv.name}` || r.startsWith(`server_${sv.name}.src`))
          if (!sv.check || !lines.length) continue
          for (const f of ['chkfail', 'chkdown']) res.metrics[`haproxy.server_${sv.name}.${f}`] = lines.reduce((a, r) => a + (Number(stat[r]![f]) || 0), 0)
        }
        if (typeof stat['backend']?.['chkdown'] === 'number') res.metrics['haproxy.backend.chkdown'] = stat['backend']['chkdown']
      }
      for (const f of ['Maxconn', 'Maxsock', 'Ulimit-n']) {
        const v = info[f]
        if (typeof v === 'number') res.metrics[`haproxy.info.${f}`] = v
      }
    }
    return res
  } finally {
    for (const d of [...topo.daemons].reverse()) await stopDaemon(runDir, d)
    for (const h of hosts) {
      const a = topo.anchors[h]
      if (a) await stopDaemon(runDir, a, 'SIGKILL', 500)
    }
    for (const h of hosts) if (topo.ns[h]) await removeNamespace(topo.ns[h]!)
    for (const ns of topo.extraNs) await removeNamespace(ns)
    ;(res as RunMetrics & { links?: string[] }).links = topo.links
    if (!opts.keepFiles) rmSync(runDir, { recursive: true, force: true })
    else rmSync(join(runDir, 'owner.pid'), { force: true })
    endRun(runId)
  }
}

function latencyMetrics(m: Record<string, number>, totals: number[], connects: number[], s: Scenario): void {
  if (totals.length) {
    m['latency_ms.p50'] = percentile(totals, 0.5)
    m['latency_ms.p90'] = percentile(totals, 0.9)
    m['latency_ms.p99'] = percentile(totals, 0.99)
    m['latency_ms.max'] = Math.max(...totals)
  }
  if (connects.length) {
    m['connect_ms.p50'] = percentile(connects, 0.5)
    m['connect_ms.p99'] = percentile(connects, 0.99)
    // the first SYN retransmission leaves 1 s (initial RTO) after the first SYN
    const thr = 900 + s.network.clientRttMs
    m['syn_retry_share'] = connects.filter((x) => x >= thr).length / connects.length
  }
}

function stat(values: number[]): { mean: number; min: number; max: number; values: number[] } {
  const r = (x: number): number => Math.round(x * 1000) / 1000
  return { mean: r(values.reduce((a, b) => a + b, 0) / values.length), min: r(Math.min(...values)), max: r(Math.max(...values)), values: values.map(r) }
}

/** Scenario section in the fidelity-case format (what shared/fidelity cases and `simulate --case` read). */
function caseScenario(s: Scenario, plan: HaproxyPlan | null, runs: RunMetrics[], sets: Record<string, Record<string, string>>): Record<string, unknown> {
  const r0 = runs[0]!
  const h = s.haproxy
  const loop = loopbackBackend(s)
  const echo = echoSleepFor(s.backend.serviceTime)
  // a loopback backend listens in the lb namespace: split its listeners from HAProxy's by port
  const lbBacklogs = Object.entries(r0.backlogs['lb'] ?? {})
  const atBackendPort = ([port]: [string, number]): boolean => Number(port) === LOOPBACK_BACKEND_PORT
  const pings: Record<string, unknown> = {}
  for (const k of Object.keys(r0.pingRttMs)) {
    const of = (f: 'avg' | 'p50' | 'min' | 'max'): number[] => runs.map((r) => r.pingRttMs[k]?.[f] ?? NaN).filter(Number.isFinite)
    pings[k] = { avg: stat(of('avg')), ...(of('p50').length ? { p50: stat(of('p50')) } : {}), min: stat(of('min')), max: stat(of('max')) }
  }
  return {
    kernel: { set: sets, effective: r0.effective },
    network: {
      rtt_ms_client_lb: s.network.clientRttMs,
      rtt_ms_lb_app: s.network.backendRttMs,
      links: (r0 as RunMetrics & { links?: string[] }).links ?? [],
      measured_ping_rtt_ms: pings,
      rtt_method: 'this kernel has no sch_netem, so a link with RTT > 0 is a pair of TUN devices joined by the lab delay link (python3, main/lab/delaylink.ts), which holds every packet rtt/2 in each direction; RTT measured as the TCP SYN -> RST round trip to a closed port (no ping binary needed)',
      topology: (clientAddressing(s).nat ? 'cli(10.200.3.2, 10.200.3.10.., NAT hosts 10.200.3.100..) -- (10.200.3.1)nat(10.200.1.1) -- ' : `cli(10.200.1.1${clientAddressing(s).direct.length ? ', ' + clientAddressing(s).direct.join(', ') : ''}) -- `) + (h ? (loop ? `(10.200.1.2)lb, the servers on the same host: ${backendIps(s).join(', ')}:${LOOPBACK_BACKEND_PORT} (loopback)` : '(10.200.1.2)lb(10.200.2.1) -- (10.200.2.2..)app') : '(10.200.1.2)app'),
      client_src_ips_at_front: r0.srcIpsAtFront ?? []
    },
    proxy: h && plan
      ? {
          kind: 'haproxy',
          global_maxconn: plan.globalMaxconn,
          frontend_maxconn: h.frontendMaxconn,
          bind_backlog: h.bindBacklog ?? h.frontendBacklog,
          bind_backlog_effective: lbBacklogs.filter((e) => !loop || !atBackendPort(e)).map(([, v]) => v),
          servers: h.servers.length,
          server_maxconn: h.servers[0]?.maxconn || null,
          server_maxqueue: h.servers[0]?.maxqueue || null,
          timeout_connect: `${h.timeoutConnectS}s`,
          timeout_client: `${h.timeoutClientS}s`,
          timeout_server: `${h.timeoutServerS}s`,
          timeout_queue: h.timeoutQueueS == null ? null : `${h.timeoutQueueS}s`,
          ...(h.timeoutCheckS != null ? { timeout_check: `${h.timeoutCheckS}s` } : {}),
          ...(h.httpCheck && h.servers.some((sv) => sv.check) ? { option_httpchk: `GET ${checkUri(s)}` } : {}),
          retries: h.retries,
          nbthread: h.nbthread,
          mode: h.mode,
          prlimit_nofile: `${plan.fdSoft}:${plan.fdHard}`,
          // HAProxy's source addresses towards the servers (one server line with `source` each); empty: 10.200.2.1
          source_ips: haproxySources(s).ips,
          ulimit_n: h.ulimitN,
          balance: h.balance,
          backend_connection_mode: serverConnectionLines(s).map((l) => l.trim()).join(', ')
        }
      : null,
    backend: {
      kind: s.backend.kind === 'nginx-echo' ? 'nginx-echo' : 'nginx+php-fpm',
      nginx_workers: s.backend.kind === 'generic' ? 1 : s.backend.nginx.workers,
      worker_connections: s.backend.nginx.workerConnections,
      listen_backlog: s.backend.kind === 'nginx-echo' ? s.backend.listenBacklog : s.backend.nginx.listenBacklog,
      service_time_ms: Math.round((s.backend.kind === 'nginx-echo' ? echo.s : serviceMean(s)) * 1000),
      children: s.backend.kind === 'generic' ? s.backend.workers : s.backend.kind === 'nginx-php-fpm' ? s.backend.phpFpm.children : null,
      fpm_listen: usesPhpFpm(s) ? s.backend.phpFpm.socket : null,
      fpm_backlog: usesPhpFpm(s) ? (s.backend.kind === 'generic' ? s.backend.listenBacklog : s.backend.phpFpm.listenBacklog) : null,
      ...(r0.fpmCpusAllowed !== undefined && s.backend.cpu ? { cpu: { cores: s.backend.cpu.cores, share: s.backend.cpu.share, php_fpm_cpus_allowed: r0.fpmCpusAllowed, machine_cpus: availableParallelism() } } : {}),
      listen_backlog_effective: loop ? Object.fromEntries(lbBacklogs.filter(atBackendPort)) : (r0.backlogs['app'] ?? {})
    },
    load: {
      tool: r0.loadTool ?? (s.clients.mode === 'closed' ? 'ab' : 'node-open-loop'),
      // both lab load tools time a request from the start of its connect (ab's ttime; the open-loop client)
      latency_includes_connect: true,
      command: r0.loadCommand,
      model: s.clients.mode,
      requests_per_connection: s.clients.mode === 'open' && s.clients.keepAlive ? Math.max(1, s.clients.requestsPerConnection) : 1,
      concurrency: s.clients.mode === 'closed' ? s.clients.concurrency : null,
      requests: runs[0]!.metrics['requests'] ?? null,
      rate_per_s: s.clients.mode === 'open' ? curvePeak(s.clients.loadCurve) : null,
      duration_s: s.durationS,
      target: h ? 'lb' : 'app',
      // ab's own limits and the lab's stop (SIGINT) when ab is still running, as the shared cases give them
      ...(r0.loadTool === 'ab'
        ? { timeouts: { timeout_s: Math.max(1, Math.ceil(s.clients.requestTimeoutS ?? 30)), time_limit_s: Math.ceil(s.durationS), hard_timeout_s: s.durationS + s.drainS } }
        : {})
    }
  }
}

function serviceMean(s: Scenario): number {
  const st = s.backend.serviceTime
  return st.kind === 'constant' ? st.s : st.kind === 'exponential' ? st.meanS : st.p50S
}

/** The scenario as the lab ran it: this kernel and HAProxy, the lab's maxconn/fd limits, one client IP, measured RTTs. */
export function effectiveScenario(
  s: Scenario,
  plan: HaproxyPlan | null,
  kernel: string,
  pings: Record<string, number>,
  backendClose: 'proxy' | 'server' | 'reset' | null = null,
  driver: ClosedLoopDriver = closedLoopDriver(s),
  proxyStartS: number | null = null,
  serverStopS: Record<string, number> = {}
): Scenario {
  const e = cloneScenario(s)
  e.name = `${s.name} (as run in the lab)`
  for (const h of ['client', 'proxy', 'backend'] as const) e.hosts[h].version = kernel
  if (e.haproxy && plan) {
    e.haproxy.version = '2.6.12'
    e.haproxy.globalMaxconn = plan.globalMaxconn
    e.haproxy.fdSoft = plan.fdSoft
    e.haproxy.fdHard = plan.fdHard
    e.haproxy.sourceIps = Math.max(1, haproxySources(s).ips.length)
    if (backendClose) e.haproxy.backendClosesFirst = backendClose
    // loopback servers ran on the proxy host, with its kernel; a mix of loopback and remote ran all remote
    if (loopbackBackend(s)) {
      e.hosts.backend = structuredClone(e.hosts.proxy)
      e.network.backendRttMs = 0 // lo: no delay link
    } else if (e.haproxy.servers.some((sv) => sv.loopback)) e.haproxy.servers = e.haproxy.servers.map((sv) => ({ ...sv, loopback: false }))
  }
  // health checks count from HAProxy's start, a little before the load's
  if (e.haproxy && proxyStartS !== null && e.haproxy.servers.some((sv) => sv.check)) e.haproxy.startedS = Math.min(0, proxyStartS)
  // servers that went down during the run: when nginx dropped them (measured from the load's start)
  for (const sv of e.haproxy?.servers ?? []) if (serverStopS[sv.name] !== undefined && serverDownAtS(sv) !== null) sv.downAtS = Math.max(1e-3, serverStopS[sv.name]!)
  // the open-loop client binds the scenario's source addresses (and goes through the NAT namespace); ab uses one address
  const a = clientAddressing(s)
  if (e.clients.mode === 'closed' && driver === 'ab') e.clients.closesFirst = 'server'
  e.clients.sourceIps = a.nat ? a.direct.length : Math.max(1, a.direct.length)
  e.clients.natHosts = a.nat ? a.natHosts.length : s.clients.natHosts
  if (!a.nat) e.clients.natShare = 0
  if (e.clients.mode === 'closed' && driver === 'ab' && closedLoopDriver(s) === 'node') {
    // ab forced on a scenario that needs the lab's client: what ab really ran
    e.clients.sourceIps = 1
    e.clients.natShare = 0
    e.clients.connectTimeoutS = null
    if (e.clients.loadCurve.length) {
      e.clients.concurrency = Math.max(1, Math.round(curvePeak(e.clients.loadCurve)))
      e.clients.loadCurve = []
    }
  }
  if (e.backend.kind === 'nginx-echo') e.backend.serviceTime = { kind: 'constant', s: echoSleepFor(s.backend.serviceTime).s }
  if (e.backend.kind === 'generic') {
    // the lab runs a generic backend as nginx + php-fpm (labDeviations): one nginx worker in
    // front, the workers as php-fpm children on its listen backlog. Simulate what ran: the
    // requests wait at php-fpm's socket, nginx's own port-80 queue stays empty.
    e.backend.kind = 'nginx-php-fpm'
    e.backend.nginx = { ...e.backend.nginx, workers: 1 }
    e.backend.phpFpm = { ...e.backend.phpFpm, children: s.backend.workers, listenBacklog: s.backend.listenBacklog }
  }
  // backend CPU: php-fpm ran on at most this machine's cores
  const cpu = fpmCpuSet(s, availableParallelism())
  if (cpu && e.backend.cpu) e.backend.cpu = { ...e.backend.cpu, cores: cpu.cores }
  // a probe's round trip carries two jitter draws of 0..jitterMs (mean and median jitterMs): the base RTT is the rest
  const j = s.network.jitterMs > 0 ? s.network.jitterMs : 0
  const base = (x: number): number => (j > 0 ? Math.max(0, x - j) : x)
  if (pings['rtt_ms_client_lb'] !== undefined) e.network.clientRttMs = base(pings['rtt_ms_client_lb'])
  if (pings['rtt_ms_lb_app'] !== undefined) e.network.backendRttMs = base(pings['rtt_ms_lb_app'])
  return e
}

/** Mean start of HAProxy relative to the load over the runs that recorded it (null: none did). */
export function meanProxyStart(runs: readonly RunMetrics[]): number | null {
  return meanOf(runs.map((r) => r.proxyStartS))
}

/** Mean of the values present (null: none). */
function meanOf(values: readonly (number | undefined)[]): number | null {
  const v = values.filter((x): x is number => typeof x === 'number')
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null
}

/** Per server that went down during the runs: the mean time nginx dropped it, from the load's start. */
export function meanServerStops(runs: readonly RunMetrics[]): Record<string, number> {
  const out: Record<string, number> = {}
  const names = new Set(runs.flatMap((r) => Object.keys(r.serverStopS ?? {})))
  for (const n of names) out[n] = meanOf(runs.map((r) => r.serverStopS?.[n]))!
  return out
}

/**
 * Who closed the proxy -> server connections in the real run, seen from where TIME_WAIT landed:
 * on the proxy ('proxy'), on the backend with the proxy as peer ('server'), or nowhere ('reset':
 * HAProxy aborts them with RST). HAProxy decides this itself, the scenario cannot force it.
 * With `option httpchk` nginx closes some check connections first (HTTP/1.0): as many backend
 * TIME_WAITs as checks fit in 60 s say nothing about the requests' connections.
 */
export function observedBackendClose(s: Scenario, runs: readonly RunMetrics[]): 'proxy' | 'server' | 'reset' | null {
  if (!s.haproxy) return null
  const samples = runs.flatMap((r) => r.samples)
  const ok = runs.reduce((a, r) => a + (r.metrics['ok'] ?? 0), 0)
  if (samples.length === 0 || ok === 0) return null
  if (samples.some((x) => x.timeWaitToBackend > 0)) return 'proxy'
  const checks = s.haproxy.httpCheck ? s.haproxy.servers.reduce((a, sv) => a + (sv.check ? Math.ceil(TIME_WAIT_S / (Math.min(sv.check.interMs, sv.check.fastinterMs ?? Infinity, sv.check.downinterMs ?? Infinity) / 1000)) + 1 : 0), 0) : 0
  if (samples.some((x) => x.timeWaitBackendFromProxy > checks)) return 'server'
  return 'reset'
}

/** Deviations of the lab from the scenario that are known before running. */
export function labDeviations(s: Scenario, plan: HaproxyPlan | null, kernel: string, driver: ClosedLoopDriver = closedLoopDriver(s), cpus: number = availableParallelism()): string[] {
  const d: string[] = []
  for (const h of ['client', 'proxy', 'backend'] as const) {
    const k = s.hosts[h]
    d.push(...kernelSysctls(k, sysctlAvailable).deviations.map((x) => `${h}: ${x}`))
    if (k.version !== kernel) d.push(`${h}: scenario kernel ${k.version}, lab kernel ${kernel}`)
    if (k.fileMax !== 2_000_000) d.push(`${h}: fs.file-max is not per namespace (not set)`)
  }
  if (plan) d.push(...plan.deviations)
  if (s.haproxy && s.haproxy.version !== '2.6.12' && s.haproxy.version !== '2.x+') d.push(`HAProxy ${s.haproxy.version} requested, lab runs 2.6.12`)
  if (s.haproxy?.strictLimits === false) d.push('strict-limits off is not rendered (2.6 keeps it on)')
  const a = clientAddressing(s)
  if (s.clients.sourceIps > 90) d.push(`${s.clients.sourceIps} client source IPs requested, the lab binds 90`)
  if (s.haproxy) d.push(...haproxySources(s).deviations)
  if (s.haproxy && !loopbackBackend(s) && s.haproxy.servers.some((sv) => sv.loopback)) d.push('some servers are loopback, some not: the lab runs them all on the app host (remote)')
  if (loopbackBackend(s) && JSON.stringify(kernelSysctls(s.hosts.backend, sysctlAvailable).set) !== JSON.stringify(kernelSysctls(s.hosts.proxy, sysctlAvailable).set))
    d.push("loopback servers run on the proxy host: the backend host's sysctls are the proxy's (simulated so)")
  if (loopbackBackend(s) && s.network.backendRttMs > 0) d.push(`loopback servers: no ${s.network.backendRttMs} ms RTT towards them, they are reached over lo (simulated with RTT 0)`)
  if (loopbackBackend(s) && s.network.jitterMs > 0) d.push('loopback servers: the jitter is on the client link only (the simulator jitters both hops)')
  if (a.nat && s.clients.natHosts > 100) d.push(`${s.clients.natHosts} hosts behind the NAT requested, the lab uses 100`)
  if (a.nat && s.hosts.proxy.twRecycle === 1) d.push('tcp_tw_recycle does not exist on this kernel: NAT changes only the port space and TIME_WAIT tuples at the front, no PAWS drops')
  if (s.network.jitterMs > 0) d.push(`jitter: the delay link adds 0..${s.network.jitterMs} ms per packet and direction but keeps each connection's packet order (the simulator draws every packet's delay independently)`)
  if ((s.clients.requestsPerConnection > 1 || s.clients.keepAlive) && s.clients.mode === 'closed') d.push('closed loop: one request per connection (keep-alive clients are reproduced in open loop)')
  if (s.clients.thinkTimeS > 0) d.push('think time is not reproduced')
  if (s.clients.mode === 'closed' && driver === 'ab' && s.clients.closesFirst === 'client') d.push('ab sends HTTP/1.0: the server closes first (simulated so)')
  if (s.clients.mode === 'closed' && driver === 'ab' && closedLoopDriver(s) === 'node')
    d.push('ab was forced: client source addresses, NAT, the connect timeout and the user curve are not reproduced (ab runs the peak user count from one address)')
  const e = s.backend.kind === 'nginx-echo' ? echoSleepFor(s.backend.serviceTime).deviation : null
  if (e) d.push(e)
  if (s.backend.kind === 'generic') d.push('generic backend = nginx + php-fpm (children = workers, listen.backlog = listenBacklog)')
  const cpu = fpmCpuSet(s, cpus)
  if (cpu?.deviation) d.push(cpu.deviation)
  if (cpu) d.push(`backend CPU: php-fpm pinned to CPU ${cpu.list} (taskset); nginx, HAProxy and the clients are not pinned and may run there too`)
  return d
}

/** Run the scenario `opts.runs` times on the real kernel and daemons and return the measured case. */
export async function runLab(s: Scenario, opts: LabOptions): Promise<LabCase> {
  const why = await labPreflight(s)
  if (why) throw new Error(why)
  await cleanupStale()
  const kernel = release()
  const plan = s.haproxy ? planHaproxy(s.haproxy, s.hosts.proxy.somaxconn, hardFdCap()) : null
  const driver = opts.closedLoopDriver ?? closedLoopDriver(s)
  const runs: RunMetrics[] = []
  for (let i = 0; i < Math.max(1, opts.runs); i++) {
    opts.log?.(`run ${i + 1}/${opts.runs}: ${s.name}`)
    runs.push(await oneRun(s, plan, opts, i))
  }
  const measured: Record<string, MeasuredValue> = {}
  if (s.haproxy) measured['proxy_started'] = { value: runs.every((r) => r.proxyStarted === true) }
  if (s.haproxy && runs.some((r) => r.proxyStarted === false)) {
    measured['proxy_start_message'] = { value: runs.find((r) => r.proxyStarted === false)!.proxyMessage }
  }
  const keys = new Set<string>()
  for (const r of runs) for (const k of Object.keys(r.metrics)) keys.add(k)
  for (const k of [...keys].sort()) {
    const vals = runs.map((r) => r.metrics[k]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
    if (vals.length) measured[k] = stat(vals)
  }
  const loop = loopbackBackend(s)
  const sets: Record<string, Record<string, string>> = { cli: kernelSysctls(s.hosts.client, sysctlAvailable).set }
  if (!loop) sets['app'] = kernelSysctls(s.hosts.backend, sysctlAvailable).set
  if (s.haproxy) sets['lb'] = kernelSysctls(s.hosts.proxy, sysctlAvailable).set
  // loopback servers: the backend's counters are the lb namespace's, so there is no kernel.app
  const base = ['proxy_started', 'ok', 'not_ok', 'latency_ms.p50', 'latency_ms.p99', 'kernel.lb.ListenOverflows', ...(loop ? [] : ['kernel.app.ListenOverflows']), 'duration_s', 'haproxy.frontend.smax', 'haproxy.info.Maxconn']
  const pings: Record<string, number> = {}
  // with jitter the median probe (robust to a late wake-up of the delay link on a busy machine), else the mean
  const pick = (p: { avg: number; p50?: number }): number => (s.network.jitterMs > 0 && p.p50 !== undefined ? p.p50 : p.avg)
  for (const k of Object.keys(runs[0]!.pingRttMs)) pings[k] = runs.reduce((a, r) => a + (r.pingRttMs[k] ? pick(r.pingRttMs[k]!) : 0), 0) / runs.length
  const versions = await toolVersions()
  return {
    format: 'headroom-fidelity-case/1',
    id: s.name.replace(/[^A-Za-z0-9._-]+/g, '-').toLowerCase(),
    family: 'lab',
    description: `headroom lab run of scenario "${s.name}"`,
    measured_on: { kernel, nproc: String((await run('nproc', [])).stdout.trim()), ...versions },
    runs: runs.length,
    scenario: caseScenario(s, plan, runs, sets),
    measured,
    scored: base.filter((k) => k in measured),
    headroom: {
      format: 'headroom-lab/1',
      scenario: s,
      effectiveScenario: effectiveScenario(s, plan, kernel, pings, observedBackendClose(s, runs), driver, meanProxyStart(runs), meanServerStops(runs)),
      deviations: [
        ...labDeviations(s, plan, kernel, driver),
        ...(() => {
          const o = observedBackendClose(s, runs)
          return o && s.haproxy && o !== s.haproxy.backendClosesFirst ? [`server connections were closed by: ${o} (observed; scenario said ${s.haproxy.backendClosesFirst})`] : []
        })()
      ],
      series: runs.map((r) => r.samples),
      startedAt: new Date().toISOString()
    }
  }
}

async function toolVersions(): Promise<Record<string, string>> {
  const first = async (cmd: string, args: string[]): Promise<string> => {
    const r = await run(cmd, args, { timeoutMs: 5000 })
    return (r.stdout + r.stderr).split('\n').find((l) => l.trim() !== '')?.trim() ?? ''
  }
  return {
    haproxy: await first('haproxy', ['-v']),
    nginx: await first('nginx', ['-v']),
    ab: await first('ab', ['-V'])
  }
}

/** A lab case as JSON text: indented, except the time series (one line, they are long). */
export function labCaseJson(c: LabCase): string {
  const mark = '"__HEADROOM_SERIES__"'
  return JSON.stringify({ ...c, headroom: { ...c.headroom, series: '__HEADROOM_SERIES__' } }, null, 1).replace(mark, JSON.stringify(c.headroom.series)) + '\n'
}
