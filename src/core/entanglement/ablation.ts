// Ablation (METHODS §2.3): project the moral direction d = d_moral^{l*} out of the residual stream,
// h ← h − (h·d̂)d̂, at the chosen hooks (default: every residual hook of every layer, all positions;
// Arditi et al. 2024's recipe), rerun the behavioural probe and the projections, and compare. The
// controls run in the same call: the same ablation of a random direction (Gaussian, seeded, scaled to
// ‖d‖; for directional ablation only its direction matters), the change in the moral ratings
// themselves, and grammatical discrimination on morally neutral items.
import type { CausalLM } from '../model/causal-lm.ts'
import type { Intervention } from '../hooks/interventions.ts'
import { HOOK_KINDS, type HookKind } from '../hooks/locate.ts'
import { Rng } from '../random.ts'
import type { StimulusItem, StimulusSet, ValueKind } from '../stimuli/types.ts'
import {
  runBehaviouralProbe,
  type BehaviourOptions,
  type BehaviourResult,
  type CoefficientSummary,
  type EntanglementProgress,
  summariseCoefficient,
} from './behaviour.ts'
import { binaryLevels } from './design.ts'
import { runProjectionProbe, type CaptureJudgmentOptions, type ProjectionResult } from './projection.ts'
import { coefficientOf } from './regression.ts'
import { addCost, emptyCost, type ScoringCost } from './scorer.ts'
import { cosine, norm } from './vectors.ts'

/** Residual hook names of the model, optionally limited to a layer range and hook kinds, in model order. */
export function residualHooks(
  model: Pick<CausalLM, 'info'>,
  opts: { fromLayer?: number; toLayer?: number; kinds?: HookKind[] } = {},
): string[] {
  const L = model.info.nLayers
  const from = opts.fromLayer ?? 0
  const to = opts.toLayer ?? L - 1
  const kinds = opts.kinds ?? [...HOOK_KINDS]
  return model.info.hooks.names.filter((name) => {
    const m = /^blocks\.(\d+)\.hook_(\w+)$/.exec(name)
    if (!m) return false
    const layer = Number(m[1])
    return layer >= from && layer <= to && (kinds as string[]).includes(m[2])
  })
}

/** Directional ablation of `direction` at every hook, all positions. */
export function ablationInterventions(hooks: readonly string[], direction: ArrayLike<number>): Intervention[] {
  const v = Float32Array.from(direction)
  if (!(norm(v) > 0)) throw new Error('cannot ablate a zero direction')
  return hooks.map((hook) => ({ hook, ablate: [v], positions: 'all' as const }))
}

/** A Gaussian direction from a seeded Rng, rescaled to `length`. */
export function randomDirection(d: number, seed: number, length: number): Float32Array {
  const rng = new Rng(seed)
  const v = Float64Array.from({ length: d }, () => rng.normal())
  const n = norm(v)
  return Float32Array.from(v, (x) => (x / n) * length)
}

export interface AblationOptions {
  /** Direction to remove (default: the native moral direction of `layer` from the projection probe). */
  direction?: ArrayLike<number>
  /** Layer whose moral direction is removed (default: the projection probe's best layer). */
  layer?: number
  /** Where to ablate (default every residual hook: all layers, resid_pre/mid/post). See residualHooks. */
  hooks?: string[]
  kinds?: ValueKind[]
  style?: BehaviourOptions['style']
  digits?: BehaviourOptions['digits']
  usePrefixCache?: boolean
  sharing?: BehaviourOptions['sharing']
  batchSize?: number
  /** Applied in every run (before and after), e.g. a planted signal in tests. */
  interventions?: Intervention[]
  itemInterventions?: BehaviourOptions['itemInterventions']
  /** Seed of the random control direction (default 0). */
  seed?: number
  /** Also rerun the projection probe after each ablation (default true). */
  projections?: boolean
  /** Morally neutral items (e.g. imported CoLA: values.grammatical, no moral value) for the grammar control. */
  neutralSet?: StimulusSet
  /** Results already computed without ablation (reused instead of rerun). */
  before?: { behaviour?: BehaviourResult; projection?: ProjectionResult }
  level?: number
  signal?: AbortSignal
  onProgress?: (p: EntanglementProgress) => void
}

export interface Triple<T> {
  before: T
  after: T
  random: T
}

export interface GrammarAccuracy {
  /** mean rating of well-formed − mean rating of ill-formed items (points on the 1–7 scale). */
  discrimination: number
  /** P(a random well-formed item is rated above a random ill-formed one), ties counting ½. */
  auc: number
  n: number
}

