import { describe, expect, it } from 'vitest'
import { errorOf, fixture, importAnyChunking, item, runImport } from './helpers.ts'

describe('cola importer', () => {
  it('maps label to values.grammatical and keeps quotes in sentences literally', async () => {
    const r = await importAnyChunking(fixture('cola.tsv'), 'in_domain_train.tsv', { format: 'cola' })
    expect(
      r.set.items.map((i) => [i.text, i.values?.grammatical, i.meta?.source, i.meta?.originalLabel ?? null]),
    ).toEqual([
      ['The cat sat on the mat.', 1, 'xx01', null],
      ['The cat sat the on mat.', 0, 'xx01', '*'],
      ['"Hello," she said to the baker.', 1, 'xx02', null],
      ['She said hello the baker to.', 0, 'xx02', '*'],
      ['Which book did you say that Kim read?', 1, 'xx03', null],
    ])
    expect(r.labels).toEqual({ 'grammatical:0': 2, 'grammatical:1': 3 })
    expect(r.set.items[0].gold).toBeUndefined()
  })

  it('reports malformed rows and keeps extra tabs in the sentence with a warning', async () => {
    const r = await importAnyChunking(fixture('cola-malformed.tsv'), 'cola.tsv', { format: 'cola' })
    expect(r.dropped).toEqual([
      { line: 2, reason: "label must be 0 or 1, got 'x'" },
      { line: 3, reason: 'expected 4 tab-separated fields (source, label, original label, sentence), got 3' },
      { line: 4, reason: 'sentence must be a sentence, got an empty value' },
    ])
    expect(item(r, 5).text).toBe('Birds sing\tin the morning.')
    expect(r.problems.find((p) => p.line === 5)).toMatchObject({ action: 'kept-with-warning', column: 5 })
  })

  it('refuses a comma-separated file (wrong delimiter) with what it found', async () => {
    expect(await errorOf(runImport(fixture('ethics-cm.csv'), 'cola.csv', undefined, { format: 'cola' }))).toBe(
      'cola.csv line 1: expected CoLA TSV rows (4 tab-separated columns: source, label 0/1, original label, sentence; no header), ' +
        'got 4 comma-separated columns starting "label, input, is_short, …"',
    )
  })
})
