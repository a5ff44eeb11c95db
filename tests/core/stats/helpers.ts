// Naive reference implementations and random data for the statistics tests.

import { Rng } from '../../../src/core/random.ts'
import type { Matrix64 } from '../../../src/core/stats/linalg.ts'

export function randomMatrix(rng: Rng, rows: number, cols: number, scale = 1, offset = 0): Matrix64 {
  const data = new Float64Array(rows * cols)
  for (let i = 0; i < data.length; i++) data[i] = offset + scale * rng.normal()
  return { data, rows, cols }
}

export function at(m: Matrix64, i: number, j: number): number {
  return m.data[i * m.cols + j]
}

/** Plain triple loop A·B. */
export function naiveMultiply(A: Matrix64, B: Matrix64): Matrix64 {
  const out = new Float64Array(A.rows * B.cols)
  for (let i = 0; i < A.rows; i++)
    for (let j = 0; j < B.cols; j++) {
      let s = 0
      for (let t = 0; t < A.cols; t++) s += at(A, i, t) * at(B, t, j)
      out[i * B.cols + j] = s
    }
  return { data: out, rows: A.rows, cols: B.cols }
}

export function naiveTranspose(A: Matrix64): Matrix64 {
  const out = new Float64Array(A.rows * A.cols)
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < A.cols; j++) out[j * A.rows + i] = at(A, i, j)
  return { data: out, rows: A.cols, cols: A.rows }
}

/** Solves A x = b (A n×n, b n×m) by Gaussian elimination with partial pivoting. */
export function gaussSolve(A: ArrayLike<number>, n: number, b: ArrayLike<number>, m: number): Float64Array {
  const M = Array.from({ length: n }, (_, i) => [
    ...Array.from({ length: n }, (_, j) => A[i * n + j]),
    ...Array.from({ length: m }, (_, c) => b[i * m + c]),
  ])
  for (let col = 0; col < n; col++) {
    let piv = col
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r][col]) > Math.abs(M[piv][col])) piv = r
    ;[M[col], M[piv]] = [M[piv], M[col]]
    for (let r = 0; r < n; r++) {
      if (r === col) continue
      const f = M[r][col] / M[col][col]
      for (let c = col; c < n + m; c++) M[r][c] -= f * M[col][c]
    }
  }
  const x = new Float64Array(n * m)
  for (let i = 0; i < n; i++) for (let c = 0; c < m; c++) x[i * m + c] = M[i][n + c] / M[i][i]
  return x
}

/** Average ranks by counting: rank = #smaller + (#equal + 1)/2. O(n²), no sorting. */
export function countingRanks(v: ArrayLike<number>): number[] {
  const out: number[] = []
  for (let i = 0; i < v.length; i++) {
    let less = 0
    let equal = 0
    for (let j = 0; j < v.length; j++) {
      if (v[j] < v[i]) less++
      else if (v[j] === v[i]) equal++
    }
    out.push(less + (equal + 1) / 2)
  }
  return out
}

/** Pearson's r by the one-pass textbook formula (different from the library's two-pass one). */
export function textbookPearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length
  let sx = 0
  let sy = 0
  let sxx = 0
  let syy = 0
  let sxy = 0
  for (let i = 0; i < n; i++) {
    sx += x[i]
    sy += y[i]
    sxx += x[i] * x[i]
    syy += y[i] * y[i]
    sxy += x[i] * y[i]
  }
  return (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy))
}

export function naiveCosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0
  let aa = 0
  let bb = 0
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i]
    aa += a[i] * a[i]
    bb += b[i] * b[i]
  }
  return ab / Math.sqrt(aa * bb)
}

export function row(m: Matrix64, i: number): Float64Array {
  return m.data.slice(i * m.cols, (i + 1) * m.cols)
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}
