import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { BUILTIN_MODELS, TEST_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { referenceForward } from '../../../src/core/testmodels/reference.ts'
import { decodeModel, encodeModel } from '../../../src/core/onnx/proto.ts'
import { locateResidualStream } from '../../../src/core/hooks/locate.ts'
import { instrumentGraph } from '../../../src/core/hooks/instrument.ts'
import { randomUnit, maxAbsDiff } from './helpers.ts'

// A spliced subgraph goes in at the same insertion point as the interventions. Here it is a
// rank-one edit y = h + relu(h·u)·v, the shape an SAE encode/edit/decode step takes.
describe.each([BUILTIN_MODELS[0], TEST_MODELS[0]].map((d) => [d.id, d] as const))('splicing a subgraph into %s', (_id, def) => {
  it('transforms the residual at the hook exactly as the reference does', async () => {
    const build = buildTinyModel(def)
    const cfg = build.config
    const d = cfg.dModel
    const external = build.files.get('onnx/model.onnx_data')
    const model = decodeModel(build.files.get('onnx/model.onnx')!)
    const map = locateResidualStream(model, cfg.nLayers)
    const u = randomUnit(d, 11)
    const v = randomUnit(d, 12).map((x) => 2 * x)
    const inst = instrumentGraph(model, map, {
      dModel: d,
      interventions: false,
      splices: [
        {
          hook: 'blocks.1.hook_resid_mid',
          build: (b, h) => {
            const coeff = b.op('Relu', [b.op('MatMul', [h, b.init('splice.u', [d, 1], u)], {}, { name: '/splice/MatMul' })], {}, { name: '/splice/Relu' })
            return b.op('Add', [h, b.op('MatMul', [coeff, b.init('splice.v', [1, d], v)], {}, { name: '/splice/MatMul' })], {}, { name: '/splice/Add' })
          },
        },
      ],
    })
    const session = await ort.InferenceSession.create(encodeModel(inst.model), external ? { externalData: [{ path: 'model.onnx_data', data: external }] } : {})
    const ids = [5, 77, 301, 42, 9]
    const T = ids.length
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, T]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(i))), [1, T]),
    }
    for (let l = 0; l < cfg.nLayers; l++)
      for (const kv of ['key', 'value'])
        feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, cfg.nKvHeads, 0, cfg.dHead])
    const out = await session.run(feeds, ['logits'])
    const edit = (row: Float64Array) => {
      let c = 0
      for (let i = 0; i < d; i++) c += row[i] * u[i]
      c = Math.max(0, c)
      for (let i = 0; i < d; i++) row[i] += c * v[i]
    }
    const ref = referenceForward(cfg, build.weights, ids, [{ hook: 'resid_mid', layer: 1, transform: edit }])
    const plain = referenceForward(cfg, build.weights, ids)
    expect(maxAbsDiff(out.logits.data as Float32Array, ref.logits)).toBeLessThan(1e-4)
    // The splice did something.
    expect(maxAbsDiff(ref.logits, plain.logits)).toBeGreaterThan(1e-2)
    await session.release()
  })
})
