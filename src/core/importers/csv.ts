// RFC 4180 delimited-text parser that streams across arbitrary piece boundaries. Input text must already have
// "\n" line endings (see text.ts). Lines without a quote character take a fast path (indexOf + split).

export interface RecordProblem {
  /** 1-based field number where the problem is. */
  column: number
  expected: string
  got: string
}

export interface DelimitedRecord {
  fields: string[]
  /** 1-based line where the record starts. */
  line: number
  problem?: RecordProblem
}

export interface DelimitedOptions {
  delimiter: string
  /** Quote character, or null to read quotes literally (as in CoLA's TSV). Default '"'. */
  quote?: string | null
  /** A quoted record longer than this is treated as an unterminated quote. Default 1 MiB. */
  maxRecordChars?: number
}

const NL = 10

export class DelimitedParser {
  private readonly delim: string
  private readonly d: number
  private readonly q: number
  private readonly quote: string
  private readonly maxRecord: number
  private carry = ''
  /** Leading characters of `carry` already known to hold no newline (fast path only). */
  private scanned = 0
  private line = 1

  constructor(options: DelimitedOptions) {
    if (options.delimiter.length !== 1) throw new Error(`delimiter must be one character, got '${options.delimiter}'`)
    this.delim = options.delimiter
    this.d = options.delimiter.charCodeAt(0)
    const quote = options.quote === undefined ? '"' : options.quote
    this.quote = quote ?? ''
    this.q = quote ? quote.charCodeAt(0) : -1
    if (this.q === this.d) throw new Error('the quote character cannot be the delimiter')
    this.maxRecord = options.maxRecordChars ?? 1 << 20
  }

  /** Parse the complete records in `text` (plus what was carried over) into `out`. */
  push(text: string, out: DelimitedRecord[]): void {
    this.run(this.carry.length ? this.carry + text : text, false, out)
  }

  /** End of input: parse what is left. */
  finish(out: DelimitedRecord[]): void {
    this.run(this.carry, true, out)
    this.carry = ''
  }

  private run(buf: string, final: boolean, out: DelimitedRecord[]): void {
    const n = buf.length
    const delim = this.delim
    let pos = 0
    let line = this.line
    let scanned = this.scanned
    let nextQuote = this.q < 0 ? -1 : buf.indexOf(this.quote)
    if (nextQuote === -1) nextQuote = n
    while (pos < n) {
      let nl = buf.indexOf('\n', pos + scanned)
      scanned = 0
      if (nl === -1) {
        if (!final) {
          if (nextQuote >= n) scanned = n - pos
          break
        }
        nl = n
      }
      if (nextQuote < pos && this.q >= 0) {
        nextQuote = buf.indexOf(this.quote, pos)
        if (nextQuote === -1) nextQuote = n
      }
      if (nextQuote >= nl) {
        if (nl > pos) {
          const fields = buf.slice(pos, nl).split(delim)
          if (fields.length > 1 || fields[0].trim() !== '') out.push({ fields, line })
        }
        line++
        pos = nl + 1
        continue
      }
      const r = this.parseQuoted(buf, pos, final)
      if (r === null) {
        const end = buf.indexOf('\n', pos)
        if (n - pos <= this.maxRecord || end === -1) break
        // A quote that never closes: read the record's first line literally and go on from the next one.
        this.literalLine(buf, pos, end, line, out)
        line++
        pos = end + 1
        continue
      }
      if (r === 'unterminated') {
        let end = buf.indexOf('\n', pos)
        if (end === -1) end = n
        this.literalLine(buf, pos, end, line, out)
        line++
        pos = end + 1
        continue
      }
      out.push(r.problem ? { fields: r.fields, line, problem: r.problem } : { fields: r.fields, line })
      line += countNewlinesIn(buf, pos, r.end)
      pos = r.end
    }
    this.carry = pos < n ? buf.slice(pos) : ''
    this.scanned = scanned
    this.line = line
  }

  private literalLine(buf: string, start: number, end: number, line: number, out: DelimitedRecord[]): void {
    const fields = buf.slice(start, end).split(this.delim)
    const text = buf.slice(start, end)
    const col = fieldIndexAt(text, text.indexOf(this.quote), this.d) + 1
    out.push({
      fields,
      line,
      problem: {
        column: col,
        expected: `a closing ${this.quote} for the quoted field opened on line ${line}`,
        got: 'none before the end of the file; the line was read with quotes taken literally',
      },
    })
  }

