// The four "moral indifference" diagnostics of Li, Teng & Wang (arXiv 2603.15615), computed per
// layer from captured activations, plus RSA against the ground-truth moral vectors. The exact
// recipe (centring, directions, k, probe) follows ../shared/research/METHODS.md §1.4 C; every
// result is plain JSON (NaN becomes null with a reason) so it can be cached and exported.

import { sha256Hex } from '../hash.ts'
import {
  CORE_FOUNDATIONS,
  type CoreFoundation,
  FOUNDATIONS,
  MORAL_VECTOR_AXES,
  MORAL_VECTOR_DIM,
  POLARITIES,
  type Polarity,
  type StimulusItem,
} from '../stimuli/types.ts'
import { adjustedRandIndex, kMeans, type KMeansMetric, silhouetteScores } from '../stats/cluster.ts'
import { cosineSimilarity, pearson, prepareSpearmanBootstrap, type SpearmanBootstrap } from '../stats/correlation.ts'
import { type Matrix, type Matrix64, assertMatrix, centreColumns, selectRows } from '../stats/linalg.ts'
import { pca } from '../stats/pca.ts'
import { averageRanks } from '../stats/rank.ts'
import { DEFAULT_RIDGE_ALPHAS, kFoldAssignment, ridgeCrossValidate } from '../stats/ridge.ts'
import { type RdmMetric, representationalDissimilarity } from '../stats/rsa.ts'
import { Rng } from '../random.ts'

export interface LayerActivations {
  /** TransformerLens hook name, e.g. "blocks.3.hook_resid_post". */
  hook: string
  layer: number
  /** One row per stimulus item, in the order of the items. */
  acts: Matrix
}

export interface TypicalityOptions {
  seed?: number
  /** Bootstrap resamples for the Spearman intervals (default 1000; 0 = no intervals). */
  bootstrap?: number
  /** Confidence level of the intervals (default 0.95). */
  ciLevel?: number
  /**
   * Dimensions of the PCA basis used by the structural, dimensional and RSA diagnostics
   * (default 50; capped at min(n − 1, width)). null or 0 = full width (exact but slower).
   */
  pcaDims?: number | null
  /**
   * Extra power iterations of the randomized PCA (default 0: one application of XᵀX, two passes over
   * the data). Each adds two passes and brings the basis closer to the exact top components.
   */
  pcaPowerIterations?: number
  /** Cross-validation folds of the ridge probe (default 5; the inner penalty search needs ≥ 3). */
  folds?: number
  /** Ridge penalties relative to the mean eigenvalue of XᵀX, i.e. α = rel·tr(XᵀX)/p. */
  ridgeAlphas?: number[]
  kmeansRestarts?: number
  kmeansMetric?: KMeansMetric
  rsaModelMetric?: RdmMetric
  /**
   * RSA is the one O(n²) diagnostic: above this many items with a moral vector it runs on a seeded
   * random subset of them, the same in every layer (default 500; null = always all items).
   */
  rsaMaxItems?: number | null
  /** Ground-truth RDM metric (default euclidean: keeps neutral items, whose vector is zero). */
  rsaTruthMetric?: RdmMetric
  signal?: AbortSignal
  onProgress?: (done: number, total: number) => void
}

export type ResolvedTypicalityOptions = Required<
  Omit<TypicalityOptions, 'signal' | 'onProgress' | 'pcaDims' | 'rsaMaxItems'>
> & { pcaDims: number | null; rsaMaxItems: number | null }

export interface FoundationCentroidCosine {
  foundation: CoreFoundation
  nVirtue: number
  nVice: number
  /** cos(μ_virtue, μ_vice) on centred activations. */
  centred: number | null
  /** The same on raw activations (dominated by the shared mean direction in anisotropic models). */
  uncentred: number | null
  reason?: string
}

export interface SilhouetteResult {
  /** Mean silhouette with cosine distance on centred activations. */
  value: number | null
  n: number
  labels: string[]
  reason?: string
}

export interface CategoricalDiagnostics {
  centroidCosine: FoundationCentroidCosine[]
  /** Mean over the foundations where the cosine is defined. */
  meanCentroidCosine: { centred: number | null; uncentred: number | null }
  /** Virtue / vice / neutral labels. */
  polaritySilhouette: SilhouetteResult
  /** Virtue and vice items only. */
  virtueViceSilhouette: SilhouetteResult
}

