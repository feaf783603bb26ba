/**
 * Chart export: the SVG as shown (styles from the theme inlined, since a standalone file has
 * no stylesheet) or rasterised to PNG at 2x through a canvas. Downloads go through blob URLs.
 */
import { downloadBlob } from '../util/download'

const PROPS = ['fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-opacity', 'opacity', 'font-size', 'font-family', 'font-weight', 'text-anchor', 'dominant-baseline']

/** A standalone SVG document of `svg` with computed styles inlined. */
export function standaloneSvg(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement
  const src = svg.querySelectorAll('*')
  const dst = clone.querySelectorAll('*')
  src.forEach((el, i) => {
    const cs = getComputedStyle(el)
    // CSSOM writes, not a style attribute: the page's CSP (style-src 'self') forbids the latter.
    const target = (dst[i] as SVGElement).style
    for (const p of PROPS) {
      const v = cs.getPropertyValue(p)
      if (v) target.setProperty(p, v)
    }
  })
  const w = svg.getAttribute('width') ?? String(svg.clientWidth)
  const h = svg.getAttribute('height') ?? String(svg.clientHeight)
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg')
  clone.setAttribute('viewBox', `0 0 ${w} ${h}`)
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect')
  bg.setAttribute('width', '100%')
  bg.setAttribute('height', '100%')
  bg.setAttribute('fill', getComputedStyle(document.body).getPropertyValue('background-color') || '#ffffff')
  clone.insertBefore(bg, clone.firstChild)
  // hover-only parts are not part of the picture
  clone.querySelectorAll('.hover-target, .hover-rule').forEach((n) => n.remove())
  return new XMLSerializer().serializeToString(clone)
}

function download(blob: Blob, name: string): void {
  downloadBlob(name, blob, blob.type)
}

export function fileName(title: string, ext: string): string {
  return `headroom-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}.${ext}`
}

export function exportSvg(svg: SVGSVGElement, title: string): void {
  download(new Blob([standaloneSvg(svg)], { type: 'image/svg+xml' }), fileName(title, 'svg'))
}

export async function exportPng(svg: SVGSVGElement, title: string, scale = 2): Promise<void> {
  const text = standaloneSvg(svg)
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }))
  try {
    const img = new Image()
    await new Promise<void>((ok, fail) => {
      img.onload = () => ok()
      img.onerror = () => fail(new Error('the chart could not be rasterised'))
      img.src = url
    })
    const w = Number(svg.getAttribute('width') ?? svg.clientWidth)
    const h = Number(svg.getAttribute('height') ?? svg.clientHeight)
    const canvas = document.createElement('canvas')
    canvas.width = Math.round(w * scale)
    canvas.height = Math.round(h * scale)
    const ctx = canvas.getContext('2d')
    if (!ctx) throw new Error('no canvas')
    ctx.scale(scale, scale)
    ctx.drawImage(img, 0, 0, w, h)
    const blob = await new Promise<Blob | null>((ok) => canvas.toBlob(ok, 'image/png'))
    if (!blob) throw new Error('PNG encoding failed')
    download(blob, fileName(title, 'png'))
  } finally {
    URL.revokeObjectURL(url)
  }
}
