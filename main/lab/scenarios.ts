/**
 * The scenarios of docs/fidelity.md: each field report's situation, scaled down to run in a few
 * seconds on a small machine (fewer clients and requests, same mechanism), plus the knobs the
 * what-if sliders move (somaxconn, tcp_max_syn_backlog, syncookies, abort_on_overflow, HAProxy
 * maxconn, bind backlog, fd limit, server maxconn + queue, server count, timeout connect + retries,
 * server keep-alive, port range and tw_reuse, RTTs, php-fpm children and listen.backlog, the
 * backend's CPU cores and CPU share). Every load is bounded in requests and time. Knobs this
 * machine cannot reproduce are listed in docs/fidelity.md ("Knobs this machine cannot reproduce").
 */
import type { HttpReuse, Scenario } from '../../simulator/scenario'
import { defaultScenario } from '../../simulator/scenario'

export interface LabScenarioEntry {
  id: string
  /** What the row shows (markdown). */
  what: string
  scenario: Scenario
  /** Closed-loop tool to force (the driver validation rows); default: what the scenario needs (run.ts closedLoopDriver). */
  driver?: 'ab' | 'node'
  /** Socket sampling period (ms) of this row; default 100. */
  sampleMs?: number
}

function base(name: string): Scenario {
  const s = defaultScenario()
  s.name = name
  s.durationS = 20
  s.drainS = 15
  s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
  s.clients.sourceIps = 1
  s.clients.requestTimeoutS = 30
  for (const h of ['client', 'proxy', 'backend'] as const) s.hosts[h].version = '6.18'
  const h = s.haproxy!
  h.version = '2.6.12'
  h.servers = [{ name: 's1', maxconn: 0, maxqueue: 0, weight: 1 }]
  s.backend.kind = 'nginx-echo'
  s.backend.serviceTime = { kind: 'constant', s: 0.1 }
  s.backend.listenBacklog = 4096
  s.backend.nginx.workerConnections = 8192
  return s
}

function closed(s: Scenario, users: number, requests: number): Scenario {
  s.clients.mode = 'closed'
  s.clients.loadCurve = []
  s.clients.concurrency = users
  s.clients.totalRequests = requests
  s.clients.closesFirst = 'server'
  return s
}

function open(s: Scenario, rate: number, durationS: number): Scenario {
  s.clients.mode = 'open'
  s.clients.arrivals = 'even'
  s.clients.loadCurve = [{ tS: 0, rate }]
  s.durationS = durationS
  s.clients.closesFirst = 'client'
  return s
}

/** Field report 2 (blog): nginx + php-fpm, somaxconn on the backend host, ab closed loop. */
function report2(somaxconn: number): Scenario {
  const s = closed(base(`report2-somaxconn-${somaxconn}`), 128, 1280)
  s.haproxy = null
  s.backend.kind = 'nginx-php-fpm'
  s.backend.serviceTime = { kind: 'constant', s: 0.005 }
  s.backend.nginx = { workers: 2, workerConnections: 4096, listenBacklog: 511, fastcgiConnectTimeoutS: 60 }
  s.backend.phpFpm = { children: 4, listenBacklog: 511, socket: 'tcp' }
  s.hosts.backend.somaxconn = somaxconn
  s.hosts.backend.tcpMaxSynBacklog = 1024
  s.hosts.backend.syncookies = 0
  return s
}

/**
 * Field report 2 at the load of the shared seed-backlog-8 case: ab -c 512 -n 5120 (-t 70), so
 * ~500 of nginx's connects to php-fpm wait on SYN retransmits for up to fastcgi_connect_timeout
 * (60 s). How the drops split between a full accept queue and a full SYN queue varies from run
 * to run (and host to host), which this row measures here.
 */
function report2Seed(): Scenario {
  const s = report2(8)
  s.name = 'report2-somaxconn-8-c512'
  s.clients.concurrency = 512
  s.clients.totalRequests = 5120
  s.durationS = 70
  s.drainS = 10
  return s
}

/**
 * Field report 2's fix (somaxconn 1024) on its own nginx (one worker, worker_connections 1024)
 * with php-fpm on a unix socket, at the report's load (ab -c 512 -n 5120): each request waiting
 * for php-fpm holds two of nginx's connections (the client's and the FastCGI one), so 512 of them
 * need 1024 plus nginx's own 2.
 */
function report2FixedWc(): Scenario {
  const s = report2Seed()
  s.name = 'report2-somaxconn-1024-c512-wc1024'
  s.clients.tool = 'ab'
  s.hosts.backend.somaxconn = 1024
  s.backend.nginx = { ...s.backend.nginx, workers: 1, workerConnections: 1024 }
  s.backend.phpFpm = { ...s.backend.phpFpm, socket: 'unix' }
  return s
}

/** Field report 1: HAProxy frontend/global maxconn under more concurrent clients (scaled 2000 vs 4096 -> M vs 80). */
function report1Maxconn(maxconn: number): Scenario {
  const s = closed(base(`report1-maxconn-${maxconn}`), 80, 800)
  const h = s.haproxy!
  h.globalMaxconn = maxconn
  h.frontendMaxconn = maxconn
  return s
}

/** Field report 1: the datacenter move, same open-loop load, backend RTT 0 or 30 ms, maxconn 25. */
function report1Rtt(rttMs: number): Scenario {
  const s = open(base(`report1-rtt-${rttMs}ms`), 150, 6)
  s.network.backendRttMs = rttMs
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.haproxy!.globalMaxconn = 25
  s.haproxy!.frontendMaxconn = 25
  return s
}

/** Field report 1's sysctls: proxy -> backend ports with a 200-port range, tw_reuse 0, 1 or 2 (mode tcp, proxy closes first). */
function ports(twReuse: 0 | 1 | 2): Scenario {
  const s = open(base(`ports-200-tw_reuse-${twReuse}`), 20, 15)
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.hosts.proxy.ipLocalPortRange = [40000, 40199]
  s.hosts.proxy.twReuse = twReuse
  s.haproxy!.mode = 'tcp'
  s.haproxy!.globalMaxconn = 2000
  s.haproxy!.timeoutConnectS = 2
  return s
}

