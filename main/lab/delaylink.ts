/**
 * RTT between lab hosts without sch_netem: two TUN devices (IFF_TUN, no packet info) opened by
 * one small user-space process; every IP packet read from one device is written to the other
 * `oneWayMs` later. Both ends stay real kernel TCP stacks (SYN queues, retransmissions, TIME_WAIT
 * all happen in the namespaces' kernels); only the wire is user space. Node cannot issue the
 * TUNSETIFF ioctl, so this one process is python3 (standard library only).
 *
 * Jitter (argv 4 > 0): each packet's one-way delay gets a uniform 0..jitter ms draw from a seeded
 * PRNG (Python's Mersenne Twister, argv 5), so it is bounded by delay + jitter. A flow (IPv4
 * protocol, addresses and TCP/UDP ports, one direction) keeps its packet order, as on a real path
 * whose delay varies: a packet leaves no earlier than the previous packet of its flow, so back-to-
 * back packets of one connection can wait a little longer than their own draw. Packets of
 * different flows may overtake each other. The simulator draws every packet's delay
 * independently (no order kept); single-packet exchanges (SYN, SYN-ACK, RST) see the same
 * distribution in both.
 *
 * argv: <tun-a> <tun-b> <one-way delay ms> [jitter ms] [seed]. Prints "ready" once both devices exist.
 * `--selftest <arrivals JSON> <delay> <jitter> <seed>` runs only the scheduling (no devices) for the tests.
 */
import { run } from './sys'

export const DELAY_LINK = String.raw`
import fcntl, heapq, json, os, random, select, struct, sys, time
TUNSETIFF = 0x400454ca
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
def tun(name):
    fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TUN | IFF_NO_PI))
    return fd
selftest = sys.argv[1] == '--selftest'
delay = float(sys.argv[3]) / 1000.0
jitter = float(sys.argv[4]) / 1000.0 if len(sys.argv) > 4 else 0.0
rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
last = {}  # flow -> release time of its latest packet (jitter only)
def flow(fd, pkt):
    if len(pkt) < 20 or pkt[0] >> 4 != 4:
        return (fd, pkt[:1])
    ihl = (pkt[0] & 15) * 4
    proto = pkt[9]
    ports = pkt[ihl:ihl + 4] if proto in (6, 17) else b''
    return (fd, proto, pkt[12:20], ports)
def due_time(now, fd, pkt):
    due = now + delay
    if jitter > 0:
        k = flow(fd, pkt)
        due = max(due + rng.random() * jitter, last.get(k, 0.0))
        last[k] = due
    return due
if selftest:
    # no TUN devices: argv[2] is a JSON list of [arrival s, flow number] (IPv4/TCP packets, flow n = source port 1000 + n); prints each release delay (s)
    out = []
    for at, n in json.loads(sys.argv[2]):
        pkt = bytes([0x45]) + bytes(8) + bytes([6]) + bytes(2) + bytes([10, 0, 0, 1, 10, 0, 0, 2]) + struct.pack('!HH', 1000 + n, 80)
        out.append(due_time(at, 0, pkt) - at)
    print(json.dumps(out))
    sys.exit(0)
a, b = tun(sys.argv[1]), tun(sys.argv[2])
peer = {a: b, b: a}
q, seq = [], 0
print('ready', flush=True)
while True:
    now = time.monotonic()
    timeout = max(0.0, q[0][0] - now) if q else 1.0
    r, _, _ = select.select([a, b], [], [], timeout)
    now = time.monotonic()
    for fd in r:
        for _ in range(64):
            try:
                pkt = os.read(fd, 65535)
            except BlockingIOError:
                break
            seq += 1
            heapq.heappush(q, (due_time(now, fd, pkt), seq, peer[fd], pkt))
    now = time.monotonic()
    while q and q[0][0] <= now:
        _, _, fd, pkt = heapq.heappop(q)
        try:
            os.write(fd, pkt)
        except OSError:
            pass
    if len(last) > 4096:
        last = {k: v for k, v in last.items() if v > now}
`

/** Source of a TCP "ping": connect to a closed port; the RST comes back after one RTT (ECONNREFUSED). Prints RTTs in ms. */
const TCP_PING = String.raw`
const net = require('node:net')
const [host, port, n] = process.argv.slice(1)
const out = []
function one(i) {
  if (i >= Number(n)) { console.log(JSON.stringify(out)); return }
  const t = process.hrtime.bigint()
  const s = net.connect({ host, port: Number(port) })
  const end = () => { out.push(Number(process.hrtime.bigint() - t) / 1e6); s.destroy(); setTimeout(() => one(i + 1), 20) }
  s.on('connect', end); s.on('error', end)
}
one(0)
`

/** RTT (ms) from namespace `ns` to ip: `probes` TCP SYN -> RST/SYN-ACK round trips after one warm-up; avg, median, min and max. */
export async function pingRtt(ns: string, ip: string, port: number, probes = 10): Promise<{ avg: number; p50: number; min: number; max: number }> {
  const r = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', TCP_PING, ip, String(port), String(probes + 1)], { timeoutMs: 20_000 + probes * 500 })
  const v = JSON.parse(r.stdout.trim() || '[]') as number[]
  const rest = v.slice(1)
  if (rest.length === 0) throw new Error(`RTT measurement from ${ns} to ${ip} failed: ${r.stderr.trim()}`)
  const r3 = (x: number): number => Math.round(x * 1000) / 1000
  const sorted = [...rest].sort((a, b) => a - b)
  const p50 = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2
  return { avg: r3(rest.reduce((a, b) => a + b, 0) / rest.length), p50: r3(p50), min: r3(Math.min(...rest)), max: r3(Math.max(...rest)) }
}
