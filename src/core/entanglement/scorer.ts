// Next-token log-probabilities of a token set (the rating digits) after many prompts given as
// token ids, either from scratch in padded batches or reusing KV caches of shared prefixes
// (PrefixKvCache, batch-1 runs). Both paths run exactly the same ids.
import type { CausalLM, EncodedBatch } from '../model/causal-lm.ts'
import { tensorToFloat32 } from '../model/causal-lm.ts'
import { PrefixKvCache } from '../hooks/prefix-cache.ts'
import { logSoftmaxRow } from '../hooks/scoring.ts'
import type { Intervention } from '../hooks/interventions.ts'

/**
 * 'prompt': cache the prefix all rows share (the rating prompt before the sentence).
 * 'tree': also cache every longer prefix that a group of rows shares (e.g. the 8 sentences of a
 * factorial frame share their opening words) when that saves at least `minSavedTokens` tokens
 * (default 8: each cached prefix costs one more forward pass).
 */
export type PrefixSharing = 'prompt' | 'tree'

export interface ScoringCost {
  forwardPasses: number
  /** Real tokens run through the model. */
  tokensComputed: number
  /** Prompt tokens served from a KV cache instead. */
  tokensReused: number
  /** Pad positions computed by batched runs. */
  paddingTokens: number
  /** Σ prompt lengths: what scoring every prompt from scratch computes. */
  promptTokens: number
  ms: number
}

export function emptyCost(): ScoringCost {
  return { forwardPasses: 0, tokensComputed: 0, tokensReused: 0, paddingTokens: 0, promptTokens: 0, ms: 0 }
}

export function addCost(a: ScoringCost, b: ScoringCost): ScoringCost {
  return {
    forwardPasses: a.forwardPasses + b.forwardPasses,
    tokensComputed: a.tokensComputed + b.tokensComputed,
    tokensReused: a.tokensReused + b.tokensReused,
    paddingTokens: a.paddingTokens + b.paddingTokens,
    promptTokens: a.promptTokens + b.promptTokens,
    ms: a.ms + b.ms,
  }
}

export type PrefixStep = { op: 'prefill'; ids: number[] } | { op: 'score'; row: number }

function compareIds(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}

function lcpLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a[i] === b[i]) i++
  return i
}

/**
 * The order in which to prefill shared prefixes and score rows. Rows are visited in lexicographic
 * order of their ids (a depth-first walk of their prefix tree); before each subtree the cached
 * ancestors are prefilled again, which costs nothing on a hit but marks them most recently used,
 * so an LRU cache of `maxLive + 2` entries never evicts a prefix that is still needed.
 */
export function planPrefixSharing(
  rows: readonly (readonly number[])[],
  sharing: PrefixSharing,
  minSavedTokens = 8,
): { steps: PrefixStep[]; maxLive: number } {
  const steps: PrefixStep[] = []
  if (rows.length === 0) return { steps, maxLive: 0 }
  const order = rows.map((_, i) => i).sort((a, b) => compareIds(rows[a], rows[b]))
  if (sharing === 'prompt') {
    const lcp = lcpLength(rows[order[0]], rows[order[order.length - 1]])
    if (rows.length > 1 && lcp > 0) steps.push({ op: 'prefill', ids: rows[order[0]].slice(0, lcp) })
    rows.forEach((_, row) => steps.push({ op: 'score', row }))
    return { steps, maxLive: steps.length > rows.length ? 1 : 0 }
  }
  const path: number[][] = []
  let maxLive = 0
  const visit = (lo: number, hi: number, cachedLen: number) => {
    if (hi - lo === 1) {
      steps.push({ op: 'score', row: order[lo] })
      return
    }
    const lcp = lcpLength(rows[order[lo]], rows[order[hi - 1]])
    const cache = lcp > cachedLen && (hi - lo - 1) * (lcp - cachedLen) >= minSavedTokens
    let base = cachedLen
    if (cache) {
      const ids = rows[order[lo]].slice(0, lcp)
      steps.push({ op: 'prefill', ids })
      path.push(ids)
      maxLive = Math.max(maxLive, path.length)
      base = lcp
    }
    let i = lo
    // Rows that end exactly here sort first.
    while (i < hi && rows[order[i]].length === lcp) steps.push({ op: 'score', row: order[i++] })
    while (i < hi) {
      const token = rows[order[i]][lcp]
      let j = i + 1
      while (j < hi && rows[order[j]][lcp] === token) j++
      for (const p of path) steps.push({ op: 'prefill', ids: p })
      visit(i, j, base)
      i = j
    }
    if (cache) path.pop()
  }
  visit(0, order.length, 0)
  return { steps, maxLive }
}

