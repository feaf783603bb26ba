#!/usr/bin/env node
// Benchmark runner (`npm run bench`): every bench/*.bench.{ts,mjs,js} file, each in its own
// Node process (so peak-memory figures are per benchmark). TypeScript benches are bundled
// for Node with vite (already a devDependency; no extra TS runner) into out/bench/.
// Usage: node bench/run.mjs [name-filter]
import { readdirSync } from 'node:fs'
import { join, dirname, basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const filter = process.argv[2] ?? ''
const files = readdirSync(join(root, 'bench'))
  .filter((f) => /\.bench\.(ts|mjs|js)$/.test(f) && f.includes(filter))
  .sort()
if (files.length === 0) {
  console.error(`no bench/*.bench.* files${filter ? ` matching "${filter}"` : ''}`)
  process.exit(1)
}
const ts = files.filter((f) => f.endsWith('.ts'))
const outDir = join(root, 'out', 'bench')
if (ts.length) {
  const { build } = await import('vite')
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: {
      ssr: true,
      target: 'node20',
      outDir,
      emptyOutDir: false,
      minify: false,
      rollupOptions: {
        input: Object.fromEntries(ts.map((f) => [basename(f, '.ts'), join(root, 'bench', f)])),
        output: { format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs' }
      }
    }
  })
}
let failed = 0
for (const f of files) {
  const file = f.endsWith('.ts') ? join(outDir, basename(f, '.ts') + '.mjs') : join(root, 'bench', f)
  console.log(`\n=== ${f}`)
  const r = spawnSync(process.execPath, [file], { cwd: root, stdio: 'inherit', env: process.env })
  if (r.status !== 0) {
    console.error(`${f} exited with ${r.status ?? r.signal}`)
    failed++
  }
}
process.exit(failed ? 1 : 0)
