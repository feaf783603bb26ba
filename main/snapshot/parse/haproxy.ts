/**
 * HAProxy outputs: `show stat` CSV (by header name, never by position: 1.5 has 62 columns,
 * 2.6 about 100, and the order only ever grows), `show info` (`Key: value`) and `haproxy -v`.
 */
import type { StatRow, StatTable } from '../schema'
import { clip, guard, lines, okItem, parseError, failItem, type Item } from './common'

/** Split one CSV line; HAProxy quotes fields holding commas or quotes ("" escapes a quote). */
export function splitCsv(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let q = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (q) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"'
          i++
        } else q = false
      } else cur += c
    } else if (c === '"') q = true
    else if (c === ',') {
      out.push(cur)
      cur = ''
    } else cur += c
  }
  out.push(cur)
  return out
}

const NUM = /^-?\d+(\.\d+)?$/
const cell = (s: string | undefined): string | number | null => {
  if (s === undefined || s === '') return null
  return NUM.test(s) && Number.isFinite(Number(s)) ? Number(s) : s
}

/** Errors HAProxy's CLI prints instead of data. */
function cliError(text: string): Item<never> | null {
  const t = text.trim()
  if (/^Permission denied/i.test(t)) return failItem('permission denied', clip(t))
  if (/^Unknown command/i.test(t)) return failItem('command failed', clip(t))
  return null
}

/** `show stat` (socket) or the stats page's `;csv` export. */
export function parseShowStat(text: string): Item<StatTable> {
  return guard('show stat', () => {
    const bad = cliError(text)
    if (bad) return bad
    const ls = lines(text).filter((l) => l.trim() !== '')
    const hi = ls.findIndex((l) => l.startsWith('#'))
    if (hi < 0) return parseError(`no "# pxname,svname,..." header in: ${clip(text)}`)
    const columns = splitCsv(ls[hi]!.replace(/^#\s*/, '')).map((c) => c.trim())
    while (columns.length && columns[columns.length - 1] === '') columns.pop()
    if (!columns.includes('pxname') || !columns.includes('svname')) return parseError(`header has no pxname/svname columns: ${clip(ls[hi]!)}`)
    const textCols = new Set(['pxname', 'svname'])
    const rows: StatRow[] = []
    for (const l of ls.slice(hi + 1)) {
      if (l.startsWith('#')) continue
      const f = splitCsv(l)
      if (f.length < 2) return parseError(`unreadable CSV row: ${clip(l)}`)
      const row: StatRow = {}
      columns.forEach((c, i) => {
        if (c !== '') row[c] = textCols.has(c) ? (f[i] ?? '') : cell(f[i])
      })
      rows.push(row)
    }
    return okItem({ columns: columns.filter((c) => c !== ''), rows })
  })
}

/** `show info`: `Key: value` lines; numeric values become numbers. */
export function parseShowInfo(text: string): Item<Record<string, number | string>> {
  return guard('show info', () => {
    const bad = cliError(text)
    if (bad) return bad
    const out: Record<string, number | string> = {}
    for (const l of lines(text)) {
      const i = l.indexOf(':')
      if (i <= 0) continue
      const k = l.slice(0, i).trim()
      const v = l.slice(i + 1).trim()
      if (!/^[\w.-]+$/.test(k)) continue
      out[k] = NUM.test(v) && Number.isFinite(Number(v)) ? Number(v) : v
    }
    if (!('Name' in out) && !('Version' in out) && !('Maxconn' in out)) return parseError(`not a show info output: ${clip(text)}`)
    return okItem(out)
  })
}

/** `haproxy -v` (2.x `HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://...`; 1.x `HA-Proxy version 1.5.18 2016/05/10`). */
export function parseHaproxyVersion(text: string): Item<{ raw: string; version: string; major: number; minor: number; date: string | null }> {
  const m = /HA-?Proxy version (\d+)\.(\d+)(\S*)(?:\s+(\d{4}\/\d{2}\/\d{2}))?/i.exec(text)
  if (!m) return parseError(`not a haproxy -v output: ${clip(text)}`)
  return okItem({ raw: text, version: `${m[1]}.${m[2]}${m[3]}`, major: Number(m[1]), minor: Number(m[2]), date: m[4] ?? null })
}
