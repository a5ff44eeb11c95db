// Checks untrusted stimulus data (a loaded JSON file, an importer's output, a JSONL line) against the
// stimulus model. Bad items are dropped one by one, each with a problem that says where and what was
// expected, so one bad row never costs the user the whole file.
import {
  FOUNDATIONS,
  MORAL_VECTOR_DIM,
  POLARITIES,
  VALUE_KINDS,
  type Foundation,
  type Polarity,
  type StimulusItem,
  type StimulusSet,
  type StimulusSetKind,
  type TypicalitySource,
  type ValueKind,
} from './types.ts'

export interface Problem {
  file?: string
  /** 1-based item index, or the line number in a line-based file. */
  row?: number
  field?: string
  expected: string
  got?: string
  severity: 'error' | 'warning'
}

export interface Location {
  file?: string
  row?: number
}

export const STIMULUS_SET_KINDS: readonly StimulusSetKind[] = ['typicality', 'entanglement', 'claims', 'generic']
export const TYPICALITY_SOURCES: readonly TypicalitySource[] = ['authored', 'human', 'derived']

/** Item fields in the order every writer emits them. */
export const ITEM_FIELDS = [
  'id',
  'text',
  'foundation',
  'foundations',
  'polarity',
  'typicality',
  'typicalitySource',
  'typicalityNote',
  'rationale',
  'moralVector',
  'values',
  'humanRatings',
  'price',
  'gold',
  'consistencyGroup',
  'consistencyKey',
  'split',
  'meta',
] as const satisfies readonly (keyof StimulusItem)[]

/** Set fields other than `items`, in the order every writer emits them. */
export const SET_HEADER_FIELDS = [
  'id',
  'name',
  'source',
  'licence',
  'kind',
  'description',
  'ratingScale',
  'prompts',
] as const satisfies readonly (keyof StimulusSet)[]

export type StimulusSetHeader = Omit<StimulusSet, 'items'>

/** A short, bounded rendering of an offending value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v)
  if (typeof v === 'string' && v.trim() === '' && v.length > 0) return `blank string ${JSON.stringify(v)}`
  let s: string
  try {
    s = JSON.stringify(v) ?? String(v)
  } catch {
    s = String(v)
  }
  if (Array.isArray(v)) s = `array of ${v.length}: ${s}`
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}

export function formatProblem(p: Problem): string {
  const where = [p.file, p.row !== undefined ? `row ${p.row}` : undefined, p.field ? `field "${p.field}"` : undefined]
    .filter(Boolean)
    .join(', ')
  const got = p.got !== undefined ? `, got ${p.got}` : ''
  return `${p.severity === 'warning' ? 'warning: ' : ''}${where ? `${where}: ` : ''}expected ${p.expected}${got}`
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v)
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

const FOUNDATION_LIST = FOUNDATIONS.join(', ')

const NO_VALUE = Symbol('no value')

/** Collects the problems of one row; `ok` turns false on the first error. */
class RowCheck {
  problems: Problem[] = []
  ok = true
  constructor(private at: Location) {}

  /** `got` is reported only when a value is passed (an explicit undefined reads "got nothing"). */
  error(field: string | undefined, expected: string, ...got: [unknown?]): void {
    this.ok = false
    this.push('error', field, expected, got.length ? got[0] : NO_VALUE)
  }

  warn(field: string | undefined, expected: string, ...got: [unknown?]): void {
    this.push('warning', field, expected, got.length ? got[0] : NO_VALUE)
  }

  private push(severity: Problem['severity'], field: string | undefined, expected: string, value: unknown) {
    const p: Problem = { expected, severity }
    if (this.at.file !== undefined) p.file = this.at.file
    if (this.at.row !== undefined) p.row = this.at.row
    if (field !== undefined) p.field = field
    if (value !== NO_VALUE) p.got = describeValue(value)
    this.problems.push(p)
  }
}

