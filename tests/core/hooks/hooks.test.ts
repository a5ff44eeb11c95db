import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_MODELS, TEST_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { referenceForward, type ReferenceIntervention } from '../../../src/core/testmodels/reference.ts'
import { captureActivations } from '../../../src/core/hooks/capture.ts'
import { scoreNextTokens, scoreContinuations, logSoftmaxRow } from '../../../src/core/hooks/scoring.ts'
import { generateText, generate } from '../../../src/core/hooks/generate.ts'
import { layerLens } from '../../../src/core/hooks/logit-lens.ts'
import { orthonormalize } from '../../../src/core/hooks/interventions.ts'
import type { CausalLM } from '../../../src/core/model/causal-lm.ts'
import type { TinyLmConfig, TinyLmWeights } from '../../../src/core/testmodels/spec.ts'
import { loadBuild, maxAbsDiff, randomUnit } from './helpers.ts'

const TEXTS = ['It is good to help a friend.', 'Stealing', 'Claim: it is bad to lie to your parents. I think this claim is']

/** Final norm + unembedding of one residual vector, in float64 (independent of the ONNX lens). */
function referenceLens(cfg: TinyLmConfig, w: TinyLmWeights, h: ArrayLike<number>): Float64Array {
  const d = cfg.dModel
  const x = Float64Array.from(h)
  const y = new Float64Array(d)
  if (cfg.family === 'gpt2') {
    const mean = x.reduce((a, v) => a + v, 0) / d
    const v = x.reduce((a, t) => a + (t - mean) ** 2, 0) / d
    for (let i = 0; i < d; i++) y[i] = ((x[i] - mean) / Math.sqrt(v + cfg.eps)) * w.lnFinal[i] + w.lnFinalBias![i]
  } else {
    const ms = x.reduce((a, t) => a + t * t, 0) / d
    for (let i = 0; i < d; i++) y[i] = (x[i] / Math.sqrt(ms + cfg.eps)) * w.lnFinal[i]
  }
  const out = new Float64Array(cfg.vocabSize)
  for (let o = 0; o < cfg.vocabSize; o++) {
    let s = 0
    for (let i = 0; i < d; i++) s += y[i] * w.unembed[i * cfg.vocabSize + o]
    out[o] = s
  }
  return out
}

