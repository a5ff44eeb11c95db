import { useId } from 'react'
import { divergingColor, divergingTextColor } from './palette.ts'
import { PlotData, useDescribedBy } from './PlotData.tsx'
import { heatmapSummary, heatmapTable } from './summaries.ts'

/** Rows × columns of values in [−1, 1] on a diverging, colour-blind-safe scale, values printed in cells. */
export function Heatmap(p: {
  rows: { label: string; values: (number | null)[] }[]
  columns: string[]
  xLabel: string
  description: string
  svgRef?: React.RefObject<SVGSVGElement | null>
  width?: number
}) {
  const m = { top: 10, right: 20, bottom: 70, left: Math.min(420, 20 + 7 * Math.max(...p.rows.map((r) => r.label.length), 8)) }
  const width = p.width ?? 760
  const cellW = Math.max(18, Math.min(60, (width - m.left - m.right) / Math.max(1, p.columns.length)))
  const cellH = 34
  const height = m.top + m.bottom + cellH * p.rows.length
  const color = divergingColor
  const summaryId = useId()
  const describedBy = useDescribedBy(summaryId)
  const showText = cellW >= 34
  return (
    <>
      <svg ref={p.svgRef} width={m.left + cellW * p.columns.length + m.right} height={height} role="img" aria-label={p.description} aria-describedby={describedBy}>
        <title>{p.description}</title>
        {p.rows.map((r, i) => (
          <g key={r.label} transform={`translate(0,${m.top + i * cellH})`}>
            <text x={m.left - 8} y={cellH / 2} dy="0.32em" textAnchor="end" fontSize={13} fill="#222">
              {r.label}
            </text>
            {r.values.map((v, j) => (
              <g key={j} transform={`translate(${m.left + j * cellW},0)`}>
                <rect width={cellW - 1} height={cellH - 1} fill={v === null || !Number.isFinite(v) ? '#ddd' : color(v)}>
                  <title>{`${r.label}, ${p.columns[j]}: ${v === null ? 'n/a' : v.toFixed(3)}`}</title>
                </rect>
                {showText && v !== null && Number.isFinite(v) && (
                  <text x={(cellW - 1) / 2} y={cellH / 2} dy="0.32em" textAnchor="middle" fontSize={11} fill={divergingTextColor(v)}>
                    {v.toFixed(2)}
                  </text>
                )}
              </g>
            ))}
          </g>
        ))}
        <g transform={`translate(${m.left},${m.top + cellH * p.rows.length})`}>
          {p.columns.map((c, j) => (
            <text key={c} x={j * cellW + cellW / 2} y={16} textAnchor="middle" fontSize={12} fill="#222">
              {c}
            </text>
          ))}
          <text x={(cellW * p.columns.length) / 2} y={36} textAnchor="middle" fontSize={14} fill="#222">
            {p.xLabel}
          </text>
          {[-1, -0.5, 0, 0.5, 1].map((v, k) => (
            <g key={v} transform={`translate(${k * 54},46)`}>
              <rect width={18} height={14} fill={color(v)} stroke="#999" />
              <text x={22} y={11} fontSize={11} fill="#222">
                {v}
              </text>
            </g>
          ))}
        </g>
      </svg>
      <PlotData id={summaryId} summary={heatmapSummary(p.rows, p.columns, p.xLabel)} table={heatmapTable(p.rows, p.columns, p.xLabel)} />
    </>
  )
}
