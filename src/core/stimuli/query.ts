// Pure helpers behind the Stimuli panel: filter, sort and count items. Plain objects in and out, so the
// panel, the CLI summary and tests share them.
import { VALUE_KINDS, type Foundation, type Polarity, type StimulusItem, type ValueKind } from './types.ts'

/** The label used for an item that lacks a field, in filters and counts. */
export const NONE = 'none'

type OneOrMany<T> = T | readonly T[]

export interface StimulusFilter {
  /** Case-insensitive; every whitespace-separated term must occur in the text or the id. */
  search?: string
  /** Matches the primary foundation or any listed one; 'none' matches items without a foundation. */
  foundation?: OneOrMany<Foundation | typeof NONE>
  polarity?: OneOrMany<Polarity | typeof NONE>
  split?: OneOrMany<string>
  /** Exact design levels, e.g. { moral: 1, economic: 0 }. */
  values?: Partial<Record<ValueKind, number>>
  gold?: OneOrMany<0 | 1 | typeof NONE>
  /** Inclusive range; items without typicality never match. */
  typicality?: { min?: number; max?: number }
  consistencyGroup?: string
}

function asList<T>(v: OneOrMany<T> | undefined): readonly T[] | undefined {
  if (v === undefined) return undefined
  return Array.isArray(v) ? (v as readonly T[]) : [v as T]
}

export function matchesFilter(item: StimulusItem, filter: StimulusFilter): boolean {
  if (filter.search) {
    const hay = `${item.text}\n${item.id}`.toLowerCase()
    for (const term of filter.search.toLowerCase().split(/\s+/)) if (term && !hay.includes(term)) return false
  }
  const fs = asList(filter.foundation)
  if (fs && fs.length) {
    const own: string[] = item.foundations?.length ? [...item.foundations] : []
    if (item.foundation && !own.includes(item.foundation)) own.push(item.foundation)
    if (!fs.some((f) => (f === NONE ? own.length === 0 : own.includes(f)))) return false
  }
  const ps = asList(filter.polarity)
  if (ps && ps.length && !ps.includes(item.polarity ?? NONE)) return false
  const ss = asList(filter.split)
  if (ss && ss.length && !ss.includes(item.split ?? NONE)) return false
  if (filter.values) {
    for (const k of VALUE_KINDS) {
      const want = filter.values[k]
      if (want !== undefined && item.values?.[k] !== want) return false
    }
  }
  const gs = asList(filter.gold)
  if (gs && gs.length && !gs.includes(item.gold ?? NONE)) return false
  if (filter.typicality) {
    const t = item.typicality
    if (t === undefined) return false
    if (filter.typicality.min !== undefined && t < filter.typicality.min) return false
    if (filter.typicality.max !== undefined && t > filter.typicality.max) return false
  }
  if (filter.consistencyGroup !== undefined && item.consistencyGroup !== filter.consistencyGroup) return false
  return true
}

export function filterItems(items: readonly StimulusItem[], filter: StimulusFilter): StimulusItem[] {
  return items.filter((it) => matchesFilter(it, filter))
}

/**
 * Any top-level field, a nested value ('values.moral', 'humanRatings.grammatical', 'meta.frame'),
 * 'textLength', or 'index' (the set's own order).
 */
export type StimulusSortKey =
  | Exclude<keyof StimulusItem, 'values' | 'humanRatings' | 'meta' | 'foundations' | 'moralVector'>
  | 'foundations'
  | `values.${ValueKind}`
  | `humanRatings.${ValueKind}`
  | `meta.${string}`
  | 'textLength'
  | 'index'

type SortValue = number | string | undefined

export function sortValue(item: StimulusItem, key: StimulusSortKey, index = 0): SortValue {
  if (key === 'index') return index
  if (key === 'textLength') return item.text.length
  if (key === 'foundations') return item.foundations?.join(',')
  const dot = key.indexOf('.')
  let v: unknown
  if (dot >= 0) {
    const head = key.slice(0, dot) as 'values' | 'humanRatings' | 'meta'
    v = (item[head] as Record<string, unknown> | undefined)?.[key.slice(dot + 1)]
  } else {
    v = item[key as keyof StimulusItem]
  }
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'number' || typeof v === 'string') return v
  return undefined
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' })

