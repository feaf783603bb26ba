/**
 * Scenario: everything the simulator needs to know about one what-if run.
 *
 * The modelled path is  clients -> [client host kernel] -> network -> proxy host kernel
 * (SYN queue, accept queue) -> HAProxy (maxconn, queues, fds, source ports) -> network ->
 * backend host kernel -> backend (generic workers, nginx echo, or nginx + php-fpm).
 * `haproxy: null` means clients talk to the backend directly (field report 2).
 *
 * Units (unless a field name says otherwise):
 *   - times in **seconds** (`...S`), except fields ending in `Ms` (milliseconds, as the
 *     kernel and HAProxy configs spell them: RTTs, tw_reuse_delay);
 *   - rates in **new connections per second** (open loop) or **concurrent users** (closed);
 *   - queue sizes and limits in **connections**; port ranges in **ports**; fds in **fds**.
 *
 * Kernel behaviour follows shared/semantics.md: kernel versions map to a profile
 * ('3.10', '4.9-6.4', '6.5+') via `kernelTraits()`, which also knows the finer eras
 * (<=4.3 power-of-two SYN table, <=4.8 "young" accept-overflow rule, 6.13+ B+1 SYN queue,
 * tw_recycle on <=4.11). HAProxy versions map to '1.x' (maxconn default 2000) or '2.x+'
 * (maxconn computed from the fd limit) via `haproxyEffectiveLimits()`.
 */

export const SCENARIO_FORMAT = 'headroom-scenario/1' as const

/** Kernel profiles the UI offers; a full version string maps onto one (and onto finer traits). */
export type KernelProfile = '3.10' | '4.9-6.4' | '6.5+'
export const KERNEL_PROFILES: readonly KernelProfile[] = ['3.10', '4.9-6.4', '6.5+']

/** HAProxy version profiles: '1.x' (<= 1.9) and '2.x+' (>= 2.0). */
export type HaproxyProfile = '1.x' | '2.x+'
export const HAPROXY_PROFILES: readonly HaproxyProfile[] = ['1.x', '2.x+']

/** One point of the piecewise-linear load curve: at `tS` seconds the rate is `rate`. */
export interface LoadPoint {
  tS: number
  /** New connections per second (open loop) or concurrent users (closed loop). */
  rate: number
}

export interface ClientConfig {
  /** 'open': new connections arrive per the load curve; 'closed': `concurrency` users loop (ab -c C -n R). */
  mode: 'open' | 'closed'
  /** Piecewise-linear curve; constant after the last point, linear between points. Open loop: conn/s. Closed loop: users (overrides `concurrency` when non-empty). */
  loadCurve: LoadPoint[]
  /** Arrival process inside the curve (open loop). */
  arrivals: 'poisson' | 'even'
  /** Connections started together per arrival (h2load -r N per rate period); 1 = single arrivals. */
  arrivalBatch: number
  /** Closed loop: concurrent users (ab -c) used when `loadCurve` is empty. */
  concurrency: number
  /** Closed loop: total requests (ab -n); 0 = unlimited until `durationS`. */
  totalRequests: number
  /** Requests sent on each connection (>= 1). */
  requestsPerConnection: number
  /** true: the requests of a connection reuse it (HTTP keep-alive); false: requestsPerConnection is forced to 1 semantics per request. */
  keepAlive: boolean
  /** Pause between requests on one connection / between a closed-loop user's requests. */
  thinkTimeS: number
  /** Application connect timeout: give up connecting after this many seconds (null = only the kernel's SYN retries). */
  connectTimeoutS: number | null
  /** Per-request timeout (ab -s, callback sender timeout): counted as 'timeout'. null = none. */
  requestTimeoutS: number | null
  /** Share (0..1) of clients behind NAT (matters with tcp_tw_recycle on <= 4.11 servers). */
  natShare: number
  /** Hosts behind the NAT address (each with its own TCP timestamp clock). */
  natHosts: number
  /** Distinct client source IPs (ports are limited per (src, dst, dport)). */
  sourceIps: number
  /** Who closes the client<->front connection first (holds TIME_WAIT): 'client' or 'server' (proxy / backend). */
  closesFirst: 'client' | 'server'
  /**
   * The clients reach the front over loopback (a load generator on the front's own host, e.g.
   * `ab http://127.0.0.1/`). Only `tcp_tw_reuse=2` on the client host reads it: it reuses
   * TIME_WAIT ports towards loopback addresses only (twReuseApplies). Absent: false.
   */
  loopback?: boolean
  /**
   * Closed loop with a total, one request per connection: count as ApacheBench does ('ab').
   * ab sends its first request alone and starts the other users when its response header
   * arrives; it opens a connection while fewer than totalRequests requests were written, so
   * connects still in progress are not counted and near the end it opens more than it needs;
   * one that connects when all are written stays open without a request; a connect that fails
   * is retried, not counted; ab stops once totalRequests requests are done (a response or a
   * closed connection, an HTTP 408 on an idle connection too) and closes what is still open.
   * Absent: the generic loop (a request per connection started, all users at once).
   */
  tool?: 'ab'
}

