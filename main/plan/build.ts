/**
 * Build a tuning plan from (baseline snapshot, baseline scenario, chosen what-if scenario,
 * optional simulations of both). Every scenario knob that differs from the baseline and from
 * the server's current value becomes a plan item applied where the server reads it:
 *   kernel sysctls      -> /etc/sysctl.d/90-headroom.conf + `sysctl -w` (later files that would
 *                          override it at boot are commented out)
 *   HAProxy fd limit    -> /etc/systemd/system/<unit>.d/headroom-limits.conf (LimitNOFILE)
 *   HAProxy settings    -> in-place edit of the snapshot's own haproxy.cfg text (unified diff)
 *   nginx / php-fpm     -> in-place edits of their files (listen backlog, workers, children)
 * Knobs that no file on this server holds (client behaviour, other hosts, versions) are
 * listed as manual items. Node-side (sha256 for the scripts' "file unchanged" check).
 */
import { normSha, REDACTED_RE } from '../snapshot/redact'
import { createHash } from 'node:crypto'
import { createTwoFilesPatch } from 'diff'
import type { Snapshot } from '../snapshot/schema'
import {
  defaultServerCheck,
  haproxyEffectiveLimits,
  kernelTraits,
  type KernelConfig,
  type Scenario,
  type ServerCheck
} from '../../simulator/scenario'
import type { SimSummary } from '../../simulator/result'
import { diagnose } from '../diagnosis/rules'
import { counterRate, defaultsFor, sysctlRaw, val } from '../diagnosis/facts'
import { HaproxyCfgEditor, setNginxDirective, setNginxListenParam, setPhpFpmPoolValue, splitNginxT } from './config-edit'
import { applyScript, rollbackScript, type ScriptFile, type ScriptInput, type ScriptOverride } from './scripts'
import { checkAbsPath, checkUnit, commentText, shq } from './shell'
import { hasFileMarkers, splitFiles } from '../snapshot/parse/common'
import type { CheckItem, Plan, PlanFile, PlanItem, PredictionDigest } from './types'

import { SYSCTL_DROPIN } from './constants'
import { httpCheckRequest } from '../scenario/from-snapshot'

export { SYSCTL_DROPIN }

/** Kernel counters whose rise a plan is meant to stop (semantics 1.5, 4.4). */
export const MOTIVATING_COUNTERS = ['TcpExtListenOverflows', 'TcpExtListenDrops', 'TcpExtTCPReqQFullDrop', 'TcpExtPAWSPassive', 'TcpExtTCPTimeWaitOverflow']

export interface PredictionInput {
  summary: SimSummary
  /** Per-second columns (simulator/result.ts names), for the charts. */
  columns?: Record<string, ArrayLike<number>>
}

export interface PlanInput {
  snapshot: Snapshot
  baseline: Scenario
  scenario: Scenario
  baselineResult?: PredictionInput
  scenarioResult?: PredictionInput
  /** ISO time; default now (tests pass a fixed one). */
  createdAt?: string
}

/** Plan-building error meant for the user (bad input, unsafe identifiers). */
export class PlanError extends Error {
  override name = 'PlanError'
}

interface SysctlKnob {
  field: keyof KernelConfig
  key: string
  format: (k: KernelConfig) => string
  exists?: (version: string) => boolean
}

const SYSCTL_KNOBS: SysctlKnob[] = [
  { field: 'somaxconn', key: 'net.core.somaxconn', format: (k) => String(k.somaxconn) },
  { field: 'tcpMaxSynBacklog', key: 'net.ipv4.tcp_max_syn_backlog', format: (k) => String(k.tcpMaxSynBacklog) },
  { field: 'syncookies', key: 'net.ipv4.tcp_syncookies', format: (k) => String(k.syncookies) },
  { field: 'abortOnOverflow', key: 'net.ipv4.tcp_abort_on_overflow', format: (k) => String(k.abortOnOverflow) },
  { field: 'synRetries', key: 'net.ipv4.tcp_syn_retries', format: (k) => String(k.synRetries) },
  { field: 'synackRetries', key: 'net.ipv4.tcp_synack_retries', format: (k) => String(k.synackRetries) },
  { field: 'synLinearTimeouts', key: 'net.ipv4.tcp_syn_linear_timeouts', format: (k) => String(k.synLinearTimeouts), exists: (v) => kernelTraits(v).linearSynBackoff },
  { field: 'twReuse', key: 'net.ipv4.tcp_tw_reuse', format: (k) => String(k.twReuse) },
  { field: 'twReuseDelayMs', key: 'net.ipv4.tcp_tw_reuse_delay', format: (k) => String(k.twReuseDelayMs), exists: (v) => kernelTraits(v).major * 1000 + kernelTraits(v).minor >= 6013 },
  { field: 'timestamps', key: 'net.ipv4.tcp_timestamps', format: (k) => String(k.timestamps) },
  { field: 'twRecycle', key: 'net.ipv4.tcp_tw_recycle', format: (k) => String(k.twRecycle), exists: (v) => kernelTraits(v).twRecycle },
  { field: 'ipLocalPortRange', key: 'net.ipv4.ip_local_port_range', format: (k) => `${k.ipLocalPortRange[0]} ${k.ipLocalPortRange[1]}` },
  { field: 'maxTwBuckets', key: 'net.ipv4.tcp_max_tw_buckets', format: (k) => String(k.maxTwBuckets) },
  { field: 'fileMax', key: 'fs.file-max', format: (k) => String(k.fileMax) }
]

/** Which finding ids an item answers, by scenario path. */
function findingsFor(path: string, findings: { id: string; knobs: string[] }[]): string[] {
  return findings.filter((f) => f.knobs.some((k) => path === k || path.startsWith(k + '.') || path.startsWith(k + '['))).map((f) => f.id)
}


function unifiedDiff(path: string, before: string | null, after: string): string {
  return createTwoFilesPatch(before === null ? '/dev/null' : `a${path}`, `b${path}`, before ?? '', after, undefined, undefined, { context: 3 })
}

