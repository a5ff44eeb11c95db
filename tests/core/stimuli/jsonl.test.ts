import { describe, expect, it } from 'vitest'
import {
  StimulusJsonlReader,
  parseStimulusJsonl,
  parseStimulusJsonlStrict,
  readStimulusJsonl,
  readStimulusJsonlAsync,
  splitLines,
  stimulusSetJsonlLines,
  stimulusSetToJsonl,
} from '../../../src/core/stimuli/jsonl.ts'
import { stimulusSetHash } from '../../../src/core/stimuli/hash.ts'
import { BUILTIN_SETS } from '../../../src/core/stimuli/builtin/index.ts'
import type { StimulusSet } from '../../../src/core/stimuli/types.ts'

const small: StimulusSet = {
  id: 'test:small',
  name: 'Small',
  source: 'tests',
  licence: 'none',
  kind: 'typicality',
  description: 'two items',
  prompts: { action: 'Action: {text}.' },
  items: [
    {
      id: 'a',
      text: 'rescuing a drowning child',
      foundation: 'care',
      foundations: ['care'],
      polarity: 'virtue',
      typicality: 0.95,
      typicalitySource: 'authored',
      moralVector: [0.95, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    },
    { id: 'b', text: 'a line with "quotes", a tab\tand unicode: naïve ☃', polarity: 'neutral' },
  ],
}

describe('JSONL export', () => {
  it('writes a header line with the marker first, then one item per line', () => {
    const text = stimulusSetToJsonl(small)
    const lines = text.split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[3]).toBe('')
    const header = JSON.parse(lines[0])
    expect(Object.keys(header)[0]).toBe('moral_lens_stimuli')
    expect(header).toEqual({
      moral_lens_stimuli: 1,
      id: 'test:small',
      name: 'Small',
      source: 'tests',
      licence: 'none',
      kind: 'typicality',
      description: 'two items',
      prompts: { action: 'Action: {text}.' },
      count: 2,
      hash: stimulusSetHash(small),
    })
    expect(JSON.parse(lines[2])).toEqual(small.items[1])
    expect([...stimulusSetJsonlLines(small)]).toEqual(lines.slice(0, 3))
  })
})

describe('JSONL round trip', () => {
  it.each(BUILTIN_SETS.map((s) => [s.id, s] as const))('%s reads back identical, with the same hash', (_id, set) => {
    const text = stimulusSetToJsonl(set)
    const { set: back, problems } = parseStimulusJsonl(text, 'x.jsonl')
    expect(problems).toEqual([])
    expect(back).toEqual(set)
    expect(stimulusSetHash(back!)).toBe(stimulusSetHash(set))
    expect(stimulusSetToJsonl(back!)).toBe(text)
  })

  it('reads CRLF and CR-only line endings, a BOM and blank lines', () => {
    const lf = stimulusSetToJsonl(small)
    for (const text of ['\ufeff' + lf, lf.replace(/\n/g, '\r\n'), lf.replace(/\n/g, '\r'), lf.replace(/\n/g, '\n\n')]) {
      const { set, problems } = parseStimulusJsonl(text)
      expect(problems).toEqual([])
      expect(set).toEqual(small)
    }
  })

  it('works line by line through the incremental reader and the async reader', async () => {
    const reader = new StimulusJsonlReader('r.jsonl')
    for (const l of stimulusSetJsonlLines(small)) reader.push(l)
    expect(reader.finish().set).toEqual(small)

    async function* gen() {
      for (const l of stimulusSetJsonlLines(BUILTIN_SETS[1])) yield l
    }
    const progress: number[] = []
    const res = await readStimulusJsonlAsync(gen(), 'a.jsonl', {
      yieldEvery: 100,
      onProgress: (p) => progress.push(p.lines),
    })
    expect(res.set).toEqual(BUILTIN_SETS[1])
    expect(progress.at(-1)).toBe(BUILTIN_SETS[1].items.length + 1)
    expect(progress.length).toBeGreaterThan(2)
  })

  it('stops when aborted', async () => {
    const ctl = new AbortController()
    ctl.abort()
    await expect(readStimulusJsonlAsync(stimulusSetJsonlLines(small), 'a', { signal: ctl.signal })).rejects.toThrow()
  })
})