/** Accept-queue overflow behind HAProxy: maxconn 32, bind backlog 16, a burst of 128 connections, syncookies 0. */
function burst(): Scenario {
  const s = open(base('accept-overflow-b16-burst128'), 12800, 0.01)
  s.backend.serviceTime = { kind: 'constant', s: 0.2 }
  s.hosts.proxy.syncookies = 0
  s.hosts.proxy.tcpMaxSynBacklog = 1024
  s.haproxy!.globalMaxconn = 1000
  s.haproxy!.frontendMaxconn = 32
  s.haproxy!.bindBacklog = 16
  return s
}

/** Server maxconn + timeout queue: overload becomes fast 503s instead of silent SYN drops. */
function serverQueue(): Scenario {
  const s = open(base('server-maxconn-4-queue-1s'), 60, 5)
  s.backend.serviceTime = { kind: 'constant', s: 0.2 }
  s.haproxy!.globalMaxconn = 1000
  s.haproxy!.servers = [{ name: 's1', maxconn: 4, maxqueue: 0, weight: 1 }]
  s.haproxy!.timeoutQueueS = 1
  return s
}

/** The burst of `burst()` with other overflow knobs: syncookies 1, or abort_on_overflow 1. */
function burstWith(name: string, f: (s: Scenario) => void): Scenario {
  const s = burst()
  s.name = name
  f(s)
  return s
}

/** Field report 1's `ulimit -n`: HAProxy started without root under a hard fd limit of 1024, global maxconn 5000. */
function fdLimit(): Scenario {
  const s = closed(base('fd-limit-1024-maxconn-5000'), 4, 8)
  const h = s.haproxy!
  h.globalMaxconn = 5000
  h.startedAsRoot = false
  h.fdSoft = 1024
  h.fdHard = 1024
  return s
}

/**
 * HAProxy 2.x sizing its own maxconn from the fd limit (no global maxconn, not root, `ulimit -n`
 * 256:256): show info Maxconn is the computed value and sessions plateau there.
 */
function fdComputed(): Scenario {
  const s = closed(base('fd-limit-256-maxconn-computed'), 160, 1600)
  const h = s.haproxy!
  h.globalMaxconn = null
  h.startedAsRoot = false
  h.fdSoft = 256
  h.fdHard = 256
  return s
}

/** Field report 1's lost callbacks: senders with a short connect timeout against a saturated maxconn. */
function callbacks(): Scenario {
  const s = open(base('callbacks-connect-timeout-0.5s'), 80, 5)
  s.backend.serviceTime = { kind: 'constant', s: 0.2 }
  s.haproxy!.globalMaxconn = 10
  s.haproxy!.frontendMaxconn = 10
  s.clients.connectTimeoutS = 0.5
  s.clients.requestTimeoutS = 10
  return s
}

/**
 * Callers that give up connecting before the SYN-ACK can be back: 200 ms client RTT, connect
 * timeout 150 ms. Each SYN still reaches HAProxy's kernel, gets a request sock, and its SYN-ACK
 * meets a closed socket: the client's kernel resets, the request sock goes (EmbryonicRsts).
 */
function abandonedConnects(): Scenario {
  const s = open(base('client-connect-timeout-0.15s-rtt-200ms'), 20, 3)
  s.network.clientRttMs = 200
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.haproxy!.globalMaxconn = 1000
  s.clients.connectTimeoutS = 0.15
  s.clients.requestTimeoutS = 10
  return s
}

/** RTT clients <-> front: 30 ms in front of HAProxy raises its concurrent sessions (Little's law). */
function clientRtt(): Scenario {
  const s = open(base('client-rtt-30ms'), 150, 6)
  s.network.clientRttMs = 30
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.haproxy!.globalMaxconn = 1000
  return s
}

/** Workers per server: a generic worker pool (php-fpm children) with a lognormal service time. */
function workers(): Scenario {
  const s = open(base('generic-4-workers-lognormal'), 60, 5)
  s.backend.kind = 'generic'
  s.backend.workers = 4
  s.backend.listenBacklog = 511
  s.backend.serviceTime = { kind: 'lognormal', p50S: 0.04, p99S: 0.2 }
  s.backend.phpFpm = { children: 4, listenBacklog: 511, socket: 'unix' }
  s.haproxy!.globalMaxconn = 1000
  return s
}

/** Workers per server: the generic row with 2 workers instead of 4 (1.5x overload: the backlog grows). */
function workers2(): Scenario {
  const s = workers()
  s.name = 'generic-2-workers-lognormal'
  s.backend.workers = 2
  s.backend.phpFpm = { ...s.backend.phpFpm, children: 2 }
  return s
}

/** tcp_max_syn_backlog with syncookies 0 (semantics.md 2.1, the 3/4 rule): 128 SYNs at once over a 30 ms RTT, bind backlog 1024. */
function synBacklog(): Scenario {
  const s = open(base('syn-backlog-64-syncookies-0'), 12800, 0.01)
  s.network.clientRttMs = 30
  s.backend.serviceTime = { kind: 'constant', s: 0.1 }
  s.hosts.proxy.syncookies = 0
  s.hosts.proxy.tcpMaxSynBacklog = 64
  s.haproxy!.globalMaxconn = 1000
  s.haproxy!.frontendMaxconn = 1000
  s.haproxy!.bindBacklog = 1024
  return s
}

/** php-fpm listen.backlog 8 with somaxconn 4096 (the pool's own backlog, not the sysctl): ab straight to nginx, unix socket. */
function fpmBacklog(): Scenario {
  const s = closed(base('fpm-listen-backlog-8'), 64, 640)
  s.haproxy = null
  s.backend.kind = 'nginx-php-fpm'
  s.backend.serviceTime = { kind: 'constant', s: 0.005 }
  s.backend.nginx = { workers: 2, workerConnections: 4096, listenBacklog: 511, fastcgiConnectTimeoutS: 60 }
  s.backend.phpFpm = { children: 4, listenBacklog: 8, socket: 'unix' }
  s.hosts.backend.somaxconn = 4096
  return s
}

