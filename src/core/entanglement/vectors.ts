// Row-major activation helpers (float64 accumulation): means of row subsets, stratified
// differences of means, projections, and two-group effect sizes.
import { tTwoSidedP } from './distributions.ts'

/** n × d activations, row-major. */
export interface Rows {
  data: ArrayLike<number>
  n: number
  d: number
}

export function meanOfRows(x: Rows, rows: readonly number[]): Float64Array {
  const m = new Float64Array(x.d)
  for (const r of rows) for (let j = 0; j < x.d; j++) m[j] += x.data[r * x.d + j]
  if (rows.length) for (let j = 0; j < x.d; j++) m[j] /= rows.length
  return m
}

export function subtract(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length)
  for (let j = 0; j < a.length; j++) out[j] = a[j] - b[j]
  return out
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let j = 0; j < a.length; j++) s += a[j] * b[j]
  return s
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a))
}

/** a/‖a‖, or all NaN for a zero vector. */
export function unit(a: ArrayLike<number>): Float64Array {
  const n = norm(a)
  return Float64Array.from(a, (v) => (n > 0 ? v / n : NaN))
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const na = norm(a)
  const nb = norm(b)
  if (!(na > 0 && nb > 0)) return NaN
  return Math.max(-1, Math.min(1, dot(a, b) / (na * nb)))
}

/** Each row's dot product with `direction`. */
export function projectRows(x: Rows, direction: ArrayLike<number>, rows?: readonly number[]): number[] {
  const idx = rows ?? Array.from({ length: x.n }, (_, i) => i)
  return idx.map((r) => {
    let s = 0
    for (let j = 0; j < x.d; j++) s += x.data[r * x.d + j] * direction[j]
    return s
  })
}

export interface StratifiedDifference {
  /** Mean over strata of (mean of high rows − mean of low rows). */
  direction: Float64Array
  /** Per stratum difference Δ_s. */
  differences: Float64Array[]
  /** 'paired' when every stratum holds exactly one high and one low row. */
  method: 'paired' | 'stratified' | 'unpaired'
  strata: number
}

/**
 * Difference of means within strata of rows that differ only in the factor, averaged over strata.
 * Strata lacking either level are skipped; when none has both, the plain (unpaired) difference of
 * means over all rows is returned.
 */
export function stratifiedDifference(x: Rows, strata: readonly { high: number[]; low: number[] }[]): StratifiedDifference | undefined {
  const usable = strata.filter((s) => s.high.length > 0 && s.low.length > 0)
  if (usable.length === 0) {
    const high = strata.flatMap((s) => s.high)
    const low = strata.flatMap((s) => s.low)
    if (!high.length || !low.length) return undefined
    const diff = subtract(meanOfRows(x, high), meanOfRows(x, low))
    return { direction: diff, differences: [diff], method: 'unpaired', strata: 0 }
  }
  const differences = usable.map((s) => subtract(meanOfRows(x, s.high), meanOfRows(x, s.low)))
  const direction = new Float64Array(x.d)
  for (const dlt of differences) for (let j = 0; j < x.d; j++) direction[j] += dlt[j] / differences.length
  const paired = usable.every((s) => s.high.length === 1 && s.low.length === 1)
  return { direction, differences, method: paired ? 'paired' : 'stratified', strata: usable.length }
}

function meanVar(xs: readonly number[]): { mean: number; variance: number } {
  const n = xs.length
  const mean = xs.reduce((a, v) => a + v, 0) / n
  const variance = n > 1 ? xs.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : NaN
  return { mean, variance }
}

export interface TwoGroupEffect {
  meanDiff: number
  /** Cohen's d with the pooled standard deviation (n − 1 weighting). */
  cohenD: number
  /** Welch's t, its degrees of freedom (Welch–Satterthwaite) and two-sided p. */
  t: number
  df: number
  p: number
  nHigh: number
  nLow: number
}

/** Effect of `high` over `low`: mean difference, Cohen's d and Welch's t test. */
export function twoGroupEffect(high: readonly number[], low: readonly number[]): TwoGroupEffect {
  const a = meanVar(high)
  const b = meanVar(low)
  const n1 = high.length
  const n2 = low.length
  const meanDiff = a.mean - b.mean
  const pooled = Math.sqrt(((n1 - 1) * a.variance + (n2 - 1) * b.variance) / (n1 + n2 - 2))
  const se2 = a.variance / n1 + b.variance / n2
  const t = meanDiff / Math.sqrt(se2)
  const df = se2 ** 2 / ((a.variance / n1) ** 2 / (n1 - 1) + (b.variance / n2) ** 2 / (n2 - 1))
  return {
    meanDiff,
    cohenD: meanDiff / pooled,
    t,
    df,
    p: Number.isFinite(t) && df > 0 ? tTwoSidedP(t, df) : NaN,
    nHigh: n1,
    nLow: n2,
  }
}

/** Splits `values` by a 0/1 level (undefined levels are left out) and returns the effect of 1 over 0. */
export function effectByLevel(values: readonly number[], levels: readonly (0 | 1 | undefined)[]): TwoGroupEffect {
  const high: number[] = []
  const low: number[] = []
  values.forEach((v, i) => {
    if (levels[i] === 1) high.push(v)
    else if (levels[i] === 0) low.push(v)
  })
  return twoGroupEffect(high, low)
}
