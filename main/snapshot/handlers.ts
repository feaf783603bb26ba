/**
 * The `snapshot.*` API domain: take (with progress events, cancel, host-key confirmation),
 * the on-disk store (list/open/rename/delete/export/import), compare, fleet, and the host
 * list from ~/.ssh/config. Composed into the API service by the lead (main/api/service.ts).
 */
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { ApiError } from '../api/errors'
import type { SecretStore } from '../ssh/secrets'
import { secretKey } from '../ssh/secrets'
import { SshError } from '../ssh/errors'
import { appendKnownHost, hostEntryName } from '../ssh/known-hosts'
import { listConfigHosts, matchConfigHosts, resolveTarget } from '../ssh/ssh-config'
import type { SshCredentials } from '../ssh/connection'
import type {
  SnapshotApi,
  SnapshotEvents,
  SnapshotFailureKind,
  SnapshotFleetRequest,
  SnapshotStage,
  SnapshotTakeRequest
} from './api-types'
import { SnapshotStore, StoreError, summarize } from './store'
import { compareSnapshots } from './compare'
import { runFleet } from './fleet'
import { takeSnapshot, type TakeParams } from './take'
import type { Snapshot } from './schema'

export interface SnapshotHandlerContext {
  /** The service's event bus; typed on this domain's events so the bus emit (over all events) fits. */
  emit: <E extends keyof SnapshotEvents>(event: E, payload: SnapshotEvents[E]) => void
  userDataDir: string
  secrets: SecretStore
  /** Default ~/.ssh/config. */
  sshConfigPath?: string
  /** Default ~/.ssh/known_hosts. */
  knownHostsPath?: string
}

const STAGE_PROGRESS: Record<SnapshotStage, number> = { connecting: 0.05, discover: 0.15, configs: 0.35, sample: 0.5, saving: 0.95 }

function storeError(e: unknown): never {
  if (e instanceof StoreError) throw new ApiError(e.code === 'not-found' ? 'not-found' : e.code === 'corrupt' ? 'corrupt' : 'invalid', e.message)
  throw e
}

