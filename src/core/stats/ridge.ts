// Ridge regression with an unpenalised intercept, and k-fold cross-validated R² with the penalty
// chosen by inner cross-validation. When there are more features than training rows the dual
// (kernel) form solves an n×n system from one Gram matrix, so the cost never grows with width³.

import { Rng } from '../random.ts'
import {
  type Matrix,
  type Matrix64,
  assertMatrix,
  centreColumns,
  cholesky,
  choleskySolve,
  gram,
  multiplyABt,
  selectRows,
  toFloat64,
  transpose,
} from './linalg.ts'

export type RidgeSolver = 'auto' | 'primal' | 'dual'

export interface RidgeModel {
  /** p×m coefficients. */
  coef: Matrix64
  intercept: Float64Array
  alpha: number
  solver: 'primal' | 'dual'
}

/** Coefficient of determination 1 − SS_res/SS_tot; NaN when y is constant. */
export function r2Score(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  if (yTrue.length !== yPred.length) throw new Error(`r2Score: ${yTrue.length} targets but ${yPred.length} predictions`)
  const n = yTrue.length
  let mean = 0
  for (let i = 0; i < n; i++) mean += yTrue[i]
  mean /= n
  let ssTot = 0
  let ssRes = 0
  for (let i = 0; i < n; i++) {
    ssTot += (yTrue[i] - mean) ** 2
    ssRes += (yTrue[i] - yPred[i]) ** 2
  }
  return ssTot > 0 ? 1 - ssRes / ssTot : NaN
}

/** Adjusted R² = 1 − (1 − R²)(n − 1)/(n − p − 1); NaN when n − p − 1 ≤ 0. */
export function adjustedR2(r2: number, n: number, p: number): number {
  const dof = n - p - 1
  if (!(dof > 0) || !Number.isFinite(r2)) return NaN
  return 1 - ((1 - r2) * (n - 1)) / dof
}

/** Seeded fold labels 0..folds-1: a shuffled round-robin, so fold sizes differ by at most one. */
export function kFoldAssignment(n: number, folds: number, rng: Rng): Int32Array {
  if (!Number.isInteger(folds) || folds < 2 || folds > n) {
    throw new Error(`kFoldAssignment: folds must be an integer in [2, ${n}], got ${folds}`)
  }
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i))
  const out = new Int32Array(n)
  for (let r = 0; r < n; r++) out[order[r]] = r % folds
  return out
}

function checkXY(X: Matrix, Y: Matrix, where: string): void {
  assertMatrix(X, where)
  assertMatrix(Y, where)
  if (X.rows !== Y.rows) throw new Error(`${where}: X has ${X.rows} rows but Y has ${Y.rows}`)
}

function chooseSolver(solver: RidgeSolver, p: number, nTrain: number): 'primal' | 'dual' {
  if (solver !== 'auto') return solver
  return p > nTrain ? 'dual' : 'primal'
}

/** Fits ridge to all rows of X (n×p) and Y (n×m) with penalty alpha ≥ 0. */
export function ridgeFit(X: Matrix, Y: Matrix, alpha: number, options: { solver?: RidgeSolver } = {}): RidgeModel {
  checkXY(X, Y, 'ridgeFit')
  if (!(alpha >= 0)) throw new Error(`ridgeFit: alpha must be ≥ 0, got ${alpha}`)
  if (X.rows < 1) throw new Error('ridgeFit: needs at least one row')
  const solver = chooseSolver(options.solver ?? 'auto', X.cols, X.rows)
  const foldOf = new Int32Array(X.rows)
  if (solver === 'dual') {
    const fitter = new DualFitter(X, Y, foldOf, 1)
    return fitter.model(fitter.fit([], alpha))
  }
  const fitter = new PrimalFitter(X, Y, foldOf, 1)
  return fitter.model(fitter.fit([], alpha))
}

export function ridgePredict(model: RidgeModel, X: Matrix): Matrix64 {
  assertMatrix(X, 'ridgePredict')
  if (X.cols !== model.coef.rows) {
    throw new Error(`ridgePredict: X has ${X.cols} columns, the model expects ${model.coef.rows}`)
  }
  const out = multiplyABt(X, transpose(model.coef))
  const m = model.coef.cols
  for (let i = 0; i < X.rows; i++) for (let c = 0; c < m; c++) out.data[i * m + c] += model.intercept[c]
  return out
}

