import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { centreColumns, columnMeans, type Matrix64 } from '../../../src/core/stats/linalg.ts'
import {
  adjustedR2,
  kFoldAssignment,
  r2Score,
  ridgeCrossValidate,
  ridgeFit,
  ridgePredict,
} from '../../../src/core/stats/ridge.ts'
import { gaussSolve, maxAbsDiff, naiveMultiply, naiveTranspose, randomMatrix } from './helpers.ts'

/** Closed form with intercept: w = (XcᵀXc + αI)⁻¹ Xcᵀ yc, b = ȳ − x̄ᵀw, by Gaussian elimination. */
function normalEquations(X: Matrix64, Y: Matrix64, alpha: number): { W: Float64Array; b: Float64Array } {
  const { centred: Xc, means: mx } = centreColumns(X)
  const { centred: Yc, means: my } = centreColumns(Y)
  const XtX = naiveMultiply(naiveTranspose(Xc), Xc)
  for (let i = 0; i < X.cols; i++) XtX.data[i * X.cols + i] += alpha
  const XtY = naiveMultiply(naiveTranspose(Xc), Yc)
  const W = gaussSolve(XtX.data, X.cols, XtY.data, Y.cols)
  const b = my.map((v, c) => v - mx.reduce((s, m, j) => s + m * W[j * Y.cols + c], 0))
  return { W, b }
}

function subset(M: Matrix64, rows: number[]): Matrix64 {
  const out = new Float64Array(rows.length * M.cols)
  rows.forEach((i, r) => out.set(M.data.subarray(i * M.cols, (i + 1) * M.cols), r * M.cols))
  return { data: out, rows: rows.length, cols: M.cols }
}

/** Nested CV written out plainly: explicit fits by normal equations, alpha by inner folds. */
function naiveNestedCv(X: Matrix64, Y: Matrix64, foldOf: Int32Array, folds: number, alphas: number[]) {
  const n = X.rows
  const m = Y.cols
  const rowsIn = (fs: number[]) => Array.from({ length: n }, (_, i) => i).filter((i) => fs.includes(foldOf[i]))
  const predict = (train: number[], test: number[], alpha: number) => {
    const { W, b } = normalEquations(subset(X, train), subset(Y, train), alpha)
    return test.map((i) =>
      Array.from({ length: m }, (_, c) => {
        let s = b[c]
        for (let j = 0; j < X.cols; j++) s += X.data[i * X.cols + j] * W[j * m + c]
        return s
      }),
    )
  }
  const choose = (trainFolds: number[]) => {
    const rows = rowsIn(trainFolds)
    const sst = Array.from({ length: m }, (_, c) => {
      const mean = rows.reduce((s, i) => s + Y.data[i * m + c], 0) / rows.length
      return rows.reduce((s, i) => s + (Y.data[i * m + c] - mean) ** 2, 0)
    })
    let best = NaN
    let bestScore = Infinity
    for (const alpha of [...alphas].sort((a, b) => b - a)) {
      let score = 0
      for (const g of trainFolds) {
        const test = rowsIn([g])
        const pred = predict(rowsIn(trainFolds.filter((f) => f !== g)), test, alpha)
        test.forEach((i, r) => {
          for (let c = 0; c < m; c++) score += (Y.data[i * m + c] - pred[r][c]) ** 2 / sst[c]
        })
      }
      if (score < bestScore) {
        bestScore = score
        best = alpha
      }
    }
    return best
  }
  const all = Array.from({ length: folds }, (_, f) => f)
  const oof = new Float64Array(n * m)
  const alphaPerFold: number[] = []
  for (const f of all) {
    const alpha = choose(all.filter((g) => g !== f))
    alphaPerFold.push(alpha)
    const test = rowsIn([f])
    const pred = predict(rowsIn(all.filter((g) => g !== f)), test, alpha)
    pred.forEach((p, r) => p.forEach((v, c) => (oof[test[r] * m + c] = v)))
  }
  const r2 = Array.from({ length: m }, (_, c) =>
    r2Score(
      Array.from({ length: n }, (_, i) => Y.data[i * m + c]),
      Array.from({ length: n }, (_, i) => oof[i * m + c]),
    ),
  )
  return { r2, alphaPerFold, alpha: choose(all) }
}

