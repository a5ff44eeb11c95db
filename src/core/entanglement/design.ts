// The design side of a value-entanglement set: which kinds of value an item carries, their
// numeric levels, and how items are grouped (frames) and paired (same frame and other levels).
import { VALUE_KINDS, type StimulusItem, type ValueKind } from '../stimuli/types.ts'

export { VALUE_KINDS, type ValueKind }

/** How the economic factor enters the regression: the design level (0/1) or ln(price). */
export type EconomicScale = 'level' | 'logPrice'

export interface DesignOptions {
  economicScale?: EconomicScale
}

/** The numeric value of `factor` for an item, or undefined when the item does not carry it. */
export function factorValue(item: StimulusItem, factor: ValueKind, opts: DesignOptions = {}): number | undefined {
  if (factor === 'economic' && opts.economicScale === 'logPrice') {
    const p = item.price
    return typeof p === 'number' && p > 0 ? Math.log(p) : undefined
  }
  const v = item.values?.[factor]
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

/** Factors that every item carries and that vary across items, in VALUE_KINDS order. */
export function designFactors(items: readonly StimulusItem[], opts: DesignOptions = {}): ValueKind[] {
  return VALUE_KINDS.filter((f) => {
    const vs = items.map((it) => factorValue(it, f, opts))
    return vs.length > 1 && vs.every((v) => v !== undefined) && new Set(vs).size > 1
  })
}

/** The design matrix (rows of factor values) for `factors`; throws naming an item without one. */
export function designMatrix(items: readonly StimulusItem[], factors: readonly ValueKind[], opts: DesignOptions = {}): number[][] {
  return items.map((it) =>
    factors.map((f) => {
      const v = factorValue(it, f, opts)
      if (v === undefined) throw new Error(`item "${it.id}": values.${f} is missing; every item in the regression needs it`)
      return v
    }),
  )
}

/**
 * Binary level of a factor for difference-of-means directions: the value itself when the factor
 * is coded 0/1 across the items, else 1 above the median and 0 below (items at the median get none).
 */
export function binaryLevels(items: readonly StimulusItem[], factor: ValueKind): (0 | 1 | undefined)[] {
  const vs = items.map((it) => factorValue(it, factor))
  const defined = vs.filter((v): v is number => v !== undefined)
  if (defined.every((v) => v === 0 || v === 1)) return vs.map((v) => (v === undefined ? undefined : (v as 0 | 1)))
  const sorted = [...defined].sort((a, b) => a - b)
  const m = sorted.length
  const median = m === 0 ? NaN : m % 2 ? sorted[(m - 1) / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2
  return vs.map((v) => (v === undefined || v === median ? undefined : v > median ? 1 : 0))
}

/** Group of an item for cross-fitting and pairing: its frame when the set has one, else itself. */
export function groupOf(item: StimulusItem): string {
  const f = item.meta?.frame
  return typeof f === 'string' || typeof f === 'number' ? String(f) : `item:${item.id}`
}

/**
 * Strata of items that differ only in `factor`: same group (frame) and same levels of the other
 * factors. In the full factorial every stratum is one good/bad (or ✓/✗, cheap/dear) pair.
 */
export function strataFor(items: readonly StimulusItem[], factor: ValueKind, others: readonly ValueKind[]): Map<string, number[]> {
  const strata = new Map<string, number[]>()
  items.forEach((it, i) => {
    const hasFrame = it.meta?.frame !== undefined
    const key = [hasFrame ? groupOf(it) : '', ...others.filter((o) => o !== factor).map((o) => `${o}=${factorValue(it, o) ?? '?'}`)].join('|')
    const list = strata.get(key) ?? []
    list.push(i)
    strata.set(key, list)
  })
  return strata
}

/** Two folds of groups (alternating over sorted group keys), for cross-fitted directions. */
export function twoFolds(items: readonly StimulusItem[]): (0 | 1)[] {
  const groups = [...new Set(items.map(groupOf))].sort()
  const fold = new Map(groups.map((g, i) => [g, (i % 2) as 0 | 1]))
  return items.map((it) => fold.get(groupOf(it))!)
}

/** Parses a rating scale such as "1-7", "1–5" or "0 to 100"; undefined when it cannot. */
export function parseRatingScale(scale: string | undefined): { min: number; max: number } | undefined {
  if (!scale) return undefined
  const m = /(-?\d+(?:\.\d+)?)\s*(?:-|–|—|to|\.\.)\s*(-?\d+(?:\.\d+)?)/.exec(scale)
  if (!m) return undefined
  const min = Number(m[1])
  const max = Number(m[2])
  return max > min ? { min, max } : undefined
}
