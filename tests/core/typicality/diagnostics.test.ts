import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { adjustedR2 } from '../../../src/core/stats/ridge.ts'
import { spearman } from '../../../src/core/stats/correlation.ts'
import { CORE_FOUNDATIONS, MORAL_VECTOR_DIM, type StimulusItem } from '../../../src/core/stimuli/types.ts'
import {
  computeLayerDiagnostics,
  computeTypicalityDiagnostics,
  createTypicalityState,
  type LayerActivations,
  type TypicalityOptions,
} from '../../../src/core/typicality/diagnostics.ts'

const D = 48

/** perCell items in each of the 10 categories plus `neutral` neutral items. */
function makeItems(rng: Rng, perCell: number, neutral: number): StimulusItem[] {
  const items: StimulusItem[] = []
  for (let c = 0; c < 10; c++) {
    for (let k = 0; k < perCell; k++) {
      const typicality = 0.05 + 0.95 * rng.next()
      const moralVector = new Array(MORAL_VECTOR_DIM).fill(0)
      moralVector[c] = typicality
      items.push({
        id: `c${c}-${k}`,
        text: `item ${c}/${k}`,
        foundation: CORE_FOUNDATIONS[c >> 1],
        polarity: c % 2 === 0 ? 'virtue' : 'vice',
        typicality,
        moralVector,
      })
    }
  }
  for (let k = 0; k < neutral; k++) {
    const moralVector = new Array(MORAL_VECTOR_DIM).fill(0)
    items.push({ id: `n${k}`, text: `neutral ${k}`, polarity: 'neutral', moralVector })
  }
  return items
}

function unit(rng: Rng, d = D): Float64Array {
  const v = Float64Array.from({ length: d }, () => rng.normal())
  const n = Math.hypot(...v)
  return v.map((x) => x / n)
}

/** Activations: offset + noise + Σ planted terms, one row per item. */
function activations(
  rng: Rng,
  items: StimulusItem[],
  planted: (item: StimulusItem, i: number) => Float64Array | null,
  noise = 1,
  offset?: Float64Array,
): Float32Array {
  const data = new Float32Array(items.length * D)
  items.forEach((item, i) => {
    const p = planted(item, i)
    for (let t = 0; t < D; t++) data[i * D + t] = (offset?.[t] ?? 0) + noise * rng.normal() + (p?.[t] ?? 0)
  })
  return data
}

function layer(data: Float32Array, items: StimulusItem[], l = 0): LayerActivations {
  return { hook: `blocks.${l}.hook_resid_post`, layer: l, acts: { data, rows: items.length, cols: D } }
}

const fast: TypicalityOptions = { bootstrap: 200, pcaDims: 20, seed: 1 }

function category(item: StimulusItem): number {
  return CORE_FOUNDATIONS.indexOf(item.foundation as never) * 2 + (item.polarity === 'vice' ? 1 : 0)
}

function hasNaN(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value)
  if (Array.isArray(value)) return value.some(hasNaN)
  if (value && typeof value === 'object') return Object.values(value).some(hasNaN)
  return false
}

describe('categorical', () => {
  it('opposite virtue/vice directions: centred cosine ≈ −1; a shared offset makes raw cosine high', async () => {
    const rng = new Rng(1)
    const items = makeItems(rng, 20, 20)
    const dirs = CORE_FOUNDATIONS.map(() => unit(rng))
    const offset = unit(rng).map((v) => 30 * v)
    const data = activations(
      rng,
      items,
      (item) => {
        if (item.polarity === 'neutral') return null
        const sign = item.polarity === 'virtue' ? 3 : -3
        return dirs[category(item) >> 1].map((v) => sign * v)
      },
      0.5,
      offset,
    )
    const report = await computeTypicalityDiagnostics([layer(data, items)], items, fast)
    const cat = report.layers[0].categorical
    for (const c of cat.centroidCosine) {
      expect(c.centred).toBeLessThan(-0.95)
      expect(c.uncentred).toBeGreaterThan(0.9)
      expect(c.nVirtue).toBe(20)
    }
    // Independent check of one foundation: centroids from scratch on centred rows.
    const mean = new Float64Array(D)
    items.forEach((_, i) => {
      for (let t = 0; t < D; t++) mean[t] += data[i * D + t] / items.length
    })
    const centroid = (pred: (it: StimulusItem) => boolean, centred: boolean) => {
      const out = new Float64Array(D)
      const rows = items.map((it, i) => (pred(it) ? i : -1)).filter((i) => i >= 0)
      for (const i of rows) {
        for (let t = 0; t < D; t++) out[t] += (data[i * D + t] - (centred ? mean[t] : 0)) / rows.length
      }
      return out
    }
    const cos = (a: Float64Array, b: Float64Array) =>
      a.reduce((s, v, t) => s + v * b[t], 0) / Math.hypot(...a) / Math.hypot(...b)
    for (const centred of [true, false]) {
      const v = centroid((it) => it.foundation === 'loyalty' && it.polarity === 'virtue', centred)
      const w = centroid((it) => it.foundation === 'loyalty' && it.polarity === 'vice', centred)
      expect(cat.centroidCosine[2][centred ? 'centred' : 'uncentred']).toBeCloseTo(cos(v, w), 5)
    }
    expect(cat.meanCentroidCosine.centred).toBeCloseTo(cat.centroidCosine.reduce((s, c) => s + c.centred!, 0) / 5, 12)
    expect(cat.virtueViceSilhouette.value).toBeGreaterThan(0.05)
    expect(cat.polaritySilhouette.labels.sort()).toEqual(['neutral', 'vice', 'virtue'])
    expect(cat.polaritySilhouette.n).toBe(items.length)
    expect(cat.virtueViceSilhouette.n).toBe(200)
  })
})