export interface CategoryGradient {
  /** "care.virtue" etc. (MORAL_VECTOR_AXES order). */
  category: string
  foundation: CoreFoundation
  polarity: 'virtue' | 'vice'
  /** Items in the category with a typicality grade. */
  n: number
  /** Spearman ρ between h̃·d̂_c and typicality. */
  rho: number | null
  ci: [number, number] | null
  reason?: string
}

export interface GradientDiagnostics {
  categories: CategoryGradient[]
  meanVirtueRho: number | null
  meanViceRho: number | null
  /** mean vice ρ − mean virtue ρ (the paper reports vice graded better: positive). */
  asymmetry: number | null
  reason?: string
}

export interface ClusterAgreement {
  /** Adjusted Rand index of k-means clusters against the labels. */
  ari: number | null
  n: number
  k: number
  inertia: number | null
  reason?: string
}

export interface StructuralDiagnostics {
  polarity: ClusterAgreement
  foundation: ClusterAgreement
}

export interface DimensionalDiagnostics {
  n: number
  /** Predictors: the PCA basis dimension, or the width when pcaDims is off. */
  p: number
  /** Mean over outputs of the pooled out-of-fold R². */
  r2Cv: number | null
  r2CvPerOutput: (number | null)[]
  /** 1 − (1 − r2Cv)(n − 1)/(n − p − 1); null when p ≥ n − 1. */
  r2CvAdjusted: number | null
  r2InSample: number | null
  r2InSampleAdjusted: number | null
  /** Penalty chosen on all items, relative to tr(XᵀX)/p. */
  alpha: number | null
  alphaPerFold: number[]
  solver: 'primal' | 'dual' | null
  reason?: string
}

export interface RsaDiagnostics {
  /** Spearman ρ between the upper triangles of the model and ground-truth RDMs. */
  rho: number | null
  /** Items in the RDMs (a seeded subset when more than rsaMaxItems carry a moral vector). */
  nItems: number
  /** Items carrying a moral vector. */
  nAvailable: number
  nPairs: number
  modelMetric: RdmMetric
  truthMetric: RdmMetric
  reason?: string
}

export interface LayerDiagnostics {
  hook: string
  layer: number
  n: number
  width: number
  /** Space of the structural, dimensional and RSA diagnostics. */
  basis: { kind: 'pca' | 'full'; dims: number; explainedVariance: number | null }
  categorical: CategoricalDiagnostics
  gradient: GradientDiagnostics
  structural: StructuralDiagnostics
  dimensional: DimensionalDiagnostics
  rsa: RsaDiagnostics
}

export interface TypicalityCounts {
  items: number
  byPolarity: Record<Polarity | 'unlabelled', number>
  byCategory: Record<string, number>
  withTypicality: number
  withMoralVector: number
  withCoreFoundation: number
}

export interface TypicalityReport {
  version: 1
  options: ResolvedTypicalityOptions
  counts: TypicalityCounts
  layers: LayerDiagnostics[]
  /** How the numbers were computed, for exports and the plain-language readings. */
  notes: string[]
}

export const TYPICALITY_NOTES: readonly string[] = [
  'Activations are centred per layer (column means over all items) unless a field says uncentred.',
  'Categories are (primary foundation × polarity) for the five core foundations; liberty items count only ' +
    'for polarity.',
  'Gradient: direction d_c = centroid(c) − centroid(neutral) on centred activations, unit-normalised; ' +
    'ρ is Spearman between h̃·d_c and typicality over the category items; intervals are percentile bootstrap.',
  'Structural, dimensional and RSA diagnostics run in the basis given per layer: the full width, or the top ' +
    'principal components of the centred activations, fitted on all items without labels. When both the item ' +
    'count and the width exceed 200 the components come from a randomized PCA; basis.explainedVariance is the ' +
    'share of variance the basis actually holds (close to the exact top-k share when the spectrum decays, lower ' +
    'when it is flat).',
  'Dimensional: ridge with intercept, penalty chosen by inner cross-validation; R² is pooled over out-of-fold ' +
    'predictions and averaged over the moral-vector axes with variance. Adjusted R² uses p = basis dimension ' +
    "(the paper's formula; applied to a cross-validated R² it is conservative) and is null when p ≥ n − 1.",
  'RSA: Spearman between the upper triangles of the model RDM and the ground-truth moral-vector RDM, over at ' +
    'most rsaMaxItems items (a seeded subset, the same in every layer).',
]