  /**
   * Parse one record that contains a quote, starting at `start`. Returns null when more input is needed,
   * 'unterminated' when the input ended inside a quoted field.
   */
  private parseQuoted(
    buf: string,
    start: number,
    final: boolean,
  ): { fields: string[]; end: number; problem?: RecordProblem } | null | 'unterminated' {
    const n = buf.length
    const d = this.d
    const q = this.q
    const fields: string[] = []
    let problem: RecordProblem | undefined
    let i = start
    for (;;) {
      if (i < n && buf.charCodeAt(i) === q) {
        let value = ''
        let seg = i + 1
        let j = seg
        for (;;) {
          const k = buf.indexOf(this.quote, j)
          if (k === -1) return final ? 'unterminated' : null
          if (k + 1 >= n && !final) return null
          if (buf.charCodeAt(k + 1) === q) {
            value += buf.slice(seg, k + 1)
            seg = j = k + 2
            continue
          }
          value += buf.slice(seg, k)
          j = k + 1
          break
        }
        if (j >= n) {
          if (!final) return null
          fields.push(value)
          return { fields, end: n, problem }
        }
        let c = buf.charCodeAt(j)
        if (c !== d && c !== NL) {
          // Text after the closing quote: keep it (as Python's csv does) and say so.
          let k = j
          while (k < n && (c = buf.charCodeAt(k)) !== d && c !== NL) k++
          if (k >= n && !final) return null
          problem ??= {
            column: fields.length + 1,
            expected: `a delimiter or the end of the line after the closing quote`,
            got: `'${buf.slice(j, Math.min(k, j + 20))}'`,
          }
          value += buf.slice(j, k)
          j = k
          if (j >= n) {
            fields.push(value)
            return { fields, end: n, problem }
          }
        }
        fields.push(value)
        if (c === NL) return { fields, end: j + 1, problem }
        i = j + 1
        continue
      }
      let k = i
      let c = 0
      while (k < n && (c = buf.charCodeAt(k)) !== d && c !== NL) k++
      if (k >= n) {
        if (!final) return null
        fields.push(buf.slice(i, k))
        return { fields, end: n, problem }
      }
      fields.push(buf.slice(i, k))
      if (c === NL) return { fields, end: k + 1, problem }
      i = k + 1
    }
  }
}

function countNewlinesIn(s: string, from: number, to: number): number {
  let n = 0
  let i = s.indexOf('\n', from)
  while (i !== -1 && i < to) {
    n++
    i = s.indexOf('\n', i + 1)
  }
  return n
}

function fieldIndexAt(text: string, at: number, d: number): number {
  let f = 0
  for (let i = 0; i < at; i++) if (text.charCodeAt(i) === d) f++
  return f
}

/** Records from a stream of text pieces, in batches (one per piece) to keep the async overhead small. */
export async function* parseDelimited(
  pieces: AsyncIterable<string>,
  options: DelimitedOptions,
): AsyncGenerator<DelimitedRecord[]> {
  const parser = new DelimitedParser(options)
  for await (const piece of pieces) {
    const out: DelimitedRecord[] = []
    parser.push(piece, out)
    if (out.length) yield out
  }
  const out: DelimitedRecord[] = []
  parser.finish(out)
  if (out.length) yield out
}

/** All records of a complete text (tests, samples). */
export function parseDelimitedText(text: string, options: DelimitedOptions): DelimitedRecord[] {
  const parser = new DelimitedParser(options)
  const out: DelimitedRecord[] = []
  parser.push(text, out)
  parser.finish(out)
  return out
}

export const DELIMITER_CANDIDATES = ['\t', ',', ';', '|'] as const

export function delimiterName(d: string): string {
  switch (d) {
    case '\t':
      return 'tab'
    case ',':
      return 'comma'
    case ';':
      return 'semicolon'
    case '|':
      return 'pipe'
    default:
      return `'${d}'`
  }
}

/**
 * Guess the delimiter from the first lines: the candidate that splits every record into the same number (> 1) of
 * fields, preferring tab, comma, semicolon, pipe in that order; otherwise the one giving the first record the
 * most fields; with no delimiter at all, the file extension decides (.tsv → tab, else comma).
 */
export function sniffDelimiter(sample: string, fileName = '', complete = false): string {
  let best: string | undefined
  let bestCount = 1
  for (const d of DELIMITER_CANDIDATES) {
    const records = sampleRecords(sample, d, complete)
    if (records.length === 0) continue
    const k = records[0].fields.length
    if (k > 1 && records.every((r) => r.fields.length === k)) return d
    if (k > bestCount) {
      best = d
      bestCount = k
    }
  }
  if (best) return best
  return /\.tsv$/i.test(fileName) ? '\t' : ','
}

/** Up to `max` complete records of a sample (the last, possibly cut, record is dropped unless `complete`). */
export function sampleRecords(sample: string, delimiter: string, complete: boolean, max = 20): DelimitedRecord[] {
  const parser = new DelimitedParser({ delimiter })
  const out: DelimitedRecord[] = []
  parser.push(sample, out)
  if (complete) parser.finish(out)
  return out.slice(0, max)
}
