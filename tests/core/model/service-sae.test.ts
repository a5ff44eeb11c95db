import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { ModelService, type SourceSpec } from '../../../src/core/model/service.ts'
import { BUILTIN_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { createSae, encode } from '../../../src/core/sae/model.ts'
import { resolveSaeEdits } from '../../../src/core/sae/edits.ts'
import { evaluateSaeSplice } from '../../../src/core/sae/in-model.ts'
import { captureActivations } from '../../../src/core/hooks/capture.ts'
import { generate } from '../../../src/core/hooks/generate.ts'
import { Rng } from '../../../src/core/random.ts'
import { nodeEnv, maxAbsDiff } from '../hooks/helpers.ts'

function localSpec(i: number): SourceSpec {
  const build = buildTinyModel(BUILTIN_MODELS[i])
  return { kind: 'local', name: build.definition.id, entries: [...build.files].map(([path, bytes]) => ({ path, file: new Blob([bytes as BlobPart]) })) }
}

describe('ModelService with an SAE attached', () => {
  const service = new ModelService({ ort: ort as never, probeEnvironment: async () => nodeEnv })
  const d = BUILTIN_MODELS[0].config.dModel
  const sae = createSae({ architecture: 'topk', k: 4, decoderInitNorm: 0.1, normalizeDecoder: true, dIn: d, dSae: 4 * d }, new Rng(5))
  sae.bEnc.fill(0.05)
  const hook = 'blocks.1.hook_resid_post'
  beforeAll(async () => {
    await service.load({ source: localSpec(0) })
  })
  afterAll(() => service.unload())

  it('refuses an SAE of another width and edits before an SAE is attached', async () => {
    const wide = createSae({ architecture: 'topk', k: 2, decoderInitNorm: 0.1, normalizeDecoder: true, dIn: d * 2, dSae: 8 }, new Rng(1))
    expect(() => service.setSae(wide)).toThrow(/128-dimensional .* 64/)
    await expect(service.generate('Hi', { maxNewTokens: 2, saeEdits: [{ kind: 'splice', hook }] })).rejects.toThrow(/No SAE is attached/)
  })

  it('generates, captures and evaluates with the SAE edits exactly as the hooks do', async () => {
    service.setSae(sae)
    const model = service.requireModel()
    const steer = [{ kind: 'steer' as const, hook, feature: 3, alpha: 40 }]
    const viaService = await service.generate('It is good to', { maxNewTokens: 6, saeEdits: steer })
    const resolved = resolveSaeEdits(sae, steer)
    let direct = ''
    for await (const t of generate(model, 'It is good to', { maxNewTokens: 6, interventions: resolved.interventions, edits: resolved.edits, addSpecialTokens: true })) direct = t.text
    expect(viaService.text).toBe(direct)
    const plain = await service.generate('It is good to', { maxNewTokens: 6 })
    expect(plain.text).not.toBe(viaService.text)

    const texts = ['Lying is wrong.', 'Help your friend']
    // Re-align two features that actually fire on these texts.
    const atHook = await captureActivations(model, texts, { hooks: [hook], pooling: 'all' })
    const z = encode(sae, atHook.activations[hook].data)
    const fires = new Array(4 * d).fill(0)
    for (let i = 0; i < z.length; i++) if (z[i] > 0) fires[i % (4 * d)]++
    const active = fires.map((n, f) => [n, f]).sort((a, b) => b[0] - a[0]).slice(0, 2).map(([, f]) => f)
    const realign = [{ kind: 'realign' as const, hook, features: active, M: [0.5, 0.2, -0.1, 1.5], positions: 'all' as const }]
    const cap = await service.capture(texts, { hooks: ['blocks.3.hook_resid_post'], pooling: 'last', saeEdits: realign })
    const r2 = resolveSaeEdits(sae, realign)
    const ref = await captureActivations(model, texts, { hooks: ['blocks.3.hook_resid_post'], pooling: 'last', edits: r2.edits })
    const unedited = await captureActivations(model, texts, { hooks: ['blocks.3.hook_resid_post'], pooling: 'last' })
    expect(maxAbsDiff(cap.activations['blocks.3.hook_resid_post'].data, ref.activations['blocks.3.hook_resid_post'].data)).toBe(0)
    expect(maxAbsDiff(cap.activations['blocks.3.hook_resid_post'].data, unedited.activations['blocks.3.hook_resid_post'].data)).toBeGreaterThan(1e-4)

    const ev = await service.saeSpliceEval(texts, hook)
    const evRef = await evaluateSaeSplice(model, sae, hook, texts)
    expect(ev.ceSpliced).toBeCloseTo(evRef.ceSpliced, 10)
    expect((await service.saeLogitEffects([0, 1], 3)).map((e) => e.promoted.length)).toEqual([3, 3])
    const ids = model.encode(['Lying is wrong.']).ids
    expect(service.decodeTokens(ids)[0].join('')).toContain('Lying is wrong.')
  })

  it('a new model drops the SAE of the old one', async () => {
    service.setSae(sae)
    await service.load({ source: localSpec(1) })
    await expect(service.saeSpliceEval(['x y'], hook)).rejects.toThrow(/No SAE is attached/)
  })
})