/** Labels parsed and checked once, shared by every layer. */
export interface TypicalityLabels {
  n: number
  polarity: (Polarity | null)[]
  /** Core foundation index 0..4, or -1. */
  foundation: Int32Array
  /** Category 0..9 in MORAL_VECTOR_AXES order, or -1. */
  category: Int32Array
  typicality: Float64Array
  /** Rows holding a moral vector, and those vectors (row-major, 10 per row). */
  vectorRows: number[]
  vectors: Float64Array
  counts: TypicalityCounts
}

function itemWhere(item: StimulusItem, i: number): string {
  return `item ${i} (id "${item?.id}")`
}

export function prepareTypicalityLabels(items: StimulusItem[]): TypicalityLabels {
  if (!Array.isArray(items)) throw new Error('typicality diagnostics: items must be an array of StimulusItem')
  const n = items.length
  const polarity: (Polarity | null)[] = []
  const foundation = new Int32Array(n).fill(-1)
  const category = new Int32Array(n).fill(-1)
  const typicality = new Float64Array(n).fill(NaN)
  const vectorRows: number[] = []
  const vectors: number[] = []
  const counts: TypicalityCounts = {
    items: n,
    byPolarity: { virtue: 0, vice: 0, neutral: 0, unlabelled: 0 },
    byCategory: Object.fromEntries(MORAL_VECTOR_AXES.map((a) => [a, 0])),
    withTypicality: 0,
    withMoralVector: 0,
    withCoreFoundation: 0,
  }
  for (let i = 0; i < n; i++) {
    const item = items[i]
    const p = item.polarity
    if (p !== undefined && p !== null && !(POLARITIES as readonly string[]).includes(p)) {
      throw new Error(
        `typicality diagnostics: ${itemWhere(item, i)} field polarity: expected one of ${POLARITIES.join('|')}, ` +
          `got "${p}"`,
      )
    }
    polarity.push(p ?? null)
    counts.byPolarity[p ?? 'unlabelled']++
    const f = item.foundation
    if (f !== undefined && f !== null && !(FOUNDATIONS as readonly string[]).includes(f)) {
      throw new Error(
        `typicality diagnostics: ${itemWhere(item, i)} field foundation: expected one of ${FOUNDATIONS.join('|')}, ` +
          `got "${f}"`,
      )
    }
    const fi = f ? (CORE_FOUNDATIONS as readonly string[]).indexOf(f) : -1
    foundation[i] = fi
    if (fi >= 0) counts.withCoreFoundation++
    if (fi >= 0 && (p === 'virtue' || p === 'vice')) {
      category[i] = fi * 2 + (p === 'vice' ? 1 : 0)
      counts.byCategory[MORAL_VECTOR_AXES[category[i]]]++
    }
    const t = item.typicality
    if (t !== undefined && t !== null) {
      if (typeof t !== 'number' || !Number.isFinite(t)) {
        throw new Error(
          `typicality diagnostics: ${itemWhere(item, i)} field typicality: expected a finite number, got ${t}`,
        )
      }
      typicality[i] = t
      counts.withTypicality++
    }
    const v = item.moralVector
    if (v !== undefined && v !== null) {
      const ok = Array.isArray(v) && v.length === MORAL_VECTOR_DIM && v.every((x) => Number.isFinite(x))
      if (!ok) {
        throw new Error(
          `typicality diagnostics: ${itemWhere(item, i)} field moralVector: ` +
            `expected ${MORAL_VECTOR_DIM} finite numbers ` +
            `(${MORAL_VECTOR_AXES.join(', ')}), got ${JSON.stringify(v)}`,
        )
      }
      vectorRows.push(i)
      vectors.push(...v)
      counts.withMoralVector++
    }
  }
  return { n, polarity, foundation, category, typicality, vectorRows, vectors: Float64Array.from(vectors), counts }
}