describe('JSONL errors', () => {
  const lines = () => [...stimulusSetJsonlLines(small)]

  it('reports bad lines by line number and keeps the good ones', () => {
    const ls = lines()
    ls.splice(2, 0, '{"id": "c", "text": "x", "typicality": 7}', '{not json', '[1, 2]', '{"id": "a", "text": "dup"}')
    const { set, problems } = readStimulusJsonl(ls, 'bad.jsonl')
    expect(set?.items.map((i) => i.id)).toEqual(['a', 'b'])
    expect(problems.map((p) => [p.row, p.field, p.severity])).toEqual([
      [3, 'typicality', 'error'],
      [4, undefined, 'error'],
      [5, undefined, 'error'],
      [6, 'id', 'error'],
    ])
    expect(problems[0]).toMatchObject({ file: 'bad.jsonl', expected: 'a number in [0, 1]', got: '7' })
    expect(problems[1].expected).toMatch(/^a JSON object on one line/)
    expect(problems[1].got).toBe('"{not json"')
    expect(problems[3].expected).toBe('a unique id (already used in row 2)')
  })

  it('requires the header on the first line', () => {
    const ls = lines().slice(1)
    const { set, problems } = readStimulusJsonl(ls, 'h.jsonl')
    expect(set).toBeUndefined()
    expect(problems[0]).toMatchObject({ row: 1, file: 'h.jsonl' })
    expect(problems[0].expected).toContain('"moral_lens_stimuli": 1')
  })

  it('rejects another format version and a bad header field', () => {
    const v2 = lines()
    v2[0] = v2[0].replace('"moral_lens_stimuli":1', '"moral_lens_stimuli":2')
    expect(readStimulusJsonl(v2).problems[0]).toMatchObject({ row: 1, field: 'moral_lens_stimuli', got: '2' })
    const kind = lines()
    kind[0] = kind[0].replace('"kind":"typicality"', '"kind":"essay"')
    const r = readStimulusJsonl(kind)
    expect(r.set).toBeUndefined()
    expect(r.problems[0]).toMatchObject({ row: 1, field: 'kind' })
  })

  it('reports an empty file and a header without items', () => {
    expect(parseStimulusJsonl('', 'e.jsonl').problems).toEqual([
      {
        file: 'e.jsonl',
        row: 1,
        expected: 'a header line and at least one item',
        got: 'an empty file',
        severity: 'error',
      },
    ])
    const onlyHeader = readStimulusJsonl(lines().slice(0, 1))
    expect(onlyHeader.set).toBeUndefined()
    expect(onlyHeader.problems[0]).toMatchObject({ field: 'items', got: 'no items' })
  })

  it('warns when the declared count or hash does not match the items', () => {
    const truncated = lines().slice(0, 2)
    const t = readStimulusJsonl(truncated)
    expect(t.set?.items).toHaveLength(1)
    expect(t.problems).toEqual([expect.objectContaining({ field: 'count', severity: 'warning', got: '2' })])
    const edited = lines()
    edited[1] = edited[1].replace('0.95', '0.9').replace('[0.95', '[0.9')
    const e = readStimulusJsonl(edited)
    expect(e.problems).toEqual([expect.objectContaining({ field: 'hash', severity: 'warning' })])
  })

  it('strict parsing throws one message with the line numbers', () => {
    const ls = lines()
    ls.push('{"id": "q", "text": "", "gold": 3}')
    expect(() => parseStimulusJsonlStrict(ls.join('\n'), 'strict.jsonl')).toThrow(
      /strict\.jsonl: 2 errors\n {2}- strict\.jsonl, row 4, field "text": expected a non-empty string, got ""\n {2}- strict\.jsonl, row 4, field "gold"/,
    )
  })
})

describe('splitLines', () => {
  it('splits on every line ending and drops only a final terminator', () => {
    expect(splitLines('a\r\nb\rc\nd\n')).toEqual(['a', 'b', 'c', 'd'])
    expect(splitLines('a\n\nb')).toEqual(['a', '', 'b'])
    expect(splitLines('')).toEqual([])
  })
})
