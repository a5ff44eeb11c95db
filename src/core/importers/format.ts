// What every format importer provides, and the analysis of a file's first lines that detection and header checks
// work from.

import type { StimulusItem, StimulusSetKind } from '../stimuli/types.ts'
import { delimiterName, sampleRecords, sniffDelimiter } from './csv.ts'
import { JsonRecordParser, truncate, type JsonRecord } from './json.ts'
import type { ImportReport } from './report.ts'
import type { FormatId, ImportOptions, SamplingReport } from './types.ts'
import { headerName } from './values.ts'

export interface Sample {
  fileName: string
  text: string
  /** The sample holds the whole file. */
  complete: boolean
  /** First non-blank character is "{" or "[". */
  json: boolean
  /** First JSON records (objects only). */
  objects: Record<string, unknown>[]
  delimiter: string
  /** First records split with the sniffed delimiter (quote-aware). */
  rows: string[][]
}

export function analyseSample(text: string, fileName: string, complete: boolean): Sample {
  const first = /\S/.exec(text)
  const json = !!first && (text[first.index] === '{' || text[first.index] === '[')
  const objects: Record<string, unknown>[] = []
  if (json) {
    const parser = new JsonRecordParser(fileName)
    const out: JsonRecord[] = []
    try {
      parser.push(text, out)
      if (complete) parser.finish(out)
    } catch {
      // A pretty-printed object: detection falls through; the import reports it.
    }
    for (const r of out) if (r.value && objects.length < 20) objects.push(r.value)
  }
  const delimiter = sniffDelimiter(text, fileName, complete)
  const rows = sampleRecords(text, delimiter, complete).map((r) => r.fields)
  return { fileName, text, complete, json, objects, delimiter, rows }
}

/** "3 comma-separated columns starting "label, input, is_short"", for error messages. */
export function describeSample(s: Sample): string {
  if (s.json) return s.objects.length ? `JSON objects with keys ${quoteList(Object.keys(s.objects[0]))}` : 'JSON'
  const r = s.rows[0]
  if (!r) return 'no rows'
  if (r.length === 1) return `1 column ("${truncate(r[0], 40)}")`
  return `${r.length} ${delimiterName(s.delimiter)}-separated columns starting ${quoteList(r)}`
}

export function quoteList(names: string[], max = 3): string {
  return `"${names
    .slice(0, max)
    .map((n) => truncate(n, 30))
    .join(', ')}${names.length > max ? ', …' : ''}"`
}

export function headerNames(s: Sample): string[] {
  return (s.rows[0] ?? []).map(headerName)
}

export type ReaderSpec =
  { kind: 'json' } | { kind: 'delimited'; delimiter: string; quote: string | null; header: boolean }

export interface MapperContext {
  file: string
  format: FormatId
  report: ImportReport
  options: ImportOptions
  sample: Sample
}

export interface MapperOutput {
  items: StimulusItem[]
  description: string
  prompts?: Record<string, string>
  kind?: StimulusSetKind
  sampling?: SamplingReport
}

/** Receives the header (if the reader has one) and then every row, in file order. */
export interface FormatMapper {
  header?(fields: string[], line: number): void
  fields?(fields: string[], line: number): void
  object?(value: Record<string, unknown>, line: number): void
  finish(): MapperOutput
}

export interface CheckFailure {
  line: number
  expected: string
  got: string
}

export interface FormatDefinition {
  id: FormatId
  /** Dataset name, used for the set's name and source. */
  dataset: string
  kind: StimulusSetKind
  /** A short description of the expected layout, used in messages. */
  expected: string
  detect(s: Sample): { confidence: number; reason: string }
  /** When the user asked for this format: null if the first lines fit, else what is wrong. */
  check(s: Sample, options: ImportOptions): CheckFailure | null
  reader(s: Sample, options: ImportOptions): ReaderSpec
  createMapper(ctx: MapperContext): FormatMapper
}

/** Column positions by (normalised) header name. */
export class Columns {
  readonly names: string[]
  private readonly index = new Map<string, number>()

  constructor(header: string[]) {
    this.names = header.map(headerName)
    this.names.forEach((n, i) => {
      if (!this.index.has(n)) this.index.set(n, i)
    })
  }

  /** Position of the first of `names` present, or -1. */
  find(...names: string[]): number {
    for (const n of names) {
      const i = this.index.get(n)
      if (i !== undefined) return i
    }
    return -1
  }

  has(...names: string[]): boolean {
    return names.every((n) => this.index.has(n))
  }

  missing(names: string[]): string[] {
    return names.filter((n) => !this.index.has(n))
  }
}

/** Error raised for a file that does not fit its format, naming the file and line. */
export function formatError(file: string, f: CheckFailure): Error {
  return new Error(`${file} line ${f.line}: expected ${f.expected}, got ${f.got}`)
}
