/**
 * nginx: `nginx -v`, `nginx -T` (every included file, each after a `# configuration file
 * PATH:` line) and the stub_status page. Only the directives the model uses are extracted:
 * worker_processes, worker_connections, worker_rlimit_nofile, listen (backlog=) and fastcgi_pass.
 */
import { clip, guard, int, lines, okItem, parseError, type Item } from './common'

export type NginxConfig = {
  text: string
  files: string[]
  workerProcesses: number | 'auto' | null
  workerConnections: number | null
  workerRlimitNofile: number | null
  listens: Array<{ addr: string; port: number | null; backlog: number | null; file: string; line: number; raw: string }>
  fastcgiPass: string[]
  /**
   * Every `location` block of an http `server`: its match (modifier '' for a plain prefix, '=',
   * '^~', '~', '~*'), the ports its server listens on, and whether nginx answers it itself
   * (`return` or `stub_status`, no fastcgi/proxy/uwsgi/scgi/grpc pass), with the status.
   */
  locations?: NginxLocation[]
}

export type NginxLocation = { modifier: '' | '=' | '^~' | '~' | '~*'; path: string; ports: number[]; answers: number | null; passes: boolean; file: string; line: number }

/** `nginx version: nginx/1.22.1` (on stderr) => `1.22.1`. */
export function parseNginxVersion(text: string): Item<string> {
  const m = /nginx version: [\w.-]*\/(\S+)/.exec(text)
  return m ? okItem(m[1]!) : parseError(`not an nginx -v output: ${clip(text)}`)
}

type Directive = { name: string; args: string[]; parents: string[]; line: number; raw: string; /** index of the enclosing block's directive in the list, -1 at the top or in an unnamed block */ parent: number }

/** Directives of one file with their block context; comments and quotes handled. */
export function nginxDirectives(text: string): Directive[] {
  const out: Directive[] = []
  const stack: string[] = []
  const at: number[] = []
  let words: string[] = []
  let word: string | null = null
  let startLine = 1
  let line = 1
  let q: string | null = null
  const ls = lines(text)
  const flushWord = (): void => {
    if (word !== null) {
      if (words.length === 0) startLine = line
      words.push(word)
    }
    word = null
  }
  for (let li = 0; li < ls.length; li++) {
    line = li + 1
    const s = ls[li]!
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!
      if (q) {
        if (c === '\\' && i + 1 < s.length) word += s[++i]!
        else if (c === q) q = null
        else word += c
        continue
      }
      if (c === '#' && word === null) break
      if (c === '"' || c === "'") {
        q = c
        word = word ?? ''
      } else if (c === ' ' || c === '\t') flushWord()
      else if (c === ';' || c === '{' || c === '}') {
        flushWord()
        if (c === '}') {
          stack.pop()
          at.pop()
          words = []
          continue
        }
        if (words.length) {
          const [name, ...args] = words as [string, ...string[]]
          out.push({ name, args, parents: [...stack], line: startLine, raw: ls[startLine - 1]!.trim(), parent: at.at(-1) ?? -1 })
          if (c === '{') {
            stack.push(name)
            at.push(out.length - 1)
          }
        } else if (c === '{') {
          stack.push('')
          at.push(-1)
        }
        words = []
      } else word = (word ?? '') + c
    }
    if (q && word !== null) word += '\n'
    else flushWord()
  }
  return out
}

/** Split an `nginx -T` dump into its files. */
export function splitNginxDump(text: string): Array<{ path: string; text: string }> {
  const files: Array<{ path: string; text: string[] }> = []
  for (const l of lines(text)) {
    const m = /^# configuration file (.+):$/.exec(l)
    if (m) files.push({ path: m[1]!, text: [] })
    else if (files.length) files[files.length - 1]!.text.push(l)
  }
  return files.map((f) => ({ path: f.path, text: f.text.join('\n') }))
}

/** `80`, `127.0.0.1:8080`, `[::]:80`, `*:80`, `unix:/run/x.sock`, `localhost` => addr + port. */
function listenAddr(a: string): { addr: string; port: number | null } {
  if (a.startsWith('unix:')) return { addr: a, port: null }
  if (/^\d+$/.test(a)) return { addr: '*', port: Number(a) }
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(a)
  if (m) return { addr: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) }
  if (a.startsWith('[')) return { addr: a.replace(/^\[|\]$/g, ''), port: 80 }
  return { addr: a, port: 80 }
}

