import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { arraySource, trainSae } from '../../../src/core/sae/train.ts'

const dIn = 32
const nFeatures = 64

/** Unit ground-truth directions and samples that are non-negative mixtures of 3 of them plus noise. */
function plantedData(seed: number, n: number) {
  const rng = new Rng(seed)
  const features = new Float64Array(nFeatures * dIn)
  for (let f = 0; f < nFeatures; f++) {
    let ss = 0
    for (let d = 0; d < dIn; d++) {
      features[f * dIn + d] = rng.normal()
      ss += features[f * dIn + d] ** 2
    }
    for (let d = 0; d < dIn; d++) features[f * dIn + d] /= Math.sqrt(ss)
  }
  const x = new Float32Array(n * dIn)
  for (let t = 0; t < n; t++) {
    const active = new Set<number>()
    while (active.size < 3) active.add(rng.int(nFeatures))
    for (const f of active) {
      const c = 0.5 + rng.next()
      for (let d = 0; d < dIn; d++) x[t * dIn + d] += c * features[f * dIn + d]
    }
    for (let d = 0; d < dIn; d++) x[t * dIn + d] += 0.01 * rng.normal()
  }
  return { features, x }
}

/** Mean over true features of the best cosine with any decoder row. */
function meanMaxCosine(features: Float64Array, decoder: Float32Array, dSae: number): number {
  let total = 0
  for (let f = 0; f < nFeatures; f++) {
    let best = -1
    for (let i = 0; i < dSae; i++) {
      let dot = 0
      let nn = 0
      for (let d = 0; d < dIn; d++) {
        dot += features[f * dIn + d] * decoder[i * dIn + d]
        nn += decoder[i * dIn + d] ** 2
      }
      best = Math.max(best, dot / Math.sqrt(nn))
    }
    total += best
  }
  return total / nFeatures
}

describe('TopK SAE on planted sparse features', () => {
  it('recovers the ground-truth directions (mean max cosine > 0.9)', async () => {
    const { features, x } = plantedData(1, 8192)
    const cfg = { expansionFactor: 4, k: 4, batchSize: 256, lr: 3e-3, seed: 1, logEvery: 100 }
    const untrained = await trainSae(arraySource(x, dIn), { ...cfg, steps: 0 })
    const trained = await trainSae(arraySource(x, dIn), { ...cfg, steps: 400 })
    const before = meanMaxCosine(features, untrained.sae.decoder, untrained.sae.cfg.dSae)
    const after = meanMaxCosine(features, trained.sae.decoder, trained.sae.cfg.dSae)
    expect(before).toBeLessThan(0.7)
    expect(after).toBeGreaterThan(0.9)
    expect(trained.history.at(-1)!.explainedVariance).toBeGreaterThan(0.9)
    expect(trained.history.at(-1)!.l0).toBeLessThanOrEqual(4)
  })
})
