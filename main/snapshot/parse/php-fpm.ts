/**
 * php-fpm: `php-fpm -v`, pool files (INI: `[pool]` sections, `key = value`, `;` comments)
 * and the status page (plain text or `?json`).
 */
import type { z } from 'zod'
import type { PhpFpmPoolSchema } from '../schema'
import { clip, guard, int, lines, okItem, parseError, type Item } from './common'

export type PhpFpmPool = z.infer<typeof PhpFpmPoolSchema>

/** `PHP 8.2.36 (fpm-fcgi) (built: ...)` => `8.2.36`. */
export function parsePhpFpmVersion(text: string): Item<string> {
  const m = /PHP (\d+\.\d+\.\d+\S*) \(fpm/.exec(text)
  return m ? okItem(m[1]!) : parseError(`not a php-fpm -v output: ${clip(text)}`)
}

/** Pools defined in php-fpm config files (the [global] section is skipped). */
export function parsePhpFpmPools(files: Array<{ path: string; text: string }>): Item<PhpFpmPool[]> {
  return guard('php-fpm pools', () => {
    const pools: PhpFpmPool[] = []
    for (const f of files) {
      let cur: PhpFpmPool | null = null
      const kv = new Map<string, string>()
      const finish = (): void => {
        if (!cur) return
        const g = (k: string): string | null => kv.get(k) ?? null
        const name = cur.name
        cur.listen = g('listen')?.replace(/\$pool/g, name) ?? null
        cur.listenBacklog = int(g('listen.backlog') ?? undefined)
        cur.pm = g('pm')
        cur.maxChildren = int(g('pm.max_children') ?? undefined)
        cur.startServers = int(g('pm.start_servers') ?? undefined)
        cur.minSpareServers = int(g('pm.min_spare_servers') ?? undefined)
        cur.maxSpareServers = int(g('pm.max_spare_servers') ?? undefined)
        cur.maxRequests = int(g('pm.max_requests') ?? undefined)
        cur.statusPath = g('pm.status_path')
        cur.requestTerminateTimeout = g('request_terminate_timeout')
        pools.push(cur)
        kv.clear()
      }
      for (const l of lines(f.text)) {
        const t = l.trim()
        if (t === '' || t.startsWith(';') || t.startsWith('#')) continue
        const sec = /^\[(.+)\]$/.exec(t)
        if (sec) {
          finish()
          cur = sec[1] === 'global' ? null : { name: sec[1]!, file: f.path, listen: null, listenBacklog: null, pm: null, maxChildren: null, startServers: null, minSpareServers: null, maxSpareServers: null, maxRequests: null, statusPath: null, requestTerminateTimeout: null }
          continue
        }
        const eq = t.indexOf('=')
        if (eq < 0 || !cur) continue
        let v = t.slice(eq + 1).trim()
        const q = v[0]
        if ((q === '"' || q === "'") && v.indexOf(q, 1) > 0) v = v.slice(1, v.indexOf(q, 1))
        else {
          const sc = v.search(/\s;/)
          if (sc >= 0) v = v.slice(0, sc).trim()
        }
        kv.set(t.slice(0, eq).trim(), v)
      }
      finish()
    }
    return okItem(pools)
  })
}

/** The status page: `pool: www` ... `listen queue: 0` ... (text) or the `?json` object. */
export function parsePhpFpmStatus(text: string): Item<Record<string, number | string>> {
  return guard('php-fpm status', () => {
    const t = text.trim()
    const out: Record<string, number | string> = {}
    if (t.startsWith('{')) {
      const j = JSON.parse(t) as Record<string, unknown>
      for (const [k, v] of Object.entries(j)) if (typeof v === 'number' || typeof v === 'string') out[k] = v
    } else {
      for (const l of lines(t)) {
        const i = l.indexOf(':')
        if (i <= 0) continue
        const k = l.slice(0, i).trim()
        const v = l.slice(i + 1).trim()
        out[k] = /^-?\d+$/.test(v) ? Number(v) : v
      }
    }
    if (!('pool' in out) || !('listen queue' in out)) return parseError(`not a php-fpm status page: ${clip(t)}`)
    return okItem(out)
  })
}
