// The state of one SAE experiment, framework-free: the corpus activations it trains and browses on,
// the SAE, its feature statistics, label correlations on a labelled set, the moral features and the
// re-alignment. The SAE worker is a thin adapter over this class; tests drive it directly.
import { Rng } from '../random.ts'
import type { StimulusItem } from '../stimuli/types.ts'
import { MORAL_VECTOR_DIM } from '../stimuli/types.ts'
import type { SaeKernels } from './kernels.ts'
import { evaluateSaeReconstruction, type ReconstructionEvaluation } from './evaluation.ts'
import { computeFeatureStats, featureHistogram, featureQuantileEdges, quantileBin, type FeatureStats, type TopExample } from './features.ts'
import {
  buildFeatureTable,
  buildTopExampleIndex,
  correlateFeaturesWithLabelsAsync,
  queryFeatureTable,
  selectMoralFeatures,
  type FeatureLabelCorrelations,
  type FeatureQuery,
  type FeatureTableRow,
  type MoralFeature,
  type MoralFeatureSelection,
  type MoralLabel,
  type TopExampleIndex,
} from './labels.ts'
import type { Histogram, FeatureDensity } from './metrics.ts'
import { encode, validateSae } from './model.ts'
import { fitRealignment, type RealignmentOptions, type RealignmentResult } from './realign.ts'
import { loadSaeLens, saveSaeLens, type SaeLensFiles } from './saelens.ts'
import { activationScaleFor, trainSae, type ActivationSource, type SaeStepMetrics } from './train.ts'
import { resolveTrainConfig, type Sae, type SaeTrainConfig } from './types.ts'

export interface SaeCorpusData {
  /** [tokens, d_in] raw activations at `hook`. */
  acts: Float32Array
  dIn: number
  /** Texts + 1 row offsets. */
  offsets: number[]
  /** Token strings per text. */
  tokens: string[][]
  /** Item id per text. */
  ids: string[]
  hook: string
  modelName?: string
}

export interface CorpusSummary {
  texts: number
  tokens: number
  trainTexts: number
  trainTokens: number
  heldOutTexts: number
  heldOutTokens: number
  hook: string
  dIn: number
}

export interface SaeSummary {
  dIn: number
  dSae: number
  architecture: string
  k?: number
  hook?: string
  activationScale: number
  /** 'trained' here, or 'loaded' from SAELens files. */
  origin: 'trained' | 'loaded'
  trainConfig?: ReturnType<typeof resolveTrainConfig>
}

export interface TrainRunResult {
  stepsCompleted: number
  cancelled: boolean
  history: SaeStepMetrics[]
  density: FeatureDensity
  sae: SaeSummary
}

export interface FeatureDetail {
  row: FeatureTableRow
  top: TopExample[]
  histogram: Histogram
  quantileEdges: number[]
  /** ρ with every label (NaN where undefined), when a labelled set was encoded. */
  correlations: { label: MoralLabel; rho: number }[]
}

export interface TextFeatureReading {
  tokens: string[]
  /** Features with the largest activation anywhere in the text, strongest first. */
  features: { feature: number; max: number; activations: number[]; bins: number[] }[]
}

/** SAELens-like defaults scaled to the corpus: about 20 passes over it, at least 200 steps. */
export function suggestTrainConfig(dIn: number, tokens: number): Partial<SaeTrainConfig> {
  const pow2 = (n: number) => 2 ** Math.floor(Math.log2(Math.max(1, n)))
  const batchSize = Math.max(32, Math.min(1024, pow2(tokens / 4)))
  const dSae = 8 * dIn
  return {
    expansionFactor: 8,
    k: Math.min(32, Math.max(1, Math.floor(dSae / 4))),
    batchSize,
    steps: Math.max(200, Math.min(2000, Math.round((20 * tokens) / batchSize))),
    lr: 3e-4,
    architecture: 'topk',
    seed: 0,
    logEvery: 5,
  }
}

/** Rows of a matrix, restricted to a subset of row indices. */
function rowSubsetSource(data: Float32Array, dIn: number, rows: Int32Array): ActivationSource {
  return {
    dIn,
    length: rows.length,
    getRows(indices, out) {
      for (let r = 0; r < indices.length; r++) {
        const i = rows[indices[r]]
        out.set(data.subarray(i * dIn, (i + 1) * dIn), r * dIn)
      }
    },
  }
}

export class SaeLab {
  private corpus?: SaeCorpusData
  private trainRows?: Int32Array
  private heldOutRows?: Int32Array
  private sae?: Sae
  private saeOrigin: 'trained' | 'loaded' = 'trained'
  private trainConfig?: ReturnType<typeof resolveTrainConfig>
  private stats?: FeatureStats
  private table?: FeatureTableRow[]
  private index?: TopExampleIndex
  private labelled?: { items: StimulusItem[]; h: Float32Array; z: Float32Array }
  private corr?: FeatureLabelCorrelations

