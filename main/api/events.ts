/** A tiny typed event bus: services emit, each host (IPC, browser) forwards to its pages. */
import type { ApiEvents, EventName } from './contract'

export type Emit = <E extends EventName>(event: E, payload: ApiEvents[E]) => void
export type Listener = <E extends EventName>(event: E, payload: ApiEvents[E]) => void

export interface EventBus {
  emit: Emit
  subscribe(listener: Listener): () => void
}

export function createEventBus(): EventBus {
  const listeners = new Set<Listener>()
  return {
    emit(event, payload) {
      for (const l of listeners) {
        try {
          l(event, payload)
        } catch {
          // A broken page connection must never break the service that emitted.
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    }
  }
}
