// Texts for a capture: a plain file with one text per line, JSONL with a "text" field per line
// (a stimulus-set export's header line is skipped), or a JSON array of strings or {"text"} objects.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { CliError } from './io.ts'
import { STIMULI_JSONL_MARKER } from '../core/stimuli/jsonl.ts'

export interface TextsFile {
  texts: string[]
  /** Item ids when the file gave them (JSONL / JSON objects with "id"). */
  ids?: string[]
  format: 'lines' | 'jsonl' | 'json'
}

function textOf(value: unknown, where: string): { text: string; id?: string } {
  if (typeof value === 'string') return { text: value }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>
    if (typeof o.text !== 'string') throw new CliError(`${where}: expected a "text" field holding a string`)
    return { text: o.text, id: o.id === undefined ? undefined : String(o.id) }
  }
  throw new CliError(`${where}: expected a string or an object with a "text" field, got ${Array.isArray(value) ? 'an array' : typeof value}`)
}

export function parseTexts(content: string, file: string): TextsFile {
  const text = content.replace(/^\uFEFF/, '')
  const lower = file.toLowerCase()
  const items: { text: string; id?: string }[] = []
  let format: TextsFile['format']
  if (lower.endsWith('.json')) {
    format = 'json'
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (e) {
      throw new CliError(`${file} is not valid JSON (${(e as Error).message})`)
    }
    const list = Array.isArray(data) ? data : (data as { texts?: unknown; items?: unknown })?.texts ?? (data as { items?: unknown })?.items
    if (!Array.isArray(list)) throw new CliError(`${file}: expected a JSON array of texts (strings or {"text": ...} objects)`)
    list.forEach((v, i) => items.push(textOf(v, `${file}: element ${i}`)))
  } else if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) {
    format = 'jsonl'
    text.split(/\r\n|\r|\n/).forEach((line, i) => {
      if (!line.trim()) return
      let value: unknown
      try {
        value = JSON.parse(line)
      } catch (e) {
        throw new CliError(`${file}: line ${i + 1} is not valid JSON (${(e as Error).message})`)
      }
      if (i === 0 && value && typeof value === 'object' && STIMULI_JSONL_MARKER in value) return
      items.push(textOf(value, `${file}: line ${i + 1}`))
    })
  } else {
    format = 'lines'
    for (const line of text.split(/\r\n|\r|\n/)) if (line.trim()) items.push({ text: line })
  }
  const empty = items.findIndex((it) => !it.text.trim())
  if (empty >= 0) throw new CliError(`${file}: text ${empty + 1} is empty`)
  if (items.length === 0) throw new CliError(`${file} has no texts (expected one text per line, JSONL with a "text" field, or a JSON array)`)
  const ids = items.every((it) => it.id !== undefined) ? items.map((it) => it.id!) : undefined
  return { texts: items.map((it) => it.text), ...(ids ? { ids } : {}), format }
}

export function readTexts(file: string): TextsFile {
  if (!existsSync(file)) throw new CliError(`texts file ${file} does not exist`)
  if (!statSync(file).isFile()) throw new CliError(`texts file ${file} is not a file`)
  return parseTexts(readFileSync(file, 'utf8'), file)
}
