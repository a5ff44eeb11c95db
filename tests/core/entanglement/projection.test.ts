import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { referenceForward } from '../../../src/core/testmodels/reference.ts'
import type { CausalLM } from '../../../src/core/model/causal-lm.ts'
import { captureActivations } from '../../../src/core/hooks/capture.ts'
import { cosineSimilarity, pearson, spearman } from '../../../src/core/stats/correlation.ts'
import { Rng } from '../../../src/core/random.ts'
import { ENTANGLEMENT_FRAMES, VALUE_ENTANGLEMENT_SET, buildValueEntanglementItems } from '../../../src/core/stimuli/builtin/value-entanglement.ts'
import type { StimulusItem, ValueKind } from '../../../src/core/stimuli/types.ts'
import {
  analyseProjections,
  captureJudgmentActivations,
  runProjectionProbe,
  type JudgmentActivations,
} from '../../../src/core/entanglement/projection.ts'
import { buildRatingPrompt, promptIds, promptText } from '../../../src/core/entanglement/prompts.ts'
import { readProjection } from '../../../src/core/entanglement/readings.ts'
import { loadBuild } from '../hooks/helpers.ts'

const FACTORS: ValueKind[] = ['moral', 'grammatical', 'economic']

/** Index of the item that differs from item i only in factor f. */
function partner(items: StimulusItem[], i: number, f: ValueKind): number {
  const a = items[i]
  return items.findIndex(
    (b) => b.meta!.frame === a.meta!.frame && FACTORS.every((o) => (o === f ? b.values![o] !== a.values![o] : b.values![o] === a.values![o])),
  )
}

/** d_f = mean over pairs of h(f = 1) − h(f = 0), by a plain loop over pairs. */
function pairDirection(items: StimulusItem[], X: ArrayLike<number>, d: number, f: ValueKind) {
  const sum = new Array(d).fill(0)
  const diffs: number[][] = []
  items.forEach((it, i) => {
    if (it.values![f] !== 1) return
    const j = partner(items, i, f)
    const delta = Array.from({ length: d }, (_, k) => X[i * d + k] - X[j * d + k])
    diffs.push(delta)
    delta.forEach((v, k) => (sum[k] += v))
  })
  return { dir: sum.map((v) => v / diffs.length), diffs }
}

describe('projection analysis (pure)', () => {
  const items = buildValueEntanglementItems(ENTANGLEMENT_FRAMES.slice(0, 6))
  const n = items.length
  const d = 12
  const layers = [0, 1, 2]
  const rng = new Rng(9)
  const axis = Float64Array.from({ length: d }, () => rng.normal())
  const gramAxis = Float64Array.from({ length: d }, () => rng.normal())
  // Layer 1 separates good from bad acts strongly; layer 2 weakly; layer 0 not at all.
  const strength = [0, 3, 0.5]
  const make = (context: ValueKind) =>
    layers.map((l) =>
      Float32Array.from({ length: n * d }, (_, idx) => {
        const i = Math.floor(idx / d)
        const k = idx % d
        const v = items[i].values!
        return rng.normal() + strength[l] * v.moral! * axis[k] + (context === 'grammatical' ? v.grammatical! * gramAxis[k] : 0)
      }),
    )
  const acts: JudgmentActivations = {
    contexts: FACTORS,
    layers,
    hooks: layers.map((l) => `blocks.${l}.hook_resid_post`),
    n,
    d,
    data: { moral: make('moral'), grammatical: make('grammatical'), economic: make('economic') },
    forwardPasses: 0,
    tokens: 0,
  }
  const result = analyseProjections(acts, items, 'test')

  it('computes paired attribute vectors, cosines and moral projections as direct loops do', () => {
    for (const [k] of layers.entries()) {
      const m = pairDirection(items, acts.data.moral![k], d, 'moral')
      const g = pairDirection(items, acts.data.grammatical![k], d, 'grammatical')
      const e = pairDirection(items, acts.data.economic![k], d, 'economic')
      expect(result.directions.find((x) => x.context === 'moral' && x.factor === 'moral')!.norms[k]).toBeCloseTo(Math.hypot(...m.dir), 10)
      const native = (a: ValueKind, b: ValueKind) => result.cosines.find((c) => c.context === 'native' && c.a === a && c.b === b)!.values[k]
      expect(native('moral', 'grammatical')).toBeCloseTo(cosineSimilarity(m.dir, g.dir), 10)
      expect(native('moral', 'economic')).toBeCloseTo(cosineSimilarity(m.dir, e.dir), 10)
      expect(native('grammatical', 'economic')).toBeCloseTo(cosineSimilarity(g.dir, e.dir), 10)
      // Moral projection inside grammaticality prompts.
      const u = m.dir.map((v) => v / Math.hypot(...m.dir))
      const X = acts.data.grammatical![k]
      const p = items.map((_, i) => u.reduce((a, v, j) => a + v * X[i * d + j], 0))
      const mp = result.moralProjections.find((x) => x.context === 'grammatical')!
      mp.values[k].forEach((v, i) => expect(v).toBeCloseTo(p[i], 10))
      const moral = items.map((it) => it.values!.moral!)
      expect(mp.pearson[k]).toBeCloseTo(pearson(p, moral), 10)
      expect(mp.spearman[k]).toBeCloseTo(spearman(p, moral), 10)
      // Shares of the grammar direction explained by the moral one.
      const share = result.shares.find((s) => s.factor === 'grammatical')!
      expect(share.squaredCosine[k]).toBeCloseTo(cosineSimilarity(m.dir, g.dir) ** 2, 10)
      const along = g.diffs.reduce((a, dl) => a + dl.reduce((s, v, j) => s + v * u[j], 0) ** 2, 0)
      const total = g.diffs.reduce((a, dl) => a + dl.reduce((s, v) => s + v * v, 0), 0)
      expect(share.varianceExplained[k]).toBeCloseTo(along / total, 10)
    }
    expect(result.directions.every((x) => x.method === 'paired' && x.strata === 24)).toBe(true)
  })

  it('chooses the layer that best separates good from bad acts, cross-fitted over frames', () => {
    expect(result.bestLayer).toBe(1)
    expect(result.separation[1].crossFitD).toBeGreaterThan(3)
    expect(Math.abs(result.separation[0].crossFitD)).toBeLessThan(1.5)
    // In-sample d is inflated where there is no signal; the cross-fitted one is not.
    expect(result.separation[0].inSample.cohenD).toBeGreaterThan(result.separation[0].crossFitD)
    expect(result.bestLayerReason).toMatch(/cross-fitted/)
    expect(result.moralDirections[1]).toHaveLength(d)
    expect(readProjection(result).some((r) => r.text.includes('best separates good from bad acts is 1'))).toBe(true)
  })

  it('the variance-explained share equals the squared cosine when every pair moves the same way', () => {
    const same = { ...acts, layers: [0], hooks: ['blocks.0.hook_resid_post'] }
    const fixed = Float64Array.from({ length: d }, () => rng.normal())
    // Rows depend on the frame and the other two factors, plus exactly `fixed` when well-formed.
    const baseOf = new Map<string, Float64Array>()
    const grammarOnly = new Float32Array(n * d)
    items.forEach((it, i) => {
      const key = `${it.meta!.frame}|${it.values!.moral}|${it.values!.economic}`
      if (!baseOf.has(key)) baseOf.set(key, Float64Array.from({ length: d }, () => rng.normal()))
      for (let j = 0; j < d; j++) grammarOnly[i * d + j] = baseOf.get(key)![j] + (it.values!.grammatical ? fixed[j] : 0)
    })
    same.data = { moral: [acts.data.moral![1]], grammatical: [grammarOnly], economic: [acts.data.economic![0]] }
    const r = analyseProjections(same, items)
    const s = r.shares.find((x) => x.factor === 'grammatical')!
    expect(s.varianceExplained[0]).toBeCloseTo(s.squaredCosine[0], 5)
  })
})

