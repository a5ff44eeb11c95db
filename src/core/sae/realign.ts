// "Topology re-alignment" of selected SAE features (METHODS.md §1.4 D, a [PROPOSAL]: the paper does
// not say what "reconstructing the topological relationships" means operationally).
//
// Given the selected features S, per-item codes z, the items' residual activations h and their
// ground-truth moral vectors g, fit a map M (|S|×|S|, starting at the identity) so that the edited
// representations
//     ĥ_i = h_i + (M z_i,S − z_i,S) · W_dec,S / activationScale
// have a representational geometry that matches the ground truth, while the edit stays small:
//     L(M) = Σ_{fit pairs} (RDM(ĥ)_ij − RDM(g)_ij)² / nPairs + λ · Σ_i ‖ĥ_i − h_i‖² / n.
// RDM(ĥ) is 1 − cosine between items after centring ĥ over all n items (the centring of the typicality
// diagnostics); RDM(g) is representationalDissimilarity(g, 'cosine') of stats/rsa.ts.
//
// Items whose moral vector is all zeros (neutral items) have no direction, so under the default
// target 'cosine' they are left out of the RDM loss (rsa.ts would give them similarity 0 with
// everything, themselves included). They still count in the centring and the edit penalty, and are
// edited at inference like every other item. Target 'centred-cosine' instead centres g over the RDM
// items, which keeps neutral items (they then share one direction, −mean g).
//
// Everything is computed in the |S|-dimensional coordinates of the edit: with hc = h − mean h,
// P = hc W_Sᵀ, Q = W_S W_Sᵀ, H = hc hcᵀ and A = centred (M − I) z_S, the Gram matrix of centred ĥ is
//     K = H + P Aᵀ + A Pᵀ + A Q Aᵀ,
// so a step costs O(m²·|S|) for m RDM items, independent of d_in. Gradients (checked by finite
// differences in tests/core/sae/realign.test.ts): with w_ij = ∂L/∂S_ij for a fit pair,
//     Ĝ_ij = w_ij / (2 r_i r_j),  Ĝ_ii = −Σ_j w_ij S_ij / (2 K_ii),  r_i = √K_ii,
//     ∂L/∂A = 2 Ĝ (P + A Q),   ḡ = (1/n) Σ_i ∂L/∂A_i,
//     ∂L/∂M = Σ_{i∈U} ∂L/∂A_i ⊗ z_i − ḡ ⊗ Σ_all z_j + (2λ/n) Q (M − I) Σ_all z_j z_jᵀ.

import { Rng } from '../random.ts'
import { multiplyABt, multiplyABtInto, type Matrix64 } from '../stats/linalg.ts'
import { representationalDissimilarity, rsa } from '../stats/rsa.ts'
import { MORAL_VECTOR_DIM } from '../stimuli/types.ts'
import { createYielder, type ProgressOptions } from './progress.ts'
import type { SaeModelConfig } from './types.ts'

/** What the edit needs from an SAE (a Sae satisfies it). */
export interface DecoderView {
  /** [d_sae, d_in]: row i is latent i's decoder direction (in scaled units, see activationScale). */
  decoder: Float32Array
  cfg: Pick<SaeModelConfig, 'dIn' | 'dSae' | 'activationScale'>
}

export interface RealignmentInput {
  /** Selected features S (indices into d_sae), e.g. selectMoralFeatures(...).map((m) => m.feature). */
  features: readonly number[]
  /** SAE codes per item [n, d_sae]: encode(sae, h). */
  z: Float32Array
  /** Residual activations per item [n, d_in] at the SAE's hook (raw units, the ones the edit is added to). */
  h: Float32Array
  sae: DecoderView
  /** Moral vector per item (MORAL_VECTOR_AXES order), or null / undefined when an item has none. */
  moralVectors: readonly (ArrayLike<number> | null | undefined)[]
}

export type RealignTarget = 'cosine' | 'centred-cosine'

