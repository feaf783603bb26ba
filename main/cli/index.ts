/**
 * `headroom`: the command-line entry (plain Node, no Electron).
 *
 *   headroom [--web] [--port N]                 serve the workbench to a browser on 127.0.0.1
 *   headroom simulate --scenario FILE [--json]  run a scenario (or --case FILE --json for a fidelity case)
 *   headroom snapshot HOST [--json] [--out F]   snapshot a server over SSH
 *
 * Sub-commands share the very code the workbench runs.
 */
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { homedir } from 'node:os'
import { createService } from '../api/service'
import { startBrowserHost } from '../host/server'
import { VERSION } from '../version'

export interface Io {
  stdout: (s: string) => void
  stderr: (s: string) => void
}

const here = fileURLToPath(new URL('.', import.meta.url))
const appRoot = join(here, '..', '..')

const USAGE = `headroom ${VERSION}: capacity-planning workbench for Linux servers behind HAProxy and nginx

usage:
  headroom [--web] [--port N]                   serve the workbench on http://127.0.0.1 (browser host)
  headroom simulate --scenario FILE [--json]    simulate a scenario file
  headroom simulate --case FILE --json          predict a fidelity case (shared/fidelity format)
  headroom snapshot HOST [--json] [--out FILE]  snapshot a server over SSH (read-only)
  headroom plan --snapshot FILE --scenario FILE --out DIR
                                                tuning plan: plan.md/html/pdf, apply.sh, rollback.sh, files
  headroom lab --scenario FILE [--runs N] [--out FILE]
                                                replay a scenario on the real kernel + HAProxy in network
                                                namespaces (Linux, root); --compare FILE, --report
  headroom --version | --help
`

/** Default per-user data folder for the browser host (the desktop app uses Electron's userData). */
export function defaultUserDataDir(): string {
  const xdg = process.env['XDG_DATA_HOME']
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.local', 'share'), 'headroom')
}

async function web(argv: string[], io: Io): Promise<number> {
  let port = 0
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--web') continue
    if (a === '--port') {
      const v = Number(argv[++i])
      if (!Number.isInteger(v) || v < 0 || v > 65535) {
        io.stderr(`headroom: --port needs a number 0..65535, got ${JSON.stringify(argv[i] ?? '')}\n`)
        return 2
      }
      port = v
    } else {
      io.stderr(`headroom: unknown option ${a}\n${USAGE}`)
      return 2
    }
  }
  const service = createService({
    hostKind: 'browser',
    resourcesDir: process.env['HEADROOM_RESOURCES'] ?? join(appRoot, 'resources'),
    userDataDir: process.env['HEADROOM_USER_DATA'] ?? defaultUserDataDir(),
    workerPath: new URL('./worker.js', import.meta.url),
    warmPool: true,
    // Where ~/.ssh/config and known_hosts live for this host process (tests point them at temp files).
    ...(process.env['HEADROOM_SSH_CONFIG'] ? { sshConfigPath: process.env['HEADROOM_SSH_CONFIG'] } : {}),
    ...(process.env['HEADROOM_KNOWN_HOSTS'] ? { knownHostsPath: process.env['HEADROOM_KNOWN_HOSTS'] } : {})
  })
  const host = await startBrowserHost({ dispatch: service.dispatch, rendererDir: join(appRoot, 'out', 'renderer'), port })
  service.bus.subscribe((event, payload) => host.emit(event, payload))
  io.stdout(`Headroom workbench: ${host.url}\n`)
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await host.close()
  await service.close()
  return 0
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv
  switch (cmd) {
    case '--help':
    case '-h':
    case 'help':
      io.stdout(USAGE)
      return 0
    case '--version':
    case '-v':
      io.stdout(`${VERSION}\n`)
      return 0
    case 'simulate': {
      const { simulateCommand } = await import('./simulate')
      return simulateCommand(rest, io)
    }
    case 'snapshot': {
      const { snapshotCommand } = await import('./snapshot')
      return snapshotCommand(rest, io)
    }
    case 'plan': {
      const { planCommand } = await import('./plan')
      return planCommand(rest, io)
    }
    case 'lab': {
      const { labCommand } = await import('./lab')
      return labCommand(rest, io)
    }
    case undefined:
    case '--web':
    case '--port':
      return web(argv, io)
    default:
      io.stderr(`headroom: unknown command ${JSON.stringify(cmd)}\n${USAGE}`)
      return 2
  }
}

const io: Io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }
runCli(process.argv.slice(2), io).then(
  (code) => process.exit(code),
  (err: unknown) => {
    io.stderr(`headroom: ${(err as Error)?.message ?? String(err)}\n`)
    process.exit(1)
  }
)
