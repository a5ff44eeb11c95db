// Ordinary least squares with an intercept, classical and HC3 standard errors, t statistics and
// t-based confidence intervals. Solved by Householder QR (not the normal equations) so that
// ill-conditioned designs such as Longley's keep their digits.
import type { Matrix } from '../stats/linalg.ts'
import { tQuantile, tTwoSidedP } from './distributions.ts'

export interface OlsOptions {
  /** Add a leading column of ones named "(intercept)" (default true). */
  intercept?: boolean
  /** Names of X's columns (default x1, x2, …). */
  names?: string[]
  /** Confidence level of the intervals (default 0.95). */
  level?: number
  /** Also compute HC3 heteroscedasticity-consistent standard errors (default false). */
  robust?: boolean
}

export interface OlsCoefficient {
  name: string
  estimate: number
  se: number
  t: number
  /** Two-sided p-value against 0 on the t(n − k) distribution. */
  p: number
  ci: [number, number]
}

export interface OlsFit {
  n: number
  /** Number of coefficients, intercept included. */
  k: number
  /** Residual degrees of freedom n − k. */
  df: number
  level: number
  /** t quantile used for the intervals: t_{(1+level)/2, df}. */
  tCritical: number
  names: string[]
  coefficients: OlsCoefficient[]
  /** The same coefficients with HC3 standard errors (t(n − k) intervals), when asked for. */
  robust?: OlsCoefficient[]
  /** 1 − RSS/TSS; TSS is centred with an intercept, uncentred without. */
  r2: number
  adjR2: number
  /** Residual standard error √(RSS/df). */
  sigma: number
  rss: number
  tss: number
  fitted: number[]
  residuals: number[]
  /** Diagonal of the hat matrix X(XᵀX)⁻¹Xᵀ. */
  leverage: number[]
  /** σ²(XᵀX)⁻¹. */
  covariance: number[][]
  /** HC3: (XᵀX)⁻¹ [Σ xᵢxᵢᵀ eᵢ²/(1 − hᵢ)²] (XᵀX)⁻¹. */
  robustCovariance?: number[][]
}

type Design = readonly ArrayLike<number>[] | Matrix

function designRows(X: Design): { rows: number; cols: number; at: (i: number, j: number) => number } {
  if (Array.isArray(X)) {
    const rows = X as readonly ArrayLike<number>[]
    const cols = rows.length ? rows[0].length : 0
    rows.forEach((r, i) => {
      if (r.length !== cols) throw new Error(`fitOls: X row ${i} has ${r.length} values; row 0 has ${cols}`)
    })
    return { rows: rows.length, cols, at: (i, j) => rows[i][j] }
  }
  const m = X as Matrix
  if (m.data.length !== m.rows * m.cols) throw new Error(`fitOls: X has ${m.data.length} values, expected ${m.rows}×${m.cols}`)
  return { rows: m.rows, cols: m.cols, at: (i, j) => m.data[i * m.cols + j] }
}

/** Inverse of an upper-triangular k×k matrix (row-major). */
function invertUpper(R: Float64Array, k: number): Float64Array {
  const inv = new Float64Array(k * k)
  for (let j = 0; j < k; j++) {
    inv[j * k + j] = 1 / R[j * k + j]
    for (let i = j - 1; i >= 0; i--) {
      let s = 0
      for (let l = i + 1; l <= j; l++) s += R[i * k + l] * inv[l * k + j]
      inv[i * k + j] = -s / R[i * k + i]
    }
  }
  return inv
}

function coefficientRows(
  names: string[],
  beta: Float64Array,
  cov: Float64Array,
  k: number,
  df: number,
  tCritical: number,
): OlsCoefficient[] {
  return names.map((name, j) => {
    const se = df > 0 ? Math.sqrt(Math.max(0, cov[j * k + j])) : NaN
    const t = beta[j] / se
    return {
      name,
      estimate: beta[j],
      se,
      t,
      p: df > 0 && Number.isFinite(t) ? tTwoSidedP(t, df) : NaN,
      ci: [beta[j] - tCritical * se, beta[j] + tCritical * se],
    }
  })
}

const toRows = (a: Float64Array, k: number) => Array.from({ length: k }, (_, i) => Array.from(a.subarray(i * k, (i + 1) * k)))

