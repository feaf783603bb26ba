/**
 * Pure parsers for what the lab reads from the real kernel, HAProxy and the load tools:
 * `/proc/<pid>/net/{netstat,snmp,tcp}` (read from a process inside each namespace, so the
 * numbers are that namespace's), HAProxy `show stat` CSV and `show info`, `ab` text output and
 * its `-g` per-request TSV. Times are in milliseconds unless a name says otherwise.
 */

/** `/proc/net/netstat` or `/proc/net/snmp`: pairs of "Prefix: names" / "Prefix: values" lines -> { PrefixName: value }. */
export function parseProcCounters(text: string): Record<string, number> {
  const out: Record<string, number> = {}
  const lines = text.split('\n').filter((l) => l.trim() !== '')
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const [hp, ...names] = lines[i]!.trim().split(/\s+/)
    const [vp, ...values] = lines[i + 1]!.trim().split(/\s+/)
    if (!hp || hp !== vp) {
      i -= 1 // resynchronise on a malformed pair
      continue
    }
    const prefix = hp.replace(/:$/, '')
    names.forEach((n, j) => {
      const v = Number(values[j])
      if (Number.isFinite(v)) out[prefix + n] = v
    })
  }
  return out
}

/** Counter deltas `after - before` for every key present in both. */
export function counterDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(after)) {
    const b = before[k]
    if (b !== undefined) out[k] = v - b
  }
  return out
}

/** Kernel TCP states as numbered in include/net/tcp_states.h. */
export const TCP_STATE = { ESTABLISHED: 1, SYN_SENT: 2, SYN_RECV: 3, TIME_WAIT: 6, LISTEN: 10 } as const

export interface TcpRow {
  localIp: string
  localPort: number
  remoteIp: string
  remotePort: number
  state: number
  txQueue: number
  rxQueue: number
}

function hexIpv4(h: string): string {
  // little-endian u32 as printed by the kernel on x86
  const n = parseInt(h, 16)
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.')
}

/** Rows of `/proc/net/tcp` (IPv4). For a LISTEN row `rxQueue` is the accept-queue length (ss Recv-Q). */
export function parseProcNetTcp(text: string): TcpRow[] {
  const rows: TcpRow[] = []
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f.length < 5) continue
    const [lip, lport] = f[1]!.split(':')
    const [rip, rport] = f[2]!.split(':')
    const [tx, rx] = f[4]!.split(':')
    if (!lip || !lport || !rip || !rport || !tx || !rx) continue
    rows.push({
      localIp: hexIpv4(lip),
      localPort: parseInt(lport, 16),
      remoteIp: hexIpv4(rip),
      remotePort: parseInt(rport, 16),
      state: parseInt(f[3]!, 16),
      txQueue: parseInt(tx, 16),
      rxQueue: parseInt(rx, 16)
    })
  }
  return rows
}

/** One socket sample of a namespace: accept queue and SYN_RECV per listening port, SYN-SENT and TIME_WAIT counts. */
export interface SocketSample {
  acceptq: Record<number, number>
  synq: Record<number, number>
  synSent: number
  timeWait: number
  /** TIME_WAIT sockets whose remote address is one of `backendIps` (proxy -> backend connections); with `backendPort`, also that remote port. */
  timeWaitToBackend: number
  /** With `backendPort`: TIME_WAIT sockets on a backend's own side (local address in `backendIps`, local port `backendPort`). */
  timeWaitAtBackend: number
}

/**
 * Summarise `/proc/net/tcp` rows into a socket sample. `backendPort` tells the two ends of a
 * proxy -> backend connection apart when both are in this namespace (a loopback backend).
 */
export function sampleSockets(rows: readonly TcpRow[], backendIps: readonly string[] = [], backendPort: number | null = null): SocketSample {
  const s: SocketSample = { acceptq: {}, synq: {}, synSent: 0, timeWait: 0, timeWaitToBackend: 0, timeWaitAtBackend: 0 }
  const listening = new Set<number>()
  for (const r of rows) if (r.state === TCP_STATE.LISTEN) {
    listening.add(r.localPort)
    s.acceptq[r.localPort] = (s.acceptq[r.localPort] ?? 0) + r.rxQueue
    s.synq[r.localPort] ??= 0
  }
  for (const r of rows) {
    if (r.state === TCP_STATE.SYN_SENT) s.synSent++
    else if (r.state === TCP_STATE.SYN_RECV && listening.has(r.localPort)) s.synq[r.localPort] = (s.synq[r.localPort] ?? 0) + 1
    else if (r.state === TCP_STATE.TIME_WAIT) {
      s.timeWait++
      if (backendPort === null) {
        if (backendIps.includes(r.remoteIp)) s.timeWaitToBackend++
      } else if (r.remotePort === backendPort && backendIps.includes(r.remoteIp)) s.timeWaitToBackend++
      else if (r.localPort === backendPort && backendIps.includes(r.localIp)) s.timeWaitAtBackend++
    }
  }
  return s
}

/** HAProxy `show stat` CSV -> rows keyed 'frontend' | 'backend' | 'server_<name>' (first proxy of each kind wins; stats listeners skipped). */
export function parseHaproxyStat(csv: string): Record<string, Record<string, number | string>> {
  const lines = csv.split('\n').filter((l) => l.trim() !== '')
  const header = lines.find((l) => l.startsWith('# '))
  if (!header) return {}
  const cols = header.slice(2).split(',')
  const out: Record<string, Record<string, number | string>> = {}
  for (const l of lines) {
    if (l.startsWith('#')) continue
    const f = l.split(',')
    const row: Record<string, number | string> = {}
    cols.forEach((c, i) => {
      if (!c) return
      const v = f[i] ?? ''
      row[c] = v !== '' && Number.isFinite(Number(v)) ? Number(v) : v
    })
    const sv = String(row['svname'] ?? '')
    const key = sv === 'FRONTEND' ? 'frontend' : sv === 'BACKEND' ? 'backend' : `server_${sv}`
    if (!(key in out)) out[key] = row
  }
  return out
}

