/**
 * The API service: composes every feature's handlers into one implementation of the
 * contract, behind one validating dispatcher. Both hosts use exactly this: the Electron
 * shell over IPC, the browser host over HTTP + WebSocket.
 */
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { ApiContract, AppInfo } from './contract'
import { callArgSchemas } from './schemas'
import { createDispatch, type Dispatch } from './dispatch'
import { createEventBus, type EventBus } from './events'
import { createSimHandlers } from './sim-handlers'
import { createDemoHandlers } from '../demos/handlers'
import { SimPool } from '../sim/pool'
import { ScenarioStore } from '../scenarios/store'
import { createSnapshotHandlers } from '../snapshot/handlers'
import { createNoSecretStore, type SecretStore } from '../ssh/secrets'
import { createPlanHandlers } from '../plan/handlers'
import { chromiumPrintToPdf } from '../plan/pdf-chromium'
import { createLabHandlers } from '../lab/handlers'
import { VERSION } from '../version'

export interface ServiceOptions {
  hostKind: AppInfo['host']
  /** Folder holding demo/ and icon.png (resources/ in a checkout, process.resourcesPath packaged). */
  resourcesDir: string
  /** Per-user data folder (snapshots, scenarios). */
  userDataDir: string
  /** The built simulator worker (out/main/worker.js). */
  workerPath: string | URL
  /** Worker threads; default: cores - 1, at least 1. */
  poolSize?: number
  /** Start the workers now and warm their JIT up (the workbench hosts; not needed by tests). */
  warmPool?: boolean
  /** Where SSH passwords/passphrases may be remembered: the OS keychain in Electron, nowhere in the browser host. */
  secrets?: SecretStore
  /** Override ~/.ssh/config and ~/.ssh/known_hosts (tests). */
  sshConfigPath?: string
  knownHostsPath?: string
  /** HTML -> PDF: Electron's printToPDF in the desktop app; Debian's Chromium otherwise. */
  printToPdf?: (html: string) => Promise<Uint8Array>
}

export interface Service {
  dispatch: Dispatch
  bus: EventBus
  impl: ApiContract
  close(): Promise<void>
}

function scenarioHandlers(store: ScenarioStore): ApiContract['scenario'] {
  return {
    list: () => store.list(),
    open: (id) => store.open(id),
    save: (req) => store.save(req),
    rename: (id, name) => store.rename(id, name),
    duplicate: (id, name) => store.duplicate(id, name),
    delete: (id) => store.remove(id)
  }
}

export function createService(opts: ServiceOptions): Service {
  const bus = createEventBus()
  const size = opts.poolSize ?? Math.max(1, availableParallelism() - 1)
  const pool = new SimPool({ workerPath: opts.workerPath, size, warm: opts.warmPool === true })
  const snapshot = createSnapshotHandlers({
    emit: (event, payload) => bus.emit(event, payload as never),
    userDataDir: opts.userDataDir,
    secrets: opts.secrets ?? createNoSecretStore(),
    ...(opts.sshConfigPath ? { sshConfigPath: opts.sshConfigPath } : {}),
    ...(opts.knownHostsPath ? { knownHostsPath: opts.knownHostsPath } : {})
  })
  const sim = createSimHandlers({ runner: pool, emit: bus.emit })
  const planning = createPlanHandlers({
    resourcesDir: opts.resourcesDir,
    openSnapshot: (id) => snapshot.open(id),
    simResult: async (runId) => (await sim.result(runId)).buffer,
    printToPdf: opts.printToPdf ?? ((html) => chromiumPrintToPdf(html))
  })
  const impl: ApiContract = {
    app: {
      async info() {
        return { name: 'headroom', version: VERSION, host: opts.hostKind, platform: process.platform, simWorkers: size }
      }
    },
    demo: createDemoHandlers({ resourcesDir: opts.resourcesDir }),
    sim,
    snapshot,
    diagnosis: planning.diagnosis,
    plan: planning.plan,
    lab: createLabHandlers({ labDir: join(opts.resourcesDir, 'lab'), runner: pool }),
    scenario: scenarioHandlers(new ScenarioStore(opts.userDataDir))
  }
  return {
    dispatch: createDispatch(impl, callArgSchemas),
    bus,
    impl,
    async close() {
      snapshot.close()
      await pool.close()
    }
  }
}
