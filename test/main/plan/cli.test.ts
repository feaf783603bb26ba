import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { planCommand } from '../../../main/cli/plan'
import { report2Inputs, resources } from './tools'
import { tempDir } from '../../helpers/tmp'

function capture() {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) } }
}

describe('headroom plan', () => {
  it('writes the bundle from a snapshot file and a scenario file (preview simulation)', async () => {
    const dir = tempDir('headroom-cli-plan-')
    const { scenario } = await report2Inputs()
    writeFileSync(join(dir, 'scenario.json'), JSON.stringify(scenario))
    const c = capture()
    const pdfCalls: string[] = []
    const code = await planCommand(
      ['--snapshot', join(resources, 'demo/report2.snapshot.json'), '--scenario', join(dir, 'scenario.json'), '--out', join(dir, 'out'), '--sim', 'preview'],
      { ...c.io, printToPdf: async (html) => (pdfCalls.push(html), new TextEncoder().encode('%PDF-1.4 test')) }
    )
    expect(c.err.join('')).not.toMatch(/error/i)
    expect(code).toBe(0)
    for (const f of ['plan.md', 'plan.html', 'plan.json', 'plan.pdf', 'apply.sh', 'rollback.sh', 'files/etc/sysctl.d/90-headroom.conf', 'files/etc/php-fpm.d/www.conf']) {
      expect(existsSync(join(dir, 'out', f)), f).toBe(true)
    }
    const plan = JSON.parse(readFileSync(join(dir, 'out/plan.json'), 'utf8'))
    expect(plan.prediction.baseline.scenarioName).toMatch(/^baseline of /)
    expect(plan.prediction.scenario.scenarioName).toBe(scenario.name)
    expect(plan.prediction.scenario.requests).toBeGreaterThan(0)
    expect(plan.items.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining(['sysctl:net.core.somaxconn', 'sysctl:net.ipv4.tcp_syncookies', 'php-fpm:www.pm.max_children']))
    expect(pdfCalls[0]).toContain('<svg')
    expect(c.out.join('')).toMatch(/plan plan-[0-9a-f]{12}: \d+ change\(s\)/)
  })

  it('--recommended plans the fixes the findings call for', async () => {
    const dir = tempDir('headroom-cli-plan-')
    const c = capture()
    const code = await planCommand(['--snapshot', join(resources, 'demo/report1.snapshot.json'), '--recommended', '--out', join(dir, 'out'), '--sim', 'none', '--no-pdf'], c.io)
    expect(code).toBe(0)
    expect(c.err.join('')).toMatch(/recommended haproxy.globalMaxconn: null -> 5000 \(haproxy-maxconn-reached\)/)
    // without a baseline scenario: the load and timings the snapshot observed, said on stderr
    expect(c.err.join('')).toMatch(/the workload the snapshot observed.*HAProxy FRONTEND rate.*service time 2406 ms/)
    const md = readFileSync(join(dir, 'out/plan.md'), 'utf8')
    expect(md).toMatch(/\| HAProxy global maxconn \| unset \(effective 2000\) \| \*\*5000\*\* \|/)
  })

  it('bad input: clear error, exit 2, nothing written', async () => {
    const dir = tempDir('headroom-cli-plan-')
    writeFileSync(join(dir, 'bad.json'), '{"format": "headroom-scenario/1", ')
    const c = capture()
    const code = await planCommand(['--snapshot', join(resources, 'demo/report2.snapshot.json'), '--scenario', join(dir, 'bad.json'), '--out', join(dir, 'out')], c.io)
    expect(code).toBe(2)
    expect(c.err.join('')).toMatch(/bad\.json is not valid JSON/)
    expect(existsSync(join(dir, 'out'))).toBe(false)
    const c2 = capture()
    expect(await planCommand(['--snapshot', join(dir, 'missing.json'), '--scenario', join(dir, 'bad.json'), '--out', dir], c2.io)).toBe(2)
    expect(c2.err.join('')).toMatch(/cannot read snapshot .*missing\.json: ENOENT/)
    const c3 = capture()
    expect(await planCommand(['--sim', 'fast'], c3.io)).toBe(2)
    expect(c3.err.join('')).toMatch(/--sim takes full, preview or none/)
  })

  it('a failing PDF printer still leaves every other file and exits 1', async () => {
    const dir = tempDir('headroom-cli-plan-')
    const { scenario } = await report2Inputs()
    writeFileSync(join(dir, 'scenario.json'), JSON.stringify(scenario))
    const c = capture()
    const code = await planCommand(['--snapshot', join(resources, 'demo/report2.snapshot.json'), '--scenario', join(dir, 'scenario.json'), '--out', join(dir, 'out'), '--sim', 'none'], {
      ...c.io,
      printToPdf: async () => {
        throw new Error('no printer here')
      }
    })
    expect(code).toBe(1)
    expect(c.err.join('')).toMatch(/PDF not written: no printer here/)
    expect(existsSync(join(dir, 'out/plan.md'))).toBe(true)
    expect(existsSync(join(dir, 'out/plan.pdf'))).toBe(false)
  })
})