/** HAProxy `show info` -> { Field: value } (numbers where numeric). */
export function parseShowInfo(text: string): Record<string, number | string> {
  const out: Record<string, number | string> = {}
  for (const l of text.split('\n')) {
    const i = l.indexOf(':')
    if (i <= 0) continue
    const k = l.slice(0, i).trim()
    const v = l.slice(i + 1).trim()
    out[k] = v !== '' && Number.isFinite(Number(v)) ? Number(v) : v
  }
  return out
}

/** What `ab` prints at the end of a run. */
export interface AbSummary {
  complete: number
  failed: number
  failedConnect: number
  failedReceive: number
  failedLength: number
  failedExceptions: number
  non2xx: number
  /** Bytes of response bodies received ("HTML transferred"). */
  htmlBytes: number
  timeTakenS: number
  /** ab aborted (e.g. "apr_pollset_poll: The timeout specified has expired"). */
  aborted: string | null
}

/** Parse `ab` stdout+stderr. */
export function parseAbOutput(text: string): AbSummary {
  const num = (re: RegExp): number => {
    const m = re.exec(text)
    return m ? Number(m[1]) : 0
  }
  const abort = /^(apr_\w+\(?\)?:.*|Total of \d+ requests completed)$/m.exec(text)
  return {
    complete: num(/^Complete requests:\s+(\d+)/m),
    failed: num(/^Failed requests:\s+(\d+)/m),
    failedConnect: num(/Connect:\s+(\d+), Receive:/),
    failedReceive: num(/Receive:\s+(\d+), Length:/),
    failedLength: num(/Length:\s+(\d+), Exceptions:/),
    failedExceptions: num(/Exceptions:\s+(\d+)/),
    non2xx: num(/^Non-2xx responses:\s+(\d+)/m),
    htmlBytes: num(/^HTML transferred:\s+(\d+) bytes/m),
    timeTakenS: num(/^Time taken for tests:\s+([\d.]+) seconds/m),
    aborted: abort ? abort[1]! : null
  }
}

/** One request as recorded by `ab -g` (ms). */
export interface AbRequest {
  startS: number
  connectMs: number
  totalMs: number
}

/** Parse `ab -g FILE` (columns: starttime, seconds, ctime, dtime, ttime, wait). */
export function parseAbGnuplot(text: string): AbRequest[] {
  const out: AbRequest[] = []
  for (const line of text.split('\n').slice(1)) {
    const f = line.split('\t')
    if (f.length < 6) continue
    const startS = Number(f[1])
    const ctime = Number(f[2])
    const ttime = Number(f[4])
    if (Number.isFinite(startS) && Number.isFinite(ctime) && Number.isFinite(ttime)) out.push({ startS, connectMs: ctime, totalMs: ttime })
  }
  return out
}

/** Nearest-rank percentile (q in 0..1) of numbers; NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN
  const s = [...values].sort((a, b) => a - b)
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))
  return s[i]!
}

/** `ss -Hltn` -> listen backlog (Send-Q) per local port. */
export function parseSsListenBacklog(text: string): Record<number, number> {
  const out: Record<number, number> = {}
  for (const l of text.split('\n')) {
    const f = l.trim().split(/\s+/)
    if (f.length < 4 || f[0] !== 'LISTEN') continue
    const port = Number(f[3]!.slice(f[3]!.lastIndexOf(':') + 1))
    if (Number.isFinite(port)) out[port] = Math.max(out[port] ?? 0, Number(f[2]))
  }
  return out
}

/** State letter of `/proc/<pid>/stat` (field 3: R running or runnable, S sleeping, D, Z, ...); '' when unreadable. */
export function procState(statText: string): string {
  const i = statText.lastIndexOf(')')
  return i < 0 ? '' : statText.charAt(i + 2)
}

/** PIDs listed by `/proc/<pid>/task/<tid>/children` (space separated). */
export function parseChildren(text: string): number[] {
  return text
    .trim()
    .split(/\s+/)
    .filter((x) => /^\d+$/.test(x))
    .map(Number)
}

/** php-fpm access log with `access.format = "%{mili}d"`: one request's time in the child per line (ms). */
export function parseFpmAccessLog(text: string): number[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\d+(\.\d+)?$/.test(l))
    .map(Number)
}

/** CPU time of a process from `/proc/<pid>/stat`: utime + stime (fields 14 and 15), in clock ticks (USER_HZ, 100 on Linux). */
export function procCpuTicks(statText: string): number {
  const i = statText.lastIndexOf(')')
  if (i < 0) return 0
  const f = statText.slice(i + 2).split(' ') // f[0] is field 3
  return (Number(f[11]) || 0) + (Number(f[12]) || 0)
}

/** Busy clock ticks per CPU from `/proc/stat` (`cpuN` lines): user + nice + system + irq + softirq + steal. */
export function parseProcStatBusy(text: string): Record<number, number> {
  const out: Record<number, number> = {}
  for (const l of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(l)
    if (!m) continue
    const [user, nice, system, , , irq, softirq, steal] = m[2]!.trim().split(/\s+/).map(Number)
    out[Number(m[1])] = [user, nice, system, irq, softirq, steal].reduce((a: number, v) => a + (v ?? 0), 0)
  }
  return out
}
