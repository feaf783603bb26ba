/**
 * known_hosts: verify a server's host key like OpenSSH does (plain and hashed `|1|salt|hmac`
 * entries, wildcard patterns, `[host]:port` for non-22 ports, `@revoked`), and append a newly
 * confirmed key (hashed, as Debian's HashKnownHosts does). Unknown keys are never accepted
 * without an explicit confirmation of their SHA256 fingerprint; a changed key is refused.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { dirname } from 'node:path'

export type HostKeyVerdict = { status: 'known' } | { status: 'unknown'; otherTypes: string[] } | { status: 'changed'; line: number } | { status: 'revoked'; line: number }

/** `SHA256:base64-without-padding` of a raw key blob, as `ssh-keygen -l` prints. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/** The key type named inside an SSH public key blob. */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown'
  const n = blob.readUInt32BE(0)
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString('latin1') : 'unknown'
}

/** How a host appears in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export const hostEntryName = (host: string, port: number): string => (port === 22 ? host : `[${host}]:${port}`)

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i')
  return re.test(name)
}

/** Does a comma-separated host pattern list (or a hashed entry) name this host? */
export function hostPatternMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|')
    if (!salt || !hash) return false
    const h = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64')
    return h === hash
  }
  let matched = false
  for (const p of field.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false
    } else if (globMatch(p, name)) matched = true
  }
  return matched
}

/** Check a presented key against known_hosts text. */
export function verifyHostKey(knownHosts: string, host: string, port: number, keyType: string, keyBase64: string): HostKeyVerdict {
  const name = hostEntryName(host, port)
  const sameType: number[] = []
  const otherTypes = new Set<string>()
  let known = false
  const ls = knownHosts.split(/\r?\n/)
  for (let i = 0; i < ls.length; i++) {
    const t = ls[i]!.trim()
    if (t === '' || t.startsWith('#')) continue
    let f = t.split(/\s+/)
    let marker: string | null = null
    if (f[0]!.startsWith('@')) {
      marker = f[0]!
      f = f.slice(1)
    }
    const [hosts, type, key] = f
    if (!hosts || !type || !key || marker === '@cert-authority') continue
    if (!hostPatternMatches(hosts, name)) continue
    if (marker === '@revoked') {
      if (key === keyBase64) return { status: 'revoked', line: i + 1 }
      continue
    }
    if (type === keyType) {
      if (key === keyBase64) known = true
      else sameType.push(i + 1)
    } else otherTypes.add(type)
  }
  if (known) return { status: 'known' }
  if (sameType.length) return { status: 'changed', line: sameType[0]! }
  return { status: 'unknown', otherTypes: [...otherTypes] }
}

/** Key types known_hosts already holds for this host (revoked and CA lines excluded). */
export function knownKeyTypes(knownHosts: string, host: string, port: number): string[] {
  const name = hostEntryName(host, port)
  const out: string[] = []
  for (const l of knownHosts.split(/\r?\n/)) {
    const f = l.trim().split(/\s+/)
    if (!f[0] || f[0].startsWith('#') || f[0].startsWith('@') || !f[1] || !f[2]) continue
    if (hostPatternMatches(f[0], name) && !out.includes(f[1])) out.push(f[1])
  }
  return out
}

/** Host key algorithms that verify a key of this type (RSA keys sign with SHA-2 today). */
export function hostKeyAlgorithmsFor(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']
  if (keyType === 'ssh-ed25519' || /^ecdsa-sha2-nistp(256|384|521)$/.test(keyType)) return [keyType]
  return []
}

/** A hashed known_hosts line for this host. */
export function hashedLine(host: string, port: number, keyType: string, keyBase64: string): string {
  const salt = randomBytes(20)
  const h = createHmac('sha1', salt).update(hostEntryName(host, port)).digest('base64')
  return `|1|${salt.toString('base64')}|${h} ${keyType} ${keyBase64}`
}

/** Read a known_hosts file ('' when it does not exist yet). */
export function readKnownHosts(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : ''
}

/** Append a confirmed key (creating ~/.ssh 0700 and the file 0600 if needed). */
export function appendKnownHost(path: string, host: string, port: number, keyType: string, keyBase64: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const needsNl = existsSync(path) && statSync(path).size > 0 && !readFileSync(path, 'utf8').endsWith('\n')
  appendFileSync(path, `${needsNl ? '\n' : ''}${hashedLine(host, port, keyType, keyBase64)}\n`, { mode: 0o600 })
}
