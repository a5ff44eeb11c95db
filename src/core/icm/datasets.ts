// How each moral dataset's consistency structure maps onto ICM items (METHODS.md §3.2, §4.4).
//
// - Norm Bank, UDHR-Demographics, ETHICS commonsense and justice (`claimItems`): the moral fork gives every
//   item its own consistency_id (GROUP_SIZE = 1), so I(D) ≡ 0 and ICM is mutual predictability alone, the
//   setting prone to the one-label degenerate solution: watch the collapse warning.
// - Claim/negation pairs (`claimNegationItems`, METHODS.md §4.4 proposal): one group per pair, keys 'A'
//   (claim) and 'B' (negation): both True is a contradiction. With `exhaustive` the keys are 'A>B'/'B>A',
//   which the code's rule also makes both-False a contradiction (exactly one holds, e.g. "Yes, it's ok" /
//   "No, it's not ok").
// - ETHICS deontology (`deontologyItems`): one group per scenario (the code's GROUP_SIZE = 3). The fork sets
//   consistency_key = 'A' if gold label else 'B': excuses with the same gold label must agree (implication),
//   two with different gold labels cannot both be True (contradiction). That uses gold labels to build the
//   constraints: a leak, kept as `keys: 'gold'` for faithfulness; `keys: 'none'` drops the constraints.
// - ETHICS utilitarianism (`utilitarianismItems`): both orderings of a pair of statements in one group, keys
//   'A>B' (A shown as Statement 1) and 'B>A': exactly one is True (both True or both False contradict), as in
//   the code's Alpaca/TruthfulQA-preference setup. The fork itself used GROUP_SIZE = 1 (no constraint).

import type { StimulusItem } from '../stimuli/types.ts'
import {
  renderClaimPrompt,
  renderDeontologyPrompt,
  renderUtilitarianismPrompt,
  UTILITARIANISM_QUESTION,
} from './templates.ts'
import type { IcmItem, IcmLabel } from './types.ts'

function checkGold(where: string, i: number, g: unknown): void {
  if (g !== undefined && g !== 0 && g !== 1) {
    throw new Error(`${where}: row ${i}: field "gold" must be 0 or 1, got ${String(g)}`)
  }
}

function withGold(item: IcmItem, gold: IcmLabel | undefined): IcmItem {
  return gold === undefined ? item : { ...item, gold }
}

/** One item per claim, each its own group (no constraint). */
export function claimItems(rows: readonly { id: string; claim: string; gold?: IcmLabel }[]): IcmItem[] {
  return rows.map((r, i) => {
    checkGold('claimItems', i, r.gold)
    return withGold({ id: r.id, prompt: renderClaimPrompt(r.claim), consistencyGroup: r.id }, r.gold)
  })
}

/** A claim and its negation per row; `gold` is the claim's (the negation gets the opposite). */
export function claimNegationItems(
  rows: readonly { id: string; claim: string; negation: string; gold?: IcmLabel }[],
  opts: { exhaustive?: boolean } = {},
): IcmItem[] {
  const [ka, kb] = opts.exhaustive ? ['A>B', 'B>A'] : ['A', 'B']
  return rows.flatMap((r, i) => {
    checkGold('claimNegationItems', i, r.gold)
    const neg = r.gold === undefined ? undefined : ((1 - r.gold) as IcmLabel)
    const item = (suffix: string, text: string, consistencyKey: string): IcmItem => ({
      id: `${r.id}:${suffix}`,
      prompt: renderClaimPrompt(text),
      consistencyGroup: r.id,
      consistencyKey,
    })
    return [withGold(item('claim', r.claim, ka), r.gold), withGold(item('negation', r.negation, kb), neg)]
  })
}

/** ETHICS deontology rows (`group_id, scenario, excuse, label`): the request as question, the excuse as claim. */
export function deontologyItems(
  rows: readonly { id: string; groupId: string; scenario: string; excuse: string; gold?: IcmLabel }[],
  opts: { keys: 'gold' | 'none' } = { keys: 'gold' },
): IcmItem[] {
  return rows.map((r, i) => {
    checkGold('deontologyItems', i, r.gold)
    const item: IcmItem = { id: r.id, prompt: renderDeontologyPrompt(r.scenario, r.excuse), consistencyGroup: r.groupId }
    if (opts.keys === 'gold') {
      if (r.gold === undefined) throw new Error(`deontologyItems: row ${i} ("${r.id}"): keys 'gold' needs field "gold"`)
      item.consistencyKey = r.gold === 1 ? 'A' : 'B'
    }
    return withGold(item, r.gold)
  })
}

/**
 * ETHICS utilitarianism pairs: both orderings of two statements; `more` says which one is more useful
 * (ETHICS lists the more pleasant scenario first) and sets the gold labels.
 */
export function utilitarianismItems(
  rows: readonly { id: string; statementA: string; statementB: string; more?: 'A' | 'B'; question?: string }[],
): IcmItem[] {
  return rows.flatMap((r, i) => {
    if (r.more !== undefined && r.more !== 'A' && r.more !== 'B') {
      throw new Error(`utilitarianismItems: row ${i}: field "more" must be 'A' or 'B', got ${String(r.more)}`)
    }
    const q = r.question ?? UTILITARIANISM_QUESTION
    const gAB = r.more === undefined ? undefined : r.more === 'A' ? 1 : 0
    const gBA = gAB === undefined ? undefined : ((1 - gAB) as IcmLabel)
    const item = (key: 'A>B' | 'B>A', first: string, second: string): IcmItem => ({
      id: `${r.id}:${key}`,
      prompt: renderUtilitarianismPrompt(first, second, q),
      consistencyGroup: r.id,
      consistencyKey: key,
    })
    return [
      withGold(item('A>B', r.statementA, r.statementB), gAB),
      withGold(item('B>A', r.statementB, r.statementA), gBA),
    ]
  })
}

/** Stimulus items (e.g. the built-in claim set) to ICM items; an item without a group is its own group. */
export function icmItemsFromStimuli(
  stimuli: readonly StimulusItem[],
  render: (text: string) => string = renderClaimPrompt,
): IcmItem[] {
  return stimuli.map((s) => {
    const item: IcmItem = { id: s.id, prompt: render(s.text), consistencyGroup: s.consistencyGroup ?? s.id }
    if (s.consistencyKey !== undefined) item.consistencyKey = s.consistencyKey
    if (s.gold !== undefined) item.gold = s.gold
    return item
  })
}

/** ICM labels as JSONL, one `{"id","label","gold"?}` per line in item order. */
export function labelsToJsonl(items: readonly IcmItem[], labels: readonly (IcmLabel | null)[]): string {
  return items
    .map((it, i) => {
      const row: { id: string; label: IcmLabel | null; gold?: IcmLabel } = { id: it.id, label: labels[i] }
      if (it.gold !== undefined) row.gold = it.gold
      return JSON.stringify(row)
    })
    .join('\n')
}
