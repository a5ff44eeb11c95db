import { describe, expect, it } from 'vitest'
import { detectFormat } from '../../../src/core/importers/detect.ts'
import {
  IMPORT_LICENCE,
  chunksOf,
  importStimuli,
  readableStreamChunks,
  summarizeImport,
} from '../../../src/core/importers/import.ts'
import type { FormatId, ImportResult } from '../../../src/core/importers/types.ts'
import { errorsOf, validateStimulusSet } from '../../../src/core/stimuli/validate.ts'
import {
  concat,
  errorOf,
  fixture,
  fixtureText,
  importAnyChunking,
  item,
  runImport,
  utf16,
  utf8,
  withBom,
  withCr,
  withCrlf,
} from './helpers.ts'

/** Every valid and malformed fixture with the format auto-detection must find. */
const FIXTURES: [string, FormatId][] = [
  ['social-chem.tsv', 'social-chem'],
  ['social-chem-malformed.tsv', 'social-chem'],
  ['social-chem-header-as-csv.csv', 'social-chem'],
  ['ethics-cm.csv', 'ethics-cm'],
  ['ethics-cm-malformed.csv', 'ethics-cm'],
  ['ethics-deontology.csv', 'ethics-deontology'],
  ['ethics-justice.csv', 'ethics-justice'],
  ['ethics-virtue.csv', 'ethics-virtue'],
  ['ethics-util.csv', 'ethics-util'],
  ['normbank.json', 'normbank'],
  ['normbank.jsonl', 'normbank'],
  ['normbank-malformed.jsonl', 'normbank'],
  ['hr_dataset_Religion.json', 'normbank'],
  ['mfv.csv', 'mfv'],
  ['mfv-variant.csv', 'mfv'],
  ['cola.tsv', 'cola'],
  ['cola-malformed.tsv', 'cola'],
  ['generic.csv', 'generic'],
  ['generic-malformed.csv', 'generic'],
  ['generic.jsonl', 'generic'],
]

/** What must not change between byte-level variants of the same content. */
const content = (r: ImportResult) => ({
  set: r.set,
  format: r.format,
  dropped: r.dropped,
  problems: r.problems,
  labels: r.labels,
  dropCounts: r.dropCounts,
})

describe('importStimuli on every fixture', () => {
  for (const [name, format] of FIXTURES) {
    it(`${name}: detected as ${format}, same result for any chunking, BOM, CRLF, CR-only and UTF-16`, async () => {
      const bytes = fixture(name)
      const plain = await importAnyChunking(bytes, name)
      expect(plain.format).toBe(format)
      expect(plain.detection?.format).toBe(format)
      expect(plain.encoding).toBe('UTF-8')
      expect(await importAnyChunking(bytes, name, { format })).toEqual({
        ...plain,
        detection: undefined,
        notices: plain.notices.slice(1),
      })

      const bom = await importAnyChunking(withBom(bytes), name)
      expect(content(bom)).toEqual(content(plain))
      expect(bom.encoding).toBe('UTF-8 with BOM')
      expect(content(await importAnyChunking(withCrlf(bytes), name))).toEqual(content(plain))
      expect(content(await importAnyChunking(withCr(bytes), name))).toEqual(content(plain))
      const le = await importAnyChunking(utf16(fixtureText(name), false), name)
      expect(content(le)).toEqual(content(plain))
      expect(le.encoding).toBe('UTF-16LE with BOM')
      expect(content(await runImport(utf16(fixtureText(name), true), name, 3))).toEqual(content(plain))

      // The output is a valid stimulus set for the stimuli module (no errors, no warnings).
      const v = validateStimulusSet(plain.set, name)
      expect(v.problems).toEqual([])
      expect(v.set?.items.length).toBe(plain.kept)
      expect(plain.set.id).toBe(`import:${format}:${name}`)
      expect(plain.set.licence).toBe(IMPORT_LICENCE)
      expect(plain.set.licence).toBe("rows from the user's own file; not redistributed by Moral Lens")
      expect(plain.set.source.endsWith(`: ${name}`)).toBe(true)
      expect(plain.kept + plain.droppedTotal).toBeGreaterThan(0)
      expect(errorsOf(v.problems)).toEqual([])
    })
  }
})

