import { beforeAll, describe, expect, it } from 'vitest'
import { render } from '@testing-library/react'
import { COUNTER_MEANING, ResultView } from '../../renderer/src/components/ResultView'
import { simulate } from '../../simulator/index'
import { decodeResult } from '../../simulator/result'
import { defaultScenario, defaultKernel, type Scenario } from '../../simulator/scenario'
import { report1Scenario } from '../../simulator/presets'

/** `ab -c 4 -n 8 -s S` straight to a server that answers after 1.5 s. */
function abRun(silenceS: number): Scenario {
  const s = defaultScenario()
  s.durationS = 20
  s.drainS = 5
  s.clients = { ...s.clients, mode: 'closed', loadCurve: [], concurrency: 4, totalRequests: 8, closesFirst: 'server', requestTimeoutS: silenceS, tool: 'ab' }
  s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
  s.hosts = { client: defaultKernel('6.18'), proxy: defaultKernel('6.18'), backend: defaultKernel('6.18') }
  s.haproxy = null
  s.backend = { ...s.backend, kind: 'generic', workers: 8, serviceTime: { kind: 'constant', s: 1.5 } }
  return s
}

describe('ResultView', () => {
  beforeAll(() => {
    // jsdom has no ResizeObserver; the view falls back to its default width
    globalThis.ResizeObserver ??= class {
      observe(): void {}
      disconnect(): void {}
      unobserve(): void {}
    } as unknown as typeof ResizeObserver
  })

  it('says what each kernel counter counts, for every counter the simulator reports', () => {
    const r = decodeResult(simulate(report1Scenario({ durationS: 20 }), { seed: 1 }))
    const names = new Set(Object.values(r.summary.kernel).flatMap((c) => (c ? Object.keys(c) : [])))
    expect(names.size).toBeGreaterThan(5)
    for (const n of names) expect(COUNTER_MEANING[n], n).toBeTruthy()
    const v = render(<ResultView result={r} maxconn={null} />)
    const table = v.getByLabelText('kernel counters')
    expect(table.textContent).toContain('what it counts')
    // report 1: tw_recycle drops the NAT clients' SYNs
    expect(table.textContent).toMatch(/PAWSPassive.*tcp_tw_recycle timestamp check/)
    v.unmount()
  })

  it("shows HAProxy's stats per server, with status and checks where servers are checked", () => {
    const s = report1Scenario({ durationS: 10 })
    const [a, b] = s.haproxy!.servers
    s.haproxy!.servers = [a!, { ...b!, refuses: true }].map((sv) => ({ ...sv, check: { interMs: 2000, fastinterMs: null, downinterMs: null, rise: 2, fall: 3 } }))
    s.haproxy!.startedS = 0
    const r = decodeResult(simulate(s, { seed: 1 }))
    const v = render(<ResultView result={r} maxconn={null} />)
    const rows = [...v.getByLabelText('HAProxy stats').querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))
    expect(rows.map((x) => x[0])).toEqual(['FRONTEND', 'BACKEND', a!.name, b!.name])
    const down = rows[3]!
    // s2's first check, 2 s x 1/2 after HAProxy's start at the run's start, ends one 30 ms round trip later
    expect(down[1]).toBe('DOWN at 1.03 s')
    expect(rows[2]![1]).toBe('UP')
    // the last check: refused (L4CON) on s2, passed on s1
    expect(down[2]).toBe('L4CON')
    expect(rows[2]![2]).toBe('L4OK')
    // chkfail and chkdown, then downtime close the row: one failure takes a fresh health (rise) to 0
    expect(down.slice(-3, -1)).toEqual(['1', '1'])
    expect(Number(down.at(-1))).toBeCloseTo(r.summary.simulatedS - 1.03, 0)
    expect(rows[2]!.at(-1)).toBe('0')
    expect(v.getByLabelText('HAProxy stats').querySelector('tr.down')).not.toBeNull()
    v.unmount()
    // no checks: no status or check columns
    const plain = render(<ResultView result={decodeResult(simulate(report1Scenario({ durationS: 10 }), { seed: 1 }))} maxconn={null} />)
    expect(plain.getByLabelText('HAProxy stats').textContent).not.toMatch(/chkfail|status/)
    plain.unmount()
  })

  it("says when ApacheBench's -s ended the run, and what that cost", () => {
    const cut = decodeResult(simulate(abRun(1), { seed: 1 }))
    const { getByTestId, unmount } = render(<ResultView result={cut} maxconn={null} />)
    const line = getByTestId('ab-stopped').textContent ?? ''
    expect(line).toMatch(/gave up: no event on any of its connections for 1 s .* at t = 1\.0 s/)
    expect(line).toMatch(/The 8 requests of its -n it had not completed count as failed/)
    expect(getByTestId('failed-count').textContent).toBe('8')
    unmount()
    // a run ab completes has no such line
    const full = decodeResult(simulate(abRun(2), { seed: 1 }))
    const v = render(<ResultView result={full} maxconn={null} />)
    expect(v.queryByTestId('ab-stopped')).toBeNull()
    expect(v.getByTestId('failed-count').textContent).toBe('0')
    v.unmount()
    // -t: ab -t 2 -c 1 -n 100 stops at its first completion past 2 s (3.0 s), 98 not done
    const t = abRun(30)
    t.durationS = 2
    t.clients = { ...t.clients, concurrency: 1, totalRequests: 100 }
    const w = render(<ResultView result={decodeResult(simulate(t, { seed: 1 }))} maxconn={null} />)
    expect(w.getByTestId('ab-stopped').textContent).toMatch(/stopped at its time limit \(-t, the run's duration\) at t = 3\.0 s\. The 98 requests/)
  })
})
