/**
 * The one API contract between the workbench UI and everything behind it.
 *
 * Types only (plus the static list of call names): no electron, no node, no zod. The
 * Electron preload implements it with one function per call over IPC; the browser host
 * serves the very same calls over HTTP + WebSocket; `window.api` takes its type from here.
 * Calls are named `domain.verb` (style.md 15). Adding a call means: add it to
 * `ApiContract`, to `API_CALLS` (the compiler refuses an incomplete list), give its
 * arguments a zod schema in `schemas.ts`, and implement it in a feature handler.
 */
import type { Scenario } from '../../simulator/scenario'
import type { Snapshot } from '../snapshot/schema'
import type { SnapshotApi, SnapshotEvents } from '../snapshot/api-types'
import type { DiagnosisApi, PlanApi } from '../plan/api-types'
import type { LabApi } from '../lab/api-types'
import type { BaselineRef, SavedScenario, SavedScenarioInfo, ScenarioListing } from '../scenarios/types'

/** Static facts about the running backend. */
export interface AppInfo {
  name: 'headroom'
  version: string
  /** 'electron' in the desktop app, 'browser' when served by the browser host. */
  host: 'electron' | 'browser'
  platform: string
  /** Worker threads in the simulation pool. */
  simWorkers: number
}

/** One built-in demo (a field report), as listed. */
export interface DemoSummary {
  id: string
  title: string
  /** One paragraph: what situation this demo reproduces. */
  summary: string
}

/** A demo opened: the snapshot it starts from and the scenario built from it. */
export interface DemoBundle extends DemoSummary {
  snapshot: Snapshot
  /** The scenario derived from the snapshot plus the demo's recorded load curve. */
  scenario: Scenario
  /** What an operator observed, quoted from the field report (shown next to the result). */
  observed: string[]
}

export interface SimRunRequest {
  scenario: Scenario
  seed?: number
  /** A fast reduced/analytic run for slider dragging; marked as preview in its result. */
  preview?: boolean
}

export interface SimRunStarted {
  runId: string
}

/**
 * A finished run. `buffer` is the simulator's columnar result (see simulator/result.ts):
 * one ArrayBuffer with a small validated header, decoded in the renderer without reshaping.
 */
export interface SimResultMessage {
  runId: string
  preview: boolean
  buffer: ArrayBuffer
}

export interface SimProgressEvent {
  runId: string
  /** 0..1 share of simulated time done. */
  progress: number
  simTimeS: number
}

export interface SimDoneEvent {
  runId: string
  preview: boolean
  wallMs: number
}

/** One variant of a headroom sweep: the scenario with the chosen knob at `value`. */
export interface SweepVariant {
  value: number
  scenario: Scenario
}

export interface SweepRequest {
  variants: SweepVariant[]
  /** Largest acceptable share of requests that fail (0..1). */
  targetFailureShare: number
  /** Upper bound of the load scale searched (default 16). */
  maxScale?: number
  /** 'preview': fast fluid runs; 'full': discrete-event runs (slower, exact timing). */
  quality: 'preview' | 'full'
  seed?: number
}

export interface SweepPoint {
  index: number
  value: number
  /** Largest load scale (x the scenario's load) that kept failures at or under the target. */
  maxScale: number
  failureAtScale: number
  /** The search reached maxScale without exceeding the target. */
  capped: boolean
  runs: number
}

export interface SweepResult {
  sweepId: string
  points: SweepPoint[]
  wallMs: number
  runs: number
  quality: 'preview' | 'full'
}

export interface SweepProgressEvent {
  sweepId: string
  done: number
  total: number
  runs: number
}

export interface SimFailedEvent {
  runId: string
  /** 'cancelled' when a newer run or an explicit cancel stopped it. */
  reason: 'cancelled' | 'error'
  message: string
}