describe('judgment-prompt capture on a tiny model', () => {
  const build = buildTinyModel(BUILTIN_MODELS[0])
  const set = { ...VALUE_ENTANGLEMENT_SET, items: buildValueEntanglementItems(ENTANGLEMENT_FRAMES.slice(0, 2)) }
  let model: CausalLM
  beforeAll(async () => {
    model = await loadBuild(build)
  })
  afterAll(() => model.dispose())

  it('reads the last token of the same prompt ids as the reference forward pass and captureActivations', async () => {
    const acts = await captureJudgmentActivations(model, set, { contexts: ['moral', 'grammatical'], batchSize: 3 })
    const d = model.dModel
    expect(acts.layers).toEqual([0, 1, 2, 3])
    const prompt = buildRatingPrompt(model, set, 'grammatical', 'chat')
    for (const i of [0, 7]) {
      const ids = promptIds(model, prompt, set.items[i].text).ids
      const ref = referenceForward(build.config, build.weights, ids)
      for (const l of [0, 3]) {
        const want = ref.residPost[l].subarray((ids.length - 1) * d, ids.length * d)
        const got = acts.data.grammatical![l].subarray(i * d, (i + 1) * d)
        for (let j = 0; j < d; j++) expect(Math.abs(got[j] - want[j])).toBeLessThan(1e-4)
      }
    }
    // Where tokenising the whole prompt gives the same ids, captureActivations on the text agrees.
    const texts = set.items.map((it) => promptText(prompt, it.text))
    const same = set.items.flatMap((it, i) =>
      JSON.stringify(model.encode([texts[i]], false).ids[0]) === JSON.stringify(promptIds(model, prompt, it.text).ids) ? [i] : [],
    )
    expect(same.length).toBeGreaterThan(0)
    const cap = await captureActivations(model, same.map((i) => texts[i]), { hooks: ['resid_post'], pooling: 'last', addSpecialTokens: false })
    same.forEach((item, r) => {
      const a = cap.activations['blocks.2.hook_resid_post'].data.subarray(r * d, (r + 1) * d)
      const b = acts.data.grammatical![2].subarray(item * d, (item + 1) * d)
      for (let j = 0; j < d; j++) expect(Math.abs(a[j] - b[j])).toBeLessThan(1e-4)
    })
  })

  it('runs end to end and reports one heatmap row per pair and context', async () => {
    const r = await runProjectionProbe(model, set)
    expect(r.factors).toEqual(FACTORS)
    expect(r.cosines.filter((c) => c.context === 'native')).toHaveLength(3)
    expect(r.cosines).toHaveLength(12)
    expect(r.cosines[0].values).toHaveLength(4)
    expect(r.moralProjections.map((m) => m.context)).toEqual(FACTORS)
    expect(r.layers).toContain(r.bestLayer)
    // Two frames: one per fold, so the best layer is still cross-fitted.
    expect(r.bestLayerReason).toMatch(/cross-fitted/)
    expect(r.cost.forwardPasses).toBe(3 * Math.ceil(16 / 8))
  })
})
