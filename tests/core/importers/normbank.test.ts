import { describe, expect, it } from 'vitest'
import { udhrCategoryFromFileName } from '../../../src/core/importers/formats/normbank.ts'
import { errorOf, fixture, importAnyChunking, runImport, utf8 } from './helpers.ts'

describe('normbank importer', () => {
  it('reads a JSON array of claims: text, gold, consistency group', async () => {
    const r = await importAnyChunking(fixture('normbank.json'), 'train_moral_dataset.json', { format: 'normbank' })
    expect(r.set.items).toEqual([
      {
        id: 'normbank:2',
        text: "it's good to help out your neighbours.",
        gold: 1,
        consistencyGroup: '0',
        meta: { line: 2 },
      },
      {
        id: 'normbank:7',
        text: "it's polite to shout at your housemate.",
        gold: 0,
        consistencyGroup: '1',
        meta: { line: 7 },
      },
      {
        id: 'normbank:12',
        text: "it's kind to thank a bus driver.",
        gold: 1,
        consistencyGroup: '2',
        meta: { line: 12 },
      },
    ])
    expect(r.set.kind).toBe('claims')
  })

  it('reads JSON Lines with consistency keys, boolean labels and splits', async () => {
    const r = await importAnyChunking(fixture('normbank.jsonl'), 'pairs.jsonl', { format: 'normbank' })
    expect(r.set.items.map((i) => [i.gold, i.consistencyGroup, i.consistencyKey, i.split ?? null])).toEqual([
      [1, '10', 'A', null],
      [0, '10', 'B', null],
      [0, '11', 'A', 'test'],
      [1, '11', 'B', 'test'],
    ])
  })

  it('reports bad JSON lines, bad labels and missing claims with their line numbers', async () => {
    const r = await importAnyChunking(fixture('normbank-malformed.jsonl'), 'bad.jsonl', { format: 'normbank' })
    expect(r.set.items.map((i) => i.meta?.line)).toEqual([1, 7])
    expect(r.dropped.map((d) => d.line)).toEqual([2, 4, 5, 6])
    expect(r.dropped[0].reason).toMatch(/^expected a JSON object on each line \(JSON Lines\), got invalid JSON/)
    expect(r.dropped[1].reason).toBe("label must be 0 or 1 (or true/false), got 'maybe'")
    expect(r.dropped[2].reason).toBe('claim must be non-empty text, got nothing')
    expect(r.dropped[3].reason).toBe('expected a JSON object on each line (JSON Lines), got an array')
    expect(r.problems.every((p) => p.file === 'bad.jsonl' && p.action === 'dropped')).toBe(true)
  })

  it('takes the UDHR category from the file name (or a category field); all gold labels 1', async () => {
    const r = await importAnyChunking(fixture('hr_dataset_Religion.json'), 'hr_dataset_Religion.json')
    expect(r.format).toBe('normbank')
    expect(
      r.set.items.every((i) => i.gold === 1 && i.meta?.category === 'Religion' && i.meta?.claimType === 'prescriptive'),
    ).toBe(true)
    expect(r.labels).toEqual({ 'category:Religion': 2, 'gold:1': 2 })
    expect(r.set.description).toMatch(/UDHR-demographics/)
    const jsonl = utf8('{"claim": "x people should have the right to vote", "label": 1, "category": "Politics"}\n')
    const c = await runImport(jsonl, 'claims.jsonl', undefined, { format: 'normbank' })
    expect(c.set.items[0].meta).toEqual({ line: 1, category: 'Politics' })
    expect(udhrCategoryFromFileName('data/current_hr_dataset_Race_Ethnicity.json')).toEqual({
      category: 'Race Ethnicity',
      descriptive: true,
    })
    expect(udhrCategoryFromFileName('hr_dataset_Sexual orientation.json')?.category).toBe('Sexual orientation')
    expect(udhrCategoryFromFileName('train_moral_dataset.json')).toBeUndefined()
  })

  it('also reads a CSV with claim and label columns, and refuses files without them', async () => {
    const r = await runImport(
      utf8('claim,label,consistency_id\n"it\'s fine to nap, sometimes",1,7\n'),
      'c.csv',
      undefined,
      {
        format: 'normbank',
      },
    )
    expect(r.set.items[0]).toMatchObject({ text: "it's fine to nap, sometimes", gold: 1, consistencyGroup: '7' })
    expect(await errorOf(runImport(fixture('mfv.csv'), 'x.json', undefined, { format: 'normbank' }))).toMatch(
      /^x\.json line 1: expected Norm Bank \/ ICM-style claims .*, got 9 comma-separated columns starting "Vignette, Care, Fairness, …"$/,
    )
  })
})
