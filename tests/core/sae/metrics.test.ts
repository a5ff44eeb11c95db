import { describe, expect, it } from 'vitest'
import {
  explainedVariance,
  explainedVarianceFromErrors,
  featureDensity,
  FiringTracker,
  histogram,
} from '../../../src/core/sae/metrics.ts'
import { learningRate, resolveTrainConfig } from '../../../src/core/sae/types.ts'

describe('SAE metrics', () => {
  it('explained variance: SAELens definition and the legacy per-token variant, hand-worked', () => {
    // x = [[0, 0], [2, 0], [4, 3]] -> mean [2, 1]; total variances per token: 5, 1, 8 (sum 14)
    // x̂ = [[0, 1], [2, 0], [3, 3]] -> squared errors 1, 0, 1 (sum 2)
    const x = [0, 0, 2, 0, 4, 3]
    const xhat = [0, 1, 2, 0, 3, 3]
    const ev = explainedVariance(x, xhat, 3, 2)
    expect(ev.explainedVariance).toBeCloseTo(1 - 2 / 14, 12)
    expect(ev.explainedVarianceLegacy).toBeCloseTo((1 - 1 / 5 + 1 + 1 - 1 / 8) / 3, 12)
    expect(explainedVarianceFromErrors([1, 0, 1], x, 3, 2)).toEqual(ev)
  })

  it('histograms are parallel arrays: lo, hi and counts of equal length, edges one longer', () => {
    const h = histogram([-10, -9.99, -5, -0.2, 0, 0, 3], -10, 0, 4)
    expect(h.lo).toEqual([-10, -7.5, -5, -2.5])
    expect(h.hi).toEqual([-7.5, -5, -2.5, 0])
    expect(h.edges).toEqual([-10, -7.5, -5, -2.5, 0])
    expect(h.counts).toEqual([2, 0, 1, 3]) // 0 falls in the closed last bin, 3 is out of range
    expect(h.lo.length).toBe(h.counts.length)
    expect(h.edges.length).toBe(h.counts.length + 1)
  })

  it('feature density: log10 frequencies, thresholds and dense fraction', () => {
    // 1e6 tokens; latents fire 0, 5, 50, 2e5 and 1e6 times
    const d = featureDensity([0, 5, 50, 2e5, 1e6], 1e6, 0.1)
    expect(Array.from(d.density)).toEqual([0, 5e-6, 5e-5, 0.2, 1])
    expect(d.log10Density[0]).toBeCloseTo(-10, 12)
    expect(d.log10Density[2]).toBeCloseTo(Math.log10(5e-5 + 1e-10), 12)
    expect(d.below1e5).toBe(2)
    expect(d.below1e6).toBe(1)
    expect(d.silentFraction).toBe(0.2)
    expect(d.denseFraction).toBe(0.4)
    expect(d.histogram.counts.reduce((a, b) => a + b, 0)).toBe(5)
    expect(d.histogram.counts[0]).toBe(1) // the silent latent, log10 = -10
    expect(d.histogram.counts[19]).toBe(1) // density 1, log10 = 0
    expect(d.meanLog10Density).toBeCloseTo(
      (-10 + Math.log10(5e-6 + 1e-10) + Math.log10(5e-5 + 1e-10) + Math.log10(0.2 + 1e-10) + Math.log10(1 + 1e-10)) / 5,
      12,
    )
  })

  it('dead latents: more than `window` consecutive steps without firing', () => {
    const t = new FiringTracker(3)
    const mask = new Float32Array(3)
    // latent 0 fires every step, latent 1 only at step 1, latent 2 never
    const steps = [
      [4, 1, 0],
      [2, 0, 0],
      [1, 0, 0],
      [3, 0, 0],
    ]
    const deadAfter: number[][] = []
    for (const fired of steps) {
      t.update(fired, 10)
      t.deadMask(2, mask)
      deadAfter.push(Array.from(mask))
    }
    // steps since fired after each step: [0,0,1] [0,1,2] [0,2,3] [0,3,4]
    expect(deadAfter).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 1],
      [0, 1, 1],
    ])
    expect(t.deadMask(2, mask)).toBe(2)
    expect(t.meanStepsSinceFired()).toBeCloseTo(7 / 3, 12)
    expect(Array.from(t.windowCounts)).toEqual([10, 1, 0])
    expect(t.windowTokens).toBe(40)
    t.resetWindow()
    expect(t.windowTokens).toBe(0)
    expect(Array.from(t.stepsSinceFired)).toEqual([0, 3, 4])
  })

  it('learning-rate schedule: linear warm-up, constant, linear decay towards lrEnd (SAELens LinearLR)', () => {
    const cfg = resolveTrainConfig(8, { lr: 1e-3, lrWarmUpSteps: 4, lrDecaySteps: 5, steps: 20 })
    expect(cfg.lrEnd).toBeCloseTo(1e-4, 15)
    expect([0, 1, 3].map((s) => learningRate(cfg, s))).toEqual([2.5e-4, 5e-4, 1e-3])
    expect(learningRate(cfg, 10)).toBe(1e-3)
    expect(learningRate(cfg, 15)).toBe(1e-3)
    expect(learningRate(cfg, 19)).toBeCloseTo(1e-3 + (1e-4 - 1e-3) * 0.8, 15)
  })

  it('rejects invalid configuration with the field name', () => {
    expect(() => resolveTrainConfig(8, { k: 0 })).toThrow(/k = 0 but expected an integer in \[1, d_sae=64\]/)
    expect(() => resolveTrainConfig(8, { batchSize: 1.5 })).toThrow(/batchSize = 1.5/)
    expect(resolveTrainConfig(8, {}).kAux).toBe(4)
    expect(resolveTrainConfig(8, { architecture: 'standard' }).normalizeDecoder).toBe(false)
  })
})
