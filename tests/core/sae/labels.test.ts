import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { pearson, spearman } from '../../../src/core/stats/correlation.ts'
import { CORE_FOUNDATIONS, MORAL_VECTOR_AXES, type StimulusItem } from '../../../src/core/stimuli/types.ts'
import {
  axisScores,
  buildFeatureTable,
  buildTopExampleIndex,
  correlateFeaturesWithLabels,
  correlateFeaturesWithLabelsAsync,
  queryFeatureTable,
  searchTopExamples,
  selectMoralFeatures,
  sortFeatureTable,
} from '../../../src/core/sae/labels.ts'

/** 10 categories × perCat items (one-hot moral vector scaled by typicality) plus neutral items. */
function plantedItems(seed: number, perCat: number, neutral: number): StimulusItem[] {
  const rng = new Rng(seed)
  const items: StimulusItem[] = []
  for (let c = 0; c < 10; c++)
    for (let k = 0; k < perCat; k++) {
      const t = 0.2 + 0.8 * rng.next()
      const v = new Array(10).fill(0)
      v[c] = t
      const foundation = CORE_FOUNDATIONS[c >> 1]
      items.push({
        id: `c${c}-${k}`,
        text: `item ${c} ${k}`,
        foundation,
        foundations: k % 4 === 0 ? [foundation, 'liberty'] : [foundation],
        polarity: c % 2 === 0 ? 'virtue' : 'vice',
        typicality: t,
        moralVector: v,
      })
    }
  for (let k = 0; k < neutral; k++) items.push({ id: `n${k}`, text: `neutral ${k}`, polarity: 'neutral', moralVector: new Array(10).fill(0) })
  // Items without labels take part in nothing.
  items.push({ id: 'bare', text: 'no labels' })
  return items
}