/**
 * A ridge solver over a fixed partition of the rows into folds. Fits train on every fold not
 * excluded. X and Y are centred globally first: ridge with an intercept is shift invariant, and
 * centred sums are better conditioned.
 */
interface Fitter<F> {
  fit(excluded: number[], alpha: number): F
  /** Per-output sum of squared errors of the fit on one fold's rows. */
  foldSse(fit: F, fold: number): Float64Array
  /** Predictions (in Y's original scale) for one fold's rows, written into out (n×m). */
  predictFold(fit: F, fold: number, out: Float64Array): void
  model(fit: F): RidgeModel
}

interface FoldData {
  rows: number[]
  n: number
}

function splitFolds(foldOf: Int32Array, folds: number): FoldData[] {
  const out: FoldData[] = Array.from({ length: folds }, () => ({ rows: [], n: 0 }))
  for (let i = 0; i < foldOf.length; i++) {
    out[foldOf[i]].rows.push(i)
    out[foldOf[i]].n++
  }
  return out
}

function trainingFolds(folds: number, excluded: number[]): number[] {
  const out: number[] = []
  for (let f = 0; f < folds; f++) if (!excluded.includes(f)) out.push(f)
  return out
}

interface PrimalFit {
  /** p×m coefficients and intercept in the globally centred coordinates. */
  W: Float64Array
  b: Float64Array
  alpha: number
}

/**
 * Primal solver, (XᵀX + αI)W = XᵀY, from per-fold sufficient statistics: XᵀX, XᵀY, column sums
 * and Σy² of every fold are computed once, so a training set (a union of folds) costs p² additions
 * and a Cholesky, and a fold's squared error is read off its statistics without predicting.
 */
class PrimalFitter implements Fitter<PrimalFit> {
  private readonly p: number
  private readonly m: number
  private readonly xMeans: Float64Array
  private readonly yMeans: Float64Array
  private readonly folds: FoldData[]
  private readonly foldX: Matrix64[]
  private readonly cxx: Float64Array[] = []
  private readonly cxy: Float64Array[] = []
  private readonly sx: Float64Array[] = []
  private readonly sy: Float64Array[] = []
  private readonly yy: Float64Array[] = []
  private readonly total: { cxx: Float64Array; cxy: Float64Array; sx: Float64Array; sy: Float64Array; n: number }

  constructor(X: Matrix, Y: Matrix, foldOf: Int32Array, folds: number) {
    const xc = centreColumns(X)
    const yc = centreColumns(Y)
    this.xMeans = xc.means
    this.yMeans = yc.means
    const p = (this.p = X.cols)
    const m = (this.m = Y.cols)
    this.folds = splitFolds(foldOf, folds)
    this.foldX = this.folds.map(({ rows }) => selectRows(xc.centred, rows))
    this.folds.forEach(({ rows }, f) => {
      const xf = this.foldX[f]
      const yf = selectRows(yc.centred, rows)
      const xt = transpose(xf)
      this.cxx.push(gram(xt).data)
      this.cxy.push(multiplyABt(xt, transpose(yf)).data)
      const sx = new Float64Array(p)
      const sy = new Float64Array(m)
      const yy = new Float64Array(m)
      for (let r = 0; r < rows.length; r++) {
        for (let j = 0; j < p; j++) sx[j] += xf.data[r * p + j]
        for (let c = 0; c < m; c++) {
          const v = yf.data[r * m + c]
          sy[c] += v
          yy[c] += v * v
        }
      }
      this.sx.push(sx)
      this.sy.push(sy)
      this.yy.push(yy)
    })
    const sum = (parts: Float64Array[]) => {
      const out = new Float64Array(parts[0].length)
      for (const part of parts) for (let t = 0; t < out.length; t++) out[t] += part[t]
      return out
    }
    this.total = { cxx: sum(this.cxx), cxy: sum(this.cxy), sx: sum(this.sx), sy: sum(this.sy), n: X.rows }
  }

