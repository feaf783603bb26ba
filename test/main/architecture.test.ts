/**
 * Architecture rules (style.md 2, 5, 6), checked over the source tree like a lint rule:
 * ipcMain/ipcRenderer only in their one file each, Electron only in main/electron and the
 * preload, a pure simulator core, a renderer without Node, a types-only contract.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = new URL('../../', import.meta.url).pathname

function files(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(join(ROOT, dir))) {
    const p = join(ROOT, dir, e)
    if (statSync(p).isDirectory()) out.push(...files(relative(ROOT, p)))
    else if (/\.(ts|tsx)$/.test(e)) out.push(relative(ROOT, p))
  }
  return out
}

function imports(file: string): string[] {
  const src = readFileSync(join(ROOT, file), 'utf8')
  const out: string[] = []
  for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)) out.push(m[1])
  for (const m of src.matchAll(/(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1])
  for (const m of src.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) out.push(m[1])
  return out
}

function names(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8')
}

const mainFiles = files('main')
const simFiles = files('simulator')
const rendererFiles = files('renderer/src')

describe('architecture', () => {
  it('finds the source tree', () => {
    expect(mainFiles.length).toBeGreaterThan(20)
    expect(simFiles.length).toBeGreaterThan(3)
    expect(rendererFiles.length).toBeGreaterThan(5)
  })

  it('imports ipcMain only in main/electron/ipc.ts and ipcRenderer only in the preload', () => {
    const all = [...mainFiles, ...rendererFiles, ...simFiles]
    expect(all.filter((f) => /\bipcMain\b/.test(names(f)) && /from ['"]electron['"]/.test(names(f)))).toEqual(['main/electron/ipc.ts'])
    expect(all.filter((f) => /\bipcRenderer\b/.test(names(f)) && /from ['"]electron['"]/.test(names(f)))).toEqual(['main/preload/index.ts'])
  })

  it('keeps Electron inside main/electron and main/preload', () => {
    const offenders = [...mainFiles, ...rendererFiles, ...simFiles].filter(
      (f) => !f.startsWith('main/electron/') && !f.startsWith('main/preload/') && imports(f).some((i) => i === 'electron' || i.startsWith('electron/'))
    )
    expect(offenders).toEqual([])
  })

  it('keeps the simulator core pure (no node, electron or DOM); only worker.ts touches worker_threads', () => {
    const offenders = simFiles
      .filter((f) => f !== 'simulator/worker.ts')
      .flatMap((f) => imports(f).filter((i) => i.startsWith('node:') || ['fs', 'path', 'os', 'worker_threads', 'electron', 'react', 'zod'].includes(i) || i.startsWith('../main') || i.startsWith('../renderer')).map((i) => `${f}: ${i}`))
    expect(offenders).toEqual([])
    const workerThreads = [...mainFiles, ...simFiles].filter((f) => imports(f).some((i) => i === 'node:worker_threads' || i === 'worker_threads'))
    expect(workerThreads.filter((f) => f.startsWith('simulator/'))).toEqual(['simulator/worker.ts'])
  })

  it('keeps Node out of the renderer (it runs sandboxed)', () => {
    const offenders = rendererFiles.flatMap((f) => imports(f).filter((i) => i.startsWith('node:') || ['fs', 'path', 'os', 'child_process', 'ssh2', 'ws'].includes(i)).map((i) => `${f}: ${i}`))
    expect(offenders).toEqual([])
  })

  it('keeps the API contract types-only: it imports nothing at runtime', () => {
    const src = names('main/api/contract.ts')
    const runtime = [...src.matchAll(/(?:^|\n)import\s+(?!type\b)[^\n]*from\s+['"]([^'"]+)['"]/g)].map((m) => m[1])
    expect(runtime).toEqual([])
  })

  it('never turns off the window security defaults', () => {
    for (const f of mainFiles.filter((x) => x.startsWith('main/electron/'))) {
      const src = names(f)
      expect(src, f).not.toMatch(/sandbox:\s*false|contextIsolation:\s*false|nodeIntegration:\s*true|webSecurity:\s*false/)
    }
  })
})
