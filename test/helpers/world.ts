/**
 * A throw-away "server" for integration tests and the bench: a real OpenSSH sshd, a real
 * HAProxy (stats socket in a temp dir, explicit maxconn that fits the fd limit) and a real
 * nginx (stub_status), all inside one private PID namespace
 * (`unshare --pid --fork --mount-proc --kill-child`), so a snapshot of 127.0.0.1 through
 * this sshd sees exactly these processes and nothing other engineers run on the machine.
 * Killing the unshare process (stop(), or to simulate "sshd died") ends everything in it.
 * Network: the host's loopback, random free ports. Files: a temp dir under os.tmpdir().
 *
 * Test user: `ensureTestUser()` creates the local user `headroom-t` once (idempotent:
 * useradd only if `id` fails) and sets a fresh random password each run; it is used for
 * password/keyboard-interactive logins and for the non-root "permission denied" case.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const TEST_USER = 'headroom-t'

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))))
    })
  })
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 10_000, proc?: ChildProcess, log?: () => string): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (proc && proc.exitCode !== null) throw new Error(`${what}: process exited (${proc.exitCode}) ${log?.() ?? ''}`)
    if (await check()) return
    await sleep(50)
  }
  throw new Error(`${what}: not ready after ${ms} ms ${log?.() ?? ''}`)
}

export const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const c = connect({ port, host: '127.0.0.1' })
    c.once('connect', () => {
      c.destroy()
      resolve(true)
    })
    c.once('error', () => resolve(false))
  })

/** Create the test user if missing; set and return a fresh password. */
export function ensureTestUser(): string {
  try {
    execFileSync('id', [TEST_USER], { stdio: 'ignore' })
  } catch {
    execFileSync('useradd', ['--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/sh', TEST_USER], { stdio: 'ignore' })
  }
  const password = `Hr-${randomBytes(9).toString('base64url')}`
  execFileSync('chpasswd', [], { input: `${TEST_USER}:${password}\n` })
  return password
}

export interface WorldOptions {
  /** HAProxy global maxconn (explicit: root here cannot raise the hard fd limit). */
  maxconn?: number
  /** Frontend bind backlog. */
  backlog?: number
  /** Leave the stats socket out of the config (the "stats socket missing" fault). */
  noStatsSocket?: boolean
  /** A TCP stats socket (`stats socket ipv4@127.0.0.1:PORT`) instead of the unix one. */
  statsTcp?: boolean
  /** HAProxy nbthread (default 1); null leaves it out, so HAProxy picks its own (2.x: one per CPU). */
  nbthread?: number | null
  /** nginx listen backlog=. */
  nginxBacklog?: number
  /** Start HAProxy / nginx (default both). */
  haproxy?: boolean
  nginx?: boolean
  /** Split haproxy.cfg: global+defaults in haproxy.cfg, proxies in conf.d/ (`-f FILE -f DIR`). */
  splitConfig?: boolean
  /** Also a real php-fpm pool behind nginx (unix socket, listen.backlog 511, status page). */
  phpFpm?: boolean
  /** sshd: allow password + keyboard-interactive (needs ensureTestUser). */
  passwords?: boolean
}

export interface World {
  dir: string
  sshPort: number
  /** `[127.0.0.1]:PORT ssh-ed25519 AAAA...` line for a known_hosts file. */
  knownHostsLine: string
  /** The same for the server's second host key (RSA). */
  knownHostsLineRsa: string
  hostKeyType: string
  hostKeyBase64: string
  /** Unencrypted OpenSSH ed25519 user key (authorized for root and the test user). */
  userKey: string
  /** RSA key in PEM format, encrypted with `pemPassphrase`. */
  pemKey: string
  pemPassphrase: string
  haproxy: { port: number; statsSocket: string; configPath: string; maxconn: number; backlog: number; statsHttpUrl: string } | null
  nginx: { port: number; backlog: number; statusUrl: string } | null
  phpFpm: { socket: string; configPath: string; statusUrl: string; maxChildren: number } | null
  /** PID (host namespace) of the unshare process that holds everything. */
  pid: number
  log(): string
  /** Kill everything (idempotent) and remove the temp dir. */
  stop(): Promise<void>
  /** Kill everything but keep the files (sshd "dies"). */
  kill(): void
}

/**
 * Start a world; one retry with fresh ports and keys, because a port picked by freePort() can
 * be taken by another test between the pick and the daemon's bind. A real failure fails twice.
 */
export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  try {
    return await startWorldOnce(opts)
  } catch (first) {
    try {
      return await startWorldOnce(opts)
    } catch (second) {
      throw new Error(`${(second as Error).message}\n(first attempt: ${(first as Error).message.slice(0, 500)})`)
    }
  }
}

