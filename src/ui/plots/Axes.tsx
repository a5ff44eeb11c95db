import * as d3 from 'd3'

export interface Margins {
  top: number
  right: number
  bottom: number
  left: number
}

/** Bottom axis: baseline, ticks and a centred label under them. */
export function XAxis(p: { x: (v: number) => number; ticks: number[]; width: number; height: number; m: Margins; label: string; format?: (v: number) => string; labelY?: number }) {
  const fmt = p.format ?? d3.format('~g')
  return (
    <g transform={`translate(0,${p.height - p.m.bottom})`}>
      <line x1={p.m.left} x2={p.width - p.m.right} stroke="#333" />
      {p.ticks.map((t) => (
        <g key={t} transform={`translate(${p.x(t)},0)`}>
          <line y2={5} stroke="#333" />
          <text y={18} textAnchor="middle" fontSize={13} fill="#222">
            {fmt(t)}
          </text>
        </g>
      ))}
      <text x={(p.m.left + p.width - p.m.right) / 2} y={p.labelY ?? 42} textAnchor="middle" fontSize={14} fill="#222">
        {p.label}
      </text>
    </g>
  )
}

/** Left axis: line, ticks and a rotated label. */
export function YAxis(p: { y: (v: number) => number; ticks: number[]; height: number; m: Margins; label: string; format?: (v: number) => string }) {
  const fmt = p.format ?? d3.format('~g')
  return (
    <g>
      <line x1={p.m.left} x2={p.m.left} y1={p.m.top} y2={p.height - p.m.bottom} stroke="#333" />
      {p.ticks.map((t) => (
        <g key={t} transform={`translate(${p.m.left},${p.y(t)})`}>
          <line x2={-5} stroke="#333" />
          <text x={-8} dy="0.32em" textAnchor="end" fontSize={13} fill="#222">
            {fmt(t)}
          </text>
        </g>
      ))}
      <text transform={`translate(16,${(p.m.top + p.height - p.m.bottom) / 2}) rotate(-90)`} textAnchor="middle" fontSize={14} fill="#222">
        {p.label}
      </text>
    </g>
  )
}

/** A text tooltip next to the hovered mark. */
export function Tooltip({ hover }: { hover: { x: number; y: number; text: string } | null }) {
  if (!hover) return null
  return (
    <div className="tooltip" style={{ left: hover.x + 8, top: hover.y - 28 }} role="tooltip">
      {hover.text}
    </div>
  )
}
