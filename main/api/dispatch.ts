/**
 * The single entry for every call, shared by the Electron IPC handler and the browser host:
 * name check -> zod validation of the arguments -> the feature handler -> a Reply envelope.
 * Nothing reaches a handler unvalidated.
 */
import { z } from 'zod'
import { API_CALLS, type ApiContract, type CallName } from './contract'
import type { Reply } from './codec'
import { ApiError, toReplyError } from './errors'

const CALLS = new Set<string>(API_CALLS)

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && CALLS.has(name)
}

export type Dispatch = (name: unknown, args: unknown) => Promise<Reply<unknown>>

/** Build the dispatcher over a full implementation of the contract and its argument schemas. */
export function createDispatch(impl: ApiContract, schemas: Record<CallName, z.ZodTypeAny>): Dispatch {
  return async (name, args) => {
    try {
      if (!isCallName(name)) throw new ApiError('unknown_call', `unknown call ${JSON.stringify(String(name)).slice(0, 80)}`)
      const parsed = schemas[name].safeParse(args ?? [])
      if (!parsed.success) {
        throw new ApiError('invalid_arguments', `${name}: ${z.prettifyError(parsed.error).replace(/\n+/g, '; ')}`)
      }
      const [domain, verb] = name.split('.') as [keyof ApiContract, string]
      const group = impl[domain] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
      const value = await group[verb](...(parsed.data as unknown[]))
      return { ok: true, value }
    } catch (err) {
      return { ok: false, error: toReplyError(err) }
    }
  }
}
