import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import type { CausalLM } from '../../../src/core/model/causal-lm.ts'
import { captureActivations } from '../../../src/core/hooks/capture.ts'
import { cosineSimilarity, pearson } from '../../../src/core/stats/correlation.ts'
import { ENTANGLEMENT_FRAMES, VALUE_ENTANGLEMENT_SET, buildValueEntanglementItems } from '../../../src/core/stimuli/builtin/value-entanglement.ts'
import { runEmbeddingProbe } from '../../../src/core/entanglement/embedding.ts'
import { readEmbedding } from '../../../src/core/entanglement/readings.ts'
import { loadBuild } from '../hooks/helpers.ts'

describe('embedding probe', () => {
  const set = { ...VALUE_ENTANGLEMENT_SET, items: buildValueEntanglementItems(ENTANGLEMENT_FRAMES.slice(0, 4)) }
  let model: CausalLM
  beforeAll(async () => {
    model = await loadBuild(buildTinyModel(BUILTIN_MODELS[1]))
  })
  afterAll(() => model.dispose())

  it('matches a direct computation from captured mean-pooled activations of the sentences alone', async () => {
    const result = await runEmbeddingProbe(model, set)
    const L = model.info.nLayers
    const hooks = ['blocks.0.hook_resid_pre', `blocks.${L - 1}.hook_resid_post`]
    expect(result.places.map((p) => p.hook)).toEqual(hooks)
    const cap = await captureActivations(
      model,
      set.items.map((it) => it.text),
      { hooks, pooling: 'mean', addSpecialTokens: false, batchSize: 3 },
    )
    const d = model.dModel
    const n = set.items.length
    for (const [k, place] of result.places.entries()) {
      const X = cap.activations[hooks[k]].data
      const row = (i: number) => Array.from(X.subarray(i * d, (i + 1) * d))
      const dir = (f: 'moral' | 'grammatical' | 'economic') => {
        const hi = new Array(d).fill(0)
        const lo = new Array(d).fill(0)
        let nh = 0
        let nl = 0
        for (let i = 0; i < n; i++) {
          const target = set.items[i].values![f] === 1 ? hi : lo
          row(i).forEach((v, j) => (target[j] += v))
          if (set.items[i].values![f] === 1) nh++
          else nl++
        }
        return hi.map((v, j) => v / nh - lo[j] / nl)
      }
      const dm = dir('moral')
      const dg = dir('grammatical')
      const de = dir('economic')
      const norm = (v: number[]) => Math.hypot(...v)
      expect(place.directions.map((x) => x.factor)).toEqual(['moral', 'grammatical', 'economic'])
      expect(Math.abs(place.directions[0].norm - norm(dm))).toBeLessThan(1e-4 * Math.max(1, norm(dm)))
      expect(Math.abs(place.cosines.find((c) => c.a === 'moral' && c.b === 'grammatical')!.cosine - cosineSimilarity(dm, dg))).toBeLessThan(1e-4)
      expect(Math.abs(place.cosines.find((c) => c.a === 'moral' && c.b === 'economic')!.cosine - cosineSimilarity(dm, de))).toBeLessThan(1e-4)
      const unit = dm.map((v) => v / norm(dm))
      const s = Array.from({ length: n }, (_, i) => row(i).reduce((a, v, j) => a + v * unit[j], 0))
      place.moralAxis!.projections.forEach((v, i) => expect(Math.abs(v - s[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(s[i]))))
      const g = place.moralAxis!.byFactor.find((f) => f.factor === 'grammatical')!
      expect(Math.abs(g.pearson - pearson(s, set.items.map((it) => it.values!.grammatical!)))).toBeLessThan(1e-4)
      // shift_g = mean(s | well-formed) − mean(s | ill-formed) = d_grammatical · d̂_moral
      const shift = dg.reduce((a, v, j) => a + v * unit[j], 0)
      expect(Math.abs(g.shift - shift)).toBeLessThan(1e-4 * Math.max(1, Math.abs(shift)))
      expect(g.relativeToMoral).toBeCloseTo(g.shift / norm(dm), 3)
      // In the balanced design the regression coefficient of grammatical is that same shift.
      expect(g.beta!.estimate).toBeCloseTo(g.shift, 8)
    }
    expect(result.tokenCounts).toEqual(cap.tokenCounts)
    const texts = readEmbedding(result).map((r) => r.text)
    expect(texts.some((t) => t.startsWith('In the input embeddings, the moral direction'))).toBe(true)
  })
})
