// Correlations between SAE features and the stimuli's moral labels, the mono-semanticity score and
// the selection of "moral features" (METHODS.md §1.4 D), plus the pure search / sort / filter
// helpers behind the feature table.
//
// Input: per-item pooled feature activations [nItems, d_sae] (features.ts encodePooled) and the
// items' labels. Every correlation is over the items that carry the label; undefined values (a
// feature constant over those items, a label with one value) are NaN.

import { type Matrix, assertMatrix } from '../stats/linalg.ts'
import { averageRanks } from '../stats/rank.ts'
import { FOUNDATIONS, MORAL_VECTOR_AXES, MORAL_VECTOR_DIM, type StimulusItem } from '../stimuli/types.ts'
import { prepareTypicalityLabels } from '../typicality/diagnostics.ts'
import type { FeatureStats } from './features.ts'
import { createYielder, type ProgressOptions } from './progress.ts'

export type LabelCorrelationKind = 'spearman' | 'pointBiserial'

export interface MoralLabel {
  /** 'typicality', 'virtue-vs-vice', 'moral-vs-neutral', 'foundation:care', 'vector:care.vice', … */
  key: string
  group: 'typicality' | 'polarity' | 'foundation' | 'vector'
  kind: LabelCorrelationKind
  /** What a positive ρ means. */
  description: string
  /** Items the correlation runs over. */
  n: number
  /** Moral-vector axis 0..9 (MORAL_VECTOR_AXES order) for group 'vector'. */
  axis?: number
}

export interface FeatureLabelCorrelations {
  dSae: number
  nItems: number
  labels: MoralLabel[]
  /** [d_sae, labels.length] row-major: rho[f · labels.length + l]; NaN where undefined. */
  rho: Float64Array
  /** Positions in `labels` of the 10 moral-vector coordinates, in MORAL_VECTOR_AXES order (−1 if absent). */
  vectorLabels: number[]
  /**
   * Mono-semanticity per feature: |ρ| with its best moral-vector coordinate minus the second-largest
   * |ρ| over the other nine (METHODS.md §1.4 D "maximum correlation minus second-highest"). Undefined
   * ρ counts as 0 for the runner-up; NaN when the feature has no defined ρ with any coordinate.
   */
  monosemanticity: Float64Array
  /** Moral-vector axis with the largest |ρ| (−1 when none is defined). */
  bestAxis: Int32Array
  /** Signed ρ with that axis. */
  bestAxisRho: Float64Array
  /** Second-largest |ρ| over the moral-vector coordinates. */
  secondAxisAbsRho: Float64Array
  /** Label (any group) with the largest |ρ|, −1 when none is defined, and its signed ρ. */
  bestLabel: Int32Array
  bestLabelRho: Float64Array
}

export const LABEL_CORRELATION_NOTES: readonly string[] = [
  'Feature activations are pooled per item (max, mean or last token) before correlating.',
  'typicality: Spearman ρ over the items that have a typicality grade.',
  'virtue-vs-vice: point-biserial r (Pearson with a 1 = virtue / 0 = vice indicator) over virtue and vice items.',
  'moral-vs-neutral: point-biserial r with 1 = virtue or vice / 0 = neutral, over items with a polarity.',
  'foundation:f: point-biserial r with 1 = f among the item\'s foundations, over items with any foundation.',
  'vector:axis: Spearman ρ with that moral-vector coordinate, over items carrying a moral vector.',
  'Mono-semanticity: |ρ| with the best moral-vector coordinate minus the second-largest |ρ| over the others.',
]

interface PreparedLabel {
  label: MoralLabel
  rows: Int32Array
  /** Label values over rows: ranks (spearman) or the 0/1 indicator (pointBiserial). */
  y: Float64Array
}

