/**
 * The backend hosts' cores (scenario backend.cpu): Linux's CFS shares them among the runnable
 * workers, n jobs on c cores each at min(1, c / n) of a core (processor sharing). Exact event
 * times for tiny cases, the M/G/c-PS closed forms (insensitive to the work's distribution) on
 * long runs, and what it means for a backend: past cores / CPU share workers add no throughput.
 */
import { describe, expect, it } from 'vitest'
import { CpuShare } from '../../simulator/cpu'
import { erlangC } from '../../simulator/mmck'
import { Stream } from '../../simulator/random'
import { simulate } from '../../simulator/index'
import { decodeResult, type SimResult } from '../../simulator/result'
import { defaultScenario, defaultKernel, type Scenario } from '../../simulator/scenario'

/** Run jobs (arrival, work) through a CpuShare; returns each job's finishing time, in job order. */
function drive(cores: number, jobs: [number, number][]): number[] {
  const P = new CpuShare(cores)
  const done = new Array<number>(jobs.length).fill(NaN)
  let i = 0
  for (;;) {
    const tNext = P.nextAt()
    const tArr = i < jobs.length ? jobs[i]![0] : Infinity
    if (tNext === Infinity && tArr === Infinity) break
    if (tArr <= tNext) {
      P.add(tArr, jobs[i]![1], i, 0)
      i++
    } else done[P.idOf(P.pop(tNext))] = tNext
  }
  return done
}

describe('CpuShare: processor sharing on c cores', () => {
  it('4 jobs of 10 ms on 2 cores all finish at 20 ms; on 4 cores at 10 ms', () => {
    const four: [number, number][] = [[0, 0.01], [0, 0.01], [0, 0.01], [0, 0.01]]
    for (const t of drive(2, four)) expect(t).toBeCloseTo(0.02, 12)
    for (const t of drive(4, four)) expect(t).toBeCloseTo(0.01, 12)
  })
  it('1 core: A (10 ms at 0) and B (10 ms at 5 ms) share from 5 ms: A ends at 15 ms, B at 20 ms', () => {
    const [a, b] = drive(1, [[0, 0.01], [0.005, 0.01]])
    expect(a).toBeCloseTo(0.015, 12)
    expect(b).toBeCloseTo(0.02, 12)
  })
  it('the shorter job leaves first, then the rest speed up (1 core: 2 ms and 10 ms at 0 -> 4 ms, 12 ms)', () => {
    const [a, b] = drive(1, [[0, 0.01], [0, 0.002]])
    expect(b).toBeCloseTo(0.004, 12)
    expect(a).toBeCloseTo(0.012, 12)
  })
  it('at most c jobs never slow each other', () => {
    const done = drive(3, [[0, 0.05], [0.01, 0.03], [0.02, 0.001]])
    expect(done[0]).toBeCloseTo(0.05, 12)
    expect(done[1]).toBeCloseTo(0.04, 12)
    expect(done[2]).toBeCloseTo(0.021, 12)
  })
  it('refuses a host without cores', () => {
    expect(() => new CpuShare(0)).toThrow(/at least 1 core/)
  })

  // M/G/c-PS is a symmetric queue: the number in it has the M/M/c law whatever the work's
  // distribution, so the mean time in it is E[S] (1 + C(c, a) / (c - a)), a = lambda E[S]
  // (c = 1: E[S] / (1 - rho)). 200,000 Poisson arrivals; tolerance ~5 standard errors.
  const meanSojourn = (cores: number, lambda: number, work: (r: Stream) => number, seed: number): number => {
    const r = new Stream(seed, 1)
    const jobs: [number, number][] = []
    let t = 0
    for (let k = 0; k < 200_000; k++) {
      t += r.exp(1 / lambda)
      jobs.push([t, work(r)])
    }
    const done = drive(cores, jobs)
    let sum = 0
    for (let k = 0; k < jobs.length; k++) sum += done[k]! - jobs[k]![0]
    return sum / jobs.length
  }
  it.each([
    ['1 core, constant work, rho 0.7', 1, 70, (): number => 0.01],
    ['1 core, exponential work, rho 0.7', 1, 70, (r: Stream): number => r.exp(0.01)],
    ['2 cores, constant work, a = 1.6', 2, 160, (): number => 0.01],
    ['4 cores, lognormal-ish work (exp of a normal), a = 3', 4, 300, (r: Stream): number => 0.01 * Math.exp(0.8 * r.normal() - 0.32)]
  ])('mean time in the run queue matches M/G/c-PS: %s', (_name, cores, lambda, work) => {
    const a = lambda * 0.01
    const want = 0.01 * (1 + erlangC(cores, a) / (cores - a))
    const got = meanSojourn(cores, lambda, work, 7)
    expect(Math.abs(got - want) / want).toBeLessThan(0.06)
  })
})

