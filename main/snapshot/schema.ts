/**
 * The versioned server snapshot (`headroom-snapshot/1`): what one SSH collection read from a
 * Linux host running HAProxy and/or nginx + php-fpm. The simulator builds its baseline
 * scenario from it, the diagnosis rules read it, the plan is diffed against it.
 *
 * PURE module (no node imports): the renderer imports it too.
 *
 * Model: every collected *item* holds either its value or the reason it could not be read
 * (`{ ok: false, error: 'permission denied' | 'not installed' | ..., detail }`); one failed
 * item never hides the others and any failed item marks the whole snapshot `partial`.
 * Names stay close to the real ones so nothing is guessed when mapping them:
 * sysctls by their dotted name (`net.core.somaxconn`), kernel counters by their `nstat`
 * name (`TcpExtListenOverflows`), HAProxy `show stat` rows by CSV column name (`scur`,
 * `slim`, `eresp`), `show info` by its key (`Maxconn`, `Ulimit-n`).
 * Units: seconds for durations unless a field name says `Ms`; bytes unless `KiB`;
 * HAProxy timeouts in milliseconds (`timeoutsMs`); limits `'unlimited'` where the kernel says so.
 */
import { z } from 'zod'

export const SNAPSHOT_FORMAT = 'headroom-snapshot/1' as const

/** Why an item could not be read. */
export const ITEM_ERRORS = [
  'permission denied',
  'not installed',
  'not found',
  'timed out',
  'parse error',
  'command failed',
  'not configured',
  'connection lost',
  'cancelled'
] as const
export const ItemErrorSchema = z.object({
  ok: z.literal(false),
  error: z.enum(ITEM_ERRORS),
  /** Human-readable detail: stderr line, exit code, parser message. */
  detail: z.string()
})
export type ItemError = z.infer<typeof ItemErrorSchema>

/** An item: its value or its error. */
export function item<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), value }), ItemErrorSchema])
}
export type Item<T> = { ok: true; value: T } | ItemError

const Limit = z.union([z.number().int().nonnegative(), z.literal('unlimited')])
export type LimitValue = z.infer<typeof Limit>
const SoftHard = z.object({ soft: Limit, hard: Limit })

// ---------------------------------------------------------------- host
export const HostFactsSchema = z.object({
  hostname: item(z.string()),
  /** `uname -r`, e.g. `3.10.0-1160.el7.x86_64`. */
  kernelRelease: item(z.string()),
  /** major.minor parsed from the release (3.10, 6.1), for era-dependent kernel rules. */
  kernelVersion: item(z.object({ major: z.number().int(), minor: z.number().int(), patch: z.number().int() })),
  /** From /etc/os-release. */
  distro: item(z.object({ id: z.string(), versionId: z.string(), prettyName: z.string() })),
  cpus: item(z.number().int().positive()),
  memTotalKiB: item(z.number().int().nonnegative()),
  uptimeS: item(z.number().nonnegative())
})

// ---------------------------------------------------------------- sysctls
/** Every sysctl the simulator and diagnosis use (read from /proc/sys). */
export const SYSCTL_KEYS = [
  'net.core.somaxconn',
  'net.core.netdev_max_backlog',
  'net.ipv4.tcp_max_syn_backlog',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_abort_on_overflow',
  'net.ipv4.tcp_syn_retries',
  'net.ipv4.tcp_synack_retries',
  'net.ipv4.tcp_syn_linear_timeouts',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_tw_reuse',
  'net.ipv4.tcp_tw_recycle',
  'net.ipv4.tcp_timestamps',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_max_tw_buckets',
  'fs.file-max',
  'fs.nr_open',
  'fs.file-nr'
] as const
export type SysctlKey = (typeof SYSCTL_KEYS)[number]

/** A sysctl value: the raw text (whitespace-normalized) and every integer in it. */
export const SysctlValueSchema = z.object({
  raw: z.string(),
  /** `ip_local_port_range` => [32768, 60999]; `file-nr` => [allocated, free, max]; '' => []. */
  numbers: z.array(z.number())
})
export type SysctlValue = z.infer<typeof SysctlValueSchema>

/** One `key = value` line from /etc/sysctl.conf or /etc/sysctl.d/*.conf (or /run, /usr/lib). */
export const SysctlConfEntrySchema = z.object({
  key: z.string(),
  value: z.string(),
  file: z.string(),
  line: z.number().int().positive()
})
export type SysctlConfEntry = z.infer<typeof SysctlConfEntrySchema>

