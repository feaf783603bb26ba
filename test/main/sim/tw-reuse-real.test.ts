/**
 * Ground truth for the simulator's tcp_tw_reuse rule (simulator/scenario.ts, twReuseApplies),
 * asked of this kernel directly: in a fresh network namespace a 10-port range is filled with
 * TIME_WAIT sockets towards 127.0.0.1 and towards 10.9.9.1 (a second address on lo), then
 * connect() is tried inside and past tcp_tw_reuse_delay (test/fixtures/kernel/tw-reuse-probe.mjs).
 * tw_reuse=2 (the default since 4.19) reuses towards loopback addresses only, even though both
 * destinations' packets go through lo; 1 reuses both; 0 neither; none before the delay.
 */
import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { release } from 'node:os'
import { join } from 'node:path'
import { requireRoot, requireTool } from '../../helpers/require-tool'
import { defaultKernel, twReuseApplies } from '../../../simulator/scenario'

const tools = ['unshare', 'ss', 'ip', 'sysctl'].map((t) => requireTool(t))
const ready = tools.every(Boolean) && requireRoot()
const PROBE = join(__dirname, '../../fixtures/kernel/tw-reuse-probe.mjs')

interface Side {
  tw: number
  early: number
  late: number
}
interface Probe {
  reuse: number
  loopback: Side
  local: Side
}

function probe(reuse: 0 | 1 | 2): Promise<Probe> {
  return new Promise((resolve, reject) => {
    execFile('unshare', ['-n', process.execPath, PROBE, String(reuse)], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`))
      else resolve(JSON.parse(stdout) as Probe)
    })
  })
}

describe.skipIf(!ready)('tcp_tw_reuse on this kernel against the model', () => {
  it('0, 1 and 2: which TIME_WAIT ports connect() takes again, towards loopback and a non-loopback address on lo', async () => {
    const values = [0, 1, 2] as const
    // each probe in its own namespace, all at once (~4 s each)
    const results = await Promise.all(values.map((r) => probe(r)))
    for (const [i, r] of values.entries()) {
      const got = results[i]!
      expect(got.reuse).toBe(r)
      const k = { ...defaultKernel(release()), twReuse: r, timestamps: 1 as const }
      // 0.2 s into TIME_WAIT is inside tcp_tw_reuse_delay: no reuse whatever the setting
      expect(k.twReuseDelayMs / 1000).toBeGreaterThan(0.2)
      for (const [side, loopback] of [['loopback', true], ['local', false]] as const) {
        const m = got[side]
        const what = `tw_reuse=${r} towards ${side === 'loopback' ? '127.0.0.1' : '10.9.9.1 (on lo)'}`
        expect(m.tw, `${what}: all 10 ports in TIME_WAIT`).toBe(10)
        expect(m.early, `${what}: connect 0.2 s in`).toBe(0)
        // 1.6 s in, past the delay: the model reuses exactly when twReuseApplies says so
        expect(m.late, `${what}: connects 1.6 s in`).toBe(twReuseApplies(k, loopback) ? 10 : 0)
      }
    }
  }, 60_000)
})