/** OLS fit of y on X (plus an intercept unless `intercept: false`). */
export function fitOls(X: Design, y: ArrayLike<number>, opts: OlsOptions = {}): OlsFit {
  const intercept = opts.intercept ?? true
  const level = opts.level ?? 0.95
  if (!(level > 0 && level < 1)) throw new Error(`fitOls: level must be in (0, 1), got ${level}`)
  const D = designRows(X)
  const n = D.rows
  if (y.length !== n) throw new Error(`fitOls: X has ${n} rows but y has ${y.length} values`)
  const colNames = opts.names ?? Array.from({ length: D.cols }, (_, j) => `x${j + 1}`)
  if (colNames.length !== D.cols) throw new Error(`fitOls: ${colNames.length} names for ${D.cols} columns of X`)
  const names = intercept ? ['(intercept)', ...colNames] : [...colNames]
  const k = names.length
  if (k === 0) throw new Error('fitOls: the design has no columns')
  if (n < k) throw new Error(`fitOls: ${n} observations cannot identify ${k} coefficients (${names.join(', ')})`)

  // Column-major copy of the full design.
  const A = new Float64Array(n * k)
  const Xfull = new Float64Array(n * k)
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i])) throw new Error(`fitOls: y[${i}] is ${y[i]}; expected a finite number`)
    for (let j = 0; j < k; j++) {
      const v = intercept ? (j === 0 ? 1 : D.at(i, j - 1)) : D.at(i, j)
      if (!Number.isFinite(v)) throw new Error(`fitOls: X row ${i}, column "${names[j]}" is ${v}; expected a finite number`)
      A[j * n + i] = v
      Xfull[i * k + j] = v
    }
  }
  const colNorms = Array.from({ length: k }, (_, j) => Math.hypot(...A.subarray(j * n, (j + 1) * n)))
  const qty = Float64Array.from(y)
  const R = new Float64Array(k * k)
  const v = new Float64Array(n)
  for (let j = 0; j < k; j++) {
    const col = j * n
    let norm = 0
    for (let i = j; i < n; i++) norm += A[col + i] ** 2
    norm = Math.sqrt(norm)
    if (!(norm > 1e-10 * colNorms[j]) || colNorms[j] === 0)
      throw new Error(
        `fitOls: column "${names[j]}" is constant or a linear combination of the columns before it; drop it or check the design`,
      )
    const alpha = A[col + j] > 0 ? -norm : norm
    for (let i = j; i < n; i++) v[i] = A[col + i]
    v[j] -= alpha
    let vv = 0
    for (let i = j; i < n; i++) vv += v[i] * v[i]
    const apply = (base: number, stride: number, data: Float64Array) => {
      let s = 0
      for (let i = j; i < n; i++) s += v[i] * data[base + i * stride]
      const f = (2 * s) / vv
      for (let i = j; i < n; i++) data[base + i * stride] -= f * v[i]
    }
    for (let c = j; c < k; c++) apply(c * n, 1, A)
    apply(0, 1, qty)
    for (let c = j; c < k; c++) R[j * k + c] = A[c * n + j]
  }
  const Rinv = invertUpper(R, k)
  const beta = new Float64Array(k)
  for (let i = 0; i < k; i++) {
    let s = 0
    for (let l = i; l < k; l++) s += Rinv[i * k + l] * qty[l]
    beta[i] = s
  }
  // (XᵀX)⁻¹ = R⁻¹R⁻ᵀ
  const xtxInv = new Float64Array(k * k)
  for (let i = 0; i < k; i++)
    for (let j = i; j < k; j++) {
      let s = 0
      for (let l = Math.max(i, j); l < k; l++) s += Rinv[i * k + l] * Rinv[j * k + l]
      xtxInv[i * k + j] = xtxInv[j * k + i] = s
    }

  const fitted = new Array<number>(n)
  const residuals = new Array<number>(n)
  const leverage = new Array<number>(n)
  let rss = 0
  let yMean = 0
  for (let i = 0; i < n; i++) yMean += y[i]
  yMean /= n
  let tss = 0
  for (let i = 0; i < n; i++) {
    let f = 0
    for (let j = 0; j < k; j++) f += Xfull[i * k + j] * beta[j]
    fitted[i] = f
    residuals[i] = y[i] - f
    rss += residuals[i] ** 2
    tss += intercept ? (y[i] - yMean) ** 2 : y[i] ** 2
    // hᵢ = ‖R⁻ᵀxᵢ‖²
    let h = 0
    for (let j = 0; j < k; j++) {
      let s = 0
      for (let l = 0; l <= j; l++) s += Rinv[l * k + j] * Xfull[i * k + l]
      h += s * s
    }
    leverage[i] = h
  }
  const df = n - k
  const sigma2 = df > 0 ? rss / df : NaN
  const cov = xtxInv.map((x) => x * sigma2)
  const tCritical = df > 0 ? tQuantile((1 + level) / 2, df) : NaN
  const r2 = tss > 0 ? 1 - rss / tss : NaN
  const adjR2 = df > 0 ? 1 - ((1 - r2) * (intercept ? n - 1 : n)) / df : NaN
  const fit: OlsFit = {
    n,
    k,
    df,
    level,
    tCritical,
    names,
    coefficients: coefficientRows(names, beta, cov, k, df, tCritical),
    r2,
    adjR2,
    sigma: Math.sqrt(sigma2),
    rss,
    tss,
    fitted,
    residuals,
    leverage,
    covariance: toRows(cov, k),
  }
  if (opts.robust) {
    const meat = new Float64Array(k * k)
    let defined = true
    for (let i = 0; i < n; i++) {
      const oneMinusH = 1 - leverage[i]
      if (!(oneMinusH > 1e-12)) defined = false
      const w = residuals[i] ** 2 / oneMinusH ** 2
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) meat[a * k + b] += w * Xfull[i * k + a] * Xfull[i * k + b]
    }
    const tmp = new Float64Array(k * k)
    const robustCov = new Float64Array(k * k)
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) {
        let s = 0
        for (let l = 0; l < k; l++) s += xtxInv[a * k + l] * meat[l * k + b]
        tmp[a * k + b] = s
      }
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) {
        let s = 0
        for (let l = 0; l < k; l++) s += tmp[a * k + l] * xtxInv[l * k + b]
        robustCov[a * k + b] = defined ? s : NaN
      }
    fit.robustCovariance = toRows(robustCov, k)
    fit.robust = coefficientRows(names, beta, robustCov, k, df, tCritical)
  }
  return fit
}

/** The coefficient called `name`, or an error listing the fit's names. */
export function coefficientOf(fit: OlsFit, name: string, robust = false): OlsCoefficient {
  const rows = robust ? fit.robust : fit.coefficients
  if (!rows) throw new Error('this fit has no robust standard errors (fit with robust: true)')
  const c = rows.find((r) => r.name === name)
  if (!c) throw new Error(`no coefficient "${name}" in this fit (it has ${fit.names.join(', ')})`)
  return c
}
