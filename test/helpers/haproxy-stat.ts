/**
 * A real HAProxy for the tests that start one: started in the foreground on a config, and
 * `show stat` over its stats socket: rows by "proxy/server", every field as HAProxy printed it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { portOpen } from './world'

/** Writes `cfg` to dir/haproxy.cfg, starts `haproxy -db` on it and waits (10 s at most) until `port` accepts. */
export async function startHaproxy(haproxy: string, dir: string, cfg: readonly string[], port: number): Promise<ChildProcess> {
  writeFileSync(join(dir, 'haproxy.cfg'), cfg.join('\n') + '\n')
  const proc = spawn(haproxy, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: 'ignore' })
  const end = Date.now() + 10_000
  while (!(await portOpen(port))) {
    if (Date.now() > end || proc.exitCode !== null) {
      proc.kill('SIGKILL')
      throw new Error('haproxy did not start')
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return proc
}

export type StatRow = Record<string, string>

export function showStat(sock: string): Promise<Record<string, StatRow>> {
  return new Promise((resolve, reject) => {
    const c = connect({ path: sock })
    let buf = ''
    c.on('data', (d) => (buf += d.toString()))
    c.on('error', reject)
    c.on('end', () => {
      const lines = buf.trim().split('\n')
      const head = lines[0]!.replace(/^# /, '').split(',')
      const out: Record<string, StatRow> = {}
      for (const l of lines.slice(1)) {
        const v = l.split(',')
        out[`${v[0]}/${v[1]}`] = Object.fromEntries(head.map((h, i) => [h, v[i] ?? '']))
      }
      resolve(out)
    })
    c.write('show stat\n')
  })
}

/** The same rows with the numeric fields only, as numbers. */
export async function showStatNumbers(sock: string): Promise<Record<string, Record<string, number>>> {
  const rows = await showStat(sock)
  return Object.fromEntries(Object.entries(rows).map(([k, r]) => [k, Object.fromEntries(Object.entries(r).filter(([, v]) => /^\d+$/.test(v)).map(([f, v]) => [f, Number(v)]))]))
}
