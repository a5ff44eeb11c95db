// JSONL export/import of a stimulus set: the format researchers take to Python
// (`[json.loads(l) for l in open(f)]`, header first). Line 1 is a header object
// {"moral_lens_stimuli": 1, id, name, source, licence, kind, ..., count, hash}; every other line is one item.
import { stimulusSetHash } from './hash.ts'
import type { StimulusItem, StimulusSet } from './types.ts'
import {
  DuplicateIdGuard,
  ITEM_FIELDS,
  SET_HEADER_FIELDS,
  describeValue,
  errorsOf,
  noValidItemsProblem,
  summarizeProblems,
  validateStimulusItem,
  validateStimulusSetHeader,
  type Problem,
  type StimulusSetHeader,
} from './validate.ts'

export const STIMULI_JSONL_VERSION = 1
export const STIMULI_JSONL_MARKER = 'moral_lens_stimuli'

function ordered<T extends object>(obj: T, keys: readonly string[]): Record<string, unknown> {
  const src = obj as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const k of keys) if (src[k] !== undefined) out[k] = src[k]
  for (const k of Object.keys(src)) if (!(k in out) && src[k] !== undefined && k !== 'items') out[k] = src[k]
  return out
}

/** The header line (without newline). `count` and `hash` let a reader detect truncation or edits. */
export function stimulusJsonlHeader(set: StimulusSet): string {
  return JSON.stringify({
    [STIMULI_JSONL_MARKER]: STIMULI_JSONL_VERSION,
    ...ordered(set, SET_HEADER_FIELDS),
    count: set.items.length,
    hash: stimulusSetHash(set),
  })
}

export function stimulusJsonlItem(item: StimulusItem): string {
  return JSON.stringify(ordered(item, ITEM_FIELDS))
}

/** Lines without terminators, header first; for writing a large set in chunks. */
export function* stimulusSetJsonlLines(set: StimulusSet): Generator<string> {
  yield stimulusJsonlHeader(set)
  for (const item of set.items) yield stimulusJsonlItem(item)
}

/** The whole file: '\n'-terminated lines. */
export function stimulusSetToJsonl(set: StimulusSet): string {
  let out = ''
  for (const line of stimulusSetJsonlLines(set)) out += line + '\n'
  return out
}

export interface JsonlReadResult {
  set?: StimulusSet
  problems: Problem[]
  /** Lines read, including the header and blank lines. */
  lines: number
}

/**
 * Incremental reader: push lines one at a time (any line-ending already stripped), then finish().
 * Each bad line is dropped with a problem whose row is its 1-based line number.
 */
export class StimulusJsonlReader {
  private line = 0
  private header?: StimulusSetHeader
  private headerRaw?: Record<string, unknown>
  private headerSeen = false
  private items: StimulusItem[] = []
  private itemLines = 0
  private ids = new DuplicateIdGuard()
  readonly problems: Problem[] = []

  constructor(readonly fileName?: string) {}

  private problem(row: number, expected: string, got: unknown, field?: string): void {
    const p: Problem = { expected, got: describeValue(got), severity: 'error', row }
    if (this.fileName !== undefined) p.file = this.fileName
    if (field !== undefined) p.field = field
    this.problems.push(p)
  }

