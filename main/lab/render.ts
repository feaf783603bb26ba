/**
 * Pure renderers: a Scenario -> the sysctls of each lab namespace and the configs of the real
 * daemons (haproxy.cfg, nginx.conf, php-fpm.conf and its PHP page). Whatever the lab cannot
 * reproduce on this machine (a kernel version, an fd hard limit above ours, a service-time
 * distribution nginx cannot draw) is recorded as a deviation, never silently changed.
 *
 * Addresses (inside private namespaces only): cli 10.200.1.1 -- 10.200.1.2 front (lb, or app
 * without a proxy); lb 10.200.2.1 -- app 10.200.2.(2+i) for backend server i; `loopback`
 * servers on the proxy host itself, 127.0.0.(1+i):8080 in the lb namespace.
 */
import type { BackendCpu, HaproxyConfig, KernelConfig, Scenario, ServiceTime } from '../../simulator/scenario'
import { allServersLoopback, haproxyEffectiveLimits, serverRefusesFromStart } from '../../simulator/scenario'

export const CLIENT_IP = '10.200.1.1'
export const FRONT_IP = '10.200.1.2'
export const LB_BACK_IP = '10.200.2.1'
export const FRONT_PORT = 80

/** Port of loopback backends (HAProxy's own frontend holds port 80 in the same namespace). */
export const LOOPBACK_BACKEND_PORT = 8080

/**
 * Every HAProxy server is `loopback`: the lab runs the backend on the proxy host itself, in the
 * lb namespace on 127.0.0.(1+i):8080, with no app namespace (the scenario's backend host is the
 * proxy host). A mix of loopback and remote servers is run all remote (labDeviations).
 */
export function loopbackBackend(s: Scenario): boolean {
  return allServersLoopback(s.haproxy)
}

/** Backend server addresses (one per HAProxy server, or one without a proxy). */
export function backendIps(s: Scenario): string[] {
  if (!s.haproxy) return [FRONT_IP]
  if (loopbackBackend(s)) return s.haproxy.servers.map((_, i) => `127.0.0.${1 + i}`)
  return s.haproxy.servers.map((_, i) => `10.200.2.${2 + i}`)
}

/**
 * Server i is down from the start (its `refuses`, no later `downAtS`): nginx does not listen on
 * its address, so its host resets every connect. One that goes down later loses its server block
 * at that time (run.ts reloads nginx).
 */
export function serverRefuses(s: Scenario, i: number): boolean {
  const sv = s.haproxy?.servers[i]
  return sv !== undefined && serverRefusesFromStart(sv)
}

/** The port the backend servers listen on. */
export function backendPort(s: Scenario): number {
  return loopbackBackend(s) ? LOOPBACK_BACKEND_PORT : FRONT_PORT
}

/** At most this many HAProxy source addresses (10.200.2.200..249). */
export const MAX_HAPROXY_SOURCES = 50

/**
 * HAProxy's source addresses towards the servers (`haproxy.sourceIps` > 1): extra addresses on
 * the proxy's backend-side interface, 10.200.2.200... HAProxy 2.6 takes one `source` per server
 * line, so each scenario server becomes one server line per source address (same address and
 * port, `source <ip>`; HAProxy sets IP_BIND_ADDRESS_NO_PORT, so the kernel still picks the port
 * per (src, dst, dport) tuple from ip_local_port_range). roundrobin over these lines spreads a
 * server's connections over the addresses in turn, as the simulator's per-server pools do. Empty
 * for one address (HAProxy connects from 10.200.2.1 without a `source`).
 */
export function haproxySources(s: Scenario): { ips: string[]; deviations: string[] } {
  const h = s.haproxy
  const n = h ? Math.round(h.sourceIps) : 1
  if (!h || n <= 1) return { ips: [], deviations: [] }
  const k = Math.min(n, MAX_HAPROXY_SOURCES)
  const d: string[] = []
  if (n > k) d.push(`${n} HAProxy source IPs requested, the lab uses ${k}`)
  d.push(`${k} HAProxy source addresses = ${k} server lines per server (one \`source\` each); a retry stays on its line (same address), the simulator's next attempt takes the next address`)
  if (h.servers.some((sv) => sv.maxconn > 0 || sv.maxqueue > 0)) d.push(`server maxconn / maxqueue apply per server line: each of the ${k} lines gets ceil(value / ${k})`)
  // loopback servers: more loopback addresses (all of 127/8 is local on lo)
  return { ips: Array.from({ length: k }, (_, j) => (loopbackBackend(s) ? `127.0.1.${1 + j}` : `10.200.2.${200 + j}`)), deviations: d }
}

