/**
 * Run collector commands on this machine, the way sshd would (`/bin/sh -c COMMAND`, stdin
 * and stdout piped). Used for snapshots of the local host without SSH and by tests of the scripts.
 */
import { spawn } from 'node:child_process'
import type { CommandRunner } from './collect'
import { CommandHandle } from '../ssh/command-handle'

export const localRunner: CommandRunner = {
  start(command, opts = {}) {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] })
    const h = new CommandHandle(
      {
        write: (s) => child.stdin.write(s),
        end: () => child.stdin.end(),
        kill: () => child.kill('SIGKILL')
      },
      opts
    )
    child.stdout.on('data', (d: Buffer) => h.data(d))
    child.stderr.on('data', (d: Buffer) => h.stderr(d))
    child.stdin.on('error', () => undefined)
    child.on('close', (code) => h.finish(code))
    return h
  }
}