export interface NetworkConfig {
  /** RTT between clients and the front host (the proxy, or the backend when haproxy is null), ms. */
  clientRttMs: number
  /** RTT between the proxy host and the backend hosts, ms. */
  backendRttMs: number
  /** Uniform jitter added to each one-way delay, 0..jitterMs ms. */
  jitterMs: number
}

/** Sysctls and limits of one host, with Linux defaults from semantics.md section 0. */
export interface KernelConfig {
  /** Kernel version string ('3.10.0-1160.el7', '6.1.0', ...) or a profile name. */
  version: string
  somaxconn: number
  tcpMaxSynBacklog: number
  syncookies: 0 | 1 | 2
  abortOnOverflow: 0 | 1
  synRetries: number
  synackRetries: number
  /** tcp_syn_linear_timeouts (6.5+ only; ignored before). */
  synLinearTimeouts: number
  twReuse: 0 | 1 | 2
  twReuseDelayMs: number
  timestamps: 0 | 1
  /** tcp_tw_recycle (exists on <= 4.11 only; refused by the schema on newer kernels). */
  twRecycle: 0 | 1
  /** [low, high] inclusive. */
  ipLocalPortRange: [number, number]
  /** Count of ports in ip_local_reserved_ports inside the range. */
  reservedPorts: number
  maxTwBuckets: number
  /** fs.file-max (system-wide open files; ENFILE beyond). */
  fileMax: number
  /**
   * CONFIG_HZ of the kernel build (jiffies per second): the timer wheel rounds retransmit timers
   * to its granularity. Unset: the profile's usual build, 1000 for 3.10 (RHEL/CentOS), 250 otherwise
   * (Debian, Ubuntu).
   */
  hz?: number
}

export interface HaproxyServer {
  name: string
  /** Server maxconn; 0 = unlimited. */
  maxconn: number
  /** Server maxqueue; 0 = unlimited. */
  maxqueue: number
  weight: number
  /**
   * The server's address is loopback (127.0.0.0/8, ::1): HAProxy reaches it on its own host.
   * Only `tcp_tw_reuse=2` on the proxy host reads it: it reuses TIME_WAIT ports towards loopback
   * addresses only (twReuseApplies). Absent: false.
   */
  loopback?: boolean
  /**
   * Nothing listens on the server's port (the service is down, its host is up): every connect
   * is answered with a reset, ECONNREFUSED one round trip after it began, and HAProxy retries
   * after its turn-around (min(timeout connect, 1 s)). Without `check` HAProxy keeps choosing it;
   * with `check` it is marked DOWN once its checks fail (see ServerCheck). Absent: false.
   */
  refuses?: boolean
  /**
   * With `refuses`: when the service stops listening, in seconds from the run's start (before
   * that it serves). Requests it has accepted finish, as after nginx's graceful stop. Not
   * modelled: the reset a closing listener sends the connections still in its accept queue
   * (they are served), and the close of HAProxy's idle kept-alive connections to it (they stay
   * usable). Absent / null / 0: down from the start.
   */
  downAtS?: number | null
  /** `check` on the server line: HAProxy's layer-4 health check (connect only). Absent / null: no checks. */
  check?: ServerCheck | null
}

/**
 * HAProxy's health check of one server (`check inter fastinter downinter rise fall`), a layer-4
 * connect unless the backend has `option httpchk`: it passes when the server's host completes the
 * handshake and fails when it resets (a server that `refuses`). Its counter `health` runs 0..rise+fall-1 and the server is UP while
 * it is >= rise: a failed check takes one off (and drops it to 0 once it falls below rise; counted
 * in chkfail only while it was above 0), a passed one adds one (and jumps to rise+fall-1 once it
 * reaches rise). A server going DOWN leaves the balancing (chkdown); when no server is UP a new
 * request gets 503 at once (BACKEND econ). The next check is due `inter` after one ends while the
 * server is fully up, `downinter` while fully down, `fastinter` in between (check.c srv_getinter).
 * A check's SYN goes through the server's listen queues like any SYN: a full queue drops it, and
 * the check times out (L4TOUT). With `option httpchk` (HaproxyConfig.httpCheck) it is an HTTP
 * request on a connection of its own.
 */
export interface ServerCheck {
  /** inter, ms (HAProxy default 2000). */
  interMs: number
  /** fastinter, ms; null = inter. */
  fastinterMs: number | null
  /** downinter, ms; null = inter. */
  downinterMs: number | null
  /** rise (default 2). */
  rise: number
  /** fall (default 3). */
  fall: number
}

/** When server sv stops listening during the run (`refuses` with a `downAtS` above 0), or null: never, or from the start. */
export function serverDownAtS(sv: HaproxyServer): number | null {
  return sv.refuses === true && (sv.downAtS ?? 0) > 0 ? sv.downAtS! : null
}

/** Server sv refuses connections from the run's start (`refuses`, no later `downAtS`). */
export function serverRefusesFromStart(sv: HaproxyServer): boolean {
  return sv.refuses === true && serverDownAtS(sv) === null
}

