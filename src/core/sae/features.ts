// Per-feature statistics for the feature browser (Neuronpedia-like dashboards), computed in one
// streaming pass over token-level activations: firing frequency, max and mean activation, an
// activation histogram, activation quantile bins and the top-N activating texts. Memory is
// O(d_sae · (topN · text length + histogram + reservoir)), never the [tokens × d_sae] matrix.
//
// Texts are laid out as in the activation store: text i spans rows offsets[i]..offsets[i+1] of a
// [nTokens, d_in] activation matrix, with one token string per row.

import { Rng } from '../random.ts'
import type { Matrix } from '../stats/linalg.ts'
import { quantileSorted } from '../stats/rank.ts'
import type { Histogram } from './metrics.ts'
import { encode, validateSae } from './model.ts'
import { createYielder, type ProgressOptions } from './progress.ts'
import type { Sae } from './types.ts'

export interface TokenActivations {
  /** [nTokens, d_in] raw activations at the SAE's hook. */
  acts: Float32Array
  /** nTexts + 1 row offsets: text i spans rows offsets[i]..offsets[i+1]. offsets[0] = 0, the last = nTokens. */
  offsets: ArrayLike<number>
  /** Token strings per text; tokens[i].length = offsets[i+1] − offsets[i]. */
  tokens: readonly (readonly string[])[]
  /** Optional text ids (stimulus item ids), carried into the top examples. */
  ids?: readonly string[]
}

export interface FeatureStatsOptions {
  /** Top activating texts kept per feature (default 20). */
  topN?: number
  /** Maximum number of bins in each feature's activation histogram (default 40, at most 128). */
  histogramBins?: number
  /** Activation quantile bins for per-token highlighting (default 10, as Neuronpedia's deciles). */
  quantileBins?: number
  /**
   * Positive activations sampled per feature (reservoir sampling) to place the quantile edges
   * (default 256). Edges are exact for features that fired at most this many times.
   */
  reservoirSize?: number
  /** Seed of the reservoir sampling (default 0). */
  seed?: number
}

export interface TopExample {
  /** Index of the text in the input (counted across batches). */
  text: number
  id?: string
  /** Largest activation of the feature over the text's tokens (the ranking key). */
  maxActivation: number
  /** Token position of that maximum within the text. */
  maxToken: number
  tokens: readonly string[]
  /** The feature's activation at every token of the text. */
  activations: Float32Array
  /** Quantile bin of every token's activation (see quantileBin); −1 where the feature is off. */
  bins: Int8Array
}

export interface FeatureStats {
  dSae: number
  nTokens: number
  nTexts: number
  /** Tokens on which each feature is non-zero (SAELens counts `!= 0`). */
  firingCount: Float64Array
  /** firingCount / nTokens. */
  density: Float64Array
  /** Texts in which each feature fired at least once. */
  textCount: Float64Array
  /** Largest activation over all tokens (0 for a feature that never fired). */
  maxActivation: Float32Array
  /** Mean of the positive activations (NaN for a feature that never fired). */
  meanActivation: Float64Array
  /**
   * Activation histograms of the positive activations, flattened: feature f has histBinCount[f] bins
   * of width histBinWidth[f] starting at 0, counts in histCounts[f·histogramBins + b]. Read one with
   * featureHistogram(stats, f), which gives the parallel arrays.
   */
  histogramBins: number
  histCounts: Uint32Array
  histBinCount: Int32Array
  histBinWidth: Float64Array
  /**
   * quantileBins + 1 edges per feature, flattened: [0, q(1/B), …, q((B−1)/B), max] of the feature's
   * positive activations. Bin b is [edges[b], edges[b+1]), the last one closed.
   */
  quantileBins: number
  quantileEdges: Float64Array
  /** 1 where the quantile edges come from every positive activation, 0 where from the reservoir sample. */
  quantileExact: Uint8Array
  /** Top activating texts per feature, best first (ties: earlier text first). */
  top: TopExample[][]
  options: Required<FeatureStatsOptions>
}

// Each feature keeps an exact histogram of FINE equal-width bins over [0, R), R a power of two
// that doubles (merging bin pairs, so counts stay exact) whenever a larger activation arrives.
const FINE = 256

