// Residual-stream projection, per layer (METHODS §2.3). Activations are read at the last token of
// each rating prompt (the position whose next token is the rating), in every judgment context
// c ∈ {moral, grammatical, economic}, at hook_resid_post of each layer. With h_i^{c,l} those vectors:
//
//   Attribute vector of factor f (context c, layer l): items are put in strata that differ only in
//   f (same frame, same levels of the other factors; in the factorial design each stratum is one
//   pair), Δ_s = mean(h : f high) − mean(h : f low) within stratum s, and
//       d_f^{c,l} = mean_s Δ_s.
//   The "native" vector of f is the one read in f's own judgment context: d_f^l = d_f^{f,l}.
//
//   Cosine heatmap: cos(d_a, d_b) per layer for the pairs of factors, natively and within each context.
//
//   Moral projection in context c: p_i = h_i^{c,l} · d̂_moral^l (native moral direction), with its
//   Pearson and Spearman correlation with the item's moral level, and Cohen's d good − bad.
//
//   Share of the grammar (economic) direction explained by the moral one, per layer:
//     squaredCosine      = cos²(d_gram^l, d_moral^l): the fraction of the mean grammar contrast's
//                          squared length that lies along the moral axis;
//     varianceExplained  = Σ_s (Δ_s · d̂_moral)² / Σ_s ‖Δ_s‖² over the grammar strata Δ_s (native
//                          context): the fraction of the item-level grammar contrasts' second moment
//                          along the moral axis. Equal to squaredCosine when every Δ_s is the same.
//
//   Best layer (default for the ablation): the largest cross-fitted Cohen's d of the moral projection
//   in the moral-judgment context. Frames are split into two folds; each fold's items are projected
//   on the moral direction estimated from the other fold, so the d is not inflated by fitting the
//   direction to the same items.
import type { CausalLM, EncodedBatch } from '../model/causal-lm.ts'
import { tensorToFloat32 } from '../model/causal-lm.ts'
import type { Intervention } from '../hooks/interventions.ts'
import { pearson, spearman } from '../stats/correlation.ts'
import type { StimulusItem, StimulusSet } from '../stimuli/types.ts'
import type { EntanglementProgress } from './behaviour.ts'
import { binaryLevels, strataFor, twoFolds, VALUE_KINDS, type ValueKind } from './design.ts'
import { buildRatingPrompt, promptIds, resolvePromptStyle, type PromptStyle } from './prompts.ts'
import { cosine, dot, effectByLevel, norm, projectRows, stratifiedDifference, unit, type Rows, type StratifiedDifference, type TwoGroupEffect } from './vectors.ts'

export type ResidHookKind = 'resid_pre' | 'resid_mid' | 'resid_post'

export interface CaptureJudgmentOptions {
  /** Judgment contexts (default all three kinds). */
  contexts?: ValueKind[]
  hookKind?: ResidHookKind
  /** Layers to read (default all). */
  layers?: number[]
  style?: PromptStyle | 'auto'
  interventions?: Intervention[]
  itemInterventions?: (item: StimulusItem) => Intervention[] | undefined
  batchSize?: number
  signal?: AbortSignal
  onProgress?: (p: EntanglementProgress) => void
}

export interface JudgmentActivations {
  contexts: ValueKind[]
  layers: number[]
  hooks: string[]
  n: number
  d: number
  /** data[context][k]: n × d last-token activations at hooks[k]. */
  data: Partial<Record<ValueKind, Float32Array[]>>
  forwardPasses: number
  tokens: number
}

