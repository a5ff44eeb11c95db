import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { referenceForward } from '../../../src/core/testmodels/reference.ts'
import { createSae, reconstruct, encode } from '../../../src/core/sae/model.ts'
import { resolveSaeEdits, decoderDirection } from '../../../src/core/sae/edits.ts'
import { applyEdit } from '../../../src/core/sae/realign.ts'
import { forwardWithEdits } from '../../../src/core/hooks/edit.ts'
import { Rng } from '../../../src/core/random.ts'
import type { CausalLM } from '../../../src/core/model/causal-lm.ts'
import { loadBuild, maxAbsDiff } from '../hooks/helpers.ts'

describe('SAE edits on the residual stream', () => {
  const build = buildTinyModel(BUILTIN_MODELS[0])
  const cfg = build.config
  const d = cfg.dModel
  let model: CausalLM
  const sae = createSae({ architecture: 'topk', k: 4, decoderInitNorm: 0.1, normalizeDecoder: true, dIn: d, dSae: 4 * d }, new Rng(3))
  sae.bEnc.fill(0.05)
  beforeAll(async () => {
    model = await loadBuild(build)
  })
  afterAll(() => model.dispose())

  async function run(specs: Parameters<typeof resolveSaeEdits>[1], texts: string[]) {
    const { edits, interventions } = resolveSaeEdits(sae, specs)
    const batch = model.encode(texts)
    const out = await forwardWithEdits(model, batch, { fetch: ['logits'], edits, interventions })
    return { batch, logits: out.logits.data as Float32Array }
  }

  it('the splice replaces the residual by the SAE reconstruction, as the reference does', async () => {
    const { batch, logits } = await run([{ kind: 'splice', hook: 'blocks.1.hook_resid_post' }], ['It is good to help.', 'Lying'])
    const V = cfg.vocabSize
    batch.ids.forEach((ids, b) => {
      const ref = referenceForward(cfg, build.weights, ids, [
        { hook: 'resid_post', layer: 1, transform: (row) => row.set(reconstruct(sae, Float32Array.from(row))) },
      ])
      expect(maxAbsDiff(logits.subarray(b * batch.maxLen * V, (b * batch.maxLen + ids.length) * V), ref.logits)).toBeLessThan(1e-3)
    })
  })

  it('the re-alignment edit on the last token only, and feature steering', async () => {
    const features = [1, 5, 9]
    const M = [1.5, 0.2, 0, 0, 0.5, 0.1, 0.3, 0, 2]
    const { batch, logits } = await run([{ kind: 'realign', hook: 'blocks.2.hook_resid_mid', features, M, positions: 'last' }], ['Kindness matters a lot'])
    const ids = batch.ids[0]
    const T = ids.length
    let t = 0
    const ref = referenceForward(cfg, build.weights, ids, [
      {
        hook: 'resid_mid',
        layer: 2,
        transform: (row) => {
          if (t++ === T - 1) {
            const x = Float32Array.from(row)
            const delta = applyEdit(M, features, sae, encode(sae, x))
            for (let i = 0; i < d; i++) row[i] += delta[i]
          }
        },
      },
    ])
    expect(maxAbsDiff(logits, ref.logits)).toBeLessThan(1e-3)
    const steer = await run([{ kind: 'steer', hook: 'blocks.0.hook_resid_post', feature: 7, alpha: 4 }], ['Kindness'])
    const dir = decoderDirection(sae, 7)
    const ref2 = referenceForward(cfg, build.weights, steer.batch.ids[0], [{ hook: 'resid_post', layer: 0, add: dir.map((x) => 4 * x) }])
    expect(maxAbsDiff(steer.logits, ref2.logits)).toBeLessThan(1e-4)
  })
})
