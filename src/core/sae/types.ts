// Shapes, configuration and defaults of the sparse autoencoders trained and loaded by the lab.
//
// Layout: `encoder` and `decoder` are both [d_sae, d_in], row i belonging to latent i, so the
// sparse kernels read and write whole contiguous rows. SAELens stores W_enc as [d_in, d_sae]
// (the transpose of `encoder`) and W_dec as [d_sae, d_in] (same as `decoder`); saelens.ts converts.

export type SaeArchitecture = 'topk' | 'standard' | 'jumprelu'

/** Everything needed to run a trained SAE (inference); what cfg.json describes. */
export interface SaeModelConfig {
  dIn: number
  dSae: number
  /** 'topk': TopK then ReLU; 'standard': ReLU; 'jumprelu': z = pre·[pre > threshold] (loaded only). */
  architecture: SaeArchitecture
  /** Active latents per token for 'topk'. */
  k?: number
  /** Subtract b_dec from the (scaled) input before encoding (SAELens `apply_b_dec_to_input`). */
  applyBDecToInput: boolean
  /**
   * Multiplies raw activations before encoding; reconstructions are divided by it (SAELens
   * `expected_average_only_in`: sqrt(d_in) / mean ‖x‖). 1 when activations are not normalised.
   */
  activationScale: number
  hookName?: string
  hookLayer?: number
  modelName?: string
}

export interface Sae {
  cfg: SaeModelConfig
  /** [d_sae, d_in]: row i is latent i's encoder direction. */
  encoder: Float32Array
  /** [d_sae] */
  bEnc: Float32Array
  /** [d_sae, d_in]: row i is latent i's decoder direction. */
  decoder: Float32Array
  /** [d_in] */
  bDec: Float32Array
  /** [d_sae], 'jumprelu' only. */
  threshold?: Float32Array
}

/** Training hyper-parameters. Defaults follow SAELens scaled to a browser tab (see DEFAULT_TRAIN_CONFIG). */
export interface SaeTrainConfig {
  architecture: 'topk' | 'standard'
  /** d_sae = expansionFactor · d_in unless dSae is given. */
  expansionFactor: number
  dSae?: number
  k: number
  batchSize: number
  steps: number
  lr: number
  /** Linear warm-up from 0 over this many steps (SAELens lr_warm_up_steps). */
  lrWarmUpSteps: number
  /** Linear decay to lrEnd over the last this-many steps (SAELens lr_decay_steps). */
  lrDecaySteps: number
  /** Defaults to lr / 10 like SAELens. */
  lrEnd?: number
  adamBeta1: number
  adamBeta2: number
  adamEps: number
  /** Global gradient-norm clip applied before Adam (SAELens clips to 1.0); 0 disables. */
  gradClipNorm: number
  /** AuxK loss coefficient (SAELens aux_loss_coefficient). */
  auxLossCoefficient: number
  /** Dead latents used by AuxK; SAELens uses d_in // 2. */
  kAux?: number
  /** L1 coefficient for 'standard' (SAELens l1_coefficient). */
  l1Coefficient: number
  /** A latent is dead once it has not fired for more than this many steps (batches). */
  deadFeatureWindow: number
  /** Steps over which firing frequencies are accumulated before they are reset. */
  featureSamplingWindow: number
  /** Latents firing on more than this fraction of tokens count as dense. */
  denseThreshold: number
  normalizeActivations: 'expected_average_only_in' | 'none'
  /** Tokens sampled to estimate the normalisation scale. */
  normEstimateTokens: number
  bDecInit: 'geometric_median' | 'mean' | 'zeros'
  /** Tokens sampled for the b_dec initialisation. */
  bDecInitTokens: number
  /** SAELens decoder_init_norm; see createSae for where it goes when the decoder is unit-norm. */
  decoderInitNorm: number
  /** Keep decoder rows at unit norm (project the gradient, renormalise after each step). */
  normalizeDecoder: boolean
  seed: number
  /** Metrics are reported through onStep every this many steps (and on the last step). */
  logEvery: number
  hookName?: string
  hookLayer?: number
  modelName?: string
}

