/**
 * PDF provider for the browser host and the CLI: prints HTML with the system Chromium through
 * playwright-core (the desktop app passes Electron's webContents.printToPDF instead). The page
 * is loaded with JavaScript disabled and no network: plan HTML is static and self-contained.
 */
import { existsSync } from 'node:fs'

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** The first Chromium binary found (HEADROOM_CHROMIUM overrides), or null. */
export function findChromium(): string | null {
  const env = process.env['HEADROOM_CHROMIUM']
  for (const p of [env, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (p && existsSync(p)) return p
  return null
}

/** Print HTML to an A4 PDF with Chromium. Throws a clear error when Chromium is missing. */
export async function chromiumPrintToPdf(html: string, executablePath: string | null = findChromium()): Promise<Uint8Array> {
  if (!executablePath) throw new Error('no Chromium found for PDF export (install chromium or set HEADROOM_CHROMIUM)')
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true })
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true })
    const page = await context.newPage()
    await page.setContent(html, { waitUntil: 'load' })
    const pdf = await page.pdf({ format: 'A4', printBackground: true, margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' } })
    return new Uint8Array(pdf)
  } finally {
    await browser.close()
  }
}
