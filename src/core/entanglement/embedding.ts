// Embedding probe: the behavioural contrast, asked of the sentence representations themselves.
// Each item's text alone (no rating prompt, no special tokens) is run once; its residual stream is
// mean-pooled over its tokens at two places: the input embeddings (blocks.0.hook_resid_pre; for
// GPT-2-style models this already includes the position embeddings) and the final layer (the last
// hook_resid_post). At each place, for items h_i (pooled vectors):
//
//   d_f        = mean(h_i : f = high) − mean(h_i : f = low)        difference-of-means direction of factor f
//   cos(f, g)  = cos(d_f, d_g)                                        do two kinds of value share a direction?
//   s_i        = h_i · d̂_moral                                        each item's position on the moral axis
//   separation = Cohen's d (and Welch t) of s between good and bad acts  how well the axis tells them apart
//   for f ∈ {grammatical, economic}:
//     r_f      = Pearson (and Spearman) correlation of s with f's level over the items
//     shift_f  = mean(s : f high) − mean(s : f low) = d_f · d̂_moral   how far f moves an item along the moral axis
//     relative = shift_f / shift_moral                                 the same, in units of a moral flip
//     β_f      = coefficient of f when s is regressed on all design factors (with a t-based CI)
//
// The moral axis is estimated on the same items it is applied to, so the separation is optimistic;
// the correlations with grammatical and economic levels are not, because d_moral averages over
// balanced levels of the other factors in the factorial design.
import type { CausalLM } from '../model/causal-lm.ts'
import { captureActivations } from '../hooks/capture.ts'
import type { Intervention } from '../hooks/interventions.ts'
import { pearson, spearman } from '../stats/correlation.ts'
import type { StimulusItem, StimulusSet } from '../stimuli/types.ts'
import type { EntanglementProgress } from './behaviour.ts'
import { binaryLevels, designFactors, designMatrix, VALUE_KINDS, type EconomicScale, type ValueKind } from './design.ts'
import { coefficientOf, fitOls } from './regression.ts'
import { cosine, effectByLevel, norm, projectRows, stratifiedDifference, unit, type Rows, type TwoGroupEffect } from './vectors.ts'

export interface EmbeddingProbeOptions {
  batchSize?: number
  interventions?: Intervention[]
  economicScale?: EconomicScale
  level?: number
  signal?: AbortSignal
  onProgress?: (p: EntanglementProgress) => void
}

export interface FactorShift {
  factor: ValueKind
  pearson: number
  spearman: number
  /** mean(s | high) − mean(s | low): d_factor · d̂_moral. */
  shift: number
  /** shift / moral shift. */
  relativeToMoral: number
  effect: TwoGroupEffect
  /** Coefficient of the factor in s ~ design factors, when the factor is a regression predictor. */
  beta?: { estimate: number; se: number; ci: [number, number]; p: number }
}

export interface EmbeddingPlace {
  place: 'input' | 'final'
  hook: string
  /** ‖d_f‖ and the group sizes, per factor with both levels present. */
  directions: { factor: ValueKind; norm: number; nHigh: number; nLow: number }[]
  cosines: { a: ValueKind; b: ValueKind; cosine: number }[]
  moralAxis?: {
    /** s_i per item, in item order. */
    projections: number[]
    separation: TwoGroupEffect
    byFactor: FactorShift[]
  }
}

export interface EmbeddingProbeResult {
  setId: string
  itemIds: string[]
  factors: ValueKind[]
  places: EmbeddingPlace[]
  tokenCounts: number[]
}

