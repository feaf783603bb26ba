import { describe, expect, it } from 'vitest'
import { diagnose, RULES } from '../../../main/diagnosis/rules'
import type { Snapshot } from '../../../main/snapshot/schema'
import type { SimSummary } from '../../../simulator/result'
import { demo, healthy1, healthy2, setCounterDelta, setSysctl, statRow } from '../../fixtures/diagnosis/derive'

const ids = (s: Snapshot): string[] => diagnose(s).findings.map((f) => f.id)
const finding = (s: Snapshot, id: string) => diagnose(s).findings.find((f) => f.id === id)

function listeners(s: Snapshot) {
  if (!s.sockets.listeners.ok) throw new Error('no listeners')
  return s.sockets.listeners.value
}

describe('healthy fixtures', () => {
  it('a fixed report-1 gateway raises no warning or critical finding', () => {
    const d = diagnose(healthy1())
    expect(d.findings.filter((f) => f.severity !== 'info').map((f) => f.id)).toEqual([])
  })
  it('a fixed report-2 server raises no finding at all', () => {
    expect(ids(healthy2())).toEqual([])
  })
})

// One fixture that fires each rule and one near miss that does not.
const cases: Record<string, { fire: () => Snapshot; not: () => Snapshot }> = {
  'haproxy-maxconn-reached': {
    fire: () => {
      const s = healthy1()
      Object.assign(statRow(s, 'sms_callback', 'FRONTEND'), { scur: 20000, smax: 20000 })
      return s
    },
    not: () => {
      const s = healthy1()
      Object.assign(statRow(s, 'sms_callback', 'FRONTEND'), { scur: 19990, smax: 19999 })
      return s
    }
  },
  'haproxy-default-maxconn-1x': {
    fire: () => demo('report1'),
    not: () => {
      // 1.5 with both maxconn values set explicitly
      const s = demo('report1')
      const cfg = s.haproxy!.config
      if (!cfg.ok) throw new Error()
      cfg.value.parsed.global.maxconn = 5000
      for (const p of cfg.value.parsed.proxies) if (p.kind === 'defaults') p.maxconn = 5000
      return s
    }
  },
  'listen-overflows-rising': {
    fire: () => setCounterDelta(healthy2(), 'TcpExtListenOverflows', 3),
    not: () => healthy2()
  },
  'accept-queue-full': {
    fire: () => {
      const s = healthy1()
      const l = listeners(s).find((x) => x.localPort === 80)!
      l.recvQ = l.sendQ + 1
      return s
    },
    not: () => {
      const s = healthy1()
      listeners(s).find((x) => x.localPort === 80)!.recvQ = 100
      return s
    }
  },
  'backlog-clamped-by-somaxconn': {
    fire: () => setSysctl(healthy2(), 'net.core.somaxconn', '128'),
    not: () => setSysctl(healthy2(), 'net.core.somaxconn', '511')
  },
  'haproxy-maxconn-vs-fd-limit': {
    fire: () => {
      // HAProxy started unprivileged with hard limit 4096 but maxconn 20000
      const s = healthy1()
      if (!s.limits.processes.ok) throw new Error()
      for (const p of s.limits.processes.value) {
        if (p.kind !== 'haproxy') continue
        p.uid = 188
        if (p.limits.ok) p.limits.value.nofile = { soft: 4096, hard: 4096 }
      }
      return s
    },
    not: () => {
      const s = healthy1()
      if (!s.limits.processes.ok) throw new Error()
      for (const p of s.limits.processes.value) {
        if (p.kind !== 'haproxy') continue
        p.uid = 188
        if (p.limits.ok) p.limits.value.nofile = { soft: 65536, hard: 65536 }
      }
      return s
    }
  },
  'fd-usage-near-limit': {
    fire: () => {
      const s = healthy2()
      if (!s.limits.processes.ok) throw new Error()
      s.limits.processes.value.find((p) => p.pid === 913)!.fdCount = { ok: true, value: 1000 }
      return s
    },
    not: () => {
      const s = healthy2()
      if (!s.limits.processes.ok) throw new Error()
      s.limits.processes.value.find((p) => p.pid === 913)!.fdCount = { ok: true, value: 900 }
      return s
    }
  },
  'time-wait-port-budget': {
    fire: () => {
      const s = setSysctl(setSysctl(healthy1(), 'net.ipv4.tcp_tw_reuse', '0'), 'net.ipv4.ip_local_port_range', '32768 60999')
      if (!s.sockets.connections.ok) throw new Error()
      s.sockets.connections.value.timeWaitByRemote[0]!.count = 26000
      return s
    },
    not: () => {
      // same settings, 300 TIME_WAITs per server and peaks of 300 new connections/s (< 0.8 x 470)
      const s = setSysctl(setSysctl(healthy1(), 'net.ipv4.tcp_tw_reuse', '0'), 'net.ipv4.ip_local_port_range', '32768 60999')
      for (const sv of ['web03', 'web04']) statRow(s, 'sms_app', sv)['rate_max'] = 300
      return s
    }
  },
  'tcp-tw-recycle': {
    fire: () => setSysctl(healthy1(), 'net.ipv4.tcp_tw_recycle', '1'),
    not: () => {
      const s = healthy1()
      delete s.sysctls.values['net.ipv4.tcp_tw_recycle']
      return s
    }
  },
  'tcp-fin-timeout-not-time-wait': {
    fire: () => setSysctl(healthy2(), 'net.ipv4.tcp_fin_timeout', '5'),
    not: () => setSysctl(healthy2(), 'net.ipv4.tcp_fin_timeout', '60')
  },
  'syncookies-off': {
    fire: () => setSysctl(healthy2(), 'net.ipv4.tcp_syncookies', '0'),
    not: () => setSysctl(healthy2(), 'net.ipv4.tcp_syncookies', '2')
  },
  'no-server-maxconn-or-queue-timeout': {
    fire: () => demo('report1'),
    not: () => healthy1()
  },
  'haproxy-servers-unchecked': {
    fire: () => {
      // web04 loses its `check`: the backend has a server a dead host would keep its share on
      const s = healthy1()
      if (!s.haproxy?.config.ok) throw new Error()
      const sv = s.haproxy.config.value.parsed.proxies.flatMap((p) => p.servers).find((x) => x.name === 'web04')!
      sv.raw = sv.raw.replace(/\s+check\b/, '')
      sv.check = false
      return s
    },
    not: () => healthy1()
  },
  'haproxy-servers-down': {
    fire: () => {
      const s = healthy1()
      statRow(s, 'sms_app', 'web04')['status'] = 'DOWN'
      return s
    },
    not: () => {
      const s = healthy1()
      statRow(s, 'sms_app', 'web04')['status'] = 'UP'
      return s
    }
  },
  'sysctl-set-in-several-files': {
    fire: () => demo('report2'),
    // report 1 sets tcp_tw_recycle and tcp_fin_timeout twice, with equal values
    not: () => demo('report1')
  },
  'php-fpm-max-children': {
    fire: () => demo('report2'),
    not: () => healthy2()
  },
  'tcp-max-tw-buckets-reached': {
    fire: () => setSysctl(healthy2(), 'net.ipv4.tcp_max_tw_buckets', '5000'),
    not: () => setSysctl(healthy2(), 'net.ipv4.tcp_max_tw_buckets', '6000')
  },
  'embryonic-resets-rising': {
    fire: () => setCounterDelta(healthy2(), 'TcpExtEmbryonicRsts', 30),
    not: () => healthy2()
  },
  'haproxy-backend-errors-rising': {
    fire: () => {
      const s = healthy1()
      statRow(s, 'sms_app', 'web04')['eresp'] = 99999
      return s
    },
    not: () => healthy1()
  }
}