  /** Sets the corpus and a seeded 10% held-out split by text (evaluation never sees training tokens). */
  setCorpus(data: SaeCorpusData, seed = 0): CorpusSummary {
    const nTexts = data.offsets.length - 1
    if (nTexts < 1) throw new Error('The SAE corpus has no texts.')
    if (data.acts.length !== data.offsets[nTexts] * data.dIn)
      throw new Error(`The corpus activations hold ${data.acts.length / data.dIn} rows but the offsets describe ${data.offsets[nTexts]} tokens.`)
    if (this.sae && this.sae.cfg.dIn !== data.dIn) this.clearSae()
    this.corpus = data
    const order = Array.from({ length: nTexts }, (_, i) => i)
    new Rng(seed + 7919).shuffle(order)
    const nHeld = nTexts >= 10 ? Math.max(1, Math.round(nTexts / 10)) : 0
    const held = new Set(order.slice(0, nHeld))
    const train: number[] = []
    const heldOut: number[] = []
    for (let i = 0; i < nTexts; i++) for (let r = data.offsets[i]; r < data.offsets[i + 1]; r++) (held.has(i) ? heldOut : train).push(r)
    this.trainRows = Int32Array.from(train)
    this.heldOutRows = Int32Array.from(heldOut)
    this.stats = this.table = this.index = undefined
    return this.corpusSummary()!
  }

  corpusSummary(): CorpusSummary | undefined {
    const c = this.corpus
    if (!c) return undefined
    const texts = c.offsets.length - 1
    const heldTexts = texts >= 10 ? Math.max(1, Math.round(texts / 10)) : 0
    return {
      texts,
      tokens: c.offsets[texts],
      trainTexts: texts - heldTexts,
      trainTokens: this.trainRows!.length,
      heldOutTexts: heldTexts,
      heldOutTokens: this.heldOutRows!.length,
      hook: c.hook,
      dIn: c.dIn,
    }
  }

  /** Texts of the held-out split, for the splice evaluation in the model. */
  heldOutTextIndices(): number[] {
    const c = this.requireCorpus()
    const rows = new Set(this.heldOutRows)
    const out: number[] = []
    for (let i = 0; i < c.offsets.length - 1; i++) if (c.offsets[i + 1] > c.offsets[i] && rows.has(c.offsets[i])) out.push(i)
    return out
  }

  private requireCorpus(): SaeCorpusData {
    if (!this.corpus) throw new Error('Collect activations for the SAE corpus first.')
    return this.corpus
  }

  requireSae(): Sae {
    if (!this.sae) throw new Error('Train or load an SAE first.')
    return this.sae
  }

  private clearSae() {
    this.sae = undefined
    this.stats = this.table = this.index = undefined
    this.corr = undefined
    this.labelled = undefined
  }

  async train(
    config: Partial<SaeTrainConfig>,
    options: {
      kernels?: SaeKernels<unknown, unknown>
      signal?: AbortSignal
      pauseGate?: () => void | Promise<void>
      onStep?: (m: SaeStepMetrics) => void
      onDensity?: (d: FeatureDensity, step: number) => void
    } = {},
  ): Promise<TrainRunResult> {
    const c = this.requireCorpus()
    const rows = this.trainRows!.length > 0 ? this.trainRows! : Int32Array.from({ length: c.acts.length / c.dIn }, (_, i) => i)
    const cfg = { ...config, hookName: c.hook, hookLayer: layerOf(c.hook), modelName: c.modelName }
    const resolved = resolveTrainConfig(c.dIn, cfg)
    const result = await trainSae(rowSubsetSource(c.acts, c.dIn, rows), cfg, options)
    this.clearSae()
    this.sae = result.sae
    this.saeOrigin = 'trained'
    this.trainConfig = resolved
    return { stepsCompleted: result.stepsCompleted, cancelled: result.cancelled, history: result.history, density: result.density, sae: this.saeSummary()! }
  }

  saeSummary(): SaeSummary | undefined {
    const s = this.sae
    if (!s) return undefined
    return {
      dIn: s.cfg.dIn,
      dSae: s.cfg.dSae,
      architecture: s.cfg.architecture,
      k: s.cfg.k,
      hook: s.cfg.hookName,
      activationScale: s.cfg.activationScale,
      origin: this.saeOrigin,
      trainConfig: this.saeOrigin === 'trained' ? this.trainConfig : undefined,
    }
  }