export function createSnapshotHandlers(ctx: SnapshotHandlerContext): SnapshotApi & { close(): void } {
  const store = new SnapshotStore(ctx.userDataDir)
  const sshConfigPath = ctx.sshConfigPath ?? join(homedir(), '.ssh', 'config')
  const knownHostsPath = ctx.knownHostsPath ?? join(homedir(), '.ssh', 'known_hosts')
  const running = new Map<string, AbortController>()
  /** Host keys servers presented that known_hosts did not know, awaiting a yes. */
  const pendingKeys = new Map<string, { host: string; port: number; keyType: string; keyBase64: string; fingerprint: string }>()

  const sshConfigText = (): string => {
    try {
      return existsSync(sshConfigPath) ? readFileSync(sshConfigPath, 'utf8') : ''
    } catch {
      return ''
    }
  }

  const failureOf = (e: unknown): { kind: SnapshotFailureKind; message: string; hostKey?: { host: string; port: number; keyType: string; fingerprint: string } } => {
    if (e instanceof SshError) {
      if (e.hostKey && e.kind === 'hostkey-unknown') {
        pendingKeys.set(hostEntryName(e.hostKey.host, e.hostKey.port), e.hostKey)
        const { host, port, keyType, fingerprint } = e.hostKey
        return { kind: e.kind, message: e.message, hostKey: { host, port, keyType, fingerprint } }
      }
      return { kind: e.kind, message: e.message }
    }
    return { kind: 'error', message: e instanceof Error ? e.message : String(e) }
  }

  /** Credentials for a take: given ones, else remembered ones; remember if asked and possible. */
  async function credentialsFor(req: SnapshotTakeRequest, user: string, hostName: string, port: number): Promise<{ creds: SshCredentials; notice?: string }> {
    const creds: SshCredentials = { privateKey: req.privateKey, passphrase: req.passphrase, password: req.password }
    const key = secretKey(user, hostName, port)
    let notice: string | undefined
    if (req.password === undefined && req.passphrase === undefined && ctx.secrets.available) {
      const saved = await ctx.secrets.get(key)
      if (saved) {
        try {
          const j = JSON.parse(saved) as { password?: string; passphrase?: string }
          creds.password = j.password
          creds.passphrase = j.passphrase
        } catch {
          // unreadable entry: ignore it
        }
      }
    }
    if (req.remember && (req.password !== undefined || req.passphrase !== undefined)) {
      if (ctx.secrets.available) await ctx.secrets.set(key, JSON.stringify({ password: req.password, passphrase: req.passphrase }))
      else notice = `not remembered: ${ctx.secrets.reason ?? 'no OS keychain'}`
    }
    return { creds, notice }
  }

  const paramsFor = (req: Omit<SnapshotTakeRequest, 'host'>, host: string, creds: SshCredentials): TakeParams => ({
    host,
    user: req.user,
    port: req.port,
    name: req.name,
    sampleIntervalS: req.sampleIntervalS ?? 5,
    sudo: req.sudo ?? false,
    credentials: creds,
    commandTimeoutS: req.commandTimeoutS,
    haproxyConfigPath: req.haproxyConfigPath,
    haproxyStatsSocket: req.haproxyStatsSocket,
    haproxyStatsUrl: req.haproxyStatsUrl,
    nginxStatusUrl: req.nginxStatusUrl,
    phpFpmStatusUrl: req.phpFpmStatusUrl
  })

  /** One take, reporting stages through `onStage`; saves and returns the snapshot. */
  async function takeAndSave(params: TakeParams, signal: AbortSignal, onStage: (s: SnapshotStage, p: number) => void): Promise<Snapshot> {
    onStage('connecting', STAGE_PROGRESS.connecting)
    const snap = await takeSnapshot(params, { sshConfigText: sshConfigText(), knownHostsPath }, {
      signal,
      onStage: (stage, f) => {
        if (stage !== 'done') onStage(stage, Math.max(STAGE_PROGRESS[stage], f))
      }
    })
    if (signal.aborted) throw new SshError('cancelled', 'cancelled')
    onStage('saving', STAGE_PROGRESS.saving)
    store.save(snap)
    return snap
  }

  return {
    async take(req) {
      const takeId = randomUUID()
      let target
      try {
        target = resolveTarget(sshConfigText(), req.host, { user: req.user, port: req.port })
      } catch (e) {
        throw new ApiError('config', e instanceof Error ? e.message : String(e))
      }
      const { creds, notice } = await credentialsFor(req, target.user, target.hostName, target.port)
      const ctl = new AbortController()
      running.set(takeId, ctl)
      const host = req.host
      void takeAndSave(paramsFor(req, req.host, creds), ctl.signal, (stage, progress) => ctx.emit('snapshot.progress', { takeId, host, stage, progress }))
        .then((snap) => {
          const session = snap.problems.find((p) => p.item === 'session')
          ctx.emit('snapshot.done', { takeId, summary: summarize(snap), ...(session ? { warning: `partial snapshot saved: ${session.error}: ${session.detail}` } : {}) })
        })
        .catch((e: unknown) => ctx.emit('snapshot.failed', { takeId, host, ...failureOf(e) }))
        .finally(() => running.delete(takeId))
      return notice ? { takeId, notice } : { takeId }
    },

    async cancel(id) {
      const c = running.get(id)
      if (!c) return { cancelled: false }
      c.abort()
      return { cancelled: true }
    },

    async confirmHostKey(c) {
      const k = pendingKeys.get(hostEntryName(c.host, c.port))
      if (!k || k.fingerprint !== c.fingerprint) {
        throw new ApiError('hostkey', `no pending host key for ${hostEntryName(c.host, c.port)} with fingerprint ${c.fingerprint}: take a snapshot first and confirm the fingerprint it reports`)
      }
      appendKnownHost(knownHostsPath, k.host, k.port, k.keyType, k.keyBase64)
      pendingKeys.delete(hostEntryName(c.host, c.port))
      return { added: true }
    },

    async list() {
      return store.list()
    },
    async open(id) {
      try {
        return store.open(id)
      } catch (e) {
        return storeError(e)
      }
    },
    async rename(id, name) {
      try {
        return store.rename(id, name)
      } catch (e) {
        return storeError(e)
      }
    },
    async delete(id) {
      try {
        return { deleted: store.delete(id) }
      } catch (e) {
        return storeError(e)
      }
    },
    async export(id) {
      try {
        return store.export(id)
      } catch (e) {
        return storeError(e)
      }
    },
    async import(json) {
      try {
        return store.import(json)
      } catch (e) {
        return storeError(e)
      }
    },
    async compare(idA, idB) {
      try {
        return compareSnapshots(store.open(idA), store.open(idB))
      } catch (e) {
        return storeError(e)
      }
    },

    async fleet(req: SnapshotFleetRequest) {
      const cfg = sshConfigText()
      const hosts = [...new Set([...(req.hosts ?? []), ...(req.pattern ? matchConfigHosts(cfg, req.pattern) : [])])]
      if (hosts.length === 0) throw new ApiError('invalid', req.pattern ? `no host in ${sshConfigPath} matches "${req.pattern}"` : 'no hosts given')
      const fleetId = randomUUID()
      const ctl = new AbortController()
      running.set(fleetId, ctl)
      const started = Date.now()
      for (const host of hosts) ctx.emit('snapshot.fleetProgress', { fleetId, host, state: 'queued' })
      void runFleet(
        hosts,
        req.concurrency ?? 4,
        async (host, signal) => {
          const t = resolveTarget(cfg, host, { user: req.user, port: req.port })
          const { creds } = await credentialsFor({ ...req, host }, t.user, t.hostName, t.port)
          return takeAndSave(paramsFor(req, host, creds), signal, (stage) => ctx.emit('snapshot.fleetProgress', { fleetId, host, state: 'running', stage }))
        },
        {
          signal: ctl.signal,
          onStart: (host) => ctx.emit('snapshot.fleetProgress', { fleetId, host, state: 'running', stage: 'connecting' }),
          onEnd: (r) =>
            ctx.emit(
              'snapshot.fleetProgress',
              r.ok ? { fleetId, host: r.host, state: 'done', snapshotId: r.value!.id } : { fleetId, host: r.host, state: 'failed', error: failureOf(r.error) }
            )
        }
      )
        .then((results) =>
          ctx.emit('snapshot.fleetDone', {
            fleetId,
            wallMs: Date.now() - started,
            results: results.map((r) => (r.ok ? { host: r.host, ok: true, snapshotId: r.value!.id, partial: r.value!.partial } : { host: r.host, ok: false, error: (({ kind, message }) => ({ kind, message }))(failureOf(r.error)) }))
          })
        )
        .finally(() => running.delete(fleetId))
      return { fleetId, hosts }
    },

    async sshHosts() {
      return { hosts: listConfigHosts(sshConfigText()) }
    },

    close() {
      for (const c of running.values()) c.abort()
      running.clear()
    }
  }
}
