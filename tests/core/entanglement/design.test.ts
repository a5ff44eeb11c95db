import { describe, expect, it } from 'vitest'
import {
  binaryLevels,
  designFactors,
  designMatrix,
  factorValue,
  parseRatingScale,
  strataFor,
  twoFolds,
} from '../../../src/core/entanglement/design.ts'
import { stratifiedDifference, twoGroupEffect, effectByLevel } from '../../../src/core/entanglement/vectors.ts'
import { planPrefixSharing } from '../../../src/core/entanglement/scorer.ts'
import { buildValueEntanglementItems, ENTANGLEMENT_FRAMES } from '../../../src/core/stimuli/builtin/value-entanglement.ts'
import type { StimulusItem } from '../../../src/core/stimuli/types.ts'
import { Rng } from '../../../src/core/random.ts'

const items = buildValueEntanglementItems(ENTANGLEMENT_FRAMES.slice(0, 3))

describe('design of a value-entanglement set', () => {
  it('finds the three orthogonal factors of the built-in set and builds the design matrix', () => {
    expect(designFactors(items)).toEqual(['moral', 'grammatical', 'economic'])
    const X = designMatrix(items, ['moral', 'grammatical', 'economic'])
    expect(X).toHaveLength(24)
    expect(X[0]).toEqual([1, 1, 1])
    expect(factorValue(items[0], 'economic', { economicScale: 'logPrice' })).toBeCloseTo(Math.log(items[0].price!), 12)
    const cola: StimulusItem[] = [
      { id: 'a', text: 'x', values: { grammatical: 1 } },
      { id: 'b', text: 'y', values: { grammatical: 0 } },
    ]
    expect(designFactors(cola)).toEqual(['grammatical'])
    expect(() => designMatrix(cola, ['moral'])).toThrow(/item "a": values.moral is missing/)
  })

  it('pairs items that differ only in one factor: one pair per stratum in the factorial', () => {
    for (const f of ['moral', 'grammatical', 'economic'] as const) {
      const strata = strataFor(items, f, ['moral', 'grammatical', 'economic'])
      expect(strata.size).toBe(12)
      for (const members of strata.values()) {
        expect(members).toHaveLength(2)
        const [a, b] = members.map((i) => items[i])
        expect(a.meta!.frame).toBe(b.meta!.frame)
        for (const o of ['moral', 'grammatical', 'economic'] as const) {
          if (o === f) expect(a.values![o]).not.toBe(b.values![o])
          else expect(a.values![o]).toBe(b.values![o])
        }
      }
    }
    const folds = twoFolds(items)
    expect(new Set(items.filter((_, i) => folds[i] === 0).map((it) => it.meta!.frame))).toEqual(new Set(['f01', 'f03']))
  })

  it('binarises continuous values at the median and parses rating scales', () => {
    const cont: StimulusItem[] = [1, 2, 3, 4, 5].map((v, i) => ({ id: `i${i}`, text: 't', values: { moral: v } }))
    expect(binaryLevels(cont, 'moral')).toEqual([0, 0, undefined, 1, 1])
    expect(parseRatingScale('1-7')).toEqual({ min: 1, max: 7 })
    expect(parseRatingScale('1–5 Likert')).toEqual({ min: 1, max: 5 })
    expect(parseRatingScale('0 to 100')).toEqual({ min: 0, max: 100 })
    expect(parseRatingScale('yes/no')).toBeUndefined()
  })
})