export interface ScoreRowsOptions {
  interventions?: Intervention[]
  /** Reuse KV caches of shared prefixes (batch-1 runs); otherwise padded batches from scratch. */
  usePrefixCache?: boolean
  sharing?: PrefixSharing
  minSavedTokens?: number
  /** Batch size of the from-scratch path (default 8). */
  batchSize?: number
  signal?: AbortSignal
  /** Called after each scored row with the number done. */
  onRow?: (done: number) => void
}

function cancelled(): DOMException {
  return new DOMException('Scoring was cancelled', 'AbortError')
}

/** log P(token) over the full vocabulary for each of `tokenIds`, after each row: [rows][tokens]. */
export async function scoreRows(
  model: CausalLM,
  rows: readonly (readonly number[])[],
  tokenIds: readonly number[],
  opts: ScoreRowsOptions = {},
): Promise<{ logProbs: number[][]; cost: ScoringCost }> {
  const start = performance.now()
  const cost = emptyCost()
  cost.promptTokens = rows.reduce((a, r) => a + r.length, 0)
  const out: number[][] = new Array(rows.length)
  rows.forEach((r, i) => {
    if (r.length === 0) throw new Error(`prompt ${i} has no tokens`)
  })
  const pick = (logits: Float32Array, offset: number, V: number) => {
    const lp = logSoftmaxRow(logits, offset, V)
    return tokenIds.map((id) => lp[id])
  }
  let done = 0
  if (opts.usePrefixCache ?? true) {
    const last = opts.interventions?.find((iv) => iv.positions === 'last')
    if (last)
      throw new Error(
        `the intervention at ${last.hook} acts on the last position only, which a prefix cache would apply to each cached chunk; score with usePrefixCache: false`,
      )
    const { steps, maxLive } = planPrefixSharing(rows, opts.sharing ?? 'tree', opts.minSavedTokens)
    const cache = new PrefixKvCache(model, { maxEntries: maxLive + 2, interventions: opts.interventions })
    try {
      for (const step of steps) {
        if (opts.signal?.aborted) throw cancelled()
        if (step.op === 'prefill') {
          await cache.prefill(step.ids)
          continue
        }
        const logits = await cache.nextTokenLogits(rows[step.row] as number[])
        out[step.row] = pick(logits, 0, logits.length)
        opts.onRow?.(++done)
      }
    } finally {
      const { forwardPasses, tokensComputed, tokensReused } = cache.stats
      Object.assign(cost, { forwardPasses, tokensComputed, tokensReused })
      cache.dispose()
    }
  } else {
    const bs = Math.max(1, opts.batchSize ?? 8)
    // Similar lengths together, so batches carry little padding.
    const order = rows.map((_, i) => i).sort((a, b) => rows[b].length - rows[a].length || a - b)
    for (let s = 0; s < order.length; s += bs) {
      if (opts.signal?.aborted) throw cancelled()
      const idx = order.slice(s, s + bs)
      const ids = idx.map((i) => rows[i] as number[])
      const lengths = ids.map((r) => r.length)
      const batch: EncodedBatch = { ids, lengths, maxLen: Math.max(...lengths) }
      const res = await model.forward(batch, { fetch: ['logits'], interventions: opts.interventions })
      cost.forwardPasses++
      cost.tokensComputed += lengths.reduce((a, l) => a + l, 0)
      cost.paddingTokens += lengths.reduce((a, l) => a + batch.maxLen - l, 0)
      const logits = tensorToFloat32(res.logits)
      const [, T, V] = res.logits.dims as number[]
      idx.forEach((row, b) => {
        const t = T === 1 ? 0 : lengths[b] - 1
        out[row] = pick(logits, (b * T + t) * V, V)
      })
      res.logits.dispose()
      done += idx.length
      opts.onRow?.(done)
    }
  }
  cost.ms = performance.now() - start
  return { logProbs: out, cost }
}