/**
 * The same pool on TCP (127.0.0.1:9000): a full accept queue no longer fails nginx's connect at
 * once (EAGAIN, 502) but drops its SYN or, with the handshake done, its ACK
 * (tcp_abort_on_overflow 0): nginx's connect waits for the kernel's retransmits (1 s, 3 s, ...),
 * ListenOverflows rise on the app host, and php-fpm closes first (TIME_WAIT on its side).
 */
function fpmBacklogTcp(): Scenario {
  const s = fpmBacklog()
  s.name = 'fpm-tcp-listen-backlog-8'
  s.backend.phpFpm = { ...s.backend.phpFpm, socket: 'tcp' }
  return s
}

/**
 * The TCP pool with more children than its accept queue holds (16 children, listen.backlog 8) and
 * twice the users: the model says each retransmit burst admits only the accept queue (9) while the
 * idle children wait for the burst to end; measured, most runs do that, some admit 7-9 more in the
 * early waves (docs/simulator.md, "An unseen check").
 */
function fpmBacklogTcpChildren16(): Scenario {
  const s = fpmBacklogTcp()
  s.name = 'fpm-tcp-listen-backlog-8-children-16'
  s.clients = { ...s.clients, concurrency: 128, totalRequests: 1280 }
  s.backend.phpFpm = { ...s.backend.phpFpm, children: 16 }
  return s
}

/** pm.max_children behind HAProxy: 40 conn/s of 100 ms PHP work (4 busy on average), php-fpm over a unix socket. */
function fpmChildren(children: number): Scenario {
  const s = open(base(`fpm-children-${children}`), 40, 5)
  s.backend.kind = 'nginx-php-fpm'
  s.backend.serviceTime = { kind: 'constant', s: 0.1 }
  s.backend.nginx = { workers: 1, workerConnections: 1024, listenBacklog: 511, fastcgiConnectTimeoutS: 60 }
  s.backend.phpFpm = { children, listenBacklog: 511, socket: 'unix' }
  s.haproxy!.globalMaxconn = 1000
  return s
}

/**
 * A CPU-bound php-fpm on one core: each request is 10 ms of CPU (`backend.cpu` share 1), php-fpm
 * is pinned to one CPU (taskset) behind HAProxy + nginx as in fpmChildren, and one core serves
 * ~1 / (10 ms + php-fpm's own work per request) whatever the children. php-fpm listens on TCP
 * (127.0.0.1:9000, listen.backlog 511, somaxconn 4096) so that its accept queue is sampled; at
 * 150/s the ~300 requests that pile up in 5 s fit in it (512), in nginx (2 connections each of
 * 1024) and in HAProxy (maxconn 1000, no server maxconn: nothing waits in HAProxy), and the last
 * waits ~3 s, far below timeout server and the clients' 30 s: the overload stays a queue.
 */
function cpuFpm(children: number, rate: number, share = 1): Scenario {
  const s = fpmChildren(children)
  s.name = `cpu-1-core-${share < 1 ? `share-${share}-` : ''}php-fpm-children-${children}-rate-${rate}`
  s.clients.loadCurve = [{ tS: 0, rate }]
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.backend.phpFpm = { ...s.backend.phpFpm, socket: 'tcp' }
  s.backend.cpu = { cores: 1, share }
  return s
}

/** Server count: the server-queue scenario with two servers (roundrobin), twice the slots. */
function twoServers(): Scenario {
  const s = serverQueue()
  s.name = 'servers-2-maxconn-4-queue-1s'
  s.haproxy!.servers = [
    { name: 's1', maxconn: 4, maxqueue: 0, weight: 1 },
    { name: 's2', maxconn: 4, maxqueue: 0, weight: 1 }
  ]
  return s
}

/** timeout connect + retries: the backend's SYN-ACK comes back after 200 ms (RTT), later than timeout connect 100 ms, so every attempt times out. */
function connectRetries(): Scenario {
  const s = open(base('timeout-connect-0.1s-retries-2'), 20, 3)
  s.network.backendRttMs = 200
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.haproxy!.globalMaxconn = 1000
  s.haproxy!.timeoutConnectS = 0.1
  s.haproxy!.retries = 2
  return s
}

/**
 * A server that is down while its host is up: nothing listens on s2's address and port, so its
 * host resets every connect (ECONNREFUSED). HAProxy retries the same server after its turn-around,
 * min(timeout connect, 1 s), 3 times, then 503; with `option redispatch` (roundrobin) every retry
 * goes to s1 at once.
 */
function serverRefuses(redispatch: boolean): Scenario {
  const s = open(base(`server-refuses-retries-3${redispatch ? '-redispatch' : ''}`), 10, 5)
  s.drainS = 10
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.haproxy!.globalMaxconn = 1000
  s.haproxy!.retries = 3
  s.haproxy!.redispatch = redispatch
  s.haproxy!.servers = [
    { name: 's1', maxconn: 0, maxqueue: 0, weight: 1 },
    { name: 's2', maxconn: 0, maxqueue: 0, weight: 1, refuses: true }
  ]
  return s
}

/**
 * The same with health checks on both servers (`check inter 2s`, rise 2, fall 3): HAProxy starts
 * each health at rise, so s2 goes DOWN at its first failed check, which start_checks spreads to
 * 1 s after HAProxy's start (inter x place / checked servers); until then roundrobin sends it
 * every other request. `allDown`: s1 refuses too, and is checked at HAProxy's start, so every
 * request meets s2 until it is DOWN as well, and then none is left: 503 at once.
 */
function serverRefusesCheck(redispatch: boolean, allDown: boolean): Scenario {
  const s = serverRefuses(redispatch)
  s.name = allDown ? 'servers-all-down-check' : `server-refuses-check${redispatch ? '-redispatch' : ''}`
  for (const sv of s.haproxy!.servers) {
    sv.check = { interMs: 2000, fastinterMs: null, downinterMs: null, rise: 2, fall: 3 }
    if (allDown) sv.refuses = true
  }
  return s
}

/**
 * A server that dies while HAProxy has it fully UP (health rise + fall - 1): s2 stops listening
 * at t = 2 s (nginx reloads without it), and HAProxy, checking every 1 s, has it DOWN after
 * `fall` (3) failed checks; the requests roundrobin gives it meanwhile are refused and retried
 * (503 after 3 s), or with `option redispatch` go to s1 at once.
 */
