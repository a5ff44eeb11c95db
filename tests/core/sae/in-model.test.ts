import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { referenceForward } from '../../../src/core/testmodels/reference.ts'
import { createSae, reconstruct } from '../../../src/core/sae/model.ts'
import { decoderDirection } from '../../../src/core/sae/edits.ts'
import { evaluateSaeSplice, featureLogitEffects, specialTokenIds } from '../../../src/core/sae/in-model.ts'
import { Rng } from '../../../src/core/random.ts'
import type { CausalLM } from '../../../src/core/model/causal-lm.ts'
import { loadBuild } from '../hooks/helpers.ts'

/** log-softmax of one row, float64. */
function logSoftmax(x: ArrayLike<number>): Float64Array {
  let m = -Infinity
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i])
  let s = 0
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - m)
  const l = m + Math.log(s)
  return Float64Array.from(x, (v) => v - l)
}

describe.each(BUILTIN_MODELS.map((d) => [d.id, d] as const))('SAE inside %s', (_id, def) => {
  const build = buildTinyModel(def)
  const cfg = build.config
  const d = cfg.dModel
  const V = cfg.vocabSize
  let model: CausalLM
  const sae = createSae({ architecture: 'topk', k: 6, decoderInitNorm: 0.1, normalizeDecoder: true, dIn: d, dSae: 4 * d }, new Rng(11))
  sae.bEnc.fill(0.02)
  sae.cfg.activationScale = 0.7
  beforeAll(async () => {
    model = await loadBuild(build)
  })
  afterAll(() => model.dispose())

  it('splice CE / KL / scores equal a hand computation over the reference model', async () => {
    const hook = 'blocks.1.hook_resid_post'
    const texts = ['It is good to help a friend.', 'Lying to win', 'Claim: cheating is wrong, and so is theft.']
    const ev = await evaluateSaeSplice(model, sae, hook, texts, { batchSize: 2 })
    const ignore = new Set(specialTokenIds(model))
    const ce = [0, 0, 0]
    const kl = [0, 0]
    let nCe = 0
    let nKl = 0
    for (const text of texts) {
      const ids = model.encode([text]).ids[0]
      const runs = [
        referenceForward(cfg, build.weights, ids).logits,
        referenceForward(cfg, build.weights, ids, [{ hook: 'resid_post', layer: 1, transform: (row) => row.set(reconstruct(sae, Float32Array.from(row))) }]).logits,
        referenceForward(cfg, build.weights, ids, [{ hook: 'resid_post', layer: 1, transform: (row) => row.fill(0) }]).logits,
      ]
      for (let t = 0; t < ids.length; t++) {
        if (ignore.has(ids[t])) continue
        const lp = runs.map((r) => logSoftmax(r.subarray(t * V, (t + 1) * V)))
        for (let r = 1; r < 3; r++) {
          let k = 0
          for (let v = 0; v < V; v++) k += Math.exp(lp[0][v]) * (lp[0][v] - lp[r][v])
          kl[r - 1] += k
        }
        nKl++
        if (t + 1 < ids.length) {
          for (let r = 0; r < 3; r++) ce[r] -= lp[r][ids[t + 1]]
          nCe++
        }
      }
    }
    expect(ev.ceTokens).toBe(nCe)
    expect(ev.klTokens).toBe(nKl)
    expect(ev.ceOriginal).toBeCloseTo(ce[0] / nCe, 4)
    expect(ev.ceSpliced).toBeCloseTo(ce[1] / nCe, 3)
    expect(ev.ceAblated).toBeCloseTo(ce[2] / nCe, 3)
    expect(ev.klSpliced).toBeCloseTo(kl[0] / nKl, 3)
    expect(ev.klAblated).toBeCloseTo(kl[1] / nKl, 3)
    const score = (ce[2] - ce[1]) / (ce[2] - ce[0])
    expect(ev.ceLossScore).toBeCloseTo(score, 2)
    expect(ev.ceSpliced).not.toBeCloseTo(ev.ceOriginal, 3)
  })

  it('logit effects rank tokens by W_U (γ ⊙ centred d), standardised', async () => {
    const features = [0, 5, 17]
    const effects = await featureLogitEffects(model, sae, features, 5)
    const gpt2 = cfg.family === 'gpt2'
    features.forEach((f, i) => {
      const dir = decoderDirection(sae, f)
      const mean = gpt2 ? dir.reduce((a, b) => a + b, 0) / d : 0
      const x = Float64Array.from(dir, (v, j) => (v - mean) * build.weights.lnFinal[j])
      const e = new Float64Array(V)
      for (let v = 0; v < V; v++) for (let j = 0; j < d; j++) e[v] += x[j] * build.weights.unembed[j * V + v]
      const m = e.reduce((a, b) => a + b, 0) / V
      const sd = Math.sqrt(e.reduce((a, b) => a + (b - m) ** 2, 0) / V)
      const order = Array.from({ length: V }, (_, v) => v).sort((a, b) => e[b] - e[a])
      expect(effects[i].promoted.map((t) => t.id)).toEqual(order.slice(0, 5))
      expect(effects[i].suppressed.map((t) => t.id)).toEqual(order.slice(-5).reverse())
      effects[i].promoted.forEach((t) => expect(t.z).toBeCloseTo((e[t.id] - m) / sd, 3))
      expect(effects[i].promoted[0].token).toBe(model.tokenizer.decode([effects[i].promoted[0].id]))
    })
  })

  it('refuses an SAE of another width', async () => {
    const other = createSae({ architecture: 'topk', k: 2, decoderInitNorm: 0.1, normalizeDecoder: true, dIn: d + 1, dSae: 8 }, new Rng(1))
    await expect(evaluateSaeSplice(model, other, 'blocks.0.hook_resid_post', ['x'])).rejects.toThrow(/dimensional/)
  })
})
