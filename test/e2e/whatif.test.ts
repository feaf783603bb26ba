/// <reference lib="dom" />
/**
 * The what-if workbench in real Chromium: open a demo, draw a point on the load curve, drag
 * and type knob values, see the scenario's result move the right way against the baseline,
 * refuse an invalid value with its reason, undo, save and reopen the scenario.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { ROOT, e2eAvailable, launchChromium, startBrowserHostProcess, type RunningHost } from './harness'

const enabled = e2eAvailable()

describe.skipIf(!enabled)('what-if workbench in Chromium', () => {
  let host: RunningHost
  let browser: Browser
  let page: Page
  const errors: string[] = []

  beforeAll(async () => {
    host = await startBrowserHostProcess()
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    page.on('pageerror', (e) => errors.push(String(e)))
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
  })
  afterAll(async () => {
    await browser?.close()
    await host?.stop()
  })

  const fullResult = () => page.waitForFunction(() => document.querySelector('[data-testid=run-state]')?.textContent === 'full result', null, { timeout: 170_000 })
  const num = async (id: string): Promise<number> => Number(((await page.getByTestId(id).textContent()) ?? '').replace(/[^\d.]/g, ''))

  it('report 2: raising somaxconn alone moves the ceiling to nginx worker_connections; with both raised failures fall', async () => {
    await page.goto(host.url)
    await page.getByTestId('demo-report2-nginx-php-fpm').click()
    await page.getByTestId('tab-whatif').click()
    await page.getByTestId('compare').waitFor({ timeout: 60_000 })
    await fullResult()
    const failedBefore = await num('cmp-failed-value')
    expect(failedBefore).toBeGreaterThan(0)

    // An invalid value is refused at the input, with the reason, and changes nothing.
    const input = page.getByTestId('input-backend.somaxconn')
    await input.fill('-5')
    await input.press('Enter')
    await expect.poll(() => page.getByTestId('knob-backend.somaxconn').locator('[role=alert]').textContent()).toMatch(/between 0 and 65535/)
    expect(await num('cmp-failed-value')).toBe(failedBefore)

    // somaxconn 1024 alone: php-fpm's queue now holds 512 waiting requests, two nginx connections
    // each, past its worker_connections 1024: nginx resets what it accepts (measured in the lab
    // row report2-somaxconn-1024-c512-wc1024)
    await input.fill('1024')
    await input.press('Enter')
    await fullResult()
    expect(await num('cmp-failed-value')).toBeGreaterThan(failedBefore)
    await expect.poll(() => page.getByTestId('knob-backend.nginx.workerConnections').textContent()).toMatch(/1022 - |resets what it accepts/)
    const wc = page.getByTestId('input-backend.nginx.workerConnections')
    await wc.fill('4096')
    await wc.press('Enter')
    await fullResult()
    const failedAfter = await num('cmp-failed-value')
    expect(failedAfter).toBeLessThan(failedBefore)
    // a share's change is in percentage points, not a percentage of the baseline
    expect(await page.getByTestId('cmp-success').textContent()).toMatch(/baseline \d+\.\d% \(\+\d+\.\d pp\)/)
    await expect.poll(() => page.getByTestId('knob-backend.somaxconn').textContent()).toMatch(/baseline 8/)

    // The charts fit the activity (an ab burst of a few seconds, the 30 s request timeouts and
    // nginx's connects to php-fpm retried up to its 60 s fastcgi_connect_timeout), not the whole
    // 120 s + 90 s drain; dragging zooms every chart; "whole run" resets.
    const win = page.getByTestId('time-window')
    const bounds = async (): Promise<[number, number]> => [Number(await win.getByLabel('window start (s)').inputValue()), Number(await win.getByLabel('window end (s)').inputValue())]
    const [, fitEnd] = await bounds()
    expect(fitEnd).toBeGreaterThan(2)
    expect(fitEnd).toBeLessThan(100)
    const plot = page.getByTestId('plot-Throughput')
    const box = (await plot.boundingBox())!
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2, { steps: 5 })
    await page.mouse.up()
    await expect.poll(async () => (await bounds())[1]).toBeLessThan(fitEnd * 0.5)
    const [z0, z1] = await bounds()
    expect(z0).toBeGreaterThan(0)
    // every time chart shows the same window: its last x tick is inside it
    const lastTick = async (title: string): Promise<number> =>
      Number(((await page.getByTestId(`chart-${title}`).locator('.axis-x .tick text').last().textContent()) ?? '').replace(/,/g, ''))
    expect(await lastTick('Sessions and queues')).toBeLessThanOrEqual(z1)
    await win.getByRole('button', { name: 'whole run' }).click()
    await expect.poll(async () => (await bounds())[1]).toBeGreaterThan(100)
    expect(await lastTick('Throughput')).toBeGreaterThan(100)
    await win.getByRole('button', { name: 'fit activity' }).click()
    await expect.poll(async () => (await bounds())[1]).toBe(fitEnd)

    // Failures by cause: the scenario has none left; the baseline's show on request
    const areaTop = async (title: string): Promise<number> =>
      page.getByTestId(`chart-${title}`).evaluate((svg) => {
        let top = Infinity
        for (const p of Array.from(svg.querySelectorAll('path.area'))) top = Math.min(top, (p as SVGPathElement).getBBox().y)
        return top
      })
    await page.getByTestId('failures-of-baseline').click()
    const baseTop = await areaTop('Failures by cause (baseline)')
    expect(await page.getByTestId('failures-of-baseline').getAttribute('aria-pressed')).toBe('true')
    await page.getByTestId('failures-of-scenario').click()
    const scenTop = await areaTop('Failures by cause (scenario)')
    expect(baseTop).toBeLessThan(scenTop) // the baseline's stack rises above the scenario's flat zero
    await page.evaluate(() => window.scrollTo(0, 0))
    await page.screenshot({ path: join(ROOT, 'docs', 'screenshot-whatif-report2.png'), fullPage: false })

    // Headroom curve: the largest load scale under 1% failures, for three somaxconn values.
    await page.getByTestId('sweep-knob').selectOption('backend.somaxconn')
    await page.getByLabel('sweep from').fill('8')
    await page.getByLabel('sweep to').fill('1024')
    await page.getByLabel('sweep steps').fill('3')
    await page.getByLabel('sweep quality').selectOption('preview')
    await page.getByTestId('sweep-run').click()
    await page.getByTestId('sweep-chart').waitFor({ timeout: 120_000 })
    expect(await page.locator('[data-testid^=sweep-point-]').count()).toBe(3)
    const ys = await page.locator('[data-testid^=sweep-point-]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('cy'))))
    // a larger somaxconn never leaves less headroom (higher on screen = smaller cy)
    expect(ys[2]).toBeLessThanOrEqual(ys[0])

    // Undo brings the baseline values back, one change at a time.
    await page.getByTestId('undo').click()
    await expect.poll(() => page.getByTestId('input-backend.nginx.workerConnections').inputValue()).toBe('1024')
    await page.getByTestId('undo').click()
    await expect.poll(() => page.getByTestId('input-backend.somaxconn').inputValue()).toBe('8')
    await page.getByTestId('redo').click()
    await expect.poll(() => page.getByTestId('input-backend.somaxconn').inputValue()).toBe('1024')
  })

  it('report 1: a drawn point and a dragged maxconn slider change the run; save and reopen', async () => {
    await page.getByTestId('demo-report1-sms-gateway').click()
    await expect.poll(() => page.getByTestId('demo-title').textContent()).toMatch(/Report 1/)
    // the what-if workspace has switched to report 1 (it has HAProxy knobs)
    await page.getByTestId('knob-haproxy.globalMaxconn').waitFor({ timeout: 60_000 })
    const points = await page.locator('[data-testid^=curve-point-]').count()
    const bg = page.getByTestId('curve-bg')
    await bg.scrollIntoViewIfNeeded()
    const box = (await bg.boundingBox())!
    await page.mouse.click(box.x + box.width * 0.93, box.y + box.height * 0.2)
    await expect.poll(() => page.locator('[data-testid^=curve-point-]').count()).toBe(points + 1)

    // Drag the global maxconn slider: set it first (unset -> value), then move it with the keyboard.
    await page.getByTestId('input-haproxy.globalMaxconn').fill('2000')
    await page.getByTestId('input-haproxy.globalMaxconn').press('Enter')
    const slider = page.getByTestId('slider-haproxy.globalMaxconn')
    await slider.focus()
    for (let i = 0; i < 40; i++) await slider.press('ArrowRight')
    const v = Number(await page.getByTestId('input-haproxy.globalMaxconn').inputValue())
    expect(v).toBeGreaterThan(2000)

    await page.getByTestId('scenario-name').fill('maxconn raised')
    await page.getByTestId('save-scenario').click()
    await page.getByTestId('open-maxconn raised').waitFor()
    await page.getByTestId('reset').click()
    await expect.poll(() => page.getByTestId('input-haproxy.globalMaxconn').inputValue()).toBe('')
    await page.getByTestId('open-maxconn raised').click()
    await expect.poll(() => page.getByTestId('input-haproxy.globalMaxconn').inputValue()).toBe(String(v))
    expect(await page.locator('[data-testid^=curve-point-]').count()).toBe(points + 1)
    // Compare two scenarios: the saved one becomes the baseline side.
    await page.getByTestId('compare-maxconn raised').click()
    await expect.poll(() => page.getByTestId('baseline-label').textContent()).toMatch(/maxconn raised/)
    expect(errors).toEqual([])
  })
})
