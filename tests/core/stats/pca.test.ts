import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import {
  centreColumns,
  gram,
  jacobiEigen,
  matrixFromRows,
  transpose,
  type Matrix64,
} from '../../../src/core/stats/linalg.ts'
import { pca } from '../../../src/core/stats/pca.ts'
import { maxAbsDiff, naiveMultiply, naiveTranspose, randomMatrix } from './helpers.ts'

/** Reference: Jacobi eigen-decomposition of the sample covariance. */
function covarianceEigen(X: Matrix64): { values: Float64Array; vectors: Float64Array } {
  const Xc = centreColumns(X).centred
  const C = gram(transpose(Xc)).data.map((v) => v / (X.rows - 1))
  return jacobiEigen(C, X.cols)
}

/** Data with a decaying spectrum: rank-r signal plus small isotropic noise. */
function lowRank(rng: Rng, n: number, d: number, r: number, noise: number): Matrix64 {
  const U = randomMatrix(rng, n, r)
  const V = randomMatrix(rng, r, d)
  for (let j = 0; j < r; j++) for (let t = 0; t < d; t++) V.data[j * d + t] *= 10 / (j + 1)
  const X = naiveMultiply(U, V)
  for (let i = 0; i < X.data.length; i++) X.data[i] += noise * rng.normal() + 3
  return X
}

function absDot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return Math.abs(s)
}

describe('pca', () => {
  it('finds the axes of a hand-worked 2-D cloud', () => {
    // Points on the line y = x plus a small orthogonal wiggle: first axis (1, 1)/√2.
    const X = matrixFromRows([
      [-2, -2.1],
      [-1, -0.9],
      [0, 0.1],
      [1, 0.9],
      [2, 2],
    ])
    const fit = pca(X, { components: 2 })
    expect(fit.components.data[0]).toBeCloseTo(Math.SQRT1_2, 1)
    expect(fit.components.data[1]).toBeCloseTo(Math.SQRT1_2, 1)
    expect(fit.explainedVarianceRatio[0]).toBeGreaterThan(0.99)
    expect(fit.explainedVarianceRatio[0] + fit.explainedVarianceRatio[1]).toBeCloseTo(1, 12)
  })

  it('the exact method (primal and dual) matches Jacobi on the covariance', () => {
    const rng = new Rng(1)
    for (const [n, d] of [
      [60, 12],
      [12, 40],
    ]) {
      const X = randomMatrix(rng, n, d, 1, 2)
      const ref = covarianceEigen(X)
      const k = Math.min(5, n - 1)
      const fit = pca(X, { components: k, method: 'exact' })
      expect(fit.method).toBe('exact')
      for (let j = 0; j < k; j++) {
        expect(fit.explainedVariance[j]).toBeCloseTo(ref.values[j], 9)
        const got = fit.components.data.subarray(j * d, (j + 1) * d)
        expect(absDot(got, ref.vectors.subarray(j * d, (j + 1) * d))).toBeCloseTo(1, 8)
      }
      const total = ref.values.reduce((a, b) => a + b, 0)
      expect(fit.totalVariance).toBeCloseTo(total, 9)
      // Scores are the centred data projected on the components.
      const Xc = centreColumns(X).centred
      expect(maxAbsDiff(fit.scores.data, naiveMultiply(Xc, naiveTranspose(fit.components)).data)).toBeLessThan(1e-9)
    }
  })

  it('the randomized method matches the exact one on a decaying spectrum', () => {
    const rng = new Rng(2)
    const X = lowRank(rng, 300, 260, 8, 0.05)
    const exact = pca(X, { components: 8, method: 'exact' })
    const fast = pca(X, { components: 8, method: 'randomized', seed: 5 })
    expect(fast.method).toBe('randomized')
    for (let j = 0; j < 8; j++) {
      expect(fast.explainedVariance[j] / exact.explainedVariance[j]).toBeCloseTo(1, 6)
      const a = fast.components.data.subarray(j * 260, (j + 1) * 260)
      const b = exact.components.data.subarray(j * 260, (j + 1) * 260)
      expect(absDot(a, b)).toBeCloseTo(1, 6)
      // The sign convention makes them equal, not just parallel.
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-4)
    }
    expect(maxAbsDiff(fast.scores.data, exact.scores.data)).toBeLessThan(1e-3)
  })

  it('with flat spectra, power iterations bring the randomized variance close to exact', () => {
    const rng = new Rng(3)
    const X = randomMatrix(rng, 250, 220)
    const exact = pca(X, { components: 10, method: 'exact' })
    const rough = pca(X, { components: 10, method: 'randomized', seed: 1 })
    const fine = pca(X, { components: 10, method: 'randomized', seed: 1, powerIterations: 6 })
    const sum = (v: Float64Array) => v.reduce((a, b) => a + b, 0)
    // A subspace can never capture more variance than the exact top-k one.
    expect(sum(rough.explainedVariance)).toBeLessThanOrEqual(sum(exact.explainedVariance) * (1 + 1e-12))
    expect(sum(fine.explainedVariance)).toBeGreaterThanOrEqual(sum(rough.explainedVariance) - 1e-9)
    expect(sum(fine.explainedVariance) / sum(exact.explainedVariance)).toBeGreaterThan(0.97)
  })

  it('is deterministic, caps components and validates input', () => {
    const rng = new Rng(4)
    const X = randomMatrix(rng, 220, 230)
    const a = pca(X, { components: 5, seed: 3 })
    expect(a.method).toBe('randomized')
    expect(pca(X, { components: 5, seed: 3 })).toEqual(a)
    const small = randomMatrix(rng, 4, 10)
    expect(pca(small, { components: 50 }).components.rows).toBe(3)
    expect(() => pca(small, { components: 0 })).toThrow(/components/)
    expect(() => pca(randomMatrix(rng, 1, 3), { components: 1 })).toThrow(/at least 2 rows/)
  })
})
