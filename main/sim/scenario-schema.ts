/**
 * zod schema for `Scenario` (simulator/scenario.ts): ranges with human reasons, and
 * inconsistent combinations refused with a reason. `parseScenario` is what `sim.run`
 * and `headroom simulate --scenario` validate with; errors name the field path.
 */
import { z } from 'zod'
import { kernelTraits, haproxyProfile, SCENARIO_FORMAT, type Scenario } from '../../simulator/scenario'

const INT_MAX = 2147483647

function int(name: string, min: number, max: number, unit = ''): z.ZodNumber {
  const range = `${name} must be ${min}..${max}${unit ? ' ' + unit : ''}`
  return z
    .number({ error: `${name} must be a number` })
    .int({ error: `${name} must be a whole number` })
    .min(min, { error: range })
    .max(max, { error: range })
}

function num(name: string, min: number, max: number, unit = ''): z.ZodNumber {
  const range = `${name} must be ${min}..${max}${unit ? ' ' + unit : ''}`
  return z.number({ error: `${name} must be a number` }).min(min, { error: range }).max(max, { error: range })
}

const kernelVersion = z.string().refine(
  (v) => {
    try {
      kernelTraits(v)
      return true
    } catch {
      return false
    }
  },
  { error: 'kernel version must be a profile (3.10, 4.9-6.4, 6.5+) or a version like 6.1.0' }
)

const haproxyVersion = z.string().refine(
  (v) => {
    try {
      haproxyProfile(v)
      return true
    } catch {
      return false
    }
  },
  { error: 'HAProxy version must be 1.x, 2.x+ or a version like 2.6.12' }
)

const port = (n: string) => int(n, 1, 65535)

export const kernelSchema = z
  .object({
    version: kernelVersion,
    somaxconn: int('somaxconn', 0, INT_MAX),
    tcpMaxSynBacklog: int('tcp_max_syn_backlog', 1, INT_MAX),
    syncookies: z.union([z.literal(0), z.literal(1), z.literal(2)], { error: 'tcp_syncookies must be 0, 1 or 2' }),
    abortOnOverflow: z.union([z.literal(0), z.literal(1)], { error: 'tcp_abort_on_overflow must be 0 or 1' }),
    synRetries: int('tcp_syn_retries', 1, 127),
    synackRetries: int('tcp_synack_retries', 0, 255),
    synLinearTimeouts: int('tcp_syn_linear_timeouts', 0, 255),
    twReuse: z.union([z.literal(0), z.literal(1), z.literal(2)], { error: 'tcp_tw_reuse must be 0, 1 or 2' }),
    twReuseDelayMs: int('tcp_tw_reuse_delay', 1, 600000, 'ms'),
    timestamps: z.union([z.literal(0), z.literal(1)], { error: 'tcp_timestamps must be 0 or 1' }),
    twRecycle: z.union([z.literal(0), z.literal(1)], { error: 'tcp_tw_recycle must be 0 or 1' }),
    ipLocalPortRange: z.tuple([port('ip_local_port_range low'), port('ip_local_port_range high')]),
    reservedPorts: int('ip_local_reserved_ports count', 0, 65535),
    maxTwBuckets: int('tcp_max_tw_buckets', 0, INT_MAX),
    fileMax: int('fs.file-max', 8, Number.MAX_SAFE_INTEGER),
    hz: int('CONFIG_HZ', 100, 1000).optional()
  })
  .superRefine((k, ctx) => {
    // x86 Kconfig offers HZ_100 / HZ_250 / HZ_300 / HZ_1000
    if (k.hz !== undefined && ![100, 250, 300, 1000].includes(k.hz)) {
      ctx.addIssue({ code: 'custom', path: ['hz'], message: `CONFIG_HZ must be 100, 250, 300 or 1000 (got ${k.hz})` })
    }
    let t: ReturnType<typeof kernelTraits>
    try {
      t = kernelTraits(k.version)
    } catch {
      return // the version refinement already reported it
    }
    if (k.ipLocalPortRange[0] > k.ipLocalPortRange[1])
      ctx.addIssue({ code: 'custom', path: ['ipLocalPortRange'], message: `ip_local_port_range low (${k.ipLocalPortRange[0]}) must not exceed high (${k.ipLocalPortRange[1]})` })
    if (k.reservedPorts > k.ipLocalPortRange[1] - k.ipLocalPortRange[0])
      ctx.addIssue({ code: 'custom', path: ['reservedPorts'], message: 'reserved ports must leave at least one usable port in ip_local_port_range' })
    if (k.twRecycle === 1 && !t.twRecycle)
      ctx.addIssue({ code: 'custom', path: ['twRecycle'], message: `tcp_tw_recycle does not exist on kernel ${k.version} (removed in 4.12); set it to 0` })
    if (k.twReuse === 2 && !t.twReuse2)
      ctx.addIssue({ code: 'custom', path: ['twReuse'], message: `tcp_tw_reuse=2 (loopback only) does not exist on kernel ${k.version}; use 0 or 1` })
    if (k.syncookies === 2 && !t.syncookies2)
      ctx.addIssue({ code: 'custom', path: ['syncookies'], message: `tcp_syncookies=2 needs kernel 3.12 or newer (${k.version})` })
  })