describe('each rule', () => {
  it('has a fire / not-fire pair for every rule', () => {
    expect(Object.keys(cases).sort()).toEqual(RULES.map((r) => r.id).sort())
  })
  for (const [id, c] of Object.entries(cases)) {
    it(`${id}: fires on its fixture and not on the near miss`, () => {
      const f = finding(c.fire(), id)
      expect(f, `${id} should fire`).toBeDefined()
      expect(f!.evidence.length).toBeGreaterThan(0)
      for (const e of f!.evidence) expect(e.source.length).toBeGreaterThan(0)
      expect(f!.mechanism.length).toBeGreaterThan(150)
      expect(f!.fix.length).toBeGreaterThan(30)
      expect(ids(c.not())).not.toContain(id)
    })
  }
})

describe('rule details', () => {
  it('reads the sustainable per-destination rate from the port range (P/60) and tw_reuse', () => {
    const s = demo('report1')
    const f = finding(s, 'time-wait-port-budget')!
    expect(f.evidence.find((e) => e.label.startsWith('sustainable'))!.value).toMatch(/^470\.5 /)
    setSysctl(s, 'net.ipv4.ip_local_port_range', '10240 61000')
    const g = finding(s, 'time-wait-port-budget')
    expect(g?.evidence.find((e) => e.label.startsWith('sustainable'))!.value ?? '846').toMatch(/^846/)
  })
  it('tw_reuse=2 (the default since 4.19) lifts the budget towards loopback servers only', () => {
    const full = (addr: string): ReturnType<typeof demo> => {
      const s = setSysctl(setSysctl(demo('report1'), 'net.ipv4.tcp_tw_reuse', '2'), 'net.ipv4.tcp_tw_recycle', '0')
      if (!s.sockets.connections.ok) throw new Error()
      for (const tw of s.sockets.connections.value.timeWaitByRemote.slice(0, 2)) tw.addr = addr
      return s
    }
    // 13,6xx TIME_WAITs of 28,232 ports towards each remote server: a ceiling without reuse
    expect(ids(full('10.20.1.13'))).toContain('time-wait-port-budget')
    // the same towards 127.0.0.1: connect() takes them over after ~1 s, so no finding
    expect(ids(full('127.0.0.1'))).not.toContain('time-wait-port-budget')
  })
  it('embryonic resets: callers giving up (abort_on_overflow 0), or this host resetting overflowed ACKs (1)', () => {
    const s = setCounterDelta(healthy2(), 'TcpExtEmbryonicRsts', 30)
    const f = finding(s, 'embryonic-resets-rising')!
    expect(f.severity).toBe('info')
    expect(f.title).toMatch(/give up connecting/)
    expect(f.knobs).toEqual(['clients.connectTimeoutS', 'haproxy.timeoutConnectS'])
    const g = finding(setSysctl(s, 'net.ipv4.tcp_abort_on_overflow', '1'), 'embryonic-resets-rising')!
    expect(g.severity).toBe('warning')
    expect(g.title).toMatch(/tcp_abort_on_overflow=1/)
    expect(g.evidence.find((e) => e.label === 'net.ipv4.tcp_abort_on_overflow')!.value).toBe('1')
  })
  it('names the file that wins when a sysctl is set twice', () => {
    const f = finding(demo('report2'), 'sysctl-set-in-several-files')!
    const winner = f.evidence.find((e) => e.label.includes('wins'))!
    expect(winner.source).toBe('/etc/sysctl.conf:12')
    expect(winner.value).toBe('0')
  })
  it('says HAProxy started as root sets its own fd limit (ulimit -n is not the fix)', () => {
    const f = finding(demo('report1'), 'haproxy-maxconn-vs-fd-limit')!
    expect(f.severity).toBe('info')
    expect(f.title).toMatch(/ulimit -n/)
    expect(f.evidence.map((e) => e.value).join(' ')).toMatch(/2000 \/ 4013 \/ 4013/)
  })
  it('tcp_tw_recycle left in a sysctl file on a 4.12+ kernel is only a cleanup note', () => {
    const s = healthy1()
    delete s.sysctls.values['net.ipv4.tcp_tw_recycle']
    if (!s.sysctls.conf.ok) throw new Error()
    s.sysctls.conf.value.entries.push({ key: 'net.ipv4.tcp_tw_recycle', value: '1', file: '/etc/sysctl.d/10-old.conf', line: 3 })
    const f = finding(s, 'tcp-tw-recycle')!
    expect(f.severity).toBe('info')
  })
  it('a failed item is reported as unknown, not as healthy', () => {
    const s = healthy2()
    s.counters.rates = { ok: false, error: 'permission denied', detail: 'x' }
    s.counters.second = { ok: false, error: 'permission denied', detail: 'x' }
    const d = diagnose(s)
    expect(d.unknown).toContain('counters.rates')
  })
  it('a simulation of the snapshot raises the findings that explain its first ceiling', () => {
    const s = demo('report2')
    const before = diagnose(s).findings.find((f) => f.id === 'php-fpm-max-children')!
    const sim = { verdict: { ceiling: 'php-fpm-backlog', atS: 0.2, atLoad: 512, message: '', hits: [] }, totals: { requests: 5120, offered: 5120, failed: 1024 }, scenarioName: 'x', seed: 1 } as unknown as SimSummary
    const d = diagnose(s, sim)
    const after = d.findings.find((f) => f.id === 'php-fpm-max-children')!
    expect(after.score).toBe(before.score + 5)
    expect(after.evidence.at(-1)!.value).toMatch(/php-fpm-backlog at t=0\.2 s.*20% of requests failed/)
    expect(d.simulated).toEqual({ ceiling: 'php-fpm-backlog', atS: 0.2, failedShare: 0.2 })
  })
})

