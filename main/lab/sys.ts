/**
 * Effects of the lab at the edge: run commands (bounded in time), start daemons with a PID file
 * and stop them by PID, create and remove the `hr-lab-<runid>-*` network namespaces.
 *
 * Cleanliness: every run owns `/tmp/hr-lab/<runid>/` with `owner.pid` (the Node process that
 * runs it) and one `<name>.pid` per started process. `cleanupStale()` removes namespaces and
 * processes of runs whose owner is gone (a crashed earlier run), and never touches a live run.
 */
import { spawn } from 'node:child_process'
import { existsSync, openSync, closeSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

export const LAB_ROOT = '/tmp/hr-lab'

export interface CmdResult {
  code: number | null
  stdout: string
  stderr: string
  timedOut: boolean
}

/** Run a command to completion; killed (SIGKILL) after `timeoutMs`. Never throws for a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<CmdResult> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    const t = setTimeout(() => {
      timedOut = true
      p.kill('SIGKILL')
    }, opts.timeoutMs ?? 15_000)
    p.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
    p.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    p.on('error', (e) => {
      clearTimeout(t)
      resolve({ code: 127, stdout, stderr: stderr + String(e.message), timedOut })
    })
    p.on('close', (code) => {
      clearTimeout(t)
      resolve({ code, stdout, stderr, timedOut })
    })
    if (p.stdin) {
      p.stdin.on('error', () => {})
      p.stdin.end(opts.input)
    }
  })
}

/** Run and throw with the command's stderr on failure. */
export async function must(cmd: string, args: readonly string[], timeoutMs = 15_000): Promise<string> {
  const r = await run(cmd, args, { timeoutMs })
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.timedOut ? 'timeout' : `exit ${r.code}`}): ${r.stderr.trim() || r.stdout.trim()}`)
  return r.stdout
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Is `pid` still the process a PID file recorded? PIDs wrap (pid_max is 32768 here, and a test
 * run spawns thousands of processes), so a stale file may name an unrelated newer process. The
 * recorded one started before its PID file was written; a reuse started after the original
 * died, i.e. after the file. /proc/PID/stat field 22 (start, clock ticks after boot; USER_HZ is
 * 100 on Linux) + btime of /proc/stat (whole seconds, hence the 2 s of slack).
 */
export function startedBeforeFile(pid: number, pidFile: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const startTicks = Number(fields[19]) // field 22 of the whole line; fields[0] is field 3
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1])
    if (!Number.isFinite(startTicks) || !Number.isFinite(btime)) return false
    return (btime + startTicks / 100) * 1000 <= statSync(pidFile).mtimeMs + 2000
  } catch {
    return false // gone, or no /proc: nothing to kill
  }
}

/** SIGKILL the process a PID file names, only if it is still that process (startedBeforeFile). */
function killRecorded(pidFile: string): void {
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  if (!Number.isInteger(pid) || pid <= 1 || !startedBeforeFile(pid, pidFile)) return
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    /* gone */
  }
}

/** A process started by the lab: its PID (also in `<runDir>/<name>.pid`) and its end. */
export interface Daemon {
  name: string
  pid: number
  exited: Promise<number | null>
  /** True once the process has exited. */
  done: () => boolean
}

/**
 * Start `cmd args` inside namespace `ns` (`ip netns exec` execs, so the PID is the command's),
 * stdout/stderr to `<runDir>/<name>.log`, PID to `<runDir>/<name>.pid`.
 */
export function startInNs(runDir: string, name: string, ns: string, cmd: string, args: readonly string[]): Daemon {
  const log = openSync(join(runDir, `${name}.log`), 'a')
  const p = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', log, log] })
  closeSync(log)
  if (p.pid === undefined) throw new Error(`could not start ${cmd}`)
  const pid = p.pid
  writeFileSync(join(runDir, `${name}.pid`), `${pid}\n`)
  let finished = false
  const exited = new Promise<number | null>((resolve) => {
    p.on('exit', (code, sig) => {
      finished = true
      resolve(code ?? (sig ? 128 : null))
    })
    p.on('error', () => {
      finished = true
      resolve(127)
    })
  })
  return { name, pid, exited, done: () => finished }
}

/** Stop a daemon by PID: `signal`, then SIGKILL after `graceMs`; removes its PID file. */
export async function stopDaemon(runDir: string, d: Daemon, signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<void> {
  if (!d.done()) {
    try {
      process.kill(d.pid, signal)
    } catch {
      /* already gone */
    }
    const killed = await Promise.race([d.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))])
    if (!killed && !d.done()) {
      try {
        process.kill(d.pid, 'SIGKILL')
      } catch {
        /* gone */
      }
      await Promise.race([d.exited, new Promise((r) => setTimeout(r, 1000))])
    }
  }
  rmSync(join(runDir, `${d.name}.pid`), { force: true })
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** PIDs of processes inside a namespace (all started by the lab run that owns it). */
async function nsPids(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns], { timeoutMs: 5000 })
  return r.stdout.split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 1)
}

/** Kill every process left in the namespace (TERM, then KILL) and delete it. */
export async function removeNamespace(ns: string): Promise<void> {
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    const pids = await nsPids(ns)
    if (pids.length === 0) break
    for (const pid of pids) {
      try {
        process.kill(pid, sig)
      } catch {
        /* gone */
      }
    }
    await sleep(sig === 'SIGTERM' ? 500 : 200)
  }
  await run('ip', ['netns', 'del', ns], { timeoutMs: 10_000 })
}

/** Names of the lab's namespaces currently present. */
export async function labNamespaces(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list'], { timeoutMs: 5000 })
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.startsWith('hr-lab-'))
}

/** Run id of a namespace `hr-lab-<runid>-<host>`. */
export function runIdOf(ns: string): string {
  const rest = ns.slice('hr-lab-'.length)
  const i = rest.lastIndexOf('-')
  return i > 0 ? rest.slice(0, i) : rest
}

function ownerAlive(runId: string): boolean {
  const f = join(LAB_ROOT, runId, 'owner.pid')
  if (!existsSync(f)) {
    // another lab process may have created the folder and not yet written owner.pid: a folder
    // without it counts as dead only once it is a minute old
    try {
      return Date.now() - statSync(join(LAB_ROOT, runId)).mtimeMs < 60_000
    } catch {
      return false
    }
  }
  const pid = Number(readFileSync(f, 'utf8').trim())
  return Number.isInteger(pid) && pid > 0 && isAlive(pid)
}

/** Remove what crashed earlier runs left behind: their processes (by PID file), namespaces and folders. */
export async function cleanupStale(): Promise<string[]> {
  const removed: string[] = []
  const dead = new Set<string>()
  for (const ns of await labNamespaces()) if (!ownerAlive(runIdOf(ns))) dead.add(runIdOf(ns))
  if (existsSync(LAB_ROOT)) for (const d of readdirSync(LAB_ROOT)) if (!ownerAlive(d)) dead.add(d)
  for (const id of dead) {
    const dir = join(LAB_ROOT, id)
    if (existsSync(dir)) {
      for (const f of readdirSync(dir)) {
        if (!f.endsWith('.pid') || f === 'owner.pid') continue
        killRecorded(join(dir, f))
      }
    }
    for (const ns of await labNamespaces()) if (runIdOf(ns) === id) {
      await removeNamespace(ns)
      removed.push(ns)
    }
    rmSync(dir, { recursive: true, force: true })
  }
  return removed
}

/** Runs of this process that are still up (for `abortActiveRuns` on SIGINT/SIGTERM). */
const activeRuns = new Set<string>()

/** Forget a finished run. */
export function endRun(runId: string): void {
  activeRuns.delete(runId)
}

/** Tear down this process's runs now (the CLI calls it on SIGINT/SIGTERM): PID-file processes, namespaces, folders. */
export async function abortActiveRuns(): Promise<void> {
  for (const id of [...activeRuns]) {
    const dir = join(LAB_ROOT, id)
    if (existsSync(dir)) {
      for (const f of readdirSync(dir)) {
        if (!f.endsWith('.pid') || f === 'owner.pid') continue
        killRecorded(join(dir, f))
      }
    }
    for (const ns of await labNamespaces()) if (runIdOf(ns) === id) await removeNamespace(ns)
    rmSync(dir, { recursive: true, force: true })
    activeRuns.delete(id)
  }
}

/** Create the run folder with the owner PID. */
export function makeRunDir(runId: string): string {
  activeRuns.add(runId)
  const dir = join(LAB_ROOT, runId)
  mkdirSync(join(dir, 'nginx-tmp'), { recursive: true })
  writeFileSync(join(dir, 'owner.pid'), `${process.pid}\n`)
  return dir
}

export { sleep }