export const SysctlsSchema = z.object({
  /** Keyed by dotted name; a key absent on this kernel (tcp_tw_recycle on 4.12+) => 'not found'. */
  values: z.record(z.string(), item(SysctlValueSchema)),
  /** Lines that set any sysctl, in the order sysctl --system applies them (last wins). */
  conf: item(
    z.object({
      files: z.array(z.string()),
      entries: z.array(SysctlConfEntrySchema)
    })
  )
})

// ---------------------------------------------------------------- limits and processes
/** One row of /proc/PID/limits. */
export const ProcLimitRowSchema = z.object({ name: z.string(), soft: Limit, hard: Limit, units: z.string() })
export const ProcLimitsSchema = z.object({
  rows: z.array(ProcLimitRowSchema),
  /** The `Max open files` row (RLIMIT_NOFILE). */
  nofile: SoftHard
})
export type ProcLimits = z.infer<typeof ProcLimitsSchema>

export const PROCESS_KINDS = ['haproxy', 'nginx', 'php-fpm'] as const
export const ProcessSchema = z.object({
  pid: z.number().int().positive(),
  kind: z.enum(PROCESS_KINDS),
  /** `comm` (e.g. `haproxy`, `nginx`, `php-fpm8.2`). */
  comm: z.string(),
  /** argv from /proc/PID/cmdline. */
  cmdline: z.array(z.string()),
  ppid: z.number().int().nonnegative(),
  /** Effective uid (0 = root: HAProxy then raises its own fd limit). */
  uid: z.number().int().nonnegative(),
  limits: item(ProcLimitsSchema),
  /** Open file descriptors (entries of /proc/PID/fd). */
  fdCount: item(z.number().int().nonnegative())
})
export type ProcessInfo = z.infer<typeof ProcessSchema>

/** `systemctl show -p LimitNOFILE,LimitNOFILESoft UNIT`. */
export const SystemdUnitSchema = z.object({
  unit: z.string(),
  limitNOFILE: item(SoftHard)
})

export const LimitsSchema = z.object({
  /** The SSH login shell's `ulimit -n` (soft) and `ulimit -Hn` (hard). */
  shell: item(SoftHard),
  processes: item(z.array(ProcessSchema)),
  systemd: z.array(SystemdUnitSchema)
})

// ---------------------------------------------------------------- kernel counters
/** All of /proc/net/netstat + /proc/net/snmp, by nstat name (`TcpExtListenOverflows`, `TcpPassiveOpens`). */
export const CounterSampleSchema = z.object({
  /** Host uptime when sampled (from /proc/uptime, 10 ms resolution). */
  uptimeS: z.number(),
  values: z.record(z.string(), z.number())
})
export type CounterSample = z.infer<typeof CounterSampleSchema>

export const CountersSchema = z.object({
  /** Requested interval between the two samples (seconds). */
  requestedIntervalS: z.number().nonnegative(),
  first: item(CounterSampleSchema),
  second: item(CounterSampleSchema),
  /** Derived when both samples exist: measured interval, deltas and rates per second. */
  rates: item(
    z.object({
      intervalS: z.number(),
      delta: z.record(z.string(), z.number()),
      perS: z.record(z.string(), z.number())
    })
  )
})

// ---------------------------------------------------------------- sockets
export const SocketProcessSchema = z.object({ name: z.string(), pid: z.number().int(), fd: z.number().int() })
/** One line of `ss -ltn` (LISTEN: Recv-Q = accept queue now, Send-Q = effective backlog). */
export const ListenerSchema = z.object({
  localAddr: z.string(),
  localPort: z.number().int(),
  recvQ: z.number().int().nonnegative(),
  sendQ: z.number().int().nonnegative(),
  processes: z.array(SocketProcessSchema)
})
export type Listener = z.infer<typeof ListenerSchema>
/** One line of `ss -lx` (unix listeners, e.g. the php-fpm socket). */
export const UnixListenerSchema = z.object({
  path: z.string(),
  recvQ: z.number().int().nonnegative(),
  sendQ: z.number().int().nonnegative(),
  processes: z.array(SocketProcessSchema)
})
export const CountByEndpointSchema = z.object({ addr: z.string(), port: z.number().int(), count: z.number().int() })
export const CountByPortSchema = z.object({ port: z.number().int(), count: z.number().int() })