describe('r² and adjusted r²', () => {
  it('hand-worked values', () => {
    // y = 1,2,3,4; ŷ = 1,2,3,5: SS_res = 1, SS_tot = 5.
    expect(r2Score([1, 2, 3, 4], [1, 2, 3, 5])).toBeCloseTo(0.8, 15)
    expect(r2Score([2, 2, 2], [1, 2, 3])).toBeNaN()
    // 1 − (1 − 0.5)(100 − 1)/(100 − 10 − 1)
    expect(adjustedR2(0.5, 100, 10)).toBeCloseTo(1 - (0.5 * 99) / 89, 15)
    expect(adjustedR2(0.5, 10, 9)).toBeNaN()
  })
})

describe('ridgeFit', () => {
  it('primal and dual agree with the closed-form normal equations', () => {
    const rng = new Rng(1)
    for (const [n, p] of [
      [30, 5],
      [12, 40],
    ]) {
      const X = randomMatrix(rng, n, p, 1, 4)
      const Y = randomMatrix(rng, n, 3)
      for (let i = 0; i < n; i++) Y.data[i * 3] += 2 * X.data[i * p] - X.data[i * p + 1]
      const alpha = 0.7
      const ref = normalEquations(X, Y, alpha)
      for (const solver of ['primal', 'dual'] as const) {
        const model = ridgeFit(X, Y, alpha, { solver })
        expect(model.solver).toBe(solver)
        expect(maxAbsDiff(model.coef.data, ref.W)).toBeLessThan(1e-8)
        expect(maxAbsDiff(model.intercept, ref.b)).toBeLessThan(1e-8)
      }
      expect(ridgeFit(X, Y, alpha).solver).toBe(p > n ? 'dual' : 'primal')
      const model = ridgeFit(X, Y, alpha)
      const pred = ridgePredict(model, X)
      const want = naiveMultiply(X, { data: ref.W, rows: p, cols: 3 })
      for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) want.data[i * 3 + c] += ref.b[c]
      expect(maxAbsDiff(pred.data, want.data)).toBeLessThan(1e-8)
    }
  })

  it('recovers exact linear maps with a tiny penalty and refuses a singular system', () => {
    const rng = new Rng(2)
    const X = randomMatrix(rng, 50, 4)
    const Y: Matrix64 = { data: new Float64Array(50), rows: 50, cols: 1 }
    for (let i = 0; i < 50; i++) Y.data[i] = 1 + 3 * X.data[i * 4] - 2 * X.data[i * 4 + 3]
    const model = ridgeFit(X, Y, 1e-10)
    expect(Array.from(model.coef.data).map((v) => +v.toFixed(6))).toEqual([3, 0, 0, -2])
    expect(model.intercept[0]).toBeCloseTo(1, 6)
    const wide = randomMatrix(rng, 5, 10)
    expect(() => ridgeFit(wide, randomMatrix(rng, 5, 1), 0, { solver: 'primal' })).toThrow(/singular/)
  })
})