describe('gradient', () => {
  it('typicality along the category direction: ρ ≈ 1; weaker virtue grading, positive asymmetry', async () => {
    const rng = new Rng(2)
    const items = makeItems(rng, 25, 30)
    const dirs = Array.from({ length: 10 }, () => unit(rng))
    const data = activations(
      rng,
      items,
      (item) => {
        if (item.polarity === 'neutral') return null
        const c = category(item)
        // Vice: typicality read out cleanly; virtue: a noisy, weaker copy.
        const t = item.polarity === 'vice' ? item.typicality! : 0.3 * item.typicality! + 0.25 * rng.normal()
        return dirs[c].map((v) => 6 * (0.5 + t) * v)
      },
      0.3,
    )
    const report = await computeTypicalityDiagnostics([layer(data, items)], items, fast)
    const g = report.layers[0].gradient
    expect(g.categories).toHaveLength(10)
    for (const c of g.categories) {
      expect(c.n).toBe(25)
      if (c.polarity === 'vice') expect(c.rho).toBeGreaterThan(0.95)
      expect(c.ci![0]).toBeLessThanOrEqual(c.rho!)
      expect(c.ci![1]).toBeGreaterThanOrEqual(c.rho!)
    }
    expect(g.asymmetry).toBeGreaterThan(0.2)
    const vice = g.categories.filter((c) => c.polarity === 'vice').map((c) => c.rho!)
    const virtue = g.categories.filter((c) => c.polarity === 'virtue').map((c) => c.rho!)
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length
    expect(g.asymmetry).toBeCloseTo(mean(vice) - mean(virtue), 12)

    // Independent recomputation for care.vice: centred rows projected on (μ_c − μ_neutral).
    const mu = new Float64Array(D)
    items.forEach((_, i) => {
      for (let t = 0; t < D; t++) mu[t] += data[i * D + t] / items.length
    })
    const rowsOf = (pred: (it: StimulusItem) => boolean) =>
      items.map((it, i) => (pred(it) ? i : -1)).filter((i) => i >= 0)
    const inCat = rowsOf((it) => it.foundation === 'care' && it.polarity === 'vice')
    const neutral = rowsOf((it) => it.polarity === 'neutral')
    const mean2 = (rows: number[]) =>
      Array.from({ length: D }, (_, t) => rows.reduce((s, i) => s + data[i * D + t] - mu[t], 0) / rows.length)
    const a = mean2(inCat)
    const b = mean2(neutral)
    const dir = a.map((v, t) => v - b[t])
    const proj = inCat.map((i) => dir.reduce((s, v, t) => s + v * (data[i * D + t] - mu[t]), 0))
    expect(g.categories[1].category).toBe('care.vice')
    expect(g.categories[1].rho).toBeCloseTo(spearman(proj, inCat.map((i) => items[i].typicality!)), 10)
  })
})