export interface RealignmentOptions {
  /** Ground-truth RDM (default 'cosine', neutral items excluded from the RDM loss; see the header). */
  target?: RealignTarget
  /** Absolute λ; overrides lambdaRelative. */
  lambda?: number
  /** λ = lambdaRelative / mean_i ‖h_i − mean h‖², so the penalty is unit-free (default 1). */
  lambdaRelative?: number
  /** Adam step size on the entries of M (default 0.01). */
  learningRate?: number
  beta1?: number
  beta2?: number
  /** Most gradient steps (default 500). */
  maxSteps?: number
  /**
   * Stop after this many steps without a relative improvement of `tolerance` (default 100: the loss
   * often plateaus, or the validation loss rises for a few dozen steps, before it falls again).
   */
  patience?: number
  /** Relative improvement that counts (default 1e-4). */
  tolerance?: number
  /**
   * Share of the RDM items held out (default 0.2): their pairs are not fitted, early stopping and the
   * returned M follow their loss, and RSA is reported on them. 0 fits and monitors every pair.
   */
  validationFraction?: number
  /** At most this many RDM items (a seeded subset; default 500, null = all). */
  maxItems?: number | null
  /** Seed of the item subset and the validation split (default 0). */
  seed?: number
}

export interface RealignmentProblem {
  /** Items in total, selected features, activation width. */
  n: number
  s: number
  dIn: number
  features: number[]
  target: RealignTarget
  lambda: number
  /** mean_i ‖h_i − mean h‖² over all items. */
  meanSquaredCentredNorm: number
  /** RDM items U (indices into all items), in ascending order, and their role: 1 = fit, 2 = validation. */
  rsaItems: Int32Array
  role: Uint8Array
  /** Condensed (scipy order, over U) ground-truth dissimilarities and pair roles: 1 fit, 2 validation, 0 cross. */
  targetRdm: Float64Array
  pairRole: Uint8Array
  nFitPairs: number
  nValidationPairs: number
  /** Items without a moral vector, and (target 'cosine') with an all-zero one. */
  withoutVector: number
  zeroVector: number
  /** Precomputed float64 blocks (see the header): H m×m, P m×s, Q s×s, Zu m×s, zSum s, Zcov s×s. */
  H: Float64Array
  P: Float64Array
  Q: Float64Array
  Zu: Float64Array
  zSum: Float64Array
  Zcov: Float64Array
}

function checkFeatures(features: readonly number[], dSae: number, where: string): number[] {
  if (!Array.isArray(features) || features.length === 0) throw new Error(`${where}: features must be a non-empty array of feature indices`)
  const seen = new Set<number>()
  for (const f of features) {
    if (!Number.isInteger(f) || f < 0 || f >= dSae) throw new Error(`${where}: feature ${f} is not an index in [0, ${dSae})`)
    if (seen.has(f)) throw new Error(`${where}: feature ${f} is selected twice`)
    seen.add(f)
  }
  return [...features]
}

/** W_dec,S in raw activation units: [s, d_in] float64. */
function selectedDecoder(sae: DecoderView, features: readonly number[]): Float64Array {
  const { dIn, dSae, activationScale } = sae.cfg
  if (sae.decoder.length !== dSae * dIn) throw new Error(`realignment: decoder has ${sae.decoder.length} values, expected d_sae × d_in = ${dSae} × ${dIn}`)
  if (!(activationScale > 0)) throw new Error(`realignment: activationScale must be positive, got ${activationScale}`)
  const W = new Float64Array(features.length * dIn)
  features.forEach((f, a) => {
    for (let d = 0; d < dIn; d++) W[a * dIn + d] = sae.decoder[f * dIn + d] / activationScale
  })
  return W
}