const serviceTime = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), s: num('service time', 0, 3600, 's') }),
  z.object({ kind: z.literal('exponential'), meanS: num('mean service time', 0, 3600, 's') }),
  z
    .object({ kind: z.literal('lognormal'), p50S: num('service time p50', 1e-6, 3600, 's'), p99S: num('service time p99', 1e-6, 3600, 's') })
    .refine((x) => x.p99S >= x.p50S, { error: 'service time p99 must be >= p50', path: ['p99S'] })
])

const loadPoint = z.object({ tS: num('load point time', 0, 86400 * 7, 's'), rate: num('load point rate', 0, 10_000_000) })

export const clientSchema = z.object({
  mode: z.enum(['open', 'closed'], { error: "clients.mode must be 'open' or 'closed'" }),
  loadCurve: z
    .array(loadPoint)
    .max(10000, { error: 'load curve has more than 10000 points' })
    .refine((c) => c.every((p, i) => i === 0 || p.tS >= c[i - 1]!.tS), { error: 'load curve points must be in time order' }),
  arrivals: z.enum(['poisson', 'even']),
  arrivalBatch: int('arrival batch', 1, 100000),
  concurrency: int('concurrency (concurrent users)', 0, 1_000_000),
  totalRequests: int('total requests', 0, 1_000_000_000),
  requestsPerConnection: int('requests per connection', 1, 1_000_000),
  keepAlive: z.boolean(),
  thinkTimeS: num('think time', 0, 86400, 's'),
  connectTimeoutS: num('client connect timeout', 0.001, 86400, 's').nullable(),
  requestTimeoutS: num('request timeout', 0.001, 86400, 's').nullable(),
  natShare: num('share of clients behind NAT', 0, 1),
  natHosts: int('hosts behind the NAT address', 1, 1_000_000),
  sourceIps: int('client source IPs', 1, 16_777_216),
  closesFirst: z.enum(['client', 'server']),
  loopback: z.boolean().optional(),
  tool: z.literal('ab', { error: "clients.tool must be 'ab' or absent" }).optional()
})

export const networkSchema = z.object({
  clientRttMs: num('client RTT', 0, 60000, 'ms'),
  backendRttMs: num('backend RTT', 0, 60000, 'ms'),
  jitterMs: num('jitter', 0, 60000, 'ms')
})

const server = z.object({
  name: z.string().min(1, { error: 'server name must not be empty' }),
  maxconn: int('server maxconn', 0, INT_MAX),
  maxqueue: int('server maxqueue', 0, INT_MAX),
  weight: int('server weight', 0, 256),
  loopback: z.boolean().optional(),
  refuses: z.boolean().optional(),
  downAtS: num('server down at', 0, 1_000_000, 's').nullable().optional(),
  check: z
    .object({
      interMs: int('check inter', 1, 86_400_000, 'ms'),
      fastinterMs: int('check fastinter', 1, 86_400_000, 'ms').nullable(),
      downinterMs: int('check downinter', 1, 86_400_000, 'ms').nullable(),
      rise: int('check rise', 1, 1000),
      fall: int('check fall', 1, 1000)
    })
    .nullable()
    .optional()
})

export const haproxySchema = z
  .object({
    version: haproxyVersion,
    globalMaxconn: int('global maxconn', 1, INT_MAX).nullable(),
    frontendMaxconn: int('frontend maxconn', 1, INT_MAX).nullable(),
    bindMaxconn: int('bind maxconn', 1, INT_MAX).nullable(),
    bindBacklog: int('bind backlog', 0, INT_MAX).nullable(),
    frontendBacklog: int('frontend backlog', 0, INT_MAX).nullable(),
    nbthread: int('nbthread', 1, 4096),
    fdSoft: int('fd soft limit', 1, 1 << 30),
    fdHard: int('fd hard limit', 1, 1 << 30),
    startedAsRoot: z.boolean(),
    ulimitN: int('ulimit-n', 1, 1 << 30).nullable(),
    strictLimits: z.boolean().nullable(),
    maxaccept: z.number().int().min(-1, { error: 'tune.maxaccept must be -1 (unlimited) or 1..1000000' }).max(1_000_000).refine((v) => v !== 0, { error: 'tune.maxaccept must be -1 (unlimited) or 1..1000000' }).nullable(),
    servers: z.array(server).min(1, { error: 'HAProxy needs at least one server' }).max(1000, { error: 'at most 1000 servers' }),
    balance: z.enum(['roundrobin', 'leastconn', 'source']),
    timeoutQueueS: num('timeout queue', 0.001, 86400, 's').nullable(),
    timeoutConnectS: num('timeout connect', 0.001, 86400, 's'),
    timeoutCheckS: num('timeout check', 0.001, 86400, 's').nullable().optional(),
    httpCheck: z.boolean().nullable().optional(),
    httpCheckEndpoint: z.enum(['app', 'static']).nullable().optional(),
    timeoutServerS: num('timeout server', 0.001, 86400, 's'),
    timeoutClientS: num('timeout client', 0.001, 86400, 's'),
    retries: int('retries', 0, 100),
    redispatch: z.boolean(),
    mode: z.enum(['http', 'tcp']),
    serverConnections: z.enum(['per-request', 'keep-alive']),
    httpReuse: z.enum(['never', 'safe', 'aggressive', 'always']).optional(),
    backendClosesFirst: z.enum(['proxy', 'server', 'reset']),
    sourceIps: int('HAProxy source IPs', 1, 65536),
    startedS: num('HAProxy start time', -86400, 0, 's').nullable().optional()
  })
  .superRefine((h, ctx) => {
    if (h.fdSoft > h.fdHard) ctx.addIssue({ code: 'custom', path: ['fdSoft'], message: `fd soft limit (${h.fdSoft}) cannot exceed the hard limit (${h.fdHard})` })
    if (h.servers.every((s) => s.weight === 0)) ctx.addIssue({ code: 'custom', path: ['servers'], message: 'at least one server needs a weight above 0' })
    const names = new Set<string>()
    for (const s of h.servers) {
      if (names.has(s.name)) ctx.addIssue({ code: 'custom', path: ['servers'], message: `duplicate server name "${s.name}"` })
      names.add(s.name)
    }
  })

