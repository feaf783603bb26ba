#!/usr/bin/env node
// Simulator equivalence check (issue #3 speed work): runs a fixed set of scenarios through
// simulate() and prints one SHA-1 per scenario of the decoded result (every column's bytes
// plus the summary JSON) with `summary.events` left out: the engine's event count is the only
// figure a pure speed change may alter. Every other byte must stay identical.
//   node scripts/sim-equivalence.mjs                 print hashes
//   node scripts/sim-equivalence.mjs --save FILE     print and save them (JSON)
//   node scripts/sim-equivalence.mjs --check FILE    compare with a saved file; exit 1 on any difference
//   --only SUBSTR                                    run only scenarios whose name contains SUBSTR
//   --events                                         also compare summary.events (expect equal
//                                                    unless a change removes no-op events)
// The TypeScript sources are bundled for Node with vite (as bench/run.mjs does) into out/equivalence/.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const opt = (k) => {
  const i = args.indexOf(k)
  return i >= 0 ? args[i + 1] : undefined
}
const save = opt('--save')
const check = opt('--check')
const only = opt('--only')
const withEvents = args.includes('--events')
const casesDir = opt('--cases') ?? join(root, '..', 'shared', 'fidelity', 'cases')

// bundle a tiny entry re-exporting what the scenarios need
const outDir = join(root, 'out', 'equivalence')
mkdirSync(outDir, { recursive: true })
const entryId = '\0sim-equivalence-entry'
const { build } = await import('vite')
await build({
  configFile: false,
  root,
  logLevel: 'warn',
  plugins: [
    {
      name: 'equivalence-entry',
      resolveId: (id) => (id === 'sim-equivalence-entry' ? entryId : null),
      load: (id) =>
        id === entryId
          ? [
              `export { simulate } from ${JSON.stringify(join(root, 'simulator/index.ts'))}`,
              `export { decodeResult } from ${JSON.stringify(join(root, 'simulator/result.ts'))}`,
              `export { report1Scenario, report2Scenario } from ${JSON.stringify(join(root, 'simulator/presets.ts'))}`,
              `export { caseToScenario, readCase } from ${JSON.stringify(join(root, 'main/sim/fidelity-case.ts'))}`
            ].join('\n')
          : null
    }
  ],
  build: {
    ssr: true,
    target: 'node20',
    outDir,
    emptyOutDir: true,
    minify: false,
    rollupOptions: { input: { sim: 'sim-equivalence-entry' }, output: { format: 'es', entryFileNames: '[name].mjs' } }
  }
})
const sim = await import(pathToFileURL(join(outDir, 'sim.mjs')).href)
const { createHash } = await import('node:crypto')

/** Scenario list: [name, () => scenario, seed, preview?] */
const list = []
const add = (name, mk, seed, preview = false) => list.push({ name, mk, seed, preview })
for (const seed of [1, 2, 3]) add(`report1-60s seed=${seed}`, () => sim.report1Scenario({ durationS: 60 }), seed)
for (const seed of [1, 2, 3]) add(`report1-600s seed=${seed}`, () => sim.report1Scenario({ durationS: 600 }), seed)
add('report1-flat5000-60s seed=1', () => sim.report1Scenario({ durationS: 60, curve: [{ tS: 0, rate: 5000 }, { tS: 60, rate: 5000 }] }), 1)
add('report1-rtt1-60s seed=1', () => sim.report1Scenario({ durationS: 60, backendRttMs: 1 }), 1)
const keepAlive = (serverKa) => () => {
  const s = sim.report1Scenario({ durationS: 60, peak: 2000 })
  s.clients.keepAlive = true
  s.clients.requestsPerConnection = 5
  s.clients.thinkTimeS = 0.05
  if (serverKa) s.haproxy.serverConnections = 'keep-alive'
  return s
}
add('report1-keepalive-clients seed=1', keepAlive(false), 1)
add('report1-keepalive-clients+server seed=1', keepAlive(true), 1)
add('report1-keepalive-clients+server seed=2', keepAlive(true), 2)
const direct = () => {
  const s = sim.report1Scenario({ durationS: 60, peak: 3000 })
  s.haproxy = null
  s.clients.closesFirst = 'client'
  return s
}
add('report1-no-proxy-open seed=1', direct, 1)
add('report1-preview (fluid) seed=1', () => sim.report1Scenario({ durationS: 60 }), 1, true)
for (const [tag, o] of [
  ['unix', { socket: 'unix' }],
  ['tcp', { socket: 'tcp' }],
  ['somaxconn1024', { somaxconn: 1024 }]
]) {
  for (const seed of [1, 2]) add(`report2-${tag} seed=${seed}`, () => sim.report2Scenario(o), seed)
  // closed-loop preview = the real model cut after 40,000 events: the event count matters here
  add(`report2-${tag} preview seed=1`, () => sim.report2Scenario(o), 1, true)
}
for (const f of readdirSync(casesDir).filter((f) => f.endsWith('.json')).sort()) {
  const c = sim.readCase(join(casesDir, f))
  for (const seed of [1, 2]) add(`case ${c.id} (${c.scenario.load.model ?? (c.scenario.load.tool === 'ab' ? 'closed' : 'open')}) seed=${seed}`, () => sim.caseToScenario(c).scenario, seed)
}

const saved = check ? JSON.parse(readFileSync(check, 'utf8')) : null
const out = {}
let bad = 0
let ran = 0
let cpuTotal = 0
for (const e of list) {
  if (only && !e.name.includes(only)) continue
  const c0 = process.cpuUsage()
  const buf = sim.simulate(e.mk(), { seed: e.seed, preview: e.preview })
  const cu = process.cpuUsage(c0)
  const cpuS = (cu.user + cu.system) / 1e6
  cpuTotal += cpuS
  const r = sim.decodeResult(buf)
  const events = r.summary.events
  const summary = { ...r.summary }
  delete summary.events
  const h = createHash('sha1')
  for (const n of r.columnNames) h.update(new Uint8Array(r.columns[n].buffer, r.columns[n].byteOffset, r.columns[n].byteLength))
  h.update(JSON.stringify(summary))
  const sha = h.digest('hex')
  out[e.name] = { sha1: sha, events }
  ran++
  let mark = ''
  if (saved) {
    const s = saved[e.name]
    if (!s) mark = '  (no saved hash)'
    else if (s.sha1 !== sha) {
      mark = '  DIFFERENT'
      bad++
    } else if (withEvents && s.events !== events) {
      mark = `  events ${s.events} -> ${events}`
      bad++
    } else mark = s.events === events ? '  same' : `  same (events ${s.events} -> ${events})`
  }
  console.log(`${sha}  ${e.name.padEnd(52)} ${String(events).padStart(9)} ev ${cpuS.toFixed(2).padStart(6)} s CPU${mark}`)
}
console.log(`${ran} scenarios, ${cpuTotal.toFixed(1)} s CPU`)
if (save) writeFileSync(save, JSON.stringify(out, null, 1) + '\n')
if (saved) {
  console.log(bad ? `${bad} of ${ran} DIFFER` : `all ${ran} identical to ${check}`)
  process.exit(bad ? 1 : 0)
}
