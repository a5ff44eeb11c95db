import * as d3 from 'd3'
import { useId } from 'react'
import { seriesColor, seriesMarker } from './palette.ts'
import { PlotData, useDescribedBy } from './PlotData.tsx'
import { coefficientSummary, coefficientTable } from './summaries.ts'
import { SYMBOLS } from './ScatterPlot.tsx'

/** Series k's marker: a circle for the first, other shapes after it, so series never differ by colour alone. */
function Marker({ k, cx, cy, title }: { k: number; cx: number; cy: number; title?: string }) {
  const t = title ? <title>{title}</title> : null
  if (k === 0)
    return (
      <circle cx={cx} cy={cy} r={6} fill={seriesColor(k)}>
        {t}
      </circle>
    )
  return (
    <path d={d3.symbol(SYMBOLS[seriesMarker(k)], 120)() ?? ''} transform={`translate(${cx},${cy})`} fill={seriesColor(k)} stroke="#fff" strokeWidth={0.8}>
      {t}
    </path>
  )
}

export interface CoefficientRow {
  label: string
  /** One estimate per series (e.g. before / after / random). */
  values: { series: string; estimate: number; lo: number; hi: number }[]
}

/** Estimates with confidence intervals, one row per coefficient, a dashed line at the reference. */
export function CoefficientPlot(p: {
  rows: CoefficientRow[]
  xLabel: string
  reference?: { x: number; label: string }
  description: string
  width?: number
  svgRef?: React.RefObject<SVGSVGElement | null>
}) {
  const width = p.width ?? 760
  const summaryId = useId()
  const describedBy = useDescribedBy(summaryId)
  const series = [...new Set(p.rows.flatMap((r) => r.values.map((v) => v.series)))]
  const rowH = 26 * Math.max(1, series.length) + 18
  // Room for the longest row label at 14 px, so no label is clipped.
  const left = Math.min(420, 24 + 7.6 * Math.max(...p.rows.map((r) => r.label.length), 8))
  const m = { top: 26, right: 24, bottom: 52 + (series.length > 1 ? 22 : 0), left }
  const height = m.top + m.bottom + rowH * p.rows.length
  const xs = p.rows.flatMap((r) => r.values.flatMap((v) => [v.lo, v.hi, v.estimate])).filter(Number.isFinite)
  if (p.reference) xs.push(p.reference.x)
  const ext = d3.extent(xs) as [number, number]
  const x = d3.scaleLinear().domain(ext[0] === ext[1] ? [ext[0] - 1, ext[1] + 1] : ext).nice().range([m.left, width - m.right])
  return (
    <>
      <svg ref={p.svgRef} width={width} height={height} role="img" aria-label={p.description} aria-describedby={describedBy}>
        <title>{p.description}</title>
        {x.ticks(7).map((t) => (
          <line key={t} x1={x(t)} x2={x(t)} y1={m.top} y2={height - m.bottom} stroke="#e3e6ea" />
        ))}
        {p.reference && (
          <g>
            <line x1={x(p.reference.x)} x2={x(p.reference.x)} y1={m.top} y2={height - m.bottom} stroke="#555" strokeDasharray="5 4" />
            <text x={x(p.reference.x)} y={m.top - 8} textAnchor="middle" fontSize={12} fill="#333">
              {p.reference.label}
            </text>
          </g>
        )}
        {p.rows.map((r, i) => {
          const y0 = m.top + i * rowH + 14
          return (
            <g key={r.label}>
              <text x={m.left - 10} y={y0 + (rowH - 18) / 2} dy="0.32em" textAnchor="end" fontSize={14} fill="#222">
                {r.label}
              </text>
              {r.values.map((v) => {
                const k = series.indexOf(v.series)
                const y = y0 + k * 26
                const finite = Number.isFinite(v.lo) && Number.isFinite(v.hi)
                return (
                  <g key={v.series}>
                    {finite && <line x1={x(v.lo)} x2={x(v.hi)} y1={y} y2={y} stroke={seriesColor(k)} strokeWidth={3} />}
                    <Marker k={k} cx={x(v.estimate)} cy={y} title={`${r.label}, ${v.series}: ${v.estimate.toFixed(3)} [${v.lo.toFixed(3)}, ${v.hi.toFixed(3)}]`} />
                    <text x={finite ? x(v.hi) + 8 : x(v.estimate) + 10} y={y} dy="0.32em" fontSize={12} fill="#333">
                      {v.estimate.toFixed(2)}
                    </text>
                  </g>
                )
              })}
            </g>
          )
        })}
        <g transform={`translate(0,${height - m.bottom})`}>
          <line x1={m.left} x2={width - m.right} stroke="#333" />
          {x.ticks(7).map((t) => (
            <g key={t} transform={`translate(${x(t)},0)`}>
              <line y2={5} stroke="#333" />
              <text y={18} textAnchor="middle" fontSize={13} fill="#222">
                {d3.format('~g')(t)}
              </text>
            </g>
          ))}
          <text x={(m.left + width - m.right) / 2} y={40} textAnchor="middle" fontSize={14} fill="#222">
            {p.xLabel}
          </text>
          {series.length > 1 &&
            series.map((s, k) => (
              <g key={s} transform={`translate(${m.left + series.slice(0, k).reduce((a, x) => a + 40 + x.length * 7.4, 0)},58)`}>
                <Marker k={k} cx={6} cy={0} />
                <text x={16} dy="0.32em" fontSize={13} fill="#222">
                  {s}
                </text>
              </g>
            ))}
        </g>
      </svg>
      <PlotData id={summaryId} summary={coefficientSummary(p.rows)} table={coefficientTable(p.rows)} />
    </>
  )
}
