import { describe, expect, it } from 'vitest'
import {
  assertValidStimulusSet,
  formatProblem,
  validateStimulusItem,
  validateStimulusSet,
  type Problem,
} from '../../../src/core/stimuli/validate.ts'
import type { StimulusItem, StimulusSet } from '../../../src/core/stimuli/types.ts'

const good: StimulusItem = {
  id: 'a',
  text: 'kicking a stray dog for fun',
  foundation: 'care',
  foundations: ['care'],
  polarity: 'vice',
  typicality: 0.9,
  typicalitySource: 'authored',
  rationale: 'gratuitous cruelty',
  moralVector: [0, 0.9, 0, 0, 0, 0, 0, 0, 0, 0],
  values: { moral: 0, grammatical: 1, economic: 0 },
  humanRatings: { moral: 1.5 },
  price: 3,
  gold: 0,
  consistencyGroup: 'g1',
  consistencyKey: 'A',
  split: 'train',
  meta: { frame: 'f01', n: 3, ok: true, none: null },
}

function set(items: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'test:set', name: 'Test', source: 'tests', licence: 'none', kind: 'generic', items, ...extra }
}

const errors = (ps: Problem[]) => ps.filter((p) => p.severity === 'error')

describe('validateStimulusSet', () => {
  it('accepts a fully labelled valid set without problems and keeps the item intact', () => {
    const { set: s, problems } = validateStimulusSet(set([good, { id: 'b', text: 'folding laundry' }]), 'x.json')
    expect(problems).toEqual([])
    expect(s?.items).toEqual([good, { id: 'b', text: 'folding laundry' }])
    expect(s?.items[0]).not.toBe(good)
  })

  // [field, bad value, field named in the problem, words the expectation must contain]
  const cases: [string, unknown, string, string][] = [
    ['id', '', 'id', 'non-empty string'],
    ['id', 7, 'id', 'non-empty string'],
    ['text', '   ', 'text', 'non-empty string'],
    ['text', undefined, 'text', 'non-empty string'],
    ['foundation', 'purity', 'foundation', 'care'],
    ['foundations', ['care', 'honesty'], 'foundations[1]', 'one of'],
    ['foundations', [], 'foundations', 'non-empty array'],
    ['polarity', 'good', 'polarity', 'virtue, vice, neutral'],
    ['typicality', 1.2, 'typicality', '[0, 1]'],
    ['typicality', -0.1, 'typicality', '[0, 1]'],
    ['typicality', '0.5', 'typicality', '[0, 1]'],
    ['typicalitySource', 'guess', 'typicalitySource', 'authored'],
    ['moralVector', [0, 1], 'moralVector', '10 non-negative'],
    ['moralVector', [0, 0, 0, -1, 0, 0, 0, 0, 0, 0], 'moralVector[3]', 'non-negative'],
    ['moralVector', [0, 0, 0, 0, 0, 0, 0, 0, 0, 'x'], 'moralVector[9]', 'non-negative'],
    ['values', { moral: '1' }, 'values.moral', 'finite number'],
    ['values', { beauty: 1 }, 'values.beauty', 'moral, grammatical, economic'],
    ['values', [1, 0], 'values', 'object'],
    ['humanRatings', { economic: null }, 'humanRatings.economic', 'finite number'],
    ['price', -5, 'price', 'non-negative number'],
    ['gold', 2, 'gold', '0 or 1'],
    ['gold', true, 'gold', '0 or 1'],
    ['gold', '1', 'gold', '0 or 1'],
    ['split', 3, 'split', 'non-empty string'],
    ['consistencyGroup', '', 'consistencyGroup', 'non-empty string'],
    ['meta', 'x', 'meta', 'object'],
    ['meta', { nested: { a: 1 } }, 'meta.nested', 'string, finite number'],
    ['rationale', 5, 'rationale', 'a string'],
  ]

  it.each(cases)(
    'reports a bad %s (%j) with row, field and expectation, and drops the item',
    (field, value, named, words) => {
      const bad = { ...good, id: 'bad', [field]: value }
      const { set: s, problems } = validateStimulusSet(set([good, bad]), 'file.json')
      const errs = errors(problems)
      expect(errs.length).toBeGreaterThanOrEqual(1)
      const p = errs.find((e) => e.field === named)
      expect(p, JSON.stringify(errs)).toBeDefined()
      expect(p!.row).toBe(2)
      expect(p!.file).toBe('file.json')
      expect(p!.expected).toContain(words)
      expect(p!.got).toBeDefined()
      expect(s?.items.map((i) => i.id)).toEqual(['a'])
    },
  )

  it('drops later duplicates of an id, naming the first row', () => {
    const { set: s, problems } = validateStimulusSet(set([good, { id: 'b', text: 'x' }, { id: 'a', text: 'y' }]))
    expect(s?.items.map((i) => i.text)).toEqual([good.text, 'x'])
    expect(problems).toEqual([
      { row: 3, field: 'id', expected: 'a unique id (already used in row 1)', got: '"a"', severity: 'error' },
    ])
  })

  it('reports a non-object item', () => {
    const { problems } = validateStimulusSet(set([good, 'oops', null]))
    expect(errors(problems).map((p) => p.row)).toEqual([2, 3])
  })

  it('returns no set when nothing valid remains, or when a set-level field is wrong', () => {
    const none = validateStimulusSet(set([{ id: 'x' }]))
    expect(none.set).toBeUndefined()
    expect(none.problems.map((p) => p.field)).toEqual(['text', 'items'])

    const empty = validateStimulusSet(set([]))
    expect(empty.set).toBeUndefined()
    expect(empty.problems[0]).toMatchObject({ field: 'items', expected: 'at least one valid item', got: 'no items' })

    const kind = validateStimulusSet(set([good], { kind: 'poems' }))
    expect(kind.set).toBeUndefined()
    expect(kind.problems).toEqual([
      {
        field: 'kind',
        expected: 'one of typicality, entanglement, claims, generic',
        got: '"poems"',
        severity: 'error',
      },
    ])

    for (const k of ['id', 'name', 'source', 'licence']) {
      const r = validateStimulusSet(set([good], { [k]: '' }))
      expect(r.set).toBeUndefined()
      expect(r.problems[0].field).toBe(k)
    }
    expect(validateStimulusSet(set([good], { items: 'nope' })).problems[0]).toMatchObject({ field: 'items' })
    expect(validateStimulusSet([good]).problems[0].expected).toContain('stimulus set object')
    expect(validateStimulusSet(set([good], { prompts: { x: 3 } })).problems[0]).toMatchObject({ field: 'prompts.x' })
  })

  it('keeps items with warnings only, and ignores unknown fields', () => {
    const raw = {
      id: 'w',
      text: 't',
      colour: 'red',
      foundation: 'care',
      foundations: ['fairness'],
      polarity: 'neutral',
      moralVector: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      consistencyKey: 'A',
      typicalitySource: 'human',
    }
    const { set: s, problems } = validateStimulusSet(set([raw], { extra: 1, prompts: { p: 'no slot' } }))
    expect(errors(problems)).toEqual([])
    expect(problems.map((p) => p.field).sort()).toEqual(
      ['colour', 'consistencyKey', 'extra', 'foundation', 'moralVector', 'prompts.p', 'typicalitySource'].sort(),
    )
    expect(s?.items[0]).not.toHaveProperty('colour')
    expect(s).not.toHaveProperty('extra')
  })

  it('uses rowOf to report line numbers', () => {
    const { problems } = validateStimulusSet(set([good, { id: 'z' }]), 'f.jsonl', { rowOf: (i) => i + 2 })
    expect(problems[0]).toMatchObject({ file: 'f.jsonl', row: 3, field: 'text' })
  })

  it('emits items in a fixed key order whatever the input order', () => {
    const shuffled = Object.fromEntries(Object.entries(good).reverse())
    const { set: s } = validateStimulusSet(set([shuffled]))
    expect(Object.keys(s!.items[0])).toEqual(Object.keys(good))
  })
})