/** HAProxy's defaults for a server line with a bare `check`. */
export function defaultServerCheck(): ServerCheck {
  return { interMs: 2000, fastinterMs: null, downinterMs: null, rise: 2, fall: 3 }
}

/** HAProxy `http-reuse` modes (see HaproxyConfig.httpReuse). */
export type HttpReuse = 'never' | 'safe' | 'aggressive' | 'always'
export const HTTP_REUSE_MODES: readonly HttpReuse[] = ['never', 'safe', 'aggressive', 'always']

export interface HaproxyConfig {
  /** '1.x' | '2.x+' or a version string ('1.5.18', '2.6.12'). */
  version: string
  /** Global maxconn; null = version default (1.x: 2000; 2.x+: computed from the fd limit). */
  globalMaxconn: number | null
  /** Frontend maxconn; null = version default (1.x: 2000; 2.x+: global maxconn). */
  frontendMaxconn: number | null
  /** bind ... maxconn; null = unset. */
  bindMaxconn: number | null
  /** bind ... backlog; null = unset. */
  bindBacklog: number | null
  /** frontend backlog; null = unset. */
  frontendBacklog: number | null
  nbthread: number
  /** RLIMIT_NOFILE of the shell that starts HAProxy. */
  fdSoft: number
  fdHard: number
  /** Root can raise its fd limit (CAP_SYS_RESOURCE); otherwise capped by fdHard. */
  startedAsRoot: boolean
  /** Global `ulimit-n`; null = unset (HAProxy uses maxsock). */
  ulimitN: number | null
  /** `strict-limits`; null = version default (on since 2.3). */
  strictLimits: boolean | null
  /** tune.maxaccept; null = version default (64 <= 2.3, 4 >= 2.4). */
  maxaccept: number | null
  servers: HaproxyServer[]
  /**
   * `balance`: 'roundrobin' and 'leastconn' pick a server with a free slot; when every server is
   * at maxconn the request waits in the **backend** queue (BACKEND qcur), which no `maxqueue`
   * caps (only `timeout queue`). leastconn (2.x) also counts a full server as a candidate while
   * `served + queued < maxconn + maxqueue`, so with maxqueue > 0 requests first fill the servers'
   * own queues. 'source' hashes the client address (map-based) onto one server whatever its load:
   * a full server queues the request in **its own** queue, capped by its maxqueue; beyond that
   * the request gets 503 (econ; no redispatch, the hash would pick the same server). The model's
   * hash is not HAProxy's: which address lands on which server may differ, not how many.
   */
  balance: 'roundrobin' | 'leastconn' | 'source'
  /** timeout queue; null = timeout connect is used. */
  timeoutQueueS: number | null
  timeoutConnectS: number
  /**
   * `timeout check`; null / absent = not set. Set, it caps a health check's connect at
   * min(timeout connect, inter) (and bounds the read of a layer-7 check); unset, the check's
   * whole time is inter.
   */
  timeoutCheckS?: number | null
  /**
   * `option httpchk`: every check of the backend's checked servers is an HTTP request on its own
   * connection, served by the server like a request (a worker; nginx then a php-fpm child): it
   * passes on a 2xx/3xx (L7OK), fails on another status (L7STS, nginx's 502 when php-fpm's
   * backlog is full), on a reset (SOCKERR, nginx out of worker_connections) and on its timeout
   * (L7TOUT): a busy server's checks wait behind its queued requests. Absent / null / false: a
   * layer-4 check (connect only).
   */
  httpCheck?: boolean | null
  /**
   * What answers an HTTP check (only with httpCheck). 'app' (absent / null): the check's URL is
   * served like any request (php-fpm behind nginx, the full service time on a worker server), so
   * it waits behind the queued requests. 'static': a cheap endpoint the front process answers
   * itself: nginx's `location = /health { return 200; }` (no php-fpm child), a worker server's
   * handler that returns at once (it still waits for a free worker to accept it).
   */
  httpCheckEndpoint?: 'app' | 'static' | null
  timeoutServerS: number
  timeoutClientS: number
  retries: number
  redispatch: boolean
  mode: 'http' | 'tcp'
  /**
   * 'per-request': a new server connection per request, closed after the response (`option
   * http-server-close`); 'keep-alive': server connections stay open after a response (HAProxy
   * 2.x's default `option http-keep-alive`) and `httpReuse` decides who may use them next.
   */
  serverConnections: 'per-request' | 'keep-alive'
  /**
   * `http-reuse` (with serverConnections 'keep-alive'; HAProxy configuration.txt "http-reuse"):
   * - 'never': a server connection is private to the client session that opened it: only that
   *   session's later requests use it, and it is closed when the session ends;
   * - 'safe' (2.x default): a session's first request always opens (or has) its own connection;
   *   its later requests may take any idle connection of the server;
   * - 'aggressive': a first request may also take an idle connection that has already been
   *   reused once (proven to survive reuse); later requests take any;
   * - 'always': any request takes any idle connection.
   * Idle connections left over are closed by HAProxy (pool-purge-delay 5 s), so TIME_WAIT lands
   * where `backendClosesFirst` says. Optional in saved scenarios: absent means 'safe'.
   */
  httpReuse?: HttpReuse
  /** Who closes proxy->server connections first: 'proxy' (TIME_WAIT and ports on the proxy), 'server', or 'reset' (RST, no TIME_WAIT). */
  backendClosesFirst: 'proxy' | 'server' | 'reset'
  /** Source IPs HAProxy connects from (port space is per (src, dst, dport)). */
  sourceIps: number
  /**
   * When HAProxy (re)started, in seconds from the run's start (<= 0). It matters only to health
   * checks: at start every checked server's health is `rise` (up, "but will fall down at first
   * failure") and the first checks are spread over the smallest inter by the server's place in
   * the list (checks.c start_checks). Absent / null: long before the run, each server's health at
   * its steady state (a server that refuses is already DOWN, the others fully UP).
   */
  startedS?: number | null
}

