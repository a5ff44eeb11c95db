// What an SAE does inside the loaded model: the SAELens splice evaluation (CE / KL with the
// reconstruction spliced in vs zero-ablation) and the tokens a feature's decoder direction promotes
// and suppresses through the model's own final norm and unembedding.
import type { CausalLM, EncodedBatch } from '../model/causal-lm.ts'
import { tensorToFloat32 } from '../model/causal-lm.ts'
import { forwardWithEdits, zeroAblation } from '../hooks/edit.ts'
import { LENS_INPUT, LENS_OUTPUT } from '../hooks/lens.ts'
import { resolveSaeEdits, decoderDirection } from './edits.ts'
import { SpliceEvaluator, type SpliceEvaluation } from './evaluation.ts'
import type { Sae } from './types.ts'

export interface SpliceRunOptions {
  batchSize?: number
  /** Texts are cut to this many tokens (default 64). */
  maxTokens?: number
  signal?: AbortSignal
  onProgress?: (done: number, total: number) => void
}

/** The tokenizer's special token ids (BOS, EOS, …): SAELens leaves their positions out. */
export function specialTokenIds(model: CausalLM): number[] {
  const t = model.tokenizer as unknown as { all_special_ids?: number[] }
  return t.all_special_ids ?? []
}

/** Real positions' logits of a right-padded [B, T, V] output, concatenated text by text. */
function gatherLogits(all: Float32Array, batch: EncodedBatch, V: number): Float32Array {
  const T = batch.maxLen
  const total = batch.lengths.reduce((a, n) => a + n, 0)
  const out = new Float32Array(total * V)
  let r = 0
  batch.ids.forEach((_, b) => {
    const n = batch.lengths[b]
    out.set(all.subarray(b * T * V, (b * T + n) * V), r * V)
    r += n
  })
  return out
}

/**
 * SAELens' downstream metrics: every text run unchanged, with the SAE reconstruction spliced in at
 * `hook`, and with the hook zero-ablated; CE and KL from the three sets of logits (evaluation.ts).
 */
export async function evaluateSaeSplice(model: CausalLM, sae: Sae, hook: string, texts: readonly string[], opts: SpliceRunOptions = {}): Promise<SpliceEvaluation> {
  if (sae.cfg.dIn !== model.dModel) throw new Error(`The SAE reads ${sae.cfg.dIn}-dimensional activations but this model's residual stream has ${model.dModel}.`)
  model.siteOf(hook)
  const batchSize = Math.max(1, opts.batchSize ?? 8)
  const maxTokens = Math.max(2, opts.maxTokens ?? 64)
  const evaluator = new SpliceEvaluator({ ignoreTokenIds: specialTokenIds(model), keepPerToken: false })
  const splice = resolveSaeEdits(sae, [{ kind: 'splice', hook }]).edits
  const zero = [zeroAblation(hook)]
  opts.onProgress?.(0, texts.length)
  for (let start = 0; start < texts.length; start += batchSize) {
    if (opts.signal?.aborted) throw new DOMException('The evaluation was cancelled', 'AbortError')
    const ids = texts.slice(start, start + batchSize).map((t) => model.encode([t]).ids[0].slice(0, maxTokens))
    const batch: EncodedBatch = { ids, lengths: ids.map((r) => r.length), maxLen: Math.max(...ids.map((r) => r.length)) }
    const runs: Float32Array[] = []
    let V = 0
    for (const edits of [[], splice, zero]) {
      const out = await forwardWithEdits(model, batch, { fetch: ['logits'], edits })
      V = (out.logits.dims as number[])[2]
      runs.push(gatherLogits(tensorToFloat32(out.logits), batch, V))
      for (const t of Object.values(out)) t.dispose()
    }
    const offsets = [0]
    for (const n of batch.lengths) offsets.push(offsets[offsets.length - 1] + n)
    evaluator.add({ tokenIds: ids.flat(), offsets, vocabSize: V, original: runs[0], spliced: runs[1], ablated: runs[2] })
    opts.onProgress?.(Math.min(texts.length, start + batchSize), texts.length)
  }
  return evaluator.finish()
}

export interface TokenEffect {
  id: number
  token: string
  /** Standardised logit effect: (e − mean e) / sd e over the vocabulary. */
  z: number
}

export interface FeatureLogitEffects {
  feature: number
  promoted: TokenEffect[]
  suppressed: TokenEffect[]
}

/**
 * The tokens a feature's decoder direction d pushes up and down through the final norm and the
 * unembedding: e = (lens(c·d) − lens(−c·d)) / 2. For RMSNorm and LayerNorm heads this is
 * W_U (γ ⊙ centred d) up to a positive factor (biases cancel), i.e. the direct logit effect with the
 * norm folded in as TransformerLens does; it is shown standardised over the vocabulary.
 */
export async function featureLogitEffects(model: CausalLM, sae: Sae, features: readonly number[], k = 10): Promise<FeatureLogitEffects[]> {
  if (features.length === 0) return []
  const d = model.dModel
  const lens = await model.lens()
  const stacked = new Float32Array(features.length * 2 * d)
  features.forEach((f, i) => {
    const dir = decoderDirection(sae, f)
    let n = 0
    for (let j = 0; j < d; j++) n += dir[j] * dir[j]
    // Scale to a typical residual size so the norm's epsilon does not matter.
    const c = Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-12)
    for (let j = 0; j < d; j++) {
      stacked[(2 * i) * d + j] = c * dir[j]
      stacked[(2 * i + 1) * d + j] = -c * dir[j]
    }
  })
  const out = await lens.run({ [LENS_INPUT]: new model.ort.Tensor('float32', stacked, [1, features.length * 2, d]) }, [LENS_OUTPUT])
  const logits = out[LENS_OUTPUT].data as Float32Array
  const V = (out[LENS_OUTPUT].dims as number[])[2]
  const result = features.map((feature, i) => {
    const e = new Float64Array(V)
    let mean = 0
    for (let v = 0; v < V; v++) {
      e[v] = (logits[2 * i * V + v] - logits[(2 * i + 1) * V + v]) / 2
      mean += e[v] / V
    }
    let ss = 0
    for (let v = 0; v < V; v++) ss += (e[v] - mean) ** 2
    const sd = Math.sqrt(ss / V) || 1
    const order = Array.from({ length: V }, (_, v) => v).sort((a, b) => e[b] - e[a] || a - b)
    const pick = (ids: number[]) => ids.map((id) => ({ id, token: model.tokenizer.decode([id]), z: (e[id] - mean) / sd }))
    return { feature, promoted: pick(order.slice(0, k)), suppressed: pick(order.slice(-k).reverse()) }
  })
  out[LENS_OUTPUT].dispose()
  return result
}