export function prepareRealignment(input: RealignmentInput, options: RealignmentOptions = {}): RealignmentProblem {
  const where = 'realignment'
  const { sae, z, h, moralVectors } = input
  const { dIn, dSae } = sae.cfg
  const features = checkFeatures(input.features, dSae, where)
  const s = features.length
  const n = moralVectors.length
  if (n < 3) throw new Error(`${where}: need at least 3 items, got ${n}`)
  if (h.length !== n * dIn) throw new Error(`${where}: h has ${h.length} values, expected ${n} items × d_in ${dIn}`)
  if (z.length !== n * dSae) throw new Error(`${where}: z has ${z.length} values, expected ${n} items × d_sae ${dSae}`)
  const target = options.target ?? 'cosine'
  if (target !== 'cosine' && target !== 'centred-cosine') throw new Error(`${where}: target must be cosine | centred-cosine, got ${target}`)
  const seed = options.seed ?? 0
  const maxItems = options.maxItems === undefined ? 500 : options.maxItems
  const validationFraction = options.validationFraction ?? 0.2
  if (!(validationFraction >= 0 && validationFraction < 1)) throw new Error(`${where}: validationFraction must be in [0, 1), got ${validationFraction}`)

  // Items in the RDM loss.
  let withoutVector = 0
  let zeroVector = 0
  let eligible: number[] = []
  for (let i = 0; i < n; i++) {
    const g = moralVectors[i]
    if (g === null || g === undefined) {
      withoutVector++
      continue
    }
    if (g.length !== MORAL_VECTOR_DIM) throw new Error(`${where}: item ${i} moralVector has ${g.length} values, expected ${MORAL_VECTOR_DIM}`)
    let ss = 0
    for (let a = 0; a < MORAL_VECTOR_DIM; a++) {
      if (!Number.isFinite(g[a])) throw new Error(`${where}: item ${i} moralVector[${a}] is ${g[a]}, expected a finite number`)
      ss += g[a] * g[a]
    }
    if (ss === 0 && target === 'cosine') {
      zeroVector++
      continue
    }
    eligible.push(i)
  }
  const rng = new Rng(seed)
  if (maxItems !== null && eligible.length > maxItems) eligible = rng.shuffle(eligible.slice()).slice(0, maxItems).sort((a, b) => a - b)
  const m = eligible.length
  if (m < 4) throw new Error(`${where}: need at least 4 items with a usable moral vector, found ${m} (${withoutVector} without a vector, ${zeroVector} all-zero)`)
  const rsaItems = Int32Array.from(eligible)
  const role = new Uint8Array(m).fill(1)
  const nVal = Math.round(m * validationFraction)
  if (nVal >= 4 && m - nVal >= 4) for (const k of rng.shuffle(Array.from({ length: m }, (_, k) => k)).slice(0, nVal)) role[k] = 2

  // Ground truth over U.
  const G = new Float64Array(m * MORAL_VECTOR_DIM)
  eligible.forEach((i, k) => {
    for (let a = 0; a < MORAL_VECTOR_DIM; a++) G[k * MORAL_VECTOR_DIM + a] = moralVectors[i]![a]
  })
  if (target === 'centred-cosine') {
    for (let a = 0; a < MORAL_VECTOR_DIM; a++) {
      let mean = 0
      for (let k = 0; k < m; k++) mean += G[k * MORAL_VECTOR_DIM + a]
      mean /= m
      for (let k = 0; k < m; k++) G[k * MORAL_VECTOR_DIM + a] -= mean
    }
  }
  const targetRdm = representationalDissimilarity({ data: G, rows: m, cols: MORAL_VECTOR_DIM }, 'cosine')
  const pairRole = new Uint8Array(targetRdm.length)
  let nFitPairs = 0
  let nValidationPairs = 0
  for (let i = 0, p = 0; i < m; i++)
    for (let j = i + 1; j < m; j++, p++) {
      if (role[i] === role[j]) pairRole[p] = role[i]
      if (pairRole[p] === 1) nFitPairs++
      else if (pairRole[p] === 2) nValidationPairs++
    }
  if (nFitPairs === 0) throw new Error(`${where}: no pairs left to fit`)

  // Activations: centre over all items.
  const hMean = new Float64Array(dIn)
  for (let i = 0; i < n; i++) for (let d = 0; d < dIn; d++) hMean[d] += h[i * dIn + d]
  for (let d = 0; d < dIn; d++) hMean[d] /= n
  let sumSq = 0
  for (let i = 0; i < n; i++)
    for (let d = 0; d < dIn; d++) {
      const v = h[i * dIn + d] - hMean[d]
      if (!Number.isFinite(v)) throw new Error(`${where}: h of item ${i} has a non-finite value at ${d}`)
      sumSq += v * v
    }
  const meanSquaredCentredNorm = sumSq / n
  let lambda: number
  if (options.lambda !== undefined) lambda = options.lambda
  else {
    if (!(meanSquaredCentredNorm > 0)) throw new Error(`${where}: activations are identical for every item; give an absolute lambda`)
    lambda = (options.lambdaRelative ?? 1) / meanSquaredCentredNorm
  }
  if (!(lambda >= 0)) throw new Error(`${where}: lambda must be ≥ 0, got ${lambda}`)

  const hcU: Matrix64 = { data: new Float64Array(m * dIn), rows: m, cols: dIn }
  eligible.forEach((i, k) => {
    for (let d = 0; d < dIn; d++) hcU.data[k * dIn + d] = h[i * dIn + d] - hMean[d]
  })
  const W: Matrix64 = { data: selectedDecoder(sae, features), rows: s, cols: dIn }
  const H = multiplyABt(hcU, hcU).data
  const P = multiplyABt(hcU, W).data
  const Q = multiplyABt(W, W).data

  const Zu = new Float64Array(m * s)
  const zSum = new Float64Array(s)
  const Zcov = new Float64Array(s * s)
  const zi = new Float64Array(s)
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < s; a++) {
      const v = z[i * dSae + features[a]]
      if (!Number.isFinite(v)) throw new Error(`${where}: z of item ${i} feature ${features[a]} is ${v}`)
      zi[a] = v
      zSum[a] += v
    }
    for (let a = 0; a < s; a++) {
      if (zi[a] === 0) continue
      for (let b = 0; b < s; b++) Zcov[a * s + b] += zi[a] * zi[b]
    }
  }
  eligible.forEach((i, k) => {
    for (let a = 0; a < s; a++) Zu[k * s + a] = z[i * dSae + features[a]]
  })
  return {
    n,
    s,
    dIn,
    features,
    target,
    lambda,
    meanSquaredCentredNorm,
    rsaItems,
    role,
    targetRdm,
    pairRole,
    nFitPairs,
    nValidationPairs,
    withoutVector,
    zeroVector,
    H,
    P,
    Q,
    Zu,
    zSum,
    Zcov,
  }
}

