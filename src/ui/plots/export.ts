// Exporting a rendered plot as SVG or PNG: the SVG is serialised with its computed styles
// inlined, so the file looks like the screen without the page's CSS.
const STYLE_PROPS = ['fill', 'stroke', 'stroke-width', 'stroke-dasharray', 'font-size', 'font-family', 'font-weight', 'opacity', 'fill-opacity', 'text-anchor', 'dominant-baseline']

export function serializeSvg(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement
  const src = svg.querySelectorAll('*')
  const dst = clone.querySelectorAll('*')
  src.forEach((el, i) => {
    const cs = getComputedStyle(el)
    const style = STYLE_PROPS.map((p) => `${p}:${cs.getPropertyValue(p)}`).join(';')
    ;(dst[i] as SVGElement).setAttribute('style', style)
  })
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg')
  const { width, height } = svg.getBoundingClientRect()
  clone.setAttribute('width', String(width))
  clone.setAttribute('height', String(height))
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect')
  bg.setAttribute('width', '100%')
  bg.setAttribute('height', '100%')
  bg.setAttribute('fill', '#ffffff')
  clone.insertBefore(bg, clone.firstChild)
  return new XMLSerializer().serializeToString(clone)
}

function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export function downloadSvg(svg: SVGSVGElement, name: string) {
  download(new Blob([serializeSvg(svg)], { type: 'image/svg+xml' }), `${name}.svg`)
}

export async function svgToPngBlob(svg: SVGSVGElement, scale = 2): Promise<Blob> {
  const text = serializeSvg(svg)
  const { width, height } = svg.getBoundingClientRect()
  const img = new Image()
  img.src = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }))
  await img.decode()
  const canvas = document.createElement('canvas')
  canvas.width = Math.round(width * scale)
  canvas.height = Math.round(height * scale)
  const ctx = canvas.getContext('2d')!
  ctx.scale(scale, scale)
  ctx.drawImage(img, 0, 0)
  URL.revokeObjectURL(img.src)
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG export failed'))), 'image/png'))
}

export async function downloadPng(svg: SVGSVGElement, name: string) {
  download(await svgToPngBlob(svg), `${name}.png`)
}

export function downloadText(text: string, name: string, type = 'text/plain') {
  download(new Blob([text], { type }), name)
}

export function downloadBytes(bytes: Uint8Array, name: string, type = 'application/octet-stream') {
  download(new Blob([bytes as BlobPart], { type }), name)
}
