import * as d3 from 'd3'
import { Tooltip, XAxis, YAxis } from './Axes.tsx'
import { useId, useState } from 'react'
import { seriesColor } from './palette.ts'
import { PlotData, useDescribedBy } from './PlotData.tsx'
import { histogramSummary, histogramTable } from './summaries.ts'

export interface HistogramBin {
  x0: number
  x1: number
  count: number
}

export interface HistogramProps {
  bins: HistogramBin[]
  xLabel: string
  yLabel: string
  description: string
  width?: number
  height?: number
  svgRef?: React.RefObject<SVGSVGElement | null>
  /** Format of x tick labels (e.g. powers of ten for log densities). */
  xFormat?: (v: number) => string
  /** A vertical marker (e.g. the dense threshold). */
  marker?: { x: number; label: string }
}

/** A histogram of pre-binned counts, with exact counts in tooltips and a text alternative. */
export function Histogram(p: HistogramProps) {
  const width = p.width ?? 560
  const summaryId = useId()
  const describedBy = useDescribedBy(summaryId)
  const height = p.height ?? 240
  const m = { top: 14, right: 20, bottom: 52, left: 60 }
  const [hover, setHover] = useState<{ x: number; y: number; text: string } | null>(null)
  const lo = p.bins.length ? p.bins[0].x0 : 0
  const hi = p.bins.length ? p.bins[p.bins.length - 1].x1 : 1
  const x = d3.scaleLinear().domain([lo, hi === lo ? lo + 1 : hi]).range([m.left, width - m.right])
  const y = d3
    .scaleLinear()
    .domain([0, Math.max(1, d3.max(p.bins, (b) => b.count) ?? 1)])
    .nice()
    .range([height - m.bottom, m.top])
  const fmt = p.xFormat ?? d3.format('~g')
  return (
    <div className="chart" style={{ position: 'relative', width }}>
      <svg ref={p.svgRef} width={width} height={height} role="img" aria-label={p.description} aria-describedby={describedBy}>
        <title>{p.description}</title>
        {y.ticks(5).map((t) => (
          <line key={t} x1={m.left} x2={width - m.right} y1={y(t)} y2={y(t)} stroke="#e3e6ea" />
        ))}
        {p.bins.map((b, i) => (
          <rect
            key={i}
            x={x(b.x0) + 0.5}
            width={Math.max(1, x(b.x1) - x(b.x0) - 1)}
            y={y(b.count)}
            height={y(0) - y(b.count)}
            fill={seriesColor(0)}
            onMouseEnter={() => setHover({ x: x(b.x1), y: y(b.count), text: `${fmt(b.x0)} – ${fmt(b.x1)}: ${b.count}` })}
            onMouseLeave={() => setHover(null)}
          />
        ))}
        {p.marker && (
          <g>
            <line x1={x(p.marker.x)} x2={x(p.marker.x)} y1={m.top} y2={height - m.bottom} stroke="#333" strokeDasharray="5 4" />
            <text x={x(p.marker.x) - 4} y={m.top + 12} textAnchor="end" fontSize={12} fill="#222" stroke="#fff" strokeWidth={3} paintOrder="stroke">
              {p.marker.label}
            </text>
          </g>
        )}
        <XAxis x={x} ticks={x.ticks(6)} width={width} height={height} m={m} label={p.xLabel} format={fmt} />
        <YAxis y={y} ticks={y.ticks(5)} height={height} m={m} label={p.yLabel} format={d3.format('~s')} />
      </svg>
      <Tooltip hover={hover} />
      <PlotData id={summaryId} summary={histogramSummary(p.bins, p.xLabel, p.yLabel, fmt)} table={histogramTable(p.bins, p.xLabel, p.yLabel)} />
    </div>
  )
}