describe.each([...BUILTIN_MODELS, ...TEST_MODELS].map((d) => [d.id, d] as const))('hooks on %s', (_id, def) => {
  const build = buildTinyModel(def)
  const cfg = build.config
  const d = cfg.dModel
  let model: CausalLM
  let plain: CausalLM
  beforeAll(async () => {
    model = await loadBuild(build)
    plain = await loadBuild(build, { instrument: false })
  })
  afterAll(async () => {
    await model.dispose()
    await plain.dispose()
  })

  it('locates every hook point of the residual stream', () => {
    const h = model.info.hooks
    expect(h.supported).toBe(true)
    expect(h.names).toHaveLength(3 * cfg.nLayers)
    if (def.style === 'fused') {
      expect(h.style).toBe('fused')
      expect(h.carrier).toBe('SkipSimplifiedLayerNormalization')
      expect(h.values!['blocks.1.hook_resid_mid']).toBe('/model/layers.1/post_attention_layernorm/output_3')
      expect(h.values!['blocks.1.hook_resid_post']).toBe('/model/layers.2/input_layernorm/output_3')
      // The final norm did not emit its residual sum; the lab added that output.
      expect(h.values![`blocks.${cfg.nLayers - 1}.hook_resid_post`]).toMatch(/final_norm_layernorm.*output_3/)
      expect(h.values!['blocks.0.hook_resid_pre']).toBe('/model/embed_tokens/Gather/output_0')
    } else {
      expect(h.style).toBe('unfused')
      const scope = cfg.family === 'gpt2' ? '/transformer/h.' : '/model/layers.'
      expect(h.values!['blocks.1.hook_resid_mid']).toBe(`${scope}1/Add_output_0`)
      expect(h.values!['blocks.1.hook_resid_post']).toBe(`${scope}1/Add_1_output_0`)
      expect(h.values!['blocks.2.hook_resid_pre']).toBe(`${scope}1/Add_1_output_0`)
      expect(h.values!['blocks.0.hook_resid_pre']).toBe(cfg.family === 'gpt2' ? '/transformer/Add_output_0' : '/model/embed_tokens/Gather_output_0')
    }
  })

  it('captures every hook at every layer like the reference, for every pooling, padding-aware', async () => {
    const refs = TEXTS.map((t) => referenceForward(cfg, build.weights, model.encode([t]).ids[0]))
    for (const pooling of ['last', 'mean', 'all'] as const) {
      const cap = await captureActivations(model, TEXTS, { hooks: ['resid_pre', 'resid_mid', 'resid_post'], pooling, batchSize: 3 })
      expect(cap.hooks).toHaveLength(3 * cfg.nLayers)
      for (const hook of cap.hooks) {
        const [, layer, kind] = /blocks\.(\d+)\.hook_(\w+)/.exec(hook)!
        const l = Number(layer)
        const got = cap.activations[hook].data
        TEXTS.forEach((_, i) => {
          const ref = refs[i]
          const seq = kind === 'resid_pre' ? ref.residPre[l] : kind === 'resid_mid' ? ref.residMid[l] : ref.residPost[l]
          const T = seq.length / d
          let expected: Float64Array
          if (pooling === 'last') expected = seq.subarray((T - 1) * d)
          else if (pooling === 'mean') {
            expected = new Float64Array(d)
            for (let t = 0; t < T; t++) for (let j = 0; j < d; j++) expected[j] += seq[t * d + j] / T
          } else expected = seq
          const start = pooling === 'all' ? cap.offsets![i] * d : i * d
          expect(maxAbsDiff(got.subarray(start, start + expected.length), expected)).toBeLessThan(1e-4)
        })
      }
    }
  })

  it('instrumentation leaves the logits bit-identical when no intervention is active', async () => {
    const a = await plain.nextTokenLogits(TEXTS)
    const b = await model.nextTokenLogits(TEXTS)
    expect(Array.from(b.logits)).toEqual(Array.from(a.logits))
    // Capturing in between changes nothing either.
    await captureActivations(model, TEXTS, { hooks: ['resid_post'], pooling: 'last' })
    expect(Array.from((await model.nextTokenLogits(TEXTS)).logits)).toEqual(Array.from(a.logits))
  })

  it('directional ablation and steering agree with the reference, and zero interventions are the identity', async () => {
    const dirs = [randomUnit(d, 1), randomUnit(d, 2)]
    const ortho = orthonormalize(dirs, d)
    const steer = randomUnit(d, 3).map((x) => x * 4)
    const cases: { lab: Parameters<CausalLM['nextTokenLogits']>[1]; ref: ReferenceIntervention[] }[] = [
      {
        lab: [{ hook: 'blocks.1.hook_resid_mid', ablate: dirs }],
        ref: [{ hook: 'resid_mid', layer: 1, ablate: ortho }],
      },
      {
        lab: [{ hook: 'blocks.0.hook_resid_post', add: steer, positions: 'last' }],
        ref: [{ hook: 'resid_post', layer: 0, add: steer, lastOnly: true }],
      },
      {
        // resid_pre(2) is the same value as resid_post(1): one site.
        lab: [
          { hook: 'blocks.2.hook_resid_pre', ablate: [dirs[0]] },
          { hook: 'blocks.3.hook_resid_mid', add: steer, alpha: -0.5 },
        ],
        ref: [
          { hook: 'resid_post', layer: 1, ablate: [ortho[0]] },
          { hook: 'resid_mid', layer: 3, add: steer.map((x) => -0.5 * x) },
        ],
      },
    ]
    for (const c of cases) {
      const got = await model.nextTokenLogits(TEXTS, c.lab)
      TEXTS.forEach((t, i) => {
        const ids = model.encode([t]).ids[0]
        const ref = referenceForward(cfg, build.weights, ids, c.ref)
        const V = cfg.vocabSize
        const last = ref.logits.subarray((ids.length - 1) * V, ids.length * V)
        expect(maxAbsDiff(got.logits.subarray(i * V, (i + 1) * V), last)).toBeLessThan(1e-4)
      })
      // The intervention moved the logits.
      const base = await model.nextTokenLogits(TEXTS)
      expect(maxAbsDiff(got.logits, base.logits)).toBeGreaterThan(1e-3)
    }
    // An ablated direction is gone from the captured residual.
    const cap = await captureActivations(model, TEXTS, {
      hooks: ['blocks.2.hook_resid_mid'],
      pooling: 'all',
      interventions: [{ hook: 'blocks.2.hook_resid_mid', ablate: [dirs[0]] }],
    })
    const acts = cap.activations['blocks.2.hook_resid_mid'].data
    for (let r = 0; r < cap.activations['blocks.2.hook_resid_mid'].shape[0]; r++) {
      let dot = 0
      for (let j = 0; j < d; j++) dot += acts[r * d + j] * dirs[0][j]
      expect(Math.abs(dot)).toBeLessThan(1e-4)
    }
  })

  it('scores restricted token sets and continuations like the reference', async () => {
    const ids = [model.encode([' True'], false).ids[0][0], model.encode([' False'], false).ids[0][0]]
    const s = await scoreNextTokens(model, TEXTS, ids)
    const V = cfg.vocabSize
    TEXTS.forEach((t, i) => {
      const tok = model.encode([t]).ids[0]
      const ref = referenceForward(cfg, build.weights, tok)
      const lp = logSoftmaxRow(Float32Array.from(ref.logits.subarray((tok.length - 1) * V, tok.length * V)), 0, V)
      expect(maxAbsDiff(s.logProbs[i], ids.map((id) => lp[id]))).toBeLessThan(1e-4)
      const z = Math.log(Math.exp(lp[ids[0]]) + Math.exp(lp[ids[1]]))
      expect(maxAbsDiff(s.logProbsInSet[i], [lp[ids[0]] - z, lp[ids[1]] - z])).toBeLessThan(1e-4)
    })
    const prompt = 'It is good to'
    const conts = [' help', ' steal from a friend']
    const scores = await scoreContinuations(model, prompt, conts)
    conts.forEach((c, i) => {
      const p = model.encode([prompt]).ids[0]
      const full = [...p, ...model.encode([c], false).ids[0]]
      const ref = referenceForward(cfg, build.weights, full)
      let lp = 0
      for (let t = p.length; t < full.length; t++) lp += logSoftmaxRow(Float32Array.from(ref.logits.subarray((t - 1) * V, t * V)), 0, V)[full[t]]
      expect(Math.abs(scores[i].logProb - lp)).toBeLessThan(1e-3)
    })
  })

  it('generates greedily with the KV cache as a full recompute would, with interventions', async () => {
    const prompt = 'The student helped'
    const steer = randomUnit(d, 9).map((x) => x * 3)
    // The legacy export keeps its cache in fp16: compare against a reference with an fp16 cache.
    const fp16Cache = def.variant === 'stacked-fp16-past'
    const tolerance = fp16Cache ? 2e-3 : 1e-4
    for (const iv of [[], [{ hook: 'blocks.1.hook_resid_post', add: steer }]] as const) {
      const out = await generateText(model, prompt, { maxNewTokens: 8, interventions: [...iv], stopTokenIds: [] })
      const promptIds = model.encode([prompt]).ids[0]
      const ids = [...promptIds]
      const refIv: ReferenceIntervention[] = iv.length ? [{ hook: 'resid_post', layer: 1, add: steer }] : []
      const V = cfg.vocabSize
      expect(out.ids).toHaveLength(8)
      for (const chosen of out.ids) {
        const ref = referenceForward(cfg, build.weights, ids, refIv, fp16Cache ? { float16CacheFrom: promptIds.length } : undefined)
        const last = ref.logits.subarray((ids.length - 1) * V, ids.length * V)
        let best = 0
        for (let j = 1; j < V; j++) if (last[j] > last[best]) best = j
        // The chosen token is the reference's argmax (up to ties within the tolerance).
        expect(last[best] - last[chosen]).toBeLessThan(tolerance)
        ids.push(chosen)
      }
    }
    // Streaming yields one token at a time and stops at a stop token.
    const stream: number[] = []
    for await (const t of generate(model, prompt, { maxNewTokens: 5 })) stream.push(t.id)
    expect(stream.length).toBeGreaterThan(0)
    const stopAt = stream[1]
    const stopped = await generateText(model, prompt, { maxNewTokens: 5, stopTokenIds: [stopAt] })
    expect(stopped.ids).toEqual(stream.slice(0, stream.indexOf(stopAt) + 1))
    expect(stopped.reason).toBe('eos')
  })

  it('the logit lens applies the model’s own final norm and unembedding to every layer', async () => {
    const text = TEXTS[0]
    const lens = await layerLens(model, text, { topK: 5 })
    expect(lens.layers).toHaveLength(cfg.nLayers + 1)
    const ids = model.encode([text]).ids[0]
    const ref = referenceForward(cfg, build.weights, ids)
    const T = ids.length
    lens.layers.forEach((layer, i) => {
      const h = i === 0 ? ref.residPre[0].subarray((T - 1) * d, T * d) : ref.residPost[i - 1].subarray((T - 1) * d, T * d)
      const logits = referenceLens(cfg, build.weights, h)
      const lp = logSoftmaxRow(Float32Array.from(logits), 0, cfg.vocabSize)
      const top = Array.from(lp.keys()).sort((a, b) => lp[b] - lp[a]).slice(0, 5)
      expect(layer.top.map((t) => t.id)).toEqual(top)
      layer.top.forEach((t) => expect(Math.abs(Math.log(t.prob) - lp[t.id])).toBeLessThan(1e-4))
      expect(Math.abs(layer.norm - Math.hypot(...h))).toBeLessThan(1e-3)
    })
    // The last layer's lens is the model's own next-token distribution.
    const V = cfg.vocabSize
    const final = logSoftmaxRow(Float32Array.from(ref.logits.subarray((T - 1) * V, T * V)), 0, V)
    for (const t of lens.layers[cfg.nLayers].top) expect(Math.abs(Math.log(t.prob) - final[t.id])).toBeLessThan(1e-4)
  })
})