describe('servers DOWN and without checks', () => {
  it('every server of a backend DOWN is critical; one of two is a warning with its check status', () => {
    const one = healthy1()
    Object.assign(statRow(one, 'sms_app', 'web04'), { status: 'DOWN', check_status: 'L4CON', lastchg: 42 })
    const f1 = finding(one, 'haproxy-servers-down')!
    expect(f1.severity).toBe('warning')
    expect(f1.evidence[0]!.value).toBe('DOWN, last check L4CON for 42 s; 1 of 2 in sms_app down')
    const all = healthy1()
    for (const n of ['web03', 'web04']) statRow(all, 'sms_app', n)['status'] = n === 'web03' ? 'MAINT' : 'DOWN'
    expect(finding(all, 'haproxy-servers-down')!.severity).toBe('critical')
  })
  it('a default-server check in the backend counts; no-check on a line does not', () => {
    const s = healthy1()
    if (!s.haproxy?.config.ok) throw new Error()
    const be = s.haproxy.config.value.parsed.proxies.find((p) => p.name === 'sms_app')!
    for (const sv of be.servers) sv.raw = sv.raw.replace(/\s+check\b/, '')
    expect(finding(s, 'haproxy-servers-unchecked')!.evidence[0]!.value).toBe('web03, web04 (of 2)')
    be.settings.push({ line: 999, keyword: 'default-server', args: ['check', 'inter', '3s'] })
    expect(finding(s, 'haproxy-servers-unchecked')).toBeUndefined()
    be.servers[0]!.raw += ' no-check'
    expect(finding(s, 'haproxy-servers-unchecked')!.evidence[0]!.value).toBe('web03 (of 2)')
  })
})

