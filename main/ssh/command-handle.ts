/**
 * A running remote (or local) command we talk to while it runs: write stdin lines, wait for
 * a marker line in its stdout, stop it. Transport-neutral: the SSH channel and the local
 * child process both drive it through `data` / `finish`.
 */
export interface ExecResult {
  stdout: string
  stderr: string
  code: number | null
  /** Why it stopped early, if it did. */
  stopped: null | { kind: 'timeout' | 'cancelled' | 'connection-lost'; message: string }
}

export interface RunningCommand {
  write(s: string): void
  /** Close stdin. */
  end(): void
  /** Resolve true once stdout holds `marker` as a whole line; false if the command ends first
   *  or `timeoutMs` passes (the command is then stopped with kind 'timeout'). */
  waitFor(marker: string, timeoutMs: number): Promise<boolean>
  stdout(): string
  stop(kind: 'timeout' | 'cancelled', message: string): void
  /** Settles when the command has ended (exit, stop, or lost connection); never rejects. */
  readonly result: Promise<ExecResult>
}

export class CommandHandle implements RunningCommand {
  private out: Buffer[] = []
  private outText = ''
  private dirty = false
  private err: Buffer[] = []
  private ended = false
  private stoppedWith: ExecResult['stopped'] = null
  private waiters = new Set<() => void>()
  private resolveResult!: (r: ExecResult) => void
  readonly result: Promise<ExecResult>
  private maxBytes: number
  private bytes = 0

  constructor(
    private readonly io: { write(s: string): void; end(): void; kill(): void },
    opts: { maxBytes?: number; signal?: AbortSignal } = {}
  ) {
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024
    this.result = new Promise((r) => (this.resolveResult = r))
    if (opts.signal) {
      if (opts.signal.aborted) queueMicrotask(() => this.stop('cancelled', 'cancelled'))
      else opts.signal.addEventListener('abort', () => this.stop('cancelled', 'cancelled'), { once: true })
    }
  }

  /** Transport: stdout bytes arrived. */
  data(d: Buffer): void {
    this.bytes += d.length
    if (this.bytes > this.maxBytes) return
    this.out.push(d)
    this.dirty = true
    for (const w of [...this.waiters]) w()
  }
  /** Transport: stderr bytes arrived (kept up to 64 KB). */
  stderr(d: Buffer): void {
    if (this.err.reduce((n, b) => n + b.length, 0) < 65536) this.err.push(d)
  }
  /** Transport: the command ended. */
  finish(code: number | null, lost: string | null = null): void {
    if (this.ended) return
    this.ended = true
    if (lost && !this.stoppedWith) this.stoppedWith = { kind: 'connection-lost', message: lost }
    for (const w of [...this.waiters]) w()
    this.resolveResult({ stdout: this.stdout(), stderr: Buffer.concat(this.err).toString('utf8'), code, stopped: this.stoppedWith })
  }

  stdout(): string {
    if (this.dirty) {
      this.outText = Buffer.concat(this.out).toString('utf8')
      this.dirty = false
    }
    return this.outText
  }
  write(s: string): void {
    if (!this.ended) this.io.write(s)
  }
  end(): void {
    if (!this.ended) this.io.end()
  }
  stop(kind: 'timeout' | 'cancelled', message: string): void {
    if (this.ended) return
    if (!this.stoppedWith) this.stoppedWith = { kind, message }
    this.io.kill()
    // The transport reports the end; make sure waiters do not hang if it never does.
    setTimeout(() => this.finish(null), 2000).unref?.()
  }
  waitFor(marker: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const needle = `\n${marker}\n`
      let timer: ReturnType<typeof setTimeout> | undefined
      const check = (): void => {
        if (this.stdout().includes(needle)) return done(true)
        if (this.ended) return done(false)
      }
      const done = (v: boolean): void => {
        this.waiters.delete(check)
        if (timer) clearTimeout(timer)
        resolve(v)
      }
      timer = setTimeout(() => {
        this.stop('timeout', `no answer within ${Math.round(timeoutMs / 1000)} s`)
        done(false)
      }, timeoutMs)
      this.waiters.add(check)
      check()
    })
  }
}
