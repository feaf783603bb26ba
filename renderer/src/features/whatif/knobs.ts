/**
 * Every knob the what-if sliders offer, grouped as the system is. Each knob knows where it
 * lives in the scenario, its valid range (values outside are refused at the input, with the
 * reason), what the system really makes of it (the effective value, e.g. a backlog clamped
 * by somaxconn) and one line on what it really does (from shared/semantics.md).
 */
import {
  allServersLoopback,
  defaultServerCheck,
  effectiveBacklog,
  haproxyEffectiveLimits,
  haproxyHasThreads,
  kernelHz,
  kernelTraits,
  KERNEL_PROFILES,
  NGINX_RESERVED_CONNS,
  serverDownAtS,
  timerAt,
  twReuseApplies,
  type KernelConfig,
  type Scenario
} from '../../../../simulator/scenario'

export type KnobGroup = 'Clients' | 'Network' | 'Proxy host kernel' | 'Backend host kernel' | 'HAProxy global' | 'HAProxy frontend' | 'HAProxy backend' | 'Backend servers'

export interface NumberKnob {
  kind: 'number'
  id: string
  group: KnobGroup
  label: string
  unit?: string
  min: number
  max: number
  step: number
  /** Slider scale: log for ranges spanning orders of magnitude. */
  scale?: 'linear' | 'log'
  /** null allowed (e.g. "unset: version default"). */
  nullable?: string
  get(s: Scenario): number | null
  set(s: Scenario, v: number | null): void
  effective?(s: Scenario): string
  explain: string
  /** Only shown when this holds (e.g. HAProxy knobs when there is a proxy). */
  when?(s: Scenario): boolean
  /** Cross-field check; a string is the reason the value is refused. */
  check?(s: Scenario, v: number | null): string | null
}

export interface ChoiceKnob {
  kind: 'choice'
  id: string
  group: KnobGroup
  label: string
  options: { value: string; label: string }[]
  get(s: Scenario): string
  set(s: Scenario, v: string): void
  effective?(s: Scenario): string
  explain: string
  when?(s: Scenario): boolean
}

export type Knob = NumberKnob | ChoiceKnob

const hasProxy = (s: Scenario): boolean => s.haproxy !== null
const front = (s: Scenario): KernelConfig => (s.haproxy ? s.hosts.proxy : s.hosts.backend)
const lim = (s: Scenario) => (s.haproxy ? haproxyEffectiveLimits(s.haproxy, s.hosts.proxy.somaxconn) : null)

