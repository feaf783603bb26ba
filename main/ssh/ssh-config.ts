/**
 * ~/.ssh/config resolution with the maintained `ssh-config` parser: Host aliases and
 * patterns, HostName (with %h), Port, User, IdentityFile (with ~ and %d/%u/%h/%r), ProxyJump
 * (one or more comma-separated hops, each resolved through the config again). `Match exec`
 * is never evaluated (we do not run commands found in a config file).
 */
import SSHConfig from 'ssh-config'
import { homedir, userInfo } from 'node:os'
import { SshError } from './errors'

export interface SshHop {
  /** As the user wrote it (alias or address). */
  alias: string
  hostName: string
  port: number
  user: string
  identityFiles: string[]
}
export interface SshTarget extends SshHop {
  /** Jump hosts, outermost first (ProxyJump a,b => connect a, then b, then the target). */
  jumps: SshHop[]
}

const localUser = (): string => {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? 'root'
  }
}

/** `user@host:port` as ProxyJump writes a hop. */
function splitHop(s: string): { user?: string; host: string; port?: number } {
  let rest = s.trim().replace(/^ssh:\/\//, '')
  let user: string | undefined
  const at = rest.lastIndexOf('@')
  if (at >= 0) {
    user = rest.slice(0, at)
    rest = rest.slice(at + 1)
  }
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:]+)(?::(\d+))?$/.exec(rest)
  if (!m) throw new SshError('config', `unreadable ProxyJump hop "${s}"`)
  return { user, host: m[1]!, port: m[2] ? Number(m[2]) : undefined }
}

function expandPath(p: string, vars: { h: string; r: string; u: string; d: string; p: number }): string {
  return p
    .replace(/^~(?=\/|$)/, vars.d)
    .replace(/%([%dhurp])/g, (_m, c: string) => (c === '%' ? '%' : String(vars[c as 'd' | 'h' | 'u' | 'r' | 'p'])))
}

/** Resolve one host through the config (no jumps). */
export function resolveHop(configText: string, alias: string, over: { user?: string; port?: number } = {}): SshHop & { proxyJump: string | null } {
  const cfg = SSHConfig.parse(configText)
  const c = cfg.compute(alias, { ignoreCase: true, matchExec: false } as Parameters<typeof cfg.compute>[1]) as Record<string, string | string[] | undefined>
  const one = (k: string): string | undefined => {
    const v = c[k]
    return Array.isArray(v) ? v[0] : v
  }
  const hostName = (one('hostname') ?? alias).replace(/%h/g, alias)
  const portText = one('port')
  const port = over.port ?? (portText ? Number(portText) : 22)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SshError('config', `bad Port "${portText}" for ${alias} in ssh config`)
  const user = over.user ?? one('user') ?? localUser()
  const idf = c.identityfile
  const files = (Array.isArray(idf) ? idf : idf ? [idf] : []).map((f) => expandPath(f, { h: hostName, r: user, u: localUser(), d: homedir(), p: port }))
  const pj = one('proxyjump')
  return { alias, hostName, port, user, identityFiles: files, proxyJump: pj && pj.toLowerCase() !== 'none' ? pj : null }
}

/** Resolve a target, following ProxyJump chains (each hop resolved via the config too). */
export function resolveTarget(configText: string, alias: string, over: { user?: string; port?: number } = {}): SshTarget {
  const seen = new Set<string>()
  const chain = (hopSpec: string | null, depth: number): SshHop[] => {
    if (!hopSpec) return []
    if (depth > 8) throw new SshError('config', `ProxyJump chain for ${alias} is longer than 8 hops (a loop?)`)
    const out: SshHop[] = []
    for (const part of hopSpec.split(',')) {
      const h = splitHop(part)
      const key = `${h.user ?? ''}@${h.host}:${h.port ?? ''}`
      if (seen.has(key)) throw new SshError('config', `ProxyJump loop through ${h.host}`)
      seen.add(key)
      const r = resolveHop(configText, h.host, { user: h.user, port: h.port })
      // A hop's own ProxyJump comes before it.
      out.push(...chain(r.proxyJump, depth + 1), { alias: r.alias, hostName: r.hostName, port: r.port, user: r.user, identityFiles: r.identityFiles })
    }
    return out
  }
  const t = resolveHop(configText, alias, over)
  return { alias: t.alias, hostName: t.hostName, port: t.port, user: t.user, identityFiles: t.identityFiles, jumps: chain(t.proxyJump, 0) }
}

/** Concrete host aliases listed in the config (no wildcard patterns), for the host picker and fleets. */
export function listConfigHosts(configText: string): string[] {
  const cfg = SSHConfig.parse(configText)
  const out: string[] = []
  for (const line of cfg) {
    if (line.type !== SSHConfig.DIRECTIVE || line.param.toLowerCase() !== 'host') continue
    const v = (line as { value: string | Array<{ val: string }> }).value
    const names = Array.isArray(v) ? v.map((x) => x.val) : String(v).split(/\s+/)
    for (const n of names) if (n && !/[*?!]/.test(n) && !out.includes(n)) out.push(n)
  }
  return out
}

/** Hosts of the config whose alias matches a pattern (`web*`), for fleet snapshots. */
export function matchConfigHosts(configText: string, pattern: string): string[] {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)
  return listConfigHosts(configText).filter((h) => re.test(h))
}
