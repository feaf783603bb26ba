/** A chart's caption: title, SVG/PNG export, and the legend (line or box swatches). */
import { ChartExport } from './ChartExport'

export interface LegendItem {
  key: string
  label: string
  className: string
  dashed?: boolean
}

export function ChartCaption({ title, items, swatch }: { title: string; items: LegendItem[]; swatch: 'line' | 'box' }) {
  return (
    <figcaption>
      <span className="chart-title">{title}</span>
      <ChartExport title={title} />
      <span className="legend">
        {items.map((s) => (
          <span key={s.key} className={`legend-item ${s.className}`}>
            {swatch === 'line' ? (
              <svg width="14" height="8" aria-hidden="true">
                <line x1="0" y1="4" x2="14" y2="4" className={`stroke ${s.dashed ? 'dashed' : ''}`} />
              </svg>
            ) : (
              <svg width="10" height="10" aria-hidden="true">
                <rect width="10" height="10" className="swatch" />
              </svg>
            )}
            {s.label}
          </span>
        ))}
      </span>
    </figcaption>
  )
}