function checkValueRecord(
  c: RowCheck,
  field: 'values' | 'humanRatings',
  v: unknown,
): Partial<Record<ValueKind, number>> | undefined {
  if (!isRecord(v)) {
    c.error(field, `an object with numeric ${VALUE_KINDS.join('/')} entries`, v)
    return undefined
  }
  const out: Partial<Record<ValueKind, number>> = {}
  for (const k of Object.keys(v)) {
    if (!(VALUE_KINDS as readonly string[]).includes(k)) {
      c.error(`${field}.${k}`, `a key among ${VALUE_KINDS.join(', ')}`, k)
    } else if (!isFiniteNumber(v[k])) {
      c.error(`${field}.${k}`, 'a finite number', v[k])
    } else {
      out[k as ValueKind] = v[k] as number
    }
  }
  return out
}

/**
 * Checks one item. The returned item carries only the known fields, in ITEM_FIELDS order, with arrays
 * and records copied; it is absent when the row has an error.
 */
export function validateStimulusItem(raw: unknown, at: Location = {}): { item?: StimulusItem; problems: Problem[] } {
  const c = new RowCheck(at)
  if (!isRecord(raw)) {
    c.error(undefined, 'an object with at least "id" and "text"', raw)
    return { problems: c.problems }
  }
  const item: Partial<StimulusItem> = {}
  const has = (k: string) => raw[k] !== undefined

  if (typeof raw.id !== 'string' || raw.id.trim() === '') c.error('id', 'a non-empty string', raw.id)
  else item.id = raw.id
  if (typeof raw.text !== 'string' || raw.text.trim() === '') c.error('text', 'a non-empty string', raw.text)
  else item.text = raw.text

  if (has('foundation')) {
    if ((FOUNDATIONS as readonly unknown[]).includes(raw.foundation)) item.foundation = raw.foundation as Foundation
    else c.error('foundation', `one of ${FOUNDATION_LIST}`, raw.foundation)
  }
  if (has('foundations')) {
    const fs = raw.foundations
    if (!Array.isArray(fs) || fs.length === 0) {
      c.error('foundations', `a non-empty array of ${FOUNDATION_LIST}`, fs)
    } else {
      const bad = fs.findIndex((f) => !(FOUNDATIONS as readonly unknown[]).includes(f))
      if (bad >= 0) c.error(`foundations[${bad}]`, `one of ${FOUNDATION_LIST}`, fs[bad])
      else {
        item.foundations = [...fs] as Foundation[]
        if (new Set(fs).size !== fs.length) c.warn('foundations', 'each foundation listed once', fs)
      }
    }
  }
  if (item.foundation && item.foundations && !item.foundations.includes(item.foundation)) {
    c.warn('foundation', `one of the listed foundations (${item.foundations.join(', ')})`, item.foundation)
  }
  if (has('polarity')) {
    if ((POLARITIES as readonly unknown[]).includes(raw.polarity)) item.polarity = raw.polarity as Polarity
    else c.error('polarity', `one of ${POLARITIES.join(', ')}`, raw.polarity)
  }
  if (has('typicality')) {
    const t = raw.typicality
    if (isFiniteNumber(t) && t >= 0 && t <= 1) item.typicality = t
    else c.error('typicality', 'a number in [0, 1]', t)
  }
  if (has('typicalitySource')) {
    if ((TYPICALITY_SOURCES as readonly unknown[]).includes(raw.typicalitySource)) {
      item.typicalitySource = raw.typicalitySource as TypicalitySource
    } else c.error('typicalitySource', `one of ${TYPICALITY_SOURCES.join(', ')}`, raw.typicalitySource)
  }
  if (item.typicalitySource && !has('typicality')) c.warn('typicalitySource', 'a typicality for it to describe')
  for (const k of ['typicalityNote', 'rationale'] as const) {
    if (!has(k)) continue
    if (typeof raw[k] === 'string') item[k] = raw[k] as string
    else c.error(k, 'a string', raw[k])
  }
  if (has('moralVector')) {
    const mv = raw.moralVector
    if (!Array.isArray(mv) || mv.length !== MORAL_VECTOR_DIM) {
      c.error('moralVector', `an array of ${MORAL_VECTOR_DIM} non-negative numbers`, mv)
    } else {
      const bad = mv.findIndex((x) => !isFiniteNumber(x) || x < 0)
      if (bad >= 0) c.error(`moralVector[${bad}]`, 'a non-negative finite number', mv[bad])
      else {
        item.moralVector = [...mv] as number[]
        if (item.polarity === 'neutral' && mv.some((x) => x !== 0)) {
          c.warn('moralVector', 'all zeros for a neutral item', mv)
        }
      }
    }
  }
  if (has('values')) {
    const v = checkValueRecord(c, 'values', raw.values)
    if (v) item.values = v
  }
  if (has('humanRatings')) {
    const v = checkValueRecord(c, 'humanRatings', raw.humanRatings)
    if (v) item.humanRatings = v
  }
  if (has('price')) {
    if (isFiniteNumber(raw.price) && raw.price >= 0) item.price = raw.price
    else c.error('price', 'a non-negative number', raw.price)
  }
  if (has('gold')) {
    if (raw.gold === 0 || raw.gold === 1) item.gold = raw.gold
    else c.error('gold', '0 or 1', raw.gold)
  }
  for (const k of ['consistencyGroup', 'consistencyKey', 'split'] as const) {
    if (!has(k)) continue
    if (typeof raw[k] === 'string' && (raw[k] as string) !== '') item[k] = raw[k] as string
    else c.error(k, 'a non-empty string', raw[k])
  }
  if (item.consistencyKey !== undefined && item.consistencyGroup === undefined) {
    c.warn('consistencyKey', 'a consistencyGroup for the key to belong to')
  }
  if (has('meta')) {
    const m = raw.meta
    if (!isRecord(m)) c.error('meta', 'an object of strings, numbers, booleans or nulls', m)
    else {
      const meta: NonNullable<StimulusItem['meta']> = {}
      for (const [k, v] of Object.entries(m)) {
        if (v === null || typeof v === 'string' || typeof v === 'boolean' || isFiniteNumber(v)) meta[k] = v
        else c.error(`meta.${k}`, 'a string, finite number, boolean or null', v)
      }
      item.meta = meta
    }
  }
  for (const k of Object.keys(raw)) {
    if (!(ITEM_FIELDS as readonly string[]).includes(k)) c.warn(k, `a known item field (${k} is ignored)`)
  }
  if (!c.ok) return { problems: c.problems }
  const ordered: Record<string, unknown> = {}
  for (const k of ITEM_FIELDS) if (item[k] !== undefined) ordered[k] = item[k]
  return { item: ordered as unknown as StimulusItem, problems: c.problems }
}

