import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { createSae, decode, encode, reconstruct } from '../../../src/core/sae/model.ts'
import {
  activationScaleFor,
  arraySource,
  BatchOrder,
  createPauseController,
  geometricMedian,
  geometricMedianAsync,
  trainSae,
  type SaeStepMetrics,
} from '../../../src/core/sae/train.ts'

function gaussianData(seed: number, n: number, dIn: number, offset = 2): Float32Array {
  const rng = new Rng(seed)
  return Float32Array.from({ length: n * dIn }, (_, i) => rng.normal() * (1 + (i % dIn) / dIn) + offset)
}

const small = { expansionFactor: 4, k: 4, batchSize: 32, lr: 3e-3 }

describe('trainSae', () => {
  const dIn = 12
  const data = gaussianData(3, 400, dIn)

  it('is deterministic under a seed (init and batch order)', async () => {
    const a = await trainSae(arraySource(data, dIn), { ...small, steps: 15, seed: 9 })
    const b = await trainSae(arraySource(data, dIn), { ...small, steps: 15, seed: 9 })
    const c = await trainSae(arraySource(data, dIn), { ...small, steps: 15, seed: 10 })
    expect(Array.from(a.sae.encoder)).toEqual(Array.from(b.sae.encoder))
    expect(Array.from(a.sae.decoder)).toEqual(Array.from(b.sae.decoder))
    expect(Array.from(a.sae.bDec)).toEqual(Array.from(b.sae.bDec))
    expect(a.history.map((m) => m.loss)).toEqual(b.history.map((m) => m.loss))
    expect(Array.from(a.sae.decoder)).not.toEqual(Array.from(c.sae.decoder))
  })

  it('keeps TopK decoder rows at unit norm; the standard SAE follows SAELens (no constraint, init norm 0.1)', async () => {
    const t = await trainSae(arraySource(data, dIn), { ...small, steps: 20 })
    for (let i = 0; i < t.sae.cfg.dSae; i++) {
      let ss = 0
      for (let d = 0; d < dIn; d++) ss += t.sae.decoder[i * dIn + d] ** 2
      expect(Math.sqrt(ss)).toBeCloseTo(1, 5)
    }
    const s0 = await trainSae(arraySource(data, dIn), { ...small, architecture: 'standard', steps: 0 })
    expect(Math.hypot(...s0.sae.decoder.subarray(0, dIn))).toBeCloseTo(0.1, 6)
    expect(Array.from(s0.sae.encoder)).toEqual(Array.from(s0.sae.decoder))
    const s = await trainSae(arraySource(data, dIn), { ...small, architecture: 'standard', steps: 20, l1Coefficient: 0.1 })
    expect(s.history.at(-1)!.l1Loss).toBeGreaterThan(0)
  })

  it('initialises the TopK encoder as decoder_init_norm · decoderᵀ with unit decoder rows', () => {
    const sae = createSae({ dIn: 3, dSae: 4, architecture: 'topk', k: 2, decoderInitNorm: 0.1, normalizeDecoder: true }, new Rng(1))
    for (let i = 0; i < 12; i++) expect(sae.encoder[i]).toBeCloseTo(0.1 * sae.decoder[i], 7)
    expect(Math.hypot(...sae.decoder.subarray(3, 6))).toBeCloseTo(1, 6)
  })

  it('normalises activations to mean norm sqrt(d_in) and initialises b_dec from the scaled data', async () => {
    const n = 400
    const r = await trainSae(arraySource(data, dIn), { ...small, steps: 0, bDecInit: 'mean', normEstimateTokens: n, bDecInitTokens: n })
    let sumNorm = 0
    const mean = new Float64Array(dIn)
    for (let t = 0; t < n; t++) {
      sumNorm += Math.hypot(...data.subarray(t * dIn, (t + 1) * dIn))
      for (let d = 0; d < dIn; d++) mean[d] += data[t * dIn + d] / n
    }
    const s = r.sae.cfg.activationScale
    expect(s).toBeCloseTo(Math.sqrt(dIn) / (sumNorm / n), 5)
    for (let d = 0; d < dIn; d++) expect(r.sae.bDec[d]).toBeCloseTo(mean[d] * s, 5)
    const none = await trainSae(arraySource(data, dIn), { ...small, steps: 0, normalizeActivations: 'none', bDecInit: 'zeros' })
    expect(none.sae.cfg.activationScale).toBe(1)
    expect(Array.from(none.sae.bDec).every((v) => v === 0)).toBe(true)
  })

  it('estimates the scale from a sample read in chunks: the same value as from the whole sample at once', async () => {
    // 9,000 sampled rows of 10,000 span three 4,096-row chunks; the sample is drawn as trainSae draws it
    const d = 4
    const rows = gaussianData(5, 10_000, d, 0.5)
    const seed = 4
    const r = await trainSae(arraySource(rows, d), { ...small, steps: 0, seed, bDecInit: 'zeros', normEstimateTokens: 9000 })
    const rng = new Rng(seed)
    rng.fork() // the initial weights' stream
    const picked = new BatchOrder(10_000, rng.fork()).next(new Int32Array(9000))
    const sample = new Float32Array(9000 * d)
    picked.forEach((i, r) => sample.set(rows.subarray(i * d, (i + 1) * d), r * d))
    expect(r.sae.cfg.activationScale).toBe(activationScaleFor(sample, d))
  })

  it('geometric median (Weiszfeld) on hand-worked cases', async () => {
    expect(geometricMedian(Float32Array.of(0, 1, 10), 1)[0]).toBeCloseTo(1, 4)
    const square = Float32Array.of(0, 0, 2, 0, 0, 2, 2, 2, 1, 1, 50, 50)
    // the outlier (50, 50) drags the mean to (9.2, 9.2) but barely moves the median off (1, 1)
    const gm = geometricMedian(square, 2)
    expect(gm[0]).toBeGreaterThan(1)
    expect(gm[0]).toBeLessThan(1.3)
    expect(gm[0]).toBeCloseTo(gm[1], 6)
    expect(Array.from(await geometricMedianAsync(square, 2, 0))).toEqual(Array.from(gm))
  })

  it('tracks dead latents: none before the window has passed, then AuxK is active exactly when some are dead', async () => {
    // 2-D data on two directions and 64 latents with k = 1: most latents never fire
    const rng = new Rng(4)
    const x = Float32Array.from({ length: 2 * 300 }, (_, i) => (i % 2 === 0 ? 1 + 0.1 * rng.normal() : 0.1 * rng.normal()))
    const window = 5
    const r = await trainSae(arraySource(x, 2), {
      expansionFactor: 32,
      k: 1,
      batchSize: 16,
      steps: 20,
      deadFeatureWindow: window,
      logEvery: 1,
      kAux: 1,
    })
    const h = r.history
    // dead means steps-since-fired > window, which needs window + 1 silent steps before the step
    for (const m of h.slice(0, window + 1)) expect(m.deadCount).toBe(0)
    expect(h.at(-1)!.deadCount).toBeGreaterThan(32)
    for (const m of h) expect(m.auxLoss > 0).toBe(m.deadCount > 0)
    expect(h.at(-1)!.deadFraction).toBeCloseTo(h.at(-1)!.deadCount / 64, 12)
    expect(h.at(-1)!.l0).toBeLessThanOrEqual(1)
  })

  it('reports feature density per sampling window (SAELens resets before every window-th step)', async () => {
    const windows: { step: number; tokens: number; total: number }[] = []
    const r = await trainSae(
      arraySource(data, dIn),
      { ...small, steps: 12, featureSamplingWindow: 5 },
      { onDensity: (d, step) => windows.push({ step, tokens: d.tokens, total: d.histogram.counts.reduce((a, b) => a + b, 0) }) },
    )
    expect(windows).toEqual([
      { step: 4, tokens: 4 * 32, total: 48 },
      { step: 9, tokens: 5 * 32, total: 48 },
      { step: 12, tokens: 3 * 32, total: 48 },
    ])
    expect(r.density.tokens).toBe(3 * 32)
    let fires = 0
    for (const f of r.density.density) fires += f * r.density.tokens
    expect(fires / r.density.tokens).toBeCloseTo(4, 6) // mean L0 over the window equals k
  })

  it('pauses, resumes, cancels and yields to the event loop', async () => {
    const pause = createPauseController()
    const ctrl = new AbortController()
    const seen: SaeStepMetrics[] = []
    pause.pause()
    let timerFired = false
    setTimeout(() => (timerFired = true), 0)
    const run = trainSae(
      arraySource(data, dIn),
      { ...small, steps: 100000, logEvery: 1 },
      { signal: ctrl.signal, pauseGate: pause.gate, onStep: (m) => seen.push(m), yieldEveryMs: 0 },
    )
    await new Promise((r) => setTimeout(r, 30))
    expect(seen.length).toBe(0)
    pause.resume()
    while (seen.length < 5) await new Promise((r) => setTimeout(r, 1))
    expect(timerFired).toBe(true)
    pause.pause()
    await new Promise((r) => setTimeout(r, 10))
    const frozen = seen.length
    await new Promise((r) => setTimeout(r, 30))
    expect(seen.length).toBe(frozen)
    ctrl.abort()
    pause.resume()
    const res = await run
    expect(res.cancelled).toBe(true)
    expect(res.stepsCompleted).toBe(frozen)
    expect(res.sae.decoder.length).toBe(4 * dIn * dIn)
  })
})

