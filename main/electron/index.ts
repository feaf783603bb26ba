/**
 * Electron main process: the thin desktop shell. Every behaviour lives behind the API
 * service (main/api); this file only creates the locked-down window, wires IPC and forwards
 * pushed events. The same service also runs under plain Node as the browser host.
 */
import { app, BrowserWindow, safeStorage, session, shell } from 'electron'
import { join, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createService } from '../api/service'
import { registerIpc } from './ipc'
import { createSafeStorageSecretStore } from './secrets'
import { electronPrintToPdf } from './pdf'
import { WINDOW_CSP, isAppUrl, mainWindowOptions } from './security'

const here = fileURLToPath(new URL('.', import.meta.url))
const appRoot = join(here, '..', '..')
const rendererIndex = join(appRoot, 'out', 'renderer', 'index.html')
const appFileUrl = pathToFileURL(rendererIndex).href
const devOrigin = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL']
const trusted = new Set<number>()

app.enableSandbox()

async function main(): Promise<void> {
  await app.whenReady()

  // CSP header on everything the session loads, in addition to the page's meta tag.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [WINDOW_CSP] } })
  })
  // No page of ours needs camera, notifications, geolocation...: refuse every permission.
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false))

  const resourcesDir = app.isPackaged ? join(process.resourcesPath, 'resources') : join(appRoot, 'resources')
  const service = createService({
    hostKind: 'electron',
    resourcesDir,
    userDataDir: app.getPath('userData'),
    // Worker threads load plain files: in a packaged app the worker and its chunks are
    // unpacked next to app.asar (electron-builder.yml asarUnpack).
    workerPath: fileURLToPath(new URL('./worker.js', import.meta.url)).replace(`app.asar${sep}`, `app.asar.unpacked${sep}`),
    warmPool: true,
    // Remembered SSH secrets are encrypted with the OS keychain (safeStorage), never stored in clear.
    secrets: createSafeStorageSecretStore(safeStorage, join(app.getPath('userData'), 'secrets.json')),
    printToPdf: electronPrintToPdf
  })
  registerIpc(service.dispatch, trusted, appFileUrl, devOrigin)

  const win = new BrowserWindow(mainWindowOptions(join(here, '..', 'preload', 'index.cjs'), join(resourcesDir, 'icon.png')))
  trusted.add(win.webContents.id)
  service.bus.subscribe((event, payload) => {
    if (!win.isDestroyed()) win.webContents.send(event, payload)
  })

  // New windows are never opened by the app; https links go to the user's browser.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  // Navigation away from our page is blocked.
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, appFileUrl, devOrigin)) event.preventDefault()
  })
  win.once('ready-to-show', () => win.show())

  if (devOrigin) await win.loadURL(devOrigin)
  else await win.loadFile(rendererIndex)

  app.on('window-all-closed', () => {
    void service.close().finally(() => app.quit())
  })
}

main().catch((err: unknown) => {
  console.error('headroom: failed to start:', err)
  app.exit(1)
})
