// Cosine, Pearson and Spearman correlation, and a percentile bootstrap for Spearman.
// Undefined values (a zero vector, a constant series) come back as NaN, never as an exception.

import { Rng } from '../random.ts'
import { argsort, averageRanks, quantileSorted } from './rank.ts'

function assertSameLength(x: ArrayLike<number>, y: ArrayLike<number>, where: string): void {
  if (x.length !== y.length) throw new Error(`${where}: x has ${x.length} values but y has ${y.length}`)
}

/** cos(a, b); NaN when either vector is all zeros. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertSameLength(a, b, 'cosineSimilarity')
  let ab = 0
  let aa = 0
  let bb = 0
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i]
    aa += a[i] * a[i]
    bb += b[i] * b[i]
  }
  if (aa === 0 || bb === 0) return NaN
  return Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb)))
}

/** Pearson's r (two-pass, float64); NaN for fewer than two points or a constant series. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  assertSameLength(x, y, 'pearson')
  const n = x.length
  if (n < 2) return NaN
  let mx = 0
  let my = 0
  for (let i = 0; i < n; i++) {
    mx += x[i]
    my += y[i]
  }
  mx /= n
  my /= n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx
    const dy = y[i] - my
    sxy += dx * dy
    sxx += dx * dx
    syy += dy * dy
  }
  if (sxx === 0 || syy === 0) return NaN
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)))
}

/** Spearman's ρ: Pearson's r of average ranks (ties share their mean rank). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  assertSameLength(x, y, 'spearman')
  if (x.length < 2) return NaN
  return pearson(averageRanks(x), averageRanks(y))
}

export interface SpearmanBootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples?: number
  /** Confidence level of the percentile interval (default 0.95). */
  level?: number
  seed?: number
  /** Use this generator instead of one seeded with `seed`. */
  rng?: Rng
}

export interface SpearmanBootstrap {
  rho: number
  /** Percentile interval, or null when too few resamples were defined. */
  ci: [number, number] | null
  level: number
  resamples: number
  /** Resamples where ρ was defined (a resample can draw a constant series). */
  validResamples: number
}

/**
 * Group structure of one series for fast ranking of resamples: items sorted by value, and for each
 * item the index of its tie group in ascending order.
 */
function tieGroups(values: ArrayLike<number>): { groupOf: Int32Array; groups: number } {
  const n = values.length
  const order = argsort(values)
  const groupOf = new Int32Array(n)
  let g = -1
  let prev = NaN
  for (let r = 0; r < n; r++) {
    const i = order[r]
    if (r === 0 || values[i] !== prev) g++
    groupOf[i] = g
    prev = values[i]
  }
  return { groupOf, groups: g + 1 }
}

/**
 * Average ranks of a resample given as multiplicities: every copy of item i lies in its value's tie
 * group, and a group holding c copies after `before` smaller ones has average rank before + (c+1)/2.
 */
function resampleRanks(
  groupOf: Int32Array,
  groups: number,
  counts: Int32Array,
  groupCount: Float64Array,
  out: Float64Array,
): void {
  groupCount.fill(0, 0, groups)
  for (let i = 0; i < counts.length; i++) groupCount[groupOf[i]] += counts[i]
  let before = 0
  for (let g = 0; g < groups; g++) {
    const c = groupCount[g]
    groupCount[g] = before + (c + 1) / 2
    before += c
  }
  for (let i = 0; i < counts.length; i++) out[i] = groupCount[groupOf[i]]
}

/**
 * Spearman's ρ with a percentile bootstrap interval over resampled (x, y) pairs. Each resample is
 * ranked in O(n) from the presorted series (duplicated pairs tie, exactly as ranking the resampled
 * vectors would), so thousands of resamples stay cheap.
 */
export function spearmanBootstrap(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: SpearmanBootstrapOptions = {},
): SpearmanBootstrap {
  assertSameLength(x, y, 'spearmanBootstrap')
  return prepareSpearmanBootstrap(y, options)(x)
}

