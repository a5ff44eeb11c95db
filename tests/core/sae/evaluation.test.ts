import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { evaluateSaeReconstruction, evaluateSplice, SpliceEvaluator, type SpliceLogits } from '../../../src/core/sae/evaluation.ts'
import { explainedVariance, featureDensity } from '../../../src/core/sae/metrics.ts'
import { createSae, encode, reconstruct } from '../../../src/core/sae/model.ts'

describe('downstream metrics (SAELens evals.py definitions)', () => {
  it('hand-worked: CE on next tokens, KL(original ‖ run) on every position, ce_loss_score and kl_div_score', () => {
    // One text, tokens [0, 2, 1], vocab 3. Original: uniform. Spliced: softmax([ln 2, 0, 0]) = [1/2, 1/4, 1/4]
    // at positions 0 and 1, uniform at position 2. Ablated: softmax([ln 6, 0, 0]) = [3/4, 1/8, 1/8].
    const u = [0, 0, 0]
    const s = [Math.log(2), 0, 0]
    const a = [Math.log(6), 0, 0]
    const batch: SpliceLogits = {
      tokenIds: [0, 2, 1],
      offsets: [0, 3],
      vocabSize: 3,
      original: Float32Array.from([...u, ...u, ...u]),
      spliced: Float32Array.from([...s, ...s, ...u]),
      ablated: Float32Array.from([...a, ...a, ...a]),
    }
    const r = evaluateSplice(batch)
    expect(r.ceTokens).toBe(2)
    expect(r.klTokens).toBe(3)
    expect(r.ceOriginal).toBeCloseTo(Math.log(3), 6)
    expect(r.ceSpliced).toBeCloseTo(Math.log(4), 6) // target probability 1/4 at both positions
    expect(r.ceAblated).toBeCloseTo(Math.log(8), 6)
    expect(r.ceIncrease).toBeCloseTo(Math.log(4 / 3), 6)
    expect(r.ceLossScore).toBeCloseTo(Math.log(2) / Math.log(8 / 3), 6) // 0.706695
    const klS = (Math.log(2 / 3) + 2 * Math.log(4 / 3)) / 3 // 0.056633 per position, 0 at position 2
    const klA = (Math.log(4 / 9) + 2 * Math.log(8 / 3)) / 3 // 0.383576
    expect(r.klSpliced).toBeCloseTo((2 * klS) / 3, 6)
    expect(r.klAblated).toBeCloseTo(klA, 6)
    expect(r.klDivScore).toBeCloseTo((klA - (2 * klS) / 3) / klA, 6)
    expect(Array.from(r.perToken!.klRows)).toEqual([0, 1, 2])
    expect(Array.from(r.perToken!.ceRows)).toEqual([0, 1])
    expect(r.perToken!.klSpliced[2]).toBeCloseTo(0, 7)
  })

  /** Several texts of random logits, split into two batches. */
  function randomBatches(seed: number) {
    const rng = new Rng(seed)
    const V = 11
    const make = (lengths: number[]): SpliceLogits => {
      const offsets = [0]
      for (const l of lengths) offsets.push(offsets[offsets.length - 1] + l)
      const P = offsets[offsets.length - 1]
      const tokenIds = Array.from({ length: P }, () => rng.int(V))
      const original = Float32Array.from({ length: P * V }, () => 3 * rng.normal())
      const spliced = original.map((x) => x + 0.3 * rng.normal())
      const ablated = Float32Array.from({ length: P * V }, () => 2 * rng.normal())
      return { tokenIds, offsets, vocabSize: V, original, spliced, ablated }
    }
    return [make([5, 1, 9]), make([4, 7])]
  }

  /** Naive second implementation: explicit probabilities, no log-sum-exp shift. */
  function naive(batches: SpliceLogits[], ignore: Set<number>) {
    const probs = (x: Float32Array, o: number, V: number) => {
      const e = Array.from({ length: V }, (_, v) => Math.exp(x[o + v]))
      const z = e.reduce((p, q) => p + q, 0)
      return e.map((v) => v / z)
    }
    const ce = [0, 0, 0]
    let nCe = 0
    const kl = [0, 0]
    let nKl = 0
    for (const b of batches) {
      const V = b.vocabSize
      for (let i = 0; i + 1 < b.offsets.length; i++)
        for (let t = b.offsets[i]; t < b.offsets[i + 1]; t++) {
          if (ignore.has(b.tokenIds[t])) continue
          const [p, q, r] = [b.original, b.spliced, b.ablated].map((x) => probs(x, t * V, V))
          kl[0] += p.reduce((acc, pv, v) => acc + pv * Math.log(pv / q[v]), 0)
          kl[1] += p.reduce((acc, pv, v) => acc + pv * Math.log(pv / r[v]), 0)
          nKl++
          if (t + 1 < b.offsets[i + 1]) {
            const target = b.tokenIds[t + 1]
            ;[p, q, r].forEach((d, k) => (ce[k] -= Math.log(d[target])))
            nCe++
          }
        }
    }
    return { ce: ce.map((v) => v / nCe), kl: kl.map((v) => v / nKl), nCe, nKl }
  }

  it('matches a naive implementation over several texts and batches, with ignored token ids', () => {
    const batches = randomBatches(1)
    for (const ignore of [new Set<number>(), new Set([0, 3])]) {
      const ref = naive(batches, ignore)
      const r = evaluateSplice(batches, { ignoreTokenIds: ignore })
      expect(r.ceTokens).toBe(ref.nCe)
      expect(r.klTokens).toBe(ref.nKl)
      expect(r.ceOriginal).toBeCloseTo(ref.ce[0], 5)
      expect(r.ceSpliced).toBeCloseTo(ref.ce[1], 5)
      expect(r.ceAblated).toBeCloseTo(ref.ce[2], 5)
      expect(r.klSpliced).toBeCloseTo(ref.kl[0], 5)
      expect(r.klAblated).toBeCloseTo(ref.kl[1], 5)
      expect(r.ceLossScore).toBeCloseTo((ref.ce[2] - ref.ce[1]) / (ref.ce[2] - ref.ce[0]), 5)
      expect(r.klDivScore).toBeCloseTo((ref.kl[1] - ref.kl[0]) / ref.kl[1], 5)
    }
    // Means pool positions across batches (not a mean of batch means).
    const ev = new SpliceEvaluator({ keepPerToken: true })
    batches.forEach((b) => ev.add(b))
    const pooled = ev.finish()
    const perToken = pooled.perToken!
    expect(pooled.klSpliced).toBeCloseTo(perToken.klSpliced.reduce((a, b) => a + b, 0) / perToken.klSpliced.length, 6)
    expect(perToken.klRows[perToken.klRows.length - 1]).toBe(15 + 11 - 1)
  })

  it('rejects malformed batches with a message naming the field', () => {
    const [b] = randomBatches(2)
    expect(() => evaluateSplice({ ...b, spliced: b.spliced.subarray(1) })).toThrow(/spliced logits have/)
    expect(() => evaluateSplice({ ...b, offsets: [0, 3] })).toThrow(/offsets must start at 0 and end/)
    expect(() => evaluateSplice({ ...b, tokenIds: Array.from(b.tokenIds, (t, i) => (i === 1 ? 99 : t)) })).toThrow(/token id 99 outside the vocabulary/)
  })
})

