import { useEffect, useId, useRef, useState } from 'react'
import * as d3 from 'd3'
import { XAxis, YAxis } from './Axes.tsx'
import { seriesColor, seriesMarker, type MarkerName } from './palette.ts'
import { PlotData, useDescribedBy } from './PlotData.tsx'
import { scatterSummary, scatterTable } from './summaries.ts'

export interface ScatterPoint {
  id: number
  x: number
  y: number
  label: string
  group: string
  /** Second grouping shown by marker shape (so colour is never the only cue). */
  shape?: string
}

export interface ScatterProps {
  points: ScatterPoint[]
  xLabel: string
  yLabel: string
  description: string
  width?: number
  height?: number
  svgRef?: React.RefObject<SVGSVGElement | null>
  /** Enables rectangle brushing; called with the ids inside the brush. */
  onBrush?: (ids: number[]) => void
  groupOrder?: string[]
  shapeOrder?: string[]
}

export const SYMBOLS: Record<MarkerName, d3.SymbolType> = { circle: d3.symbolCircle, triangle: d3.symbolTriangle, square: d3.symbolSquare, diamond: d3.symbolDiamond, cross: d3.symbolCross, star: d3.symbolStar }

export function ScatterPlot(p: ScatterProps) {
  const width = p.width ?? 640
  const summaryId = useId()
  const describedBy = useDescribedBy(summaryId)
  const height = p.height ?? 380
  const m = { top: 14, right: 170, bottom: 52, left: 68 }
  const brushRef = useRef<SVGGElement>(null)
  const [hover, setHover] = useState<ScatterPoint | null>(null)
  const xExt = d3.extent(p.points, (d) => d.x) as [number, number]
  const yExt = d3.extent(p.points, (d) => d.y) as [number, number]
  const pad = (e: [number, number]) => (e[0] === e[1] ? [e[0] - 1, e[1] + 1] : e) as [number, number]
  const x = d3.scaleLinear().domain(pad(xExt)).nice().range([m.left, width - m.right])
  const y = d3.scaleLinear().domain(pad(yExt)).nice().range([height - m.bottom, m.top])
  const groups = p.groupOrder ?? [...new Set(p.points.map((d) => d.group))]
  const shapes = p.shapeOrder ?? [...new Set(p.points.map((d) => d.shape ?? ''))]
  const colour = (g: string) => seriesColor(Math.max(0, groups.indexOf(g)))
  const symbol = (s: string | undefined) => d3.symbol(SYMBOLS[seriesMarker(Math.max(0, shapes.indexOf(s ?? '')))], 56)()
  const { onBrush } = p
  useEffect(() => {
    if (!onBrush || !brushRef.current) return
    const g = d3.select(brushRef.current)
    const brush = d3
      .brush()
      .extent([
        [m.left, m.top],
        [width - m.right, height - m.bottom],
      ])
      .on('end', (ev: d3.D3BrushEvent<unknown>) => {
        const sel = ev.selection as [[number, number], [number, number]] | null
        if (!sel) return onBrush([])
        const [[x0, y0], [x1, y1]] = sel
        onBrush(p.points.filter((d) => x(d.x) >= x0 && x(d.x) <= x1 && y(d.y) >= y0 && y(d.y) <= y1).map((d) => d.id))
      })
    g.call(brush)
    return () => {
      g.on('.brush', null)
      g.selectAll('*').remove()
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [p.points, onBrush, width, height])
  return (
    <div className="chart" style={{ position: 'relative', width }}>
      <svg ref={p.svgRef} width={width} height={height} role="img" aria-label={p.description} aria-describedby={describedBy}>
        <title>{p.description}</title>
        {y.ticks(6).map((t) => (
          <line key={`gy${t}`} x1={m.left} x2={width - m.right} y1={y(t)} y2={y(t)} stroke="#e3e6ea" />
        ))}
        <g ref={brushRef} />
        {p.points.map((d) => (
          <path
            key={d.id}
            d={symbol(d.shape) ?? ''}
            transform={`translate(${x(d.x)},${y(d.y)})`}
            fill={colour(d.group)}
            fillOpacity={0.8}
            stroke="#fff"
            strokeWidth={0.8}
            onMouseEnter={() => setHover(d)}
            onMouseLeave={() => setHover(null)}
            style={{ pointerEvents: 'all' }}
          />
        ))}
        <XAxis x={x} ticks={x.ticks(7)} width={width} height={height} m={m} label={p.xLabel} />
        <YAxis y={y} ticks={y.ticks(6)} height={height} m={m} label={p.yLabel} />
        <g transform={`translate(${width - m.right + 14},${m.top + 4})`}>
          {groups.length > 1 &&
            groups.map((g, i) => (
              <g key={g} transform={`translate(0,${i * 20})`}>
                <rect width={12} height={12} fill={colour(g)} />
                <text x={18} y={6} dy="0.32em" fontSize={13} fill="#222">
                  {g}
                </text>
              </g>
            ))}
          {shapes.length > 1 &&
            shapes.map((s, i) => (
              <g key={s} transform={`translate(6,${(groups.length + 0.6 + i) * 20 + 6})`}>
                <path d={symbol(s) ?? ''} fill="#555" />
                <text x={12} dy="0.32em" fontSize={13} fill="#222">
                  {s}
                </text>
              </g>
            ))}
        </g>
      </svg>
      {hover && (
        <div className="tooltip" style={{ left: Math.min(x(hover.x) + 10, width - 200), top: y(hover.y) - 30 }} role="tooltip">
          {hover.label}
        </div>
      )}
      <PlotData id={summaryId} summary={scatterSummary(p.points, p.xLabel, p.yLabel)} table={scatterTable(p.points, p.xLabel, p.yLabel)} />
    </div>
  )
}
