/**
 * Socket tables: `ss -ltnp` (TCP listeners: Recv-Q = accept queue now, Send-Q = effective
 * backlog), `ss -lxp` (unix listeners), `ss -tan` (every TCP socket, for TIME_WAIT per remote
 * and ESTAB per local port) and, where `ss` is missing (BusyBox), /proc/net/tcp{,6}, which
 * gives connection states but not the listen backlog.
 */
import type { Listener } from '../schema'
import { clip, guard, int, lines, okItem, parseError, type Item } from './common'

type Proc = { name: string; pid: number; fd: number }
export type Connections = {
  total: number
  byState: Record<string, number>
  timeWaitByRemote: Array<{ addr: string; port: number; count: number }>
  establishedByLocalPort: Array<{ port: number; count: number }>
  synRecvByLocalPort: Array<{ port: number; count: number }>
}

/** `users:(("nginx",pid=13913,fd=4),...)` (iproute2 >= 4.x) or `users:(("haproxy",1187,5))` (3.10 era). */
export function parseSsUsers(s: string): Proc[] {
  const out: Proc[] = []
  const re = /\("((?:[^"\\]|\\.)*)",(?:pid=)?(\d+),(?:fd=)?(\d+)\)/g
  for (let m = re.exec(s); m; m = re.exec(s)) out.push({ name: m[1]!, pid: Number(m[2]), fd: Number(m[3]) })
  return out
}

/** `127.0.0.1:80`, `[::]:80`, `*:80`, `:::80` (old ss), `127.0.0.53%lo:53` => addr + port. */
export function splitHostPort(s: string): { addr: string; port: number } | null {
  const i = s.lastIndexOf(':')
  if (i < 0) return null
  const port = int(s.slice(i + 1))
  if (port === null || port < 0 || port > 65535) return null
  let addr = s.slice(0, i)
  if (addr.startsWith('[') && addr.endsWith(']')) addr = addr.slice(1, -1)
  const pct = addr.indexOf('%')
  if (pct >= 0) addr = addr.slice(0, pct)
  if (addr === '' || addr === '::') addr = addr === '' ? '*' : '::'
  return { addr, port }
}

const isHeader = (l: string): boolean => /^(State|Netid)\s+/.test(l)

/** `ss -ltnp` (or `-ltn`): one Listener per LISTEN line. */
export function parseSsListeners(text: string): Item<Listener[]> {
  return guard('ss -ltn', () => {
    const out: Listener[] = []
    for (const l of lines(text)) {
      if (l.trim() === '' || isHeader(l)) continue
      const f = l.trim().split(/\s+/)
      // With a Netid column (ss -l without -t) the first field is tcp.
      if (f[0] === 'tcp') f.shift()
      if (f[0] !== 'LISTEN') {
        if (f[0] === 'UNCONN') continue
        return parseError(`unexpected ss line: ${clip(l)}`)
      }
      const recvQ = int(f[1])
      const sendQ = int(f[2])
      const local = f[3] ? splitHostPort(f[3]) : null
      if (recvQ === null || sendQ === null || !local) return parseError(`unreadable ss line: ${clip(l)}`)
      out.push({ localAddr: local.addr, localPort: local.port, recvQ, sendQ, processes: parseSsUsers(f.slice(5).join(' ')) })
    }
    return okItem(out)
  })
}

/** `ss -lxp`: unix stream/seqpacket listeners with their queue columns. */
export function parseSsUnixListeners(text: string): Item<Array<{ path: string; recvQ: number; sendQ: number; processes: Proc[] }>> {
  return guard('ss -lx', () => {
    const out: Array<{ path: string; recvQ: number; sendQ: number; processes: Proc[] }> = []
    for (const l of lines(text)) {
      if (l.trim() === '' || isHeader(l)) continue
      // u_str LISTEN 0 10 /path/with no spaces 19033 * 0 users:(...)
      const m = /^\s*(u_str|u_seq|u_dgr)\s+(\S+)\s+(\d+)\s+(\d+)\s+(.*?)\s+(\d+|\*)\s+(\S+)\s+(\d+|\*)\s*(users:.*)?$/.exec(l)
      if (!m) return parseError(`unreadable ss -lx line: ${clip(l)}`)
      if (m[2] !== 'LISTEN') continue
      out.push({ path: m[5]!, recvQ: Number(m[3]), sendQ: Number(m[4]), processes: parseSsUsers(m[9] ?? '') })
    }
    return okItem(out)
  })
}