/** sysctls of one host (names as `sysctl -w` takes them). `available` filters names this kernel lacks. */
export function kernelSysctls(k: KernelConfig, available: (name: string) => boolean): { set: Record<string, string>; deviations: string[] } {
  const want: Record<string, string> = {
    'net.core.somaxconn': String(k.somaxconn),
    'net.ipv4.tcp_max_syn_backlog': String(k.tcpMaxSynBacklog),
    'net.ipv4.tcp_syncookies': String(k.syncookies),
    'net.ipv4.tcp_abort_on_overflow': String(k.abortOnOverflow),
    'net.ipv4.tcp_syn_retries': String(k.synRetries),
    'net.ipv4.tcp_synack_retries': String(k.synackRetries),
    'net.ipv4.tcp_syn_linear_timeouts': String(k.synLinearTimeouts),
    'net.ipv4.tcp_tw_reuse': String(k.twReuse),
    'net.ipv4.tcp_tw_reuse_delay': String(k.twReuseDelayMs),
    'net.ipv4.tcp_timestamps': String(k.timestamps),
    'net.ipv4.ip_local_port_range': `${k.ipLocalPortRange[0]} ${k.ipLocalPortRange[1]}`,
    'net.ipv4.tcp_max_tw_buckets': String(k.maxTwBuckets)
  }
  if (k.reservedPorts > 0) {
    const lo = k.ipLocalPortRange[0]
    want['net.ipv4.ip_local_reserved_ports'] = `${lo}-${lo + k.reservedPorts - 1}`
  }
  const set: Record<string, string> = {}
  const deviations: string[] = []
  for (const [n, v] of Object.entries(want)) {
    if (available(n)) set[n] = v
    else deviations.push(`${n}=${v} does not exist on this kernel (not set)`)
  }
  if (k.twRecycle === 1) deviations.push('tcp_tw_recycle=1 does not exist on this kernel (removed in 4.12)')
  return { set, deviations }
}

/** The fixed fds HAProxy 2.x reserves besides 2 per connection (same estimate as the simulator). */
function haproxyFixedFds(h: HaproxyConfig): number {
  return 10 + 1 + 2 + 3 * h.nbthread + 12
}

/** How HAProxy is started in the lab: explicit global maxconn and the fd limit it gets. */
export interface HaproxyPlan {
  globalMaxconn: number
  fdSoft: number
  fdHard: number
  deviations: string[]
}

/**
 * Global maxconn and prlimit for HAProxy. The lab's root cannot raise its hard fd limit
 * (`hardCap`), so when the scenario's HAProxy would size itself beyond it (root start with a
 * large hard limit, or an explicit maxconn too big), maxconn is lowered explicitly so that
 * maxsock fits: HAProxy 2.6 would otherwise refuse to start (strict-limits), which is not what
 * the scenario describes. A non-root start whose limits fit is rendered as is, refusals included.
 */
export function planHaproxy(h: HaproxyConfig, proxySomaxconn: number, hardCap: number): HaproxyPlan {
  const lim = haproxyEffectiveLimits(h, proxySomaxconn)
  const deviations: string[] = []
  const fdHard = Math.min(h.fdHard, hardCap)
  const fdSoft = Math.min(h.fdSoft, fdHard)
  if (h.fdHard > hardCap) deviations.push(`fd hard limit ${h.fdHard} > this machine's ${hardCap}: HAProxy started with ${fdSoft}:${fdHard}`)
  let maxconn = lim.maxconn
  const fixed = haproxyFixedFds(h)
  const fits = Math.floor((fdHard - fixed) / 2)
  const rootLike = h.startedAsRoot || h.fdHard > hardCap
  if (rootLike && 2 * maxconn + fixed > fdHard) {
    deviations.push(`global maxconn ${maxconn} needs ${2 * maxconn + fixed} fds > ${fdHard}: lab uses maxconn ${fits}`)
    maxconn = fits
  }
  return { globalMaxconn: maxconn, fdSoft, fdHard, deviations }
}

function ms(s: number): string {
  return `${Math.max(0, Math.round(s * 1000))}ms`
}

