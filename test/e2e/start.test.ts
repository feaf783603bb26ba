/**
 * `npm start` on a machine without the Electron binary (or without a display): one line that
 * says so, then the browser host's URL, and the host answers.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { ROOT, e2eAvailable, startPrintingUrl, type RunningHost } from './harness'

const enabled = e2eAvailable()

describe.skipIf(!enabled)('npm start without the Electron binary', () => {
  let host: RunningHost | undefined
  afterAll(async () => {
    await host?.stop()
  })

  it('says so in one line and serves the workbench', async () => {
    // No display: even where the binary exists, the desktop window cannot open here.
    host = await startPrintingUrl(process.execPath, [join(ROOT, 'scripts', 'start.mjs')], { DISPLAY: '', WAYLAND_DISPLAY: '' })
    // One line says why there is no window (a "building..." line may precede it after edits).
    const lines = host.output().split('\n').filter((l) => l.startsWith('headroom:') && !/^headroom: building\.\.\.$/.test(l))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^headroom: (Electron binary not installed \(offline install\)|no display for the desktop window); serving the workbench to your browser instead\.$/)
    const res = await fetch(host.url.replace(/#.*$/, ''))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/)
    expect(await res.text()).toMatch(/<div id="root">/)
  })
})
