// One entry point for any stimulus file the user brings: the lab's own JSONL export, or a
// dataset format the importers understand. Used by the import worker and the CLI alike.
import { importStimuli } from './import.ts'
import type { ImportRequest, ImportResult } from './types.ts'
import { readStimulusJsonlAsync, STIMULI_JSONL_MARKER } from '../stimuli/jsonl.ts'
import { analyseSample } from './format.ts'
import { detectFormat } from './detect.ts'
import { sampleHeaders, suggestMapping, mappingKey } from './formats/generic.ts'
import type { ColumnMapping, FormatDetection } from './types.ts'
import { countLabels } from './import.ts'

/** Reads the first bytes of a stream without losing them. */
export async function peekChunks(
  chunks: AsyncIterable<Uint8Array>,
  minBytes: number,
): Promise<{ head: Uint8Array; rest: AsyncIterable<Uint8Array> }> {
  const it = chunks[Symbol.asyncIterator]()
  const seen: Uint8Array[] = []
  let n = 0
  let done = false
  while (n < minBytes) {
    const r = await it.next()
    if (r.done) {
      done = true
      break
    }
    seen.push(r.value)
    n += r.value.length
  }
  const head = new Uint8Array(n)
  let o = 0
  for (const c of seen) {
    head.set(c, o)
    o += c.length
  }
  async function* rest() {
    for (const c of seen) yield c
    if (done) return
    for (;;) {
      const r = await it.next()
      if (r.done) return
      yield r.value
    }
  }
  return { head, rest: rest() }
}

async function* lines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const dec = new TextDecoder('utf-8')
  let buf = ''
  for await (const c of chunks) {
    buf += dec.decode(c, { stream: true })
    const parts = buf.split(/\r\n|\n|\r/)
    buf = parts.pop() ?? ''
    for (const p of parts) yield p
  }
  buf += dec.decode()
  if (buf) yield buf
}

function isLabJsonl(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head.subarray(0, 4096)).replace(/^\uFEFF/, '')
  return text.trimStart().startsWith('{') && text.slice(0, text.indexOf('\n') > 0 ? text.indexOf('\n') : undefined).includes(`"${STIMULI_JSONL_MARKER}"`)
}

/** Imports any supported file; the lab's own JSONL export is recognised by its header line. */
export async function openStimulusFile(chunks: AsyncIterable<Uint8Array>, req: ImportRequest): Promise<ImportResult> {
  const { head, rest } = await peekChunks(chunks, 4096)
  if (!isLabJsonl(head) || (req.format && req.format !== 'auto')) return importStimuli(rest, req)
  let bytes = 0
  async function* counted() {
    for await (const c of rest) {
      bytes += c.length
      req.onProgress?.(bytes)
      yield c
    }
  }
  const res = await readStimulusJsonlAsync(lines(counted()), req.fileName, { signal: req.signal })
  const errors = res.problems.filter((p) => p.severity === 'error')
  if (!res.set) throw new Error(`${req.fileName}: ${errors[0] ? `line ${errors[0].row}: ${errors[0].field ?? ''} expected ${errors[0].expected}` : 'no valid items'}`)
  return {
    set: res.set,
    format: 'generic',
    kept: res.set.items.length,
    dropped: errors.map((p) => ({ line: p.row ?? 0, reason: `${p.field ? p.field + ': ' : ''}expected ${p.expected}${p.got ? `, got ${p.got}` : ''}` })),
    droppedTotal: errors.length,
    dropCounts: {},
    problems: [],
    problemsTotal: res.problems.length,
    labels: countLabels(res.set.items),
    notices: [`${req.fileName}: a Moral Lens stimulus set export (JSONL)`],
    encoding: 'utf-8',
    bytesRead: bytes,
    rowsRead: res.lines,
  }
}

export interface FileInspection {
  detection?: FormatDetection
  detectionError?: string
  headers: string[]
  suggested: ColumnMapping
  mappingKey: string
  labJsonl: boolean
}

/** What the column-mapping dialog needs: headers, the suggested mapping and the detected format. */
export function inspectSample(head: Uint8Array, fileName: string, complete: boolean): FileInspection {
  if (isLabJsonl(head)) return { headers: [], suggested: { text: 'text' }, mappingKey: '', labJsonl: true }
  const text = new TextDecoder().decode(head).replace(/^\uFEFF/, '')
  if (text.trim() === '')
    return { headers: [], suggested: { text: '' }, mappingKey: '', labJsonl: false, detectionError: `file ${fileName} is empty` }
  const sample = analyseSample(text, fileName, complete)
  const headers = sampleHeaders(sample)
  let detection: FormatDetection | undefined
  let detectionError: string | undefined
  try {
    detection = detectFormat(text.split(/\r\n|\n|\r/).slice(0, 50), fileName)
  } catch (e) {
    detectionError = (e as Error).message
  }
  return { detection, detectionError, headers, suggested: suggestMapping(headers), mappingKey: mappingKey(headers), labJsonl: false }
}