function kernelKnobs(host: 'proxy' | 'backend', group: KnobGroup): Knob[] {
  const k = (s: Scenario): KernelConfig => s.hosts[host]
  const relevant = host === 'proxy' ? hasProxy : () => true
  return [
    {
      kind: 'choice',
      id: `${host}.kernel`,
      group,
      label: 'kernel profile',
      options: KERNEL_PROFILES.map((p) => ({ value: p, label: p })),
      get: (s) => kernelTraits(k(s).version).profile,
      set: (s, v) => {
        k(s).version = v
        // Settings that do not exist in the chosen era fall back to what that kernel has.
        const t = kernelTraits(v)
        if (!t.twRecycle) k(s).twRecycle = 0
        if (!t.twReuse2 && k(s).twReuse === 2) k(s).twReuse = 0
        if (!t.syncookies2 && k(s).syncookies === 2) k(s).syncookies = 1
      },
      effective: (s) => `${k(s).version}`,
      explain: 'queue rules and SYN retry timing differ: <=4.8 admits SYNs to a full accept queue, 6.5+ retries SYNs 1 s apart',
      when: relevant
    },
    {
      kind: 'number',
      id: `${host}.somaxconn`,
      group,
      label: 'net.core.somaxconn',
      min: 0,
      max: 65535,
      step: 1,
      scale: 'log',
      get: (s) => k(s).somaxconn,
      set: (s, v) => {
        k(s).somaxconn = v ?? 4096
      },
      effective: (s) => `caps every listen() backlog; accept queue = min(backlog, ${k(s).somaxconn}) + 1`,
      explain: 'clamps each listen() backlog when the daemon calls listen(): raise it, then reload the daemon',
      when: relevant
    },
    {
      kind: 'number',
      id: `${host}.tcpMaxSynBacklog`,
      group,
      label: 'net.ipv4.tcp_max_syn_backlog',
      min: 8,
      max: 1 << 20,
      step: 1,
      scale: 'log',
      get: (s) => k(s).tcpMaxSynBacklog,
      set: (s, v) => {
        k(s).tcpMaxSynBacklog = v ?? 1024
      },
      effective: (s) => (k(s).syncookies === 0 ? 'with syncookies off: SYNs dropped beyond 3/4 of it' : 'irrelevant with syncookies on (4.4+)'),
      explain: 'not the SYN queue size on 4.4+ (that is the backlog); only the 3/4 drop threshold with syncookies=0',
      when: relevant
    },
    {
      kind: 'choice',
      id: `${host}.syncookies`,
      group,
      label: 'net.ipv4.tcp_syncookies',
      options: [
        { value: '0', label: '0 off' },
        { value: '1', label: '1 when full (default)' },
        { value: '2', label: '2 always' }
      ],
      get: (s) => String(k(s).syncookies),
      set: (s, v) => {
        k(s).syncookies = Number(v) as 0 | 1 | 2
      },
      explain: '0: a full SYN queue drops SYNs (clients retry after 1 s); 1: it answers with cookies instead',
      when: relevant
    },
    {
      kind: 'choice',
      id: `${host}.abortOnOverflow`,
      group,
      label: 'net.ipv4.tcp_abort_on_overflow',
      options: [
        { value: '0', label: '0 drop the ACK (default)' },
        { value: '1', label: '1 reset' }
      ],
      get: (s) => String(k(s).abortOnOverflow),
      set: (s, v) => {
        k(s).abortOnOverflow = Number(v) as 0 | 1
      },
      explain: 'accept queue full at the final ACK: 0 lets the client retry (it completes later), 1 resets it at once',
      when: relevant
    },
    {
      kind: 'number',
      id: `${host}.portLow`,
      group,
      label: 'ip_local_port_range (low)',
      min: 1024,
      max: 65535,
      step: 1,
      get: (s) => k(s).ipLocalPortRange[0],
      set: (s, v) => {
        k(s).ipLocalPortRange = [v ?? 32768, k(s).ipLocalPortRange[1]]
      },
      check: (s, v) => (v !== null && v >= k(s).ipLocalPortRange[1] ? 'the low end must be below the high end' : null),
      effective: (s) => {
        const [lo, hi] = k(s).ipLocalPortRange
        const p = hi - lo + 1 - k(s).reservedPorts
        return `${p} ports per destination ≈ ${Math.round(p / 60)} new conn/s with TIME_WAIT on this side`
      },
      explain: 'outgoing connections only (proxy -> backend); the limit is per (source IP, destination IP, port)',
      when: relevant
    },
    {
      kind: 'number',
      id: `${host}.portHigh`,
      group,
      label: 'ip_local_port_range (high)',
      min: 1025,
      max: 65535,
      step: 1,
      get: (s) => k(s).ipLocalPortRange[1],
      set: (s, v) => {
        k(s).ipLocalPortRange = [k(s).ipLocalPortRange[0], v ?? 60999]
      },
      check: (s, v) => (v !== null && v <= k(s).ipLocalPortRange[0] ? 'the high end must be above the low end' : null),
      explain: 'a wider range lifts the per-destination budget: 32768-60999 ≈ 470 conn/s, 10240-61000 ≈ 846 conn/s',
      when: relevant
    },
    {
      kind: 'choice',
      id: `${host}.twReuse`,
      group,
      label: 'net.ipv4.tcp_tw_reuse',
      options: [
        { value: '0', label: '0 off' },
        { value: '1', label: '1 on' },
        { value: '2', label: '2 loopback only' }
      ],
      get: (s) => String(k(s).twReuse),
      set: (s, v) => {
        k(s).twReuse = Number(v) as 0 | 1 | 2
      },
      effective: (s) => (k(s).twReuse !== 0 && k(s).timestamps === 0 ? 'no effect: needs tcp_timestamps=1' : `${k(s).twReuse}`),
      explain: 'lets outgoing connect() reuse a TIME_WAIT port after ~1 s (needs timestamps); 2 only towards loopback addresses (127.0.0.1: servers or a front on the same host), not towards other hosts; never affects accepted connections',
      when: relevant
    },
    {
      kind: 'choice',
      id: `${host}.twRecycle`,
      group,
      label: 'net.ipv4.tcp_tw_recycle',
      options: [
        { value: '0', label: '0 off' },
        { value: '1', label: '1 on (harmful)' }
      ],
      get: (s) => String(k(s).twRecycle),
      set: (s, v) => {
        k(s).twRecycle = Number(v) as 0 | 1
      },
      explain: 'drops SYNs from clients behind NAT (non-monotonic timestamps); removed in 4.12',
      when: (s) => relevant(s) && kernelTraits(k(s).version).twRecycle
    },
    {
      kind: 'choice',
      id: `${host}.hz`,
      group,
      label: 'CONFIG_HZ (kernel build)',
      options: [
        { value: 'default', label: 'profile default' },
        { value: '100', label: '100' },
        { value: '250', label: '250 (Debian, Ubuntu)' },
        { value: '300', label: '300' },
        { value: '1000', label: '1000 (RHEL, CentOS)' }
      ],
      get: (s) => (k(s).hz == null ? 'default' : String(k(s).hz)),
      set: (s, v) => {
        if (v === 'default') delete k(s).hz
        else k(s).hz = Number(v)
      },
      effective: (s) => {
        const hz = kernelHz(k(s))
        const wheel = kernelTraits(k(s).version)
        if (wheel.major * 1000 + wheel.minor < 4008) return `${hz} Hz: timers fire on their jiffy (pre-4.8 wheel)`
        return `${hz} Hz: a 1 s SYN retry fires after ${(timerAt(0, 1, true, hz) * 1000).toFixed(0)} ms`
      },
      explain: 'timer-wheel granularity (4.8+): retransmit timers round up to 8^level jiffies, so retried SYNs leave in bursts and drift against the load\'s rhythm',
      when: relevant
    }
  ]
}

