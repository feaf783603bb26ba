/**
 * haproxy.cfg: sections (global, defaults, frontend, backend, listen) and the settings the
 * simulator and the diagnosis use, each with its line number; everything else is kept as
 * `settings` lines, and the raw text is kept by the caller (the plan diffs against it).
 * Values are the ones written in the file: nothing is inherited or defaulted here (which
 * defaults section applies is recorded, so a consumer can resolve them per version).
 */
import type { HaproxyConfig, HaproxyProxy } from '../schema'
import { guard, lines, okItem, type Item } from './common'

/** Tokenize one line: whitespace-separated, '...' and "..." quoting, backslash escapes, # comments. */
export function tokenizeCfgLine(line: string): string[] {
  const out: string[] = []
  let cur: string | null = null
  let q: '"' | "'" | null = null
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (q) {
      if (c === q) q = null
      else if (c === '\\' && q === '"' && i + 1 < line.length) cur += line[++i]!
      else cur += c
      continue
    }
    if (c === '#') break
    if (c === ' ' || c === '\t') {
      if (cur !== null) out.push(cur)
      cur = null
    } else if (c === '"' || c === "'") {
      q = c
      cur = cur ?? ''
    } else if (c === '\\' && i + 1 < line.length) cur = (cur ?? '') + line[++i]!
    else cur = (cur ?? '') + c
  }
  if (cur !== null) out.push(cur)
  return out
}

const MODELLED = new Set(['global', 'defaults', 'frontend', 'backend', 'listen'])
const OTHER_SECTIONS = new Set(['userlist', 'peers', 'resolvers', 'mailers', 'program', 'cache', 'http-errors', 'ring', 'fcgi-app', 'crt-store', 'traces', 'log-forward', 'namespace_list', 'dynamic-update'])

/** HAProxy time: `10s`, `1m`, `5000` (ms), `100us`, `1h`, `1d` => milliseconds. */
export function parseHaproxyTime(s: string | undefined): number | null {
  if (s === undefined) return null
  const m = /^(\d+(?:\.\d+)?)(us|ms|s|m|h|d)?$/.exec(s)
  if (!m) return null
  const mult: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
  return Number(m[1]) * mult[m[2] ?? 'ms']!
}

const toInt = (s: string | undefined): number | null => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null)

/** `10.0.0.1:80`, `*:80`, `:80`, `ipv4@1.2.3.4:80`, `:::80`, `/run/x.sock`, `:8000-8010` => addr text + first port. */
export function splitCfgAddr(s: string): { addr: string; port: number | null } {
  const first = s.split(',')[0]!
  const noProto = first.replace(/^(ipv4|ipv6|unix|abns|fd|sockpair|udp|udp4|udp6|quic4|quic6|tcp|tcp4|tcp6)@/, '')
  if (noProto.startsWith('/') || !noProto.includes(':')) return { addr: noProto, port: null }
  const i = noProto.lastIndexOf(':')
  const portPart = noProto.slice(i + 1)
  const pm = /^(\d+)(?:-\d+)?$/.exec(portPart)
  const addr = noProto.slice(0, i) || '*'
  return { addr, port: pm ? Number(pm[1]) : null }
}

const LEGACY_TIMEOUTS: Record<string, string> = { contimeout: 'connect', clitimeout: 'client', srvtimeout: 'server' }

