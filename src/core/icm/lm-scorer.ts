// An `IcmScorer` over a loaded causal LM: the score of `context + target` is the log-odds of "True"-like against
// "False"-like next tokens (METHODS.md §4.2, the code's `get_yes_no_diff_logprobs`).
//
// Prefix reuse. An ICM context is a run of demonstrations ("<prompt> True|False\n\n"), and contexts that share
// their leading demonstrations share a token prefix only if tokenisation never merges across a demonstration
// boundary. So the text is cut into pieces, each tokenised on its own and the ids concatenated:
//   demo₁ · "\n\n"+demo₂ · … · "\n\n"+demoₖ · "\n\n"+target
// (cuts fall after a label word and before the separator, where byte-level BPE pre-tokenisers split anyway;
// `stats.tokenisationMismatches` counts requests whose ids differ from tokenising the whole text at once).
// Within a call, requests are run in a depth-first walk of their prefix trie (`prefixTrieOrder`); the prefix
// each shares with the next one, and each request's demonstration context, are kept in a bounded
// `PrefixKvCache` (least recently used out), so only the uncached tail of every prompt is computed.

import { PrefixKvCache } from '../hooks/prefix-cache.ts'
import { tokensContaining } from '../hooks/scoring.ts'
import type { Intervention } from '../hooks/interventions.ts'
import type { CausalLM } from '../model/causal-lm.ts'
import { OFFICIAL_TOP_LOGPROBS, tokenSetLogOdds, topLogprobs, yesNoDiffLogprobs } from './logodds.ts'
import { DEMONSTRATION_SEPARATOR, FALSE_LABEL, TRUE_LABEL } from './templates.ts'
import type { IcmScorer, ScoreBatch, ScoreRequest } from './types.ts'

export interface LmScorerOptions {
  /** Residual-stream edits applied to every run (ICM on an edited model); the model must be instrumented. */
  interventions?: Intervention[]
  /**
   * 'all' (default): exact log-odds over every token whose lower-cased text contains "true" but not "false"
   * (and vice versa), logsumexp(true) − logsumexp(false). 'top-k': the code's behaviour with vLLM's top-20:
   * only tokens among the k most likely count, probabilities summed with eps 1e-5, 0 when neither appears.
   */
  tokenSelection?: 'all' | 'top-k'
  /** k for 'top-k' (default 20, the code's `logprobs=20`). */
  topK?: number
  /** Precomputed True-like / False-like token ids (skips decoding the whole vocabulary). */
  tokenSets?: { trueIds: number[]; falseIds: number[] }
  /** Reuse KV caches of shared prefixes (default true); false scores every prompt from scratch. */
  reusePrefixes?: boolean
  /** Bound on cached prefixes (default 8); each holds the keys and values of its tokens for every layer. */
  maxCacheEntries?: number
  /** Also cache each request's demonstration context for later calls (default true). */
  cacheContexts?: boolean
  /** Shared prefixes shorter than this are not worth a cache entry (default 16 tokens). */
  minPrefixTokens?: number
  /** Context window; default the model's max_position_embeddings (n_positions, n_ctx). */
  maxContextTokens?: number
  /** Let the tokenizer add its special tokens (BOS) at the start (default true; false for rendered chat text). */
  addSpecialTokens?: boolean
  /** Compare each request's ids with tokenising its whole text (default true). */
  checkTokenisation?: boolean
}

export interface LmScorerStats {
  requests: number
  /** Requests identical to another one in the same call (scored once). */
  duplicateRequests: number
  /** Distinct prompts whose next-token distribution needed at least one model run (the `forwardPasses` reported). */
  promptsComputed: number
  /** onnxruntime session runs (a prompt may take one for a shared prefix and one for its tail). */
  sessionRuns: number
  tokensComputed: number
  /** Tokens of the distinct prompts scored: what scoring each from scratch would compute. */
  tokensFromScratch: number
  /** tokensFromScratch − tokensComputed: tokens whose keys and values came from a cached prefix. */
  tokensReused: number
  /** Requests whose oldest demonstrations were dropped to fit the context window. */
  truncatedRequests: number
  demonstrationsDropped: number
  /** Requests whose piecewise ids differ from tokenising the whole text. */
  tokenisationMismatches: number
}

export interface LmScoreBatch extends ScoreBatch {
  sessionRuns: number
  tokensComputed: number
  tokensFromScratch: number
  tokensReused: number
  truncatedRequests: number
}

export interface TokenisedRequest {
  ids: number[]
  /** Ids before the target piece: the demonstration context. */
  contextLength: number
  /** Demonstrations kept in context. */
  demonstrations: number
  /** Oldest demonstrations dropped to fit the context window. */
  dropped: number
}

