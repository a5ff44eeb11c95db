import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_MODELS, TEST_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { PrefixKvCache } from '../../../src/core/hooks/prefix-cache.ts'
import type { CausalLM } from '../../../src/core/model/causal-lm.ts'
import { loadBuild, maxAbsDiff, randomUnit } from './helpers.ts'

describe.each([...BUILTIN_MODELS, ...TEST_MODELS.filter((m) => !m.variant)].map((d) => [d.id, d] as const))('prefix KV reuse on %s', (_id, def) => {
  const build = buildTinyModel(def)
  let model: CausalLM
  beforeAll(async () => {
    model = await loadBuild(build)
  })
  afterAll(() => model.dispose())

  it('gives the same next-token logits as running each prompt from scratch, with fewer tokens computed', async () => {
    const prefix = model.encode(['Rate how morally good this act is, from 1 to 7. Act:']).ids[0]
    const suffixes = [' helping a friend. Rating:', ' stealing a bike. Rating:', ' lying. Rating:'].map((s) => model.encode([s], false).ids[0])
    const steer = randomUnit(model.dModel, 4).map((x) => 2 * x)
    for (const interventions of [[], [{ hook: 'blocks.2.hook_resid_mid', add: steer }]]) {
      const cache = new PrefixKvCache(model, { interventions })
      await cache.prefill(prefix)
      for (const s of suffixes) {
        const ids = [...prefix, ...s]
        const cached = await cache.nextTokenLogits(ids)
        const batch = { ids: [ids], lengths: [ids.length], maxLen: ids.length }
        const out = await model.forward(batch, { fetch: ['logits'], interventions })
        const V = model.info.vocabSize
        const full = (out.logits.data as Float32Array).slice((ids.length - 1) * V)
        expect(maxAbsDiff(cached, full)).toBeLessThan(1e-4)
      }
      expect(cache.stats.tokensReused).toBe(prefix.length * suffixes.length)
      expect(cache.stats.tokensComputed).toBe(prefix.length + suffixes.reduce((a, s) => a + s.length, 0))
      cache.dispose()
    }
  })
})