export function resolveFeatureStatsOptions(options: FeatureStatsOptions = {}): Required<FeatureStatsOptions> {
  const r = {
    topN: options.topN ?? 20,
    histogramBins: options.histogramBins ?? 40,
    quantileBins: options.quantileBins ?? 10,
    reservoirSize: options.reservoirSize ?? 256,
    seed: options.seed ?? 0,
  }
  const bad = (field: string, expected: string) =>
    new Error(`feature stats: option ${field} = ${JSON.stringify((r as Record<string, unknown>)[field])}, expected ${expected}`)
  if (!Number.isInteger(r.topN) || r.topN < 1) throw bad('topN', 'a positive integer')
  if (!Number.isInteger(r.histogramBins) || r.histogramBins < 1 || r.histogramBins > FINE / 2)
    throw bad('histogramBins', `an integer in [1, ${FINE / 2}]`)
  if (!Number.isInteger(r.quantileBins) || r.quantileBins < 1 || r.quantileBins > 127) throw bad('quantileBins', 'an integer in [1, 127]')
  if (!Number.isInteger(r.reservoirSize) || r.reservoirSize < 1) throw bad('reservoirSize', 'a positive integer')
  if (!Number.isInteger(r.seed)) throw bad('seed', 'an integer')
  return r
}

/** Checks offsets and token strings against a row count; returns the number of texts. */
export function checkTextLayout(offsets: ArrayLike<number>, rows: number, tokens: readonly (readonly string[])[] | undefined, where: string): number {
  const nTexts = offsets.length - 1
  if (nTexts < 0) throw new Error(`${where}: offsets must hold nTexts + 1 entries, got none`)
  if (offsets[0] !== 0) throw new Error(`${where}: offsets[0] must be 0, got ${offsets[0]}`)
  if (offsets[nTexts] !== rows) throw new Error(`${where}: offsets[${nTexts}] = ${offsets[nTexts]} but there are ${rows} token rows`)
  for (let i = 0; i < nTexts; i++) {
    const len = offsets[i + 1] - offsets[i]
    if (!Number.isInteger(offsets[i + 1]) || len < 0) throw new Error(`${where}: offsets[${i + 1}] = ${offsets[i + 1]} is below offsets[${i}] = ${offsets[i]} or not an integer`)
    if (tokens && tokens[i]?.length !== len)
      throw new Error(`${where}: text ${i} spans ${len} rows but has ${tokens[i]?.length ?? 'no'} token strings`)
  }
  if (tokens && tokens.length !== nTexts) throw new Error(`${where}: ${tokens.length} token lists for ${nTexts} texts`)
  return nTexts
}

/** Quantile bin of activation a given a feature's edges (length B + 1); −1 when a ≤ 0. */
export function quantileBin(a: number, edges: ArrayLike<number>, offset = 0, bins = edges.length - 1): number {
  if (!(a > 0)) return -1
  let b = 0
  for (let e = 1; e < bins; e++) {
    if (a >= edges[offset + e]) b = e
    else break
  }
  return b
}

/**
 * Streaming accumulator. Feed whole texts (a text must not be split across calls) as SAE codes with
 * addCodes, or as raw activations with addActivations; finish() returns the statistics.
 */
export class FeatureStatsAccumulator {
  readonly options: Required<FeatureStatsOptions>
  nTokens = 0
  nTexts = 0
  private readonly rng: Rng
  private readonly firing: Float64Array
  private readonly texts: Float64Array
  private readonly posCount: Float64Array
  private readonly posSum: Float64Array
  private readonly max: Float32Array
  private readonly range: Float64Array
  private readonly fine: Uint32Array
  private readonly reservoir: Float32Array
  private readonly heapVal: Float32Array
  private readonly heapText: Int32Array
  private readonly heapArg: Int32Array
  private readonly heapSize: Int32Array
  private readonly heapActs: (Float32Array | undefined)[]
  private readonly heapTokens: (readonly string[] | undefined)[]
  private readonly heapIds: (string | undefined)[]
  private readonly stamp: Int32Array
  private readonly textMax: Float32Array
  private readonly textArg: Int32Array
  private readonly touched: Int32Array
  private readonly nonzero: Int32Array

