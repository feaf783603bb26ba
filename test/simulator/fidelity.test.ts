/**
 * Fidelity: every case in ../shared/fidelity/cases/ (relative to the repo root) through the
 * simulator, scored with the README's tolerances exactly as score.py does (see
 * main/sim/fidelity-case.ts `scoreCase`), on the median over 5 seeds that `headroom simulate
 * --case` prints (`predictCase`). Under CI=true a missing folder fails.
 *
 * KNOWN_MISSES lists the cases the model does not reproduce yet, each with the mechanism
 * that is missing; they run as `it.fails`, so the day one starts passing the test says so
 * (and the entry must go).
 */
import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { predictCase, readCase, scoreCase } from '../../main/sim/fidelity-case'
import { sharedCasesDir } from '../helpers/require-tool'

const KNOWN_MISSES: Record<string, string> = {
  'rtt-migration-1ms':
    'frontend smax 6 vs 9: smax 9 means one session outlived two 10 ms arrival batches (measured max 22-24 ms vs p50 13 ms); that tail is scheduling jitter of the 2-vCPU measurement host and its user-space delay link (idle ping mdev 0.1 ms; the no-delay report1-rtt-0ms lab row has a 5 ms tail too), not a kernel or HAProxy rule: the request rides the handshake ACK, so no delayed ACK is on the path'
}

const dir = sharedCasesDir() // under CI=true a missing folder fails this file
describe.skipIf(!dir)('fidelity cases (shared/fidelity)', () => {
  if (!dir) return
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  it('has cases', () => expect(files.length).toBeGreaterThan(0))
  for (const f of files) {
    const c = readCase(join(dir, f))
    const body = (): void => {
      // what `headroom simulate --case` prints: the median over CASE_REPLICATIONS seeds
      const pred = predictCase(c, 1).predicted
      for (const k of c.scored) expect(pred, `predicted lacks scored key ${k}`).toHaveProperty([k])
      const { pass, rows } = scoreCase(c, pred)
      const bad = rows.filter((x) => !x.ok).map((x) => `${x.key}: measured ${x.measured}, predicted ${x.predicted}, allowed [${x.lo?.toFixed(2)}, ${x.hi?.toFixed(2)}]`)
      expect(bad, bad.join('\n')).toEqual([])
      expect(pass).toBe(true)
    }
    if (KNOWN_MISSES[c.id]) it.fails(`${c.id} (known miss: ${KNOWN_MISSES[c.id]})`, body)
    else it(c.id, body)
  }
})

describe('tolerance rules (score.py)', () => {
  it('scores a case exactly like score.py: min*(1-r)-a <= p <= max*(1+r)+a', async () => {
    const { scoreCase: sc, tolerance } = await import('../../main/sim/fidelity-case')
    expect(tolerance('latency_ms.p99', 3000)).toEqual([0.25, 25])
    expect(tolerance('kernel.lb.ListenOverflows', 3000)).toEqual([0.5, 30])
    expect(tolerance('kernel.lb.ListenOverflows', 100)).toEqual([0.5, 5])
    expect(tolerance('haproxy.frontend.smax', 100)).toEqual([0.1, 2])
    expect(tolerance('sockets.max_acceptq_lb_port80', 1)).toEqual([0.2, 3])
    expect(tolerance('syn_retry_share', 1)).toEqual([0.25, 0.02])
    expect(tolerance('duration_s', 1)).toEqual([0.2, 1])
    expect(tolerance('ok', 5120)).toEqual([0.25, 51.2])
    expect(tolerance('proxy_started', 1)).toBeNull()
    const c = {
      format: 'headroom-fidelity-case/1' as const,
      id: 'x',
      scenario: { kernel: {}, network: {}, proxy: {}, backend: {}, load: {} },
      measured: { requests: { mean: 100, min: 100, max: 100 }, ok: { mean: 90, min: 80, max: 100 }, proxy_started: { value: true } },
      scored: ['proxy_started', 'ok']
    }
    // ok: [80*0.75-3, 100*1.25+3] = [57, 128]
    expect(sc(c, { proxy_started: true, ok: 57 }).pass).toBe(true)
    expect(sc(c, { proxy_started: true, ok: 128 }).pass).toBe(true)
    expect(sc(c, { proxy_started: true, ok: 56.9 }).pass).toBe(false)
    expect(sc(c, { proxy_started: false, ok: 90 }).pass).toBe(false)
    expect(sc(c, { proxy_started: true }).pass).toBe(false)
  })
})
