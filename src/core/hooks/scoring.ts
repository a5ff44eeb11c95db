// Scoring with hooks and interventions active: next-token log-probabilities restricted to a
// token set, and log-probabilities of given continuations.
import type { CausalLM, EncodedBatch } from '../model/causal-lm.ts'
import { tensorToFloat32 } from '../model/causal-lm.ts'
import type { Intervention } from './interventions.ts'

export function logSoftmaxRow(logits: Float32Array, offset: number, V: number): Float64Array {
  let max = -Infinity
  for (let i = 0; i < V; i++) if (logits[offset + i] > max) max = logits[offset + i]
  let z = 0
  for (let i = 0; i < V; i++) z += Math.exp(logits[offset + i] - max)
  const lz = max + Math.log(z)
  const out = new Float64Array(V)
  for (let i = 0; i < V; i++) out[i] = logits[offset + i] - lz
  return out
}

export function logSumExp(xs: ArrayLike<number>): number {
  let max = -Infinity
  for (let i = 0; i < xs.length; i++) if (xs[i] > max) max = xs[i]
  if (max === -Infinity) return -Infinity
  let s = 0
  for (let i = 0; i < xs.length; i++) s += Math.exp(xs[i] - max)
  return max + Math.log(s)
}

export interface TokenSetScores {
  /** log P(token) over the full vocabulary, [prompts][tokens]. */
  logProbs: number[][]
  /** log P(token | token ∈ set): renormalised within the set, [prompts][tokens]. */
  logProbsInSet: number[][]
  /** log P(set) = logsumexp of the set's log-probabilities, per prompt. */
  setLogProb: number[]
}

/** Next-token log-probabilities of `tokenIds` after each prompt. */
export async function scoreNextTokens(
  model: CausalLM,
  prompts: string[],
  tokenIds: number[],
  opts: { interventions?: Intervention[]; batchSize?: number; addSpecialTokens?: boolean; signal?: AbortSignal } = {},
): Promise<TokenSetScores> {
  const V = model.info.vocabSize
  for (const id of tokenIds) if (!(id >= 0 && id < V)) throw new Error(`token id ${id} is outside the vocabulary (0..${V - 1})`)
  const res: TokenSetScores = { logProbs: [], logProbsInSet: [], setLogProb: [] }
  const bs = Math.max(1, opts.batchSize ?? 8)
  for (let s = 0; s < prompts.length; s += bs) {
    if (opts.signal?.aborted) throw new DOMException('Scoring was cancelled', 'AbortError')
    const batch = model.encode(prompts.slice(s, s + bs), opts.addSpecialTokens ?? true)
    const out = await model.forward(batch, { fetch: ['logits'], interventions: opts.interventions })
    const logits = tensorToFloat32(out.logits)
    const [B, T, Vout] = out.logits.dims as number[]
    for (let b = 0; b < B; b++) {
      const t = T === 1 ? 0 : batch.lengths[b] - 1
      const lp = logSoftmaxRow(logits, (b * T + t) * Vout, Vout)
      const row = tokenIds.map((id) => lp[id])
      const set = logSumExp(row)
      res.logProbs.push(row)
      res.logProbsInSet.push(row.map((x) => x - set))
      res.setLogProb.push(set)
    }
    out.logits.dispose()
  }
  return res
}

export interface ContinuationScore {
  /** Sum of the continuation tokens' log-probabilities. */
  logProb: number
  /** Per-token log-probabilities. */
  tokenLogProbs: number[]
  tokens: number[]
}

/**
 * log P(continuation | prompt) for each continuation. The prompt and the continuation are
 * tokenised separately and joined, so no merge crosses the boundary.
 */
export async function scoreContinuations(
  model: CausalLM,
  prompt: string,
  continuations: string[],
  opts: { interventions?: Intervention[]; batchSize?: number; signal?: AbortSignal } = {},
): Promise<ContinuationScore[]> {
  const promptIds = model.encode([prompt], true).ids[0]
  const contIds = continuations.map((c) => model.encode([c], false).ids[0])
  const out: ContinuationScore[] = []
  const bs = Math.max(1, opts.batchSize ?? 8)
  for (let s = 0; s < continuations.length; s += bs) {
    if (opts.signal?.aborted) throw new DOMException('Scoring was cancelled', 'AbortError')
    const ids = contIds.slice(s, s + bs).map((c) => [...promptIds, ...c])
    const lengths = ids.map((r) => r.length)
    const batch: EncodedBatch = { ids, lengths, maxLen: Math.max(...lengths) }
    const res = await model.forward(batch, { fetch: ['logits'], interventions: opts.interventions })
    const logits = tensorToFloat32(res.logits)
    const [, T, V] = res.logits.dims as number[]
    ids.forEach((row, b) => {
      const tokenLogProbs: number[] = []
      for (let t = promptIds.length; t < row.length; t++) {
        const lp = logSoftmaxRow(logits, (b * T + t - 1) * V, V)
        tokenLogProbs.push(lp[row[t]])
      }
      out.push({ logProb: tokenLogProbs.reduce((a, x) => a + x, 0), tokenLogProbs, tokens: row.slice(promptIds.length) })
    })
    res.logits.dispose()
  }
  return out
}

/** Token ids whose decoded text, lower-cased and trimmed, contains `word` (e.g. "true"). */
export function tokensContaining(model: CausalLM, word: string, exclude?: string): number[] {
  const ids: number[] = []
  const w = word.toLowerCase()
  for (let id = 0; id < model.info.vocabSize; id++) {
    const text = model.tokenizer.decode([id]).toLowerCase()
    if (text.includes(w) && !(exclude && text.includes(exclude.toLowerCase()))) ids.push(id)
  }
  return ids
}

/** The single token for each string (e.g. digits "1".."7"), or an error naming a string that is not one token. */
export function singleTokenIds(model: CausalLM, strings: string[]): number[] {
  return strings.map((s) => {
    const ids = model.encode([s], false).ids[0]
    if (ids.length !== 1) throw new Error(`"${s}" is ${ids.length} tokens for this tokenizer, not one`)
    return ids[0]
  })
}
