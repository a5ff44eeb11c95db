// One SAE training step expressed in kernel calls: forward, MSE (+ AuxK or L1) loss, backward,
// decoder-norm constraint, gradient clipping and Adam. The losses are SAELens':
//   mse  = mean_t Σ_d (x̂ − x)²                                    (TrainingSAE.training_forward_pass)
//   auxk = c · min(n_dead / k_aux, 1) · mean_t Σ_d (ê − (x − x̂))²  (TopKTrainingSAE.calculate_topk_aux_loss)
//          with ê = Σ over the top-min(k_aux, n_dead) dead pre-activations of pre·W_dec (no bias) and
//          x − x̂ held constant
//   l1   = λ · mean_t Σ_i z_i ‖W_dec[i]‖                          (StandardTrainingSAE.calculate_aux_loss)
import type { FloatArray, SaeKernels } from './kernels.ts'

export interface StepShape {
  batch: number
  dIn: number
  dSae: number
  architecture: 'topk' | 'standard'
  k: number
  /** Upper bound on AuxK latents (SAELens: d_in // 2). */
  kAux: number
}

export const PARAM_NAMES = ['encoder', 'bEnc', 'decoder', 'bDec'] as const
export type ParamName = (typeof PARAM_NAMES)[number]

export interface TrainingState<F, I> {
  K: SaeKernels<F, I>
  shape: StepShape
  params: Record<ParamName, F>
  grads: Record<ParamName, F>
  adamM: Record<ParamName, F>
  adamV: Record<ParamName, F>
  adamStep: number
  /** The (scaled) batch [batch, dIn]; the caller writes it before forwardBackward. */
  x: F
  /** 1 for latents treated as dead by AuxK, else 0 [dSae]; the caller writes it. */
  dead: F
  /** Tokens on which each latent fired in the last step [dSae]. */
  fired: F
  xc: F
  pre: F
  /** Width of the main sparse code: k for TopK, dSae (dense) for ReLU. */
  width: number
  idx: I | null
  val: F
  gVal: F
  xhat: F
  err: F
  rowSq: F
  rowL1: F
  auxIdx: I
  auxVal: F
  auxGVal: F
  auxRecon: F
  auxErr: F
  auxRowSq: F
}

export function paramLength(name: ParamName, shape: Pick<StepShape, 'dIn' | 'dSae'>): number {
  switch (name) {
    case 'encoder':
    case 'decoder':
      return shape.dSae * shape.dIn
    case 'bEnc':
      return shape.dSae
    case 'bDec':
      return shape.dIn
  }
}

function paramSet<F>(K: SaeKernels<F, unknown>, shape: StepShape): Record<ParamName, F> {
  return {
    encoder: K.alloc(paramLength('encoder', shape)),
    bEnc: K.alloc(paramLength('bEnc', shape)),
    decoder: K.alloc(paramLength('decoder', shape)),
    bDec: K.alloc(paramLength('bDec', shape)),
  }
}

/**
 * The trainer's buffers. `initial` weights are taken as the parameter buffers without a copy when the
 * kernels can adopt host arrays; otherwise the caller writes them (writeParams).
 */