  fit(excluded: number[], alpha: number): PrimalFit {
    const { p, m } = this
    // Totals minus the excluded folds: one or two subtractions instead of summing every fold.
    const A = this.total.cxx.slice()
    const B = this.total.cxy.slice()
    const sx = this.total.sx.slice()
    const sy = this.total.sy.slice()
    let nT = this.total.n
    for (const f of excluded) {
      const cxx = this.cxx[f]
      const cxy = this.cxy[f]
      for (let t = 0; t < A.length; t++) A[t] -= cxx[t]
      for (let t = 0; t < B.length; t++) B[t] -= cxy[t]
      for (let j = 0; j < p; j++) sx[j] -= this.sx[f][j]
      for (let c = 0; c < m; c++) sy[c] -= this.sy[f][c]
      nT -= this.folds[f].n
    }
    if (nT === 0) throw new Error('ridge: empty training set')
    const mx = sx.map((v) => v / nT)
    const my = sy.map((v) => v / nT)
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) A[i * p + j] -= nT * mx[i] * mx[j]
      A[i * p + i] += alpha
      for (let c = 0; c < m; c++) B[i * m + c] -= nT * mx[i] * my[c]
    }
    let L: Float64Array
    try {
      L = cholesky(A, p)
    } catch {
      throw new Error(`ridge: XᵀX + αI is singular for α = ${alpha} (${p} features, ${nT} rows); use α > 0`)
    }
    const W = choleskySolve(L, p, B, m)
    const b = new Float64Array(m)
    for (let c = 0; c < m; c++) {
      let v = my[c]
      for (let j = 0; j < p; j++) v -= W[j * m + c] * mx[j]
      b[c] = v
    }
    return { W, b, alpha }
  }

  foldSse({ W, b }: PrimalFit, fold: number): Float64Array {
    // Σ(y − wᵀx − b)² = Σy² − 2(wᵀXᵀy + b·Σy) + wᵀXᵀXw + 2b·wᵀΣx + n·b², per output.
    const { p, m } = this
    const cxx = this.cxx[fold]
    const cxy = this.cxy[fold]
    const sx = this.sx[fold]
    const sy = this.sy[fold]
    const yy = this.yy[fold]
    const n = this.folds[fold].n
    const CW = multiplyABt({ data: cxx, rows: p, cols: p }, transpose({ data: W, rows: p, cols: m })).data
    const out = new Float64Array(m)
    for (let c = 0; c < m; c++) {
      let wCw = 0
      let wCy = 0
      let wSx = 0
      for (let j = 0; j < p; j++) {
        const w = W[j * m + c]
        wCw += w * CW[j * m + c]
        wCy += w * cxy[j * m + c]
        wSx += w * sx[j]
      }
      const bc = b[c]
      out[c] = Math.max(0, yy[c] - 2 * (wCy + bc * sy[c]) + wCw + 2 * bc * wSx + n * bc * bc)
    }
    return out
  }

  predictFold({ W, b }: PrimalFit, fold: number, out: Float64Array): void {
    const { p, m } = this
    const pred = multiplyABt(this.foldX[fold], transpose({ data: W, rows: p, cols: m })).data
    this.folds[fold].rows.forEach((i, r) => {
      for (let c = 0; c < m; c++) out[i * m + c] = pred[r * m + c] + b[c] + this.yMeans[c]
    })
  }

  model({ W, b, alpha }: PrimalFit): RidgeModel {
    const { p, m } = this
    // ŷ = (x − x̄)W + b + ȳ = xW + (b + ȳ − x̄W).
    const intercept = new Float64Array(m)
    for (let c = 0; c < m; c++) {
      let v = b[c] + this.yMeans[c]
      for (let j = 0; j < p; j++) v -= this.xMeans[j] * W[j * m + c]
      intercept[c] = v
    }
    return { coef: { data: W, rows: p, cols: m }, intercept, alpha, solver: 'primal' }
  }
}

interface DualFit {
  train: number[]
  /** (Kc + αI)⁻¹(Y_T − ȳ_T), nT×m. */
  C: Float64Array
  my: Float64Array
  /** Mean of K(x_i, x_t) over training rows t, for every row i; and over both indices. */
  rowMean: Float64Array
  grand: number
  alpha: number
}

