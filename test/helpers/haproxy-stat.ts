/**
 * `show stat` over a real HAProxy's stats socket, for the tests that start one: rows by
 * "proxy/server", every field as HAProxy printed it.
 */
import { connect } from 'node:net'

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
