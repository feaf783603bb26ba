import { describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { labCommand } from '../../../main/cli/lab'
import type { LabCase } from '../../../main/lab/run'
import { tempDir } from '../../helpers/tmp'

// A lab case measured by `headroom lab --report` (HAProxy maxconn 20 under 80 ab clients).
const CASE = join(import.meta.dirname, '..', '..', '..', 'resources', 'lab', 'report1-maxconn-20.json')

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await labCommand(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) })
  return { code, out, err }
}

describe('headroom lab CLI', () => {
  it('--help prints the usage to stdout and exits 0', async () => {
    const r = await cli(['--help'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/usage: headroom lab --scenario FILE/)
    expect(r.err).toBe('')
  })

  it('rejects bad usage with exit 2', async () => {
    expect((await cli([])).code).toBe(2)
    expect((await cli(['--report', '--scenario', 'x.json'])).code).toBe(2)
    expect((await cli(['--report', '--runs', '0'])).err).toMatch(/--runs needs an integer 1..20/)
    expect((await cli(['--bogus'])).err).toMatch(/unknown argument/)
    expect((await cli(['--scenario', 'x.json', '--sample-ms', '0'])).err).toMatch(/--sample-ms needs an integer 1..5000/)
    expect((await cli(['--scenario', 'x.json', '--sample-ms', 'fast'])).err).toMatch(/--sample-ms needs an integer/)
    const r = await cli(['--scenario', '/nonexistent/scenario.json'])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/cannot read scenario/)
    const dir = tempDir('hr-lab-cli-')
    writeFileSync(join(dir, 'not-a-lab.json'), JSON.stringify({ format: 'something-else' }))
    expect((await cli(['--compare', join(dir, 'not-a-lab.json')])).err).toMatch(/not a headroom lab result/)
  })

  it('compares a measured case with given predictions and applies the tolerance', async () => {
    const c = JSON.parse(readFileSync(CASE, 'utf8')) as LabCase
    const mean = (k: string): number => {
      const v = c.measured[k]
      if (!v || !('mean' in v)) throw new Error(k)
      return v.mean
    }
    const dir = tempDir('hr-lab-cli-')
    const good = join(dir, 'good.json')
    const bad = join(dir, 'bad.json')
    writeFileSync(good, JSON.stringify({ predicted: { ok: mean('ok'), haproxy: { frontend: { smax: mean('haproxy.frontend.smax') } } } }))
    writeFileSync(bad, JSON.stringify({ predicted: { ok: mean('ok') * 3, haproxy: { frontend: { smax: mean('haproxy.frontend.smax') + 50 } } } }))
    const g = await cli(['--compare', CASE, '--predicted', good, '--json'])
    expect(g.code).toBe(0)
    const rows = (JSON.parse(g.out) as { rows: { key: string; ok: boolean; error: number | null }[] }).rows
    expect(rows.find((r) => r.key === 'ok')).toMatchObject({ ok: true, error: 0 })
    expect(rows.find((r) => r.key === 'haproxy.frontend.smax')).toMatchObject({ ok: true, error: 0 })
    // scored keys the prediction lacks are listed and fail
    expect(rows.find((r) => r.key === 'latency_ms.p50')).toMatchObject({ ok: false })
    const b = await cli(['--compare', CASE, '--predicted', bad])
    expect(b.out).toMatch(/^haproxy\.frontend\.smax\s.*\sNO$/m)
    expect(b.out).toMatch(/^ok\s.*\sNO$/m)
  })

  it('simulates the effective scenario of a lab case and tables every predicted metric', async () => {
    const r = await cli(['--compare', CASE])
    expect(r.code).toBe(0)
    const c = JSON.parse(readFileSync(CASE, 'utf8')) as LabCase
    for (const k of c.scored) expect(r.out).toMatch(new RegExp(`^${k.replace(/\./g, '\\.')}\\s`, 'm'))
    expect(r.out).toMatch(/\d+\/\d+ metrics inside the fidelity tolerance/)
  })
})

describe('measured vs simulated overlay', () => {
  it('pairs the lab samples with the simulator columns of the same quantity', async () => {
    const { overlaySeries } = await import('../../../main/lab/overlay')
    const { simulateLab } = await import('../../../main/lab/compare')
    const c = JSON.parse(readFileSync(CASE, 'utf8')) as LabCase
    const series = overlaySeries(c, simulateLab(c))
    const aq = series.find((s) => s.name === 'accept queue lb:80')!
    expect(aq.measured.t.length).toBe(c.headroom.series[0]!.length)
    expect(Math.max(...aq.measured.v)).toBe((c.measured['sockets.max_acceptq_lb_port80'] as { values: number[] }).values[0])
    expect(aq.simulated).not.toBeNull()
    expect(aq.simulated!.t.length).toBe(aq.simulated!.v.length)
    expect(series.find((s) => s.name === 'clients in SYN-SENT')!.simulated).not.toBeNull()
  })
})