export const SocketsSchema = z.object({
  listeners: item(z.array(ListenerSchema)),
  unixListeners: item(z.array(UnixListenerSchema)),
  /** From `ss -tan`: sockets per state (ESTAB, TIME-WAIT, SYN-RECV, ...) and the breakdowns. */
  connections: item(
    z.object({
      total: z.number().int(),
      byState: z.record(z.string(), z.number().int()),
      /** TIME-WAIT per remote address:port (towards one backend => its port budget). */
      timeWaitByRemote: z.array(CountByEndpointSchema),
      establishedByLocalPort: z.array(CountByPortSchema),
      synRecvByLocalPort: z.array(CountByPortSchema)
    })
  )
})

// ---------------------------------------------------------------- HAProxy
/** A raw config line kept with its position, for settings not modelled explicitly. */
export const CfgLineSchema = z.object({ line: z.number().int(), keyword: z.string(), args: z.array(z.string()) })
export const HaproxyBindSchema = z.object({
  addr: z.string(),
  /** First port (a range `8000-8010` keeps its first port here and the text in `addr`). */
  port: z.number().int().nullable(),
  backlog: z.number().int().nullable(),
  maxconn: z.number().int().nullable(),
  raw: z.string()
})
export const HaproxyServerSchema = z.object({
  name: z.string(),
  addr: z.string(),
  port: z.number().int().nullable(),
  maxconn: z.number().int().nullable(),
  maxqueue: z.number().int().nullable(),
  weight: z.number().int().nullable(),
  check: z.boolean(),
  line: z.number().int(),
  raw: z.string()
})
/** Settings a proxy section (defaults/frontend/backend/listen) may set explicitly; null = not set here. */
const ProxyCommon = {
  name: z.string().nullable(),
  /** First line of the section in the config text (1-based). */
  line: z.number().int(),
  mode: z.string().nullable(),
  maxconn: z.number().int().nullable(),
  backlog: z.number().int().nullable(),
  fullconn: z.number().int().nullable(),
  retries: z.number().int().nullable(),
  balance: z.string().nullable(),
  /** `timeout connect 5s` => { connect: 5000 }; `timeout http-request`, `queue`, `client`, `server`... */
  timeoutsMs: z.record(z.string(), z.number()),
  /** `option http-keep-alive`, `no option ...` kept as written. */
  options: z.array(z.string()),
  defaultBackend: z.string().nullable(),
  /** For frontend/backend/listen: the name of the defaults section in force (last one above, or named `from`). */
  defaultsName: z.string().nullable(),
  settings: z.array(CfgLineSchema)
}
export const HaproxyProxySchema = z.object({
  kind: z.enum(['defaults', 'frontend', 'backend', 'listen']),
  ...ProxyCommon,
  binds: z.array(HaproxyBindSchema),
  servers: z.array(HaproxyServerSchema)
})
export type HaproxyProxy = z.infer<typeof HaproxyProxySchema>
export const HaproxyConfigSchema = z.object({
  global: z.object({
    maxconn: z.number().int().nullable(),
    ulimitN: z.number().int().nullable(),
    nbthread: z.number().int().nullable(),
    nbproc: z.number().int().nullable(),
    maxsslconn: z.number().int().nullable(),
    maxpipes: z.number().int().nullable(),
    tuneMaxaccept: z.number().int().nullable(),
    user: z.string().nullable(),
    /** `stats socket PATH ...` paths (unix sockets only; `ipv4@`/`:port` kept in settings). */
    statsSockets: z.array(z.string()),
    settings: z.array(CfgLineSchema)
  }),
  /** defaults / frontend / backend / listen sections in file order. */
  proxies: z.array(HaproxyProxySchema),
  warnings: z.array(z.string())
})
export type HaproxyConfig = z.infer<typeof HaproxyConfigSchema>

/** A `show stat` CSV row by column name: numbers where numeric, strings otherwise, null if empty. */
export const StatRowSchema = z.record(z.string(), z.union([z.number(), z.string(), z.null()]))
export type StatRow = z.infer<typeof StatRowSchema>
export const StatTableSchema = z.object({ columns: z.array(z.string()), rows: z.array(StatRowSchema) })
export type StatTable = z.infer<typeof StatTableSchema>