describe('structural, dimensional and RSA', () => {
  it('planted structure: polarity clusters (ARI 1), a linearly embedded moral vector (R² ≈ 1)', async () => {
    const rng = new Rng(3)
    const items = makeItems(rng, 20, 30)
    const polarityDirs = { virtue: unit(rng), vice: unit(rng), neutral: unit(rng) }
    const embed = Array.from({ length: MORAL_VECTOR_DIM }, () => unit(rng))
    const data = activations(
      rng,
      items,
      (item) => {
        const out = polarityDirs[item.polarity!].map((v) => 12 * v)
        item.moralVector!.forEach((g, k) => embed[k].forEach((v, t) => (out[t] += 10 * g * v)))
        return out
      },
      0.3,
    )
    for (const pcaDims of [20, null]) {
      const report = await computeTypicalityDiagnostics([layer(data, items)], items, { ...fast, pcaDims })
      const l = report.layers[0]
      expect(l.basis.kind).toBe(pcaDims ? 'pca' : 'full')
      expect(l.basis.dims).toBe(pcaDims ?? D)
      expect(l.structural.polarity.ari).toBe(1)
      expect(l.structural.polarity.k).toBe(3)
      expect(l.structural.foundation.k).toBe(5)
      expect(l.structural.foundation.n).toBe(200)
      expect(l.dimensional.r2Cv).toBeGreaterThan(0.9)
      expect(l.dimensional.p).toBe(pcaDims ?? D)
      expect(l.dimensional.r2CvAdjusted).toBeCloseTo(adjustedR2(l.dimensional.r2Cv!, items.length, l.dimensional.p), 12)
      expect(l.dimensional.r2CvPerOutput).toHaveLength(10)
      expect(l.rsa.rho).toBeGreaterThan(0)
      expect(l.rsa.nItems).toBe(items.length)
    }
  })

  it('RSA: geometry built from the moral vectors matches the ground truth and a direct computation', async () => {
    const rng = new Rng(7)
    const items = makeItems(rng, 15, 20)
    const embed = Array.from({ length: MORAL_VECTOR_DIM }, () => unit(rng))
    const data = activations(
      rng,
      items,
      (item) => {
        const out = new Float64Array(D)
        item.moralVector!.forEach((g, k) => embed[k].forEach((v, t) => (out[t] += 10 * g * v)))
        return out
      },
      0.2,
    )
    const options = { ...fast, pcaDims: null, rsaModelMetric: 'euclidean' as const }
    const l = (await computeTypicalityDiagnostics([layer(data, items)], items, options)).layers[0]
    expect(l.rsa.rho).toBeGreaterThan(0.9)
    const model: number[] = []
    const truth: number[] = []
    for (let i = 0; i < items.length; i++)
      for (let j = i + 1; j < items.length; j++) {
        let m = 0
        for (let t = 0; t < D; t++) m += (data[i * D + t] - data[j * D + t]) ** 2
        model.push(Math.sqrt(m))
        truth.push(Math.hypot(...items[i].moralVector!.map((g, k) => g - items[j].moralVector![k])))
      }
    expect(l.rsa.rho).toBeCloseTo(spearman(model, truth), 6)
    const reduced = (await computeTypicalityDiagnostics([layer(data, items)], items, fast)).layers[0]
    expect(reduced.rsa.modelMetric).toBe('cosine')
    expect(reduced.rsa.rho).toBeGreaterThan(0.3)
  })

  it('planted foundation directions give foundation clusters with ARI 1', async () => {
    const rng = new Rng(6)
    const items = makeItems(rng, 20, 30)
    const dirs = CORE_FOUNDATIONS.map(() => unit(rng))
    const planted = (item: StimulusItem) => (item.foundation ? dirs[category(item) >> 1].map((v) => 10 * v) : null)
    const data = activations(rng, items, planted, 0.5)
    for (const kmeansMetric of ['euclidean', 'cosine'] as const) {
      const l = (await computeTypicalityDiagnostics([layer(data, items)], items, { ...fast, kmeansMetric })).layers[0]
      expect(l.structural.foundation.ari).toBe(1)
    }
  })

  it('pure noise: ARI ≈ 0, cross-validated R² ≤ ~0, RSA ≈ 0', async () => {
    const rng = new Rng(4)
    const items = makeItems(rng, 25, 40)
    const data = activations(rng, items, () => null)
    const l = (await computeTypicalityDiagnostics([layer(data, items)], items, fast)).layers[0]
    expect(Math.abs(l.structural.polarity.ari!)).toBeLessThan(0.05)
    expect(Math.abs(l.structural.foundation.ari!)).toBeLessThan(0.05)
    expect(l.dimensional.r2Cv).toBeLessThan(0.02)
    expect(l.dimensional.r2CvAdjusted!).toBeLessThan(l.dimensional.r2Cv!)
    expect(Math.abs(l.rsa.rho!)).toBeLessThan(0.1)
    for (const c of l.gradient.categories) expect(Math.abs(c.rho!)).toBeLessThan(0.75)
  })
})