export type ServiceTime =
  | { kind: 'constant'; s: number }
  | { kind: 'exponential'; meanS: number }
  | { kind: 'lognormal'; p50S: number; p99S: number }

/**
 * Connections an nginx worker holds for itself out of worker_connections: its listening socket and
 * the channel to the master. Measured (nginx 1.22, one worker, worker_connections 16, 30 clients
 * holding a request open): 14 served, the other 16 accepted and reset at once, listen queue 0.
 */
export const NGINX_RESERVED_CONNS = 2

export interface NginxConfig {
  workers: number
  workerConnections: number
  /** nginx listen backlog (511 on Linux by default). */
  listenBacklog: number
  /** fastcgi_connect_timeout (60 s default): TCP to php-fpm -> 504 after it. */
  fastcgiConnectTimeoutS: number
}

export interface PhpFpmConfig {
  /** pm.max_children */
  children: number
  /** listen.backlog (clamped by somaxconn, unix sockets too). */
  listenBacklog: number
  socket: 'unix' | 'tcp'
  /** Per-request cost of the PHP request lifecycle around the script (response, close, accept, FastCGI read, RINIT/RSHUTDOWN) added to the service time: the mean, ms (default 1); each request draws it from a lognormal with sigma 0.3 (measured, docs/simulator.md). */
  requestOverheadMs?: number
}

/**
 * CPU of each backend host, for the workers that compute (generic workers, php-fpm children).
 * Linux's scheduler (CFS) shares the cores among the runnable threads: with n of them on c cores
 * each runs at min(1, c / n) of a core (processor sharing), so past c busy workers more workers
 * add no throughput, only latency. nginx's own work and the kernel's are not counted.
 */
export interface BackendCpu {
  /** CPU cores of each backend host (nproc). */
  cores: number
  /** Share of each request's service time that is CPU work (0..1); the rest waits off the CPU (I/O, sleep) and is not slowed. */
  share: number
}

export interface BackendConfig {
  kind: 'generic' | 'nginx-echo' | 'nginx-php-fpm'
  /** Backend hosts (when haproxy is set, its `servers` list decides; this count is used without a proxy: 1). */
  servers: number
  /** Generic: worker threads per server (each serves one connection at a time). nginx-echo: ignored (event driven). */
  workers: number
  serviceTime: ServiceTime
  /** Listen backlog of the generic/nginx-echo listener (clamped by somaxconn). */
  listenBacklog: number
  /** RLIMIT_NOFILE of the backend process. */
  fdLimit: number
  nginx: NginxConfig
  phpFpm: PhpFpmConfig
  /** Absent / null: not modeled (every busy worker runs as if it had a core of its own). nginx-echo ignores it (echo_sleep is a timer). */
  cpu?: BackendCpu | null
}

export interface Scenario {
  format: typeof SCENARIO_FORMAT
  name: string
  /** Seconds of load (open loop: curve time span; closed loop: cap like ab -t). The run continues until in-flight work settles (at most `drainS` more). */
  durationS: number
  /** Extra simulated seconds after `durationS` for in-flight connections to finish. */
  drainS: number
  clients: ClientConfig
  network: NetworkConfig
  hosts: { client: KernelConfig; proxy: KernelConfig; backend: KernelConfig }
  /** null: clients connect straight to the backend. */
  haproxy: HaproxyConfig | null
  backend: BackendConfig
}

// ------------------------------------------------------------------- defaults --

/** Linux defaults of a modern (6.5+) host. */
export function defaultKernel(version: string = '6.1'): KernelConfig {
  const p = kernelTraits(version)
  return {
    version,
    somaxconn: p.defaultSomaxconn,
    tcpMaxSynBacklog: p.profile === '3.10' ? 512 : 2048,
    syncookies: 1,
    abortOnOverflow: 0,
    synRetries: 6,
    synackRetries: 5,
    synLinearTimeouts: 4,
    twReuse: p.twReuse2 ? 2 : 0,
    twReuseDelayMs: 1000,
    timestamps: 1,
    twRecycle: 0,
    ipLocalPortRange: p.profile === '3.10' ? [32768, 61000] : [32768, 60999],
    reservedPorts: 0,
    maxTwBuckets: 131072,
    fileMax: 2_000_000
  }
}

