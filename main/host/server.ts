/**
 * The browser host: the same workbench and the same API as the desktop app, served over
 * HTTP + WebSocket to a browser on this machine only.
 *
 * Security decisions (each one tested in test/main/host/server.test.ts):
 *  - binds 127.0.0.1 only; never 0.0.0.0 or ::.
 *  - a random per-launch token (256 bits) is required on every API request (Authorization:
 *    Bearer) and on the event socket (as a WebSocket subprotocol, since browsers cannot set
 *    headers there). Static files carry no data and need no token; the token reaches the page
 *    in the URL fragment, which browsers never send to servers or in Referer.
 *  - the Host header must name this listener (127.0.0.1:PORT or localhost:PORT): defeats DNS
 *    rebinding, where a foreign site's name resolves to 127.0.0.1.
 *  - an Origin header, when present, must be this listener's origin; API calls must be
 *    `application/json` POSTs, so a cross-site form cannot reach them. No CORS headers at all.
 *  - strict CSP on every page, request bodies capped, paths confined to the renderer folder.
 */
import http from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { encodeWire, decodeWire } from '../api/codec'
import type { Dispatch } from '../api/dispatch'
import type { ApiEvents, EventName } from '../api/contract'

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

const TOKEN_PROTOCOL_PREFIX = 'headroom-token.'
// Above the largest argument any call accepts (snapshot.import: 64 MB of JSON).
const MAX_BODY = 72 * 1024 * 1024

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2'
}

export interface BrowserHostOptions {
  dispatch: Dispatch
  /** Folder with the built renderer (index.html + assets). */
  rendererDir: string
  /** 0 (default) picks a free port. */
  port?: number
  /** Fixed token for tests; a random one otherwise. */
  token?: string
}

export interface BrowserHost {
  url: string
  port: number
  token: string
  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void
  close(): Promise<void>
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}

/** Start the browser host on 127.0.0.1. Resolves once it is listening. */
export async function startBrowserHost(opts: BrowserHostOptions): Promise<BrowserHost> {
  const token = opts.token ?? randomBytes(32).toString('base64url')
  const rendererDir = resolve(opts.rendererDir)
  let port = 0

  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`]
  const allowedOrigins = (): string[] => allowedHosts().map((h) => `http://${h}`)

  const hostOk = (req: http.IncomingMessage): boolean => allowedHosts().includes(String(req.headers.host ?? '').toLowerCase())
  const originOk = (req: http.IncomingMessage): boolean => {
    const origin = req.headers.origin
    return origin === undefined || allowedOrigins().includes(origin)
  }

  const send = (res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
    res.writeHead(status, {
      'Content-Type': type,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Content-Security-Policy': CSP
    })
    res.end(body)
  }

  const serveStatic = async (res: http.ServerResponse, urlPath: string): Promise<void> => {
    let rel = decodeURIComponent(urlPath)
    if (rel === '/' || rel === '') rel = '/index.html'
    const file = normalize(join(rendererDir, rel))
    if (!file.startsWith(rendererDir + sep)) return send(res, 403, 'forbidden')
    try {
      const st = await stat(file)
      if (!st.isFile()) return send(res, 404, 'not found')
      const body = await readFile(file)
      res.writeHead(200, {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Content-Security-Policy': CSP
      })
      res.end(body)
    } catch {
      send(res, 404, 'not found')
    }
  }

  const readBody = (req: http.IncomingMessage): Promise<string> =>
    new Promise((ok, fail) => {
      const chunks: Buffer[] = []
      let size = 0
      req.on('data', (c: Buffer) => {
        size += c.length
        if (size > MAX_BODY) {
          fail(new Error('request body too large'))
          req.destroy()
        } else chunks.push(c)
      })
      req.on('end', () => ok(Buffer.concat(chunks).toString('utf8')))
      req.on('error', fail)
    })

  const server = http.createServer((req, res) => {
    void (async () => {
      if (!hostOk(req)) return send(res, 421, 'wrong Host header')
      if (!originOk(req)) return send(res, 403, 'foreign Origin')
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      if (url.pathname.startsWith('/api/')) {
        const auth = String(req.headers.authorization ?? '')
        if (!auth.startsWith('Bearer ') || !safeEqual(auth.slice(7), token)) return send(res, 401, 'missing or wrong token')
        const m = /^\/api\/call\/([a-z]+\.[A-Za-z]+)$/.exec(url.pathname)
        if (!m) return send(res, 404, 'no such endpoint')
        if (req.method !== 'POST') return send(res, 405, 'POST only')
        if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, 415, 'application/json only')
        let args: unknown
        try {
          args = decodeWire(await readBody(req))
        } catch (err) {
          return send(res, 400, `bad request body: ${(err as Error).message}`)
        }
        const reply = await opts.dispatch(m[1], args)
        return send(res, 200, encodeWire(reply), 'application/json')
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed')
      return serveStatic(res, url.pathname)
    })().catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, `internal error: ${(err as Error).message}`)
    })
  })

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    handleProtocols: (protocols) => {
      for (const p of protocols) if (p.startsWith(TOKEN_PROTOCOL_PREFIX)) return p
      return false
    }
  })
  const clients = new Set<WebSocket>()

  server.on('upgrade', (req, socket, head) => {
    const reject = (code: number, text: string): void => {
      socket.write(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      socket.destroy()
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (!hostOk(req)) return reject(421, 'Misdirected Request')
    if (!originOk(req)) return reject(403, 'Forbidden')
    if (url.pathname !== '/api/events') return reject(404, 'Not Found')
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
    const presented = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))
    if (!presented || !safeEqual(presented.slice(TOKEN_PROTOCOL_PREFIX.length), token)) return reject(401, 'Unauthorized')
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws)
      ws.on('close', () => clients.delete(ws))
      // The socket is push-only; anything the page sends is ignored.
      ws.on('message', () => undefined)
    })
  })

  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok())
  })
  const addr = server.address()
  port = typeof addr === 'object' && addr ? addr.port : 0

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/#token=${token}`,
    emit(event, payload) {
      const msg = encodeWire({ event, payload })
      for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(msg)
    },
    async close() {
      for (const ws of clients) ws.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((ok) => server.close(() => ok()))
    }
  }
}
