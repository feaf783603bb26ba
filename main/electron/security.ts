/**
 * Electron security defaults, stated in one place (Electron security checklist; Mockoon's
 * main-window.ts). Pure data and predicates, no electron import, so they are unit-tested.
 */

/** CSP for the desktop window; the browser host serves the same policy (main/host/server.ts). */
export const WINDOW_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

/** webPreferences for every window we create. Never loosen these to make a feature work. */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false
  } as const
}

/** BrowserWindow options for the workbench window. */
export function mainWindowOptions(preloadPath: string, iconPath?: string) {
  return {
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 700,
    show: false,
    title: 'Headroom',
    backgroundColor: '#101418',
    ...(iconPath ? { icon: iconPath } : {}),
    webPreferences: secureWebPreferences(preloadPath)
  }
}

/**
 * Is this URL one of ours? The packaged app loads `file://.../out/renderer/index.html`; the
 * dev server (electron-vite dev) is an http origin passed in `devOrigin`.
 */
export function isAppUrl(url: string, appFileUrl: string, devOrigin?: string): boolean {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return false
  }
  if (devOrigin) {
    try {
      if (u.origin === new URL(devOrigin).origin) return true
    } catch {
      /* a malformed dev origin trusts nothing */
    }
  }
  if (u.protocol !== 'file:') return false
  const page = new URL(appFileUrl)
  return u.pathname === page.pathname
}

/** The part of an IPC event the sender guard reads (Electron's IpcMainInvokeEvent has these). */
export interface SenderInfo {
  sender: { id: number }
  senderFrame: { url: string; parent: unknown } | null
}

/**
 * Sender guard (checklist item 17): answer only the main frame of a window we created, showing
 * our own page. Anything else (a subframe, a navigated-away window, an unknown webContents) is
 * refused before its arguments are even parsed.
 */
export function isTrustedSender(e: SenderInfo, trustedWebContentsIds: ReadonlySet<number>, appFileUrl: string, devOrigin?: string): boolean {
  if (!trustedWebContentsIds.has(e.sender.id)) return false
  const frame = e.senderFrame
  if (!frame || frame.parent) return false
  return isAppUrl(frame.url, appFileUrl, devOrigin)
}
