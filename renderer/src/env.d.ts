import type { Api } from '../../main/api/contract'

declare global {
  interface Window {
    /** Set by the Electron preload; absent in the browser host, where api/http-client.ts provides it. */
    api?: Api
  }
}
export {}
