/**
 * Where remembered SSH secrets (passwords, key passphrases) may live. Only an OS keychain
 * counts (Electron safeStorage, main/electron/secrets.ts); with none available — the browser
 * host, or Linux without a secret service — secrets are NOT remembered at all: never written
 * to disk in clear, never kept beyond the call that used them.
 */
export interface SecretStore {
  /** False when no OS keychain is available: `set` then refuses. */
  readonly available: boolean
  /** Why not available (shown to the user), or null. */
  readonly reason: string | null
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<void>
  delete(key: string): Promise<void>
}

/** The store for hosts without a keychain: remembers nothing. */
export function createNoSecretStore(reason = 'no OS keychain in the browser host: secrets are not remembered'): SecretStore {
  return {
    available: false,
    reason,
    async get() {
      return null
    },
    async set() {
      throw new Error(`cannot remember secrets: ${reason}`)
    },
    async delete() {
      // nothing stored
    }
  }
}

/** Key under which a host's secrets are remembered. */
export const secretKey = (user: string, host: string, port: number): string => `ssh:${user}@${host}:${port}`
