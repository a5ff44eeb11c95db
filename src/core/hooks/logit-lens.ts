// Per-layer view of one text: residual norms and the logit lens (what the model would predict
// if it stopped after each layer), at the last token.
import type { CausalLM } from '../model/causal-lm.ts'
import { captureActivations } from './capture.ts'
import type { Intervention } from './interventions.ts'
import { LENS_INPUT, LENS_OUTPUT } from './lens.ts'
import { logSoftmaxRow } from './scoring.ts'

export interface LensLayer {
  hook: string
  /** L2 norm of the residual at the last token. */
  norm: number
  top: { id: number; token: string; prob: number }[]
}

export interface LensResult {
  text: string
  tokens: string[]
  layers: LensLayer[]
}

/** Residual norms and logit-lens top-k for resid_pre(0) and every resid_post. */
export async function layerLens(model: CausalLM, text: string, opts: { topK?: number; interventions?: Intervention[] } = {}): Promise<LensResult> {
  const k = opts.topK ?? 5
  const hooks = ['blocks.0.hook_resid_pre', ...model.info.hooks.names.filter((n) => n.endsWith('hook_resid_post'))]
  const cap = await captureActivations(model, [text], { hooks, pooling: 'last', interventions: opts.interventions })
  const d = model.dModel
  const stacked = new Float32Array(hooks.length * d)
  hooks.forEach((h, i) => stacked.set(cap.activations[h].data, i * d))
  const lens = await model.lens()
  const out = await lens.run({ [LENS_INPUT]: new model.ort.Tensor('float32', stacked, [1, hooks.length, d]) }, [LENS_OUTPUT])
  const logits = out[LENS_OUTPUT].data as Float32Array
  const V = (out[LENS_OUTPUT].dims as number[])[2]
  const layers = hooks.map((hook, i) => {
    const lp = logSoftmaxRow(logits, i * V, V)
    const order = Array.from({ length: V }, (_, j) => j).sort((a, b) => lp[b] - lp[a]).slice(0, k)
    const v = stacked.subarray(i * d, (i + 1) * d)
    let n = 0
    for (let j = 0; j < d; j++) n += v[j] * v[j]
    return { hook, norm: Math.sqrt(n), top: order.map((id) => ({ id, token: model.tokenizer.decode([id]), prob: Math.exp(lp[id]) })) }
  })
  out[LENS_OUTPUT].dispose()
  const ids = model.encode([text]).ids[0]
  return { text, tokens: ids.map((id) => model.tokenizer.decode([id])), layers }
}
