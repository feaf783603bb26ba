/**
 * Ground truth for php-fpm's request lifecycle in the model (`requestOverheadMs`, mean 1 ms by
 * default, lognormal with sigma FPM_OVERHEAD_SIGMA), asked of the real php-fpm 8.2: 4 static
 * children behind nginx, a script that sleeps 5 ms and logs when it starts and ends, `ab -c 64`
 * keeping every child busy (test/fixtures/kernel/fpm-cycle-probe.sh, in its own network
 * namespace). A child's cycle is the time between the starts of its consecutive requests; what
 * is over 5 ms is the lifecycle (the usleep overshoot, the response, close, accept, the next
 * request's FastCGI read and PHP start-up). It is not constant: a model that gave it no spread
 * kept the 4 children accepting in lock step for ever (the seed-backlog-8 case). Under load the
 * real spread grows (the CPUs are shared), so the check is one-sided.
 */
import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requireRoot, requireTool } from '../../helpers/require-tool'
import { FPM_OVERHEAD_MS, FPM_OVERHEAD_SIGMA } from '../../../simulator/model'

const ready = requireTool('unshare') && requireTool('ip') && requireTool('nginx') && requireTool('php-fpm8.2') && requireTool('ab') && requireRoot()
const PROBE = join(__dirname, '../../fixtures/kernel/fpm-cycle-probe.sh')
const REQUESTS = 2000

function probe(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'hr-fpm-cycle-'))
  return new Promise<string>((resolve, reject) => {
    execFile('unshare', ['-n', 'bash', PROBE, dir, String(REQUESTS)], { timeout: 90_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true })
      if (err) reject(new Error(`${err.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

/** Lifecycle samples (ms): per child, start-to-start of consecutive requests minus the 5 ms script. */
function lifecycleMs(log: string): number[] {
  const byPid = new Map<string, number[]>()
  for (const line of log.split('\n')) {
    const [pid, start] = line.trim().split(/\s+/)
    if (!pid || !start || !Number.isFinite(Number(start))) continue
    if (!byPid.has(pid)) byPid.set(pid, [])
    byPid.get(pid)!.push(Number(start))
  }
  const out: number[] = []
  for (const starts of byPid.values()) {
    starts.sort((a, b) => a - b)
    for (let i = 1; i < starts.length; i++) out.push((starts[i]! - starts[i - 1]! - 0.005) * 1000)
  }
  return out.sort((a, b) => a - b)
}

const q = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!

describe('lifecycle samples', () => {
  it('take start-to-start per child, minus the script', () => {
    expect(lifecycleMs('10 1.000000 1.005\n11 1.0001 1.0051\n10 1.006000 1.011\n10 1.0125 1.0175\n')).toEqual([expect.closeTo(1, 6), expect.closeTo(1.5, 6)])
  })
})

describe.skipIf(!ready)('php-fpm request lifecycle on the real stack against the model', () => {
  it('varies from request to request at least as much as the model draws it', async () => {
    const ms = lifecycleMs(await probe())
    // 4 children: every request but each child's first gives a sample
    expect(ms.length).toBeGreaterThan(REQUESTS * 0.9)
    const p50 = q(ms, 0.5)
    const p90 = q(ms, 0.9)
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length
    // measured here: p50 0.37-0.62 ms, p90 0.53-0.95, mean 0.41-0.68, depending on nginx's workers
    // and the load on the 2 CPUs (the shared fidelity host, slower, ~1.6 ms); the default mean
    // FPM_OVERHEAD_MS sits in that range, and a scenario can set its own
    expect(mean).toBeGreaterThan(0.1)
    expect(mean).toBeLessThan(5)
    expect(FPM_OVERHEAD_MS).toBeGreaterThan(q(ms, 0.1))
    // not constant (the old model was): the lognormal sigma that p90 / p50 implies
    // (ln(p90 / p50) = 1.2816 sigma): 0.26-0.37 on a quiet machine, 0.16 once on an idle one
    // (p50 0.277, p90 0.340 ms), up to ~0.66 while the rest of the test suite loads the 2 CPUs.
    // The real cycle has a spread (a constant one has none), and the model's sigma is of the
    // same size as this run's: within a factor 2.5 either way.
    const sigma = Math.log(p90 / p50) / 1.2816
    const what = `model sigma ${FPM_OVERHEAD_SIGMA}, measured ${sigma.toFixed(3)} (p50 ${p50.toFixed(3)} ms, p90 ${p90.toFixed(3)} ms)`
    expect(sigma, what).toBeGreaterThan(0.08)
    expect(FPM_OVERHEAD_SIGMA, what).toBeGreaterThan(0.15)
    expect(FPM_OVERHEAD_SIGMA, what).toBeLessThan(2.5 * sigma)
    expect(FPM_OVERHEAD_SIGMA, what).toBeGreaterThan(sigma / 2.5)
  })
})
