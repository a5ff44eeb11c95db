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
  const solver = chooseSolver(options.solver ?? 'auto', X.cols, X.rows)
  const fitter = solver === 'dual' ? new DualFitter(X, Y) : new PrimalFitter(X, Y, new Int32Array(X.rows), 1)
  const all = Array.from({ length: X.rows }, (_, i) => i)
  return fitter.model(solver === 'dual' ? all : [0], alpha)
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
 * Primal solver from per-fold sufficient statistics: XᵀX, XᵀY and column sums of every fold are
 * computed once, so each training set (a union of folds) costs only p² additions and a Cholesky.
 */
class PrimalFitter {
  readonly p: number
  readonly m: number
  private readonly cxx: Float64Array[]
  private readonly cxy: Float64Array[]
  private readonly sx: Float64Array[]
  private readonly sy: Float64Array[]
  private readonly count: number[]
  private readonly X: Matrix64

  constructor(X: Matrix, Y: Matrix, foldOf: Int32Array, folds: number) {
    // Ridge with an intercept is shift invariant; centring globally keeps the sums well conditioned.
    this.X = centreColumns(X).centred
    const Yc = toFloat64(Y)
    this.p = X.cols
    this.m = Y.cols
    const p = this.p
    const m = this.m
    this.cxx = []
    this.cxy = []
    this.sx = []
    this.sy = []
    this.count = []
    for (let f = 0; f < folds; f++) {
      const rows: number[] = []
      for (let i = 0; i < foldOf.length; i++) if (foldOf[i] === f) rows.push(i)
      const xf = new Float64Array(rows.length * p)
      const yf = new Float64Array(rows.length * m)
      rows.forEach((i, r) => {
        xf.set(this.X.data.subarray(i * p, (i + 1) * p), r * p)
        yf.set(Yc.data.subarray(i * m, (i + 1) * m), r * m)
      })
      const xt: Matrix64 = transpose({ data: xf, rows: rows.length, cols: p })
      const yt: Matrix64 = transpose({ data: yf, rows: rows.length, cols: m })
      this.cxx.push(gram(xt).data)
      this.cxy.push(multiplyABt(xt, yt).data)
      const sx = new Float64Array(p)
      const sy = new Float64Array(m)
      for (let r = 0; r < rows.length; r++) {
        for (let j = 0; j < p; j++) sx[j] += xf[r * p + j]
        for (let c = 0; c < m; c++) sy[c] += yf[r * m + c]
      }
      this.sx.push(sx)
      this.sy.push(sy)
      this.count.push(rows.length)
    }
  }

  /** Model trained on the union of the given folds (in the globally centred coordinates). */
  private solve(folds: number[], alpha: number): { W: Float64Array; b: Float64Array; mx: Float64Array } {
    const { p, m } = this
    const A = new Float64Array(p * p)
    const B = new Float64Array(p * m)
    const sx = new Float64Array(p)
    const sy = new Float64Array(m)
    let nT = 0
    for (const f of folds) {
      const cxx = this.cxx[f]
      const cxy = this.cxy[f]
      for (let t = 0; t < A.length; t++) A[t] += cxx[t]
      for (let t = 0; t < B.length; t++) B[t] += cxy[t]
      for (let j = 0; j < p; j++) sx[j] += this.sx[f][j]
      for (let c = 0; c < m; c++) sy[c] += this.sy[f][c]
      nT += this.count[f]
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
      throw new Error(
        `ridge: XᵀX + αI is singular for α = ${alpha} (${p} features, ${nT} training rows); use α > 0`,
      )
    }
    const W = choleskySolve(L, p, B, m)
    const b = new Float64Array(m)
    for (let c = 0; c < m; c++) {
      let s = my[c]
      for (let j = 0; j < p; j++) s -= W[j * m + c] * mx[j]
      b[c] = s
    }
    return { W, b, mx }
  }

  predict(folds: number[], alpha: number, rows: number[], out: Float64Array): void {
    const { p, m } = this
    const { W, b } = this.solve(folds, alpha)
    const x = this.X.data
    for (const i of rows) {
      for (let c = 0; c < m; c++) {
        let s = b[c]
        for (let j = 0; j < p; j++) s += x[i * p + j] * W[j * m + c]
        out[i * m + c] = s
      }
    }
  }