export function defaultHaproxy(version: string = '2.x+'): HaproxyConfig {
  return {
    version,
    globalMaxconn: null,
    frontendMaxconn: null,
    bindMaxconn: null,
    bindBacklog: null,
    frontendBacklog: null,
    nbthread: 1,
    fdSoft: 1024,
    fdHard: 524288,
    startedAsRoot: true,
    ulimitN: null,
    strictLimits: null,
    maxaccept: null,
    servers: [
      { name: 's1', maxconn: 0, maxqueue: 0, weight: 1 },
      { name: 's2', maxconn: 0, maxqueue: 0, weight: 1 }
    ],
    balance: 'roundrobin',
    timeoutQueueS: null,
    timeoutConnectS: 5,
    timeoutServerS: 30,
    timeoutClientS: 30,
    retries: 3,
    redispatch: false,
    mode: 'http',
    serverConnections: 'per-request',
    httpReuse: 'safe',
    backendClosesFirst: 'proxy',
    sourceIps: 1
  }
}

export function defaultBackend(): BackendConfig {
  return {
    kind: 'generic',
    servers: 1,
    workers: 64,
    serviceTime: { kind: 'lognormal', p50S: 0.02, p99S: 0.2 },
    listenBacklog: 511,
    fdLimit: 65536,
    nginx: { workers: 1, workerConnections: 1024, listenBacklog: 511, fastcgiConnectTimeoutS: 60 },
    phpFpm: { children: 5, listenBacklog: 511, socket: 'unix', requestOverheadMs: 1 }
  }
}

/** A small, valid open-loop scenario: 200 conn/s for 60 s through HAProxy 2.x to two servers. */
export function defaultScenario(): Scenario {
  return {
    format: SCENARIO_FORMAT,
    name: 'default',
    durationS: 60,
    drainS: 30,
    clients: {
      mode: 'open',
      loadCurve: [
        { tS: 0, rate: 200 },
        { tS: 60, rate: 200 }
      ],
      arrivals: 'poisson',
      arrivalBatch: 1,
      concurrency: 50,
      totalRequests: 0,
      requestsPerConnection: 1,
      keepAlive: false,
      thinkTimeS: 0,
      connectTimeoutS: null,
      requestTimeoutS: 30,
      natShare: 0,
      natHosts: 16,
      sourceIps: 1000,
      closesFirst: 'client'
    },
    network: { clientRttMs: 20, backendRttMs: 1, jitterMs: 0 },
    hosts: { client: defaultKernel('6.1'), proxy: defaultKernel('6.1'), backend: defaultKernel('6.1') },
    haproxy: defaultHaproxy('2.x+'),
    backend: defaultBackend()
  }
}

/** Deep copy (scenarios are plain JSON). */
export function cloneScenario(s: Scenario): Scenario {
  return JSON.parse(JSON.stringify(s)) as Scenario
}

// --------------------------------------------------------------- kernel eras --

/** What a kernel version implies for the model (semantics.md sections 0-5). */
export interface KernelTraits {
  profile: KernelProfile
  major: number
  minor: number
  /** SYN queue sizing: pre-4.4 power-of-two table, B (4.4..6.12) or B+1 (6.13+ and stable backports). */
  synQueueRule: 'pow2' | 'B' | 'B+1'
  /** Accept-queue-full SYN drop: 'young' (<= 4.8: only when more than one young request) or 'always' (4.9+). */
  acceptFullSynDrop: 'young' | 'always'
  /** tcp_syn_linear_timeouts exists (6.5+). */
  linearSynBackoff: boolean
  /** tcp_tw_recycle exists (<= 4.11). */
  twRecycle: boolean
  /** tcp_tw_reuse=2 (loopback only) exists. */
  twReuse2: boolean
  /** syncookies=2 exists (3.12+). */
  syncookies2: boolean
  defaultSomaxconn: number
  /** Initial SYN / SYN-ACK RTO in seconds (1 s since 3.1). */
  initialRtoS: number
}

/** Parse 'x.y...' or a profile name into kernel traits. Unknown strings fall back to '6.5+' semantics only if they start with digits; otherwise throws. */
export function kernelTraits(version: string): KernelTraits {
  let major: number
  let minor: number
  if (version === '3.10') { major = 3; minor = 10 }
  else if (version === '4.9-6.4') { major = 6; minor = 1 }
  else if (version === '6.5+') { major = 6; minor = 18 }
  else {
    const m = /^(\d+)\.(\d+)/.exec(version.trim())
    if (!m) throw new Error(`kernel version "${version}" is neither a profile (${KERNEL_PROFILES.join(', ')}) nor a version like 6.1.0`)
    major = Number(m[1])
    minor = Number(m[2])
  }
  const v = major * 1000 + minor
  const profile: KernelProfile = v < 4009 ? '3.10' : v < 6005 ? '4.9-6.4' : '6.5+'
  // 6.13+ made the SYN-queue test '>' (B+1); stable backports (e.g. 6.1.y, 5.15.y) carry it
  // too, but a bare "6.1" is not known to be patched: use B there, B+1 for the 6.5+ profile.
  const synQueueRule = v < 4004 ? 'pow2' : version === '6.5+' || v >= 6013 ? 'B+1' : 'B'
  return {
    profile,
    major,
    minor,
    synQueueRule,
    acceptFullSynDrop: v < 4009 ? 'young' : 'always',
    linearSynBackoff: v >= 6005,
    twRecycle: v < 4012,
    twReuse2: v >= 4019,
    syncookies2: v >= 3012,
    defaultSomaxconn: v < 5004 ? 128 : 4096,
    initialRtoS: v < 3001 ? 3 : 1
  }
}