describe('reconstruction metrics over an evaluation set', () => {
  it('explained variance, MSE, cosine, L0/L1, density, dead and dense fractions match direct computations', async () => {
    const rng = new Rng(3)
    const dIn = 6
    const dSae = 24
    const sae = createSae({ architecture: 'topk', k: 3, decoderInitNorm: 1, normalizeDecoder: true, dIn, dSae }, rng)
    sae.cfg.activationScale = 0.5
    for (let i = 0; i < dSae; i++) sae.bEnc[i] = i < 4 ? -100 : 0.1 * rng.normal() // four latents can never fire
    sae.bEnc[4] = 50 // one fires on every token
    const rows = 700
    const x = Float32Array.from({ length: rows * dIn }, () => rng.normal() + 1)
    const progress: number[] = []
    const r = await evaluateSaeReconstruction(sae, x, { onProgress: (d) => progress.push(d), denseThreshold: 0.5 })
    const xhat = reconstruct(sae, x)
    const z = encode(sae, x)
    expect(r.explainedVariance).toBeCloseTo(explainedVariance(x, xhat, rows, dIn).explainedVariance, 6)
    expect(r.explainedVarianceLegacy).toBeCloseTo(explainedVariance(x, xhat, rows, dIn).explainedVarianceLegacy, 6)
    // SAELens' streaming formula: 1 − E‖x − x̂‖² / (E‖x‖² − ‖E x‖²).
    let sq = 0
    let err = 0
    const mean = new Float64Array(dIn)
    let cos = 0
    for (let t = 0; t < rows; t++) {
      let xx = 0
      let hh = 0
      let xh = 0
      for (let d = 0; d < dIn; d++) {
        const v = x[t * dIn + d]
        sq += v * v
        mean[d] += v / rows
        err += (v - xhat[t * dIn + d]) ** 2
        xx += v * v
        hh += xhat[t * dIn + d] ** 2
        xh += v * xhat[t * dIn + d]
      }
      cos += xh / Math.sqrt(xx * hh)
    }
    const totalVar = sq / rows - mean.reduce((a, m) => a + m * m, 0)
    expect(r.explainedVariance).toBeCloseTo(1 - err / rows / totalVar, 5)
    expect(r.mse).toBeCloseTo(err / rows, 5)
    expect(r.cossim).toBeCloseTo(cos / rows, 5)
    const counts = new Float64Array(dSae)
    let l0 = 0
    let l1 = 0
    for (let t = 0; t < rows; t++)
      for (let f = 0; f < dSae; f++)
        if (z[t * dSae + f] !== 0) {
          counts[f]++
          l0++
          l1 += Math.abs(z[t * dSae + f])
        }
    expect(r.l0).toBeCloseTo(l0 / rows, 10)
    expect(r.l0).toBeLessThanOrEqual(3)
    expect(r.l1).toBeCloseTo(l1 / rows, 4)
    expect(Array.from(r.density.density)).toEqual(Array.from(featureDensity(counts, rows, 0.5).density))
    expect(r.deadFraction).toBeCloseTo(counts.filter((c) => c === 0).length / dSae, 12)
    expect(r.deadFraction).toBeGreaterThanOrEqual(4 / dSae)
    expect(r.denseFraction).toBeCloseTo(counts.filter((c) => c / rows > 0.5).length / dSae, 12)
    expect(r.denseFraction).toBeGreaterThanOrEqual(1 / dSae)
    expect(r.density.histogram.counts.length + 1).toBe(r.density.histogram.edges.length)
    expect(progress[progress.length - 1]).toBe(rows)
  })
})
