/**
 * Diagnosis rules: PURE functions over a snapshot (and optionally a simulation of it) that
 * say which ceiling a Linux + HAProxy / nginx + php-fpm server hits, why, with the values
 * they read as evidence, and what to change. Mechanisms follow shared/semantics.md
 * (section numbers in the comments); units: connections, ports, fds, seconds, per-second rates.
 *
 * Ranking: each rule scores its finding (higher = closer to failed requests); critical
 * ceilings that are being hit now outrank configuration smells. A simulation's first
 * ceiling, when given, raises the findings that explain it.
 */
import type { Snapshot, StatRow } from '../snapshot/schema'
import type { SimSummary } from '../../simulator/result'
import type { Diagnosis, Evidence, Finding, Severity } from './types'
import { isLoopbackAddr, twReuseReaches } from '../../simulator/scenario'
import { defaultServerArgs, httpCheckFromConfig, serverCheckFromConfig } from '../scenario/from-snapshot'
import {
  COUNTERS_SOURCE,
  backends,
  counterRate,
  defaultsFor,
  fmt,
  frontends,
  haproxyCfg,
  haproxyVersion,
  infoNum,
  kernelMajorMinor,
  num,
  statEarlierRows,
  statRows,
  sysctlNum,
  sysctlRaw,
  usablePorts,
  val
} from './facts'

export type RuleHit = Omit<Finding, 'impactRank'>

export interface RuleContext {
  snap: Snapshot
  sim?: SimSummary
  /** Dotted scenario prefix of the host this snapshot is ('hosts.proxy' with HAProxy, else 'hosts.backend'). */
  hostPath: string
  /** Items a rule needed but could not read. */
  unknown: Set<string>
}

export interface Rule {
  id: string
  run(ctx: RuleContext): RuleHit | null
}

const TW_S = 60
/** An effective backlog at least this large is not reported as a harmful clamp. */
const CLAMP_HARMLESS = 1024

function hit(id: string, severity: Severity, score: number, title: string, evidence: Evidence[], mechanism: string, fix: string, knobs: string[]): RuleHit {
  return { id, severity, score, title, evidence, mechanism, fix, knobs }
}

const sysSrc = (key: string): string => `sysctl ${key} (/proc/sys)`

function frontendRows(snap: Snapshot): StatRow[] {
  return (statRows(snap) ?? []).filter((r) => r['svname'] === 'FRONTEND' && r['pxname'] !== 'stats')
}

/** Requested listen() backlog of an HAProxy frontend (semantics 7.2: bind backlog > fe backlog > bind maxconn > fe maxconn). */
function haproxyRequestedBacklog(snap: Snapshot, feName: string | null): number | undefined {
  const cfg = haproxyCfg(snap)?.parsed
  if (!cfg) return undefined
  const fe = cfg.proxies.find((p) => p.name === feName && (p.kind === 'frontend' || p.kind === 'listen'))
  if (!fe) return undefined
  const d = defaultsFor(cfg.proxies, fe)
  const bind = fe.binds[0]
  const ver = haproxyVersion(snap)
  const globalMax = cfg.global.maxconn ?? infoNum(snap, 'Maxconn')
  const feMax = fe.maxconn ?? d?.maxconn ?? (ver && ver.major < 2 ? 2000 : globalMax)
  return bind?.backlog ?? fe.backlog ?? d?.backlog ?? bind?.maxconn ?? feMax ?? undefined
}

// ------------------------------------------------------------------------- rules --

/** Frontend or global maxconn reached: HAProxy stops accepting, the kernel queue fills (semantics 7.1). */
const haproxyMaxconnReached: Rule = {
  id: 'haproxy-maxconn-reached',
  run({ snap, unknown }) {
    if (!snap.haproxy) return null
    const rows = statRows(snap)
    if (!rows) unknown.add('haproxy.stat')
    const ev: Evidence[] = []
    let full = false
    for (const r of frontendRows(snap)) {
      const scur = num(r, 'scur')
      const smax = num(r, 'smax')
      const slim = num(r, 'slim')
      if (slim === undefined || slim <= 0) continue
      const atNow = scur !== undefined && scur >= slim
      const atMax = smax !== undefined && smax >= slim
      if (atNow || atMax) {
        full = full || atNow || atMax
        ev.push({
          label: `frontend ${String(r['pxname'])} scur / smax / slim`,
          value: `${fmt(scur)} / ${fmt(smax)} / ${fmt(slim)}${r['status'] === 'FULL' ? ' (status FULL)' : ''}`,
          source: 'HAProxy show stat (FRONTEND row)'
        })
      }
    }
    const cur = infoNum(snap, 'CurrConns')
    const max = infoNum(snap, 'Maxconn')
    const globalFull = cur !== undefined && max !== undefined && max > 0 && cur >= max
    if (globalFull) ev.push({ label: 'global CurrConns / Maxconn', value: `${cur} / ${max}`, source: 'HAProxy show info' })
    if (!full && !globalFull) return null
    const ov = counterRate(snap, 'TcpExtListenOverflows')
    if (ov && ov.perS > 0) ev.push({ label: 'ListenOverflows rate', value: `${fmt(ov.perS)}/s`, source: COUNTERS_SOURCE })
    return hit(
      this.id,
      'critical',
      98,
      `HAProxy is at its ${full && globalFull ? 'frontend and global' : globalFull ? 'global' : 'frontend'} maxconn: new connections wait in the kernel and are dropped`,
      ev,
      'When a frontend reaches its maxconn (or the process its global maxconn) HAProxy stops polling the listener. The kernel keeps completing handshakes into the accept queue, which holds only B+1 connections (B = min(backlog, somaxconn)), and once that is full it drops further SYNs silently (4.9+: always; 3.10: when more than one young request exists). Clients retransmit after 1 s, 3 s, 7 s... and senders with short connect timeouts give up. HAProxy counts none of this: its stats only show scur == slim; the trace is in the kernel ListenOverflows/ListenDrops counters. Higher round trips after a move raise concurrency at the same request rate (Little\'s law: concurrent = rate x time in system), so the same traffic reaches the limit.',
      'Set global `maxconn` and the frontend `maxconn` explicitly and consistently above the expected peak concurrency (rate x time in system, with headroom: e.g. 2000 -> 5000 or more), raise the listen backlog and net.core.somaxconn to absorb bursts, and restart HAProxy (a reload keeps the old listen backlog). Check afterwards that FRONTEND scur stays below slim and ListenOverflows stops rising.',
      ['haproxy.globalMaxconn', 'haproxy.frontendMaxconn']
    )
  }
}

