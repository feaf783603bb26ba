import { describe, expect, it } from 'vitest'
import { haproxySources, planHaproxy, renderHaproxyCfg } from '../../../main/lab/render'
import { effectiveScenario, labDeviations } from '../../../main/lab/run'
import { defaultScenario } from '../../../simulator/scenario'

// Several HAProxy source addresses: one server line per address, each with its own `source`.
function scenario(ips: number) {
  const s = defaultScenario()
  s.haproxy!.servers = [
    { name: 's1', maxconn: 0, maxqueue: 0, weight: 1 },
    { name: 's2', maxconn: 6, maxqueue: 0, weight: 2 }
  ]
  s.haproxy!.sourceIps = ips
  return s
}

describe('lab render: HAProxy source addresses', () => {
  it('renders one server line per source address (maxconn split per line)', () => {
    const s = scenario(3)
    const cfg = renderHaproxyCfg(s, planHaproxy(s.haproxy!, 4096, 20000), '/tmp/x.sock')
    const lines = cfg.split('\n').filter((l) => l.trim().startsWith('server '))
    expect(lines).toEqual([
      '    server s1.src1 10.200.2.2:80 weight 1 source 10.200.2.200',
      '    server s1.src2 10.200.2.2:80 weight 1 source 10.200.2.201',
      '    server s1.src3 10.200.2.2:80 weight 1 source 10.200.2.202',
      '    server s2.src1 10.200.2.3:80 weight 2 maxconn 2 source 10.200.2.200',
      '    server s2.src2 10.200.2.3:80 weight 2 maxconn 2 source 10.200.2.201',
      '    server s2.src3 10.200.2.3:80 weight 2 maxconn 2 source 10.200.2.202'
    ])
    expect(haproxySources(s).deviations.join(' ')).toMatch(/ceil/)
  })

  it('renders no source for one address and caps the count at 50', () => {
    const one = scenario(1)
    expect(renderHaproxyCfg(one, planHaproxy(one.haproxy!, 4096, 20000), '/tmp/x.sock')).not.toMatch(/source/)
    expect(haproxySources(one).ips).toEqual([])
    const many = scenario(80)
    expect(haproxySources(many).ips).toHaveLength(50)
    const plan = planHaproxy(many.haproxy!, 4096, 20000)
    expect(effectiveScenario(many, plan, '6.18.44', {}).haproxy!.sourceIps).toBe(50)
    expect(labDeviations(many, plan, '6.18.44').join(' ')).toMatch(/80 HAProxy source IPs requested, the lab uses 50/)
  })
})
