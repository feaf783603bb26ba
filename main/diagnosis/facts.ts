/**
 * Read-only accessors over a snapshot for the diagnosis rules and the plan: every accessor
 * returns `undefined` when the item failed or is absent, so a rule can say what it could
 * not check instead of guessing. PURE.
 */
import type { HaproxyProxy, Item, Snapshot, StatRow } from '../snapshot/schema'

export function val<T>(it: Item<T> | undefined | null): T | undefined {
  return it && it.ok ? it.value : undefined
}

/** First number of a sysctl's live value. */
export function sysctlNum(snap: Snapshot, key: string): number | undefined {
  const v = val(snap.sysctls.values[key])
  return v && v.numbers.length ? v.numbers[0] : undefined
}

export function sysctlRaw(snap: Snapshot, key: string): string | undefined {
  return val(snap.sysctls.values[key])?.raw
}

export interface Rate {
  delta: number
  perS: number
  intervalS: number
  total: number
}

/** A kernel counter's delta and rate between the two samples (nstat name, e.g. TcpExtListenOverflows). */
export function counterRate(snap: Snapshot, name: string): Rate | undefined {
  const r = val(snap.counters.rates)
  const second = val(snap.counters.second)
  if (r && name in r.delta) {
    return { delta: r.delta[name]!, perS: r.perS[name] ?? r.delta[name]! / (r.intervalS || 1), intervalS: r.intervalS, total: second?.values[name] ?? NaN }
  }
  const first = val(snap.counters.first)
  if (first && second && name in first.values && name in second.values) {
    const intervalS = Math.max(0.01, second.uptimeS - first.uptimeS)
    const delta = second.values[name]! - first.values[name]!
    return { delta, perS: delta / intervalS, intervalS, total: second.values[name]! }
  }
  return undefined
}

export const COUNTERS_SOURCE = '/proc/net/netstat (two samples)'

export function kernelMajorMinor(snap: Snapshot): { major: number; minor: number } | undefined {
  const v = val(snap.host.kernelVersion)
  return v ? { major: v.major, minor: v.minor } : undefined
}

export function haproxyVersion(snap: Snapshot): { version: string; major: number; minor: number } | undefined {
  return snap.haproxy ? val(snap.haproxy.version) : undefined
}

export function haproxyCfg(snap: Snapshot) {
  return snap.haproxy ? val(snap.haproxy.config) : undefined
}

export function statRows(snap: Snapshot): StatRow[] | undefined {
  return snap.haproxy ? val(snap.haproxy.stat)?.rows : undefined
}

export function statEarlierRows(snap: Snapshot): StatRow[] | undefined {
  return snap.haproxy ? val(snap.haproxy.statEarlier)?.rows : undefined
}

export function num(row: StatRow | undefined, col: string): number | undefined {
  const v = row?.[col]
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

export function haproxyInfo(snap: Snapshot): Record<string, number | string> | undefined {
  return snap.haproxy ? val(snap.haproxy.info) : undefined
}

export function infoNum(snap: Snapshot, key: string): number | undefined {
  const v = haproxyInfo(snap)?.[key]
  return typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined
}

/** The defaults section in force for a proxy (named `from`, else the last one above it). */
export function defaultsFor(proxies: HaproxyProxy[], p: HaproxyProxy): HaproxyProxy | undefined {
  if (p.kind === 'defaults') return undefined
  return (
    (p.defaultsName ? proxies.find((d) => d.kind === 'defaults' && d.name === p.defaultsName) : undefined) ??
    proxies.filter((d) => d.kind === 'defaults' && d.line < p.line).pop()
  )
}

/** Proxies that accept connections (frontend / listen with at least one bind). */
export function frontends(snap: Snapshot): HaproxyProxy[] {
  return (haproxyCfg(snap)?.parsed.proxies ?? []).filter((p) => (p.kind === 'frontend' || p.kind === 'listen') && p.binds.length > 0)
}

/** Backends with servers (backend / listen sections). */
export function backends(snap: Snapshot): HaproxyProxy[] {
  return (haproxyCfg(snap)?.parsed.proxies ?? []).filter((p) => (p.kind === 'backend' || p.kind === 'listen') && p.servers.length > 0)
}

/** Usable ephemeral ports P = high - low + 1 - reserved-in-range. */
export function usablePorts(snap: Snapshot): { low: number; high: number; reserved: number; P: number } | undefined {
  const r = val(snap.sysctls.values['net.ipv4.ip_local_port_range'])
  if (!r || r.numbers.length < 2) return undefined
  const [low, high] = [r.numbers[0]!, r.numbers[1]!]
  const raw = val(snap.sysctls.values['net.ipv4.ip_local_reserved_ports'])?.raw ?? ''
  let reserved = 0
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part)
    if (!m) continue
    const a = Math.max(low, Number(m[1]))
    const b = Math.min(high, Number(m[2] ?? m[1]))
    if (b >= a) reserved += b - a + 1
  }
  return { low, high, reserved, P: high - low + 1 - reserved }
}

/** Format a number for evidence (integers plain, others to 1 decimal). */
export function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return 'unknown'
  return Number.isInteger(n) ? String(n) : n.toFixed(1)
}