/** CONFIG_HZ of a host: its `hz`, else the usual build of its profile (RHEL/CentOS 7: 1000; Debian/Ubuntu: 250). */
export function kernelHz(k: KernelConfig): number {
  if (k.hz != null) return k.hz
  return kernelTraits(k.version).profile === '3.10' ? 1000 : 250
}

/** Map a kernel version string to its profile. */
export function kernelProfile(version: string): KernelProfile {
  return kernelTraits(version).profile
}

/**
 * Times (s, from the first SYN) at which a client sends SYNs, and the give-up time.
 * Before 6.5: exponential 1,2,4.. s; 6.5+: the first `synLinearTimeouts` retransmits 1 s apart.
 * The give-up is time based (tcp_model_timeout) as in semantics.md 3.2. The send times are checked
 * against this kernel, with and without linear timeouts, in test/main/sim/retransmit-real.test.ts.
 */
export function synSchedule(k: KernelConfig): { sendS: number[]; giveUpS: number } {
  const t = kernelTraits(k.version)
  const rto = t.initialRtoS
  const linear = t.linearSynBackoff ? Math.max(0, k.synLinearTimeouts) : 0
  // tcp_model_timeout: (2^(retries+1) - 1) * rto (intervals capped at TCP_RTO_MAX 120 s),
  // plus `linear` extra rto on 6.5+ (6/4 => 131 s, 3/4 => 19 s; 6/0 => 127 s).
  const thresh = Math.floor(Math.log2(120 / rto))
  const r = Math.max(0, k.synRetries)
  const giveUpS =
    (r <= thresh ? (Math.pow(2, r + 1) - 1) * rto : (Math.pow(2, thresh + 1) - 1) * rto + (r - thresh) * 120) +
    linear * rto
  const sendS: number[] = [0]
  let at = 0
  let gap = rto
  for (let i = 0; i < 64; i++) {
    // 6.5+: the first 1 + linear intervals are rto (0,1,2,3,4,5 s), then doubling
    at += gap
    if (at >= giveUpS - 1e-9) break
    sendS.push(at)
    if (i >= linear) gap = Math.min(gap * 2, 120)
  }
  return { sendS, giveUpS }
}

/**
 * Kernel timer fire time (timer_list: SYN, SYN-ACK and data retransmit timers). Since 4.8
 * (kernel/time/timer.c calc_wheel_index / calc_index) a timer lands in wheel level L, chosen by its
 * distance in jiffies (level 0 below 63, level L below 63 << 3L), and fires at the next multiple of
 * that level's granularity (8^L jiffies) strictly after its expiry: one jiffy late at level 0,
 * up to 8^L late above. So a 1 s timer fires after 1.024 s at HZ 250 (256 jiffies) and HZ 1000
 * (1024), 1.04 s at HZ 100. Before 4.8 (cascading wheel) timers fire on their jiffy.
 * `hz` is the host's CONFIG_HZ; 0 means exact times.
 */
export function timerAt(now: number, delay: number, wheel: boolean, hz: number): number {
  if (hz <= 0) return now + delay
  const j = 1 / hz
  const nowJ = Math.floor(now / j + 1e-9)
  let expJ = Math.ceil((now + delay) / j - 1e-9)
  if (!wheel) return expJ * j
  const delta = expJ - nowJ
  let lvl = 0
  let start = 63
  while (delta >= start && lvl < 8) {
    lvl++
    start = 63 << (3 * lvl)
  }
  const gran = 1 << (3 * lvl)
  expJ = (Math.floor(expJ / gran) + 1) * gran
  return expJ * j
}

/** Server SYN-ACK send times (s after the SYN) and request expiry (semantics.md 3.3). */
export function synackSchedule(k: KernelConfig): { sendS: number[]; expireS: number } {
  const rto = kernelTraits(k.version).initialRtoS
  const sendS: number[] = [0]
  let at = 0
  let gap = rto
  for (let i = 0; i < k.synackRetries; i++) {
    at += gap
    sendS.push(at)
    gap = Math.min(gap * 2, 120)
  }
  return { sendS, expireS: at + gap }
}

/**
 * May connect() on a host with kernel k take a TIME_WAIT port of its own towards a destination
 * (tcp_twsk_unique, semantics.md 4.3)? tcp_tw_reuse=1 always, =2 only when the TIME_WAIT
 * socket's source or destination address is loopback (127/8, ::1) or it is bound to lo: a
 * second address on lo is not enough (test/main/sim/tw-reuse-real.test.ts asks this kernel);
 * both need tcp_timestamps=1 (the old connection's timestamp). The reuse waits
 * tcp_tw_reuse_delay (1 s) from the TIME_WAIT's start; that is the port pools' business.
 */
