/**
 * The only file in the main process that imports ipcMain (style.md 2). Each call name gets
 * one handler: sender guard first, then the shared dispatcher (zod validation + handler).
 */
import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import { API_CALLS } from '../api/contract'
import type { Dispatch } from '../api/dispatch'
import { isTrustedSender } from './security'

export function registerIpc(dispatch: Dispatch, trusted: ReadonlySet<number>, appFileUrl: string, devOrigin?: string): () => void {
  for (const name of API_CALLS) {
    ipcMain.handle(name, async (event: IpcMainInvokeEvent, ...args: unknown[]) => {
      if (!isTrustedSender(event, trusted, appFileUrl, devOrigin)) {
        return { ok: false, error: { code: 'forbidden', message: 'this window may not call the Headroom API' } }
      }
      return dispatch(name, args)
    })
  }
  return () => {
    for (const name of API_CALLS) ipcMain.removeHandler(name)
  }
}