  constructor(readonly dSae: number, options: FeatureStatsOptions = {}) {
    if (!Number.isInteger(dSae) || dSae < 1) throw new Error(`feature stats: d_sae must be a positive integer, got ${dSae}`)
    this.options = resolveFeatureStatsOptions(options)
    const { topN, reservoirSize } = this.options
    this.rng = new Rng(this.options.seed)
    this.firing = new Float64Array(dSae)
    this.texts = new Float64Array(dSae)
    this.posCount = new Float64Array(dSae)
    this.posSum = new Float64Array(dSae)
    this.max = new Float32Array(dSae)
    this.range = new Float64Array(dSae)
    this.fine = new Uint32Array(dSae * FINE)
    this.reservoir = new Float32Array(dSae * reservoirSize)
    this.heapVal = new Float32Array(dSae * topN)
    this.heapText = new Int32Array(dSae * topN)
    this.heapArg = new Int32Array(dSae * topN)
    this.heapSize = new Int32Array(dSae)
    this.heapActs = new Array(dSae * topN)
    this.heapTokens = new Array(dSae * topN)
    this.heapIds = new Array(dSae * topN)
    this.stamp = new Int32Array(dSae).fill(-1)
    this.textMax = new Float32Array(dSae)
    this.textArg = new Int32Array(dSae)
    this.touched = new Int32Array(dSae)
    this.nonzero = new Int32Array(dSae)
  }

  /** Adds texts given as SAE codes z [rows, d_sae] with local offsets (offsets[0] = 0, last = rows). */
  addCodes(z: Float32Array, offsets: ArrayLike<number>, tokens: readonly (readonly string[])[], ids?: readonly string[]): void {
    const { dSae } = this
    if (z.length % dSae !== 0) throw new Error(`feature stats: codes have ${z.length} values, not a whole number of rows of d_sae=${dSae}`)
    const rows = z.length / dSae
    const nTexts = checkTextLayout(offsets, rows, tokens, 'feature stats')
    if (ids && ids.length !== nTexts) throw new Error(`feature stats: ${ids.length} ids for ${nTexts} texts`)
    for (let i = 0; i < nTexts; i++) {
      this.addText(z, offsets[i], offsets[i + 1], tokens[i], ids?.[i])
    }
  }

  /** Encodes raw activations [rows, d_in] with the SAE and adds them. */
  addActivations(sae: Sae, acts: Float32Array, offsets: ArrayLike<number>, tokens: readonly (readonly string[])[], ids?: readonly string[]): void {
    if (sae.cfg.dSae !== this.dSae) throw new Error(`feature stats: SAE has d_sae=${sae.cfg.dSae}, accumulator ${this.dSae}`)
    this.addCodes(encode(sae, acts), offsets, tokens, ids)
  }

  private addText(z: Float32Array, start: number, end: number, tokens: readonly string[], id: string | undefined): void {
    const { dSae, firing, posCount, posSum, max, stamp, textMax, textArg, touched } = this
    const textIndex = this.nTexts++
    this.nTokens += end - start
    const nz = this.nonzero
    let nTouched = 0
    for (let t = start; t < end; t++) {
      const base = t * dSae
      // Gather the row's active latents first: a tight scan, then the bookkeeping on few entries.
      let count = 0
      for (let f = 0; f < dSae; f++) if (z[base + f] !== 0) nz[count++] = f
      for (let c = 0; c < count; c++) {
        const f = nz[c]
        const v = z[base + f]
        if (!Number.isFinite(v)) throw new Error(`feature stats: text ${textIndex} token ${t - start} feature ${f} has activation ${v}`)
        firing[f]++
        if (stamp[f] !== textIndex) {
          stamp[f] = textIndex
          textMax[f] = v
          textArg[f] = t - start
          touched[nTouched++] = f
        } else if (v > textMax[f]) {
          textMax[f] = v
          textArg[f] = t - start
        }
        if (v > 0) {
          posCount[f]++
          posSum[f] += v
          if (v > max[f]) max[f] = v
          this.addToHistogram(f, v)
          this.addToReservoir(f, v)
        }
      }
    }
    for (let k = 0; k < nTouched; k++) {
      const f = touched[k]
      this.texts[f]++
      if (textMax[f] > 0) this.offer(f, textMax[f], textIndex, textArg[f], z, start, end, tokens, id)
    }
  }

  private addToHistogram(f: number, v: number): void {
    const o = f * FINE
    let R = this.range[f]
    if (R === 0) {
      R = 2 ** (Math.floor(Math.log2(v)) + 1)
      while (v >= R) R *= 2
      while (v < R / 2) R /= 2
    }
    while (v >= R) {
      const c = this.fine
      for (let b = 0; b < FINE / 2; b++) c[o + b] = c[o + 2 * b] + c[o + 2 * b + 1]
      c.fill(0, o + FINE / 2, o + FINE)
      R *= 2
    }
    this.range[f] = R
    this.fine[o + Math.min(FINE - 1, Math.floor((v / R) * FINE))]++
  }