function serverDiesCheck(redispatch: boolean): Scenario {
  const s = serverRefuses(redispatch)
  s.name = `server-dies-check-fall-3${redispatch ? '-redispatch' : ''}`
  s.durationS = 7
  for (const sv of s.haproxy!.servers) sv.check = { interMs: 1000, fastinterMs: null, downinterMs: null, rise: 2, fall: 3 }
  s.haproxy!.servers[1]!.downAtS = 2
  return s
}

/**
 * `option httpchk` on a server whose php-fpm falls behind: 4 children x 100 ms serve 40 req/s of
 * the 60 offered, so php-fpm's backlog grows by 20 a second, and each check (`GET /`, served by
 * the same PHP) waits behind it. Once the wait passes inter (2 s) the checks time out (L7TOUT), the
 * server is DOWN after fall (3) of them and every request gets 503 at once; the backlog drains
 * and the checks pass again (rise 2). A layer-4 check would see nothing: nginx accepts at once.
 */
function httpchkBusyFpm(): Scenario {
  const s = fpmChildren(4)
  s.name = 'httpchk-busy-php-fpm'
  s.clients.loadCurve = [{ tS: 0, rate: 60 }]
  s.durationS = 20
  s.drainS = 15
  s.haproxy!.httpCheck = true
  s.haproxy!.servers = s.haproxy!.servers.map((sv) => ({ ...sv, check: { interMs: 2000, fastinterMs: null, downinterMs: null, rise: 2, fall: 3 } }))
  return s
}

/**
 * The same busy php-fpm with its checks on a static URL (`GET /health`, nginx's `location =
 * /health { return 200; }`): the checks never reach php-fpm, so they pass, the server stays UP and
 * no request gets 503; the requests wait in php-fpm's backlog instead.
 */
function httpchkStaticBusyFpm(): Scenario {
  const s = httpchkBusyFpm()
  s.name = 'httpchk-static-busy-php-fpm'
  s.haproxy!.httpCheckEndpoint = 'static'
  return s
}

/** Connections to servers: keep-alive (the lab renders `http-reuse safe`) over a 60 ms backend RTT, one request per client connection. */
function serverKeepAlive(): Scenario {
  const s = open(base('server-keepalive-backend-rtt-60ms'), 40, 5)
  s.network.backendRttMs = 60
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.haproxy!.globalMaxconn = 1000
  s.haproxy!.serverConnections = 'keep-alive'
  return s
}

/**
 * Client source IPs: the client host has a port range of 50 and closes first (TIME_WAIT on its
 * side), 40 conn/s for 3 s = 120 connections. One address runs out of ports after 50; the open-loop
 * client binds `ips` addresses round-robin (50 ports each).
 */
function clientIps(ips: number): Scenario {
  const s = open(base(`client-ports-50-source-ips-${ips}`), 40, 3)
  s.drainS = 10
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.hosts.client.ipLocalPortRange = [40000, 40049]
  s.haproxy!.globalMaxconn = 1000
  s.clients.sourceIps = ips
  return s
}

/** Clients behind NAT: half of the connections from 4 hosts masqueraded by a `nat` namespace, the rest from 2 routed addresses. */
function clientsNat(): Scenario {
  const s = open(base('clients-nat-share-0.5'), 40, 3)
  s.drainS = 10
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.haproxy!.globalMaxconn = 1000
  s.clients.sourceIps = 2
  s.clients.natShare = 0.5
  s.clients.natHosts = 4
  return s
}

/**
 * Keep-alive clients and `http-reuse`: 20 connections/s for 5 s, each sending 10 requests back
 * to back (HTTP/1.1) before the client closes; one server, 10 ms of work, server connections
 * kept alive under the given http-reuse mode.
 */
function keepAliveReuse(mode: HttpReuse): Scenario {
  const s = open(base(`keepalive-clients-reuse-${mode}`), 20, 5)
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.clients.keepAlive = true
  s.clients.requestsPerConnection = 10
  s.haproxy!.globalMaxconn = 1000
  s.haproxy!.serverConnections = 'keep-alive'
  s.haproxy!.httpReuse = mode
  return s
}

/** A scenario under another name (the same load driven by another tool). */
function renamed(s: Scenario, name: string): Scenario {
  s.name = name
  return s
}

/**
 * Client source IPs in the closed loop (the lab's closed-loop client; ab cannot bind): 10 users,
 * 150 requests, HTTP/1.1 and the client closes first (TIME_WAIT on its side), client port range 50.
 */
function closedClientIps(ips: number): Scenario {
  const s = closed(base(`closed-client-ports-50-source-ips-${ips}`), 10, 150)
  s.drainS = 10
  s.clients.closesFirst = 'client'
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.hosts.client.ipLocalPortRange = [40000, 40049]
  s.haproxy!.globalMaxconn = 1000
  s.clients.sourceIps = ips
  return s
}

/** Closed loop behind NAT: 8 users, 160 requests, half from 4 NAT hosts, the rest from 2 routed addresses. */
function closedNat(): Scenario {
  const s = closed(base('closed-clients-nat-share-0.5'), 8, 160)
  s.drainS = 10
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.haproxy!.globalMaxconn = 1000
  s.clients.sourceIps = 2
  s.clients.natShare = 0.5
  s.clients.natHosts = 4
  return s
}

/** Closed-loop users with a 0.5 s connect timeout against maxconn 10 (200 ms work): SYNs dropped at the full accept queue give up before their 1 s retransmission. */
function closedConnectTimeout(): Scenario {
  const s = closed(base('closed-connect-timeout-0.5s'), 30, 300)
  s.durationS = 5
  s.drainS = 10
  s.backend.serviceTime = { kind: 'constant', s: 0.2 }
  s.haproxy!.globalMaxconn = 10
  s.haproxy!.frontendMaxconn = 10
  s.clients.connectTimeoutS = 0.5
  s.clients.requestTimeoutS = 10
  return s
}

