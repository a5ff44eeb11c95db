// Any CSV/TSV/JSONL/JSON with a column mapping. The mapping is plain data so the UI can store it per header
// signature (mappingKey) and offer suggestMapping's guess first.

import { sha256Hex } from '../../hash.ts'
import { MORAL_VECTOR_DIM, type StimulusItem, type ValueKind } from '../../stimuli/types.ts'
import type { FormatDefinition, FormatMapper, MapperContext, MapperOutput, Sample } from '../format.ts'
import { shown, type ProblemDetail } from '../report.ts'
import type { ColumnMapping, GenericOptions } from '../types.ts'
import {
  FOUNDATION_EXPECTED,
  POLARITY_EXPECTED,
  cellText,
  headerKey,
  headerName,
  isEmptyCell,
  metaValue,
  parseBinary,
  parseFoundationList,
  parseMoralVector,
  parseNumber,
  parsePolarity,
} from '../values.ts'

export const DEFAULT_GENERIC_OPTIONS: GenericOptions = {
  hasHeader: true,
  typicalitySource: 'human',
  onInvalid: 'drop',
  kind: 'generic',
}

type MappedField = Exclude<keyof ColumnMapping, 'meta'>

/** Header names (letters and digits only) that suggestMapping recognises, best first. */
const GUESSES: Record<MappedField, string[]> = {
  text: [
    'text',
    'sentence',
    'claim',
    'statement',
    'input',
    'scenario',
    'action',
    'vignette',
    'prompt',
    'item',
    'rot',
    'content',
  ],
  foundation: ['foundation', 'foundations', 'moralfoundation', 'mft', 'mfcategory', 'domain'],
  polarity: ['polarity', 'valence', 'virtuevice', 'sign'],
  typicality: ['typicality', 'typ', 'prototypicality', 'typicalityscore'],
  gold: ['gold', 'label', 'goldlabel', 'truth', 'answer', 'target'],
  group: ['consistencyid', 'consistencygroup', 'group', 'groupid', 'pairid', 'pair'],
  key: ['consistencykey', 'key'],
  split: ['split', 'fold', 'partition', 'subset'],
  moral: ['moral', 'morality', 'moralvalue', 'morallevel'],
  grammatical: ['grammatical', 'grammaticality', 'acceptability', 'acceptable', 'grammaticallevel'],
  economic: ['economic', 'economicvalue', 'expensive', 'pricelevel'],
  moralRating: ['moralrating', 'moralityrating'],
  grammaticalRating: ['grammaticalrating', 'acceptabilityrating'],
  economicRating: ['economicrating', 'valuerating'],
  price: ['price', 'cost'],
  moralVector: ['moralvector', 'vector', 'g'],
  rationale: ['rationale', 'reason', 'explanation'],
}

/** Guess a mapping from header names; `text` is '' when no column looks like text. */
export function suggestMapping(headers: string[]): ColumnMapping {
  const keys = headers.map(headerKey)
  const used = new Set<number>()
  const mapping: ColumnMapping = { text: '' }
  for (const field of Object.keys(GUESSES) as MappedField[]) {
    for (const g of GUESSES[field]) {
      const i = keys.indexOf(g)
      if (i >= 0 && !used.has(i)) {
        used.add(i)
        mapping[field] = headers[i]
        break
      }
    }
  }
  return mapping
}

/** A stable key for a header signature, so a UI can remember the mapping chosen for files shaped like this. */
export function mappingKey(headers: string[]): string {
  return 'columns:' + sha256Hex(headers.map(headerName).join('\u001f')).slice(0, 16)
}

/** Column names of a sample: the header, numbers 1..n for a headerless file, or the first object's keys. */
export function sampleHeaders(s: Sample, hasHeader = true): string[] {
  if (s.json) return s.objects.length ? Object.keys(s.objects[0]) : []
  const r = s.rows[0] ?? []
  return hasHeader ? r : r.map((_, i) => String(i + 1))
}

