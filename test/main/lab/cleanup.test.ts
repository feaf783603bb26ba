import { describe, expect } from 'vitest'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { LAB_ROOT, abortActiveRuns, cleanupStale, labNamespaces, makeRunDir, run } from '../../../main/lab/sys'
import { closedLoopScenario, labIt } from './lab-env'

// A crashed earlier run left a namespace with a process in it and a run folder whose owner is
// gone: the next run's cleanup must remove all three, and must not touch a live run's namespace.
const { test, missing } = await labIt(closedLoopScenario({ name: 'x', users: 1, requests: 1, frontendMaxconn: 1, bindBacklog: 1, serviceS: 0 }))

describe('lab cleanup', () => {
  test('removes namespaces, processes and folders of dead runs only', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const dead = `zz${process.pid.toString(36)}dead`
    const live = `zz${process.pid.toString(36)}live`
    // owner files first: another lab run's cleanup (a parallel test file) may look at any moment
    const gone = spawn('true')
    await new Promise((r) => gone.on('exit', r))
    for (const [id, owner] of [[dead, gone.pid], [live, process.pid]] as const) {
      mkdirSync(join(LAB_ROOT, id), { recursive: true })
      writeFileSync(join(LAB_ROOT, id, 'owner.pid'), `${owner}\n`)
      expect((await run('ip', ['netns', 'add', `hr-lab-${id}-cli`])).code).toBe(0)
    }
    const p = spawn('ip', ['netns', 'exec', `hr-lab-${dead}-cli`, 'sleep', '30'], { stdio: 'ignore' })
    mkdirSync(join(LAB_ROOT, dead), { recursive: true })
    writeFileSync(join(LAB_ROOT, dead, 'stray.pid'), `${p.pid}\n`)
    const exited = new Promise((r) => p.on('exit', r))
    try {
      await cleanupStale()
      await exited
      const left = await labNamespaces()
      expect(left).not.toContain(`hr-lab-${dead}-cli`)
      expect(left).toContain(`hr-lab-${live}-cli`)
      expect(existsSync(join(LAB_ROOT, dead))).toBe(false)
    } finally {
      p.kill('SIGKILL')
      await run('ip', ['netns', 'del', `hr-lab-${live}-cli`])
      await run('rm', ['-rf', join(LAB_ROOT, live), join(LAB_ROOT, dead)])
    }
  })

  test('spares a fresh run folder whose owner.pid is not written yet (another lab process is creating it)', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const id = `zz${process.pid.toString(36)}new`
    mkdirSync(join(LAB_ROOT, id), { recursive: true })
    try {
      await cleanupStale()
      expect(existsSync(join(LAB_ROOT, id))).toBe(true)
    } finally {
      await run('rm', ['-rf', join(LAB_ROOT, id)])
    }
  })

  test('abortActiveRuns tears down this process\'s live runs (what the CLI does on Ctrl-C)', async () => {
    if (missing) throw new Error(`lab cannot run: ${missing}`)
    const id = `zz${process.pid.toString(36)}abrt`
    const dir = makeRunDir(id)
    expect((await run('ip', ['netns', 'add', `hr-lab-${id}-lb`])).code).toBe(0)
    const p = spawn('ip', ['netns', 'exec', `hr-lab-${id}-lb`, 'sleep', '30'], { stdio: 'ignore' })
    writeFileSync(join(dir, 'daemon.pid'), `${p.pid}\n`)
    const exited = new Promise((r) => p.on('exit', r))
    try {
      await abortActiveRuns()
      await exited
      expect(await labNamespaces()).not.toContain(`hr-lab-${id}-lb`)
      expect(existsSync(dir)).toBe(false)
    } finally {
      p.kill('SIGKILL')
      await run('ip', ['netns', 'del', `hr-lab-${id}-lb`])
      await run('rm', ['-rf', dir])
    }
  })
})