describe('ridgeCrossValidate', () => {
  it('equals a plainly written nested cross-validation', () => {
    const rng = new Rng(3)
    const X = randomMatrix(rng, 45, 6, 2, 1)
    const Y = randomMatrix(rng, 45, 3)
    for (let i = 0; i < 45; i++) {
      Y.data[i * 3] += X.data[i * 6] + 0.5 * X.data[i * 6 + 2]
      Y.data[i * 3 + 1] += 0.2 * X.data[i * 6 + 1]
    }
    const folds = 4
    const foldOf = kFoldAssignment(45, folds, new Rng(9))
    const alphas = [0.01, 1, 30, 1000]
    const got = ridgeCrossValidate(X, Y, { foldOf, folds, alphas })
    const want = naiveNestedCv(X, Y, foldOf, folds, alphas)
    expect(got.alphaPerFold).toEqual(want.alphaPerFold)
    expect(got.alpha).toBe(want.alpha)
    expect(maxAbsDiff(got.r2PerOutput, want.r2)).toBeLessThan(1e-9)
    expect(got.meanR2).toBeCloseTo(want.r2.reduce((a, b) => a + b, 0) / 3, 9)
    expect(got.adjustedR2).toBeCloseTo(adjustedR2(got.meanR2, 45, 6), 12)
    expect(got.p).toBe(6)
  })

  it('primal and dual give the same cross-validated numbers', () => {
    const rng = new Rng(4)
    const X = randomMatrix(rng, 36, 20)
    const Y = randomMatrix(rng, 36, 2)
    for (let i = 0; i < 36; i++) Y.data[i * 2] += X.data[i * 20 + 3]
    const a = ridgeCrossValidate(X, Y, { seed: 2, solver: 'primal' })
    const b = ridgeCrossValidate(X, Y, { seed: 2, solver: 'dual' })
    expect(b.solver).toBe('dual')
    expect(a.alphaPerFold).toEqual(b.alphaPerFold)
    expect(maxAbsDiff(a.r2PerOutput, b.r2PerOutput)).toBeLessThan(1e-8)
    expect(a.inSampleMeanR2).toBeCloseTo(b.inSampleMeanR2, 8)
    // Wider than the training folds: auto picks the dual form.
    expect(ridgeCrossValidate(randomMatrix(rng, 20, 30), randomMatrix(rng, 20, 1)).solver).toBe('dual')
  })

  it('R² ≈ 1 for a linear signal, ≤ ~0 for noise; constant outputs are NaN, not errors', () => {
    const rng = new Rng(5)
    const X = randomMatrix(rng, 200, 8)
    const Y = randomMatrix(rng, 200, 3)
    for (let i = 0; i < 200; i++) {
      Y.data[i * 3] = X.data[i * 8] - 2 * X.data[i * 8 + 5] + 0.01 * rng.normal()
      Y.data[i * 3 + 2] = 4
    }
    const cv = ridgeCrossValidate(X, Y, { seed: 1 })
    expect(cv.r2PerOutput[0]).toBeGreaterThan(0.99)
    expect(cv.r2PerOutput[1]).toBeLessThan(0.05)
    expect(cv.r2PerOutput[2]).toBeNaN()
    expect(cv.meanR2).toBeCloseTo((cv.r2PerOutput[0] + cv.r2PerOutput[1]) / 2, 12)
    expect(cv.inSampleMeanR2).toBeGreaterThanOrEqual(cv.meanR2)
    expect(columnMeans(Y)[2]).toBe(4)
  })

  it('validates its options and is deterministic', () => {
    const rng = new Rng(6)
    const X = randomMatrix(rng, 30, 3)
    const Y = randomMatrix(rng, 30, 1)
    expect(() => ridgeCrossValidate(X, Y, { folds: 2 })).toThrow(/folds ≥ 3/)
    expect(ridgeCrossValidate(X, Y, { folds: 2, alphas: [1] }).alphaPerFold).toEqual([1, 1])
    expect(() => ridgeCrossValidate(X, Y, { alphas: [-1] })).toThrow(/alphas/)
    expect(() => ridgeCrossValidate(X, randomMatrix(rng, 29, 1))).toThrow(/rows/)
    expect(ridgeCrossValidate(X, Y, { seed: 3 })).toEqual(ridgeCrossValidate(X, Y, { seed: 3 }))
    const folds = kFoldAssignment(11, 3, new Rng(1))
    const sizes = [0, 1, 2].map((f) => folds.filter((v) => v === f).length)
    expect(sizes.sort()).toEqual([3, 4, 4])
  })
})
