import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { representationalDissimilarity } from '../../../src/core/stats/rsa.ts'
import {
  applyEdit,
  type DecoderView,
  fitRealignment,
  prepareRealignment,
  type RealignmentInput,
  realignmentLoss,
} from '../../../src/core/sae/realign.ts'

/** Random problem: n items, some neutral (g = 0), one without a vector. */
function randomInput(seed: number, n: number, dIn: number, dSae: number, features: number[], scale = 1): RealignmentInput {
  const rng = new Rng(seed)
  const decoder = Float32Array.from({ length: dSae * dIn }, () => rng.normal() / Math.sqrt(dIn))
  const sae: DecoderView = { decoder, cfg: { dIn, dSae, activationScale: scale } }
  const z = Float32Array.from({ length: n * dSae }, () => (rng.next() < 0.6 ? rng.next() * 2 : 0))
  const h = Float32Array.from({ length: n * dIn }, () => rng.normal() + 0.5)
  const moralVectors = Array.from({ length: n }, (_, i) => {
    if (i === 1) return null
    if (i % 5 === 0) return new Array(10).fill(0)
    return Array.from({ length: 10 }, () => (rng.next() < 0.3 ? rng.next() : 0)).map((v, a) => (a === i % 10 ? v + 0.5 : v))
  })
  return { features, z, h, sae, moralVectors }
}

function nearIdentity(s: number, seed: number, spread = 0.3): Float64Array {
  const rng = new Rng(seed)
  const M = new Float64Array(s * s)
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) M[a * s + b] = (a === b ? 1 : 0) + spread * rng.normal()
  return M
}

function finiteDifferenceCheck(input: RealignmentInput, options: Parameters<typeof prepareRealignment>[1], seed: number) {
  const p = prepareRealignment(input, options)
  const s = p.s
  const M = nearIdentity(s, seed)
  const grad = new Float64Array(s * s)
  realignmentLoss(p, M, grad)
  const eps = 1e-6
  let maxErr = 0
  let maxGrad = 0
  for (let k = 0; k < s * s; k++) {
    const plus = Float64Array.from(M)
    const minus = Float64Array.from(M)
    plus[k] += eps
    minus[k] -= eps
    const fd = (realignmentLoss(p, plus).loss - realignmentLoss(p, minus).loss) / (2 * eps)
    maxErr = Math.max(maxErr, Math.abs(fd - grad[k]))
    maxGrad = Math.max(maxGrad, Math.abs(grad[k]))
  }
  return { maxErr, maxGrad }
}

