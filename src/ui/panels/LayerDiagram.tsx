import { useState } from 'react'
import type { ModelInfo } from '../../core/model/causal-lm.ts'

/**
 * The layer stack with the residual stream drawn as one highlighted line through it, and a dot
 * at every hook point the lab located (pre, mid and post of each block).
 */
export function LayerDiagram({ info, svgRef }: { info: ModelInfo; svgRef?: React.RefObject<SVGSVGElement | null> }) {
  const [hover, setHover] = useState<string | null>(null)
  const L = info.nLayers
  const width = 1000
  const left = 90
  const right = 40
  const step = (width - left - right) / L
  const y = 120
  const values = info.hooks.values ?? {}
  const dot = (name: string, cx: number) => (
    <circle
      key={name}
      cx={cx}
      cy={y}
      r={hover === name ? 7 : 5}
      className="hook-dot"
      tabIndex={0}
      role="img"
      aria-label={`${name}: ${values[name] ?? ''}`}
      onMouseEnter={() => setHover(name)}
      onFocus={() => setHover(name)}
      onMouseLeave={() => setHover(null)}
    />
  )
  return (
    <div className="layer-diagram" data-testid="layer-diagram">
      <svg ref={svgRef} viewBox={`0 0 ${width} 190`} width="100%" role="group" aria-label={`Residual stream through ${L} layers with ${info.hooks.names.length} hook points`}>
        <rect x={4} y={y - 22} width={72} height={44} rx={6} className="diagram-box" />
        <text x={40} y={y + 4} textAnchor="middle" fontSize={13}>
          embed
        </text>
        <line x1={76} x2={width - right + 20} y1={y} y2={y} className="residual-line" />
        <text x={width - right + 24} y={y + 4} fontSize={12}>
          → logits
        </text>
        {Array.from({ length: L }, (_, l) => {
          const x0 = left + l * step
          const attnX = x0 + step * 0.28
          const mlpX = x0 + step * 0.72
          const bw = Math.max(10, step * 0.3)
          return (
            <g key={l}>
              <rect x={attnX - bw / 2} y={40} width={bw} height={36} rx={4} className="diagram-box attn" />
              <rect x={mlpX - bw / 2} y={40} width={bw} height={36} rx={4} className="diagram-box mlp" />
              {step > 44 && (
                <>
                  <text x={attnX} y={62} textAnchor="middle" fontSize={11}>
                    attn
                  </text>
                  <text x={mlpX} y={62} textAnchor="middle" fontSize={11}>
                    MLP
                  </text>
                </>
              )}
              <line x1={attnX} x2={attnX} y1={76} y2={y} className="branch-line" />
              <line x1={mlpX} x2={mlpX} y1={76} y2={y} className="branch-line" />
              {(L <= 16 || l % Math.ceil(L / 16) === 0) && (
                <text x={(attnX + mlpX) / 2} y={y + 38} textAnchor="middle" fontSize={12}>
                  {l}
                </text>
              )}
              {dot(`blocks.${l}.hook_resid_pre`, x0 + step * 0.08)}
              {dot(`blocks.${l}.hook_resid_mid`, (attnX + mlpX) / 2)}
              {l === L - 1 && dot(`blocks.${l}.hook_resid_post`, x0 + step * 0.94)}
            </g>
          )
        })}
        <text x={left} y={y + 62} fontSize={12}>
          layer
        </text>
      </svg>
      <p className="muted small-text" aria-live="polite">
        {hover ? (
          <>
            <code>{hover}</code> is the graph value <code>{values[hover]}</code>
            {hover.endsWith('resid_pre') && hover !== 'blocks.0.hook_resid_pre' ? ' (the same value as the previous layer’s resid_post)' : ''}
          </>
        ) : (
          'Hover or focus a dot to see which graph value carries that hook point.'
        )}
      </p>
    </div>
  )
}