export function twReuseApplies(k: Pick<KernelConfig, 'twReuse' | 'timestamps' | 'version'>, loopback: boolean): boolean {
  return twReuseReaches(k.twReuse, k.timestamps, loopback) && (k.twReuse !== 2 || kernelTraits(k.version).twReuse2)
}

/** The same rule on sysctl values a kernel has shown (read from a host: 2 exists there); timestamps 2 is on too. */
export function twReuseReaches(twReuse: number, timestamps: number, loopback: boolean): boolean {
  return timestamps !== 0 && (twReuse === 1 || (twReuse === 2 && loopback))
}

/** Is `addr` a loopback address in tcp_tw_reuse=2's sense (127/8, ::1, v4-mapped 127/8; `localhost`)? Brackets and a zone are ignored. */
export function isLoopbackAddr(addr: string): boolean {
  const a = addr.trim().replace(/^\[|\]$/g, '').replace(/%.*$/, '').toLowerCase()
  if (a === 'localhost' || a === '::1' || a === '0:0:0:0:0:0:0:1') return true
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)
}

/** HAProxy has servers and every one of them is on its own host (`loopback`). */
export function allServersLoopback(h: Pick<HaproxyConfig, 'servers'> | null): boolean {
  return !!h && h.servers.length > 0 && h.servers.every((sv) => sv.loopback === true)
}

// ---------------------------------------------------------------- listeners --

/** Effective listen() backlog B = min(backlog, somaxconn); negative => somaxconn. Accept queue holds B+1. */
export function effectiveBacklog(backlog: number, somaxconn: number): number {
  if (backlog < 0) return somaxconn
  return Math.min(backlog, somaxconn)
}

/** Request-socket (SYN queue) capacity of a listener with effective backlog B for a kernel (semantics.md 2.1). */
export function synQueueCapacity(b: number, k: KernelConfig): number {
  const t = kernelTraits(k.version)
  if (t.synQueueRule === 'pow2') {
    let n = Math.max(8, Math.min(b, k.tcpMaxSynBacklog)) + 1
    let p = 1
    while (p < n) p *= 2
    n = p
    return n
  }
  return t.synQueueRule === 'B+1' ? b + 1 : b
}

// ------------------------------------------------------------------ HAProxy --

export function haproxyProfile(version: string): HaproxyProfile {
  if (version === '1.x' || version === '2.x+') return version
  const m = /^(\d+)\.(\d+)/.exec(version.trim())
  if (!m) throw new Error(`HAProxy version "${version}" is neither a profile (1.x, 2.x+) nor a version like 2.6.12`)
  return Number(m[1]) < 2 ? '1.x' : '2.x+'
}

function haproxyMinor(version: string): number {
  if (version === '1.x') return 1005
  if (version === '2.x+') return 2006
  const m = /^(\d+)\.(\d+)/.exec(version.trim())
  return m ? Number(m[1]) * 1000 + Number(m[2]) : 2006
}

/** HAProxy has threads (`nbthread`) from 1.8 on. */
export function haproxyHasThreads(version: string): boolean {
  return haproxyMinor(version) >= 1008
}

/**
 * Threads HAProxy runs when the configuration sets no `nbthread`: 1 up to 1.8; from 2.0 one per
 * CPU it may run on (capped at 64, the default MAX_THREADS).
 */
export function haproxyDefaultNbthread(version: string, cpus: number): number {
  return haproxyMinor(version) >= 2000 ? Math.max(1, Math.min(64, Math.floor(cpus))) : 1
}

export interface HaproxyLimits {
  /** Whether HAProxy starts with this configuration and fd limit. */
  starts: boolean
  /** ALERT text when it refuses to start, or WARNING text when it starts with trouble; '' otherwise. */
  message: string
  /** show info Maxconn (global). */
  maxconn: number
  /** show info Maxsock. */
  maxsock: number
  /** show info Ulimit-n: the fd limit HAProxy ends up with (EMFILE beyond it). */
  ulimitN: number
  /** Effective frontend maxconn (frontend slim). */
  frontendMaxconn: number
  /** bind maxconn (0 = none). */
  bindMaxconn: number
  /** listen() backlog requested and the kernel's effective B after the somaxconn clamp. */
  backlogRequested: number
  backlogEffective: number
  /** tune.maxaccept in effect. */
  maxaccept: number
  /** strict-limits in effect. */
  strictLimits: boolean
  /** Backend fullconn (backend slim): 10% of frontend maxconn routing to it. */
  fullconn: number
}

/**
 * HAProxy's computed limits per version (semantics.md 6.2, 7.2): global/frontend maxconn,
 * maxsock, the fd limit it sets (ulimit-n), whether it starts, and the listen backlog.
 * `proxySomaxconn` is the proxy host's net.core.somaxconn.
 */
