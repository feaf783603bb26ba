/**
 * Snapshot one host over SSH: resolve it through ~/.ssh/config, connect (host key checked),
 * collect, close. Connection failures throw SshError (nothing was read); anything after the
 * connection is up ends in a snapshot, partial if need be.
 */
import type { Snapshot } from './schema'
import { collectSnapshot, type CollectHooks } from './collect'
import type { CollectOptions } from './assemble'
import { connectSsh, type SshCredentials } from '../ssh/connection'
import { resolveTarget } from '../ssh/ssh-config'

export interface TakeParams extends CollectOptions {
  /** Alias from ~/.ssh/config, hostname or address. */
  host: string
  user?: string
  port?: number
  name?: string
  credentials?: SshCredentials
  commandTimeoutS?: number
  connectTimeoutS?: number
  authTimeoutS?: number
}

export interface TakeEnv {
  sshConfigText: string
  knownHostsPath: string
  /** Fingerprints the user confirmed for unknown hosts, by `[host]:port` (or `host` on 22). */
  confirmedFingerprints?: Record<string, string>
}

export async function takeSnapshot(p: TakeParams, env: TakeEnv, hooks: CollectHooks = {}): Promise<Snapshot> {
  const target = resolveTarget(env.sshConfigText, p.host, { user: p.user, port: p.port })
  const session = await connectSsh(target, p.credentials ?? {}, {
    knownHostsPath: env.knownHostsPath,
    confirmedFingerprints: env.confirmedFingerprints,
    connectTimeoutMs: (p.connectTimeoutS ?? 10) * 1000,
    authTimeoutMs: (p.authTimeoutS ?? 20) * 1000,
    signal: hooks.signal
  })
  try {
    return await collectSnapshot(
      session,
      { ...p, host: p.host, hostName: target.hostName, port: target.port, user: target.user },
      hooks
    )
  } finally {
    session.close()
  }
}