/** Checks the set-level fields (everything but `items`). Unknown fields are ignored with a warning. */
export function validateStimulusSetHeader(
  raw: unknown,
  at: Location = {},
  extraFields: readonly string[] = [],
): { header?: StimulusSetHeader; problems: Problem[] } {
  const c = new RowCheck(at)
  if (!isRecord(raw)) {
    c.error(undefined, 'a stimulus set object with id, name, source, licence, kind and items', raw)
    return { problems: c.problems }
  }
  const h: Partial<StimulusSetHeader> = {}
  for (const k of ['id', 'name', 'source', 'licence'] as const) {
    if (typeof raw[k] === 'string' && (raw[k] as string).trim() !== '') h[k] = raw[k] as string
    else c.error(k, 'a non-empty string', raw[k])
  }
  if ((STIMULUS_SET_KINDS as readonly unknown[]).includes(raw.kind)) h.kind = raw.kind as StimulusSetKind
  else c.error('kind', `one of ${STIMULUS_SET_KINDS.join(', ')}`, raw.kind)
  for (const k of ['description', 'ratingScale'] as const) {
    if (raw[k] === undefined) continue
    if (typeof raw[k] === 'string') h[k] = raw[k] as string
    else c.error(k, 'a string', raw[k])
  }
  if (raw.prompts !== undefined) {
    if (!isRecord(raw.prompts)) c.error('prompts', 'an object of prompt templates (strings)', raw.prompts)
    else {
      const prompts: Record<string, string> = {}
      for (const [k, v] of Object.entries(raw.prompts)) {
        if (typeof v !== 'string') c.error(`prompts.${k}`, 'a string', v)
        else {
          prompts[k] = v
          if (!v.includes('{text}')) c.warn(`prompts.${k}`, 'a template with a {text} slot', v)
        }
      }
      h.prompts = prompts
    }
  }
  for (const k of Object.keys(raw)) {
    if (k === 'items' || (SET_HEADER_FIELDS as readonly string[]).includes(k) || extraFields.includes(k)) continue
    c.warn(k, `a known set field (${k} is ignored)`)
  }
  if (!c.ok) return { problems: c.problems }
  const ordered: Record<string, unknown> = {}
  for (const k of SET_HEADER_FIELDS) if (h[k] !== undefined) ordered[k] = h[k]
  return { header: ordered as unknown as StimulusSetHeader, problems: c.problems }
}