export function resolveTypicalityOptions(options: TypicalityOptions = {}): ResolvedTypicalityOptions {
  const r: ResolvedTypicalityOptions = {
    seed: options.seed ?? 0,
    bootstrap: options.bootstrap ?? 1000,
    ciLevel: options.ciLevel ?? 0.95,
    pcaDims: options.pcaDims === undefined ? 50 : options.pcaDims || null,
    pcaPowerIterations: options.pcaPowerIterations ?? 0,
    folds: options.folds ?? 5,
    ridgeAlphas: options.ridgeAlphas ?? DEFAULT_RIDGE_ALPHAS,
    kmeansRestarts: options.kmeansRestarts ?? 4,
    kmeansMetric: options.kmeansMetric ?? 'euclidean',
    rsaModelMetric: options.rsaModelMetric ?? 'cosine',
    rsaMaxItems: options.rsaMaxItems === undefined ? 500 : options.rsaMaxItems,
    rsaTruthMetric: options.rsaTruthMetric ?? 'euclidean',
  }
  const bad = (field: string, expected: string, got: unknown) =>
    new Error(`typicality diagnostics: option ${field}: expected ${expected}, got ${JSON.stringify(got)}`)
  if (!Number.isInteger(r.seed)) throw bad('seed', 'an integer', r.seed)
  if (!Number.isInteger(r.bootstrap) || r.bootstrap < 0) throw bad('bootstrap', 'an integer ≥ 0', r.bootstrap)
  if (!(r.ciLevel > 0 && r.ciLevel < 1)) throw bad('ciLevel', 'a number in (0, 1)', r.ciLevel)
  if (r.pcaDims !== null && (!Number.isInteger(r.pcaDims) || r.pcaDims < 1)) {
    throw bad('pcaDims', 'a positive integer or null', r.pcaDims)
  }
  if (!Number.isInteger(r.pcaPowerIterations) || r.pcaPowerIterations < 0) {
    throw bad('pcaPowerIterations', 'an integer ≥ 0', r.pcaPowerIterations)
  }
  if (!Number.isInteger(r.folds) || r.folds < 2) throw bad('folds', 'an integer ≥ 2', r.folds)
  if (r.ridgeAlphas.length === 0 || r.ridgeAlphas.some((a) => !(a > 0))) {
    throw bad('ridgeAlphas', 'positive numbers', r.ridgeAlphas)
  }
  if (r.ridgeAlphas.length > 1 && r.folds < 3) throw bad('folds', '≥ 3 to choose among several ridgeAlphas', r.folds)
  if (!Number.isInteger(r.kmeansRestarts) || r.kmeansRestarts < 1) {
    throw bad('kmeansRestarts', 'an integer ≥ 1', r.kmeansRestarts)
  }
  if (r.rsaMaxItems !== null && (!Number.isInteger(r.rsaMaxItems) || r.rsaMaxItems < 4)) {
    throw bad('rsaMaxItems', 'an integer ≥ 4 or null', r.rsaMaxItems)
  }
  for (const [field, metric] of [['rsaModelMetric', r.rsaModelMetric], ['rsaTruthMetric', r.rsaTruthMetric]] as const) {
    if (!['cosine', 'correlation', 'euclidean'].includes(metric)) {
      throw bad(field, 'cosine | correlation | euclidean', metric)
    }
  }
  if (!['euclidean', 'cosine'].includes(r.kmeansMetric)) throw bad('kmeansMetric', 'euclidean | cosine', r.kmeansMetric)
  return r
}

/** Independent seed per purpose, so a layer's numbers do not depend on which other layers ran. */
function seedFor(seed: number, purpose: string): number {
  return parseInt(sha256Hex(`moral-lens:typicality:${seed}:${purpose}`).slice(0, 8), 16)
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null
}

function meanOf(values: (number | null)[]): number | null {
  const ok = values.filter((v): v is number => v !== null)
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null
}

/** Which diagnostics the labels allow at all; used to refuse a set where none can run. */
function feasibility(labels: TypicalityLabels): string[] {
  const c = labels.counts
  const out: string[] = []
  const polarityKinds = (['virtue', 'vice', 'neutral'] as const).filter((p) => c.byPolarity[p] > 0).length
  if (polarityKinds >= 2) out.push('polarity')
  const anyPair = CORE_FOUNDATIONS.some((f) => c.byCategory[`${f}.virtue`] > 0 && c.byCategory[`${f}.vice`] > 0)
  if (anyPair) out.push('centroids')
  if (c.byPolarity.neutral > 0 && c.withTypicality > 0) out.push('gradient')
  if (c.withCoreFoundation > 0) out.push('foundation')
  if (c.withMoralVector >= 4) out.push('moral vectors')
  return out
}

/** Per-run cache of things that do not change across layers. */
export interface TypicalityState {
  labels: TypicalityLabels
  options: ResolvedTypicalityOptions
  rsa?: { rows: number[]; truthRanks: Float64Array | null; reason?: string }
  foldOf?: Int32Array
  bootstraps?: Map<number, (x: ArrayLike<number>) => SpearmanBootstrap>
}

