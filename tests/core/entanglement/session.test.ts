import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { VALUE_ENTANGLEMENT_SET } from '../../../src/core/stimuli/builtin/index.ts'
import { subsetFrames, runEntanglementProbes, runEntanglementAblation, kindsOf } from '../../../src/core/entanglement/session.ts'
import type { CausalLM } from '../../../src/core/model/causal-lm.ts'
import { loadBuild } from '../hooks/helpers.ts'

describe('entanglement session', () => {
  let model: CausalLM
  beforeAll(async () => {
    model = await loadBuild(buildTinyModel(BUILTIN_MODELS[0]))
  })
  afterAll(() => model.dispose())

  it('subsets whole frames so the design stays factorial', () => {
    const { set, used, total } = subsetFrames(VALUE_ENTANGLEMENT_SET, 5, 2)
    expect(used).toBe(5)
    expect(total).toBe(52)
    expect(set.items).toHaveLength(40)
    const cells = new Set(set.items.map((i) => `${i.values!.moral}${i.values!.grammatical}${i.values!.economic}`))
    expect(cells.size).toBe(8)
    expect(subsetFrames(VALUE_ENTANGLEMENT_SET, 5, 2).set.items.map((i) => i.id)).toEqual(set.items.map((i) => i.id))
  })

  it('runs the three probes and then the ablation reusing them', async () => {
    const probes = await runEntanglementProbes(model, VALUE_ENTANGLEMENT_SET, { frames: 2, seed: 1 })
    expect(probes.kinds).toEqual(['moral', 'grammatical', 'economic'])
    expect(probes.behaviour.items).toHaveLength(16)
    expect(probes.projection!.layers).toHaveLength(4)
    expect(probes.embedding!.places.length).toBe(2)
    const ab = await runEntanglementAblation(model, VALUE_ENTANGLEMENT_SET, probes, { frames: 2, seed: 1 })
    expect(ab.layer).toBe(probes.projection!.bestLayer)
    // The "before" runs are the probes' own results, not recomputed.
    expect(ab.behaviour.before.items.map((i) => i.ratings.grammatical!.expected)).toEqual(probes.behaviour.items.map((i) => i.ratings.grammatical!.expected))
    expect(ab.items).toHaveLength(16)
  })

  it('finds the kinds of value a set carries', () => {
    expect(kindsOf({ ...VALUE_ENTANGLEMENT_SET, items: [{ id: 'a', text: 'x', values: { grammatical: 1 } }] })).toEqual(['grammatical'])
  })
})