const SEP = DEMONSTRATION_SEPARATOR
const DEMO_ENDS = [TRUE_LABEL + SEP, FALSE_LABEL + SEP]

/**
 * A context cut into its demonstrations (each "<prompt> True|False", separator removed) and whatever follows the
 * last complete one. `demonstrations.map(d => d + "\n\n").join('') + rest === context`.
 */
export function splitDemonstrations(context: string): { demonstrations: string[]; rest: string } {
  const demonstrations: string[] = []
  let at = 0
  for (;;) {
    let end = -1
    for (const e of DEMO_ENDS) {
      const i = context.indexOf(e, at)
      if (i !== -1 && (end === -1 || i + e.length < end)) end = i + e.length
    }
    if (end === -1) break
    demonstrations.push(context.slice(at, end - SEP.length))
    at = end
  }
  return { demonstrations, rest: context.slice(at) }
}

/** The model's context window from its config (max_position_embeddings, n_positions, n_ctx), if stated. */
export function modelContextLength(config: Record<string, unknown>): number | undefined {
  const keys = ['max_position_embeddings', 'n_positions', 'n_ctx', 'max_sequence_length', 'seq_length']
  const text = config.text_config as Record<string, unknown> | undefined
  for (const src of [config, text]) {
    if (!src) continue
    for (const k of keys) if (typeof src[k] === 'number' && (src[k] as number) > 0) return src[k] as number
  }
  return undefined
}

const tokenSetsOf = new WeakMap<CausalLM, { trueIds: number[]; falseIds: number[] }>()

/** Ids whose lower-cased text contains "true" but not "false", and vice versa (decoded once per model). */
export function labelTokenSets(model: CausalLM): { trueIds: number[]; falseIds: number[] } {
  let sets = tokenSetsOf.get(model)
  if (!sets) {
    sets = { trueIds: tokensContaining(model, 'true', 'false'), falseIds: tokensContaining(model, 'false', 'true') }
    tokenSetsOf.set(model, sets)
  }
  return sets
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DOMException('Scoring was cancelled', 'AbortError')
}

function compareIds(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}

/**
 * Visit order of id sequences: a depth-first walk of their prefix trie that enters the smallest subtree first, so
 * a branch point stays needed only until its largest subtree starts (few live cache entries). Within it, a
 * sequence's longest shared prefix with any later one is the one it shares with the next.
 */
export function prefixTrieOrder(seqs: readonly (readonly number[])[]): number[] {
  const out: number[] = []
  const stack: { idx: number[]; from: number }[] = [{ idx: seqs.map((_, i) => i), from: 0 }]
  while (stack.length > 0) {
    const { idx, from } = stack.pop()!
    if (idx.length === 0) continue
    if (idx.length === 1) {
      out.push(idx[0])
      continue
    }
    let l = from
    for (;;) {
      const first = seqs[idx[0]]
      if (l >= first.length) break
      const t = first[l]
      if (!idx.every((i) => seqs[i].length > l && seqs[i][l] === t)) break
      l++
    }
    const ended: number[] = []
    const groups = new Map<number, number[]>()
    for (const i of idx) {
      if (seqs[i].length === l) ended.push(i)
      else {
        const t = seqs[i][l]
        const g = groups.get(t)
        if (g) g.push(i)
        else groups.set(t, [i])
      }
    }
    // Sequences ending here are prefixes of the rest: first. Then subtrees by size (ties by token id).
    const children = [...groups.entries()].sort((a, b) => a[1].length - b[1].length || a[0] - b[0])
    for (let c = children.length - 1; c >= 0; c--) stack.push({ idx: children[c][1], from: l + 1 })
    for (let e = ended.length - 1; e >= 0; e--) stack.push({ idx: [ended[e]], from: l })
  }
  return out
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a[i] === b[i]) i++
  return i
}

export class LmIcmScorer implements IcmScorer {
  readonly trueIds: number[]
  readonly falseIds: number[]
  readonly maxContextTokens: number
  readonly reusePrefixes: boolean
  readonly stats: LmScorerStats = {
    requests: 0,
    duplicateRequests: 0,
    promptsComputed: 0,
    sessionRuns: 0,
    tokensComputed: 0,
    tokensFromScratch: 0,
    tokensReused: 0,
    truncatedRequests: 0,
    demonstrationsDropped: 0,
    tokenisationMismatches: 0,
  }
  private readonly cache: PrefixKvCache
  private readonly pieceIds = new Map<string, number[]>()
  private readonly tokenText = new Map<number, string>()
  private readonly opts: LmScorerOptions