export function allocTrainingState<F, I>(K: SaeKernels<F, I>, shape: StepShape, initial?: Record<ParamName, Float32Array>): TrainingState<F, I> {
  const { batch: B, dIn, dSae } = shape
  const width = shape.architecture === 'topk' ? shape.k : dSae
  const adopted =
    initial && K.adopt && PARAM_NAMES.every((n) => initial[n].length === paramLength(n, shape))
      ? (Object.fromEntries(PARAM_NAMES.map((n) => [n, K.adopt!(initial[n])])) as Record<ParamName, F>)
      : undefined
  return {
    K,
    shape,
    params: adopted ?? paramSet(K, shape),
    grads: paramSet(K, shape),
    adamM: paramSet(K, shape),
    adamV: paramSet(K, shape),
    adamStep: 0,
    x: K.alloc(B * dIn),
    dead: K.alloc(dSae),
    fired: K.alloc(dSae),
    xc: K.alloc(B * dIn),
    // Fused encode + top k keeps the pre-activations on the kernels' side.
    pre: K.alloc(shape.architecture === 'topk' && K.encodeTopK ? 0 : B * dSae),
    width,
    idx: shape.architecture === 'topk' ? K.allocIndex(B * width) : null,
    val: K.alloc(B * width),
    gVal: K.alloc(B * width),
    xhat: K.alloc(B * dIn),
    err: K.alloc(B * dIn),
    rowSq: K.alloc(B),
    rowL1: K.alloc(B),
    auxIdx: K.allocIndex(shape.architecture === 'topk' ? B * shape.kAux : 0),
    auxVal: K.alloc(shape.architecture === 'topk' ? B * shape.kAux : 0),
    auxGVal: K.alloc(shape.architecture === 'topk' ? B * shape.kAux : 0),
    auxRecon: K.alloc(shape.architecture === 'topk' ? B * dIn : 0),
    auxErr: K.alloc(shape.architecture === 'topk' ? B * dIn : 0),
    auxRowSq: K.alloc(shape.architecture === 'topk' ? B : 0),
  }
}

export interface LossOptions<F = unknown> {
  /** Latents flagged in `state.dead`. */
  numDead: number
  auxLossCoefficient: number
  l1Coefficient: number
  /**
   * x̂ whose residual x − x̂ the AuxK term reconstructs (default: this step's x̂). Fixing it lets a
   * finite-difference check treat the residual as the constant it is in SAELens (it is detached).
   */
  auxResidualFrom?: F
}

export interface StepLosses {
  loss: number
  mseLoss: number
  auxLoss: number
  l1Loss: number
  /** k_aux actually used (min(kAux, numDead)) and the AuxK scale min(numDead / kAux, 1). */
  kAuxUsed: number
  auxScale: number
}

async function mean<F, I>(K: SaeKernels<F, I>, buf: F, n: number): Promise<number> {
  const a = await K.read(buf, n)
  let s = 0
  for (let i = 0; i < n; i++) s += a[i]
  return s / n
}

/** Forward pass, losses and raw gradients (no constraint, clipping or update) for the batch in state.x. */
export async function forwardBackward<F, I>(s: TrainingState<F, I>, opts: LossOptions<F>): Promise<StepLosses> {
  const { K, shape, params: p, grads: g } = s
  const { batch: B, dIn, dSae } = shape
  const topk = shape.architecture === 'topk'

  const auxOn = topk && opts.numDead > 0 && opts.auxLossCoefficient !== 0
  const kAuxUsed = auxOn ? Math.min(shape.kAux, opts.numDead) : 0
  const fused = topk && K.encodeTopK !== undefined

  await K.center(s.x, p.bDec, s.xc, B, dIn)
  if (fused) {
    const aux = auxOn ? { dead: s.dead, kAux: kAuxUsed, idx: s.auxIdx, val: s.auxVal } : null
    await K.encodeTopK!(s.xc, p.encoder, p.bEnc, B, dIn, dSae, shape.k, s.idx as I, s.val, aux)
  } else {
    await K.encode(s.xc, p.encoder, p.bEnc, s.pre, B, dIn, dSae)
    if (topk) await K.topK(s.pre, B, dSae, shape.k, s.idx as I, s.val)
    else await K.relu(s.pre, s.val, B * dSae)
  }
  await K.decode(s.idx, s.val, s.width, p.decoder, p.bDec, s.xhat, B, dIn)
  await K.errorGrad(s.xhat, s.x, null, 2 / B, s.err, s.rowSq, B, dIn)

  for (const name of PARAM_NAMES) await K.fill(g[name], 0)
  await K.decodeBackward(s.idx, s.val, s.width, s.err, p.decoder, g.decoder, s.gVal, true, B, dIn)
  let l1Loss = 0
  if (!topk && opts.l1Coefficient !== 0) {
    await K.l1Backward(s.idx, s.val, s.width, p.decoder, opts.l1Coefficient / B, s.gVal, g.decoder, s.rowL1, B, dIn, dSae)
    l1Loss = opts.l1Coefficient * (await mean(K, s.rowL1, B))
  }
  await K.encodeBackward(s.idx, s.gVal, s.width, s.xc, p.encoder, g.encoder, g.bEnc, g.bDec, B, dIn)
  await K.addColumnSums(s.err, g.bDec, B, dIn)

  let auxLoss = 0
  let auxScale = 0
  if (auxOn) {
    auxScale = Math.min(opts.numDead / shape.kAux, 1)
    const coef = opts.auxLossCoefficient * auxScale
    const residualFrom = opts.auxResidualFrom ?? s.xhat
    if (!fused) await K.deadTopK(s.pre, s.dead, B, dSae, kAuxUsed, s.auxIdx, s.auxVal)
    await K.decode(s.auxIdx, s.auxVal, kAuxUsed, p.decoder, null, s.auxRecon, B, dIn)
    await K.errorGrad(s.auxRecon, s.x, residualFrom, (2 * coef) / B, s.auxErr, s.auxRowSq, B, dIn)
    await K.decodeBackward(s.auxIdx, s.auxVal, kAuxUsed, s.auxErr, p.decoder, g.decoder, s.auxGVal, false, B, dIn)
    await K.encodeBackward(s.auxIdx, s.auxGVal, kAuxUsed, s.xc, p.encoder, g.encoder, g.bEnc, g.bDec, B, dIn)
    auxLoss = coef * (await mean(K, s.auxRowSq, B))
  }
  await K.countFiring(s.idx, s.val, s.width, B, dSae, s.fired)

  const mseLoss = await mean(K, s.rowSq, B)
  return { loss: mseLoss + auxLoss + l1Loss, mseLoss, auxLoss, l1Loss, kAuxUsed, auxScale }
}

