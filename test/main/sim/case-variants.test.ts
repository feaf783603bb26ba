/**
 * The shared cases with one parameter changed: the kind of case the simulator is judged on
 * beyond ../shared/fidelity/cases ("other kernels and parameters"). There is no measurement for
 * these, so the test checks what must hold whatever the numbers: the reader takes every variant,
 * the prediction has every scored key and is internally consistent (ok + not_ok = requests,
 * ordered percentiles, ListenDrops >= ListenOverflows, smax <= slim, ...), and the mechanisms
 * the variant switches behave as the kernel and HAProxy do (semantics.md). Under CI=true a
 * missing case folder fails.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { predictCase, readCase, type FidelityCase } from '../../../main/sim/fidelity-case'
import { sharedCasesDir } from '../../helpers/require-tool'

const BASES = ['accept-overflow-b16', 'haproxy-maxconn-raised', 'haproxy-maxconn-saturation', 'port-exhaustion-tw1', 'rtt-migration-30ms', 'seed-backlog-8']

type Mutation = (c: FidelityCase) => void
/** Set sysctl k in namespace ns, as set and as read back. */
const sysctl = (ns: string, k: string, v: string): Mutation => (c) => {
  for (const part of [c.scenario.kernel.set, c.scenario.kernel.effective]) if (part?.[ns]) part[ns]![k] = v
}
const proxy = (fields: Record<string, unknown>): Mutation => (c) => {
  if (c.scenario.proxy) Object.assign(c.scenario.proxy, fields)
}
const VARIANTS: Record<string, Mutation[]> = {
  'kernel 3.10': [(c) => (c.measured_on = { ...c.measured_on, kernel: '3.10.0-1160.el7.x86_64' })],
  'kernel 5.4': [(c) => (c.measured_on = { ...c.measured_on, kernel: '5.4.0-150-generic' })],
  'tcp_abort_on_overflow 1': [sysctl('lb', 'net.ipv4.tcp_abort_on_overflow', '1'), sysctl('app', 'net.ipv4.tcp_abort_on_overflow', '1')],
  'syncookies 0': [sysctl('lb', 'net.ipv4.tcp_syncookies', '0'), sysctl('app', 'net.ipv4.tcp_syncookies', '0')],
  'somaxconn 16': [sysctl('lb', 'net.core.somaxconn', '16'), sysctl('app', 'net.core.somaxconn', '16')],
  'nbthread 2': [proxy({ nbthread: 2 })],
  'server maxconn 4, maxqueue 8, timeout queue 1s': [proxy({ server_maxconn: 4, server_maxqueue: 8, timeout_queue: '1s' })],
  'RTT 20 ms to the proxy, 5 ms to the backend': [(c) => Object.assign(c.scenario.network, { rtt_ms_client_lb: 20, rtt_ms_lb_app: 5 })]
}

function variant(base: FidelityCase, muts: Mutation[]): FidelityCase {
  const c = structuredClone(base)
  for (const m of muts) m(c)
  return c
}

/** One seed's prediction: the checks below hold for every run, not only for a median. */
const predict = (c: FidelityCase): Record<string, number | boolean> => predictCase(c, 1, 1).predicted

function consistent(p: Record<string, number | boolean>, c: FidelityCase): void {
  for (const k of c.scored) expect(p, `lacks scored key ${k}`).toHaveProperty([k])
  for (const [k, v] of Object.entries(p)) {
    if (k === 'proxy_started') expect(typeof v).toBe('boolean')
    else {
      expect(Number.isFinite(v), `${k} = ${v}`).toBe(true)
      expect(v as number, k).toBeGreaterThanOrEqual(0)
    }
  }
  const n = (k: string): number => p[k] as number
  expect(n('ok') + n('not_ok')).toBe(n('requests'))
  expect(n('non_2xx') + n('errors')).toBeLessThanOrEqual(n('not_ok'))
  expect(n('latency_ms.p50')).toBeLessThanOrEqual(n('latency_ms.p90'))
  expect(n('latency_ms.p90')).toBeLessThanOrEqual(n('latency_ms.p99'))
  expect(n('latency_ms.p99')).toBeLessThanOrEqual(n('latency_ms.max'))
  for (const h of ['cli', 'lb', 'app']) {
    if (!(`kernel.${h}.ListenOverflows` in p)) continue
    for (const ctr of ['ListenOverflows', 'ListenDrops', 'TCPReqQFullDrop', 'SyncookiesSent']) expect(Number.isInteger(n(`kernel.${h}.${ctr}`)), `${h} ${ctr}`).toBe(true)
    // every accept-queue overflow is also a listen drop
    expect(n(`kernel.${h}.ListenDrops`)).toBeGreaterThanOrEqual(n(`kernel.${h}.ListenOverflows`))
  }
  if (p['proxy_started'] === true && 'haproxy.frontend.slim' in p) {
    expect(n('haproxy.frontend.smax')).toBeLessThanOrEqual(n('haproxy.frontend.slim'))
    expect(n('haproxy.info.Maxsock')).toBeGreaterThanOrEqual(2 * n('haproxy.info.Maxconn'))
    expect(n('haproxy.frontend.hrsp_2xx')).toBeGreaterThanOrEqual(n('ok'))
  }
}