/** The contrast at one place, from pooled activations (n × d, item order). Pure: tests call it directly. */
export function embeddingContrast(
  acts: Rows,
  items: readonly StimulusItem[],
  place: 'input' | 'final',
  hook: string,
  opts: { economicScale?: EconomicScale; level?: number } = {},
): EmbeddingPlace {
  if (acts.n !== items.length) throw new Error(`embeddingContrast: ${acts.n} activation rows for ${items.length} items`)
  const levels = new Map(VALUE_KINDS.map((f) => [f, binaryLevels(items, f)]))
  const dirs = new Map<ValueKind, Float64Array>()
  const directions: EmbeddingPlace['directions'] = []
  for (const f of VALUE_KINDS) {
    const lv = levels.get(f)!
    const high = lv.flatMap((l, i) => (l === 1 ? [i] : []))
    const low = lv.flatMap((l, i) => (l === 0 ? [i] : []))
    const diff = stratifiedDifference(acts, [{ high, low }])
    if (!diff) continue
    dirs.set(f, diff.direction)
    directions.push({ factor: f, norm: norm(diff.direction), nHigh: high.length, nLow: low.length })
  }
  const present = [...dirs.keys()]
  const cosines: EmbeddingPlace['cosines'] = []
  for (let a = 0; a < present.length; a++)
    for (let b = a + 1; b < present.length; b++)
      cosines.push({ a: present[a], b: present[b], cosine: cosine(dirs.get(present[a])!, dirs.get(present[b])!) })
  const out: EmbeddingPlace = { place, hook, directions, cosines }
  const moral = dirs.get('moral')
  if (!moral) return out
  const s = projectRows(acts, unit(moral))
  const separation = effectByLevel(s, levels.get('moral')!)
  const predictors = designFactors(items, { economicScale: opts.economicScale })
  const fit = predictors.length
    ? fitOls(designMatrix(items, predictors, { economicScale: opts.economicScale }), s, { names: predictors, level: opts.level })
    : undefined
  const byFactor: FactorShift[] = present
    .filter((f) => f !== 'moral')
    .map((f) => {
      const lv = levels.get(f)!
      const idx = lv.flatMap((l, i) => (l === undefined ? [] : [i]))
      const effect = effectByLevel(s, lv)
      const c = fit && predictors.includes(f) ? coefficientOf(fit, f) : undefined
      return {
        factor: f,
        pearson: pearson(idx.map((i) => s[i]), idx.map((i) => lv[i]!)),
        spearman: spearman(idx.map((i) => s[i]), idx.map((i) => lv[i]!)),
        shift: effect.meanDiff,
        relativeToMoral: effect.meanDiff / separation.meanDiff,
        effect,
        ...(c ? { beta: { estimate: c.estimate, se: c.se, ci: c.ci, p: c.p } } : {}),
      }
    })
  out.moralAxis = { projections: s, separation, byFactor }
  return out
}

/** Captures the pooled sentence representations and computes the contrast at both places. */
export async function runEmbeddingProbe(model: CausalLM, set: StimulusSet, opts: EmbeddingProbeOptions = {}): Promise<EmbeddingProbeResult> {
  const items = set.items
  if (items.length < 2) throw new Error(`${set.id}: the embedding probe needs at least two items`)
  const L = model.info.nLayers
  const hooks = { input: 'blocks.0.hook_resid_pre', final: `blocks.${L - 1}.hook_resid_post` }
  const cap = await captureActivations(
    model,
    items.map((it) => it.text),
    {
      hooks: [hooks.input, hooks.final],
      pooling: 'mean',
      addSpecialTokens: false,
      batchSize: opts.batchSize,
      interventions: opts.interventions,
      signal: opts.signal,
      onProgress: (done, total) => opts.onProgress?.({ stage: 'embedding', done, total, message: 'Reading sentence representations' }),
    },
  )
  const d = cap.dModel
  const places = (['input', 'final'] as const).map((place) =>
    embeddingContrast({ data: cap.activations[hooks[place]].data, n: items.length, d }, items, place, hooks[place], opts),
  )
  return {
    setId: set.id,
    itemIds: items.map((it) => it.id),
    factors: VALUE_KINDS.filter((f) => places[0].directions.some((x) => x.factor === f)),
    places,
    tokenCounts: cap.tokenCounts,
  }
}