describe('importStimuli file-level handling', () => {
  it('says an empty file is empty (also with only a BOM or whitespace)', async () => {
    expect(await errorOf(runImport(fixture('empty.csv'), 'empty.csv'))).toBe('file empty.csv is empty')
    expect(await errorOf(runImport(fixture('empty.csv'), 'empty.csv', 1, { format: 'ethics-cm' }))).toBe(
      'file empty.csv is empty',
    )
    expect(await errorOf(runImport(withBom(new Uint8Array(0)), 'b.tsv', 1))).toBe(
      'file b.tsv is empty (only a byte-order mark)',
    )
    expect(await errorOf(runImport(utf8(' \r\n\n\t\n'), 'w.csv'))).toBe('file w.csv is empty (only whitespace)')
  })

  it('reports non-UTF-8 bytes with line and offset, reads the file as windows-1252 and tells the user', async () => {
    // "café" and "naïve" written in windows-1252 (0xE9, 0xEF) inside an ETHICS file.
    const bytes = concat(
      utf8('label,input\n0,I baked a cake for the caf'),
      [0xe9],
      utf8(' owner.\n1,I mocked a na'),
      [0xef],
      utf8('ve tourist.\n'),
    )
    const r = await importAnyChunking(bytes, 'cm_test.csv')
    expect(r.format).toBe('ethics-cm')
    expect(r.set.items.map((i) => i.text)).toEqual(['I baked a cake for the café owner.', 'I mocked a naïve tourist.'])
    expect(r.problems).toEqual([
      {
        file: 'cm_test.csv',
        line: 2,
        expected: 'valid UTF-8 text',
        got: 'invalid byte sequence 0xE9 at byte offset 40', // 12 + 2 + 26 bytes before it
        action: 'kept-with-warning',
      },
    ])
    expect(r.encoding).toBe('UTF-8, then windows-1252 from line 2')
    expect(
      r.notices.some((n) => /cm_test\.csv is not valid UTF-8 \(line 2, byte offset 40.*windows-1252/.test(n)),
    ).toBe(true)
  })

  it('reports quoting problems of the CSV layer as warnings on the row', async () => {
    const csv = 'label,input\n0,"ok"tail\n1,fine\n0,"never closed\n1,last\n'
    const r = await importAnyChunking(utf8(csv), 'q.csv', { format: 'ethics-cm' })
    expect(r.set.items.map((i) => i.text)).toEqual(['oktail', 'fine', '"never closed', 'last'])
    expect(r.problems).toEqual([
      {
        file: 'q.csv',
        line: 2,
        column: 2,
        expected: 'a delimiter or the end of the line after the closing quote',
        got: "'tail'",
        action: 'kept-with-warning',
      },
      {
        file: 'q.csv',
        line: 4,
        column: 2,
        expected: 'a closing " for the quoted field opened on line 4',
        got: 'none before the end of the file; the line was read with quotes taken literally',
        action: 'kept-with-warning',
      },
    ])
  })

  it('names the file, the line and what was expected when the requested format does not fit', async () => {
    expect(await errorOf(runImport(fixture('normbank.json'), 'nb.json', undefined, { format: 'ethics-cm' }))).toBe(
      'nb.json line 1: expected the ETHICS commonsense CSV header (label,input), got JSON objects with keys "claim, label, consistency_id"',
    )
    expect(
      await errorOf(runImport(fixture('ethics-deontology.csv'), 'd.csv', undefined, { format: 'social-chem' })),
    ).toMatch(
      /^d\.csv line 1: expected the Social-Chemistry-101 header .*got 4 comma-separated columns starting "group_id, label, scenario, …"$/,
    )
    expect(await errorOf(runImport(fixture('cola.tsv'), 'c.tsv', undefined, { format: 'nope' as FormatId }))).toMatch(
      /^unknown format 'nope'/,
    )
  })

  it('says when no format fits', async () => {
    expect(await errorOf(runImport(utf8('x,y\n1,2\n'), 'odd.csv'))).toBe(
      'odd.csv line 1: could not recognise the format (expected one of social-chem, ethics-cm, ethics-deontology, ethics-justice, ' +
        'ethics-virtue, ethics-util, normbank, mfv, cola, generic), got columns "x", "y"; choose a format, or give a column mapping ' +
        'for the generic importer',
    )
  })

  it('summarizes exactly as the CLI prints it', async () => {
    const r = await runImport(fixture('ethics-cm-malformed.csv'), 'cm.csv')
    const s = summarizeImport(r)
    expect(Object.keys(s)).toEqual(['format', 'kept', 'labels', 'dropped'])
    expect(JSON.parse(JSON.stringify(s))).toEqual({
      format: 'ethics-cm',
      kept: 1,
      labels: { 'gold:1': 1, 'moral:1': 1 },
      dropped: [
        { line: 3, reason: "label must be 0 or 1, got '2'" },
        { line: 4, reason: 'input must be non-empty text, got an empty value' },
        { line: 5, reason: 'expected 4 fields (as in the header), got 3' },
        { line: 6, reason: "label must be 0 or 1, got 'x'" },
      ],
    })
  })

  it('lists at most maxListed drops and problems but counts them all', async () => {
    const r = await runImport(fixture('ethics-cm-malformed.csv'), 'cm.csv', undefined, { options: { maxListed: 2 } })
    expect(r.dropped.length).toBe(2)
    expect(r.problems.length).toBe(2)
    expect(r.droppedTotal).toBe(4)
    expect(r.problemsTotal).toBe(4)
    expect(r.dropCounts).toEqual({
      'label must be 0 or 1': 2,
      'input must be non-empty text': 1,
      'expected 4 fields (as in the header)': 1,
    })
  })

  it('reports progress, yields when asked, and can be cancelled', async () => {
    const bytes = fixture('social-chem.tsv')
    const seen: number[] = []
    const r = await runImport(bytes, 's.tsv', 100, { onProgress: (b) => seen.push(b), options: { yieldEvery: 2 } })
    expect(r.kept).toBe(7)
    expect(r.bytesRead).toBe(bytes.length)
    expect(seen.at(-1)).toBe(bytes.length)
    const ac = new AbortController()
    const cancelled = runImport(bytes, 's.tsv', 100, {
      signal: ac.signal,
      onProgress: (b) => b > 500 && ac.abort(new Error('cancelled by the user')),
    })
    expect(await errorOf(cancelled)).toBe('cancelled by the user')
  })

  it('reads a ReadableStream (File.stream(), a fetch body)', async () => {
    const bytes = fixture('cola.tsv')
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 10) c.enqueue(bytes.slice(i, i + 10))
        c.close()
      },
    })
    const r = await importStimuli(readableStreamChunks(stream), { fileName: 'cola.tsv' })
    expect(r.kept).toBe(5)
  })

  it('counts data rows and notes a header-only file', async () => {
    const r = await runImport(utf8('label,input,is_short,edited\n'), 'h.csv', undefined, { format: 'ethics-cm' })
    expect(r.kept).toBe(0)
    expect(r.rowsRead).toBe(0)
    expect(r.notices).toContain('h.csv has no data rows after the header')
    expect((await runImport(fixture('cola.tsv'), 'c.tsv')).rowsRead).toBe(5)
  })

  it('decides the format from the first 50 lines, whatever the chunking, in a long file', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => `${i % 2},Row number ${i} is a sentence.`)
    const bytes = utf8('label,input\n' + rows.join('\n') + '\n')
    const r = await importAnyChunking(bytes, 'long.csv')
    expect(r.kept).toBe(400)
    expect(item(r, 401).text).toBe('Row number 399 is a sentence.')
  })

  it('passes chunksOf bad sizes as errors', async () => {
    await expect(chunksOf(utf8('x'), 0).next()).rejects.toThrow('chunkSize must be at least 1, got 0')
  })
})

describe('detectFormat', () => {
  it('detects from a header or first lines and the file name', () => {
    expect(detectFormat('label,input,is_short,edited', 'x.csv').format).toBe('ethics-cm')
    expect(detectFormat(['label,scenario', '1,I ate. [SEP] hungry'], 'x.csv').format).toBe('ethics-virtue')
    expect(detectFormat(['label,scenario', '1,I deserve it because I worked.'], 'x.csv').format).toBe('ethics-justice')
    expect(detectFormat(['label,scenario', '1,I worked.'], 'virtue_train.csv').format).toBe('ethics-virtue')
    expect(detectFormat('The sun came out today.,It rained all day.', 'util_test.csv')).toMatchObject({
      format: 'ethics-util',
      confidence: 0.9,
    })
    expect(detectFormat('{"claim": "x", "label": 1}', 'a.jsonl').format).toBe('normbank')
    const d = detectFormat('text,label', 'a.csv')
    expect(d.format).toBe('generic')
    expect(d.candidates).toEqual([{ format: 'generic', confidence: 0.1 }])
    expect(() => detectFormat('p,q', 'z.csv')).toThrow(/^z\.csv line 1: could not recognise the format/)
  })
})