function prepareLabels(items: StimulusItem[]): PreparedLabel[] {
  const parsed = prepareTypicalityLabels(items)
  const n = parsed.n
  const out: PreparedLabel[] = []
  const add = (label: Omit<MoralLabel, 'n'>, rows: number[], values: number[]) => {
    const y = label.kind === 'spearman' ? averageRanks(values) : Float64Array.from(values)
    out.push({ label: { ...label, n: rows.length }, rows: Int32Array.from(rows), y })
  }
  {
    const rows: number[] = []
    for (let i = 0; i < n; i++) if (!Number.isNaN(parsed.typicality[i])) rows.push(i)
    add({ key: 'typicality', group: 'typicality', kind: 'spearman', description: 'higher on more typical items' }, rows, rows.map((i) => parsed.typicality[i]))
  }
  {
    const rows: number[] = []
    for (let i = 0; i < n; i++) if (parsed.polarity[i] === 'virtue' || parsed.polarity[i] === 'vice') rows.push(i)
    add({ key: 'virtue-vs-vice', group: 'polarity', kind: 'pointBiserial', description: 'higher on virtue than on vice items' }, rows, rows.map((i) => (parsed.polarity[i] === 'virtue' ? 1 : 0)))
  }
  {
    const rows: number[] = []
    for (let i = 0; i < n; i++) if (parsed.polarity[i] !== null) rows.push(i)
    add({ key: 'moral-vs-neutral', group: 'polarity', kind: 'pointBiserial', description: 'higher on moral (virtue or vice) than on neutral items' }, rows, rows.map((i) => (parsed.polarity[i] === 'neutral' ? 0 : 1)))
  }
  const foundationsOf = items.map((it) => {
    const fs = new Set<string>(it.foundations ?? [])
    if (it.foundation) fs.add(it.foundation)
    for (const f of fs)
      if (!(FOUNDATIONS as readonly string[]).includes(f)) throw new Error(`feature labels: item "${it.id}" field foundations: expected ${FOUNDATIONS.join('|')}, got "${f}"`)
    return fs
  })
  const withFoundation: number[] = []
  for (let i = 0; i < n; i++) if (foundationsOf[i].size > 0) withFoundation.push(i)
  for (const f of FOUNDATIONS) {
    add(
      { key: `foundation:${f}`, group: 'foundation', kind: 'pointBiserial', description: `higher on ${f} items than on items of other foundations` },
      withFoundation,
      withFoundation.map((i) => (foundationsOf[i].has(f) ? 1 : 0)),
    )
  }
  const vrows = parsed.vectorRows
  for (let a = 0; a < MORAL_VECTOR_DIM; a++) {
    add(
      { key: `vector:${MORAL_VECTOR_AXES[a]}`, group: 'vector', kind: 'spearman', description: `higher on items with more ${MORAL_VECTOR_AXES[a]} mass`, axis: a },
      vrows,
      vrows.map((_, r) => parsed.vectors[r * MORAL_VECTOR_DIM + a]),
    )
  }
  return out
}

/**
 * Average ranks (stats/rank.ts averageRanks) of a column; for a non-negative column only its non-zero
 * entries are sorted (the zeros tie below them), which is most of a sparse feature.
 */
function ranksOf(x: Float64Array): Float64Array {
  let zeros = 0
  for (let r = 0; r < x.length; r++) {
    if (x[r] < 0) return averageRanks(x)
    if (x[r] === 0) zeros++
  }
  if (zeros < x.length / 2) return averageRanks(x)
  const pos = new Float64Array(x.length - zeros)
  for (let r = 0, k = 0; r < x.length; r++) if (x[r] !== 0) pos[k++] = x[r]
  const posRanks = averageRanks(pos)
  const out = new Float64Array(x.length).fill((zeros + 1) / 2)
  for (let r = 0, k = 0; r < x.length; r++) if (x[r] !== 0) out[r] = zeros + posRanks[k++]
  return out
}

/**
 * Correlation of every feature's per-item activation with every moral label, the mono-semanticity
 * score and each feature's best axis and label. `pooled` is [nItems, d_sae] in the order of items.
 */
export function correlateFeaturesWithLabels(pooled: Matrix, items: StimulusItem[]): FeatureLabelCorrelations {
  const run = correlationBlocks(pooled, items)
  for (;;) {
    const step = run.next()
    if (step.done) return step.value
  }
}