  private addToReservoir(f: number, v: number): void {
    const Q = this.options.reservoirSize
    const seen = this.posCount[f]
    if (seen <= Q) this.reservoir[f * Q + seen - 1] = v
    else {
      const j = this.rng.int(seen)
      if (j < Q) this.reservoir[f * Q + j] = v
    }
  }

  /** True when heap entry a should sit above b in the min-heap (a ranks worse). */
  private worse(a: number, b: number): boolean {
    const va = this.heapVal[a]
    const vb = this.heapVal[b]
    return va < vb || (va === vb && this.heapText[a] > this.heapText[b])
  }

  private swap(a: number, b: number): void {
    const { heapVal, heapText, heapArg, heapActs, heapTokens, heapIds } = this
    const v = heapVal[a]
    heapVal[a] = heapVal[b]
    heapVal[b] = v
    const t = heapText[a]
    heapText[a] = heapText[b]
    heapText[b] = t
    const g = heapArg[a]
    heapArg[a] = heapArg[b]
    heapArg[b] = g
    const acts = heapActs[a]
    heapActs[a] = heapActs[b]
    heapActs[b] = acts
    const toks = heapTokens[a]
    heapTokens[a] = heapTokens[b]
    heapTokens[b] = toks
    const id = heapIds[a]
    heapIds[a] = heapIds[b]
    heapIds[b] = id
  }

  private offer(f: number, v: number, text: number, arg: number, z: Float32Array, start: number, end: number, tokens: readonly string[], id: string | undefined): void {
    const N = this.options.topN
    const o = f * N
    const size = this.heapSize[f]
    let slot: number
    if (size < N) {
      slot = o + size
      this.heapSize[f] = size + 1
    } else {
      // Texts arrive in increasing index, so an equal value never displaces the earlier text.
      if (!(v > this.heapVal[o])) return
      slot = o
    }
    const acts = new Float32Array(end - start)
    for (let t = start; t < end; t++) acts[t - start] = z[t * this.dSae + f]
    this.heapVal[slot] = v
    this.heapText[slot] = text
    this.heapArg[slot] = arg
    this.heapActs[slot] = acts
    this.heapTokens[slot] = tokens
    this.heapIds[slot] = id
    const n = this.heapSize[f]
    let i = slot - o
    if (size < N) {
      while (i > 0) {
        const p = (i - 1) >> 1
        if (!this.worse(o + i, o + p)) break
        this.swap(o + i, o + p)
        i = p
      }
    } else {
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < n && this.worse(o + l, o + m)) m = l
        if (r < n && this.worse(o + r, o + m)) m = r
        if (m === i) break
        this.swap(o + i, o + m)
        i = m
      }
    }
  }

  finish(): FeatureStats {
    const { dSae, nTokens, options } = this
    const { topN: N, histogramBins: nb, quantileBins: nq, reservoirSize: Q } = options
    const density = new Float64Array(dSae)
    const meanActivation = new Float64Array(dSae)
    const histCounts = new Uint32Array(dSae * nb)
    const histBinCount = new Int32Array(dSae)
    const histBinWidth = new Float64Array(dSae)
    const quantileEdges = new Float64Array(dSae * (nq + 1))
    const quantileExact = new Uint8Array(dSae)
    const top: TopExample[][] = []
    for (let f = 0; f < dSae; f++) {
      density[f] = nTokens > 0 ? this.firing[f] / nTokens : 0
      const pos = this.posCount[f]
      meanActivation[f] = pos > 0 ? this.posSum[f] / pos : NaN
      // Histogram: group fine bins so at most nb bins cover [0, max]; the last one holds the max.
      if (pos > 0) {
        const o = f * FINE
        let used = FINE
        while (used > 0 && this.fine[o + used - 1] === 0) used--
        const g = Math.ceil(used / nb)
        const bins = Math.ceil(used / g)
        for (let b = 0; b < used; b++) histCounts[f * nb + Math.floor(b / g)] += this.fine[o + b]
        histBinCount[f] = bins
        histBinWidth[f] = (g * this.range[f]) / FINE
      }
      // Quantile edges from the (sorted) reservoir sample.
      const qo = f * (nq + 1)
      if (pos > 0) {
        const sample = this.reservoir.slice(f * Q, f * Q + Math.min(pos, Q)).sort()
        quantileExact[f] = pos <= Q ? 1 : 0
        quantileEdges[qo] = 0
        for (let b = 1; b < nq; b++) quantileEdges[qo + b] = quantileSorted(sample, b / nq)
        quantileEdges[qo + nq] = this.max[f]
      }
      const entries: number[] = []
      for (let k = 0; k < this.heapSize[f]; k++) entries.push(f * N + k)
      entries.sort((a, b) => this.heapVal[b] - this.heapVal[a] || this.heapText[a] - this.heapText[b])
      top.push(
        entries.map((slot) => {
          const activations = this.heapActs[slot]!
          const bins = new Int8Array(activations.length)
          for (let t = 0; t < activations.length; t++) bins[t] = quantileBin(activations[t], quantileEdges, qo, nq)
          const ex: TopExample = {
            text: this.heapText[slot],
            maxActivation: this.heapVal[slot],
            maxToken: this.heapArg[slot],
            tokens: this.heapTokens[slot]!,
            activations,
            bins,
          }
          if (this.heapIds[slot] !== undefined) ex.id = this.heapIds[slot]
          return ex
        }),
      )
    }
    return {
      dSae,
      nTokens,
      nTexts: this.nTexts,
      firingCount: Float64Array.from(this.firing),
      density,
      textCount: Float64Array.from(this.texts),
      maxActivation: Float32Array.from(this.max),
      meanActivation,
      histogramBins: nb,
      histCounts,
      histBinCount,
      histBinWidth,
      quantileBins: nq,
      quantileEdges,
      quantileExact,
      top,
      options: { ...options },
    }
  }
}