/** Every request/response call. Each returns a promise; arguments are validated at the boundary. */
export interface ApiContract {
  app: {
    info(): Promise<AppInfo>
  }
  demo: {
    list(): Promise<DemoSummary[]>
    open(id: string): Promise<DemoBundle>
  }
  sim: {
    run(req: SimRunRequest): Promise<SimRunStarted>
    cancel(runId: string): Promise<{ cancelled: boolean }>
    result(runId: string): Promise<SimResultMessage>
    /** Headroom curve: max load scale under a failure target, per knob value, across the pool. */
    sweep(req: SweepRequest): Promise<{ sweepId: string }>
    sweepResult(sweepId: string): Promise<SweepResult>
    sweepCancel(sweepId: string): Promise<{ cancelled: boolean }>
  }
  snapshot: SnapshotApi
  diagnosis: DiagnosisApi
  plan: PlanApi
  lab: LabApi
  scenario: {
    list(): Promise<ScenarioListing>
    open(id: string): Promise<SavedScenario>
    save(req: { id?: string; name: string; baseline: BaselineRef; scenario: Scenario }): Promise<SavedScenarioInfo>
    rename(id: string, name: string): Promise<SavedScenarioInfo>
    duplicate(id: string, name?: string): Promise<SavedScenarioInfo>
    delete(id: string): Promise<{ deleted: boolean }>
  }
}

/** Every pushed event, by name. */
export interface ApiEvents extends SnapshotEvents {
  'sim.progress': SimProgressEvent
  'sim.done': SimDoneEvent
  'sim.failed': SimFailedEvent
  'sim.sweepProgress': SweepProgressEvent
}

export type Domain = keyof ApiContract
export type CallName = { [D in Domain]: `${D}.${Extract<keyof ApiContract[D], string>}` }[Domain]
export type EventName = keyof ApiEvents

type CallOf<N extends CallName> = N extends `${infer D extends Domain}.${infer V}`
  ? V extends keyof ApiContract[D]
    ? ApiContract[D][V]
    : never
  : never
export type CallArgs<N extends CallName> = CallOf<N> extends (...a: infer A) => unknown ? A : never
export type CallResult<N extends CallName> = CallOf<N> extends (...a: never[]) => Promise<infer R> ? R : never

/** What `window.api` is: the calls, plus a subscription to pushed events. */
export type Api = ApiContract & {
  on<E extends EventName>(event: E, handler: (payload: ApiEvents[E]) => void): () => void
}

/** The static list of calls. `satisfies` + the completeness check make a missing call a compile error. */
export const API_CALLS = [
  'app.info',
  'demo.list',
  'demo.open',
  'sim.run',
  'sim.cancel',
  'sim.result',
  'sim.sweep',
  'sim.sweepResult',
  'sim.sweepCancel',
  'snapshot.take',
  'snapshot.cancel',
  'snapshot.confirmHostKey',
  'snapshot.list',
  'snapshot.open',
  'snapshot.rename',
  'snapshot.delete',
  'snapshot.export',
  'snapshot.import',
  'snapshot.compare',
  'snapshot.fleet',
  'snapshot.sshHosts',
  'diagnosis.run',
  'plan.recommend',
  'plan.build',
  'plan.export',
  'plan.verify',
  'lab.cases',
  'lab.compare',
  'scenario.list',
  'scenario.open',
  'scenario.save',
  'scenario.rename',
  'scenario.duplicate',
  'scenario.delete'
] as const satisfies readonly CallName[]

/** Every event name, as a total record so a missing one fails to compile. */
export const API_EVENTS: Record<EventName, true> = {
  'sim.progress': true,
  'sim.done': true,
  'sim.failed': true,
  'sim.sweepProgress': true,
  'snapshot.progress': true,
  'snapshot.done': true,
  'snapshot.failed': true,
  'snapshot.fleetProgress': true,
  'snapshot.fleetDone': true
}

type Missing = Exclude<CallName, (typeof API_CALLS)[number]>
/** Compile-time: `true` only when API_CALLS lists every call of ApiContract. */
export const API_CALLS_COMPLETE: [Missing] extends [never] ? true : { missing: Missing } = true