/** Last-token residuals of every rating prompt (same token ids as the behavioural probe). */
export async function captureJudgmentActivations(
  model: CausalLM,
  set: StimulusSet,
  opts: CaptureJudgmentOptions = {},
): Promise<JudgmentActivations> {
  const items = set.items
  const contexts = opts.contexts ?? [...VALUE_KINDS]
  const kind = opts.hookKind ?? 'resid_post'
  const L = model.info.nLayers
  const layers = opts.layers ?? Array.from({ length: L }, (_, l) => l)
  for (const l of layers) if (!(Number.isInteger(l) && l >= 0 && l < L)) throw new Error(`layer ${l} does not exist (the model has layers 0..${L - 1})`)
  const hooks = layers.map((l) => `blocks.${l}.hook_${kind}`)
  const outputs = hooks.map((h) => model.hookOutput(h))
  const fetch = [...new Set(outputs)]
  const style = resolvePromptStyle(model, opts.style)
  const d = model.dModel
  const n = items.length
  const bs = Math.max(1, opts.batchSize ?? 8)
  const groups = new Map<Intervention[] | undefined, number[]>()
  items.forEach((it, i) => {
    const extra = opts.itemInterventions?.(it)
    const key = extra && extra.length ? extra : undefined
    groups.set(key, [...(groups.get(key) ?? []), i])
  })
  const data: JudgmentActivations['data'] = {}
  let forwardPasses = 0
  let tokens = 0
  let done = 0
  const total = contexts.length * n
  for (const context of contexts) {
    const prompt = buildRatingPrompt(model, set, context, style)
    const rows = items.map((it) => promptIds(model, prompt, it.text).ids)
    const target = hooks.map(() => new Float32Array(n * d))
    for (const [extra, members] of groups) {
      const order = [...members].sort((a, b) => rows[b].length - rows[a].length || a - b)
      for (let s = 0; s < order.length; s += bs) {
        if (opts.signal?.aborted) throw new DOMException('The projection probe was cancelled', 'AbortError')
        const idx = order.slice(s, s + bs)
        const ids = idx.map((i) => rows[i])
        const lengths = ids.map((r) => r.length)
        const batch: EncodedBatch = { ids, lengths, maxLen: Math.max(...lengths) }
        const out = await model.forward(batch, { fetch, interventions: [...(opts.interventions ?? []), ...(extra ?? [])] })
        forwardPasses++
        tokens += lengths.reduce((a, v) => a + v, 0)
        hooks.forEach((_, k) => {
          const t = out[outputs[k]]
          const values = tensorToFloat32(t)
          const T = batch.maxLen
          idx.forEach((item, b) => {
            const p = (b * T + lengths[b] - 1) * d
            target[k].set(values.subarray(p, p + d), item * d)
          })
        })
        for (const t of Object.values(out)) t.dispose()
        done += idx.length
        opts.onProgress?.({ stage: 'projection', done, total, message: `Reading the residual stream in ${context} prompts` })
      }
    }
    data[context] = target
  }
  return { contexts, layers, hooks, n, d, data, forwardPasses, tokens }
}

export interface DirectionSummary {
  context: ValueKind
  factor: ValueKind
  method: StratifiedDifference['method']
  strata: number
  /** ‖d_f^{c,l}‖ per layer. */
  norms: number[]
}

export interface CosineRow {
  /** 'native': each factor's vector from its own judgment context. */
  context: ValueKind | 'native'
  a: ValueKind
  b: ValueKind
  /** Per layer. */
  values: number[]
}

export interface MoralProjection {
  context: ValueKind
  /** [layer][item]: h_i · d̂_moral. */
  values: number[][]
  pearson: number[]
  spearman: number[]
  effect: TwoGroupEffect[]
}

export interface DirectionShare {
  factor: ValueKind
  squaredCosine: number[]
  varianceExplained: number[]
}

export interface LayerSeparation {
  layer: number
  /** Cross-fitted Cohen's d of the moral projection, good − bad (NaN when folds lack a level). */
  crossFitD: number
  inSample: TwoGroupEffect
}

export interface ProjectionResult {
  setId: string
  itemIds: string[]
  contexts: ValueKind[]
  layers: number[]
  hooks: string[]
  factors: ValueKind[]
  directions: DirectionSummary[]
  cosines: CosineRow[]
  moralProjections: MoralProjection[]
  shares: DirectionShare[]
  separation: LayerSeparation[]
  /** Layer with the best cross-fitted separation (in-sample when the set has a single frame). */
  bestLayer: number
  bestLayerReason: string
  /** Native moral direction d_moral^l per layer (not normalised), for the ablation. */
  moralDirections: number[][]
  cost: { forwardPasses: number; tokens: number }
}