export const HaproxySchema = z.object({
  /** `haproxy -v`: version `1.5.18`, `2.6.12-1+deb12u4`; major.minor for version rules. */
  version: item(z.object({ raw: z.string(), version: z.string(), major: z.number().int(), minor: z.number().int(), date: z.string().nullable() })),
  /** Config file path taken from the running process's `-f` (or the distro default). */
  configPath: item(z.string()),
  /** `text` has its secrets replaced by `<redacted:N>` (main/snapshot/redact.ts); `sha256` is the unredacted file's (absent in snapshots older than redaction). */
  config: item(
    z.object({
      path: z.string(),
      text: z.string(),
      sha256: z.string().optional(),
      /** sha256 of each unredacted file by path, when the text joins several files (`# @@file PATH` lines; HAProxy started with several -f). */
      fileSha256: z.record(z.string(), z.string()).optional(),
      /** HAProxy's -f arguments in order, files or directories (of *.cfg), as its command line gave them (absent in older snapshots). */
      args: z.array(z.string()).optional(),
      parsed: HaproxyConfigSchema
    })
  ),
  /** Where show info/stat came from. */
  statsSource: item(z.object({ kind: z.enum(['socket', 'http']), where: z.string() })),
  /** `show info` as key -> number|string (`Maxconn`, `Ulimit-n`, `Maxsock`, `CurrConns`...). */
  info: item(z.record(z.string(), z.union([z.number(), z.string()]))),
  /**
   * `show stat` parsed by header name (columns as in the `# ` header line, one row per
   * proxy/server), taken with the second counter sample; `statEarlier` with the first, so
   * counters such as `eresp` or `econ` are known to be climbing, not only their totals.
   */
  stat: item(StatTableSchema),
  statEarlier: item(StatTableSchema)
})

// ---------------------------------------------------------------- nginx and php-fpm
export const NginxListenSchema = z.object({
  addr: z.string(),
  port: z.number().int().nullable(),
  /** `backlog=` when given; null => nginx default 511 on Linux. */
  backlog: z.number().int().nullable(),
  file: z.string(),
  line: z.number().int(),
  raw: z.string()
})
export const NginxSchema = z.object({
  version: item(z.string()),
  /** From `nginx -T` (all included files). */
  config: item(
    z.object({
      /** Secrets redacted (main/snapshot/redact.ts). */
      text: z.string(),
      /** sha256 of each unredacted file, by path (absent in snapshots older than redaction). */
      fileSha256: z.record(z.string(), z.string()).optional(),
      files: z.array(z.string()),
      workerProcesses: z.union([z.number().int(), z.literal('auto')]).nullable(),
      workerConnections: z.number().int().nullable(),
      workerRlimitNofile: z.number().int().nullable(),
      listens: z.array(NginxListenSchema),
      /** `fastcgi_pass` targets (unix:/run/php/php-fpm.sock, 127.0.0.1:9000). */
      fastcgiPass: z.array(z.string()),
      /** http `location` blocks and what answers them (absent in older snapshots). */
      locations: z
        .array(
          z.object({
            modifier: z.enum(['', '=', '^~', '~', '~*']),
            path: z.string(),
            ports: z.array(z.number().int()),
            /** the status nginx answers with itself (`return`, `stub_status`); null: not answered by nginx */
            answers: z.number().int().nullable(),
            /** a fastcgi/proxy/uwsgi/scgi/grpc pass in the block */
            passes: z.boolean(),
            file: z.string(),
            line: z.number().int()
          })
        )
        .optional()
    })
  ),
  /** stub_status page, when a URL was given. */
  stubStatus: item(
    z.object({
      active: z.number().int(),
      accepts: z.number().int(),
      handled: z.number().int(),
      requests: z.number().int(),
      reading: z.number().int(),
      writing: z.number().int(),
      waiting: z.number().int()
    })
  )
})

export const PhpFpmPoolSchema = z.object({
  name: z.string(),
  file: z.string(),
  listen: z.string().nullable(),
  /** null => not set in the pool (PHP default 511; -1 on old versions = somaxconn). */
  listenBacklog: z.number().int().nullable(),
  pm: z.string().nullable(),
  maxChildren: z.number().int().nullable(),
  startServers: z.number().int().nullable(),
  minSpareServers: z.number().int().nullable(),
  maxSpareServers: z.number().int().nullable(),
  maxRequests: z.number().int().nullable(),
  statusPath: z.string().nullable(),
  requestTerminateTimeout: z.string().nullable()
})
export const PhpFpmSchema = z.object({
  version: item(z.string()),
  /** Pool files (raw text kept for the plan's diff) and the pools parsed from them. */
  config: item(
    z.object({
      files: z.array(z.object({ path: z.string(), text: z.string(), sha256: z.string().optional() })),
      pools: z.array(PhpFpmPoolSchema)
    })
  ),
  /** Status page (`?json` or text), when a URL was given: `listen queue`, `max listen queue`, ... */
  status: item(z.record(z.string(), z.union([z.number(), z.string()])))
})

