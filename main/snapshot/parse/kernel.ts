/**
 * Parsers for kernel files: /proc/sys values, sysctl.conf lines, /proc/PID/limits,
 * /proc/net/netstat + /proc/net/snmp counters, /proc/meminfo, /proc/uptime, os-release,
 * `uname -r`, /proc/PID/status and `systemctl show -p LimitNOFILE,LimitNOFILESoft`.
 */
import type { CounterSample, ProcLimits, SysctlConfEntry, SysctlValue } from '../schema'
import { clip, guard, int, limit, lines, okItem, parseError, type Item } from './common'

/** A /proc/sys value: whitespace-normalized text plus every number in it (tabs in port ranges). */
export function parseSysctlValue(text: string): Item<SysctlValue> {
  return guard('sysctl', () => {
    const raw = text.replace(/\s+/g, ' ').trim()
    if (raw.includes('\0')) return parseError('binary data in sysctl value')
    const parts = raw === '' ? [] : raw.split(/[ ,]/)
    const numbers: number[] = []
    for (const p of parts) {
      // ip_local_reserved_ports uses ranges: "8000-8010,9000"
      for (const q of p.split('-')) {
        if (q === '') continue
        const n = Number(q)
        if (!Number.isFinite(n) || !/^-?\d+$/.test(q)) return okItem({ raw, numbers: [] })
        numbers.push(n)
      }
    }
    return okItem({ raw, numbers })
  })
}

