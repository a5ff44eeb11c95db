// Generation with the KV cache, hooks and interventions active: greedy or sampled, with stop
// tokens and stop strings, streamed token by token.
import type { CausalLM, KvCache, OrtTensor } from '../model/causal-lm.ts'
import { tensorToFloat32 } from '../model/causal-lm.ts'
import { Rng } from '../random.ts'
import type { Intervention } from './interventions.ts'
import { forwardWithEdits, type ResidualEdit } from './edit.ts'

export interface GenerateOptions {
  maxNewTokens?: number
  /** 0 = greedy. */
  temperature?: number
  topK?: number
  topP?: number
  seed?: number
  stopTokenIds?: number[]
  stopStrings?: string[]
  interventions?: Intervention[]
  /** Residual edits recomputed at every step (two passes per token). */
  edits?: ResidualEdit[]
  addSpecialTokens?: boolean
  signal?: AbortSignal
}

export interface GeneratedToken {
  id: number
  /** Text added by this token (may be empty until a multi-byte character completes). */
  delta: string
  text: string
  done: boolean
  reason?: 'eos' | 'stop-string' | 'max-tokens'
}

export function eosTokenIds(model: CausalLM): number[] {
  const ids = new Set<number>()
  const add = (v: unknown) => {
    if (typeof v === 'number') ids.add(v)
    else if (Array.isArray(v)) v.forEach(add)
  }
  add(model.generationConfig?.eos_token_id)
  add(model.config.eos_token_id)
  add((model.tokenizer as unknown as { eos_token_id?: number }).eos_token_id)
  return [...ids]
}

/** Picks the next token from logits: argmax at temperature 0, else top-k / top-p sampling. */
export function pickToken(logits: Float32Array, opts: { temperature?: number; topK?: number; topP?: number }, rng: Rng): number {
  const V = logits.length
  const temp = opts.temperature ?? 0
  if (temp <= 0) {
    let best = 0
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i
    return best
  }
  let order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a])
  if (opts.topK && opts.topK > 0) order = order.slice(0, opts.topK)
  const max = logits[order[0]]
  let probs = order.map((i) => Math.exp((logits[i] - max) / temp))
  let z = probs.reduce((a, p) => a + p, 0)
  probs = probs.map((p) => p / z)
  if (opts.topP && opts.topP < 1) {
    let acc = 0
    let cut = probs.length
    for (let i = 0; i < probs.length; i++) {
      acc += probs[i]
      if (acc >= opts.topP) {
        cut = i + 1
        break
      }
    }
    order = order.slice(0, cut)
    probs = probs.slice(0, cut)
    z = probs.reduce((a, p) => a + p, 0)
    probs = probs.map((p) => p / z)
  }
  let u = rng.next()
  for (let i = 0; i < probs.length; i++) {
    u -= probs[i]
    if (u < 0) return order[i]
  }
  return order[order.length - 1]
}

export async function* generate(model: CausalLM, prompt: string, opts: GenerateOptions = {}): AsyncGenerator<GeneratedToken> {
  const maxNew = opts.maxNewTokens ?? 32
  const stopIds = new Set([...(opts.stopTokenIds ?? []), ...eosTokenIds(model)])
  const rng = new Rng(opts.seed ?? 0)
  const promptIds = model.encode([prompt], opts.addSpecialTokens ?? true).ids[0]
  const generated: number[] = []
  let text = ''
  let past: KvCache | undefined
  let chunk = promptIds
  const fetch = ['logits', ...model.presentNames]
  try {
    for (let step = 0; step < maxNew; step++) {
      if (opts.signal?.aborted) throw new DOMException('Generation was cancelled', 'AbortError')
      const batch = { ids: [chunk], lengths: [chunk.length], maxLen: chunk.length }
      const out: Record<string, OrtTensor> = await forwardWithEdits(model, batch, { fetch, past, interventions: opts.interventions, edits: opts.edits ?? [] })
      const logits = tensorToFloat32(out.logits)
      const V = (out.logits.dims as number[])[2]
      const T = (out.logits.dims as number[])[1]
      const row = logits.slice((T - 1) * V, T * V)
      out.logits.dispose()
      const previous = past
      past = model.cacheFrom(out, (past?.length ?? 0) + chunk.length)
      if (previous) for (const t of Object.values(previous.tensors)) t.dispose()
      const id = pickToken(row, opts, rng)
      generated.push(id)
      const full = model.tokenizer.decode(generated, { skip_special_tokens: true })
      const delta = full.slice(text.length)
      text = full
      let reason: GeneratedToken['reason']
      if (stopIds.has(id)) reason = 'eos'
      else if (opts.stopStrings?.some((s) => text.includes(s))) reason = 'stop-string'
      else if (step === maxNew - 1) reason = 'max-tokens'
      yield { id, delta, text, done: !!reason, reason }
      if (reason) return
      chunk = [id]
    }
  } finally {
    if (past) for (const t of Object.values(past.tensors)) t.dispose()
  }
}

export async function generateText(model: CausalLM, prompt: string, opts: GenerateOptions = {}): Promise<{ text: string; ids: number[]; reason?: string }> {
  const ids: number[] = []
  let text = ''
  let reason: string | undefined
  for await (const t of generate(model, prompt, opts)) {
    ids.push(t.id)
    text = t.text
    reason = t.reason
  }
  return { text, ids, reason }
}