/** HAProxy <= 1.9 without maxconn: 2000 global and per frontend (semantics 7.2). */
const haproxyDefaultMaxconn: Rule = {
  id: 'haproxy-default-maxconn-1x',
  run({ snap, unknown }) {
    const ver = haproxyVersion(snap)
    if (!snap.haproxy) return null
    if (!ver) {
      unknown.add('haproxy.version')
      return null
    }
    if (ver.major >= 2) return null
    const cfg = haproxyCfg(snap)?.parsed
    if (!cfg) {
      unknown.add('haproxy.config')
      return null
    }
    const ev: Evidence[] = [{ label: 'HAProxy version', value: ver.version, source: 'haproxy -v' }]
    const unsetGlobal = cfg.global.maxconn == null
    if (unsetGlobal) ev.push({ label: 'global maxconn', value: 'not set (1.x default 2000)', source: 'haproxy.cfg global section' })
    const unsetFe: string[] = []
    for (const fe of frontends(snap)) {
      if (fe.name === 'stats') continue
      const d = defaultsFor(cfg.proxies, fe)
      if (fe.maxconn == null && d?.maxconn == null) {
        unsetFe.push(fe.name ?? '?')
        ev.push({ label: `frontend ${fe.name} maxconn`, value: 'not set (1.x default 2000)', source: `haproxy.cfg line ${fe.line}` })
      }
    }
    if (!unsetGlobal && unsetFe.length === 0) return null
    const atLimit = frontendRows(snap).some((r) => num(r, 'slim') === 2000 && (num(r, 'smax') ?? 0) >= 2000)
    const maxInfo = infoNum(snap, 'Maxconn')
    if (maxInfo !== undefined) ev.push({ label: 'show info Maxconn', value: String(maxInfo), source: 'HAProxy show info' })
    return hit(
      this.id,
      atLimit ? 'critical' : 'warning',
      atLimit ? 97 : 55,
      'HAProxy 1.x default maxconn 2000 is in force',
      ev,
      'HAProxy up to 1.9 uses DEFAULT_MAXCONN = 2000 for the global maxconn when none is set, and a frontend without its own maxconn also gets 2000 (from 2.0 on the global default is computed from the fd limit and frontends inherit it). Raising only the global value on 1.x leaves every frontend at 2000; the listen backlog also follows the frontend maxconn unless `backlog` is set, and is then clamped by somaxconn.',
      'Set both explicitly, e.g. `maxconn 5000` in `global` and `maxconn 5000` in the frontend (or in `defaults`), sized from the expected concurrency; HAProxy started as root raises its own fd limit to ~2 x maxconn + a few.',
      ['haproxy.globalMaxconn', 'haproxy.frontendMaxconn']
    )
  }
}

/** ListenOverflows / ListenDrops rising between the two samples (semantics 1.3-1.5). */
const listenOverflowsRising: Rule = {
  id: 'listen-overflows-rising',
  run({ snap, hostPath, unknown }) {
    const ov = counterRate(snap, 'TcpExtListenOverflows')
    const dr = counterRate(snap, 'TcpExtListenDrops')
    if (!ov && !dr) {
      unknown.add('counters.rates')
      return null
    }
    if ((ov?.delta ?? 0) <= 0 && (dr?.delta ?? 0) <= 0) return null
    const ev: Evidence[] = []
    if (ov) ev.push({ label: 'TcpExtListenOverflows', value: `+${fmt(ov.delta)} in ${fmt(ov.intervalS)} s (${fmt(ov.perS)}/s; total ${fmt(ov.total)})`, source: COUNTERS_SOURCE })
    if (dr) ev.push({ label: 'TcpExtListenDrops', value: `+${fmt(dr.delta)} in ${fmt(dr.intervalS)} s (${fmt(dr.perS)}/s; total ${fmt(dr.total)})`, source: COUNTERS_SOURCE })
    const qf = counterRate(snap, 'TcpExtTCPReqQFullDrop')
    if (qf && qf.delta > 0) ev.push({ label: 'TcpExtTCPReqQFullDrop', value: `+${fmt(qf.delta)} (SYN queue full, syncookies off)`, source: COUNTERS_SOURCE })
    const rate = Math.max(ov?.perS ?? 0, dr?.perS ?? 0)
    return hit(
      this.id,
      rate >= 1 ? 'critical' : 'warning',
      rate >= 1 ? 94 : 60,
      `Kernel listen queues are overflowing now (${fmt(rate)} drops/s)`,
      ev,
      'ListenOverflows counts SYNs (4.9+: every SYN; 3.10: when more than one young request exists) and final ACKs dropped because an accept queue was full (more than B = min(backlog, somaxconn) connections waiting for accept()); ListenDrops counts those plus SYN-queue drops, so ListenDrops >= ListenOverflows. The client gets no RST: its SYN is retransmitted after 1 s, 3 s, 7 s... (each retransmission may count again), so the counters are not a count of failed requests, but every drop costs the client at least a second and short connect timeouts turn them into lost requests.',
      'Find the listener whose Recv-Q reaches its Send-Q (`ss -ltn`, `ss -lx`) and remove its ceiling: the process not accepting fast enough (HAProxy at maxconn, php-fpm out of children) or a backlog clamped by somaxconn. Then alert on the rate of TcpExtListenOverflows.',
      [`${hostPath}.somaxconn`]
    )
  }
}

/** Accept queue full right now: Recv-Q at Send-Q (semantics 1.2, 9). */
const acceptQueueFull: Rule = {
  id: 'accept-queue-full',
  run({ snap, hostPath, unknown }) {
    const tcp = val(snap.sockets.listeners)
    const unix = val(snap.sockets.unixListeners)
    if (!tcp) unknown.add('sockets.listeners')
    if (!unix) unknown.add('sockets.unixListeners')
    const ev: Evidence[] = []
    let unixFull = false
    const near = (recvQ: number, sendQ: number): boolean => (sendQ > 0 ? recvQ >= Math.max(1, Math.floor(sendQ * 0.9)) : recvQ > 0)
    for (const l of tcp ?? []) {
      if (near(l.recvQ, l.sendQ)) {
        const who = l.processes.map((p) => p.name).join(',') || '?'
        ev.push({ label: `${l.localAddr}:${l.localPort} (${who}) Recv-Q / Send-Q`, value: `${l.recvQ} / ${l.sendQ} (capacity ${l.sendQ + 1})`, source: 'ss -ltn' })
      }
    }
    for (const l of unix ?? []) {
      if (near(l.recvQ, l.sendQ)) {
        unixFull = true
        const who = l.processes.map((p) => p.name).join(',') || '?'
        ev.push({ label: `${l.path} (${who}) Recv-Q / Send-Q`, value: `${l.recvQ} / ${l.sendQ} (capacity ${l.sendQ + 1})`, source: 'ss -lx' })
      }
    }
    if (!ev.length) return null
    const st = snap.phpFpm ? val(snap.phpFpm.status) : undefined
    if (st && 'listen queue' in st) ev.push({ label: 'php-fpm listen queue / listen queue len', value: `${st['listen queue']} / ${st['listen queue len'] ?? '?'}`, source: 'php-fpm status page' })
    return hit(
      this.id,
      'critical',
      unixFull ? 96 : 90,
      unixFull ? 'A unix-socket accept queue is full now: new FastCGI connections fail immediately (502)' : 'An accept queue is full right now (Recv-Q at Send-Q)',
      ev,
      'For a listening socket `ss` shows Recv-Q = connections waiting for accept() and Send-Q = the effective backlog B = min(configured backlog, somaxconn); the queue holds B+1. A TCP listener with a full queue drops SYNs (clients retry after 1 s and more); a unix socket has no SYN queue and no retransmission: a non-blocking connect() (nginx to php-fpm) gets EAGAIN at once and nginx answers 502. The queue only buffers bursts: if the process behind it stays saturated the queue stays full whatever its size.',
      unixFull
        ? 'Raise net.core.somaxconn so php-fpm\'s listen.backlog (511) is not clamped, restart php-fpm so it calls listen() again, and give the pool enough children (pm.max_children) for the request rate x service time; otherwise scale out.'
        : 'Raise the backlog and net.core.somaxconn and restart the daemon so it calls listen() again; if the process is at a limit (maxconn, workers), raise that limit too.',
      [`${hostPath}.somaxconn`, 'haproxy.bindBacklog', 'backend.nginx.listenBacklog', 'backend.phpFpm.listenBacklog', 'backend.phpFpm.children']
    )
  }
}