const dir = sharedCasesDir() // under CI=true a missing folder fails this file
describe.skipIf(!dir)('shared cases with one parameter changed', () => {
  if (!dir) return
  const base = Object.fromEntries(BASES.map((id) => [id, readCase(join(dir, `${id}.json`))]))

  for (const id of BASES) {
    it(`${id}: every variant reads, runs and gives a consistent prediction`, () => {
      for (const [name, muts] of Object.entries(VARIANTS)) {
        const c = variant(base[id]!, muts)
        let p: Record<string, number | boolean>
        try {
          p = predict(c)
        } catch (e) {
          throw new Error(`${id} with ${name}: ${(e as Error).message}`)
        }
        try {
          consistent(p, c)
        } catch (e) {
          throw new Error(`${id} with ${name}: ${(e as Error).message}`)
        }
      }
    })
  }

  it('tcp_tw_reuse needs timestamps, and 2 reuses on loopback only: the proxy -> backend hop then gets range-size connections, as with 0', () => {
    const tw1 = predict(base['port-exhaustion-tw1']!)
    const tw0 = predict(readCase(join(dir, 'port-exhaustion-tw0.json')))
    expect(tw1['ok']).toBeGreaterThan(tw0['ok'] as number)
    for (const muts of [[sysctl('lb', 'net.ipv4.tcp_timestamps', '0')], [sysctl('lb', 'net.ipv4.tcp_tw_reuse', '2')]]) {
      expect(predict(variant(base['port-exhaustion-tw1']!, muts))['ok']).toBe(tw0['ok'])
    }
  })

  it('an fd limit too small for the computed maxconn (min 100): HAProxy 2.6 refuses to start (strict-limits) and nothing is answered', () => {
    const p = predict(variant(base['rtt-migration-30ms']!, [proxy({ prlimit_nofile: '128:128', global_maxconn: null, frontend_maxconn: null })]))
    expect(p['proxy_started']).toBe(false)
    expect(p['ok']).toBe(0)
    const fits = predict(variant(base['rtt-migration-30ms']!, [proxy({ prlimit_nofile: '256:256', global_maxconn: null, frontend_maxconn: null })]))
    expect(fits['proxy_started']).toBe(true)
    expect(fits['haproxy.info.Maxconn']).toBe(Math.floor((256 - 25) / 2))
  })

  it('timeout connect below the backend RTT: every attempt is abandoned with its request sock in the SYN queue, and reset (EmbryonicRsts)', () => {
    // 20 ms against a 30 ms round trip: the SYN gets a request sock at 15 ms, its SYN-ACK comes back
    // at 30 ms to a socket closed at 20 ms; the proxy's kernel resets, the request sock goes
    const p = predict(variant(base['rtt-migration-30ms']!, [proxy({ timeout_connect: '20ms' })]))
    const n = (k: string): number => p[k] as number
    expect(n('ok')).toBe(0)
    expect(n('haproxy.backend.econ')).toBe(n('requests'))
    expect(n('haproxy.backend.connect')).toBe(4 * n('requests')) // retries 3
    expect(n('kernel.app.EmbryonicRsts')).toBe(n('haproxy.backend.connect'))
    expect(n('sockets.max_synq_app_port80')).toBeGreaterThan(0)
  })

  it('an odd-sized port range: connect() reaches every port over time (the scan wraps at the end), 201 of 201 here', () => {
    const odd = variant(readCase(join(dir, 'port-exhaustion-tw0.json')), [sysctl('lb', 'net.ipv4.ip_local_port_range', '40000 40200')])
    for (const seed of [1, 2]) expect(predictCase(odd, seed, 1).predicted['ok']).toBe(201)
  })

  it('the kernel profile moves the SYN retry schedule: before 6.5 the retries back off 1, 3, 7 s, so the last client of the burst gets in later', () => {
    const now = predict(base['accept-overflow-b16']!)
    const old = predict(variant(base['accept-overflow-b16']!, VARIANTS['kernel 5.4']!))
    expect(old['ok']).toBe(now['ok'])
    expect(old['duration_s'] as number).toBeGreaterThan((now['duration_s'] as number) + 1)
  })
})
