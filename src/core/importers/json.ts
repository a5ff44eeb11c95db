// Streaming JSON records: JSON Lines (one object per line) or a top-level JSON array of objects, decided by the
// first non-blank character. Array elements are cut out by a small scanner and parsed one by one, so memory stays
// bounded and every record knows its line.

export interface JsonRecord {
  /** 1-based line where the record starts. */
  line: number
  value?: Record<string, unknown>
  error?: { expected: string; got: string }
}

const enum Phase {
  Open,
  ValueOrEnd,
  CommaOrEnd,
  InValue,
  Closed,
}

export class JsonRecordParser {
  private mode: 'unknown' | 'lines' | 'array' = 'unknown'
  private carry = ''
  private line = 1
  private scanned = 0
  private firstLineSeen = false
  // Array scanner state.
  private phase = Phase.Open
  private resume = 0
  private depth = 0
  private inString = false
  private escape = false
  private valueLine = 0
  private sawComma = false
  private trailingReported = false

  constructor(private readonly fileName: string) {}

  get kind(): 'unknown' | 'lines' | 'array' {
    return this.mode
  }

  push(text: string, out: JsonRecord[]): void {
    this.run(this.carry.length ? this.carry + text : text, false, out)
  }

  finish(out: JsonRecord[]): void {
    this.run(this.carry, true, out)
    this.carry = ''
    if (this.mode !== 'array') return
    if (this.phase === Phase.InValue) {
      out.push({ line: this.valueLine, error: { expected: 'a complete JSON value', got: 'the end of the file' } })
    }
    if (this.phase !== Phase.Closed && this.phase !== Phase.Open) {
      out.push({ line: this.line, error: { expected: 'the closing ] of the JSON array', got: 'the end of the file' } })
    }
  }

  private run(buf: string, final: boolean, out: JsonRecord[]): void {
    if (this.mode === 'unknown') {
      const m = /\S/.exec(buf)
      if (!m) {
        this.carry = buf
        return
      }
      this.mode = buf[m.index] === '[' ? 'array' : 'lines'
    }
    if (this.mode === 'lines') this.runLines(buf, final, out)
    else this.runArray(buf, final, out)
  }

  private runLines(buf: string, final: boolean, out: JsonRecord[]): void {
    const n = buf.length
    let pos = 0
    let scanned = this.scanned
    while (pos < n) {
      let nl = buf.indexOf('\n', pos + scanned)
      scanned = 0
      if (nl === -1) {
        if (!final) {
          scanned = n - pos
          break
        }
        nl = n
      }
      const text = buf.slice(pos, nl).trim()
      if (text !== '') this.lineRecord(text, out)
      this.line++
      pos = nl + 1
    }
    this.carry = pos < n ? buf.slice(pos) : ''
    this.scanned = scanned
  }

  private lineRecord(text: string, out: JsonRecord[]): void {
    if (!this.firstLineSeen) {
      this.firstLineSeen = true
      if (text === '{') {
        throw new Error(
          `${this.fileName} line ${this.line}: expected JSON Lines (one object per line) or a JSON array of objects, ` +
            'got a pretty-printed JSON object',
        )
      }
    }
    out.push(toRecord(text, this.line, 'a JSON object on each line (JSON Lines)'))
  }

