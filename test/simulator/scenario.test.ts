import { describe, expect, it } from 'vitest'
import {
  defaultKernel,
  defaultHaproxy,
  effectiveBacklog,
  haproxyEffectiveLimits,
  kernelTraits,
  synQueueCapacity,
  synSchedule,
  synackSchedule,
  curveRate,
  type HaproxyConfig
} from '../../simulator/scenario'

describe('kernel eras (semantics.md 0-3)', () => {
  it('maps versions to profiles and finer traits', () => {
    expect(kernelTraits('3.10.0-1160.el7')).toMatchObject({ profile: '3.10', synQueueRule: 'pow2', acceptFullSynDrop: 'young', twRecycle: true, defaultSomaxconn: 128 })
    expect(kernelTraits('4.19.0')).toMatchObject({ profile: '4.9-6.4', synQueueRule: 'B', acceptFullSynDrop: 'always', twRecycle: false, twReuse2: true })
    expect(kernelTraits('5.4.0').defaultSomaxconn).toBe(4096)
    expect(kernelTraits('6.1.0').synQueueRule).toBe('B')
    expect(kernelTraits('6.18.44-fc')).toMatchObject({ profile: '6.5+', synQueueRule: 'B+1', linearSynBackoff: true })
    expect(kernelTraits('4.11').twRecycle).toBe(true)
    expect(kernelTraits('4.12').twRecycle).toBe(false)
    expect(() => kernelTraits('banana')).toThrow(/neither a profile/)
  })

  it('client SYN schedule: exponential before 6.5 (127 s), linear first on 6.5+ (131 s)', () => {
    const old = synSchedule(defaultKernel('5.10'))
    expect(old.sendS).toEqual([0, 1, 3, 7, 15, 31, 63])
    expect(old.giveUpS).toBe(127)
    const lin = synSchedule(defaultKernel('6.18'))
    expect(lin.sendS).toEqual([0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67])
    expect(lin.giveUpS).toBe(131)
    const three = synSchedule({ ...defaultKernel('6.18'), synRetries: 3 })
    expect(three.sendS).toEqual([0, 1, 2, 3, 4, 5, 7, 11])
    expect(three.giveUpS).toBe(19)
    const noLinear = synSchedule({ ...defaultKernel('6.18'), synLinearTimeouts: 0, synRetries: 3 })
    expect(noLinear.sendS).toEqual([0, 1, 3, 7])
    expect(noLinear.giveUpS).toBe(15)
  })

  it('server SYN-ACK schedule: 0,1,3,7,15,31 and expiry at 63 s; synack_retries=2 expires at 7 s', () => {
    expect(synackSchedule(defaultKernel('6.1'))).toEqual({ sendS: [0, 1, 3, 7, 15, 31], expireS: 63 })
    expect(synackSchedule({ ...defaultKernel('6.1'), synackRetries: 2 })).toEqual({ sendS: [0, 1, 3], expireS: 7 })
  })

  it('backlog clamp and SYN queue capacity per era', () => {
    expect(effectiveBacklog(511, 128)).toBe(128)
    expect(effectiveBacklog(-1, 4096)).toBe(4096)
    expect(effectiveBacklog(16, 4096)).toBe(16)
    // <= 4.3: roundup_pow_of_two(max(8, min(B, max_syn_backlog)) + 1)
    expect(synQueueCapacity(128, { ...defaultKernel('3.10'), tcpMaxSynBacklog: 1024 })).toBe(256)
    expect(synQueueCapacity(8, { ...defaultKernel('3.10'), tcpMaxSynBacklog: 8 })).toBe(16)
    expect(synQueueCapacity(16, defaultKernel('6.1'))).toBe(16)
    expect(synQueueCapacity(16, defaultKernel('6.18'))).toBe(17)
  })

  it('piecewise-linear load curve', () => {
    const c = [
      { tS: 0, rate: 100 },
      { tS: 10, rate: 200 },
      { tS: 20, rate: 0 }
    ]
    expect(curveRate(c, -1)).toBe(100)
    expect(curveRate(c, 5)).toBe(150)
    expect(curveRate(c, 15)).toBe(100)
    expect(curveRate(c, 99)).toBe(0)
    expect(curveRate([], 3)).toBe(0)
  })
})

