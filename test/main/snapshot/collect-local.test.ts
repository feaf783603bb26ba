// The real collector scripts run on this machine through /bin/sh (as sshd would run them),
// then assembled: checks values against what Node reads directly from the same kernel.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { collectSnapshot } from '../../../main/snapshot/collect'
import { localRunner } from '../../../main/snapshot/local-runner'
import { parseSnapshot } from '../../../main/snapshot/schema'

describe('collector scripts run locally', () => {
  it('reads host, sysctls, limits, counters twice and sockets', async () => {
    const snap = await collectSnapshot(localRunner, { host: 'localhost', hostName: null, port: null, user: null, sampleIntervalS: 1, sudo: false })
    expect(parseSnapshot(JSON.parse(JSON.stringify(snap))).ok).toBe(true)
    const h = snap.host
    expect(h.hostname).toEqual({ ok: true, value: hostname() })
    expect(h.kernelRelease.ok && h.kernelRelease.value).toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim())
    const som = snap.sysctls.values['net.core.somaxconn']!
    expect(som.ok && som.value.numbers[0]).toBe(Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8')))
    // tcp_tw_recycle is gone since 4.12: reported as not found, without making the snapshot partial
    const tw = snap.sysctls.values['net.ipv4.tcp_tw_recycle']!
    expect(tw.ok).toBe(false)
    if (!tw.ok) expect(tw.error).toBe('not found')
    const pr = snap.sysctls.values['net.ipv4.ip_local_port_range']!
    expect(pr.ok && pr.value.numbers.length).toBe(2)
    expect(snap.limits.shell.ok).toBe(true)
    const rates = snap.counters.rates
    expect(rates.ok).toBe(true)
    if (rates.ok) {
      expect(rates.value.intervalS).toBeGreaterThanOrEqual(0.9)
      expect(rates.value.intervalS).toBeLessThan(3)
      expect(rates.value.delta).toHaveProperty('TcpExtListenOverflows')
      expect(rates.value.delta).toHaveProperty('TcpPassiveOpens')
    }
    expect(snap.sockets.listeners.ok).toBe(true)
    expect(snap.sockets.connections).toMatchObject({ ok: true })
    expect(snap.source.collector).toMatch(/^headroom\//)
    // nothing failed except what this machine lacks (no systemd here, so no units)
    expect(snap.problems.filter((p) => !p.item.startsWith('haproxy') && !p.item.startsWith('nginx') && !p.item.startsWith('phpFpm'))).toEqual([])
  }, 60_000)

  it('with --sudo: uses sudo -n, or says it was refused/missing and collects without it', async () => {
    const snap = await collectSnapshot(localRunner, { host: 'localhost', hostName: null, port: null, user: null, sampleIntervalS: 0, sudo: true })
    const p = snap.problems.find((x) => x.item === 'sudo')
    let sudoWorks = false
    try {
      execFileSync('sudo', ['-n', 'true'], { stdio: 'ignore' })
      sudoWorks = true
    } catch {
      // missing or refused
    }
    if (sudoWorks) {
      expect(p).toBeUndefined()
      expect(snap.sysctls.values['net.core.somaxconn']!.ok).toBe(true)
      return
    }
    expect(p?.error).toBe('permission denied')
    expect(p?.detail).toMatch(/sudo -n refused, collected without it/)
    expect(snap.partial).toBe(true)
    expect(snap.sysctls.values['net.core.somaxconn']!.ok).toBe(true)
    expect(snap.counters.rates.ok).toBe(true)
  }, 60_000)
})
