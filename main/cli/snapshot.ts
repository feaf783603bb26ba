/**
 * `headroom snapshot HOST`: the same collector as the workbench, from a terminal.
 *
 *   headroom snapshot [user@]HOST [--json] [--out FILE] [--sample-interval S] [--sudo]
 *     [-p PORT] [-l USER] [-i KEYFILE] [--password-stdin] [--accept-host-key SHA256:...]
 *     [--haproxy-config PATH] [--haproxy-stats-socket PATH] [--haproxy-stats-url URL]
 *     [--nginx-status-url URL] [--php-fpm-status-url URL] [--timeout S]
 *     [--ssh-config FILE] [--known-hosts FILE]
 *
 * Exit status: 0 complete snapshot, 3 partial snapshot (still written), 2 usage error,
 * 4 could not connect/authenticate, 5 unknown host key (fingerprint printed), 6 host key
 * changed or revoked. Secrets: --password-stdin (first line of stdin), or the environment
 * variables HEADROOM_SSH_PASSWORD / HEADROOM_KEY_PASSPHRASE; never written anywhere.
 */
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { takeSnapshot } from '../snapshot/take'
import { snapshotTakeRequestSchema } from '../snapshot/api-schemas'
import { writeFileAtomic } from '../snapshot/store'
import type { Snapshot } from '../snapshot/schema'
import { SshError } from '../ssh/errors'
import { hostEntryName } from '../ssh/known-hosts'
import { resolveTarget } from '../ssh/ssh-config'

export const SNAPSHOT_USAGE = `usage: headroom snapshot [user@]HOST [--json] [--out FILE] [--sample-interval S] [--sudo]
         [-p PORT] [-l USER] [-i KEYFILE] [--password-stdin] [--accept-host-key SHA256:...]
         [--haproxy-config PATH] [--haproxy-stats-socket PATH] [--haproxy-stats-url URL]
         [--nginx-status-url URL] [--php-fpm-status-url URL] [--timeout S]
         [--ssh-config FILE] [--known-hosts FILE]
`

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) {
    chunks.push(c as Buffer)
    if (Buffer.concat(chunks).includes(10)) break
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? ''
}

const fmtLimit = (v: number | 'unlimited'): string => String(v)

