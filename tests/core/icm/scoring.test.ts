import { describe, expect, it } from 'vitest'
import { IcmScoring, renderClaimPrompt, type IcmItem, type IcmScorer } from '../../../src/core/icm/index.ts'
import { countOccurrences, stubScorer } from './stub.ts'

const items: IcmItem[] = [
  { id: 'a', prompt: renderClaimPrompt('a'), consistencyGroup: 'g1', consistencyKey: 'A' },
  { id: 'b', prompt: renderClaimPrompt('b'), consistencyGroup: 'g1', consistencyKey: 'B' },
  { id: 'c', prompt: renderClaimPrompt('c'), consistencyGroup: 'g2' },
  { id: 'd', prompt: renderClaimPrompt('d'), consistencyGroup: 'g3' },
]
const base: Record<string, number> = { a: 2, b: 1, c: -1, d: 0.5 }
// base score of the target + 0.5 per True demonstration − 0.25 per False one
const handScorer = () =>
  stubScorer(({ context, target }) => {
    const id = target.slice('Claim: '.length, 'Claim: '.length + 1)
    return base[id] + 0.5 * countOccurrences(context, ' True\n\n') - 0.25 * countOccurrences(context, ' False\n\n')
  })

describe('ICM energy', () => {
  it('matches a hand-worked energy without inconsistency', async () => {
    const scoring = new IcmScoring(items, handScorer())
    // s_a = 2 − 0.25 (b False) = 1.75 → +1.75 ; s_b = 1 + 0.5 (a True) = 1.5, label 0 → −1.5
    const e = await scoring.energy([1, 0, null, null], 30)
    expect(e.meanSignedScore).toBeCloseTo(0.125, 10)
    expect(e.inconsistent).toBe(0)
    expect(e.energy).toBeCloseTo(3.75, 10)
    expect(e.evaluated).toBe(2)
    expect(e.exact).toBe(true)
  })

  it('matches a hand-worked energy with a contradiction', async () => {
    const scorer = handScorer()
    const scoring = new IcmScoring(items, scorer)
    // s_a = 2 + .5 − .25 = 2.25 ; s_b = 1 + .5 − .25 = 1.25 ; s_c = −1 + 1 = 0 (label 0 → −0)
    // mean = 3.5 / 3 ; a, b: keys A ≠ B both True → 1 contradiction ; E = 30 · 3.5/3 − 1 = 34
    const e = await scoring.energy([1, 1, 0, null], 30)
    expect(e.meanSignedScore).toBeCloseTo(3.5 / 3, 10)
    expect(e.inconsistent).toBe(1)
    expect(e.energy).toBeCloseTo(34, 10)
    const cRequest = scorer.calls[0].find((r) => r.target === items[2].prompt)!
    expect(cRequest.context).toBe('Claim: a\nI think this claim is True\n\nClaim: b\nI think this claim is True\n\n')
  })

  it('averages over the subset plus the changed items', async () => {
    const scoring = new IcmScoring(items, handScorer())
    // core {c}, b differs from base → {b, c}: mean (1.25 + 0) / 2 ; E = 30 · 0.625 − 1
    const e = await scoring.energy([1, 1, 0, null], 30, { core: [2], base: [1, 0, 0, null] })
    expect(e.evaluated).toBe(2)
    expect(e.exact).toBe(false)
    expect(e.energy).toBeCloseTo(17.75, 10)
  })

  it('is 0 − #inconsistent on an empty labelling and never calls the scorer', async () => {
    const scorer = handScorer()
    const e = await new IcmScoring(items, scorer).energy([null, null, null, null], 30)
    expect(e.energy).toBe(0)
    expect(scorer.requests).toBe(0)
  })

  it('memoises scores exactly and counts forward passes on misses only', async () => {
    const scorer = handScorer()
    const scoring = new IcmScoring(items, scorer)
    const e1 = await scoring.energy([1, 1, 0, null], 30)
    const e2 = await scoring.energy([1, 1, 0, null], 30)
    expect(e2).toEqual(e1)
    expect(scorer.requests).toBe(3)
    expect(scoring.forwardPasses).toBe(3)
    expect(scoring.cacheHits).toBe(3)
    // the prediction for d reuses nothing: one more pass
    await scoring.scoreTargets([1, 1, 0, null], [3])
    expect(scoring.forwardPasses).toBe(4)
    const uncached = new IcmScoring(items, handScorer(), { cache: false })
    await uncached.energy([1, 1, 0, null], 30)
    await uncached.energy([1, 1, 0, null], 30)
    expect(uncached.forwardPasses).toBe(6)
  })

  it('takes the forward-pass count from a scorer that reports it', async () => {
    const scorer: IcmScorer = {
      async score(requests) {
        return { scores: requests.map(() => 1), forwardPasses: 1 } // e.g. one batched pass
      },
    }
    const scoring = new IcmScoring(items, scorer)
    await scoring.energy([1, 1, 0, 1], 30)
    await scoring.energy([0, 1, 0, 1], 30)
    expect(scoring.forwardPasses).toBe(2)
    // a's prompt (demonstrations b, c, d) is unchanged by flipping a itself: a cache hit
    expect(scoring.requestsScored).toBe(7)
    expect(scoring.cacheHits).toBe(1)
  })

  it('rejects a scorer returning the wrong number of scores or NaN', async () => {
    const short = new IcmScoring(items, { score: async () => [1] })
    await expect(short.energy([1, 1, null, null], 30)).rejects.toThrow(/returned 1 scores for 2 requests/)
    const nan = new IcmScoring(items, { score: async (r) => r.map(() => NaN) })
    await expect(nan.energy([1, null, null, null], 30)).rejects.toThrow(/non-number score at request 0/)
  })

  it('caps demonstrations with a seeded, stable random choice in batch order', () => {
    const many: IcmItem[] = Array.from({ length: 12 }, (_, i) => ({ id: `i${i}`, prompt: `p${i}`, consistencyGroup: `g${i % 4}` }))
    const labels = many.map((_, i) => (i % 3 === 0 ? null : ((i % 2) as 0 | 1)))
    const s1 = new IcmScoring(many, stubScorer(() => 0), { maxDemonstrations: 3, demoSeed: 5 })
    const s2 = new IcmScoring(many, stubScorer(() => 0), { maxDemonstrations: 3, demoSeed: 5 })
    const chosen = new Set<string>()
    for (let t = 0; t < many.length; t++) {
      const d = s1.demonstrationIndices(labels, t)
      expect(d).toHaveLength(3)
      expect(d).not.toContain(t)
      for (const j of d) expect(labels[j]).not.toBeNull()
      for (let k = 1; k < d.length; k++) expect(s1.rank[d[k]]).toBeGreaterThan(s1.rank[d[k - 1]])
      expect(s2.demonstrationIndices(labels, t)).toEqual(d)
      chosen.add(d.join(','))
    }
    expect(chosen.size).toBeGreaterThan(3)
    // uncapped: all labelled others, grouped (g0 items, then g1, …)
    const all = new IcmScoring(many, stubScorer(() => 0)).demonstrationIndices(labels, 1)
    expect(all).toEqual([4, 8, 5, 2, 10, 7, 11])
  })
})