/** Configured backlog silently clamped by somaxconn (semantics 1.1, 7.2, 9). */
const backlogClamped: Rule = {
  id: 'backlog-clamped-by-somaxconn',
  run({ snap, hostPath, unknown }) {
    const somaxconn = sysctlNum(snap, 'net.core.somaxconn')
    if (somaxconn === undefined) {
      unknown.add('sysctls.net.core.somaxconn')
      return null
    }
    const tcp = val(snap.sockets.listeners) ?? []
    const unix = val(snap.sockets.unixListeners) ?? []
    const ev: Evidence[] = [{ label: 'net.core.somaxconn', value: String(somaxconn), source: sysSrc('net.core.somaxconn') }]
    let anyFull = false
    const clamped: string[] = []
    // A clamp to >= 1024 still leaves a queue that absorbs seconds of bursts: not worth a finding.
    const check = (what: string, requested: number, source: string, sendQ: number | undefined, recvQ: number | undefined): void => {
      if (requested <= somaxconn || somaxconn >= CLAMP_HARMLESS) return
      clamped.push(what)
      if (sendQ !== undefined && recvQ !== undefined && sendQ > 0 && recvQ >= sendQ) anyFull = true
      ev.push({
        label: `${what}: requested backlog -> effective`,
        value: `${requested} -> ${sendQ ?? somaxconn}${sendQ !== undefined ? ` (ss Send-Q ${sendQ})` : ''}`,
        source
      })
    }
    for (const fe of frontends(snap)) {
      const req = haproxyRequestedBacklog(snap, fe.name)
      const port = fe.binds[0]?.port
      const l = tcp.find((x) => x.localPort === port && x.processes.some((p) => /haproxy/.test(p.name)))
      if (req !== undefined && fe.name !== 'stats') check(`HAProxy ${fe.kind} ${fe.name} (:${port ?? '?'})`, req, `haproxy.cfg line ${fe.line} (backlog follows maxconn)`, l?.sendQ, l?.recvQ)
    }
    const ngx = snap.nginx ? val(snap.nginx.config) : undefined
    for (const ls of ngx?.listens ?? []) {
      const l = tcp.find((x) => x.localPort === ls.port && x.processes.some((p) => /nginx/.test(p.name)))
      check(`nginx listen ${ls.addr}:${ls.port ?? '?'}`, ls.backlog ?? 511, `${ls.file}:${ls.line}${ls.backlog == null ? ' (nginx default 511)' : ''}`, l?.sendQ, l?.recvQ)
    }
    const pools = snap.phpFpm ? val(snap.phpFpm.config)?.pools ?? [] : []
    for (const p of pools) {
      const requested = p.listenBacklog ?? 511
      if (requested < 0) continue
      const l = unix.find((x) => x.path === p.listen)
      check(`php-fpm pool ${p.name} (${p.listen ?? '?'})`, requested, `${p.file} listen.backlog${p.listenBacklog == null ? ' (default 511)' : ''}`, l?.sendQ, l?.recvQ)
    }
    if (!clamped.length) return null
    return hit(
      this.id,
      anyFull ? 'critical' : 'warning',
      anyFull ? 93 : 75,
      `Listen backlogs are silently clamped to somaxconn = ${somaxconn}`,
      ev,
      'listen(fd, backlog) stores min(backlog, net.core.somaxconn) of the socket\'s network namespace, without any warning; the accept queue then holds that value + 1 (unix sockets too, e.g. php-fpm). The clamp is applied when listen() is called: raising somaxconn later does not grow an existing listener; the daemon must call listen() again. An HAProxy reload (master-worker or seamless) hands the old sockets over and keeps the old backlog, and an nginx reload re-listens only when its own `backlog=` changed: restart them. The default somaxconn was 128 before kernel 5.4 and is 4096 since.',
      `Set net.core.somaxconn to at least the largest configured backlog (e.g. 4096) in /etc/sysctl.d, then restart ${clamped.join(', ')} and check that \`ss -ltn\` / \`ss -lx\` Send-Q shows the new value.`,
      [`${hostPath}.somaxconn`, 'haproxy.bindBacklog', 'backend.nginx.listenBacklog', 'backend.phpFpm.listenBacklog']
    )
  }
}

/** HAProxy maxconn vs its fd limit, and who sets that limit (semantics 6.2). */
const maxconnVsFd: Rule = {
  id: 'haproxy-maxconn-vs-fd-limit',
  run({ snap, unknown }) {
    if (!snap.haproxy) return null
    const cfg = haproxyCfg(snap)?.parsed
    const procs = val(snap.limits.processes)
    if (!procs) unknown.add('limits.processes')
    const hp = (procs ?? []).filter((p) => p.kind === 'haproxy')
    if (!hp.length) return null
    const master = [...hp].sort((a, b) => a.ppid - b.ppid)[0]!
    const root = hp.some((p) => p.uid === 0) && master.uid === 0
    const maxconn = infoNum(snap, 'Maxconn') ?? cfg?.global.maxconn ?? undefined
    const maxsock = infoNum(snap, 'Maxsock')
    const ulimitInfo = infoNum(snap, 'Ulimit-n')
    const ulimitCfg = cfg?.global.ulimitN ?? null
    const worker = hp.find((p) => p.uid !== 0) ?? master
    const nofile = val(worker.limits)?.nofile
    const shell = val(snap.limits.shell)
    const unit = snap.limits.systemd.find((u) => /haproxy/.test(u.unit))
    const unitLim = unit ? val(unit.limitNOFILE) : undefined
    const ev: Evidence[] = [
      { label: 'HAProxy started as', value: root ? `root (pid ${master.pid} uid 0)` : `uid ${master.uid} (pid ${master.pid})`, source: `/proc/${master.pid}/status` }
    ]
    if (maxconn !== undefined) ev.push({ label: 'maxconn / Maxsock / Ulimit-n', value: `${fmt(maxconn)} / ${fmt(maxsock)} / ${fmt(ulimitInfo)}`, source: 'HAProxy show info' })
    if (nofile) ev.push({ label: `process ${worker.pid} Max open files (soft/hard)`, value: `${nofile.soft} / ${nofile.hard}`, source: `/proc/${worker.pid}/limits` })
    if (shell) ev.push({ label: 'login shell ulimit -n (soft/hard)', value: `${shell.soft} / ${shell.hard}`, source: 'ulimit -n; ulimit -Hn' })
    if (unit && unitLim) ev.push({ label: `${unit.unit} LimitNOFILE`, value: `${unitLim.soft}:${unitLim.hard}`, source: `systemctl show ${unit.unit}` })
    if (ulimitCfg != null) ev.push({ label: 'global ulimit-n', value: String(ulimitCfg), source: 'haproxy.cfg global' })
    const needed = maxconn !== undefined ? 2 * maxconn + 30 : undefined
    const hard = nofile?.hard === 'unlimited' ? Infinity : nofile?.hard
    const tooLowCfg = ulimitCfg != null && needed !== undefined && ulimitCfg < 2 * (maxconn ?? 0)
    const tooLowNonRoot = !root && needed !== undefined && hard !== undefined && hard < 2 * (maxconn ?? 0)
    if (tooLowCfg || tooLowNonRoot) {
      return hit(
        this.id,
        'critical',
        86,
        'HAProxy maxconn does not fit its fd limit',
        ev,
        'Each proxied connection uses two fds (client and server side), so HAProxy needs maxsock ~ 2 x maxconn + a few fixed fds. Started as root it calls setrlimit(RLIMIT_NOFILE) itself to maxsock; started unprivileged (or with an explicit `ulimit-n`) it cannot go above the hard limit: 2.3+ refuses to start ("FD limit ... too low for maxconn", strict-limits), older versions start and later fail accept() with EMFILE, leaving connections in the kernel queue.',
        `Give the HAProxy service LimitNOFILE >= ${fmt(needed)} (systemd drop-in) or start it as root, and remove a too-small global \`ulimit-n\`.`,
        ['haproxy.fdSoft', 'haproxy.fdHard', 'haproxy.ulimitN', 'haproxy.globalMaxconn']
      )
    }
    if (!root) return null
    return hit(
      this.id,
      'info',
      30,
      'HAProxy runs as root and sets its own fd limit: `ulimit -n` is not the fix',
      ev,
      'HAProxy computes maxsock (~2 x maxconn + fixed fds) and, started as root, raises RLIMIT_NOFILE to it with setrlimit (1.5+), whatever the shell or unit limit was; the per-process limit shown (Ulimit-n) follows maxconn. Raising the shell\'s `ulimit -n` (e.g. 1024 -> 50000) therefore changes nothing for a root-started HAProxy; only a non-root start or an explicit `ulimit-n` in `global` makes the outer limit matter. For maxconn 5000 HAProxy sets ~10,0xx fds by itself.',
      'No change needed for the fd limit when raising maxconn; keep HAProxy started as root (it drops privileges after setrlimit) or give its unit a LimitNOFILE of at least 2 x maxconn + 100.',
      ['haproxy.fdSoft', 'haproxy.fdHard']
    )
  }
}

