/**
 * One SSH connection (ssh2) to a target, through its ProxyJump hops, with:
 * - host keys verified against known_hosts at every hop (`hostVerifier` is always set: ssh2
 *   would accept any key otherwise). Unknown => SshError 'hostkey-unknown' carrying the SHA256
 *   fingerprint, unless the caller confirmed exactly that fingerprint (then it is appended).
 *   Changed or revoked => refused, never overridable here.
 * - auth in OpenSSH's order: explicit key, IdentityFiles, ssh-agent, password,
 *   keyboard-interactive (answered with the password). Keys: OpenSSH or PEM, with passphrase.
 * - timeouts: TCP connect, handshake + auth, and per command; cancel through an AbortSignal.
 */
import { readFileSync } from 'node:fs'
import { connect as netConnect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import ssh2 from 'ssh2'
import type { AuthenticationType, Client as SshClient, ClientChannel, ConnectConfig } from 'ssh2'
import { SshError, toSshError } from './errors'
import { CommandHandle, type RunningCommand } from './command-handle'

// ssh2 is CommonJS: a default import works under Node's ESM loader, named imports do not.
const { Client, utils } = ssh2
import { appendKnownHost, fingerprintSha256, hostEntryName, hostKeyAlgorithmsFor, keyTypeOf, knownKeyTypes, readKnownHosts, verifyHostKey } from './known-hosts'
import type { SshHop, SshTarget } from './ssh-config'

export interface SshCredentials {
  /** A private key given explicitly (text of the file). */
  privateKey?: string
  passphrase?: string
  password?: string
  /** ssh-agent socket; default $SSH_AUTH_SOCK; null disables the agent. */
  agent?: string | null
}

export interface ConnectOptions {
  knownHostsPath: string
  /** Fingerprints (`SHA256:...`) the user explicitly confirmed for unknown hosts, by `[host]:port`. */
  confirmedFingerprints?: Record<string, string>
  connectTimeoutMs?: number
  /** Handshake + authentication. */
  authTimeoutMs?: number
  signal?: AbortSignal
}

export type { ExecResult, RunningCommand } from './command-handle'

export interface SshSession {
  /** Start a command to talk to (stdin lines, stdout markers). Never rejects for remote failures. */
  start(command: string, opts?: { signal?: AbortSignal; maxBytes?: number }): RunningCommand
  /** Set when the connection dropped (sshd died, network): the message. */
  lost(): string | null
  close(): void
}

const hopName = (h: SshHop): string => `${h.alias}${h.alias !== h.hostName ? ` (${h.hostName})` : ''}:${h.port}`

/** TCP connect with our own timeout, so DNS/refused/timeout are told apart. */
function tcpConnect(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host, port })
    const fail = (e: Error): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      s.destroy()
      reject(e)
    }
    const onAbort = (): void => fail(new SshError('cancelled', 'cancelled'))
    const timer = setTimeout(() => fail(new SshError('timeout', `timed out after ${timeoutMs} ms connecting to ${host}:${port}`)), timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    s.once('connect', () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      s.removeAllListeners('error')
      resolve(s)
    })
    s.once('error', (e) => fail(toSshError(e, `${host}:${port}`)))
  })
}


/** Parse a key now so a wrong passphrase is a clear error, not a silent auth failure. */
function loadKey(text: string, passphrase: string | undefined, label: string): { key: string; passphrase?: string } | { error: string } {
  const k = utils.parseKey(text, passphrase)
  if (k instanceof Error) {
    if (/encrypted|passphrase/i.test(k.message)) {
      return { error: passphrase ? `${label}: the passphrase is wrong` : `${label} is encrypted: a passphrase is needed` }
    }
    return { error: `${label}: not a private key ssh2 can read (${k.message})` }
  }
  return { key: text, passphrase }
}

function attemptsFor(hop: SshHop, creds: SshCredentials, problems: string[]): Array<{ type: AuthenticationType; payload: Record<string, unknown> }> {
  const out: Array<{ type: AuthenticationType; payload: Record<string, unknown> }> = []
  const keys: Array<{ text: string; label: string }> = []
  if (creds.privateKey) keys.push({ text: creds.privateKey, label: 'the private key' })
  for (const f of hop.identityFiles) {
    try {
      keys.push({ text: readFileSync(f, 'utf8'), label: f })
    } catch {
      // A configured IdentityFile that does not exist is skipped, as OpenSSH does.
    }
  }
  for (const k of keys) {
    const r = loadKey(k.text, creds.passphrase, k.label)
    if ('error' in r) problems.push(r.error)
    else out.push({ type: 'publickey', payload: { key: r.key, passphrase: r.passphrase } })
  }
  const agent = creds.agent === undefined ? process.env.SSH_AUTH_SOCK : creds.agent
  if (agent) out.push({ type: 'agent', payload: { agent } })
  if (creds.password !== undefined) {
    const pw = creds.password
    out.push({ type: 'password', payload: { password: pw } })
    out.push({
      type: 'keyboard-interactive',
      payload: {
        prompt: (_n: string, _i: string, _l: string, prompts: Array<{ prompt: string; echo?: boolean }>, finish: (answers: string[]) => void) =>
          finish(prompts.map((p) => (p.echo ? '' : pw)))
      }
    })
  }
  return out
}

