// The score of a scored prompt: log-odds of "True"-like against "False"-like next tokens, as the official code's
// `get_yes_no` / `get_yes_no_diff_logprobs` (src/model_querying/solution_extraction.py) compute it from the top-20
// log-probabilities vLLM returns.

import { logSumExp } from '../hooks/scoring.ts'

/** Added to each summed probability before the log (the code's eps). */
export const LOGODDS_EPS = 1e-5
/** The code asks vLLM for this many top log-probabilities. */
export const OFFICIAL_TOP_LOGPROBS = 20

/** The code's `get_yes_no`: true if the lower-cased token contains "true" only, false if "false" only, else null. */
export function labelOfToken(token: string): boolean | null {
  const t = token.toLowerCase()
  const y = t.includes('true')
  const n = t.includes('false')
  return y === n ? null : y
}

/**
 * The code's `get_yes_no_diff_logprobs`: log(ΣP(true-like) + eps) − log(ΣP(false-like) + eps) over the given
 * (token, logprob) entries, or 0 when no entry is true-like or false-like.
 */
export function yesNoDiffLogprobs(entries: Iterable<readonly [string, number]>): number {
  let pTrue = LOGODDS_EPS
  let pFalse = LOGODDS_EPS
  for (const [token, logprob] of entries) {
    const o = labelOfToken(token)
    if (o === null) continue
    if (o) pTrue += Math.exp(logprob)
    else pFalse += Math.exp(logprob)
  }
  if (pTrue === LOGODDS_EPS && pFalse === LOGODDS_EPS) return 0
  return Math.log(pTrue) - Math.log(pFalse)
}

/** Exact log-odds over whole token sets: logsumexp(logits[trueIds]) − logsumexp(logits[falseIds]). */
export function tokenSetLogOdds(logits: ArrayLike<number>, trueIds: readonly number[], falseIds: readonly number[]): number {
  const pick = (ids: readonly number[]) => ids.map((id) => logits[id])
  return logSumExp(pick(trueIds)) - logSumExp(pick(falseIds))
}

/** The k largest entries of a logit row as (id, log-probability), highest first (ties: lower id first). */
export function topLogprobs(logits: ArrayLike<number>, k: number): { id: number; logprob: number }[] {
  const V = logits.length
  let max = -Infinity
  for (let i = 0; i < V; i++) if (logits[i] > max) max = logits[i]
  let z = 0
  for (let i = 0; i < V; i++) z += Math.exp(logits[i] - max)
  const lz = max + Math.log(z)
  // A small sorted buffer: k is ~20, V up to ~260k.
  const top: number[] = []
  for (let i = 0; i < V; i++) {
    const x = logits[i]
    if (top.length === k && x <= logits[top[top.length - 1]]) continue
    let at = top.length
    while (at > 0 && logits[top[at - 1]] < x) at--
    top.splice(at, 0, i)
    if (top.length > k) top.pop()
  }
  return top.map((id) => ({ id, logprob: logits[id] - lz }))
}
