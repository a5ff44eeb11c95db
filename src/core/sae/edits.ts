// Serializable descriptions of SAE-based edits to the residual stream, turned into the hooks'
// residual edits (or steering interventions) on the model side.
import type { ResidualEdit } from '../hooks/edit.ts'
import type { Intervention } from '../hooks/interventions.ts'
import { applyEdit } from './realign.ts'
import { encode, reconstruct } from './model.ts'
import type { Sae } from './types.ts'

export type SaeEditSpec =
  /** Replace the residual by the SAE reconstruction (the splice SAELens evaluates). */
  | { kind: 'splice'; hook: string }
  /** Replace the residual by zeros (SAELens's ablation baseline). */
  | { kind: 'zero'; hook: string }
  /** The topology re-alignment: ĥ = h + W_dec,S (M z_S − z_S). */
  | { kind: 'realign'; hook: string; features: number[]; M: number[]; positions?: 'all' | 'last' }
  /** Add α times a feature's decoder direction (in raw activation units). */
  | { kind: 'steer'; hook: string; feature: number; alpha: number }

export interface ResolvedEdits {
  edits: ResidualEdit[]
  interventions: Intervention[]
}

/** The decoder direction of a latent in raw activation units (undoing the input scale). */
export function decoderDirection(sae: Sae, feature: number): Float32Array {
  const { dIn, dSae, activationScale } = sae.cfg
  if (!(Number.isInteger(feature) && feature >= 0 && feature < dSae)) throw new Error(`feature ${feature} is not in 0..${dSae - 1}`)
  return sae.decoder.slice(feature * dIn, (feature + 1) * dIn).map((v) => v / activationScale)
}

export function resolveSaeEdits(sae: Sae, specs: readonly SaeEditSpec[]): ResolvedEdits {
  const d = sae.cfg.dIn
  const edits: ResidualEdit[] = []
  const interventions: Intervention[] = []
  for (const spec of specs) {
    if (spec.kind === 'steer') {
      const v = decoderDirection(sae, spec.feature)
      interventions.push({ hook: spec.hook, add: v, alpha: spec.alpha })
      continue
    }
    if (spec.kind === 'zero') {
      edits.push({ hook: spec.hook, delta: (rows) => rows.map((x) => -x) })
      continue
    }
    if (spec.kind === 'splice') {
      edits.push({
        hook: spec.hook,
        delta: (rows) => {
          const x = reconstruct(sae, rows)
          for (let i = 0; i < x.length; i++) x[i] -= rows[i]
          return x
        },
      })
      continue
    }
    const M = Float64Array.from(spec.M)
    edits.push({
      hook: spec.hook,
      delta: (rows, _n, _d, lengths) => {
        const out = applyEdit(M, spec.features, sae, encode(sae, rows))
        if (spec.positions === 'last') {
          // Keep the change at each text's final token only (where the map was fitted).
          let r = 0
          for (const len of lengths) {
            out.fill(0, r * d, (r + len - 1) * d)
            r += len
          }
        }
        return out
      },
    })
  }
  return { edits, interventions }
}
