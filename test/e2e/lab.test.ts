/// <reference lib="dom" />
/**
 * Ground truth in the workbench: a saved lab run (real kernel + HAProxy in namespaces) shown
 * next to the simulator's prediction of the same scenario, with tolerance verdicts and
 * overlaid series.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { e2eAvailable, launchChromium, startBrowserHostProcess, type RunningHost } from './harness'

const enabled = e2eAvailable()

describe.skipIf(!enabled)('lab comparison in Chromium', () => {
  let host: RunningHost
  let browser: Browser
  let page: Page
  beforeAll(async () => {
    host = await startBrowserHostProcess()
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
  })
  afterAll(async () => {
    await browser?.close()
    await host?.stop()
  })

  it('shows measured vs simulated for the accept-queue lab run', async () => {
    await page.goto(host.url)
    await page.getByTestId('lab-accept-overflow-b16-burst128').click()
    const score = page.getByTestId('lab-score')
    await expect.poll(() => score.textContent(), { timeout: 120_000 }).toMatch(/^\d+\/\d+ metrics within tolerance$/)
    const [passed, total] = ((await score.textContent()) ?? '').split(/[ /]/).map(Number)
    expect(total).toBeGreaterThan(5)
    expect(passed).toBeLessThanOrEqual(total)
    const rows = await page.locator('table.lab-table tbody tr').count()
    expect(rows).toBe(total)
    expect(await page.locator('.lab-view svg[role="img"] path.series').count()).toBeGreaterThan(1)
  })
})