/** Connect one hop over `sock` (a TCP socket or a forwarded channel). */
function connectHop(hop: SshHop, sock: Duplex, creds: SshCredentials, opts: ConnectOptions): Promise<SshClient> {
  return new Promise((resolve, reject) => {
    const client = new Client()
    let hostKeyError: SshError | null = null
    const problems: string[] = []
    const attempts = attemptsFor(hop, creds, problems)
    let settled = false
    const done = (err: Error | null): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      if (err) {
        client.end()
        sock.destroy()
        reject(err)
      } else resolve(client)
    }
    const authMs = opts.authTimeoutMs ?? 20_000
    const timer = setTimeout(() => done(new SshError('timeout', `timed out after ${authMs} ms in the SSH handshake/authentication with ${hopName(hop)}`)), authMs)
    const onAbort = (): void => done(new SshError('cancelled', 'cancelled'))
    opts.signal?.addEventListener('abort', onAbort, { once: true })

    client.once('ready', () => done(null))
    client.once('error', (e: Error & { level?: string }) => {
      if (hostKeyError) return done(hostKeyError)
      if (e.level === 'client-authentication') {
        const extra = problems.length ? ` (${problems.join('; ')})` : ''
        const tried = attempts.length ? attempts.map((a) => a.type).join(', ') : 'nothing to try: no key, agent or password'
        return done(new SshError('auth', `authentication failed for ${hop.user}@${hopName(hop)}: tried ${tried}${extra}`))
      }
      done(toSshError(e, hopName(hop)))
    })
    client.once('close', () => done(hostKeyError ?? new SshError('connection-lost', `connection to ${hopName(hop)} closed during the handshake`)))

    const queue = [...attempts]
    // Like OpenSSH: prefer the host key algorithms of the keys known_hosts already holds for
    // this host, so an old RSA entry is verified instead of asking about a new ed25519 key.
    let preferred: string[] = []
    try {
      preferred = knownKeyTypes(readKnownHosts(opts.knownHostsPath), hop.hostName, hop.port).flatMap(hostKeyAlgorithmsFor)
    } catch {
      // unreadable known_hosts: the verifier reports it
    }
    client.connect({
      ...(preferred.length ? { algorithms: { serverHostKey: { remove: preferred, prepend: preferred } } } : {}),
      sock,
      username: hop.user,
      readyTimeout: authMs + 1000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      // Security: ssh2 accepts ANY host key unless hostVerifier is set. We check known_hosts.
      hostVerifier: (key: Buffer): boolean => {
        const keyType = keyTypeOf(key)
        const keyBase64 = key.toString('base64')
        const fingerprint = fingerprintSha256(key)
        const info = { host: hop.hostName, port: hop.port, keyType, fingerprint, keyBase64 }
        let known: string
        try {
          known = readKnownHosts(opts.knownHostsPath)
        } catch (e) {
          hostKeyError = new SshError('hostkey-unknown', `cannot read ${opts.knownHostsPath}: ${(e as Error).message}`, info)
          return false
        }
        const v = verifyHostKey(known, hop.hostName, hop.port, keyType, keyBase64)
        if (v.status === 'known') return true
        if (v.status === 'changed') {
          hostKeyError = new SshError(
            'hostkey-changed',
            `HOST KEY CHANGED for ${hostEntryName(hop.hostName, hop.port)}: the server now presents ${keyType} ${fingerprint}, which differs from line ${v.line} of ${opts.knownHostsPath}. This may be an attack (or a reinstalled server). Refused; remove the old line after checking the new fingerprint out of band.`,
            info
          )
          return false
        }
        if (v.status === 'revoked') {
          hostKeyError = new SshError('hostkey-revoked', `the host key of ${hostEntryName(hop.hostName, hop.port)} (${fingerprint}) is marked @revoked in ${opts.knownHostsPath}. Refused.`, info)
          return false
        }
        const confirmed = opts.confirmedFingerprints?.[hostEntryName(hop.hostName, hop.port)]
        if (confirmed && confirmed === fingerprint) {
          appendKnownHost(opts.knownHostsPath, hop.hostName, hop.port, keyType, keyBase64)
          return true
        }
        hostKeyError = new SshError(
          'hostkey-unknown',
          `unknown host ${hostEntryName(hop.hostName, hop.port)}: its ${keyType} key fingerprint is ${fingerprint}. Check it with the server's administrator, then confirm to add it to known_hosts.${v.otherTypes.length ? ` (known_hosts has ${v.otherTypes.join(', ')} keys for it.)` : ''}`,
          info
        )
        return false
      },
      authHandler: (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: (a: unknown) => void) => {
        while (queue.length) {
          const a = queue.shift()!
          if (methodsLeft && !methodsLeft.includes(a.type)) continue
          return next({ type: a.type, username: hop.user, ...a.payload })
        }
        return next(false)
      }
    } as ConnectConfig)
  })
}

