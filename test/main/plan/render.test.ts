/**
 * Plan exports with real parts: predictions from the real simulator (fluid preview, fast),
 * haproxy.cfg checked by the real `haproxy -c`, the PDF printed by the system Chromium and
 * rasterised by pdftoppm to check that the page is not blank.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildPlan, type PredictionInput } from '../../../main/plan/build'
import { writePlanBundle } from '../../../main/plan/bundle'
import { chromiumPrintToPdf, findChromium } from '../../../main/plan/pdf-chromium'
import { planToHtml, planToMarkdown, planToPdf } from '../../../main/plan/render'
import type { Plan } from '../../../main/plan/types'
import { decodeResult } from '../../../simulator/result'
import { simulate } from '../../../simulator/index'
import type { Scenario } from '../../../simulator/scenario'
import { haveTool, report1Inputs, report2Inputs } from './tools'
import { tempDir } from '../../helpers/tmp'

function predict(s: Scenario): PredictionInput {
  const r = decodeResult(simulate(s, { seed: 7, preview: true }))
  return { summary: r.summary, columns: r.columns }
}

/** The plan's haproxy.cfg passes `haproxy -c` (where HAProxy is installed). */
function expectHaproxyAccepts(p: Plan): void {
  if (!haveTool('haproxy')) return
  const f = p.files.find((x) => x.target === '/etc/haproxy/haproxy.cfg')!
  const dir = tempDir('headroom-cfg-')
  writeFileSync(join(dir, 'haproxy.cfg'), f.content)
  const r = spawnSync('haproxy', ['-c', '-f', join(dir, 'haproxy.cfg')], { encoding: 'utf8' })
  expect(r.status, r.stderr).toBe(0)
}

async function plan1(): Promise<Plan> {
  const input = await report1Inputs()
  input.snapshot.name = 'Report 1 <script>alert(1)</script> | pipe'
  return buildPlan({ ...input, baselineResult: predict(input.baseline), scenarioResult: predict(input.scenario), createdAt: '2026-11-22T00:00:00.000Z' })
}