/** Parse haproxy.cfg text; never throws (odd lines land in `warnings`). */
export function parseHaproxyConfig(text: string): Item<HaproxyConfig> {
  return guard('haproxy.cfg', () => {
    const cfg: HaproxyConfig = {
      global: { maxconn: null, ulimitN: null, nbthread: null, nbproc: null, maxsslconn: null, maxpipes: null, tuneMaxaccept: null, user: null, statsSockets: [], settings: [] },
      proxies: [],
      warnings: []
    }
    let section: 'global' | 'skip' | HaproxyProxy | null = null
    let lastDefaults: string | null = null
    const num = (kw: string, v: string | undefined, line: number): number | null => {
      const n = toInt(v)
      if (n === null) cfg.warnings.push(`line ${line}: ${kw} expects a number, got ${JSON.stringify(v ?? '')}`)
      return n
    }

    lines(text).forEach((raw, idx) => {
      const line = idx + 1
      const tok = tokenizeCfgLine(raw)
      if (tok.length === 0) return
      const [kw, ...args] = tok as [string, ...string[]]
      const indented = /^\s/.test(raw)
      if (!indented || MODELLED.has(kw) || OTHER_SECTIONS.has(kw)) {
        if (kw === 'global') {
          section = 'global'
          return
        }
        if (kw === 'defaults' || kw === 'frontend' || kw === 'backend' || kw === 'listen') {
          let name: string | null = args[0] ?? null
          let from: string | null = null
          const fi = args.indexOf('from')
          if (fi >= 0) {
            from = args[fi + 1] ?? null
            if (fi === 0) name = null
          }
          if (kw === 'defaults' && name === 'from') name = null
          const p: HaproxyProxy = {
            kind: kw,
            name: kw === 'defaults' ? name : (name ?? ''),
            line,
            mode: null, maxconn: null, backlog: null, fullconn: null, retries: null, balance: null,
            timeoutsMs: {}, options: [], defaultBackend: null,
            defaultsName: kw === 'defaults' ? from : (from ?? lastDefaults),
            settings: [], binds: [], servers: []
          }
          if (kw === 'defaults') lastDefaults = name ?? ''
          // 1.x style `listen name 0.0.0.0:80` / `frontend name :80`: the address on the header line.
          if ((kw === 'listen' || kw === 'frontend') && args[1] && args[1] !== 'from') {
            const a = splitCfgAddr(args[1])
            p.binds.push({ ...a, backlog: null, maxconn: null, raw: raw.trim() })
          }
          cfg.proxies.push(p)
          section = p
          return
        }
        if (OTHER_SECTIONS.has(kw)) {
          section = 'skip'
          return
        }
        if (!indented && section === null) {
          cfg.warnings.push(`line ${line}: "${kw}" outside any section`)
          return
        }
      }
      if (section === null || section === 'skip') return
      const entry = { line, keyword: kw, args }
      if (section === 'global') {
        const g = cfg.global
        g.settings.push(entry)
        if (kw === 'maxconn') g.maxconn = num(kw, args[0], line)
        else if (kw === 'ulimit-n') g.ulimitN = num(kw, args[0], line)
        else if (kw === 'nbthread') g.nbthread = num(kw, args[0], line)
        else if (kw === 'nbproc') g.nbproc = num(kw, args[0], line)
        else if (kw === 'maxsslconn') g.maxsslconn = num(kw, args[0], line)
        else if (kw === 'maxpipes') g.maxpipes = num(kw, args[0], line)
        else if (kw === 'tune.maxaccept') g.tuneMaxaccept = num(kw, args[0], line)
        else if (kw === 'user') g.user = args[0] ?? null
        else if (kw === 'stats' && args[0] === 'socket' && args[1]) {
          const a = args[1]
          if (a.startsWith('/')) g.statsSockets.push(a)
          else if (a.startsWith('unix@')) g.statsSockets.push(a.slice(5))
        }
        return
      }
      const p = section
      p.settings.push(entry)
      switch (kw) {
        case 'mode':
          p.mode = args[0] ?? null
          break
        case 'maxconn':
          p.maxconn = num(kw, args[0], line)
          break
        case 'backlog':
          p.backlog = num(kw, args[0], line)
          break
        case 'fullconn':
          p.fullconn = num(kw, args[0], line)
          break
        case 'retries':
          p.retries = num(kw, args[0], line)
          break
        case 'balance':
          p.balance = args.join(' ') || null
          break
        case 'default_backend':
          p.defaultBackend = args[0] ?? null
          break
        case 'timeout': {
          const ms = parseHaproxyTime(args[1])
          if (args[0] && ms !== null) p.timeoutsMs[args[0]] = ms
          else cfg.warnings.push(`line ${line}: unreadable timeout`)
          break
        }
        case 'contimeout':
        case 'clitimeout':
        case 'srvtimeout': {
          const ms = parseHaproxyTime(args[0])
          if (ms !== null) p.timeoutsMs[LEGACY_TIMEOUTS[kw]!] = ms
          break
        }
        case 'option':
          p.options.push(args.join(' '))
          break
        case 'no':
          if (args[0] === 'option') p.options.push(`no ${args.slice(1).join(' ')}`)
          break
        case 'bind': {
          if (!args[0]) break
          const a = splitCfgAddr(args[0])
          const opt = (name: string): number | null => {
            const i = args.indexOf(name)
            return i > 0 ? num(`bind ${name}`, args[i + 1], line) : null
          }
          p.binds.push({ ...a, backlog: opt('backlog'), maxconn: opt('maxconn'), raw: raw.trim() })
          break
        }
        case 'server': {
          if (!args[0] || !args[1]) {
            cfg.warnings.push(`line ${line}: server needs a name and an address`)
            break
          }
          const a = splitCfgAddr(args[1])
          const opt = (name: string): number | null => {
            const i = args.indexOf(name, 2)
            return i > 0 ? num(`server ${name}`, args[i + 1], line) : null
          }
          p.servers.push({ name: args[0], addr: a.addr, port: a.port, maxconn: opt('maxconn'), maxqueue: opt('maxqueue'), weight: opt('weight'), check: args.includes('check'), line, raw: raw.trim() })
          break
        }
      }
    })
    return okItem(cfg)
  })
}
