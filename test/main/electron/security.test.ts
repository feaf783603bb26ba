import { describe, expect, it } from 'vitest'
import { WINDOW_CSP, isAppUrl, isTrustedSender, mainWindowOptions, secureWebPreferences } from '../../../main/electron/security'

const page = 'file:///opt/headroom/out/renderer/index.html'

describe('secure window defaults', () => {
  it('locks down every webPreference that matters', () => {
    const wp = secureWebPreferences('/x/preload.cjs')
    expect(wp.contextIsolation).toBe(true)
    expect(wp.sandbox).toBe(true)
    expect(wp.nodeIntegration).toBe(false)
    expect(wp.nodeIntegrationInWorker).toBe(false)
    expect(wp.nodeIntegrationInSubFrames).toBe(false)
    expect(wp.webSecurity).toBe(true)
    expect(wp.allowRunningInsecureContent).toBe(false)
    expect(wp.webviewTag).toBe(false)
    expect(wp.preload).toBe('/x/preload.cjs')
  })

  it('uses those preferences in the main window', () => {
    const o = mainWindowOptions('/p.cjs', '/i.png')
    expect(o.webPreferences).toEqual(secureWebPreferences('/p.cjs'))
    expect(o.icon).toBe('/i.png')
  })

  it('has a CSP that allows only our own scripts', () => {
    expect(WINDOW_CSP).toMatch(/default-src 'self'/)
    expect(WINDOW_CSP).toMatch(/script-src 'self'(;|$)/)
    expect(WINDOW_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/)
    expect(WINDOW_CSP).toMatch(/object-src 'none'/)
  })
})

describe('navigation and sender guard', () => {
  it('recognizes only our page', () => {
    expect(isAppUrl(page, page)).toBe(true)
    expect(isAppUrl(`${page}#token=1`, page)).toBe(true)
    expect(isAppUrl('file:///etc/passwd', page)).toBe(false)
    expect(isAppUrl('https://evil.example/', page)).toBe(false)
    expect(isAppUrl('not a url', page)).toBe(false)
    expect(isAppUrl('http://localhost:5173/', page, 'http://localhost:5173')).toBe(true)
    expect(isAppUrl('http://localhost:5174/', page, 'http://localhost:5173')).toBe(false)
  })

  const trusted = new Set([7])
  const ev = (id: number, url: string, parent: unknown = null) => ({ sender: { id }, senderFrame: { url, parent } })

  it('accepts the main frame of our window showing our page', () => {
    expect(isTrustedSender(ev(7, page), trusted, page)).toBe(true)
  })

  it('refuses unknown windows, subframes, foreign pages and missing frames', () => {
    expect(isTrustedSender(ev(8, page), trusted, page)).toBe(false)
    expect(isTrustedSender(ev(7, page, { url: page }), trusted, page)).toBe(false)
    expect(isTrustedSender(ev(7, 'https://evil.example/'), trusted, page)).toBe(false)
    expect(isTrustedSender({ sender: { id: 7 }, senderFrame: null }, trusted, page)).toBe(false)
  })
})
