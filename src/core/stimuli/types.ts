// The one stimulus model every analysis reads: texts plus optional human (or authored) labels.

export const CORE_FOUNDATIONS = ['care', 'fairness', 'loyalty', 'authority', 'sanctity'] as const
export const FOUNDATIONS = [...CORE_FOUNDATIONS, 'liberty'] as const
export type Foundation = (typeof FOUNDATIONS)[number]
export type CoreFoundation = (typeof CORE_FOUNDATIONS)[number]

export const POLARITIES = ['virtue', 'vice', 'neutral'] as const
export type Polarity = (typeof POLARITIES)[number]

/** Axes of the 10-dimensional moral vector (METHODS.md §1.4 A): foundation × virtue/vice. */
export const MORAL_VECTOR_AXES: readonly string[] = CORE_FOUNDATIONS.flatMap((f) => [`${f}.virtue`, `${f}.vice`])
export const MORAL_VECTOR_DIM = 10

export function moralAxisIndex(foundation: CoreFoundation, polarity: 'virtue' | 'vice'): number {
  return CORE_FOUNDATIONS.indexOf(foundation) * 2 + (polarity === 'virtue' ? 0 : 1)
}

export const VALUE_KINDS = ['moral', 'grammatical', 'economic'] as const
export type ValueKind = (typeof VALUE_KINDS)[number]

/** Where a typicality grade came from; shown next to every result that uses it. */
export type TypicalitySource = 'authored' | 'human' | 'derived'

export interface StimulusItem {
  /** Unique within the set. */
  id: string
  text: string
  /** Primary moral foundation (the first listed, when several). */
  foundation?: Foundation
  /** Every labelled foundation. */
  foundations?: Foundation[]
  polarity?: Polarity
  /** Graded membership in its (foundation, polarity) category, in [0, 1]. */
  typicality?: number
  typicalitySource?: TypicalitySource
  /** How the grade was obtained (e.g. "|action-moral-judgment|/2 × agreement"). */
  typicalityNote?: string
  /** One-line reason for an authored grade. */
  rationale?: string
  /** 10-dimensional moral vector in MORAL_VECTOR_AXES order. */
  moralVector?: number[]
  /**
   * Design levels or human values per kind of good: moral 1 = good / 0 = bad act,
   * grammatical 1 = well-formed / 0 = one clear error, economic 1 = expensive / 0 = cheap.
   */
  values?: Partial<Record<ValueKind, number>>
  /** Human ratings per kind of value, when a set carries them (scale given in the set). */
  humanRatings?: Partial<Record<ValueKind, number>>
  /** Price of the object in the sentence, in the set's currency, for economic value. */
  price?: number
  /** Gold label for elicitation: 1 = true / acceptable, 0 = false / unacceptable. */
  gold?: 0 | 1
  /** ICM consistency group and the item's key inside it (claim/negation, A>B vs B>A). */
  consistencyGroup?: string
  consistencyKey?: string
  split?: string
  meta?: Record<string, string | number | boolean | null>
}

export type StimulusSetKind = 'typicality' | 'entanglement' | 'claims' | 'generic'

export interface StimulusSet {
  /** Stable identifier, e.g. "builtin:moral-typicality" or "import:<file name>". */
  id: string
  name: string
  /** Where the rows come from (authored by Moral Lens, or a dataset name and file). */
  source: string
  /** Licence of the rows, or a note that they come from the user's own file. */
  licence: string
  description?: string
  kind: StimulusSetKind
  /** Named prompt templates with a `{text}` slot (rating prompts, claim templates). */
  prompts?: Record<string, string>
  /** Scale of humanRatings, when present (e.g. "1-7"). */
  ratingScale?: string
  items: StimulusItem[]
}