export const generic: FormatDefinition = {
  id: 'generic',
  dataset: 'user file with a column mapping',
  kind: 'generic',
  expected: 'a CSV/TSV/JSONL file whose columns are mapped to stimulus fields',
  detect(s) {
    const m = suggestMapping(sampleHeaders(s))
    return m.text ? { confidence: 0.1, reason: `column "${m.text}" looks like text` } : { confidence: 0, reason: '' }
  },
  check(s, options) {
    const o = { ...DEFAULT_GENERIC_OPTIONS, ...options.generic }
    const headers = sampleHeaders(s, o.hasHeader)
    if (headers.length === 0) return { line: 1, expected: 'a header or JSON records', got: 'no rows' }
    if (!o.mapping && !suggestMapping(headers).text) {
      return {
        line: 1,
        expected: 'a column mapping (no column looks like the text)',
        got: `columns ${headers.map((h) => `"${h}"`).join(', ')}`,
      }
    }
    return null
  },
  reader(s, options) {
    if (s.json) return { kind: 'json' }
    const o = { ...DEFAULT_GENERIC_OPTIONS, ...options.generic }
    return { kind: 'delimited', delimiter: options.delimiter ?? s.delimiter, quote: '"', header: o.hasHeader }
  },
  createMapper: (ctx) => new GenericMapper(ctx),
}

class GenericMapper implements FormatMapper {
  private readonly o: GenericOptions
  private mapping: ColumnMapping | undefined
  private header_: string[] | undefined
  private readonly items: StimulusItem[] = []

  constructor(private readonly ctx: MapperContext) {
    this.o = { ...DEFAULT_GENERIC_OPTIONS, ...ctx.options.generic }
    this.mapping = this.o.mapping
  }

  header(fields: string[], line: number): void {
    this.header_ = fields.map((h) => h.trim())
    this.resolve(this.header_, line, true)
  }

  private resolve(headers: string[], line: number, strict: boolean): ColumnMapping {
    if (!this.mapping) {
      const m = suggestMapping(headers)
      if (!m.text) {
        throw new Error(
          `${this.ctx.file} line ${line}: expected a column mapping for the generic importer (no column looks like ` +
            `the text), got columns ${headers.map((h) => `"${h}"`).join(', ')}`,
        )
      }
      this.mapping = m
      this.ctx.report.notice(`${this.ctx.file}: guessed column mapping ${JSON.stringify(m)}`)
    }
    if (strict) {
      const wanted = Object.entries(this.mapping).flatMap(([field, col]) =>
        field === 'meta' ? (col as string[]).map((c) => ['meta', c]) : [[field, col as string]],
      )
      const names = new Set(headers)
      for (const [field, col] of wanted) {
        if (col && !names.has(col)) {
          throw new Error(
            `${this.ctx.file} line ${line}: the mapped column "${col}" (for ${field}) is not in the ` +
              `${this.o.hasHeader ? 'header' : 'file'}; columns: ${headers.map((h) => `"${h}"`).join(', ')}`,
          )
        }
      }
    }
    return this.mapping
  }

  fields(f: string[], line: number): void {
    if (!this.header_) {
      // No header: columns are numbered from 1.
      this.header_ = f.map((_, i) => String(i + 1))
      this.resolve(this.header_, line, true)
    }
    const h = this.header_
    if (f.length !== h.length) {
      this.ctx.report.dropInvalid(line, {
        expected: `${h.length} fields (as in the ${this.o.hasHeader ? 'header' : 'first row'})`,
        got: `${f.length}`,
      })
      return
    }
    const o: Record<string, unknown> = {}
    for (let i = 0; i < h.length; i++) o[h[i]] = f[i]
    this.row(o, line, (col) => h.indexOf(col) + 1)
  }

  object(v: Record<string, unknown>, line: number): void {
    if (!this.mapping) this.resolve(Object.keys(v), line, false)
    this.row(v, line, () => undefined)
  }