/** The same, yielding to the event loop between blocks of 256 features (~20 ms each at 250 items). Progress in features. */
export async function correlateFeaturesWithLabelsAsync(
  pooled: Matrix,
  items: StimulusItem[],
  options: ProgressOptions = {},
): Promise<FeatureLabelCorrelations> {
  const maybeYield = createYielder(options)
  const run = correlationBlocks(pooled, items)
  for (;;) {
    await maybeYield()
    const step = run.next()
    if (step.done) return step.value
    options.onProgress?.(step.value, pooled.cols)
  }
}

function* correlationBlocks(pooled: Matrix, items: StimulusItem[]): Generator<number, FeatureLabelCorrelations> {
  assertMatrix(pooled, 'feature labels: pooled activations')
  if (pooled.rows !== items.length) throw new Error(`feature labels: pooled activations have ${pooled.rows} rows but there are ${items.length} items`)
  const dSae = pooled.cols
  const n = pooled.rows
  const prepared = prepareLabels(items)
  const L = prepared.length
  const rho = new Float64Array(dSae * L).fill(NaN)
  const vectorLabels = MORAL_VECTOR_AXES.map((_, a) => prepared.findIndex((p) => p.label.axis === a))
  // Labels sharing a row set (the ten vector axes, the foundations) share one subset and ranking;
  // each label's values are centred once, so a correlation is one dot product.
  interface Group {
    rows: Int32Array
    ranked: boolean
    labels: number[]
    yc: Float64Array[]
    syy: number[]
    sub: Float64Array
  }
  const groups: Group[] = []
  prepared.forEach((p, l) => {
    if (p.rows.length < 3) return
    const ranked = p.label.kind === 'spearman'
    let g = groups.find((x) => x.rows === p.rows && x.ranked === ranked)
    if (!g) {
      g = { rows: p.rows, ranked, labels: [], yc: [], syy: [], sub: new Float64Array(p.rows.length) }
      groups.push(g)
    }
    const m = p.y.reduce((a, b) => a + b, 0) / p.y.length
    const yc = p.y.map((v) => v - m)
    g.labels.push(l)
    g.yc.push(yc)
    g.syy.push(yc.reduce((a, v) => a + v * v, 0))
  })
  const data = pooled.data
  const BLOCK = 256
  const block = new Float64Array(BLOCK * n)
  for (let f0 = 0; f0 < dSae; f0 += BLOCK) {
    const f1 = Math.min(dSae, f0 + BLOCK)
    const w = f1 - f0
    for (let i = 0; i < n; i++)
      for (let f = f0; f < f1; f++) {
        const v = data[i * dSae + f]
        if (!Number.isFinite(v)) throw new Error(`feature labels: pooled activation of item ${i} ("${items[i].id}") feature ${f} is ${v}`)
        block[(f - f0) * n + i] = v
      }
    for (let k = 0; k < w; k++) {
      const o = k * n
      const f = f0 + k
      for (const g of groups) {
        const { rows, sub } = g
        let constant = true
        for (let r = 0; r < rows.length; r++) {
          sub[r] = block[o + rows[r]]
          if (sub[r] !== sub[0]) constant = false
        }
        if (constant) continue
        const x = g.ranked ? ranksOf(sub) : sub
        let mean = 0
        for (let r = 0; r < x.length; r++) mean += x[r]
        mean /= x.length
        let sxx = 0
        for (let r = 0; r < x.length; r++) sxx += (x[r] - mean) ** 2
        for (let j = 0; j < g.labels.length; j++) {
          if (g.syy[j] === 0) continue
          const yc = g.yc[j]
          let sxy = 0
          for (let r = 0; r < x.length; r++) sxy += (x[r] - mean) * yc[r]
          rho[f * L + g.labels[j]] = Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * g.syy[j])))
        }
      }
    }
    yield f1
  }
  const scores = axisScores(rho, dSae, L, vectorLabels)
  const bestLabel = new Int32Array(dSae).fill(-1)
  const bestLabelRho = new Float64Array(dSae).fill(NaN)
  for (let f = 0; f < dSae; f++) {
    for (let l = 0; l < L; l++) {
      const r = rho[f * L + l]
      if (Number.isNaN(r)) continue
      if (bestLabel[f] < 0 || Math.abs(r) > Math.abs(bestLabelRho[f])) {
        bestLabel[f] = l
        bestLabelRho[f] = r
      }
    }
  }
  return { dSae, nItems: n, labels: prepared.map((p) => p.label), rho, vectorLabels, ...scores, bestLabel, bestLabelRho }
}

