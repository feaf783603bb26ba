/**
 * Run collector commands on this machine, the way sshd would (`/bin/sh -c COMMAND`, stdin
 * piped). Used for snapshots of the local host without SSH and by tests of the scripts.
 */
import { spawn } from 'node:child_process'
import type { CommandRunner } from './collect'
import type { ExecResult } from '../ssh/connection'

export const localRunner: CommandRunner = {
  exec(command, stdin, opts) {
    return new Promise<ExecResult>((resolve) => {
      const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] })
      const out: Buffer[] = []
      const err: Buffer[] = []
      let stopped: ExecResult['stopped'] = null
      const stop = (kind: 'timeout' | 'cancelled', message: string): void => {
        stopped = { kind, message }
        child.kill('SIGKILL')
      }
      const timer = setTimeout(() => stop('timeout', `no end of output after ${opts.timeoutMs} ms`), opts.timeoutMs)
      const onAbort = (): void => stop('cancelled', 'cancelled')
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      child.stdout.on('data', (d: Buffer) => out.push(d))
      child.stderr.on('data', (d: Buffer) => err.push(d))
      child.stdin.on('error', () => undefined)
      child.on('close', (code) => {
        clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, stopped })
      })
      child.stdin.end(stdin)
    })
  }
}
