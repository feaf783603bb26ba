/**
 * The contract over HTTP + WebSocket, for the browser host. Same shape as the Electron
 * preload's `window.api`: one function per call, `on(event, handler)` for pushed events.
 * The token arrives in the URL fragment (#token=...), which the browser never sends to the
 * server; it travels only in the Authorization header and the socket subprotocol.
 */
import { API_CALLS, API_EVENTS, type Api, type ApiEvents, type EventName } from '../../../main/api/contract'
import { decodeWire, encodeWire, type Reply } from '../../../main/api/codec'

export class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message)
    this.name = 'ApiCallError'
  }
}

type Handler = (payload: unknown) => void

export function createHttpApi(base: string, token: string): Api {
  const handlers = new Map<EventName, Set<Handler>>()
  let socket: WebSocket | null = null
  let retry = 250

  const connect = (): void => {
    const url = new URL('/api/events', base)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    const ws = new WebSocket(url.href, [`headroom-token.${token}`])
    socket = ws
    ws.onopen = () => {
      retry = 250
    }
    ws.onmessage = (m) => {
      try {
        const msg = decodeWire(String(m.data)) as { event: EventName; payload: unknown }
        if (!Object.hasOwn(API_EVENTS, msg.event)) return
        for (const h of handlers.get(msg.event) ?? []) h(msg.payload)
      } catch {
        /* a malformed push is dropped */
      }
    }
    ws.onclose = () => {
      if (socket === ws) socket = null
      setTimeout(connect, retry)
      retry = Math.min(retry * 2, 5000)
    }
  }

  const call = async (name: string, args: unknown[]): Promise<unknown> => {
    const res = await fetch(new URL(`/api/call/${name}`, base), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: encodeWire(args)
    })
    if (!res.ok) throw new ApiCallError(`http_${res.status}`, `${name}: ${res.status} ${await res.text()}`)
    const reply = decodeWire(await res.text()) as Reply<unknown>
    if (reply.ok) return reply.value
    throw new ApiCallError(reply.error.code, reply.error.message)
  }

  const api: Record<string, unknown> = {}
  for (const name of API_CALLS) {
    const [domain, verb] = name.split('.') as [string, string]
    const group = (api[domain] ??= {}) as Record<string, unknown>
    group[verb] = (...args: unknown[]) => call(name, args)
  }
  // Connect at once so no event of a run started right after page load is missed.
  connect()
  api['on'] = <E extends EventName>(event: E, handler: (payload: ApiEvents[E]) => void) => {
    let set = handlers.get(event)
    if (!set) handlers.set(event, (set = new Set()))
    set.add(handler as Handler)
    return () => set.delete(handler as Handler)
  }
  return api as unknown as Api
}

/** The API for this page: the preload's in Electron, HTTP + WebSocket in the browser host. */
export function resolveApi(): Api {
  if (window.api) return window.api
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token')
  if (!token) throw new Error('This page was opened without its access token. Open the exact URL that `headroom --web` printed.')
  return createHttpApi(window.location.origin, token)
}