/** A generic backend straight behind the clients (no proxy): one server, `workers` workers, constant service. */
function direct(o: { rate: number; workers: number; serviceS: number; cpu?: { cores: number; share: number } | null; kind?: Scenario['backend']['kind'] }): Scenario {
  const s = defaultScenario()
  s.durationS = 10
  s.drainS = 30
  s.haproxy = null
  s.clients = { ...s.clients, mode: 'open', loadCurve: [{ tS: 0, rate: o.rate }], arrivals: 'even', requestTimeoutS: null, closesFirst: 'client' }
  s.network = { clientRttMs: 0, backendRttMs: 0, jitterMs: 0 }
  s.hosts = { client: defaultKernel('6.18'), proxy: defaultKernel('6.18'), backend: defaultKernel('6.18') }
  s.backend = { ...s.backend, kind: o.kind ?? 'generic', servers: 1, workers: o.workers, serviceTime: { kind: 'constant', s: o.serviceS }, listenBacklog: 4096, fdLimit: 65536 }
  s.backend.phpFpm = { ...s.backend.phpFpm, children: o.workers, listenBacklog: 4096, requestOverheadMs: 0 }
  s.backend.nginx = { ...s.backend.nginx, workerConnections: 65536, listenBacklog: 4096 }
  s.hosts.backend.somaxconn = 4096
  if (o.cpu !== undefined) s.backend.cpu = o.cpu
  return s
}

const run = (s: Scenario, seed = 1): SimResult => decodeResult(simulate(s, { seed }))
/** Completions per second over seconds [from, to). */
const rateOf = (r: SimResult, from: number, to: number): number => {
  const c = r.col('completed')
  let n = 0
  for (let i = from; i < to; i++) n += c[i]!
  return n / (to - from)
}