export interface RealignmentLoss {
  /** Fit RDM loss + λ · edit. */
  loss: number
  /** Σ over fit pairs (RDM(ĥ) − RDM(g))² / nFitPairs. */
  rsaLoss: number
  /** The same over validation pairs (NaN without a validation split). */
  validationRsaLoss: number
  /** λ · mean_i ‖ĥ_i − h_i‖². */
  editLoss: number
  /** mean_i ‖ĥ_i − h_i‖² over all items. */
  editMeanSquared: number
  /** Condensed cosine similarities of centred ĥ over the RDM items (RDM = 1 − these). */
  similarity: Float64Array
}

/** Loss at M (row-major s×s: (M z)_a = Σ_b M[a·s + b] z_b); fills `gradient` (s×s) when given. */
export function realignmentLoss(p: RealignmentProblem, M: ArrayLike<number>, gradient?: Float64Array): RealignmentLoss {
  const { s, n } = p
  const m = p.rsaItems.length
  if (M.length !== s * s) throw new Error(`realignment: M has ${M.length} values, expected ${s}×${s}`)
  const Mm = Float64Array.from(M)
  for (let a = 0; a < s; a++) Mm[a * s + a] -= 1
  // A = centred (M − I) z over U; the mean runs over all items.
  const dbar = new Float64Array(s)
  for (let a = 0; a < s; a++) {
    let v = 0
    for (let b = 0; b < s; b++) v += Mm[a * s + b] * p.zSum[b]
    dbar[a] = v / n
  }
  const A = new Float64Array(m * s)
  for (let i = 0; i < m; i++)
    for (let a = 0; a < s; a++) {
      let v = 0
      for (let b = 0; b < s; b++) v += Mm[a * s + b] * p.Zu[i * s + b]
      A[i * s + a] = v - dbar[a]
    }
  const AQ = new Float64Array(m * s)
  for (let i = 0; i < m; i++)
    for (let b = 0; b < s; b++) {
      const v = A[i * s + b]
      if (v === 0) continue
      for (let a = 0; a < s; a++) AQ[i * s + a] += v * p.Q[b * s + a]
    }
  // K = H + B Aᵀ + A Bᵀ with B = P + AQ/2.
  const B = new Float64Array(m * s)
  for (let t = 0; t < m * s; t++) B[t] = p.P[t] + 0.5 * AQ[t]
  const K = new Float64Array(m * m)
  multiplyABtInto({ data: B, rows: m, cols: s }, { data: A, rows: m, cols: s }, K)
  for (let i = 0; i < m; i++)
    for (let j = i; j < m; j++) {
      const v = p.H[i * m + j] + K[i * m + j] + K[j * m + i]
      K[i * m + j] = v
      K[j * m + i] = v
    }
  const r = new Float64Array(m)
  for (let i = 0; i < m; i++) r[i] = K[i * m + i] > 0 ? Math.sqrt(K[i * m + i]) : 0
  const similarity = new Float64Array(p.targetRdm.length)
  let fit = 0
  let val = 0
  for (let i = 0, q = 0; i < m; i++)
    for (let j = i + 1; j < m; j++, q++) {
      const rr = r[i] * r[j]
      const S = rr > 0 ? K[i * m + j] / rr : 0
      similarity[q] = S
      const e = 1 - S - p.targetRdm[q]
      if (p.pairRole[q] === 1) fit += e * e
      else if (p.pairRole[q] === 2) val += e * e
    }
  const rsaLoss = fit / p.nFitPairs
  const validationRsaLoss = p.nValidationPairs > 0 ? val / p.nValidationPairs : NaN
  // Edit: tr((M−I)ᵀ Q (M−I) Zcov) / n.
  const QMm = new Float64Array(s * s)
  for (let a = 0; a < s; a++)
    for (let c = 0; c < s; c++) {
      const q = p.Q[a * s + c]
      if (q === 0) continue
      for (let b = 0; b < s; b++) QMm[a * s + b] += q * Mm[c * s + b]
    }
  let trace = 0
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) trace += Mm[a * s + b] * dotRowCol(QMm, p.Zcov, a, b, s)
  const editMeanSquared = trace / n
  const editLoss = p.lambda * editMeanSquared
  if (gradient) {
    if (gradient.length !== s * s) throw new Error(`realignment: gradient buffer has ${gradient.length} values, expected ${s * s}`)
    const Gh = new Float64Array(m * m)
    for (let i = 0, q = 0; i < m; i++)
      for (let j = i + 1; j < m; j++, q++) {
        if (p.pairRole[q] !== 1) continue
        const rr = r[i] * r[j]
        if (!(rr > 0)) continue
        const S = similarity[q]
        const w = (-2 * (1 - S - p.targetRdm[q])) / p.nFitPairs
        const off = w / (2 * rr)
        Gh[i * m + j] += off
        Gh[j * m + i] += off
        Gh[i * m + i] -= (w * S) / (2 * K[i * m + i])
        Gh[j * m + j] -= (w * S) / (2 * K[j * m + j])
      }
    // dA = 2 Ĝ (P + A Q), as Ĝ · ((P + AQ)ᵀ)ᵀ through the blocked A·Bᵀ kernel.
    const Vt = new Float64Array(s * m)
    for (let i = 0; i < m; i++) for (let a = 0; a < s; a++) Vt[a * m + i] = 2 * (p.P[i * s + a] + AQ[i * s + a])
    const dA = new Float64Array(m * s)
    multiplyABtInto({ data: Gh, rows: m, cols: m }, { data: Vt, rows: s, cols: m }, dA)
    const gbar = new Float64Array(s)
    for (let i = 0; i < m; i++) for (let a = 0; a < s; a++) gbar[a] += dA[i * s + a]
    for (let a = 0; a < s; a++) gbar[a] /= n
    gradient.fill(0)
    for (let i = 0; i < m; i++)
      for (let a = 0; a < s; a++) {
        const g = dA[i * s + a]
        if (g === 0) continue
        for (let b = 0; b < s; b++) gradient[a * s + b] += g * p.Zu[i * s + b]
      }
    const c = (2 * p.lambda) / n
    for (let a = 0; a < s; a++)
      for (let b = 0; b < s; b++) gradient[a * s + b] += -gbar[a] * p.zSum[b] + c * dotRowCol(QMm, p.Zcov, a, b, s)
  }
  return { loss: rsaLoss + editLoss, rsaLoss, validationRsaLoss, editLoss, editMeanSquared, similarity }
}