  model(folds: number[], alpha: number): RidgeModel {
    const { W, b } = this.solve(folds, alpha)
    // Back from globally centred coordinates: ŷ = (x − μ)W + b = xW + (b − μW).
    const mu = this.globalMean()
    const intercept = b.slice()
    for (let c = 0; c < this.m; c++) for (let j = 0; j < this.p; j++) intercept[c] -= mu[j] * W[j * this.m + c]
    return { coef: { data: W, rows: this.p, cols: this.m }, intercept, alpha, solver: 'primal' }
  }

  private globalMean(): Float64Array {
    return this.originalMeans
  }

  originalMeans = new Float64Array(0)
}

/**
 * Dual solver: with K = XXᵀ computed once, a training set T gives the centred kernel
 * Kc = H·K_TT·H, coefficients C = (Kc + αI)⁻¹(Y_T − ȳ), and predictions k̃(x)ᵀC + ȳ where
 * k̃_j = (x − x̄_T)·(x_j − x̄_T) is read off K.
 */
class DualFitter {
  readonly m: number
  private readonly K: Float64Array
  private readonly n: number
  private readonly Y: Matrix64
  private readonly X: Matrix64

  constructor(X: Matrix, Y: Matrix) {
    this.X = centreColumns(X).centred
    this.Y = toFloat64(Y)
    this.n = X.rows
    this.m = Y.cols
    this.K = gram(this.X).data
  }

