// Text alternatives for the plots: a one-paragraph summary (the svg's accessible description) and
// the plotted data as a table (shown on demand, downloadable as CSV).
import type { CsvValue } from '../../core/export/csv.ts'

export interface PlotTable {
  columns: string[]
  rows: CsvValue[][]
}

const num = (v: number) => (Number.isFinite(v) ? String(+v.toPrecision(3)) : 'n/a')

interface XY {
  x: number
  y: number | null
  lo?: number | null
  hi?: number | null
}

export function lineTable(series: { name: string; points: XY[] }[], xLabel: string): PlotTable {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b)
  const withBand = series.map((s) => s.points.some((p) => p.lo != null && p.hi != null))
  const columns = [xLabel, ...series.flatMap((s, i) => (withBand[i] ? [s.name, `${s.name} (low)`, `${s.name} (high)`] : [s.name]))]
  const byX = series.map((s) => new Map(s.points.map((p) => [p.x, p])))
  const rows = xs.map((x) => [x, ...byX.flatMap((m, i) => (withBand[i] ? [m.get(x)?.y ?? null, m.get(x)?.lo ?? null, m.get(x)?.hi ?? null] : [m.get(x)?.y ?? null]))])
  return { columns, rows }
}

export function lineSummary(series: { name: string; points: XY[] }[], xLabel: string, yLabel: string): string {
  const x = xLabel.toLowerCase()
  const parts = series.map((s) => {
    const pts = s.points.filter((p): p is XY & { y: number } => p.y !== null && Number.isFinite(p.y))
    if (pts.length === 0) return `${s.name}: no values.`
    const first = pts[0]
    const last = pts[pts.length - 1]
    const max = pts.reduce((a, p) => (p.y > a.y ? p : a))
    const min = pts.reduce((a, p) => (p.y < a.y ? p : a))
    return `${s.name}: ${num(first.y)} at ${x} ${first.x}, ${num(last.y)} at ${x} ${last.x}; highest ${num(max.y)} at ${x} ${max.x}, lowest ${num(min.y)} at ${x} ${min.x}.`
  })
  return `${yLabel} against ${x}. ${parts.join(' ')}`
}

export function scatterTable(points: { x: number; y: number; label: string; group: string; shape?: string }[], xLabel: string, yLabel: string): PlotTable {
  const shapes = points.some((p) => p.shape)
  return {
    columns: ['Label', 'Group', ...(shapes ? ['Marker group'] : []), xLabel, yLabel],
    rows: points.map((p) => [p.label, p.group, ...(shapes ? [p.shape ?? ''] : []), p.x, p.y]),
  }
}

export function scatterSummary(points: { x: number; y: number; group: string }[], xLabel: string, yLabel: string): string {
  if (points.length === 0) return 'No points.'
  const ext = (f: (p: { x: number; y: number }) => number) => [Math.min(...points.map(f)), Math.max(...points.map(f))].map(num).join(' to ')
  const groups = new Map<string, number>()
  for (const p of points) groups.set(p.group, (groups.get(p.group) ?? 0) + 1)
  return `${points.length} points. ${xLabel} from ${ext((p) => p.x)}; ${yLabel} from ${ext((p) => p.y)}. Groups: ${[...groups].map(([g, n]) => `${g} (${n})`).join(', ')}. Every point is listed in the data table.`
}

export function histogramTable(bins: { x0: number; x1: number; count: number }[], xLabel: string, yLabel: string): PlotTable {
  return { columns: [`${xLabel}: from`, 'to', yLabel], rows: bins.map((b) => [b.x0, b.x1, b.count]) }
}

export function histogramSummary(bins: { x0: number; x1: number; count: number }[], xLabel: string, yLabel: string, fmt: (v: number) => string = num): string {
  if (bins.length === 0) return 'No data.'
  const total = bins.reduce((a, b) => a + b.count, 0)
  const top = bins.reduce((a, b) => (b.count > a.count ? b : a))
  return `${bins.length} bins of ${xLabel} from ${fmt(bins[0].x0)} to ${fmt(bins[bins.length - 1].x1)}, ${total} ${yLabel.toLowerCase()} in all; the largest bin, ${fmt(top.x0)} to ${fmt(top.x1)}, holds ${top.count}.`
}

export function heatmapTable(rows: { label: string; values: (number | null)[] }[], columns: string[], xLabel: string): PlotTable {
  return { columns: ['Row', ...columns.map((c) => `${xLabel} ${c}`)], rows: rows.map((r) => [r.label, ...r.values]) }
}

export function heatmapSummary(rows: { label: string; values: (number | null)[] }[], columns: string[], xLabel: string): string {
  const cells = rows.flatMap((r) => r.values.map((v, j) => ({ r: r.label, c: columns[j], v }))).filter((c): c is { r: string; c: string; v: number } => c.v !== null && Number.isFinite(c.v))
  if (cells.length === 0) return 'No values.'
  const max = cells.reduce((a, c) => (c.v > a.v ? c : a))
  const min = cells.reduce((a, c) => (c.v < a.v ? c : a))
  return `${rows.length} rows by ${columns.length} ${xLabel.toLowerCase()} columns. Highest ${num(max.v)} (${max.r}, ${xLabel.toLowerCase()} ${max.c}); lowest ${num(min.v)} (${min.r}, ${xLabel.toLowerCase()} ${min.c}).`
}

export function coefficientTable(rows: { label: string; values: { series: string; estimate: number; lo: number; hi: number }[] }[]): PlotTable {
  return { columns: ['Row', 'Series', 'Estimate', 'Low', 'High'], rows: rows.flatMap((r) => r.values.map((v) => [r.label, v.series, v.estimate, v.lo, v.hi])) }
}

export function coefficientSummary(rows: { label: string; values: { series: string; estimate: number; lo: number; hi: number }[] }[]): string {
  return rows
    .map((r) => `${r.label}: ${r.values.map((v) => `${v.series} ${num(v.estimate)}${Number.isFinite(v.lo) && Number.isFinite(v.hi) && v.lo !== v.hi ? ` (${num(v.lo)} to ${num(v.hi)})` : ''}`).join(', ')}.`)
    .join(' ')
}