describe('plan contents', () => {
  it('report 1: every changed knob, where it is applied, and the findings it answers', async () => {
    const p = await plan1()
    const byId = Object.fromEntries(p.items.map((i) => [i.id, i]))
    expect(byId['sysctl:net.core.somaxconn']).toMatchObject({ old: '128', new: '4096', appliedIn: '/etc/sysctl.d/90-headroom.conf + sysctl -w' })
    expect(byId['sysctl:net.core.somaxconn']!.actions).toContain('restart haproxy')
    expect(byId['sysctl:net.ipv4.tcp_tw_recycle']).toMatchObject({ old: '1', new: '0' })
    expect(byId['sysctl:net.ipv4.tcp_tw_recycle']!.notes.join(' ')).toMatch(/\/etc\/sysctl.conf:11 .* comments that line out/)
    expect(byId['haproxy:global.maxconn']).toMatchObject({ old: 'unset (effective 2000)', new: '5000' })
    // 1.x: the frontend keeps 2000 unless set too
    expect(byId['haproxy:frontend.sms_callback.maxconn']).toMatchObject({ new: '5000' })
    expect(byId['haproxy:global.maxconn']!.findings).toEqual(expect.arrayContaining(['haproxy-maxconn-reached', 'haproxy-default-maxconn-1x']))
    expect(byId['haproxy:server.sms_app/web03.maxconn']).toMatchObject({ old: 'unset', new: '1000' })
    expect(p.findings[0]!.id).toBe('haproxy-maxconn-reached')
    expect(p.haproxyDiff).toMatch(/^-    bind \*:80$/m)
    expect(p.haproxyDiff).toMatch(/^\+    bind \*:80 backlog 4096$/m)
    expect(p.prediction.baseline!.requests).toBeGreaterThan(0)
    expect(p.prediction.scenario!.series!.t.length).toBeGreaterThan(10)
    expect(p.checklist.some((c) => c.command.startsWith("ss -ltn 'sport = :80'") && c.expect.startsWith('Send-Q 4096'))).toBe(true)
  })

  it('the planned haproxy.cfg keeps every comment line and passes the real haproxy -c', async () => {
    if (!haveTool('haproxy')) return
    const p = await plan1()
    const f = p.files.find((x) => x.target === '/etc/haproxy/haproxy.cfg')!
    for (const l of f.original!.split('\n').filter((l) => l.trim().startsWith('#'))) expect(f.content.split('\n')).toContain(l)
    const dir = tempDir('headroom-cfg-')
    writeFileSync(join(dir, 'haproxy.cfg'), f.content)
    const r = spawnSync('haproxy', ['-c', '-f', join(dir, 'haproxy.cfg')], { encoding: 'utf8' })
    expect(r.stdout + r.stderr).toMatch(/Configuration file is valid/)
    expect(r.status).toBe(0)
  })

  it('server keep-alive writes the chosen http-reuse mode and says what it reuses', async () => {
    const input = await report1Inputs()
    for (const sc of [input.baseline, input.scenario]) sc.haproxy!.version = '2.6.12'
    const h = input.scenario.haproxy!
    h.serverConnections = 'keep-alive'
    h.httpReuse = 'always'
    const p = buildPlan(input)
    const item = p.items.find((i) => i.id.endsWith('.http-reuse'))!
    expect(item).toMatchObject({ old: 'per-request', new: 'keep-alive, http-reuse always' })
    expect(p.haproxyDiff).toMatch(/^\+\s+http-reuse always$/m)
    h.httpReuse = 'safe'
    const safe = buildPlan(input).items.find((i) => i.id.endsWith('.http-reuse'))!
    expect(safe.notes.join(' ')).toMatch(/one request per client connection nothing is reused/)
  })

  it('health checks: the check flag and the parameters that differ go onto the server line; a down server is a note, not an edit', async () => {
    const input = await report1Inputs()
    const h = input.scenario.haproxy!
    // report 1's servers have a bare `check` (and the scenario's maxconn 1000): web03 gets inter 500 ms and fall 2, web04 loses it
    expect(input.baseline.haproxy!.servers.every((sv) => sv.check)).toBe(true)
    h.servers = h.servers.map((sv) => (sv.name === 'web03' ? { ...sv, check: { ...sv.check!, interMs: 500, fall: 2 } } : { ...sv, check: null, refuses: true }))
    h.timeoutCheckS = 0.4
    const p = buildPlan(input)
    expect(p.items.find((i) => i.id === 'haproxy:backend.sms_app.timeout.check')).toMatchObject({ old: '10s', new: '400ms' }) // report 1's defaults say timeout check 10s
    expect(p.haproxyDiff).toMatch(/^\+\s+timeout check 400ms$/m)
    expect(p.items.find((i) => i.id === 'haproxy:server.sms_app/web03.check')).toMatchObject({ old: 'check inter 2000ms rise 2 fall 3', new: 'check inter 500ms rise 2 fall 2' })
    expect(p.items.find((i) => i.id === 'haproxy:server.sms_app/web04.check')).toMatchObject({ new: 'no check' })
    expect(p.haproxyDiff).toMatch(/^\+\s+server\s+web03 10\.20\.1\.13:8080 check maxconn 1000 inter 500ms fall 2$/m)
    expect(p.haproxyDiff).toMatch(/^\+\s+server\s+web04 10\.20\.1\.14:8080 maxconn 1000$/m)
    expect(p.notes.join(' ')).toMatch(/web04 down \(refusing connections\): a condition to plan for, not a setting/)
    expectHaproxyAccepts(p)
  })

  it('option httpchk: off turns report 1\'s `option httpchk GET /health` into `option tcp-check` (HAProxy has no `no option httpchk`); on writes it where it is missing', async () => {
    const input = await report1Inputs()
    expect(input.baseline.haproxy!.httpCheck).toBe(true) // report 1's backend: option httpchk GET /health
    input.scenario.haproxy!.httpCheck = false
    const off = buildPlan(input)
    expect(off.items.find((i) => i.id === 'haproxy:backend.sms_app.httpchk')).toMatchObject({ old: 'on', new: 'off (layer-4 checks)' })
    expect(off.haproxyDiff).toMatch(/^-\s+option httpchk GET \/health$/m)
    expect(off.haproxyDiff).toMatch(/^\+\s+option tcp-check$/m)
    // the other way round: a baseline with layer-4 checks
    const on = buildPlan({ ...input, baseline: input.scenario, scenario: input.baseline })
    const item = on.items.find((i) => i.id === 'haproxy:backend.sms_app.httpchk')!
    expect(item).toMatchObject({ old: 'off (layer-4 checks)', new: 'on' })
    expect(item.notes.join(' ')).toMatch(/point it at a cheap endpoint/)
    expectHaproxyAccepts(off)
  })

  it("a static check URL: a manual step for the servers' nginx (the snippet, and the trade-off), and `option httpchk GET /health` where the check asked /", async () => {
    const input = await report1Inputs()
    input.scenario.haproxy!.httpCheckEndpoint = 'static'
    const p = buildPlan(input)
    const step = p.manual.find((i) => i.id === 'backend:sms_app.httpchk.endpoint')!
    expect(step).toMatchObject({ kind: 'manual', old: 'the application (/health)', new: 'nginx itself (/health)' })
    expect(step.notes.join(' ')).toMatch(/location = \/health \{ access_log off; return 200; \}/)
    expect(step.notes.join(' ')).toMatch(/stays UP/)
    // report 1 already checks /health: haproxy.cfg is untouched
    expect(p.items.some((i) => i.id === 'haproxy:backend.sms_app.httpchk.uri')).toBe(false)
    // a backend whose check asks / (OPTIONS): the check moves to /health
    const cfg = input.snapshot.haproxy!.config
    if (!cfg.ok) throw new Error('config')
    cfg.value.text = cfg.value.text.replace('option httpchk GET /health', 'option httpchk')
    cfg.value.parsed.proxies.find((x) => x.name === 'sms_app')!.options = ['httpchk']
    const q = buildPlan(input)
    expect(q.items.find((i) => i.id === 'haproxy:backend.sms_app.httpchk.uri')).toMatchObject({ old: '/', new: '/health' })
    expect(q.haproxyDiff).toMatch(/^-\s+option httpchk$/m)
    expect(q.haproxyDiff).toMatch(/^\+\s+option httpchk GET \/health$/m)
    expectHaproxyAccepts(q)
    // no change of what answers: no step
    const same = buildPlan({ ...input, scenario: input.baseline })
    expect([...same.items, ...same.manual].some((i) => /httpchk/.test(i.id))).toBe(false)
  })

  it('a scenario equal to the baseline yields an empty plan that says so', async () => {
    const input = await report2Inputs()
    const p = buildPlan({ ...input, scenario: input.baseline })
    expect(p.items).toEqual([])
    expect(p.notes.join(' ')).toMatch(/changes no setting/)
    expect(planToMarkdown(p)).toContain('This plan changes no setting on the server.')
  })
})

