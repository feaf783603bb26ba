/**
 * SecretStore on Electron's safeStorage (OS keychain: macOS Keychain, Windows DPAPI, Linux
 * libsecret/kwallet). Values are encrypted by safeStorage and only the ciphertext (base64) is
 * written, atomically, to `<userData>/secrets.json` (mode 0600).
 * Security: on Linux without a secret service safeStorage falls back to 'basic_text', a
 * hard-coded key that is encryption in name only; we treat that as "no keychain" and refuse
 * to remember anything.
 */
import { existsSync, readFileSync } from 'node:fs'
import type { SecretStore } from '../ssh/secrets'
import { writeFileAtomic } from '../snapshot/store'

/** The part of Electron's `safeStorage` we use (structural, so this file needs no electron import). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean
  encryptString(plain: string): Buffer
  decryptString(encrypted: Buffer): string
  getSelectedStorageBackend?: () => string
}

export function createSafeStorageSecretStore(safeStorage: SafeStorageLike, filePath: string): SecretStore {
  const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend?.() : undefined
  let reason: string | null = null
  if (!safeStorage.isEncryptionAvailable()) reason = 'the OS keychain is not available'
  else if (backend === 'basic_text' || backend === 'unknown') reason = `no secret service on this Linux desktop (safeStorage backend "${backend}"), secrets are not remembered`
  const read = (): Record<string, string> => {
    if (!existsSync(filePath)) return {}
    try {
      const j = JSON.parse(readFileSync(filePath, 'utf8')) as unknown
      return typeof j === 'object' && j !== null ? (j as Record<string, string>) : {}
    } catch {
      return {}
    }
  }
  return {
    available: reason === null,
    reason,
    async get(key) {
      if (reason) return null
      const enc = read()[key]
      if (!enc) return null
      try {
        return safeStorage.decryptString(Buffer.from(enc, 'base64'))
      } catch {
        return null
      }
    },
    async set(key, value) {
      if (reason) throw new Error(`cannot remember secrets: ${reason}`)
      const all = read()
      all[key] = safeStorage.encryptString(value).toString('base64')
      writeFileAtomic(filePath, JSON.stringify(all))
    },
    async delete(key) {
      const all = read()
      if (!(key in all)) return
      delete all[key]
      writeFileAtomic(filePath, JSON.stringify(all))
    }
  }
}