/** haproxy.cfg for the lb namespace. */
export function renderHaproxyCfg(s: Scenario, plan: HaproxyPlan, statsSocket: string): string {
  const h = s.haproxy
  if (!h) throw new Error('scenario has no haproxy')
  const ips = backendIps(s)
  const g = [
    'global',
    `    maxconn ${plan.globalMaxconn}`,
    `    nbthread ${h.nbthread}`,
    `    stats socket ${statsSocket} mode 600 level admin`,
    '    stats timeout 30s'
  ]
  if (h.ulimitN != null) g.push(`    ulimit-n ${h.ulimitN}`)
  if (h.maxaccept != null) g.push(`    tune.maxaccept ${h.maxaccept}`)
  if (h.strictLimits === true) g.push('    strict-limits')
  const d = [
    'defaults',
    `    mode ${h.mode}`,
    `    timeout connect ${ms(h.timeoutConnectS)}`,
    `    timeout client ${ms(h.timeoutClientS)}`,
    `    timeout server ${ms(h.timeoutServerS)}`,
    `    retries ${h.retries}`
  ]
  if (h.timeoutQueueS != null) d.push(`    timeout queue ${ms(h.timeoutQueueS)}`)
  if (h.timeoutCheckS != null) d.push(`    timeout check ${ms(h.timeoutCheckS)}`)
  if (h.redispatch) d.push('    option redispatch')
  const bindOpts: string[] = []
  if (h.bindBacklog != null) bindOpts.push(`backlog ${h.bindBacklog}`)
  if (h.bindMaxconn != null) bindOpts.push(`maxconn ${h.bindMaxconn}`)
  const f = ['frontend fe', `    bind ${FRONT_IP}:${FRONT_PORT}${bindOpts.length ? ' ' + bindOpts.join(' ') : ''}`]
  if (h.frontendMaxconn != null) f.push(`    maxconn ${h.frontendMaxconn}`)
  if (h.frontendBacklog != null) f.push(`    backlog ${h.frontendBacklog}`)
  f.push('    default_backend be')
  const b = ['backend be', `    balance ${h.balance}`]
  if (h.mode === 'http') b.push(...serverConnectionLines(s))
  // option httpchk: `GET /`, which the app's location serves like any request, or `GET /health`,
  // which nginx answers itself (a static check endpoint)
  if (h.httpCheck && h.servers.some((sv) => sv.check)) b.push(`    option httpchk GET ${checkUri(s)}`)
  const src = haproxySources(s).ips
  const per = (v: number): number => (src.length > 1 ? Math.ceil(v / src.length) : v)
  h.servers.forEach((sv, i) => {
    const o: string[] = [`weight ${sv.weight}`]
    if (sv.maxconn > 0) o.push(`maxconn ${per(sv.maxconn)}`)
    if (sv.maxqueue > 0) o.push(`maxqueue ${per(sv.maxqueue)}`)
    if (sv.check) {
      const ck = sv.check
      o.push(`check inter ${ck.interMs}ms rise ${ck.rise} fall ${ck.fall}`)
      if (ck.fastinterMs != null) o.push(`fastinter ${ck.fastinterMs}ms`)
      if (ck.downinterMs != null) o.push(`downinter ${ck.downinterMs}ms`)
    }
    if (src.length === 0) b.push(`    server ${sv.name} ${ips[i]}:${backendPort(s)} ${o.join(' ')}`)
    // one line per source address; names <server>.src<j> (run.ts sums them back per server)
    else src.forEach((ip, j) => b.push(`    server ${sv.name}.src${j + 1} ${ips[i]}:${backendPort(s)} ${o.join(' ')} source ${ip}`))
  })
  return [g, d, f, b].map((x) => x.join('\n')).join('\n\n') + '\n'
}

/**
 * How the backend treats server connections. 'keep-alive' renders the scenario's `http-reuse`
 * mode (HAProxy 2.x keeps server connections alive by default). 'per-request' renders
 * `http-reuse never`; with keep-alive clients (several requests per client connection) that
 * would still keep one private server connection per session, so `option http-server-close`
 * is added to close it after every response.
 */
export function serverConnectionLines(s: Scenario): string[] {
  const h = s.haproxy!
  if (h.serverConnections === 'keep-alive') return [`    http-reuse ${h.httpReuse ?? 'safe'}`]
  const ka = s.clients.keepAlive && s.clients.requestsPerConnection > 1
  return ka ? ['    http-reuse never', '    option http-server-close'] : ['    http-reuse never']
}

/** Bytes of every answer's body: nginx's `echo ok` and the PHP app's `echo "ok\n"` ("ok" and a newline). */
export const APP_BODY_BYTES = 3

