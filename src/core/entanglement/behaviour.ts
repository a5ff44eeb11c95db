// Behavioural probe: the model rates every sentence for each kind of value on a 1–7 scale; the
// rating is the expectation over the digit tokens' next-token probabilities (no sampling). Each
// kind's ratings are regressed on the design factors; the entanglement index is the moral
// coefficient in the grammatical and economic ratings, set against the human norm.
import type { CausalLM } from '../model/causal-lm.ts'
import type { Intervention } from '../hooks/interventions.ts'
import { logSumExp } from '../hooks/scoring.ts'
import type { StimulusItem, StimulusSet, ValueKind } from '../stimuli/types.ts'
import { VALUE_RATING_SCALE } from '../stimuli/builtin/value-entanglement.ts'
import { designFactors, designMatrix, parseRatingScale, VALUE_KINDS, type EconomicScale } from './design.ts'
import {
  buildRatingPrompt,
  promptIds,
  promptText,
  ratingDigits,
  resolvePromptStyle,
  type DigitTokens,
  type DigitVariant,
  type PromptStyle,
} from './prompts.ts'
import { coefficientOf, fitOls, type OlsCoefficient, type OlsFit } from './regression.ts'
import { addCost, emptyCost, scoreRows, type PrefixSharing, type ScoringCost } from './scorer.ts'

export interface EntanglementProgress {
  stage: 'behaviour' | 'embedding' | 'projection' | 'ablation'
  done: number
  total: number
  message?: string
}

export interface BehaviourOptions {
  /** Kinds of value to ask about (default all three). */
  kinds?: ValueKind[]
  style?: PromptStyle | 'auto'
  digits?: DigitVariant | 'auto'
  /** Applied to every prompt (e.g. an ablation). */
  interventions?: Intervention[]
  /**
   * Extra interventions for some items (e.g. a planted signal). Items for which the function
   * returns the same array share KV caches; return undefined for none.
   */
  itemInterventions?: (item: StimulusItem) => Intervention[] | undefined
  /** Reuse the KV cache of shared prompt prefixes (default true); false scores padded batches from scratch. */
  usePrefixCache?: boolean
  /** Which prefixes to share when caching (default 'tree'). */
  sharing?: PrefixSharing
  /** Batch size when scoring from scratch (default 8). */
  batchSize?: number
  economicScale?: EconomicScale
  /** Confidence level (default 0.95). */
  level?: number
  /** Mean digit mass below this is flagged (default 0.5). */
  lowMassThreshold?: number
  signal?: AbortSignal
  onProgress?: (p: EntanglementProgress) => void
}

export interface RatingScore {
  /** E[r] = Σ r · p(r | r ∈ {1..7}). */
  expected: number
  /** p(r | r ∈ {1..7}) for r = 1..7 (renormalised over the seven digits). */
  probs: number[]
  /** P(next token ∈ {1..7}) under the full softmax: how much the model answers with a digit at all. */
  digitMass: number
}

export interface ItemRatings {
  id: string
  text: string
  values: Partial<Record<ValueKind, number>>
  price?: number
  humanRatings?: Partial<Record<ValueKind, number>>
  ratings: Partial<Record<ValueKind, RatingScore>>
}

export interface CoefficientSummary {
  estimate: number
  se: number
  t: number
  p: number
  ci: [number, number]
  /** HC3 standard error and its interval. */
  robust?: { se: number; p: number; ci: [number, number] }
}

export interface HumanNorm {
  /** 'design': the factorial design's norm (humans judge grammar and price independently of morals, β = 0). */
  source: 'design' | 'humanRatings'
  estimate: number
  se?: number
  ci?: [number, number]
  /** Items with human ratings of this kind, and the scale they were rescaled from. */
  n?: number
  scale?: { min: number; max: number; assumed: boolean }
}

export interface EntanglementIndex {
  kind: ValueKind
  /** β_moral in the model's ratings of this kind (rating points per unit of the moral factor). */
  model: CoefficientSummary
  human: HumanNorm
  /**
   * model − human. With design norms this is the model coefficient itself; with human ratings it is
   * the moral coefficient of (model − human) regressed on the same design, i.e. the difference of
   * the two coefficients with a standard error that accounts for their sharing items.
   */
  difference: CoefficientSummary & { method: 'versus-design-norm' | 'paired-difference-regression'; n: number }
}

export interface DigitMassSummary {
  mean: number
  min: number
  threshold: number
  /** Items whose digit mass is below the threshold. */
  below: number
}

export interface KindPrompt {
  kind: ValueKind
  templateKey: string
  templateSource: 'set' | 'builtin'
  prefix: string
  after: string
  prefixTokens: number
  /** The first item's whole prompt, for display. */
  example: string
}

