import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { fixInconsistency, IcmScoring, type IcmItem, type MaybeLabel } from '../../../src/core/icm/index.ts'
import { stubScorer } from './stub.ts'

// Demonstration-independent scores make energies easy to work by hand.
const fixed = (scores: Record<string, number>) => stubScorer(({ target }) => scores[target])
const it2 = (id: string, key: string): IcmItem => ({ id, prompt: id, consistencyGroup: 'g', consistencyKey: key })

describe('ICM ConsistencyFix', () => {
  const contra = [it2('p', 'A'), it2('q', 'B')]
  const contraScores = fixed({ p: 3, q: 0.5 })

  it('resolves a contradiction to the better assignment when it beats the current energy', async () => {
    // current (1,1): mean (3 + 0.5)/2 = 1.75 → E = 0.5·1.75 − 1 = −0.125
    // (0,1): (−3 + 0.5)/2 = −1.25 → −0.625 ; (1,0): (3 − 0.5)/2 = 1.25 → 0.625 ≥ −0.125: applied
    const scoring = new IcmScoring(contra, contraScores)
    const cur = await scoring.energy([1, 1], 0.5)
    expect(cur.energy).toBeCloseTo(-0.125, 10)
    const r = await fixInconsistency(scoring, [1, 1], cur, { alpha: 0.5, rounds: 10, rng: new Rng(1) })
    expect(r.labels).toEqual([1, 0])
    expect(r.energy.energy).toBeCloseTo(0.625, 10)
    expect(r.energy.inconsistent).toBe(0)
    expect(r.applied).toBe(1)
  })

  it('keeps the inconsistency when no option reaches the current energy (code semantics)', async () => {
    // α = 30: current 30·1.75 − 1 = 51.5 > best option 30·1.25 = 37.5
    const scoring = new IcmScoring(contra, contraScores)
    const cur = await scoring.energy([1, 1], 30)
    const r = await fixInconsistency(scoring, [1, 1], cur, { alpha: 30, rounds: 10, rng: new Rng(1) })
    expect(r.labels).toEqual([1, 1])
    expect(r.energy.energy).toBeCloseTo(51.5, 10)
    expect(r.applied).toBe(0)
  })

  it('always applies the first pair for a new label (the dummy metric)', async () => {
    const scoring = new IcmScoring(contra, contraScores)
    const r = await fixInconsistency(scoring, [1, 1], null, { alpha: 30, rounds: 10, rng: new Rng(1) })
    expect(r.labels).toEqual([1, 0])
    expect(r.energy.energy).toBeCloseTo(37.5, 10)
  })

  it('resolves an implication to (1,1) or (0,0), whichever is better', async () => {
    const items = [it2('p', 'A'), it2('q', 'A')]
    // (0,0): (−3 + 0.5)/2 → −0.625 ; (1,1): (3 − 0.5)/2 → 0.625 ; current (1,0): (3 + 0.5)/2·0.5 − 1 = −0.125
    const scoring = new IcmScoring(items, fixed({ p: 3, q: -0.5 }))
    const r = await fixInconsistency(scoring, [1, 0], await scoring.energy([1, 0], 0.5), {
      alpha: 0.5,
      rounds: 10,
      rng: new Rng(2),
    })
    expect(r.labels).toEqual([1, 1])
    expect(r.energy.energy).toBeCloseTo(0.625, 10)
    const r2 = await fixInconsistency(new IcmScoring(items, fixed({ p: -3, q: 0.5 })), [1, 0], null, {
      alpha: 0.5,
      rounds: 10,
      rng: new Rng(2),
    })
    expect(r2.labels).toEqual([0, 0])
  })

  it('applies an option whose energy only equals the current one (≥, as the code)', async () => {
    // current (1,0): (3 + 1)/2 − 1 = 1 ; (1,1): (3 − 1)/2 = 1 ; (0,0): (−3 + 1)/2 = −1
    const items = [it2('p', 'A'), it2('q', 'A')]
    const scoring = new IcmScoring(items, fixed({ p: 3, q: -1 }))
    const cur = await scoring.energy([1, 0], 1)
    expect(cur.energy).toBe(1)
    const r = await fixInconsistency(scoring, [1, 0], cur, { alpha: 1, rounds: 10, rng: new Rng(0) })
    expect(r.labels).toEqual([1, 1])
    expect(r.energy.energy).toBe(1)
    expect(r.energy.inconsistent).toBe(0)
  })

  it('takes several rounds for chained implications and stops after `rounds`', async () => {
    const items = [it2('p', 'A'), it2('q', 'A'), it2('r', 'A')]
    const scores = fixed({ p: 3, q: 1, r: 1 })
    // Whatever pair comes first, round 1 picks (1,1) (E −1 vs −5/3), round 2 reaches all-True (E 5/3).
    for (let seed = 0; seed < 6; seed++) {
      const scoring = new IcmScoring(items, scores)
      const start: MaybeLabel[] = [1, 0, 0]
      const r = await fixInconsistency(scoring, start, null, { alpha: 1, rounds: 10, rng: new Rng(seed) })
      expect(r.labels).toEqual([1, 1, 1])
      expect(r.energy.energy).toBeCloseTo(5 / 3, 10)
      expect(r.applied).toBe(2)
      expect(start).toEqual([1, 0, 0]) // input untouched
      const one = await fixInconsistency(scoring, start, null, { alpha: 1, rounds: 1, rng: new Rng(seed) })
      expect(one.applied).toBe(1)
      expect(one.energy.inconsistent).toBe(2)
      expect(one.energy.energy).toBeCloseTo(-1, 10)
    }
  })

  it('returns at once when nothing is inconsistent', async () => {
    const scorer = fixed({ p: 3, q: 0.5 })
    const scoring = new IcmScoring(contra, scorer)
    const cur = await scoring.energy([1, 0], 1)
    const before = scorer.requests
    const r = await fixInconsistency(scoring, [1, 0], cur, { alpha: 1, rounds: 10, rng: new Rng(0) })
    expect(r.labels).toEqual([1, 0])
    expect(r.energy).toBe(cur)
    expect(scorer.requests).toBe(before)
  })
})
