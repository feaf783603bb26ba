/** The baseline a plan compares against when none is given. PURE. */
import type { Scenario } from '../../simulator/scenario'
import { scenarioFromSnapshot, type ScenarioPatch } from '../scenario/from-snapshot'
import type { Snapshot } from '../snapshot/schema'

/** The snapshot's own configuration under the scenario's workload (same load curve, network, service times). */
export function baselineFor(snap: Snapshot, scenario: Scenario): Scenario {
  const workload: ScenarioPatch = {
    durationS: scenario.durationS,
    drainS: scenario.drainS,
    clients: scenario.clients,
    network: scenario.network,
    backend: { serviceTime: scenario.backend.serviceTime, workers: scenario.backend.workers }
  }
  return scenarioFromSnapshot(snap, workload, `baseline of ${snap.name}`).scenario
}