export interface AblationComparison {
  /** β_moral in each non-moral rating: before, after ablating d_moral, after ablating the random direction. */
  entanglement: ({ kind: ValueKind; humanNorm: number } & Triple<CoefficientSummary>)[]
  /** The ablation should hurt moral judgement: β_moral in the moral ratings and the mean |Δ rating|. */
  moralRatings?: Triple<CoefficientSummary> & { meanAbsChange: { after: number; random: number } }
  /**
   * Grammatical discrimination on morally neutral items: 'neutral-set' (the given set), 'neutral-items'
   * (items of this set without a moral value), or 'proxy' (all items; the factorial set has no morally
   * neutral items, so discrimination over all of them stands in for accuracy).
   */
  grammarAccuracy?: Triple<GrammarAccuracy> & { source: 'neutral-set' | 'neutral-items' | 'proxy'; note: string }
  /** Per layer: moral projection correlation in grammatical prompts and the grammar share, before/after. */
  projections?: {
    layers: number[]
    grammarContextPearson?: Triple<number[]>
    grammarSquaredCosine?: Triple<number[]>
    /** cos(d_moral^l before, d_moral^l after): how much of the original axis survives. */
    moralDirectionCosine: { after: number[]; random: number[] }
  }
}

export interface ItemShift {
  id: string
  text: string
  values: Partial<Record<ValueKind, number>>
  before: Partial<Record<ValueKind, number>>
  after: Partial<Record<ValueKind, number>>
  random: Partial<Record<ValueKind, number>>
  /** after − before, per kind. */
  delta: Partial<Record<ValueKind, number>>
  /** after(random) − before, per kind. */
  deltaRandom: Partial<Record<ValueKind, number>>
  /** max |delta| over kinds: how much the ablation moved this item. */
  maxAbsDelta: number
}

export interface AblationResult {
  setId: string
  layer: number
  layerReason: string
  hooks: string[]
  direction: { norm: number }
  randomDirection: { seed: number; norm: number; cosineWithMoral: number }
  behaviour: Triple<BehaviourResult>
  projection?: Triple<ProjectionResult>
  neutral?: Triple<BehaviourResult>
  comparison: AblationComparison
  items: ItemShift[]
  cost: ScoringCost & { projectionForwardPasses: number }
}

export function grammarAccuracy(ratings: readonly number[], grammatical: readonly (0 | 1 | undefined)[]): GrammarAccuracy {
  const good: number[] = []
  const bad: number[] = []
  ratings.forEach((r, i) => {
    if (grammatical[i] === 1) good.push(r)
    else if (grammatical[i] === 0) bad.push(r)
  })
  const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length
  let wins = 0
  for (const g of good) for (const b of bad) wins += g > b ? 1 : g === b ? 0.5 : 0
  return { discrimination: mean(good) - mean(bad), auc: wins / (good.length * bad.length), n: good.length + bad.length }
}

function moralCoefficient(b: BehaviourResult, kind: ValueKind): CoefficientSummary | undefined {
  const fit = b.regressions[kind]
  if (!fit || !fit.names.includes('moral')) return undefined
  return summariseCoefficient(coefficientOf(fit, 'moral'), fit.robust ? coefficientOf(fit, 'moral', true) : undefined)
}

function ratingsOf(b: BehaviourResult, item: number): Partial<Record<ValueKind, number>> {
  const out: Partial<Record<ValueKind, number>> = {}
  for (const k of b.kinds) out[k] = b.items[item].ratings[k]?.expected
  return out
}

