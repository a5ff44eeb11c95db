// Representational dissimilarity matrices (RDMs) and representational similarity analysis
// (Kriegeskorte et al. 2008): the Spearman correlation between the upper triangles of two RDMs.

import { type Matrix, assertMatrix, gram, toFloat64 } from './linalg.ts'
import { spearman } from './correlation.ts'

export type RdmMetric = 'cosine' | 'correlation' | 'euclidean'

/** Position of pair (i, j), i < j, in a condensed upper triangle of an n-item RDM (scipy order). */
export function condensedIndex(i: number, j: number, n: number): number {
  if (i === j || i < 0 || j < 0 || i >= n || j >= n) {
    throw new Error(`condensedIndex: bad pair (${i}, ${j}) for n = ${n}`)
  }
  if (i > j) [i, j] = [j, i]
  return i * n - (i * (i + 1)) / 2 + (j - i - 1)
}

/**
 * Pairwise dissimilarities between the rows of X as a condensed upper triangle of length
 * n(n−1)/2, ordered (0,1), (0,2), …, (1,2), … like scipy.spatial.distance.pdist.
 * cosine: 1 − cos (an all-zero row has similarity 0 with everything, as in scikit-learn);
 * correlation: 1 − Pearson r across features (cosine of row-centred rows);
 * euclidean: ‖x_i − x_j‖, computed from differences (exact for coincident points).
 */
export function representationalDissimilarity(X: Matrix, metric: RdmMetric = 'cosine'): Float64Array {
  assertMatrix(X, 'representationalDissimilarity')
  const n = X.rows
  const d = X.cols
  const out = new Float64Array((n * (n - 1)) / 2)
  if (metric === 'euclidean') {
    const x = toFloat64(X).data
    let k = 0
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let s = 0
        for (let t = 0; t < d; t++) {
          const v = x[i * d + t] - x[j * d + t]
          s += v * v
        }
        out[k++] = Math.sqrt(s)
      }
    }
    return out
  }
  if (metric !== 'cosine' && metric !== 'correlation') {
    throw new Error(`representationalDissimilarity: unknown metric "${metric}" (cosine | correlation | euclidean)`)
  }
  const U = new Float64Array(n * d)
  for (let i = 0; i < n; i++) {
    const o = i * d
    let mean = 0
    if (metric === 'correlation') {
      for (let t = 0; t < d; t++) mean += X.data[o + t]
      mean /= d
    }
    let s = 0
    for (let t = 0; t < d; t++) {
      const v = X.data[o + t] - mean
      U[o + t] = v
      s += v * v
    }
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0
    for (let t = 0; t < d; t++) U[o + t] *= inv
  }
  const G = gram({ data: U, rows: n, cols: d }).data
  let k = 0
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) out[k++] = Math.min(2, Math.max(0, 1 - G[i * n + j]))
  }
  return out
}

/** Expands a condensed RDM to a full symmetric n×n matrix with a zero diagonal. */
export function squareRdm(condensed: ArrayLike<number>, n: number): Float64Array {
  if (condensed.length !== (n * (n - 1)) / 2) {
    throw new Error(`squareRdm: ${condensed.length} values do not form the upper triangle of a ${n}×${n} matrix`)
  }
  const out = new Float64Array(n * n)
  let k = 0
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      out[i * n + j] = condensed[k]
      out[j * n + i] = condensed[k]
      k++
    }
  }
  return out
}

/** RSA score: Spearman's ρ between two condensed RDMs over the same items. */
export function rsa(rdmA: ArrayLike<number>, rdmB: ArrayLike<number>): number {
  if (rdmA.length !== rdmB.length) throw new Error(`rsa: RDMs have ${rdmA.length} and ${rdmB.length} pairs`)
  return spearman(rdmA, rdmB)
}
