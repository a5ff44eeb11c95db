// SAELens-style evaluation of an SAE (sae_lens/evals.py, decoderesearch/SAELens@191d44eb):
//
// - Downstream (get_recons_loss, get_downstream_reconstruction_metrics, _kl): the model is run three
//   times per text: unchanged, with the SAE reconstruction spliced in at the hook, and with the hook's
//   activation zero-ablated. From the logits:
//     CE at position t = −log softmax(logits_t)[token_{t+1}] (every position but the last),
//     KL at position t = Σ_v p_orig(v) (log p_orig(v) − log p_new(v)) = KL(original ‖ new) (every position),
//     means pool all positions of all texts (torch.cat(...).mean()),
//     ce_loss_score = (CE_ablation − CE_sae) / (CE_ablation − CE_original),
//     kl_div_score  = (KL_ablation − KL_sae) / KL_ablation.
//   Ignored token ids (SAELens: special tokens) drop the positions whose *input* token is one of them,
//   for CE and KL alike (SAELens masks mask[:, :-1] for CE); SAELens also leaves those positions
//   unspliced (torch.where(mask, sae_out, x)), which is up to the caller's forward pass.
// - Reconstruction (get_sparsity_and_variance_metrics): explained variance, L0, L1, MSE, cosine
//   similarity, L2 ratio and feature density over an evaluation set, through metrics.ts.

import { explainedVarianceFromErrors, featureDensity, type FeatureDensity } from './metrics.ts'
import { decode, encode, validateSae } from './model.ts'
import { createYielder, type ProgressOptions } from './progress.ts'
import type { Sae } from './types.ts'

export interface SpliceLogits {
  /** Token ids of the texts, concatenated; text i spans offsets[i]..offsets[i+1]. */
  tokenIds: ArrayLike<number>
  offsets: ArrayLike<number>
  vocabSize: number
  /** [positions, vocab] logits of the unchanged model. */
  original: Float32Array
  /** [positions, vocab] logits with the SAE reconstruction spliced in at the hook. */
  spliced: Float32Array
  /** [positions, vocab] logits with the hook's activation set to zero. */
  ablated: Float32Array
}

export interface SpliceEvalOptions {
  /** Token ids whose positions are left out (e.g. BOS / padding), as SAELens' ignore_tokens. */
  ignoreTokenIds?: Iterable<number>
  /** Keep per-position values (default true). */
  keepPerToken?: boolean
}

export interface SpliceEvaluation {
  /** Positions that entered the CE means (all but each text's last) and the KL means. */
  ceTokens: number
  klTokens: number
  /** Mean next-token cross-entropy (nats) per run (SAELens ce_loss_without_sae / _with_sae / _with_ablation). */
  ceOriginal: number
  ceSpliced: number
  ceAblated: number
  /** ceSpliced − ceOriginal: the CE increase from splicing the SAE in. */
  ceIncrease: number
  /** ceAblated − ceOriginal. */
  ceIncreaseAblated: number
  /** Mean KL(original ‖ run) in nats (SAELens kl_div_with_sae / kl_div_with_ablation). */
  klSpliced: number
  klAblated: number
  /** (CE_ablated − CE_spliced) / (CE_ablated − CE_original): 1 = as good as the model, 0 = as bad as ablation. */
  ceLossScore: number
  /** (KL_ablated − KL_spliced) / KL_ablated. */
  klDivScore: number
  /**
   * Per position (when keepPerToken): ceRows / klRows give each value's global token row (counted
   * across batches); ce* and kl* are parallel to them.
   */
  perToken?: {
    ceRows: Int32Array
    ceOriginal: Float32Array
    ceSpliced: Float32Array
    ceAblated: Float32Array
    klRows: Int32Array
    klSpliced: Float32Array
    klAblated: Float32Array
  }
}

/** log Σ exp(x) over one row, in float64. */
function logSumExp(x: Float32Array, o: number, V: number): number {
  let max = -Infinity
  for (let v = 0; v < V; v++) if (x[o + v] > max) max = x[o + v]
  if (max === -Infinity) return -Infinity
  let s = 0
  for (let v = 0; v < V; v++) s += Math.exp(x[o + v] - max)
  return max + Math.log(s)
}

/** KL(softmax(p) ‖ softmax(q)) for rows at offset o, given their log-normalisers. */
function klRow(p: Float32Array, q: Float32Array, o: number, V: number, lseP: number, lseQ: number): number {
  let kl = 0
  for (let v = 0; v < V; v++) {
    const lp = p[o + v] - lseP
    const prob = Math.exp(lp)
    if (prob === 0) continue
    kl += prob * (lp - (q[o + v] - lseQ))
  }
  return kl
}