describe('feature-label correlations', () => {
  const items = plantedItems(2, 8, 10)
  const n = items.length
  const dSae = 9
  const rng = new Rng(3)
  const data = new Float32Array(n * dSae)
  const careVice = MORAL_VECTOR_AXES.indexOf('care.vice')
  const fairVice = MORAL_VECTOR_AXES.indexOf('fairness.vice')
  items.forEach((it, i) => {
    const g = it.moralVector ?? new Array(10).fill(0)
    for (let f = 0; f < dSae; f++) data[i * dSae + f] = rng.next() < 0.5 ? rng.next() : 0
    data[i * dSae + 0] = rng.normal() // dense with negatives: the full ranking path
    data[i * dSae + 1] = 0.1 + rng.next() // dense, positive
    data[i * dSae + 3] = g[careVice] > 0 ? 2 * g[careVice] + 0.01 * rng.next() : 0 // care.vice only
    data[i * dSae + 5] = g[careVice] + g[fairVice] // two coordinates: not mono-semantic
    data[i * dSae + 7] = it.polarity === 'vice' ? 1 + 0.1 * rng.next() : 0 // all vice: not mono-semantic
    data[i * dSae + 8] = 0 // never fires
  })
  const pooled = { data, rows: n, cols: dSae }
  const corr = correlateFeaturesWithLabels(pooled, items)
  const L = corr.labels.length
  const rhoOf = (f: number, key: string) => corr.rho[f * L + corr.labels.findIndex((l) => l.key === key)]

  it('every correlation equals spearman / pearson computed directly on the items carrying the label', () => {
    const col = (f: number, rows: number[]) => rows.map((i) => data[i * dSae + f])
    const typ = items.flatMap((it, i) => (it.typicality !== undefined ? [i] : []))
    const vv = items.flatMap((it, i) => (it.polarity === 'virtue' || it.polarity === 'vice' ? [i] : []))
    const pol = items.flatMap((it, i) => (it.polarity ? [i] : []))
    const fnd = items.flatMap((it, i) => (it.foundation ? [i] : []))
    const vec = items.flatMap((it, i) => (it.moralVector ? [i] : []))
    expect(corr.labels.find((l) => l.key === 'typicality')!.n).toBe(typ.length)
    expect(corr.labels.find((l) => l.key === 'vector:care.vice')!.n).toBe(vec.length)
    for (let f = 0; f < dSae - 1; f++) {
      expect(rhoOf(f, 'typicality')).toBeCloseTo(spearman(col(f, typ), typ.map((i) => items[i].typicality!)), 12)
      expect(rhoOf(f, 'virtue-vs-vice')).toBeCloseTo(pearson(col(f, vv), vv.map((i) => (items[i].polarity === 'virtue' ? 1 : 0))), 12)
      expect(rhoOf(f, 'moral-vs-neutral')).toBeCloseTo(pearson(col(f, pol), pol.map((i) => (items[i].polarity === 'neutral' ? 0 : 1))), 12)
      for (const fd of ['care', 'sanctity', 'liberty'])
        expect(rhoOf(f, `foundation:${fd}`)).toBeCloseTo(pearson(col(f, fnd), fnd.map((i) => (items[i].foundations!.includes(fd as never) ? 1 : 0))), 12)
      for (let a = 0; a < 10; a++)
        expect(rhoOf(f, `vector:${MORAL_VECTOR_AXES[a]}`)).toBeCloseTo(spearman(col(f, vec), vec.map((i) => items[i].moralVector![a])), 12)
    }
    // A feature that never fires has no defined correlation.
    expect(Number.isNaN(rhoOf(8, 'typicality'))).toBe(true)
    expect(corr.bestAxis[8]).toBe(-1)
    expect(Number.isNaN(corr.monosemanticity[8])).toBe(true)
  })

  it('the async driver gives the same table and reports progress in features', async () => {
    const progress: number[] = []
    const again = await correlateFeaturesWithLabelsAsync(pooled, items, { onProgress: (d) => progress.push(d), yieldEveryMs: 0 })
    expect(Array.from(again.rho)).toEqual(Array.from(corr.rho))
    expect(progress[progress.length - 1]).toBe(dSae)
  })

  it('mono-semanticity = largest |ρ| − second largest over the ten coordinates', () => {
    for (let f = 0; f < dSae - 1; f++) {
      const abs = corr.vectorLabels.map((l) => Math.abs(corr.rho[f * L + l])).sort((a, b) => b - a)
      expect(corr.monosemanticity[f]).toBeCloseTo(abs[0] - abs[1], 12)
    }
    // Hand table: 3 features × 3 coordinates (labels 0..2).
    const s = axisScores([0.8, -0.3, NaN, -0.9, 0.2, 0.1, NaN, 0.4, NaN], 3, 3, [0, 1, 2])
    expect(Array.from(s.bestAxis)).toEqual([0, 0, 1])
    expect(Array.from(s.bestAxisRho)).toEqual([0.8, -0.9, 0.4])
    expect(s.monosemanticity[0]).toBeCloseTo(0.5, 12)
    expect(s.monosemanticity[1]).toBeCloseTo(0.7, 12)
    expect(s.monosemanticity[2]).toBeCloseTo(0.4, 12) // undefined ρ counts as 0 for the runner-up
  })

  it('selection finds exactly the planted care.vice feature, and not features tracking two coordinates or all vices', () => {
    const picked = selectMoralFeatures(corr, { minRho: 0.5, minMargin: 0.3, maxFeatures: 10 })
    expect(picked.map((p) => p.feature)).toEqual([3])
    expect(picked[0].axisName).toBe('care.vice')
    expect(picked[0].axis).toBe(careVice)
    expect(picked[0].rho).toBeGreaterThan(0.9)
    expect(corr.monosemanticity[5]).toBeLessThan(0.1)
    expect(corr.monosemanticity[7]).toBeLessThan(0.1)
    // The all-vice feature is the best virtue-vs-vice feature (negative: higher on vice).
    expect(rhoOf(7, 'virtue-vs-vice')).toBeLessThan(-0.9)
  })

  it('the sign option and caps behave as documented', () => {
    const fake = { ...corr, dSae: 3, bestAxis: Int32Array.from([0, 1, 1]), bestAxisRho: Float64Array.from([-0.9, 0.8, 0.7]), monosemanticity: Float64Array.from([0.6, 0.5, 0.6]) }
    expect(selectMoralFeatures(fake, { minRho: 0.5, minMargin: 0.3 }).map((p) => p.feature)).toEqual([2, 1])
    expect(selectMoralFeatures(fake, { minRho: 0.5, minMargin: 0.3, sign: 'any' }).map((p) => p.feature)).toEqual([0, 2, 1])
    expect(selectMoralFeatures(fake, { minRho: 0.5, minMargin: 0.3, maxPerAxis: 1 }).map((p) => p.feature)).toEqual([2])
    expect(selectMoralFeatures(fake, { minRho: 0.5, minMargin: 0.3, sign: 'any', maxFeatures: 1 }).map((p) => p.feature)).toEqual([0])
  })

  it('rejects a pooled matrix that does not match the items', () => {
    expect(() => correlateFeaturesWithLabels({ data: new Float32Array(6), rows: 2, cols: 3 }, items)).toThrow(/2 rows but there are/)
  })
})

