/**
 * Plan exports: Markdown (for review in a ticket or a repository) and self-contained HTML
 * (inline CSS and inline SVG charts, no scripts: it prints to PDF as is). Every value that
 * came from a snapshot is escaped for its target (Markdown table cells, code fences, HTML).
 * PDF goes through a caller-given `printToPdf(html)` (Electron's webContents.printToPDF in
 * the desktop app, Chromium printing in the browser host and CLI). PURE.
 */
import { esc, outcomeBars, timeSeries } from './charts'
import type { Plan, PredictionDigest } from './types'

function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ')
}

function fence(content: string, lang = ''): string {
  const longest = Math.max(2, ...(content.match(/`+/g) ?? []).map((m) => m.length))
  const f = '`'.repeat(longest + 1)
  return `${f}${lang}\n${content.replace(/\n$/, '')}\n${f}`
}

function inline(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length))
  const f = '`'.repeat(longest + 1)
  return `${f}${longest ? ' ' : ''}${s.replace(/[\r\n]+/g, ' ')}${longest ? ' ' : ''}${f}`
}

const pct = (n: number): string => `${n.toFixed(1)}%`
const ms = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`)

/** Rows of the prediction table: [metric, baseline, scenario]. */
export function predictionRows(b: PredictionDigest | null, s: PredictionDigest | null): [string, string, string][] {
  const v = (d: PredictionDigest | null, f: (d: PredictionDigest) => string): string => (d ? f(d) : 'not simulated')
  const rows: [string, string, string][] = [
    ['requests', v(b, (d) => String(d.requests)), v(s, (d) => String(d.requests))],
    ['success', v(b, (d) => `${pct(d.successPct)} (${d.ok})`), v(s, (d) => `${pct(d.successPct)} (${d.ok})`)],
    ['failed', v(b, (d) => String(d.failed)), v(s, (d) => String(d.failed))]
  ]
  if ((b?.unfinished ?? 0) > 0 || (s?.unfinished ?? 0) > 0) rows.push(['unfinished at the end of the run', v(b, (d) => String(d.unfinished)), v(s, (d) => String(d.unfinished))])
  const causes = new Set<string>()
  for (const d of [b, s]) for (const [c, n] of Object.entries(d?.byCause ?? {})) if (n > 0) causes.add(c)
  for (const c of [...causes].sort()) rows.push([`  failed: ${c}`, v(b, (d) => String(d.byCause[c] ?? 0)), v(s, (d) => String(d.byCause[c] ?? 0))])
  rows.push(['latency p50', v(b, (d) => ms(d.p50Ms)), v(s, (d) => ms(d.p50Ms))])
  rows.push(['latency p99', v(b, (d) => ms(d.p99Ms)), v(s, (d) => ms(d.p99Ms))])
  rows.push(['connect p99', v(b, (d) => ms(d.connectP99Ms)), v(s, (d) => ms(d.connectP99Ms))])
  const ceil = (d: PredictionDigest): string => (d.ceiling === 'none' ? 'none reached' : `${d.ceiling}${d.ceilingAtS != null ? ` at ${d.ceilingAtS.toFixed(0)} s` : ''}${d.ceilingAtLoad != null ? ` (load ${Math.round(d.ceilingAtLoad)})` : ''}`)
  rows.push(['first ceiling', v(b, ceil), v(s, ceil)])
  return rows
}

/** The plan as Markdown. */
export function planToMarkdown(plan: Plan): string {
  const L: string[] = []
  L.push(`# Tuning plan for ${cell(plan.host)}`)
  L.push('')
  L.push(`Plan ${inline(plan.id)}, created ${plan.createdAt}. Snapshot ${inline(plan.snapshotId)} (${cell(plan.snapshotName)}), taken ${cell(plan.snapshotTakenAt)}.`)
  L.push(`Baseline ${inline(plan.baselineName)} -> scenario ${inline(plan.scenarioName)}.`)
  L.push('')
  L.push('## Findings, in order of impact')
  L.push('')
  if (!plan.findings.length) L.push('No finding.')
  for (const f of plan.findings) {
    L.push(`${f.impactRank}. **[${f.severity.toUpperCase()}] ${cell(f.title)}** (${inline(f.id)})`)
    for (const e of f.evidence) L.push(`   - ${cell(e.label)}: ${inline(e.value)} (${cell(e.source)})`)
    L.push(`   - Mechanism: ${cell(f.mechanism)}`)
    L.push(`   - Fix: ${cell(f.fix)}`)
  }
  L.push('')
  L.push('## Changes')
  L.push('')
  if (!plan.items.length) L.push('This plan changes no setting on the server.')
  else {
    L.push('| Knob | Old | New | Applied in | Takes effect by | Answers |')
    L.push('|---|---|---|---|---|---|')
    for (const i of plan.items) L.push(`| ${cell(i.knob)} | ${cell(i.old)} | **${cell(i.new)}** | ${cell(i.appliedIn)} | ${cell(i.actions.join(', '))} | ${cell(i.findings.join(', '))} |`)
    const withNotes = plan.items.filter((i) => i.notes.length)
    if (withNotes.length) {
      L.push('')
      for (const i of withNotes) for (const n of i.notes) L.push(`- ${cell(i.knob)}: ${cell(n)}`)
    }
  }
  if (plan.manual.length) {
    L.push('')
    L.push('### Not applied by the scripts (change by hand or elsewhere)')
    L.push('')
    L.push('| Knob | Old | New | Why |')
    L.push('|---|---|---|---|')
    for (const i of plan.manual) L.push(`| ${cell(i.knob)} | ${cell(i.old)} | ${cell(i.new)} | ${cell([i.appliedIn, ...i.notes].join('; '))} |`)
  }
  L.push('')
  L.push('## Predicted effect (same load curve)')
  L.push('')
  const { baseline: b, scenario: s } = plan.prediction
  if (!b && !s) L.push('No simulation was given with this plan.')
  else {
    L.push('| | Baseline | Scenario |')
    L.push('|---|---|---|')
    for (const [m, x, y] of predictionRows(b, s)) L.push(`| ${cell(m)} | ${cell(x)} | ${cell(y)} |`)
    if (s?.verdict) {
      L.push('')
      L.push(`Scenario verdict: ${cell(s.verdict)}`)
    }
  }
  L.push('')
  L.push('## Files')
  for (const f of plan.files) {
    L.push('')
    L.push(`### ${cell(f.target)}`)
    L.push('')
    L.push(f.original === null ? 'New file:' : 'Diff against the snapshot\'s text:')
    L.push('')
    L.push(f.original === null ? fence(f.content) : fence(f.diff, 'diff'))
  }
  L.push('')
  L.push('## Apply and roll back')
  L.push('')
  L.push('Review the files above, copy the bundle to the server, then as root:')
  L.push('')
  L.push(fence('sh apply.sh          # validates haproxy.cfg with haproxy -c before any change; records previous values\nsh rollback.sh       # restores every recorded value and file', 'sh'))
  L.push('')
  L.push('Both scripts take an optional ROOT prefix (`sh apply.sh /srv/chroot`) for every file they touch.')
  L.push('')
  L.push('## Verification checklist')
  L.push('')
  for (const c of plan.checklist) {
    L.push(`- [ ] ${cell(c.what)}: ${inline(c.command)}`)
    L.push(`      expect: ${cell(c.expect)}`)
  }
  if (plan.notes.length) {
    L.push('')
    L.push('## Notes')
    L.push('')
    for (const n of plan.notes) L.push(`- ${cell(n)}`)
  }
  L.push('')
  return L.join('\n')
}

