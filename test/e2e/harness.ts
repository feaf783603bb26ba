/**
 * End-to-end harness: the real browser host (`node out/main/cli.js --web`, as a user runs it)
 * and a real Chromium (Debian's, driven by playwright-core). Under CI=true a missing
 * Chromium or a missing build fails the test instead of skipping it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { tempDir } from '../helpers/tmp'

export const ROOT = new URL('../../', import.meta.url).pathname
export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic'
]

/** true when the end-to-end prerequisites exist; throws under CI=true when they do not. */
export function e2eAvailable(): boolean {
  const missing: string[] = []
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (Debian package chromium)`)
  if (!existsSync(join(ROOT, 'out', 'main', 'cli.js'))) missing.push('out/main/cli.js (run `npm run build`)')
  if (!missing.length) return true
  if (process.env['CI'] === 'true') throw new Error(`end-to-end prerequisites missing: ${missing.join(', ')}`)
  console.warn(`skipping end-to-end tests, missing: ${missing.join(', ')}`)
  return false
}

export interface RunningHost {
  url: string
  child: ChildProcess
  output: () => string
  stop(): Promise<void>
}

/** Start a command that prints the workbench URL; resolve once it has. */
export function startPrintingUrl(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningHost> {
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, HEADROOM_USER_DATA: tempDir('headroom-e2e-'), ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    child.kill('SIGTERM')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`no URL within 120 s; output:\n${out}`))
    }, 120_000)
    const onData = (b: Buffer): void => {
      out += b.toString()
      const m = /(http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({ url: m[1], child, output: () => out, stop })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before printing a URL; output:\n${out}`))
    })
  })
}

export function startBrowserHostProcess(env: NodeJS.ProcessEnv = {}): Promise<RunningHost> {
  return startPrintingUrl(process.execPath, [join(ROOT, 'out', 'main', 'cli.js'), '--web'], env)
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
}