  push(rawLine: string): void {
    this.line++
    const row = this.line
    let text = rawLine
    if (row === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    if (text.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (e) {
      this.problem(row, `a JSON object on one line (${(e as Error).message})`, text)
      if (!this.headerSeen) this.headerSeen = true
      return
    }
    if (!this.headerSeen) {
      this.headerSeen = true
      this.readHeader(value, row)
      return
    }
    this.itemLines++
    const at = { ...(this.fileName !== undefined ? { file: this.fileName } : {}), row }
    const res = validateStimulusItem(value, at)
    this.problems.push(...res.problems)
    if (!res.item) return
    const dup = this.ids.check(res.item.id, at)
    if (dup) this.problems.push(dup)
    else this.items.push(res.item)
  }

  private readHeader(value: unknown, row: number): void {
    const isObj = typeof value === 'object' && value !== null && !Array.isArray(value)
    const marker = isObj ? (value as Record<string, unknown>)[STIMULI_JSONL_MARKER] : undefined
    if (!isObj || marker === undefined) {
      this.problem(
        row,
        `a header object {"${STIMULI_JSONL_MARKER}": ${STIMULI_JSONL_VERSION}, "id", "name", ...} as the first line`,
        value,
      )
      return
    }
    if (marker !== STIMULI_JSONL_VERSION) {
      this.problem(row, `format version ${STIMULI_JSONL_VERSION}`, marker, STIMULI_JSONL_MARKER)
      return
    }
    const { [STIMULI_JSONL_MARKER]: _marker, ...rest } = value as Record<string, unknown>
    const res = validateStimulusSetHeader(
      rest,
      { ...(this.fileName !== undefined ? { file: this.fileName } : {}), row },
      ['count', 'hash'],
    )
    this.problems.push(...res.problems)
    this.header = res.header
    this.headerRaw = rest
  }

  finish(): JsonlReadResult {
    const file = this.fileName !== undefined ? { file: this.fileName } : {}
    if (!this.headerSeen) {
      this.problems.push({
        ...file,
        row: 1,
        expected: 'a header line and at least one item',
        got: 'an empty file',
        severity: 'error',
      })
      return { problems: this.problems, lines: this.line }
    }
    if (this.items.length === 0) this.problems.push(noValidItemsProblem(this.fileName, this.itemLines))
    if (!this.header || this.items.length === 0) return { problems: this.problems, lines: this.line }
    const set: StimulusSet = { ...this.header, items: this.items }
    const declared = this.headerRaw ?? {}
    // Only meaningful when nothing was dropped: a dropped line already has its own problem.
    if (errorsOf(this.problems).length === 0) {
      if (declared.count !== undefined && declared.count !== this.items.length) {
        this.problems.push({
          ...file,
          row: 1,
          field: 'count',
          expected: `${this.items.length} (the items read; was the file truncated?)`,
          got: describeValue(declared.count),
          severity: 'warning',
        })
      } else if (typeof declared.hash === 'string' && declared.hash !== stimulusSetHash(set)) {
        this.problems.push({
          ...file,
          row: 1,
          field: 'hash',
          expected: 'the hash of the items read (they were edited after export)',
          got: describeValue(declared.hash),
          severity: 'warning',
        })
      }
    }
    return { set, problems: this.problems, lines: this.line }
  }
}

/** Reads a set from any iterable of lines (an array, a generator over a decoded stream). */
export function readStimulusJsonl(lines: Iterable<string>, fileName?: string): JsonlReadResult {
  const reader = new StimulusJsonlReader(fileName)
  for (const line of lines) reader.push(line)
  return reader.finish()
}

export interface ReadJsonlOptions {
  signal?: AbortSignal
  onProgress?: (p: { lines: number }) => void
  /** Yield to the event loop every this many lines (default 2000). */
  yieldEvery?: number
}

/** Async variant for streamed sources; cancellable, reports progress, yields so a worker stays responsive. */
export async function readStimulusJsonlAsync(
  lines: AsyncIterable<string> | Iterable<string>,
  fileName?: string,
  options: ReadJsonlOptions = {},
): Promise<JsonlReadResult> {
  const reader = new StimulusJsonlReader(fileName)
  const every = Math.max(1, options.yieldEvery ?? 2000)
  let n = 0
  for await (const line of lines) {
    options.signal?.throwIfAborted()
    reader.push(line)
    if (++n % every === 0) {
      options.onProgress?.({ lines: n })
      await Promise.resolve()
    }
  }
  options.signal?.throwIfAborted()
  options.onProgress?.({ lines: n })
  return reader.finish()
}

/** Splits a whole file on \n, \r\n or \r (a final terminator adds no line). */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/)
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  return lines
}

export function parseStimulusJsonl(text: string, fileName?: string): JsonlReadResult {
  return readStimulusJsonl(splitLines(text), fileName)
}

/** Like parseStimulusJsonl but throws one Error listing the problems when any line had an error. */
export function parseStimulusJsonlStrict(text: string, fileName?: string): StimulusSet {
  const res = parseStimulusJsonl(text, fileName)
  if (res.set && errorsOf(res.problems).length === 0) return res.set
  const errs = errorsOf(res.problems)
  throw new Error(
    `Invalid stimulus JSONL ${fileName ?? ''}`.trimEnd() +
      `: ${errs.length} error${errs.length === 1 ? '' : 's'}\n${summarizeProblems(errs)}`,
  )
}