/**
 * Drops items with duplicate ids (the first one wins). Shared by the object validator and the line
 * readers so both report duplicates the same way.
 */
export class DuplicateIdGuard {
  private seen = new Map<string, number | undefined>()

  /** Returns a problem when `id` was already accepted. */
  check(id: string, at: Location): Problem | undefined {
    if (this.seen.has(id)) {
      const first = this.seen.get(id)
      const p: Problem = {
        field: 'id',
        expected: `a unique id (already used${first !== undefined ? ` in row ${first}` : ''})`,
        got: describeValue(id),
        severity: 'error',
      }
      if (at.file !== undefined) p.file = at.file
      if (at.row !== undefined) p.row = at.row
      return p
    }
    this.seen.set(id, at.row)
    return undefined
  }
}

/** The problem reported when nothing valid remains. */
export function noValidItemsProblem(file: string | undefined, total: number): Problem {
  const p: Problem = {
    field: 'items',
    expected: 'at least one valid item',
    got: total === 0 ? 'no items' : `${total} item${total === 1 ? '' : 's'}, none valid`,
    severity: 'error',
  }
  if (file !== undefined) p.file = file
  return p
}

export interface ValidateOptions {
  /** Row number to report for the item at `index` (default: index + 1). */
  rowOf?: (index: number) => number
}

/**
 * Validates a whole set. Items with errors are dropped with a problem each; the set is returned
 * whenever the set-level fields are valid and at least one item remains.
 */
export function validateStimulusSet(
  raw: unknown,
  fileName?: string,
  options: ValidateOptions = {},
): { set?: StimulusSet; problems: Problem[] } {
  const file = fileName !== undefined ? { file: fileName } : {}
  const { header, problems } = validateStimulusSetHeader(raw, file)
  const rawItems = isRecord(raw) ? raw.items : undefined
  if (isRecord(raw) && !Array.isArray(rawItems)) {
    problems.push({
      ...file,
      field: 'items',
      expected: 'an array of items',
      got: describeValue(rawItems),
      severity: 'error',
    })
  }
  const items: StimulusItem[] = []
  if (Array.isArray(rawItems)) {
    const rowOf = options.rowOf ?? ((i: number) => i + 1)
    const ids = new DuplicateIdGuard()
    rawItems.forEach((r, i) => {
      const at = { ...file, row: rowOf(i) }
      const res = validateStimulusItem(r, at)
      problems.push(...res.problems)
      if (!res.item) return
      const dup = ids.check(res.item.id, at)
      if (dup) problems.push(dup)
      else items.push(res.item)
    })
    if (items.length === 0) problems.push(noValidItemsProblem(fileName, rawItems.length))
  }
  if (!header || items.length === 0) return { problems }
  return { set: { ...header, items }, problems }
}

export function errorsOf(problems: readonly Problem[]): Problem[] {
  return problems.filter((p) => p.severity === 'error')
}

/** One message for a list of problems, listing the first `limit` errors. */
export function summarizeProblems(problems: readonly Problem[], limit = 20): string {
  const errs = errorsOf(problems)
  const lines = errs.slice(0, limit).map((p) => `  - ${formatProblem(p)}`)
  if (errs.length > limit) lines.push(`  ... and ${errs.length - limit} more`)
  return lines.join('\n')
}

/**
 * Returns the validated set, or throws one Error listing every error (the first 20) when any item or
 * set-level field is invalid. Warnings never throw.
 */
export function assertValidStimulusSet(raw: unknown, fileName?: string): StimulusSet {
  const { set, problems } = validateStimulusSet(raw, fileName)
  const errs = errorsOf(problems)
  if (set && errs.length === 0) return set
  const label = fileName ?? (isRecord(raw) && typeof raw.id === 'string' ? raw.id : 'stimulus set')
  throw new Error(
    `Invalid stimulus set ${label}: ${errs.length} error${errs.length === 1 ? '' : 's'}\n${summarizeProblems(errs)}`,
  )
}
