// The ablation end to end on a generated model with a planted direction: a vector w added to the
// residual stream (blocks.2.hook_resid_mid) of morally good items only, pointing partly along the
// digits' read-out so that it lowers their ratings. The probe must find the planted moral effect on
// grammaticality ratings; ablating w from that point on must remove it; ablating a random direction
// of the same length must not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import type { CausalLM } from '../../../src/core/model/causal-lm.ts'
import type { Intervention } from '../../../src/core/hooks/interventions.ts'
import { ENTANGLEMENT_FRAMES, VALUE_ENTANGLEMENT_SET, buildValueEntanglementItems } from '../../../src/core/stimuli/builtin/value-entanglement.ts'
import type { StimulusItem, StimulusSet } from '../../../src/core/stimuli/types.ts'
import { runBehaviouralProbe } from '../../../src/core/entanglement/behaviour.ts'
import {
  ablationInterventions,
  grammarAccuracy,
  randomDirection,
  residualHooks,
  runAblation,
} from '../../../src/core/entanglement/ablation.ts'
import { ratingDigits } from '../../../src/core/entanglement/prompts.ts'
import { methodNotes, readAblation } from '../../../src/core/entanglement/readings.ts'
import { loadBuild } from '../hooks/helpers.ts'

const PLANT_LAYER = 2
const ALPHA = 5

describe('ablation of a planted moral direction', () => {
  const build = buildTinyModel(BUILTIN_MODELS[0])
  const set: StimulusSet = { ...VALUE_ENTANGLEMENT_SET, items: buildValueEntanglementItems(ENTANGLEMENT_FRAMES.slice(0, 6)) }
  const kinds = ['moral' as const, 'grammatical' as const]
  let model: CausalLM
  let w: Float32Array
  let plant: Intervention[]
  const itemInterventions = (it: StimulusItem) => (it.values?.moral === 1 ? plant : undefined)
  beforeAll(async () => {
    model = await loadBuild(build)
    const d = model.dModel
    const V = build.config.vocabSize
    // Read-out of "higher digit": final-norm gain × Σ_r (r − 4)·unembedding of digit r.
    const digits = ratingDigits(model, 'chat')
    const readout = new Float64Array(d)
    for (let i = 0; i < d; i++) for (let r = 0; r < 7; r++) readout[i] += build.weights.lnFinal[i] * (r - 3) * build.weights.unembed[i * V + digits.ids[r]]
    const rn = Math.hypot(...readout)
    const other = randomDirection(d, 7, 1)
    const mix = Float64Array.from(readout, (v, i) => (-0.6 * v) / rn + 0.8 * other[i])
    const mn = Math.hypot(...mix)
    w = Float32Array.from(mix, (v) => v / mn)
    plant = [{ hook: `blocks.${PLANT_LAYER}.hook_resid_mid`, add: w.map((v) => ALPHA * v) }]
  })
  afterAll(() => model.dispose())

  it('detects the planted effect, removes it by ablating w, and keeps it when a random direction is ablated', async () => {
    const noPlant = await runBehaviouralProbe(model, set, { kinds })
    const beta0 = noPlant.entanglement[0].model.estimate
    const hooks = residualHooks(model, { fromLayer: PLANT_LAYER })
    expect(hooks).toEqual([2, 3].flatMap((l) => ['resid_pre', 'resid_mid', 'resid_post'].map((k) => `blocks.${l}.hook_${k}`)))
    const a = await runAblation(model, set, { kinds, itemInterventions, direction: w, hooks, projections: false, seed: 1 })
    const e = a.comparison.entanglement[0]
    expect(e.kind).toBe('grammatical')
    const planted = e.before.estimate - beta0
    // The probe sees a clear moral effect on grammaticality that the unplanted model does not have.
    expect(Math.abs(planted)).toBeGreaterThan(1)
    expect(e.before.ci[1]).toBeLessThan(0)
    expect(Math.abs(beta0)).toBeLessThan(0.1)
    // Ablating w brings it back to the no-plant value ...
    expect(Math.abs(e.after.estimate - beta0)).toBeLessThan(0.1 * Math.abs(planted))
    // ... ablating a random direction of the same norm does not.
    expect(Math.abs(e.random.estimate - e.before.estimate)).toBeLessThan(0.25 * Math.abs(planted))
    expect(Math.abs(e.random.estimate - beta0)).toBeGreaterThan(0.5 * Math.abs(planted))
    expect(a.randomDirection.norm).toBeCloseTo(1, 5)
    expect(Math.abs(a.randomDirection.cosineWithMoral)).toBeLessThan(0.5)
    expect(e.humanNorm).toBe(0)
    // The plant acts on good items only, so the ablation moves them most.
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length
    const moved = (good: number) => mean(a.items.filter((it) => it.values.moral === good).map((it) => Math.abs(it.delta.grammatical!)))
    expect(moved(1)).toBeGreaterThan(10 * moved(0))
    // Controls reported in the same run.
    expect(a.comparison.moralRatings).toBeDefined()
    expect(a.comparison.grammarAccuracy!.source).toBe('proxy')
    expect(a.behaviour.after.cost.forwardPasses).toBeGreaterThan(0)
    const texts = readAblation(a).map((r) => r.text)
    expect(texts[0]).toMatch(/towards the human norm of 0\.00/)
    expect(texts.some((t) => t.includes('proxy'))).toBe(true)
  })

  it('ablating the same direction without the plant leaves ratings near the no-plant model', async () => {
    const hooks = residualHooks(model, { fromLayer: PLANT_LAYER })
    const plain = await runBehaviouralProbe(model, set, { kinds: ['grammatical'] })
    const ablated = await runBehaviouralProbe(model, set, { kinds: ['grammatical'], interventions: ablationInterventions(hooks, w) })
    const gap = Math.max(...plain.items.map((it, i) => Math.abs(it.ratings.grammatical!.expected - ablated.items[i].ratings.grammatical!.expected)))
    expect(gap).toBeGreaterThan(0)
    expect(Math.abs(ablated.entanglement[0].model.estimate - plain.entanglement[0].model.estimate)).toBeLessThan(0.1)
  })

  it('by default finds the moral direction with the projection probe and ablates it everywhere', async () => {
    const neutralSet: StimulusSet = {
      id: 'import:cola-mini',
      name: 'CoLA mini',
      source: 'test',
      licence: 'test',
      kind: 'generic',
      items: [
        ['The cat sat on the mat.', 1],
        ['The cat sat mat on the.', 0],
        ['She has finished her work.', 1],
        ['She have finished her work.', 0],
      ].map(([text, g], i) => ({ id: `c${i}`, text: text as string, values: { grammatical: g as number } })),
    }
    const progress: string[] = []
    const a = await runAblation(model, set, { kinds, itemInterventions, neutralSet, onProgress: (p) => progress.push(p.message ?? '') })
    const before = a.projection!.before
    expect(a.layer).toBe(before.bestLayer)
    // The planted direction dominates the moral contrast from the plant onwards.
    expect(a.layer).toBeGreaterThanOrEqual(PLANT_LAYER)
    const k = before.layers.indexOf(a.layer)
    const dir = before.moralDirections[k]
    const cos = dir.reduce((s, v, i) => s + v * w[i], 0) / Math.hypot(...dir)
    expect(Math.abs(cos)).toBeGreaterThan(0.8)
    expect(a.hooks).toEqual(residualHooks(model))
    const e = a.comparison.entanglement[0]
    expect(Math.abs(e.after.estimate)).toBeLessThan(0.2 * Math.abs(e.before.estimate))
    expect(Math.abs(e.random.estimate)).toBeGreaterThan(0.5 * Math.abs(e.before.estimate))
    // After ablation the re-estimated moral direction at the ablated layer is orthogonal to the old one.
    expect(Math.abs(a.comparison.projections!.moralDirectionCosine.after[k])).toBeLessThan(0.05)
    expect(a.comparison.grammarAccuracy!.source).toBe('neutral-set')
    expect(a.comparison.grammarAccuracy!.before.n).toBe(4)
    expect(a.neutral!.after.kinds).toEqual(['grammatical'])
    expect(progress[progress.length - 1]).toBe('Done')
  })
})