export interface OptimizerOptions {
  lr: number
  beta1: number
  beta2: number
  eps: number
  /** Clip the global gradient norm to this value first (torch.nn.utils.clip_grad_norm_); 0 disables. */
  gradClipNorm: number
  normalizeDecoder: boolean
}

/** Applies the update for the gradients in state.grads; returns the gradient norm before clipping. */
export async function optimizerStep<F, I>(s: TrainingState<F, I>, opts: OptimizerOptions): Promise<{ gradNorm: number }> {
  const { K, shape, params: p, grads: g } = s
  if (opts.normalizeDecoder) await K.projectOutParallel(p.decoder, g.decoder, shape.dSae, shape.dIn)
  let ss = 0
  for (const name of PARAM_NAMES) ss += await K.sumSquares(g[name], paramLength(name, shape))
  const gradNorm = Math.sqrt(ss)
  // torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to at most 1
  const gradScale = opts.gradClipNorm > 0 ? Math.min(1, opts.gradClipNorm / (gradNorm + 1e-6)) : 1
  s.adamStep++
  for (const name of PARAM_NAMES)
    await K.adam(p[name], g[name], s.adamM[name], s.adamV[name], paramLength(name, shape), {
      lr: opts.lr,
      beta1: opts.beta1,
      beta2: opts.beta2,
      eps: opts.eps,
      step: s.adamStep,
      gradScale,
    })
  if (opts.normalizeDecoder) await K.normalizeRows(p.decoder, shape.dSae, shape.dIn)
  return { gradNorm }
}

/** Copies host weights into the state's parameter buffers. */
export async function writeParams<F, I>(s: TrainingState<F, I>, w: Record<ParamName, ArrayLike<number>>): Promise<void> {
  for (const name of PARAM_NAMES) {
    const need = paramLength(name, s.shape)
    if (w[name].length !== need) throw new Error(`writeParams: ${name} has ${w[name].length} values, expected ${need}`)
    await s.K.write(s.params[name], w[name])
  }
}

/** Host copies of the parameters. */
export async function readParams<F, I>(s: TrainingState<F, I>): Promise<Record<ParamName, FloatArray>> {
  const out = {} as Record<ParamName, FloatArray>
  for (const name of PARAM_NAMES) out[name] = (await s.K.read(s.params[name], paramLength(name, s.shape))).slice()
  return out
}
