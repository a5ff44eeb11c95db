import { describe, expect, it } from 'vitest'
import { mappingKey, suggestMapping } from '../../../src/core/importers/formats/generic.ts'
import type { ColumnMapping } from '../../../src/core/importers/types.ts'
import { errorOf, fixture, importAnyChunking, item, runImport, utf8 } from './helpers.ts'

describe('suggestMapping and mappingKey', () => {
  it('guesses common column names, case- and punctuation-insensitively, each column once', () => {
    expect(suggestMapping(['Sentence', 'MFT', 'Polarity', 'typicality', 'label', 'Split', 'other'])).toEqual({
      text: 'Sentence',
      foundation: 'MFT',
      polarity: 'Polarity',
      typicality: 'typicality',
      gold: 'label',
      split: 'Split',
    })
    expect(suggestMapping(['claim', 'label', 'consistency_id', 'consistency_key'])).toEqual({
      text: 'claim',
      gold: 'label',
      group: 'consistency_id',
      key: 'consistency_key',
    })
    expect(suggestMapping(['a', 'b']).text).toBe('')
  })

  it('keys a header signature stably, ignoring case and surrounding spaces', () => {
    const k = mappingKey(['Text', 'Label'])
    expect(k).toMatch(/^columns:[0-9a-f]{16}$/)
    expect(mappingKey([' text ', 'LABEL'])).toBe(k)
    expect(mappingKey(['label', 'text'])).not.toBe(k)
  })

  it('has a mapping type that survives JSON', () => {
    const m: ColumnMapping = { text: 'Sentence', gold: 'label', meta: ['source'] }
    expect(JSON.parse(JSON.stringify(m))).toEqual(m)
  })
})

describe('generic importer', () => {
  it('imports a CSV with the suggested mapping', async () => {
    const r = await importAnyChunking(fixture('generic.csv'), 'mine.csv', { format: 'generic' })
    expect(r.kept).toBe(4)
    expect(item(r, 2)).toMatchObject({
      text: 'Helping an old man cross the road',
      foundation: 'care',
      polarity: 'virtue',
      typicality: 0.9,
      typicalitySource: 'human',
      gold: 1,
      split: 'train',
    })
    expect(item(r, 4)).toMatchObject({
      text: 'Betraying your team, for money',
      foundation: 'loyalty',
      polarity: 'vice',
    })
    expect(item(r, 5).foundation).toBeUndefined()
    expect(r.notices.some((n) => n.includes('guessed column mapping'))).toBe(true)
  })

  it('applies an explicit mapping with values, ratings, price, vectors and meta columns', async () => {
    const csv =
      'id,s,mv,g,e,r,p,vec,grp,k,note\n' + 'a1,The cheap rotten apple,0,1,0,2.5,0.5,"[0,1,0,0,0,0,0,0,0,0]",G1,A,hi\n'
    const mapping: ColumnMapping = {
      text: 's',
      moral: 'mv',
      grammatical: 'g',
      economic: 'e',
      moralRating: 'r',
      price: 'p',
      moralVector: 'vec',
      group: 'grp',
      key: 'k',
      meta: ['id', 'note'],
    }
    const r = await importAnyChunking(utf8(csv), 'x.csv', {
      format: 'generic',
      options: { generic: { mapping, kind: 'entanglement' } },
    })
    expect(r.set.items[0]).toEqual({
      id: 'generic:2',
      text: 'The cheap rotten apple',
      values: { moral: 0, grammatical: 1, economic: 0 },
      humanRatings: { moral: 2.5 },
      price: 0.5,
      moralVector: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
      consistencyGroup: 'G1',
      consistencyKey: 'A',
      meta: { line: 2, id: 'a1', note: 'hi' },
    })
    expect(r.set.kind).toBe('entanglement')
  })

  it('drops rows with unreadable values, saying what was expected ("typicality must be a number in [0,1], got \'high\'")', async () => {
    const r = await importAnyChunking(fixture('generic-malformed.csv'), 'g.csv', { format: 'generic' })
    expect(r.kept).toBe(1)
    expect(r.dropped).toEqual([
      { line: 3, reason: "typicality must be a number in [0,1], got 'high'" },
      {
        line: 4,
        reason: "polarity must be virtue, vice or neutral (or a number: > 0 virtue, < 0 vice, 0 neutral), got 'meh'",
      },
      { line: 5, reason: 'text must be non-empty text, got an empty value' },
      { line: 6, reason: "typicality must be a number in [0,1], got '1.5'" },
    ])
    expect(r.problems.find((p) => p.line === 3)).toEqual({
      file: 'g.csv',
      line: 3,
      column: 4,
      field: 'typicality',
      expected: 'a number in [0,1]',
      got: "'high'",
      action: 'dropped',
    })
  })

  it('can keep such rows without the bad value instead', async () => {
    const r = await runImport(fixture('generic-malformed.csv'), 'g.csv', undefined, {
      format: 'generic',
      options: { generic: { onInvalid: 'warn' } },
    })
    expect(r.kept).toBe(4)
    expect(item(r, 3)).not.toHaveProperty('typicality')
    expect(item(r, 3).polarity).toBe('vice')
    expect(r.problems.find((p) => p.line === 3)).toMatchObject({
      action: 'kept-with-warning',
      got: "'high' (value left out)",
    })
  })

  it('maps numbered columns in a headerless file, and names a mapped column that is missing', async () => {
    const r = await runImport(utf8('Sharing toys\tvirtue\nHitting\tvice\n'), 'h.tsv', undefined, {
      format: 'generic',
      options: { generic: { hasHeader: false, mapping: { text: '1', polarity: '2' } } },
    })
    expect(r.set.items.map((i) => [i.text, i.polarity])).toEqual([
      ['Sharing toys', 'virtue'],
      ['Hitting', 'vice'],
    ])
    expect(
      await errorOf(
        runImport(fixture('generic.csv'), 'g.csv', undefined, {
          format: 'generic',
          options: { generic: { mapping: { text: 'sentence', gold: 'truth' } } },
        }),
      ),
    ).toBe(
      'g.csv line 1: the mapped column "truth" (for gold) is not in the header; columns: "sentence", "mft", "polarity", "typicality", "label", "split"',
    )
    expect(await errorOf(runImport(utf8('a,b\n1,2\n'), 'n.csv', undefined, { format: 'generic' }))).toBe(
      'n.csv line 1: expected a column mapping (no column looks like the text), got columns "a", "b"',
    )
  })

  it('reads JSON Lines with numbers, lists of foundations and vectors', async () => {
    const r = await importAnyChunking(fixture('generic.jsonl'), 'g.jsonl', {
      format: 'generic',
      options: {
        generic: {
          mapping: {
            text: 'text',
            foundation: 'foundation',
            polarity: 'polarity',
            typicality: 'typicality',
            price: 'price',
            moralVector: 'moral_vector',
          },
        },
      },
    })
    expect(r.set.items[0]).toMatchObject({
      text: 'Sharing your lunch',
      foundation: 'care',
      polarity: 'virtue',
      typicality: 0.6,
      price: 3,
    })
    expect(r.set.items[1]).toMatchObject({
      foundation: 'authority',
      foundations: ['authority', 'fairness'],
      polarity: 'vice',
      moralVector: [0, 0, 0, 0.5, 0, 0, 0, 0.5, 0, 0],
    })
  })
})
