// Principal component analysis. Small problems are solved exactly (eigen-decomposition of the
// covariance or, when n < d, of the Gram matrix: the dual trick). Large ones use a randomized range
// finder (Halko, Martinsson & Tropp 2011) with a sparse sign test matrix (Tropp et al. 2019): two
// passes over the data instead of O(d³) or O(n²·d).

import { Rng } from '../random.ts'
import {
  type Matrix,
  type Matrix64,
  assertMatrix,
  centreColumns,
  columnMeans,
  gram,
  multiplyABt,
  orthonormalizeRows,
  symmetricEigen,
  toFloat64,
  transpose,
} from './linalg.ts'

export type PcaMethod = 'auto' | 'exact' | 'randomized'

export interface PcaOptions {
  /** Number of components; capped at min(n − 1, d). */
  components: number
  /** Subtract column means first (default true). Pass false for data that is already centred. */
  centre?: boolean
  method?: PcaMethod
  seed?: number
  /**
   * Randomized method: extra power iterations (default 0; the basic scheme already applies XᵀX once,
   * each iteration costs two more passes over the data) and extra sketch columns (default 10).
   */
  powerIterations?: number
  oversample?: number
}

export interface PcaResult {
  /** k×d, unit rows, largest variance first; each row's largest-magnitude entry is positive. */
  components: Matrix64
  /** Variance along each component (divided by n − 1). */
  explainedVariance: Float64Array
  /** explainedVariance / total variance of the data. */
  explainedVarianceRatio: Float64Array
  totalVariance: number
  /** n×k projections of the centred rows on the components. */
  scores: Matrix64
  mean: Float64Array
  method: 'exact' | 'randomized'
}

/** Below this the exact eigen-decomposition costs a few ms. */
const EXACT_LIMIT = 200

export function pca(X: Matrix, options: PcaOptions): PcaResult {
  assertMatrix(X, 'pca')
  const n = X.rows
  const d = X.cols
  if (n < 2) throw new Error(`pca: needs at least 2 rows, got ${n}`)
  if (!Number.isInteger(options.components) || options.components < 1) {
    throw new Error(`pca: components must be a positive integer, got ${options.components}`)
  }
  const k = Math.min(options.components, n - 1, d)
  const centre = options.centre ?? true
  const { centred, means } = centre ? centreColumns(X) : { centred: toFloat64(X), means: columnMeans(X) }
  let total = 0
  for (let i = 0; i < centred.data.length; i++) total += centred.data[i] * centred.data[i]
  const totalVariance = total / (n - 1)
  const method = options.method ?? 'auto'
  const exact = method === 'exact' || (method === 'auto' && Math.min(n, d) <= EXACT_LIMIT)
  const fit = exact
    ? exactComponents(centred, k)
    : randomizedComponents(centred, k, options.powerIterations ?? 0, options.oversample ?? 10, options.seed ?? 0)
  const { components, eigenvalues, scores } = fit
  // Deterministic signs: each component's largest-magnitude entry positive, scores to match.
  for (let j = 0; j < k; j++) {
    let big = 0
    for (let t = j * d; t < (j + 1) * d; t++) if (Math.abs(components.data[t]) > Math.abs(big)) big = components.data[t]
    if (big < 0) {
      for (let t = j * d; t < (j + 1) * d; t++) components.data[t] = -components.data[t]
      for (let i = 0; i < n; i++) scores.data[i * k + j] = -scores.data[i * k + j]
    }
  }
  const explainedVariance = new Float64Array(k)
  const explainedVarianceRatio = new Float64Array(k)
  for (let j = 0; j < k; j++) {
    explainedVariance[j] = Math.max(0, eigenvalues[j]) / (n - 1)
    explainedVarianceRatio[j] = totalVariance > 0 ? explainedVariance[j] / totalVariance : 0
  }
  return {
    components,
    explainedVariance,
    explainedVarianceRatio,
    totalVariance,
    scores,
    mean: centre ? means : new Float64Array(d),
    method: exact ? 'exact' : 'randomized',
  }
}

