/** The settings that decide the outcome, with what the system really makes of them. */
import { effectiveBacklog, haproxyEffectiveLimits, type Scenario } from '../../../simulator/scenario'

interface Fact {
  label: string
  configured: string
  effective: string
  why: string
}

export function scenarioFacts(s: Scenario): Fact[] {
  const facts: Fact[] = []
  const front = s.haproxy ? s.hosts.proxy : s.hosts.backend
  facts.push({
    label: 'kernel',
    configured: front.version,
    effective: front.version,
    why: 'queue rules and SYN retry timing differ by kernel era'
  })
  if (s.haproxy) {
    const lim = haproxyEffectiveLimits(s.haproxy, s.hosts.proxy.somaxconn)
    facts.push({
      label: 'HAProxy global maxconn',
      configured: s.haproxy.globalMaxconn === null ? 'unset' : String(s.haproxy.globalMaxconn),
      effective: lim.starts ? String(lim.maxconn) : 'does not start',
      why: lim.starts ? 'beyond it HAProxy stops accepting; the kernel queue fills, then SYNs drop' : lim.message
    })
    facts.push({
      label: 'frontend maxconn',
      configured: s.haproxy.frontendMaxconn === null ? 'unset' : String(s.haproxy.frontendMaxconn),
      effective: String(lim.frontendMaxconn),
      why: 'frontend slim; the 1.x default is 2000 whatever global says'
    })
    facts.push({
      label: 'listen backlog (HAProxy)',
      configured: String(lim.backlogRequested),
      effective: String(lim.backlogEffective),
      why: `clamped by somaxconn ${s.hosts.proxy.somaxconn}; the accept queue holds B+1 = ${lim.backlogEffective + 1}`
    })
    facts.push({
      label: 'HAProxy fd limit',
      configured: `ulimit -n ${s.haproxy.fdSoft}`,
      effective: String(lim.ulimitN),
      why: s.haproxy.startedAsRoot ? 'started as root, HAProxy raises its own limit to maxsock' : 'not root: capped by the hard limit'
    })
  } else {
    const b = s.backend.kind === 'generic' ? s.backend.listenBacklog : s.backend.nginx.listenBacklog
    facts.push({
      label: 'listen backlog (nginx)',
      configured: String(b),
      effective: String(effectiveBacklog(b, s.hosts.backend.somaxconn)),
      why: `clamped by somaxconn ${s.hosts.backend.somaxconn}; accept queue = B+1`
    })
  }
  if (s.backend.kind === 'nginx-php-fpm') {
    facts.push({
      label: 'php-fpm listen.backlog',
      configured: String(s.backend.phpFpm.listenBacklog),
      effective: String(effectiveBacklog(s.backend.phpFpm.listenBacklog, s.hosts.backend.somaxconn)),
      why:
        s.backend.phpFpm.socket === 'unix'
          ? 'unix socket, clamped by somaxconn too; beyond B+1 nginx gets EAGAIN -> 502'
          : `TCP 127.0.0.1, clamped by somaxconn too; beyond B+1 nginx's SYNs are dropped and retried (1 s, 3 s, ...) until fastcgi_connect_timeout (${s.backend.nginx.fastcgiConnectTimeoutS} s) -> 504`
    })
  }
  facts.push({
    label: 'syncookies',
    configured: String(front.syncookies),
    effective: String(front.syncookies),
    why: front.syncookies === 0 ? 'off: a full SYN queue drops SYNs (clients retry after 1 s, 3 s...)' : 'on: a full SYN queue costs only cookies'
  })
  if (front.twRecycle === 1) {
    facts.push({
      label: 'tcp_tw_recycle',
      configured: '1',
      effective: '1',
      why: `drops SYNs from clients behind NAT (${Math.round(s.clients.natShare * 100)}% here); removed in 4.12`
    })
  }
  return facts
}

export function ScenarioFacts({ scenario }: { scenario: Scenario }) {
  const facts = scenarioFacts(scenario)
  return (
    <table className="facts" aria-label="key settings">
      <thead>
        <tr>
          <th>setting</th>
          <th>configured</th>
          <th>in effect</th>
          <th>what it really does</th>
        </tr>
      </thead>
      <tbody>
        {facts.map((f) => (
          <tr key={f.label}>
            <td>{f.label}</td>
            <td>{f.configured}</td>
            <td className={f.configured !== f.effective ? 'changed' : ''}>{f.effective}</td>
            <td>{f.why}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
