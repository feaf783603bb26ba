/**
 * Server-side SVG charts for the exported plan (HTML/PDF): d3 computes scales, shapes and
 * ticks; the output is a plain SVG string (no script, no DOM), so the HTML stays
 * self-contained and printable. Inputs are the plan's prediction digests. PURE.
 */
import { line as d3line, scaleBand, scaleLinear } from 'd3'
import type { PredictionDigest } from './types'

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

const COLORS = { baseline: '#b0413e', scenario: '#2a6f97' }
const FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="11"'

/** Grouped bars: requests OK and failures by cause, baseline vs scenario. */
export function outcomeBars(base: PredictionDigest | null, scen: PredictionDigest | null, width = 640, height = 260): string {
  const causes = new Set<string>()
  for (const d of [base, scen]) for (const [c, n] of Object.entries(d?.byCause ?? {})) if (n > 0) causes.add(c)
  const cats = ['ok', ...[...causes].sort()]
  const value = (d: PredictionDigest | null, c: string): number => (d ? (c === 'ok' ? d.ok : d.byCause[c] ?? 0) : 0)
  const max = Math.max(1, ...cats.flatMap((c) => [value(base, c), value(scen, c)]))
  const m = { top: 24, right: 12, bottom: 42, left: 64 }
  const x = scaleBand<string>().domain(cats).range([m.left, width - m.right]).padding(0.25)
  const inner = scaleBand<string>().domain(['baseline', 'scenario']).range([0, x.bandwidth()]).padding(0.1)
  const y = scaleLinear().domain([0, max]).nice().range([height - m.bottom, m.top])
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Requests by outcome, baseline vs scenario" ${FONT}>`]
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`)
  for (const t of y.ticks(5)) {
    parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e3e3e3"/>`)
    parts.push(`<text x="${m.left - 6}" y="${y(t) + 4}" text-anchor="end" fill="#444">${esc(t.toLocaleString('en-US'))}</text>`)
  }
  for (const c of cats) {
    for (const [key, d] of [['baseline', base], ['scenario', scen]] as const) {
      if (!d) continue
      const v = value(d, c)
      const x0 = x(c)! + inner(key)!
      parts.push(`<rect x="${x0.toFixed(1)}" y="${y(v).toFixed(1)}" width="${inner.bandwidth().toFixed(1)}" height="${(y(0) - y(v)).toFixed(1)}" fill="${COLORS[key]}"><title>${esc(`${key} ${c}: ${v}`)}</title></rect>`)
    }
    parts.push(`<text x="${(x(c)! + x.bandwidth() / 2).toFixed(1)}" y="${height - m.bottom + 14}" text-anchor="middle" fill="#222">${esc(c === 'ok' ? 'ok (2xx)' : c)}</text>`)
  }
  parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`)
  parts.push(legend(width - m.right - 170, 8))
  parts.push('</svg>')
  return parts.join('')
}

function legend(x: number, y: number): string {
  return (
    `<g transform="translate(${x},${y})">` +
    `<rect width="10" height="10" fill="${COLORS.baseline}"/><text x="14" y="9" fill="#222">baseline</text>` +
    `<rect x="80" width="10" height="10" fill="${COLORS.scenario}"/><text x="94" y="9" fill="#222">scenario</text></g>`
  )
}

/** Lines over simulated time: completed/s (solid) and failed/s (dashed), baseline vs scenario. */
export function timeSeries(base: PredictionDigest | null, scen: PredictionDigest | null, width = 640, height = 260): string | null {
  const series = [base?.series ? { key: 'baseline' as const, s: base.series } : null, scen?.series ? { key: 'scenario' as const, s: scen.series } : null].filter((x) => x !== null)
  if (!series.length) return null
  const tMax = Math.max(1, ...series.flatMap(({ s }) => s.t))
  const vMax = Math.max(1, ...series.flatMap(({ s }) => [...s.completed, ...s.failed, ...s.offered]))
  const m = { top: 24, right: 12, bottom: 36, left: 64 }
  const x = scaleLinear().domain([0, tMax]).range([m.left, width - m.right])
  const y = scaleLinear().domain([0, vMax]).nice().range([height - m.bottom, m.top])
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Completed and failed requests per second" ${FONT}>`]
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`)
  for (const t of y.ticks(5)) {
    parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e3e3e3"/>`)
    parts.push(`<text x="${m.left - 6}" y="${y(t) + 4}" text-anchor="end" fill="#444">${esc(t.toLocaleString('en-US'))}</text>`)
  }
  for (const t of x.ticks(8)) parts.push(`<text x="${x(t)}" y="${height - m.bottom + 14}" text-anchor="middle" fill="#444">${esc(String(t))}</text>`)
  parts.push(`<text x="${(width + m.left) / 2}" y="${height - 4}" text-anchor="middle" fill="#222">simulated time (s)</text>`)
  parts.push(`<text x="12" y="${m.top - 8}" fill="#222">requests / s</text>`)
  for (const { key, s } of series) {
    const pts = (ys: number[]): [number, number][] => s.t.map((t, i) => [x(t), y(ys[i] ?? 0)])
    const path = d3line()
    parts.push(`<path d="${path(pts(s.completed)) ?? ''}" fill="none" stroke="${COLORS[key]}" stroke-width="1.6"><title>${key} completed/s</title></path>`)
    parts.push(`<path d="${path(pts(s.failed)) ?? ''}" fill="none" stroke="${COLORS[key]}" stroke-width="1.4" stroke-dasharray="4 3"><title>${key} failed/s</title></path>`)
  }
  parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`)
  parts.push(legend(width - m.right - 170, 8))
  parts.push(`<text x="${m.left + 4}" y="${m.top + 4}" fill="#555">solid: completed, dashed: failed</text>`)
  parts.push('</svg>')
  return parts.join('')
}