/** A short human summary of a snapshot. */
export function describeSnapshot(s: Snapshot): string {
  const out: string[] = []
  const v = <T>(i: { ok: true; value: T } | { ok: false; error: string }, f: (x: T) => string): string => (i.ok ? f(i.value) : `(${i.error})`)
  out.push(`${s.name}${s.partial ? '  [PARTIAL]' : ''}`)
  out.push(`  host      ${v(s.host.hostname, (x) => x)}  kernel ${v(s.host.kernelRelease, (x) => x)}  ${v(s.host.distro, (x) => x.prettyName)}  cpus ${v(s.host.cpus, String)}  mem ${v(s.host.memTotalKiB, (x) => `${Math.round(x / 1024)} MiB`)}`)
  const sc = (k: string): string => {
    const i = s.sysctls.values[k]
    return i ? v(i, (x) => x.raw) : '-'
  }
  out.push(`  sysctls   somaxconn ${sc('net.core.somaxconn')}  tcp_max_syn_backlog ${sc('net.ipv4.tcp_max_syn_backlog')}  syncookies ${sc('net.ipv4.tcp_syncookies')}  tw_reuse ${sc('net.ipv4.tcp_tw_reuse')}  tw_recycle ${sc('net.ipv4.tcp_tw_recycle')}  ports ${sc('net.ipv4.ip_local_port_range')}`)
  out.push(`  limits    shell ulimit -n ${v(s.limits.shell, (x) => `${fmtLimit(x.soft)}/${fmtLimit(x.hard)}`)}`)
  if (s.limits.processes.ok) {
    for (const p of s.limits.processes.value) out.push(`    ${p.kind.padEnd(8)} pid ${p.pid}  nofile ${v(p.limits, (x) => `${fmtLimit(x.nofile.soft)}/${fmtLimit(x.nofile.hard)}`)}  fds ${v(p.fdCount, String)}`)
  }
  if (s.counters.rates.ok) {
    const r = s.counters.rates.value
    out.push(`  counters  over ${r.intervalS}s: ListenOverflows ${r.perS.TcpExtListenOverflows ?? 0}/s  ListenDrops ${r.perS.TcpExtListenDrops ?? 0}/s  PassiveOpens ${r.perS.TcpPassiveOpens ?? 0}/s`)
  }
  if (s.sockets.listeners.ok) {
    for (const l of s.sockets.listeners.value) out.push(`    listen ${l.localAddr}:${l.localPort}  Recv-Q ${l.recvQ}  Send-Q ${l.sendQ}  ${l.processes.map((p) => p.name).join(',')}`)
  }
  if (s.haproxy) {
    const h = s.haproxy
    out.push(`  haproxy   ${v(h.version, (x) => x.version)}  config ${v(h.configPath, (x) => x)}  maxconn(global) ${v(h.config, (x) => String(x.parsed.global.maxconn ?? 'not set'))}`)
    if (h.stat.ok) for (const r of h.stat.value.rows.filter((x) => x.svname === 'FRONTEND')) out.push(`    ${r.pxname} FRONTEND scur ${r.scur} smax ${r.smax} slim ${r.slim}`)
    else out.push(`    show stat: ${h.stat.error}: ${h.stat.detail}`)
  }
  if (s.nginx) out.push(`  nginx     ${v(s.nginx.version, (x) => x)}  worker_connections ${v(s.nginx.config, (x) => String(x.workerConnections))}`)
  if (s.phpFpm) out.push(`  php-fpm   ${v(s.phpFpm.version, (x) => x)}  pools ${v(s.phpFpm.config, (x) => x.pools.map((p) => `${p.name}(max_children ${p.maxChildren}, backlog ${p.listenBacklog ?? 'default'})`).join(' '))}`)
  if (s.problems.length) {
    out.push(`  problems (${s.problems.length}):`)
    for (const p of s.problems) out.push(`    ${p.item}: ${p.error}: ${p.detail}`)
  }
  return out.join('\n') + '\n'
}