export function createTypicalityState(items: StimulusItem[], options: TypicalityOptions = {}): TypicalityState {
  const labels = prepareTypicalityLabels(items)
  const resolved = resolveTypicalityOptions(options)
  if (labels.n < 3) throw new Error(`typicality diagnostics: need at least 3 stimulus items, got ${labels.n}`)
  if (feasibility(labels).length === 0) {
    throw new Error(
      'typicality diagnostics: nothing can be computed: the items carry no usable labels ' +
        '(need polarity for two or more kinds, virtue and vice items of one core foundation, neutral items with ' +
        'typicality grades, core foundations, or at least 4 moral vectors)',
    )
  }
  return { labels, options: resolved }
}

function checkActivations(layer: LayerActivations, n: number): void {
  const where = `typicality diagnostics: layer "${layer?.hook}"`
  if (!layer || typeof layer.hook !== 'string') {
    throw new Error('typicality diagnostics: each layer needs { hook, layer, acts }')
  }
  assertMatrix(layer.acts, `${where} acts`)
  if (layer.acts.rows !== n) {
    throw new Error(`${where}: acts has ${layer.acts.rows} rows, expected one per stimulus item (${n})`)
  }
  if (layer.acts.cols < 1) throw new Error(`${where}: acts has no columns`)
  const { data, cols } = layer.acts
  for (let t = 0; t < data.length; t++) {
    if (!Number.isFinite(data[t])) {
      const at = `row ${Math.floor(t / cols)} column ${t % cols}`
      throw new Error(`${where}: acts ${at} is ${data[t]}, expected a finite number`)
    }
  }
}

function categorical(
  Xc: Matrix64,
  means: Float64Array,
  sums: Float64Array,
  sizes: Float64Array,
  labels: TypicalityLabels,
): CategoricalDiagnostics {
  const d = Xc.cols
  const centroid = (c: number, uncentred: boolean) => {
    const out = new Float64Array(d)
    for (let t = 0; t < d; t++) out[t] = sums[c * d + t] / sizes[c] + (uncentred ? means[t] : 0)
    return out
  }
  const centroidCosine: FoundationCentroidCosine[] = CORE_FOUNDATIONS.map((foundation, f) => {
    const nVirtue = sizes[2 * f]
    const nVice = sizes[2 * f + 1]
    if (nVirtue === 0 || nVice === 0) {
      const reason = `needs virtue and vice items (${nVirtue} virtue, ${nVice} vice)`
      return { foundation, nVirtue, nVice, centred: null, uncentred: null, reason }
    }
    const centred = finite(cosineSimilarity(centroid(2 * f, false), centroid(2 * f + 1, false)))
    const uncentred = finite(cosineSimilarity(centroid(2 * f, true), centroid(2 * f + 1, true)))
    const r: FoundationCentroidCosine = { foundation, nVirtue, nVice, centred, uncentred }
    if (centred === null || uncentred === null) r.reason = 'a centroid is the zero vector'
    return r
  })
  // Both silhouettes share one normalisation of the rows.
  const labelings = [
    labels.polarity,
    labels.polarity.map((p) => (p === 'virtue' || p === 'vice' ? p : null)),
  ]
  const results: SilhouetteResult[] = labelings.map((lab) => {
    const n = lab.filter((p) => p !== null).length
    const kinds = [...new Set(lab.filter((p): p is Polarity => p !== null))]
    if (kinds.length < 2) {
      return { value: null, n, labels: kinds, reason: `needs two or more labels, found ${kinds.length}` }
    }
    if (n <= kinds.length) return { value: null, n, labels: kinds, reason: 'needs more items than labels' }
    return { value: null, n, labels: kinds }
  })
  const ready = results.map((r, i) => (r.reason ? -1 : i)).filter((i) => i >= 0)
  if (ready.length) {
    const values = silhouetteScores(Xc, ready.map((i) => labelings[i]))
    ready.forEach((i, j) => (results[i].value = finite(values[j])))
  }
  return {
    centroidCosine,
    meanCentroidCosine: {
      centred: meanOf(centroidCosine.map((c) => c.centred)),
      uncentred: meanOf(centroidCosine.map((c) => c.uncentred)),
    },
    polaritySilhouette: results[0],
    virtueViceSilhouette: results[1],
  }
}

