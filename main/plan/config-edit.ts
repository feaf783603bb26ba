/**
 * In-place editors for the configuration texts a snapshot carries (haproxy.cfg, nginx -T,
 * php-fpm pool files). They change only the lines that carry a knob, keeping every other
 * byte (comments, indentation, column alignment, blank lines): an existing directive gets
 * its value token replaced; a missing one is inserted after the last directive of its
 * section with the section's indentation. PURE.
 */

import { FILE_MARKER_RE } from '../snapshot/parse/common'

const HAPROXY_SECTIONS = /^\s*(global|defaults|frontend|backend|listen|peers|resolvers|userlist|mailers|cache|program|http-errors|ring)(?:\s+([^\s#]+))?\s*(?:#.*)?$/

interface Section {
  kind: string
  name: string | null
  /** Header line index (0-based). */
  start: number
  /** First line after the section (exclusive). */
  end: number
}

function isContent(line: string): boolean {
  const t = line.trim()
  return t.length > 0 && !t.startsWith('#')
}

function tokens(line: string): string[] {
  const hash = line.indexOf('#')
  return (hash >= 0 ? line.slice(0, hash) : line).trim().split(/\s+/).filter(Boolean)
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Edits one haproxy.cfg text. Throws a clear Error when a section is not found. */
export class HaproxyCfgEditor {
  readonly lines: string[]
  private readonly trailingNewline: boolean

  constructor(text: string) {
    this.trailingNewline = text.endsWith('\n')
    this.lines = (this.trailingNewline ? text.slice(0, -1) : text).split('\n')
  }

  text(): string {
    return this.lines.join('\n') + (this.trailingNewline ? '\n' : '')
  }

  /** Sections in order; a section also ends where the next file of a multi-file text starts (HAProxy starts each -f file outside any section). */
  private sections(): Section[] {
    const out: Section[] = []
    let open: Section | null = null
    this.lines.forEach((l, i) => {
      const m = HAPROXY_SECTIONS.exec(l)
      if (m || FILE_MARKER_RE.test(l)) {
        if (open) open.end = i
        open = null
      }
      if (m) {
        open = { kind: m[1]!, name: m[2] ?? null, start: i, end: this.lines.length }
        out.push(open)
      }
    })
    return out
  }

  private section(kind: string, name: string | null): Section {
    const s = this.sections().find((x) => x.kind === kind && (kind === 'global' || x.name === name))
    if (!s) throw new Error(`haproxy.cfg has no "${kind}${name ? ' ' + name : ''}" section`)
    return s
  }

  private indentOf(sec: Section): string {
    for (let i = sec.start + 1; i < sec.end; i++) {
      const l = this.lines[i]!
      if (isContent(l)) return /^\s*/.exec(l)![0] || '    '
    }
    return '    '
  }

  /** Where a new directive goes: before the first `server` line (servers conventionally come last), else after the last directive. */
  private insertAt(sec: Section): number {
    let last = sec.start
    for (let i = sec.start + 1; i < sec.end; i++) {
      if (!isContent(this.lines[i]!)) continue
      if (tokens(this.lines[i]!)[0] === 'server') return i
      last = i
    }
    return last + 1
  }

  /**
   * Set `keyword... value` in a section: replace the value of an existing line (first match,
   * `no` lines excluded) or insert the line. `keyword` may be several words (`timeout queue`).
   * Returns the 1-based line number written.
   */
  setDirective(kind: string, name: string | null, keyword: string, value: string): number {
    const sec = this.section(kind, name)
    const kw = keyword.split(' ')
    const re = new RegExp(`^(\\s*${kw.map(escapeRe).join('\\s+')}\\s+)(\\S+)(.*)$`)
    for (let i = sec.start + 1; i < sec.end; i++) {
      const l = this.lines[i]!
      const t = tokens(l)
      if (t.length > kw.length && kw.every((k, j) => t[j] === k)) {
        const m = re.exec(l)
        if (m) {
          this.lines[i] = m[1] + value + m[3]
          return i + 1
        }
      }
    }
    const at = this.insertAt(sec)
    this.lines.splice(at, 0, `${this.indentOf(sec)}${keyword} ${value}`)
    return at + 1
  }

  /** Ensure a flag line (`option redispatch`, `no option http-server-close`) exists in a section. */
  ensureLine(kind: string, name: string | null, line: string, removeLine?: string): number {
    const sec = this.section(kind, name)
    const want = line.split(' ')
    const drop = removeLine?.split(' ')
    for (let i = sec.start + 1; i < sec.end; i++) {
      const t = tokens(this.lines[i]!)
      if (t.length === want.length && want.every((w, j) => t[j] === w)) return i + 1
      if (drop && t.length >= drop.length && drop.every((w, j) => t[j] === w)) {
        const indent = /^\s*/.exec(this.lines[i]!)![0]
        this.lines[i] = indent + line
        return i + 1
      }
    }
    const at = this.insertAt(sec)
    this.lines.splice(at, 0, `${this.indentOf(sec)}${line}`)
    return at + 1
  }

  /** Set a parameter (`maxconn 500`) on `server NAME ...` lines of a backend/listen section. */
  setServerParam(kind: string, section: string, server: string, param: string, value: string): number {
    const sec = this.section(kind, section)
    for (let i = sec.start + 1; i < sec.end; i++) {
      const t = tokens(this.lines[i]!)
      if (t[0] === 'server' && t[1] === server) {
        this.lines[i] = setParam(this.lines[i]!, param, value)
        return i + 1
      }
    }
    throw new Error(`haproxy.cfg section ${kind} ${section} has no server "${server}"`)
  }

  /** Add or remove a flag (`check`) on the `server NAME ...` line of a backend/listen section. */
  setServerFlag(kind: string, section: string, server: string, flag: string, on: boolean): number {
    const sec = this.section(kind, section)
    for (let i = sec.start + 1; i < sec.end; i++) {
      const line = this.lines[i]!
      const t = tokens(line)
      if (t[0] !== 'server' || t[1] !== server) continue
      const hash = line.indexOf('#')
      const body = hash >= 0 ? line.slice(0, hash) : line
      const comment = hash >= 0 ? line.slice(hash) : ''
      const has = t.slice(3).includes(flag)
      if (on && !has) {
        const trimmed = body.replace(/\s+$/, '')
        this.lines[i] = `${trimmed} ${flag}${comment ? (body.slice(trimmed.length) || ' ') + comment : body.slice(trimmed.length)}`
      } else if (!on && has) this.lines[i] = body.replace(new RegExp(`\\s${escapeRe(flag)}(?=\\s|$)`), '') + comment
      return i + 1
    }
    throw new Error(`haproxy.cfg section ${kind} ${section} has no server "${server}"`)
  }

  /** Set a parameter (`backlog 4096`) on every `bind` line of a frontend/listen section. */
  setBindParam(kind: string, section: string, param: string, value: string): number[] {
    const sec = this.section(kind, section)
    const out: number[] = []
    for (let i = sec.start + 1; i < sec.end; i++) {
      if (tokens(this.lines[i]!)[0] === 'bind') {
        this.lines[i] = setParam(this.lines[i]!, param, value)
        out.push(i + 1)
      }
    }
    if (!out.length) throw new Error(`haproxy.cfg section ${kind} ${section} has no bind line`)
    return out
  }
}

/** Replace ` param VALUE` on a line, or append it before a trailing comment. */
function setParam(line: string, param: string, value: string): string {
  const hash = line.indexOf('#')
  const body = hash >= 0 ? line.slice(0, hash) : line
  const comment = hash >= 0 ? line.slice(hash) : ''
  const re = new RegExp(`(\\s${escapeRe(param)}\\s+)(\\S+)`)
  if (re.test(body)) return body.replace(re, `$1${value}`) + comment
  const trimmed = body.replace(/\s+$/, '')
  const gap = body.slice(trimmed.length)
  return `${trimmed} ${param} ${value}${comment ? (gap || ' ') + comment : gap}`
}

// ------------------------------------------------------------------------ nginx --

/** Split `nginx -T` output into its files (`# configuration file PATH:` markers). */
export function splitNginxT(text: string): { path: string; text: string }[] {
  const out: { path: string; lines: string[] }[] = []
  for (const line of text.split('\n')) {
    const m = /^# configuration file (.+):$/.exec(line)
    if (m) out.push({ path: m[1]!, lines: [] })
    else if (out.length) out[out.length - 1]!.lines.push(line)
  }
  return out.map((f) => {
    // nginx -T prints a blank line after each file; keep the file's own final newline.
    const lines = [...f.lines]
    while (lines.length && lines[lines.length - 1] === '') lines.pop()
    return { path: f.path, text: lines.join('\n') + '\n' }
  })
}

/** Set `param=value` on an nginx `listen` line (1-based line number in its file). */
export function setNginxListenParam(text: string, line: number, param: string, value: string): string {
  const lines = text.split('\n')
  const l = lines[line - 1]
  if (l === undefined || !/^\s*listen\s/.test(l)) throw new Error(`line ${line} is not a listen directive`)
  const re = new RegExp(`(\\s${escapeRe(param)}=)([^\\s;]+)`)
  lines[line - 1] = re.test(l) ? l.replace(re, `$1${value}`) : l.replace(/\s*;/, ` ${param}=${value};`)
  return lines.join('\n')
}

/** Set a simple nginx directive (`worker_connections 4096;`) in the first block that has it, or insert it at top level / in `events`. */
export function setNginxDirective(text: string, name: string, value: string, insertIn: 'main' | 'events'): string {
  const lines = text.split('\n')
  const re = new RegExp(`^(\\s*${escapeRe(name)}\\s+)([^;]+)(;.*)$`)
  for (let i = 0; i < lines.length; i++) {
    const m = re.exec(lines[i]!)
    if (m && !lines[i]!.trim().startsWith('#')) {
      lines[i] = m[1] + value + m[3]
      return lines.join('\n')
    }
  }
  if (insertIn === 'events') {
    const ev = lines.findIndex((l) => /^\s*events\s*\{/.test(l))
    if (ev < 0) throw new Error('nginx.conf has no events block')
    lines.splice(ev + 1, 0, `    ${name} ${value};`)
  } else {
    const first = lines.findIndex((l) => /^\s*(worker_processes|user|pid|error_log)\b/.test(l))
    lines.splice(first >= 0 ? first + 1 : 0, 0, `${name} ${value};`)
  }
  return lines.join('\n')
}

// ---------------------------------------------------------------------- php-fpm --

/** Set `key = value` in a php-fpm pool section ([name]), replacing an active line or inserting one. */
export function setPhpFpmPoolValue(text: string, pool: string, key: string, value: string): string {
  const lines = text.split('\n')
  let start = -1
  let end = lines.length
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*\[([^\]]+)\]\s*$/.exec(lines[i]!)
    if (m) {
      if (start >= 0) {
        end = i
        break
      }
      if (m[1] === pool) start = i
    }
  }
  if (start < 0) throw new Error(`php-fpm file has no [${pool}] pool section`)
  const re = new RegExp(`^(\\s*${escapeRe(key)}\\s*=\\s*)(.*?)(\\s*)$`)
  for (let i = start + 1; i < end; i++) {
    const m = re.exec(lines[i]!)
    if (m) {
      lines[i] = m[1] + value + m[3]
      return lines.join('\n')
    }
  }
  let last = start
  for (let i = start + 1; i < end; i++) {
    const t = lines[i]!.trim()
    if (t && !t.startsWith(';') && !t.startsWith('#')) last = i
  }
  lines.splice(last + 1, 0, `${key} = ${value}`)
  return lines.join('\n')
}
