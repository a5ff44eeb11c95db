import { describe, expect, it } from 'vitest'
import { BUILTIN_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { decodeModel } from '../../../src/core/onnx/proto.ts'
import { GraphBuilder, DataType } from '../../../src/core/onnx/builder.ts'
import { locateResidualStream, parseHookName, hookName, residualSites, UnsupportedGraphError } from '../../../src/core/hooks/locate.ts'

describe('locateResidualStream', () => {
  const llama = decodeModel(buildTinyModel(BUILTIN_MODELS[0]).files.get('onnx/model.onnx')!)

  it('refuses a merged decoder with an If node, naming it', () => {
    const m = decodeModel(buildTinyModel(BUILTIN_MODELS[0]).files.get('onnx/model.onnx')!)
    m.graph.node.push({ input: ['use_cache_branch'], output: ['x'], name: 'optimum::if', opType: 'If', domain: '', attribute: [] })
    expect(() => locateResidualStream(m)).toThrow(UnsupportedGraphError)
    expect(() => locateResidualStream(m)).toThrow(/1 If node\(s\) \(e\.g\. "optimum::if"\).*decoder_model_merged/)
  })

  it('refuses a graph without a residual chain, listing the ops it found', () => {
    const b = new GraphBuilder()
    const x = b.input('input_ids', DataType.FLOAT, [1, 4])
    b.op('Relu', [b.op('MatMul', [x, b.init('w', [4, 4], new Float32Array(16))])], {}, { outputs: ['logits'] })
    expect(() => locateResidualStream(b.model())).toThrow(/No residual stream found.*1× MatMul, 1× Relu/)
  })

  it('refuses when the chain disagrees with config.json', () => {
    expect(() => locateResidualStream(llama, 7)).toThrow(/gives 4 layers, but config.json says 7/)
  })

  it('names hooks like TransformerLens and shares resid_post(l) with resid_pre(l+1)', () => {
    const map = locateResidualStream(llama, 4)
    expect(map.hooks.map((h) => h.name).slice(0, 4)).toEqual([
      'blocks.0.hook_resid_pre',
      'blocks.0.hook_resid_mid',
      'blocks.0.hook_resid_post',
      'blocks.1.hook_resid_pre',
    ])
    expect(residualSites(map)).toHaveLength(2 * 4 + 1)
    expect(parseHookName(hookName(3, 'resid_mid'))).toEqual({ layer: 3, kind: 'resid_mid' })
    expect(() => parseHookName('blocks.3.attn.hook_z')).toThrow(/not a hook name/)
  })
})