function gradient(Xc: Matrix64, sums: Float64Array, sizes: Float64Array, state: TypicalityState): GradientDiagnostics {
  const { labels, options } = state
  const d = Xc.cols
  const neutral = 10
  const categories: CategoryGradient[] = MORAL_VECTOR_AXES.map((category, c) => {
    const foundation = CORE_FOUNDATIONS[c >> 1]
    const polarity = c % 2 === 0 ? 'virtue' : 'vice'
    const rows: number[] = []
    for (let i = 0; i < labels.n; i++) if (labels.category[i] === c && !Number.isNaN(labels.typicality[i])) rows.push(i)
    const base = { category, foundation, polarity, n: rows.length, rho: null, ci: null } as CategoryGradient
    if (sizes[neutral] === 0) {
      return { ...base, reason: 'no neutral items: the category direction needs the neutral centroid' }
    }
    if (sizes[c] === 0) return { ...base, reason: 'no items in this category' }
    if (rows.length < 3) return { ...base, reason: `needs at least 3 items with typicality, found ${rows.length}` }
    const dir = new Float64Array(d)
    let norm = 0
    for (let t = 0; t < d; t++) {
      dir[t] = sums[c * d + t] / sizes[c] - sums[neutral * d + t] / sizes[neutral]
      norm += dir[t] * dir[t]
    }
    if (norm === 0) return { ...base, reason: 'category and neutral centroids coincide' }
    const proj = new Float64Array(rows.length)
    const typ = new Float64Array(rows.length)
    const x = Xc.data
    rows.forEach((i, r) => {
      let s = 0
      for (let t = 0; t < d; t++) s += x[i * d + t] * dir[t]
      proj[r] = s / Math.sqrt(norm)
      typ[r] = labels.typicality[i]
    })
    // The typicality series and resamples are the same in every layer: prepare them once.
    state.bootstraps ??= new Map()
    let boot = state.bootstraps.get(c)
    if (!boot) {
      boot = prepareSpearmanBootstrap(typ, {
        resamples: options.bootstrap,
        level: options.ciLevel,
        seed: seedFor(options.seed, `bootstrap:${category}`),
      })
      state.bootstraps.set(c, boot)
    }
    const result = boot(proj)
    const rho = finite(result.rho)
    if (rho === null) return { ...base, reason: 'typicality or projection is constant within the category' }
    const out: CategoryGradient = { ...base, rho, ci: result.ci }
    if (!result.ci && options.bootstrap > 0) out.reason = 'interval undefined: too few resamples had varying values'
    return out
  })
  const meanVirtueRho = meanOf(categories.filter((c) => c.polarity === 'virtue').map((c) => c.rho))
  const meanViceRho = meanOf(categories.filter((c) => c.polarity === 'vice').map((c) => c.rho))
  const result: GradientDiagnostics = {
    categories,
    meanVirtueRho,
    meanViceRho,
    asymmetry: meanVirtueRho !== null && meanViceRho !== null ? meanViceRho - meanVirtueRho : null,
  }
  if (result.asymmetry === null) result.reason = 'the asymmetry needs ρ for at least one virtue and one vice category'
  return result
}

function clusterAgreement(
  basis: Matrix64,
  rows: number[],
  lab: (number | string)[],
  state: TypicalityState,
  purpose: string,
): ClusterAgreement {
  const k = new Set(lab).size
  if (k < 2) return { ari: null, n: rows.length, k, inertia: null, reason: `needs two or more label kinds, found ${k}` }
  if (rows.length <= k) return { ari: null, n: rows.length, k, inertia: null, reason: 'needs more items than clusters' }
  const X = rows.length === basis.rows ? basis : selectRows(basis, rows)
  const km = kMeans(X, k, {
    seed: seedFor(state.options.seed, `kmeans:${purpose}`),
    restarts: state.options.kmeansRestarts,
    metric: state.options.kmeansMetric,
  })
  return { ari: finite(adjustedRandIndex(km.labels, lab)), n: rows.length, k, inertia: finite(km.inertia) }
}

function structural(basis: Matrix64, state: TypicalityState): StructuralDiagnostics {
  const { labels } = state
  const pRows: number[] = []
  const pLab: string[] = []
  const fRows: number[] = []
  const fLab: number[] = []
  for (let i = 0; i < labels.n; i++) {
    const p = labels.polarity[i]
    if (p) {
      pRows.push(i)
      pLab.push(p)
    }
    if (labels.foundation[i] >= 0) {
      fRows.push(i)
      fLab.push(labels.foundation[i])
    }
  }
  return {
    polarity: clusterAgreement(basis, pRows, pLab, state, 'polarity'),
    foundation: clusterAgreement(basis, fRows, fLab, state, 'foundation'),
  }
}

