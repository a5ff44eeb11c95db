import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import {
  centreColumns,
  cholesky,
  choleskySolve,
  columnMeans,
  gram,
  jacobiEigen,
  matrixFromRows,
  multiply,
  multiplyABt,
  orthonormalizeRows,
  selectRows,
  symmetricEigen,
  transpose,
} from '../../../src/core/stats/linalg.ts'
import { gaussSolve, maxAbsDiff, naiveMultiply, naiveTranspose, randomMatrix } from './helpers.ts'

describe('matrix products', () => {
  it('multiplies a hand-worked 2×3 by 3×2', () => {
    const A = matrixFromRows([
      [1, 2, 3],
      [4, 5, 6],
    ])
    const B = matrixFromRows([
      [7, 8],
      [9, 10],
      [11, 12],
    ])
    expect(Array.from(multiply(A, B).data)).toEqual([58, 64, 139, 154])
  })

  it('agrees with a triple loop for every remainder of the 2×4 blocking', () => {
    const rng = new Rng(1)
    for (const [n, m, k] of [
      [1, 1, 1],
      [3, 5, 7],
      [4, 4, 4],
      [5, 3, 2],
      [7, 9, 13],
      [2, 6, 1],
    ]) {
      const A = randomMatrix(rng, n, k)
      const B = randomMatrix(rng, m, k)
      const got = multiplyABt(A, B)
      const want = naiveMultiply(A, naiveTranspose(B))
      expect(got.rows).toBe(n)
      expect(got.cols).toBe(m)
      expect(maxAbsDiff(got.data, want.data)).toBeLessThan(1e-12)
    }
  })

  it('gram equals A·Aᵀ and is exactly symmetric', () => {
    const rng = new Rng(2)
    for (const n of [1, 2, 5, 9]) {
      const A = randomMatrix(rng, n, 6)
      const G = gram(A)
      expect(maxAbsDiff(G.data, naiveMultiply(A, naiveTranspose(A)).data)).toBeLessThan(1e-12)
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(G.data[i * n + j]).toBe(G.data[j * n + i])
    }
  })

  it('transposes, selects rows and accepts float32 input', () => {
    const rng = new Rng(3)
    const A = randomMatrix(rng, 37, 45)
    expect(Array.from(transpose(A).data)).toEqual(Array.from(naiveTranspose(A).data))
    const f32 = { data: Float32Array.from(A.data), rows: 37, cols: 45 }
    expect(maxAbsDiff(multiplyABt(f32, f32).data, multiplyABt(A, A).data)).toBeLessThan(1e-4)
    const S = selectRows(A, [4, 0])
    expect(Array.from(S.data.subarray(0, 45))).toEqual(Array.from(A.data.subarray(4 * 45, 5 * 45)))
    expect(() => selectRows(A, [37])).toThrow(/out of range/)
  })

  it('centres columns', () => {
    const A = matrixFromRows([
      [1, 10],
      [3, 20],
      [5, 60],
    ])
    expect(Array.from(columnMeans(A))).toEqual([3, 30])
    expect(Array.from(centreColumns(A).centred.data)).toEqual([-2, -20, 0, -10, 2, 30])
  })
})

describe('cholesky', () => {
  it('factors a hand-worked matrix', () => {
    // [[4, 12, -16], [12, 37, -43], [-16, -43, 98]] = L·Lᵀ with L = [[2,0,0],[6,1,0],[-8,5,3]].
    const L = cholesky([4, 12, -16, 12, 37, -43, -16, -43, 98], 3)
    expect(Array.from(L)).toEqual([2, 0, 0, 6, 1, 0, -8, 5, 3])
  })

  it('solves SPD systems like Gaussian elimination', () => {
    const rng = new Rng(4)
    const n = 12
    const X = randomMatrix(rng, 30, n)
    const A = gram(transpose(X)).data
    for (let i = 0; i < n; i++) A[i * n + i] += 0.5
    const B = randomMatrix(rng, n, 3).data
    const x = choleskySolve(cholesky(A, n), n, B, 3)
    expect(maxAbsDiff(x, gaussSolve(A, n, B, 3))).toBeLessThan(1e-10)
  })

  it('rejects an indefinite matrix', () => {
    expect(() => cholesky([1, 2, 2, 1], 2)).toThrow(/not positive definite/)
  })
})

