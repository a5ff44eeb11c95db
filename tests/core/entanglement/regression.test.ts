import { describe, expect, it } from 'vitest'
import { coefficientOf, fitOls } from '../../../src/core/entanglement/regression.ts'
import { cholesky, choleskySolve } from '../../../src/core/stats/linalg.ts'
import { Rng } from '../../../src/core/random.ts'

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-300, Math.abs(b))

/** Normal equations (XᵀX)β = Xᵀy by Cholesky: an independent second implementation. */
function normalEquations(X: number[][], y: number[]) {
  const n = X.length
  const k = X[0].length
  const xtx = new Float64Array(k * k)
  const xty = new Float64Array(k)
  for (let i = 0; i < n; i++)
    for (let a = 0; a < k; a++) {
      xty[a] += X[i][a] * y[i]
      for (let b = 0; b < k; b++) xtx[a * k + b] += X[i][a] * X[i][b]
    }
  const L = cholesky(xtx, k)
  const beta = Array.from(choleskySolve(L, k, xty, 1))
  const identity = new Float64Array(k * k)
  for (let i = 0; i < k; i++) identity[i * k + i] = 1
  const inv = choleskySolve(L, k, identity, k)
  return { beta, inv: (a: number, b: number) => inv[a * k + b] }
}

describe('fitOls', () => {
  it('reproduces a hand-worked simple regression', () => {
    // x = 1..5, y = 2,4,5,4,5: slope 0.6, intercept 2.2, residuals −0.8, 0.6, 1.0, −0.6, −0.2,
    // RSS 2.4, σ² = 0.8, Sxx = 10, se(slope) = √0.08, se(intercept) = √(0.8·(1/5 + 9/10)), R² = 1 − 2.4/6.
    const fit = fitOls([[1], [2], [3], [4], [5]], [2, 4, 5, 4, 5], { names: ['x'] })
    const [b0, b1] = fit.coefficients
    expect(b1.estimate).toBeCloseTo(0.6, 12)
    expect(b0.estimate).toBeCloseTo(2.2, 12)
    expect(fit.residuals.map((r) => Number(r.toFixed(10)))).toEqual([-0.8, 0.6, 1, -0.6, -0.2])
    expect(fit.rss).toBeCloseTo(2.4, 12)
    expect(fit.df).toBe(3)
    expect(b1.se).toBeCloseTo(Math.sqrt(0.08), 12)
    expect(b0.se).toBeCloseTo(Math.sqrt(0.88), 12)
    expect(b1.t).toBeCloseTo(0.6 / Math.sqrt(0.08), 10)
    expect(fit.r2).toBeCloseTo(0.6, 12)
    expect(fit.adjR2).toBeCloseTo(1 - (0.4 * 4) / 3, 12)
    // t_{0.975, 3} = 3.182 (t table)
    expect(fit.tCritical).toBeCloseTo(3.182, 3)
    expect(b1.ci[0]).toBeCloseTo(0.6 - fit.tCritical * Math.sqrt(0.08), 12)
    expect(b1.ci[1]).toBeCloseTo(0.6 + fit.tCritical * Math.sqrt(0.08), 12)
    // Leverage of simple regression: 1/n + (x − x̄)²/Sxx
    expect(fit.leverage[0]).toBeCloseTo(0.2 + 4 / 10, 12)
    expect(fit.leverage[2]).toBeCloseTo(0.2, 12)
  })

  it('matches the NIST StRD certified values for Longley (higher difficulty)', () => {
    // https://www.itl.nist.gov/div898/strd/lls/data/Longley.shtml
    const data = [
      [60323, 83.0, 234289, 2356, 1590, 107608, 1947],
      [61122, 88.5, 259426, 2325, 1456, 108632, 1948],
      [60171, 88.2, 258054, 3682, 1616, 109773, 1949],
      [61187, 89.5, 284599, 3351, 1650, 110929, 1950],
      [63221, 96.2, 328975, 2099, 3099, 112075, 1951],
      [63639, 98.1, 346999, 1932, 3594, 113270, 1952],
      [64989, 99.0, 365385, 1870, 3547, 115094, 1953],
      [63761, 100.0, 363112, 3578, 3350, 116219, 1954],
      [66019, 101.2, 397469, 2904, 3048, 117388, 1955],
      [67857, 104.6, 419180, 2822, 2857, 118734, 1956],
      [68169, 108.4, 442769, 2936, 2798, 120445, 1957],
      [66513, 110.8, 444546, 4681, 2637, 121950, 1958],
      [68655, 112.6, 482704, 3813, 2552, 123366, 1959],
      [69564, 114.2, 502601, 3931, 2514, 125368, 1960],
      [69331, 115.7, 518173, 4806, 2572, 127852, 1961],
      [70551, 116.9, 554894, 4007, 2827, 130081, 1962],
    ]
    const certified = [
      [-3482258.63459582, 890420.383607373],
      [15.0618722713733, 84.9149257747669],
      [-0.358191792925910e-1, 0.334910077722432e-1],
      [-2.02022980381683, 0.488399681651699],
      [-1.03322686717359, 0.214274163161675],
      [-0.511041056535807e-1, 0.22607320006937],
      [1829.15146461355, 455.478499142212],
    ]
    const fit = fitOls(
      data.map((r) => r.slice(1)),
      data.map((r) => r[0]),
    )
    fit.coefficients.forEach((c, j) => {
      expect(rel(c.estimate, certified[j][0])).toBeLessThan(1e-8)
      expect(rel(c.se, certified[j][1])).toBeLessThan(1e-8)
    })
    expect(rel(fit.sigma, 304.854073561965)).toBeLessThan(1e-9)
    expect(rel(fit.r2, 0.995479004577296)).toBeLessThan(1e-12)
    expect(fit.df).toBe(9)
  })

  it('agrees with the normal equations (Cholesky) on a random design: coefficients, covariance, leverage', () => {
    const rng = new Rng(11)
    const n = 40
    const X = Array.from({ length: n }, () => [rng.normal(), rng.normal() * 3 + 1, rng.next() > 0.5 ? 1 : 0])
    const y = X.map((r) => 0.5 + 1.5 * r[0] - 0.3 * r[1] + 2 * r[2] + rng.normal())
    const fit = fitOls(X, y, { names: ['a', 'b', 'c'] })
    const Xi = X.map((r) => [1, ...r])
    const ne = normalEquations(Xi, y)
    fit.coefficients.forEach((c, j) => expect(Math.abs(c.estimate - ne.beta[j])).toBeLessThan(1e-10))
    const s2 = fit.rss / fit.df
    for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) expect(Math.abs(fit.covariance[a][b] - s2 * ne.inv(a, b))).toBeLessThan(1e-12)
    Xi.forEach((x, i) => {
      let h = 0
      for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) h += x[a] * ne.inv(a, b) * x[b]
      expect(Math.abs(fit.leverage[i] - h)).toBeLessThan(1e-12)
    })
    expect(coefficientOf(fit, 'c').estimate).toBeCloseTo(ne.beta[3], 10)
  })

  it('HC3 equals the sum of squared leave-one-out coefficient changes', () => {
    // b − b₍ᵢ₎ = (XᵀX)⁻¹xᵢeᵢ/(1 − hᵢ), so Σᵢ (b₍ᵢ₎ − b)(b₍ᵢ₎ − b)ᵀ is exactly the HC3 sandwich.
    const rng = new Rng(5)
    const n = 25
    const X = Array.from({ length: n }, () => [rng.normal(), rng.next() > 0.5 ? 1 : 0])
    // Heteroscedastic noise, so HC3 differs from the classical covariance.
    const y = X.map((r) => 1 + r[0] - r[1] + rng.normal() * (0.2 + Math.abs(r[0])))
    const fit = fitOls(X, y, { robust: true })
    const full = normalEquations(
      X.map((r) => [1, ...r]),
      y,
    ).beta
    const jack = Array.from({ length: 3 }, () => new Float64Array(3))
    for (let i = 0; i < n; i++) {
      const keep = X.flatMap((r, j) => (j === i ? [] : [[1, ...r]]))
      const b = normalEquations(keep, y.filter((_, j) => j !== i)).beta
      for (let a = 0; a < 3; a++) for (let c = 0; c < 3; c++) jack[a][c] += (b[a] - full[a]) * (b[c] - full[c])
    }
    for (let a = 0; a < 3; a++) for (let c = 0; c < 3; c++) expect(Math.abs(fit.robustCovariance![a][c] - jack[a][c])).toBeLessThan(1e-10)
    fit.robust!.forEach((c, j) => {
      expect(c.se).toBeCloseTo(Math.sqrt(jack[j][j]), 10)
      expect(c.ci[1] - c.estimate).toBeCloseTo(fit.tCritical * c.se, 10)
    })
    expect(Math.abs(fit.robust![1].se - fit.coefficients[1].se)).toBeGreaterThan(1e-3)
  })

  it('in a balanced 2×2×2 factorial each coefficient is a difference of means', () => {
    const rng = new Rng(3)
    const X: number[][] = []
    const y: number[] = []
    for (let rep = 0; rep < 5; rep++)
      for (const m of [0, 1]) for (const g of [0, 1]) for (const e of [0, 1]) {
        X.push([m, g, e])
        y.push(4 + 0.4 * m + 1.2 * g - 0.5 * e + rng.normal() * 0.3)
      }
    const fit = fitOls(X, y, { names: ['moral', 'grammatical', 'economic'] })
    const diff = (j: number) => {
      const hi = y.filter((_, i) => X[i][j] === 1)
      const lo = y.filter((_, i) => X[i][j] === 0)
      return hi.reduce((a, v) => a + v, 0) / hi.length - lo.reduce((a, v) => a + v, 0) / lo.length
    }
    ;['moral', 'grammatical', 'economic'].forEach((name, j) => expect(coefficientOf(fit, name).estimate).toBeCloseTo(diff(j), 12))
    // Orthogonal design: each SE is 2σ/√n.
    expect(coefficientOf(fit, 'moral').se).toBeCloseTo((2 * fit.sigma) / Math.sqrt(40), 12)
  })

  it('without an intercept, R² is uncentred', () => {
    const fit = fitOls([[1], [2], [3]], [2, 4.1, 5.9], { intercept: false })
    const b = (1 * 2 + 2 * 4.1 + 3 * 5.9) / 14
    expect(fit.coefficients[0].estimate).toBeCloseTo(b, 12)
    const rss = [2, 4.1, 5.9].reduce((a, v, i) => a + (v - b * (i + 1)) ** 2, 0)
    expect(fit.r2).toBeCloseTo(1 - rss / (4 + 4.1 ** 2 + 5.9 ** 2), 12)
  })

  it('names the problem in bad input', () => {
    expect(() => fitOls([[1], [1], [1]], [1, 2, 3])).toThrow(/column "x1" is constant or a linear combination/)
    expect(() => fitOls([[1, 2], [2, 4], [3, 6], [4, 8]], [1, 2, 3, 5], { names: ['a', 'b'] })).toThrow(/column "b"/)
    expect(() => fitOls([[1], [NaN], [3]], [1, 2, 3], { names: ['moral'] })).toThrow(/row 1, column "moral" is NaN/)
    expect(() => fitOls([[1]], [1, 2])).toThrow(/1 rows but y has 2/)
    expect(() => fitOls([[1], [2]], [1, 2], { names: ['a'] }).coefficients[0]).not.toThrow()
    expect(() => coefficientOf(fitOls([[1], [2], [4]], [1, 2, 2]), 'moral')).toThrow(/no coefficient "moral"/)
    // Exactly identified: no residual degrees of freedom, so no standard errors.
    const exact = fitOls([[1], [2]], [1, 3])
    expect(exact.df).toBe(0)
    expect(exact.coefficients[1].estimate).toBeCloseTo(2, 12)
    expect(Number.isNaN(exact.coefficients[1].se)).toBe(true)
  })
})