  constructor(
    readonly model: CausalLM,
    opts: LmScorerOptions = {},
  ) {
    this.opts = opts
    const interventions = opts.interventions ?? []
    if (interventions.length > 0 && !model.hooks?.interventions) {
      throw new Error('LM scorer: interventions need a model loaded with instrumentation (hooks with intervention inputs)')
    }
    const sel = opts.tokenSelection ?? 'all'
    if (sel !== 'all' && sel !== 'top-k') {
      throw new Error(`LM scorer: tokenSelection must be 'all' or 'top-k', got ${String(sel)}`)
    }
    const k = opts.topK ?? OFFICIAL_TOP_LOGPROBS
    if (!(Number.isInteger(k) && k >= 1)) throw new Error(`LM scorer: topK must be an integer ≥ 1, got ${k}`)
    const sets = opts.tokenSets ?? labelTokenSets(model)
    this.trueIds = sets.trueIds
    this.falseIds = sets.falseIds
    if (this.trueIds.length === 0 || this.falseIds.length === 0) {
      throw new Error(
        `LM scorer: the vocabulary has ${this.trueIds.length} tokens containing "true" and ${this.falseIds.length} ` +
          'containing "false"; both are needed',
      )
    }
    const window = opts.maxContextTokens ?? modelContextLength(model.config) ?? Infinity
    if (!(window >= 1)) throw new Error(`LM scorer: maxContextTokens must be ≥ 1, got ${window}`)
    this.maxContextTokens = window
    // A 'last'-position edit would also hit the last token of every cached prefix, which a full run does not.
    const lastOnly = interventions.some((iv) => iv.positions === 'last')
    this.reusePrefixes = opts.reusePrefixes !== false && !lastOnly && model.pastToPresent.size > 0
    this.cache = new PrefixKvCache(model, { maxEntries: opts.maxCacheEntries ?? 8, interventions })
  }

  /** The ways this scorer departs from "tokenise the whole prompt, run it, read the next token", for the panel. */
  approximations(): string[] {
    const out: string[] = []
    if (this.stats.truncatedRequests > 0) {
      out.push(
        `${this.stats.truncatedRequests} prompts exceeded the ${this.maxContextTokens}-token context window; their ` +
          `oldest demonstrations were dropped (${this.stats.demonstrationsDropped} in all).`,
      )
    }
    if (this.stats.tokenisationMismatches > 0) {
      out.push(
        `${this.stats.tokenisationMismatches} prompts were tokenised demonstration by demonstration with ids that ` +
          'differ from tokenising the whole text at once (needed to share KV-cached prefixes).',
      )
    }
    if ((this.opts.tokenSelection ?? 'all') === 'top-k') {
      out.push(`Scores use only the top ${this.opts.topK ?? OFFICIAL_TOP_LOGPROBS} next tokens, as the official code does.`)
    }
    return out
  }

  private piece(text: string, first: boolean): number[] {
    const special = first && this.opts.addSpecialTokens !== false
    const key = (special ? '1' : '0') + text
    let ids = this.pieceIds.get(key)
    if (!ids) {
      ids = text === '' && !special ? [] : this.model.tokenizer.encode(text, { add_special_tokens: special })
      if (this.pieceIds.size >= 50_000) this.pieceIds.delete(this.pieceIds.keys().next().value!)
      this.pieceIds.set(key, ids)
    }
    return ids
  }

  /** The ids the model reads for a request, dropping the oldest demonstrations if the context window demands it. */
  tokenize(request: ScoreRequest): TokenisedRequest {
    const { demonstrations, rest } = splitDemonstrations(request.context)
    const k = demonstrations.length
    const tail = rest + request.target
    // Ids of demonstration j when it is not first ("\n\n" + demo), and of the target piece.
    const later = demonstrations.map((d, j) => (j === 0 ? [] : this.piece(SEP + d, false)))
    let laterSum = 0
    for (let j = 1; j < k; j++) laterSum += later[j].length
    for (let drop = 0; drop <= k; drop++) {
      if (drop > 0 && drop < k) laterSum -= later[drop].length
      const first = drop < k ? this.piece(demonstrations[drop], true) : this.piece(tail, true)
      const target = drop < k ? this.piece(SEP + tail, false) : []
      const total = first.length + (drop < k ? laterSum : 0) + target.length
      if (total > this.maxContextTokens) continue
      const ids = first.slice()
      for (let j = drop + 1; j < k; j++) for (const t of later[j]) ids.push(t)
      const contextLength = drop < k ? ids.length : 0
      for (const t of target) ids.push(t)
      if (ids.length === 0) throw new Error('LM scorer: the prompt is empty after tokenisation')
      return { ids, contextLength, demonstrations: k - drop, dropped: drop }
    }
    const alone = this.piece(tail, true).length
    throw new Error(
      `LM scorer: the target prompt alone is ${alone} tokens; the model's context window is ${this.maxContextTokens}`,
    )
  }