  /** The SAE's weights (copies), e.g. to hand to the model worker for splicing and steering. */
  exportSae(): Sae {
    const s = this.requireSae()
    return { cfg: { ...s.cfg }, encoder: s.encoder.slice(), bEnc: s.bEnc.slice(), decoder: s.decoder.slice(), bDec: s.bDec.slice(), threshold: s.threshold?.slice() }
  }

  /** Reconstruction metrics on the held-out texts (all texts when the corpus is too small to split). */
  async evaluate(options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<ReconstructionEvaluation & { split: 'held-out' | 'all' }> {
    const c = this.requireCorpus()
    const sae = this.requireSae()
    const rows = this.heldOutRows!.length > 0 ? this.heldOutRows! : null
    let x = c.acts
    if (rows) {
      x = new Float32Array(rows.length * c.dIn)
      rows.forEach((r, i) => x.set(c.acts.subarray(r * c.dIn, (r + 1) * c.dIn), i * c.dIn))
    }
    const ev = await evaluateSaeReconstruction(sae, x, { ...options, yieldEveryMs: 30, denseThreshold: this.trainConfig?.denseThreshold })
    return { ...ev, split: rows ? 'held-out' : 'all' }
  }

  /** Per-feature statistics over the whole corpus (the feature browser's data). */
  async computeStats(options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<{ dSae: number; nTokens: number; nTexts: number }> {
    const c = this.requireCorpus()
    const sae = this.requireSae()
    this.stats = await computeFeatureStats(sae, { acts: c.acts, offsets: c.offsets, tokens: c.tokens, ids: c.ids }, { ...options, yieldEveryMs: 30, topN: 12 })
    this.index = buildTopExampleIndex(this.stats)
    this.table = buildFeatureTable(this.stats, this.corr)
    return { dSae: this.stats.dSae, nTokens: this.stats.nTokens, nTexts: this.stats.nTexts }
  }

  /**
   * Encodes a labelled set's last-token activations h [items, d_in] (METHODS.md §1.4 D: last token,
   * one layer) and correlates every feature with every moral label.
   */
  async setLabelled(items: StimulusItem[], h: Float32Array, options: { onProgress?: (done: number, total: number) => void } = {}): Promise<MoralLabel[]> {
    const sae = this.requireSae()
    const d = sae.cfg.dIn
    if (h.length !== items.length * d) throw new Error(`The labelled activations hold ${h.length / d} rows for ${items.length} items.`)
    const z = encode(sae, h)
    this.labelled = { items, h, z }
    this.corr = await correlateFeaturesWithLabelsAsync({ data: z, rows: items.length, cols: sae.cfg.dSae }, items, { ...options, yieldEveryMs: 30 })
    if (this.stats) this.table = buildFeatureTable(this.stats, this.corr)
    return this.corr.labels
  }

  private requireStats(): { stats: FeatureStats; table: FeatureTableRow[] } {
    if (!this.stats || !this.table) throw new Error('Compute the feature statistics first.')
    return { stats: this.stats, table: this.table }
  }

  queryFeatures(query: FeatureQuery): { total: number; rows: FeatureTableRow[] } {
    const { table } = this.requireStats()
    return queryFeatureTable(table, query, { corr: this.corr, index: this.index })
  }

  featureDetail(f: number): FeatureDetail {
    const { stats, table } = this.requireStats()
    if (!(Number.isInteger(f) && f >= 0 && f < stats.dSae)) throw new Error(`Feature ${f} does not exist (this SAE has features 0–${stats.dSae - 1}).`)
    const L = this.corr?.labels.length ?? 0
    return {
      row: table[f],
      top: stats.top[f],
      histogram: featureHistogram(stats, f),
      quantileEdges: Array.from(featureQuantileEdges(stats, f)),
      correlations: this.corr ? this.corr.labels.map((label, l) => ({ label, rho: this.corr!.rho[f * L + l] })) : [],
    }
  }

  /** Feature activations on a new text's token activations [tokens, d_in], top features first. */
  readText(acts: Float32Array, tokens: string[], topFeatures = 8): TextFeatureReading {
    const sae = this.requireSae()
    const { dIn, dSae } = sae.cfg
    if (acts.length !== tokens.length * dIn) throw new Error(`readText: ${acts.length / dIn} activation rows for ${tokens.length} tokens`)
    const z = encode(sae, acts)
    const T = tokens.length
    const max = new Float32Array(dSae)
    for (let t = 0; t < T; t++) for (let f = 0; f < dSae; f++) if (z[t * dSae + f] > max[f]) max[f] = z[t * dSae + f]
    const order = Array.from({ length: dSae }, (_, f) => f)
      .filter((f) => max[f] > 0)
      .sort((a, b) => max[b] - max[a] || a - b)
      .slice(0, topFeatures)
    const features = order.map((f) => {
      const activations = Array.from({ length: T }, (_, t) => z[t * dSae + f])
      const edges = this.stats ? featureQuantileEdges(this.stats, f) : null
      const bins = activations.map((a) => (a <= 0 ? -1 : edges && edges[edges.length - 1] > 0 ? quantileBin(a, edges) : Math.min(9, Math.floor((a / max[f]) * 10))))
      return { feature: f, max: max[f], activations, bins }
    })
    return { tokens, features }
  }

  labelCorrelations(): FeatureLabelCorrelations | undefined {
    return this.corr
  }

  selectMoral(options: MoralFeatureSelection = {}): MoralFeature[] {
    if (!this.corr) throw new Error('Encode a labelled set (moral typicality) first.')
    return selectMoralFeatures(this.corr, options)
  }

  /** Fits the topology re-alignment on the labelled items' last-token codes. */
  async realign(features: number[], options: RealignmentOptions & { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<RealignmentResult> {
    const sae = this.requireSae()
    const l = this.labelled
    if (!l) throw new Error('Encode a labelled set (moral typicality) first.')
    const moralVectors = l.items.map((it) => (it.moralVector && it.moralVector.length === MORAL_VECTOR_DIM ? it.moralVector : null))
    if (moralVectors.filter(Boolean).length < 3) throw new Error('The labelled set has fewer than 3 items with a moral vector; re-alignment needs the 10-dimensional moral vectors.')
    return fitRealignment({ features, z: l.z, h: l.h, sae, moralVectors }, { ...options, yieldEveryMs: 30 })
  }

  saveSaeLens(metadata: Record<string, unknown> = {}): SaeLensFiles {
    return saveSaeLens(this.requireSae(), { metadata })
  }

  /**
   * Opens SAELens files. Checks the width against the model and, when the config names no
   * normalisation scale, estimates it from the corpus as SAELens would.
   */
  loadSaeLens(cfgJson: string, weights: Uint8Array, expect: { dIn: number; hooks: string[] }): SaeSummary {
    let sae: Sae
    try {
      sae = loadSaeLens(cfgJson, weights)
    } catch (e) {
      const msg = (e as Error).message
      if (!/norm_scaling_factor/.test(msg) || !this.corpus) throw e
      sae = loadSaeLens(cfgJson, weights, { activationScale: activationScaleFor(this.corpus.acts, this.corpus.dIn) })
    }
    if (sae.cfg.dIn !== expect.dIn)
      throw new Error(`cfg.json: d_in is ${sae.cfg.dIn} but the loaded model's residual stream has ${expect.dIn} dimensions; this SAE belongs to another model.`)
    if (sae.cfg.hookName && !expect.hooks.includes(sae.cfg.hookName))
      throw new Error(`cfg.json: hook_name "${sae.cfg.hookName}" is not a hook of the loaded model (e.g. ${expect.hooks.slice(0, 3).join(', ')}).`)
    validateSae(sae)
    this.clearSae()
    this.sae = sae
    this.saeOrigin = 'loaded'
    this.trainConfig = undefined
    return this.saeSummary()!
  }
}

function layerOf(hook: string): number | undefined {
  const m = /^blocks\.(\d+)\./.exec(hook)
  return m ? Number(m[1]) : undefined
}

export type SaeBackendPreference = 'auto' | 'webgpu' | 'cpu'

export interface SaeBackendChoice {
  backend: 'webgpu' | 'cpu'
  reason: string
}

/**
 * Where training runs. 'auto' takes WebGPU on a real GPU only: a fallback adapter (CPU emulation
 * such as SwiftShader) is slower than the CPU kernels. A forced WebGPU without an adapter falls
 * back to the CPU with the reason.
 */
export function chooseSaeBackend(
  preference: SaeBackendPreference,
  gpu: { ok: true; adapter: { vendor: string; architecture: string; isFallbackAdapter: boolean } } | { ok: false; reason: string },
): SaeBackendChoice {
  if (preference === 'cpu') return { backend: 'cpu', reason: 'CPU chosen' }
  if (!gpu.ok) return { backend: 'cpu', reason: gpu.reason }
  const name = [gpu.adapter.vendor, gpu.adapter.architecture].filter(Boolean).join(' ') || 'unnamed adapter'
  if (preference === 'webgpu') return { backend: 'webgpu', reason: `WebGPU chosen (${name}${gpu.adapter.isFallbackAdapter ? ', a software fallback adapter' : ''})` }
  if (gpu.adapter.isFallbackAdapter) return { backend: 'cpu', reason: `the only WebGPU adapter (${name}) is a software fallback, slower than the CPU kernels` }
  return { backend: 'webgpu', reason: `WebGPU adapter ${name}` }
}
