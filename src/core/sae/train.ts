// The SAE training loop: an async loop over kernel-backed steps that yields to the event loop,
// can be paused, resumed and cancelled, and reports SAELens-style metrics.
import { Rng } from '../random.ts'
import { createCpuKernels } from './cpu.ts'
import type { FloatArray, SaeKernels } from './kernels.ts'
import { explainedVarianceFromErrors, featureDensity, FiringTracker, type FeatureDensity } from './metrics.ts'
import { createSae } from './model.ts'
import { allocTrainingState, forwardBackward, optimizerStep, paramLength, writeParams, type ParamName, type TrainingState } from './step.ts'
import { learningRate, resolveTrainConfig, type Sae, type SaeTrainConfig } from './types.ts'

/** Per-token activations to train on: `length` rows of `dIn` values, fetched by row index. */
export interface ActivationSource {
  readonly dIn: number
  readonly length: number
  /** Writes rows indices[0..] into out (row r at out[r·dIn]). */
  getRows(indices: Int32Array, out: Float32Array): void | Promise<void>
}

export function arraySource(data: Float32Array, dIn: number): ActivationSource {
  if (data.length % dIn !== 0) throw new Error(`arraySource: ${data.length} values is not a whole number of rows of d_in=${dIn}`)
  const length = data.length / dIn
  return {
    dIn,
    length,
    getRows(indices, out) {
      for (let r = 0; r < indices.length; r++) {
        const i = indices[r]
        out.set(data.subarray(i * dIn, (i + 1) * dIn), r * dIn)
      }
    },
  }
}

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

/** Row indices in a fresh seeded permutation per epoch. */
export class BatchOrder {
  private perm: Int32Array
  private pos: number

  constructor(
    readonly n: number,
    private readonly rng: Rng,
  ) {
    this.perm = new Int32Array(n)
    this.pos = n
  }

  next(out: Int32Array): Int32Array {
    for (let r = 0; r < out.length; r++) {
      if (this.pos >= this.n) {
        for (let i = 0; i < this.n; i++) this.perm[i] = i
        for (let i = this.n - 1; i > 0; i--) {
          const j = this.rng.int(i + 1)
          const tmp = this.perm[i]
          this.perm[i] = this.perm[j]
          this.perm[j] = tmp
        }
        this.pos = 0
      }
      out[r] = this.perm[this.pos++]
    }
    return out
  }
}

async function sampleRows(source: ActivationSource, count: number, rng: Rng): Promise<Float32Array> {
  const n = Math.min(count, source.length)
  const indices = new BatchOrder(source.length, rng).next(new Int32Array(n))
  const out = new Float32Array(n * source.dIn)
  await source.getRows(indices, out)
  return out
}

/** sum + Σ_t ‖rows[t]‖ over the first n rows, added in row order. */
function addRowNorms(sum: number, rows: Float32Array, dIn: number, n: number): number {
  for (let t = 0; t < n; t++) {
    let ss = 0
    for (let d = 0; d < dIn; d++) ss += rows[t * dIn + d] ** 2
    sum += Math.sqrt(ss)
  }
  return sum
}

function scaleFromMeanNorm(meanNorm: number, dIn: number): number {
  if (!(meanNorm > 0)) throw new Error('activation normalisation: the sampled activations all have norm 0')
  return Math.sqrt(dIn) / meanNorm
}

/** SAELens expected_average_only_in: the factor that makes the mean activation norm sqrt(d_in). */
export function activationScaleFor(rows: Float32Array, dIn: number): number {
  const n = rows.length / dIn
  return scaleFromMeanNorm(addRowNorms(0, rows, dIn, n) / n, dIn)
}

/**
 * activationScaleFor(sampleRows(source, count, rng)), bit for bit (same rows, same order of
 * summation), reading the sample `chunkRows` rows at a time: the default 65,536-token sample at
 * width 896 would otherwise be a 235 MB transient, more than the weights and Adam state together.
 */
