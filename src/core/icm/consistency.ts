// Logical-consistency constraints, after the code's `pick_two_inconsistent_claims` and
// `update_assign_based_on_decision` (src/experiments/ICM_tools.py).

import type { IcmItem, IcmLabel, MaybeLabel } from './types.ts'

export type InconsistencyType = 'contradiction' | 'implication'

export interface InconsistentPair {
  /** Item indices; `a` precedes `b` in the group's order (the code's claim_1, claim_2). */
  a: number
  b: number
  type: InconsistencyType
}

/** Keys for which "both false" is also a contradiction (comparisons: at least one ordering holds). */
export const COMPARISON_KEYS: readonly string[] = ['A>B', 'B>A']

/**
 * Whether two labelled items of one group conflict, exactly as the code tests them: different keys both 1,
 * or (first key a comparison key) both 0 → contradiction; same key, different labels → implication.
 */
export function pairInconsistency(
  a: Pick<IcmItem, 'consistencyKey'>,
  la: IcmLabel,
  b: Pick<IcmItem, 'consistencyKey'>,
  lb: IcmLabel,
): InconsistencyType | null {
  const ka = a.consistencyKey
  const kb = b.consistencyKey
  if (ka === undefined || kb === undefined) return null
  if (ka !== kb && ((la === 1 && lb === 1) || (COMPARISON_KEYS.includes(ka) && la === 0 && lb === 0))) {
    return 'contradiction'
  }
  if (ka === kb && la !== lb) return 'implication'
  return null
}

/**
 * All inconsistent pairs among labelled items, group by group. `order` (item indices) fixes the order of
 * groups (first appearance) and of items inside a group; by default the items' own order. Unshuffled:
 * callers shuffle with their Rng as the code does.
 */
export function findInconsistentPairs(
  items: readonly IcmItem[],
  labels: readonly MaybeLabel[],
  order?: readonly number[],
): InconsistentPair[] {
  const groups = new Map<string, number[]>()
  const seq = order ?? items.map((_, i) => i)
  for (const i of seq) {
    if (labels[i] === null || labels[i] === undefined) continue
    const g = groups.get(items[i].consistencyGroup)
    if (g) g.push(i)
    else groups.set(items[i].consistencyGroup, [i])
  }
  const pairs: InconsistentPair[] = []
  for (const g of groups.values()) {
    for (let x = 0; x < g.length; x++) {
      for (let y = x + 1; y < g.length; y++) {
        const a = g[x]
        const b = g[y]
        const type = pairInconsistency(items[a], labels[a] as IcmLabel, items[b], labels[b] as IcmLabel)
        if (type) pairs.push({ a, b, type })
      }
    }
  }
  return pairs
}

export function countInconsistentPairs(items: readonly IcmItem[], labels: readonly MaybeLabel[]): number {
  return findInconsistentPairs(items, labels).length
}

/**
 * The two consistent assignments of a pair, in the code's order (decision score 0, then 1):
 * contradiction → (a=0,b=1), (a=1,b=0); implication → (0,0), (1,1). Ties go to the first.
 */
export function consistentAssignments(pair: InconsistentPair): [IcmLabel, IcmLabel][] {
  return pair.type === 'contradiction'
    ? [
        [0, 1],
        [1, 0],
      ]
    : [
        [0, 0],
        [1, 1],
      ]
}
