// Exports Llama-family tiny LM weights as a "fused" ONNX graph in the style of onnxruntime-genai's
// model builder (what most onnx-community q4/q4f16 decoders look like), in fp32:
// - the residual stream has no Add nodes: each residual add is the `input_skip_bias_sum` output (3)
//   of a com.microsoft SkipSimplifiedLayerNormalization, and the final norm does not emit it;
// - attention is com.microsoft RotaryEmbedding on q and k, then GroupQueryAttention, whose
//   `seqlens_k` and `total_sequence_length` come from a shared `/model/attn_mask_reformat` subgraph;
// - values are named `{node}/output_{k}`, weights larger than 1 KiB live in `model.onnx_data`.
import { GraphBuilder, DataType } from '../onnx/builder.ts'
import type { AttrValue } from '../onnx/builder.ts'
import type { ModelProto } from '../onnx/proto.ts'
import { makeExternalTensor, makeTensor } from '../onnx/tensor.ts'
import { rotaryCaches, type TinyLmConfig, type TinyLmWeights } from './spec.ts'

const F = DataType.FLOAT
const MS = 'com.microsoft'

export interface FusedExportOptions {
  /** External data file name, relative to the .onnx file (the initializers' `location`). */
  location?: string
  /** Initializers with more bytes than this go to the external file. */
  externalThreshold?: number
  /** Offsets of external payloads are multiples of this. */
  align?: number
}

export interface FusedExport {
  model: ModelProto
  /** Name of the external data file, as the initializers reference it. */
  location: string
  /** Contents of the external data file. */
  externalData: Uint8Array
}

/** Collects float payloads into one external data buffer, each at an aligned offset. */
class ExternalDataWriter {
  private chunks: { offset: number; bytes: Uint8Array }[] = []
  private size = 0

  constructor(
    readonly location: string,
    private readonly align: number,
  ) {}

  add(name: string, dims: number[], data: Float32Array) {
    const offset = Math.ceil(this.size / this.align) * this.align
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    this.chunks.push({ offset, bytes })
    this.size = offset + bytes.length
    return makeExternalTensor(name, dims, F, this.location, offset, bytes.length)
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size)
    for (const c of this.chunks) out.set(c.bytes, c.offset)
    return out
  }
}

