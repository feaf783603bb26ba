#!/usr/bin/env node
// How much of each fidelity case's pass or miss is the seed's luck: runs every case of a folder
// with `headroom simulate --case FILE --json --seeds N` (needs a build: npx electron-vite build)
// and prints a markdown table: passes out of N seeds, and per failing key the predicted range.
//   node scripts/fidelity-seeds.mjs [--cases DIR] [--seeds N]
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const arg = (k, d) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : d)
const dir = arg('--cases', join(root, '..', 'shared', 'fidelity', 'cases'))
const n = Number(arg('--seeds', '12'))
const fmt = (x) => (Math.abs(x) >= 100 ? Math.round(x).toString() : Number(x.toPrecision(3)).toString())
console.log(`| case | seeds 1-${n} inside tolerance | keys missed on some seed: predicted min / median / max (seeds inside) |`)
console.log('|---|---|---|')
for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
  const out = execFileSync(process.execPath, [join(root, 'bin', 'headroom.mjs'), 'simulate', '--case', join(dir, f), '--json', '--seeds', String(n)], { encoding: 'utf8' })
  const r = JSON.parse(out).replications
  const missed = Object.entries(r.keys)
    .filter(([, v]) => v.inside < n)
    .map(([k, v]) => `${k}: ${fmt(v.min)} / ${fmt(v.median)} / ${fmt(v.max)} (${v.inside})`)
  console.log(`| ${f.replace(/\.json$/, '')} | ${r.passes}/${n} | ${missed.join('; ') || '-'} |`)
}