function dimensional(basis: Matrix64, state: TypicalityState): DimensionalDiagnostics {
  const { labels, options } = state
  const rows = labels.vectorRows
  const n = rows.length
  const p = basis.cols
  const empty: DimensionalDiagnostics = {
    n,
    p,
    r2Cv: null,
    r2CvPerOutput: [],
    r2CvAdjusted: null,
    r2InSample: null,
    r2InSampleAdjusted: null,
    alpha: null,
    alphaPerFold: [],
    solver: null,
  }
  if (n < Math.max(2 * options.folds, 4)) {
    const need = Math.max(2 * options.folds, 4)
    return { ...empty, reason: `needs at least ${need} items with a moral vector, found ${n}` }
  }
  const X = rows.length === basis.rows ? basis : selectRows(basis, rows)
  const Y: Matrix64 = { data: labels.vectors, rows: n, cols: MORAL_VECTOR_DIM }
  // Penalties scale with the data: α = rel · tr(XcᵀXc)/p, the mean eigenvalue.
  const { centred } = centreColumns(X)
  let trace = 0
  for (let t = 0; t < centred.data.length; t++) trace += centred.data[t] * centred.data[t]
  const scale = trace / p
  if (!(scale > 0)) return { ...empty, reason: 'activations are constant across these items' }
  state.foldOf ??= kFoldAssignment(n, options.folds, new Rng(seedFor(options.seed, 'folds')))
  const absolute = options.ridgeAlphas.map((a) => a * scale)
  const relative = (alpha: number) => options.ridgeAlphas[absolute.indexOf(alpha)]
  const cv = ridgeCrossValidate(X, Y, { folds: options.folds, alphas: absolute, foldOf: state.foldOf })
  const out: DimensionalDiagnostics = {
    n,
    p,
    r2Cv: finite(cv.meanR2),
    r2CvPerOutput: cv.r2PerOutput.map(finite),
    r2CvAdjusted: finite(cv.adjustedR2),
    r2InSample: finite(cv.inSampleMeanR2),
    r2InSampleAdjusted: finite(cv.inSampleAdjustedR2),
    alpha: relative(cv.alpha),
    alphaPerFold: cv.alphaPerFold.map(relative),
    solver: cv.solver,
  }
  if (out.r2Cv === null) out.reason = 'every moral-vector axis is constant over these items'
  else if (out.r2CvAdjusted === null) out.reason = `adjusted R² undefined: p = ${p} ≥ n − 1 = ${n - 1}; read r2Cv`
  return out
}

function rsaDiagnostic(basis: Matrix64, state: TypicalityState): RsaDiagnostics {
  const { labels, options } = state
  const available = labels.vectorRows.length
  if (state.rsa === undefined) {
    // Rows (positions in vectorRows) used by RSA: all, or a seeded subset fixed for every layer.
    let picks = Array.from({ length: available }, (_, i) => i)
    if (options.rsaMaxItems !== null && available > options.rsaMaxItems) {
      picks = new Rng(seedFor(options.seed, 'rsa-subset')).shuffle(picks).slice(0, options.rsaMaxItems)
      picks.sort((a, b) => a - b)
    }
    const truthVectors = new Float64Array(picks.length * MORAL_VECTOR_DIM)
    picks.forEach((r, i) =>
      truthVectors.set(labels.vectors.subarray(r * MORAL_VECTOR_DIM, (r + 1) * MORAL_VECTOR_DIM), i * MORAL_VECTOR_DIM),
    )
    let ranks: Float64Array | null = null
    let reason: string | undefined
    if (picks.length >= 4) {
      const truth = representationalDissimilarity(
        { data: truthVectors, rows: picks.length, cols: MORAL_VECTOR_DIM },
        options.rsaTruthMetric,
      )
      if (truth.every((v) => v === truth[0])) {
        reason = 'the ground-truth RDM is constant (all moral vectors equally far apart)'
      } else {
        ranks = averageRanks(truth)
      }
    } else {
      reason = `needs at least 4 items with a moral vector, found ${available}`
    }
    state.rsa = { rows: picks.map((r) => labels.vectorRows[r]), truthRanks: ranks, reason }
  }
  const { rows, truthRanks, reason } = state.rsa
  const nItems = rows.length
  const base: RsaDiagnostics = {
    rho: null,
    nItems,
    nAvailable: available,
    nPairs: (nItems * (nItems - 1)) / 2,
    modelMetric: options.rsaModelMetric,
    truthMetric: options.rsaTruthMetric,
  }
  if (!truthRanks) return { ...base, reason }
  const X = rows.length === basis.rows ? basis : selectRows(basis, rows)
  const model = representationalDissimilarity(X, options.rsaModelMetric)
  const rho = finite(pearson(averageRanks(model), truthRanks))
  return rho === null ? { ...base, reason: 'the model RDM is constant' } : { ...base, rho }
}

