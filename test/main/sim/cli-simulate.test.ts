import { describe, expect, it } from 'vitest'
import { writeFileSync, readdirSync, existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { simulateCommand } from '../../../main/cli/simulate'
import { defaultScenario } from '../../../simulator/scenario'
import { report2Scenario } from '../../../simulator/presets'
import { readCase } from '../../../main/sim/fidelity-case'
import { tempDir } from '../../helpers/tmp'

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await simulateCommand(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) })
  return { code, out, err }
}

const dir = tempDir('headroom-sim-')
const file = (name: string, body: unknown): string => {
  const p = join(dir, name)
  writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body))
  return p
}

describe('headroom simulate', () => {
  it('prints a human summary of a scenario file', async () => {
    const s = report2Scenario({ somaxconn: 8 })
    const r = await run(['--scenario', file('r2.json', s), '--seed', '3'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/5120 requests, \d+ ok/)
    expect(r.out).toMatch(/verdict: [a-z-]+/)
    expect(r.out).toMatch(/http502 \d+/) // unix-socket backlog of 9 under ab -c 512: EAGAIN -> 502
    expect(r.out).toMatch(/ab: 5120 of 5120 requests done; stopped at [\d.]+ s: its -n done/) // ApacheBench mode
  })

  it("says when ApacheBench's -s gave up the run", async () => {
    const s = report2Scenario({ somaxconn: 8 })
    // php-fpm answers after 100 s: nothing happens on ab's sockets after its first connect
    s.backend.serviceTime = { kind: 'constant', s: 100 }
    s.clients.requestTimeoutS = 5
    const r = await run(['--scenario', file('r2slow.json', s)])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/ab: 0 of 5120 requests done; stopped at 5\.00 s: no event on any of its connections for 5 s/)
    expect(r.out).toMatch(/timeout 5120/)
  })

  it('--json prints the summary and every column', async () => {
    const s = { ...defaultScenario(), durationS: 5, drainS: 1 }
    const r = await run(['--scenario', file('d.json', s), '--json'])
    expect(r.code).toBe(0)
    const o = JSON.parse(r.out)
    expect(o.summary.format).toBe('headroom-result/1')
    expect(o.columns.t).toEqual([0, 1, 2, 3, 4, 5])
    expect(o.columns.offered.reduce((a: number, b: number) => a + b, 0)).toBe(o.summary.totals.offered)
  })

  it('refuses bad input clearly (exit 2), touching nothing', async () => {
    expect((await run([])).code).toBe(2)
    const missing = await run(['--scenario', join(dir, 'nope.json')])
    expect(missing.code).toBe(2)
    expect(missing.err).toMatch(/cannot read scenario/)
    const notJson = await run(['--scenario', file('bad.json', '{oops')])
    expect(notJson.err).toMatch(/cannot read scenario/)
    const invalid = await run(['--scenario', file('inv.json', { ...defaultScenario(), durationS: -1 })])
    expect(invalid.code).toBe(2)
    expect(invalid.err).toContain('durationS: duration must be 0.001..604800 s')
    expect((await run(['--scenario', 'x', '--seed', 'abc'])).err).toMatch(/--seed needs an integer/)
    expect((await run(['--bogus'])).err).toMatch(/unknown argument/)
    expect((await run(['--case', file('c.json', { format: 'nope' }), '--json'])).err).toMatch(/not a headroom-fidelity-case\/1/)
  })

  const cases = resolve(__dirname, '../../../../shared/fidelity/cases')
  it('--case prints {"predicted": ...} with every scored key of each shared case', async () => {
    if (!existsSync(cases)) {
      if (process.env.CI === 'true') expect.fail(`fidelity cases missing at ${cases}`)
      return
    }
    for (const f of readdirSync(cases).filter((x) => x.endsWith('.json'))) {
      const r = await run(['--case', join(cases, f), '--json'])
      expect(r.code).toBe(0)
      const o = JSON.parse(r.out) as { predicted: Record<string, unknown> }
      const c = readCase(join(cases, f))
      for (const k of c.scored) {
        const v = k.split('.').reduce<unknown>((a, p) => (a as Record<string, unknown> | undefined)?.[p], o.predicted)
        expect(v === undefined ? `missing ${k} in ${f}` : typeof v).toMatch(/number|boolean/)
      }
    }
  })

  it('--case predicts the median over 5 seeds; --seeds N sets how many and adds replications (min/median/max, runs inside tolerance)', async () => {
    if (!existsSync(cases)) {
      if (process.env.CI === 'true') expect.fail(`fidelity cases missing at ${cases}`)
      return
    }
    const f = join(cases, 'accept-overflow-b16.json')
    const dflt = JSON.parse((await run(['--case', f, '--json', '--seed', '2'])).out)
    expect(dflt.replications).toBeUndefined()
    const five = JSON.parse((await run(['--case', f, '--json', '--seed', '2', '--seeds', '5'])).out)
    expect(five.predicted).toEqual(dflt.predicted)
    const r = await run(['--case', f, '--json', '--seed', '2', '--seeds', '3'])
    expect(r.code).toBe(0)
    const o = JSON.parse(r.out)
    expect(o.replications.seeds).toEqual([2, 3, 4])
    expect(o.replications.passes).toBeGreaterThanOrEqual(0)
    expect(o.replications.passes).toBeLessThanOrEqual(3)
    const c = readCase(f)
    const flat = (x: Record<string, unknown>, k: string): unknown => k.split('.').reduce<unknown>((a, p) => (a as Record<string, unknown> | undefined)?.[p], x)
    for (const k of c.scored) {
      const v = o.replications.keys[k]
      if (typeof flat(o.predicted, k) === 'boolean') continue
      expect(v, k).toBeDefined()
      expect(v.min).toBeLessThanOrEqual(v.median)
      expect(v.median).toBeLessThanOrEqual(v.max)
      // the prediction is that median
      expect(flat(o.predicted, k), k).toBe(v.median)
      expect(v.inside).toBeGreaterThanOrEqual(o.replications.passes)
      expect(v.inside).toBeLessThanOrEqual(3)
    }
    // --seeds 1: the single run with --seed
    const single = JSON.parse((await run(['--case', f, '--json', '--seed', '2', '--seeds', '1'])).out)
    expect(single.replications.seeds).toEqual([2])
    // the runs differ by seed: some key has a spread (3 runs of a stochastic case)
    expect(c.scored.some((k) => o.replications.keys[k] && o.replications.keys[k].max > o.replications.keys[k].min)).toBe(true)
    expect((await run(['--case', f, '--json', '--seeds', '0'])).err).toMatch(/--seeds needs a whole number/)
    expect((await run(['--scenario', f, '--seeds', '3'])).err).toMatch(/--seeds applies to --case only/)
  })
})