const CSS = `body{font-family:Helvetica,Arial,sans-serif;font-size:12px;color:#1b1b1b;margin:24px;max-width:980px}
h1{font-size:20px}h2{font-size:16px;border-bottom:1px solid #ccc;padding-bottom:2px;margin-top:24px}h3{font-size:13px}
table{border-collapse:collapse;margin:8px 0;width:100%}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}code,pre{font-family:Menlo,Consolas,monospace;font-size:11px}pre{background:#f6f6f6;padding:8px;white-space:pre-wrap;word-break:break-all}
.sev{display:inline-block;padding:1px 6px;border-radius:3px;color:#fff;font-size:10px;font-weight:bold}
.critical{background:#b0413e}.warning{background:#c98b00}.info{background:#5a7184}
.finding{margin:10px 0;page-break-inside:avoid}.ev{color:#333}.add{color:#1d6b2c}.del{color:#a12622}.new{font-weight:bold}
.chart{margin:8px 0}`

function diffHtml(diff: string): string {
  return diff
    .split('\n')
    .map((l) => (l.startsWith('+') && !l.startsWith('+++') ? `<span class="add">${esc(l)}</span>` : l.startsWith('-') && !l.startsWith('---') ? `<span class="del">${esc(l)}</span>` : esc(l)))
    .join('\n')
}

