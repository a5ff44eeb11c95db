// importStimuli: bytes of a user's dataset file → a StimulusSet plus a report of what was kept, dropped and why.
// One streaming pass; nothing but the kept items (and the listed problems) is held in memory.

import type { StimulusItem, StimulusSet } from '../stimuli/types.ts'
import { parseDelimited } from './csv.ts'
import { FORMATS, detectFromSample, noFormatError } from './detect.ts'
import { analyseSample, formatError, type FormatMapper, type ReaderSpec } from './format.ts'
import { parseJsonRecords } from './json.ts'
import { ImportReport } from './report.ts'
import { countNewlines, decodeText, type DecodeState } from './text.ts'
import { detach } from './values.ts'
import {
  isFormatId,
  type FormatDetection,
  type FormatId,
  type ImportOptions,
  type ImportRequest,
  type ImportResult,
  type ImportSummary,
} from './types.ts'

export const IMPORT_LICENCE = "rows from the user's own file; not redistributed by Moral Lens"

/** Lines (or characters) read before the format is decided. */
const SAMPLE_LINES = 50
const SAMPLE_CHARS = 256 * 1024

export async function importStimuli(chunks: AsyncIterable<Uint8Array>, request: ImportRequest): Promise<ImportResult> {
  const { fileName, signal } = request
  const options = request.options ?? {}
  const requested = request.format ?? 'auto'
  if (requested !== 'auto' && !isFormatId(requested)) {
    throw new Error(`unknown format '${requested}'; expected auto or one of ${Object.keys(FORMATS).join(', ')}`)
  }
  const report = new ImportReport(fileName, options.maxListed ?? 10_000)
  const decoded = decodeText(chunks, { fileName, signal, onProgress: request.onProgress })
  const peek = await peekText(decoded.text, SAMPLE_LINES, SAMPLE_CHARS)
  const state = decoded.state

  if (peek.sample.trim() === '') {
    const why =
      state.bytesRead === 0 ? '' : state.bom && peek.sample === '' ? ' (only a byte-order mark)' : ' (only whitespace)'
    throw new Error(`file ${fileName} is empty${why}`)
  }
  const sample = analyseSample(peek.sample, fileName, peek.complete)
  let format: FormatId
  let detection: FormatDetection | undefined
  if (requested === 'auto') {
    detection = detectFromSample(sample)
    if (!detection) throw noFormatError(sample)
    format = detection.format
    report.notice(`${fileName}: detected format ${format} (${detection.reason})`)
  } else {
    format = requested
    const failure = FORMATS[format].check(sample, options)
    if (failure) throw formatError(fileName, failure)
  }
  const def = FORMATS[format]
  const reader = def.reader(sample, options)
  const mapper = def.createMapper({ file: fileName, format, report, options, sample })
  let encodingReported = 0
  const afterBatch = () => {
    // Encoding problems go into the report as soon as the decoder finds them, in file order.
    for (; encodingReported < state.problems.length; encodingReported++) {
      const p = state.problems[encodingReported]
      report.warn(p.line, { expected: p.expected, got: p.got })
    }
  }
  afterBatch()
  const rowsRead = await feed(peek.rest, reader, mapper, report, fileName, options, afterBatch, signal)
  afterBatch()
  const out = mapper.finish()
  for (const it of out.items) detachStrings(it)
  for (const n of state.notices) report.notice(n)
  if (rowsRead === 0)
    report.notice(
      `${fileName} has no data rows${reader.kind === 'delimited' && reader.header ? ' after the header' : ''}`,
    )

  const set: StimulusSet = {
    id: `import:${format}:${fileName}`,
    name: `${fileName} (${format})`,
    source: `${def.dataset}: ${fileName}`,
    licence: IMPORT_LICENCE,
    description: out.description,
    kind: out.kind ?? def.kind,
    items: out.items,
  }
  if (out.prompts) set.prompts = out.prompts
  const result: ImportResult = {
    set,
    format,
    kept: out.items.length,
    dropped: report.dropped,
    droppedTotal: report.droppedTotal,
    dropCounts: report.dropCounts,
    problems: report.problems,
    problemsTotal: report.problemsTotal,
    labels: countLabels(out.items),
    notices: report.notices,
    encoding: describeEncoding(state),
    bytesRead: state.bytesRead,
    rowsRead,
  }
  if (reader.kind === 'delimited') result.delimiter = reader.delimiter
  if (detection) result.detection = detection
  if (out.sampling) result.sampling = out.sampling
  return result
}

