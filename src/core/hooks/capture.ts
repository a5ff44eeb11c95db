// Capturing residual activations for a batch of texts, pooled per text.
import type { CausalLM, EncodedBatch } from '../model/causal-lm.ts'
import { tensorToFloat32 } from '../model/causal-lm.ts'
import type { Intervention } from './interventions.ts'
import { forwardWithEdits, type ResidualEdit } from './edit.ts'
import { HOOK_KINDS, type HookKind } from './locate.ts'

export type Pooling = 'last' | 'mean' | 'all'

export interface CapturedHook {
  /** Row-major fp32: [texts, d] for 'last'/'mean', [tokens, d] for 'all'. */
  data: Float32Array
  shape: [number, number]
}

export interface CaptureResult {
  hooks: string[]
  pooling: Pooling
  dModel: number
  activations: Record<string, CapturedHook>
  /** Tokens per text (after tokenisation). */
  tokenCounts: number[]
  /** For 'all': row offsets of each text in the token-major arrays (length texts + 1). */
  offsets?: number[]
  /** Token ids per text, for 'all' (feature browsers highlight tokens). */
  tokenIds?: number[][]
}

export interface CaptureOptions {
  /** Hook names, or kinds meaning that kind at every layer. */
  hooks: (string | HookKind)[]
  pooling: Pooling
  batchSize?: number
  interventions?: Intervention[]
  /** Residual edits computed from the residual itself (an SAE splice, a re-alignment). */
  edits?: ResidualEdit[]
  addSpecialTokens?: boolean
  signal?: AbortSignal
  onProgress?: (done: number, total: number) => void
}

/** Expands kinds ('resid_post') into hook names, keeping the model's hook order. */
export function expandHooks(model: CausalLM, hooks: (string | HookKind)[]): string[] {
  const all = model.info.hooks.names
  const wanted = new Set<string>()
  for (const h of hooks) {
    if ((HOOK_KINDS as string[]).includes(h)) all.filter((n) => n.endsWith(`hook_${h}`)).forEach((n) => wanted.add(n))
    else if (all.includes(h)) wanted.add(h)
    else throw new Error(`unknown hook "${h}"; this model has ${all.length} hooks (${all.slice(0, 3).join(', ')}, …)`)
  }
  return all.filter((n) => wanted.has(n))
}

export async function captureActivations(model: CausalLM, texts: string[], opts: CaptureOptions): Promise<CaptureResult> {
  const hooks = expandHooks(model, opts.hooks)
  if (hooks.length === 0) throw new Error('no hooks to capture')
  const d = model.dModel
  const outputs = hooks.map((h) => model.hookOutput(h))
  const fetch = [...new Set(outputs)]
  const batchSize = Math.max(1, opts.batchSize ?? 8)
  const encoded = texts.map((t) => model.encode([t], opts.addSpecialTokens ?? true).ids[0])
  const tokenCounts = encoded.map((ids) => ids.length)
  const all = opts.pooling === 'all'
  const offsets = [0]
  for (const n of tokenCounts) offsets.push(offsets[offsets.length - 1] + n)
  const rows = all ? offsets[offsets.length - 1] : texts.length
  const data = new Map(hooks.map((h) => [h, new Float32Array(rows * d)]))
  for (let start = 0; start < texts.length; start += batchSize) {
    if (opts.signal?.aborted) throw new DOMException('Capture was cancelled', 'AbortError')
    const ids = encoded.slice(start, start + batchSize)
    const lengths = ids.map((r) => r.length)
    const batch: EncodedBatch = { ids, lengths, maxLen: Math.max(...lengths) }
    const out = await forwardWithEdits(model, batch, { fetch, interventions: opts.interventions, edits: opts.edits ?? [] })
    for (const h of hooks) {
      const t = out[model.hookOutput(h)]
      const values = tensorToFloat32(t)
      const T = batch.maxLen
      const target = data.get(h)!
      for (let b = 0; b < ids.length; b++) {
        const text = start + b
        const base = b * T * d
        if (opts.pooling === 'last') {
          const p = base + (lengths[b] - 1) * d
          target.set(values.subarray(p, p + d), text * d)
        } else if (opts.pooling === 'mean') {
          const acc = new Float64Array(d)
          for (let t2 = 0; t2 < lengths[b]; t2++) for (let i = 0; i < d; i++) acc[i] += values[base + t2 * d + i]
          for (let i = 0; i < d; i++) target[text * d + i] = acc[i] / lengths[b]
        } else {
          target.set(values.subarray(base, base + lengths[b] * d), offsets[text] * d)
        }
      }
    }
    for (const t of Object.values(out)) t.dispose()
    opts.onProgress?.(Math.min(texts.length, start + batchSize), texts.length)
  }
  const activations: Record<string, CapturedHook> = {}
  for (const h of hooks) activations[h] = { data: data.get(h)!, shape: [rows, d] }
  return {
    hooks,
    pooling: opts.pooling,
    dModel: d,
    activations,
    tokenCounts,
    ...(all ? { offsets, tokenIds: encoded } : {}),
  }
}