/**
 * Dual (kernel) solver for more features than training rows: with K = XXᵀ computed once, a training
 * set T gives the centred kernel Kc = H·K_TT·H, coefficients C = (Kc + αI)⁻¹(Y_T − ȳ_T) and
 * predictions k̃(x)ᵀC + ȳ_T, where k̃_t = (x − x̄_T)·(x_t − x̄_T) is read off K. Cost O(n²p + n³),
 * never p³.
 */
class DualFitter implements Fitter<DualFit> {
  private readonly n: number
  private readonly m: number
  private readonly K: Float64Array
  private readonly X: Matrix64
  private readonly Y: Matrix64
  private readonly xMeans: Float64Array
  private readonly yMeans: Float64Array
  private readonly folds: FoldData[]

  constructor(X: Matrix, Y: Matrix, foldOf: Int32Array, folds: number) {
    const xc = centreColumns(X)
    const yc = centreColumns(Y)
    this.X = xc.centred
    this.Y = yc.centred
    this.xMeans = xc.means
    this.yMeans = yc.means
    this.n = X.rows
    this.m = Y.cols
    this.folds = splitFolds(foldOf, folds)
    this.K = gram(this.X).data
  }

  fit(excluded: number[], alpha: number): DualFit {
    const { n, m, K } = this
    const train = trainingFolds(this.folds.length, excluded).flatMap((f) => this.folds[f].rows)
    const nT = train.length
    if (nT === 0) throw new Error('ridge: empty training set')
    const rowMean = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      let v = 0
      const o = i * n
      for (const t of train) v += K[o + t]
      rowMean[i] = v / nT
    }
    let grand = 0
    for (const t of train) grand += rowMean[t]
    grand /= nT
    const A = new Float64Array(nT * nT)
    for (let a = 0; a < nT; a++) {
      const ia = train[a]
      const o = ia * n
      for (let b = 0; b < nT; b++) {
        const ib = train[b]
        A[a * nT + b] = K[o + ib] - rowMean[ia] - rowMean[ib] + grand
      }
      A[a * nT + a] += alpha
    }
    const y = this.Y.data
    const my = new Float64Array(m)
    for (const t of train) for (let c = 0; c < m; c++) my[c] += y[t * m + c]
    for (let c = 0; c < m; c++) my[c] /= nT
    const Yc = new Float64Array(nT * m)
    train.forEach((t, a) => {
      for (let c = 0; c < m; c++) Yc[a * m + c] = y[t * m + c] - my[c]
    })
    let L: Float64Array
    try {
      L = cholesky(A, nT)
    } catch {
      throw new Error(`ridge: the centred kernel + αI is singular for α = ${alpha} (${nT} training rows); use α > 0`)
    }
    return { train, C: choleskySolve(L, nT, Yc, m), my, rowMean, grand, alpha }
  }

  /** Predictions in the globally centred Y scale for the given rows, as rows × m. */
  private predictRows(fit: DualFit, rows: number[]): Float64Array {
    const { n, m, K } = this
    const { train, C, my, rowMean, grand } = fit
    const out = new Float64Array(rows.length * m)
    rows.forEach((i, r) => {
      const o = i * n
      for (let c = 0; c < m; c++) out[r * m + c] = my[c]
      train.forEach((t, a) => {
        const k = K[o + t] - rowMean[i] - rowMean[t] + grand
        for (let c = 0; c < m; c++) out[r * m + c] += k * C[a * m + c]
      })
    })
    return out
  }

  foldSse(fit: DualFit, fold: number): Float64Array {
    const { m } = this
    const rows = this.folds[fold].rows
    const pred = this.predictRows(fit, rows)
    const out = new Float64Array(m)
    rows.forEach((i, r) => {
      for (let c = 0; c < m; c++) out[c] += (this.Y.data[i * m + c] - pred[r * m + c]) ** 2
    })
    return out
  }

  predictFold(fit: DualFit, fold: number, out: Float64Array): void {
    const { m } = this
    const rows = this.folds[fold].rows
    const pred = this.predictRows(fit, rows)
    rows.forEach((i, r) => {
      for (let c = 0; c < m; c++) out[i * m + c] = pred[r * m + c] + this.yMeans[c]
    })
  }

  model({ train, C, my, alpha }: DualFit): RidgeModel {
    const { m } = this
    const p = this.X.cols
    const x = this.X.data
    const nT = train.length
    // W = X_Tcᵀ C with X_T centred on its own mean.
    const mx = new Float64Array(p)
    for (const t of train) for (let j = 0; j < p; j++) mx[j] += x[t * p + j]
    for (let j = 0; j < p; j++) mx[j] /= nT
    const W = new Float64Array(p * m)
    train.forEach((t, a) => {
      for (let j = 0; j < p; j++) {
        const v = x[t * p + j] - mx[j]
        for (let c = 0; c < m; c++) W[j * m + c] += v * C[a * m + c]
      }
    })
    const intercept = new Float64Array(m)
    for (let c = 0; c < m; c++) {
      let v = my[c] + this.yMeans[c]
      for (let j = 0; j < p; j++) v -= W[j * m + c] * (mx[j] + this.xMeans[j])
      intercept[c] = v
    }
    return { coef: { data: W, rows: p, cols: m }, intercept, alpha, solver: 'dual' }
  }
}

