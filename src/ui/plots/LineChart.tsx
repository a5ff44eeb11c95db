import { useId, useMemo, useState } from 'react'
import * as d3 from 'd3'
import { Tooltip, XAxis, YAxis } from './Axes.tsx'
import { DASHES, seriesColor } from './palette.ts'
import { PlotData, useDescribedBy } from './PlotData.tsx'
import { lineSummary, lineTable } from './summaries.ts'

export interface LinePoint {
  x: number
  y: number | null
  lo?: number | null
  hi?: number | null
}

export interface LineSeries {
  name: string
  points: LinePoint[]
}

export interface ReferenceLine {
  y: number
  label: string
}

export interface LineChartProps {
  series: LineSeries[]
  xLabel: string
  yLabel: string
  refLines?: ReferenceLine[]
  yDomain?: [number, number]
  height?: number
  width?: number
  /** Text alternative for screen readers. */
  description: string
  svgRef?: React.RefObject<SVGSVGElement | null>
  integerX?: boolean
}

export function LineChart(p: LineChartProps) {
  const width = p.width ?? 640
  const summaryId = useId()
  const describedBy = useDescribedBy(summaryId)
  // The legend sits under the plot, wrapped into rows, so long model names never collide.
  const legendItems = p.series.length > 1 ? p.series.map((s) => s.name) : []
  const legendRows: string[][] = []
  {
    let row: string[] = []
    let used = 0
    for (const name of legendItems) {
      const w = 40 + name.length * 7.5
      if (row.length && used + w > width - 80) {
        legendRows.push(row)
        row = []
        used = 0
      }
      row.push(name)
      used += w
    }
    if (row.length) legendRows.push(row)
  }
  const legendHeight = legendRows.length * 20
  const height = (p.height ?? 300) + legendHeight
  const m = { top: 16, right: 24, bottom: 52 + legendHeight, left: 64 }
  // A tooltip belongs to the series it was opened on; new data hides it without an effect.
  const [hoverState, setHoverState] = useState<{ x: number; y: number; text: string; series: LineSeries[] } | null>(null)
  const hover = hoverState?.series === p.series ? hoverState : null
  const setHover = (h: { x: number; y: number; text: string } | null) => setHoverState(h ? { ...h, series: p.series } : null)
  const all = p.series.flatMap((s) => s.points)
  const xs = all.map((pt) => pt.x)
  const ys = all.flatMap((pt) => [pt.y, pt.lo, pt.hi]).filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v))
  const refYs = (p.refLines ?? []).map((r) => r.y)
  const x = useMemo(() => d3.scaleLinear().domain(d3.extent(xs) as [number, number]).range([m.left, width - m.right]), [xs.join(), width])
  const yDomain = p.yDomain ?? (d3.extent([...ys, ...refYs]) as [number, number])
  const y = d3.scaleLinear().domain(yDomain[0] === yDomain[1] ? [yDomain[0] - 1, yDomain[1] + 1] : yDomain).nice().range([height - m.bottom, m.top])
  const xTicks = p.integerX ? x.ticks(Math.min(12, xs.length)).filter(Number.isInteger) : x.ticks(8)
  const line = d3
    .line<LinePoint>()
    .defined((pt) => pt.y !== null && Number.isFinite(pt.y))
    .x((pt) => x(pt.x))
    .y((pt) => y(pt.y as number))
  const band = d3
    .area<LinePoint>()
    .defined((pt) => pt.lo != null && pt.hi != null)
    .x((pt) => x(pt.x))
    .y0((pt) => y(pt.lo as number))
    .y1((pt) => y(pt.hi as number))
  return (
    <div className="chart" style={{ position: 'relative', width }}>
      <svg ref={p.svgRef} width={width} height={height} role="img" aria-label={p.description} aria-describedby={describedBy}>
        <title>{p.description}</title>
        <g className="grid">
          {y.ticks(6).map((t) => (
            <line key={t} x1={m.left} x2={width - m.right} y1={y(t)} y2={y(t)} stroke="#e3e6ea" />
          ))}
        </g>
        {(p.refLines ?? []).map((r) => (
          <g key={r.label}>
            <line x1={m.left} x2={width - m.right} y1={y(r.y)} y2={y(r.y)} stroke="#555" strokeDasharray="5 4" />
            <text x={width - m.right - 4} y={y(r.y) - 5} textAnchor="end" fontSize={12} fill="#333" stroke="#fff" strokeWidth={3} paintOrder="stroke">
              {r.label}
            </text>
          </g>
        ))}
        {p.series.map((s, i) => (
          <g key={s.name}>
            <path d={band(s.points) ?? ''} fill={seriesColor(i)} fillOpacity={0.15} stroke="none" />
            <path d={line(s.points) ?? ''} fill="none" stroke={seriesColor(i)} strokeWidth={2.5} strokeDasharray={DASHES[i % DASHES.length]} />
            {s.points.map((pt) =>
              pt.y === null || !Number.isFinite(pt.y) ? null : (
                <circle
                  key={pt.x}
                  cx={x(pt.x)}
                  cy={y(pt.y)}
                  r={s.points.length > 60 ? 2.5 : 4}
                  fill={seriesColor(i)}
                  onMouseEnter={() => setHover({ x: x(pt.x), y: y(pt.y as number), text: `${s.name}: ${pt.y?.toFixed(3)} at ${p.xLabel.toLowerCase()} ${pt.x}` })}
                  onMouseLeave={() => setHover(null)}
                />
              ),
            )}
          </g>
        ))}
        <XAxis x={x} ticks={xTicks} width={width} height={height} m={m} label={p.xLabel} />
        <YAxis y={y} ticks={y.ticks(6)} height={height} m={m} label={p.yLabel} />
        <g transform={`translate(${m.left},${height - legendHeight + 4})`}>
          {legendRows.map((row, r) => {
            let x0 = 0
            return row.map((name) => {
              const i = legendItems.indexOf(name)
              const g = (
                <g key={name} transform={`translate(${x0},${r * 20})`}>
                  <line x2={22} y1={6} y2={6} stroke={seriesColor(i)} strokeWidth={3} strokeDasharray={DASHES[i % DASHES.length]} />
                  <text x={28} y={6} dy="0.32em" fontSize={13} fill="#222">
                    {name}
                  </text>
                </g>
              )
              x0 += 40 + name.length * 7.5
              return g
            })
          })}
        </g>
      </svg>
      <Tooltip hover={hover} />
      <PlotData id={summaryId} summary={lineSummary(p.series, p.xLabel, p.yLabel)} table={lineTable(p.series, p.xLabel)} />
    </div>
  )
}