describe('symmetric eigen-decomposition', () => {
  it('finds the eigenpairs of a hand-worked 2×2', () => {
    // [[2, 1], [1, 2]]: eigenvalues 3 and 1 with vectors (1, 1)/√2 and (1, −1)/√2.
    for (const eig of [symmetricEigen([2, 1, 1, 2], 2), jacobiEigen([2, 1, 1, 2], 2)]) {
      expect(eig.values[0]).toBeCloseTo(3, 12)
      expect(eig.values[1]).toBeCloseTo(1, 12)
      expect(Math.abs(eig.vectors[0])).toBeCloseTo(Math.SQRT1_2, 12)
      expect(eig.vectors[0] * eig.vectors[1]).toBeCloseTo(0.5, 12)
      expect(eig.vectors[2] * eig.vectors[3]).toBeCloseTo(-0.5, 12)
    }
  })

  it('QL and Jacobi agree, and A·v = λ·v with orthonormal vectors', () => {
    const rng = new Rng(5)
    for (const n of [1, 3, 8, 25]) {
      const X = randomMatrix(rng, n + 4, n)
      const A = gram(transpose(X)).data
      // Make one eigenvalue repeated-ish and one negative to exercise ordering.
      for (let i = 0; i < n; i++) A[i * n + i] -= 2
      const ql = symmetricEigen(A, n)
      const jac = jacobiEigen(A, n)
      expect(maxAbsDiff(ql.values, jac.values)).toBeLessThan(1e-9)
      for (let r = 0; r < n; r++) {
        const v = ql.vectors.subarray(r * n, (r + 1) * n)
        for (let i = 0; i < n; i++) {
          let av = 0
          for (let j = 0; j < n; j++) av += A[i * n + j] * v[j]
          expect(av).toBeCloseTo(ql.values[r] * v[i], 8)
        }
        for (let s = 0; s < n; s++) {
          let d = 0
          for (let i = 0; i < n; i++) d += v[i] * ql.vectors[s * n + i]
          expect(d).toBeCloseTo(r === s ? 1 : 0, 10)
        }
        if (r > 0) expect(ql.values[r]).toBeLessThanOrEqual(ql.values[r - 1])
      }
    }
  })

  it('rejects non-finite input', () => {
    expect(() => symmetricEigen([1, NaN, NaN, 1], 2)).toThrow(/entry \(0, 1\)/)
  })
})

describe('orthonormalizeRows', () => {
  it('produces orthonormal rows spanning the input and zeroes dependent rows', () => {
    const rng = new Rng(6)
    const M = randomMatrix(rng, 5, 20)
    // Row 3 = row 0 + 2·row 1: dependent.
    for (let t = 0; t < 20; t++) M.data[3 * 20 + t] = M.data[t] + 2 * M.data[20 + t]
    const original = M.data.slice()
    const rank = orthonormalizeRows(M)
    expect(rank).toBe(4)
    const G = gram(M).data
    for (let i = 0; i < 5; i++)
      for (let j = 0; j < 5; j++) expect(G[i * 5 + j]).toBeCloseTo(i === j && i !== 3 ? 1 : 0, 12)
    // Each original row lies in the span of the result.
    for (let i = 0; i < 5; i++) {
      const r = original.subarray(i * 20, (i + 1) * 20)
      const residual = Float64Array.from(r)
      for (let j = 0; j < 5; j++) {
        let c = 0
        for (let t = 0; t < 20; t++) c += r[t] * M.data[j * 20 + t]
        for (let t = 0; t < 20; t++) residual[t] -= c * M.data[j * 20 + t]
      }
      expect(Math.max(...residual.map(Math.abs))).toBeLessThan(1e-10)
    }
  })
})