/** Open a connection to the target through its jump hosts. */
export async function connectSsh(target: SshTarget, creds: SshCredentials, opts: ConnectOptions): Promise<SshSession> {
  if (opts.signal?.aborted) throw new SshError('cancelled', 'cancelled')
  const hops: SshHop[] = [...target.jumps, target]
  const clients: SshClient[] = []
  const closeAll = (): void => {
    for (const c of clients.reverse()) c.end()
  }
  try {
    let sock: Duplex = await tcpConnect(hops[0]!.hostName, hops[0]!.port, opts.connectTimeoutMs ?? 10_000, opts.signal)
    for (let i = 0; i < hops.length; i++) {
      const c = await connectHop(hops[i]!, sock, creds, opts)
      clients.push(c)
      const nextHop = hops[i + 1]
      if (nextHop) {
        sock = await new Promise<Duplex>((resolve, reject) => {
          const t = setTimeout(() => reject(new SshError('timeout', `timed out opening a tunnel from ${hopName(hops[i]!)} to ${hopName(nextHop)}`)), opts.connectTimeoutMs ?? 10_000)
          c.forwardOut('127.0.0.1', 0, nextHop.hostName, nextHop.port, (err, ch) => {
            clearTimeout(t)
            if (err) reject(new SshError('refused', `jump host ${hopName(hops[i]!)} could not reach ${hopName(nextHop)}: ${err.message}`))
            else resolve(ch)
          })
        })
      }
    }
  } catch (e) {
    closeAll()
    throw toSshError(e, hopName(target))
  }
  const client = clients[clients.length - 1]!
  let lostMsg: string | null = null
  const channels = new Set<() => void>()
  const onLost = (why: string): void => {
    if (lostMsg) return
    lostMsg = why
    for (const f of channels) f()
  }
  for (const c of clients) {
    c.on('error', (e: Error) => onLost(`connection to ${hopName(target)} lost: ${e.message}`))
    c.on('close', () => onLost(`connection to ${hopName(target)} closed by the server (sshd stopped or the network dropped)`))
  }
  return {
    lost: () => lostMsg,
    close: () => {
      lostMsg = lostMsg ?? 'closed'
      closeAll()
    },
    start(command, o = {}) {
      let ch: ClientChannel | null = null
      const pending: Array<() => void> = []
      const h = new CommandHandle(
        {
          write: (x) => (ch ? ch.write(x) : pending.push(() => ch?.write(x))),
          end: () => (ch ? ch.end() : pending.push(() => ch?.end())),
          kill: () => {
            try {
              ch?.signal('KILL')
            } catch {
              // servers may refuse signals; closing the channel ends the command anyway
            }
            ch?.close()
          }
        },
        o
      )
      if (lostMsg) {
        h.finish(null, lostMsg)
        return h
      }
      const onDrop = (): void => h.finish(null, lostMsg ?? 'connection lost')
      channels.add(onDrop)
      void h.result.then(() => channels.delete(onDrop))
      client.exec(command, (e, stream) => {
        if (e) {
          const perm = /denied|prohibited/i.test(e.message)
          return h.finish(null, `${perm ? 'permission denied: ' : ''}the server refused to run the collector: ${e.message}`)
        }
        ch = stream
        let code: number | null = null
        stream.on('data', (d: Buffer) => h.data(d))
        stream.stderr.on('data', (d: Buffer) => h.stderr(d))
        stream.on('exit', (c: number | null) => (code = c))
        stream.on('close', () => h.finish(code))
        for (const f of pending.splice(0)) f()
      })
      return h
    }
  }
}
