/**
 * Secrets in the configuration texts a snapshot keeps (haproxy.cfg, `nginx -T`, php-fpm pool
 * files) are never stored: each secret is replaced by `<redacted:N>`, N the 1-based line in
 * its own file, before the snapshot is written. The line keeps its directive (so the parsers,
 * the diagnosis and the plan's diffs still see `stats auth admin:<redacted:12>`), and the
 * snapshot records the sha256 of each unredacted file (normalized as apply.sh's norm_sha), so:
 *  - apply.sh checks that the live file is still exactly what the snapshot read, and
 *  - puts each `<redacted:N>` line back from line N of that live file before validating and
 *    installing the new file (main/plan/scripts.ts `restore_redacted`).
 * Secrets never reach the snapshot store, the plan bundle, its diffs or its PDF.
 *
 * What counts as a secret: HAProxy `stats auth` passwords, `userlist` passwords, header values
 * of Authorization / Proxy-Authorization, and in every format the value of a directive or
 * parameter whose name says password / passwd / secret / token / api key / auth key.
 */
import { createHash } from 'node:crypto'
import { splitNginxT } from '../plan/config-edit'
import { hasFileMarkers, splitFiles } from './parse/common'

/** sha256 of text with trailing spaces per line and trailing blank lines dropped (matches apply.sh's norm_sha). */
export function normSha(text: string): string {
  const lines = text.split('\n').map((l) => l.replace(/[ \t\r\f\v]+$/, ''))
  while (lines.length && lines[lines.length - 1] === '') lines.pop()
  const body = lines.length ? lines.join('\n') + '\n' : ''
  return createHash('sha256').update(body).digest('hex')
}

/** The marker for a secret on line `n` of its file. */
export const redactedMarker = (n: number): string => `<redacted:${n}>`
export const REDACTED_RE = /<redacted:\d+>/

const SECRET_NAME = /pass(?:word|wd)?|pwd|secret|token|api[-_]?key|auth[-_]?key|private[-_]?key|credential|authorization/i