async function sampledActivationScale(source: ActivationSource, count: number, rng: Rng, chunkRows = 4096): Promise<number> {
  const n = Math.min(count, source.length)
  const { dIn } = source
  const order = new BatchOrder(source.length, rng)
  const indices = new Int32Array(Math.min(n, chunkRows))
  const rows = new Float32Array(indices.length * dIn)
  let sum = 0
  for (let r0 = 0; r0 < n; r0 += chunkRows) {
    const m = Math.min(chunkRows, n - r0)
    const chunk = rows.subarray(0, m * dIn)
    await source.getRows(order.next(indices.subarray(0, m)), chunk)
    sum = addRowNorms(sum, chunk, dIn, m)
  }
  return scaleFromMeanNorm(sum / n, dIn)
}

/** One Weiszfeld update of y towards the geometric median; returns ‖Δy‖ / (‖y‖ + tol). */
function weiszfeldStep(rows: Float32Array, dIn: number, y: Float64Array, next: Float64Array, tol: number): number {
  const n = rows.length / dIn
  next.fill(0)
  let wsum = 0
  for (let t = 0; t < n; t++) {
    let ss = 0
    for (let d = 0; d < dIn; d++) ss += (rows[t * dIn + d] - y[d]) ** 2
    const w = 1 / Math.max(Math.sqrt(ss), 1e-8)
    wsum += w
    for (let d = 0; d < dIn; d++) next[d] += w * rows[t * dIn + d]
  }
  let moved = 0
  let size = 0
  for (let d = 0; d < dIn; d++) {
    const v = next[d] / wsum
    moved += (v - y[d]) ** 2
    size += v * v
    y[d] = v
  }
  return Math.sqrt(moved) / (Math.sqrt(size) + tol)
}

function columnMean(rows: Float32Array, dIn: number): Float64Array {
  const n = rows.length / dIn
  const y = new Float64Array(dIn)
  for (let t = 0; t < n; t++) for (let d = 0; d < dIn; d++) y[d] += rows[t * dIn + d] / n
  return y
}

/** Geometric median of the rows by Weiszfeld's iteration, started from the mean. */
export function geometricMedian(rows: Float32Array, dIn: number, maxIter = 100, tol = 1e-6): Float64Array {
  const y = columnMean(rows, dIn)
  const next = new Float64Array(dIn)
  for (let it = 0; it < maxIter; it++) if (weiszfeldStep(rows, dIn, y, next, tol) <= tol) break
  return y
}

/** geometricMedian, yielding to the event loop between iterations once `yieldEveryMs` has passed. */
export async function geometricMedianAsync(rows: Float32Array, dIn: number, yieldEveryMs: number, maxIter = 100, tol = 1e-6): Promise<Float64Array> {
  const y = columnMean(rows, dIn)
  const next = new Float64Array(dIn)
  let last = Date.now()
  for (let it = 0; it < maxIter; it++) {
    if (weiszfeldStep(rows, dIn, y, next, tol) <= tol) break
    if (Date.now() - last >= yieldEveryMs) {
      await macrotask()
      last = Date.now()
    }
  }
  return y
}

export interface SaeStepMetrics {
  /** Steps completed. */
  step: number
  tokens: number
  lr: number
  loss: number
  mseLoss: number
  auxLoss: number
  l1Loss: number
  explainedVariance: number
  explainedVarianceLegacy: number
  /** Mean number of non-zero latents per token in this batch. */
  l0: number
  deadCount: number
  deadFraction: number
  meanStepsSinceFired: number
  /** Over the current feature-sampling window. */
  denseFraction: number
  gradNorm: number
  /** Training throughput so far, excluding time spent paused. */
  tokensPerSecond: number
}

