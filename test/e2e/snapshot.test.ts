/// <reference lib="dom" />
/**
 * Snapshot a real server through the workbench: a real sshd (generated keys) with a real
 * HAProxy and nginx behind it, all on 127.0.0.1, started by the test. The unknown host key is
 * shown with its SHA256 fingerprint and needs an explicit yes; then the snapshot's limits sit
 * next to their usage and it becomes the baseline of a what-if.
 */
import { writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { ROOT, e2eAvailable, launchChromium, startBrowserHostProcess, type RunningHost } from './harness'
import { requireTool } from '../helpers/require-tool'
import { startWorld, type World } from '../helpers/world'
import { tempDir } from '../helpers/tmp'

const enabled = e2eAvailable() && requireTool('sshd') !== null && requireTool('haproxy') !== null && requireTool('nginx') !== null

describe.skipIf(!enabled)('snapshot a real server from the workbench', () => {
  let world: World
  let host: RunningHost
  let browser: Browser
  let page: Page
  let knownHosts: string

  beforeAll(async () => {
    world = await startWorld({ maxconn: 77, backlog: 33 })
    const dir = tempDir('headroom-e2e-ssh-')
    knownHosts = join(dir, 'known_hosts')
    writeFileSync(knownHosts, '')
    const sshConfig = join(dir, 'config')
    writeFileSync(sshConfig, `Host lab lab2\n  HostName 127.0.0.1\n  Port ${world.sshPort}\n  User root\n  IdentityFile ${join(dir, 'id_ed25519')}\n`)
    writeFileSync(join(dir, 'id_ed25519'), world.userKey, { mode: 0o600 })
    host = await startBrowserHostProcess({ HEADROOM_SSH_CONFIG: sshConfig, HEADROOM_KNOWN_HOSTS: knownHosts })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
  })
  afterAll(async () => {
    await browser?.close()
    await host?.stop()
    await world?.stop()
  })

  it('asks before trusting an unknown host key, then snapshots and shows limits next to usage', async () => {
    // some traffic through HAProxy first, so its stats have connect and response times to seed from
    if (world.haproxy) for (let i = 0; i < 20; i++) expect((await fetch(`http://127.0.0.1:${world.haproxy.port}/`)).status).toBe(200)
    await page.goto(host.url)
    await page.getByTestId('nav-connect').click()
    await page.getByTestId('connect-host').fill('lab') // the alias from the ssh config
    await page.getByTestId('connect-auth').selectOption('key')
    await page.getByLabel('private key', { exact: true }).fill(world.userKey)
    await page.getByLabel('counter sampling', { exact: true }).first().fill('1')
    if (world.haproxy) await page.getByLabel('HAProxy stats socket').fill(world.haproxy.statsSocket)
    await page.getByTestId('connect-go').click()

    const failure = page.getByTestId('connect-failure')
    await expect.poll(() => failure.textContent(), { timeout: 60_000 }).toMatch(/Unknown host key/)
    const fp = (await page.getByTestId('fingerprint').textContent()) ?? ''
    expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/)
    expect(readFileSync(knownHosts, 'utf8')).toBe('') // nothing trusted without the yes

    await page.getByTestId('trust-host').click()
    await page.getByTestId('snapshot-view').waitFor({ timeout: 90_000 })
    expect(readFileSync(knownHosts, 'utf8')).toContain(world.hostKeyBase64)

    // The HAProxy frontend's sessions are shown against its configured maxconn.
    const fe = page.locator('[data-testid^="usage-frontend"]').first()
    await expect.poll(() => fe.textContent()).toMatch(/77/)
    await page.screenshot({ path: join(ROOT, 'docs', 'screenshot-snapshot.png'), fullPage: false })

    await page.getByTestId('snapshot-whatif').click()
    await page.getByTestId('compare').waitFor({ timeout: 60_000 })
    await expect.poll(() => page.getByTestId('input-haproxy.globalMaxconn').inputValue()).toBe('77')
    // the baseline says what came from the server's measurements and what is assumed
    const seeded = (await page.getByTestId('provenance-seeded').textContent()) ?? ''
    expect(seeded).toMatch(/HAProxy's average connect time to be_test is [01] ms/)
    const assumed = (await page.getByTestId('provenance-assumed').textContent()) ?? ''
    expect(assumed).toMatch(/workers per server/)
    expect(assumed).toMatch(/RTT clients ↔ front/)
    await page.screenshot({ path: join(ROOT, 'docs', 'screenshot-whatif-snapshot.png'), fullPage: false })
  })

  it('snapshots several hosts in parallel with per-host outcomes, then compares two snapshots', async () => {
    await page.getByTestId('nav-connect').click()
    await page.getByLabel('hosts', { exact: true }).fill('lab2 nosuch.invalid')
    await page.getByTestId('fleet-form').getByLabel('counter sampling').fill('0')
    await page.getByRole('button', { name: 'Snapshot all' }).click()
    await expect.poll(() => page.getByTestId('fleet-lab2').textContent(), { timeout: 90_000 }).toMatch(/done.*open/)
    await expect.poll(() => page.getByTestId('fleet-nosuch.invalid').textContent(), { timeout: 90_000 }).toMatch(/failed/)
    await page.getByTestId('fleet-lab2').getByRole('button', { name: 'open' }).click()
    await page.getByTestId('snapshot-view').waitFor()
    const options = await page.getByTestId('compare-with').locator('option').allTextContents()
    expect(options.length).toBeGreaterThanOrEqual(2)
    await page.getByTestId('compare-with').selectOption({ index: 1 })
    await page.getByTestId('compare-go').click()
    // Two snapshots seconds apart: at least the counters moved.
    await expect.poll(async () => page.getByTestId('compare-table').locator('tbody tr').count(), { timeout: 30_000 }).toBeGreaterThan(0)
  })
})
