/**
 * Where a snapshot's what-if baseline came from: the values read or derived from the server
 * (its configuration, HAProxy's measured rates and timings) and the ones assumed because a
 * snapshot cannot know them. Shown above the knobs so no assumption passes for a measurement.
 */
import type { Provenance } from '../../state/whatif-store'
import { KNOBS } from './knobs'

const SPECIAL: Record<string, string> = {
  clients: 'the clients (open loop, Poisson arrivals, one request per connection)',
  'clients.loadCurve': 'the load (no rate observed: a placeholder of 100 new connections/s)',
  'hosts.backend': "the backend hosts' kernel (the snapshot did not read those machines: this host's kernel era is assumed)",
  'haproxy.config': 'the HAProxy configuration (not read: HAProxy defaults)',
  'haproxy.startedAsRoot': 'whether HAProxy starts as root (sets its fd limit)',
  'haproxy.httpCheckEndpoint': 'what answers the HTTP health checks (the servers are not on this host: the application is assumed, so a check waits like a request)',
  'backend.serviceTime': 'service time',
  'network.jitterMs': 'network jitter'
}

/** A readable name for a scenario path of `assumed`: the knob's label where there is one. */
export function assumedLabel(path: string): string {
  if (SPECIAL[path]) return SPECIAL[path]
  const host = /^hosts\.(proxy|backend)\.(.+)$/.exec(path)
  if (host) {
    const knob = KNOBS.find((k) => k.id === `${host[1]}.${host[2]}`)
    return `${knob ? knob.label : host[2]} (${host[1]} host)`
  }
  const knob = KNOBS.find((k) => k.id === path)
  return knob ? knob.label : path
}

export function ProvenanceNote({ provenance }: { provenance: Provenance }) {
  const { seeded, assumed } = provenance
  return (
    <details className="provenance" data-testid="provenance" open>
      <summary>
        Baseline from this server: its settings and limits as read, {seeded.length} value{seeded.length === 1 ? '' : 's'} from what it measured, {assumed.length} assumed
      </summary>
      {seeded.length ? (
        <ul data-testid="provenance-seeded">
          {seeded.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      ) : null}
      {assumed.length ? (
        <p className="muted" data-testid="provenance-assumed">
          Assumed, not in the snapshot (set them if you know better): {assumed.map(assumedLabel).join('; ')}.
        </p>
      ) : null}
    </details>
  )
}
