/**
 * Take one snapshot over an open connection: run the three collector phases
 * (collect-script.ts), then assemble (assemble.ts). Whatever happens midway, the items
 * already read are kept: a phase that stops early (sshd died, per-phase timeout, cancel)
 * marks its missing items and every later phase's items with the reason, and the snapshot
 * is returned `partial` with a session-level problem saying what happened.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { Snapshot } from './schema'
import { CONFIGS_SCRIPT, DISCOVER_SCRIPT, SAMPLE_SCRIPT, scriptCommand, splitSections } from './collect-script'
import { assembleSnapshot, planConfigs, planSample, type CollectOptions, type PhaseOutcome } from './assemble'
import type { ExecResult } from '../ssh/connection'
import { VERSION } from '../version'

/** Anything that can run a command with stdin: an SSH session, or a local shell in tests. */
export interface CommandRunner {
  exec(command: string, stdin: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<ExecResult>
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

async function runPhase(runner: CollectRunnerArgs, script: string, params: string[], timeoutMs: number): Promise<PhaseOutcome> {
  const nonce = randomBytes(12).toString('hex')
  const stdin = [nonce, runner.sudo ? '1' : '0', String(runner.commandTimeoutS), ...params.map(line)].join('\n') + '\n'
  const r = await runner.runner.exec(scriptCommand(script), stdin, { timeoutMs, signal: runner.signal })
  const raw = splitSections(r.stdout, nonce)
  if (r.stopped) {
    const error = r.stopped.kind === 'timeout' ? 'timed out' : r.stopped.kind === 'cancelled' ? 'cancelled' : 'connection lost'
    return { raw, failure: { error, detail: r.stopped.message } }
  }
  if (!raw.done) {
    const why = r.stderr.trim().split('\n')[0] ?? ''
    return { raw, failure: { error: 'connection lost', detail: `the collector stopped early (exit ${r.code ?? 'unknown'})${why ? `: ${why}` : ''}` } }
  }
  return { raw, failure: null }
}

interface CollectRunnerArgs {
  runner: CommandRunner
  sudo: boolean
  commandTimeoutS: number
  signal?: AbortSignal
}

/** Collect a snapshot through `runner`. Never throws for remote failures: they become items' errors. */
export async function collectSnapshot(runner: CommandRunner, req: CollectRequest, hooks: CollectHooks = {}): Promise<Snapshot> {
  const started = Date.now()
  const takenAt = new Date(started).toISOString()
  const commandTimeoutS = Math.max(1, Math.round(req.commandTimeoutS ?? 10))
  const args: CollectRunnerArgs = { runner, sudo: req.sudo, commandTimeoutS, signal: hooks.signal }
  // A phase may take at most this long overall (its items each have commandTimeoutS remotely).
  const phaseMs = (commandTimeoutS * 6 + 30) * 1000
  const skipped = (prev: PhaseOutcome): PhaseOutcome => ({ raw: null, failure: prev.failure })
  const stopsAll = (p: PhaseOutcome): boolean => p.failure !== null

  hooks.onStage?.('discover', 0)
  const p1 = await runPhase(args, DISCOVER_SCRIPT, [], phaseMs)
  let p2: PhaseOutcome
  let p3: PhaseOutcome
  if (stopsAll(p1)) {
    p2 = skipped(p1)
    p3 = skipped(p1)
  } else {
    hooks.onStage?.('configs', 0.3)
    const plan = planConfigs(p1, req)
    p2 = await runPhase(args, CONFIGS_SCRIPT, [plan.haproxyConfig, plan.nginxBinary, plan.nginxConf, plan.phpFpmConf, plan.units.join(',')], phaseMs)
    if (stopsAll(p2)) p3 = skipped(p2)
    else {
      hooks.onStage?.('sample', 0.5)
      const sp = planSample(p2, req)
      const iv = Math.max(0, Math.min(600, Math.round(req.sampleIntervalS)))
      p3 = await runPhase(
        args,
        SAMPLE_SCRIPT,
        [String(iv), sp.statsSocket, sp.statsUrl, req.nginxStatusUrl ?? '', req.phpFpmStatusUrl ?? ''],
        phaseMs + iv * 1000
      )
    }
  }
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