/** Streaming accumulator: add batches of texts, then finish(). */
export class SpliceEvaluator {
  private readonly ignore: Set<number>
  private readonly keep: boolean
  private rows = 0
  private ce = [0, 0, 0]
  private ceN = 0
  private kl = [0, 0]
  private klN = 0
  private readonly per = {
    ceRows: [] as number[],
    ceOriginal: [] as number[],
    ceSpliced: [] as number[],
    ceAblated: [] as number[],
    klRows: [] as number[],
    klSpliced: [] as number[],
    klAblated: [] as number[],
  }

  constructor(options: SpliceEvalOptions = {}) {
    this.ignore = new Set(options.ignoreTokenIds ?? [])
    this.keep = options.keepPerToken ?? true
  }

  add(batch: SpliceLogits): void {
    const { tokenIds, offsets, vocabSize: V } = batch
    const where = 'splice evaluation'
    if (!Number.isInteger(V) || V < 1) throw new Error(`${where}: vocabSize must be a positive integer, got ${V}`)
    const positions = tokenIds.length
    for (const name of ['original', 'spliced', 'ablated'] as const)
      if (batch[name].length !== positions * V)
        throw new Error(`${where}: ${name} logits have ${batch[name].length} values, expected ${positions} positions × vocab ${V}`)
    const nTexts = offsets.length - 1
    if (nTexts < 0 || offsets[0] !== 0 || offsets[nTexts] !== positions)
      throw new Error(`${where}: offsets must start at 0 and end at the ${positions} token ids`)
    const runs = [batch.original, batch.spliced, batch.ablated]
    const lse = [0, 0, 0]
    for (let i = 0; i < nTexts; i++) {
      const start = offsets[i]
      const end = offsets[i + 1]
      if (!(end >= start)) throw new Error(`${where}: offsets[${i + 1}] = ${end} is below offsets[${i}] = ${start}`)
      for (let t = start; t < end; t++) {
        const tok = tokenIds[t]
        if (this.ignore.has(tok)) continue
        const o = t * V
        for (let r = 0; r < 3; r++) {
          lse[r] = logSumExp(runs[r], o, V)
          if (!Number.isFinite(lse[r])) throw new Error(`${where}: text ${i} position ${t - start}: non-finite logits in the ${['original', 'spliced', 'ablated'][r]} run`)
        }
        const klS = klRow(batch.original, batch.spliced, o, V, lse[0], lse[1])
        const klA = klRow(batch.original, batch.ablated, o, V, lse[0], lse[2])
        this.kl[0] += klS
        this.kl[1] += klA
        this.klN++
        if (this.keep) {
          this.per.klRows.push(this.rows + t)
          this.per.klSpliced.push(klS)
          this.per.klAblated.push(klA)
        }
        if (t + 1 < end) {
          const target = tokenIds[t + 1]
          if (!(Number.isInteger(target) && target >= 0 && target < V))
            throw new Error(`${where}: text ${i} position ${t + 1 - start}: token id ${target} outside the vocabulary [0, ${V})`)
          const ce = runs.map((x, r) => lse[r] - x[o + target])
          for (let r = 0; r < 3; r++) this.ce[r] += ce[r]
          this.ceN++
          if (this.keep) {
            this.per.ceRows.push(this.rows + t)
            this.per.ceOriginal.push(ce[0])
            this.per.ceSpliced.push(ce[1])
            this.per.ceAblated.push(ce[2])
          }
        }
      }
    }
    this.rows += positions
  }

  finish(): SpliceEvaluation {
    const [co, cs, ca] = this.ce.map((v) => (this.ceN > 0 ? v / this.ceN : NaN))
    const [ks, ka] = this.kl.map((v) => (this.klN > 0 ? v / this.klN : NaN))
    const out: SpliceEvaluation = {
      ceTokens: this.ceN,
      klTokens: this.klN,
      ceOriginal: co,
      ceSpliced: cs,
      ceAblated: ca,
      ceIncrease: cs - co,
      ceIncreaseAblated: ca - co,
      klSpliced: ks,
      klAblated: ka,
      ceLossScore: (ca - cs) / (ca - co),
      klDivScore: (ka - ks) / ka,
    }
    if (this.keep) {
      const p = this.per
      out.perToken = {
        ceRows: Int32Array.from(p.ceRows),
        ceOriginal: Float32Array.from(p.ceOriginal),
        ceSpliced: Float32Array.from(p.ceSpliced),
        ceAblated: Float32Array.from(p.ceAblated),
        klRows: Int32Array.from(p.klRows),
        klSpliced: Float32Array.from(p.klSpliced),
        klAblated: Float32Array.from(p.klAblated),
      }
    }
    return out
  }
}

