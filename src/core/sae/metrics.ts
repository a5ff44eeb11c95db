// Training metrics with SAELens' definitions (training/sae_trainer.py, evals.py).

export interface ExplainedVariance {
  /** 1 − mean_t ‖x_t − x̂_t‖² / mean_t ‖x_t − x̄‖², x̄ the batch mean (SAELens metrics/explained_variance). */
  explainedVariance: number
  /** mean_t (1 − ‖x_t − x̂_t‖² / ‖x_t − x̄‖²) (SAELens metrics/explained_variance_legacy). */
  explainedVarianceLegacy: number
}

/** Explained variance of a batch x [rows, dIn] given each token's squared error ‖x_t − x̂_t‖². */
export function explainedVarianceFromErrors(rowSq: ArrayLike<number>, x: ArrayLike<number>, rows: number, dIn: number): ExplainedVariance {
  const mean = new Float64Array(dIn)
  for (let t = 0; t < rows; t++) for (let d = 0; d < dIn; d++) mean[d] += x[t * dIn + d]
  for (let d = 0; d < dIn; d++) mean[d] /= rows
  let sumErr = 0
  let sumVar = 0
  let legacy = 0
  for (let t = 0; t < rows; t++) {
    let v = 0
    for (let d = 0; d < dIn; d++) v += (x[t * dIn + d] - mean[d]) ** 2
    sumErr += rowSq[t]
    sumVar += v
    legacy += 1 - rowSq[t] / v
  }
  return { explainedVariance: 1 - sumErr / sumVar, explainedVarianceLegacy: legacy / rows }
}

export function explainedVariance(x: ArrayLike<number>, xhat: ArrayLike<number>, rows: number, dIn: number): ExplainedVariance {
  const rowSq = new Float64Array(rows)
  for (let t = 0; t < rows; t++) {
    let s = 0
    for (let d = 0; d < dIn; d++) s += (x[t * dIn + d] - xhat[t * dIn + d]) ** 2
    rowSq[t] = s
  }
  return explainedVarianceFromErrors(rowSq, x, rows, dIn)
}

/**
 * A histogram with parallel arrays: bin b covers [lo[b], hi[b]) (the last bin also includes its
 * upper edge) and holds counts[b] values. lo, hi and counts all have the same length n;
 * edges (length n + 1) is lo followed by the last hi, in the np.histogram convention.
 */
export interface Histogram {
  lo: number[]
  hi: number[]
  counts: number[]
  edges: number[]
}

export function histogram(values: ArrayLike<number>, min: number, max: number, bins: number): Histogram {
  if (!(max > min) || !Number.isInteger(bins) || bins < 1)
    throw new Error(`histogram: need max > min and a positive integer bin count, got [${min}, ${max}] with ${bins} bins`)
  const width = (max - min) / bins
  const edges = Array.from({ length: bins + 1 }, (_, b) => (b === bins ? max : min + b * width))
  const counts = new Array<number>(bins).fill(0)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (!(v >= min && v <= max)) continue
    counts[Math.min(bins - 1, Math.floor((v - min) / width))]++
  }
  return { lo: edges.slice(0, bins), hi: edges.slice(1), counts, edges }
}

export interface FeatureDensity {
  /** Fraction of tokens on which each latent fired, over the sampling window. */
  density: Float64Array
  tokens: number
  /** log10(density + 1e-10) per latent (SAELens log_feature_sparsity). */
  log10Density: Float64Array
  /** Histogram of log10Density over [-10, 0] in 0.5-wide bins; never-firing latents fall in the first bin. */
  histogram: Histogram
  meanLog10Density: number
  /** Latents with density < 1e-5 / < 1e-6 (SAELens sparsity/below_1e-5, below_1e-6). */
  below1e5: number
  below1e6: number
  /** Fraction of latents that never fired in the window. */
  silentFraction: number
  /** Fraction of latents firing on more than `denseThreshold` of tokens. */
  denseFraction: number
}

export function featureDensity(firingCounts: ArrayLike<number>, tokens: number, denseThreshold = 0.1): FeatureDensity {
  const n = firingCounts.length
  const density = new Float64Array(n)
  const log10Density = new Float64Array(n)
  let sumLog = 0
  let below1e5 = 0
  let below1e6 = 0
  let silent = 0
  let dense = 0
  for (let i = 0; i < n; i++) {
    const f = tokens > 0 ? firingCounts[i] / tokens : 0
    density[i] = f
    log10Density[i] = Math.log10(f + 1e-10)
    sumLog += log10Density[i]
    if (f < 1e-5) below1e5++
    if (f < 1e-6) below1e6++
    if (f === 0) silent++
    if (f > denseThreshold) dense++
  }
  return {
    density,
    tokens,
    log10Density,
    // log10(1 + 1e-10) is a hair above 0: bin always-firing latents into the last bin
    histogram: histogram(log10Density.map((v) => Math.min(v, 0)), -10, 0, 20),
    meanLog10Density: n ? sumLog / n : 0,
    below1e5,
    below1e6,
    silentFraction: n ? silent / n : 0,
    denseFraction: n ? dense / n : 0,
  }
}

/**
 * Firing bookkeeping across steps. A latent is dead once it has gone more than `window` consecutive
 * steps (batches) without firing on any token — SAELens' n_forward_passes_since_fired >
 * dead_feature_window. Firing frequencies accumulate over a sampling window that the trainer resets.
 */
export class FiringTracker {
  readonly stepsSinceFired: Float64Array
  readonly windowCounts: Float64Array
  windowTokens = 0

  constructor(readonly dSae: number) {
    this.stepsSinceFired = new Float64Array(dSae)
    this.windowCounts = new Float64Array(dSae)
  }

  /** Records one step in which latent i fired on fired[i] of `tokens` tokens. */
  update(fired: ArrayLike<number>, tokens: number): void {
    for (let i = 0; i < this.dSae; i++) {
      this.stepsSinceFired[i] = fired[i] > 0 ? 0 : this.stepsSinceFired[i] + 1
      this.windowCounts[i] += fired[i]
    }
    this.windowTokens += tokens
  }

  resetWindow(): void {
    this.windowCounts.fill(0)
    this.windowTokens = 0
  }

  /** Fills mask (1 = dead) and returns the number of dead latents. */
  deadMask(window: number, mask: Float32Array): number {
    let n = 0
    for (let i = 0; i < this.dSae; i++) {
      const dead = this.stepsSinceFired[i] > window
      mask[i] = dead ? 1 : 0
      if (dead) n++
    }
    return n
  }

  meanStepsSinceFired(): number {
    let s = 0
    for (let i = 0; i < this.dSae; i++) s += this.stepsSinceFired[i]
    return s / this.dSae
  }
}