function eq(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function secs(s: number): string {
  return Number.isInteger(s) ? `${s}s` : `${Math.round(s * 1000)}ms`
}

/** Digest of a simulation for the plan. */
export function digest(p: PredictionInput | undefined): PredictionDigest | null {
  if (!p) return null
  const s = p.summary
  const requests = s.totals.requests || s.totals.offered
  let series: PredictionDigest['series'] = null
  const c = p.columns
  if (c && c['t'] && c['completed'] && c['failed']) {
    const n = c['t'].length
    const step = Math.max(1, Math.ceil(n / 600))
    const pick = (name: string): number[] => {
      const col = c[name]
      const out: number[] = []
      if (!col) return out
      for (let i = 0; i < n; i += step) {
        let sum = 0
        for (let j = i; j < Math.min(n, i + step); j++) sum += col[j]!
        out.push(name === 't' ? col[i]! : sum / Math.min(step, n - i))
      }
      return out
    }
    series = { t: pick('t'), offered: pick('offered'), completed: pick('completed'), failed: pick('failed') }
  }
  return {
    scenarioName: s.scenarioName,
    seed: s.seed,
    requests,
    ok: s.totals.ok,
    failed: s.totals.failed,
    unfinished: Math.max(0, requests - s.totals.ok - s.totals.failed),
    successPct: requests ? (100 * s.totals.ok) / requests : 0,
    byCause: { ...s.totals.byCause },
    p50Ms: s.latency.p50,
    p99Ms: s.latency.p99,
    connectP99Ms: s.connect.p99,
    ceiling: s.verdict.ceiling,
    ceilingAtS: s.verdict.atS,
    ceilingAtLoad: s.verdict.atLoad,
    verdict: s.verdict.message,
    series
  }
}

/** sysctl.d files applied after the drop-in by `sysctl --system` (same basename order; /etc/sysctl.conf last). */
function appliedAfterDropIn(file: string): boolean {
  if (file === '/etc/sysctl.conf') return true
  const base = file.split('/').pop() ?? ''
  return /\/sysctl\.d\//.test(file) && base > SYSCTL_DROPIN.split('/').pop()!
}

function unitFor(snap: Snapshot, re: RegExp, fallback: string, notes: string[]): string {
  const u = snap.limits.systemd.find((x) => re.test(x.unit))?.unit
  if (u) {
    try {
      return checkUnit(u)
    } catch (err) {
      throw new PlanError(`${(err as Error).message}: the scripts will not pass it to systemctl`)
    }
  }
  notes.push(`The snapshot lists no systemd unit for ${fallback.replace('.service', '')}; the scripts assume ${fallback}.`)
  return fallback
}

function safePath(p: string, what: string): string {
  try {
    return checkAbsPath(p, what)
  } catch (err) {
    throw new PlanError(`${(err as Error).message}; the plan will not write to it`)
  }
}

/**
 * The -f arguments that are directories (any that is not one of the files read: the collector
 * reads a directory's *.cfg), each with the files read from it. `-f conf.d/` reads
 * conf.d//a.cfg: paths are compared with single slashes, as apply.sh lists them.
 */
function configDirs(args: string[], files: string[]): { dir: string; files: string[] }[] {
  const oneSlash = (x: string): string => x.replace(/\/{2,}/g, '/')
  const out: { dir: string; files: string[] }[] = []
  for (const a of args) {
    const dir = oneSlash(a).replace(/\/+$/, '')
    if (!dir || files.includes(a) || files.includes(dir)) continue
    const inDir = files.map(oneSlash).filter((f) => f.startsWith(dir + '/') && !f.slice(dir.length + 1).includes('/'))
    out.push({ dir: safePath(dir, 'haproxy config directory'), files: inDir })
  }
  return out
}

/** Build the plan. Throws PlanError on input it cannot plan safely (with what to fix). */
export function buildPlan(input: PlanInput): Plan {
  const { snapshot: snap, baseline, scenario } = input
  const createdAt = input.createdAt ?? new Date().toISOString()
  const diagnosis = diagnose(snap, input.baselineResult?.summary)
  const findings = diagnosis.findings
  const items: PlanItem[] = []
  const manual: PlanItem[] = []
  const notes: string[] = []
  const files: PlanFile[] = []
  const scriptFiles: ScriptFile[] = []
  const front: 'proxy' | 'backend' = snap.haproxy ? 'proxy' : 'backend'
  const hostPath = `hosts.${front}`
  const id = `plan-${createHash('sha256').update(JSON.stringify([snap.id, scenario, baseline, createdAt])).digest('hex').slice(0, 12)}`

  /**
   * A file the plan writes. `originalSha` is the snapshot's sha256 of the unredacted file; when
   * the text carries `<redacted:N>` secrets, apply.sh puts them back from the live file (which
   * it first checks against that sha), so the plan itself never holds them.
   */
  const addFile = (target: string, original: string | null, content: string, validate: ScriptFile['validate'], originalSha?: string): void => {
    safePath(target, 'file')
    const redacted = REDACTED_RE.test(content)
    if (redacted && (original === null || !originalSha)) throw new PlanError(`${target}: the snapshot redacted secrets but has no checksum of the original file; take a new snapshot`)
    if (redacted) notes.push(`${target} holds secrets the snapshot did not keep (shown as <redacted:N>): apply.sh puts them back from the live file, so install it with apply.sh, not by copying files${target} from the bundle.`)
    files.push({ bundlePath: `files${target}`, target, content, original, diff: unifiedDiff(target, original, content) })
    scriptFiles.push({ target, content, originalSha: original === null ? null : (originalSha ?? normSha(original)), newSha: redacted ? null : normSha(content), validate })
  }

  // ---------------------------------------------------------------- kernel sysctls
  const kb = baseline.hosts[front]
  const ks = scenario.hosts[front]
  const sysctls: { key: string; value: string }[] = []
  const overrides: ScriptOverride[] = []
  const conf = val(snap.sysctls.conf)
  if (!conf && SYSCTL_KNOBS.some((k) => !eq(kb[k.field], ks[k.field]))) {
    notes.push('The snapshot could not read the sysctl files; a file applied after the drop-in may still override it at boot. Check `sysctl --system` output after applying.')
  }
  for (const knob of SYSCTL_KNOBS) {
    if (eq(kb[knob.field], ks[knob.field])) continue
    const newV = knob.format(ks)
    const live = sysctlRaw(snap, knob.key)?.trim().replace(/\s+/g, ' ')
    const path = `${hostPath}.${String(knob.field)}`
    const version = ks.version
    if (knob.exists && !knob.exists(version)) {
      if (live === undefined && newV === '0') continue
      manual.push({ id: `sysctl:${knob.key}`, kind: 'manual', knob: knob.key, scenarioPath: path, old: live ?? 'absent', new: newV, appliedIn: 'not possible on this kernel', actions: ['manual'], findings: findingsFor(path, findings), notes: [`${knob.key} does not exist on kernel ${version}.`] })
      continue
    }
    if (live === newV) continue
    const itemNotes: string[] = []
    for (const e of conf?.entries ?? []) {
      if (e.key !== knob.key || e.value.trim().replace(/\s+/g, ' ') === newV) continue
      if (appliedAfterDropIn(e.file)) {
        try {
          checkAbsPath(e.file, 'sysctl file')
        } catch (err) {
          throw new PlanError(`${(err as Error).message}: it sets ${knob.key} after the drop-in; fix the snapshot or remove that file by hand`)
        }
        if (!overrides.some((o) => o.file === e.file && o.key === e.key)) overrides.push({ file: e.file, key: e.key })
        itemNotes.push(`${e.file}:${e.line} sets ${e.key} = ${commentText(e.value)} after the drop-in at boot: apply.sh comments that line out.`)
      } else {
        itemNotes.push(`${e.file}:${e.line} also sets ${e.key} = ${commentText(e.value)}; the drop-in is applied after it and wins.`)
      }
    }
    sysctls.push({ key: knob.key, value: newV })
    items.push({
      id: `sysctl:${knob.key}`,
      kind: 'sysctl',
      knob: knob.key,
      scenarioPath: path,
      old: live ?? String(kb[knob.field]),
      new: newV,
      appliedIn: `${SYSCTL_DROPIN} + sysctl -w`,
      actions: ['sysctl -w'],
      findings: [...findingsFor(path, findings), ...findingsFor(`sysctl:${knob.key}`, findings)],
      notes: itemNotes
    })
  }
  for (const [side, k] of [['client', 'client'], [front === 'proxy' ? 'backend' : 'proxy', front === 'proxy' ? 'backend' : 'proxy']] as const) {
    const a = baseline.hosts[k]
    const b = scenario.hosts[k]
    for (const knob of SYSCTL_KNOBS) {
      if (eq(a[knob.field], b[knob.field])) continue
      if (side === 'proxy' && !baseline.haproxy && !scenario.haproxy) continue
      manual.push({ id: `other-host:${side}:${knob.key}`, kind: 'manual', knob: `${knob.key} on the ${side} host${side === 'client' ? 's' : 's'}`, scenarioPath: `hosts.${k}.${String(knob.field)}`, old: knob.format(a), new: knob.format(b), appliedIn: `the ${side} hosts (not in this snapshot)`, actions: ['manual'], findings: [], notes: ['This plan only changes the snapshotted server.'] })
    }
  }
  let sysctlDropIn: ScriptInput['sysctlDropIn'] = null
  if (sysctls.length) {
    const content =
      [`# Written by Headroom plan ${id} for ${commentText(diagnosis.host)} (snapshot ${commentText(snap.id)}, ${createdAt}).`, '# Remove this file and run `sysctl --system` to undo (or use rollback.sh).', ...sysctls.map((s) => `${s.key} = ${s.value}`)].join('\n') + '\n'
    sysctlDropIn = { target: SYSCTL_DROPIN, content }
    files.push({ bundlePath: `files${SYSCTL_DROPIN}`, target: SYSCTL_DROPIN, content, original: null, diff: unifiedDiff(SYSCTL_DROPIN, null, content) })
  }
  const somaxconnChanged = sysctls.some((s) => s.key === 'net.core.somaxconn')

  // ---------------------------------------------------------------- HAProxy
  let haproxyDiff: string | null = null
  let haproxySvc: ScriptInput['haproxy'] = null
  let daemonReload = false
  const services: Plan['services'] = { haproxy: null, nginx: null, phpFpm: null }
  /** Every HAProxy config file in -f order (one unless HAProxy reads several). */
  let hpFiles: string[] = []
  /** Each -f directory and the *.cfg files the snapshot read from it. */
  const hpDirs: { dir: string; files: string[] }[] = []
  const hb = baseline.haproxy
  const hs = scenario.haproxy
  if (hb && hs && snap.haproxy) {
    const cfgItem = val(snap.haproxy.config)
    const unit = unitFor(snap, /haproxy/, 'haproxy.service', notes)
    const changedCfg: PlanItem[] = []
    let restart = false
    if (!cfgItem && !eq({ ...hb, fdSoft: 0, fdHard: 0 }, { ...hs, fdSoft: 0, fdHard: 0 })) {
      throw new PlanError('the snapshot has no haproxy.cfg text (its config item failed), so HAProxy changes cannot be written; take a new snapshot with read access to the config')
    }
    if (cfgItem) {
      const cfgPath = safePath(cfgItem.path, 'haproxy config path')
      const ed = new HaproxyCfgEditor(cfgItem.text)
      // HAProxy started with several -f: the snapshot joined the files with `# @@file PATH`
      // lines; each edit lands in the file that holds its section, and each file is written
      // (and checked against the snapshot) on its own
      const parts = splitFiles(cfgItem.text, cfgPath)
      const multi = hasFileMarkers(cfgItem.text)
      hpFiles = parts.map((f) => safePath(f.path, 'haproxy config file'))
      hpDirs.push(...configDirs(cfgItem.args ?? [], hpFiles))
      const proxies = cfgItem.parsed.proxies
      const fe = proxies.find((p) => (p.kind === 'frontend' || p.kind === 'listen') && p.binds.length > 0)
      const be = fe?.kind === 'listen' ? fe : proxies.find((p) => p.kind === 'backend' && p.name === fe?.defaultBackend) ?? proxies.find((p) => p.kind === 'backend')
      const limB = haproxyEffectiveLimits(hb, kb.somaxconn)
      const limS = haproxyEffectiveLimits(hs, ks.somaxconn)
      const add = (key: string, knob: string, path: string, old: string, nw: string, where: string, apply: () => void, extra: string[] = []): void => {
        const before = multi ? splitFiles(ed.text(), cfgPath) : []
        try {
          apply()
        } catch (err) {
          throw new PlanError(`cannot edit haproxy.cfg for ${knob}: ${(err as Error).message}`)
        }
        const file = multi ? splitFiles(ed.text(), cfgPath).filter((f, i) => f.text !== before[i]?.text).map((f) => f.path).join(', ') || cfgPath : cfgPath
        changedCfg.push({ id: `haproxy:${key}`, kind: 'haproxy', knob, scenarioPath: path, old, new: nw, appliedIn: `${file} (${where})`, actions: ['reload haproxy'], findings: findingsFor(path, findings), notes: extra })
      }
      const feSel = fe ? ([fe.kind, fe.name] as const) : null
      const beSel = be ? ([be.kind, be.name] as const) : null
      if (!eq(hb.globalMaxconn, hs.globalMaxconn) && hs.globalMaxconn != null) {
        add('global.maxconn', 'HAProxy global maxconn', 'haproxy.globalMaxconn', hb.globalMaxconn == null ? `unset (effective ${limB.maxconn})` : String(hb.globalMaxconn), String(hs.globalMaxconn), 'global', () => ed.setDirective('global', null, 'maxconn', String(hs.globalMaxconn)))
      }
      // HAProxy 1.x: a frontend without maxconn stays at 2000 whatever the global says.
      let feMax = hs.frontendMaxconn
      if (feMax == null && limS.frontendMaxconn < limS.maxconn && !eq(hb.globalMaxconn, hs.globalMaxconn) && feSel) {
        feMax = hs.globalMaxconn
        notes.push(`HAProxy ${hs.version}: a frontend without maxconn keeps the 1.x default 2000, so the plan sets the frontend maxconn to the new global value ${feMax}.`)
      }
      if (feSel && feMax != null && !eq(hb.frontendMaxconn, feMax)) {
        add(`frontend.${feSel[1]}.maxconn`, `HAProxy frontend ${feSel[1]} maxconn`, 'haproxy.frontendMaxconn', hb.frontendMaxconn == null ? `unset (effective ${limB.frontendMaxconn})` : String(hb.frontendMaxconn), String(feMax), `${feSel[0]} ${feSel[1]}`, () => ed.setDirective(feSel[0], feSel[1], 'maxconn', String(feMax)))
      }
      if (feSel && !eq(hb.frontendBacklog, hs.frontendBacklog) && hs.frontendBacklog != null) {
        add(`frontend.${feSel[1]}.backlog`, `HAProxy frontend ${feSel[1]} backlog`, 'haproxy.frontendBacklog', hb.frontendBacklog == null ? `unset (effective ${limB.backlogRequested})` : String(hb.frontendBacklog), String(hs.frontendBacklog), `${feSel[0]} ${feSel[1]}`, () => ed.setDirective(feSel[0], feSel[1], 'backlog', String(hs.frontendBacklog)))
      }
      if (feSel && !eq(hb.bindBacklog, hs.bindBacklog) && hs.bindBacklog != null) {
        add(`bind.${feSel[1]}.backlog`, `HAProxy bind backlog (${feSel[1]})`, 'haproxy.bindBacklog', hb.bindBacklog == null ? `unset (effective ${limB.backlogRequested})` : String(hb.bindBacklog), String(hs.bindBacklog), `bind lines of ${feSel[1]}`, () => ed.setBindParam(feSel[0], feSel[1]!, 'backlog', String(hs.bindBacklog)))
      }
      if (feSel && !eq(hb.bindMaxconn, hs.bindMaxconn) && hs.bindMaxconn != null) {
        add(`bind.${feSel[1]}.maxconn`, `HAProxy bind maxconn (${feSel[1]})`, 'haproxy.bindMaxconn', String(hb.bindMaxconn ?? 'unset'), String(hs.bindMaxconn), `bind lines of ${feSel[1]}`, () => ed.setBindParam(feSel[0], feSel[1]!, 'maxconn', String(hs.bindMaxconn)))
      }
      if (!eq(hb.ulimitN, hs.ulimitN) && hs.ulimitN != null) add('global.ulimit-n', 'HAProxy global ulimit-n', 'haproxy.ulimitN', String(hb.ulimitN ?? 'unset'), String(hs.ulimitN), 'global', () => ed.setDirective('global', null, 'ulimit-n', String(hs.ulimitN)))
      if (!eq(hb.nbthread, hs.nbthread)) add('global.nbthread', 'HAProxy nbthread', 'haproxy.nbthread', String(hb.nbthread), String(hs.nbthread), 'global', () => ed.setDirective('global', null, 'nbthread', String(hs.nbthread)))
      if (!eq(hb.maxaccept, hs.maxaccept) && hs.maxaccept != null) add('global.tune.maxaccept', 'HAProxy tune.maxaccept', 'haproxy.maxaccept', String(hb.maxaccept ?? 'default'), String(hs.maxaccept), 'global', () => ed.setDirective('global', null, 'tune.maxaccept', String(hs.maxaccept)))
      if (beSel) {
        const [bk, bn] = beSel
        const beDefaults = be ? defaultsFor(proxies, be) : undefined
        const timeout = (field: 'timeoutQueueS' | 'timeoutConnectS' | 'timeoutServerS' | 'timeoutCheckS', name: string): void => {
          const a = hb[field]
          const b = hs[field]
          if (eq(a, b) || b == null) return
          add(`backend.${bn}.timeout.${name}`, `HAProxy backend ${bn} timeout ${name}`, `haproxy.${field}`, a == null ? 'unset' : secs(a), secs(b), `${bk} ${bn}`, () => ed.setDirective(bk, bn, `timeout ${name}`, secs(b)))
        }
        timeout('timeoutQueueS', 'queue')
        timeout('timeoutConnectS', 'connect')
        timeout('timeoutServerS', 'server')
        timeout('timeoutCheckS', 'check')
        if (!eq(hb.retries, hs.retries)) add(`backend.${bn}.retries`, `HAProxy backend ${bn} retries`, 'haproxy.retries', String(hb.retries), String(hs.retries), `${bk} ${bn}`, () => ed.setDirective(bk, bn, 'retries', String(hs.retries)))
        if (!eq(hb.redispatch, hs.redispatch)) {
          add(`backend.${bn}.redispatch`, `HAProxy backend ${bn} option redispatch`, 'haproxy.redispatch', hb.redispatch ? 'on' : 'off', hs.redispatch ? 'on' : 'off', `${bk} ${bn}`, () =>
            hs.redispatch ? ed.ensureLine(bk, bn, 'option redispatch', 'no option redispatch') : ed.ensureLine(bk, bn, 'no option redispatch', 'option redispatch')
          )
        }
        if (!eq(hb.httpCheck ?? false, hs.httpCheck ?? false)) {
          add(`backend.${bn}.httpchk`, `HAProxy backend ${bn} option httpchk`, 'haproxy.httpCheck', hb.httpCheck ? 'on' : 'off (layer-4 checks)', hs.httpCheck ? 'on' : 'off (layer-4 checks)', `${bk} ${bn}`, () =>
            // HAProxy has no `no option httpchk`: another check type (tcp-check without rules: a connect) replaces it
            hs.httpCheck ? ed.ensureLine(bk, bn, 'option httpchk', 'option tcp-check') : ed.ensureLine(bk, bn, 'option tcp-check', 'option httpchk')
          , hs.httpCheck ? ["`option httpchk` alone sends `OPTIONS / HTTP/1.0`: point it at a cheap endpoint (`option httpchk GET /health`). Each check is then a request the server serves like any other, so a server whose workers fall behind fails its checks (L7TOUT) and leaves the balancing."] : ['`option tcp-check` with no tcp-check rules is a plain connect check (layer 4): a busy server passes it as long as its listen queue has room.'])
        }
        const staticOf = (h: typeof hs): boolean => h.httpCheck === true && h.httpCheckEndpoint === 'static'
        if (hs.httpCheck && staticOf(hb) !== staticOf(hs) && be) {
          // what answers the check is the servers' side: their nginx (other machines, or this
          // host's own nginx) needs a location that answers the check URL itself
          const uri = httpCheckRequest(be, beDefaults).uri
          const target = staticOf(hs) && uri === '/' ? '/health' : uri
          if (target !== uri) {
            add(`backend.${bn}.httpchk.uri`, `HAProxy backend ${bn} check URL`, 'haproxy.httpCheckEndpoint', uri, target, `${bk} ${bn}`, () => ed.ensureLine(bk, bn, `option httpchk GET ${target}`, 'option httpchk'), ['The check asks a URL of its own, which the servers answer without the application (see the manual step for their nginx).'])
          }
          manual.push({
            id: `backend:${bn}.httpchk.endpoint`,
            kind: 'manual',
            knob: `what answers HAProxy backend ${bn}'s health checks`,
            scenarioPath: 'haproxy.httpCheckEndpoint',
            old: staticOf(hb) ? `nginx itself (${uri})` : `the application (${uri})`,
            new: staticOf(hs) ? `nginx itself (${target})` : `the application (${target})`,
            appliedIn: "each backend server's nginx configuration",
            actions: ['manual'],
            findings: findingsFor('haproxy.httpCheckEndpoint', findings),
            notes: staticOf(hs)
              ? [`In the server block HAProxy connects to: \`location = ${target} { access_log off; return 200; }\`, then reload nginx.`, 'A static answer says only that nginx is up: a server whose php-fpm is stuck stays UP and its requests get 502/504. A busy server no longer leaves the balancing, so its queue must be bounded elsewhere (server maxconn and timeout queue).']
              : [`Let \`${target}\` reach the application (no \`return\` in its location), then reload nginx: a server whose workers fall behind then fails its checks and leaves the balancing.`]
          })
        }
        if (!eq(hb.balance, hs.balance)) add(`backend.${bn}.balance`, `HAProxy backend ${bn} balance`, 'haproxy.balance', hb.balance, hs.balance, `${bk} ${bn}`, () => ed.setDirective(bk, bn, 'balance', hs.balance))
        const hv = /^(\d+)\.(\d+)/.exec(hs.version)
        const before16 = hv ? Number(hv[1]) * 1000 + Number(hv[2]) < 1006 : hs.version === '1.x'
        if (!eq(hb.serverConnections, hs.serverConnections) && before16) {
          manual.push({ id: `haproxy:backend.${bn}.http-reuse`, kind: 'manual', knob: `HAProxy backend ${bn} server connection reuse`, scenarioPath: 'haproxy.serverConnections', old: hb.serverConnections, new: hs.serverConnections, appliedIn: `needs HAProxy 1.6+ (http-reuse); this server runs ${hs.version}`, actions: ['manual'], findings: findingsFor('haproxy.serverConnections', findings), notes: ['Upgrade HAProxy, then add `http-reuse safe` to the backend.'] })
        } else if (!eq(hb.serverConnections, hs.serverConnections) || (hs.serverConnections === 'keep-alive' && !eq(hb.httpReuse ?? 'safe', hs.httpReuse ?? 'safe'))) {
          const ka = hs.serverConnections === 'keep-alive'
          const mode = hs.httpReuse ?? 'safe'
          const label = (x: typeof hs): string => (x.serverConnections === 'keep-alive' ? `keep-alive, http-reuse ${x.httpReuse ?? 'safe'}` : 'per-request')
          add(`backend.${bn}.http-reuse`, `HAProxy backend ${bn} server connection reuse`, 'haproxy.serverConnections', label(hb), label(hs), `${bk} ${bn}`, () => {
            if (ka) {
              const closeInDefaults = (beDefaults?.options ?? []).some((o) => o === 'http-server-close' || o === 'httpclose' || o === 'forceclose')
              if (closeInDefaults) ed.ensureLine(bk, bn, 'no option http-server-close')
              ed.ensureLine(bk, bn, 'option http-keep-alive')
              ed.setDirective(bk, bn, 'http-reuse', mode)
            } else ed.setDirective(bk, bn, 'http-reuse', 'never')
          }, ka ? [mode === 'always' || mode === 'aggressive' ? 'Idle server connections are reused across client connections: far fewer new connections (and TIME_WAIT ports) towards each backend.' : `http-reuse ${mode}: ${mode === 'never' ? 'a client connection reuses only its own server connection' : "only a client connection's second and later requests take idle server connections"}; with one request per client connection nothing is reused (\`always\` would).`] : [])
        }
        const names = new Set((be?.servers ?? []).map((s) => s.name))
        for (const s of hs.servers) {
          const old = hb.servers.find((x) => x.name === s.name)
          for (const param of ['maxconn', 'maxqueue', 'weight'] as const) {
            const a = old?.[param]
            const b = s[param]
            if (a === b) continue
            const path = `haproxy.servers[${s.name}].${param}`
            if (!names.has(s.name)) {
              manual.push({ id: `haproxy:server.${bn}/${s.name}.${param}`, kind: 'manual', knob: `server ${s.name} ${param}`, scenarioPath: path, old: String(a ?? 'absent'), new: String(b), appliedIn: 'no such server line in haproxy.cfg', actions: ['manual'], findings: [], notes: ['Add the server line by hand.'] })
              continue
            }
            add(`server.${bn}/${s.name}.${param}`, `HAProxy server ${bn}/${s.name} ${param}`, path, a === undefined || (a === 0 && param !== 'weight') ? 'unset' : String(a), String(b), `server ${s.name}`, () => ed.setServerParam(bk, bn!, s.name, param, String(b)))
          }
          // health checks: the `check` flag, then the parameters that differ from what is there
          const ca = old?.check ?? null
          const cb = s.check ?? null
          if (!eq(ca, cb) && names.has(s.name)) {
            const desc = (c: ServerCheck | null): string => (c ? `check inter ${c.interMs}ms rise ${c.rise} fall ${c.fall}${c.fastinterMs != null ? ` fastinter ${c.fastinterMs}ms` : ''}${c.downinterMs != null ? ` downinter ${c.downinterMs}ms` : ''}` : 'no check')
            add(`server.${bn}/${s.name}.check`, `HAProxy server ${bn}/${s.name} health check`, `haproxy.servers[${s.name}].check`, desc(ca), desc(cb), `server ${s.name}`, () => {
              ed.setServerFlag(bk, bn!, s.name, 'check', cb !== null)
              if (!cb) return
              // a new check: inter, rise and fall written out (a default-server line may say otherwise);
              // a changed one: the parameters that differ from what the line had
              const d = ca ?? { ...defaultServerCheck(), interMs: -1, rise: -1, fall: -1 }
              if (cb.interMs !== d.interMs) ed.setServerParam(bk, bn!, s.name, 'inter', `${cb.interMs}ms`)
              if (cb.rise !== d.rise) ed.setServerParam(bk, bn!, s.name, 'rise', String(cb.rise))
              if (cb.fall !== d.fall) ed.setServerParam(bk, bn!, s.name, 'fall', String(cb.fall))
              if (cb.fastinterMs != null && cb.fastinterMs !== ca?.fastinterMs) ed.setServerParam(bk, bn!, s.name, 'fastinter', `${cb.fastinterMs}ms`)
              if (cb.downinterMs != null && cb.downinterMs !== ca?.downinterMs) ed.setServerParam(bk, bn!, s.name, 'downinter', `${cb.downinterMs}ms`)
            }, cb ? ['Each checked server costs HAProxy one more fd (maxsock). A server whose checks fail leaves the balancing; with none left every request gets 503 at once.'] : [])
          }
        }
        const down = hs.servers.filter((x) => x.refuses === true && !hb.servers.find((y) => y.name === x.name)?.refuses).map((x) => x.name)
        if (down.length) notes.push(`The scenario has ${down.join(', ')} down (refusing connections): a condition to plan for, not a setting; the prediction assumes it.`)
      }
      if (!eq(hb.timeoutClientS, hs.timeoutClientS) && feSel) add(`frontend.${feSel[1]}.timeout.client`, `HAProxy frontend ${feSel[1]} timeout client`, 'haproxy.timeoutClientS', secs(hb.timeoutClientS), secs(hs.timeoutClientS), `${feSel[0]} ${feSel[1]}`, () => ed.setDirective(feSel[0], feSel[1], 'timeout client', secs(hs.timeoutClientS)))
      for (const f of ['version', 'startedAsRoot', 'sourceIps', 'backendClosesFirst', 'mode', 'strictLimits'] as const) {
        if (!eq(hb[f], hs[f])) manual.push({ id: `haproxy:${f}`, kind: 'manual', knob: `HAProxy ${f}`, scenarioPath: `haproxy.${f}`, old: String(hb[f]), new: String(hs[f]), appliedIn: 'not a single setting: change by hand', actions: ['manual'], findings: findingsFor(`haproxy.${f}`, findings), notes: [] })
      }
      if (changedCfg.length) {
        const text = ed.text()
        if (!multi) {
          addFile(cfgPath, cfgItem.text, text, 'haproxy', cfgItem.sha256)
          haproxyDiff = files[files.length - 1]!.diff
        } else {
          const diffs: string[] = []
          // a file's text ends with its newline (the split drops the one before the next marker)
          const nl = (t: string): string => (t.endsWith('\n') ? t : `${t}\n`)
          splitFiles(text, cfgPath).forEach((f, i) => {
            const was = parts[i]!
            if (f.text === was.text) return
            addFile(f.path, nl(was.text), nl(f.text), 'haproxy', cfgItem.fileSha256?.[f.path])
            diffs.push(files[files.length - 1]!.diff)
          })
          haproxyDiff = diffs.join('\n')
          notes.push(`HAProxy reads ${parts.length} config files (${parts.map((f) => f.path).join(', ')}): the plan edits ${diffs.length === 1 ? 'the one' : 'each one'} that holds a changed section, and apply.sh checks them together (haproxy -c with every -f, in order).`)
          for (const d of hpDirs) notes.push(`HAProxy reads the directory ${d.dir}: apply.sh first checks it still holds exactly the ${d.files.length} *.cfg file${d.files.length === 1 ? '' : 's'} the snapshot read, and changes nothing if a file was added or removed since.`)
          if (!cfgItem.args) notes.push('This snapshot does not record which -f arguments were directories (it predates that), so apply.sh cannot tell whether a *.cfg file was added to one since the snapshot; a new snapshot can.')
        }
        items.push(...changedCfg)
      }
      if (limS.maxsock > limB.maxsock) {
        notes.push(`HAProxy needs ~${limS.maxsock} fds for maxconn ${limS.maxconn} (2 x maxconn + fixed). ${hs.startedAsRoot ? 'Started as root it raises its own limit to that: no ulimit change is needed.' : 'It is not started as root, so its unit needs LimitNOFILE >= that value.'}`)
      }
      if (!limS.starts) notes.push(`Warning: with these settings HAProxy would refuse to start: ${limS.message}`)
    }
    // fd limit -> systemd drop-in (LimitNOFILE applies at service start: restart)
    if (!eq([hb.fdSoft, hb.fdHard], [hs.fdSoft, hs.fdHard])) {
      const target = `/etc/systemd/system/${unit}.d/headroom-limits.conf`
      const content = `# Written by Headroom plan ${id} (snapshot ${commentText(snap.id)}).\n[Service]\nLimitNOFILE=${hs.fdSoft}:${hs.fdHard}\n`
      addFile(target, null, content, null)
      const cur = snap.limits.systemd.find((u) => u.unit === unit)
      const curLim = cur ? val(cur.limitNOFILE) : undefined
      items.push({ id: `systemd:${unit}.LimitNOFILE`, kind: 'systemd', knob: `${unit} LimitNOFILE`, scenarioPath: 'haproxy.fdSoft', old: curLim ? `${curLim.soft}:${curLim.hard}` : `${hb.fdSoft}:${hb.fdHard}`, new: `${hs.fdSoft}:${hs.fdHard}`, appliedIn: target, actions: ['systemctl daemon-reload', 'restart haproxy'], findings: findingsFor('haproxy.fdSoft', findings), notes: [] })
      daemonReload = true
      restart = true
    }
    // A reload does not re-create the listeners: master-worker and seamless (-x) reloads hand
    // the listening sockets over, so listen() is not called again and Send-Q keeps the old
    // backlog (checked with HAProxy 2.6 in a namespace, docs/plan.md). New backlog => restart.
    const backlogItems = items.filter((i) => i.id === 'sysctl:net.core.somaxconn' || /^haproxy:(bind\..*\.backlog|frontend\..*\.(backlog|maxconn)|global\.maxconn)$/.test(i.id))
    if (backlogItems.length) restart = true
    if (items.some((i) => i.kind === 'haproxy') || somaxconnChanged || restart) {
      haproxySvc = { unit, action: restart ? 'restart' : 'reload' }
      services.haproxy = unit
      const action = restart ? 'restart haproxy' : 'reload haproxy'
      for (const it of items) {
        if (it.kind === 'haproxy') it.actions = [action]
        if (it.id === 'sysctl:net.core.somaxconn') it.actions.push(action)
      }
      if (backlogItems.length) notes.push(`HAProxy is restarted, not reloaded: a reload passes the listening sockets to the new process without a new listen(), so the new backlog (${backlogItems.map((i) => i.knob).join(', ')}) would not take effect. A restart briefly refuses connections; schedule it.`)
    }
  } else if (!eq(hb, hs)) {
    manual.push({ id: 'haproxy:presence', kind: 'manual', knob: 'HAProxy in front', scenarioPath: 'haproxy', old: hb ? 'present' : 'absent', new: hs ? 'present' : 'absent', appliedIn: 'architecture change: not a setting', actions: ['manual'], findings: [], notes: [] })
  }

  // ---------------------------------------------------------------- nginx / php-fpm
  let nginxSvc: ScriptInput['nginx'] = null
  let phpSvc: ScriptInput['phpFpm'] = null
  const nb = baseline.backend
  const ns = scenario.backend
  const ngx = snap.nginx ? val(snap.nginx.config) : undefined
  if (!scenario.haproxy && ngx && (ns.kind === 'nginx-echo' || ns.kind === 'nginx-php-fpm')) {
    const nfiles = splitNginxT(ngx.text)
    const edited = new Map<string, string>()
    const get = (path: string): string => edited.get(path) ?? nfiles.find((f) => f.path === path)?.text ?? ''
    const nItems: PlanItem[] = []
    const mainFile = ngx.files[0] ?? nfiles[0]?.path
    if (nb.nginx.listenBacklog !== ns.nginx.listenBacklog) {
      for (const l of ngx.listens) {
        if (!nfiles.some((f) => f.path === l.file)) throw new PlanError(`nginx -T output in the snapshot lacks ${l.file}`)
        edited.set(l.file, setNginxListenParam(get(l.file), l.line, 'backlog', String(ns.nginx.listenBacklog)))
        nItems.push({ id: `nginx:listen.${l.port ?? l.addr}.backlog`, kind: 'nginx', knob: `nginx listen ${l.addr}:${l.port ?? ''} backlog`, scenarioPath: 'backend.nginx.listenBacklog', old: l.backlog == null ? 'unset (511)' : String(l.backlog), new: String(ns.nginx.listenBacklog), appliedIn: `${l.file}:${l.line}`, actions: ['reload nginx'], findings: findingsFor('backend.nginx.listenBacklog', findings), notes: [] })
      }
    }
    if (mainFile && nb.nginx.workerConnections !== ns.nginx.workerConnections) {
      edited.set(mainFile, setNginxDirective(get(mainFile), 'worker_connections', String(ns.nginx.workerConnections), 'events'))
      nItems.push({ id: 'nginx:worker_connections', kind: 'nginx', knob: 'nginx worker_connections', scenarioPath: 'backend.nginx.workerConnections', old: String(nb.nginx.workerConnections), new: String(ns.nginx.workerConnections), appliedIn: mainFile, actions: ['reload nginx'], findings: [], notes: [] })
    }
    if (mainFile && nb.nginx.workers !== ns.nginx.workers) {
      edited.set(mainFile, setNginxDirective(get(mainFile), 'worker_processes', String(ns.nginx.workers), 'main'))
      nItems.push({ id: 'nginx:worker_processes', kind: 'nginx', knob: 'nginx worker_processes', scenarioPath: 'backend.nginx.workers', old: String(nb.nginx.workers), new: String(ns.nginx.workers), appliedIn: mainFile, actions: ['reload nginx'], findings: [], notes: [] })
    }
    if (mainFile && nb.fdLimit !== ns.fdLimit) {
      edited.set(mainFile, setNginxDirective(get(mainFile), 'worker_rlimit_nofile', String(ns.fdLimit), 'main'))
      nItems.push({ id: 'nginx:worker_rlimit_nofile', kind: 'nginx', knob: 'nginx worker_rlimit_nofile', scenarioPath: 'backend.fdLimit', old: String(ngx.workerRlimitNofile ?? `unset (${nb.fdLimit})`), new: String(ns.fdLimit), appliedIn: mainFile, actions: ['reload nginx'], findings: findingsFor('backend.fdLimit', findings), notes: [] })
    }
    for (const [path, text] of edited) addFile(safePath(path, 'nginx file'), nfiles.find((f) => f.path === path)!.text, text, 'nginx', ngx.fileSha256?.[path])
    items.push(...nItems)
    // A new somaxconn reaches nginx's listener only through a new listen(): restart.
    if (nItems.length || somaxconnChanged) {
      const unit = unitFor(snap, /nginx/, 'nginx.service', notes)
      nginxSvc = { unit, action: somaxconnChanged ? 'restart' : 'reload' }
      services.nginx = unit
      for (const it of items) if (it.id === 'sysctl:net.core.somaxconn') it.actions.push(somaxconnChanged ? 'restart nginx' : 'reload nginx')
    }
  }
  // Changes the snapshot cannot place (its nginx / php-fpm config item failed) stay visible as manual items.
  const unplaced = (cond: boolean, list: [string, string, string, unknown, unknown][], why: string): void => {
    if (!cond) return
    for (const [id, knob, path, a, b] of list) {
      if (!eq(a, b)) manual.push({ id, kind: 'manual', knob, scenarioPath: path, old: String(a), new: String(b), appliedIn: why, actions: ['manual'], findings: findingsFor(path, findings), notes: ['Take a snapshot that can read this configuration, or change it by hand.'] })
    }
  }
  unplaced(!scenario.haproxy && !ngx && (ns.kind === 'nginx-echo' || ns.kind === 'nginx-php-fpm'), [
    ['nginx:listen.backlog', 'nginx listen backlog', 'backend.nginx.listenBacklog', nb.nginx.listenBacklog, ns.nginx.listenBacklog],
    ['nginx:worker_connections', 'nginx worker_connections', 'backend.nginx.workerConnections', nb.nginx.workerConnections, ns.nginx.workerConnections],
    ['nginx:worker_processes', 'nginx worker_processes', 'backend.nginx.workers', nb.nginx.workers, ns.nginx.workers],
    ['nginx:worker_rlimit_nofile', 'nginx worker_rlimit_nofile', 'backend.fdLimit', nb.fdLimit, ns.fdLimit]
  ], 'the snapshot has no nginx configuration')
  const fpm = snap.phpFpm ? val(snap.phpFpm.config) : undefined
  unplaced(!scenario.haproxy && !fpm?.pools.length && ns.kind === 'nginx-php-fpm', [
    ['php-fpm:pm.max_children', 'php-fpm pm.max_children', 'backend.phpFpm.children', nb.phpFpm.children, ns.phpFpm.children],
    ['php-fpm:listen.backlog', 'php-fpm listen.backlog', 'backend.phpFpm.listenBacklog', nb.phpFpm.listenBacklog, ns.phpFpm.listenBacklog]
  ], 'the snapshot has no php-fpm pool configuration')
  if (!scenario.haproxy && fpm && ns.kind === 'nginx-php-fpm') {
    const pool = fpm.pools[0]
    const pItems: PlanItem[] = []
    if (pool) {
      const file = fpm.files.find((f) => f.path === pool.file)
      if (!file) throw new PlanError(`the snapshot lacks the text of php-fpm pool file ${pool.file}`)
      let text = file.text
      if (nb.phpFpm.children !== ns.phpFpm.children) {
        text = setPhpFpmPoolValue(text, pool.name, 'pm.max_children', String(ns.phpFpm.children))
        pItems.push({ id: `php-fpm:${pool.name}.pm.max_children`, kind: 'php-fpm', knob: `php-fpm pool ${pool.name} pm.max_children`, scenarioPath: 'backend.phpFpm.children', old: String(pool.maxChildren ?? nb.phpFpm.children), new: String(ns.phpFpm.children), appliedIn: pool.file, actions: ['restart php-fpm'], findings: findingsFor('backend.phpFpm.children', findings), notes: ['Each child costs memory (RSS of a PHP worker): check free memory before raising it.'] })
      }
      if (nb.phpFpm.listenBacklog !== ns.phpFpm.listenBacklog) {
        text = setPhpFpmPoolValue(text, pool.name, 'listen.backlog', String(ns.phpFpm.listenBacklog))
        pItems.push({ id: `php-fpm:${pool.name}.listen.backlog`, kind: 'php-fpm', knob: `php-fpm pool ${pool.name} listen.backlog`, scenarioPath: 'backend.phpFpm.listenBacklog', old: String(pool.listenBacklog ?? 'unset (511)'), new: String(ns.phpFpm.listenBacklog), appliedIn: pool.file, actions: ['restart php-fpm'], findings: findingsFor('backend.phpFpm.listenBacklog', findings), notes: [] })
      }
      if (text !== file.text) addFile(safePath(pool.file, 'php-fpm pool file'), file.text, text, 'php-fpm', file.sha256)
    }
    items.push(...pItems)
    if (pItems.length || somaxconnChanged) {
      const unit = unitFor(snap, /php.*fpm/, 'php-fpm.service', notes)
      phpSvc = { unit, action: 'restart' }
      services.phpFpm = unit
      for (const it of items) if (it.id === 'sysctl:net.core.somaxconn') it.actions.push('restart php-fpm')
    }
  }
  for (const f of ['workers', 'servers', 'serviceTime', 'kind'] as const) {
    if (!eq(nb[f], ns[f]) && !(f === 'servers' && hs)) manual.push({ id: `backend:${f}`, kind: 'manual', knob: `backend ${f}`, scenarioPath: `backend.${f}`, old: JSON.stringify(nb[f]), new: JSON.stringify(ns[f]), appliedIn: 'capacity / application change (not a config line here)', actions: ['manual'], findings: [], notes: [] })
  }
  for (const f of ['clients', 'network'] as const) {
    if (!eq(baseline[f], scenario[f])) notes.push(`The scenario also changes the ${f} (workload assumptions), which no server setting applies: the prediction assumes them.`)
  }
  if (!items.length) notes.push('The chosen scenario changes no setting on this server: there is nothing to apply.')

  const scriptInput: ScriptInput = {
    planId: id,
    title: `${diagnosis.host}: ${baseline.name} -> ${scenario.name}`,
    sysctls,
    sysctlDropIn,
    overrides,
    files: scriptFiles,
    haproxy: haproxySvc,
    nginx: nginxSvc,
    phpFpm: phpSvc,
    haproxyConfigFiles: hpFiles,
    haproxyConfigDirs: hpDirs,
    phpFpmBin: (val(snap.limits.processes) ?? []).find((x) => x.kind === 'php-fpm' && x.ppid === 1)?.comm ?? (val(snap.limits.processes) ?? []).find((x) => x.kind === 'php-fpm')?.comm,
    daemonReload
  }
  const checklist = buildChecklist(snap, items, scenario, front, overrides.length > 0, hpFiles)
  const motivation = MOTIVATING_COUNTERS.map((c) => ({ counter: c, perS: counterRate(snap, c)?.perS ?? 0 })).filter((m) => m.perS > 0)
  return {
    format: 'headroom-plan/1',
    id,
    createdAt,
    host: diagnosis.host,
    snapshotId: snap.id,
    snapshotName: snap.name,
    snapshotTakenAt: snap.takenAt,
    baselineName: baseline.name,
    scenarioName: scenario.name,
    items,
    manual,
    findings,
    files,
    haproxyDiff,
    applySh: items.length ? applyScript(scriptInput) : '#!/bin/sh\necho "headroom: this plan changes nothing"\n',
    rollbackSh: items.length ? rollbackScript(scriptInput) : '#!/bin/sh\necho "headroom: this plan changes nothing"\n',
    checklist,
    prediction: { baseline: digest(input.baselineResult), scenario: digest(input.scenarioResult) },
    motivation,
    services,
    notes
  }
}

function buildChecklist(snap: Snapshot, items: PlanItem[], scenario: Scenario, front: 'proxy' | 'backend', overrides: boolean, hpFiles: string[]): CheckItem[] {
  const out: CheckItem[] = []
  const sys = items.filter((i) => i.kind === 'sysctl')
  for (const i of sys) out.push({ items: [i.id], what: `${i.knob} is live`, command: `sysctl -n ${i.knob}`, expect: i.new })
  if (sys.length) {
    out.push({ items: sys.map((i) => i.id), what: 'the drop-in wins at boot', command: `sysctl --system 2>&1 | grep -E '^\\* Applying|${sys.map((i) => i.knob.replace(/\./g, '\\.')).join('|')}'`, expect: `${SYSCTL_DROPIN} is the last file that sets ${sys.map((i) => i.knob).join(', ')}${overrides ? ' (later lines are commented out)' : ''}` })
  }
  const k = scenario.hosts[front]
  const hp = scenario.haproxy
  if (hp && snap.haproxy) {
    const lim = haproxyEffectiveLimits(hp, k.somaxconn)
    const port = val(snap.haproxy.config)?.parsed.proxies.find((p) => (p.kind === 'frontend' || p.kind === 'listen') && p.binds.length > 0)?.binds[0]?.port
    const hpItems = items.filter((i) => i.kind === 'haproxy' || i.kind === 'systemd').map((i) => i.id)
    const cfgFiles = hpFiles.length ? hpFiles : ['/etc/haproxy/haproxy.cfg']
    const arg = (p: string): string => (/^[\w./@+:-]+$/.test(p) ? p : shq(p))
    if (hpItems.length) out.push({ items: hpItems, what: 'the installed config is valid', command: `haproxy -c ${cfgFiles.map((p) => `-f ${arg(p)}`).join(' ')}`, expect: 'Configuration file is valid' })
    const sock = val(snap.haproxy.statsSource)?.where ?? val(snap.haproxy.config)?.parsed.global.statsSockets[0] ?? '/run/haproxy/admin.sock'
    out.push({ items: hpItems, what: 'HAProxy runs with the new limits', command: `echo "show info" | socat stdio ${sock} | grep -E '^(Maxconn|Maxsock|Ulimit-n):'`, expect: `Maxconn: ${lim.maxconn}, Maxsock: about ${lim.maxsock}, Ulimit-n >= Maxsock` })
    if (port != null) {
      out.push({ items: items.filter((i) => /somaxconn|backlog|maxconn/.test(i.id)).map((i) => i.id), what: 'the listener was re-created with the new backlog', command: `ss -ltn 'sport = :${port}'`, expect: `Send-Q ${lim.backlogEffective} (if it still shows the old value, restart HAProxy)` })
    }
    out.push({ items: hpItems, what: 'the frontend is no longer at its limit', command: `echo "show stat" | socat stdio ${sock} | cut -d, -f1,2,5,6,7 | grep FRONTEND`, expect: `scur and smax below slim ${lim.frontendMaxconn}` })
  }
  if (!hp) {
    const ngx = snap.nginx ? val(snap.nginx.config) : undefined
    for (const l of ngx?.listens ?? []) out.push({ items: items.filter((i) => /somaxconn|nginx:listen/.test(i.id)).map((i) => i.id), what: `nginx listener :${l.port} was re-created`, command: `ss -ltn 'sport = :${l.port}'`, expect: `Send-Q ${Math.min(scenario.backend.nginx.listenBacklog, k.somaxconn)} (restart nginx if it shows the old value)` })
    const pool = snap.phpFpm ? val(snap.phpFpm.config)?.pools[0] : undefined
    if (pool?.listen?.startsWith('/')) out.push({ items: items.filter((i) => /somaxconn|php-fpm/.test(i.id)).map((i) => i.id), what: 'php-fpm socket backlog', command: `ss -lx | grep ${pool.listen}`, expect: `Send-Q ${Math.min(scenario.backend.phpFpm.listenBacklog, k.somaxconn)}` })
  }
  out.push({ items: [], what: 'the kernel stopped dropping connections', command: 'nstat -az TcpExtListenOverflows TcpExtListenDrops; sleep 10; nstat -az TcpExtListenOverflows TcpExtListenDrops', expect: 'the two readings are equal (counters not rising under the same load)' })
  if (items.some((i) => i.id === 'sysctl:net.ipv4.tcp_tw_recycle')) out.push({ items: ['sysctl:net.ipv4.tcp_tw_recycle'], what: 'no more timestamp-rejected SYNs', command: 'nstat -az TcpExtPAWSPassive; sleep 10; nstat -az TcpExtPAWSPassive', expect: 'not rising' })
  return out
}