describe('backend.cpu in the model', () => {
  it('without it nothing changes: 16 workers of 10 ms serve 150/s; the cpu column is absent', () => {
    const r = run(direct({ rate: 150, workers: 16, serviceS: 0.01 }))
    expect(rateOf(r, 2, 10)).toBeCloseTo(150, 0)
    expect(r.columns['cpu_runnable']).toBeUndefined()
    expect(r.summary.service).toBeUndefined()
    expect(r.summary.latency.p99).toBeLessThan(15)
  })
  it('1 core and 10 ms of CPU per request: ~100/s whatever the workers, and the verdict says CPU', () => {
    for (const workers of [4, 16]) {
      const r = run(direct({ rate: 150, workers, serviceS: 0.01, cpu: { cores: 1, share: 1 } }))
      expect(rateOf(r, 2, 10)).toBeGreaterThan(95)
      expect(rateOf(r, 2, 10)).toBeLessThan(101)
      expect(r.summary.totals.ok).toBe(1500) // all served in the end, from the queue
      expect(r.summary.verdict.hits.map((h) => h.ceiling)).toContain('backend-cpu')
      expect(Math.max(...r.col('cpu_runnable'))).toBe(workers)
    }
  })
  it('more children on one core: the same throughput, each request slower (16 share the core, 4 wait in the backlog)', () => {
    const four = run(direct({ rate: 150, workers: 4, serviceS: 0.01, cpu: { cores: 1, share: 1 }, kind: 'nginx-php-fpm' }))
    const sixteen = run(direct({ rate: 150, workers: 16, serviceS: 0.01, cpu: { cores: 1, share: 1 }, kind: 'nginx-php-fpm' }))
    expect(Math.abs(rateOf(four, 2, 10) - rateOf(sixteen, 2, 10))).toBeLessThan(3)
    // in service: 4 children x 10 ms each = 40 ms a request; 16 x 10 = 160 ms
    expect(sixteen.summary.totals.ok).toBe(four.summary.totals.ok)
    const acceptq = (r: SimResult): number => Math.max(...r.col(r.columnNames.find((n) => n.startsWith('acceptq:php-fpm'))!))
    expect(acceptq(sixteen)).toBeLessThan(acceptq(four))
    // saturated, every child is runnable: each gets 1/n of the core, so 10 ms of CPU takes n x 10 ms in the child
    expect(four.summary.service!.p50).toBeGreaterThan(38)
    expect(four.summary.service!.p50).toBeLessThan(42)
    expect(sixteen.summary.service!.p50).toBeGreaterThan(152)
    expect(sixteen.summary.service!.p50).toBeLessThan(168)
  })
  it('a CPU share of 0.25 on 2 cores: the cores cap at 2 / 2.5 ms = 800/s, far above 150/s, so the workers (16 x 10 ms) bind, as without it', () => {
    const r = run(direct({ rate: 150, workers: 16, serviceS: 0.01, cpu: { cores: 2, share: 0.25 } }))
    expect(rateOf(r, 2, 10)).toBeCloseTo(150, 0)
    expect(r.summary.verdict.hits.map((h) => h.ceiling)).not.toContain('backend-cpu')
  })
  it('only the CPU part is shared: 2 cores, half of 40 ms on the CPU, 150/s offered: the cores cap at 2 / 20 ms = 100/s (not 2 / 40 ms = 50/s)', () => {
    const r = run(direct({ rate: 150, workers: 64, serviceS: 0.04, cpu: { cores: 2, share: 0.5 } }))
    expect(rateOf(r, 2, 10)).toBeGreaterThan(95)
    expect(rateOf(r, 2, 10)).toBeLessThan(101)
    // below the cap the off-CPU half is not slowed: 60/s, every request 40 ms
    const calm = run(direct({ rate: 60, workers: 64, serviceS: 0.04, cpu: { cores: 2, share: 0.5 } }))
    expect(calm.summary.latency.p99).toBeLessThan(45)
    expect(calm.summary.verdict.hits.map((h) => h.ceiling)).not.toContain('backend-cpu')
  })
  it('nginx-echo ignores it (echo_sleep is a timer, not CPU)', () => {
    const r = run(direct({ rate: 150, workers: 1, serviceS: 0.01, cpu: { cores: 1, share: 1 }, kind: 'nginx-echo' }))
    expect(rateOf(r, 2, 10)).toBeCloseTo(150, 0)
    expect(r.columns['cpu_runnable']).toBeUndefined()
  })
  it('the same seed gives the same run', () => {
    const s = direct({ rate: 150, workers: 8, serviceS: 0.01, cpu: { cores: 1, share: 0.8 } })
    s.backend.serviceTime = { kind: 'exponential', meanS: 0.01 }
    const a = simulate(s, { seed: 3 })
    const b = simulate(s, { seed: 3 })
    expect(new Uint8Array(a)).toEqual(new Uint8Array(b))
  })
  it('the preview caps at the cores too', () => {
    const r = decodeResult(simulate(direct({ rate: 150, workers: 16, serviceS: 0.01, cpu: { cores: 1, share: 1 } }), { seed: 1, preview: true }))
    expect(r.summary.preview).toBe(true)
    expect(rateOf(r, 2, 10)).toBeCloseTo(100, 0)
  })
})