export const KNOBS: Knob[] = [
  {
    kind: 'choice',
    id: 'clients.mode',
    group: 'Clients',
    label: 'load model',
    options: [
      { value: 'open', label: 'open loop (new connections/s)' },
      { value: 'closed', label: 'closed loop (concurrent users)' }
    ],
    get: (s) => s.clients.mode,
    set: (s, v) => {
      s.clients.mode = v as 'open' | 'closed'
    },
    explain: 'open: arrivals do not wait for answers (callbacks, public traffic); closed: each user waits (ab -c)'
  },
  {
    kind: 'number',
    id: 'clients.concurrency',
    group: 'Clients',
    label: 'concurrent users (ab -c)',
    min: 1,
    max: 100000,
    step: 1,
    scale: 'log',
    get: (s) => s.clients.concurrency,
    set: (s, v) => {
      s.clients.concurrency = v ?? 1
    },
    explain: 'closed loop: users that each send one request at a time',
    when: (s) => s.clients.mode === 'closed' && s.clients.loadCurve.length === 0
  },
  {
    kind: 'number',
    id: 'clients.totalRequests',
    group: 'Clients',
    label: 'total requests (ab -n)',
    min: 0,
    max: 10_000_000,
    step: 1,
    scale: 'log',
    get: (s) => s.clients.totalRequests,
    set: (s, v) => {
      s.clients.totalRequests = v ?? 0
    },
    explain: '0 runs until the duration ends',
    when: (s) => s.clients.mode === 'closed'
  },
  {
    kind: 'choice',
    id: 'clients.tool',
    group: 'Clients',
    label: 'users behave as',
    options: [
      { value: 'generic', label: 'generic users (all start at once)' },
      { value: 'ab', label: 'ApacheBench (ab -c -n)' }
    ],
    get: (s) => s.clients.tool ?? 'generic',
    set: (s, v) => {
      if (v === 'ab') s.clients.tool = 'ab'
      else delete s.clients.tool
    },
    effective: (s) =>
      s.clients.keepAlive
        ? 'keep-alive: generic users (ab -k is modelled as one connection per user)'
        : s.clients.tool === 'ab'
          ? `first request alone, extra idle connects near the end; ${s.clients.requestTimeoutS != null ? `gives up after ${s.clients.requestTimeoutS} s without a socket event (-s)` : 'no -s: waits for ever'}`
          : 'one connection per request',
    explain:
      "replaying an ab run: ab sends one request first, then starts the others; it counts a request when written, so near the end it opens connections it never uses (HAProxy: ereq, 400/408, held maxconn slots). It has no timeout per request: its -s (the scenario's request timeout, 30 s by default) ends the whole run when none of its connections had an event for that long",
    when: (s) => s.clients.mode === 'closed' && s.clients.totalRequests > 0 && s.clients.loadCurve.length === 0
  },
  {
    kind: 'number',
    id: 'clients.connectTimeoutS',
    group: 'Clients',
    label: 'client connect timeout',
    unit: 's',
    min: 0.1,
    max: 300,
    step: 0.1,
    nullable: 'kernel SYN retries only',
    get: (s) => s.clients.connectTimeoutS,
    set: (s, v) => {
      s.clients.connectTimeoutS = v
    },
    effective: (s) => {
      const t = s.clients.connectTimeoutS
      if (t == null) return ''
      return t * 1000 <= s.network.clientRttMs
        ? `below the ${s.network.clientRttMs} ms round trip: no connect can succeed; each SYN still takes a request sock at the front until the caller's reset (EmbryonicRsts)`
        : ''
    },
    explain: 'callers with short connect timeouts give up after the 1 s / 3 s SYN retransmits: silent loss; one close to the round trip also leaves request socks at the front until the caller resets them'
  },
  {
    kind: 'number',
    id: 'clients.requestTimeoutS',
    group: 'Clients',
    label: 'client request timeout',
    unit: 's',
    min: 0.1,
    max: 3600,
    step: 0.1,
    nullable: 'none: callers wait for ever',
    get: (s) => s.clients.requestTimeoutS,
    set: (s, v) => {
      s.clients.requestTimeoutS = v
    },
    effective: (s) =>
      // the simulator's ApacheBench mode (model.ts abMode): closed loop with a total, no keep-alive, no curve
      s.clients.tool === 'ab' && s.clients.mode === 'closed' && !s.clients.keepAlive && s.clients.totalRequests > 0 && s.clients.loadCurve.length === 0
        ? s.clients.requestTimeoutS != null
          ? `ab -s ${s.clients.requestTimeoutS}: the whole run ends after ${s.clients.requestTimeoutS} s without an event on any connection`
          : 'ab without -s limit: it waits for ever'
        : s.clients.requestTimeoutS != null
          ? `each request given up ${s.clients.requestTimeoutS} s after it started (connect included)`
          : 'requests wait for ever',
    explain:
      'how long a caller waits for its answer (a callback sender, an app with a socket timeout): requests stuck behind a full accept queue or an overloaded backend end as timeouts. ApacheBench has no such timeout: its -s gives up the whole run instead'
  },
  {
    kind: 'number',
    id: 'clients.natShare',
    group: 'Clients',
    label: 'clients behind NAT',
    unit: '%',
    min: 0,
    max: 100,
    step: 1,
    get: (s) => Math.round(s.clients.natShare * 100),
    set: (s, v) => {
      s.clients.natShare = (v ?? 0) / 100
    },
    explain: 'matters with tcp_tw_recycle on <= 4.11: their SYNs are dropped'
  },
  {
    kind: 'number',
    id: 'network.clientRttMs',
    group: 'Network',
    label: 'RTT clients ↔ front',
    unit: 'ms',
    min: 0,
    max: 1000,
    step: 0.5,
    get: (s) => s.network.clientRttMs,
    set: (s, v) => {
      s.network.clientRttMs = v ?? 0
    },
    explain: 'longer round trips keep each session open longer: more concurrent sessions at the same rate (Little)'
  },
  {
    kind: 'number',
    id: 'network.backendRttMs',
    group: 'Network',
    label: 'RTT proxy ↔ backends',
    unit: 'ms',
    min: 0,
    max: 1000,
    step: 0.5,
    get: (s) => s.network.backendRttMs,
    set: (s, v) => {
      s.network.backendRttMs = v ?? 0
    },
    explain: 'a datacenter move raises this: concurrency = rate x time in system, until maxconn binds',
    when: hasProxy
  },
  ...kernelKnobs('proxy', 'Proxy host kernel'),
  ...kernelKnobs('backend', 'Backend host kernel'),
  {
    kind: 'choice',
    id: 'haproxy.version',
    group: 'HAProxy global',
    label: 'HAProxy version',
    options: [
      { value: '1.x', label: '1.x (maxconn default 2000)' },
      { value: '2.x+', label: '2.x+ (maxconn from the fd limit)' }
    ],
    get: (s) => (s.haproxy && /^1/.test(s.haproxy.version) ? '1.x' : '2.x+'),
    set: (s, v) => {
      if (s.haproxy) s.haproxy.version = v
    },
    explain: '1.x: global and frontend maxconn default to 2000; 2.0+: computed from the fd limit, frontend = global',
    when: hasProxy
  },
  {
    kind: 'number',
    id: 'haproxy.globalMaxconn',
    group: 'HAProxy global',
    label: 'global maxconn',
    min: 1,
    max: 1_000_000,
    step: 1,
    scale: 'log',
    nullable: 'unset (version default)',
    get: (s) => s.haproxy?.globalMaxconn ?? null,
    set: (s, v) => {
      if (s.haproxy) s.haproxy.globalMaxconn = v
    },
    effective: (s) => {
      const l = lim(s)
      return l ? (l.starts ? `${l.maxconn} (maxsock ${l.maxsock})` : 'HAProxy does not start') : ''
    },
    explain: 'beyond it HAProxy stops accepting: the kernel accept queue fills, then SYNs are dropped, invisible in stats',
    when: hasProxy
  },
  {
    kind: 'number',
    id: 'haproxy.fdSoft',
    group: 'HAProxy global',
    label: 'fd limit (ulimit -n)',
    min: 64,
    max: 1_048_576,
    step: 1,
    scale: 'log',
    get: (s) => s.haproxy?.fdSoft ?? null,
    set: (s, v) => {
      if (s.haproxy) {
        s.haproxy.fdSoft = v ?? 1024
        if (s.haproxy.fdHard < s.haproxy.fdSoft) s.haproxy.fdHard = s.haproxy.fdSoft
      }
    },
    effective: (s) => {
      const l = lim(s)
      return l ? `Ulimit-n ${l.ulimitN}${s.haproxy?.startedAsRoot ? ' (root raises it to maxsock itself)' : ''}` : ''
    },
    explain: 'started as root, HAProxy sets its own limit from maxconn; the shell ulimit matters only unprivileged',
    when: hasProxy
  },
  {
    kind: 'number',
    id: 'haproxy.nbthread',
    group: 'HAProxy global',
    label: 'threads (nbthread)',
    min: 1,
    max: 64,
    step: 1,
    get: (s) => s.haproxy?.nbthread ?? null,
    set: (s, v) => {
      if (s.haproxy) s.haproxy.nbthread = v ?? 1
    },
    check: (s, v) => (v !== null && v > 1 && s.haproxy && !haproxyHasThreads(s.haproxy.version) ? `HAProxy ${s.haproxy.version} has no threads (nbthread came with 1.8)` : null),
    effective: (s) => {
      const l = lim(s)
      return l && l.starts ? `maxsock ${l.maxsock}` : ''
    },
    explain: 'events spread over the threads (~30 us of CPU per response each): one thread tops out near 30k responses/s; each thread also holds 3 fds (poller, wake pipe), so maxsock grows',
    when: hasProxy
  },
  {
    kind: 'number',
    id: 'haproxy.frontendMaxconn',
    group: 'HAProxy frontend',
    label: 'frontend maxconn',
    min: 1,
    max: 1_000_000,
    step: 1,
    scale: 'log',
    nullable: 'unset (version default)',
    get: (s) => s.haproxy?.frontendMaxconn ?? null,
    set: (s, v) => {
      if (s.haproxy) s.haproxy.frontendMaxconn = v
    },
    effective: (s) => String(lim(s)?.frontendMaxconn ?? ''),
    explain: 'the frontend row\'s slim: when scur reaches it, the listener pauses and the kernel queue fills',
    when: hasProxy
  },
  {
    kind: 'number',
    id: 'haproxy.bindBacklog',
    group: 'HAProxy frontend',
    label: 'bind backlog',
    min: 0,
    max: 1_000_000,
    step: 1,
    scale: 'log',
    nullable: 'unset (= maxconn)',
    get: (s) => s.haproxy?.bindBacklog ?? null,
    set: (s, v) => {
      if (s.haproxy) s.haproxy.bindBacklog = v
    },
    effective: (s) => {
      const l = lim(s)
      return l ? `listen(${l.backlogRequested}) → B = ${l.backlogEffective}, accept queue ${l.backlogEffective + 1}` : ''
    },
    explain: 'precedence: bind backlog, frontend backlog, bind maxconn, frontend maxconn; then clamped by somaxconn',
    when: hasProxy
  },
  {
    kind: 'number',
    id: 'haproxy.serverMaxconn',
    group: 'HAProxy backend',
    label: 'server maxconn',
    min: 0,
    max: 100000,
    step: 1,
    get: (s) => s.haproxy?.servers[0]?.maxconn ?? null,
    set: (s, v) => {
      if (s.haproxy) for (const sv of s.haproxy.servers) sv.maxconn = v ?? 0
    },
    effective: (s) =>
      (s.haproxy?.servers[0]?.maxconn ?? 0) === 0
        ? 'unlimited: overload reaches the servers'
        : s.haproxy?.balance === 'source'
          ? "excess requests wait in their server's queue (hash balance)"
          : 'excess requests wait in the backend queue',
    explain: 'with a queue timeout, overload becomes fast 503s instead of silent SYN drops',
    when: hasProxy
  },
  {
    kind: 'number',
    id: 'haproxy.serverMaxqueue',
    group: 'HAProxy backend',
    label: 'server maxqueue',
    min: 0,
    max: 100000,
    step: 1,
    get: (s) => s.haproxy?.servers[0]?.maxqueue ?? null,
    set: (s, v) => {
      if (s.haproxy) for (const sv of s.haproxy.servers) sv.maxqueue = v ?? 0
    },
    effective: (s) => {
      const h = s.haproxy
      if (!h || (h.servers[0]?.maxqueue ?? 0) === 0) return 'unlimited'
      if (h.balance === 'source') return "caps the server's queue: requests beyond it get 503 at once"
      if (h.balance === 'leastconn') return "a full server takes this many in its own queue, the rest wait in the backend queue"
      return 'no effect with roundrobin: waiting requests sit in the backend queue, which maxqueue does not cap'
    },
    explain: "caps only a server's own queue (requests bound to it by hash or persistence), never the backend queue",
    when: hasProxy
  },
  {
    kind: 'choice',
    id: 'haproxy.balance',
    group: 'HAProxy backend',
    label: 'balance',
    options: [
      { value: 'roundrobin', label: 'roundrobin' },
      { value: 'leastconn', label: 'leastconn' },
      { value: 'source', label: 'source (hash of the client address)' }
    ],
    get: (s) => s.haproxy?.balance ?? 'roundrobin',
    set: (s, v) => {
      if (s.haproxy) s.haproxy.balance = v as 'roundrobin' | 'leastconn' | 'source'
    },
    explain: 'roundrobin/leastconn skip full servers (backend queue); a hash sticks to its server even when full (server queue, maxqueue, 503)',
    when: hasProxy
  },
  {
    kind: 'number',
    id: 'haproxy.timeoutQueueS',
    group: 'HAProxy backend',
    label: 'timeout queue',
    unit: 's',
    min: 0.001,
    max: 3600,
    step: 0.1,
    nullable: 'unset (= timeout connect)',
    get: (s) => s.haproxy?.timeoutQueueS ?? null,
    set: (s, v) => {
      if (s.haproxy) s.haproxy.timeoutQueueS = v
    },
    explain: 'a request queued longer gets 503 (counted in econ)',
    when: hasProxy
  },
  {
    kind: 'number',
    id: 'haproxy.timeoutConnectS',
    group: 'HAProxy backend',
    label: 'timeout connect',
    unit: 's',
    min: 0.001,
    max: 3600,
    step: 0.1,
    get: (s) => s.haproxy?.timeoutConnectS ?? null,
    set: (s, v) => {
      if (s.haproxy) s.haproxy.timeoutConnectS = v ?? 5
    },
    effective: (s) => {
      const t = s.haproxy?.timeoutConnectS
      if (t == null) return ''
      return t * 1000 <= s.network.backendRttMs
        ? `below the ${s.network.backendRttMs} ms round trip to the servers: every attempt times out (503 after the retries), each leaving a request sock at the server until HAProxy's kernel resets it (EmbryonicRsts)`
        : ''
    },
    explain: 'a server that does not answer the SYN in time: retry (up to retries), then 503',
    when: hasProxy
  },
  {
    kind: 'number',
    id: 'haproxy.retries',
    group: 'HAProxy backend',
    label: 'retries',
    min: 0,
    max: 100,
    step: 1,
    get: (s) => s.haproxy?.retries ?? null,
    set: (s, v) => {
      if (s.haproxy) s.haproxy.retries = v ?? 3
    },
    explain: 'connection attempts after the first (wretr); one after a refused connect waits min(timeout connect, 1 s) first',
    when: hasProxy
  },
  {
    kind: 'choice',
    id: 'haproxy.redispatch',
    group: 'HAProxy backend',
    label: 'option redispatch',
    options: [
      { value: 'off', label: 'off (retries stay on the server)' },
      { value: 'on', label: 'on' }
    ],
    get: (s) => (s.haproxy?.redispatch ? 'on' : 'off'),
    set: (s, v) => {
      if (s.haproxy) s.haproxy.redispatch = v === 'on'
    },
    effective: (s) => {
      const h = s.haproxy
      if (!h || !h.redispatch) return ''
      if (h.servers.length < 2) return 'one server: nowhere to redispatch to'
      return h.balance === 'roundrobin'
        ? 'roundrobin over several servers: every retry goes to another server at once, without the turn-around (counted in wredis)'
        : `${h.balance}: the last retry goes to another server, after the turn-around (counted in wredis)`
    },
    explain: "lets a retry leave the server it was assigned to: on the last retry, and with roundrobin on every retry, at once (stream.c: \"we don't care about this particular server\")",
    when: hasProxy
  },
  {
    kind: 'choice',
    id: 'haproxy.serverConnections',
    group: 'HAProxy backend',
    label: 'connections to servers',
    options: [
      { value: 'per-request', label: 'one per request (http-server-close)' },
      { value: 'keep-alive', label: 'kept alive (http-reuse decides who reuses)' }
    ],
    get: (s) => s.haproxy?.serverConnections ?? 'per-request',
    set: (s, v) => {
      if (s.haproxy) s.haproxy.serverConnections = v as 'per-request' | 'keep-alive'
    },
    explain: 'reuse removes the per-request connect, its TIME_WAIT and its source port: the real fix for port exhaustion',
    when: hasProxy
  },
  {
    kind: 'choice',
    id: 'haproxy.httpReuse',
    group: 'HAProxy backend',
    label: 'http-reuse',
    options: [
      { value: 'never', label: 'never (private to the client session)' },
      { value: 'safe', label: 'safe (2.x default)' },
      { value: 'aggressive', label: 'aggressive' },
      { value: 'always', label: 'always' }
    ],
    get: (s) => s.haproxy?.httpReuse ?? 'safe',
    set: (s, v) => {
      if (s.haproxy) s.haproxy.httpReuse = v as 'never' | 'safe' | 'aggressive' | 'always'
    },
    effective: (s) => {
      const h = s.haproxy
      if (!h || h.mode !== 'http') return 'mode tcp: no reuse'
      if (h.serverConnections !== 'keep-alive') return 'no effect: one server connection per request'
      const mode = h.httpReuse ?? 'safe'
      const ka = s.clients.keepAlive && s.clients.requestsPerConnection > 1
      if (mode === 'always') return 'every request may take an idle server connection'
      if (!ka) return 'one request per client connection: nothing is reused (only always would)'
      return mode === 'never' ? "a session reuses only its own connection, closed when it ends" : "a session's later requests take idle connections"
    },
    explain: "who may take an idle server connection: never = its own session only; safe = not a session's first request; aggressive = first requests only connections already reused; always = anyone",
    when: hasProxy
  },
  {
    kind: 'number',
    id: 'haproxy.servers',
    group: 'Backend servers',
    label: 'server count',
    min: 1,
    max: 256,
    step: 1,
    get: (s) => s.haproxy?.servers.length ?? s.backend.servers,
    set: (s, v) => {
      const n = v ?? 1
      if (s.haproxy) {
        const tpl = s.haproxy.servers[0] ?? { name: 's1', maxconn: 0, maxqueue: 0, weight: 1 }
        s.haproxy.servers = Array.from({ length: n }, (_, i) => s.haproxy!.servers[i] ?? { ...tpl, name: `s${i + 1}` })
      }
      s.backend.servers = n
    },
    explain: 'horizontal scaling: each server adds workers and its own (src, dst, port) source-port space',
    when: hasProxy
  },
  {
    kind: 'choice',
    id: 'haproxy.serversLoopback',
    group: 'Backend servers',
    label: 'where the servers are',
    options: [
      { value: 'remote', label: 'other hosts' },
      { value: 'loopback', label: 'this host (127.0.0.1)' }
    ],
    get: (s) => (allServersLoopback(s.haproxy) ? 'loopback' : 'remote'),
    set: (s, v) => {
      if (s.haproxy) s.haproxy.servers = s.haproxy.servers.map((sv) => ({ ...sv, loopback: v === 'loopback' }))
    },
    effective: (s) => {
      const h = s.haproxy
      if (!h) return ''
      const n = h.servers.filter((sv) => sv.loopback === true).length
      const where = n === 0 ? 'all on other hosts' : n === h.servers.length ? 'all on this host' : `mixed: ${n} of ${h.servers.length} on this host`
      const k = s.hosts.proxy
      // towards all of them when it reaches the farthest kind among them
      const local = twReuseApplies(k, true)
      const reachesAll = twReuseApplies(k, n === h.servers.length)
      const reuse = reachesAll ? 'reuses TIME_WAIT ports towards them' : n > 0 && local ? 'reuses TIME_WAIT ports towards the local ones only' : 'reuses no TIME_WAIT ports towards them'
      const rtt = n === h.servers.length && s.network.backendRttMs > 0 ? ` (the RTT to them is still ${s.network.backendRttMs} ms: on this host it is ~0)` : ''
      return `${where}; tcp_tw_reuse=${k.twReuse} ${reuse}${rtt}`
    },
    explain: 'a server on 127.0.0.1 is the only destination tcp_tw_reuse=2 (the default since 4.19) reuses TIME_WAIT ports for; towards other hosts 2 acts as 0',
    when: hasProxy
  },
  {
    kind: 'number',
    id: 'haproxy.serversDown',
    group: 'Backend servers',
    label: 'servers down (refusing connections)',
    min: 0,
    max: 256,
    step: 1,
    get: (s) => s.haproxy?.servers.filter((sv) => sv.refuses === true).length ?? null,
    set: (s, v) => {
      const h = s.haproxy
      if (!h) return
      const n = Math.min(v ?? 0, h.servers.length)
      // the last n servers are down
      h.servers = h.servers.map((sv, i) => ({ ...sv, refuses: i >= h.servers.length - n }))
    },
    effective: (s) => {
      const h = s.haproxy
      if (!h) return ''
      const n = h.servers.filter((sv) => sv.refuses === true).length
      if (n === 0) return ''
      if (h.servers.some((sv) => serverDownAtS(sv) !== null)) return `${n} of ${h.servers.length} go down during the run (see "they go down at")`
      const wait = Math.min(h.timeoutConnectS, 1)
      // checked servers that refuse are DOWN (HAProxy running since before the run): never chosen
      const checked = h.servers.filter((sv) => sv.refuses === true && sv.check).length
      if (checked === h.servers.length) return 'all down and DOWN by their health checks: every request gets 503 at once (no server available)'
      if (checked === n) return `${n} of ${h.servers.length} down and DOWN by their health checks: the other ${h.servers.length - n} take every request`
      if (n === h.servers.length) return `all down: every request fails after ${h.retries} retries, ${h.retries} x ${wait} s of turn-around`
      if (h.redispatch && h.balance === 'roundrobin') return `${n} of ${h.servers.length} down: their requests go to another server at once (option redispatch, roundrobin)`
      if (h.redispatch) return `${n} of ${h.servers.length} down: their requests reach another server on the last retry, after ${h.retries} x ${wait} s`
      return `${n} of ${h.servers.length} down: their requests get 503 after ${h.retries} retries, ${h.retries} x ${wait} s of turn-around`
    },
    check: (s, v) => (s.haproxy && v !== null && v > s.haproxy.servers.length ? `at most the ${s.haproxy.servers.length} servers there are` : null),
    explain: 'nothing listens on their port while their host is up: each connect gets a reset, HAProxy retries after min(timeout connect, 1 s); without health checks it keeps choosing them, with them it has them DOWN and sends their share to the others',
    when: hasProxy
  },
  {
    kind: 'number',
    id: 'haproxy.serversDownAtS',
    group: 'Backend servers',
    label: 'they go down at',
    unit: 's',
    min: 0.001,
    max: 86400,
    step: 1,
    nullable: 'from the start',
    get: (s) => s.haproxy?.servers.find((sv) => sv.refuses === true)?.downAtS ?? null,
    set: (s, v) => {
      const h = s.haproxy
      if (!h) return
      h.servers = h.servers.map((sv) => (sv.refuses === true ? { ...sv, downAtS: v } : sv))
    },
    effective: (s) => {
      const h = s.haproxy
      const down = h?.servers.filter((sv) => serverDownAtS(sv) !== null) ?? []
      if (!h || !down.length) return ''
      const ck = down[0]!.check
      if (!ck) return `they serve until ${down[0]!.downAtS} s, then refuse every connect; without health checks HAProxy keeps choosing them`
      const fast = (ck.fastinterMs ?? ck.interMs) / 1000
      return `they serve until ${down[0]!.downAtS} s; HAProxy has them DOWN after ${ck.fall} failed checks, about ${ck.interMs / 1000 + (ck.fall - 1) * fast} s later at most (inter ${ck.interMs / 1000} s, then fastinter ${fast} s)`
    },
    explain: 'a server that dies while HAProxy has it UP: until its checks fail `fall` times in a row, roundrobin keeps sending it its share, which is refused and retried (or redispatched)',
    when: (s) => s.haproxy !== null && s.haproxy.servers.some((sv) => sv.refuses === true)
  },
  {
    kind: 'choice',
    id: 'haproxy.healthChecks',
    group: 'Backend servers',
    label: 'health checks (check)',
    options: [
      { value: 'off', label: 'off' },
      { value: 'on', label: 'on (layer 4)' },
      { value: 'http', label: 'on (option httpchk, the app answers)' },
      { value: 'http-static', label: 'on (option httpchk, a static URL)' }
    ],
    get: (s) => (s.haproxy?.servers.some((sv) => sv.check) ? (s.haproxy.httpCheck ? (s.haproxy.httpCheckEndpoint === 'static' ? 'http-static' : 'http') : 'on') : 'off'),
    set: (s, v) => {
      const h = s.haproxy
      if (!h) return
      // keep each server's own check settings when there are some
      h.servers = h.servers.map((sv) => ({ ...sv, check: v !== 'off' ? sv.check ?? defaultServerCheck() : null }))
      if (v !== 'off') h.httpCheck = v === 'http' || v === 'http-static'
      if (h.httpCheck) h.httpCheckEndpoint = v === 'http-static' ? 'static' : 'app'
    },
    effective: (s) => {
      const h = s.haproxy
      const ck = h?.servers.find((sv) => sv.check)?.check
      if (!h || !ck) return ''
      const started = h.startedS == null ? 'HAProxy running since before the run: a server that refuses is DOWN already' : `HAProxy started at ${h.startedS} s: a server that refuses is DOWN at its first check`
      const inter = ck.interMs / 1000
      const to = h.timeoutCheckS != null ? Math.min(h.timeoutConnectS, inter) : inter
      const kind = h.httpCheck && h.httpCheckEndpoint === 'static'
        ? `each check is a request to a static URL that nginx answers itself (no php-fpm child; a worker server still needs a free worker): it fails only when nginx cannot take it (SOCKERR), the listen queue drops its SYNs (L4TOUT) or a worker stays busy past ${h.timeoutCheckS != null ? `max(${to}, timeout check ${h.timeoutCheckS}) s` : `inter = ${inter} s`} (L7TOUT)`
        : h.httpCheck
        ? `each check is a request the server serves like any other: it fails when the answer takes more than ${h.timeoutCheckS != null ? `max(${to}, timeout check ${h.timeoutCheckS}) s` : `inter = ${inter} s`} (L7TOUT), on a 5xx (L7STS) or a reset (SOCKERR)`
        : `a check whose SYNs a full queue drops fails after ${to} s`
      return `inter ${inter} s, rise ${ck.rise}, fall ${ck.fall}; ${kind}; ${started}; +1 fd each in maxsock`
    },
    explain:
      'HAProxy checks each server every inter: a layer-4 check fails when its connect fails (refused, or every SYN dropped by a full listen queue until the check times out); with option httpchk the check is an HTTP request that also waits behind the requests queued for the server\'s workers or php-fpm children, unless its URL is static (nginx answers it without php-fpm). A server is DOWN once its health falls from rise + fall - 1 to 0, leaves the balancing, and with none left a request gets 503 at once',
    when: hasProxy
  },
  {
    kind: 'number',
    id: 'haproxy.timeoutCheckS',
    group: 'Backend servers',
    label: 'timeout check',
    unit: 's',
    min: 0.001,
    max: 3600,
    step: 0.1,
    nullable: 'unset (the check has inter)',
    get: (s) => s.haproxy?.timeoutCheckS ?? null,
    set: (s, v) => {
      if (s.haproxy) s.haproxy.timeoutCheckS = v
    },
    effective: (s) => {
      const h = s.haproxy
      const ck = h?.servers.find((sv) => sv.check)?.check
      if (!h || !ck) return 'no server is checked'
      const inter = ck.interMs / 1000
      return h.timeoutCheckS != null ? `a check's connect gives up after min(timeout connect, inter) = ${Math.min(h.timeoutConnectS, inter)} s` : `unset: a check gives up after inter = ${inter} s`
    },
    explain: 'set, a check\'s connect is bounded by timeout connect (and inter); unset, the whole check has inter',
    when: (s) => !!s.haproxy?.servers.some((sv) => sv.check)
  },
  {
    kind: 'number',
    id: 'backend.workers',
    group: 'Backend servers',
    label: 'workers per server',
    min: 1,
    max: 100000,
    step: 1,
    scale: 'log',
    get: (s) => s.backend.workers,
    set: (s, v) => {
      s.backend.workers = v ?? 1
    },
    explain: 'requests beyond the busy workers wait in the server\'s listen queue',
    when: (s) => s.backend.kind === 'generic'
  },
  {
    kind: 'number',
    id: 'backend.nginx.workerConnections',
    group: 'Backend servers',
    label: 'nginx worker_connections',
    min: 3,
    max: 1048576,
    step: 1,
    scale: 'log',
    get: (s) => s.backend.nginx.workerConnections,
    set: (s, v) => {
      s.backend.nginx.workerConnections = v ?? 1024
    },
    effective: (s) => {
      const n = s.backend.nginx
      const per = s.backend.kind === 'nginx-php-fpm' ? 2 : 1
      const open = n.workers * Math.max(1, n.workerConnections - NGINX_RESERVED_CONNS)
      return `${n.workers} worker${n.workers === 1 ? '' : 's'} x (${n.workerConnections} - ${NGINX_RESERVED_CONNS} of its own): ${Math.floor(open / per)} requests at once${per === 2 ? ' (each holds its client and its FastCGI connection)' : ''}; past that nginx resets what it accepts`
    },
    explain: 'every open connection takes one, FastCGI ones to php-fpm too; at the limit nginx accepts and closes new connections at once (a reset), it does not leave them in the listen queue. Real nginx (1.19.1+) starts earlier: with 1/16 of them or fewer free it resets connections still waiting for their request ("reusing connections" in its error log). The simulation has only the limit, so close to it expect fewer served and a shorter run than shown (docs/simulator.md)',
    when: (s) => s.backend.kind !== 'generic'
  },
  {
    kind: 'number',
    id: 'backend.phpFpm.children',
    group: 'Backend servers',
    label: 'php-fpm pm.max_children',
    min: 1,
    max: 10000,
    step: 1,
    scale: 'log',
    get: (s) => s.backend.phpFpm.children,
    set: (s, v) => {
      s.backend.phpFpm.children = v ?? 1
    },
    explain: 'FastCGI connections beyond the busy children wait in the socket backlog; beyond B+1 nginx answers 502',
    when: (s) => s.backend.kind === 'nginx-php-fpm'
  },
  {
    kind: 'number',
    id: 'backend.phpFpm.listenBacklog',
    group: 'Backend servers',
    label: 'php-fpm listen.backlog',
    min: -1,
    max: 65535,
    step: 1,
    get: (s) => s.backend.phpFpm.listenBacklog,
    set: (s, v) => {
      s.backend.phpFpm.listenBacklog = v ?? 511
    },
    effective: (s) => `B = ${effectiveBacklog(s.backend.phpFpm.listenBacklog, s.hosts.backend.somaxconn)} (somaxconn clamps unix sockets too)`,
    explain: 'the queue in front of the PHP workers; -1 means somaxconn',
    when: (s) => s.backend.kind === 'nginx-php-fpm'
  },
  {
    kind: 'number',
    id: 'backend.cpu.cores',
    group: 'Backend servers',
    label: 'CPU cores per backend host',
    min: 1,
    max: 4096,
    step: 1,
    scale: 'log',
    nullable: 'not modeled: every busy worker has a core',
    get: (s) => s.backend.cpu?.cores ?? null,
    set: (s, v) => {
      s.backend.cpu = v === null ? null : { cores: v, share: s.backend.cpu?.share ?? 1 }
    },
    effective: (s) => {
      const c = s.backend.cpu
      if (!c || c.share <= 0) return ''
      const st = s.backend.serviceTime
      const mean = st.kind === 'constant' ? st.s : st.kind === 'exponential' ? st.meanS : st.p50S * Math.exp(Math.log(st.p99S / st.p50S) ** 2 / (2 * 2.3263478740408408 ** 2))
      const workers = s.backend.kind === 'nginx-php-fpm' ? s.backend.phpFpm.children : s.backend.workers
      const useful = Math.ceil(c.cores / c.share)
      return `the cores serve at most ${Math.round(c.cores / (c.share * mean))} requests/s per host; ${workers} ${s.backend.kind === 'nginx-php-fpm' ? 'children' : 'workers'}${workers > useful ? `: more than the ${useful} that keep every core busy, the rest wait for a core` : ''}`
    },
    explain: 'Linux shares the cores among the runnable workers: past cores / CPU share busy workers (php-fpm children), more workers add no throughput, only latency. nginx\'s own work and the kernel\'s are not counted',
    when: (s) => s.backend.kind !== 'nginx-echo'
  },
  {
    kind: 'number',
    id: 'backend.cpu.sharePct',
    group: 'Backend servers',
    label: 'CPU share of the service time',
    unit: '%',
    min: 0,
    max: 100,
    step: 1,
    get: (s) => Math.round((s.backend.cpu?.share ?? 1) * 100),
    set: (s, v) => {
      if (s.backend.cpu) s.backend.cpu.share = (v ?? 100) / 100
    },
    explain: 'how much of a request\'s service time is CPU work (the rest waits on a database, disk or network and is not slowed by busy cores); 100% for a page that only computes',
    when: (s) => s.backend.kind !== 'nginx-echo' && s.backend.cpu != null
  },
  {
    kind: 'number',
    id: 'backend.serviceTimeMs',
    group: 'Backend servers',
    label: 'service time (median)',
    unit: 'ms',
    min: 0.1,
    max: 600000,
    step: 0.1,
    scale: 'log',
    get: (s) => {
      const st = s.backend.serviceTime
      return st.kind === 'constant' ? st.s * 1000 : st.kind === 'exponential' ? st.meanS * 1000 * Math.LN2 : st.p50S * 1000
    },
    set: (s, v) => {
      const ms = v ?? 10
      const st = s.backend.serviceTime
      if (st.kind === 'constant') st.s = ms / 1000
      else if (st.kind === 'exponential') st.meanS = ms / 1000 / Math.LN2
      else {
        const ratio = st.p99S / st.p50S
        st.p50S = ms / 1000
        st.p99S = (ms / 1000) * ratio
      }
    },
    explain: 'how long a backend needs per request; the shape (p99) keeps its ratio'
  }
]

/** Validate a number for a knob; returns the reason it is refused, or null. */
export function knobError(knob: NumberKnob, s: Scenario, v: number | null): string | null {
  if (v === null) return knob.nullable ? null : `${knob.label} needs a value`
  if (!Number.isFinite(v)) return `${knob.label} must be a number`
  if (v < knob.min || v > knob.max) return `${knob.label} must be between ${knob.min} and ${knob.max}${knob.unit ? ` ${knob.unit}` : ''}`
  if (knob.step >= 1 && !Number.isInteger(v)) return `${knob.label} must be a whole number`
  return knob.check?.(s, v) ?? null
}

export function visibleKnobs(s: Scenario): Knob[] {
  return KNOBS.filter((k) => !k.when || k.when(s))
}

export const frontKernel = front