describe('topology re-alignment: loss and gradient', () => {
  const input = randomInput(1, 16, 9, 7, [4, 1, 6, 2], 1.7)

  it('analytic gradient = central finite differences (float64), cosine target, no validation split', () => {
    const { maxErr, maxGrad } = finiteDifferenceCheck(input, { lambda: 0.3, validationFraction: 0 }, 2)
    expect(maxGrad).toBeGreaterThan(1e-3)
    expect(maxErr / maxGrad).toBeLessThan(1e-6)
  })

  it('analytic gradient = finite differences with a validation split and the centred-cosine target', () => {
    const big = randomInput(3, 30, 8, 6, [0, 5, 3])
    const a = finiteDifferenceCheck(big, { lambdaRelative: 0.5, validationFraction: 0.3, seed: 4 }, 5)
    expect(a.maxErr / a.maxGrad).toBeLessThan(1e-6)
    const b = finiteDifferenceCheck(big, { lambdaRelative: 0.5, target: 'centred-cosine', validationFraction: 0 }, 6)
    expect(b.maxErr / b.maxGrad).toBeLessThan(1e-6)
  })

  it('the Gram-expansion RDM equals representationalDissimilarity of explicitly edited, centred activations', () => {
    const p = prepareRealignment(input, { lambda: 0.3, validationFraction: 0 })
    const { dIn } = input.sae.cfg
    const n = input.moralVectors.length
    const M = nearIdentity(4, 7)
    const delta = applyEdit(M, input.features, input.sae, input.z)
    const edited = new Float64Array(n * dIn)
    for (let t = 0; t < edited.length; t++) edited[t] = input.h[t] + delta[t]
    const mean = new Float64Array(dIn)
    for (let i = 0; i < n; i++) for (let d = 0; d < dIn; d++) mean[d] += edited[i * dIn + d] / n
    const rows = Array.from(p.rsaItems)
    const X = new Float64Array(rows.length * dIn)
    rows.forEach((i, k) => {
      for (let d = 0; d < dIn; d++) X[k * dIn + d] = edited[i * dIn + d] - mean[d]
    })
    const direct = representationalDissimilarity({ data: X, rows: rows.length, cols: dIn }, 'cosine')
    const l = realignmentLoss(p, M)
    for (let q = 0; q < direct.length; q++) expect(1 - l.similarity[q]).toBeCloseTo(direct[q], 5)
    let sq = 0
    for (let t = 0; t < delta.length; t++) sq += delta[t] * delta[t]
    expect(l.editMeanSquared).toBeCloseTo(sq / n, 5)
    // RDM items: all but the neutral (every 5th) and the one without a vector.
    expect(rows).toEqual([2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14])
    expect(p.zeroVector).toBe(4)
    expect(p.withoutVector).toBe(1)
  })

  it('applyEdit: zero at the identity, scaled by 1/activationScale, one delta per row (tokens or items)', () => {
    const { sae, z, features } = input
    expect(applyEdit([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], features, sae, z).every((v) => v === 0)).toBe(true)
    const M = nearIdentity(4, 9)
    const a = applyEdit(M, features, sae, z)
    const b = applyEdit(M, features, { ...sae, cfg: { ...sae.cfg, activationScale: 1 } }, z)
    for (let t = 0; t < a.length; t++) expect(a[t] * 1.7).toBeCloseTo(b[t], 5)
    // Row 0 by hand: Σ_a ((M − I) z_S)_a W_dec[S_a] / scale.
    const dIn = sae.cfg.dIn
    const zS = features.map((f) => z[f])
    for (let d = 0; d < dIn; d++) {
      let v = 0
      for (let r = 0; r < 4; r++) {
        let u = -zS[r]
        for (let c = 0; c < 4; c++) u += M[r * 4 + c] * zS[c]
        v += (u * sae.decoder[features[r] * dIn + d]) / 1.7
      }
      expect(a[d]).toBeCloseTo(v, 5)
    }
    expect(() => applyEdit(M, [0, 0, 1, 2], sae, z)).toThrow(/selected twice/)
    expect(() => applyEdit(M.subarray(0, 9), features, sae, z)).toThrow(/expected 4×4/)
  })
})

/**
 * Four categories whose features decode to two nearly parallel pairs of directions: the model
 * cannot tell care.virtue from care.vice (or fairness.virtue from fairness.vice), the ground truth
 * says they are orthogonal. A map on the four features can separate them.
 */
function plantedGeometry(seed: number) {
  const rng = new Rng(seed)
  const dIn = 12
  const dSae = 10
  const perCat = 12
  const axes = [0, 1, 2, 3]
  const unit = (v: number[]) => {
    const norm = Math.hypot(...v)
    return v.map((x) => x / norm)
  }
  const e = (k: number) => Array.from({ length: dIn }, (_, d) => (d === k ? 1 : 0))
  const rowsW = [e(0), unit(e(0).map((x, d) => x + 0.25 * e(1)[d])), e(2), unit(e(2).map((x, d) => x + 0.25 * e(3)[d]))]
  for (let f = 4; f < dSae; f++) rowsW.push(unit(Array.from({ length: dIn }, () => rng.normal())))
  const decoder = Float32Array.from(rowsW.flat())
  const offset = Array.from({ length: dIn }, () => 3 * rng.normal())
  const z: number[] = []
  const h: number[] = []
  const moralVectors: number[][] = []
  const add = (cat: number) => {
    const t = cat < 0 ? 0 : 0.4 + 0.6 * rng.next()
    const zi = Array.from({ length: dSae }, (_, f) => (f >= 4 && rng.next() < 0.3 ? rng.next() : f < 4 ? 0.03 * rng.next() : 0))
    if (cat >= 0) zi[cat] += t
    const g = new Array(10).fill(0)
    if (cat >= 0) g[axes[cat]] = t
    const hi = offset.map((o, d) => o + 0.03 * rng.normal() + zi.reduce((acc, v, f) => acc + v * decoder[f * dIn + d], 0))
    z.push(...zi)
    h.push(...hi)
    moralVectors.push(g)
  }
  for (let c = 0; c < 4; c++) for (let k = 0; k < perCat; k++) add(c)
  for (let k = 0; k < 8; k++) add(-1)
  const input: RealignmentInput = {
    features: [0, 1, 2, 3],
    z: Float32Array.from(z),
    h: Float32Array.from(h),
    sae: { decoder, cfg: { dIn, dSae, activationScale: 1 } },
    moralVectors,
  }
  return input
}

