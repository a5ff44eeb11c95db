import { describe, expect, it } from 'vitest'
import {
  erfc,
  logGamma,
  normalCdf,
  normalQuantile,
  regularizedBeta,
  tCdf,
  tPdf,
  tQuantile,
  tTwoSidedP,
} from '../../../src/core/entanglement/distributions.ts'

// Closed forms of the t distribution for small df (independent of the incomplete beta function).
const closedCdf: Record<number, (t: number) => number> = {
  1: (t) => 0.5 + Math.atan(t) / Math.PI,
  2: (t) => 0.5 + t / (2 * Math.sqrt(2 + t * t)),
  3: (t) => 0.5 + (t / (Math.sqrt(3) * (1 + (t * t) / 3)) + Math.atan(t / Math.sqrt(3))) / Math.PI,
}
const closedQuantile: Record<number, (p: number) => number> = {
  // tan(π(p − ½)) written as ∓cot(π·tail) so it stays accurate near the pole.
  1: (p) => (p < 0.5 ? -1 / Math.tan(Math.PI * p) : 1 / Math.tan(Math.PI * (1 - p))),
  2: (p) => (2 * p - 1) / Math.sqrt(2 * p * (1 - p)),
  4: (p) => {
    const a = 4 * p * (1 - p)
    const q = Math.cos(Math.acos(Math.sqrt(a)) / 3) / Math.sqrt(a)
    return Math.sign(p - 0.5) * 2 * Math.sqrt(q - 1)
  },
}

/** ∫_{-∞}^{t} pdf by composite Simpson on [0, |t|] plus the symmetric half. */
function integratedCdf(t: number, df: number): number {
  const n = 20000
  const h = Math.abs(t) / n
  let s = tPdf(0, df) + tPdf(Math.abs(t), df)
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * tPdf(i * h, df)
  const half = (s * h) / 3
  return t >= 0 ? 0.5 + half : 0.5 - half
}

describe('Student t distribution', () => {
  it('matches printed t-table critical values (three decimals)', () => {
    // Two-sided 95% (p = 0.975), 90% (0.95) and 99% (0.995) columns of a standard t table.
    const table: [number, number, number][] = [
      [0.975, 1, 12.706],
      [0.975, 2, 4.303],
      [0.975, 3, 3.182],
      [0.975, 5, 2.571],
      [0.975, 10, 2.228],
      [0.975, 20, 2.086],
      [0.975, 30, 2.042],
      [0.975, 60, 2.0],
      [0.975, 120, 1.98],
      [0.95, 1, 6.314],
      [0.95, 10, 1.812],
      [0.995, 10, 3.169],
      [0.995, 30, 2.75],
      [0.9995, 1, 636.619],
    ]
    for (const [p, df, value] of table) {
      expect(tQuantile(p, df)).toBeCloseTo(value, 3)
      expect(tQuantile(1 - p, df)).toBeCloseTo(-value, 3)
    }
  })

  it('quantiles agree with the closed forms for df 1, 2 and 4 to ~1e-12', () => {
    for (const df of [1, 2, 4])
      for (const p of [1e-6, 0.001, 0.025, 0.1, 0.3, 0.5, 0.6, 0.9, 0.975, 0.999, 1 - 1e-6]) {
        const expected = closedQuantile[df](p)
        expect(Math.abs(tQuantile(p, df) - expected)).toBeLessThan(1e-11 * Math.max(1, Math.abs(expected)))
      }
  })

  it('the CDF agrees with the closed forms for df 1–3 and with numerical integration of the density', () => {
    for (const df of [1, 2, 3])
      for (const t of [-50, -4, -1.5, -0.2, 0, 0.7, 2, 9, 300]) expect(Math.abs(tCdf(t, df) - closedCdf[df](t))).toBeLessThan(1e-13)
    for (const df of [2.5, 7, 30, 500])
      for (const t of [-3, -0.5, 0.25, 1.96, 4]) expect(Math.abs(tCdf(t, df) - integratedCdf(t, df))).toBeLessThan(1e-10)
  })

  it('CDF and quantile invert each other, including non-integer df and far tails', () => {
    for (const df of [0.5, 1, 3.5, 9, 41, 1000, 1e6])
      for (const p of [1e-10, 1e-4, 0.05, 0.5, 0.77, 0.99, 1 - 1e-9]) {
        const t = tQuantile(p, df)
        const back = tCdf(t, df)
        expect(Math.abs(back - p)).toBeLessThan(1e-12 + 1e-9 * Math.min(p, 1 - p))
      }
  })

  it('two-sided p-values are twice the tail and approach the normal for large df', () => {
    expect(tTwoSidedP(2.228138851986274, 10)).toBeCloseTo(0.05, 12)
    expect(tTwoSidedP(-12.706204736174694, 1)).toBeCloseTo(0.05, 12)
    expect(tTwoSidedP(0, 7)).toBe(1)
    expect(tTwoSidedP(1.959963984540054, 1e13)).toBeCloseTo(0.05, 12)
    expect(Math.abs(tQuantile(0.975, 1e7) - 1.959963984540054)).toBeLessThan(1e-6)
  })

  it('rejects invalid arguments with a message', () => {
    expect(() => tQuantile(1.2, 3)).toThrow(/p in \[0, 1\]/)
    expect(() => tCdf(1, 0)).toThrow(/degrees of freedom/)
    expect(tQuantile(0, 3)).toBe(-Infinity)
    expect(tQuantile(1, 3)).toBe(Infinity)
  })
})

describe('normal distribution and special functions', () => {
  it('Φ and Φ⁻¹ match known values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 13)
    expect(normalQuantile(0.5)).toBe(0)
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 14)
    // Φ(−3) and the 1e-10 quantile, from Abramowitz & Stegun Table 26.1 / 26.5.
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316301, 15)
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 10)
    for (const p of [1e-300, 1e-20, 0.001, 0.3, 0.5, 0.8, 0.999999]) expect(Math.abs(normalCdf(normalQuantile(p)) - p)).toBeLessThan(1e-14 + 1e-12 * p)
  })

  it('erfc, log-gamma and the incomplete beta match closed forms', () => {
    expect(erfc(0)).toBe(1)
    expect(erfc(1)).toBeCloseTo(0.15729920705028513, 14)
    expect(erfc(-1)).toBeCloseTo(1.8427007929497148, 14)
    // Γ(n) = (n − 1)!, Γ(1/2) = √π
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 12)
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13)
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 12)
    // I_x(a, 1) = x^a, I_x(1, b) = 1 − (1 − x)^b
    for (const x of [0.01, 0.3, 0.9]) {
      expect(regularizedBeta(x, 3.5, 1)).toBeCloseTo(x ** 3.5, 14)
      expect(regularizedBeta(x, 1, 2.5)).toBeCloseTo(1 - (1 - x) ** 2.5, 14)
    }
  })
})