export const DEFAULT_TRAIN_CONFIG: SaeTrainConfig = {
  architecture: 'topk',
  expansionFactor: 8,
  k: 32,
  batchSize: 1024,
  steps: 2000,
  lr: 3e-4,
  lrWarmUpSteps: 0,
  lrDecaySteps: 0,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEps: 1e-8,
  gradClipNorm: 1,
  auxLossCoefficient: 1,
  l1Coefficient: 1,
  // SAELens: 1000 steps of 4096 tokens. A browser run is ~2000 steps of 1024, so the window is
  // shortened to stay a small fraction of the run.
  deadFeatureWindow: 250,
  featureSamplingWindow: 500,
  denseThreshold: 0.1,
  normalizeActivations: 'expected_average_only_in',
  normEstimateTokens: 65536,
  bDecInit: 'geometric_median',
  bDecInitTokens: 4096,
  decoderInitNorm: 0.1,
  normalizeDecoder: true,
  seed: 0,
  logEvery: 10,
}

export function resolveTrainConfig(dIn: number, partial: Partial<SaeTrainConfig> = {}): SaeTrainConfig & { dSae: number; kAux: number; lrEnd: number } {
  const cfg = { ...DEFAULT_TRAIN_CONFIG, ...partial }
  // SAELens' standard SAE has no decoder constraint (the L1 term is weighted by decoder norms).
  if (partial.normalizeDecoder === undefined && cfg.architecture === 'standard') cfg.normalizeDecoder = false
  const dSae = partial.dSae ?? Math.round(cfg.expansionFactor * dIn)
  const check = (ok: boolean, field: string, expected: string, value: unknown = (cfg as Record<string, unknown>)[field]) => {
    if (!ok) throw new Error(`SAE config: ${field} = ${JSON.stringify(value)} but expected ${expected}`)
  }
  check(Number.isInteger(dIn) && dIn > 0, 'dIn', 'a positive integer', dIn)
  check(Number.isInteger(dSae) && dSae > 0, 'dSae', 'a positive integer', dSae)
  check(cfg.architecture === 'topk' || cfg.architecture === 'standard', 'architecture', "'topk' or 'standard'")
  if (cfg.architecture === 'topk') check(Number.isInteger(cfg.k) && cfg.k >= 1 && cfg.k <= dSae, 'k', `an integer in [1, d_sae=${dSae}]`)
  check(Number.isInteger(cfg.batchSize) && cfg.batchSize >= 1, 'batchSize', 'a positive integer')
  check(Number.isInteger(cfg.steps) && cfg.steps >= 0, 'steps', 'a non-negative integer')
  check(cfg.lr > 0, 'lr', 'a positive number')
  check(cfg.adamBeta1 >= 0 && cfg.adamBeta1 < 1, 'adamBeta1', 'a number in [0, 1)')
  check(cfg.adamBeta2 >= 0 && cfg.adamBeta2 < 1, 'adamBeta2', 'a number in [0, 1)')
  check(cfg.deadFeatureWindow >= 0, 'deadFeatureWindow', 'a non-negative number of steps')
  check(Number.isInteger(cfg.featureSamplingWindow) && cfg.featureSamplingWindow >= 1, 'featureSamplingWindow', 'a positive integer')
  check(Number.isInteger(cfg.logEvery) && cfg.logEvery >= 1, 'logEvery', 'a positive integer')
  const kAux = Math.max(1, Math.min(dSae, partial.kAux ?? Math.floor(dIn / 2)))
  return { ...cfg, dSae, kAux, lrEnd: partial.lrEnd ?? cfg.lr / 10 }
}

/** Learning rate at a 0-based step: linear warm-up, constant, linear decay (SAELens 'constant' schedule). */
export function learningRate(cfg: Pick<SaeTrainConfig, 'lr' | 'lrWarmUpSteps' | 'lrDecaySteps' | 'steps'> & { lrEnd: number }, step: number): number {
  if (cfg.lrWarmUpSteps > 0 && step < cfg.lrWarmUpSteps) return (cfg.lr * (step + 1)) / cfg.lrWarmUpSteps
  const decayStart = cfg.steps - cfg.lrDecaySteps
  if (cfg.lrDecaySteps > 0 && step >= decayStart) {
    const f = (step - decayStart) / cfg.lrDecaySteps
    return cfg.lr + (cfg.lrEnd - cfg.lr) * f
  }
  return cfg.lr
}