describe('feature table helpers', () => {
  const stats = {
    dSae: 4,
    density: Float64Array.from([0.1, 0.001, 0.5, 0]),
    maxActivation: Float32Array.from([2, 8, 1, 0]),
    meanActivation: Float64Array.from([1, 3, 0.5, NaN]),
    top: [
      [{ tokens: [' Hurting', ' a', ' puppy'] }],
      [{ tokens: [' Sharing', ' lunch'] }, { tokens: [' cheating', ' at', ' cards'] }],
      [],
      [],
    ],
  }
  const rows = buildFeatureTable(stats)

  it('filters by density, max activation and top-example text', () => {
    const index = buildTopExampleIndex(stats as never)
    expect(searchTopExamples(index, 'PUPPY')).toEqual([0])
    expect(searchTopExamples(index, ' at cards')).toEqual([1])
    expect(searchTopExamples(index, '')).toEqual([])
    expect(queryFeatureTable(rows, { filter: { minDensity: 0.01 } }).rows.map((r) => r.feature)).toEqual([0, 2])
    expect(queryFeatureTable(rows, { filter: { maxDensity: 0.01, minMaxActivation: 1 } }).rows.map((r) => r.feature)).toEqual([1])
    expect(queryFeatureTable(rows, { filter: { text: 'lunch' } }, { index }).rows.map((r) => r.feature)).toEqual([1])
    expect(() => queryFeatureTable(rows, { filter: { text: 'lunch' } })).toThrow(/TopExampleIndex/)
  })

  it('sorts with NaN last in either order, ties by feature, and pages', () => {
    expect(sortFeatureTable(rows, 'meanActivation', 'desc').map((r) => r.feature)).toEqual([1, 0, 2, 3])
    expect(sortFeatureTable(rows, 'meanActivation', 'asc').map((r) => r.feature)).toEqual([2, 0, 1, 3])
    const page = queryFeatureTable(rows, { sort: { key: 'maxActivation' }, offset: 1, limit: 2 })
    expect(page.total).toBe(4)
    expect(page.rows.map((r) => r.feature)).toEqual([0, 2])
  })

  it('filters and sorts by label correlations', () => {
    const items = plantedItems(4, 4, 4)
    const rng = new Rng(9)
    const data = Float32Array.from({ length: items.length * 4 }, () => rng.next())
    items.forEach((it, i) => (data[i * 4 + 2] = it.polarity === 'virtue' ? 5 : 0))
    const corr = correlateFeaturesWithLabels({ data, rows: items.length, cols: 4 }, items)
    const table = buildFeatureTable(stats, corr)
    expect(table[2].bestLabel).toBe('virtue-vs-vice')
    expect(table[2].bestLabelRho).toBeCloseTo(1, 12)
    const ctx = { corr }
    expect(queryFeatureTable(table, { filter: { label: 'virtue-vs-vice', minAbsRho: 0.9 } }, ctx).rows.map((r) => r.feature)).toEqual([2])
    expect(sortFeatureTable(table, 'label:virtue-vs-vice', 'desc', ctx)[0].feature).toBe(2)
    expect(() => sortFeatureTable(table, 'label:nope', 'desc', ctx)).toThrow(/unknown label "nope"/)
    expect(queryFeatureTable(table, { filter: { bestAxis: table[0].bestAxis! } }, ctx).rows.some((r) => r.feature === 0)).toBe(true)
  })
})