export const backendSchema = z
  .object({
    kind: z.enum(['generic', 'nginx-echo', 'nginx-php-fpm']),
    servers: int('backend servers', 1, 1000),
    workers: int('backend workers', 1, 1_000_000),
    serviceTime,
    listenBacklog: z.number().int().min(-1, { error: 'listen backlog must be -1 (somaxconn) or 0..2147483647' }).max(INT_MAX),
    fdLimit: int('backend fd limit', 16, 1 << 30),
    nginx: z.object({
      workers: int('nginx workers', 1, 1024),
      workerConnections: int('nginx worker_connections', 1, 10_000_000),
      listenBacklog: z.number().int().min(-1).max(INT_MAX),
      fastcgiConnectTimeoutS: num('fastcgi_connect_timeout', 0.001, 86400, 's')
    }),
    phpFpm: z.object({
      children: int('pm.max_children', 1, 100000),
      listenBacklog: z.number().int().min(-1, { error: 'listen.backlog must be -1 or 0..2147483647' }).max(INT_MAX),
      socket: z.enum(['unix', 'tcp']),
      requestOverheadMs: num('php-fpm request overhead', 0, 60000, 'ms').optional()
    }),
    cpu: z
      .object({
        cores: int('backend CPU cores', 1, 4096),
        share: num('CPU share of the service time', 0, 1, '')
      })
      .nullable()
      .optional()
  })

export const scenarioSchema = z
  .object({
    format: z.literal(SCENARIO_FORMAT, { error: `format must be "${SCENARIO_FORMAT}"` }),
    name: z.string().max(200, { error: 'name is longer than 200 characters' }),
    durationS: num('duration', 0.001, 86400 * 7, 's'),
    drainS: num('drain time', 0, 86400, 's'),
    clients: clientSchema,
    network: networkSchema,
    hosts: z.object({ client: kernelSchema, proxy: kernelSchema, backend: kernelSchema }),
    haproxy: haproxySchema.nullable(),
    backend: backendSchema
  })
  .superRefine((s, ctx) => {
    const c = s.clients
    if (c.mode === 'open' && c.loadCurve.length === 0)
      ctx.addIssue({ code: 'custom', path: ['clients', 'loadCurve'], message: 'open-loop clients need a load curve with at least one point' })
    if (c.mode === 'closed' && c.loadCurve.length === 0 && c.concurrency === 0)
      ctx.addIssue({ code: 'custom', path: ['clients', 'concurrency'], message: 'closed-loop clients need concurrency >= 1 (or a load curve of users)' })
    if (!c.keepAlive && c.requestsPerConnection > 1)
      ctx.addIssue({ code: 'custom', path: ['clients', 'requestsPerConnection'], message: 'several requests per connection need keep-alive on' })
    if (s.haproxy && s.haproxy.servers.length > 1000) ctx.addIssue({ code: 'custom', path: ['haproxy', 'servers'], message: 'too many servers' })
    if (s.backend.kind === 'nginx-php-fpm' && s.backend.nginx.workerConnections < 2)
      ctx.addIssue({ code: 'custom', path: ['backend', 'nginx', 'workerConnections'], message: 'nginx in front of php-fpm needs worker_connections >= 2 (a proxied request uses 2)' })
  })

export type ScenarioInput = z.infer<typeof scenarioSchema>

/** Validate unknown input as a Scenario; throws an Error whose message lists each problem with its field path. */
export function parseScenario(input: unknown): Scenario {
  const r = scenarioSchema.safeParse(input)
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(scenario)'}: ${i.message}`)
    throw new Error(`invalid scenario:\n  ${lines.join('\n  ')}`)
  }
  return r.data as Scenario
}