describe('topology re-alignment: fitting', () => {
  it('a planted geometry the map can fix: RSA after > RSA before, on held-out items too', async () => {
    const input = plantedGeometry(11)
    const progress: number[] = []
    const opts = { lambdaRelative: 0.01, learningRate: 0.05, maxSteps: 300, patience: 300, seed: 1 }
    const result = await fitRealignment(input, { ...opts, onProgress: (d: number) => progress.push(d) })
    expect(result.rsa.all.before!).toBeLessThan(0.4)
    expect(result.rsa.all.after!).toBeGreaterThan(result.rsa.all.before! + 0.25)
    expect(result.rsa.fit.after!).toBeGreaterThan(result.rsa.fit.before! + 0.25)
    expect(result.rsa.validation!.after!).toBeGreaterThan(result.rsa.validation!.before! + 0.25)
    expect(result.rdmLoss.after).toBeLessThan(0.6 * result.rdmLoss.before)
    expect(result.items.zeroVector).toBe(8)
    expect(result.items.validation.length).toBe(10)
    expect(result.history.loss[0]).toBeGreaterThan(result.history.loss[result.bestStep])
    expect(result.editNorm.relativeRms).toBeGreaterThan(0)
    expect(progress[progress.length - 1]).toBe(result.steps)
    // Deterministic for a seed.
    const again = await fitRealignment(input, opts)
    expect(Array.from(again.M)).toEqual(Array.from(result.M))
  })

  it('a large edit penalty keeps M at the identity-ish and the edit small', async () => {
    const input = plantedGeometry(12)
    const free = await fitRealignment(input, { lambdaRelative: 0.01, learningRate: 0.05, maxSteps: 150, validationFraction: 0 })
    const tight = await fitRealignment(input, { lambdaRelative: 100, learningRate: 0.05, maxSteps: 150, validationFraction: 0 })
    expect(tight.editNorm.relativeRms).toBeLessThan(free.editNorm.relativeRms / 3)
    expect(tight.rsa.validation).toBeNull()
  })

  it('early stopping, cancellation and input errors', async () => {
    const input = plantedGeometry(13)
    const r = await fitRealignment(input, { lambdaRelative: 1, learningRate: 0.05, maxSteps: 5000, patience: 5, tolerance: 1e-3 })
    expect(r.stoppedEarly).toBe(true)
    expect(r.steps).toBeLessThan(5000)
    const ctrl = new AbortController()
    ctrl.abort()
    await expect(fitRealignment(input, { signal: ctrl.signal })).rejects.toThrow()
    expect(() => prepareRealignment({ ...input, features: [0, 99] })).toThrow(/feature 99 is not an index/)
    expect(() => prepareRealignment({ ...input, h: input.h.subarray(1) })).toThrow(/h has/)
    const bad = input.moralVectors.map((g, i) => (i === 3 ? [1, 2] : g))
    expect(() => prepareRealignment({ ...input, moralVectors: bad })).toThrow(/item 3 moralVector has 2 values/)
  })
})