/** (X · Y)[a, b] for row-major s×s X and Y. */
function dotRowCol(X: Float64Array, Y: Float64Array, a: number, b: number, s: number): number {
  let v = 0
  for (let c = 0; c < s; c++) v += X[a * s + c] * Y[c * s + b]
  return v
}

export interface RsaBeforeAfter {
  /** Spearman ρ between RDM(ĥ) and RDM(g) over the pairs (rsa.ts rsa()); null when undefined. */
  before: number | null
  after: number | null
  pairs: number
}

export interface RealignmentResult {
  features: number[]
  /** The fitted map, row-major s×s: (M z)_a = Σ_b M[a·s + b] z_b. */
  M: Float64Array
  target: RealignTarget
  lambda: number
  /** Gradient steps taken, the step whose M is returned (0 = the identity), and whether patience ran out. */
  steps: number
  bestStep: number
  stoppedEarly: boolean
  /** Per evaluated M (index = step, 0 = identity). validationRsaLoss is empty without a validation split. */
  history: { loss: number[]; rsaLoss: number[]; editLoss: number[]; validationRsaLoss: number[] }
  rsa: { fit: RsaBeforeAfter; validation: RsaBeforeAfter | null; all: RsaBeforeAfter }
  /** Fit-pair RDM loss at the identity and at M. */
  rdmLoss: { before: number; after: number }
  editNorm: {
    /** mean_i ‖ĥ_i − h_i‖² over all items. */
    meanSquared: number
    rms: number
    /** rms / √(mean_i ‖h_i − mean h‖²): the edit relative to the spread of the activations. */
    relativeRms: number
  }
  items: { n: number; rsaItems: number[]; fit: number[]; validation: number[]; withoutVector: number; zeroVector: number }
  notes: string[]
}