/** Constant delay nginx's echo_sleep can give for a service-time distribution (s), and a deviation when it is not constant. */
export function echoSleepFor(st: ServiceTime): { s: number; deviation: string | null } {
  if (st.kind === 'constant') return { s: st.s, deviation: null }
  if (st.kind === 'exponential') return { s: st.meanS, deviation: `nginx-echo serves a constant ${st.meanS}s (the exponential mean)` }
  return { s: st.p50S, deviation: `nginx-echo serves a constant ${st.p50S}s (the lognormal p50)` }
}

/** Whether the backend is nginx + php-fpm in the lab ('generic' workers are php-fpm children too). */
export function usesPhpFpm(s: Scenario): boolean {
  return s.backend.kind !== 'nginx-echo'
}

/** nginx.conf for the app namespace (the lb namespace for loopback servers): one server block per backend address, echo_sleep or fastcgi to php-fpm. */
export function renderNginxConf(s: Scenario, runDir: string, echoModule: string): string {
  const be = s.backend
  const ips = backendIps(s)
  const php = usesPhpFpm(s)
  const backlog = be.kind === 'nginx-echo' ? be.listenBacklog : be.nginx.listenBacklog
  const workers = be.kind === 'generic' ? 1 : be.nginx.workers
  const lines = [
    php ? '' : `load_module ${echoModule};`,
    `worker_processes ${workers};`,
    `pid ${runDir}/nginx.pid;`,
    `error_log ${runDir}/nginx-error.log warn;`,
    `worker_rlimit_nofile ${Math.max(1024, Math.min(be.fdLimit, 16384))};`,
    `events { worker_connections ${Math.max(64, be.nginx.workerConnections)}; }`,
    'http {',
    '    access_log off;',
    `    client_body_temp_path ${runDir}/nginx-tmp/body;`,
    `    proxy_temp_path ${runDir}/nginx-tmp/proxy;`,
    `    fastcgi_temp_path ${runDir}/nginx-tmp/fastcgi;`,
    `    uwsgi_temp_path ${runDir}/nginx-tmp/uwsgi;`,
    `    scgi_temp_path ${runDir}/nginx-tmp/scgi;`,
    '    keepalive_timeout 75s;'
  ]
  ips.forEach((ip, i) => {
    if (serverRefuses(s, i)) return // down: nothing listens on its address and port
    lines.push('    server {', `        listen ${ip}:${backendPort(s)} backlog=${backlog};`)
    if (checkUri(s) === STATIC_CHECK_URI) lines.push(`        location = ${STATIC_CHECK_URI} { access_log off; return 200; }`)
    lines.push('        location / {')
    if (php) {
      lines.push(
        `            fastcgi_pass ${fpmAddress(s, i, runDir)};`,
        `            fastcgi_connect_timeout ${ms(be.nginx.fastcgiConnectTimeoutS)};`,
        '            fastcgi_read_timeout 300s;',
        `            fastcgi_param SCRIPT_FILENAME ${runDir}/app.php;`,
        '            fastcgi_param REQUEST_METHOD $request_method;',
        '            fastcgi_param QUERY_STRING $query_string;'
      )
    } else {
      const sleep = echoSleepFor(be.serviceTime).s
      lines.push('            default_type text/plain;')
      if (sleep > 0) lines.push(`            echo_sleep ${sleep};`)
      lines.push('            echo ok;')
    }
    lines.push('        }', '    }')
  })
  lines.push('}')
  return lines.filter((l) => l !== '').join('\n') + '\n'
}

const STATIC_CHECK_URI = '/health'

/** The URL of the lab's HTTP checks: `/` (the app) or, for a static check endpoint, `/health` (nginx's `return 200`). */
export function checkUri(s: Scenario): string {
  return s.haproxy?.httpCheckEndpoint === 'static' ? STATIC_CHECK_URI : '/'
}

/** php-fpm address of backend server i: a unix socket in the run folder or 127.0.0.1:9000+i. */
export function fpmAddress(s: Scenario, i: number, runDir: string): string {
  return s.backend.phpFpm.socket === 'unix' ? `unix:${runDir}/fpm-${i}.sock` : `127.0.0.1:${9000 + i}`
}

/** php-fpm's access log of backend server i (one line per request: its duration in ms), written only with `backend.cpu`. */
export function fpmAccessLog(runDir: string, i: number): string {
  return `${runDir}/fpm-access-${i}.log`
}