describe('ablation helpers', () => {
  it('grammar accuracy is the discrimination and the AUC of well-formed over ill-formed ratings', () => {
    const acc = grammarAccuracy([5, 6, 3, 2, 5, 4], [1, 1, 0, 0, 0, undefined])
    expect(acc.discrimination).toBeCloseTo(5.5 - 10 / 3, 12)
    // pairs (good, bad): 5>3, 5>2, 5=5 (½), 6>3, 6>2, 6>5 → 5.5 of 6
    expect(acc.auc).toBeCloseTo(5.5 / 6, 12)
    expect(acc.n).toBe(5)
  })

  it('builds random directions of a given length reproducibly and refuses zero directions', () => {
    const a = randomDirection(16, 3, 2.5)
    expect(Math.hypot(...a)).toBeCloseTo(2.5, 5)
    expect(Array.from(randomDirection(16, 3, 2.5))).toEqual(Array.from(a))
    expect(Array.from(randomDirection(16, 4, 2.5))).not.toEqual(Array.from(a))
    expect(() => ablationInterventions(['blocks.0.hook_resid_pre'], new Float32Array(4))).toThrow(/zero direction/)
  })

  it('every method note says whether it departs from METHODS §2.3', () => {
    const notes = methodNotes()
    expect(new Set(notes.map((n) => n.id)).size).toBe(notes.length)
    expect(notes.find((n) => n.id === 'paper-not-public')!.deviation).toBe(true)
    expect(notes.filter((n) => n.deviation).length).toBeGreaterThan(5)
  })
})