/** `/proc/sys/net/core/somaxconn` => `net.core.somaxconn`. */
export const sysctlKeyFromPath = (path: string): string => path.replace(/^\/proc\/sys\//, '').replace(/\//g, '.')
/** `net.core.somaxconn` (or `net/core/somaxconn`) => `/proc/sys/net/core/somaxconn`. */
export const sysctlPath = (key: string): string => `/proc/sys/${key.replace(/\./g, '/')}`

/**
 * Lines of one sysctl.d-format file that set a key: `key = value`, `key=value`, a leading `-`
 * (ignore errors) is dropped, `#` and `;` start comments, keys may use `/` instead of `.`.
 */
export function parseSysctlConf(text: string, file: string): Item<SysctlConfEntry[]> {
  return guard('sysctl.conf', () => {
    const out: SysctlConfEntry[] = []
    lines(text).forEach((l, i) => {
      const t = l.trim()
      if (t === '' || t.startsWith('#') || t.startsWith(';')) return
      const eq = t.indexOf('=')
      if (eq < 0) return
      let key = t.slice(0, eq).trim()
      if (key.startsWith('-')) key = key.slice(1).trim()
      key = key.replace(/\//g, '.')
      const value = t.slice(eq + 1).trim().replace(/\s+/g, ' ')
      if (key === '' || /\s/.test(key)) return
      out.push({ key, value, file, line: i + 1 })
    })
    return okItem(out)
  })
}

/** /proc/PID/limits: fixed-width table `Limit  Soft Limit  Hard Limit  Units`. */
export function parseProcLimits(text: string): Item<ProcLimits> {
  return guard('limits', () => {
    const ls = lines(text)
    const header = ls.findIndex((l) => /^Limit\s+Soft Limit\s+Hard Limit/.test(l))
    if (header < 0) return parseError(`no "Limit Soft Limit Hard Limit" header in: ${clip(text)}`)
    const rows: ProcLimits['rows'] = []
    for (const l of ls.slice(header + 1)) {
      if (l.trim() === '') continue
      // Names contain spaces; values are the last 2-3 whitespace-separated tokens.
      const m = /^(.+?)\s{2,}(\S+)\s+(\S+)(?:\s+(\S+))?\s*$/.exec(l)
      if (!m) return parseError(`unreadable limits row: ${clip(l)}`)
      const soft = limit(m[2])
      const hard = limit(m[3])
      if (soft === null || hard === null) return parseError(`bad limit values in: ${clip(l)}`)
      rows.push({ name: m[1]!.trim(), soft, hard, units: m[4] ?? '' })
    }
    const nf = rows.find((r) => r.name === 'Max open files')
    if (!nf) return parseError('no "Max open files" row')
    return okItem({ rows, nofile: { soft: nf.soft, hard: nf.hard } })
  })
}

/** `ulimit -n` and `ulimit -Hn` printed on two lines. */
export function parseUlimit(text: string): Item<{ soft: number | 'unlimited'; hard: number | 'unlimited' }> {
  return guard('ulimit', () => {
    const [a, b] = lines(text).map((l) => l.trim()).filter(Boolean)
    const soft = limit(a)
    const hard = limit(b)
    if (soft === null || hard === null) return parseError(`expected two limits, got: ${clip(text)}`)
    return okItem({ soft, hard })
  })
}

/**
 * /proc/net/netstat and /proc/net/snmp: pairs of `Prefix: names...` / `Prefix: values...`
 * lines. Keys follow nstat: prefix + name (`TcpExtListenOverflows`, `TcpPassiveOpens`).
 * Works for any kernel's column set (3.10 has fewer TcpExt columns than 6.x).
 */
export function parseProcNetCounters(text: string): Item<Record<string, number>> {
  return guard('counters', () => {
    const out: Record<string, number> = {}
    const ls = lines(text).filter((l) => l.trim() !== '')
    let pairs = 0
    for (let i = 0; i + 1 < ls.length; i += 2) {
      const h = /^(\w+):\s*(.*)$/.exec(ls[i]!)
      const v = /^(\w+):\s*(.*)$/.exec(ls[i + 1]!)
      if (!h || !v || h[1] !== v[1]) return parseError(`unpaired counter lines near: ${clip(ls[i]!)}`)
      const names = h[2]!.trim().split(/\s+/).filter(Boolean)
      const vals = v[2]!.trim().split(/\s+/).filter(Boolean)
      if (names.length !== vals.length) return parseError(`${h[1]}: ${names.length} names but ${vals.length} values`)
      names.forEach((n, j) => {
        const x = Number(vals[j])
        if (Number.isFinite(x)) out[`${h[1]}${n}`] = x
      })
      pairs++
    }
    if (pairs === 0) return parseError(`no counter lines in: ${clip(text)}`)
    return okItem(out)
  })
}

/** Combine the netstat and snmp texts with the /proc/uptime reading into one sample. */
export function parseCounterSample(netstat: string, snmp: string, uptime: string): Item<CounterSample> {
  const a = parseProcNetCounters(netstat)
  if (!a.ok) return a
  const b = parseProcNetCounters(snmp)
  if (!b.ok) return b
  const u = parseUptime(uptime)
  if (!u.ok) return u
  return okItem({ uptimeS: u.value, values: { ...b.value, ...a.value } })
}

/** Deltas and rates between two samples (counters that went backwards are dropped: reset/wrap). */
export function counterRates(a: CounterSample, b: CounterSample): Item<{ intervalS: number; delta: Record<string, number>; perS: Record<string, number> }> {
  const intervalS = Math.round((b.uptimeS - a.uptimeS) * 1000) / 1000
  if (!(intervalS > 0)) return parseError(`samples not in order (interval ${intervalS} s)`)
  const delta: Record<string, number> = {}
  const perS: Record<string, number> = {}
  for (const [k, v1] of Object.entries(a.values)) {
    const v2 = b.values[k]
    if (v2 === undefined || v2 < v1) continue
    delta[k] = v2 - v1
    perS[k] = Math.round(((v2 - v1) / intervalS) * 1000) / 1000
  }
  return okItem({ intervalS, delta, perS })
}

/** /proc/uptime: `12345.67 23456.78` => 12345.67. */
export function parseUptime(text: string): Item<number> {
  const m = /^\s*(\d+(?:\.\d+)?)/.exec(text)
  return m ? okItem(Number(m[1])) : parseError(`bad /proc/uptime: ${clip(text)}`)
}

/** /proc/meminfo MemTotal in KiB. */
export function parseMemTotal(text: string): Item<number> {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(text)
  return m ? okItem(Number(m[1])) : parseError('no MemTotal line in /proc/meminfo')
}

/** `uname -r` => { major, minor, patch }. */
export function parseKernelVersion(release: string): Item<{ major: number; minor: number; patch: number }> {
  const m = /^\s*(\d+)\.(\d+)(?:\.(\d+))?/.exec(release)
  if (!m) return parseError(`not a kernel release: ${clip(release)}`)
  return okItem({ major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) })
}

/** /etc/os-release (KEY="value" lines). */
export function parseOsRelease(text: string): Item<{ id: string; versionId: string; prettyName: string }> {
  return guard('os-release', () => {
    const kv: Record<string, string> = {}
    for (const l of lines(text)) {
      const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(l.trim())
      if (!m) continue
      let v = m[2]!.trim()
      if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1)
      kv[m[1]!] = v.replace(/\\(["\\$`])/g, '$1')
    }
    if (!kv.ID && !kv.PRETTY_NAME && !kv.NAME) return parseError('no ID/NAME in os-release')
    return okItem({ id: kv.ID ?? 'linux', versionId: kv.VERSION_ID ?? '', prettyName: kv.PRETTY_NAME ?? kv.NAME ?? kv.ID ?? '' })
  })
}

/** /proc/PID/status: Name, PPid and the effective uid. */
export function parseProcStatus(text: string): Item<{ name: string; ppid: number; uid: number }> {
  const name = /^Name:\s*(.*)$/m.exec(text)?.[1]?.trim()
  const ppid = int(/^PPid:\s*(\d+)/m.exec(text)?.[1])
  const uid = int(/^Uid:\s*\d+\s+(\d+)/m.exec(text)?.[1])
  if (name === undefined || ppid === null || uid === null) return parseError(`unreadable /proc/PID/status: ${clip(text)}`)
  return okItem({ name, ppid, uid })
}

/**
 * `systemctl show -p LimitNOFILE,LimitNOFILESoft UNIT`. Systemd before 235 prints only
 * `LimitNOFILE` (the hard limit); the soft limit is then reported equal to it.
 */
export function parseSystemdNofile(text: string): Item<{ soft: number | 'unlimited'; hard: number | 'unlimited' }> {
  return guard('systemctl show', () => {
    const hard = limit(/^LimitNOFILE=(.*)$/m.exec(text)?.[1])
    if (hard === null) return parseError(`no LimitNOFILE in: ${clip(text)}`)
    const soft = limit(/^LimitNOFILESoft=(.*)$/m.exec(text)?.[1]) ?? hard
    return okItem({ soft, hard })
  })
}