describe('HAProxy limits per version (semantics.md 6.2 table)', () => {
  const h26 = (o: Partial<HaproxyConfig>): HaproxyConfig => ({ ...defaultHaproxy('2.6.12'), nbthread: 2, startedAsRoot: false, ...o })
  it('2.x computes maxconn from the fd limit (soft, then max(soft, hard) since 2.2)', () => {
    const a = haproxyEffectiveLimits(h26({ fdSoft: 1024, fdHard: 1024 }), 4096)
    expect(a).toMatchObject({ starts: true, maxconn: 498, maxsock: 1024, ulimitN: 1024, backlogEffective: 498 })
    const b = haproxyEffectiveLimits(h26({ fdSoft: 1024, fdHard: 20000 }), 4096)
    expect(b).toMatchObject({ maxconn: 9986, maxsock: 20000, backlogEffective: 4096 })
  })
  it('refuses to start when it cannot raise the fd limit (strict-limits on since 2.3)', () => {
    const c = haproxyEffectiveLimits(h26({ fdSoft: 1024, fdHard: 1024, globalMaxconn: 2000 }), 4096)
    expect(c.starts).toBe(false)
    expect(c.message).toContain('Cannot raise FD limit to 4028, limit is 1024.')
    const d = haproxyEffectiveLimits(h26({ fdSoft: 1024, fdHard: 1024, globalMaxconn: 5000, ulimitN: 1024 }), 4096)
    expect(d.starts).toBe(false)
    expect(d.message).toContain('FD limit (1024) too low for maxconn=5000/maxsock=10028')
    const e = haproxyEffectiveLimits(h26({ fdSoft: 1024, fdHard: 1024, globalMaxconn: 5000, ulimitN: 1024, strictLimits: false }), 4096)
    expect(e).toMatchObject({ starts: true, maxconn: 5000, maxsock: 10028, ulimitN: 1024 })
    const f = haproxyEffectiveLimits(h26({ fdSoft: 20000, fdHard: 20000, globalMaxconn: 2000 }), 4096)
    expect(f).toMatchObject({ starts: true, maxconn: 2000, maxsock: 4028, ulimitN: 4028, backlogEffective: 2000 })
  })
  it('1.x: maxconn 2000 by default, root raises its own fd limit, backlog clamped by somaxconn', () => {
    const g = haproxyEffectiveLimits({ ...defaultHaproxy('1.5.18'), fdSoft: 1024, fdHard: 4096, startedAsRoot: true }, 128)
    expect(g).toMatchObject({ starts: true, maxconn: 2000, frontendMaxconn: 2000, ulimitN: g.maxsock, backlogRequested: 2000, backlogEffective: 128, maxaccept: 64, strictLimits: false })
    // not root: warning only in 1.x, and the limit stays where the shell put it
    const h = haproxyEffectiveLimits({ ...defaultHaproxy('1.5.18'), fdSoft: 1024, fdHard: 1024, startedAsRoot: false }, 128)
    expect(h.starts).toBe(true)
    expect(h.ulimitN).toBe(1024)
    expect(h.message).toMatch(/WARNING/)
  })
  it('backlog precedence: bind backlog > frontend backlog > bind maxconn > frontend maxconn', () => {
    const base = defaultHaproxy('2.6')
    expect(haproxyEffectiveLimits({ ...base, globalMaxconn: 100, bindBacklog: 10, frontendBacklog: 20, bindMaxconn: 30 }, 4096).backlogRequested).toBe(10)
    expect(haproxyEffectiveLimits({ ...base, globalMaxconn: 100, frontendBacklog: 20, bindMaxconn: 30 }, 4096).backlogRequested).toBe(20)
    expect(haproxyEffectiveLimits({ ...base, globalMaxconn: 100, bindMaxconn: 30 }, 4096).backlogRequested).toBe(30)
    expect(haproxyEffectiveLimits({ ...base, globalMaxconn: 100 }, 4096).backlogRequested).toBe(100)
    expect(haproxyEffectiveLimits({ ...base, globalMaxconn: 100, frontendMaxconn: 40 }, 16).backlogEffective).toBe(16)
  })
})
