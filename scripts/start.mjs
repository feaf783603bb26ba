#!/usr/bin/env node
// `npm start`: build what changed, then open the desktop window when the Electron binary is
// present and a display exists; otherwise say so in one line and serve the same workbench
// through the browser host (`headroom --web`).
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const stamp = join(root, 'out', '.build-stamp')
const args = process.argv.slice(2)
const forceWeb = args.includes('--web')

function newest(dir) {
  let t = 0
  if (!existsSync(dir)) return t
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

const sources = ['main', 'renderer', 'simulator'].map((d) => newest(join(root, d)))
const configTime = ['electron.vite.config.ts', 'package.json'].map((f) => statSync(join(root, f)).mtimeMs)
const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0
if (Math.max(...sources, ...configTime) > built) {
  process.stderr.write('headroom: building...\n')
  const r = spawnSync(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['electron-vite', 'build'], { cwd: root, stdio: ['ignore', 2, 2] })
  if (r.status !== 0) process.exit(r.status ?? 1)
  writeFileSync(stamp, new Date().toISOString())
}

// Look for the binary the way electron's index.js does (path.txt -> dist/...), without
// requiring it: Electron 45's index.js starts a download when the binary is missing.
function electronBinary() {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve('electron/package.json'))
    const pathTxt = join(dir, 'path.txt')
    if (!existsSync(pathTxt)) return null
    const bin = join(dir, 'dist', readFileSync(pathTxt, 'utf8').trim())
    return existsSync(bin) ? bin : null
  } catch {
    return null
  }
}

const bin = forceWeb ? null : electronBinary()
const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)
let child
if (bin && hasDisplay) {
  child = spawn(bin, [root], { stdio: 'inherit' })
} else {
  const why = forceWeb
    ? 'browser host requested (--web)'
    : !bin
      ? 'Electron binary not installed (offline install)'
      : 'no display for the desktop window'
  process.stdout.write(`headroom: ${why}; serving the workbench to your browser instead.\n`)
  child = spawn(process.execPath, [join(root, 'out', 'main', 'cli.js'), '--web', ...args.filter((a) => a !== '--web')], { stdio: 'inherit' })
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
child.on('exit', (code) => process.exit(code ?? 0))
