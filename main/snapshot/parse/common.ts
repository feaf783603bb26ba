/**
 * Shared helpers for the pure parsers of command output. Every parser returns an `Item`
 * (its value or `{ ok: false, error: 'parse error', detail }`) and never throws: `guard`
 * turns any exception into a parse error so one odd output costs one item, not the snapshot.
 */
import type { Item, ItemError, LimitValue } from '../schema'

export type { Item }

export const okItem = <T>(value: T): Item<T> => ({ ok: true, value })
export const failItem = (error: ItemError['error'], detail: string): ItemError => ({ ok: false, error, detail })
export const parseError = (detail: string): ItemError => failItem('parse error', detail)

/** Run a parser; any exception becomes a parse error on that item. */
export function guard<T>(what: string, fn: () => Item<T>): Item<T> {
  try {
    return fn()
  } catch (e) {
    return parseError(`${what}: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/** Split text into lines, accepting \n, \r\n and a missing final newline. */
export const lines = (text: string): string[] => text.replace(/\r\n?/g, '\n').split('\n')

/** A strict non-negative integer, or null. */
export function int(s: string | undefined): number | null {
  if (s === undefined) return null
  const t = s.trim()
  if (!/^-?\d+$/.test(t)) return null
  const n = Number(t)
  return Number.isSafeInteger(n) ? n : null
}

/** A limit as the kernel/systemd print it: a number, `unlimited` or `infinity`. */
export function limit(s: string | undefined): LimitValue | null {
  if (s === undefined) return null
  const t = s.trim().toLowerCase()
  if (t === 'unlimited' || t === 'infinity') return 'unlimited'
  const n = int(t)
  return n !== null && n >= 0 ? n : null
}

/** Clip text for an error detail. */
export const clip = (s: string, n = 120): string => (s.length > n ? `${s.slice(0, n)}...` : s)

/** The line the snapshot's config phase puts before each file when a config spans several (haproxy -f, php-fpm includes). */
export const FILE_MARKER_RE = /^# @@file (.+)$/

/** Whether a config text joins several files (has `# @@file PATH` lines). */
export function hasFileMarkers(txt: string): boolean {
  return txt.split('\n').some((l) => FILE_MARKER_RE.test(l))
}

/** Split the `# @@file PATH` markers the config phase puts between concatenated files (text before the first marker belongs to `fallbackPath`). */
export function splitFiles(txt: string, fallbackPath: string): Array<{ path: string; text: string }> {
  const files: Array<{ path: string; lines: string[] }> = []
  for (const l of txt.split('\n')) {
    const m = FILE_MARKER_RE.exec(l)
    if (m) files.push({ path: m[1]!, lines: [] })
    else {
      if (files.length === 0) files.push({ path: fallbackPath, lines: [] })
      files[files.length - 1]!.lines.push(l)
    }
  }
  return files.map((f) => ({ path: f.path, text: f.lines.join('\n') }))
}
