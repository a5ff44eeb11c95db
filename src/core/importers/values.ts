// Cell-value parsing shared by the format mappers. Each parser returns null for an empty cell and undefined for
// a value it cannot read, so that callers can tell "missing" from "malformed".

import { FOUNDATIONS, MORAL_VECTOR_DIM, type Foundation, type Polarity } from '../stimuli/types.ts'

const NULL_TOKENS = new Set(['', 'nan', 'null', 'none', 'na', 'n/a'])

export function isEmptyCell(v: unknown): boolean {
  if (v === undefined || v === null) return true
  if (typeof v === 'string') return NULL_TOKENS.has(v.trim().toLowerCase())
  return typeof v === 'number' && Number.isNaN(v)
}

/** A finite number ("1", "-1.0", " 2 ", 3); null when empty. */
export function parseNumber(v: unknown): number | null | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : Number.isNaN(v) ? null : undefined
  if (typeof v === 'boolean') return undefined
  if (isEmptyCell(v)) return null
  if (typeof v !== 'string') return undefined
  const x = Number(v.trim())
  return Number.isFinite(x) ? x : undefined
}

/** An integer in [min, max], also when written as a float ("-2.0", as pandas writes columns with NaN). */
export function parseIntIn(v: unknown, min: number, max: number): number | null | undefined {
  const x = parseNumber(v)
  if (x === null || x === undefined) return x
  return Number.isInteger(x) && x >= min && x <= max ? x : undefined
}

/** 0/1, true/false, yes/no. */
export function parseBinary(v: unknown): 0 | 1 | null | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0
  if (isEmptyCell(v)) return null
  const s = String(v).trim().toLowerCase()
  if (s === '1' || s === '1.0' || s === 'true' || s === 'yes' || s === 't' || s === 'y') return 1
  if (s === '0' || s === '0.0' || s === 'false' || s === 'no' || s === 'f' || s === 'n') return 0
  return undefined
}

const FOUNDATION_ALIASES: Record<string, Foundation> = {}
for (const [f, names] of Object.entries({
  care: ['care', 'care-harm', 'care/harm', 'harm', 'care_harm', 'careharm'],
  fairness: [
    'fairness',
    'fairness-cheating',
    'fairness/cheating',
    'cheating',
    'fairness_cheating',
    'fair',
    'fairnesscheating',
  ],
  loyalty: [
    'loyalty',
    'loyalty-betrayal',
    'loyalty/betrayal',
    'betrayal',
    'ingroup',
    'in-group',
    'loyalty_betrayal',
    'loyaltybetrayal',
  ],
  authority: [
    'authority',
    'authority-subversion',
    'authority/subversion',
    'subversion',
    'respect',
    'authority_subversion',
    'authoritysubversion',
  ],
  sanctity: [
    'sanctity',
    'sanctity-degradation',
    'sanctity/degradation',
    'degradation',
    'purity',
    'sanctity_degradation',
    'sanctitydegradation',
  ],
  liberty: [
    'liberty',
    'liberty-oppression',
    'liberty/oppression',
    'oppression',
    'liberty_oppression',
    'libertyoppression',
  ],
} as Record<Foundation, string[]>)) {
  for (const n of names) FOUNDATION_ALIASES[n] = f as Foundation
}

export const FOUNDATION_EXPECTED = `one of ${FOUNDATIONS.join(', ')} (or care-harm, fairness-cheating, …)`

export function parseFoundation(s: string): Foundation | undefined {
  return FOUNDATION_ALIASES[s.trim().toLowerCase()]
}

/** A "|"- (or ","-/";"-) separated list; unknown names are returned separately. Duplicates are removed. */
export function parseFoundationList(v: unknown): { foundations: Foundation[]; unknown: string[] } {
  const foundations: Foundation[] = []
  const unknown: string[] = []
  if (isEmptyCell(v)) return { foundations, unknown }
  for (const part of String(v).split(/[|,;]/)) {
    const t = part.trim()
    if (t === '') continue
    const f = parseFoundation(t)
    if (f === undefined) unknown.push(t)
    else if (!foundations.includes(f)) foundations.push(f)
  }
  return { foundations, unknown }
}

export const POLARITY_EXPECTED = 'virtue, vice or neutral (or a number: > 0 virtue, < 0 vice, 0 neutral)'

export function parsePolarity(v: unknown): Polarity | null | undefined {
  if (isEmptyCell(v)) return null
  if (typeof v === 'number') return v > 0 ? 'virtue' : v < 0 ? 'vice' : 'neutral'
  const s = String(v).trim().toLowerCase()
  if (s === 'virtue' || s === 'good' || s === '+' || s === 'positive') return 'virtue'
  if (s === 'vice' || s === 'bad' || s === '-' || s === 'negative') return 'vice'
  if (s === 'neutral' || s === 'none' || s === '0') return 'neutral'
  const x = Number(s)
  if (Number.isFinite(x)) return x > 0 ? 'virtue' : x < 0 ? 'vice' : 'neutral'
  return undefined
}

/** 10 numbers: a JSON array, or separated by spaces, commas, semicolons or "|". */
export function parseMoralVector(v: unknown): number[] | null | undefined {
  if (isEmptyCell(v)) return null
  let parts: unknown[]
  if (Array.isArray(v)) parts = v
  else {
    const s = String(v).trim()
    if (s.startsWith('[')) {
      try {
        const a = JSON.parse(s)
        if (!Array.isArray(a)) return undefined
        parts = a
      } catch {
        return undefined
      }
    } else parts = s.split(/[\s,;|]+/).filter((p) => p !== '')
  }
  if (parts.length !== MORAL_VECTOR_DIM) return undefined
  const out = parts.map((p) => parseNumber(p))
  return out.every((x): x is number => typeof x === 'number') ? out : undefined
}

/** A cell as text: strings as they are, numbers and booleans written out; undefined when empty. */
export function cellText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'string') return v.trim() === '' ? undefined : v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v)
}

/** A meta value: strings, finite numbers, booleans and null are kept; anything else becomes its JSON. */
export function metaValue(v: unknown): string | number | boolean | null {
  if (v === undefined || v === null) return null
  if (typeof v === 'string' || typeof v === 'boolean') return v
  if (typeof v === 'number') return Number.isFinite(v) ? v : null
  return JSON.stringify(v)
}

/**
 * A copy of `s` that does not share memory with the large decoded text piece it was sliced from. V8's slice,
 * split and trim return views that keep their parent string alive, so a few kept items would otherwise pin
 * most of a 100 MB file in memory. Concatenating and slicing forces a fresh flat string.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1)
}

/** Header name for matching: lower case, trimmed, without a BOM. */
export function headerName(h: string): string {
  return h
    .replace(/^\ufeff/, '')
    .trim()
    .toLowerCase()
}

/** Header name reduced to letters and digits ("Care_Share" → "careshare"). */
export function headerKey(h: string): string {
  return headerName(h).replace(/[^a-z0-9]/g, '')
}