async function startWorldOnce(opts: WorldOptions): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-world-'))
  chmodSync(dir, 0o755)
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  const sshPort = await freePort()
  const keygen = (args: string[]): void => {
    execFileSync('ssh-keygen', ['-q', ...args], { stdio: 'ignore' })
  }
  keygen(['-t', 'ed25519', '-N', '', '-C', 'headroom-test-host', '-f', join(dir, 'host_ed25519')])
  keygen(['-t', 'rsa', '-b', '2048', '-N', '', '-C', 'headroom-test-host-rsa', '-f', join(dir, 'host_rsa')])
  keygen(['-t', 'ed25519', '-N', '', '-C', 'headroom-test-user', '-f', join(dir, 'user_ed25519')])
  const pemPassphrase = `pp-${randomBytes(6).toString('hex')}`
  keygen(['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', pemPassphrase, '-C', 'headroom-test-pem', '-f', join(dir, 'user_rsa_pem')])
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_ed25519.pub'), 'utf8') + readFileSync(join(dir, 'user_rsa_pem.pub'), 'utf8'), { mode: 0o644 })
  const [hostKeyType, hostKeyBase64] = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/) as [string, string]
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${sshPort}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `HostKey ${join(dir, 'host_rsa')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      // The temp dir lives under world-writable /tmp, which StrictModes would reject.
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      `PasswordAuthentication ${opts.passwords ? 'yes' : 'no'}`,
      `KbdInteractiveAuthentication ${opts.passwords ? 'yes' : 'no'}`,
      'UsePAM yes',
      'PrintMotd no',
      'LogLevel VERBOSE',
      'MaxStartups 100:30:200',
      'MaxSessions 50',
      ''
    ].join('\n')
  )

  const parts: string[] = []
  let haproxy: World['haproxy'] = null
  let nginx: World['nginx'] = null
  let nginxPort = 0
  let phpFpm: World['phpFpm'] = null
  const phpBin = ['php-fpm8.2', 'php-fpm'].map((b) => ['/usr/sbin/', '/usr/bin/'].map((d) => d + b)).flat().find((b) => existsSync(b))
  if (opts.phpFpm) {
    if (!phpBin) throw new Error('php-fpm is not installed')
    const socket = join(dir, 'php.sock')
    mkdirSync(join(dir, 'pool.d'), { recursive: true })
    writeFileSync(join(dir, 'php-fpm.conf'), `[global]\npid = ${join(dir, 'php-fpm.pid')}\nerror_log = ${join(dir, 'php-fpm.log')}\ndaemonize = no\ninclude = ${join(dir, 'pool.d')}/*.conf\n`)
    writeFileSync(join(dir, 'pool.d', 'www.conf'), `; test pool (headroom world)\n[www]\nlisten = ${socket}\nlisten.backlog = 511\nlisten.mode = 0666\npm = static\npm.max_children = 2\npm.status_path = /fpm-status\n`)
    parts.push(`${phpBin} -R -F -y ${join(dir, 'php-fpm.conf')} -p ${dir} >>${join(dir, 'php-fpm.out')} 2>&1 &`)
    phpFpm = { socket, configPath: join(dir, 'php-fpm.conf'), statusUrl: '', maxChildren: 2 }
  }
  if (opts.nginx !== false) {
    nginxPort = await freePort()
    const backlog = opts.nginxBacklog ?? 100
    mkdirSync(join(dir, 'nginx'), { recursive: true })
    writeFileSync(
      join(dir, 'nginx.conf'),
      `# test nginx (headroom world)
worker_processes 1;
pid ${join(dir, 'nginx', 'nginx.pid')};
error_log ${join(dir, 'nginx', 'error.log')};
events {
    worker_connections 256;
}
http {
    access_log off;
    client_body_temp_path ${join(dir, 'nginx')};
    server {
        listen 127.0.0.1:${nginxPort} backlog=${backlog};
        location = /nginx_status { stub_status; }
${phpFpm ? `        location = /fpm-status {\n            include /etc/nginx/fastcgi_params;\n            fastcgi_param SCRIPT_FILENAME /fpm-status;\n            fastcgi_pass unix:${phpFpm.socket};\n        }\n` : ''}        location / { return 200 "ok\\n"; }
    }
}
`
    )
    parts.push(`nginx -c ${join(dir, 'nginx.conf')} -p ${join(dir, 'nginx')} -g "daemon off;" >>${join(dir, 'nginx.out')} 2>&1 &`)
    nginx = { port: nginxPort, backlog, statusUrl: `http://127.0.0.1:${nginxPort}/nginx_status` }
    if (phpFpm) phpFpm.statusUrl = `http://127.0.0.1:${nginxPort}/fpm-status`
  }
  if (opts.haproxy !== false) {
    const port = await freePort()
    const statsHttpPort = await freePort()
    const statsTcpPort = await freePort()
    const maxconn = opts.maxconn ?? 300
    const backlog = opts.backlog ?? 64
    const statsSocket = join(dir, 'haproxy.sock')
    const configPath = join(dir, 'haproxy.cfg')
    const text =
      `# test HAProxy (headroom world): explicit maxconn that fits the fd limit
global
    maxconn ${maxconn}
${opts.nbthread === null ? '' : `    nbthread ${opts.nbthread ?? 1}\n`}${opts.noStatsSocket ? '' : opts.statsTcp ? `    stats socket ipv4@127.0.0.1:${statsTcpPort} level admin\n` : `    stats socket ${statsSocket} mode 600 level admin\n`}
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout queue 3s

frontend fe_test
    bind 127.0.0.1:${port} backlog ${backlog}
    maxconn ${maxconn}
    default_backend be_test

backend be_test
    server s1 127.0.0.1:${nginxPort || 9} maxconn 20 maxqueue 50

listen stats
    bind 127.0.0.1:${statsHttpPort}
    stats enable
    stats uri /stats

# a secret the snapshot must not keep (main/snapshot/redact.ts)
userlist ops
    user alice insecure-password w0rld-pa55
`
    let args = `-f ${configPath}`
    if (opts.splitConfig) {
      const at = text.indexOf('frontend fe_test')
      mkdirSync(join(dir, 'conf.d'))
      writeFileSync(configPath, text.slice(0, at))
      writeFileSync(join(dir, 'conf.d', '10-proxies.cfg'), `# proxies (conf.d)\n${text.slice(at)}`)
      args += ` -f ${join(dir, 'conf.d')}`
    } else writeFileSync(configPath, text)
    parts.push(`haproxy -db ${args} >>${join(dir, 'haproxy.out')} 2>&1 &`)
    haproxy = { port, statsSocket, configPath, maxconn, backlog, statsHttpUrl: `http://127.0.0.1:${statsHttpPort}/stats;csv` }
  }
  parts.push(`exec /usr/sbin/sshd -D -e -f ${join(dir, 'sshd_config')} >>${join(dir, 'sshd.out')} 2>&1`)
  writeFileSync(join(dir, 'start.sh'), parts.join('\n') + '\n')
  const proc = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', '/bin/sh', join(dir, 'start.sh')], { stdio: 'ignore', detached: false })
  const log = (): string =>
    ['sshd.out', 'haproxy.out', 'nginx.out', 'php-fpm.out']
      .map((f) => (existsSync(join(dir, f)) ? `--- ${f}\n${readFileSync(join(dir, f), 'utf8').slice(-2000)}` : ''))
      .join('\n')
  let stopped = false
  const kill = (): void => {
    if (stopped) return
    stopped = true
    try {
      proc.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
  const world: World = {
    dir,
    sshPort,
    knownHostsLine: `[127.0.0.1]:${sshPort} ${hostKeyType} ${hostKeyBase64}`,
    knownHostsLineRsa: `[127.0.0.1]:${sshPort} ${readFileSync(join(dir, 'host_rsa.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')}`,
    hostKeyType,
    hostKeyBase64,
    userKey: readFileSync(join(dir, 'user_ed25519'), 'utf8'),
    pemKey: readFileSync(join(dir, 'user_rsa_pem'), 'utf8'),
    pemPassphrase,
    haproxy,
    nginx,
    phpFpm,
    pid: proc.pid ?? -1,
    log,
    kill,
    async stop() {
      kill()
      await new Promise<void>((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', () => r())))
      rmSync(dir, { recursive: true, force: true })
    }
  }
  try {
    await waitFor('sshd', () => portOpen(sshPort), 30_000, proc, log)
    if (haproxy) {
      const h = haproxy
      const out = join(dir, 'haproxy.out')
      await waitFor('haproxy', async () => {
        if (existsSync(out) && /\[ALERT\]/.test(readFileSync(out, 'utf8'))) throw new Error(`haproxy failed to start: ${log()}`)
        return (await portOpen(h.port)) && (opts.noStatsSocket || (opts.statsTcp ? true : existsSync(h.statsSocket)))
      }, 30_000, proc, log)
    }
    if (nginx) await waitFor('nginx', () => portOpen(nginxPort), 30_000, proc, log)
    if (phpFpm) {
      const sock = phpFpm.socket
      await waitFor('php-fpm', () => existsSync(sock), 30_000, proc, log)
    }
  } catch (e) {
    await world.stop()
    throw e
  }
  return world
}
