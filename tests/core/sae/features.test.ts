import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { quantileSorted } from '../../../src/core/stats/rank.ts'
import {
  computeFeatureStats,
  encodePooled,
  FeatureStatsAccumulator,
  featureHistogram,
  featureQuantileEdges,
  poolCodes,
  quantileBin,
} from '../../../src/core/sae/features.ts'
import { createSae, encode } from '../../../src/core/sae/model.ts'

/** Sparse codes for texts of random lengths; values on a 0.5 grid so ties happen. */
function plantedCodes(seed: number, nTexts: number, dSae: number) {
  const rng = new Rng(seed)
  const offsets = [0]
  for (let i = 0; i < nTexts; i++) offsets.push(offsets[i] + 1 + rng.int(12))
  const rows = offsets[nTexts]
  const z = new Float32Array(rows * dSae)
  for (let t = 0; t < rows; t++)
    for (let f = 0; f < dSae; f++) if (rng.next() < 0.25 + 0.05 * f) z[t * dSae + f] = 0.5 * (1 + rng.int(8))
  const tokens = Array.from({ length: nTexts }, (_, i) => Array.from({ length: offsets[i + 1] - offsets[i] }, (_, t) => ` w${i}_${t}`))
  return { z, offsets, tokens, rows }
}

describe('feature statistics', () => {
  const dSae = 7
  const nTexts = 60
  const { z, offsets, tokens, rows } = plantedCodes(1, nTexts, dSae)

  function accumulate(options = {}, batches = [0, 13, 14, 40, nTexts]) {
    const acc = new FeatureStatsAccumulator(dSae, options)
    for (let b = 0; b + 1 < batches.length; b++) {
      const a = batches[b]
      const e = batches[b + 1]
      const local = offsets.slice(a, e + 1).map((o) => o - offsets[a])
      acc.addCodes(z.slice(offsets[a] * dSae, offsets[e] * dSae), local, tokens.slice(a, e), tokens.slice(a, e).map((_, k) => `id${a + k}`))
    }
    return acc.finish()
  }

  it('top-N texts from the heap equal a full sort (value desc, earlier text on ties), with per-token activations', () => {
    const topN = 5
    const stats = accumulate({ topN })
    for (let f = 0; f < dSae; f++) {
      const all: { text: number; max: number; arg: number }[] = []
      for (let i = 0; i < nTexts; i++) {
        let max = 0
        let arg = -1
        for (let t = offsets[i]; t < offsets[i + 1]; t++) {
          const v = z[t * dSae + f]
          if (v > max) {
            max = v
            arg = t - offsets[i]
          }
        }
        if (max > 0) all.push({ text: i, max, arg })
      }
      all.sort((a, b) => b.max - a.max || a.text - b.text)
      const expected = all.slice(0, topN)
      const got = stats.top[f]
      expect(got.map((e) => e.text)).toEqual(expected.map((e) => e.text))
      expect(got.map((e) => e.maxActivation)).toEqual(expected.map((e) => e.max))
      expect(got.map((e) => e.maxToken)).toEqual(expected.map((e) => e.arg))
      for (const ex of got) {
        const want = Array.from({ length: offsets[ex.text + 1] - offsets[ex.text] }, (_, t) => z[(offsets[ex.text] + t) * dSae + f])
        expect(Array.from(ex.activations)).toEqual(want)
        expect(ex.tokens).toBe(tokens[ex.text])
        expect(ex.id).toBe(`id${ex.text}`)
      }
    }
    // Ties exist in this data, so the tie-break was exercised.
    expect(stats.top.some((list) => list.some((e, k) => k > 0 && e.maxActivation === list[k - 1].maxActivation))).toBe(true)
  })

  it('batching does not change the result', () => {
    const a = accumulate({ topN: 4, seed: 3 })
    const b = accumulate({ topN: 4, seed: 3 }, [0, nTexts])
    expect(a.top.map((l) => l.map((e) => e.text))).toEqual(b.top.map((l) => l.map((e) => e.text)))
    expect(a.histCounts).toEqual(b.histCounts)
    expect(a.quantileEdges).toEqual(b.quantileEdges)
  })

  it('density, text counts, max and mean activation match a direct count', () => {
    const stats = accumulate()
    expect(stats.nTokens).toBe(rows)
    expect(stats.nTexts).toBe(nTexts)
    for (let f = 0; f < dSae; f++) {
      let count = 0
      let sum = 0
      let max = 0
      let texts = 0
      for (let i = 0; i < nTexts; i++) {
        let fired = false
        for (let t = offsets[i]; t < offsets[i + 1]; t++) {
          const v = z[t * dSae + f]
          if (v !== 0) {
            count++
            sum += v
            max = Math.max(max, v)
            fired = true
          }
        }
        if (fired) texts++
      }
      expect(stats.firingCount[f]).toBe(count)
      expect(stats.density[f]).toBeCloseTo(count / rows, 12)
      expect(stats.textCount[f]).toBe(texts)
      expect(stats.maxActivation[f]).toBe(max)
      expect(stats.meanActivation[f]).toBeCloseTo(sum / count, 12)
    }
  })

  it('histograms are parallel arrays (n counts, n lo/hi, n+1 edges) whose counts match a recount on their own edges', () => {
    const rng = new Rng(5)
    const d = 3
    const n = 500
    // Continuous, skewed activations with a wide range; feature 2 never fires.
    const codes = new Float32Array(n * d)
    for (let t = 0; t < n; t++) {
      codes[t * d] = rng.next() < 0.6 ? Math.exp(3 * rng.normal()) : 0
      codes[t * d + 1] = rng.next() < 0.3 ? 0.01 + rng.next() * 4 : 0
    }
    const acc = new FeatureStatsAccumulator(d, { histogramBins: 25 })
    acc.addCodes(codes, [0, n], [Array.from({ length: n }, () => 'x')])
    const stats = acc.finish()
    for (const f of [0, 1]) {
      const h = featureHistogram(stats, f)
      expect(h.counts.length).toBe(h.lo.length)
      expect(h.hi.length).toBe(h.counts.length)
      expect(h.edges.length).toBe(h.counts.length + 1)
      expect(h.counts.length).toBeLessThanOrEqual(25)
      expect(h.counts.length).toBeGreaterThan(12)
      expect(h.edges[0]).toBe(0)
      const max = stats.maxActivation[f]
      expect(h.lo[h.lo.length - 1]).toBeLessThanOrEqual(max)
      expect(h.hi[h.hi.length - 1]).toBeGreaterThan(max)
      const recount = new Array(h.counts.length).fill(0)
      for (let t = 0; t < n; t++) {
        const v = codes[t * d + f]
        if (v > 0) recount[h.lo.findLastIndex((lo) => v >= lo)]++
      }
      expect(h.counts).toEqual(recount)
      expect(h.counts.reduce((a, b) => a + b, 0)).toBe(stats.firingCount[f])
    }
    const empty = featureHistogram(stats, 2)
    expect(empty.counts).toEqual([])
    expect(empty.edges).toEqual([])
  })

  it('quantile edges are exact below the reservoir size, sampled above it, and bin every top token', () => {
    const exact = accumulate({ reservoirSize: 10_000, quantileBins: 10 })
    const sampled = accumulate({ reservoirSize: 8, quantileBins: 10 })
    for (let f = 0; f < dSae; f++) {
      const pos: number[] = []
      for (let t = 0; t < rows; t++) if (z[t * dSae + f] > 0) pos.push(z[t * dSae + f])
      pos.sort((a, b) => a - b)
      const edges = featureQuantileEdges(exact, f)
      expect(exact.quantileExact[f]).toBe(1)
      expect(edges[0]).toBe(0)
      expect(edges[10]).toBe(exact.maxActivation[f])
      for (let b = 1; b < 10; b++) expect(edges[b]).toBeCloseTo(quantileSorted(pos, b / 10), 12)
      const se = featureQuantileEdges(sampled, f)
      expect(sampled.quantileExact[f]).toBe(0)
      for (let b = 1; b <= 10; b++) expect(se[b]).toBeGreaterThanOrEqual(se[b - 1])
      for (const ex of exact.top[f])
        for (let t = 0; t < ex.activations.length; t++) {
          const a = ex.activations[t]
          const b = ex.bins[t]
          if (a === 0) expect(b).toBe(-1)
          else {
            expect(b).toBeGreaterThanOrEqual(0)
            expect(a).toBeGreaterThanOrEqual(edges[b])
            if (b < 9) expect(a).toBeLessThan(edges[b + 1])
          }
        }
    }
    // The token at the maximum always sits in the top bin.
    expect(quantileBin(5, [0, 1, 2, 5], 0, 3)).toBe(2)
    expect(quantileBin(1.5, [0, 1, 2, 5], 0, 3)).toBe(1)
    expect(quantileBin(0, [0, 1, 2, 5], 0, 3)).toBe(-1)
  })

  it('computeFeatureStats on raw activations equals the accumulator on encode(sae, acts), and reports progress', async () => {
    const rng = new Rng(7)
    const sae = createSae({ architecture: 'topk', k: 3, decoderInitNorm: 1, normalizeDecoder: true, dIn: 6, dSae: 16 }, rng)
    for (let i = 0; i < 16; i++) sae.bEnc[i] = 0.05 * rng.normal()
    const lengths = [3, 300, 1, 7, 260, 2, 9]
    const offs = [0]
    for (const l of lengths) offs.push(offs[offs.length - 1] + l)
    const acts = Float32Array.from({ length: offs[offs.length - 1] * 6 }, () => rng.normal())
    const toks = lengths.map((l, i) => Array.from({ length: l }, (_, t) => `t${i}.${t}`))
    const progress: number[] = []
    const stats = await computeFeatureStats(sae, { acts, offsets: offs, tokens: toks }, { topN: 3, onProgress: (d) => progress.push(d), yieldEveryMs: 0 })
    const ref = new FeatureStatsAccumulator(16, { topN: 3 })
    ref.addCodes(encode(sae, acts), offs, toks)
    const want = ref.finish()
    expect(stats.firingCount).toEqual(want.firingCount)
    expect(stats.histCounts).toEqual(want.histCounts)
    expect(stats.top.map((l) => l.map((e) => [e.text, e.maxActivation]))).toEqual(want.top.map((l) => l.map((e) => [e.text, e.maxActivation])))
    expect(progress[0]).toBe(0)
    expect(progress[progress.length - 1]).toBe(lengths.length)
    await expect(computeFeatureStats(sae, { acts, offsets: offs, tokens: toks.map((t, i) => (i === 2 ? [] : t)) })).rejects.toThrow(/text 2 spans 1 rows but has 0 token strings/)
    const ctrl = new AbortController()
    ctrl.abort()
    await expect(computeFeatureStats(sae, { acts, offsets: offs, tokens: toks }, { signal: ctrl.signal })).rejects.toThrow()
  })

  it('pooled codes: max, mean and last token per text, and encodePooled = poolCodes(encode(...))', async () => {
    // Two texts of 2 and 1 tokens, d_sae = 2.
    const zz = Float32Array.from([1, 0, 3, 2, 0, 5])
    expect(Array.from(poolCodes(zz, [0, 2, 3], 2, 'max').data)).toEqual([3, 2, 0, 5])
    expect(Array.from(poolCodes(zz, [0, 2, 3], 2, 'mean').data)).toEqual([2, 1, 0, 5])
    expect(Array.from(poolCodes(zz, [0, 2, 3], 2, 'last').data)).toEqual([3, 2, 0, 5])
    expect(() => poolCodes(zz, [0, 3, 3], 2, 'max')).toThrow(/text 1 has no tokens/)

    const rng = new Rng(11)
    const sae = createSae({ architecture: 'topk', k: 4, decoderInitNorm: 1, normalizeDecoder: true, dIn: 5, dSae: 12 }, rng)
    const offs = [0, 4, 5, 300, 310]
    const acts = Float32Array.from({ length: 310 * 5 }, () => rng.normal())
    const codes = encode(sae, acts)
    for (const mode of ['max', 'mean', 'last'] as const) {
      const got = await encodePooled(sae, { acts, offsets: offs }, mode)
      const want = poolCodes(codes, offs, 12, mode)
      expect(got.rows).toBe(4)
      expect(got.cols).toBe(12)
      for (let i = 0; i < want.data.length; i++) expect(got.data[i]).toBeCloseTo(want.data[i], 5)
    }
  })
})
