/**
 * Snapshot many hosts in parallel with a concurrency limit and per-host progress. Each host
 * is independent: one failure (DNS, auth, host key) never stops the others.
 */

export interface FleetHostResult<T> {
  host: string
  ok: boolean
  value?: T
  error?: unknown
}

/** Run `work` for every host, at most `concurrency` at a time, in list order. */
export async function runFleet<T>(
  hosts: string[],
  concurrency: number,
  work: (host: string, signal: AbortSignal) => Promise<T>,
  hooks: { signal?: AbortSignal; onStart?: (host: string) => void; onEnd?: (r: FleetHostResult<T>) => void } = {}
): Promise<Array<FleetHostResult<T>>> {
  const limit = Math.max(1, Math.min(64, Math.floor(concurrency)))
  const results: Array<FleetHostResult<T>> = new Array(hosts.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < hosts.length) {
      const i = next++
      const host = hosts[i]!
      if (hooks.signal?.aborted) {
        results[i] = { host, ok: false, error: new Error('cancelled') }
        hooks.onEnd?.(results[i]!)
        continue
      }
      hooks.onStart?.(host)
      const ctl = new AbortController()
      const onAbort = (): void => ctl.abort()
      hooks.signal?.addEventListener('abort', onAbort, { once: true })
      try {
        results[i] = { host, ok: true, value: await work(host, ctl.signal) }
      } catch (error) {
        results[i] = { host, ok: false, error }
      } finally {
        hooks.signal?.removeEventListener('abort', onAbort)
      }
      hooks.onEnd?.(results[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, hosts.length) }, worker))
  return results
}