export interface TrainSaeOptions<F, I> {
  /** Compute backend; default the sparse CPU kernels. */
  kernels?: SaeKernels<F, I>
  signal?: AbortSignal
  /** Called every cfg.logEvery steps and after the last step. */
  onStep?: (m: SaeStepMetrics) => void
  /** Called with the feature density of each completed sampling window (and of the last, partial one). */
  onDensity?: (d: FeatureDensity, step: number) => void
  /** Awaited before every step; resolves while not paused (see createPauseController). */
  pauseGate?: () => void | Promise<void>
  /**
   * Yield to the event loop (a macrotask) once this many ms have passed since the last yield
   * (default 50): between steps, and inside the default kernels' dense product.
   */
  yieldEveryMs?: number
}

export interface SaeTrainResult {
  sae: Sae
  stepsCompleted: number
  cancelled: boolean
  history: SaeStepMetrics[]
  /** Feature density over the last (possibly partial) sampling window. */
  density: FeatureDensity
}

export interface PauseController {
  pause(): void
  resume(): void
  readonly paused: boolean
  /** Pass as TrainSaeOptions.pauseGate. */
  gate(): Promise<void>
}

export function createPauseController(): PauseController {
  let paused = false
  let waiters: (() => void)[] = []
  return {
    pause() {
      paused = true
    },
    resume() {
      paused = false
      const w = waiters
      waiters = []
      for (const f of w) f()
    },
    get paused() {
      return paused
    },
    gate() {
      return paused ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve()
    },
  }
}

/**
 * Trains an SAE on `source`. Deterministic for a given cfg.seed and backend: the seed fixes the
 * initial weights, the samples used for normalisation and b_dec, and the batch order.
 * Cancelling through `signal` stops after the current step and resolves with `cancelled: true`
 * and the weights reached so far.
 */