describe('inference on trained weights', () => {
  it('encode / decode / reconstruct apply the activation scale and match a direct computation', async () => {
    const dIn = 6
    const data = gaussianData(8, 200, dIn, 5)
    const { sae } = await trainSae(arraySource(data, dIn), { expansionFactor: 2, k: 3, batchSize: 20, steps: 10, lr: 1e-2 })
    const x = data.subarray(0, 4 * dIn)
    const z = encode(sae, x)
    const s = sae.cfg.activationScale
    expect(s).not.toBe(1)
    for (let t = 0; t < 4; t++) {
      const pre = Array.from({ length: 12 }, (_, i) => {
        let v = sae.bEnc[i]
        for (let d = 0; d < dIn; d++) v += (x[t * dIn + d] * s - sae.bDec[d]) * sae.encoder[i * dIn + d]
        return v
      })
      const top = pre.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 3)
      const row = Array.from(z.subarray(t * 12, (t + 1) * 12))
      expect(row.filter((v) => v !== 0).length).toBeLessThanOrEqual(3)
      for (const [v, i] of top) expect(row[i]).toBeCloseTo(Math.max(v, 0), 4)
    }
    const xhat = reconstruct(sae, x)
    const viaDecode = decode(sae, z)
    expect(Array.from(xhat)).toEqual(Array.from(viaDecode))
    for (let d = 0; d < dIn; d++) {
      let v = sae.bDec[d]
      for (let i = 0; i < 12; i++) v += z[i] * sae.decoder[i * dIn + d]
      expect(xhat[d]).toBeCloseTo(v / s, 4)
    }
    expect(() => encode(sae, new Float32Array(7))).toThrow(/7 values is not a whole number of rows of d_in=6/)
  })
})