/** Ablates the moral direction, reruns the probes, and compares with a random-direction control. */
export async function runAblation(model: CausalLM, set: StimulusSet, opts: AblationOptions = {}): Promise<AblationResult> {
  const withProjections = opts.projections ?? true
  const steps = 4 + (withProjections ? 2 : 0) + (opts.neutralSet ? 3 : 0)
  let step = 0
  const report = (message: string) => opts.onProgress?.({ stage: 'ablation', done: step, total: steps, message })
  const behaviourOpts = (extra: Intervention[]): BehaviourOptions => ({
    kinds: opts.kinds,
    style: opts.style,
    digits: opts.digits,
    usePrefixCache: opts.usePrefixCache,
    sharing: opts.sharing,
    batchSize: opts.batchSize,
    itemInterventions: opts.itemInterventions,
    interventions: [...(opts.interventions ?? []), ...extra],
    level: opts.level,
    signal: opts.signal,
  })
  const projectionOpts = (extra: Intervention[]): CaptureJudgmentOptions => ({
    contexts: opts.kinds,
    style: opts.style,
    batchSize: opts.batchSize,
    itemInterventions: opts.itemInterventions,
    interventions: [...(opts.interventions ?? []), ...extra],
    signal: opts.signal,
  })

  report('Finding the moral direction')
  const needProjection = withProjections || opts.direction === undefined
  const projectionBefore = opts.before?.projection ?? (needProjection ? await runProjectionProbe(model, set, projectionOpts([])) : undefined)
  step++
  const layer = opts.layer ?? projectionBefore?.bestLayer ?? model.info.nLayers - 1
  const layerReason =
    opts.direction !== undefined
      ? 'direction given by the caller'
      : opts.layer !== undefined
        ? `layer ${layer} chosen by the user`
        : (projectionBefore?.bestLayerReason ?? '')
  let direction: Float32Array
  if (opts.direction !== undefined) direction = Float32Array.from(opts.direction)
  else {
    const k = projectionBefore!.layers.indexOf(layer)
    if (k < 0) throw new Error(`layer ${layer} was not part of the projection probe (layers ${projectionBefore!.layers.join(', ')})`)
    const dir = projectionBefore!.moralDirections[k]
    if (!dir.length) throw new Error(`no moral direction at layer ${layer}: the set needs items with both moral levels`)
    direction = Float32Array.from(dir)
  }
  if (direction.length !== model.dModel) throw new Error(`the direction has ${direction.length} values; the residual stream has ${model.dModel}`)
  const hooks = opts.hooks ?? residualHooks(model)
  if (hooks.length === 0) throw new Error('no hooks to ablate at')
  const seed = opts.seed ?? 0
  const dNorm = norm(direction)
  const random = randomDirection(model.dModel, seed, dNorm)
  const ablate = ablationInterventions(hooks, direction)
  const ablateRandom = ablationInterventions(hooks, random)

  report('Behaviour without ablation')
  const before = opts.before?.behaviour ?? (await runBehaviouralProbe(model, set, behaviourOpts([])))
  step++
  report('Behaviour with the moral direction ablated')
  const after = await runBehaviouralProbe(model, set, behaviourOpts(ablate))
  step++
  report('Behaviour with a random direction ablated')
  const randomRun = await runBehaviouralProbe(model, set, behaviourOpts(ablateRandom))
  step++
  let projection: Triple<ProjectionResult> | undefined
  if (withProjections && projectionBefore) {
    report('Projections with the moral direction ablated')
    const pAfter = await runProjectionProbe(model, set, projectionOpts(ablate))
    step++
    report('Projections with a random direction ablated')
    const pRandom = await runProjectionProbe(model, set, projectionOpts(ablateRandom))
    step++
    projection = { before: projectionBefore, after: pAfter, random: pRandom }
  }
  let neutral: Triple<BehaviourResult> | undefined
  if (opts.neutralSet) {
    const neutralOpts = (extra: Intervention[]) => ({ ...behaviourOpts(extra), kinds: ['grammatical' as ValueKind], itemInterventions: undefined })
    report('Neutral items without ablation')
    const nb = await runBehaviouralProbe(model, opts.neutralSet, neutralOpts([]))
    step++
    report('Neutral items with the moral direction ablated')
    const na = await runBehaviouralProbe(model, opts.neutralSet, neutralOpts(ablate))
    step++
    report('Neutral items with a random direction ablated')
    const nr = await runBehaviouralProbe(model, opts.neutralSet, neutralOpts(ablateRandom))
    step++
    neutral = { before: nb, after: na, random: nr }
  }
  report('Comparing')

  const comparison: AblationComparison = { entanglement: [] }
  for (const e of before.entanglement) {
    const a = moralCoefficient(after, e.kind)
    const r = moralCoefficient(randomRun, e.kind)
    if (a && r) comparison.entanglement.push({ kind: e.kind, humanNorm: e.human.estimate, before: e.model, after: a, random: r })
  }
  if (before.kinds.includes('moral')) {
    const b = moralCoefficient(before, 'moral')
    const a = moralCoefficient(after, 'moral')
    const r = moralCoefficient(randomRun, 'moral')
    const meanAbs = (run: BehaviourResult) =>
      run.items.reduce((s, it, i) => s + Math.abs(it.ratings.moral!.expected - before.items[i].ratings.moral!.expected), 0) / run.items.length
    if (b && a && r) comparison.moralRatings = { before: b, after: a, random: r, meanAbsChange: { after: meanAbs(after), random: meanAbs(randomRun) } }
  }
  comparison.grammarAccuracy = grammarControl(set.items, before, after, randomRun, neutral)
  if (projection) {
    const grammarProj = (p: ProjectionResult) => p.moralProjections.find((m) => m.context === 'grammatical')?.pearson
    const grammarShare = (p: ProjectionResult) => p.shares.find((s) => s.factor === 'grammatical')?.squaredCosine
    const gp = [grammarProj(projection.before), grammarProj(projection.after), grammarProj(projection.random)]
    const gs = [grammarShare(projection.before), grammarShare(projection.after), grammarShare(projection.random)]
    comparison.projections = {
      layers: projection.before.layers,
      ...(gp.every(Boolean) ? { grammarContextPearson: { before: gp[0]!, after: gp[1]!, random: gp[2]! } } : {}),
      ...(gs.every(Boolean) ? { grammarSquaredCosine: { before: gs[0]!, after: gs[1]!, random: gs[2]! } } : {}),
      moralDirectionCosine: {
        after: projection.before.moralDirections.map((d, k) => cosine(d, projection!.after.moralDirections[k] ?? [])),
        random: projection.before.moralDirections.map((d, k) => cosine(d, projection!.random.moralDirections[k] ?? [])),
      },
    }
  }

  const items: ItemShift[] = set.items.map((it, i) => {
    const b = ratingsOf(before, i)
    const a = ratingsOf(after, i)
    const r = ratingsOf(randomRun, i)
    const delta: Partial<Record<ValueKind, number>> = {}
    const deltaRandom: Partial<Record<ValueKind, number>> = {}
    for (const k of before.kinds) {
      delta[k] = a[k]! - b[k]!
      deltaRandom[k] = r[k]! - b[k]!
    }
    return {
      id: it.id,
      text: it.text,
      values: { ...(it.values ?? {}) },
      before: b,
      after: a,
      random: r,
      delta,
      deltaRandom,
      maxAbsDelta: Math.max(...Object.values(delta).map((v) => Math.abs(v!))),
    }
  })

  let cost = addCost(emptyCost(), opts.before?.behaviour ? emptyCost() : before.cost)
  cost = addCost(addCost(cost, after.cost), randomRun.cost)
  if (neutral) cost = addCost(addCost(addCost(cost, neutral.before.cost), neutral.after.cost), neutral.random.cost)
  const projectionForwardPasses = projection
    ? (opts.before?.projection ? 0 : projection.before.cost.forwardPasses) + projection.after.cost.forwardPasses + projection.random.cost.forwardPasses
    : 0
  step = steps
  report('Done')
  return {
    setId: set.id,
    layer,
    layerReason,
    hooks,
    direction: { norm: dNorm },
    randomDirection: { seed, norm: norm(random), cosineWithMoral: cosine(random, direction) },
    behaviour: { before, after, random: randomRun },
    ...(projection ? { projection } : {}),
    ...(neutral ? { neutral } : {}),
    comparison,
    items,
    cost: { ...cost, projectionForwardPasses },
  }
}

