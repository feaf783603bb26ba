/**
 * What-if state and editing rules: knob validation and mapping, load-curve editing, and the
 * store's undo/redo with the in-page preview, against the real API service (worker pool).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KNOBS, knobError, visibleKnobs, type NumberKnob } from '../../renderer/src/features/whatif/knobs'
import { addPoint, movePoint, presetCurve, rateAt, removePoint, scaleCurve } from '../../renderer/src/features/whatif/curve'
import { defaultScenario, type Scenario } from '../../simulator/scenario'
import { parseScenario } from '../../main/sim/scenario-schema'
import type { Api } from '../../main/api/contract'
import { tempDir } from '../helpers/tmp'

const ROOT = process.cwd()
const WORKER = join(ROOT, 'out', 'main', 'worker.js')

const num = (id: string): NumberKnob => {
  const k = KNOBS.find((x) => x.id === id)
  if (!k || k.kind !== 'number') throw new Error(`no number knob ${id}`)
  return k
}

describe('knobs', () => {
  it('every knob reads and writes the scenario, and the result stays valid', () => {
    const s = defaultScenario()
    for (const k of visibleKnobs(s)) {
      const x = structuredClone(s)
      if (k.kind === 'number') {
        const v = k.get(x)
        const next = v === null ? k.min : Math.min(k.max, Math.max(k.min, k.step >= 1 ? Math.round(v + k.step) : v + k.step))
        if (knobError(k, x, next) === null) {
          k.set(x, next)
          expect(k.get(x), k.id).toBeCloseTo(next, 6)
        }
      } else {
        const other = k.options.find((o) => o.value !== k.get(x))
        if (other) {
          k.set(x, other.value)
          expect(k.get(x), k.id).toBe(other.value)
        }
      }
      expect(() => parseScenario(x), k.id).not.toThrow()
    }
  })

  it("'users behave as': shown for a closed loop with a total; ab sets clients.tool, generic removes it", () => {
    const s = defaultScenario()
    expect(visibleKnobs(s).some((k) => k.id === 'clients.tool')).toBe(false) // open loop
    s.clients = { ...s.clients, mode: 'closed', loadCurve: [], concurrency: 50, totalRequests: 500 }
    const k = visibleKnobs(s).find((x) => x.id === 'clients.tool')
    expect(k?.kind).toBe('choice')
    if (k?.kind !== 'choice') return
    expect(k.get(s)).toBe('generic')
    k.set(s, 'ab')
    expect(parseScenario(s).clients.tool).toBe('ab')
    // in ab mode the request timeout is ab's -s: the knob says what it does then
    s.clients.requestTimeoutS = 30
    expect(k.effective!(s)).toMatch(/gives up after 30 s without a socket event/)
    s.clients.requestTimeoutS = null
    expect(k.effective!(s)).toMatch(/waits for ever/)
    k.set(s, 'generic')
    expect('tool' in s.clients).toBe(false)
    expect(() => parseScenario(s)).not.toThrow()
  })

  it("'client request timeout': a per-request timeout, except for ApacheBench, where it is -s over the whole run", () => {
    const s = defaultScenario()
    const k = visibleKnobs(s).find((x) => x.id === 'clients.requestTimeoutS')
    expect(k?.kind).toBe('number')
    if (k?.kind !== 'number') return
    k.set(s, 12)
    expect(parseScenario(s).clients.requestTimeoutS).toBe(12)
    expect(k.effective!(s)).toMatch(/each request given up 12 s after it started/)
    s.clients = { ...s.clients, mode: 'closed', loadCurve: [], concurrency: 50, totalRequests: 500, tool: 'ab' }
    expect(k.effective!(s)).toMatch(/ab -s 12: the whole run ends after 12 s without an event/)
    // users following a curve are no ApacheBench run for the simulator: a per-request timeout again
    s.clients.loadCurve = [{ tS: 0, rate: 10 }]
    expect(k.effective!(s)).toMatch(/each request given up 12 s/)
    s.clients.loadCurve = []
    k.set(s, null)
    expect(parseScenario(s).clients.requestTimeoutS).toBeNull()
    expect(knobError(k, s, 0)).toMatch(/between 0.1 and 3600/)
  })

  it('refuses out-of-range and inconsistent values with the reason', () => {
    const s = defaultScenario()
    expect(knobError(num('proxy.somaxconn'), s, -1)).toMatch(/between 0 and 65535/)
    expect(knobError(num('proxy.somaxconn'), s, 1.5)).toMatch(/whole number/)
    expect(knobError(num('proxy.somaxconn'), s, NaN)).toMatch(/must be a number/)
    expect(knobError(num('proxy.portLow'), s, 61000)).toMatch(/below the high end/)
    expect(knobError(num('haproxy.globalMaxconn'), s, null)).toBeNull() // unset is allowed
    expect(knobError(num('proxy.somaxconn'), s, null)).toMatch(/needs a value/)
    expect(knobError(num('proxy.somaxconn'), s, 1024)).toBeNull()
    // threads came with HAProxy 1.8: report 1's 1.5 cannot have more than one
    expect(knobError(num('haproxy.nbthread'), s, 4)).toBeNull()
    s.haproxy!.version = '1.5.18'
    expect(knobError(num('haproxy.nbthread'), s, 4)).toMatch(/1\.5\.18 has no threads/)
    expect(knobError(num('haproxy.nbthread'), s, 1)).toBeNull()
  })

  it('shows the effective value where the system clamps or computes it', () => {
    const s = defaultScenario()
    s.haproxy!.bindBacklog = 10000
    s.hosts.proxy.somaxconn = 128
    expect(num('haproxy.bindBacklog').effective!(s)).toMatch(/listen\(10000\) → B = 128, accept queue 129/)
    s.haproxy!.version = '1.5.18'
    s.haproxy!.globalMaxconn = null
    expect(num('haproxy.globalMaxconn').effective!(s)).toMatch(/^2000 /)
  })

  it('CONFIG_HZ: profile default, and the 1 s SYN retry the timer wheel makes of it', () => {
    const s = defaultScenario()
    const hz = KNOBS.find((k) => k.id === 'proxy.hz')!
    if (hz.kind !== 'choice') throw new Error('proxy.hz is a choice')
    expect(hz.get(s)).toBe('default')
    expect(hz.effective!(s)).toBe('250 Hz: a 1 s SYN retry fires after 1024 ms')
    hz.set(s, '100')
    expect(s.hosts.proxy.hz).toBe(100)
    expect(hz.effective!(s)).toBe('100 Hz: a 1 s SYN retry fires after 1040 ms')
    expect(parseScenario(s).hosts.proxy.hz).toBe(100)
    hz.set(s, 'default')
    expect(s.hosts.proxy.hz).toBeUndefined()
    s.hosts.proxy.version = '3.10'
    expect(hz.effective!(s)).toMatch(/^1000 Hz: timers fire on their jiffy/)
  })

  it('says what maxqueue and http-reuse really do for the balance and clients at hand', () => {
    const s = defaultScenario()
    const choice = (id: string) => {
      const k = KNOBS.find((x) => x.id === id)
      if (!k || k.kind !== 'choice') throw new Error(`no choice knob ${id}`)
      return k
    }
    s.haproxy!.servers.forEach((sv) => (sv.maxqueue = 4))
    expect(num('haproxy.serverMaxqueue').effective!(s)).toMatch(/no effect with roundrobin/)
    choice('haproxy.balance').set(s, 'source')
    expect(num('haproxy.serverMaxqueue').effective!(s)).toMatch(/503/)
    s.haproxy!.serverConnections = 'keep-alive'
    choice('haproxy.httpReuse').set(s, 'safe')
    expect(choice('haproxy.httpReuse').effective!(s)).toMatch(/nothing is reused/)
    choice('haproxy.httpReuse').set(s, 'always')
    expect(choice('haproxy.httpReuse').effective!(s)).toMatch(/every request/)
    expect(() => parseScenario(s)).not.toThrow()
  })

  it('where the servers are: loopback is what tcp_tw_reuse=2 reuses ports towards', () => {
    const s = defaultScenario()
    s.hosts.proxy = { ...s.hosts.proxy, version: '6.18', twReuse: 2, timestamps: 1 }
    s.haproxy!.servers = [
      { name: 's1', maxconn: 0, maxqueue: 0, weight: 1 },
      { name: 's2', maxconn: 0, maxqueue: 0, weight: 1, loopback: true }
    ]
    const k = KNOBS.find((x) => x.id === 'haproxy.serversLoopback')
    if (!k || k.kind !== 'choice') throw new Error('haproxy.serversLoopback is a choice')
    expect(k.get(s)).toBe('remote')
    expect(k.effective!(s)).toBe('mixed: 1 of 2 on this host; tcp_tw_reuse=2 reuses TIME_WAIT ports towards the local ones only')
    k.set(s, 'loopback')
    expect(s.haproxy!.servers.map((sv) => sv.loopback)).toEqual([true, true])
    expect(k.get(s)).toBe('loopback')
    s.network.backendRttMs = 0
    expect(k.effective!(s)).toBe('all on this host; tcp_tw_reuse=2 reuses TIME_WAIT ports towards them')
    s.network.backendRttMs = 30
    expect(k.effective!(s)).toMatch(/the RTT to them is still 30 ms/)
    expect(parseScenario(s).haproxy!.servers.every((sv) => sv.loopback === true)).toBe(true)
    k.set(s, 'remote')
    expect(k.effective!(s)).toBe('all on other hosts; tcp_tw_reuse=2 reuses no TIME_WAIT ports towards them')
    s.hosts.proxy.twReuse = 1
    expect(k.effective!(s)).toMatch(/tcp_tw_reuse=1 reuses TIME_WAIT ports towards them$/)
  })

  it('connect timeouts below the round trip: no connect can succeed, and the abandoned SYNs leave request socks', () => {
    const s = defaultScenario()
    s.network.clientRttMs = 200
    s.network.backendRttMs = 30
    s.clients.connectTimeoutS = 0.15
    expect(num('clients.connectTimeoutS').effective!(s)).toMatch(/below the 200 ms round trip: no connect can succeed.*EmbryonicRsts/)
    s.clients.connectTimeoutS = 3
    expect(num('clients.connectTimeoutS').effective!(s)).toBe('') // nothing to say: not shown
    s.haproxy!.timeoutConnectS = 0.02
    expect(num('haproxy.timeoutConnectS').effective!(s)).toMatch(/below the 30 ms round trip to the servers: every attempt times out/)
    s.haproxy!.timeoutConnectS = 5
    expect(num('haproxy.timeoutConnectS').effective!(s)).toBe('')
  })

  it('servers down, when, and health checks: what HAProxy makes of them', () => {
    const s = defaultScenario()
    s.haproxy!.servers = [
      { name: 's1', maxconn: 0, maxqueue: 0, weight: 1 },
      { name: 's2', maxconn: 0, maxqueue: 0, weight: 1 }
    ]
    const checks = KNOBS.find((x) => x.id === 'haproxy.healthChecks')
    if (!checks || checks.kind !== 'choice') throw new Error('haproxy.healthChecks is a choice')
    expect(visibleKnobs(s).some((k) => k.id === 'haproxy.serversDownAtS')).toBe(false) // nothing down: no "when"
    num('haproxy.serversDown').set(s, 1)
    expect(s.haproxy!.servers.map((sv) => sv.refuses)).toEqual([false, true])
    expect(num('haproxy.serversDown').effective!(s)).toMatch(/1 of 2 down: their requests get 503 after 3 retries/)
    checks.set(s, 'on')
    expect(s.haproxy!.servers.every((sv) => sv.check?.interMs === 2000 && sv.check.rise === 2 && sv.check.fall === 3)).toBe(true)
    expect(num('haproxy.serversDown').effective!(s)).toBe('1 of 2 down and DOWN by their health checks: the other 1 take every request')
    expect(checks.effective!(s)).toMatch(/inter 2 s, rise 2, fall 3; a check whose SYNs a full queue drops fails after 2 s; HAProxy running since before the run/)
    // timeout check: the check's connect gives up at min(timeout connect, inter)
    const tc = num('haproxy.timeoutCheckS')
    expect(visibleKnobs(s).some((k) => k.id === 'haproxy.timeoutCheckS')).toBe(true)
    expect(tc.effective!(s)).toBe('unset: a check gives up after inter = 2 s')
    s.haproxy!.timeoutConnectS = 1.5
    tc.set(s, 0.7)
    expect(s.haproxy!.timeoutCheckS).toBe(0.7)
    expect(tc.effective!(s)).toBe("a check's connect gives up after min(timeout connect, inter) = 1.5 s")
    expect(checks.effective!(s)).toMatch(/fails after 1\.5 s/)
    // option httpchk: the check is a request; the same servers keep their check settings
    expect(checks.get(s)).toBe('on')
    checks.set(s, 'http')
    expect(s.haproxy!.httpCheck).toBe(true)
    expect(checks.get(s)).toBe('http')
    expect(s.haproxy!.servers.every((sv) => sv.check?.interMs === 2000)).toBe(true)
    expect(checks.effective!(s)).toMatch(/each check is a request .* more than max\(1\.5, timeout check 0\.7\) s \(L7TOUT\)/)
    checks.set(s, 'http-static')
    expect(s.haproxy).toMatchObject({ httpCheck: true, httpCheckEndpoint: 'static' })
    expect(checks.get(s)).toBe('http-static')
    expect(checks.effective!(s)).toMatch(/a static URL that nginx answers itself \(no php-fpm child/)
    checks.set(s, 'http')
    expect(s.haproxy!.httpCheckEndpoint).toBe('app')
    checks.set(s, 'on')
    expect(s.haproxy!.httpCheck).toBe(false)
    tc.set(s, null)
    expect(visibleKnobs(s).some((k) => k.id === 'haproxy.serversDownAtS')).toBe(true)
    num('haproxy.serversDownAtS').set(s, 30)
    expect(s.haproxy!.servers[1]!.downAtS).toBe(30)
    expect(num('haproxy.serversDown').effective!(s)).toMatch(/go down during the run/)
    expect(num('haproxy.serversDownAtS').effective!(s)).toBe('they serve until 30 s; HAProxy has them DOWN after 3 failed checks, about 6 s later at most (inter 2 s, then fastinter 2 s)')
    expect(parseScenario(s).haproxy!.servers[1]).toMatchObject({ refuses: true, downAtS: 30 })
    checks.set(s, 'off')
    expect(num('haproxy.serversDownAtS').effective!(s)).toMatch(/without health checks HAProxy keeps choosing them/)
  })

  it('backend CPU: unset by default; cores set it (all CPU until the share says less); the share knob appears with it; past cores / share the effective line says the rest wait', () => {
    const s = defaultScenario()
    s.backend.kind = 'nginx-php-fpm'
    s.backend.serviceTime = { kind: 'constant', s: 0.01 }
    s.backend.phpFpm.children = 8
    const cores = num('backend.cpu.cores')
    const share = num('backend.cpu.sharePct')
    expect(cores.get(s)).toBeNull()
    expect(visibleKnobs(s).map((k) => k.id)).not.toContain('backend.cpu.sharePct')
    expect(cores.effective!(s)).toBe('')
    cores.set(s, 2)
    expect(s.backend.cpu).toEqual({ cores: 2, share: 1 })
    expect(visibleKnobs(s).map((k) => k.id)).toContain('backend.cpu.sharePct')
    expect(cores.effective!(s)).toBe('the cores serve at most 200 requests/s per host; 8 children: more than the 2 that keep every core busy, the rest wait for a core')
    share.set(s, 25)
    expect(s.backend.cpu).toEqual({ cores: 2, share: 0.25 })
    expect(cores.effective!(s)).toBe('the cores serve at most 800 requests/s per host; 8 children')
    expect(knobError(share, s, 120)).toMatch(/between 0 and 100/)
    expect(knobError(cores, s, 0)).toMatch(/between 1 and 4096/)
    expect(() => parseScenario(s)).not.toThrow()
    cores.set(s, null)
    expect(s.backend.cpu).toBeNull()
    expect(() => parseScenario(s)).not.toThrow()
    // an echo backend does not compute: no CPU knobs
    s.backend.kind = 'nginx-echo'
    expect(visibleKnobs(s).map((k) => k.id)).not.toContain('backend.cpu.cores')
  })

  it('hides HAProxy knobs without a proxy', () => {
    const s: Scenario = defaultScenario()
    s.haproxy = null
    expect(visibleKnobs(s).some((k) => k.id.startsWith('haproxy.'))).toBe(false)
  })
})

describe('load curve editing', () => {
  const pts = [
    { tS: 0, rate: 100 },
    { tS: 50, rate: 200 },
    { tS: 100, rate: 100 }
  ]
  it('adds in time order, moves without passing neighbours, removes but keeps one', () => {
    const a = addPoint(pts, { tS: 75, rate: 300 }, 100, 1000)
    expect(a.points.map((p) => p.tS)).toEqual([0, 50, 75, 100])
    expect(a.index).toBe(2)
    const m = movePoint(pts, 1, { tS: 150, rate: 5000 }, 100, 1000)
    expect(m[1].tS).toBeLessThan(100)
    expect(m[1].rate).toBe(1000)
    expect(removePoint([{ tS: 0, rate: 1 }], 0)).toHaveLength(1)
    expect(removePoint(pts, 1)).toHaveLength(2)
  })
  it('scales and interpolates', () => {
    expect(scaleCurve(pts, 2).map((p) => p.rate)).toEqual([200, 400, 200])
    expect(() => scaleCurve(pts, -1)).toThrow(/>= 0/)
    expect(rateAt(pts, 25)).toBe(150)
    expect(rateAt(pts, 500)).toBe(100)
    const spike = presetCurve('spike', 100, 1000)
    expect(Math.max(...spike.map((p) => p.rate))).toBe(1000)
    expect(spike[spike.length - 1].tS).toBe(100)
  })
})

const built = existsSync(WORKER)
if (!built && process.env['CI'] === 'true') throw new Error('out/main/worker.js missing: `npm test` builds first')

describe.skipIf(!built)('what-if store against the real service', () => {
  let close: () => Promise<void>
  beforeAll(async () => {
    const { createService } = await import('../../main/api/service')
    const svc = createService({ hostKind: 'browser', resourcesDir: join(ROOT, 'resources'), userDataDir: tempDir('hr-r-'), workerPath: WORKER, poolSize: 1 })
    // window.api as the browser host serves it: one function per call over the real
    // dispatcher, replies through the same wire codec the HTTP client decodes.
    const { decodeWire, encodeWire } = await import('../../main/api/codec')
    const api: Record<string, unknown> = {}
    const { API_CALLS } = await import('../../main/api/contract')
    for (const name of API_CALLS) {
      const [d, v] = name.split('.') as [string, string]
      const g = (api[d] ??= {}) as Record<string, unknown>
      g[v] = async (...args: unknown[]) => {
        const r = decodeWire(encodeWire(await svc.dispatch(name, decodeWire(encodeWire(args))))) as Awaited<ReturnType<typeof svc.dispatch>>
        if (r.ok) return r.value
        throw new Error(r.error.message)
      }
    }
    api['on'] = (e: string, h: (p: unknown) => void) => svc.bus.subscribe((ev, p) => ev === e && h(p))
    ;(window as unknown as { api: Api }).api = api as unknown as Api
    close = () => svc.close()
  })
  afterAll(async () => close?.())

  it('previews at once, runs in full, and undoes/redoes edits', async () => {
    const { useWhatIf } = await import('../../renderer/src/state/whatif-store')
    const s = defaultScenario()
    s.durationS = 10
    s.drainS = 5
    useWhatIf.getState().open(s, 'test')
    expect(useWhatIf.getState().runs.scenario.preview?.preview).toBe(true)
    useWhatIf.getState().edit((x) => void (x.hosts.proxy.somaxconn = 64))
    useWhatIf.getState().edit((x) => void (x.hosts.proxy.somaxconn = 32))
    expect(useWhatIf.getState().scenario!.hosts.proxy.somaxconn).toBe(32)
    useWhatIf.getState().undo()
    expect(useWhatIf.getState().scenario!.hosts.proxy.somaxconn).toBe(64)
    useWhatIf.getState().redo()
    expect(useWhatIf.getState().scenario!.hosts.proxy.somaxconn).toBe(32)
    expect(useWhatIf.getState().baseline!.hosts.proxy.somaxconn).toBe(s.hosts.proxy.somaxconn)
    // a no-op edit records nothing
    const past = useWhatIf.getState().past.length
    useWhatIf.getState().edit((x) => void (x.hosts.proxy.somaxconn = 32))
    expect(useWhatIf.getState().past.length).toBe(past)
    await expect.poll(() => { const r = useWhatIf.getState().runs.scenario; return r.error ?? r.full?.preview }, { timeout: 30_000 }).toBe(false)
    expect(useWhatIf.getState().runs.scenario.full!.summary.totals.requests).toBeGreaterThan(0)
  })

  it('starts a lone edit at once and coalesces a burst of edits into one trailing run', async () => {
    const { useWhatIf } = await import('../../renderer/src/state/whatif-store')
    const sim = (window as unknown as { api: Api }).api.sim
    const run = sim.run
    const started: number[] = []
    sim.run = async (req) => {
      started.push(req.scenario.hosts.proxy.somaxconn)
      return run(req)
    }
    try {
      await new Promise((r) => setTimeout(r, 100)) // a quiet spell
      useWhatIf.getState().edit((x) => void (x.hosts.proxy.somaxconn = 100))
      // no debounce after a quiet spell: the full run starts right after this task
      await new Promise((r) => setTimeout(r, 0))
      expect(useWhatIf.getState().runs.scenario.runId).toBeTruthy()
      expect(started).toEqual([100])
      useWhatIf.getState().edit((x) => void (x.hosts.proxy.somaxconn = 110))
      useWhatIf.getState().edit((x) => void (x.hosts.proxy.somaxconn = 120))
      // edits in quick succession wait for the pause
      expect(useWhatIf.getState().runs.scenario.runId).toBe(null)
      expect(started).toEqual([100])
      await expect.poll(() => { const r = useWhatIf.getState().runs.scenario; return r.error ?? r.full?.preview }, { timeout: 30_000 }).toBe(false)
      expect(started).toEqual([100, 120])
      expect(useWhatIf.getState().scenario!.hosts.proxy.somaxconn).toBe(120)
    } finally {
      sim.run = run
    }
  })
})
