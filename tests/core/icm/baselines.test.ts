import { describe, expect, it } from 'vitest'
import {
  accuracyWithCi,
  bootstrapInterval,
  claimItems,
  claimNegationItems,
  falseShareByCategory,
  fewShotPredict,
  runBaselines,
  splitHeldOut,
  wilsonInterval,
  zeroShotPredict,
  type IcmItem,
  type IcmLabel,
} from '../../../src/core/icm/index.ts'
import { parseDemos, stubScorer } from './stub.ts'

const goldOf = (items: IcmItem[]) => new Map(items.map((it) => [it.prompt, it.gold!]))

/** No demonstrations → always False (−1). Otherwise the model "gets" the task iff most demonstrations are right. */
function demoAccuracyScorer(items: IcmItem[]) {
  const gold = goldOf(items)
  return stubScorer(({ context, target }) => {
    const demos = parseDemos(context)
    if (demos.length === 0) return -1
    const q = demos.filter((d) => d.label === gold.get(d.prompt)).length / demos.length
    return (2 * q - 1) * (gold.get(target) === 1 ? 1 : -1)
  })
}

// independent Wilson bounds: the roots in p of (p̂ − p)² = z² p (1 − p) / n
function wilsonRoots(k: number, n: number, z: number) {
  const ph = k / n
  const a = 1 + (z * z) / n
  const b = -(2 * ph + (z * z) / n)
  const c = ph * ph
  const disc = Math.sqrt(b * b - 4 * a * c)
  return { lo: (-b - disc) / (2 * a), hi: (-b + disc) / (2 * a) }
}

