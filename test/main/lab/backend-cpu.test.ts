import { describe, expect } from 'vitest'
import { runLab } from '../../../main/lab/run'
import { labIt, measuredMean, phpFpmDirectScenario } from './lab-env'

// backend.cpu on the real stack: php-fpm pinned to one CPU (taskset -c 0), 4 children whose page
// burns 20 ms of their own CPU time per request, 4 ab users straight to nginx. One core does the
// 40 requests' 800 ms of CPU one after the other: the run takes >= 0.8 s (two cores or a page that
// slept would take 0.4 or 0.2 s), and the 4 runnable children share the core, so each request
// holds its child ~4 x 20 ms. Lower bounds only: a busy machine can only make it slower.
const s = phpFpmDirectScenario({ name: 'lab-test-backend-cpu', users: 4, requests: 40, serviceS: 0.02, children: 4, fastcgiConnectTimeoutS: 60 })
s.backend.cpu = { cores: 1, share: 1 }
const { test, missing } = await labIt(s)

describe('lab: a CPU-bound php-fpm pinned to one core', () => {
  test('the children inherit the pinning, burn their CPU share and share the core', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const res = await runLab(s, { runs: 1 })
    const m = measuredMean(res)
    expect((res.scenario['backend'] as { cpu?: { php_fpm_cpus_allowed: string } }).cpu?.php_fpm_cpus_allowed).toBe('0')
    expect(res.headroom.deviations.join('\n')).toMatch(/php-fpm pinned to CPU 0 \(taskset\)/)
    expect(m('ok')).toBe(40)
    expect(m('fpm.requests')).toBe(40)
    expect(m('fpm.cpu_ms')).toBeGreaterThanOrEqual(0.9 * 40 * 20)
    expect(m('duration_s')).toBeGreaterThanOrEqual(0.75)
    expect(m('fpm.request_ms.p50')).toBeGreaterThanOrEqual(3 * 20)
    expect(m('fpm.max_runnable_children')).toBeGreaterThanOrEqual(3)
  })
})
