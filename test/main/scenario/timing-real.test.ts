/**
 * What `timingFromSnapshot` reads from HAProxy's `show stat`, asked of the real HAProxy: behind
 * it, nginx answers after echo_sleep 50 ms on loopback (test/fixtures/haproxy/timing-probe.sh,
 * in its own network namespace, 200 requests, one connection each). The BACKEND row's rtime is
 * the request-to-response-headers time (the 50 ms and a round trip) and ctime the connect time
 * in whole ms; the derived service time must come out at the server's 50 ms, and the loopback
 * connect time must not pass for a round trip.
 */
import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requireRoot, requireTool } from '../../helpers/require-tool'
import { parseShowStat } from '../../../main/snapshot/parse/haproxy'
import { parseSnapshot, type Snapshot } from '../../../main/snapshot/schema'
import { timingFromSnapshot } from '../../../main/scenario/from-snapshot'

const ready = requireTool('unshare') && requireTool('ip') && requireTool('haproxy') && requireTool('nginx') && requireTool('ab') && requireTool('python3') && requireRoot()
const PROBE = join(__dirname, '../../fixtures/haproxy/timing-probe.sh')

function probe(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'hr-hap-timing-'))
  return new Promise<string>((resolve, reject) => {
    execFile('unshare', ['-n', 'bash', PROBE, dir], { timeout: 60_000 }, (err, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true })
      if (err) reject(new Error(`${err.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

/** Report 1's snapshot with this HAProxy's `show stat` and no configuration (the probe's backend is then found by its row). */
function snapshotWith(showStat: string): Snapshot {
  const r = parseSnapshot(JSON.parse(readFileSync(join(__dirname, '../../../resources/demo/report1.snapshot.json'), 'utf8')))
  if (!r.ok) throw new Error(r.error)
  const snap = r.snapshot
  snap.haproxy!.stat = parseShowStat(showStat)
  snap.haproxy!.config = { ok: false, error: 'not found', detail: 'the probe gives no configuration' }
  return snap
}

describe.skipIf(!ready)('HAProxy timing columns on the real stack', () => {
  it('rtime less ctime is the server time; a loopback connect time is not a round trip', async () => {
    const text = await probe()
    const stat = parseShowStat(text)
    if (!stat.ok) throw new Error(stat.error)
    const be = stat.value.rows.find((r) => r['pxname'] === 'be_app' && r['svname'] === 'BACKEND')!
    expect(be['stot']).toBe(200)
    const rtime = be['rtime'] as number
    const ctime = be['ctime'] as number
    expect(rtime).toBeGreaterThanOrEqual(50)
    expect(ctime).toBeLessThan(2)
    const t = timingFromSnapshot(snapshotWith(text))
    expect(t.patch.network).toBeUndefined()
    expect(t.seeded[0]).toMatch(/connect time to be_app is [01] ms/)
    expect(t.patch.backend?.serviceTime).toMatchObject({ kind: 'exponential' })
    const meanMs = (t.patch.backend!.serviceTime as { meanS: number }).meanS * 1000
    // echo_sleep 0.05 on nginx: 50 ms and the timer's granularity (measured 50-51)
    expect(meanMs).toBeGreaterThanOrEqual(49)
    expect(meanMs).toBeLessThan(56)
  })
})