export interface RidgeCvOptions {
  /** Outer folds (default 5). The inner search reuses the remaining folds (needs folds ≥ 3). */
  folds?: number
  /** Penalty grid (absolute; default 10^-3 … 10^3). A single value skips the inner search. */
  alphas?: number[]
  seed?: number
  /** Precomputed fold labels 0..folds-1 (overrides seed). */
  foldOf?: Int32Array
  solver?: RidgeSolver
}

export interface RidgeCvResult {
  n: number
  /** Number of predictors (columns of X): the p of adjusted R². */
  p: number
  outputs: number
  folds: number
  solver: 'primal' | 'dual'
  /** Out-of-fold R² per output: 1 − Σ(y − ŷ_oof)²/Σ(y − ȳ)²; NaN for constant outputs. */
  r2PerOutput: number[]
  /** Mean of the defined r2PerOutput values (NaN when none is defined). */
  meanR2: number
  /** adjustedR2(meanR2, n, p); NaN when p ≥ n − 1. */
  adjustedR2: number
  /** Penalty chosen by the inner search for each outer fold. */
  alphaPerFold: number[]
  /** Penalty chosen by cross-validation on all rows, used for the in-sample fit. */
  alpha: number
  /** In-sample R² of the fit on all rows with `alpha`. */
  inSampleR2PerOutput: number[]
  inSampleMeanR2: number
  inSampleAdjustedR2: number
}

export const DEFAULT_RIDGE_ALPHAS = [1e-3, 1e-2, 1e-1, 1, 10, 100, 1000]

/**
 * k-fold cross-validated ridge. Every outer fold picks its penalty by cross-validation over the other
 * folds (each inner split leaves one more fold out), scoring Σ_outputs SSE/SST so outputs of different
 * scale count equally. R² is computed on the pooled out-of-fold predictions. Inner fits that leave
 * out the same pair of folds are shared between outer folds.
 */
