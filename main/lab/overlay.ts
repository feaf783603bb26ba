/**
 * Overlaid time series for the workbench's measured-vs-simulated charts: the lab's socket samples
 * (first run; t in s from the load start) next to the simulator's columns for the same quantity
 * (t in s from the simulated load start). Values are counts of sockets/connections.
 */
import type { SimResult } from '../../simulator/result'
import type { LabCase } from './run'

export interface XY {
  t: number[]
  v: number[]
}

export interface OverlaySeries {
  /** e.g. 'accept queue lb:80', 'clients in SYN-SENT'. */
  name: string
  measured: XY
  /** null when the simulator has no column for it. */
  simulated: XY | null
}

/** Simulator column of a lab listener key ('lb_port80' -> 'acceptq:proxy:80'; app 9000+ is php-fpm). */
function simListenerColumn(labKey: string, names: readonly string[]): string | null {
  const m = /^(lb|app)_port(\d+)$/.exec(labKey)
  if (!m) return null
  const host = m[1] === 'lb' ? 'proxy' : 'backend'
  const port = Number(m[2])
  const candidates = port >= 9000 && port < 9100 ? ['acceptq:php-fpm', `acceptq:${host}:${port}`] : [`acceptq:${host}:${port}`]
  return candidates.find((c) => names.includes(c)) ?? names.find((n) => n.startsWith(`acceptq:${host}`) && n.endsWith(`:${port}`)) ?? null
}

/** Measured and simulated series for the accept queues, SYN-SENT clients and TIME_WAIT. */
export function overlaySeries(lab: LabCase, sim: SimResult | null): OverlaySeries[] {
  const samples = lab.headroom.series[0] ?? []
  const t = samples.map((s) => s.t)
  const names = sim ? sim.columnNames : []
  const simCol = (name: string | null): XY | null => {
    if (!sim || !name || !names.includes(name)) return null
    return { t: Array.from(sim.col('t')), v: Array.from(sim.col(name)) }
  }
  const out: OverlaySeries[] = []
  const listenerKeys = new Set<string>()
  for (const s of samples) for (const k of Object.keys(s.acceptq)) listenerKeys.add(k)
  for (const k of [...listenerKeys].sort()) {
    out.push({
      name: `accept queue ${k.replace('_port', ':')}`,
      measured: { t, v: samples.map((s) => s.acceptq[k] ?? 0) },
      simulated: simCol(simListenerColumn(k, names))
    })
  }
  out.push({ name: 'clients in SYN-SENT', measured: { t, v: samples.map((s) => s.synSent['cli'] ?? 0) }, simulated: simCol('syn_sent') })
  if (samples.some((s) => 'lb' in s.timeWait))
    out.push({ name: 'TIME_WAIT proxy -> backend', measured: { t, v: samples.map((s) => s.timeWaitToBackend) }, simulated: simCol('time_wait_proxy_to_backend') })
  out.push({
    name: 'TIME_WAIT, all hosts',
    measured: { t, v: samples.map((s) => Object.values(s.timeWait).reduce((a, b) => a + b, 0)) },
    simulated: simCol('time_wait')
  })
  return out
}