function grammarControl(
  items: readonly StimulusItem[],
  before: BehaviourResult,
  after: BehaviourResult,
  random: BehaviourResult,
  neutral?: Triple<BehaviourResult>,
): AblationComparison['grammarAccuracy'] {
  const acc = (run: BehaviourResult, subset: number[], levels: (0 | 1 | undefined)[]) =>
    grammarAccuracy(
      subset.map((i) => run.items[i].ratings.grammatical!.expected),
      subset.map((i) => levels[i]),
    )
  if (neutral) {
    const nItems = neutral.before.items
    const levels = nItems.map((it) => (it.values.grammatical === 1 ? 1 : it.values.grammatical === 0 ? 0 : undefined))
    const all = nItems.map((_, i) => i)
    if (!levels.includes(1) || !levels.includes(0)) return undefined
    return {
      source: 'neutral-set',
      note: `${nItems.length} morally neutral items from ${neutral.before.setId}, rated for grammaticality in the same three conditions`,
      before: acc(neutral.before, all, levels),
      after: acc(neutral.after, all, levels),
      random: acc(neutral.random, all, levels),
    }
  }
  if (!before.kinds.includes('grammatical')) return undefined
  const levels = binaryLevels(items, 'grammatical')
  const neutralIdx = items.flatMap((it, i) => (it.values?.moral === undefined && levels[i] !== undefined ? [i] : []))
  const hasNeutral = neutralIdx.some((i) => levels[i] === 1) && neutralIdx.some((i) => levels[i] === 0)
  const subset = hasNeutral ? neutralIdx : items.flatMap((_, i) => (levels[i] !== undefined ? [i] : []))
  if (!subset.some((i) => levels[i] === 1) || !subset.some((i) => levels[i] === 0)) return undefined
  return {
    source: hasNeutral ? 'neutral-items' : 'proxy',
    note: hasNeutral
      ? `${subset.length} items of this set without a moral value`
      : 'this set has no morally neutral items (every sentence describes a good or bad act), so grammatical discrimination over all items (mean rating of well-formed minus ill-formed sentences) stands in for accuracy on neutral items',
    before: acc(before, subset, levels),
    after: acc(after, subset, levels),
    random: acc(random, subset, levels),
  }
}