/** php-fpm.conf: one static pool per backend server (children = phpFpm.children, or workers for 'generic'). */
export function renderPhpFpmConf(s: Scenario, runDir: string): string {
  const be = s.backend
  const children = be.kind === 'generic' ? be.workers : be.phpFpm.children
  const backlog = be.kind === 'generic' ? be.listenBacklog : be.phpFpm.listenBacklog
  const lines = ['[global]', `pid = ${runDir}/php-fpm.pid`, `error_log = ${runDir}/php-fpm.log`, 'daemonize = no', '']
  backendIps(s).forEach((_, i) => {
    const addr = fpmAddress(s, i, runDir).replace(/^unix:/, '')
    lines.push(
      `[pool${i}]`,
      'user = nobody',
      'group = nogroup',
      `listen = ${addr}`,
      `listen.backlog = ${backlog}`,
      'listen.mode = 0666',
      'pm = static',
      `pm.max_children = ${Math.max(1, children)}`,
      'catch_workers_output = yes'
    )
    // with the backend's CPU modeled, each child logs how long it held each request (ms), to
    // show the cores being shared (run.ts reads it); the other rows' pools stay as they were
    if (fpmCpuSet(s, 1)) lines.push(`access.log = ${fpmAccessLog(runDir, i)}`, 'access.format = "%{mili}d"')
    lines.push('')
  })
  return lines.join('\n')
}

/**
 * The PHP page: one draw of the service-time distribution, then "ok". Without `cpu` (or with
 * share 0) the child sleeps the whole draw. With `cpu` the share of it that is CPU work is burned
 * on the child's own CPU time (getrusage: user + system since the script started, checked every
 * ~10 us of work), so while more children are runnable than php-fpm has cores the burn takes
 * longer in wall time (CFS shares the cores); the rest, off the CPU, is slept.
 */
export function renderPhpPage(st: ServiceTime, cpu: BackendCpu | null = null): string {
  let draw: string
  if (st.kind === 'constant') draw = `$s = ${st.s};`
  else if (st.kind === 'exponential') draw = `$u = mt_rand(1, 1000000) / 1000001; $s = -${st.meanS} * log(1 - $u);`
  else {
    const sigma = st.p99S > st.p50S ? Math.log(st.p99S / st.p50S) / 2.3263 : 0
    draw =
      `$u1 = mt_rand(1, 1000000) / 1000001; $u2 = mt_rand(1, 1000000) / 1000001;` +
      ` $z = sqrt(-2 * log($u1)) * cos(2 * M_PI * $u2); $s = ${st.p50S} * exp(${sigma} * $z);`
  }
  if (!cpu || cpu.share <= 0) return `<?php\n${draw}\nif ($s > 0) usleep((int) round($s * 1000000));\necho "ok\\n";\n`
  return [
    '<?php',
    "$cpu = static function (): float { $r = getrusage(); return $r['ru_utime.tv_sec'] + $r['ru_stime.tv_sec'] + ($r['ru_utime.tv_usec'] + $r['ru_stime.tv_usec']) / 1e6; };",
    '$c0 = $cpu();',
    draw,
    `$burn = ${cpu.share} * $s;`,
    '$x = 0;',
    'while ($cpu() - $c0 < $burn) for ($i = 0; $i < 1000; $i++) $x += $i;',
    '$rest = $s - $burn;',
    'if ($rest > 0) usleep((int) round($rest * 1000000));',
    'echo "ok\\n";',
    ''
  ].join('\n')
}

/**
 * The CPUs php-fpm is pinned to for a scenario's `backend.cpu` (null: not set, or an echo backend,
 * which does not compute): the first `cores` of this machine's `cpus`, as taskset's list ('0',
 * '0-1'). More cores than the machine has cannot be reproduced: php-fpm gets all of them and the
 * deviation says so.
 */
export function fpmCpuSet(s: Scenario, cpus: number): { list: string; cores: number; deviation: string | null } | null {
  const c = s.backend.cpu
  if (!c || !usesPhpFpm(s)) return null
  const cores = Math.max(1, Math.min(Math.round(c.cores), cpus))
  const deviation = c.cores > cpus ? `backend CPU cores ${c.cores} > this machine's ${cpus}: php-fpm ran on all ${cpus}` : null
  return { list: cores === 1 ? '0' : `0-${cores - 1}`, cores, deviation }
}

/** How php-fpm is started: under `taskset -c <cpus>` when the scenario gives the backend's cores (its children inherit the affinity); nginx, HAProxy and the clients stay unpinned. */
export function phpFpmCommand(s: Scenario, confPath: string, cpus: number): { cmd: string; args: string[] } {
  const fpm = ['php-fpm8.2', '-F', '-y', confPath]
  const set = fpmCpuSet(s, cpus)
  return set ? { cmd: 'taskset', args: ['-c', set.list, ...fpm] } : { cmd: fpm[0]!, args: fpm.slice(1) }
}