describe('the report', () => {
  const rng = new Rng(5)
  const items = makeItems(rng, 12, 15)
  const layers = [0, 1, 2].map((l) => layer(activations(rng, items, () => null), items, l))

  it('is plain JSON without NaN, deterministic under a seed, and reports progress per layer', async () => {
    const progress: [number, number][] = []
    const onProgress = (done: number, total: number) => progress.push([done, total])
    const report = await computeTypicalityDiagnostics(layers, items, { ...fast, onProgress })
    expect(progress).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
      [3, 3],
    ])
    expect(JSON.parse(JSON.stringify(report))).toEqual(report)
    expect(hasNaN(report)).toBe(false)
    expect(report.layers.map((l) => l.hook)).toEqual([0, 1, 2].map((l) => `blocks.${l}.hook_resid_post`))
    expect(report.counts.byPolarity).toEqual({ virtue: 60, vice: 60, neutral: 15, unlabelled: 0 })
    expect(await computeTypicalityDiagnostics(layers, items, fast)).toEqual(report)
    const other = await computeTypicalityDiagnostics(layers, items, { ...fast, seed: 2 })
    expect(other.layers[0].gradient.categories[0].ci).not.toEqual(report.layers[0].gradient.categories[0].ci)
    // A layer's numbers do not depend on which other layers ran.
    const alone = computeLayerDiagnostics(layers[2], createTypicalityState(items, fast))
    expect(alone).toEqual(report.layers[2])
  })

  it('stops when aborted', async () => {
    const controller = new AbortController()
    const run = computeTypicalityDiagnostics(layers, items, {
      ...fast,
      signal: controller.signal,
      onProgress: (done) => done === 1 && controller.abort(),
    })
    await expect(run).rejects.toThrow()
  })

  it('skips what the labels do not support, with reasons, instead of throwing', async () => {
    const partial: StimulusItem[] = items.map((it, i) =>
      i % 3 === 0 ? { id: it.id, text: it.text, polarity: it.polarity } : { id: it.id, text: it.text },
    )
    const l = (await computeTypicalityDiagnostics(layers.slice(0, 1), partial, fast)).layers[0]
    expect(l.categorical.centroidCosine.every((c) => c.centred === null && c.reason)).toBe(true)
    expect(l.categorical.polaritySilhouette.value).not.toBeNull()
    expect(l.gradient.categories.every((c) => c.rho === null && c.reason)).toBe(true)
    expect(l.gradient.asymmetry).toBeNull()
    expect(l.structural.polarity.ari).not.toBeNull()
    expect(l.structural.foundation.reason).toMatch(/label kinds/)
    expect(l.dimensional.r2Cv).toBeNull()
    expect(l.dimensional.reason).toMatch(/moral vector/)
    expect(l.rsa.reason).toMatch(/moral vector/)

    const noNeutral = items.filter((it) => it.polarity !== 'neutral')
    const rows = items.map((it, i) => (it.polarity !== 'neutral' ? i : -1)).filter((i) => i >= 0)
    const data = new Float32Array(rows.length * D)
    rows.forEach((i, r) => data.set(layers[0].acts.data.subarray(i * D, (i + 1) * D), r * D))
    const g = (await computeTypicalityDiagnostics([layer(data, noNeutral)], noNeutral, fast)).layers[0].gradient
    expect(g.categories[0].reason).toMatch(/neutral/)
  })

  it('subsamples RSA above rsaMaxItems, the same items in every layer', async () => {
    const report = await computeTypicalityDiagnostics(layers, items, { ...fast, rsaMaxItems: 50 })
    for (const l of report.layers) {
      expect(l.rsa.nItems).toBe(50)
      expect(l.rsa.nAvailable).toBe(items.length)
      expect(l.rsa.nPairs).toBe(1225)
    }
  })

  it('throws clear errors for unusable input', async () => {
    const unlabelled = items.map((it) => ({ id: it.id, text: it.text }))
    await expect(computeTypicalityDiagnostics(layers, unlabelled, fast)).rejects.toThrow(/nothing can be computed/)
    await expect(computeTypicalityDiagnostics([], items, fast)).rejects.toThrow(/no layers/)
    const short = { ...layers[0], acts: { ...layers[0].acts, rows: 10, data: layers[0].acts.data.subarray(0, 10 * D) } }
    await expect(computeTypicalityDiagnostics([short], items, fast)).rejects.toThrow(
      /blocks\.0\.hook_resid_post.*10 rows.*135/,
    )
    const bad = Float32Array.from(layers[0].acts.data)
    bad[3 * D + 7] = NaN
    await expect(computeTypicalityDiagnostics([layer(bad, items)], items, fast)).rejects.toThrow(/row 3 column 7/)
    const badVector = items.map((it, i) => (i === 4 ? { ...it, moralVector: [1, 2] } : it))
    await expect(computeTypicalityDiagnostics(layers, badVector, fast)).rejects.toThrow(/item 4 .*moralVector/)
    await expect(computeTypicalityDiagnostics(layers, items, { folds: 1 })).rejects.toThrow(/option folds/)
  })
})