export function ridgeCrossValidate(X: Matrix, Y: Matrix, options: RidgeCvOptions = {}): RidgeCvResult {
  checkXY(X, Y, 'ridgeCrossValidate')
  const n = X.rows
  const p = X.cols
  const m = Y.cols
  const folds = options.folds ?? 5
  const alphas = [...(options.alphas ?? DEFAULT_RIDGE_ALPHAS)].sort((a, b) => b - a)
  if (alphas.length === 0 || alphas.some((a) => !(a >= 0))) {
    throw new Error(`ridgeCrossValidate: alphas must be a non-empty list of numbers ≥ 0, got [${alphas}]`)
  }
  if (alphas.length > 1 && folds < 3) {
    throw new Error(`ridgeCrossValidate: choosing alpha by inner cross-validation needs folds ≥ 3, got ${folds}`)
  }
  const foldOf = options.foldOf ?? kFoldAssignment(n, folds, new Rng(options.seed ?? 0))
  if (foldOf.length !== n) throw new Error(`ridgeCrossValidate: foldOf has ${foldOf.length} entries for ${n} rows`)
  const sizes = new Array<number>(folds).fill(0)
  for (let i = 0; i < n; i++) {
    const f = foldOf[i]
    if (!(Number.isInteger(f) && f >= 0 && f < folds)) {
      throw new Error(`ridgeCrossValidate: foldOf[${i}] = ${f} is not an integer in [0, ${folds})`)
    }
    sizes[f]++
  }
  if (sizes.some((s) => s === 0)) throw new Error(`ridgeCrossValidate: a fold is empty (${n} rows, ${folds} folds)`)
  const solver = chooseSolver(options.solver ?? 'auto', p, n - Math.min(...sizes))
  const fitter: Fitter<unknown> =
    solver === 'dual' ? new DualFitter(X, Y, foldOf, folds) : new PrimalFitter(X, Y, foldOf, folds)
  const Yd = toFloat64(Y).data
  const memo = new Map<string, unknown>()
  const fitWithout = (excluded: number[], alpha: number) => {
    const sorted = [...excluded].sort((a, b) => a - b)
    const key = `${sorted.join(',')}|${alpha}`
    let fit = memo.get(key)
    if (fit === undefined) {
      fit = fitter.fit(sorted, alpha)
      memo.set(key, fit)
    }
    return fit
  }
  const allFolds = Array.from({ length: folds }, (_, f) => f)

  const chooseAlpha = (trainFolds: number[]): number => {
    if (alphas.length === 1) return alphas[0]
    const outside = allFolds.filter((f) => !trainFolds.includes(f))
    const mean = new Float64Array(m)
    const sst = new Float64Array(m)
    let count = 0
    for (let i = 0; i < n; i++) {
      if (!trainFolds.includes(foldOf[i])) continue
      count++
      for (let c = 0; c < m; c++) mean[c] += Yd[i * m + c]
    }
    for (let c = 0; c < m; c++) mean[c] /= count
    for (let i = 0; i < n; i++) {
      if (!trainFolds.includes(foldOf[i])) continue
      for (let c = 0; c < m; c++) sst[c] += (Yd[i * m + c] - mean[c]) ** 2
    }
    const anyVar = sst.some((v) => v > 0)
    let best = alphas[0]
    let bestScore = Infinity
    for (const alpha of alphas) {
      let score = 0
      for (const g of trainFolds) {
        const sse = fitter.foldSse(fitWithout([...outside, g], alpha), g)
        for (let c = 0; c < m; c++) {
          if (!anyVar) score += sse[c]
          else if (sst[c] > 0) score += sse[c] / sst[c]
        }
      }
      // Alphas run from largest to smallest: a tie keeps the stronger penalty.
      if (score < bestScore) {
        bestScore = score
        best = alpha
      }
    }
    return best
  }

  const oof = new Float64Array(n * m)
  const alphaPerFold: number[] = []
  for (let f = 0; f < folds; f++) {
    const alpha = chooseAlpha(allFolds.filter((g) => g !== f))
    alphaPerFold.push(alpha)
    fitter.predictFold(fitWithout([f], alpha), f, oof)
  }
  const alpha = chooseAlpha(allFolds)
  const fitted = new Float64Array(n * m)
  const full = fitWithout([], alpha)
  for (let f = 0; f < folds; f++) fitter.predictFold(full, f, fitted)

  const r2PerOutput: number[] = []
  const inSampleR2PerOutput: number[] = []
  const yCol = new Float64Array(n)
  const pCol = new Float64Array(n)
  const fCol = new Float64Array(n)
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      yCol[i] = Yd[i * m + c]
      pCol[i] = oof[i * m + c]
      fCol[i] = fitted[i * m + c]
    }
    r2PerOutput.push(r2Score(yCol, pCol))
    inSampleR2PerOutput.push(r2Score(yCol, fCol))
  }
  const meanDefined = (v: number[]) => {
    const ok = v.filter((x) => Number.isFinite(x))
    return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN
  }
  const meanR2 = meanDefined(r2PerOutput)
  const inSampleMeanR2 = meanDefined(inSampleR2PerOutput)
  return {
    n,
    p,
    outputs: m,
    folds,
    solver,
    r2PerOutput,
    meanR2,
    adjustedR2: adjustedR2(meanR2, n, p),
    alphaPerFold,
    alpha,
    inSampleR2PerOutput,
    inSampleMeanR2,
    inSampleAdjustedR2: adjustedR2(inSampleMeanR2, n, p),
  }
}