/**
 * Feature f's activation histogram as parallel arrays (np.histogram convention): counts, lo and hi
 * have n entries, edges n + 1; bin b is [lo[b], hi[b]), the last one closed. Only positive
 * activations are counted (zeros are in 1 − density). A feature that never fired has n = 0.
 */
export function featureHistogram(stats: FeatureStats, f: number): Histogram {
  if (!(f >= 0 && f < stats.dSae)) throw new Error(`featureHistogram: feature ${f} out of range [0, ${stats.dSae})`)
  const n = stats.histBinCount[f]
  const w = stats.histBinWidth[f]
  const edges = Array.from({ length: n + 1 }, (_, b) => b * w)
  const counts = Array.from(stats.histCounts.subarray(f * stats.histogramBins, f * stats.histogramBins + n))
  return { lo: edges.slice(0, n), hi: edges.slice(1), counts, edges: n === 0 ? [] : edges }
}

/** Feature f's quantile edges (quantileBins + 1 values). */
export function featureQuantileEdges(stats: FeatureStats, f: number): Float64Array {
  const w = stats.quantileBins + 1
  return stats.quantileEdges.slice(f * w, (f + 1) * w)
}

/** Rows per encode call: ~256 tokens, never splitting a text. */
const CHUNK_TOKENS = 256

/**
 * Feature statistics over token activations, encoded chunk by chunk with the SAE. Progress is
 * reported in texts.
 */
export async function computeFeatureStats(
  sae: Sae,
  input: TokenActivations,
  options: FeatureStatsOptions & ProgressOptions = {},
): Promise<FeatureStats> {
  validateSae(sae)
  const { dIn, dSae } = sae.cfg
  if (input.acts.length % dIn !== 0) throw new Error(`feature stats: acts have ${input.acts.length} values, not a whole number of rows of d_in=${dIn}`)
  const rows = input.acts.length / dIn
  const nTexts = checkTextLayout(input.offsets, rows, input.tokens, 'feature stats')
  if (input.ids && input.ids.length !== nTexts) throw new Error(`feature stats: ${input.ids.length} ids for ${nTexts} texts`)
  const acc = new FeatureStatsAccumulator(dSae, options)
  const maybeYield = createYielder(options)
  const { offsets } = input
  options.onProgress?.(0, nTexts)
  let i = 0
  while (i < nTexts) {
    await maybeYield()
    let j = i + 1
    while (j < nTexts && offsets[j + 1] - offsets[i] <= CHUNK_TOKENS) j++
    const r0 = offsets[i]
    const local = Array.from({ length: j - i + 1 }, (_, k) => offsets[i + k] - r0)
    acc.addActivations(sae, input.acts.subarray(r0 * dIn, offsets[j] * dIn), local, input.tokens.slice(i, j), input.ids?.slice(i, j))
    i = j
    options.onProgress?.(i, nTexts)
  }
  return acc.finish()
}

