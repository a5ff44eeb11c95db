// Principal component analysis. Small problems are solved exactly (Jacobi on the covariance or,
// when n < d, on the Gram matrix: the dual trick). Large ones use a randomized range finder
// (Halko, Martinsson & Tropp 2011) with a sparse sign test matrix (Tropp et al. 2019), so the cost
// is two passes over the data per power iteration instead of O(d³) or O(n²·d).

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

/** Below this the exact Jacobi solve is cheap (a few ms). */
const EXACT_LIMIT = 160

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
  const { components, eigenvalues } = exact
    ? exactComponents(centred, k)
    : randomizedComponents(centred, k, options.powerIterations ?? 0, options.oversample ?? 10, options.seed ?? 0)
  fixSigns(components)
  const scores = multiplyABt(centred, components)
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

/** Eigenvalues here are of XcᵀXc (not yet divided by n − 1). */
function exactComponents(Xc: Matrix64, k: number): { components: Matrix64; eigenvalues: Float64Array } {
  const n = Xc.rows
  const d = Xc.cols
  const components = new Float64Array(k * d)
  if (d <= n) {
    const Xt = transpose(Xc)
    const cov = gram(Xt)
    const eig = symmetricEigen(cov.data, d)
    components.set(eig.vectors.subarray(0, k * d))
    return { components: { data: components, rows: k, cols: d }, eigenvalues: eig.values.slice(0, k) }
  }
  // Dual: XXᵀ = UΛUᵀ gives components v_j = Xᵀu_j / √λ_j with the same eigenvalues.
  const G = gram(Xc)
  const eig = symmetricEigen(G.data, n)
  const U: Matrix64 = { data: eig.vectors.slice(0, k * n), rows: k, cols: n }
  const V = multiplyABt(U, transpose(Xc))
  for (let j = 0; j < k; j++) {
    const lambda = eig.values[j]
    const inv = lambda > 0 ? 1 / Math.sqrt(lambda) : 0
    for (let t = j * d; t < (j + 1) * d; t++) components[t] = V.data[t] * inv
  }
  return { components: { data: components, rows: k, cols: d }, eigenvalues: eig.values.slice(0, k) }
}

function randomizedComponents(
  Xc: Matrix64,
  k: number,
  powerIterations: number,
  oversample: number,
  seed: number,
): { components: Matrix64; eigenvalues: Float64Array } {
  const n = Xc.rows
  const d = Xc.cols
  const l = Math.min(k + oversample, n, d)
  const rng = new Rng(seed)
  const x = Xc.data
  // Sparse sign sketch Y = X·Ω: every feature adds ±x to ζ random sketch columns.
  const zeta = Math.min(8, l)
  const cols = new Int32Array(d * zeta)
  const signs = new Float64Array(d * zeta)
  const pool = Array.from({ length: l }, (_, i) => i)
  for (let t = 0; t < d; t++) {
    for (let z = 0; z < zeta; z++) {
      const j = z + rng.int(l - z)
      const tmp = pool[z]
      pool[z] = pool[j]
      pool[j] = tmp
      cols[t * zeta + z] = pool[z]
      signs[t * zeta + z] = rng.next() < 0.5 ? -1 : 1
    }
  }
  const Yt = new Float64Array(l * n)
  for (let i = 0; i < n; i++) {
    const oi = i * d
    for (let t = 0; t < d; t++) {
      const v = x[oi + t]
      const ot = t * zeta
      for (let z = 0; z < zeta; z++) Yt[cols[ot + z] * n + i] += signs[ot + z] * v
    }
  }
  const Q: Matrix64 = { data: Yt, rows: l, cols: n }
  const Xt = transpose(Xc)
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
  // X restricted to span(P): XP = U S Wᵀ, so components are W's columns mapped through P.
  const XP = multiplyABt(Xc, P)
  const small = gram(transpose(XP))
  const eig = symmetricEigen(small.data, l)
  const W: Matrix64 = { data: eig.vectors.slice(0, k * l), rows: k, cols: l }
  const components = multiplyABt(W, transpose(P))
  return { components, eigenvalues: eig.values.slice(0, k) }
}

function fixSigns(components: Matrix64): void {
  const { rows: k, cols: d, data } = components
  for (let j = 0; j < k; j++) {
    let big = 0
    for (let t = j * d; t < (j + 1) * d; t++) if (Math.abs(data[t]) > Math.abs(big)) big = data[t]
    if (big < 0) for (let t = j * d; t < (j + 1) * d; t++) data[t] = -data[t]
  }
}