export async function trainSae<F = Float32Array, I = Int32Array>(
  source: ActivationSource,
  config: Partial<SaeTrainConfig> = {},
  options: TrainSaeOptions<F, I> = {},
): Promise<SaeTrainResult> {
  const cfg = resolveTrainConfig(source.dIn, config)
  if (source.length < 1) throw new Error('trainSae: the activation source has no rows')
  const yieldEvery = options.yieldEveryMs ?? 50
  const K = (options.kernels ?? createCpuKernels({ yieldEveryMs: yieldEvery })) as SaeKernels<F, I>
  const dIn = source.dIn
  const { dSae, batchSize: B } = cfg
  const rng = new Rng(cfg.seed)
  const initRng = rng.fork()
  const sampleRng = rng.fork()
  const order = new BatchOrder(source.length, rng.fork())

  // `let`: dropped once the trainer's buffers hold the weights (see below)
  let sae: Sae | undefined = createSae({ ...cfg, dIn, dSae }, initRng)
  const modelCfg = sae.cfg
  if (cfg.normalizeActivations === 'expected_average_only_in')
    sae.cfg.activationScale = await sampledActivationScale(source, cfg.normEstimateTokens, sampleRng)
  const scale = sae.cfg.activationScale
  if (cfg.bDecInit !== 'zeros') {
    const rows = await sampleRows(source, cfg.bDecInitTokens, sampleRng)
    for (let i = 0; i < rows.length; i++) rows[i] *= scale
    const n = rows.length / dIn
    if (cfg.bDecInit === 'mean') {
      for (let t = 0; t < n; t++) for (let d = 0; d < dIn; d++) sae.bDec[d] += rows[t * dIn + d] / n
    } else sae.bDec.set(await geometricMedianAsync(rows, dIn, yieldEvery))
  }

  // Host kernels take the initial weights as their buffers; others get a copy, and the initial arrays
  // are dropped: a second copy of the weights for the whole run is 1/3 of issue 7's memory yardstick.
  const state: TrainingState<F, I> = allocTrainingState(
    K,
    { batch: B, dIn, dSae, architecture: cfg.architecture, k: cfg.k, kAux: cfg.kAux },
    sae,
  )
  if (state.params.encoder !== (sae.encoder as unknown)) await writeParams(state, sae)
  sae = undefined

  const tracker = new FiringTracker(dSae)
  const deadMask = new Float32Array(dSae)
  const indices = new Int32Array(B)
  const batch = new Float32Array(B * dIn)
  const history: SaeStepMetrics[] = []
  let lastYield = Date.now()
  let busyMs = 0
  let cancelled = false
  let step = 0

  for (; step < cfg.steps; step++) {
    if (options.signal?.aborted) {
      cancelled = true
      break
    }
    if (options.pauseGate) await options.pauseGate()
    if (options.signal?.aborted) {
      cancelled = true
      break
    }
    const t0 = performance.now()
    // SAELens resets the firing-frequency window at the start of every feature_sampling_window-th step.
    if ((step + 1) % cfg.featureSamplingWindow === 0) {
      options.onDensity?.(featureDensity(tracker.windowCounts, tracker.windowTokens, cfg.denseThreshold), step)
      tracker.resetWindow()
    }

    await source.getRows(order.next(indices), batch)
    if (scale !== 1) for (let i = 0; i < batch.length; i++) batch[i] *= scale
    await K.write(state.x, batch)
    const numDead = tracker.deadMask(cfg.deadFeatureWindow, deadMask)
    await K.write(state.dead, deadMask)

    const losses = await forwardBackward(state, {
      numDead,
      auxLossCoefficient: cfg.auxLossCoefficient,
      l1Coefficient: cfg.l1Coefficient,
    })
    const fired = await K.read(state.fired, dSae)
    tracker.update(fired, B)
    const lr = learningRate(cfg, step)
    const { gradNorm } = await optimizerStep(state, {
      lr,
      beta1: cfg.adamBeta1,
      beta2: cfg.adamBeta2,
      eps: cfg.adamEps,
      gradClipNorm: cfg.gradClipNorm,
      normalizeDecoder: cfg.normalizeDecoder,
    })
    busyMs += performance.now() - t0

    const done = step + 1
    if (done % cfg.logEvery === 0 || done === cfg.steps) {
      const rowSq = await K.read(state.rowSq, B)
      const ev = explainedVarianceFromErrors(rowSq, batch, B, dIn)
      let fires = 0
      for (let i = 0; i < dSae; i++) fires += fired[i]
      const m: SaeStepMetrics = {
        step: done,
        tokens: done * B,
        lr,
        loss: losses.loss,
        mseLoss: losses.mseLoss,
        auxLoss: losses.auxLoss,
        l1Loss: losses.l1Loss,
        ...ev,
        l0: fires / B,
        deadCount: numDead,
        deadFraction: numDead / dSae,
        meanStepsSinceFired: tracker.meanStepsSinceFired(),
        denseFraction: featureDensity(tracker.windowCounts, tracker.windowTokens, cfg.denseThreshold).denseFraction,
        gradNorm,
        tokensPerSecond: (done * B) / (busyMs / 1000),
      }
      history.push(m)
      options.onStep?.(m)
    }
    if (Date.now() - lastYield >= yieldEvery) {
      await macrotask()
      lastYield = Date.now()
    }
  }

  const density = featureDensity(tracker.windowCounts, tracker.windowTokens, cfg.denseThreshold)
  options.onDensity?.(density, step)
  // The trainer's buffers are dropped on return, so the weights read back from them (views of the CPU
  // kernels' buffers, fresh copies from a GPU) become the result without another copy.
  const f32 = (a: FloatArray) => (a instanceof Float32Array ? a : Float32Array.from(a))
  const read = async (name: ParamName) => f32(await K.read(state.params[name], paramLength(name, state.shape)))
  const trained: Sae = {
    cfg: modelCfg,
    encoder: await read('encoder'),
    bEnc: await read('bEnc'),
    decoder: await read('decoder'),
    bDec: await read('bDec'),
  }
  return {
    sae: trained,
    stepsCompleted: step,
    cancelled,
    history,
    density,
  }
}