describe('exports', () => {
  it('Markdown holds every changed knob with its new value, every file and every finding', async () => {
    const p = await plan1()
    const md = planToMarkdown(p)
    for (const i of p.items) {
      const row = md.split('\n').find((l) => l.startsWith(`| ${i.knob.replace(/\|/g, '\\|')} |`))
      expect(row, i.knob).toBeDefined()
      expect(row).toContain(`**${i.new}**`)
    }
    for (const f of p.files) expect(md).toContain(`### ${f.target}`)
    for (const f of p.findings) expect(md).toContain(f.title)
    expect(md).toContain('Report 1 <script>alert(1)</script> \\| pipe')
  })

  it('HTML is self-contained: no script, inline SVG charts, snapshot text escaped', async () => {
    const p = await plan1()
    const html = planToHtml(p)
    expect(html).not.toMatch(/<script/i)
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html.match(/<svg /g)?.length).toBe(2)
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
  })

  it('the PDF renders a page that is not blank (Chromium + pdftoppm)', async () => {
    const chromium = findChromium()
    if (!chromium && process.env['CI'] === 'true') throw new Error('chromium is required under CI')
    if (!chromium || !haveTool('pdftoppm')) return
    const p = await plan1()
    const dir = tempDir('headroom-pdf-')
    const written = await writePlanBundle(p, dir, (html) => chromiumPrintToPdf(html, chromium))
    expect(written).toEqual(expect.arrayContaining(['plan.md', 'plan.html', 'plan.pdf', 'apply.sh', 'rollback.sh', 'files/etc/haproxy/haproxy.cfg', 'files/etc/sysctl.d/90-headroom.conf']))
    const pdf = readFileSync(join(dir, 'plan.pdf'))
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
    const r = spawnSync('pdftoppm', ['-r', '40', '-f', '1', '-l', '1', '-gray', join(dir, 'plan.pdf'), join(dir, 'page')], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    const pgm = readdirSync(dir).find((f) => f.startsWith('page') && f.endsWith('.pgm'))!
    const { width, height, pixels } = readPgm(readFileSync(join(dir, pgm)))
    expect(width * height).toBeGreaterThan(10000)
    const dark = pixels.filter((v) => v < 200).length
    expect(dark / pixels.length).toBeGreaterThan(0.01)
  })

  it('refuses a printer that does not return a PDF', async () => {
    const p = await plan1()
    await expect(planToPdf(p, async () => new TextEncoder().encode('<html>'))).rejects.toThrow(/not a PDF/)
  })
})

/** Parse a binary PGM (P5, maxval 255) as pdftoppm -gray writes it. */
function readPgm(buf: Buffer): { width: number; height: number; pixels: Uint8Array } {
  const header: string[] = []
  let i = 0
  while (header.length < 4) {
    while (/\s/.test(String.fromCharCode(buf[i]!))) i++
    let tok = ''
    while (!/\s/.test(String.fromCharCode(buf[i]!))) tok += String.fromCharCode(buf[i++]!)
    header.push(tok)
  }
  i++
  if (header[0] !== 'P5') throw new Error(`not a P5 PGM: ${header[0]}`)
  const width = Number(header[1])
  const height = Number(header[2])
  return { width, height, pixels: new Uint8Array(buf.subarray(i, i + width * height)) }
}

describe('php-fpm binary in the scripts', () => {
  it('uses the process name the snapshot saw (php-fpm8.2 on Debian), never an arbitrary string', async () => {
    const input = await report2Inputs()
    if (!input.snapshot.limits.processes.ok) throw new Error()
    for (const p of input.snapshot.limits.processes.value) if (p.kind === 'php-fpm') p.comm = 'php-fpm8.2'
    expect(buildPlan(input).applySh).toContain('PHPFPM_BIN="${HEADROOM_PHPFPM:-php-fpm8.2}"')
    for (const p of input.snapshot.limits.processes.value) if (p.kind === 'php-fpm') p.comm = 'php-fpm;reboot'
    expect(buildPlan(input).applySh).toContain('PHPFPM_BIN="${HEADROOM_PHPFPM:-php-fpm}"')
  })
})