/** Numbers before strings; strings in natural order ("f2" < "f10"), ties broken by code units. */
export function compareSortValues(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'number') return -1
  if (typeof b === 'number') return 1
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0)
}

/** Stable sort; items missing the key always go last, whatever the direction. */
export function sortItems(
  items: readonly StimulusItem[],
  key: StimulusSortKey,
  direction: 'asc' | 'desc' = 'asc',
): StimulusItem[] {
  const sign = direction === 'asc' ? 1 : -1
  const keyed = items.map((item, i) => ({ item, i, v: sortValue(item, key, i) }))
  keyed.sort((a, b) => {
    if (a.v === undefined || b.v === undefined) {
      if (a.v === undefined && b.v === undefined) return a.i - b.i
      return a.v === undefined ? 1 : -1
    }
    return sign * compareSortValues(a.v, b.v) || a.i - b.i
  })
  return keyed.map((k) => k.item)
}

export interface StimulusCounts {
  total: number
  /** Primary foundation ('none' when absent). */
  foundation: Record<string, number>
  polarity: Record<string, number>
  /** Primary foundation → polarity → count. */
  cells: Record<string, Record<string, number>>
  /** Per value kind, level → count (levels as strings, e.g. "0", "1"). */
  valueLevels: Partial<Record<ValueKind, Record<string, number>>>
  /** Joint value cells, e.g. "moral=1,grammatical=0,economic=1" → count; items without values skipped. */
  valueCells: Record<string, number>
  gold: Record<string, number>
  split: Record<string, number>
  typicalitySource: Record<string, number>
  withTypicality: number
  withMoralVector: number
  consistencyGroups: number
}

function bump(rec: Record<string, number>, key: string): void {
  rec[key] = (rec[key] ?? 0) + 1
}

export function countLabels(items: readonly StimulusItem[]): StimulusCounts {
  const c: StimulusCounts = {
    total: items.length,
    foundation: {},
    polarity: {},
    cells: {},
    valueLevels: {},
    valueCells: {},
    gold: {},
    split: {},
    typicalitySource: {},
    withTypicality: 0,
    withMoralVector: 0,
    consistencyGroups: 0,
  }
  const groups = new Set<string>()
  for (const it of items) {
    const f = it.foundation ?? NONE
    const p = it.polarity ?? NONE
    bump(c.foundation, f)
    bump(c.polarity, p)
    bump((c.cells[f] ??= {}), p)
    if (it.values) {
      const parts: string[] = []
      for (const k of VALUE_KINDS) {
        const v = it.values[k]
        if (v === undefined) continue
        bump((c.valueLevels[k] ??= {}), String(v))
        parts.push(`${k}=${v}`)
      }
      if (parts.length) bump(c.valueCells, parts.join(','))
    }
    bump(c.gold, it.gold === undefined ? NONE : String(it.gold))
    bump(c.split, it.split ?? NONE)
    if (it.typicality !== undefined) c.withTypicality++
    if (it.typicalitySource) bump(c.typicalitySource, it.typicalitySource)
    if (it.moralVector) c.withMoralVector++
    if (it.consistencyGroup !== undefined) groups.add(it.consistencyGroup)
  }
  c.consistencyGroups = groups.size
  return c
}

/** Options for the panel's dropdowns: the distinct labels present, sorted. */
export function facetOptions(items: readonly StimulusItem[]): {
  foundation: string[]
  polarity: string[]
  split: string[]
  values: Partial<Record<ValueKind, number[]>>
} {
  const f = new Set<string>()
  const p = new Set<string>()
  const s = new Set<string>()
  const v: Partial<Record<ValueKind, Set<number>>> = {}
  for (const it of items) {
    for (const x of it.foundations ?? []) f.add(x)
    f.add(it.foundation ?? NONE)
    p.add(it.polarity ?? NONE)
    s.add(it.split ?? NONE)
    for (const k of VALUE_KINDS) if (it.values?.[k] !== undefined) (v[k] ??= new Set()).add(it.values[k]!)
  }
  const values: Partial<Record<ValueKind, number[]>> = {}
  for (const k of VALUE_KINDS) if (v[k]) values[k] = [...v[k]!].sort((a, b) => a - b)
  const sorted = (x: Set<string>) => [...x].sort(compareSortValues)
  return { foundation: sorted(f), polarity: sorted(p), split: sorted(s), values }
}