/** The plan as one self-contained HTML page (no scripts; charts as inline SVG). */
export function planToHtml(plan: Plan): string {
  const H: string[] = []
  H.push('<!doctype html><html lang="en"><head><meta charset="utf-8">')
  H.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`)
  H.push(`<title>${esc(`Tuning plan for ${plan.host}`)}</title><style>${CSS}</style></head><body>`)
  H.push(`<h1>${esc(`Tuning plan for ${plan.host}`)}</h1>`)
  H.push(`<p>Plan <code>${esc(plan.id)}</code>, created ${esc(plan.createdAt)}. Snapshot <code>${esc(plan.snapshotId)}</code> (${esc(plan.snapshotName)}), taken ${esc(plan.snapshotTakenAt)}.<br>Baseline <b>${esc(plan.baselineName)}</b> &rarr; scenario <b>${esc(plan.scenarioName)}</b>.</p>`)
  H.push('<h2>Findings, in order of impact</h2>')
  if (!plan.findings.length) H.push('<p>No finding.</p>')
  for (const f of plan.findings) {
    H.push(`<div class="finding"><div><b>${f.impactRank}.</b> <span class="sev ${f.severity}">${f.severity.toUpperCase()}</span> <b>${esc(f.title)}</b> <code>${esc(f.id)}</code></div>`)
    H.push('<ul class="ev">' + f.evidence.map((e) => `<li>${esc(e.label)}: <code>${esc(e.value)}</code> <i>(${esc(e.source)})</i></li>`).join('') + '</ul>')
    H.push(`<p><b>Mechanism.</b> ${esc(f.mechanism)}</p><p><b>Fix.</b> ${esc(f.fix)}</p></div>`)
  }
  H.push('<h2>Changes</h2>')
  if (!plan.items.length) H.push('<p>This plan changes no setting on the server.</p>')
  else {
    H.push('<table><tr><th>Knob</th><th>Old</th><th>New</th><th>Applied in</th><th>Takes effect by</th><th>Answers</th></tr>')
    for (const i of plan.items) H.push(`<tr><td>${esc(i.knob)}</td><td>${esc(i.old)}</td><td class="new">${esc(i.new)}</td><td>${esc(i.appliedIn)}</td><td>${esc(i.actions.join(', '))}</td><td>${esc(i.findings.join(', '))}</td></tr>`)
    H.push('</table>')
    const notes = plan.items.flatMap((i) => i.notes.map((n) => `${i.knob}: ${n}`))
    if (notes.length) H.push('<ul>' + notes.map((n) => `<li>${esc(n)}</li>`).join('') + '</ul>')
  }
  if (plan.manual.length) {
    H.push('<h3>Not applied by the scripts</h3><table><tr><th>Knob</th><th>Old</th><th>New</th><th>Why</th></tr>')
    for (const i of plan.manual) H.push(`<tr><td>${esc(i.knob)}</td><td>${esc(i.old)}</td><td>${esc(i.new)}</td><td>${esc([i.appliedIn, ...i.notes].join('; '))}</td></tr>`)
    H.push('</table>')
  }
  H.push('<h2>Predicted effect (same load curve)</h2>')
  const { baseline: b, scenario: s } = plan.prediction
  if (!b && !s) H.push('<p>No simulation was given with this plan.</p>')
  else {
    H.push('<table><tr><th></th><th>Baseline</th><th>Scenario</th></tr>')
    for (const [m, x, y] of predictionRows(b, s)) H.push(`<tr><td>${esc(m)}</td><td>${esc(x)}</td><td>${esc(y)}</td></tr>`)
    H.push('</table>')
    H.push(`<div class="chart">${outcomeBars(b, s)}</div>`)
    const ts = timeSeries(b, s)
    if (ts) H.push(`<div class="chart">${ts}</div>`)
    if (s?.verdict) H.push(`<p>Scenario verdict: ${esc(s.verdict)}</p>`)
  }
  H.push('<h2>Files</h2>')
  for (const f of plan.files) {
    H.push(`<h3>${esc(f.target)}</h3>`)
    H.push(f.original === null ? `<p>New file:</p><pre>${esc(f.content)}</pre>` : `<p>Diff against the snapshot's text:</p><pre>${diffHtml(f.diff)}</pre>`)
  }
  H.push('<h2>Apply and roll back</h2><p>As root on the server, from the exported bundle: <code>sh apply.sh</code> (validates haproxy.cfg with <code>haproxy -c</code> before any change and records the previous values), <code>sh rollback.sh</code> to restore them. Both take an optional ROOT prefix.</p>')
  H.push('<h2>Verification checklist</h2><table><tr><th>Check</th><th>Command</th><th>Expect</th></tr>')
  for (const c of plan.checklist) H.push(`<tr><td>${esc(c.what)}</td><td><code>${esc(c.command)}</code></td><td>${esc(c.expect)}</td></tr>`)
  H.push('</table>')
  if (plan.notes.length) H.push('<h2>Notes</h2><ul>' + plan.notes.map((n) => `<li>${esc(n)}</li>`).join('') + '</ul>')
  H.push('</body></html>')
  return H.join('\n')
}

/** Print the plan's HTML to PDF with the given provider (Electron printToPDF, or Chromium). */
export async function planToPdf(plan: Plan, printToPdf: (html: string) => Promise<Uint8Array>): Promise<Uint8Array> {
  const pdf = await printToPdf(planToHtml(plan))
  if (!(pdf instanceof Uint8Array) || pdf.length < 5 || String.fromCharCode(...pdf.subarray(0, 5)) !== '%PDF-') {
    throw new Error('the PDF printer returned something that is not a PDF')
  }
  return pdf
}