describe('validateStimulusItem', () => {
  it('reports all errors of a row, not just the first', () => {
    const { item, problems } = validateStimulusItem({ id: '', text: '', gold: 5, typicality: 3 }, { row: 4 })
    expect(item).toBeUndefined()
    expect(problems.map((p) => p.field)).toEqual(['id', 'text', 'typicality', 'gold'])
    expect(problems.every((p) => p.row === 4)).toBe(true)
  })
})

describe('assertValidStimulusSet', () => {
  it('returns the set when valid', () => {
    const s: StimulusSet = assertValidStimulusSet(set([good]))
    expect(s.items).toHaveLength(1)
  })

  it('throws one message naming file, row, field and expectation', () => {
    expect(() => assertValidStimulusSet(set([good, { ...good, id: 'b', typicality: 2 }]), 'mine.json')).toThrow(
      'Invalid stimulus set mine.json: 1 error\n  - mine.json, row 2, field "typicality": expected a number in [0, 1], got 2',
    )
  })

  it('does not throw on warnings', () => {
    expect(() => assertValidStimulusSet(set([{ ...good, unknown: 1 }]))).not.toThrow()
  })
})

describe('formatProblem', () => {
  it('renders warnings and missing parts', () => {
    expect(formatProblem({ expected: 'x', severity: 'warning' })).toBe('warning: expected x')
    expect(formatProblem({ row: 3, field: 'gold', expected: '0 or 1', got: '2', severity: 'error' })).toBe(
      'row 3, field "gold": expected 0 or 1, got 2',
    )
  })
})