function rsaOver(similarity: Float64Array, target: Float64Array, keep: (q: number) => boolean): { rho: number | null; pairs: number } {
  const a: number[] = []
  const b: number[] = []
  for (let q = 0; q < similarity.length; q++)
    if (keep(q)) {
      a.push(Math.min(2, Math.max(0, 1 - similarity[q])))
      b.push(target[q])
    }
  if (a.length < 3) return { rho: null, pairs: a.length }
  const rho = rsa(a, b)
  return { rho: Number.isFinite(rho) ? rho : null, pairs: a.length }
}

/**
 * Fits M with Adam on the analytic gradient, from the identity, with early stopping on the
 * validation loss (or the training loss without a validation split). Deterministic for a seed.
 * Progress is reported in steps.
 */
export async function fitRealignment(
  input: RealignmentInput,
  options: RealignmentOptions & ProgressOptions = {},
): Promise<RealignmentResult> {
  const p = prepareRealignment(input, options)
  const { s } = p
  const lr = options.learningRate ?? 0.01
  const beta1 = options.beta1 ?? 0.9
  const beta2 = options.beta2 ?? 0.999
  const maxSteps = options.maxSteps ?? 500
  const patience = options.patience ?? 100
  const tolerance = options.tolerance ?? 1e-4
  if (!(lr > 0)) throw new Error(`realignment: learningRate must be positive, got ${lr}`)
  if (!(Number.isInteger(maxSteps) && maxSteps >= 0)) throw new Error(`realignment: maxSteps must be an integer ≥ 0, got ${maxSteps}`)
  if (!(Number.isInteger(patience) && patience >= 1)) throw new Error(`realignment: patience must be a positive integer, got ${patience}`)
  const maybeYield = createYielder(options)
  const M = new Float64Array(s * s)
  for (let a = 0; a < s; a++) M[a * s + a] = 1
  const grad = new Float64Array(s * s)
  const mom = new Float64Array(s * s)
  const vel = new Float64Array(s * s)
  const history = { loss: [] as number[], rsaLoss: [] as number[], editLoss: [] as number[], validationRsaLoss: [] as number[] }
  const hasValidation = p.nValidationPairs > 0
  const monitored = (l: RealignmentLoss) => (hasValidation ? l.validationRsaLoss + l.editLoss : l.loss)
  let best = Infinity
  let bestStep = 0
  let bestM = Float64Array.from(M)
  let since = 0
  let stoppedEarly = false
  let steps = 0
  let first: RealignmentLoss | undefined
  options.onProgress?.(0, maxSteps)
  for (let step = 0; ; step++) {
    await maybeYield()
    const l = realignmentLoss(p, M, grad)
    first ??= l
    history.loss.push(l.loss)
    history.rsaLoss.push(l.rsaLoss)
    history.editLoss.push(l.editLoss)
    if (hasValidation) history.validationRsaLoss.push(l.validationRsaLoss)
    const v = monitored(l)
    if (!Number.isFinite(v)) throw new Error(`realignment: the loss became ${v} at step ${step}; lower the learning rate`)
    if (v < best - tolerance * Math.abs(best) || step === 0) {
      best = v
      bestStep = step
      bestM = Float64Array.from(M)
      since = 0
    } else if (++since >= patience) {
      stoppedEarly = true
      break
    }
    if (step === maxSteps) break
    const t = step + 1
    const c1 = 1 - beta1 ** t
    const c2 = 1 - beta2 ** t
    for (let k = 0; k < s * s; k++) {
      mom[k] = beta1 * mom[k] + (1 - beta1) * grad[k]
      vel[k] = beta2 * vel[k] + (1 - beta2) * grad[k] * grad[k]
      M[k] -= (lr * (mom[k] / c1)) / (Math.sqrt(vel[k] / c2) + 1e-8)
    }
    steps = t
    options.onProgress?.(t, maxSteps)
  }
  const last = realignmentLoss(p, bestM)
  const before = first!
  const isFit = (q: number) => p.pairRole[q] === 1
  const isVal = (q: number) => p.pairRole[q] === 2
  const all = () => true
  const pair = (keep: (q: number) => boolean): RsaBeforeAfter => {
    const b = rsaOver(before.similarity, p.targetRdm, keep)
    const a = rsaOver(last.similarity, p.targetRdm, keep)
    return { before: b.rho, after: a.rho, pairs: a.pairs }
  }
  const idx = (r: number) => Array.from(p.rsaItems).filter((_, k) => p.role[k] === r)
  return {
    features: p.features,
    M: bestM,
    target: p.target,
    lambda: p.lambda,
    steps,
    bestStep,
    stoppedEarly,
    history,
    rsa: { fit: pair(isFit), validation: hasValidation ? pair(isVal) : null, all: pair(all) },
    rdmLoss: { before: before.rsaLoss, after: last.rsaLoss },
    editNorm: {
      meanSquared: last.editMeanSquared,
      rms: Math.sqrt(last.editMeanSquared),
      relativeRms: p.meanSquaredCentredNorm > 0 ? Math.sqrt(last.editMeanSquared / p.meanSquaredCentredNorm) : NaN,
    },
    items: { n: p.n, rsaItems: Array.from(p.rsaItems), fit: idx(1), validation: idx(2), withoutVector: p.withoutVector, zeroVector: p.zeroVector },
    notes: [
      'METHODS.md §1.4 D [PROPOSAL]: ĥ = h + (M z_S − z_S)·W_dec,S / activationScale, M fitted from the identity.',
      `RDM(ĥ): 1 − cosine of ĥ centred over all ${p.n} items; RDM(g): 1 − cosine of the moral vectors` +
        (p.target === 'cosine' ? `, items with an all-zero vector (${p.zeroVector}) left out of the loss.` : ' centred over the RDM items.'),
      'RSA: Spearman ρ between the upper triangles of RDM(ĥ) and RDM(g) (stats/rsa.ts rsa()).',
      hasValidation
        ? `Validation: ${idx(2).length} items held out (seeded); M is the one with the lowest validation loss.`
        : 'No validation split: M is the one with the lowest training loss.',
    ],
  }
}

