/**
 * PID files name the process only while it lives: PIDs wrap (pid_max 32768 here), so the lab's
 * crash clean-up must not SIGKILL a newer, unrelated process that got a stale file's PID.
 */
import { describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { startedBeforeFile } from '../../../main/lab/sys'

describe('PID files', () => {
  it('a process matches the PID file written when it started, not an older one (a reused PID)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'headroom-pid-'))
    const p = spawn('sleep', ['30'], { stdio: 'ignore' })
    try {
      const file = join(dir, 'x.pid')
      writeFileSync(file, `${p.pid}\n`)
      expect(startedBeforeFile(p.pid!, file)).toBe(true)
      // the same PID in a file written an hour before this process started: not ours to kill
      const hourAgo = (Date.now() - 3600_000) / 1000
      utimesSync(file, hourAgo, hourAgo)
      expect(startedBeforeFile(p.pid!, file)).toBe(false)
      // a PID nobody has
      writeFileSync(file, '4194304\n')
      expect(startedBeforeFile(4194304, file)).toBe(false)
    } finally {
      p.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