export function haproxyEffectiveLimits(h: HaproxyConfig, proxySomaxconn: number): HaproxyLimits {
  const prof = haproxyProfile(h.version)
  const ver = haproxyMinor(h.version)
  // fixed fds besides 2 per connection: 1.x "reserve 10" + one listener + the stats socket;
  // 2.x: measured maxsock = 2*maxconn + 28 with nbthread 2 and 125 for maxconn 50 with
  // nbthread 1 (semantics.md 6.2, fidelity cases), i.e. 22 + 3 per thread (poller + wake pipe)
  // plus one per health-checked server (init_srv_check: global.maxsock++; measured on 2.6: 428 ->
  // 430 with two checked servers at maxconn 200, computed maxconn 486 -> 485 at ulimit-n 1000)
  const fixed = (prof === '1.x' ? 12 : 22 + 3 * h.nbthread) + h.servers.filter((sv) => sv.check).length
  const strict = h.strictLimits ?? ver >= 2003
  let maxconn: number
  let message = ''
  if (h.globalMaxconn != null) maxconn = h.globalMaxconn
  else if (prof === '1.x') maxconn = 2000
  else {
    const base = h.ulimitN ?? (ver >= 2002 ? Math.max(h.fdSoft, h.fdHard) : h.fdSoft)
    const capped = ver >= 3001 && h.ulimitN == null ? Math.min(base, 1048576) : base
    maxconn = Math.max(100, Math.floor((capped - fixed) / 2))
  }
  const maxsock = 2 * maxconn + fixed
  const want = h.ulimitN ?? maxsock
  // setrlimit(want): root can raise the hard limit; non-root only up to fdHard
  let ulimitN = want
  let starts = true
  if (!h.startedAsRoot && want > h.fdHard) {
    ulimitN = h.fdSoft >= want ? want : Math.max(h.fdSoft, Math.min(want, h.fdHard))
    if (strict) {
      starts = false
      message = `[ALERT] (haproxy) : [haproxy.main()] Cannot raise FD limit to ${want}, limit is ${h.fdHard}.`
    } else {
      ulimitN = h.fdHard
      message = `[WARNING] (haproxy) : [haproxy.main()] Cannot raise FD limit to ${want}, limit is ${h.fdHard}.`
    }
  }
  if (starts && ulimitN < maxsock) {
    const txt = `FD limit (${ulimitN}) too low for maxconn=${maxconn}/maxsock=${maxsock}. Please raise 'ulimit-n' to ${maxsock} or more to avoid any trouble.`
    if (strict) {
      starts = false
      message = `[ALERT] (haproxy) : ${txt}`
    } else message = (message ? message + ' ' : '') + `[WARNING] (haproxy) : ${txt}`
  }
  const frontendMaxconn = h.frontendMaxconn ?? (prof === '1.x' ? 2000 : maxconn)
  const bindMaxconn = h.bindMaxconn ?? 0
  const backlogRequested =
    h.bindBacklog ?? h.frontendBacklog ?? (h.bindMaxconn != null ? h.bindMaxconn : frontendMaxconn || 1024)
  return {
    starts,
    message,
    maxconn,
    maxsock,
    ulimitN,
    frontendMaxconn,
    bindMaxconn,
    backlogRequested,
    backlogEffective: effectiveBacklog(backlogRequested, proxySomaxconn),
    maxaccept: h.maxaccept ?? (ver >= 2004 ? 4 : 64),
    strictLimits: strict,
    fullconn: Math.max(1, Math.floor(frontendMaxconn / 10))
  }
}

// --------------------------------------------------------------- load curve --

/**
 * Evenly spaced open-loop arrivals (`arrivals: 'even'`), one rule for the model and the lab's
 * client: the first batch at the first time the curve is above 0 (zero stretches skipped in 0.1 s
 * steps), each next one `batch / rate` after the one before, all inside `[0, endS)`. `prev` is
 * the previous batch's time, or null for the first. null: no more batches. The times are a running
 * sum of spacings, so the one due exactly at endS can come out a rounding error below it; it is
 * outside the window.
 */
export function nextEvenArrival(curve: readonly LoadPoint[], prev: number | null, batch: number, endS: number): number | null {
  let t = prev ?? 0
  for (;;) {
    if (curveRate(curve, t) > 0) break
    t += 0.1
    if (t >= endS) return null
  }
  if (prev !== null) {
    const spacing = batch / curveRate(curve, t)
    t += spacing
    if (t >= endS - 1e-6 * spacing) return null
  }
  return t < endS ? t : null
}

/** Rate of the piecewise-linear curve at time t (constant before the first and after the last point). */
export function curveRate(curve: readonly LoadPoint[], t: number): number {
  if (curve.length === 0) return 0
  if (t <= curve[0]!.tS) return curve[0]!.rate
  for (let i = 1; i < curve.length; i++) {
    const b = curve[i]!
    if (t <= b.tS) {
      const a = curve[i - 1]!
      const span = b.tS - a.tS
      return span <= 0 ? b.rate : a.rate + ((b.rate - a.rate) * (t - a.tS)) / span
    }
  }
  return curve[curve.length - 1]!.rate
}

/** Peak rate of a curve. */
export function curvePeak(curve: readonly LoadPoint[]): number {
  let m = 0
  for (const p of curve) if (p.rate > m) m = p.rate
  return m
}