export interface BehaviourResult {
  setId: string
  model: { label: string; randomWeights: boolean; nLayers: number; dModel: number }
  kinds: ValueKind[]
  style: PromptStyle
  digits: DigitTokens
  prompts: KindPrompt[]
  /** Design factors used as predictors (those every item carries and that vary). */
  predictors: ValueKind[]
  economicScale: EconomicScale
  level: number
  items: ItemRatings[]
  regressions: Partial<Record<ValueKind, OlsFit>>
  entanglement: EntanglementIndex[]
  digitMass: Partial<Record<ValueKind, DigitMassSummary>>
  warnings: string[]
  cost: ScoringCost & { usePrefixCache: boolean; sharing?: PrefixSharing }
}

/** E[r] and the renormalised digit distribution from the digits' full-vocabulary log-probabilities. */
export function expectedRating(logProbs: readonly number[], values: readonly number[]): RatingScore {
  if (logProbs.length !== values.length) throw new Error(`expectedRating: ${logProbs.length} log-probabilities for ${values.length} values`)
  const set = logSumExp(logProbs)
  const probs = logProbs.map((lp) => Math.exp(lp - set))
  const expected = probs.reduce((a, p, i) => a + p * values[i], 0)
  return { expected, probs, digitMass: Math.exp(set) }
}

export function summariseCoefficient(c: OlsCoefficient, robust?: OlsCoefficient): CoefficientSummary {
  return {
    estimate: c.estimate,
    se: c.se,
    t: c.t,
    p: c.p,
    ci: c.ci,
    ...(robust ? { robust: { se: robust.se, p: robust.p, ci: robust.ci } } : {}),
  }
}

function cancelled(): DOMException {
  return new DOMException('The behavioural probe was cancelled', 'AbortError')
}

/** Rates every item of the set for each kind and fits the entanglement regressions. */
export async function runBehaviouralProbe(model: CausalLM, set: StimulusSet, opts: BehaviourOptions = {}): Promise<BehaviourResult> {
  const items = set.items
  if (items.length === 0) throw new Error(`${set.id}: the set has no items`)
  const kinds = opts.kinds ?? [...VALUE_KINDS]
  if (kinds.length === 0) throw new Error('no kinds of value to rate')
  const style = resolvePromptStyle(model, opts.style)
  const digits = ratingDigits(model, style, opts.digits ?? 'auto')
  const usePrefixCache = opts.usePrefixCache ?? true
  const level = opts.level ?? 0.95
  const economicScale = opts.economicScale ?? 'level'
  const threshold = opts.lowMassThreshold ?? 0.5
  const total = kinds.length * items.length
  let done = 0
  opts.onProgress?.({ stage: 'behaviour', done, total, message: 'Rating the sentences' })

  // Items that share extra interventions share caches.
  const groups = new Map<Intervention[] | undefined, number[]>()
  items.forEach((it, i) => {
    const extra = opts.itemInterventions?.(it)
    const key = extra && extra.length ? extra : undefined
    const list = groups.get(key) ?? []
    list.push(i)
    groups.set(key, list)
  })

  const ratings: Partial<Record<ValueKind, RatingScore>>[] = items.map(() => ({}))
  const prompts: KindPrompt[] = []
  let cost = emptyCost()
  for (const kind of kinds) {
    const prompt = buildRatingPrompt(model, set, kind, style)
    prompts.push({
      kind,
      templateKey: prompt.templateKey,
      templateSource: prompt.templateSource,
      prefix: prompt.prefix,
      after: prompt.after,
      prefixTokens: prompt.prefixIds.length,
      example: promptText(prompt, items[0].text),
    })
    const rows = items.map((it) => promptIds(model, prompt, it.text).ids)
    for (const [extra, members] of groups) {
      if (opts.signal?.aborted) throw cancelled()
      const before = done
      const { logProbs, cost: c } = await scoreRows(
        model,
        members.map((i) => rows[i]),
        digits.ids,
        {
          interventions: [...(opts.interventions ?? []), ...(extra ?? [])],
          usePrefixCache,
          sharing: opts.sharing,
          batchSize: opts.batchSize,
          signal: opts.signal,
          onRow: (n) => {
            done = before + n
            opts.onProgress?.({ stage: 'behaviour', done, total, message: `Rating ${kind} value` })
          },
        },
      )
      cost = addCost(cost, c)
      members.forEach((i, j) => (ratings[i][kind] = expectedRating(logProbs[j], digits.values)))
    }
  }

  const warnings: string[] = []
  const digitMass: Partial<Record<ValueKind, DigitMassSummary>> = {}
  for (const kind of kinds) {
    const masses = ratings.map((r) => r[kind]!.digitMass)
    const mean = masses.reduce((a, m) => a + m, 0) / masses.length
    const below = masses.filter((m) => m < threshold).length
    digitMass[kind] = { mean, min: Math.min(...masses), threshold, below }
    if (mean < threshold)
      warnings.push(
        `For ${kind} ratings the model puts on average only ${(100 * mean).toFixed(1)}% of its next-token probability on the digits 1–7 ` +
          `(${below} of ${masses.length} items below ${(100 * threshold).toFixed(0)}%): it is mostly not answering with a rating, so the expected ratings describe a small part of its behaviour.`,
      )
  }

  const predictors = designFactors(items, { economicScale })
  const regressions: Partial<Record<ValueKind, OlsFit>> = {}
  const entanglement: EntanglementIndex[] = []
  if (predictors.length === 0) warnings.push('No design factor varies across the items, so no regression was fitted.')
  else {
    const X = designMatrix(items, predictors, { economicScale })
    for (const kind of kinds) {
      const y = ratings.map((r) => r[kind]!.expected)
      regressions[kind] = fitOls(X, y, { names: predictors, level, robust: true })
    }
    if (predictors.includes('moral'))
      for (const kind of kinds.filter((k) => k !== 'moral')) {
        entanglement.push(entanglementIndex(set, items, kind, predictors, X, ratings, regressions[kind]!, level, warnings))
      }
    else if (kinds.some((k) => k !== 'moral'))
      warnings.push('The items carry no varying moral value, so there is no entanglement index (the set serves as morally neutral items).')
  }

  return {
    setId: set.id,
    model: { label: model.info.sourceLabel, randomWeights: model.info.randomWeights, nLayers: model.info.nLayers, dModel: model.info.dModel },
    kinds,
    style,
    digits,
    prompts,
    predictors,
    economicScale,
    level,
    items: items.map((it, i) => ({
      id: it.id,
      text: it.text,
      values: { ...(it.values ?? {}) },
      ...(it.price !== undefined ? { price: it.price } : {}),
      ...(it.humanRatings ? { humanRatings: { ...it.humanRatings } } : {}),
      ratings: ratings[i],
    })),
    regressions,
    entanglement,
    digitMass,
    warnings,
    cost: { ...cost, usePrefixCache, ...(usePrefixCache ? { sharing: opts.sharing ?? 'tree' } : {}) },
  }
}

