/// <reference lib="dom" />
/**
 * Diagnosis and plan in real Chromium on the report-2 demo: the findings a senior engineer
 * would write, recommended fixes tried in the what-if, a plan built from it, exported as a
 * .tar bundle (apply.sh executable) and as PDF.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseTar } from 'nanotar'
import type { Browser, Page } from 'playwright-core'
import { ROOT, e2eAvailable, launchChromium, startBrowserHostProcess, type RunningHost } from './harness'

const enabled = e2eAvailable()

describe.skipIf(!enabled)('diagnosis and plan in Chromium', () => {
  let host: RunningHost
  let browser: Browser
  let page: Page
  const errors: string[] = []
  beforeAll(async () => {
    host = await startBrowserHostProcess()
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true })
    page.on('pageerror', (e) => errors.push(String(e)))
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
  })
  afterAll(async () => {
    await browser?.close()
    await host?.stop()
  })

  it('diagnoses, recommends, builds and exports a plan', async () => {
    await page.goto(host.url)
    await page.getByTestId('demo-report2-nginx-php-fpm').click()
    await page.getByRole('heading', { name: /Report 2/ }).waitFor({ timeout: 30_000 })
    await page.getByTestId('tab-plan').click()
    // findings, or (a failure) the tab's own error text; on a timeout the message shows the page
    const findings = page.getByTestId('findings')
    try {
      await page.locator('[data-testid=findings], [data-testid=plan-tab] .error').first().waitFor({ timeout: 60_000 })
    } catch (e) {
      throw new Error(`${(e as Error).message}\npage: ${((await page.locator('main').textContent()) ?? '').slice(0, 1500)}\nerrors: ${errors.join(' | ')}`)
    }
    expect(await findings.isVisible(), (await page.getByTestId('plan-tab').textContent()) ?? '').toBe(true)
    const titles = await page.locator('[data-finding] summary').allTextContents()
    expect(titles.length).toBeGreaterThanOrEqual(4)
    expect(titles.join('\n')).toMatch(/clamped to somaxconn = 8/)
    expect(titles[0]).toMatch(/critical/)

    await page.getByTestId('recommend').click()
    await expect.poll(() => page.getByTestId('recommendation').textContent(), { timeout: 60_000 }).toMatch(/somaxconn/)
    await page.getByTestId('use-recommendation').click()
    await page.getByTestId('compare').waitFor({ timeout: 60_000 })
    await page.waitForFunction(() => document.querySelector('[data-testid=run-state]')?.textContent === 'full result', null, { timeout: 170_000 })
    await page.getByTestId('tab-plan').click()
    await page.getByTestId('build-plan').click()
    await expect.poll(() => page.getByTestId('plan-view').textContent(), { timeout: 60_000 }).toMatch(/net\.core\.somaxconn/)
    await page.screenshot({ path: join(ROOT, 'docs', 'screenshot-plan.png'), fullPage: false })

    const [tarDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-bundle').click()])
    expect(tarDl.suggestedFilename()).toMatch(/^plan-[\w-]+\.tar$/)
    const entries = parseTar(readFileSync((await tarDl.path())!))
    const apply = entries.find((e) => e.name.endsWith('/apply.sh'))
    expect(apply).toBeDefined()
    expect(apply!.attrs?.mode).toMatch(/755$/)
    expect(apply!.text).toMatch(/^#!/)
    expect(entries.some((e) => e.name.endsWith('/rollback.sh'))).toBe(true)
    expect(entries.some((e) => /etc\/sysctl\.d\/90-headroom\.conf$/.test(e.name) && /net\.core\.somaxconn *= *\d+/.test(e.text))).toBe(true)

    const [pdfDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-pdf').click()])
    const pdf = readFileSync((await pdfDl.path())!)
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
    expect(pdf.length).toBeGreaterThan(10_000)
    expect(errors).toEqual([])
  })
})
