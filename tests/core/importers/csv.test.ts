import { describe, expect, it } from 'vitest'
import {
  DelimitedParser,
  parseDelimitedText,
  sniffDelimiter,
  type DelimitedOptions,
  type DelimitedRecord,
} from '../../../src/core/importers/csv.ts'
import { Rng } from '../../../src/core/random.ts'

/** Parse `text` pushed in pieces cut at the given positions. */
function parsePieces(text: string, cuts: number[], options: DelimitedOptions): DelimitedRecord[] {
  const p = new DelimitedParser(options)
  const out: DelimitedRecord[] = []
  let prev = 0
  for (const c of [...cuts, text.length]) {
    p.push(text.slice(prev, c), out)
    prev = c
  }
  p.finish(out)
  return out
}

/** Same records whether the text comes whole, char by char, or cut at any single position. */
function parseEveryWay(text: string, options: DelimitedOptions = { delimiter: ',' }): DelimitedRecord[] {
  const ref = parseDelimitedText(text, options)
  expect(
    parsePieces(
      text,
      Array.from({ length: text.length }, (_, i) => i),
      options,
    ),
  ).toEqual(ref)
  for (let c = 0; c <= text.length; c++) expect(parsePieces(text, [c], options), `cut at ${c}`).toEqual(ref)
  return ref
}

const fields = (rs: DelimitedRecord[]) => rs.map((r) => r.fields)

describe('DelimitedParser (RFC 4180)', () => {
  it('reads quoted fields with delimiters, doubled quotes and newlines, and tracks start lines', () => {
    const text = 'a,b,c\n1,"x,y",3\n"he said ""hi""",,"multi\nline\nfield"\nlast,row,here'
    const rs = parseEveryWay(text)
    expect(fields(rs)).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x,y', '3'],
      ['he said "hi"', '', 'multi\nline\nfield'],
      ['last', 'row', 'here'],
    ])
    expect(rs.map((r) => r.line)).toEqual([1, 2, 3, 6])
    expect(rs.every((r) => !r.problem)).toBe(true)
  })

  it('skips blank lines (counting them), keeps empty fields and a trailing delimiter', () => {
    const rs = parseEveryWay('a,b\n\n  \n1,\n,2\n"",""\n')
    expect(fields(rs)).toEqual([
      ['a', 'b'],
      ['1', ''],
      ['', '2'],
      ['', ''],
    ])
    expect(rs.map((r) => r.line)).toEqual([1, 4, 5, 6])
  })

  it('reads tabs, and treats quotes inside unquoted fields literally', () => {
    const rs = parseEveryWay('a\tsay "hi"\tb\n"q\tx"\t2\t3\n', { delimiter: '\t' })
    expect(fields(rs)).toEqual([
      ['a', 'say "hi"', 'b'],
      ['q\tx', '2', '3'],
    ])
  })

  it('takes quotes literally when quote is null (CoLA)', () => {
    const rs = parseEveryWay('s\t1\t\t"Hello," she said.\n', { delimiter: '\t', quote: null })
    expect(fields(rs)).toEqual([['s', '1', '', '"Hello," she said.']])
  })

  it('keeps text after a closing quote (as Python csv does) and reports it', () => {
    const rs = parseEveryWay('"ab"c,d\nx,y\n')
    expect(fields(rs)).toEqual([
      ['abc', 'd'],
      ['x', 'y'],
    ])
    expect(rs[0].problem).toEqual({
      column: 1,
      expected: 'a delimiter or the end of the line after the closing quote',
      got: "'c'",
    })
  })

  it('recovers from an unterminated quote: that line is read literally, the rest parses normally', () => {
    const rs = parseEveryWay('a,b\n1,"open\n2,3\n')
    expect(fields(rs)).toEqual([
      ['a', 'b'],
      ['1', '"open'],
      ['2', '3'],
    ])
    expect(rs[1].line).toBe(2)
    expect(rs[1].problem).toMatchObject({ column: 2, expected: 'a closing " for the quoted field opened on line 2' })
    expect(rs[2].line).toBe(3)
  })

  it('gives up on a quoted record longer than maxRecordChars while streaming, so memory stays bounded', () => {
    const body = Array.from({ length: 50 }, (_, i) => `${i},x`).join('\n')
    const text = `h,v\n1,"never closed\n${body}\n`
    const opts = { delimiter: ',', maxRecordChars: 64 }
    const rs = parsePieces(
      text,
      Array.from({ length: Math.ceil(text.length / 16) }, (_, i) => i * 16),
      opts,
    )
    expect(rs[1]).toMatchObject({ fields: ['1', '"never closed'], line: 2 })
    expect(rs.length).toBe(52)
    expect(rs.at(-1)).toEqual({ fields: ['49', 'x'], line: 52 })
  })

  it('round-trips random records written RFC-style, whatever the chunking (serializer as a second implementation)', () => {
    const rng = new Rng(11)
    const alphabet = ['a', 'b', ' ', ',', '"', '\n', '\t', 'é', '😀', ';']
    for (let trial = 0; trial < 60; trial++) {
      const records: string[][] = []
      const width = 1 + rng.int(4)
      for (let r = 0; r < 1 + rng.int(6); r++) {
        records.push(
          Array.from({ length: width }, () =>
            Array.from({ length: rng.int(6) }, () => alphabet[rng.int(alphabet.length)]).join(''),
          ),
        )
      }
      // Quote every field that needs it; a record of one empty field must be quoted or it reads as a blank line.
      const text =
        records
          .map((r) =>
            r
              .map((f) => (/[",\n]/.test(f) || f.trim() === '' || f !== f.trim() ? `"${f.replace(/"/g, '""')}"` : f))
              .join(','),
          )
          .join('\n') + (rng.next() < 0.5 ? '\n' : '')
      const cuts: number[] = []
      for (let i = 1; i < text.length; i++) if (rng.next() < 0.3) cuts.push(i)
      const rs = parsePieces(text, cuts, { delimiter: ',' })
      expect(fields(rs)).toEqual(records)
    }
  })
})

describe('sniffDelimiter', () => {
  it('finds tab, comma, semicolon and pipe from consistent field counts', () => {
    expect(sniffDelimiter('a\tb, c\n1\t2, 3\n')).toBe('\t')
    expect(sniffDelimiter('a,b,c\n1,"x;y",3\n')).toBe(',')
    expect(sniffDelimiter('a;b;c\n1;2,5;3\n')).toBe(';')
    expect(sniffDelimiter('a|b\n1|2\n')).toBe('|')
  })

  it('counts fields per record, so quoted newlines and delimiters do not mislead it', () => {
    expect(sniffDelimiter('label,input\n1,"a\tb\nc\td"\n0,"e\tf"\n')).toBe(',')
  })

  it('falls back to the most fields in the header, then to the file extension', () => {
    expect(sniffDelimiter('a,b,c\n1,2\n')).toBe(',')
    expect(sniffDelimiter('one column\nsecond\n', 'x.tsv')).toBe('\t')
    expect(sniffDelimiter('one column\nsecond\n', 'x.csv')).toBe(',')
  })
})