describe('difference-of-means directions and effect sizes', () => {
  it('the paired (stratified) difference equals the plain difference of means in a complete factorial', () => {
    const rng = new Rng(2)
    const d = 5
    const data = Float64Array.from({ length: items.length * d }, () => rng.normal())
    const x = { data, n: items.length, d }
    const strata = [...strataFor(items, 'moral', ['moral', 'grammatical', 'economic']).values()].map((m) => ({
      high: m.filter((i) => items[i].values!.moral === 1),
      low: m.filter((i) => items[i].values!.moral === 0),
    }))
    const paired = stratifiedDifference(x, strata)!
    expect(paired.method).toBe('paired')
    expect(paired.strata).toBe(12)
    const plainDiff = stratifiedDifference(x, [{ high: strata.flatMap((s) => s.high), low: strata.flatMap((s) => s.low) }])!
    for (let j = 0; j < d; j++) expect(paired.direction[j]).toBeCloseTo(plainDiff.direction[j], 12)
    // Δ of the first pair by hand
    const [h, l] = [strata[0].high[0], strata[0].low[0]]
    for (let j = 0; j < d; j++) expect(paired.differences[0][j]).toBeCloseTo(data[h * d + j] - data[l * d + j], 14)
    expect(stratifiedDifference(x, [{ high: [0], low: [] }])).toBeUndefined()
  })

  it("Cohen's d and Welch's t match a hand computation", () => {
    // a = 1,2,3,4 (mean 2.5, var 5/3); b = 2,4 (mean 3, var 2)
    const e = twoGroupEffect([1, 2, 3, 4], [2, 4])
    expect(e.meanDiff).toBeCloseTo(-0.5, 14)
    expect(e.cohenD).toBeCloseTo(-0.5 / Math.sqrt((3 * (5 / 3) + 1 * 2) / 4), 14)
    const se2 = 5 / 3 / 4 + 2 / 2
    expect(e.t).toBeCloseTo(-0.5 / Math.sqrt(se2), 14)
    expect(e.df).toBeCloseTo(se2 ** 2 / ((5 / 12) ** 2 / 3 + 1 ** 2 / 1), 12)
    const byLevel = effectByLevel([1, 2, 9, 3, 4, 4], [1, 1, undefined, 1, 1, 0])
    expect(byLevel.nHigh).toBe(4)
    expect(byLevel.nLow).toBe(1)
  })
})

describe('planPrefixSharing', () => {
  const rows = [
    [1, 2, 3, 4, 5],
    [1, 2, 3, 4, 6],
    [1, 2, 3, 7, 8],
    [9],
  ]
  it('prompt mode caches only the prefix common to all rows', () => {
    expect(planPrefixSharing(rows.slice(0, 3), 'prompt').steps).toEqual([
      { op: 'prefill', ids: [1, 2, 3] },
      { op: 'score', row: 0 },
      { op: 'score', row: 1 },
      { op: 'score', row: 2 },
    ])
    expect(planPrefixSharing(rows, 'prompt').steps.every((s) => s.op === 'score')).toBe(true)
  })

  it('tree mode walks the prefix tree depth-first, touching cached ancestors before each subtree', () => {
    const { steps, maxLive } = planPrefixSharing(rows, 'tree', 1)
    const abc = [1, 2, 3]
    const abcd = [1, 2, 3, 4]
    expect(steps).toEqual([
      { op: 'prefill', ids: abc },
      { op: 'prefill', ids: abc },
      { op: 'prefill', ids: abcd },
      { op: 'prefill', ids: abc },
      { op: 'prefill', ids: abcd },
      { op: 'score', row: 0 },
      { op: 'prefill', ids: abc },
      { op: 'prefill', ids: abcd },
      { op: 'score', row: 1 },
      { op: 'prefill', ids: abc },
      { op: 'score', row: 2 },
      { op: 'score', row: 3 },
    ])
    expect(maxLive).toBe(2)
    // A node is cached only when it saves enough tokens: (rows − 1) × (new shared tokens).
    const lean = planPrefixSharing(rows, 'tree', 2).steps.filter((s) => s.op === 'prefill')
    expect(lean.every((s) => s.op === 'prefill' && s.ids.length === 3)).toBe(true)
    // Every row is scored exactly once.
    const scored = steps.flatMap((s) => (s.op === 'score' ? [s.row] : [])).sort()
    expect(scored).toEqual([0, 1, 2, 3])
  })

  it('handles duplicate rows and rows that are prefixes of others', () => {
    const { steps } = planPrefixSharing([[5, 6], [5, 6], [5, 6, 7]], 'tree', 1)
    expect(steps.filter((s) => s.op === 'score').map((s) => (s as { row: number }).row).sort()).toEqual([0, 1, 2])
    expect(steps[0]).toEqual({ op: 'prefill', ids: [5, 6] })
  })
})