/** Any process close to its RLIMIT_NOFILE (semantics 6.1, 6.3). */
const fdNearLimit: Rule = {
  id: 'fd-usage-near-limit',
  run({ snap, unknown }) {
    const procs = val(snap.limits.processes)
    if (!procs) {
      unknown.add('limits.processes')
      return null
    }
    const ev: Evidence[] = []
    let worst = 0
    let haproxySized = false
    for (const p of procs) {
      const fds = val(p.fdCount)
      const lim = val(p.limits)?.nofile.soft
      if (fds === undefined || lim === undefined || lim === 'unlimited' || lim <= 0) continue
      const share = fds / lim
      if (share >= 0.9) {
        worst = Math.max(worst, share)
        if (p.kind === 'haproxy' && infoNum(snap, 'Maxsock') === lim) haproxySized = true
        ev.push({ label: `${p.comm} pid ${p.pid} open fds / limit`, value: `${fds} / ${lim} (${Math.round(share * 100)}%)`, source: `/proc/${p.pid}/fd, /proc/${p.pid}/limits` })
      }
    }
    if (!ev.length) return null
    return hit(
      this.id,
      'warning',
      haproxySized ? 56 : worst >= 0.98 ? 80 : 66,
      `A process is using ${Math.round(worst * 100)}% of its file-descriptor limit`,
      ev,
      'Beyond RLIMIT_NOFILE accept() and socket() fail with EMFILE. HAProxy then logs "reached process FD limit", pauses the listener for 100 ms and leaves connections in the kernel accept queue (nothing in its stats); nginx logs "accept() failed (24: Too many open files)". For HAProxy started as root the limit equals its computed maxsock (~2 x maxconn), so fds near the limit mean maxconn is nearly reached, not that the limit is wrong.',
      haproxySized
        ? 'Raise maxconn (HAProxy raises its own fd limit with it when started as root); see the maxconn finding.'
        : 'Raise the service\'s LimitNOFILE (systemd drop-in) or nginx `worker_rlimit_nofile`, sized to at least 2 x the connections it must hold.',
      ['haproxy.globalMaxconn', 'haproxy.fdSoft', 'backend.fdLimit']
    )
  }
}

/** TIME_WAIT towards one destination vs the ephemeral port budget (semantics 4, 5.2). */
const timeWaitPorts: Rule = {
  id: 'time-wait-port-budget',
  run({ snap, hostPath, unknown }) {
    const conns = val(snap.sockets.connections)
    const ports = usablePorts(snap)
    if (!conns) unknown.add('sockets.connections')
    if (!ports) unknown.add('sysctls.net.ipv4.ip_local_port_range')
    if (!conns || !ports) return null
    const reuse = sysctlNum(snap, 'net.ipv4.tcp_tw_reuse') ?? 0
    const ts = sysctlNum(snap, 'net.ipv4.tcp_timestamps') ?? 1
    const { P } = ports
    const sustainable = reuse === 1 && ts ? P / 1 : P / TW_S
    // tw_reuse=2 (the default since 4.19) reuses towards loopback destinations only (semantics 4.3)
    const reusesTo = (addr: string): boolean => twReuseReaches(reuse, ts, isLoopbackAddr(addr))
    // Per backend server: observed new-connection rate (show stat `rate`, `rate_max`).
    const servers = new Map<string, { cur?: number; peak?: number; name: string }>()
    for (const be of backends(snap)) {
      for (const s of be.servers) {
        const row = (statRows(snap) ?? []).find((r) => r['pxname'] === be.name && r['svname'] === s.name)
        servers.set(`${s.addr}:${s.port}`, { cur: num(row, 'rate'), peak: num(row, 'rate_max'), name: `${be.name}/${s.name}` })
      }
    }
    const ev: Evidence[] = [
      { label: 'ip_local_port_range (usable ports P)', value: `${ports.low} ${ports.high} (P = ${P})`, source: sysSrc('net.ipv4.ip_local_port_range') },
      { label: 'tcp_tw_reuse / tcp_timestamps', value: `${reuse} / ${ts}`, source: sysSrc('net.ipv4.tcp_tw_reuse') },
      { label: 'sustainable new connections/s per destination', value: `${fmt(sustainable)} (${reuse === 1 && ts ? 'P / ~1 s with tw_reuse=1' : reuse === 2 && ts ? 'P / 60 s TIME_WAIT; P / ~1 s towards loopback addresses with tw_reuse=2' : 'P / 60 s TIME_WAIT'})`, source: 'semantics 4.3, 5.2' }
    ]
    let severity: Severity | null = null
    for (const tw of conns.timeWaitByRemote) {
      // towards a destination whose TIME_WAIT this host reuses after ~1 s the budget is P per second
      const reused = reusesTo(tw.addr)
      const sus = reused ? P : P / TW_S
      // with reuse a range full of TIME_WAIT is how it works (ports taken over after ~1 s): only the rate counts
      const share = reused ? 0 : tw.count / P
      const srv = servers.get(`${tw.addr}:${tw.port}`)
      const peak = srv?.peak
      const cur = srv?.cur
      const impliedRate = tw.count / TW_S
      const over = (cur !== undefined && cur > sus) || share >= 0.9
      const near = share >= 0.5 || (peak !== undefined && peak >= 0.8 * sus) || impliedRate >= 0.8 * sus
      if (!over && !near) continue
      severity = over ? 'critical' : severity === 'critical' ? 'critical' : 'warning'
      ev.push({
        label: `TIME-WAIT towards ${tw.addr}:${tw.port}${srv ? ` (${srv.name})` : ''}`,
        value: `${tw.count} of ${P} ports (${Math.round((tw.count / P) * 100)}%${reused ? ', reused after ~1 s' : ''})${cur !== undefined ? `; new conn/s now ${fmt(cur)}, peak ${fmt(peak)}` : ''}`,
        source: 'ss -tan (TIME-WAIT by remote), HAProxy show stat rate/rate_max'
      })
    }
    if (!severity) return null
    const recycle = sysctlNum(snap, 'net.ipv4.tcp_tw_recycle')
    if (recycle === 1) ev.push({ label: 'tcp_tw_recycle', value: '1 (shortens TIME_WAIT today; must go, see its finding)', source: sysSrc('net.ipv4.tcp_tw_recycle') })
    return hit(
      this.id,
      severity,
      severity === 'critical' ? 89 : 58,
      'TIME_WAIT towards a backend is close to the ephemeral port budget',
      ev,
      'The side that closes first keeps the 4-tuple in TIME_WAIT for a fixed 60 s (TCP_TIMEWAIT_LEN; tcp_fin_timeout does not change it). An outgoing connect() needs a free local port per (source IP, destination IP, destination port), so one backend server can receive at most P / (60 s + connection lifetime) new connections per second from one source IP: ~470/s with the default range 32768-60999, ~846/s with "10240 61000". Beyond that connect() fails at once with EADDRNOTAVAIL; HAProxy logs "no free ports", retries, then returns 503 (econ, flag RC). tcp_tw_reuse=1 (with timestamps) lets connect() reuse a TIME_WAIT tuple after ~1 s, for outgoing connections only.',
      'Prefer keeping connections to the backends open and reused (server keep-alive with `http-reuse always`; `safe`, the 2.x default, reuses only for the second and later requests of a client connection, so with one request per client connection it reuses nothing), or add source addresses / backend IPs; otherwise widen ip_local_port_range (e.g. "10240 65000") and set tcp_tw_reuse=1 on this host (it only affects its outgoing connections).',
      [`${hostPath}.ipLocalPortRange`, `${hostPath}.twReuse`, 'haproxy.serverConnections', 'haproxy.sourceIps']
    )
  }
}