describe('the trainer takes the initial weights without a copy where it can', () => {
  it('host kernels adopt the arrays; kernels that cannot get their own zeroed buffers', async () => {
    const { allocTrainingState } = await import('../../../src/core/sae/step.ts')
    const { createCpuKernels } = await import('../../../src/core/sae/cpu.ts')
    const { createReferenceKernels } = await import('../../../src/core/sae/reference.ts')
    const sae = createSae({ dIn: 6, dSae: 12, architecture: 'topk', k: 2, decoderInitNorm: 0.1, normalizeDecoder: true }, new Rng(1))
    const shape = { batch: 4, dIn: 6, dSae: 12, architecture: 'topk' as const, k: 2, kAux: 3 }
    const cpu = allocTrainingState(createCpuKernels(), shape, sae)
    expect(cpu.params.encoder).toBe(sae.encoder)
    expect(cpu.params.decoder).toBe(sae.decoder)
    expect(cpu.params.bDec).toBe(sae.bDec)
    const ref = allocTrainingState(createReferenceKernels('f64'), shape, sae)
    expect(ref.params.encoder).not.toBe(sae.encoder)
    expect(Array.from(ref.params.encoder as Float64Array).every((v) => v === 0)).toBe(true)
    // A shape that does not match is not adopted.
    const other = allocTrainingState(createCpuKernels(), { ...shape, dSae: 24 }, sae)
    expect(other.params.encoder).not.toBe(sae.encoder)
  })
})
