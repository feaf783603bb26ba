/**
 * PDF export in the desktop app: the plan's self-contained HTML (no scripts) printed by a
 * hidden, sandboxed window with JavaScript off; the window is destroyed afterwards.
 */
import { BrowserWindow } from 'electron'

export async function electronPrintToPdf(html: string): Promise<Uint8Array> {
  const win = new BrowserWindow({
    show: false,
    webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false, webSecurity: true }
  })
  try {
    win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }))
    await win.loadURL(`data:text/html;charset=utf-8;base64,${Buffer.from(html, 'utf8').toString('base64')}`)
    const pdf = await win.webContents.printToPDF({ pageSize: 'A4', printBackground: true })
    return new Uint8Array(pdf)
  } finally {
    win.destroy()
  }
}