/** tcp_tw_recycle on (<= 4.11): drops SYNs from clients behind NAT (semantics 4.4). */
const twRecycle: Rule = {
  id: 'tcp-tw-recycle',
  run({ snap, hostPath }) {
    const v = sysctlNum(snap, 'net.ipv4.tcp_tw_recycle')
    const conf = val(snap.sysctls.conf)
    const inConf = (conf?.entries ?? []).filter((e) => e.key === 'net.ipv4.tcp_tw_recycle' && e.value.trim() !== '0')
    const k = kernelMajorMinor(snap)
    if (v !== 1 && !inConf.length) return null
    const ev: Evidence[] = []
    if (v !== undefined) ev.push({ label: 'net.ipv4.tcp_tw_recycle', value: String(v), source: sysSrc('net.ipv4.tcp_tw_recycle') })
    else ev.push({ label: 'net.ipv4.tcp_tw_recycle', value: 'absent on this kernel', source: sysSrc('net.ipv4.tcp_tw_recycle') })
    for (const e of inConf) ev.push({ label: 'set in', value: `${e.key} = ${e.value}`, source: `${e.file}:${e.line}` })
    if (k) ev.push({ label: 'kernel', value: `${k.major}.${k.minor}`, source: 'uname -r' })
    if (v !== 1) {
      return hit(
        this.id,
        'info',
        25,
        'tcp_tw_recycle is still set in a sysctl file but no longer exists on this kernel',
        ev,
        'tcp_tw_recycle was removed in Linux 4.12; `sysctl --system` reports "unknown key" for it at every boot and it has no effect. It was broken for clients behind NAT and, after per-connection timestamp randomization (4.10), for everyone.',
        'Delete the line from the sysctl file(s) listed.',
        [`${hostPath}.twRecycle`]
      )
    }
    const paws = counterRate(snap, 'TcpExtPAWSPassive')
    if (paws) ev.push({ label: 'TcpExtPAWSPassive (SYNs rejected by timestamp)', value: `+${fmt(paws.delta)} (${fmt(paws.perS)}/s)`, source: COUNTERS_SOURCE })
    const recycled = counterRate(snap, 'TcpExtTWRecycled')
    if (recycled && recycled.delta > 0) ev.push({ label: 'TcpExtTWRecycled', value: `${fmt(recycled.perS)}/s`, source: COUNTERS_SOURCE })
    const rising = (paws?.delta ?? 0) > 0
    return hit(
      this.id,
      'critical',
      rising ? 91 : 84,
      'tcp_tw_recycle=1 silently drops SYNs from clients behind NAT',
      ev,
      'With tcp_tw_recycle on (kernels <= 4.11) the server remembers the last TCP timestamp per peer IP and drops SYNs whose timestamp is older (counted in PAWSPassive). Many clients behind one NAT address (SMS provider farms, carrier NAT, load balancers) have unrelated timestamp clocks, so a share of their SYNs is dropped without any reply and the clients time out; since 4.10 timestamps are randomized per connection, which breaks it for every client. The option was removed in 4.12 ("unknown key" there). It only shortened TIME_WAIT; it never helped inbound capacity.',
      'Set net.ipv4.tcp_tw_recycle = 0 now and remove it from every sysctl file; if outgoing port exhaustion was the reason, use tcp_tw_reuse=1, a wider port range or backend keep-alive instead.',
      [`${hostPath}.twRecycle`]
    )
  }
}

/** tcp_fin_timeout changed in the belief it shortens TIME_WAIT (semantics 4.1). */
const finTimeout: Rule = {
  id: 'tcp-fin-timeout-not-time-wait',
  run({ snap }) {
    const v = sysctlNum(snap, 'net.ipv4.tcp_fin_timeout')
    const conf = (val(snap.sysctls.conf)?.entries ?? []).filter((e) => e.key === 'net.ipv4.tcp_fin_timeout')
    if ((v === undefined || v === 60) && !conf.some((e) => e.value.trim() !== '60')) return null
    const ev: Evidence[] = [{ label: 'net.ipv4.tcp_fin_timeout', value: `${fmt(v)} (default 60)`, source: sysSrc('net.ipv4.tcp_fin_timeout') }]
    for (const e of conf) ev.push({ label: 'set in', value: `${e.key} = ${e.value}`, source: `${e.file}:${e.line}` })
    const tw = val(snap.sockets.connections)?.byState['TIME-WAIT']
    if (tw !== undefined) ev.push({ label: 'TIME-WAIT sockets', value: String(tw), source: 'ss -tan' })
    return hit(
      this.id,
      'info',
      20,
      'tcp_fin_timeout does not shorten TIME_WAIT',
      ev,
      'TIME_WAIT lasts a fixed 60 s (TCP_TIMEWAIT_LEN, hard-coded in every kernel); `ss -tano` shows timewait,59sec even with tcp_fin_timeout=5. tcp_fin_timeout only bounds how long an orphaned connection stays in FIN_WAIT_2 waiting for the peer\'s FIN. Lowering it is harmless but does nothing for port exhaustion.',
      'Leave it (or return it to 60); for TIME_WAIT pressure on outgoing connections use backend keep-alive, tcp_tw_reuse=1 or a wider ip_local_port_range.',
      []
    )
  }
}

/** tcp_syncookies = 0 (semantics 2.1). */
const syncookiesOff: Rule = {
  id: 'syncookies-off',
  run({ snap, hostPath, unknown }) {
    const v = sysctlNum(snap, 'net.ipv4.tcp_syncookies')
    if (v === undefined) {
      unknown.add('sysctls.net.ipv4.tcp_syncookies')
      return null
    }
    if (v !== 0) return null
    const ev: Evidence[] = [{ label: 'net.ipv4.tcp_syncookies', value: '0 (default 1)', source: sysSrc('net.ipv4.tcp_syncookies') }]
    const msb = sysctlNum(snap, 'net.ipv4.tcp_max_syn_backlog')
    if (msb !== undefined) ev.push({ label: 'net.ipv4.tcp_max_syn_backlog', value: String(msb), source: sysSrc('net.ipv4.tcp_max_syn_backlog') })
    const qf = counterRate(snap, 'TcpExtTCPReqQFullDrop')
    if (qf) ev.push({ label: 'TcpExtTCPReqQFullDrop', value: `+${fmt(qf.delta)} (${fmt(qf.perS)}/s)`, source: COUNTERS_SOURCE })
    return hit(
      this.id,
      'warning',
      65,
      'SYN cookies are off: a full SYN queue drops SYNs instead of answering them',
      ev,
      'With tcp_syncookies=1 (the default) a full SYN queue costs nothing but a cookie SYN-ACK (no request sock, the connection still completes). With 0, a full SYN queue drops the SYN (TCPReqQFullDrop + ListenDrops), and a second rule drops SYNs from unproven peers once the queue passes 3/4 of tcp_max_syn_backlog. Both queues are sized from B = min(backlog, somaxconn) (4.4+), so a small somaxconn plus syncookies=0 drops connections during any burst.',
      'Set net.ipv4.tcp_syncookies = 1 (and remove the line that sets 0); keep tcp_abort_on_overflow = 0.',
      [`${hostPath}.syncookies`]
    )
  }
}

