/**
 * The workbench as a new user meets it: the browser host started as `headroom --web` prints
 * its URL, Chromium opens it, the field-report demo is there, a simulation runs in a worker
 * thread and its chart and summary appear; the other demo gives a different result.
 * Screenshots go to docs/ (shown in the README).
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { ROOT, e2eAvailable, launchChromium, startBrowserHostProcess, type RunningHost } from './harness'

const enabled = e2eAvailable()

describe.skipIf(!enabled)('workbench in Chromium', () => {
  let host: RunningHost
  let browser: Browser
  let page: Page
  const consoleErrors: string[] = []

  beforeAll(async () => {
    host = await startBrowserHostProcess()
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true })
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text())
    })
    page.on('pageerror', (e) => consoleErrors.push(String(e)))
  })

  afterAll(async () => {
    await browser?.close()
    await host?.stop()
  })

  async function runAndWait(): Promise<{ requests: string; failed: string; verdict: string; offeredPoints: number }> {
    await page.getByTestId('run').click()
    await page.getByTestId('result').waitFor({ timeout: 120_000 })
    const d = (await page.locator('path.series[data-series="offered"]').first().getAttribute('d')) ?? ''
    return {
      requests: (await page.getByTestId('card-requests').locator('.card-value').textContent()) ?? '',
      failed: (await page.getByTestId('failed-count').textContent()) ?? '',
      verdict: (await page.getByTestId('verdict').textContent()) ?? '',
      offeredPoints: d.split('L').length
    }
  }

  it('opens on the field-report demo and simulates it to a chart', async () => {
    await page.goto(host.url)
    await expect.poll(() => page.getByTestId('demo-title').textContent(), { timeout: 30_000 }).toMatch(/Report 1/)
    // The key settings table shows what the system makes of the configuration.
    await expect.poll(() => page.locator('table.facts').textContent()).toMatch(/HAProxy global maxconn.*unset.*2000/)
    const r1 = await runAndWait()
    expect(r1.offeredPoints).toBeGreaterThan(100) // one point per simulated second of a 300 s curve
    expect(Number(r1.requests.replace(/[^\d.]/g, ''))).toBeGreaterThan(0)
    expect(r1.verdict).toMatch(/First ceiling/)
    expect(await page.locator('[data-testid="chart-Throughput"] path.series').count()).toBe(3)
    // Charts export to standalone SVG (theme styles inlined) and to PNG.
    const [svgDl] = await Promise.all([page.waitForEvent('download'), page.getByLabel('export Throughput as SVG').click()])
    const svgText = readFileSync((await svgDl.path())!, 'utf8')
    expect(svgDl.suggestedFilename()).toBe('headroom-throughput.svg')
    expect(svgText).toMatch(/^<svg[^>]+xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
    expect((svgText.match(/<path[^>]+class="series/g) ?? []).length).toBe(3)
    expect(svgText).toMatch(/stroke: ?rgb\(/)
    const [pngDl] = await Promise.all([page.waitForEvent('download'), page.getByLabel('export Throughput as PNG').click()])
    const png = readFileSync((await pngDl.path())!)
    expect(png.subarray(1, 4).toString()).toBe('PNG')
    expect(png.length).toBeGreaterThan(5000)
    mkdirSync(join(ROOT, 'docs'), { recursive: true })
    await page.screenshot({ path: join(ROOT, 'docs', 'screenshot-report1.png'), fullPage: true })

    await page.getByTestId('demo-report2-nginx-php-fpm').click()
    await expect.poll(() => page.getByTestId('demo-title').textContent()).toMatch(/Report 2/)
    const r2 = await runAndWait()
    expect(r2.requests).toBe('5120') // ab -n 5120: a closed loop issues exactly that many
    expect(r2.requests).not.toBe(r1.requests)
    await page.screenshot({ path: join(ROOT, 'docs', 'screenshot-report2.png'), fullPage: true })
    expect(consoleErrors).toEqual([])
  })

  it('refuses a page opened without its token, with a clear message', async () => {
    const p = await browser.newPage()
    await p.goto(host.url.replace(/#.*$/, ''))
    await expect.poll(() => p.locator('[role="alert"]').textContent()).toMatch(/without its access token/)
    await p.close()
  })
})
