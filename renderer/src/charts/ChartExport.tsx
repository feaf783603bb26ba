/** SVG / PNG export buttons for the chart in the same figure. */
import { exportPng, exportSvg } from './export'

export function ChartExport({ title }: { title: string }) {
  const svgOf = (btn: HTMLElement): SVGSVGElement | null => btn.closest('figure')?.querySelector('svg[role="img"]') ?? null
  return (
    <span className="chart-export">
      <button
        type="button"
        className="small"
        aria-label={`export ${title} as SVG`}
        onClick={(e) => {
          const svg = svgOf(e.currentTarget)
          if (svg) exportSvg(svg, title)
        }}
      >
        SVG
      </button>
      <button
        type="button"
        className="small"
        aria-label={`export ${title} as PNG`}
        onClick={(e) => {
          const svg = svgOf(e.currentTarget)
          if (svg) void exportPng(svg, title)
        }}
      >
        PNG
      </button>
    </span>
  )
}