export function exportFused(cfg: TinyLmConfig, w: TinyLmWeights, opts: FusedExportOptions = {}): FusedExport {
  if (cfg.family !== 'llama')
    throw new Error(`exportFused: family "${cfg.family}" is not supported (expected "llama")`)
  const location = opts.location ?? 'model.onnx_data'
  const threshold = opts.externalThreshold ?? 1024
  const ext = new ExternalDataWriter(location, opts.align ?? 64)
  const b = new GraphBuilder('main_graph')
  const { dModel: d, nHeads: H, nKvHeads: Hkv, dHead: dh, dMlp, vocabSize: V, nLayers: L } = cfg

  const weight = (name: string, dims: number[], data: Float32Array) =>
    b.initTensor(data.byteLength > threshold ? ext.add(name, dims, data) : makeTensor(name, dims, data))
  type Attrs = Record<string, AttrValue>
  /** One node named `name`, outputs `{name}/output_0` or as given ('' for an absent optional output). */
  const node = (opType: string, name: string, inputs: string[], attrs: Attrs = {}, outputs?: string[], domain = '') =>
    b.node(opType, inputs, attrs, { name, domain, outputs: outputs ?? [`${name}/output_0`] })
  const op = (opType: string, name: string, inputs: string[], attrs: Attrs = {}, domain = '') =>
    node(opType, name, inputs, attrs, undefined, domain)[0]

  const inputIds = b.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length'])
  const attentionMask = b.input('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length'])
  const positionIds = b.input('position_ids', DataType.INT64, ['batch_size', 'sequence_length'])
  const past: [string, string][] = []
  for (let l = 0; l < L; l++) {
    const shape = ['batch_size', Hkv, 'past_sequence_length', dh]
    past.push([b.input(`past_key_values.${l}.key`, F, shape), b.input(`past_key_values.${l}.value`, F, shape)])
  }
  b.output('logits', F, ['batch_size', 'sequence_length', V])
  for (let l = 0; l < L; l++) {
    const shape = ['batch_size', Hkv, 'total_sequence_length', dh]
    b.output(`present.${l}.key`, F, shape)
    b.output(`present.${l}.value`, F, shape)
  }

  // GroupQueryAttention reads the mask only as per-row lengths: seqlens_k = Σ mask − 1 (int32),
  // total_sequence_length = the mask's width (int32 scalar).
  const ms = '/model/attn_mask_reformat/attn_mask_subgraph'
  const reduceAxes = b.constInt64([1], '/model/constants/INT64/[1]')
  const one = b.scalarInt64(1, '/model/constants/INT64/1')
  const sum = op('ReduceSum', `${ms}/ReduceSum`, [attentionMask, reduceAxes], { keepdims: 0 })
  const seqlensK = op('Cast', `${ms}/Sub/Cast`, [op('Sub', `${ms}/Sub`, [sum, one])], { to: DataType.INT32 })
  const width = op('Gather', `${ms}/Gather`, [op('Shape', `${ms}/Shape`, [attentionMask]), one], { axis: 0 })
  const totalSeqLen = op('Cast', `${ms}/Gather/Cast`, [width], { to: DataType.INT32 })

  const embedName = 'model.embed_tokens.weight'
  weight(embedName, [V, d], w.embed)
  let residual = op('Gather', '/model/embed_tokens/Gather', [embedName, inputIds], { axis: 0 })
  const eps = { float: cfg.eps }
  // Builders name this output like the SkipLayerNorm outputs of the later layers.
  const ln0 = '/model/layers.0/input_layernorm'
  let normed = node(
    'SimplifiedLayerNormalization',
    `${ln0}/LayerNorm`,
    [residual, weight('model.layers.0.input_layernorm.weight', [d], w.layers[0].ln1)],
    { axis: -1, epsilon: eps, stash_type: 1 },
    [`${ln0}/output_0`],
  )[0]

  const { cos, sin } = rotaryCaches(cfg)
  const cosCache = weight('cos_cache', [cfg.maxPositions, dh / 2], cos)
  const sinCache = weight('sin_cache', [cfg.maxPositions, dh / 2], sin)

  /** SkipSimplifiedLayerNormalization(input, skip, gain) → (normed, mean, inv_std_var, input + skip). */
  const skipNorm = (scope: string, x: string, skip: string, param: string, gain: Float32Array, withSum: boolean) => {
    const outs = withSum ? [`${scope}/output_0`, '', '', `${scope}/output_3`] : [`${scope}/output_0`]
    const inputs = [x, skip, weight(`${param}.weight`, [d], gain)]
    return node('SkipSimplifiedLayerNormalization', `${scope}/SkipLayerNorm`, inputs, { epsilon: eps }, outs, MS)
  }
  const linear = (scope: string, x: string, wt: Float32Array, dims: number[], param: string, bias?: Float32Array) => {
    const mm = op('MatMul', `${scope}/MatMul`, [x, weight(`${param}.MatMul.weight`, dims, wt)])
    return bias ? op('Add', `${scope}/Add`, [mm, weight(`${param}.Add.bias`, [dims[1]], bias)]) : mm
  }

  for (let l = 0; l < L; l++) {
    const W = w.layers[l]
    const s = `/model/layers.${l}`
    const p = `model.layers.${l}`
    const as = `${s}/attn`
    const q = linear(`${as}/q_proj`, normed, W.wq, [d, H * dh], `${p}.attn.q_proj`, W.bq)
    const k = linear(`${as}/k_proj`, normed, W.wk, [d, Hkv * dh], `${p}.attn.k_proj`, W.bk)
    const v = linear(`${as}/v_proj`, normed, W.wv, [d, Hkv * dh], `${p}.attn.v_proj`, W.bv)
    // 3-D [B, S, heads·dh] input, so num_heads tells the op where heads split.
    const rotary = (name: string, x: string, heads: number) =>
      op('RotaryEmbedding', `${as}/${name}/RotaryEmbedding`, [x, positionIds, cosCache, sinCache], {
        interleaved: 0,
        num_heads: heads,
      }, MS)
    const qr = rotary('q_rotary', q, H)
    const kr = rotary('k_rotary', k, Hkv)
    const gqa = `${as}/GroupQueryAttention`
    const [ctx] = node(
      'GroupQueryAttention',
      gqa,
      [qr, kr, v, past[l][0], past[l][1], seqlensK, totalSeqLen],
      { num_heads: H, kv_num_heads: Hkv, scale: { float: 1 / Math.sqrt(dh) }, do_rotary: 0, local_window_size: -1 },
      [`${gqa}/output_0`, `present.${l}.key`, `present.${l}.value`],
      MS,
    )
    const attnOut = linear(`${as}/o_proj`, ctx, W.wo, [H * dh, d], `${p}.attn.o_proj`)
    const postScope = `${s}/post_attention_layernorm`
    const post = skipNorm(postScope, attnOut, residual, `${p}.post_attention_layernorm`, W.ln2, true)
    const m = post[0]
    residual = post[3] // resid_mid of layer l

    const mp = `${s}/mlp`
    const gate = linear(`${mp}/gate_proj`, m, W.wGate!, [d, dMlp], `${p}.mlp.gate_proj`)
    const up = linear(`${mp}/up_proj`, m, W.wIn, [d, dMlp], `${p}.mlp.up_proj`)
    const silu = op('Mul', `${mp}/act_fn/Mul`, [gate, op('Sigmoid', `${mp}/act_fn/Sigmoid`, [gate])])
    const down = linear(`${mp}/down_proj`, op('Mul', `${mp}/Mul`, [silu, up]), W.wOut, [dMlp, d], `${p}.mlp.down_proj`)

    if (l + 1 < L) {
      const scope = `/model/layers.${l + 1}/input_layernorm`
      const next = skipNorm(scope, down, residual, `model.layers.${l + 1}.input_layernorm`, w.layers[l + 1].ln1, true)
      normed = next[0]
      residual = next[3] // resid_post of layer l = resid_pre of layer l + 1
    } else {
      // As in real exports the final norm emits only the normed output, not the residual sum.
      normed = skipNorm(`/model/layers.${L}/final_norm_layernorm`, down, residual, 'model.norm', w.lnFinal, false)[0]
    }
  }
  // Tied embeddings get their own transposed copy, as the builders write it.
  const lmHead = weight('lm_head.MatMul.weight', [d, V], w.unembed)
  node('MatMul', '/lm_head/MatMul', [normed, lmHead], {}, ['logits'])

  const model = b.model({ opset: 21, msOpset: 1, irVersion: 10 })
  return { model, location, externalData: ext.bytes() }
}
