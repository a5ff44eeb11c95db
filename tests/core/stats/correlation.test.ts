import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import {
  cosineSimilarity,
  pearson,
  prepareSpearmanBootstrap,
  spearman,
  spearmanBootstrap,
} from '../../../src/core/stats/correlation.ts'
import { argsort, averageRanks, quantileSorted } from '../../../src/core/stats/rank.ts'
import { countingRanks, naiveCosine, textbookPearson } from './helpers.ts'

describe('ranks', () => {
  it('gives ties the average rank (scipy.stats.rankdata)', () => {
    expect(Array.from(averageRanks([10, 20, 20, 30]))).toEqual([1, 2.5, 2.5, 4])
    expect(Array.from(averageRanks([3, 1, 4, 1, 5, 9, 2, 6, 5]))).toEqual([4, 1.5, 5, 1.5, 6.5, 9, 3, 8, 6.5])
    expect(() => averageRanks([1, NaN])).toThrow(/NaN/)
  })

  it('the radix path (large inputs) matches rank counting, with ties, negatives, ±0 and float32 collisions', () => {
    const rng = new Rng(11)
    const n = 6000
    const v = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const kind = i % 5
      if (kind === 0) v[i] = rng.normal() * 1e3
      else if (kind === 1) v[i] = rng.int(20) - 10 // many exact ties
      else if (kind === 2) v[i] = 1 + rng.int(50) * 1e-12 // distinct float64 values, one float32
      else if (kind === 3) v[i] = i % 2 ? 0 : -0
      else v[i] = -rng.next()
    }
    const got = averageRanks(v)
    const want = countingRanks(v)
    for (let i = 0; i < n; i++) if (got[i] !== want[i]) throw new Error(`rank ${i}: ${got[i]} vs ${want[i]}`)
    const order = argsort(v)
    for (let r = 1; r < n; r++) {
      expect(v[order[r - 1]] <= v[order[r]]).toBe(true)
      // Stable: equal values keep input order.
      if (v[order[r - 1]] === v[order[r]] && !Object.is(v[order[r - 1]], -0)) expect(order[r - 1] < order[r]).toBe(true)
    }
  })

  it('interpolates quantiles like numpy', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5)
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBe(1.75)
    expect(quantileSorted([5], 0.9)).toBe(5)
  })
})

describe('correlations', () => {
  it('cosine of hand-worked vectors, NaN for a zero vector', () => {
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0)
    expect(cosineSimilarity([1, 2, 3], [-2, -4, -6])).toBeCloseTo(-1, 15)
    expect(cosineSimilarity([3, 4], [4, 3])).toBeCloseTo(24 / 25, 15)
    expect(cosineSimilarity([0, 0], [1, 2])).toBeNaN()
    const rng = new Rng(1)
    const a = Array.from({ length: 50 }, () => rng.normal())
    const b = Array.from({ length: 50 }, () => rng.normal())
    expect(cosineSimilarity(a, b)).toBeCloseTo(naiveCosine(a, b), 12)
  })

  it('pearson on a hand-worked case and against the one-pass formula', () => {
    // x = 1..5, y = 2,4,5,4,5: Σdxdy = 6, Σdx² = 10, Σdy² = 6, so r = 6/√60.
    expect(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])).toBeCloseTo(6 / Math.sqrt(60), 14)
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN()
    expect(pearson([1], [2])).toBeNaN()
    const rng = new Rng(2)
    const x = Array.from({ length: 200 }, () => rng.normal())
    const y = x.map((v) => v + rng.normal())
    expect(pearson(x, y)).toBeCloseTo(textbookPearson(x, y), 10)
  })

  it('spearman without ties equals 1 − 6Σd²/(n(n²−1))', () => {
    const x = [86, 97, 99, 100, 101, 103, 106, 110, 112, 113]
    const y = [2, 20, 28, 27, 50, 29, 7, 17, 6, 12]
    // Wikipedia's worked example: ρ = −29/165.
    expect(spearman(x, y)).toBeCloseTo(-29 / 165, 12)
  })

  it('spearman with ties equals Pearson of counted average ranks', () => {
    const rng = new Rng(3)
    for (let trial = 0; trial < 20; trial++) {
      const n = 5 + rng.int(60)
      const x = Array.from({ length: n }, () => rng.int(6))
      const y = x.map((v) => v + rng.int(4))
      expect(spearman(x, y)).toBeCloseTo(textbookPearson(countingRanks(x), countingRanks(y)), 10)
    }
    // Monotone transforms do not change ρ.
    const x = Array.from({ length: 30 }, () => rng.normal())
    const y = x.map((v) => v + 0.5 * rng.normal())
    expect(spearman(x.map(Math.exp), y.map((v) => v ** 3))).toBeCloseTo(spearman(x, y), 14)
  })
})

describe('spearman bootstrap', () => {
  const rng = new Rng(4)
  const x = Array.from({ length: 40 }, () => rng.normal())
  const y = x.map((v) => Math.round((v + 0.8 * rng.normal()) * 2) / 2) // ties in y

  it('each resample matches ranking the resampled vectors from scratch (ties in either series)', () => {
    const resamples = 300
    for (const [a, b] of [
      [x, y],
      [y, x],
    ]) {
      const got = spearmanBootstrap(a, b, { resamples, seed: 9, level: 0.9 })
      // Replay the same draws: resamples × n calls of rng.int(n), in order.
      const replay = new Rng(9)
      const rhos: number[] = []
      for (let r = 0; r < resamples; r++) {
        const idx = Array.from({ length: a.length }, () => replay.int(a.length))
        const rho = textbookPearson(countingRanks(idx.map((i) => a[i])), countingRanks(idx.map((i) => b[i])))
        if (Number.isFinite(rho)) rhos.push(rho)
      }
      rhos.sort((p, q) => p - q)
      expect(got.validResamples).toBe(rhos.length)
      expect(got.ci![0]).toBeCloseTo(quantileSorted(rhos, 0.05), 10)
      expect(got.ci![1]).toBeCloseTo(quantileSorted(rhos, 0.95), 10)
      expect(got.rho).toBeCloseTo(spearman(a, b), 14)
      expect(got.ci![0]).toBeLessThan(got.rho)
      expect(got.ci![1]).toBeGreaterThan(got.rho)
    }
  })

  it('is deterministic under a seed, and the prepared form gives the same numbers', () => {
    const a = spearmanBootstrap(x, y, { resamples: 200, seed: 1 })
    const b = spearmanBootstrap(x, y, { resamples: 200, seed: 1 })
    const c = spearmanBootstrap(x, y, { resamples: 200, seed: 2 })
    expect(a).toEqual(b)
    expect(a.ci).not.toEqual(c.ci)
    const prepared = prepareSpearmanBootstrap(y, { resamples: 200, seed: 1 })
    expect(prepared(x)).toEqual(a)
    const x2 = x.map((v) => -v)
    expect(prepared(x2)).toEqual(spearmanBootstrap(x2, y, { resamples: 200, seed: 1 }))
  })

  it('has no interval when undefined or not asked for', () => {
    expect(spearmanBootstrap([1, 2, 3, 4], [5, 5, 5, 5], { resamples: 50 }).ci).toBeNull()
    expect(spearmanBootstrap(x, y, { resamples: 0 }).ci).toBeNull()
    expect(() => spearmanBootstrap(x, y, { level: 1 })).toThrow(/level/)
  })
})
