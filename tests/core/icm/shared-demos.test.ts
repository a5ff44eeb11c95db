import { describe, expect, it } from 'vitest'
import { icmApproximations, IcmScoring, runIcm, type IcmItem, type MaybeLabel } from '../../../src/core/icm/index.ts'
import { goldScorer, parseDemos, stubScorer } from './stub.ts'

const many: IcmItem[] = Array.from({ length: 14 }, (_, i) => ({
  id: `i${i}`,
  prompt: `p${i}`,
  consistencyGroup: `g${i % 5}`,
  gold: (i % 3 === 0 ? 0 : 1) as 0 | 1,
}))

describe("capped demonstrations shared by all items ('shared')", () => {
  it('gives every item the first m labelled items of one ranking, minus itself, in batch order', () => {
    const labels: MaybeLabel[] = many.map((_, i) => (i % 4 === 3 ? null : ((i % 2) as 0 | 1)))
    const s = new IcmScoring(many, stubScorer(() => 0), { maxDemonstrations: 4, demoSelection: 'shared', demoSeed: 9 })
    const contexts = many.map((_, t) => s.demonstrationIndices(labels, t))
    const outsiders = contexts.filter((d) => d.length === 4)
    const set = outsiders[0]
    for (const d of outsiders) expect(d).toEqual(set)
    for (const j of set) {
      expect(labels[j]).not.toBeNull()
      expect(contexts[j]).toEqual(set.filter((x) => x !== j))
    }
    for (let k = 1; k < set.length; k++) expect(s.rank[set[k]]).toBeGreaterThan(s.rank[set[k - 1]])
    expect(outsiders.length).toBe(many.length - 4)
    // Per-target choice (the default) varies by item.
    const p = new IcmScoring(many, stubScorer(() => 0), { maxDemonstrations: 4, demoSeed: 9 })
    expect(new Set(many.map((_, t) => p.demonstrationIndices(labels, t).join(','))).size).toBeGreaterThan(3)
    expect(() => new IcmScoring(many, stubScorer(() => 0), { demoSelection: 'x' as never })).toThrow(/demoSelection/)
  })

  it('rescores nothing but the new item when a label outside the shared set is added', async () => {
    const scorer = stubScorer(({ context }) => parseDemos(context).length)
    const s = new IcmScoring(many, scorer, { maxDemonstrations: 4, demoSelection: 'shared', demoSeed: 2 })
    const labels: MaybeLabel[] = many.map((_, i) => (i < 8 ? ((i % 2) as 0 | 1) : null))
    await s.energy(labels, 30)
    expect(scorer.requests).toBe(8)
    const set = s.demonstrationIndices(labels, -1).join(',')
    // An unlabelled item whose label leaves the shared set as it is, and one that enters it.
    let outside = -1
    let inside = -1
    for (let j = 8; j < many.length; j++) {
      const next = labels.slice()
      next[j] = 1
      if (s.demonstrationIndices(next, -1).join(',') === set) outside = outside < 0 ? j : outside
      else inside = inside < 0 ? j : inside
    }
    expect(outside).toBeGreaterThanOrEqual(0)
    expect(inside).toBeGreaterThanOrEqual(0)
    const withOutside = labels.slice()
    withOutside[outside] = 1
    await s.energy(withOutside, 30)
    expect(scorer.requests).toBe(9)
    const withInside = labels.slice()
    withInside[inside] = 1
    await s.energy(withInside, 30)
    expect(scorer.requests).toBe(9 + 9)
  })

  it('runs ICM with it and says so in the approximations', async () => {
    const result = await runIcm(many, goldScorer(many, 2), { seed: 4, iterations: 60, maxDemonstrations: 4, demoSelection: 'shared' })
    expect(result.labelBalance.labelled).toBe(many.length)
    expect(result.goldAgreement).toBe(1)
    expect(icmApproximations({ maxDemonstrations: 4, demoSelection: 'shared' })[0]).toMatch(/one random ranking shared by all items/)
  })
})
