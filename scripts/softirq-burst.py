#!/usr/bin/env python3
"""
How long a burst of retransmitted SYNs takes to go through NET_RX on loopback (the model's
SOFTIRQ_S, docs/simulator.md "Softirq handshakes"). Ground truth on this machine's kernel.

Run it in a network namespace of its own (it listens on 127.0.0.1:9000-9001 and sniffs lo):
    unshare -n python3 scripts/softirq-burst.py [rounds]
Needs root (AF_PACKET). Sends nothing outside that namespace's loopback.

Method: a listener with backlog 0 holds one unaccepted connection, so its accept queue is
full; N non-blocking connects to it lose their SYNs and retransmit 1 s later, from one timer
softirq (the kernel rounds the timers to its wheel). Before that the listener accepts and is
re-listened with backlog 4096, so the retransmits are admitted. An AF_PACKET socket on lo
timestamps every packet when it is queued (netif_rx): a retransmitted SYN when its timer
runs, a SYN-ACK when NET_RX handles its SYN, an ACK when NET_RX handles its SYN-ACK. Per
burst this prints: the timer phase (first to last retransmitted SYN), the SYN phase (first
to last SYN-ACK: the listener's cost per admitted SYN), the ACK phase, and the whole burst.
A second kind of burst alternates SYNs to a listener that stays full (dropped) and to one with
room (admitted): its SYN-ACK spacing is the cost of one admitted plus one dropped SYN.
"""
import socket
import struct
import subprocess
import sys
import threading
import time

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
SO_TIMESTAMPNS = 35
PACKET_OUTGOING = 4
ADMIT, FULL = 9000, 9001


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else float('nan')


class Sniffer:
    def __init__(self):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
        self.sock.bind(('lo', 0))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.settimeout(0.1)
        self.pkts = []
        self.stop = False
        self.th = threading.Thread(target=self.run)
        self.th.start()

    def run(self):
        while not self.stop:
            try:
                data, anc, _, addr = self.sock.recvmsg(256, 64)
            except socket.timeout:
                continue
            if addr[2] != PACKET_OUTGOING or not anc:
                continue
            s, ns = struct.unpack('qq', anc[0][2][:16])
            ip = data[14:]
            if len(ip) < 40 or ip[9] != 6:
                continue
            tcp = ip[(ip[0] & 15) * 4:]
            sport, dport = struct.unpack('!HH', tcp[:4])
            self.pkts.append((s + ns / 1e9, sport, dport, tcp[13]))

    def close(self):
        self.stop = True
        self.th.join()
        self.sock.close()


def burst(n, alternate):
    """One retransmit burst of n SYNs; returns per-phase figures in microseconds."""
    sn = Sniffer()
    lst = {}
    keep = []
    for port in (ADMIT, FULL) if alternate else (ADMIT,):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', port))
        s.listen(0)
        lst[port] = s
        keep.append(socket.create_connection(('127.0.0.1', port)))  # fills the accept queue
    time.sleep(0.05)
    t0 = time.time()
    for i in range(n):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(('127.0.0.1', FULL if alternate and i % 2 else ADMIT))
        except BlockingIOError:
            pass
        keep.append(c)
    time.sleep(0.3)
    lst[ADMIT].accept()
    lst[ADMIT].listen(4096)
    time.sleep(1.5)
    sn.close()
    rtx, synack, ack = {}, {}, {}
    for ts, sp, dp, fl in sn.pkts:
        if ts < t0 + 0.5:
            continue
        if fl == 0x02 and dp in lst:
            rtx.setdefault(sp, (ts, dp))
        elif fl == 0x12 and sp == ADMIT:
            synack.setdefault(dp, ts)
        elif fl == 0x10 and dp == ADMIT:
            ack.setdefault(sp, ts)
    for c in keep:
        c.close()
    for s in lst.values():
        s.close()
    if not rtx:
        return None
    order = sorted(rtx, key=lambda p: rtx[p][0])
    # the burst: the retransmits of the first timer run (later ones come from other wheel buckets)
    first = rtx[order[0]][0]
    b = [p for p in order if rtx[p][0] - first < 0.002]
    sa = sorted(synack[p] for p in b if p in synack)
    ak = sorted(ack[p] for p in b if p in ack)
    if len(sa) < 2 or len(ak) < 2:
        return None
    us = lambda t: (t - first) * 1e6
    gaps = [(y - x) * 1e6 for x, y in zip(sa, sa[1:])]
    return {
        'syns': len(b),
        'admitted': len(sa),
        'timers_us': us(rtx[b[-1]][0]),
        'netrx_start_us': us(sa[0]),
        'syn_each_us': (sa[-1] - sa[0]) * 1e6 / (len(sa) - 1),
        'syn_gap_median_us': median(gaps),
        'ack_each_us': (ak[-1] - ak[0]) * 1e6 / (len(ak) - 1),
        'burst_us': us(ak[-1]),
    }


def main():
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    rows = []
    for r in range(ROUNDS):
        for n, alt in ((60, False), (120, False), (250, False), (100, True)):
            x = burst(n, alt)
            if x is None:
                print(f'round {r + 1}: burst of {n} not captured')
                continue
            x['kind'] = 'alternate' if alt else 'admit'
            rows.append(x)
            print(
                f"round {r + 1} {x['kind']:9s} {x['syns']:3d} SYNs ({x['admitted']} admitted): timers {x['timers_us']:6.0f} us,"
                f" NET_RX from {x['netrx_start_us']:5.0f} us, {x['syn_each_us']:5.2f} us per admitted SYN"
                f" (median gap {x['syn_gap_median_us']:.2f}), {x['ack_each_us']:5.2f} us per ACK,"
                f" whole burst {x['burst_us']:6.0f} us = {x['burst_us'] / x['syns']:5.2f} us per SYN"
            )
    adm = [x for x in rows if x['kind'] == 'admit']
    alt = [x for x in rows if x['kind'] == 'alternate']
    if adm:
        print(
            f"admit bursts ({len(adm)}): timer {median([x['timers_us'] / x['syns'] for x in adm]):.2f} us per SYN,"
            f" {median([x['syn_each_us'] for x in adm]):.2f} us per admitted SYN,"
            f" {median([x['ack_each_us'] for x in adm]):.2f} us per ACK,"
            f" {median([x['burst_us'] / x['syns'] for x in adm]):.2f} us per SYN for the whole burst (medians)"
        )
    if adm and alt:
        d = median([x['syn_each_us'] for x in alt]) - median([x['syn_each_us'] for x in adm])
        dg = median([x['syn_gap_median_us'] for x in alt]) - median([x['syn_gap_median_us'] for x in adm])
        print(f"a dropped SYN (accept queue full) adds {d:.2f} us on average, {dg:.2f} us at the median gap")


if __name__ == '__main__':
    main()