  /** Log-odds of the next token from a logit row. */
  scoreLogits(logits: ArrayLike<number>): number {
    if ((this.opts.tokenSelection ?? 'all') === 'all') return tokenSetLogOdds(logits, this.trueIds, this.falseIds)
    const top = topLogprobs(logits, this.opts.topK ?? OFFICIAL_TOP_LOGPROBS)
    return yesNoDiffLogprobs(top.map(({ id, logprob }) => [this.decodeToken(id), logprob] as const))
  }

  private decodeToken(id: number): string {
    let s = this.tokenText.get(id)
    if (s === undefined) {
      s = this.model.tokenizer.decode([id])
      this.tokenText.set(id, s)
    }
    return s
  }

  async score(requests: ScoreRequest[], options: { signal?: AbortSignal } = {}): Promise<LmScoreBatch> {
    const { signal } = options
    throwIfAborted(signal)
    const prepared = requests.map((r) => this.tokenize(r))
    const batch: LmScoreBatch = {
      scores: new Array<number>(requests.length),
      forwardPasses: 0,
      sessionRuns: 0,
      tokensComputed: 0,
      tokensFromScratch: 0,
      tokensReused: 0,
      truncatedRequests: 0,
    }
    prepared.forEach((p, i) => {
      if (p.dropped > 0) {
        batch.truncatedRequests++
        this.stats.demonstrationsDropped += p.dropped
      }
      if (this.opts.checkTokenisation !== false && p.demonstrations > 0) {
        const { demonstrations, rest } = splitDemonstrations(requests[i].context)
        const text = demonstrations.slice(p.dropped).map((d) => d + SEP).join('') + rest + requests[i].target
        const whole = this.model.tokenizer.encode(text, { add_special_tokens: this.opts.addSpecialTokens !== false })
        if (compareIds(whole, p.ids) !== 0) this.stats.tokenisationMismatches++
      }
    })
    const order = prefixTrieOrder(prepared.map((p) => p.ids))
    const start = { ...this.cache.stats }
    const minPrefix = this.opts.minPrefixTokens ?? 16
    let prev: number[] | undefined
    let prevScore = 0
    try {
      for (let p = 0; p < order.length; p++) {
        throwIfAborted(signal)
        const i = order[p]
        const { ids, contextLength } = prepared[i]
        if (prev && compareIds(prev, ids) === 0) {
          batch.scores[i] = prevScore
          this.stats.duplicateRequests++
          continue
        }
        const runsBefore = this.cache.stats.forwardPasses
        batch.tokensFromScratch += ids.length
        if (this.reusePrefixes) {
          const next = p + 1 < order.length ? prepared[order[p + 1]].ids : undefined
          // Prefixes worth keeping: the one shared with the next request and the demonstration context. Past the
          // context, requests share a few tokens of the target's template at most: not worth a run of its own.
          const marks = new Set<number>()
          if (next) marks.add(contextLength > 0 ? Math.min(commonPrefix(ids, next), contextLength) : commonPrefix(ids, next))
          if (this.opts.cacheContexts !== false) marks.add(contextLength)
          for (const n of [...marks].sort((a, b) => a - b)) {
            if (n < minPrefix) continue
            await this.cache.prefill(ids.slice(0, n))
            throwIfAborted(signal)
          }
        }
        const logits = await this.cache.nextTokenLogits(ids)
        if (this.cache.stats.forwardPasses > runsBefore) batch.forwardPasses++
        prevScore = this.scoreLogits(logits)
        batch.scores[i] = prevScore
        prev = ids
      }
    } finally {
      batch.sessionRuns = this.cache.stats.forwardPasses - start.forwardPasses
      batch.tokensComputed = this.cache.stats.tokensComputed - start.tokensComputed
      batch.tokensReused = batch.tokensFromScratch - batch.tokensComputed
      this.stats.requests += requests.length
      this.stats.promptsComputed += batch.forwardPasses
      this.stats.sessionRuns += batch.sessionRuns
      this.stats.tokensComputed += batch.tokensComputed
      this.stats.tokensFromScratch += batch.tokensFromScratch
      this.stats.tokensReused += batch.tokensReused
      this.stats.truncatedRequests += batch.truncatedRequests
    }
    return batch
  }

  /** Frees the cached KV tensors. */
  dispose(): void {
    this.cache.dispose()
  }
}