/** No server maxconn and/or no timeout queue (semantics 7.3). */
const serverLimits: Rule = {
  id: 'no-server-maxconn-or-queue-timeout',
  run({ snap, unknown }) {
    const cfg = haproxyCfg(snap)?.parsed
    if (!snap.haproxy) return null
    if (!cfg) {
      unknown.add('haproxy.config')
      return null
    }
    const ev: Evidence[] = []
    let noMaxconn = 0
    let noQueue = 0
    let checkedUnl = false
    let checkedHttp = false
    for (const be of backends(snap)) {
      if (be.name === 'stats') continue
      const unl = be.servers.filter((s) => s.maxconn == null || s.maxconn === 0)
      if (unl.length) {
        noMaxconn++
        if (unl.some((s) => serverCheckFromConfig(s.raw, defaultServerArgs(be, defaultsFor(cfg.proxies, be))))) {
          checkedUnl = true
          if (httpCheckFromConfig(be, defaultsFor(cfg.proxies, be))) checkedHttp = true
        }
        ev.push({ label: `backend ${be.name} servers without maxconn`, value: unl.map((s) => s.name).join(', '), source: `haproxy.cfg lines ${unl.map((s) => s.line).join(', ')}` })
      }
      const d = defaultsFor(cfg.proxies, be)
      const tq = be.timeoutsMs['queue'] ?? d?.timeoutsMs['queue']
      const tc = be.timeoutsMs['connect'] ?? d?.timeoutsMs['connect']
      if (tq === undefined) {
        noQueue++
        ev.push({ label: `backend ${be.name} timeout queue`, value: `not set (timeout connect ${tc !== undefined ? tc / 1000 + ' s' : 'unset'} is used)`, source: `haproxy.cfg line ${be.line}` })
      } else if (unl.length) {
        ev.push({ label: `backend ${be.name} timeout queue`, value: `${tq / 1000} s (only used once servers have a maxconn)`, source: 'haproxy.cfg' })
      }
    }
    if (!noMaxconn && !noQueue) return null
    return hit(
      this.id,
      'warning',
      60,
      noMaxconn ? 'Backend servers have no maxconn: overload becomes silent SYN drops instead of fast 503s' : 'No `timeout queue`: queued requests wait for `timeout connect`',
      ev,
      'Without a server maxconn HAProxy forwards every accepted connection, so overload piles up as frontend sessions until frontend/global maxconn is reached, after which the kernel drops SYNs silently and clients wait seconds per retransmission. With `server ... maxconn N`, excess requests wait in HAProxy\'s backend queue (qcur visible in stats) and get a 503 after `timeout queue` (counted in econ, log flag sQ): a fast, visible failure the client can retry, while the servers stay at their best concurrency. Without `timeout queue`, `timeout connect` is used as the queue limit.' +
        (checkedUnl
          ? checkedHttp
            ? " These servers are health-checked with `option httpchk`: each check is a request that waits behind the ones queued for the server's workers (or php-fpm children), so once that wait passes `inter` (or `timeout check`) the checks time out (L7TOUT), and after `fall` of them HAProxy takes the busy server out, pushing its share onto the others, which fill up in turn; with none left every request gets 503. A check URL that nginx answers itself (`location = /health { return 200; }`) would not wait, but it would also keep a stuck application in the balancing: bounding each server's concurrency, below, is the fix."
            : " These servers are health-checked: once a server's own listen queue is full, the kernel drops the checks' SYNs too, each check times out (L4TOUT, after `inter`, or min(timeout connect, inter) with `timeout check`), and after `fall` of them HAProxy takes the busy server out, pushing its share onto the others, which fill up in turn."
          : ''),
      'Add `maxconn N` to each server line (N = the concurrency the server handles well, e.g. its worker count) and a short `timeout queue` (a few seconds) in the backend; keep frontend maxconn well above the sum of server maxconn so the queue, not the kernel, absorbs bursts.',
      ['haproxy.servers', 'haproxy.timeoutQueueS']
    )
  }
}

/** Backends of several servers where some have no health check: a dead one keeps its share (lab rows server-refuses-*, server-dies-check-*). */
const serversUnchecked: Rule = {
  id: 'haproxy-servers-unchecked',
  run({ snap, unknown }) {
    if (!snap.haproxy) return null
    const cfg = haproxyCfg(snap)?.parsed
    if (!cfg) {
      unknown.add('haproxy.config')
      return null
    }
    const ev: Evidence[] = []
    for (const be of backends(snap)) {
      if (be.name === 'stats' || be.servers.length < 2) continue
      const dflt = defaultServerArgs(be, defaultsFor(cfg.proxies, be))
      const bare = be.servers.filter((s) => serverCheckFromConfig(s.raw, dflt) === null)
      if (bare.length) ev.push({ label: `backend ${be.name} servers without check`, value: `${bare.map((s) => s.name).join(', ')} (of ${be.servers.length})`, source: `haproxy.cfg lines ${bare.map((s) => s.line).join(', ')}` })
    }
    if (!ev.length) return null
    return hit(
      this.id,
      'warning',
      45,
      'Servers without health checks: one that dies keeps getting its share of the requests',
      ev,
      'Without `check` HAProxy never marks a server DOWN, so roundrobin keeps sending it every Nth request. Its host resets each connect (or, if the host is gone, the connect times out), and HAProxy retries the same server `retries` times after a turn-around of min(timeout connect, 1 s) each, then answers 503: about `retries` seconds per request. `option redispatch` moves retries elsewhere but still pays the failed connect on every request. With `check` a dead server is DOWN after `fall` failed checks (about inter + (fall - 1) x fastinter) and its share goes to the others.',
      'Add `check` to each server line (or `default-server check` in the backend), keep `inter` short enough for how long you accept errors (inter 2s fall 3: about 6 s), and add `option redispatch`. The what-if shows the difference: "servers down" with "health checks" off and on.',
      ['haproxy.servers', 'haproxy.redispatch']
    )
  }
}

/** Servers HAProxy has DOWN now: the others carry their share. */
const serversDown: Rule = {
  id: 'haproxy-servers-down',
  run({ snap, unknown }) {
    if (!snap.haproxy) return null
    const rows = statRows(snap)
    if (!rows) {
      unknown.add('haproxy.stat')
      return null
    }
    const ev: Evidence[] = []
    let worst = 0
    for (const be of new Set(rows.filter((r) => r['svname'] === 'BACKEND' && r['pxname'] !== 'stats').map((r) => String(r['pxname'])))) {
      const servers = rows.filter((r) => r['pxname'] === be && r['svname'] !== 'BACKEND' && r['svname'] !== 'FRONTEND')
      const down = servers.filter((r) => /^(DOWN|MAINT)/.test(String(r['status'] ?? '')))
      if (!down.length) continue
      worst = Math.max(worst, down.length / servers.length)
      for (const r of down)
        ev.push({
          label: `server ${be}/${String(r['svname'])}`,
          value: `${String(r['status'])}${r['check_status'] ? `, last check ${String(r['check_status'])}` : ''}${num(r, 'lastchg') !== undefined ? ` for ${fmt(num(r, 'lastchg'))} s` : ''}; ${down.length} of ${servers.length} in ${be} down`,
          source: 'HAProxy show stat'
        })
    }
    if (!ev.length) return null
    return hit(
      this.id,
      worst >= 1 ? 'critical' : 'warning',
      worst >= 1 ? 95 : 70,
      worst >= 1 ? 'Every server of a backend is DOWN: HAProxy answers 503 at once' : 'Servers are DOWN: the others carry their share',
      ev,
      'A server HAProxy has DOWN (its checks failed `fall` times) or in MAINT takes no new requests: the balancing spreads its share over the servers still UP, so each carries N / (N - down) of its usual load, and its queue limits and worker counts are reached sooner. With no server left HAProxy answers every request with 503 at once (counted in BACKEND econ).',
      'Find out why its checks fail (check_status: L4CON = refused, L4TOUT = no answer, L7TOUT = answered too late, L7STS = bad status, SOCKERR = reset) before it comes back; size the remaining servers for the load meanwhile. The what-if models the DOWN servers as down: see what the others do at your peak.',
      ['haproxy.servers']
    )
  }
}

