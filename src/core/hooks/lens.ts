// The logit lens without re-implementing any norm or quantised matmul: the model's own nodes
// from the last residual value to the logits are cut out into a small graph that maps any
// residual vector to logits.
import { DataType, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto.ts'
import { valueInfo } from '../onnx/builder.ts'
import { GraphIndex } from '../onnx/surgery.ts'
import { externalInfo } from '../onnx/tensor.ts'
import type { ResidualStreamMap } from './locate.ts'

export const LENS_INPUT = 'moral_lens.lens.residual'
export const LENS_OUTPUT = 'moral_lens.lens.logits'

/**
 * A standalone graph: fp32 residuals [batch, positions, d] → fp32 logits. A fused final
 * Skip*Normalization is replaced by its non-skip equivalent (same gamma, beta and epsilon).
 */
export function buildLensGraph(model: ModelProto, map: ResidualStreamMap, external: Record<string, Uint8Array> = {}): ModelProto {
  const g = model.graph
  const finalValue = map.hooks[map.hooks.length - 1].value
  const finalNorm = g.node.find((n) => n.name === map.finalNorm.nodeName)
  if (!finalNorm) throw new Error('the final norm was not found')
  const extra: NodeProto[] = []
  let sliceFrom = finalValue
  let gammaName: string
  if (finalNorm.opType === 'SkipSimplifiedLayerNormalization' || finalNorm.opType === 'SkipLayerNormalization') {
    const simplified = finalNorm.opType === 'SkipSimplifiedLayerNormalization'
    gammaName = finalNorm.input[2]
    extra.push({
      name: '/moral_lens/lens/FinalNorm',
      opType: simplified ? 'SimplifiedLayerNormalization' : 'LayerNormalization',
      domain: '',
      input: simplified ? ['moral_lens.lens.cast', gammaName] : ['moral_lens.lens.cast', gammaName, finalNorm.input[3] ?? ''].filter(Boolean),
      output: [finalNorm.output[0]],
      attribute: [
        ...finalNorm.attribute.filter((a) => a.name === 'epsilon'),
        { name: 'axis', type: 2, i: -1 },
      ],
    })
    sliceFrom = finalNorm.output[0]
  } else {
    gammaName = finalNorm.input.find((x) => g.initializer.some((t) => t.name === x)) ?? ''
  }
  const index = new GraphIndex(g)
  const keep = new Set<NodeProto>()
  const needInits = new Set<string>(gammaName ? [gammaName] : [])
  const stack = ['logits']
  const seen = new Set<string>()
  while (stack.length) {
    const v = stack.pop()!
    if (seen.has(v) || v === sliceFrom) continue
    seen.add(v)
    if (index.initializers.has(v)) {
      needInits.add(v)
      continue
    }
    const p = index.producerOf(v)
    if (!p) {
      if (index.inputs.has(v)) throw new Error(`the logit lens would need the graph input "${v}"; this graph's head is not supported`)
      continue
    }
    if (keep.has(p)) continue
    keep.add(p)
    for (const x of p.input) if (x) stack.push(x)
  }
  const initializers: TensorProto[] = g.initializer
    .filter((t) => needInits.has(t.name))
    .map((t) => {
      const ext = externalInfo(t)
      if (!ext) return t
      const file = external[ext.location]
      if (!file) throw new Error(`external data "${ext.location}" is needed for the logit lens`)
      return { name: t.name, dims: t.dims, dataType: t.dataType, rawData: file.slice(ext.offset, ext.offset + ext.length), dirty: true }
    })
  // The residual arrives as fp32 and is cast to the type the model's norm weights have.
  const castIn: NodeProto = gammaName
    ? { name: '/moral_lens/lens/CastIn', opType: 'CastLike', domain: '', input: [LENS_INPUT, gammaName], output: ['moral_lens.lens.cast'], attribute: [] }
    : { name: '/moral_lens/lens/CastIn', opType: 'Identity', domain: '', input: [LENS_INPUT], output: ['moral_lens.lens.cast'], attribute: [] }
  const rename = (n: NodeProto): NodeProto =>
    extra.length ? n : { ...n, input: n.input.map((x) => (x === sliceFrom ? 'moral_lens.lens.cast' : x)) }
  const castOut: NodeProto = {
    name: '/moral_lens/lens/CastOut',
    opType: 'Cast',
    domain: '',
    input: ['logits'],
    output: [LENS_OUTPUT],
    attribute: [{ name: 'to', type: 2, i: DataType.FLOAT }],
  }
  return {
    ...model,
    graph: {
      node: [castIn, ...extra, ...g.node.filter((n) => keep.has(n)).map(rename), castOut],
      name: 'moral_lens_logit_lens',
      initializer: initializers,
      input: [valueInfo(LENS_INPUT, DataType.FLOAT, ['batch', 'positions', map.hooks.length ? 'd_model' : 0])],
      output: [valueInfo(LENS_OUTPUT, DataType.FLOAT)],
      valueInfo: [],
    },
  }
}
