/**
 * Take one snapshot over an open connection: run the three collector phases
 * (collect-script.ts), then assemble (assemble.ts). Whatever happens midway, the items
 * already read are kept: a phase that stops early (sshd died, per-phase timeout, cancel)
 * marks its missing items and every later phase's items with the reason, and the snapshot
 * is returned `partial` with a session-level problem saying what happened.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { Snapshot } from './schema'
import { COLLECTOR_SCRIPT, scriptCommand, splitSections } from './collect-script'
import { assembleSnapshot, planConfigs, planSample, type CollectOptions, type PhaseOutcome } from './assemble'
import type { RunningCommand } from '../ssh/command-handle'
import { VERSION } from '../version'

/** Anything that can start a command to talk to: an SSH session, or a local shell. */
export interface CommandRunner {
  start(command: string, opts?: { signal?: AbortSignal }): RunningCommand
}

export type CollectStage = 'discover' | 'configs' | 'sample' | 'done'

export interface CollectRequest extends CollectOptions {
  /** Names for the record. */
  host: string
  hostName: string | null
  port: number | null
  user: string | null
  name?: string
  /** Per remote command timeout (seconds), default 10. */
  commandTimeoutS?: number
}

export interface CollectHooks {
  signal?: AbortSignal
  onStage?: (stage: CollectStage, fraction: number) => void
}

const line = (s: string): string => s.replace(/[\r\n]/g, ' ')

/** The outcome of phase n (1..3) from the stream so far. */
function outcome(run: RunningCommand, nonce: string, n: number, reached: boolean, stopped: { error: 'timed out' | 'cancelled' | 'connection lost'; detail: string } | null): PhaseOutcome {
  const raw = splitSections(run.stdout(), nonce)
  if (reached) return { raw, failure: null }
  return { raw, failure: stopped ?? { error: 'connection lost', detail: `the collector stopped before the end of phase ${n}` } }
}

/** Collect a snapshot through `runner`. Never throws for remote failures: they become items' errors. */
export async function collectSnapshot(runner: CommandRunner, req: CollectRequest, hooks: CollectHooks = {}): Promise<Snapshot> {
  const started = Date.now()
  const takenAt = new Date(started).toISOString()
  const commandTimeoutS = Math.max(1, Math.round(req.commandTimeoutS ?? 10))
  const iv = Math.max(0, Math.min(600, Math.round(req.sampleIntervalS)))
  // A phase may take at most this long overall (each item has commandTimeoutS remotely).
  const phaseMs = (commandTimeoutS * 6 + 30) * 1000
  const nonce = randomBytes(12).toString('hex')
  const run = runner.start(scriptCommand(COLLECTOR_SCRIPT), { signal: hooks.signal })
  let stopInfo: { error: 'timed out' | 'cancelled' | 'connection lost'; detail: string } | null = null
  void run.result.then((r) => {
    if (r.stopped) stopInfo = { error: r.stopped.kind === 'timeout' ? 'timed out' : r.stopped.kind === 'cancelled' ? 'cancelled' : 'connection lost', detail: r.stopped.message }
  })
  const reach = async (n: number, ms: number): Promise<boolean> => {
    const ok = await run.waitFor(`@@${nonce}@DONE${n}`, ms)
    if (!ok) {
      const r = await run.result
      if (r.stopped) stopInfo = { error: r.stopped.kind === 'timeout' ? 'timed out' : r.stopped.kind === 'cancelled' ? 'cancelled' : 'connection lost', detail: r.stopped.message }
      else if (!stopInfo) {
        const why = r.stderr.trim().split('\n')[0] ?? ''
        stopInfo = { error: 'connection lost', detail: `the collector exited early (exit ${r.code ?? 'unknown'})${why ? `: ${why}` : ''}` }
      }
    }
    return ok
  }
  const skipped = (): PhaseOutcome => ({ raw: null, failure: stopInfo })

  hooks.onStage?.('discover', 0)
  run.write([nonce, req.sudo ? '1' : '0', String(commandTimeoutS)].join('\n') + '\n')
  const ok1 = await reach(1, phaseMs)
  const p1 = outcome(run, nonce, 1, ok1, stopInfo)
  let p2: PhaseOutcome = skipped()
  let p3: PhaseOutcome = skipped()
  if (ok1) {
    hooks.onStage?.('configs', 0.3)
    const plan = planConfigs(p1, req)
    run.write([plan.haproxyConfigs.map((x) => x.replace(/\x1f/g, '')).join('\x1f'), plan.nginxBinary, plan.nginxConf, plan.phpFpmConf, plan.units.join(',')].map(line).join('\n') + '\n')
    const ok2 = await reach(2, phaseMs)
    p2 = outcome(run, nonce, 2, ok2, stopInfo)
    if (ok2) {
      hooks.onStage?.('sample', 0.5)
      const sp = planSample(p2, req)
      run.write([String(iv), sp.statsSocket, sp.statsUrl, req.nginxStatusUrl ?? '', req.phpFpmStatusUrl ?? ''].map(line).join('\n') + '\n')
      run.end()
      // Progress through the sampling wait (0.5 -> 0.95), for the UI's progress bar.
      const t3 = Date.now()
      const tick = iv > 0 ? setInterval(() => hooks.onStage?.('sample', 0.5 + 0.45 * Math.min(1, (Date.now() - t3) / (iv * 1000))), 250) : undefined
      const ok3 = await reach(3, phaseMs + iv * 1000).finally(() => clearInterval(tick))
      p3 = outcome(run, nonce, 3, ok3, stopInfo)
    } else p3 = skipped()
  }
  if (!(await Promise.race([run.result.then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))]))) run.stop('timeout', 'collector did not exit')
  hooks.onStage?.('done', 1)
  const failure = p1.failure ?? p2.failure ?? p3.failure
  const extra: Snapshot['problems'] = failure ? [{ item: 'session', error: failure.error, detail: failure.detail }] : []
  const target = req.user ? `${req.user}@${req.host}` : req.host
  return assembleSnapshot(
    {
      id: `${takenAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomUUID().slice(0, 8)}`,
      name: req.name ?? `${target} ${takenAt.slice(0, 16).replace('T', ' ')}`,
      takenAt,
      durationS: Math.round((Date.now() - started) / 10) / 100,
      source: { kind: 'ssh', host: req.host, hostName: req.hostName, port: req.port, user: req.user, sudo: req.sudo, collector: `headroom/${VERSION}` }
    },
    req,
    p1,
    p2,
    p3,
    extra
  )
}
