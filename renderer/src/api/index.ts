import type { Api } from '../../../main/api/contract'
import { resolveApi } from './http-client'

let api: Api | null = null

/** The page's API (memoized): Electron's preload or the browser host's HTTP client. */
export function getApi(): Api {
  api ??= resolveApi()
  return api
}
