// Per-layer views behind the Moral typicality plots: projections of a category's items on
// its direction (the typicality scatter), a 2-D PCA map of all stimuli, and the peaks that the
// cross-model comparison lists.
import type { Matrix } from '../stats/linalg.ts'
import { centreColumns } from '../stats/linalg.ts'
import { pca } from '../stats/pca.ts'
import { spearman } from '../stats/correlation.ts'
import type { StimulusItem } from '../stimuli/types.ts'
import type { LayerDiagnostics, TypicalityReport } from './diagnostics.ts'

export interface ProjectionPoint {
  index: number
  text: string
  projection: number
  typicality: number
}

export interface CategoryProjection {
  category: string
  layer: number
  points: ProjectionPoint[]
  rho: number | null
}

/**
 * Items of one category (e.g. 'care.vice') projected on the unit direction from the neutral
 * centroid to the category centroid, on centred activations (METHODS.md §1.4 C2).
 */
export function categoryProjection(acts: Matrix, items: StimulusItem[], layer: number, category: string): CategoryProjection {
  const [foundation, polarity] = category.split('.')
  if (acts.rows !== items.length) throw new Error(`activations have ${acts.rows} rows but the set has ${items.length} items`)
  const { centred } = centreColumns(acts)
  const d = acts.cols
  const inCat: number[] = []
  const neutral: number[] = []
  items.forEach((it, i) => {
    if (it.polarity === 'neutral') neutral.push(i)
    else if (it.foundation === foundation && it.polarity === polarity) inCat.push(i)
  })
  if (inCat.length < 2) throw new Error(`category ${category} has ${inCat.length} items; need at least 2`)
  if (neutral.length === 0) throw new Error('the set has no neutral items, so there is no neutral centroid to measure from')
  const mean = (idx: number[]) => {
    const m = new Float64Array(d)
    for (const i of idx) for (let j = 0; j < d; j++) m[j] += centred.data[i * d + j] / idx.length
    return m
  }
  const mc = mean(inCat)
  const mn = mean(neutral)
  const dir = mc.map((v, j) => v - mn[j])
  const norm = Math.hypot(...dir) || 1
  const points: ProjectionPoint[] = []
  for (const i of inCat) {
    const t = items[i].typicality
    if (t === undefined) continue
    let p = 0
    for (let j = 0; j < d; j++) p += centred.data[i * d + j] * dir[j]
    points.push({ index: i, text: items[i].text, projection: p / norm, typicality: t })
  }
  const rho = points.length >= 3 ? spearman(points.map((p) => p.projection), points.map((p) => p.typicality)) : NaN
  return { category, layer, points, rho: Number.isFinite(rho) ? rho : null }
}

export interface MapPoint {
  index: number
  x: number
  y: number
  text: string
  foundation: string
  polarity: string
}

export interface StimulusMap {
  layer: number
  points: MapPoint[]
  explained: [number, number]
}

/** The first two principal components of a layer's activations. */
export function stimulusMap(acts: Matrix, items: StimulusItem[], layer: number, seed = 0): StimulusMap {
  const r = pca(acts, { components: 2, seed, powerIterations: 3 })
  const points = items.map((it, i) => ({
    index: i,
    x: r.scores.data[i * r.scores.cols],
    y: r.scores.cols > 1 ? r.scores.data[i * r.scores.cols + 1] : 0,
    text: it.text,
    foundation: it.foundation ?? 'none',
    polarity: it.polarity ?? 'none',
  }))
  return { layer, points, explained: [r.explainedVarianceRatio[0] ?? 0, r.explainedVarianceRatio[1] ?? 0] }
}

export interface MetricSeries {
  id: string
  label: string
  /** The paper's reference level, when it reports one. */
  reference?: { value: number; label: string }
  /** Larger is better for the model (more moral structure). */
  higherIsBetter: boolean
  value(l: LayerDiagnostics): number | null
  ci?(l: LayerDiagnostics): [number, number] | null
}

/** The lines the panel plots and the comparison table lists, with the paper's levels. */
export const TYPICALITY_METRICS: MetricSeries[] = [
  {
    id: 'cosine-centred',
    label: 'virtue–vice centroid cosine (centred)',
    reference: { value: 0.5, label: 'paper: often > 0.5' },
    higherIsBetter: false,
    value: (l) => l.categorical.meanCentroidCosine.centred,
  },
  {
    id: 'cosine-uncentred',
    label: 'virtue–vice centroid cosine (uncentred)',
    reference: { value: 0.5, label: 'paper: often > 0.5' },
    higherIsBetter: false,
    value: (l) => l.categorical.meanCentroidCosine.uncentred,
  },
  {
    id: 'rho-vice',
    label: 'typicality Spearman ρ, vice (mean)',
    reference: { value: 0.55, label: 'paper: peak < 0.55' },
    higherIsBetter: true,
    value: (l) => l.gradient.meanViceRho,
  },
  {
    id: 'rho-virtue',
    label: 'typicality Spearman ρ, virtue (mean)',
    reference: { value: 0.55, label: 'paper: peak < 0.55' },
    higherIsBetter: true,
    value: (l) => l.gradient.meanVirtueRho,
  },
  {
    id: 'ari-polarity',
    label: 'ARI, k-means vs polarity (k=3)',
    reference: { value: 0.5, label: 'paper: ≈ 0.5 at best' },
    higherIsBetter: true,
    value: (l) => l.structural.polarity.ari,
  },
  {
    id: 'ari-foundation',
    label: 'ARI, k-means vs foundation (k=5)',
    reference: { value: 0.15, label: 'paper: < 0.15' },
    higherIsBetter: true,
    value: (l) => l.structural.foundation.ari,
  },
  {
    id: 'r2-cv',
    label: 'moral-vector probe, cross-validated R²',
    reference: { value: 0.26, label: 'paper: best adj. R² 0.26' },
    higherIsBetter: true,
    value: (l) => l.dimensional.r2Cv,
  },
  {
    id: 'r2-adjusted',
    label: 'moral-vector probe, adjusted R²',
    reference: { value: 0.26, label: 'paper: best adj. R² 0.26' },
    higherIsBetter: true,
    value: (l) => l.dimensional.r2CvAdjusted,
  },
  { id: 'rsa', label: 'RSA with the moral vectors (Spearman)', higherIsBetter: true, value: (l) => l.rsa.rho },
]

export interface MetricPeak {
  id: string
  label: string
  /** The value the model does best on (max, or min for cosine) and where. */
  best: number | null
  layer: number | null
}

export function metricPeaks(report: TypicalityReport): MetricPeak[] {
  return TYPICALITY_METRICS.map((m) => {
    let best: number | null = null
    let layer: number | null = null
    for (const l of report.layers) {
      const v = m.value(l)
      if (v === null || !Number.isFinite(v)) continue
      if (best === null || (m.higherIsBetter ? v > best : v < best)) {
        best = v
        layer = l.layer
      }
    }
    return { id: m.id, label: m.label, best, layer }
  })
}