/**
 * The residual-stream edit W_dec,S (M z_S − z_S) / activationScale for every row of z [rows, d_sae]
 * (items, or every token position for the forward-pass hook, which adds a per-position delta).
 * Returns [rows, d_in].
 */
export function applyEdit(M: ArrayLike<number>, features: readonly number[], sae: DecoderView, z: Float32Array): Float32Array {
  const { dIn, dSae, activationScale } = sae.cfg
  const S = checkFeatures(features, dSae, 'applyEdit')
  const s = S.length
  if (M.length !== s * s) throw new Error(`applyEdit: M has ${M.length} values, expected ${s}×${s} for ${s} features`)
  if (z.length % dSae !== 0) throw new Error(`applyEdit: z has ${z.length} values, not a whole number of rows of d_sae=${dSae}`)
  if (sae.decoder.length !== dSae * dIn) throw new Error(`applyEdit: decoder has ${sae.decoder.length} values, expected ${dSae}×${dIn}`)
  const rows = z.length / dSae
  const out = new Float32Array(rows * dIn)
  const u = new Float64Array(s)
  const acc = new Float64Array(dIn)
  for (let r = 0; r < rows; r++) {
    let any = false
    for (let a = 0; a < s; a++) {
      let v = -z[r * dSae + S[a]]
      for (let b = 0; b < s; b++) v += M[a * s + b] * z[r * dSae + S[b]]
      u[a] = v / activationScale
      if (v !== 0) any = true
    }
    if (!any) continue
    acc.fill(0)
    for (let a = 0; a < s; a++) {
      const v = u[a]
      if (v === 0) continue
      const o = S[a] * dIn
      for (let d = 0; d < dIn; d++) acc[d] += v * sae.decoder[o + d]
    }
    for (let d = 0; d < dIn; d++) out[r * dIn + d] = acc[d]
  }
  return out
}
