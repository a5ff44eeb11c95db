// Shared types of the Internal Coherence Maximization (ICM) core (Wen et al. 2025, METHODS.md §4).

export type IcmLabel = 0 | 1
/** `null` = not (yet) labelled. */
export type MaybeLabel = IcmLabel | null

export interface IcmItem {
  /** Unique within a run. */
  id: string
  /** The item rendered by its template, ending e.g. "I think this claim is" (no trailing space). */
  prompt: string
  /** Items that constrain each other share a group (the code's `consistency_id`). */
  consistencyGroup: string
  /**
   * The item's key inside its group (the code's `consistency_key`). Different keys both labelled 1 contradict;
   * 'A>B' vs 'B>A' also contradict when both labelled 0; equal keys with different labels violate implication.
   * An item without a key takes part in no constraint.
   */
  consistencyKey?: string
  /** Gold label, used only to report agreement, never by the search. */
  gold?: IcmLabel
}

export interface ScoreRequest {
  /** Demonstrations (possibly empty); a shared prefix that a KV-caching scorer can reuse. */
  context: string
  /** The scored item's prompt; the model reads `context + target` and the next token is judged. */
  target: string
}

/** What a scorer may return when it knows its own cost (e.g. KV-prefix reuse or batching). */
export interface ScoreBatch {
  scores: number[]
  /** Forward passes actually run for this batch. */
  forwardPasses: number
}

export interface IcmScorer {
  /**
   * For each request, log P(True-like) − log P(False-like) of the next token after `context + target`
   * (the code's `get_yes_no_diff_logprobs`). A plain array counts as one forward pass per request.
   */
  score(requests: ScoreRequest[], options?: { signal?: AbortSignal }): Promise<number[] | ScoreBatch>
}

export interface ScoredBatch {
  scores: number[]
  forwardPasses: number
}

/** Calls a scorer and checks its answer; `where` names the caller in error messages. */
export async function callScorer(
  scorer: IcmScorer,
  requests: ScoreRequest[],
  where: string,
  signal?: AbortSignal,
): Promise<ScoredBatch> {
  if (requests.length === 0) return { scores: [], forwardPasses: 0 }
  const out = await scorer.score(requests, signal ? { signal } : undefined)
  const batch: ScoredBatch = Array.isArray(out) ? { scores: out, forwardPasses: requests.length } : out
  if (!batch || !Array.isArray(batch.scores) || batch.scores.length !== requests.length) {
    throw new Error(`${where}: scorer returned ${batch?.scores?.length ?? 'no'} scores for ${requests.length} requests`)
  }
  for (let i = 0; i < batch.scores.length; i++) {
    if (typeof batch.scores[i] !== 'number' || Number.isNaN(batch.scores[i])) {
      throw new Error(`${where}: scorer returned a non-number score at request ${i}: ${String(batch.scores[i])}`)
    }
  }
  if (!Number.isFinite(batch.forwardPasses) || batch.forwardPasses < 0) {
    throw new Error(`${where}: scorer reported forwardPasses=${batch.forwardPasses}, expected a number ≥ 0`)
  }
  return batch
}

/** Checks ids, prompts and labels; throws naming the offending item and field. */
export function validateIcmItems(items: readonly IcmItem[], where: string): void {
  const seen = new Set<string>()
  items.forEach((it, i) => {
    if (typeof it.id !== 'string' || it.id === '') {
      throw new Error(`${where}: item ${i}: field "id" must be a non-empty string`)
    }
    if (seen.has(it.id)) throw new Error(`${where}: item ${i}: duplicate id "${it.id}"`)
    seen.add(it.id)
    if (typeof it.prompt !== 'string' || it.prompt === '') {
      throw new Error(`${where}: item ${i} ("${it.id}"): field "prompt" must be a non-empty string`)
    }
    if (typeof it.consistencyGroup !== 'string') {
      throw new Error(`${where}: item ${i} ("${it.id}"): field "consistencyGroup" must be a string`)
    }
    if (it.consistencyKey !== undefined && typeof it.consistencyKey !== 'string') {
      throw new Error(`${where}: item ${i} ("${it.id}"): field "consistencyKey" must be a string when present`)
    }
    if (it.gold !== undefined && it.gold !== 0 && it.gold !== 1) {
      throw new Error(`${where}: item ${i} ("${it.id}"): field "gold" must be 0 or 1, got ${String(it.gold)}`)
    }
  })
}
