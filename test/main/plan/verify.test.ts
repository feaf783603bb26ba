/**
 * verifyPlan: the "after" snapshots are the demo with the plan's own files parsed back by the
 * snapshot parsers (the planned haproxy.cfg through parseHaproxyConfig), plus the kernel
 * state a re-snapshot would show in each situation (applied, not reloaded, overridden).
 */
import { describe, expect, it } from 'vitest'
import { buildPlan } from '../../../main/plan/build'
import { verifyPlan } from '../../../main/plan/verify'
import type { Plan } from '../../../main/plan/types'
import { parseHaproxyConfig } from '../../../main/snapshot/parse/haproxy-cfg'
import type { Snapshot } from '../../../main/snapshot/schema'
import { setCounterDelta, setSysctl } from '../../fixtures/diagnosis/derive'
import { report1Inputs } from './tools'

async function planAndAfter(): Promise<{ plan: Plan; after: Snapshot }> {
  const input = await report1Inputs()
  const plan = buildPlan({ ...input, createdAt: '2026-11-22T00:00:00.000Z' })
  const after = structuredClone(input.snapshot)
  after.id = 'after'
  for (const i of plan.items.filter((x) => x.kind === 'sysctl')) setSysctl(after, i.knob, i.new)
  if (!after.sysctls.conf.ok) throw new Error()
  after.sysctls.conf.value.entries = [
    ...after.sysctls.conf.value.entries.filter((e) => !plan.items.some((i) => i.knob === e.key)),
    ...plan.items.filter((i) => i.kind === 'sysctl').map((i, n) => ({ key: i.knob, value: i.new, file: '/etc/sysctl.d/90-headroom.conf', line: n + 3 }))
  ]
  const cfg = after.haproxy!.config
  if (!cfg.ok) throw new Error()
  cfg.value.text = plan.files.find((f) => f.target === cfg.value.path)!.content
  const parsed = parseHaproxyConfig(cfg.value.text)
  if (!parsed.ok) throw new Error(parsed.detail)
  cfg.value.parsed = parsed.value
  if (after.haproxy!.info.ok) after.haproxy!.info.value['Maxconn'] = 5000
  after.limits.systemd[0]!.limitNOFILE = { ok: true, value: { soft: 20000, hard: 20000 } }
  if (after.sockets.listeners.ok) after.sockets.listeners.value.find((l) => l.localPort === 80)!.sendQ = 4096
  for (const c of ['TcpExtListenOverflows', 'TcpExtListenDrops', 'TcpExtPAWSPassive']) setCounterDelta(after, c, 0)
  return { plan, after }
}

describe('verifyPlan', () => {
  it('everything applied, the listener re-created and the motivating counters stopped', async () => {
    const { plan, after } = await planAndAfter()
    expect(plan.motivation.map((m) => m.counter)).toEqual(['TcpExtListenOverflows', 'TcpExtListenDrops', 'TcpExtPAWSPassive'])
    const v = verifyPlan(plan, after)
    expect(v.items.filter((i) => i.status !== 'applied')).toEqual([])
    expect(v.items.length).toBe(plan.items.length + 1)
    expect(v.items.find((i) => i.id === 'listener:80')).toMatchObject({ status: 'applied', found: '4096' })
    expect(v.summary.countersStopped).toBe(true)
  })

  it('not reloaded: config right but HAProxy still runs maxconn 2000 and Send-Q shows the old backlog', async () => {
    const { plan, after } = await planAndAfter()
    if (after.haproxy!.info.ok) after.haproxy!.info.value['Maxconn'] = 2000
    if (after.sockets.listeners.ok) after.sockets.listeners.value.find((l) => l.localPort === 80)!.sendQ = 128
    setCounterDelta(after, 'TcpExtListenOverflows', 500)
    const v = verifyPlan(plan, after)
    expect(v.items.find((i) => i.id === 'haproxy:global.maxconn')).toMatchObject({ status: 'not applied', found: '5000 (running: 2000)' })
    const l = v.items.find((i) => i.id === 'listener:80')!
    expect(l.status).toBe('not applied')
    expect(l.detail).toMatch(/somaxconn is 4096 but :80 still shows Send-Q 128: the daemon did not call listen\(\) again/)
    expect(v.counters.find((c) => c.counter === 'TcpExtListenOverflows')).toMatchObject({ status: 'reduced', afterPerS: 100 })
    expect(v.summary.countersStopped).toBe(false)
  })

  it('overridden: a sysctl file applied after the drop-in sets the old value again', async () => {
    const { plan, after } = await planAndAfter()
    if (!after.sysctls.conf.ok) throw new Error()
    after.sysctls.conf.value.entries.push({ key: 'net.core.somaxconn', value: '128', file: '/etc/sysctl.conf', line: 20 })
    setSysctl(after, 'net.core.somaxconn', '128')
    const v = verifyPlan(plan, after)
    const i = v.items.find((x) => x.id === 'sysctl:net.core.somaxconn')!
    expect(i.status).toBe('overridden')
    expect(i.detail).toMatch(/\/etc\/sysctl.conf:20 sets 128 after the drop-in/)
    // live value right but a later file would revert it at boot: still overridden
    setSysctl(after, 'net.core.somaxconn', '4096')
    expect(verifyPlan(plan, after).items.find((x) => x.id === 'sysctl:net.core.somaxconn')!.detail).toMatch(/wins at the next boot/)
  })

  it('not applied at all: the old snapshot verifies as not applied', async () => {
    const input = await report1Inputs()
    const plan = buildPlan(input)
    const v = verifyPlan(plan, input.snapshot)
    expect(v.summary.applied).toBe(0)
    expect(v.items.find((i) => i.id === 'sysctl:net.core.somaxconn')!.status).toBe('not applied')
    expect(v.items.find((i) => i.id === 'haproxy:server.sms_app/web03.maxconn')!.status).toBe('not applied')
    expect(v.counters.every((c) => c.status === 'rising')).toBe(true)
  })
})