// ---------------------------------------------------------------- the snapshot
export const SnapshotSourceSchema = z.object({
  kind: z.enum(['ssh', 'demo', 'import']),
  /** As the user named it (alias from ~/.ssh/config or address). */
  host: z.string(),
  /** The address actually connected to. */
  hostName: z.string().nullable(),
  port: z.number().int().nullable(),
  user: z.string().nullable(),
  sudo: z.boolean(),
  /** Collector version that produced it. */
  collector: z.string()
})

export const SnapshotV1Schema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  id: z.string().min(1),
  name: z.string(),
  /** ISO-8601 UTC time the collection started. */
  takenAt: z.string(),
  /** Wall time of the collection, seconds. */
  durationS: z.number().nonnegative(),
  source: SnapshotSourceSchema,
  /** true when any item failed (see `problems`). */
  partial: z.boolean(),
  /** Every failed item by path (`haproxy.stat`, `limits.processes[1234].fdCount`), plus session-level errors. */
  problems: z.array(z.object({ item: z.string(), error: z.string(), detail: z.string() })),
  host: HostFactsSchema,
  sysctls: SysctlsSchema,
  limits: LimitsSchema,
  counters: CountersSchema,
  sockets: SocketsSchema,
  /** null when HAProxy is not present (no binary, no process). */
  haproxy: HaproxySchema.nullable(),
  nginx: NginxSchema.nullable(),
  phpFpm: PhpFpmSchema.nullable()
})
export type Snapshot = z.infer<typeof SnapshotV1Schema>
export const SnapshotSchema = SnapshotV1Schema

/**
 * Migrations from older formats: each takes the raw JSON of its format and returns the next
 * format's JSON. Empty for now (format 1 is the first); keyed by format tag.
 */
export const MIGRATIONS: Record<string, (old: Record<string, unknown>) => Record<string, unknown>> = {}

export type ParseSnapshotResult = { ok: true; snapshot: Snapshot; migrated: boolean } | { ok: false; error: string }

/** Validate (and migrate if older) a snapshot read from JSON; never throws. */
export function parseSnapshot(json: unknown): ParseSnapshotResult {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, error: 'not a snapshot: expected a JSON object' }
  }
  let doc = json as Record<string, unknown>
  let migrated = false
  for (let hops = 0; hops < 16 && doc.format !== SNAPSHOT_FORMAT; hops++) {
    const fmt = doc.format
    if (typeof fmt !== 'string') return { ok: false, error: 'not a snapshot: missing "format" tag' }
    const step = MIGRATIONS[fmt]
    if (!step) {
      return { ok: false, error: `unsupported snapshot format "${fmt}" (this version reads ${SNAPSHOT_FORMAT})` }
    }
    try {
      doc = step(doc)
    } catch (e) {
      return { ok: false, error: `migration from ${fmt} failed: ${e instanceof Error ? e.message : String(e)}` }
    }
    migrated = true
  }
  const r = SnapshotSchema.safeParse(doc)
  if (!r.success) {
    const first = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    return { ok: false, error: `invalid snapshot: ${first.join('; ')}${r.error.issues.length > 3 ? ` (+${r.error.issues.length - 3} more)` : ''}` }
  }
  return { ok: true, snapshot: r.data, migrated }
}

/** Every failed item of a snapshot-shaped object, by dotted path (used to fill `problems`). */
export function collectProblems(value: unknown, path = ''): Array<{ item: string; error: string; detail: string }> {
  const out: Array<{ item: string; error: string; detail: string }> = []
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      const key = typeof v === 'object' && v !== null && typeof (v as { pid?: unknown }).pid === 'number' ? `${(v as { pid: number }).pid}` : `${i}`
      out.push(...collectProblems(v, `${path}[${key}]`))
    })
  } else if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>
    if (o.ok === false && typeof o.error === 'string' && typeof o.detail === 'string') {
      out.push({ item: path, error: o.error, detail: o.detail })
      return out
    }
    for (const [k, v] of Object.entries(o)) {
      if (k === 'problems') continue
      // The value of a successful item adds no path segment: `limits.processes[12].fdCount`.
      const sub = o.ok === true && k === 'value' ? path : path ? `${path}.${k}` : k
      out.push(...collectProblems(v, sub))
    }
  }
  return out
}
