// Wall time of snapshots of 127.0.0.1 over a real sshd (with real HAProxy + nginx), one at a
// time and 20 hosts in parallel (20 sessions to the same sshd). Target (issue #4): one
// snapshot <= 1.5 s + the sampling interval. Prints numbers; asserts nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { takeSnapshot, type TakeParams } from '../main/snapshot/take'
import { runFleet } from '../main/snapshot/fleet'
import { findTool } from '../test/helpers/require-tool'
import { startWorld } from '../test/helpers/world'

const missing = ['sshd', 'haproxy', 'nginx', 'unshare', 'ssh-keygen'].filter((t) => !findTool(t))
if (missing.length || process.getuid?.() !== 0) {
  console.log(`snapshot bench skipped: needs root and ${missing.join(', ') || 'nothing else'}`)
  process.exit(0)
}

const stats = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b)
  const med = s[Math.floor(s.length / 2)]!
  return `median ${med.toFixed(0)} ms  min ${s[0]!.toFixed(0)} ms  max ${s[s.length - 1]!.toFixed(0)} ms  (n=${s.length})`
}

const world = await startWorld({ maxconn: 300 })
const tmp = mkdtempSync(join(tmpdir(), 'headroom-bench-'))
try {
  const kh = join(tmp, 'known_hosts')
  writeFileSync(kh, `${world.knownHostsLine}\n`)
  const env = { sshConfigText: '', knownHostsPath: kh }
  const p = (iv: number): TakeParams => ({
    host: '127.0.0.1',
    port: world.sshPort,
    user: 'root',
    sampleIntervalS: iv,
    sudo: false,
    credentials: { privateKey: world.userKey, agent: null },
    nginxStatusUrl: world.nginx!.statusUrl
  })
  console.log(`machine: ${(await import('node:os')).availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
  await takeSnapshot(p(0), env) // warm-up
  for (const iv of [0, 1]) {
    const times: number[] = []
    const phases: Record<string, number[]> = { 'connect+auth': [], discover: [], configs: [], sample: [] }
    let partial = 0
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now()
      const at: Record<string, number> = {}
      const s = await takeSnapshot(p(iv), env, { onStage: (st) => (at[st] ??= performance.now() - t0) })
      const end = performance.now() - t0
      times.push(end)
      phases['connect+auth']!.push(at.discover!)
      phases.discover!.push(at.configs! - at.discover!)
      phases.configs!.push(at.sample! - at.configs!)
      phases.sample!.push(end - at.sample!)
      if (s.partial) partial++
    }
    const med = (xs: number[]): string => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(0)
    console.log(`one snapshot of 127.0.0.1, sample interval ${iv} s: ${stats(times)}; beyond the interval: median ${med(times.map((t) => t - iv * 1000))} ms; partial ${partial}/5`)
    console.log(`  phases (median ms): ${Object.entries(phases).map(([k, v]) => `${k} ${med(v)}`).join(', ')}`)
  }
  for (const n of [20]) {
    const per: number[] = []
    const t0 = performance.now()
    const r = await runFleet(
      Array.from({ length: n }, (_, i) => `h${i}`),
      n,
      async () => {
        const t = performance.now()
        const s = await takeSnapshot(p(1), env)
        per.push(performance.now() - t)
        return s
      }
    )
    const wall = performance.now() - t0
    for (const x of r) if (x.ok && x.value!.partial) console.log(`  partial: ${x.value!.problems.map((q) => `${q.item} ${q.error} (${q.detail})`).join('; ')}`)
    console.log(`${n} hosts in parallel (sample interval 1 s, concurrency ${n}): wall ${wall.toFixed(0)} ms; per host ${stats(per)}; ok ${r.filter((x) => x.ok).length}/${n}, partial ${r.filter((x) => x.ok && x.value!.partial).length}`)
  }
} finally {
  await world.stop()
  rmSync(tmp, { recursive: true, force: true })
}
