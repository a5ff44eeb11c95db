import { describe, expect, it } from 'vitest'
import { countLabels, facetOptions, filterItems, sortItems } from '../../../src/core/stimuli/query.ts'
import type { StimulusItem } from '../../../src/core/stimuli/types.ts'
import { VALUE_ENTANGLEMENT_SET } from '../../../src/core/stimuli/builtin/index.ts'

const items: StimulusItem[] = [
  {
    id: 'i1',
    text: 'Rescuing a drowning child',
    foundation: 'care',
    foundations: ['care'],
    polarity: 'virtue',
    typicality: 0.95,
    split: 'train',
    gold: 1,
  },
  {
    id: 'i2',
    text: 'kicking a stray dog',
    foundation: 'care',
    polarity: 'vice',
    typicality: 0.9,
    split: 'test',
    gold: 0,
  },
  {
    id: 'i10',
    text: 'cheating on a test',
    foundation: 'fairness',
    foundations: ['fairness', 'care'],
    polarity: 'vice',
    typicality: 0.4,
    split: 'train',
  },
  { id: 'i3', text: 'folding laundry', polarity: 'neutral' },
  {
    id: 'i4',
    text: 'Maria stole a pencil.',
    values: { moral: 0, grammatical: 1, economic: 0 },
    price: 1,
    meta: { frame: 'f2' },
  },
  {
    id: 'i5',
    text: 'Maria stole a diamond.',
    values: { moral: 0, grammatical: 1, economic: 1 },
    price: 9000,
    meta: { frame: 'f10' },
  },
]
const ids = (xs: StimulusItem[]) => xs.map((x) => x.id)

describe('filterItems', () => {
  it('searches text and id case-insensitively, requiring every term', () => {
    expect(ids(filterItems(items, { search: 'RESCUING' }))).toEqual(['i1'])
    expect(ids(filterItems(items, { search: 'maria diamond' }))).toEqual(['i5'])
    expect(ids(filterItems(items, { search: 'i1' }))).toEqual(['i1', 'i10'])
    expect(ids(filterItems(items, { search: '  ' }))).toEqual(ids(items))
  })

  it('filters by foundation (primary or listed, or none), polarity, split and gold', () => {
    expect(ids(filterItems(items, { foundation: 'care' }))).toEqual(['i1', 'i2', 'i10'])
    expect(ids(filterItems(items, { foundation: 'fairness' }))).toEqual(['i10'])
    expect(ids(filterItems(items, { foundation: 'none' }))).toEqual(['i3', 'i4', 'i5'])
    expect(ids(filterItems(items, { polarity: ['vice', 'neutral'] }))).toEqual(['i2', 'i10', 'i3'])
    expect(ids(filterItems(items, { split: 'train' }))).toEqual(['i1', 'i10'])
    expect(ids(filterItems(items, { gold: 0 }))).toEqual(['i2'])
    expect(ids(filterItems(items, { gold: 'none', polarity: 'vice' }))).toEqual(['i10'])
  })

  it('filters by value levels and typicality range', () => {
    expect(ids(filterItems(items, { values: { economic: 1 } }))).toEqual(['i5'])
    expect(ids(filterItems(items, { values: { moral: 0, grammatical: 1 } }))).toEqual(['i4', 'i5'])
    expect(ids(filterItems(items, { typicality: { min: 0.5 } }))).toEqual(['i1', 'i2'])
    expect(ids(filterItems(items, { typicality: { max: 0.9 } }))).toEqual(['i2', 'i10'])
  })

  it('selects one cell of the factorial set: 1/8 of the items', () => {
    const cell = filterItems(VALUE_ENTANGLEMENT_SET.items, { values: { moral: 1, grammatical: 0, economic: 1 } })
    expect(cell.length * 8).toBe(VALUE_ENTANGLEMENT_SET.items.length)
  })
})

describe('sortItems', () => {
  it('sorts numbers and strings in either direction, missing values last', () => {
    expect(ids(sortItems(items, 'typicality'))).toEqual(['i10', 'i2', 'i1', 'i3', 'i4', 'i5'])
    expect(ids(sortItems(items, 'typicality', 'desc'))).toEqual(['i1', 'i2', 'i10', 'i3', 'i4', 'i5'])
    expect(ids(sortItems(items, 'price', 'desc'))).toEqual(['i5', 'i4', 'i1', 'i2', 'i10', 'i3'])
    expect(ids(sortItems(items, 'id'))).toEqual(['i1', 'i2', 'i3', 'i4', 'i5', 'i10'])
    expect(ids(sortItems(items, 'text')).slice(0, 2)).toEqual(['i10', 'i3'])
  })

  it('sorts by nested fields, text length and original index, stably', () => {
    expect(ids(sortItems(items, 'meta.frame'))).toEqual(['i4', 'i5', 'i1', 'i2', 'i10', 'i3'])
    expect(ids(sortItems(items, 'values.economic', 'desc'))).toEqual(['i5', 'i4', 'i1', 'i2', 'i10', 'i3'])
    expect(ids(sortItems(items, 'textLength'))[0]).toBe('i3')
    expect(ids(sortItems(items, 'index', 'desc'))).toEqual(ids(items).reverse())
    expect(ids(sortItems(items, 'polarity'))).toEqual(['i3', 'i2', 'i10', 'i1', 'i4', 'i5'])
  })

  it('does not mutate its input', () => {
    const before = ids(items)
    sortItems(items, 'typicality', 'desc')
    expect(ids(items)).toEqual(before)
  })
})

describe('countLabels', () => {
  it('counts cells, values, gold and splits', () => {
    const c = countLabels(items)
    expect(c.total).toBe(6)
    expect(c.cells).toEqual({ care: { virtue: 1, vice: 1 }, fairness: { vice: 1 }, none: { neutral: 1, none: 2 } })
    expect(c.foundation).toEqual({ care: 2, fairness: 1, none: 3 })
    expect(c.polarity).toEqual({ virtue: 1, vice: 2, neutral: 1, none: 2 })
    expect(c.valueLevels).toEqual({ moral: { 0: 2 }, grammatical: { 1: 2 }, economic: { 0: 1, 1: 1 } })
    expect(c.valueCells).toEqual({ 'moral=0,grammatical=1,economic=0': 1, 'moral=0,grammatical=1,economic=1': 1 })
    expect(c.gold).toEqual({ 1: 1, 0: 1, none: 4 })
    expect(c.split).toEqual({ train: 2, test: 1, none: 3 })
    expect(c.withTypicality).toBe(3)
    expect(c.withMoralVector).toBe(0)
  })

  it('sums every table to the total', () => {
    const c = countLabels(VALUE_ENTANGLEMENT_SET.items)
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0)
    expect(sum(c.valueCells)).toBe(c.total)
    expect(Object.keys(c.valueCells)).toHaveLength(8)
    expect(sum(c.gold)).toBe(c.total)
    expect(sum(c.polarity)).toBe(c.total)
  })
})

describe('facetOptions', () => {
  it('lists the labels present', () => {
    expect(facetOptions(items)).toEqual({
      foundation: ['care', 'fairness', 'none'],
      polarity: ['neutral', 'none', 'vice', 'virtue'],
      split: ['none', 'test', 'train'],
      values: { moral: [0], grammatical: [1], economic: [0, 1] },
    })
  })
})