interface Components {
  components: Matrix64
  /** Eigenvalues of XcᵀXc (not yet divided by n − 1). */
  eigenvalues: Float64Array
  scores: Matrix64
}

function exactComponents(Xc: Matrix64, k: number): Components {
  const n = Xc.rows
  const d = Xc.cols
  if (d <= n) {
    const eig = symmetricEigen(gram(transpose(Xc)).data, d)
    const components: Matrix64 = { data: eig.vectors.slice(0, k * d), rows: k, cols: d }
    return { components, eigenvalues: eig.values.slice(0, k), scores: multiplyABt(Xc, components) }
  }
  // Dual: XXᵀ = UΛUᵀ gives components v_j = Xᵀu_j/√λ_j and scores u_j·√λ_j.
  const eig = symmetricEigen(gram(Xc).data, n)
  const U: Matrix64 = { data: eig.vectors.slice(0, k * n), rows: k, cols: n }
  const components = multiplyABt(U, transpose(Xc))
  const scores = new Float64Array(n * k)
  for (let j = 0; j < k; j++) {
    const lambda = Math.max(0, eig.values[j])
    const root = Math.sqrt(lambda)
    const inv = root > 0 ? 1 / root : 0
    for (let t = j * d; t < (j + 1) * d; t++) components.data[t] *= inv
    for (let i = 0; i < n; i++) scores[i * k + j] = U.data[j * n + i] * root
  }
  return { components, eigenvalues: eig.values.slice(0, k), scores: { data: scores, rows: n, cols: k } }
}

function randomizedComponents(
  Xc: Matrix64,
  k: number,
  powerIterations: number,
  oversample: number,
  seed: number,
): Components {
  const n = Xc.rows
  const d = Xc.cols
  const l = Math.min(k + oversample, n, d)
  const rng = new Rng(seed)
  const Xt = transpose(Xc)
  const xt = Xt.data
  // Sparse sign sketch Qᵀ = (X·Ω)ᵀ: every feature adds ± its column of X to ζ distinct random sketch
  // rows, i.e. contiguous axpys over rows of Xᵀ.
  const zeta = Math.min(4, l)
  const pool = Array.from({ length: l }, (_, i) => i)
  const q = new Float64Array(l * n)
  for (let t = 0; t < d; t++) {
    const ot = t * n
    for (let z = 0; z < zeta; z++) {
      const j = z + rng.int(l - z)
      const tmp = pool[z]
      pool[z] = pool[j]
      pool[j] = tmp
      const oq = pool[z] * n
      const sign = rng.next() < 0.5 ? -1 : 1
      for (let i = 0; i < n; i++) q[oq + i] += sign * xt[ot + i]
    }
  }
  const Q: Matrix64 = { data: q, rows: l, cols: n }
  // P = orth(XᵀQ) weights right singular directions by σ² already; each extra iteration by σ² more.
  orthonormalizeRows(Q)
  let P = multiplyABt(Q, Xt)
  orthonormalizeRows(P)
  for (let it = 0; it < powerIterations; it++) {
    const Qi = transpose(multiplyABt(Xc, P))
    orthonormalizeRows(Qi)
    P = multiplyABt(Qi, Xt)
    orthonormalizeRows(P)
  }
  // Rayleigh–Ritz on span(P): XP = U S Wᵀ, components P·w_j, scores XP·w_j.
  const XP = multiplyABt(Xc, P)
  const eig = symmetricEigen(gram(transpose(XP)).data, l)
  const W: Matrix64 = { data: eig.vectors.slice(0, k * l), rows: k, cols: l }
  return {
    components: multiplyABt(W, transpose(P)),
    eigenvalues: eig.values.slice(0, k),
    scores: multiplyABt(XP, W),
  }
}
