/**
 * Preload: the only renderer-side file that imports ipcRenderer (style.md 2). It exposes
 * `window.api`, typed by the contract, with one function per call bound to that call's fixed
 * channel; no raw ipcRenderer, no generic invoke. Bundled whole as CommonJS for the sandbox.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { API_CALLS, API_EVENTS, type Api, type EventName } from '../api/contract'

type Reply = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } }

function callFor(name: string) {
  return async (...args: unknown[]): Promise<unknown> => {
    const reply = (await ipcRenderer.invoke(name, ...args)) as Reply
    if (reply.ok) return reply.value
    throw new Error(`[${reply.error.code}] ${reply.error.message}`)
  }
}

const api: Record<string, unknown> = {}
for (const name of API_CALLS) {
  const [domain, verb] = name.split('.') as [string, string]
  const group = (api[domain] ??= {}) as Record<string, unknown>
  group[verb] = callFor(name)
}
api['on'] = (event: EventName, handler: (payload: unknown) => void): (() => void) => {
  if (!Object.hasOwn(API_EVENTS, event)) throw new Error(`unknown event ${String(event)}`)
  const listener = (_e: unknown, payload: unknown): void => handler(payload)
  ipcRenderer.on(event, listener)
  return () => {
    ipcRenderer.removeListener(event, listener)
  }
}

contextBridge.exposeInMainWorld('api', api as unknown as Api)