function factorStrata(items: readonly StimulusItem[], factor: ValueKind, factors: readonly ValueKind[], subset?: Set<number>) {
  const levels = binaryLevels(items, factor)
  return [...strataFor(items, factor, factors).values()].map((members) => {
    const use = subset ? members.filter((i) => subset.has(i)) : members
    return { high: use.filter((i) => levels[i] === 1), low: use.filter((i) => levels[i] === 0) }
  })
}

/** All measures from captured activations (pure; tests compare it with direct computations). */
export function analyseProjections(acts: JudgmentActivations, items: readonly StimulusItem[], setId = ''): ProjectionResult {
  if (acts.n !== items.length) throw new Error(`analyseProjections: ${acts.n} activation rows for ${items.length} items`)
  const { contexts, layers, d, n } = acts
  const factors = VALUE_KINDS.filter((f) => {
    const lv = binaryLevels(items, f)
    return lv.includes(1) && lv.includes(0)
  })
  const rowsOf = (c: ValueKind, k: number): Rows => ({ data: acts.data[c]![k], n, d })
  const diffs = new Map<string, (StratifiedDifference | undefined)[]>()
  const key = (c: ValueKind, f: ValueKind) => `${c}/${f}`
  const directions: DirectionSummary[] = []
  for (const c of contexts)
    for (const f of factors) {
      const strata = factorStrata(items, f, factors)
      const perLayer = layers.map((_, k) => stratifiedDifference(rowsOf(c, k), strata))
      diffs.set(key(c, f), perLayer)
      const first = perLayer.find((x) => x)
      directions.push({
        context: c,
        factor: f,
        method: first?.method ?? 'unpaired',
        strata: first?.strata ?? 0,
        norms: perLayer.map((x) => (x ? norm(x.direction) : NaN)),
      })
    }
  const nativeOf = (f: ValueKind): (StratifiedDifference | undefined)[] | undefined => diffs.get(key(f, f))
  const cosines: CosineRow[] = []
  for (const context of ['native' as const, ...contexts])
    for (let a = 0; a < factors.length; a++)
      for (let b = a + 1; b < factors.length; b++) {
        const fa = factors[a]
        const fb = factors[b]
        const da = context === 'native' ? nativeOf(fa) : diffs.get(key(context, fa))
        const db = context === 'native' ? nativeOf(fb) : diffs.get(key(context, fb))
        if (!da || !db) continue
        cosines.push({
          context,
          a: fa,
          b: fb,
          values: layers.map((_, k) => (da[k] && db[k] ? cosine(da[k]!.direction, db[k]!.direction) : NaN)),
        })
      }

  const moralLevels = binaryLevels(items, 'moral')
  const moralNative = factors.includes('moral') ? (nativeOf('moral') ?? diffs.get(key(contexts[0], 'moral'))) : undefined
  const moralProjections: MoralProjection[] = []
  const shares: DirectionShare[] = []
  const separation: LayerSeparation[] = []
  let bestLayer = layers[layers.length - 1]
  let bestLayerReason = 'no moral factor: defaulting to the last layer'
  if (moralNative) {
    const labelled = moralLevels.flatMap((l, i) => (l === undefined ? [] : [i]))
    for (const c of contexts) {
      const values = layers.map((_, k) => (moralNative[k] ? projectRows(rowsOf(c, k), unit(moralNative[k]!.direction)) : new Array<number>(n).fill(NaN)))
      moralProjections.push({
        context: c,
        values,
        pearson: values.map((v) => pearson(labelled.map((i) => v[i]), labelled.map((i) => moralLevels[i]!))),
        spearman: values.map((v) => spearman(labelled.map((i) => v[i]), labelled.map((i) => moralLevels[i]!))),
        effect: values.map((v) => effectByLevel(v, moralLevels)),
      })
    }
    for (const f of factors.filter((x) => x !== 'moral')) {
      const native = nativeOf(f) ?? diffs.get(key(contexts[0], f))
      if (!native) continue
      shares.push({
        factor: f,
        squaredCosine: layers.map((_, k) => (native[k] && moralNative[k] ? cosine(native[k]!.direction, moralNative[k]!.direction) ** 2 : NaN)),
        varianceExplained: layers.map((_, k) => {
          const m = moralNative[k]
          const g = native[k]
          if (!m || !g) return NaN
          const u = unit(m.direction)
          let along = 0
          let totalSq = 0
          for (const delta of g.differences) {
            along += dot(delta, u) ** 2
            totalSq += dot(delta, delta)
          }
          return totalSq > 0 ? along / totalSq : NaN
        }),
      })
    }
    // Separation in the moral context (or the first one captured).
    const sepContext = contexts.includes('moral') ? 'moral' : contexts[0]
    const folds = twoFolds(items)
    const foldSets = [0, 1].map((k) => new Set(items.flatMap((_, i) => (folds[i] === k ? [i] : []))))
    const canCrossFit = foldSets.every((s) => [...s].some((i) => moralLevels[i] === 1) && [...s].some((i) => moralLevels[i] === 0))
    layers.forEach((layer, k) => {
      const rows = rowsOf(sepContext, k)
      const inSample = effectByLevel(
        moralProjections.find((p) => p.context === sepContext)!.values[k],
        moralLevels,
      )
      let crossFitD = NaN
      if (canCrossFit) {
        const held = new Array<number>(n).fill(NaN)
        for (const test of [0, 1]) {
          const train = foldSets[1 - test]
          const dir = stratifiedDifference(rows, factorStrata(items, 'moral', factors, train))
          if (!dir) continue
          const testRows = [...foldSets[test]]
          projectRows(rows, unit(dir.direction), testRows).forEach((v, j) => (held[testRows[j]] = v))
        }
        crossFitD = effectByLevel(held, moralLevels).cohenD
      }
      separation.push({ layer, crossFitD, inSample })
    })
    const score = (s: LayerSeparation) => (canCrossFit ? s.crossFitD : s.inSample.cohenD)
    const finite = separation.filter((s) => Number.isFinite(score(s)))
    if (finite.length) {
      const best = finite.reduce((a, b) => (score(b) > score(a) ? b : a))
      bestLayer = best.layer
      bestLayerReason = canCrossFit
        ? `largest cross-fitted Cohen's d of the moral projection in ${sepContext} prompts (d = ${best.crossFitD.toFixed(2)}; directions estimated on one half of the frames, tested on the other)`
        : `largest in-sample Cohen's d of the moral projection in ${sepContext} prompts (d = ${best.inSample.cohenD.toFixed(2)}); too few frames to cross-fit`
    }
  }
  return {
    setId,
    itemIds: items.map((it) => it.id),
    contexts,
    layers,
    hooks: acts.hooks,
    factors,
    directions,
    cosines,
    moralProjections,
    shares,
    separation,
    bestLayer,
    bestLayerReason,
    moralDirections: layers.map((_, k) => (moralNative?.[k] ? Array.from(moralNative[k]!.direction) : [])),
    cost: { forwardPasses: acts.forwardPasses, tokens: acts.tokens },
  }
}

/** Captures the judgment-prompt residuals and analyses them. */
export async function runProjectionProbe(model: CausalLM, set: StimulusSet, opts: CaptureJudgmentOptions = {}): Promise<ProjectionResult> {
  const varying = VALUE_KINDS.filter((f) => {
    const lv = binaryLevels(set.items, f)
    return lv.includes(1) && lv.includes(0)
  })
  if (varying.length === 0) throw new Error(`${set.id}: no kind of value has both levels among the items, so there are no attribute vectors to estimate`)
  const acts = await captureJudgmentActivations(model, set, opts)
  return analyseProjections(acts, set.items, set.id)
}