  private runArray(buf: string, final: boolean, out: JsonRecord[]): void {
    const n = buf.length
    let i = this.resume
    let valueStart = this.phase === Phase.InValue ? 0 : -1
    let line = this.line
    for (; i < n; i++) {
      const c = buf.charCodeAt(i)
      if (this.phase === Phase.InValue) {
        if (c === 10) line++
        if (this.inString) {
          if (this.escape) this.escape = false
          else if (c === 92) this.escape = true
          else if (c === 34) {
            this.inString = false
            if (this.depth === 0) this.endValue(buf, valueStart, i + 1, out)
          }
          continue
        }
        if (c === 34) this.inString = true
        else if (c === 123 || c === 91) this.depth++
        else if (c === 125 || c === 93) {
          if (this.depth === 0) {
            // "]" right after a primitive closes the array.
            this.endValue(buf, valueStart, i, out)
            this.phase = Phase.Closed
          } else if (--this.depth === 0) this.endValue(buf, valueStart, i + 1, out)
        } else if (this.depth === 0 && (c === 44 || isSpace(c))) {
          this.endValue(buf, valueStart, i, out)
          if (c === 44) this.phase = Phase.ValueOrEnd
          this.sawComma = c === 44
        }
        continue
      }
      if (c === 10) {
        line++
        continue
      }
      if (isSpace(c)) continue
      switch (this.phase) {
        case Phase.Open:
          if (c !== 91) throw new Error(`${this.fileName} line ${line}: expected [ to open a JSON array`)
          this.phase = Phase.ValueOrEnd
          this.sawComma = false
          break
        case Phase.ValueOrEnd:
          if (c === 93) {
            if (this.sawComma) out.push({ line, error: { expected: 'a value after ","', got: ']' } })
            this.phase = Phase.Closed
          } else if (c === 44) {
            out.push({ line, error: { expected: 'a value', got: '","' } })
          } else {
            this.phase = Phase.InValue
            this.depth = 0
            this.valueLine = line
            valueStart = i
            i-- // re-read the first character inside the value
          }
          break
        case Phase.CommaOrEnd:
          if (c === 44) {
            this.phase = Phase.ValueOrEnd
            this.sawComma = true
          } else if (c === 93) this.phase = Phase.Closed
          else {
            out.push({ line, error: { expected: '"," or "]" between array elements', got: `'${buf[i]}'` } })
            this.phase = Phase.InValue
            this.depth = 0
            this.valueLine = line
            valueStart = i
            i--
          }
          break
        case Phase.Closed:
          if (!this.trailingReported) {
            this.trailingReported = true
            out.push({ line, error: { expected: 'nothing after the closing ] of the JSON array', got: `'${buf[i]}'` } })
          }
          break
      }
    }
    if (this.phase === Phase.InValue && final && valueStart >= 0) {
      // A bare primitive that runs to the end of the file.
      if (this.depth === 0 && !this.inString) this.endValue(buf, valueStart, n, out)
    }
    this.line = line
    if (this.phase === Phase.InValue && valueStart >= 0) {
      this.carry = buf.slice(valueStart)
      this.resume = n - valueStart
    } else {
      this.carry = ''
      this.resume = 0
    }
  }

  private endValue(buf: string, start: number, end: number, out: JsonRecord[]): void {
    out.push(toRecord(buf.slice(start, end), this.valueLine, 'a JSON object as each array element'))
    if (this.phase === Phase.InValue) this.phase = Phase.CommaOrEnd
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13
}

function toRecord(text: string, line: number, expected: string): JsonRecord {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    return { line, error: { expected, got: `invalid JSON (${(e as Error).message}): ${truncate(text, 60)}` } }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { line, error: { expected, got: describeJson(value) } }
  }
  return { line, value: value as Record<string, unknown> }
}

function describeJson(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return `the string ${truncate(JSON.stringify(v), 40)}`
  return `${typeof v === 'number' ? 'the number' : 'the value'} ${String(v)}`
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…'
}

export async function* parseJsonRecords(pieces: AsyncIterable<string>, fileName: string): AsyncGenerator<JsonRecord[]> {
  const parser = new JsonRecordParser(fileName)
  for await (const piece of pieces) {
    const out: JsonRecord[] = []
    parser.push(piece, out)
    if (out.length) yield out
  }
  const out: JsonRecord[] = []
  parser.finish(out)
  if (out.length) yield out
}

export function parseJsonText(text: string, fileName: string): JsonRecord[] {
  const parser = new JsonRecordParser(fileName)
  const out: JsonRecord[] = []
  parser.push(text, out)
  parser.finish(out)
  return out
}