function summarize(entries: Array<{ state: string; local: { addr: string; port: number }; peer: { addr: string; port: number } }>): Connections {
  const byState: Record<string, number> = {}
  const tw = new Map<string, { addr: string; port: number; count: number }>()
  const est = new Map<number, number>()
  const syn = new Map<number, number>()
  for (const e of entries) {
    byState[e.state] = (byState[e.state] ?? 0) + 1
    if (e.state === 'TIME-WAIT') {
      const k = `${e.peer.addr}|${e.peer.port}`
      const cur = tw.get(k)
      if (cur) cur.count++
      else tw.set(k, { addr: e.peer.addr, port: e.peer.port, count: 1 })
    } else if (e.state === 'ESTAB') est.set(e.local.port, (est.get(e.local.port) ?? 0) + 1)
    else if (e.state === 'SYN-RECV') syn.set(e.local.port, (syn.get(e.local.port) ?? 0) + 1)
  }
  const byCount = <T extends { count: number }>(a: T, b: T): number => b.count - a.count
  return {
    total: entries.length,
    byState,
    timeWaitByRemote: [...tw.values()].sort(byCount),
    establishedByLocalPort: [...est].map(([port, count]) => ({ port, count })).sort(byCount),
    synRecvByLocalPort: [...syn].map(([port, count]) => ({ port, count })).sort(byCount)
  }
}

const SS_STATES = new Set(['ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'UNCONN', 'CLOSE-WAIT', 'LAST-ACK', 'LISTEN', 'CLOSING', 'CLOSED', 'NEW-SYN-RECV', 'BOUND'])

/** `ss -tan`: counts per state and the TIME-WAIT / ESTAB / SYN-RECV breakdowns. */
export function parseSsConnections(text: string): Item<Connections> {
  return guard('ss -tan', () => {
    const entries: Parameters<typeof summarize>[0] = []
    for (const l of lines(text)) {
      if (l.trim() === '' || isHeader(l)) continue
      const f = l.trim().split(/\s+/)
      if (f[0] === 'tcp') f.shift()
      if (!SS_STATES.has(f[0]!)) return parseError(`unknown TCP state in: ${clip(l)}`)
      const local = f[3] ? splitHostPort(f[3]) : null
      const peer = f[4] === '*' ? { addr: '*', port: 0 } : f[4]?.endsWith(':*') ? splitHostPort(`${f[4].slice(0, -1)}0`) : f[4] ? splitHostPort(f[4]) : null
      if (!local || !peer) return parseError(`unreadable ss line: ${clip(l)}`)
      entries.push({ state: f[0]!, local, peer })
    }
    return okItem(summarize(entries))
  })
}

const PROC_TCP_STATES: Record<string, string> = {
  '01': 'ESTAB', '02': 'SYN-SENT', '03': 'SYN-RECV', '04': 'FIN-WAIT-1', '05': 'FIN-WAIT-2', '06': 'TIME-WAIT',
  '07': 'UNCONN', '08': 'CLOSE-WAIT', '09': 'LAST-ACK', '0A': 'LISTEN', '0B': 'CLOSING', '0C': 'NEW-SYN-RECV'
}

/** Kernel hex address (`0100007F:1F90`, IPv6 as 4 little-endian words) => addr + port. */
function procAddr(s: string): { addr: string; port: number } | null {
  const [h, p] = s.split(':')
  if (!h || !p || !/^[0-9A-Fa-f]+$/.test(h) || !/^[0-9A-Fa-f]{4}$/.test(p)) return null
  const port = parseInt(p, 16)
  const words = h.match(/.{8}/g)
  if (!words || (words.length !== 1 && words.length !== 4)) return null
  const bytes = words.flatMap((w) => [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].map((b) => parseInt(b, 16)))
  if (bytes.length === 4) return { addr: bytes.join('.'), port }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) return { addr: `::ffff:${bytes.slice(12).join('.')}`, port }
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16))
  return { addr: groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::'), port }
}

/** /proc/net/tcp and /proc/net/tcp6 concatenated (the BusyBox fallback for `ss -tan`). */
export function parseProcNetTcp(text: string): Item<Connections> {
  return guard('/proc/net/tcp', () => {
    const entries: Parameters<typeof summarize>[0] = []
    let sawHeader = false
    for (const l of lines(text)) {
      const t = l.trim()
      if (t === '') continue
      if (t.startsWith('sl')) {
        sawHeader = true
        continue
      }
      const f = t.split(/\s+/)
      const local = procAddr(f[1] ?? '')
      const peer = procAddr(f[2] ?? '')
      const state = PROC_TCP_STATES[(f[3] ?? '').toUpperCase()]
      if (!local || !peer || !state) return parseError(`unreadable /proc/net/tcp line: ${clip(t)}`)
      entries.push({ state, local, peer })
    }
    if (!sawHeader) return parseError('no header line in /proc/net/tcp')
    return okItem(summarize(entries))
  })
}