/** The same sysctl set in several files with different values: the last one sysctl --system applies wins. */
const sysctlConflict: Rule = {
  id: 'sysctl-set-in-several-files',
  run({ snap, unknown }) {
    const conf = val(snap.sysctls.conf)
    if (!conf) {
      unknown.add('sysctls.conf')
      return null
    }
    const byKey = new Map<string, typeof conf.entries>()
    for (const e of conf.entries) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e])
    const ev: Evidence[] = []
    const keys: string[] = []
    for (const [key, entries] of byKey) {
      const values = new Set(entries.map((e) => e.value.trim().replace(/\s+/g, ' ')))
      if (values.size < 2) continue
      keys.push(key)
      const winner = entries[entries.length - 1]!
      for (const e of entries) ev.push({ label: `${key}${e === winner ? ' (wins: applied last)' : ''}`, value: e.value, source: `${e.file}:${e.line}` })
      const live = sysctlRaw(snap, key)
      if (live !== undefined) ev.push({ label: `${key} live value`, value: live, source: sysSrc(key) })
    }
    if (!keys.length) return null
    ev.push({ label: 'apply order (sysctl --system)', value: conf.files.join(' -> '), source: 'sysctl.d directories' })
    return hit(
      this.id,
      'warning',
      62,
      `${keys.join(', ')} ${keys.length > 1 ? 'are' : 'is'} set in several files with different values`,
      ev,
      '`sysctl --system` (and systemd-sysctl at boot) reads /etc/sysctl.d, /run/sysctl.d and /usr/lib/sysctl.d merged by file name in lexical order (a name in /etc hides the same name in /usr/lib), then /etc/sysctl.conf last; every file applies its lines in turn, so the last assignment wins. A value set in an early file is silently overridden by a later one, and a value changed with `sysctl -w` is lost at the next boot.',
      'Keep one assignment per key: remove the losing lines, or put the intended value in a file that sorts after the others (the plan comments out later overriding lines).',
      keys.map((k) => `sysctl:${k}`)
    )
  }
}

/** php-fpm children exhausted (semantics 9). */
const phpFpmChildren: Rule = {
  id: 'php-fpm-max-children',
  run({ snap }) {
    if (!snap.phpFpm) return null
    const st = val(snap.phpFpm.status)
    const pools = val(snap.phpFpm.config)?.pools ?? []
    if (!st) return null
    const reached = typeof st['max children reached'] === 'number' ? (st['max children reached'] as number) : 0
    const q = typeof st['listen queue'] === 'number' ? (st['listen queue'] as number) : 0
    if (reached <= 0 && q <= 0) return null
    const ev: Evidence[] = [
      { label: 'max children reached', value: String(reached), source: 'php-fpm status page' },
      { label: 'active / total processes', value: `${st['active processes'] ?? '?'} / ${st['total processes'] ?? '?'}`, source: 'php-fpm status page' },
      { label: 'listen queue / max listen queue / len', value: `${st['listen queue'] ?? '?'} / ${st['max listen queue'] ?? '?'} / ${st['listen queue len'] ?? '?'}`, source: 'php-fpm status page' }
    ]
    for (const p of pools) ev.push({ label: `pool ${p.name} pm / pm.max_children`, value: `${p.pm ?? '?'} / ${p.maxChildren ?? '?'}`, source: p.file })
    return hit(
      this.id,
      q > 0 ? 'critical' : 'warning',
      q > 0 ? 88 : 70,
      'php-fpm is out of children: requests queue in the socket backlog',
      ev,
      'Each php-fpm child serves one request at a time; with all pm.max_children busy, new FastCGI connections wait in the socket\'s accept queue (listen.backlog clamped by somaxconn, +1). When that is full, ' +
        (pools.some((p) => p.listen && !p.listen.startsWith('/'))
          ? 'a TCP listener (listen = host:port) drops nginx\'s SYNs: nginx retries them (1 s, 3 s, ...) until fastcgi_connect_timeout (60 s by default) and the client waits, then gets 504. '
          : 'nginx\'s non-blocking connect() to the unix socket gets EAGAIN and the client receives 502. ') +
        'A larger backlog only absorbs bursts: sustained load above children / service time needs more children (memory permitting), faster requests, or more servers.',
      'Size pm.max_children to the request rate x service time (within memory), raise net.core.somaxconn so listen.backlog 511 takes effect, and restart php-fpm.',
      ['backend.phpFpm.children', 'backend.phpFpm.listenBacklog']
    )
  }
}

/** tcp_max_tw_buckets lowered and reached (semantics 4.2). */
const twBuckets: Rule = {
  id: 'tcp-max-tw-buckets-reached',
  run({ snap, hostPath }) {
    const max = sysctlNum(snap, 'net.ipv4.tcp_max_tw_buckets')
    const tw = val(snap.sockets.connections)?.byState['TIME-WAIT']
    const ov = counterRate(snap, 'TcpExtTCPTimeWaitOverflow')
    if (max === undefined) return null
    const atCap = tw !== undefined && tw >= max * 0.95
    if (!atCap && !(ov && ov.delta > 0)) return null
    const ev: Evidence[] = [
      { label: 'net.ipv4.tcp_max_tw_buckets', value: String(max), source: sysSrc('net.ipv4.tcp_max_tw_buckets') },
      { label: 'TIME-WAIT sockets', value: fmt(tw), source: 'ss -tan' }
    ]
    if (ov) ev.push({ label: 'TcpExtTCPTimeWaitOverflow', value: `+${fmt(ov.delta)}`, source: COUNTERS_SOURCE })
    return hit(
      this.id,
      'info',
      40,
      'TIME_WAIT sockets are capped by a lowered tcp_max_tw_buckets',
      ev,
      'When the TIME_WAIT count reaches tcp_max_tw_buckets the kernel closes new TIME_WAIT candidates at once (TCPTimeWaitOverflow, "time wait bucket table overflow"). It is a memory-DoS guard (the default scales with memory, e.g. 131072), not a tuning knob: lowering it removes the protection against delayed duplicate segments without adding capacity.',
      'Return net.ipv4.tcp_max_tw_buckets to the default (remove the line) unless memory really is that tight.',
      [`${hostPath}.maxTwBuckets`]
    )
  }
}


/**
 * Request socks reset by their peer before the handshake completed (EmbryonicRsts, tcp_check_req
 * embryonic_reset). With tcp_abort_on_overflow=1 these include this host's own resets of final
 * ACKs that found the accept queue full; with 0 they come from the peers: an initiator that closed
 * in SYN-SENT (its connect timeout fired) sends nothing, but its SYN still arrives and the SYN-ACK
 * then finds no socket, so the initiator's kernel resets (the simulator's ghostSyn; lab rows
 * timeout-connect-0.1s-retries-2 and client-connect-timeout-0.15s-rtt-200ms).
 */