/**
 * Fixes y and the resamples once and returns a function of x: for many x against the same y (one
 * typicality series, many layers) the resample draws and y's resampled ranks are reused. Same
 * numbers as spearmanBootstrap(x, y, options).
 */
export function prepareSpearmanBootstrap(
  y: ArrayLike<number>,
  options: SpearmanBootstrapOptions = {},
): (x: ArrayLike<number>) => SpearmanBootstrap {
  const resamples = options.resamples ?? 1000
  const level = options.level ?? 0.95
  if (!Number.isInteger(resamples) || resamples < 0) {
    throw new Error(`spearmanBootstrap: resamples must be a non-negative integer, got ${resamples}`)
  }
  if (!(level > 0 && level < 1)) throw new Error(`spearmanBootstrap: level must be in (0, 1), got ${level}`)
  const n = y.length
  const yRanks = averageRanks(y)
  const alpha = (1 - level) / 2
  let cache: { counts: Uint16Array | Int32Array; dy: Float64Array; syy: Float64Array } | undefined
  const build = () => {
    const rng = options.rng ?? new Rng(options.seed ?? 0)
    const gy = tieGroups(y)
    const counts = n < 65536 ? new Uint16Array(resamples * n) : new Int32Array(resamples * n)
    const dy = new Float64Array(resamples * n)
    const syy = new Float64Array(resamples)
    const c = new Int32Array(n)
    const groupCount = new Float64Array(n)
    const ry = new Float64Array(n)
    const meanRank = (n + 1) / 2
    for (let b = 0; b < resamples; b++) {
      c.fill(0)
      for (let t = 0; t < n; t++) c[rng.int(n)]++
      resampleRanks(gy.groupOf, gy.groups, c, groupCount, ry)
      let s = 0
      for (let i = 0; i < n; i++) {
        counts[b * n + i] = c[i]
        const v = ry[i] - meanRank
        dy[b * n + i] = v
        s += c[i] * v * v
      }
      syy[b] = s
    }
    return { counts, dy, syy }
  }
  return (x: ArrayLike<number>): SpearmanBootstrap => {
    assertSameLength(x, y, 'spearmanBootstrap')
    const rho = n < 2 ? NaN : pearson(averageRanks(x), yRanks)
    if (resamples === 0 || n < 3 || Number.isNaN(rho)) return { rho, ci: null, level, resamples, validResamples: 0 }
    cache ??= build()
    const { counts, dy, syy } = cache
    // Items in ascending x, with tie groups as runs: a resample's average rank of a group is
    // (copies drawn from smaller groups) + (copies in the group + 1)/2, found in one sweep.
    const order = argsort(x)
    const runEnd = new Int32Array(n)
    for (let r = n - 1; r >= 0; r--) {
      runEnd[r] = r + 1 < n && x[order[r + 1]] === x[order[r]] ? runEnd[r + 1] : r + 1
    }
    const meanRank = (n + 1) / 2
    const rhos = new Float64Array(resamples)
    let valid = 0
    for (let b = 0; b < resamples; b++) {
      const o = b * n
      let before = 0
      let sxy = 0
      let sxx = 0
      let r = 0
      while (r < n) {
        const end = runEnd[r]
        let inGroup = 0
        for (let q = r; q < end; q++) inGroup += counts[o + order[q]]
        if (inGroup > 0) {
          const dx = before + (inGroup + 1) / 2 - meanRank
          let sdy = 0
          for (let q = r; q < end; q++) {
            const i = order[q]
            sdy += counts[o + i] * dy[o + i]
          }
          sxy += dx * sdy
          sxx += inGroup * dx * dx
          before += inGroup
        }
        r = end
      }
      if (sxx > 0 && syy[b] > 0) rhos[valid++] = Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy[b])))
    }
    // Fewer than half the resamples defined means the interval would describe a different population.
    if (valid < Math.max(2, resamples / 2)) return { rho, ci: null, level, resamples, validResamples: valid }
    const sorted = rhos.subarray(0, valid).sort()
    return {
      rho,
      ci: [quantileSorted(sorted, alpha), quantileSorted(sorted, 1 - alpha)],
      level,
      resamples,
      validResamples: valid,
    }
  }
}
