#!/usr/bin/env node
// `headroom` command: runs the built CLI (out/main/cli.js), building it first if a fresh
// checkout has not been built yet.
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const cli = join(root, 'out', 'main', 'cli.js')
if (!existsSync(cli)) {
  process.stderr.write('headroom: first run, building the app (npx electron-vite build)...\n')
  const r = spawnSync(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['electron-vite', 'build'], { cwd: root, stdio: ['ignore', 2, 2] })
  if (r.status !== 0) {
    process.stderr.write('headroom: build failed; run `npm run build` to see why\n')
    process.exit(1)
  }
}
await import(pathToFileURL(cli).href)