async function feed(
  text: AsyncIterable<string>,
  reader: ReaderSpec,
  mapper: FormatMapper,
  report: ImportReport,
  fileName: string,
  { yieldEvery, maxRecordChars }: ImportOptions,
  afterBatch: () => void,
  signal: AbortSignal | undefined,
): Promise<number> {
  let rows = 0
  let sinceYield = 0
  const pause = async (n: number) => {
    afterBatch()
    sinceYield += n
    if (yieldEvery && sinceYield >= yieldEvery) {
      sinceYield = 0
      await new Promise((r) => setTimeout(r, 0))
    }
    signal?.throwIfAborted()
  }
  if (reader.kind === 'json') {
    if (!mapper.object) throw new Error(`this format cannot read JSON (${fileName})`)
    for await (const batch of parseJsonRecords(text, fileName)) {
      for (const r of batch) {
        rows++
        if (r.value) mapper.object(r.value, r.line)
        else report.dropInvalid(r.line, r.error!)
      }
      await pause(batch.length)
    }
    return rows
  }
  let needHeader = reader.header
  const opts = { delimiter: reader.delimiter, quote: reader.quote, maxRecordChars }
  for await (const batch of parseDelimited(text, opts)) {
    for (const r of batch) {
      if (r.problem) report.warn(r.line, r.problem)
      if (needHeader) {
        needHeader = false
        mapper.header?.(r.fields, r.line)
        continue
      }
      rows++
      mapper.fields!(r.fields, r.line)
    }
    await pause(batch.length)
  }
  return rows
}

/**
 * The first `lines` lines (at most `chars` characters) of the text, independent of how it was chunked, with
 * `complete` set when that is the whole file; `rest` replays everything read and continues.
 */
async function peekText(
  text: AsyncGenerator<string>,
  lines: number,
  chars: number,
): Promise<{ sample: string; complete: boolean; rest: AsyncIterable<string> }> {
  const head: string[] = []
  let size = 0
  let newlines = 0
  let done = false
  while (newlines <= lines && size <= chars) {
    const r = await text.next()
    if (r.done) {
      done = true
      break
    }
    head.push(r.value)
    size += r.value.length
    newlines += countNewlines(r.value)
  }
  const read = head.join('')
  let cut = Math.min(read.length, chars)
  let at = -1
  for (let k = 0; k < lines; k++) {
    at = read.indexOf('\n', at + 1)
    if (at === -1 || at >= cut) break
    if (k === lines - 1) cut = at + 1
  }
  const sample = read.slice(0, cut)
  const complete = done && cut === read.length
  async function* rest(): AsyncGenerator<string> {
    if (read) yield read
    if (done) return
    for (;;) {
      const r = await text.next()
      if (r.done) return
      yield r.value
    }
  }
  return { sample, complete, rest: rest() }
}

/** Copy an item's strings out of the decoded text pieces so that those can be freed (see detach). */
function detachStrings(it: StimulusItem): void {
  it.text = detach(it.text)
  if (it.consistencyGroup !== undefined) it.consistencyGroup = detach(it.consistencyGroup)
  if (it.consistencyKey !== undefined) it.consistencyKey = detach(it.consistencyKey)
  if (it.split !== undefined) it.split = detach(it.split)
  if (it.rationale !== undefined) it.rationale = detach(it.rationale)
  if (it.meta)
    for (const k of Object.keys(it.meta)) if (typeof it.meta[k] === 'string') it.meta[k] = detach(it.meta[k] as string)
}

function describeEncoding(state: DecodeState): string {
  let s = state.encoding.toUpperCase()
  if (state.bom) s += ' with BOM'
  if (state.fallback) s += `, then windows-1252 from line ${state.fallback.line}`
  return s
}

/** Label counts over the items: "foundation:care", "polarity:vice", "gold:1", "grammatical:0", "split:train", ... */
export function countLabels(items: StimulusItem[]): Record<string, number> {
  const counts: Record<string, number> = {}
  const add = (k: string) => (counts[k] = (counts[k] ?? 0) + 1)
  for (const it of items) {
    if (it.foundation) add(`foundation:${it.foundation}`)
    if (it.polarity) add(`polarity:${it.polarity}`)
    if (it.gold !== undefined) add(`gold:${it.gold}`)
    if (it.values) for (const [k, v] of Object.entries(it.values)) add(`${k}:${v}`)
    if (it.split) add(`split:${it.split}`)
    if (it.consistencyKey && /^[AB]>[AB]$/.test(it.consistencyKey)) add(`key:${it.consistencyKey}`)
    const cat = it.meta?.category
    if (typeof cat === 'string') add(`category:${cat}`)
  }
  return Object.fromEntries(
    Object.keys(counts)
      .sort()
      .map((k) => [k, counts[k]]),
  )
}

/** The CLI's JSON summary: {"format", "kept", "labels": {...}, "dropped": [{"line", "reason"}]}. */
export function summarizeImport(result: ImportResult): ImportSummary {
  return {
    format: result.format,
    kept: result.kept,
    labels: { ...result.labels },
    dropped: result.dropped.map(({ line, reason }) => ({ line, reason })),
  }
}

/** Byte chunks of an in-memory buffer (tests, CLI, pasted text). */
export async function* chunksOf(bytes: Uint8Array, chunkSize = 1 << 16): AsyncGenerator<Uint8Array> {
  if (!(chunkSize >= 1)) throw new Error(`chunkSize must be at least 1, got ${chunkSize}`)
  for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, Math.min(bytes.length, i + chunkSize))
}

/** Chunks of a ReadableStream (File.stream(), a fetch body), also where streams are not async-iterable (Safari). */
export async function* readableStreamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      if (value) yield value
    }
  } finally {
    reader.releaseLock()
  }
}