const embryonicResets: Rule = {
  id: 'embryonic-resets-rising',
  run({ snap, hostPath, unknown }) {
    const er = counterRate(snap, 'TcpExtEmbryonicRsts')
    if (!er) {
      unknown.add('counters.rates')
      return null
    }
    if (er.delta <= 0) return null
    const abort = sysctlNum(snap, 'net.ipv4.tcp_abort_on_overflow')
    const ev: Evidence[] = [
      { label: 'TcpExtEmbryonicRsts', value: `+${fmt(er.delta)} in ${fmt(er.intervalS)} s (${fmt(er.perS)}/s; total ${fmt(er.total)})`, source: COUNTERS_SOURCE }
    ]
    if (abort !== undefined) ev.push({ label: 'net.ipv4.tcp_abort_on_overflow', value: String(abort), source: sysSrc('net.ipv4.tcp_abort_on_overflow') })
    if (abort === 1)
      return hit(
        this.id,
        'warning',
        70,
        'Connections are reset because an accept queue overflowed (tcp_abort_on_overflow=1)',
        ev,
        'With tcp_abort_on_overflow=1 a final ACK that finds the accept queue full (more than B = min(backlog, somaxconn) waiting) is answered with a RST instead of being dropped: the client sees ECONNRESET at once, where with 0 its ACK and request would be retried and usually get in a moment later. EmbryonicRsts counts these resets (and resets from clients that gave up connecting).',
        'Remove the accept-queue ceiling first (the process not accepting fast enough, or a clamped backlog), and set net.ipv4.tcp_abort_on_overflow back to 0 unless clients must fail fast rather than wait.',
        [`${hostPath}.abortOnOverflow`]
      )
    return hit(
      this.id,
      'info',
      45,
      "Callers give up connecting while this host's SYN-ACK is on its way",
      ev,
      "EmbryonicRsts counts request socks (SYN received, SYN-ACK sent, no final ACK yet) removed by a reset from the peer. With tcp_abort_on_overflow=0 this host sends none of its own, so they come from the callers: one that closes its socket in SYN-SENT (its connect timeout fired) sends nothing, but its SYN still arrives, the SYN-ACK then finds no socket and the caller's kernel resets. It happens when connect timeouts are close to the round trip plus the time a SYN waited (retransmitted after a drop), or when a proxy's timeout connect towards this host is below that round trip; SYN-ACKs to addresses that never sent the SYN (spoofed SYNs) end the same way. Each such request sock holds a SYN-queue slot for one round trip, and each abandoned connect is a failed request at the caller.",
      "Give callers a connect timeout well above the round trip and above the 1 s / 3 s SYN retransmissions they may need (3 s or more), and keep a proxy's `timeout connect` towards this host in seconds, not milliseconds; if the peers are unknown, compare with the SYN rate and keep syncookies on.",
      ['clients.connectTimeoutS', 'haproxy.timeoutConnectS']
    )
  }
}

/** Backend eresp / econ climbing between the two stat samples (semantics 8.4, 5.3). */
const backendErrorsRising: Rule = {
  id: 'haproxy-backend-errors-rising',
  run({ snap, unknown }) {
    if (!snap.haproxy) return null
    const now = statRows(snap)
    const before = statEarlierRows(snap)
    if (!now || !before) {
      unknown.add('haproxy.statEarlier')
      return null
    }
    const ev: Evidence[] = []
    let eresp = 0
    let econ = 0
    for (const r of now) {
      if (r['svname'] === 'FRONTEND' || r['svname'] === 'BACKEND') continue
      const b = before.find((x) => x['pxname'] === r['pxname'] && x['svname'] === r['svname'])
      const de = (num(r, 'eresp') ?? 0) - (num(b, 'eresp') ?? 0)
      const dc = (num(r, 'econ') ?? 0) - (num(b, 'econ') ?? 0)
      if (de > 0 || dc > 0) {
        eresp += Math.max(0, de)
        econ += Math.max(0, dc)
        ev.push({
          label: `server ${String(r['pxname'])}/${String(r['svname'])} eresp / econ`,
          value: `${fmt(num(r, 'eresp'))} (+${de}) / ${fmt(num(r, 'econ'))} (+${dc}); srv_abrt ${fmt(num(r, 'srv_abrt'))}`,
          source: 'HAProxy show stat (two samples)'
        })
      }
    }
    if (!ev.length) return null
    return hit(
      this.id,
      'warning',
      64,
      eresp >= econ ? 'Server response errors (eresp) keep climbing: a backend-side problem, not a kernel queue' : 'Server connection errors (econ) keep climbing',
      ev,
      'eresp counts failures while reading the server\'s response: the server closed or reset the connection, `timeout server` expired before the headers (sH), or HAProxy could not write to the client. Kernel accept-queue overflows on this host and source-port exhaustion do not increase it (port exhaustion shows as econ with log flag RC, "no free ports"). After a datacenter move typical causes are a firewall/NAT idle timeout killing idle connections, backend overload hitting `timeout server`, or tcp_tw_recycle on the backend hosts dropping this proxy\'s SYNs (that shows as econ).',
      'Read the HAProxy logs for the termination flags of the failing requests (SH/sH/SD = server side); compare `timeout server` with the backends\' response times (rtime/ttime), check middlebox idle timeouts, and make sure tcp_tw_recycle is off on the backend hosts too. None of the kernel sysctls on this host explains eresp.',
      ['haproxy.timeoutServerS']
    )
  }
}

export const RULES: readonly Rule[] = [
  haproxyMaxconnReached,
  haproxyDefaultMaxconn,
  listenOverflowsRising,
  acceptQueueFull,
  backlogClamped,
  maxconnVsFd,
  fdNearLimit,
  timeWaitPorts,
  twRecycle,
  finTimeout,
  syncookiesOff,
  serverLimits,
  serversUnchecked,
  serversDown,
  sysctlConflict,
  phpFpmChildren,
  twBuckets,
  backendErrorsRising,
  embryonicResets
]

/** Which findings explain a simulated first ceiling. */
const CEILING_RULES: Record<string, string[]> = {
  'haproxy-maxconn': ['haproxy-maxconn-reached', 'haproxy-default-maxconn-1x'],
  'accept-queue': ['accept-queue-full', 'listen-overflows-rising', 'backlog-clamped-by-somaxconn'],
  'syn-queue': ['listen-overflows-rising', 'syncookies-off', 'backlog-clamped-by-somaxconn'],
  'php-fpm-backlog': ['accept-queue-full', 'backlog-clamped-by-somaxconn', 'php-fpm-max-children'],
  'backend-workers': ['php-fpm-max-children'],
  'source-ports': ['time-wait-port-budget'],
  'tw-recycle': ['tcp-tw-recycle'],
  'haproxy-fd': ['haproxy-maxconn-vs-fd-limit', 'fd-usage-near-limit'],
  'fd-limit': ['fd-usage-near-limit', 'haproxy-maxconn-vs-fd-limit'],
  'server-maxconn': ['no-server-maxconn-or-queue-timeout'],
  'backend-queue': ['no-server-maxconn-or-queue-timeout'],
  'servers-down': ['haproxy-servers-down', 'haproxy-servers-unchecked'],
  'check-timeout': ['no-server-maxconn-or-queue-timeout', 'haproxy-servers-down']
}

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 }

/** Run every rule over a snapshot (and optionally a simulation of it); findings sorted by impact. */
export function diagnose(snap: Snapshot, sim?: SimSummary): Diagnosis {
  const ctx: RuleContext = { snap, sim, hostPath: snap.haproxy ? 'hosts.proxy' : 'hosts.backend', unknown: new Set() }
  const hits: RuleHit[] = []
  for (const rule of RULES) {
    const h = rule.run(ctx)
    if (h) hits.push(h)
  }
  let simulated: Diagnosis['simulated'] = null
  if (sim) {
    const total = sim.totals.requests || sim.totals.offered || 1
    simulated = { ceiling: sim.verdict.ceiling, atS: sim.verdict.atS, failedShare: sim.totals.failed / total }
    const boosted = new Set(CEILING_RULES[sim.verdict.ceiling] ?? [])
    for (const h of hits) {
      if (!boosted.has(h.id) || h.severity === 'info') continue
      h.score += 5
      h.evidence.push({
        label: 'simulation: first ceiling',
        value: `${sim.verdict.ceiling}${sim.verdict.atS != null ? ` at t=${fmt(sim.verdict.atS)} s` : ''}${sim.verdict.atLoad != null ? `, load ${fmt(sim.verdict.atLoad)}` : ''}; ${Math.round(simulated.failedShare * 100)}% of requests failed`,
        source: `simulation ${sim.scenarioName} (seed ${sim.seed})`
      })
    }
  }
  hits.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.score - a.score || a.id.localeCompare(b.id))
  const findings: Finding[] = hits.map((h, i) => ({ ...h, impactRank: i + 1 }))
  return {
    snapshotId: snap.id,
    snapshotName: snap.name,
    host: val(snap.host.hostname) ?? snap.source.host,
    findings,
    unknown: [...ctx.unknown].sort(),
    simulated
  }
}