/** Parse `nginx -T` output. */
export function parseNginxDump(text: string): Item<NginxConfig> {
  return guard('nginx -T', () => {
    const files = splitNginxDump(text)
    if (files.length === 0) return parseError(`no "# configuration file" sections in nginx -T output: ${clip(text)}`)
    const cfg: NginxConfig = { text, files: files.map((f) => f.path), workerProcesses: null, workerConnections: null, workerRlimitNofile: null, listens: [], fastcgiPass: [], locations: [] }
    for (const f of files) {
      const ds = nginxDirectives(f.text)
      cfg.locations!.push(...locationsOf(ds, f.path))
      for (const d of ds) {
        const top = d.parents.length === 0
        if (d.name === 'worker_processes' && top) cfg.workerProcesses = d.args[0] === 'auto' ? 'auto' : int(d.args[0])
        else if (d.name === 'worker_rlimit_nofile' && top) cfg.workerRlimitNofile = int(d.args[0])
        else if (d.name === 'worker_connections' && (d.parents.at(-1) === 'events' || top)) cfg.workerConnections = int(d.args[0])
        else if (d.name === 'listen' && d.args[0] && d.parents.at(-1) !== 'mail') {
          const b = d.args.find((x) => x.startsWith('backlog='))
          cfg.listens.push({ ...listenAddr(d.args[0]), backlog: b ? int(b.slice(8)) : null, file: f.path, line: d.line, raw: d.raw })
        } else if (d.name === 'fastcgi_pass' && d.args[0]) {
          if (!cfg.fastcgiPass.includes(d.args[0])) cfg.fastcgiPass.push(d.args[0])
        }
      }
    }
    return okItem(cfg)
  })
}

const PASS = /^(fastcgi|proxy|uwsgi|scgi|grpc|memcached)_pass$/

/** The `location` blocks of one file's directives, with their server's listen ports and what answers them. */
function locationsOf(ds: Directive[], file: string): NginxLocation[] {
  const out: NginxLocation[] = []
  const serverOf = (i: number): number => {
    for (let p = ds[i]!.parent; p >= 0; p = ds[p]!.parent) if (ds[p]!.name === 'server') return p
    return -1
  }
  ds.forEach((d, i) => {
    if (d.name !== 'location' || d.parents.includes('stream') || d.parents.includes('mail') || d.args.length === 0) return
    const srv = serverOf(i)
    if (srv < 0) return
    const [a0, a1] = d.args as [string, string | undefined]
    const modifier = a1 !== undefined && (a0 === '=' || a0 === '^~' || a0 === '~' || a0 === '~*') ? a0 : ''
    const path = modifier ? a1! : a0
    const ports = ds.filter((x) => x.name === 'listen' && x.parent === srv && x.args[0]).map((x) => listenAddr(x.args[0]!).port).filter((p): p is number => p !== null)
    // directly in this location (not in a nested one)
    const own = ds.filter((x) => x.parent === i)
    const ret = own.find((x) => x.name === 'return')
    const code = ret ? int(ret.args[0]) : null
    const answers = code !== null ? code : own.some((x) => x.name === 'stub_status') ? 200 : ret ? 302 : null
    out.push({ modifier, path, ports: ports.length ? ports : [80], answers, passes: own.some((x) => PASS.test(x.name)), file, line: d.line })
  })
  return out
}

/**
 * The location nginx picks for a request to `uri` on `port` (ngx_http_core_find_location): an
 * exact `=` match; else the longest prefix, which wins when it is `^~`; else the first regular
 * expression that matches, in file order; else that longest prefix. null: no location matches.
 */
export function nginxLocationFor(cfg: NginxConfig, uri: string, port: number | null): NginxLocation | null {
  const path = uri.split('?')[0]!
  const all = cfg.locations ?? []
  const here = port === null || !all.some((l) => l.ports.includes(port)) ? all : all.filter((l) => l.ports.includes(port))
  const exact = here.find((l) => l.modifier === '=' && l.path === path)
  if (exact) return exact
  let best: NginxLocation | null = null
  for (const l of here) if ((l.modifier === '' || l.modifier === '^~') && path.startsWith(l.path) && (!best || l.path.length > best.path.length)) best = l
  if (best && best.modifier === '^~') return best
  for (const l of here) {
    if (l.modifier !== '~' && l.modifier !== '~*') continue
    try {
      if (new RegExp(l.path, l.modifier === '~*' ? 'i' : '').test(path)) return l
    } catch {
      // a PCRE construct JavaScript cannot read: skip it
    }
  }
  return best
}

/** stub_status: `Active connections: N` / `server accepts handled requests` / `a h r` / `Reading: x Writing: y Waiting: z`. */
export function parseStubStatus(text: string): Item<{ active: number; accepts: number; handled: number; requests: number; reading: number; writing: number; waiting: number }> {
  const a = /Active connections:\s*(\d+)/.exec(text)
  const t = /accepts handled requests\s*\n\s*(\d+)\s+(\d+)\s+(\d+)/.exec(text.replace(/\r/g, ''))
  const r = /Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)/.exec(text)
  if (!a || !t || !r) return parseError(`not a stub_status page: ${clip(text)}`)
  return okItem({ active: Number(a[1]), accepts: Number(t[1]), handled: Number(t[2]), requests: Number(t[3]), reading: Number(r[1]), writing: Number(r[2]), waiting: Number(r[3]) })
}
