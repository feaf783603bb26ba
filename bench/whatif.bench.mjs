#!/usr/bin/env node
// What-if latency in real Chromium (issue #5): the report-1 demo at 5,000 new connections/s
// for 60 s; 20 slider moves; for each, the time from the input event to (a) the preview chart
// updating and (b) the full worker-thread result replacing it. Prints median and p95.
// Needs a build (npm run bench builds) and Debian's chromium.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
if (!existsSync('/usr/bin/chromium')) {
  console.error('whatif bench: /usr/bin/chromium missing (Debian package chromium)')
  process.exit(1)
}
const child = spawn(process.execPath, [join(root, 'out', 'main', 'cli.js'), '--web'], {
  env: { ...process.env, HEADROOM_USER_DATA: mkdtempSync(join(tmpdir(), 'headroom-bench-')) },
  stdio: ['ignore', 'pipe', 'inherit']
})
const url = await new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error('browser host did not start')), 60000)
  child.stdout.on('data', (b) => {
    const m = /(http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/.exec(String(b))
    if (m) {
      clearTimeout(t)
      resolve(m[1])
    }
  })
})
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
})
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
  await page.goto(url)
  await page.getByTestId('demo-report1-sms-gateway').click()
  await page.getByTestId('tab-whatif').click()
  await page.getByTestId('compare').waitFor({ timeout: 120000 })
  // 5,000 conn/s steady for 60 s: duration, then the steady preset at peak 5000.
  const dur = page.getByLabel('duration in seconds')
  await dur.fill('60')
  await dur.blur()
  await page.evaluate(() => undefined)
  // steady preset scales to the current peak; scale the curve to exactly 5000 afterwards
  await page.getByTestId('preset').selectOption('steady')
  // the steady preset holds the demo curve's peak (2600 conn/s); scale it to 5000
  await page.getByTestId('scale').fill(String(5000 / 2600))
  await page.getByTestId('apply-scale').click()
  const full = () =>
    page.waitForFunction(() => document.querySelector('[data-testid=run-state]')?.textContent === 'full result', null, { timeout: 600000 })
  await full()

  const slider = page.getByTestId('slider-proxy.somaxconn')
  await slider.focus()
  const previews = []
  const fulls = []
  const computes = []
  // action 'slider': one step of the somaxconn slider; 'undo': the Undo button (a scenario run
  // before, whose result the host still keeps)
  const measure = (action) =>
    page.evaluate(
      (action) =>
        new Promise((resolve) => {
          const slider = document.querySelector('[data-testid="slider-proxy.somaxconn"]')
          // The run state reads "preview (..)" once the preview result is rendered (charts and
          // cards update in the same React commit), then "full result" when the worker's run lands.
          const state = () => document.querySelector('[data-testid=run-state]')?.textContent ?? ''
          const t0 = performance.now()
          let tPreview = null
          let computeMs = null
          const check = () => {
            const now = performance.now()
            if (tPreview === null && state().startsWith('preview')) {
              tPreview = now - t0
              computeMs = Number(/preview \((\d+) ms\)/.exec(state())?.[1] ?? NaN)
            }
            if (tPreview !== null && state() === 'full result') return resolve({ preview: tPreview, full: now - t0, computeMs })
            if ((tPreview === null && now - t0 > 30000) || now - t0 > 600000) return resolve({ preview: tPreview, full: null })
            requestAnimationFrame(check)
          }
          if (action === 'undo') document.querySelector('[data-testid=undo]').click()
          else {
            // one step of the slider, as the keyboard or a drag delivers it
            const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set
            setter.call(slider, String(Math.min(1000, Number(slider.value) + 10)))
            slider.dispatchEvent(new Event('input', { bubbles: true }))
          }
          check()
        }),
      action
    )
  for (let i = 0; i < 20; i++) {
    const r = await measure('slider')
    previews.push(r.preview)
    computes.push(r.computeMs)
    fulls.push(r.full)
  }
  const stats = (xs) => {
    const v = xs.filter((x) => x !== null).sort((a, b) => a - b)
    const q = (p) => v[Math.min(v.length - 1, Math.floor(p * (v.length - 1) + 0.5))]
    return { n: v.length, median: q(0.5), p95: q(0.95) }
  }
  const p = stats(previews)
  const f = stats(fulls)
  console.log('what-if latency, report-1 demo at 5,000 conn/s for 60 s, 20 slider moves (Chromium):')
  console.log(`  input -> preview chart: median ${p.median.toFixed(1)} ms, p95 ${p.p95.toFixed(1)} ms (target p95 <= 50 ms)`)
  const c = stats(computes)
  console.log(`    of which the preview simulation itself: median ${c.median} ms, p95 ${c.p95} ms`)
  console.log(`  input -> full result:   median ${f.median.toFixed(0)} ms, p95 ${f.p95.toFixed(0)} ms (target p95 <= 1000 ms)`)
  const undos = []
  for (let i = 0; i < 10; i++) undos.push((await measure('undo')).full)
  const u = stats(undos)
  console.log(`  undo -> full result (a run the host still keeps): median ${u.median.toFixed(0)} ms, p95 ${u.p95.toFixed(0)} ms over ${u.n}`)
} finally {
  await browser.close()
  child.kill()
}
