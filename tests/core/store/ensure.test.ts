import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { MORAL_TYPICALITY_SET } from '../../../src/core/stimuli/builtin/index.ts'
import { ActivationStore } from '../../../src/core/store/store.ts'
import { MemoryBackend } from '../../../src/core/store/backend.ts'
import { ensureCapture, planCapture } from '../../../src/core/store/ensure.ts'
import { captureActivations } from '../../../src/core/hooks/capture.ts'
import type { CausalLM } from '../../../src/core/model/causal-lm.ts'
import { loadBuild } from '../hooks/helpers.ts'

describe('ensureCapture', () => {
  let model: CausalLM
  const set = { ...MORAL_TYPICALITY_SET, items: MORAL_TYPICALITY_SET.items.slice(0, 12) }
  beforeAll(async () => {
    model = await loadBuild(buildTinyModel(BUILTIN_MODELS[0]))
  })
  afterAll(() => model.dispose())

  it('captures once, reuses the stored capture, and captures only hooks that are missing', async () => {
    const store = new ActivationStore(new MemoryBackend())
    const plan = await planCapture(model, store, set, { hooks: ['resid_post'], pooling: 'last' }, async () => ({ quota: 1e9, usage: 0 }))
    expect(plan.missing).toHaveLength(4)
    expect(plan.bytes).toBe(12 * model.dModel * 4 * 4)
    expect(plan.quota.ok).toBe(true)
    const first = await ensureCapture(model, store, set, { hooks: ['resid_post'], pooling: 'last' })
    expect(first.reused).toBe(false)
    const again = await ensureCapture(model, store, set, { hooks: ['resid_post'], pooling: 'last' })
    expect(again.reused).toBe(true)
    const more = await ensureCapture(model, store, set, { hooks: ['resid_post', 'blocks.1.hook_resid_mid'], pooling: 'last' })
    expect(more.captured).toEqual(['blocks.1.hook_resid_mid'])
    const loaded = await store.loadHooks(more.summary.id, ['blocks.2.hook_resid_post', 'blocks.1.hook_resid_mid'])
    const direct = await captureActivations(model, set.items.map((i) => i.text), { hooks: ['blocks.2.hook_resid_post', 'blocks.1.hook_resid_mid'], pooling: 'last' })
    expect(Array.from(loaded['blocks.2.hook_resid_post'].data)).toEqual(Array.from(direct.activations['blocks.2.hook_resid_post'].data))
    expect(Array.from(loaded['blocks.1.hook_resid_mid'].data)).toEqual(Array.from(direct.activations['blocks.1.hook_resid_mid'].data))
  })

  it('warns before a capture that would exceed the quota', async () => {
    const store = new ActivationStore(new MemoryBackend())
    const plan = await planCapture(model, store, set, { hooks: ['resid_pre', 'resid_mid', 'resid_post'], pooling: 'all' }, async () => ({ quota: 10_000, usage: 9_000 }))
    expect(plan.quota.ok).toBe(false)
    expect(plan.quota.message).toMatch(/quota|space|storage/i)
  })
})
