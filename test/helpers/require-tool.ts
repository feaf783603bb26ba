/**
 * Real tools the integration tests start (sshd, haproxy, nginx). Outside CI a missing tool
 * skips the dependent tests; under CI=true it FAILS them, so a broken environment can never
 * pass silently.
 */
import { accessSync, constants, existsSync } from 'node:fs'
import { delimiter, join, resolve } from 'node:path'

/** Absolute path of a tool (absolute path or name looked up in PATH + sbin dirs), or null. */
export function findTool(name: string): string | null {
  const candidates = name.startsWith('/')
    ? [name]
    : [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin', '/bin'].filter(Boolean).map((d) => join(d, name))
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK)
      return c
    } catch {
      // try the next one
    }
  }
  return null
}

/**
 * The tool's path; null when missing outside CI (callers skip). Under CI=true a missing
 * tool throws, which fails the test file.
 */
export function requireTool(name: string): string | null {
  const p = findTool(name)
  if (p) return p
  if (process.env.CI === 'true') throw new Error(`required tool "${name}" is missing (CI=true: failing instead of skipping; install the Debian package)`)
  return null
}

/**
 * Root is needed to start sshd on its own config and create the test user. Outside CI a
 * non-root run skips (returns false); under CI=true it throws.
 */
export function requireRoot(): boolean {
  if (process.getuid?.() === 0) return true
  if (process.env.CI === 'true') throw new Error('these tests start sshd and need root (CI=true: failing instead of skipping)')
  return false
}

/**
 * The shared fidelity cases (../shared/fidelity/cases beside the repo), or null when they are
 * not there outside CI (callers skip); under CI=true a missing folder throws.
 */
export function sharedCasesDir(): string | null {
  const dir = resolve(__dirname, '../../../shared/fidelity/cases')
  if (existsSync(dir)) return dir
  if (process.env.CI === 'true') throw new Error(`fidelity cases missing at ${dir} (CI clones shared/ beside the repo)`)
  return null
}
