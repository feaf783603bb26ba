/**
 * A starting what-if from the findings: the changes semantics.md section 10 recommends, as a
 * scenario the user can simulate, adjust and turn into a plan. Each change names the finding
 * it answers. Sizes are deliberately simple (the simulation is what checks them):
 *   maxconn          2.5 x the observed frontend limit (at least 5000), global = frontend
 *   listen backlog   somaxconn 4096 and an HAProxy bind backlog of min(maxconn, 4096)
 *   server maxconn   1.5 x the highest observed server smax, with `timeout queue 5s`
 *   ports            "10240 65000" (P = 54761, ~912 new conn/s per backend) and tw_reuse=1
 *   php-fpm          twice the children when `max children reached` (memory permitting)
 *   nginx            worker_connections for two per request php-fpm can hold (children + queue)
 * PURE.
 */
import type { Snapshot } from '../snapshot/schema'
import { cloneScenario, defaultServerCheck, NGINX_RESERVED_CONNS, type Scenario } from '../../simulator/scenario'
import type { Diagnosis } from '../diagnosis/types'
import { num, statRows } from '../diagnosis/facts'

export interface Recommendation {
  scenario: Scenario
  changes: { path: string; from: string; to: string; because: string }[]
}

/** Scenario with the recommended fixes applied to `baseline`, for the findings of `diagnosis`. */
export function recommendScenario(snap: Snapshot, baseline: Scenario, diagnosis: Diagnosis): Recommendation {
  const s = cloneScenario(baseline)
  s.name = `${baseline.name} + recommended fixes`
  const has = new Set(diagnosis.findings.map((f) => f.id))
  const changes: Recommendation['changes'] = []
  const host = s.haproxy ? s.hosts.proxy : s.hosts.backend
  const hostPath = s.haproxy ? 'hosts.proxy' : 'hosts.backend'
  const change = (path: string, from: unknown, to: unknown, because: string): void => {
    if (JSON.stringify(from) !== JSON.stringify(to)) changes.push({ path, from: JSON.stringify(from), to: JSON.stringify(to), because })
  }

  if (has.has('backlog-clamped-by-somaxconn') || has.has('accept-queue-full') || has.has('listen-overflows-rising')) {
    const to = Math.max(host.somaxconn, 4096)
    change(`${hostPath}.somaxconn`, host.somaxconn, to, has.has('backlog-clamped-by-somaxconn') ? 'backlog-clamped-by-somaxconn' : 'accept-queue-full')
    host.somaxconn = to
  }
  if (has.has('tcp-tw-recycle') && host.twRecycle) {
    change(`${hostPath}.twRecycle`, 1, 0, 'tcp-tw-recycle')
    host.twRecycle = 0
  }
  if (has.has('syncookies-off')) {
    change(`${hostPath}.syncookies`, host.syncookies, 1, 'syncookies-off')
    host.syncookies = 1
  }
  if (has.has('tcp-max-tw-buckets-reached') && host.maxTwBuckets < 131072) {
    change(`${hostPath}.maxTwBuckets`, host.maxTwBuckets, 131072, 'tcp-max-tw-buckets-reached')
    host.maxTwBuckets = 131072
  }
  if (has.has('time-wait-port-budget')) {
    const to: [number, number] = [Math.min(host.ipLocalPortRange[0], 10240), Math.max(host.ipLocalPortRange[1], 65000)]
    change(`${hostPath}.ipLocalPortRange`, host.ipLocalPortRange, to, 'time-wait-port-budget')
    host.ipLocalPortRange = to
    if (host.twReuse !== 1 && host.timestamps) {
      change(`${hostPath}.twReuse`, host.twReuse, 1, 'time-wait-port-budget')
      host.twReuse = 1
    }
  }
  const h = s.haproxy
  if (h) {
    const feRows = (statRows(snap) ?? []).filter((r) => r['svname'] === 'FRONTEND' && r['pxname'] !== 'stats')
    const observed = Math.max(0, ...feRows.map((r) => num(r, 'slim') ?? 0))
    if (has.has('haproxy-maxconn-reached') || has.has('haproxy-default-maxconn-1x')) {
      const to = Math.max(5000, Math.ceil((observed * 2.5) / 500) * 500)
      change('haproxy.globalMaxconn', h.globalMaxconn, to, 'haproxy-maxconn-reached')
      change('haproxy.frontendMaxconn', h.frontendMaxconn, to, 'haproxy-default-maxconn-1x')
      h.globalMaxconn = to
      h.frontendMaxconn = to
    }
    if (has.has('backlog-clamped-by-somaxconn') || has.has('accept-queue-full')) {
      const to = Math.min(h.globalMaxconn ?? 4096, 4096)
      change('haproxy.bindBacklog', h.bindBacklog, to, 'backlog-clamped-by-somaxconn')
      h.bindBacklog = to
    }
    if (has.has('no-server-maxconn-or-queue-timeout')) {
      const smax = Math.max(0, ...(statRows(snap) ?? []).filter((r) => r['svname'] !== 'FRONTEND' && r['svname'] !== 'BACKEND').map((r) => num(r, 'smax') ?? 0))
      const per = smax > 0 ? Math.ceil((smax * 1.5) / 50) * 50 : 500
      const servers = h.servers.map((x) => (x.maxconn > 0 ? x : { ...x, maxconn: per }))
      change('haproxy.servers', h.servers.map((x) => x.maxconn), servers.map((x) => x.maxconn), 'no-server-maxconn-or-queue-timeout')
      h.servers = servers
      const tq = h.timeoutQueueS == null || h.timeoutQueueS > 10 ? 5 : h.timeoutQueueS
      change('haproxy.timeoutQueueS', h.timeoutQueueS, tq, 'no-server-maxconn-or-queue-timeout')
      h.timeoutQueueS = tq
    }
    if (has.has('haproxy-servers-unchecked')) {
      // a layer-4 check on every server (HAProxy's defaults: inter 2 s, rise 2, fall 3), and retries that leave a dead one
      const servers = h.servers.map((x) => (x.check ? x : { ...x, check: defaultServerCheck() }))
      change('haproxy.servers[].check', h.servers.map((x) => (x.check ? 'check' : 'no check')).join(', '), servers.map(() => 'check').join(', '), 'haproxy-servers-unchecked')
      h.servers = servers
      if (!h.redispatch) {
        change('haproxy.redispatch', false, true, 'haproxy-servers-unchecked')
        h.redispatch = true
      }
    }
  }
  if (has.has('php-fpm-max-children') && !h) {
    // with the host's CPU in the scenario, children past cores / CPU share only wait for a core
    // (simulator backend.cpu): that many keep every core busy, more add latency, not throughput
    const n = s.backend.phpFpm.children
    const cpu = s.backend.cpu
    const useful = cpu && cpu.share > 0 ? Math.ceil(cpu.cores / cpu.share) : Infinity
    const to = Math.min(n * 2, Math.max(n, useful))
    if (to > n) {
      change('backend.phpFpm.children', n, to, 'php-fpm-max-children')
      s.backend.phpFpm.children = to
    }
  }
  // after the changes above: nginx must hold every request php-fpm can take or queue, two
  // connections each (the client's and the FastCGI one), plus its own; short of that it resets
  // what it accepts past worker_connections (simulator NGINX_RESERVED_CONNS, lab row
  // report2-somaxconn-1024-c512-wc1024). And with 1/16 of them or fewer free, nginx (1.19.1+,
  // ngx_drain_connections) already closes connections still waiting for their request, so the
  // need must fit in the other 15/16. A derived change: no snapshot finding names it.
  const be = s.backend
  if (be.kind === 'nginx-php-fpm') {
    const fpmQueue = Math.min(be.phpFpm.listenBacklog, s.hosts.backend.somaxconn) + 1
    const need = Math.ceil((2 * (be.phpFpm.children + fpmQueue)) / Math.max(1, be.nginx.workers)) + NGINX_RESERVED_CONNS
    const fits = (wc: number): boolean => wc - Math.floor(wc / 16) >= need
    if (!fits(be.nginx.workerConnections)) {
      let to = Math.max(1024, 2 ** Math.ceil(Math.log2(need)))
      if (!fits(to)) to *= 2
      change('backend.nginx.workerConnections', be.nginx.workerConnections, to, 'nginx worker_connections: 2 x what php-fpm can hold must fit in 15/16 of them')
      be.nginx.workerConnections = to
    }
  }
  return { scenario: s, changes }
}