/** Mono-semanticity and best / runner-up axis from a [d_sae, L] correlation table. */
export function axisScores(
  rho: ArrayLike<number>,
  dSae: number,
  L: number,
  vectorLabels: readonly number[],
): Pick<FeatureLabelCorrelations, 'monosemanticity' | 'bestAxis' | 'bestAxisRho' | 'secondAxisAbsRho'> {
  const monosemanticity = new Float64Array(dSae).fill(NaN)
  const bestAxis = new Int32Array(dSae).fill(-1)
  const bestAxisRho = new Float64Array(dSae).fill(NaN)
  const secondAxisAbsRho = new Float64Array(dSae).fill(NaN)
  for (let f = 0; f < dSae; f++) {
    let best = -1
    let bestAbs = -1
    let second = 0
    for (let a = 0; a < vectorLabels.length; a++) {
      const l = vectorLabels[a]
      if (l < 0) continue
      const r = rho[f * L + l]
      if (Number.isNaN(r)) continue
      const abs = Math.abs(r)
      if (abs > bestAbs) {
        if (best >= 0) second = Math.max(second, bestAbs)
        best = a
        bestAbs = abs
      } else second = Math.max(second, abs)
    }
    if (best < 0) continue
    bestAxis[f] = best
    bestAxisRho[f] = rho[f * L + vectorLabels[best]]
    secondAxisAbsRho[f] = second
    monosemanticity[f] = bestAbs - second
  }
  return { monosemanticity, bestAxis, bestAxisRho, secondAxisAbsRho }
}

export interface MoralFeatureSelection {
  /** Minimum |ρ| with the tracked coordinate (default 0.3). */
  minRho?: number
  /** Minimum mono-semanticity margin (default 0.1). */
  minMargin?: number
  /** Keep at most this many, best margin first (default 64). */
  maxFeatures?: number
  /** Keep at most this many per coordinate (default: no limit). */
  maxPerAxis?: number
  /**
   * 'positive' (default): only features that are more active the more of the coordinate an item
   * carries; a feature tracking "not care.vice" is not a care.vice feature. 'any' accepts ρ < 0 too.
   */
  sign?: 'positive' | 'any'
}

export interface MoralFeature {
  feature: number
  /** Tracked moral-vector axis (MORAL_VECTOR_AXES index) and its name. */
  axis: number
  axisName: string
  /** Signed Spearman ρ with that coordinate. */
  rho: number
  /** Mono-semanticity: |ρ| − the second-largest |ρ| over the other coordinates. */
  margin: number
}

/**
 * Features whose activation correlates with one moral coordinate and not with the others
 * (METHODS.md §1.4 D): |ρ_best| ≥ minRho and |ρ_best| − |ρ_second| ≥ minMargin. Sorted by margin,
 * then |ρ|, then feature index.
 */