/** Closed loop following a user curve: 5 users, then 30 from 2.5 s (read at whole seconds: 30 from t = 3 s), 6 s, against maxconn 20 (100 ms work). */
function closedCurve(): Scenario {
  const s = closed(base('closed-users-curve-5-to-30'), 30, 0)
  s.durationS = 6
  s.drainS = 10
  s.clients.loadCurve = [
    { tS: 0, rate: 5 },
    { tS: 2.5, rate: 5 },
    { tS: 2.5, rate: 30 },
    { tS: 6, rate: 30 }
  ]
  s.haproxy!.globalMaxconn = 20
  s.haproxy!.frontendMaxconn = 20
  return s
}

/** RTT jitter: backend RTT 30 ms, jitter 0..20 ms per packet on both links (delay link), 100 conn/s for 5 s. */
function jitter(): Scenario {
  const s = open(base('rtt-30ms-jitter-20ms'), 100, 5)
  s.network.backendRttMs = 30
  s.network.jitterMs = 20
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.haproxy!.globalMaxconn = 1000
  return s
}

/** HAProxy source IPs: proxy port range of 50, tcp_tw_reuse 0, mode tcp (the proxy closes first), 40 conn/s for 4 s = 160 connections from `ips` addresses. */
function proxyIps(ips: number): Scenario {
  const s = open(base(`proxy-ports-50-source-ips-${ips}`), 40, 4)
  s.backend.serviceTime = { kind: 'constant', s: 0.01 }
  s.hosts.proxy.ipLocalPortRange = [40000, 40049]
  s.hosts.proxy.twReuse = 0
  s.haproxy!.mode = 'tcp'
  s.haproxy!.globalMaxconn = 2000
  s.haproxy!.timeoutConnectS = 2
  s.haproxy!.sourceIps = ips
  return s
}

/**
 * Queues when the one server is at maxconn 2 (maxqueue 2, timeout queue 3 s): 30 conn/s of
 * 200 ms work for 3 s against 10/s of capacity. roundrobin / leastconn / source decide whether
 * the waiting requests sit in the backend queue (not capped by maxqueue) or in the server's.
 */
function queueBalance(balance: 'roundrobin' | 'leastconn' | 'source'): Scenario {
  const s = open(base(`queue-maxconn-2-maxqueue-2-${balance}`), 30, 3)
  s.backend.serviceTime = { kind: 'constant', s: 0.2 }
  s.haproxy!.globalMaxconn = 1000
  s.haproxy!.servers = [{ name: 's1', maxconn: 2, maxqueue: 2, weight: 1 }]
  s.haproxy!.balance = balance
  s.haproxy!.timeoutQueueS = 3
  return s
}

/**
 * nginx out of worker_connections (the lab's floor, 64): it keeps accepting and closes what it
 * has no connection for, unread, so those callers get a reset and its listen queue stays empty.
 * 100 conn/s straight to nginx for 3 s, each held 1 s.
 */
function nginxWorkerConnections(): Scenario {
  const s = open(base('nginx-worker-connections-64'), 100, 3)
  s.haproxy = null
  s.backend.serviceTime = { kind: 'constant', s: 1 }
  s.backend.nginx = { ...s.backend.nginx, workers: 1, workerConnections: 64 }
  return s
}

