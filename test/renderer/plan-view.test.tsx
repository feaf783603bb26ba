import { describe, expect, it } from 'vitest'
import { render } from '@testing-library/react'
import report1 from '../../resources/demo/report1.snapshot.json'
import { parseSnapshot } from '../../main/snapshot/schema'
import { diagnose } from '../../main/diagnosis/rules'
import type { Plan, PredictionDigest } from '../../main/plan/types'
import type { PlanVerification } from '../../main/plan/verify'
import { FindingsList, PlanView } from '../../renderer/src/features/plan'

function findings() {
  const r = parseSnapshot(report1)
  if (!r.ok) throw new Error(r.error)
  return diagnose(r.snapshot).findings
}

const digest = (ok: number, failed: number, byCause: Record<string, number>): PredictionDigest => ({
  scenarioName: 'x', seed: 1, requests: ok + failed, ok, failed, unfinished: 0, successPct: (100 * ok) / (ok + failed), byCause,
  p50Ms: 20, p99Ms: 3100, connectP99Ms: 1000, ceiling: 'haproxy-maxconn', ceilingAtS: 62, ceilingAtLoad: 1450, verdict: 'maxconn', series: null
})

function plan(): Plan {
  return {
    format: 'headroom-plan/1', id: 'plan-abc', createdAt: '2026-11-22T00:00:00Z', host: 'gw <b>1</b>', snapshotId: 's', snapshotName: 'n', snapshotTakenAt: 't',
    baselineName: 'baseline', scenarioName: 'maxconn 5000',
    items: [
      { id: 'sysctl:net.core.somaxconn', kind: 'sysctl', knob: 'net.core.somaxconn', scenarioPath: 'hosts.proxy.somaxconn', old: '128', new: '4096', appliedIn: '/etc/sysctl.d/90-headroom.conf + sysctl -w', actions: ['sysctl -w', 'reload haproxy'], findings: [], notes: [] },
      { id: 'haproxy:global.maxconn', kind: 'haproxy', knob: 'HAProxy global maxconn', scenarioPath: 'haproxy.globalMaxconn', old: 'unset (effective 2000)', new: '5000', appliedIn: '/etc/haproxy/haproxy.cfg (global)', actions: ['reload haproxy'], findings: [], notes: [] }
    ],
    manual: [], findings: findings(),
    files: [{ bundlePath: 'files/etc/haproxy/haproxy.cfg', target: '/etc/haproxy/haproxy.cfg', content: '', original: 'x', diff: '--- a\n+++ b\n@@ -1 +1 @@\n-    bind *:80\n+    bind *:80 backlog 4096\n' }],
    haproxyDiff: null, applySh: '', rollbackSh: '',
    checklist: [{ items: [], what: 'somaxconn live', command: 'sysctl -n net.core.somaxconn', expect: '4096' }],
    prediction: { baseline: digest(400, 160, { connect_timeout: 150, timeout: 10 }), scenario: digest(559, 1, { timeout: 1 }) },
    motivation: [], services: { haproxy: 'haproxy.service', nginx: null, phpFpm: null }, notes: []
  }
}

describe('plan components', () => {
  it('FindingsList shows report 1 findings in order of impact with their evidence', () => {
    const f = findings()
    const { container } = render(<FindingsList findings={f} />)
    const items = [...container.querySelectorAll('li.hr-finding')]
    expect(items.map((li) => li.getAttribute('data-finding'))).toEqual(f.map((x) => x.id))
    expect(items[0]!.querySelector('summary')!.textContent).toContain('1. HAProxy is at its frontend and global maxconn')
    expect(items[0]!.querySelector('details')!.hasAttribute('open')).toBe(true)
    expect(items[0]!.textContent).toContain('2000 / 2000 / 2000')
  })

  it('PlanView lists every change, draws the outcome bars and the verification', () => {
    const p = plan()
    const v: PlanVerification = {
      planId: p.id, snapshotId: 'after',
      items: [{ id: 'listener:80', knob: 'listener :80 backlog', expected: '4096', found: '128', status: 'not applied', detail: 'restart it' }],
      counters: [{ counter: 'TcpExtListenOverflows', beforePerS: 347.2, afterPerS: 0, status: 'stopped' }],
      summary: { applied: 0, notApplied: 1, overridden: 0, unknown: 0, countersStopped: true }
    }
    const { container, getByLabelText } = render(<PlanView plan={p} verification={v} showFindings={false} />)
    const rows = [...container.querySelectorAll('tr[data-item]')].filter((r) => r.closest('[aria-label="Verification"]') === null)
    expect(rows.map((r) => r.querySelector('.hr-new')!.textContent)).toEqual(['4096', '5000'])
    expect(getByLabelText('Tuning plan for gw <b>1</b>')).toBeTruthy()
    // 3 categories (ok, connect_timeout, timeout) x 2 runs, one bar each
    expect(container.querySelectorAll('svg.hr-bars rect')).toHaveLength(6)
    expect(container.querySelector('.hr-diff .hr-add')!.textContent).toContain('backlog 4096')
    expect(container.querySelector('.hr-status-not-applied')!.textContent).toBe('not applied')
    expect(container.textContent).toContain('TcpExtListenOverflows: 347.2/s before, 0.0/s after: stopped')
  })
})