export function selectMoralFeatures(corr: FeatureLabelCorrelations, options: MoralFeatureSelection = {}): MoralFeature[] {
  const minRho = options.minRho ?? 0.3
  const minMargin = options.minMargin ?? 0.1
  const maxFeatures = options.maxFeatures ?? 64
  const maxPerAxis = options.maxPerAxis ?? Infinity
  const sign = options.sign ?? 'positive'
  if (!(minRho >= 0 && minRho <= 1)) throw new Error(`selectMoralFeatures: minRho must be in [0, 1], got ${minRho}`)
  if (!(minMargin >= 0)) throw new Error(`selectMoralFeatures: minMargin must be ≥ 0, got ${minMargin}`)
  if (!(Number.isInteger(maxFeatures) && maxFeatures >= 0)) throw new Error(`selectMoralFeatures: maxFeatures must be an integer ≥ 0, got ${maxFeatures}`)
  const picked: MoralFeature[] = []
  for (let f = 0; f < corr.dSae; f++) {
    const axis = corr.bestAxis[f]
    if (axis < 0) continue
    const rho = corr.bestAxisRho[f]
    const margin = corr.monosemanticity[f]
    if (sign === 'positive' && !(rho > 0)) continue
    if (Math.abs(rho) < minRho || margin < minMargin) continue
    picked.push({ feature: f, axis, axisName: MORAL_VECTOR_AXES[axis], rho, margin })
  }
  picked.sort((a, b) => b.margin - a.margin || Math.abs(b.rho) - Math.abs(a.rho) || a.feature - b.feature)
  const perAxis = new Map<number, number>()
  const out: MoralFeature[] = []
  for (const p of picked) {
    if (out.length >= maxFeatures) break
    const c = perAxis.get(p.axis) ?? 0
    if (c >= maxPerAxis) continue
    perAxis.set(p.axis, c + 1)
    out.push(p)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Feature table: search, sort and filter (pure functions over plain rows).

export interface FeatureTableRow {
  feature: number
  density: number
  maxActivation: number
  meanActivation: number
  /** NaN when no label correlations were given or none is defined. */
  monosemanticity: number
  /** Best moral-vector axis name, or null. */
  bestAxis: string | null
  bestAxisRho: number
  /** Key of the label with the largest |ρ| (any group), or null. */
  bestLabel: string | null
  bestLabelRho: number
}

export function buildFeatureTable(
  stats: Pick<FeatureStats, 'dSae' | 'density' | 'maxActivation' | 'meanActivation'>,
  corr?: FeatureLabelCorrelations,
): FeatureTableRow[] {
  if (corr && corr.dSae !== stats.dSae) throw new Error(`buildFeatureTable: statistics have d_sae=${stats.dSae}, correlations ${corr.dSae}`)
  const rows: FeatureTableRow[] = []
  for (let f = 0; f < stats.dSae; f++) {
    const axis = corr ? corr.bestAxis[f] : -1
    const label = corr ? corr.bestLabel[f] : -1
    rows.push({
      feature: f,
      density: stats.density[f],
      maxActivation: stats.maxActivation[f],
      meanActivation: stats.meanActivation[f],
      monosemanticity: corr ? corr.monosemanticity[f] : NaN,
      bestAxis: axis >= 0 ? MORAL_VECTOR_AXES[axis] : null,
      bestAxisRho: corr ? corr.bestAxisRho[f] : NaN,
      bestLabel: label >= 0 ? corr!.labels[label].key : null,
      bestLabelRho: corr ? corr.bestLabelRho[f] : NaN,
    })
  }
  return rows
}

/** Lower-cased text of every feature's top examples, for repeated searches. */
export interface TopExampleIndex {
  texts: string[][]
}

export function buildTopExampleIndex(stats: Pick<FeatureStats, 'top'>): TopExampleIndex {
  return { texts: stats.top.map((examples) => examples.map((ex) => ex.tokens.join('').toLowerCase())) }
}

/** Features (ascending) with a top example whose text contains `query` (case-insensitive). */
export function searchTopExamples(index: TopExampleIndex, query: string): number[] {
  const q = query.toLowerCase()
  const out: number[] = []
  if (q === '') return out
  index.texts.forEach((texts, f) => {
    if (texts.some((t) => t.includes(q))) out.push(f)
  })
  return out
}

export interface FeatureFilter {
  minDensity?: number
  maxDensity?: number
  minMaxActivation?: number
  minMonosemanticity?: number
  /** Best moral-vector axis must be this one (e.g. 'care.vice'). */
  bestAxis?: string
  /** |ρ| with this label (a MoralLabel key) must be at least minAbsRho (needs correlations). */
  label?: string
  minAbsRho?: number
  /** Keep only features whose top examples contain this text (needs a TopExampleIndex). */
  text?: string
  /** Keep only these features. */
  features?: ReadonlySet<number> | readonly number[]
}

export type FeatureSortKey =
  | 'feature'
  | 'density'
  | 'maxActivation'
  | 'meanActivation'
  | 'monosemanticity'
  | 'bestAxisRho'
  | 'bestLabelRho'
  /** |ρ| with one label: `label:<key>`, e.g. 'label:vector:care.vice' (needs correlations). */
  | `label:${string}`

export interface FeatureQuery {
  filter?: FeatureFilter
  sort?: { key: FeatureSortKey; order?: 'asc' | 'desc' }
  offset?: number
  limit?: number
}

export interface FeatureQueryContext {
  corr?: FeatureLabelCorrelations
  index?: TopExampleIndex
}

function labelColumn(corr: FeatureLabelCorrelations | undefined, key: string, where: string): (f: number) => number {
  if (!corr) throw new Error(`${where}: label "${key}" needs the label correlations`)
  const l = corr.labels.findIndex((x) => x.key === key)
  if (l < 0) throw new Error(`${where}: unknown label "${key}" (known: ${corr.labels.map((x) => x.key).join(', ')})`)
  const L = corr.labels.length
  return (f) => corr.rho[f * L + l]
}

export function filterFeatureTable(rows: readonly FeatureTableRow[], filter: FeatureFilter, ctx: FeatureQueryContext = {}): FeatureTableRow[] {
  const keep = filter.features ? new Set(filter.features) : null
  const rhoOf = filter.label !== undefined ? labelColumn(ctx.corr, filter.label, 'filterFeatureTable') : null
  let textHits: Set<number> | null = null
  if (filter.text !== undefined && filter.text !== '') {
    if (!ctx.index) throw new Error('filterFeatureTable: a text filter needs a TopExampleIndex (buildTopExampleIndex)')
    textHits = new Set(searchTopExamples(ctx.index, filter.text))
  }
  const ge = (v: number, min: number | undefined) => min === undefined || v >= min
  return rows.filter(
    (r) =>
      (!keep || keep.has(r.feature)) &&
      ge(r.density, filter.minDensity) &&
      (filter.maxDensity === undefined || r.density <= filter.maxDensity) &&
      ge(r.maxActivation, filter.minMaxActivation) &&
      ge(r.monosemanticity, filter.minMonosemanticity) &&
      (filter.bestAxis === undefined || r.bestAxis === filter.bestAxis) &&
      (!rhoOf || Math.abs(rhoOf(r.feature)) >= (filter.minAbsRho ?? 0)) &&
      (!textHits || textHits.has(r.feature)),
  )
}

/** Sorted copy; NaN values go last in either order, ties keep feature order. */
export function sortFeatureTable(
  rows: readonly FeatureTableRow[],
  key: FeatureSortKey,
  order: 'asc' | 'desc' = 'desc',
  ctx: FeatureQueryContext = {},
): FeatureTableRow[] {
  let value: (r: FeatureTableRow) => number
  if (key.startsWith('label:')) {
    const col = labelColumn(ctx.corr, key.slice('label:'.length), 'sortFeatureTable')
    value = (r) => Math.abs(col(r.feature))
  } else if (key === 'bestAxisRho' || key === 'bestLabelRho') value = (r) => Math.abs(r[key])
  else if (['feature', 'density', 'maxActivation', 'meanActivation', 'monosemanticity'].includes(key)) {
    const k = key as 'feature' | 'density' | 'maxActivation' | 'meanActivation' | 'monosemanticity'
    value = (r) => r[k]
  } else throw new Error(`sortFeatureTable: unknown sort key "${key}"`)
  const sign = order === 'asc' ? 1 : -1
  return rows
    .map((r) => ({ r, v: value(r) }))
    .sort((a, b) => {
      const an = Number.isNaN(a.v)
      const bn = Number.isNaN(b.v)
      if (an || bn) return an === bn ? a.r.feature - b.r.feature : an ? 1 : -1
      return sign * (a.v - b.v) || a.r.feature - b.r.feature
    })
    .map((x) => x.r)
}

/** Filter, sort and page in one call: what the feature table asks for. */
export function queryFeatureTable(
  rows: readonly FeatureTableRow[],
  query: FeatureQuery,
  ctx: FeatureQueryContext = {},
): { total: number; rows: FeatureTableRow[] } {
  let out = query.filter ? filterFeatureTable(rows, query.filter, ctx) : rows.slice()
  if (query.sort) out = sortFeatureTable(out, query.sort.key, query.sort.order ?? 'desc', ctx)
  const offset = query.offset ?? 0
  const limit = query.limit ?? out.length
  return { total: out.length, rows: out.slice(offset, offset + limit) }
}