/** All report scenarios, in docs/fidelity.md order. */
export function labScenarios(): LabScenarioEntry[] {
  return [
    { id: 'report2-somaxconn-8', what: 'Field report 2: nginx + php-fpm (4 children, 5 ms), `somaxconn=8`, syncookies 0, `ab -c 128 -n 1280` straight to nginx', scenario: report2(8) },
    { id: 'report2-somaxconn-8-abort', what: 'Field report 2 with `tcp_abort_on_overflow=1` on the backend host: overflowing final ACKs at nginx and php-fpm get a reset instead of a silent drop', scenario: (() => { const s = report2(8); s.name = 'report2-somaxconn-8-abort'; s.hosts.backend.abortOnOverflow = 1; return s })() },
    { id: 'report2-somaxconn-8-c512', what: 'Field report 2 at the shared seed-backlog-8 case\'s load, `ab -c 512 -n 5120`: ~500 of nginx\'s connects to php-fpm wait on SYN retransmits (fastcgi_connect_timeout 60 s); how the drops split between a full accept queue (ListenOverflows) and a full SYN queue (TCPReqQFullDrop) varies from run to run', scenario: report2Seed() },
    { id: 'report2-somaxconn-1024', what: 'Field report 2, fixed: the same with `somaxconn=1024`', scenario: report2(1024) },
    { id: 'report2-somaxconn-1024-c512-wc1024', what: 'Field report 2\'s fix at the report\'s own load and nginx: `somaxconn=1024`, `ab -c 512 -n 5120`, one nginx worker with `worker_connections 1024`, php-fpm on a unix socket. A request waiting for php-fpm holds two of nginx\'s connections, so 512 need 1024 plus nginx\'s own 2. With 1/16 of its connections or fewer free nginx resets those still waiting for their request ("reusing connections" in its log), and with none free the new one; the model has only the second', scenario: report2FixedWc() },
    { id: 'report1-maxconn-20', what: 'Field report 1 scaled: HAProxy maxconn 20 under 80 closed-loop clients (echo 100 ms)', scenario: report1Maxconn(20) },
    { id: 'report1-maxconn-100', what: 'Field report 1, fixed: maxconn raised to 100, same load', scenario: report1Maxconn(100) },
    { id: 'report1-maxconn-20-nbthread-2', what: 'report1-maxconn-20 with `nbthread 2`: one listener socket shared by both threads (HAProxy 2.6 has no per-thread shards), the same accept queue and maxconn', scenario: (() => { const s = renamed(report1Maxconn(20), 'report1-maxconn-20-nbthread-2'); s.haproxy!.nbthread = 2; return s })() },
    { id: 'report1-rtt-0ms', what: 'Field report 1, before the move: 150 conn/s open loop, maxconn 25, backend RTT 0', scenario: report1Rtt(0) },
    { id: 'report1-rtt-30ms', what: 'Field report 1, after the move: backend RTT 30 ms (TUN delay link), same load', scenario: report1Rtt(30) },
    { id: 'ports-200-tw_reuse-0', what: 'Field report 1 sysctls: proxy port range of 200, `tcp_tw_reuse=0`, 20 conn/s (mode tcp)', scenario: ports(0) },
    { id: 'ports-200-tw_reuse-1', what: 'The same with `tcp_tw_reuse=1`', scenario: ports(1) },
    { id: 'ports-200-tw_reuse-2', what: 'The same with `tcp_tw_reuse=2`, the default since 4.19: it reuses TIME_WAIT ports only towards loopback, and this server is across a veth, so the 200 ports run out as with 0', scenario: ports(2) },
    { id: 'ports-200-tw_reuse-2-loopback', what: 'The same with the server on the proxy host (127.0.0.1, loopback): `tcp_tw_reuse=2` now reuses a TIME_WAIT port once it is 1 s old (`tcp_tw_reuse_delay`), so all 300 connect with 200 ports', scenario: (() => { const s = ports(2); s.name = 'ports-200-tw_reuse-2-loopback'; s.haproxy!.servers = s.haproxy!.servers.map((sv) => ({ ...sv, loopback: true })); return s })() },
    { id: 'ports-200-tw_reuse-0-tw_buckets-50', what: 'ports-200-tw_reuse-0 with `net.ipv4.tcp_max_tw_buckets=50` on the proxy host: past 50 TIME_WAIT sockets the kernel closes at once instead (TCPTimeWaitOverflow), so the 200 ports never run out; the knob looks like a fix and only hides TIME_WAIT', scenario: (() => { const s = ports(0); s.name = 'ports-200-tw_reuse-0-tw_buckets-50'; s.hosts.proxy.maxTwBuckets = 50; return s })() },
    { id: 'accept-overflow-b16-burst128', what: 'Slider knobs backlog/maxconn: frontend maxconn 32, bind backlog 16, 128 connections at once, syncookies 0', scenario: burst() },
    { id: 'server-maxconn-4-queue-1s', what: 'Slider knobs server maxconn/timeout queue: maxconn 4, queue 1 s, 60 conn/s of 200 ms work', scenario: serverQueue() },
    { id: 'accept-overflow-b16-burst128-syncookies', what: 'The burst with `tcp_syncookies=1`', scenario: burstWith('accept-overflow-b16-burst128-syncookies', (s) => (s.hosts.proxy.syncookies = 1)) },
    { id: 'accept-overflow-b16-burst128-syncookies-2', what: 'The burst with `tcp_syncookies=2`: every SYN is answered with a cookie, room or not (TCPReqQFullDoCookies counts each one, SyncookiesSent each one sent), so there is no SYN queue; a SYN that finds the accept queue full is still dropped first (ListenOverflows), and a cookie ACK that finds it full is dropped and retried by the client\'s resends', scenario: burstWith('accept-overflow-b16-burst128-syncookies-2', (s) => (s.hosts.proxy.syncookies = 2)) },
    { id: 'accept-overflow-b16-burst128-abort', what: 'The burst with `tcp_abort_on_overflow=1`: overflowing final ACKs get a reset', scenario: burstWith('accept-overflow-b16-burst128-abort', (s) => (s.hosts.proxy.abortOnOverflow = 1)) },
    { id: 'proxy-somaxconn-16-burst128', what: 'The burst with the bind backlog unset and `net.core.somaxconn=16` on the proxy host: HAProxy asks for its frontend maxconn (32) as backlog, the kernel clamps it to 16 (accept queue 17), the same queue as `backlog 16`', scenario: burstWith('proxy-somaxconn-16-burst128', (s) => { s.hosts.proxy.somaxconn = 16; s.haproxy!.bindBacklog = null }) },
    { id: 'fd-limit-1024-maxconn-5000', what: 'Field report 1 `ulimit -n`: HAProxy started without root, fd limit 1024:1024, global maxconn 5000', scenario: fdLimit() },
    { id: 'fd-limit-256-maxconn-computed', what: 'HAProxy 2.x computes maxconn from the fd limit: no global maxconn, started without root under `ulimit -n` 256:256, 160 closed-loop clients (echo 100 ms)', scenario: fdComputed() },
    { id: 'callbacks-connect-timeout-0.5s', what: 'Field report 1 lost callbacks: 80 conn/s of 200 ms work against maxconn 10, senders give up connecting after 0.5 s', scenario: callbacks() },
    { id: 'client-rtt-30ms', what: 'RTT clients <-> HAProxy 30 ms (TUN delay link), 150 conn/s', scenario: clientRtt() },
    { id: 'client-connect-timeout-0.15s-rtt-200ms', what: 'Callers that give up connecting after 150 ms over a 200 ms round trip (TUN delay link): every SYN still reaches HAProxy\'s kernel and gets a request sock; its SYN-ACK finds the caller\'s socket closed, the caller\'s kernel resets, and the reset removes the request sock (EmbryonicRsts)', scenario: abandonedConnects() },
    { id: 'generic-4-workers-lognormal', what: 'Workers per server: 4 php-fpm workers, lognormal service time (p50 40 ms, p99 200 ms), 60 conn/s', scenario: workers() },
    { id: 'generic-2-workers-lognormal', what: 'The same with 2 workers (1.5x overload): requests wait in the backlog', scenario: workers2() },
    { id: 'syn-backlog-64-syncookies-0', what: '`tcp_max_syn_backlog=64` with `tcp_syncookies=0` on the proxy (the 3/4 rule, semantics.md 2.1): 128 SYNs at once over a 30 ms client RTT, bind backlog 1024', scenario: synBacklog() },
    { id: 'fpm-listen-backlog-8', what: 'php-fpm `listen.backlog=8` (somaxconn 4096): 4 children, 5 ms, unix socket, `ab -c 64 -n 640` straight to nginx', scenario: fpmBacklog() },
    { id: 'fpm-tcp-listen-backlog-8', what: 'The same pool on TCP (`listen = 127.0.0.1:9000`, `listen.backlog=8`): nginx\'s connects to a full accept queue are not refused but dropped (SYN, or the handshake\'s last ACK with tcp_abort_on_overflow 0), so they wait for the kernel\'s retransmits instead of failing with 502; ListenOverflows rise on the app host, and php-fpm closes first (TIME_WAIT on its side)', scenario: fpmBacklogTcp() },
    { id: 'fpm-tcp-listen-backlog-8-children-16', what: 'The TCP pool with 16 children (more than its accept queue of 9 holds) under `ab -c 128 -n 1280`: nginx\'s connects that lose their SYNs come back in bursts from the kernel\'s timers, and a burst mostly admits only the accept queue although children are idle, since a child woken inside a softirq burst runs after it (in some runs the children take a few more); the requests whose ACKs overflowed come back in waves of resends, the last ~27 s after the start', scenario: fpmBacklogTcpChildren16() },
    { id: 'fpm-children-8', what: 'php-fpm `pm.max_children=8` behind HAProxy: 40 conn/s of 100 ms PHP work', scenario: fpmChildren(8) },
    { id: 'fpm-children-2', what: 'php-fpm `pm.max_children=2`, same load: 2x overload, requests wait in php-fpm\'s backlog', scenario: fpmChildren(2) },
    { id: 'cpu-1-core-php-fpm-children-4-rate-60', what: 'A CPU-bound php-fpm on one core (`backend.cpu`: 1 core, share 1): each request burns 10 ms of its child\'s own CPU time, php-fpm is pinned to one CPU (`taskset -c 0`) behind HAProxy + nginx, 4 children on TCP, 60 conn/s for 5 s: below what the core can do (~97/s: the 10 ms plus ~0.3 ms of php-fpm\'s own CPU per request), so a request seldom meets another and holds its child ~10 ms', scenario: cpuFpm(4, 60) },
    { id: 'cpu-1-core-php-fpm-children-4-rate-150', what: 'The same at 150 conn/s, above what one core can do: php-fpm completes ~96/s, the rest wait in its accept queue (127.0.0.1:9000, backlog 511), the last answered ~3 s after the load ends; the 4 runnable children share the core, so each request holds its child ~4 x 10 ms', scenario: cpuFpm(4, 150) },
    { id: 'cpu-1-core-php-fpm-children-16-rate-150', what: 'The same overload with 16 children. A model that ignores CPU gives 16 children of 10 ms 1600/s of capacity; on one real core they still complete ~96/s, and as the 16 share it each request holds its child ~16 x 10 ms instead of ~4 x 10 ms. The accept queue is only 12 requests shorter and the requests still leave in arrival order at the core\'s rate, so the end-to-end latency barely changes: more children add time in the child, not throughput', scenario: cpuFpm(16, 150) },
    { id: 'cpu-1-core-share-0.5-php-fpm-children-4-rate-150', what: 'cpu-1-core-php-fpm-children-4-rate-150 with half of each request\'s 10 ms on the CPU (`backend.cpu` share 0.5: 5 ms burned, 5 ms slept): one core now serves ~190/s, so the same 150 conn/s fit and no queue builds', scenario: cpuFpm(4, 150, 0.5) },
    { id: 'nginx-worker-connections-64', what: 'nginx `worker_connections 64` (one worker), 100 conn/s straight to it for 3 s, each held 1 s: past 62 open connections (its listening socket and the channel to the master hold the other 2) nginx accepts and closes each new one unread ("worker_connections are not enough"), so the caller gets a reset at once; the listen queue never fills', scenario: nginxWorkerConnections() },
    { id: 'servers-2-maxconn-4-queue-1s', what: 'Server count 2 (roundrobin): the server-maxconn-4-queue-1s load on two servers', scenario: twoServers() },
    { id: 'server-refuses-retries-3', what: 'A server down while its host is up (nothing listens on s2\'s port): its host resets each connect; HAProxy retries s2 after its turn-around, min(timeout connect, 1 s), 3 times, then answers 503 (econ); 10 conn/s roundrobin over s1 and s2', scenario: serverRefuses(false) },
    { id: 'server-refuses-check', what: 'The down server with health checks (`check inter 2s`): HAProxy starts every health at rise, so s2 is DOWN after its first failed check, 1 s after HAProxy\'s start (start_checks spreads the first checks over inter by the server\'s place); the requests roundrobin gave it before that still retry it 3 times (503 after 3 s), later ones all go to s1', scenario: serverRefusesCheck(false, false) },
    { id: 'server-refuses-check-redispatch', what: 'The same with `option redispatch`: the few requests that meet s2 before it is DOWN go to s1 at once (wredis)', scenario: serverRefusesCheck(true, false) },
    { id: 'servers-all-down-check', what: 'Both servers down, both checked: s1 is DOWN at its first check (at HAProxy\'s start), so every request meets s2 (retried, 503 after 3 s) until s2 is DOWN too, 1 s after the start; from then on no server is left and HAProxy answers 503 at once, counted in BACKEND econ only', scenario: serverRefusesCheck(false, true) },
    { id: 'server-dies-check-fall-3', what: 'A server that dies during the run: s2 stops listening at 2 s (nginx reloads without it) while HAProxy has it fully UP; checked every 1 s it is DOWN after fall = 3 failed checks, and until then the requests roundrobin gives it are refused and retried, 503 after 3 s', scenario: serverDiesCheck(false) },
    { id: 'httpchk-busy-php-fpm', what: '`option httpchk` on a server whose php-fpm falls behind (4 children x 100 ms for 60 req/s): each check waits behind the growing backlog, times out after inter (L7TOUT) once the wait passes 2 s, the server is DOWN after fall = 3 of them and every request gets 503 at once until the backlog has drained and rise = 2 checks pass', scenario: httpchkBusyFpm() },
    { id: 'httpchk-static-busy-php-fpm', what: 'the same busy php-fpm with its checks on a static URL (`option httpchk GET /health`, nginx `location = /health { return 200; }`): the checks never reach php-fpm and pass, the server stays UP, no request gets 503, and the requests wait in php-fpm\'s backlog instead', scenario: httpchkStaticBusyFpm() },
    { id: 'server-dies-check-fall-3-redispatch', what: 'The same with `option redispatch`: until s2 is DOWN its requests go to s1 at once (wredis)', scenario: serverDiesCheck(true) },
    { id: 'server-refuses-retries-3-redispatch', what: 'The same with `option redispatch`: with roundrobin over more than one server HAProxy redispatches every retry at once, no turn-around (stream.c: \"we don\'t care about this particular server\"), so every request that met s2 goes to s1 within milliseconds; counted in wredis, not wretr', scenario: serverRefuses(true) },
    { id: 'timeout-connect-0.1s-retries-2', what: 'HAProxy `timeout connect 100ms`, `retries 2` against a backend 200 ms RTT away (no SYN-ACK in time): every attempt times out, 503', scenario: connectRetries() },
    { id: 'server-keepalive-backend-rtt-60ms', what: 'Connections to servers keep-alive, backend RTT 60 ms, 40 conn/s. The lab renders `http-reuse safe`, and with one request per client connection HAProxy 2.6 never reuses (safe keeps a session\'s first request on its own connection): the backend saw one connection per request, so this row checks the simulator\'s keep-alive against no reuse', scenario: serverKeepAlive() },
    { id: 'client-ports-50-source-ips-1', what: 'Client port range of 50, the client closes first (TIME_WAIT on its side), 40 conn/s for 3 s from one source address', scenario: clientIps(1) },
    { id: 'client-ports-50-source-ips-4', what: 'The same from 4 client source addresses (10.200.1.10-13 on the client side of the link, bound round-robin by the open-loop client; `ab` cannot bind, so closed-loop rows stay at 1)', scenario: clientIps(4) },
    { id: 'keepalive-clients-reuse-never', what: 'Keep-alive clients (10 requests per connection, HTTP/1.1, 20 conn/s for 5 s) and `http-reuse never`: each client session keeps its own private server connection and HAProxy closes it when the session ends', scenario: keepAliveReuse('never') },
    { id: 'keepalive-clients-reuse-safe', what: 'The same with `http-reuse safe` (the 2.x default): a session\'s first request opens a server connection, its later ones take any idle one; idle connections outlive the session', scenario: keepAliveReuse('safe') },
    { id: 'keepalive-clients-reuse-always', what: 'The same with `http-reuse always`: first requests take idle connections too, so the server sees a handful of connections for all 1000 requests', scenario: keepAliveReuse('always') },
    { id: 'queue-maxconn-2-maxqueue-2-roundrobin', what: 'One server at `maxconn 2 maxqueue 2`, `timeout queue 3s`, 30 conn/s of 200 ms work (3x its capacity), `balance roundrobin`: requests wait in the backend queue, which maxqueue does not cap', scenario: queueBalance('roundrobin') },
    { id: 'queue-maxconn-2-maxqueue-2-leastconn', what: 'The same with `balance leastconn`: HAProxy 2.x leastconn still picks a full server while served + queued < maxconn + maxqueue, so 2 requests wait in the server queue and the rest in the backend queue', scenario: queueBalance('leastconn') },
    { id: 'queue-maxconn-2-maxqueue-2-source', what: 'The same with `balance source` (hash): the request is bound to the server, waits in its queue up to maxqueue 2, beyond that gets 503 at once (econ)', scenario: queueBalance('source') },
    { id: 'clients-nat-share-0.5', what: 'Clients behind NAT: half of 120 connections from 4 hosts that a `nat` namespace masquerades (nftables) to one address, the rest from 2 routed addresses: HAProxy sees 3 client addresses. This kernel has no `tcp_tw_recycle`, so NAT changes only the (src, dst, dport) tuples at the proxy, no PAWS drops', scenario: clientsNat() },
    { id: 'report1-maxconn-100-sample-2ms', what: 'Sampler validation: report1-maxconn-100 with sockets read every 2 ms (~5 ms in practice: a read of /proc/net/tcp takes that long) instead of 100 ms. Every 100 ms the 80 responses leave HAProxy within a few ms and the 80 clients reconnect at once; HAProxy forwards the burst of responses before it accepts again, so its accept queue fills for a few ms, which the 100 ms samples of report1-maxconn-100 never caught', scenario: renamed(report1Maxconn(100), 'report1-maxconn-100-sample-2ms'), sampleMs: 2 },
    { id: 'report1-maxconn-100-node-driver', what: 'Driver validation: report1-maxconn-100 driven by the lab\'s closed-loop client instead of ab (80 users, 800 requests, HTTP/1.0)', scenario: renamed(report1Maxconn(100), 'report1-maxconn-100-node-driver'), driver: 'node' },
    { id: 'report1-maxconn-20-node-driver', what: 'Driver validation: report1-maxconn-20 (SYN drops at the full accept queue) driven by the lab\'s closed-loop client instead of ab', scenario: renamed(report1Maxconn(20), 'report1-maxconn-20-node-driver'), driver: 'node' },
    { id: 'closed-client-ports-50-source-ips-1', what: 'Closed loop (the lab\'s client), 10 users, 150 requests, the client closes first, client port range 50, one source address', scenario: closedClientIps(1), driver: 'node' },
    { id: 'closed-client-ports-50-source-ips-4', what: 'The same from 4 client source addresses bound round-robin (ab cannot bind)', scenario: closedClientIps(4) },
    { id: 'closed-clients-nat-share-0.5', what: 'Closed loop behind NAT: 8 users, 160 requests, half of them from 4 hosts masqueraded by the `nat` namespace, the rest from 2 routed addresses', scenario: closedNat() },
    { id: 'closed-connect-timeout-0.5s', what: 'Closed loop with a client connect timeout of 0.5 s: 30 users against maxconn 10 (200 ms work), 5 s', scenario: closedConnectTimeout() },
    { id: 'closed-users-curve-5-to-30', what: 'Closed loop following the load curve: 5 users, 30 from 2.5 s (the curve is read every whole second), 6 s, maxconn 20, 100 ms work', scenario: closedCurve() },
    { id: 'rtt-30ms-jitter-20ms', what: 'RTT jitter: backend RTT 30 ms plus 0..20 ms per packet and direction on both links (seeded, per-flow order kept), 100 conn/s for 5 s', scenario: jitter() },
    { id: 'proxy-ports-50-source-ips-1', what: 'Proxy port range of 50, `tcp_tw_reuse=0`, mode tcp, 40 conn/s for 4 s, HAProxy connects from one address', scenario: proxyIps(1) },
    { id: 'proxy-ports-50-source-ips-4', what: 'The same with 4 HAProxy source addresses (4 server lines, each with its own `source`)', scenario: proxyIps(4) }
  ]
}