/** Downstream metrics over one or more batches of logits. */
export function evaluateSplice(batches: SpliceLogits | readonly SpliceLogits[], options: SpliceEvalOptions = {}): SpliceEvaluation {
  const ev = new SpliceEvaluator(options)
  for (const b of Array.isArray(batches) ? batches : [batches as SpliceLogits]) ev.add(b)
  return ev.finish()
}

export interface ReconstructionOptions extends ProgressOptions {
  /** Latents firing on more than this fraction of tokens count as dense (default 0.1, as training). */
  denseThreshold?: number
}

export interface ReconstructionEvaluation {
  tokens: number
  /** SAELens explained_variance: 1 − E‖x − x̂‖² / (E‖x‖² − ‖E x‖²) over the whole set. */
  explainedVariance: number
  /** SAELens explained_variance_legacy with the whole set as one batch. */
  explainedVarianceLegacy: number
  /** Mean over tokens of ‖x − x̂‖² (sum over dimensions), raw units. */
  mse: number
  /** Mean cosine(x, x̂) over tokens where both are non-zero. */
  cossim: number
  /** Mean ‖x̂‖ / ‖x‖ (‖x‖ < 1e-4 divides by 1, as SAELens). */
  l2Ratio: number
  /** Mean active latents per token (SAELens l0: count of z ≠ 0). */
  l0: number
  /** Mean Σ|z| per token, in the SAE's (normalised) units. */
  l1: number
  density: FeatureDensity
  /** Latents that never fired on the set, and those above denseThreshold. */
  deadFraction: number
  denseFraction: number
}

const CHUNK_ROWS = 256

/**
 * Reconstruction metrics of an SAE on activations x [rows, d_in] (raw units), encoded and decoded in
 * chunks. Explained variance and density come from metrics.ts. Progress is reported in tokens.
 */
export async function evaluateSaeReconstruction(sae: Sae, x: Float32Array, options: ReconstructionOptions = {}): Promise<ReconstructionEvaluation> {
  validateSae(sae)
  const { dIn, dSae } = sae.cfg
  if (x.length % dIn !== 0) throw new Error(`SAE evaluation: activations have ${x.length} values, not a whole number of rows of d_in=${dIn}`)
  const rows = x.length / dIn
  if (rows === 0) throw new Error('SAE evaluation: no activation rows')
  const rowSq = new Float64Array(rows)
  const firing = new Float64Array(dSae)
  let l0 = 0
  let l1 = 0
  let cos = 0
  let cosN = 0
  let ratio = 0
  const maybeYield = createYielder(options)
  options.onProgress?.(0, rows)
  for (let r0 = 0; r0 < rows; r0 += CHUNK_ROWS) {
    await maybeYield()
    const r1 = Math.min(rows, r0 + CHUNK_ROWS)
    const xs = x.subarray(r0 * dIn, r1 * dIn)
    const z = encode(sae, xs)
    const xh = decode(sae, z)
    for (let t = 0; t < r1 - r0; t++) {
      for (let f = 0; f < dSae; f++) {
        const v = z[t * dSae + f]
        if (v !== 0) {
          firing[f]++
          l0++
          l1 += Math.abs(v)
        }
      }
      let err = 0
      let xx = 0
      let hh = 0
      let xhDot = 0
      for (let d = 0; d < dIn; d++) {
        const a = xs[t * dIn + d]
        const b = xh[t * dIn + d]
        err += (a - b) * (a - b)
        xx += a * a
        hh += b * b
        xhDot += a * b
      }
      rowSq[r0 + t] = err
      if (xx > 0 && hh > 0) {
        cos += xhDot / Math.sqrt(xx * hh)
        cosN++
      }
      const nx = Math.sqrt(xx)
      ratio += Math.sqrt(hh) / (nx < 1e-4 ? 1 : nx)
    }
    options.onProgress?.(r1, rows)
  }
  const ev = explainedVarianceFromErrors(rowSq, x, rows, dIn)
  const density = featureDensity(firing, rows, options.denseThreshold ?? 0.1)
  let mse = 0
  for (let t = 0; t < rows; t++) mse += rowSq[t]
  return {
    tokens: rows,
    explainedVariance: ev.explainedVariance,
    explainedVarianceLegacy: ev.explainedVarianceLegacy,
    mse: mse / rows,
    cossim: cosN > 0 ? cos / cosN : NaN,
    l2Ratio: ratio / rows,
    l0: l0 / rows,
    l1: l1 / rows,
    density,
    deadFraction: density.silentFraction,
    denseFraction: density.denseFraction,
  }
}