/**
 * The work for one layer as a generator that pauses between stages (each well under 100 ms at
 * 1,000 × 1,024), so the async driver can yield to the event loop and honour a cancel mid-layer.
 */
function* layerStages(layer: LayerActivations, state: TypicalityState): Generator<void, LayerDiagnostics> {
  const { labels, options } = state
  checkActivations(layer, labels.n)
  const { centred: Xc, means } = centreColumns(layer.acts)
  const n = Xc.rows
  const d = Xc.cols
  // Sums of centred rows per category (0..9) and for neutral items (10).
  const sums = new Float64Array(11 * d)
  const sizes = new Float64Array(11)
  for (let i = 0; i < n; i++) {
    const c = labels.polarity[i] === 'neutral' ? 10 : labels.category[i]
    if (c < 0) continue
    sizes[c]++
    const o = i * d
    const oc = c * d
    for (let t = 0; t < d; t++) sums[oc + t] += Xc.data[o + t]
  }
  const categoricalResult = categorical(Xc, means, sums, sizes, labels)
  const gradientResult = gradient(Xc, sums, sizes, state)
  yield
  let basis: Matrix64 = Xc
  let basisInfo: LayerDiagnostics['basis'] = { kind: 'full', dims: d, explainedVariance: 1 }
  if (options.pcaDims !== null) {
    const fit = pca(Xc, {
      components: options.pcaDims,
      centre: false,
      seed: seedFor(options.seed, 'pca'),
      powerIterations: options.pcaPowerIterations,
    })
    basis = fit.scores
    let ev = 0
    for (const r of fit.explainedVarianceRatio) ev += r
    basisInfo = { kind: 'pca', dims: basis.cols, explainedVariance: finite(ev) }
  }
  yield
  const structuralResult = structural(basis, state)
  const dimensionalResult = dimensional(basis, state)
  yield
  return {
    hook: layer.hook,
    layer: layer.layer,
    n,
    width: d,
    basis: basisInfo,
    categorical: categoricalResult,
    gradient: gradientResult,
    structural: structuralResult,
    dimensional: dimensionalResult,
    rsa: rsaDiagnostic(basis, state),
  }
}

/** All diagnostics for one layer, synchronously (the state carries caches shared across layers). */
export function computeLayerDiagnostics(layer: LayerActivations, state: TypicalityState): LayerDiagnostics {
  const stages = layerStages(layer, state)
  for (;;) {
    const step = stages.next()
    if (step.done) return step.value
  }
}

/** A macrotask turn, so a worker can receive a cancel message; MessageChannel avoids timer clamping. */
function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0))
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel()
    port1.onmessage = () => {
      port1.close()
      resolve()
    }
    port2.postMessage(null)
  })
}

/**
 * Runs every diagnostic on every layer, reporting progress per layer. Yields to the event loop
 * between stages of a layer so a worker can receive a cancel message; throws the signal's reason
 * when aborted.
 */
export async function computeTypicalityDiagnostics(
  layers: LayerActivations[],
  items: StimulusItem[],
  options: TypicalityOptions = {},
): Promise<TypicalityReport> {
  if (!Array.isArray(layers) || layers.length === 0) throw new Error('typicality diagnostics: no layers given')
  const state = createTypicalityState(items, options)
  const out: LayerDiagnostics[] = []
  options.onProgress?.(0, layers.length)
  for (let l = 0; l < layers.length; l++) {
    options.signal?.throwIfAborted()
    const stages = layerStages(layers[l], state)
    for (;;) {
      const step = stages.next()
      if (step.done) {
        out.push(step.value)
        break
      }
      await yieldToEventLoop()
      options.signal?.throwIfAborted()
    }
    options.onProgress?.(l + 1, layers.length)
  }
  options.signal?.throwIfAborted()
  return { version: 1, options: state.options, counts: state.labels.counts, layers: out, notes: [...TYPICALITY_NOTES] }
}