  private row(v: Record<string, unknown>, line: number, columnOf: (col: string) => number | undefined): void {
    const { report } = this.ctx
    const m = this.mapping!
    const text = cellText(v[m.text])
    if (text === undefined) {
      report.dropInvalid(line, {
        column: columnOf(m.text),
        field: m.text,
        expected: 'non-empty text',
        got: shown(v[m.text]),
      })
      return
    }
    const item: StimulusItem = { id: `generic:${line}`, text: text.trim() }
    const problems: ProblemDetail[] = []
    const bad = (field: keyof ColumnMapping, expected: string) => {
      const col = m[field] as string
      problems.push({ column: columnOf(col), field: col, expected, got: shown(v[col]) })
    }
    const get = (field: MappedField): unknown => {
      const col = m[field]
      if (!col) return undefined
      const x = v[col]
      return isEmptyCell(x) ? undefined : x
    }
    let x: unknown
    if ((x = get('foundation')) !== undefined) {
      const { foundations, unknown } = parseFoundationList(x)
      if (unknown.length || foundations.length === 0) bad('foundation', FOUNDATION_EXPECTED)
      else {
        item.foundation = foundations[0]
        item.foundations = foundations
      }
    }
    if ((x = get('polarity')) !== undefined) {
      const p = parsePolarity(x)
      if (!p) bad('polarity', POLARITY_EXPECTED)
      else item.polarity = p
    }
    if ((x = get('typicality')) !== undefined) {
      const t = parseNumber(x)
      if (typeof t !== 'number' || t < 0 || t > 1) bad('typicality', 'a number in [0,1]')
      else {
        item.typicality = t
        item.typicalitySource = this.o.typicalitySource
        item.typicalityNote = `column "${m.typicality}" of ${this.ctx.file}`
      }
    }
    if ((x = get('gold')) !== undefined) {
      const g = parseBinary(x)
      if (g === null || g === undefined) bad('gold', '0 or 1 (or true/false, yes/no)')
      else item.gold = g
    }
    for (const [field, kind] of [
      ['moral', 'moral'],
      ['grammatical', 'grammatical'],
      ['economic', 'economic'],
    ] as [MappedField, ValueKind][]) {
      if ((x = get(field)) === undefined) continue
      const n = parseNumber(x)
      if (typeof n !== 'number') bad(field, 'a number')
      else (item.values ??= {})[kind] = n
    }
    for (const [field, kind] of [
      ['moralRating', 'moral'],
      ['grammaticalRating', 'grammatical'],
      ['economicRating', 'economic'],
    ] as [MappedField, ValueKind][]) {
      if ((x = get(field)) === undefined) continue
      const n = parseNumber(x)
      if (typeof n !== 'number') bad(field, 'a number')
      else (item.humanRatings ??= {})[kind] = n
    }
    if ((x = get('price')) !== undefined) {
      const n = parseNumber(x)
      if (typeof n !== 'number' || n < 0) bad('price', 'a non-negative number')
      else item.price = n
    }
    if ((x = get('moralVector')) !== undefined) {
      const mv = parseMoralVector(x)
      if (!mv) bad('moralVector', `${MORAL_VECTOR_DIM} numbers (a JSON array, or separated by spaces, commas or |)`)
      else item.moralVector = mv
    }
    if ((x = get('group')) !== undefined) item.consistencyGroup = cellText(x)
    if ((x = get('key')) !== undefined) item.consistencyKey = cellText(x)
    if ((x = get('split')) !== undefined) item.split = cellText(x)
    if ((x = get('rationale')) !== undefined) item.rationale = cellText(x)
    if (problems.length) {
      if (this.o.onInvalid === 'drop') {
        report.dropInvalid(line, problems[0])
        for (const p of problems.slice(1)) report.warn(line, p)
        return
      }
      for (const p of problems) report.warn(line, { ...p, got: `${p.got} (value left out)` })
    }
    const meta: NonNullable<StimulusItem['meta']> = { line }
    for (const c of m.meta ?? []) if (v[c] !== undefined) meta[c] = metaValue(v[c])
    item.meta = meta
    this.items.push(item)
  }

  finish(): MapperOutput {
    return {
      items: this.items,
      kind: this.o.kind,
      description: `Generic import with the column mapping ${JSON.stringify(this.mapping ?? {})}.`,
    }
  }
}
