/** SSH failures, each with a kind the UI and CLI can act on and a one-line message for people. */
import type { SnapshotFailureKind } from '../snapshot/api-types'

/** The kinds are the API's failure kinds (api-types.ts), minus the catch-all 'error'. */
export type SshErrorKind = Exclude<SnapshotFailureKind, 'error'>

export class SshError extends Error {
  constructor(
    readonly kind: SshErrorKind,
    message: string,
    /** For host key errors: what the server presented. */
    readonly hostKey?: { host: string; port: number; keyType: string; fingerprint: string; keyBase64: string }
  ) {
    super(message)
    this.name = 'SshError'
  }
}

/** Map a socket/ssh2 error to an SshError with a clear message. */
export function toSshError(err: unknown, where: string): SshError {
  if (err instanceof SshError) return err
  const e = err as NodeJS.ErrnoException & { level?: string }
  const code = e?.code
  const msg = e?.message ?? String(err)
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return new SshError('dns', `cannot resolve ${where}: no such host (${code})`)
  if (code === 'ECONNREFUSED') return new SshError('refused', `connection refused by ${where}: nothing listens on that port`)
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new SshError('unreachable', `${where} is unreachable (${code})`)
  if (code === 'ETIMEDOUT') return new SshError('timeout', `timed out connecting to ${where}`)
  if (code === 'ECONNRESET' || code === 'EPIPE') return new SshError('connection-lost', `connection to ${where} was reset`)
  if (e?.level === 'client-authentication') return new SshError('auth', `authentication failed for ${where}: ${msg.replace(/^All configured authentication methods failed$/, 'no key, agent identity or password was accepted')}`)
  if (e?.level === 'client-timeout' || /Timed out while waiting for handshake/i.test(msg)) return new SshError('timeout', `timed out during the SSH handshake with ${where}`)
  if (/Connection lost before handshake|connection closed|Not connected/i.test(msg)) return new SshError('connection-lost', `connection to ${where} closed: ${msg}`)
  return new SshError('protocol', `${where}: ${msg}`)
}
