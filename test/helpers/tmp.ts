/**
 * Temporary directories for tests, removed when the test file ends.
 *
 * `afterAll` is registered when this module is first imported, i.e. while the importing test
 * file is being collected, so it lands on that file's root suite (vitest isolates modules per
 * file, so every file gets its own list).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'

const made: string[] = []

afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A new empty directory under the OS temp dir, named `prefix` + random suffix. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}