export type PoolingMode = 'max' | 'mean' | 'last'

/** Per-text pooled codes [nTexts, d_sae] from token codes z [rows, d_sae]: max, mean or last token. */
export function poolCodes(z: Float32Array, offsets: ArrayLike<number>, dSae: number, mode: PoolingMode): Matrix & { data: Float32Array } {
  if (z.length % dSae !== 0) throw new Error(`poolCodes: codes have ${z.length} values, not a whole number of rows of d_sae=${dSae}`)
  const nTexts = checkTextLayout(offsets, z.length / dSae, undefined, 'poolCodes')
  if (mode !== 'max' && mode !== 'mean' && mode !== 'last') throw new Error(`poolCodes: mode must be max | mean | last, got ${mode}`)
  const out = new Float32Array(nTexts * dSae)
  for (let i = 0; i < nTexts; i++) {
    const start = offsets[i]
    const end = offsets[i + 1]
    if (end === start) throw new Error(`poolCodes: text ${i} has no tokens`)
    const o = i * dSae
    if (mode === 'last') {
      out.set(z.subarray((end - 1) * dSae, end * dSae), o)
      continue
    }
    if (mode === 'max') {
      out.set(z.subarray(start * dSae, (start + 1) * dSae), o)
      for (let t = start + 1; t < end; t++) for (let f = 0; f < dSae; f++) if (z[t * dSae + f] > out[o + f]) out[o + f] = z[t * dSae + f]
      continue
    }
    const acc = new Float64Array(dSae)
    for (let t = start; t < end; t++) for (let f = 0; f < dSae; f++) acc[f] += z[t * dSae + f]
    for (let f = 0; f < dSae; f++) out[o + f] = acc[f] / (end - start)
  }
  return { data: out, rows: nTexts, cols: dSae }
}

/**
 * Per-text pooled feature activations [nTexts, d_sae] for labelled items: the SAE encodes every
 * token, then the codes are pooled per text (pooling codes, not activations, so 'max' is the
 * feature's peak in the text). 'last' equals encoding the last-token activation alone.
 */
export async function encodePooled(
  sae: Sae,
  input: Pick<TokenActivations, 'acts' | 'offsets'>,
  mode: PoolingMode,
  options: ProgressOptions = {},
): Promise<Matrix & { data: Float32Array }> {
  validateSae(sae)
  const { dIn, dSae } = sae.cfg
  if (input.acts.length % dIn !== 0) throw new Error(`encodePooled: acts have ${input.acts.length} values, not a whole number of rows of d_in=${dIn}`)
  const nTexts = checkTextLayout(input.offsets, input.acts.length / dIn, undefined, 'encodePooled')
  const { offsets } = input
  const out = new Float32Array(nTexts * dSae)
  const maybeYield = createYielder(options)
  options.onProgress?.(0, nTexts)
  let i = 0
  while (i < nTexts) {
    await maybeYield()
    let j = i + 1
    while (j < nTexts && offsets[j + 1] - offsets[i] <= CHUNK_TOKENS) j++
    const r0 = offsets[i]
    const local = Array.from({ length: j - i + 1 }, (_, k) => offsets[i + k] - r0)
    // 'last' only needs each text's final row encoded.
    const pooled =
      mode === 'last'
        ? poolCodes(encodeRows(sae, input.acts, lastRows(local, r0, i)), local.map((_, k) => k), dSae, 'last')
        : poolCodes(encode(sae, input.acts.subarray(r0 * dIn, offsets[j] * dIn)), local, dSae, mode)
    out.set(pooled.data, i * dSae)
    i = j
    options.onProgress?.(i, nTexts)
  }
  return { data: out, rows: nTexts, cols: dSae }
}

function lastRows(local: number[], r0: number, firstText: number): number[] {
  return local.slice(1).map((end, k) => {
    if (end === local[k]) throw new Error(`encodePooled: text ${firstText + k} has no tokens`)
    return r0 + end - 1
  })
}

function encodeRows(sae: Sae, acts: Float32Array, rows: number[]): Float32Array {
  const { dIn } = sae.cfg
  const x = new Float32Array(rows.length * dIn)
  rows.forEach((r, k) => x.set(acts.subarray(r * dIn, (r + 1) * dIn), k * dIn))
  return encode(sae, x)
}