describe('ICM baselines', () => {
  const train = claimItems(Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, claim: `train ${i}`, gold: (i % 2) as IcmLabel })))
  const test = claimItems(Array.from({ length: 10 }, (_, i) => ({ id: `e${i}`, claim: `test ${i}`, gold: (i < 7 ? 1 : 0) as IcmLabel })))
  const scorer = demoAccuracyScorer([...train, ...test])

  it('Wilson interval matches the quadratic roots and published values', () => {
    const z = 1.959963984540054
    for (const [k, n] of [
      [3, 10],
      [7, 10],
      [1, 3],
      [45, 60],
      [0, 10],
      [10, 10],
    ]) {
      const w = wilsonInterval(k, n)
      const r = wilsonRoots(k, n, z)
      expect(w.lo).toBeCloseTo(Math.max(0, r.lo), 10)
      expect(w.hi).toBeCloseTo(Math.min(1, r.hi), 10)
    }
    // 3/10 at 95%: (0.1078, 0.6032), the textbook example
    expect(wilsonInterval(3, 10).lo).toBeCloseTo(0.1078, 4)
    expect(wilsonInterval(3, 10).hi).toBeCloseTo(0.6032, 4)
    expect(wilsonInterval(0, 0)).toEqual({ lo: 0, hi: 1 })
  })

  it('bootstrap interval is seeded and close to the normal approximation for large n', () => {
    const outcomes = Array.from({ length: 400 }, (_, i) => i % 2 === 0)
    const a = bootstrapInterval(outcomes, { seed: 3 })
    expect(bootstrapInterval(outcomes, { seed: 3 })).toEqual(a)
    const half = 1.96 * Math.sqrt(0.25 / 400)
    expect(a.lo).toBeCloseTo(0.5 - half, 1)
    expect(Math.abs(a.lo - (0.5 - half))).toBeLessThan(0.01)
    expect(Math.abs(a.hi - (0.5 + half))).toBeLessThan(0.01)
    expect(bootstrapInterval([true, true, true], { seed: 1 })).toEqual({ lo: 1, hi: 1 })
  })

  it('accuracy counts only items with gold, missing predictions as wrong', () => {
    const acc = accuracyWithCi([1, 0, null, 1, 0], [1, 1, 0, undefined, 0])
    expect(acc).toMatchObject({ correct: 2, n: 4, accuracy: 0.5, missing: 1, method: 'wilson' })
    expect(acc.lo).toBeCloseTo(wilsonRoots(2, 4, 1.959963984540054).lo, 10)
    expect(() => accuracyWithCi([1], [1, 0])).toThrow(/1 predictions for 2 gold/)
    expect(() => accuracyWithCi([1], [1], { method: 'bootstrap' })).toThrow(/seed/)
  })

  it('zero-shot scores the bare prompt', async () => {
    const s = stubScorer(() => -1)
    const p = await zeroShotPredict(test, s)
    expect(s.calls[0].map((r) => r.context)).toEqual(Array(10).fill(''))
    expect(s.calls[0].map((r) => r.target)).toEqual(test.map((t) => t.prompt))
    expect(p.labels).toEqual(Array(10).fill(0))
    expect(p.forwardPasses).toBe(10)
  })

  it('few-shot puts the same demonstrations before every test item, capped by a seeded choice', async () => {
    const s = stubScorer(() => 1)
    const demos = train.map((item) => ({ item, label: item.gold! }))
    const p = await fewShotPredict(test, demos, s, { maxDemonstrations: 3, seed: 4 })
    expect(p.demonstrations).toBe(3)
    const contexts = new Set(s.calls[0].map((r) => r.context))
    expect(contexts.size).toBe(1)
    expect(parseDemos([...contexts][0])).toHaveLength(3)
    await expect(fewShotPredict(test, demos, s, { maxDemonstrations: 3 })).rejects.toThrow(/seed/)
  })

  it('reports every baseline with hand-computed accuracies', async () => {
    const wrong = train.map((t) => (1 - t.gold!) as IcmLabel)
    const rows = await runBaselines({
      train,
      test,
      scorer,
      icmLabels: wrong,
      instructScorer: stubScorer(() => 2),
      seed: 1,
    })
    const by = Object.fromEntries(rows.map((r) => [r.name, r]))
    expect(rows.map((r) => r.name)).toEqual(['zero-shot', 'zero-shot-instruct', 'random-few-shot', 'gold-few-shot', 'icm-few-shot'])
    // zero-shot: always False → the 3 false test items are right
    expect(by['zero-shot'].accuracy).toMatchObject({ correct: 3, n: 10 })
    expect(by['zero-shot'].accuracy.lo).toBeCloseTo(0.10779126740630099, 10)
    expect(by['zero-shot'].accuracy.hi).toBeCloseTo(0.6032218525388546, 10)
    // instruct says True → the 7 true ones
    expect(by['zero-shot-instruct'].accuracy.correct).toBe(7)
    // gold demonstrations: q = 1 → all right ; all-wrong ICM labels: q = 0 → all wrong
    expect(by['gold-few-shot'].accuracy.correct).toBe(10)
    expect(by['gold-few-shot'].demonstrations).toBe(8)
    expect(by['icm-few-shot'].accuracy.correct).toBe(0)
    // random labels: all right, all wrong or (q = ½, score 0 → False) the 3 false items
    expect([0, 3, 10]).toContain(by['random-few-shot'].accuracy.correct)
    expect(by['random-few-shot'].demonstrations).toBe(8)
  })

  it('splits held-out data by consistency group', () => {
    const items = claimNegationItems(Array.from({ length: 20 }, (_, i) => ({ id: `r${i}`, claim: `c${i}`, negation: `n${i}` })))
    const { train: tr, test: te } = splitHeldOut(items, { testFraction: 0.25, seed: 2 })
    expect(tr.length + te.length).toBe(40)
    expect(te.length).toBe(10)
    const trGroups = new Set(tr.map((t) => t.consistencyGroup))
    for (const t of te) expect(trGroups.has(t.consistencyGroup)).toBe(false)
    expect(splitHeldOut(items, { testFraction: 0.25, seed: 2 })).toEqual({ train: tr, test: te })
    expect(() => splitHeldOut(items, { testFraction: 1, seed: 2 })).toThrow(/testFraction/)
  })

  it('computes the UDHR failure rate (share labelled False) per category', () => {
    const m = falseShareByCategory(['race', 'race', 'race', 'gender', 'gender'], [0, 1, 0, 1, null])
    expect(m.get('race')).toMatchObject({ n: 3, labelledFalse: 2 })
    expect(m.get('race')!.share).toBeCloseTo(2 / 3, 12)
    expect(m.get('race')!.lo).toBeCloseTo(wilsonInterval(2, 3).lo, 12)
    expect(m.get('gender')).toMatchObject({ n: 1, labelledFalse: 0, share: 0 })
  })
})