export async function snapshotCommand(argv: string[], io: { stdout(s: string): void; stderr(s: string): void }): Promise<number> {
  let a: ReturnType<typeof parse>
  const parse = (args: string[]) =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        out: { type: 'string' },
        'sample-interval': { type: 'string' },
        sudo: { type: 'boolean' },
        port: { type: 'string', short: 'p' },
        user: { type: 'string', short: 'l' },
        identity: { type: 'string', short: 'i' },
        'password-stdin': { type: 'boolean' },
        'accept-host-key': { type: 'string' },
        'haproxy-config': { type: 'string' },
        'haproxy-stats-socket': { type: 'string' },
        'haproxy-stats-url': { type: 'string' },
        'nginx-status-url': { type: 'string' },
        'php-fpm-status-url': { type: 'string' },
        timeout: { type: 'string' },
        'ssh-config': { type: 'string' },
        'known-hosts': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  try {
    a = parse(argv)
  } catch (e) {
    io.stderr(`headroom snapshot: ${(e as Error).message}\n${SNAPSHOT_USAGE}`)
    return 2
  }
  const o = a.values
  if (o.help) {
    io.stdout(SNAPSHOT_USAGE)
    return 0
  }
  if (a.positionals.length !== 1) {
    io.stderr(`headroom snapshot: give exactly one HOST\n${SNAPSHOT_USAGE}`)
    return 2
  }
  let host = a.positionals[0]!
  let user = o.user
  const at = host.lastIndexOf('@')
  if (at > 0) {
    user = user ?? host.slice(0, at)
    host = host.slice(at + 1)
  }
  const num = (s: string | undefined, what: string): number | undefined => {
    if (s === undefined) return undefined
    if (!/^\d+$/.test(s)) throw new Error(`${what} must be a whole number, got ${JSON.stringify(s)}`)
    return Number(s)
  }
  let privateKey: string | undefined
  let password = process.env.HEADROOM_SSH_PASSWORD
  const passphrase = process.env.HEADROOM_KEY_PASSPHRASE
  const req: Record<string, unknown> = {}
  try {
    if (o.identity) privateKey = readFileSync(o.identity, 'utf8')
    if (o['password-stdin']) password = await readStdinLine()
    Object.assign(req, {
      host,
      user,
      port: num(o.port, '--port'),
      sampleIntervalS: num(o['sample-interval'], '--sample-interval') ?? 5,
      sudo: o.sudo ?? false,
      haproxyConfigPath: o['haproxy-config'],
      haproxyStatsSocket: o['haproxy-stats-socket'],
      haproxyStatsUrl: o['haproxy-stats-url'],
      nginxStatusUrl: o['nginx-status-url'],
      phpFpmStatusUrl: o['php-fpm-status-url'],
      commandTimeoutS: num(o.timeout, '--timeout')
    })
  } catch (e) {
    io.stderr(`headroom snapshot: ${(e as Error).message}\n`)
    return 2
  }
  for (const k of Object.keys(req)) if (req[k] === undefined) delete req[k]
  const checked = snapshotTakeRequestSchema.safeParse(req)
  if (!checked.success) {
    io.stderr(`headroom snapshot: ${checked.error.issues.map((i) => `${i.path.join('.') || 'argument'}: ${i.message}`).join('; ')}\n`)
    return 2
  }
  const r = checked.data
  const sshConfigPath = o['ssh-config'] ?? join(homedir(), '.ssh', 'config')
  const sshConfigText = existsSync(sshConfigPath) ? readFileSync(sshConfigPath, 'utf8') : ''
  const knownHostsPath = o['known-hosts'] ?? join(homedir(), '.ssh', 'known_hosts')
  const confirmed: Record<string, string> = {}
  if (o['accept-host-key']) {
    try {
      const t = resolveTarget(sshConfigText, r.host, { user: r.user, port: r.port })
      confirmed[hostEntryName(t.hostName, t.port)] = o['accept-host-key']
    } catch (e) {
      io.stderr(`headroom snapshot: ${(e as Error).message}\n`)
      return 2
    }
  }
  const ctl = new AbortController()
  const onSig = (): void => ctl.abort()
  process.once('SIGINT', onSig)
  try {
    const snap = await takeSnapshot(
      { ...r, sampleIntervalS: r.sampleIntervalS ?? 5, sudo: r.sudo ?? false, credentials: { privateKey, passphrase, password } },
      { sshConfigText, knownHostsPath, confirmedFingerprints: confirmed },
      { signal: ctl.signal, onStage: (st) => (o.json ? undefined : io.stderr(`  ${st}...\n`)) }
    )
    const json = `${JSON.stringify(snap, null, 2)}\n`
    if (o.out) {
      writeFileAtomic(resolve(o.out), json)
      io.stderr(`wrote ${o.out}\n`)
    }
    if (o.json) io.stdout(json)
    else io.stdout(describeSnapshot(snap))
    return snap.partial ? 3 : 0
  } catch (e) {
    if (e instanceof SshError) {
      io.stderr(`headroom snapshot: ${e.message}\n`)
      if (e.kind === 'hostkey-unknown' && e.hostKey) {
        io.stderr(`to trust it, run again with: --accept-host-key ${e.hostKey.fingerprint}\n`)
        return 5
      }
      if (e.kind === 'hostkey-changed' || e.kind === 'hostkey-revoked') return 6
      return 4
    }
    io.stderr(`headroom snapshot: ${e instanceof Error ? e.message : String(e)}\n`)
    return 1
  } finally {
    process.removeListener('SIGINT', onSig)
  }
}