  private solve(train: number[], alpha: number): { C: Float64Array; my: Float64Array; rowMean: Float64Array; g: number } {
    const { n, m, K } = this
    const nT = train.length
    if (nT === 0) throw new Error('ridge: empty training set')
    // Mean of K(·, x_t) over t ∈ T for every row: needed for training and prediction rows alike.
    const rowMean = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      let s = 0
      const o = i * n
      for (const t of train) s += K[o + t]
      rowMean[i] = s / nT
    }
    let g = 0
    for (const t of train) g += rowMean[t]
    g /= nT
    const A = new Float64Array(nT * nT)
    for (let a = 0; a < nT; a++) {
      const ia = train[a]
      const o = ia * n
      for (let b = 0; b < nT; b++) {
        const ib = train[b]
        A[a * nT + b] = K[o + ib] - rowMean[ia] - rowMean[ib] + g
      }
      A[a * nT + a] += alpha
    }
    const my = new Float64Array(m)
    for (const t of train) for (let c = 0; c < m; c++) my[c] += this.Y.data[t * m + c]
    for (let c = 0; c < m; c++) my[c] /= nT
    const Yc = new Float64Array(nT * m)
    train.forEach((t, a) => {
      for (let c = 0; c < m; c++) Yc[a * m + c] = this.Y.data[t * m + c] - my[c]
    })
    let L: Float64Array
    try {
      L = cholesky(A, nT)
    } catch {
      throw new Error(`ridge: the centred kernel + αI is singular for α = ${alpha} (${nT} training rows); use α > 0`)
    }
    return { C: choleskySolve(L, nT, Yc, m), my, rowMean, g }
  }

  predict(train: number[], alpha: number, rows: number[], out: Float64Array): void {
    const { n, m, K } = this
    const { C, my, rowMean, g } = this.solve(train, alpha)
    for (const i of rows) {
      const o = i * n
      for (let c = 0; c < m; c++) out[i * m + c] = my[c]
      train.forEach((t, a) => {
        const k = K[o + t] - rowMean[i] - rowMean[t] + g
        for (let c = 0; c < m; c++) out[i * m + c] += k * C[a * m + c]
      })
    }
  }

  model(train: number[], alpha: number): RidgeModel {
    const { m } = this
    const { C, my } = this.solve(train, alpha)
    const p = this.X.cols
    const nT = train.length
    // W = X_Tcᵀ C with X_T centred on its own mean.
    const mx = new Float64Array(p)
    for (const t of train) for (let j = 0; j < p; j++) mx[j] += this.X.data[t * p + j]
    for (let j = 0; j < p; j++) mx[j] /= nT
    const W = new Float64Array(p * m)
    train.forEach((t, a) => {
      for (let j = 0; j < p; j++) {
        const v = this.X.data[t * p + j] - mx[j]
        for (let c = 0; c < m; c++) W[j * m + c] += v * C[a * m + c]
      }
    })
    const mu = this.originalMeans
    const intercept = new Float64Array(m)
    for (let c = 0; c < m; c++) {
      let s = my[c]
      for (let j = 0; j < p; j++) s -= W[j * m + c] * (mx[j] + mu[j])
      intercept[c] = s
    }
    return { coef: { data: W, rows: p, cols: m }, intercept, alpha, solver: 'dual' }
  }

  originalMeans = new Float64Array(0)
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
 * scale count equally. R² is computed on the pooled out-of-fold predictions.
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
  const members: number[][] = Array.from({ length: folds }, () => [])
  for (let i = 0; i < n; i++) {
    const f = foldOf[i]
    if (!(f >= 0 && f < folds)) throw new Error(`ridgeCrossValidate: foldOf[${i}] = ${f} is not in [0, ${folds})`)
    members[f].push(i)
  }
  if (members.some((r) => r.length === 0)) throw new Error(`ridgeCrossValidate: a fold is empty (${n} rows, ${folds} folds)`)
  const maxTrain = n - Math.min(...members.map((r) => r.length))
  const solver = chooseSolver(options.solver ?? 'auto', p, maxTrain)
  const Yd = toFloat64(Y).data
  const means = centreColumns(X).means
  const primal = solver === 'primal' ? new PrimalFitter(X, Y, foldOf, folds) : undefined
  const dual = solver === 'dual' ? new DualFitter(X, Y) : undefined
  if (primal) primal.originalMeans = means
  if (dual) dual.originalMeans = means
  const rowsOf = (fs: number[]) => fs.flatMap((f) => members[f])
  const predict = (trainFolds: number[], alpha: number, rows: number[], out: Float64Array) => {
    if (primal) primal.predict(trainFolds, alpha, rows, out)
    else dual!.predict(rowsOf(trainFolds), alpha, rows, out)
  }

  const chooseAlpha = (trainFolds: number[]): number => {
    if (alphas.length === 1) return alphas[0]
    const rows = rowsOf(trainFolds)
    const sst = new Float64Array(m)
    const mean = new Float64Array(m)
    for (const i of rows) for (let c = 0; c < m; c++) mean[c] += Yd[i * m + c]
    for (let c = 0; c < m; c++) mean[c] /= rows.length
    for (const i of rows) for (let c = 0; c < m; c++) sst[c] += (Yd[i * m + c] - mean[c]) ** 2
    const anyVar = sst.some((v) => v > 0)
    const pred = new Float64Array(n * m)
    let best = alphas[0]
    let bestScore = Infinity
    for (const alpha of alphas) {
      for (const g of trainFolds) {
        predict(
          trainFolds.filter((f) => f !== g),
          alpha,
          members[g],
          pred,
        )
      }
      let score = 0
      for (const i of rows) {
        for (let c = 0; c < m; c++) {
          const e = (Yd[i * m + c] - pred[i * m + c]) ** 2
          if (!anyVar) score += e
          else if (sst[c] > 0) score += e / sst[c]
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

  const allFolds = Array.from({ length: folds }, (_, f) => f)
  const oof = new Float64Array(n * m)
  const alphaPerFold: number[] = []
  for (let f = 0; f < folds; f++) {
    const train = allFolds.filter((g) => g !== f)
    const alpha = chooseAlpha(train)
    alphaPerFold.push(alpha)
    predict(train, alpha, members[f], oof)
  }
  const alpha = chooseAlpha(allFolds)
  const fitted = new Float64Array(n * m)
  const allRows = Array.from({ length: n }, (_, i) => i)
  if (primal) primal.predict(allFolds, alpha, allRows, fitted)
  else dual!.predict(allRows, alpha, allRows, fitted)

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