describe('the field reports (semantics.md section 10)', () => {
  it('report 1: maxconn first, then the kernel drops, tw_recycle, and the notes on ulimit and fin_timeout', () => {
    const d = diagnose(demo('report1'))
    expect(d.findings.map((f) => f.id)).toEqual([
      'haproxy-maxconn-reached',
      'haproxy-default-maxconn-1x',
      'listen-overflows-rising',
      'backlog-clamped-by-somaxconn',
      'tcp-tw-recycle',
      'accept-queue-full',
      'haproxy-backend-errors-rising',
      'no-server-maxconn-or-queue-timeout',
      'time-wait-port-budget',
      'fd-usage-near-limit',
      'haproxy-maxconn-vs-fd-limit',
      'tcp-fin-timeout-not-time-wait'
    ])
    expect(d.findings.map((f) => f.impactRank)).toEqual(d.findings.map((_, i) => i + 1))
    const top = d.findings[0]!
    expect(top.evidence.map((e) => e.value).join(' ')).toContain('2000 / 2000 / 2000')
    expect(d.findings.find((f) => f.id === 'backlog-clamped-by-somaxconn')!.evidence.some((e) => e.value.startsWith('2000 -> 128'))).toBe(true)
    expect(d.findings.find((f) => f.id === 'tcp-tw-recycle')!.evidence.some((e) => e.label.includes('PAWSPassive'))).toBe(true)
    // its servers are checked (`option httpchk GET /health`) and have no maxconn: the checks wait behind the queued requests
    expect(d.findings.find((f) => f.id === 'no-server-maxconn-or-queue-timeout')!.mechanism).toMatch(/health-checked with `option httpchk`: .*\(L7TOUT/)
    // layer-4 checks: a full server queue drops the checks' SYNs
    const snap = demo('report1')
    if (!snap.haproxy?.config.ok) throw new Error()
    const be = snap.haproxy.config.value.parsed.proxies.find((p) => p.name === 'sms_app')!
    be.options = be.options.filter((o) => !o.startsWith('httpchk'))
    expect(diagnose(snap).findings.find((f) => f.id === 'no-server-maxconn-or-queue-timeout')!.mechanism).toMatch(/health-checked: .*\(L4TOUT/)
  })
  it('report 2: the overflows (both queues) first, then the somaxconn clamp, the full accept queues, children, syncookies', () => {
    const d = diagnose(demo('report2'))
    expect(d.findings.map((f) => f.id)).toEqual([
      'listen-overflows-rising',
      'backlog-clamped-by-somaxconn',
      'accept-queue-full',
      'php-fpm-max-children',
      'syncookies-off',
      'sysctl-set-in-several-files',
      'tcp-max-tw-buckets-reached'
    ])
    const o = d.findings[0]!
    // netdata's "drops on both queues": accept queue (ListenOverflows) and SYN queue (TCPReqQFullDrop, syncookies off)
    expect(o.evidence.some((e) => e.label === 'TcpExtListenOverflows')).toBe(true)
    expect(o.evidence.some((e) => e.label === 'TcpExtTCPReqQFullDrop')).toBe(true)
    // php-fpm on TCP: a full queue means dropped SYNs and a 504 after fastcgi_connect_timeout, not EAGAIN / 502
    const children = d.findings.find((f) => f.id === 'php-fpm-max-children')!
    expect(children.mechanism).toMatch(/drops nginx's SYNs.*504/)
    expect(children.mechanism).not.toMatch(/EAGAIN/)
    const q = d.findings.find((f) => f.id === 'accept-queue-full')!
    expect(q.evidence.some((e) => e.label.startsWith('127.0.0.1:9000 (php-fpm)') && e.value.startsWith('9 / 8'))).toBe(true)
    expect(q.evidence.some((e) => e.label.startsWith('0.0.0.0:80 (nginx') && e.value.startsWith('9 / 8'))).toBe(true)
    const clamp = d.findings.find((f) => f.id === 'backlog-clamped-by-somaxconn')!
    expect(clamp.evidence.filter((e) => /511 -> 8/.test(e.value)).length).toBe(2)
  })
})