function entanglementIndex(
  set: StimulusSet,
  items: readonly StimulusItem[],
  kind: ValueKind,
  predictors: ValueKind[],
  X: number[][],
  ratings: Partial<Record<ValueKind, RatingScore>>[],
  fit: OlsFit,
  level: number,
  warnings: string[],
): EntanglementIndex {
  const model = summariseCoefficient(coefficientOf(fit, 'moral'), coefficientOf(fit, 'moral', true))
  const rated = items.map((it, i) => ({ i, h: it.humanRatings?.[kind] })).filter((r) => typeof r.h === 'number' && Number.isFinite(r.h))
  if (rated.length < predictors.length + 2) {
    if (rated.length > 0)
      warnings.push(`Only ${rated.length} items carry human ${kind} ratings; too few for a regression, so the design norm (0) is used.`)
    return {
      kind,
      model,
      human: { source: 'design', estimate: 0 },
      difference: { ...model, method: 'versus-design-norm', n: items.length },
    }
  }
  const parsed = parseRatingScale(set.ratingScale)
  const scale = parsed ? { ...parsed, assumed: false } : { ...VALUE_RATING_SCALE, assumed: true }
  if (!parsed)
    warnings.push(`${set.id}: the set gives no usable ratingScale ("${set.ratingScale ?? ''}"); human ratings are taken to be on 1–7.`)
  const span = VALUE_RATING_SCALE.max - VALUE_RATING_SCALE.min
  const toModelScale = (h: number) => VALUE_RATING_SCALE.min + (span * (h - scale.min)) / (scale.max - scale.min)
  const Xh = rated.map((r) => X[r.i])
  const hy = rated.map((r) => toModelScale(r.h as number))
  const humanFit = fitOls(Xh, hy, { names: predictors, level, robust: true })
  const diffFit = fitOls(
    Xh,
    rated.map((r, j) => ratings[r.i][kind]!.expected - hy[j]),
    { names: predictors, level, robust: true },
  )
  const h = coefficientOf(humanFit, 'moral')
  return {
    kind,
    model,
    human: { source: 'humanRatings', estimate: h.estimate, se: h.se, ci: h.ci, n: rated.length, scale },
    difference: {
      ...summariseCoefficient(coefficientOf(diffFit, 'moral'), coefficientOf(diffFit, 'moral', true)),
      method: 'paired-difference-regression',
      n: rated.length,
    },
  }
}