/** Redact one haproxy.cfg line (n = its line number); returns it unchanged when it holds no secret. */
function haproxyLine(l: string, n: number): string {
  if (/^\s*#/.test(l)) return l
  const m = redactedMarker(n)
  let r = l
  // stats auth <user>:<password>
  r = r.replace(/^(\s*stats\s+auth\s+[^:\s]+:)(\S+)/, `$1${m}`)
  // userlist: user <name> password <hash> | insecure-password <pass>
  r = r.replace(/^(\s*user\s+\S+\s+(?:insecure-)?password\s+)(\S+)/, `$1${m}`)
  // Authorization header values (http-request set-header/add-header, http-check send hdr, ...)
  r = r.replace(/(\b(?:proxy-)?authorization["']?\s+)(.+)$/i, `$1${m}`)
  // anything else named like a secret, followed by its value
  if (r === l) r = r.replace(/(\b[\w.-]*(?:pass(?:word|wd)?|secret|token|api[-_]?key|auth[-_]?key)[\w.-]*\s+)(\S+)/i, `$1${m}`)
  return r
}

/** Redact one nginx line: a directive whose name, or whose first argument (a header or param name), names a secret. */
function nginxLine(l: string, n: number): string {
  if (/^\s*#/.test(l)) return l
  const m = redactedMarker(n)
  const d = /^(\s*)([\w$.-]+)(\s+)(.*?)(;\s*(?:#.*)?)$/.exec(l)
  if (!d) return l
  const [, ind, name, sp, args, end] = d as unknown as [string, string, string, string, string, string]
  if (SECRET_NAME.test(name) && !/_file$/.test(name)) return `${ind}${name}${sp}${m}${end}`
  const a = /^(\S+)(\s+)(.+)$/.exec(args)
  if (a && SECRET_NAME.test(a[1]!)) return `${ind}${name}${sp}${a[1]}${a[2]}${m}${end}`
  return l
}

/** Redact one php-fpm (ini) line: `key = value` or `env[KEY] = value` / `php_admin_value[key] = value` with a secret name. */
function phpFpmLine(l: string, n: number): string {
  if (/^\s*[;#]/.test(l)) return l
  const e = /^(\s*([\w.]+(?:\[([^\]]+)\])?)\s*=\s*)(.*)$/.exec(l)
  if (!e) return l
  const key = e[3] ?? e[2]!
  return SECRET_NAME.test(key) && e[4]!.trim() !== '' ? `${e[1]}${redactedMarker(n)}` : l
}

export interface Redacted {
  text: string
  /** Lines (1-based, in the whole text) that were redacted. */
  lines: number[]
  /** normSha of the unredacted text. */
  sha256: string
}

/**
 * Redact line by line; N restarts after each line matching `header` (a file separator: the
 * collector's `# @@file PATH` when a config spans several files, nginx -T's
 * `# configuration file PATH:`), so it always counts lines within the file itself.
 */
function redactLines(text: string, f: (l: string, n: number) => string, header = /^# @@file .+$/): Redacted {
  const lines: number[] = []
  let n = 0
  const out = text.split('\n').map((l, i) => {
    if (header.test(l)) {
      n = 0
      return l
    }
    const r = f(l, ++n)
    if (r !== l) lines.push(i + 1)
    return r
  })
  return { text: out.join('\n'), lines, sha256: normSha(text) }
}

/**
 * haproxy.cfg text, possibly several files joined by `# @@file PATH` lines (HAProxy started
 * with several -f): `fileSha256` holds the sha256 of each unredacted file by path when there
 * are markers (the plan edits and checks each file on its own).
 */
export function redactHaproxyCfg(text: string): Redacted & { fileSha256?: Record<string, string> } {
  const r = redactLines(text, haproxyLine)
  if (!hasFileMarkers(text)) return r
  const fileSha256: Record<string, string> = {}
  for (const f of splitFiles(text, '')) if (f.path) fileSha256[f.path] = normSha(f.text)
  return { ...r, fileSha256 }
}

export function redactPhpFpm(text: string): Redacted {
  return redactLines(text, phpFpmLine)
}

/**
 * `nginx -T` output: N counts lines within each file (the first line after its header is 1).
 * Returns the per-file sha256 of the unredacted files, split as the plan splits them.
 */
export function redactNginxT(text: string): { text: string; lines: number; fileSha256: Record<string, string> } {
  const r = redactLines(text, nginxLine, /^# configuration file .+:$/)
  const fileSha256: Record<string, string> = {}
  for (const f of splitNginxT(text)) fileSha256[f.path] = normSha(f.text)
  return { text: r.text, lines: r.lines.length, fileSha256 }
}

/**
 * A snapshot with every configuration text redacted: the texts of snapshots taken before
 * redaction existed (or imported from elsewhere) are redacted here, with the checksum of the
 * text as it was; texts that already carry their checksum are left as they are.
 */
export function redactSnapshot<S extends RedactableSnapshot>(s: S): S {
  let out = s
  const h = s.haproxy?.config
  if (h?.ok && h.value.sha256 === undefined) {
    const r = redactHaproxyCfg(h.value.text)
    const value = { ...h.value, text: r.text, sha256: r.sha256, ...(r.fileSha256 ? { fileSha256: r.fileSha256 } : {}) }
    out = { ...out, haproxy: { ...s.haproxy!, config: { ...h, value } } }
  }
  const n = s.nginx?.config
  if (n?.ok && n.value.fileSha256 === undefined) {
    const r = redactNginxT(n.value.text)
    out = { ...out, nginx: { ...s.nginx!, config: { ...n, value: { ...n.value, text: r.text, fileSha256: r.fileSha256 } } } }
  }
  const p = s.phpFpm?.config
  if (p?.ok && p.value.files.some((f) => f.sha256 === undefined)) {
    const files = p.value.files.map((f) => {
      if (f.sha256 !== undefined) return f
      const r = redactPhpFpm(f.text)
      return { ...f, text: r.text, sha256: r.sha256 }
    })
    out = { ...out, phpFpm: { ...s.phpFpm!, config: { ...p, value: { ...p.value, files } } } }
  }
  return out
}

type Ok<T> = { ok: true; value: T } | { ok: false }
/** The parts of a snapshot redaction touches (structural, so this module needs no schema import). */
export interface RedactableSnapshot {
  haproxy: { config: Ok<{ text: string; sha256?: string; fileSha256?: Record<string, string> }> } | null
  nginx: { config: Ok<{ text: string; fileSha256?: Record<string, string> }> } | null
  phpFpm: { config: Ok<{ files: { path: string; text: string; sha256?: string }[] }> } | null
}
