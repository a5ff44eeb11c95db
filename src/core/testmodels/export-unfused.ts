// Exports tiny LM weights as an "unfused" ONNX graph in the style of optimum / TorchScript
// exports: plain Add nodes carry the residual stream, nodes are named by module scope
// (`/transformer/h.{i}/Add_1`, `/model/layers.{i}/Add`), and the KV cache is threaded through
// `past_key_values.{i}.key|value` → `present.{i}.key|value`.
// The 'stacked-fp16' variant follows older exports (onnxruntime's GPT-2 converter, early
// transformers.js graphs): one `past_{i}` input [2, batch, heads, past, head_dim] in float16 per
// layer, `present_{i}` outputs likewise, and no `position_ids` input (positions from the mask).
import { GraphBuilder, DataType } from '../onnx/builder.ts'
import type { ModelProto } from '../onnx/proto.ts'
import { rotaryCaches, type TinyLmConfig, type TinyLmWeights } from './spec.ts'

const F = DataType.FLOAT

export interface UnfusedExportOptions {
  /** 'split' (default): fp32 `past_key_values.{i}.key|value`; 'stacked-fp16': fp16 `past_{i}`, no position_ids input. */
  pastStyle?: 'split' | 'stacked-fp16'
}

export function exportUnfused(cfg: TinyLmConfig, w: TinyLmWeights, opts: UnfusedExportOptions = {}): ModelProto {
  const stacked = opts.pastStyle === 'stacked-fp16'
  const b = new GraphBuilder('main_graph')
  const gpt2 = cfg.family === 'gpt2'
  const root = gpt2 ? '/transformer' : '/model'
  const layerScope = (l: number) => (gpt2 ? `/transformer/h.${l}` : `/model/layers.${l}`)
  const { dModel: d, nHeads: H, nKvHeads: Hkv, dHead: dh } = cfg

  const inputIds = b.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length'])
  const attentionMask = b.input('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length'])
  let positionIds = stacked ? '' : b.input('position_ids', DataType.INT64, ['batch_size', 'sequence_length'])
  const pastNames: [string, string][] = []
  for (let l = 0; l < cfg.nLayers; l++) {
    if (stacked) {
      pastNames.push([b.input(`past_${l}`, DataType.FLOAT16, [2, 'batch_size', Hkv, 'past_sequence_length', dh]), ''])
      continue
    }
    const shape = ['batch_size', Hkv, 'past_sequence_length', dh]
    pastNames.push([
      b.input(`past_key_values.${l}.key`, F, shape),
      b.input(`past_key_values.${l}.value`, F, shape),
    ])
  }
  b.output('logits', F, ['batch_size', 'sequence_length', cfg.vocabSize])

  // Shared additive attention mask [B, 1, S, T]: causal over absolute positions, and padding.
  const maskScope = `${root}/mask`
  const seqLen = b.op('Gather', [b.op('Shape', [inputIds], {}, { name: `${maskScope}/Shape` }), b.scalarInt64(1)], { axis: 0 }, { name: `${maskScope}/Gather` })
  const totalLen = b.op('Gather', [b.op('Shape', [attentionMask], {}, { name: `${maskScope}/Shape` }), b.scalarInt64(1)], { axis: 0 }, { name: `${maskScope}/Gather` })
  const pastLen = b.op('Sub', [totalLen, seqLen], {}, { name: `${maskScope}/Sub` })
  const one = b.scalarInt64(1)
  const zero = b.scalarInt64(0)
  const qPos = b.op('Range', [pastLen, totalLen, one], {}, { name: `${maskScope}/Range` })
  const kPos = b.op('Range', [zero, totalLen, one], {}, { name: `${maskScope}/Range` })
  const causal = b.op(
    'LessOrEqual',
    [b.op('Unsqueeze', [kPos, b.constInt64([0])], {}, { name: `${maskScope}/Unsqueeze` }), b.op('Unsqueeze', [qPos, b.constInt64([1])], {}, { name: `${maskScope}/Unsqueeze` })],
    {},
    { name: `${maskScope}/LessOrEqual` },
  )
  const padOk = b.op('Cast', [b.op('Unsqueeze', [attentionMask, b.constInt64([1, 2])], {}, { name: `${maskScope}/Unsqueeze` })], { to: DataType.BOOL }, { name: `${maskScope}/Cast` })
  const allowed = b.op('And', [causal, padOk], {}, { name: `${maskScope}/And` })
  const maskAdd = b.op('Where', [allowed, b.scalarFloat(0), b.scalarFloat(-1e9)], {}, { name: `${maskScope}/Where` })

  if (stacked) {
    // As old GPT-2 exports: position = cumsum(mask) − 1 (1 where masked), last sequence_length
    // columns. Right for right and left padding and for decoding after a padded prompt.
    const ps = `${root}/position_ids`
    const cum = b.op('CumSum', [attentionMask, b.scalarInt64(1)], {}, { name: `${ps}/CumSum` })
    const pos = b.op('Sub', [cum, one], {}, { name: `${ps}/Sub` })
    const masked = b.op('Equal', [attentionMask, zero], {}, { name: `${ps}/Equal` })
    const filled = b.op('Where', [masked, one, pos], {}, { name: `${ps}/Where` })
    const start = b.op('Unsqueeze', [pastLen, b.constInt64([0])], {}, { name: `${ps}/Unsqueeze` })
    const end = b.constInt64([Number.MAX_SAFE_INTEGER])
    positionIds = b.op('Slice', [filled, start, end, b.constInt64([1])], {}, { name: `${ps}/Slice` })
  }

  // Embeddings.
  const embedName = gpt2 ? 'transformer.wte.weight' : 'model.embed_tokens.weight'
  b.init(embedName, [cfg.vocabSize, d], w.embed)
  let x: string
  if (gpt2) {
    const tok = b.op('Gather', [embedName, inputIds], { axis: 0 }, { name: '/transformer/wte/Gather' })
    const pos = b.op('Gather', [b.init('transformer.wpe.weight', [cfg.maxPositions, d], w.positions!), positionIds], { axis: 0 }, { name: '/transformer/wpe/Gather' })
    x = b.op('Add', [tok, pos], {}, { name: '/transformer/Add' })
  } else {
    x = b.op('Gather', [embedName, inputIds], { axis: 0 }, { name: '/model/embed_tokens/Gather' })
  }

  // Rotary cos/sin [B, 1, S, dh], looked up by position_ids in precomputed tables. (Computing
  // them in-graph with Cos/Sin costs accuracy on WebGPU, whose trig is only specified to 2^-11.)
  let cos = ''
  let sin = ''
  if (!gpt2) {
    const s = '/model/rotary_emb'
    const { cos: c, sin: sn } = rotaryCaches(cfg)
    const half = dh / 2
    const table = (src: Float32Array) => {
      const t = new Float32Array(cfg.maxPositions * dh)
      for (let p = 0; p < cfg.maxPositions; p++)
        for (let i = 0; i < half; i++) t[p * dh + i] = t[p * dh + half + i] = src[p * half + i]
      return t
    }
    const cosTable = b.init('model.rotary_emb.cos_cached', [cfg.maxPositions, dh], table(c))
    const sinTable = b.init('model.rotary_emb.sin_cached', [cfg.maxPositions, dh], table(sn))
    cos = b.op('Unsqueeze', [b.op('Gather', [cosTable, positionIds], { axis: 0 }, { name: `${s}/Gather` }), b.constInt64([1])], {}, { name: `${s}/Unsqueeze` })
    sin = b.op('Unsqueeze', [b.op('Gather', [sinTable, positionIds], { axis: 0 }, { name: `${s}/Gather` }), b.constInt64([1])], {}, { name: `${s}/Unsqueeze` })
  }

  const norm = (scope: string, input: string, gain: Float32Array, bias: Float32Array | undefined, param: string) => {
    const g = b.init(`${param}.weight`, [d], gain)
    if (gpt2) {
      const bb = b.init(`${param}.bias`, [d], bias!)
      return b.op('LayerNormalization', [input, g, bb], { axis: -1, epsilon: { float: cfg.eps } }, { name: `${scope}/LayerNormalization` })
    }
    const pow = b.op('Pow', [input, b.scalarFloat(2)], {}, { name: `${scope}/Pow` })
    const mean = b.op('ReduceMean', [pow], { axes: [-1], keepdims: 1 }, { name: `${scope}/ReduceMean` })
    const add = b.op('Add', [mean, b.scalarFloat(cfg.eps)], {}, { name: `${scope}/Add` })
    const rs = b.op('Reciprocal', [b.op('Sqrt', [add], {}, { name: `${scope}/Sqrt` })], {}, { name: `${scope}/Reciprocal` })
    const scaled = b.op('Mul', [input, rs], {}, { name: `${scope}/Mul` })
    return b.op('Mul', [g, scaled], {}, { name: `${scope}/Mul` })
  }

  const linear = (scope: string, input: string, wt: Float32Array, inDim: number, outDim: number, param: string, bias?: Float32Array) => {
    const mm = b.op('MatMul', [input, b.init(`${param}.weight`, [inDim, outDim], wt)], {}, { name: `${scope}/MatMul` })
    if (!bias) return mm
    return b.op('Add', [b.init(`${param}.bias`, [outDim], bias), mm], {}, { name: `${scope}/Add` })
  }

  const rotateHalf = (scope: string, t: string) => {
    const x1 = b.op('Slice', [t, b.constInt64([0]), b.constInt64([dh / 2]), b.constInt64([-1])], {}, { name: `${scope}/Slice` })
    const x2 = b.op('Slice', [t, b.constInt64([dh / 2]), b.constInt64([dh]), b.constInt64([-1])], {}, { name: `${scope}/Slice` })
    return b.op('Concat', [b.op('Neg', [x2], {}, { name: `${scope}/Neg` }), x1], { axis: -1 }, { name: `${scope}/Concat` })
  }

  for (let l = 0; l < cfg.nLayers; l++) {
    const L = w.layers[l]
    const s = layerScope(l)
    const p = gpt2 ? `transformer.h.${l}` : `model.layers.${l}`
    const a = norm(`${s}/${gpt2 ? 'ln_1' : 'input_layernorm'}`, x, L.ln1, L.ln1Bias, `${p}.${gpt2 ? 'ln_1' : 'input_layernorm'}`)
    const as = `${s}/${gpt2 ? 'attn' : 'self_attn'}`
    let q: string
    let k: string
    let v: string
    if (gpt2) {
      // GPT-2's fused c_attn: one [d, 3d] projection, then Split.
      const wqkv = new Float32Array(d * 3 * H * dh)
      const bqkv = new Float32Array(3 * H * dh)
      const n = H * dh
      for (let i = 0; i < d; i++)
        for (let j = 0; j < n; j++) {
          wqkv[i * 3 * n + j] = L.wq[i * n + j]
          wqkv[i * 3 * n + n + j] = L.wk[i * n + j]
          wqkv[i * 3 * n + 2 * n + j] = L.wv[i * n + j]
        }
      bqkv.set(L.bq!, 0)
      bqkv.set(L.bk!, n)
      bqkv.set(L.bv!, 2 * n)
      const qkv = linear(`${as}/c_attn`, a, wqkv, d, 3 * n, `${p}.attn.c_attn`, bqkv)
      ;[q, k, v] = b.node('Split', [qkv, b.constInt64([n, n, n])], { axis: 2 }, { name: `${as}/Split`, outputs: 3 })
    } else {
      q = linear(`${as}/q_proj`, a, L.wq, d, H * dh, `${p}.self_attn.q_proj`, L.bq)
      k = linear(`${as}/k_proj`, a, L.wk, d, Hkv * dh, `${p}.self_attn.k_proj`, L.bk)
      v = linear(`${as}/v_proj`, a, L.wv, d, Hkv * dh, `${p}.self_attn.v_proj`, L.bv)
    }
    const heads = (t: string, n: number) =>
      b.op('Transpose', [b.op('Reshape', [t, b.constInt64([0, 0, n, dh])], {}, { name: `${as}/Reshape` })], { perm: [0, 2, 1, 3] }, { name: `${as}/Transpose` })
    let qh = heads(q, H)
    let kh = heads(k, Hkv)
    const vh = heads(v, Hkv)
    if (!gpt2) {
      const rot = (t: string) =>
        b.op('Add', [b.op('Mul', [t, cos], {}, { name: `${as}/Mul` }), b.op('Mul', [rotateHalf(as, t), sin], {}, { name: `${as}/Mul` })], {}, { name: `${as}/Add` })
      qh = rot(qh)
      kh = rot(kh)
    }
    let kAll: string
    let vAll: string
    if (stacked) {
      const past = b.op('Cast', [pastNames[l][0]], { to: F }, { name: `${as}/Cast` })
      const [pk, pv] = b.node('Split', [past, b.constInt64([1, 1])], { axis: 0 }, { name: `${as}/Split`, outputs: 2 })
      const unstack = (t: string) => b.op('Squeeze', [t, b.constInt64([0])], {}, { name: `${as}/Squeeze` })
      kAll = b.op('Concat', [unstack(pk), kh], { axis: 2 }, { name: `${as}/Concat` })
      vAll = b.op('Concat', [unstack(pv), vh], { axis: 2 }, { name: `${as}/Concat` })
      const stack = (t: string) => b.op('Unsqueeze', [t, b.constInt64([0])], {}, { name: `${as}/Unsqueeze` })
      const present = b.op('Concat', [stack(kAll), stack(vAll)], { axis: 0 }, { name: `${as}/Concat` })
      b.op('Cast', [present], { to: DataType.FLOAT16 }, { name: `${as}/Cast`, outputs: [`present_${l}`] })
      b.output(`present_${l}`, DataType.FLOAT16, [2, 'batch_size', Hkv, 'total_sequence_length', dh])
    } else {
      kAll = b.op('Concat', [pastNames[l][0], kh], { axis: 2 }, { name: `${as}/Concat`, outputs: [`present.${l}.key`] })
      vAll = b.op('Concat', [pastNames[l][1], vh], { axis: 2 }, { name: `${as}/Concat`, outputs: [`present.${l}.value`] })
      b.output(`present.${l}.key`, F, ['batch_size', Hkv, 'total_sequence_length', dh])
      b.output(`present.${l}.value`, F, ['batch_size', Hkv, 'total_sequence_length', dh])
    }
    let kUse = kAll
    let vUse = vAll
    if (Hkv !== H) {
      const rep = (t: string) =>
        b.op(
          'Reshape',
          [b.op('Expand', [b.op('Unsqueeze', [t, b.constInt64([2])], {}, { name: `${as}/Unsqueeze` }), b.constInt64([1, 1, H / Hkv, 1, 1])], {}, { name: `${as}/Expand` }), b.constInt64([0, H, -1, dh])],
          {},
          { name: `${as}/Reshape` },
        )
      kUse = rep(kAll)
      vUse = rep(vAll)
    }
    const kT = b.op('Transpose', [kUse], { perm: [0, 1, 3, 2] }, { name: `${as}/Transpose` })
    const scores = b.op('Mul', [b.op('MatMul', [qh, kT], {}, { name: `${as}/MatMul` }), b.scalarFloat(1 / Math.sqrt(dh))], {}, { name: `${as}/Mul` })
    const probs = b.op('Softmax', [b.op('Add', [scores, maskAdd], {}, { name: `${as}/Add` })], { axis: -1 }, { name: `${as}/Softmax` })
    const ctx = b.op('MatMul', [probs, vUse], {}, { name: `${as}/MatMul` })
    const merged = b.op('Reshape', [b.op('Transpose', [ctx], { perm: [0, 2, 1, 3] }, { name: `${as}/Transpose` }), b.constInt64([0, 0, H * dh])], {}, { name: `${as}/Reshape` })
    const attnOut = linear(`${as}/${gpt2 ? 'c_proj' : 'o_proj'}`, merged, L.wo, H * dh, d, `${p}.${gpt2 ? 'attn.c_proj' : 'self_attn.o_proj'}`, L.bo)
    const mid = b.op('Add', [x, attnOut], {}, { name: `${s}/Add` })
    const m = norm(`${s}/${gpt2 ? 'ln_2' : 'post_attention_layernorm'}`, mid, L.ln2, L.ln2Bias, `${p}.${gpt2 ? 'ln_2' : 'post_attention_layernorm'}`)
    let mlpOut: string
    if (gpt2) {
      const ms = `${s}/mlp`
      const h = linear(`${ms}/c_fc`, m, L.wIn, d, cfg.dMlp, `${p}.mlp.c_fc`, L.bIn)
      const act = `${ms}/act`
      // NewGELU as TorchScript writes it: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
      const cube = b.op('Mul', [b.op('Pow', [h, b.scalarFloat(3)], {}, { name: `${act}/Pow` }), b.scalarFloat(0.044715)], {}, { name: `${act}/Mul` })
      const inner = b.op('Mul', [b.op('Add', [h, cube], {}, { name: `${act}/Add` }), b.scalarFloat(Math.sqrt(2 / Math.PI))], {}, { name: `${act}/Mul` })
      const t = b.op('Add', [b.op('Tanh', [inner], {}, { name: `${act}/Tanh` }), b.scalarFloat(1)], {}, { name: `${act}/Add` })
      const g = b.op('Mul', [b.op('Mul', [h, b.scalarFloat(0.5)], {}, { name: `${act}/Mul` }), t], {}, { name: `${act}/Mul` })
      mlpOut = linear(`${ms}/c_proj`, g, L.wOut, cfg.dMlp, d, `${p}.mlp.c_proj`, L.bOut)
    } else {
      const ms = `${s}/mlp`
      const gate = linear(`${ms}/gate_proj`, m, L.wGate!, d, cfg.dMlp, `${p}.mlp.gate_proj`)
      const up = linear(`${ms}/up_proj`, m, L.wIn, d, cfg.dMlp, `${p}.mlp.up_proj`)
      const silu = b.op('Mul', [gate, b.op('Sigmoid', [gate], {}, { name: `${ms}/act_fn/Sigmoid` })], {}, { name: `${ms}/act_fn/Mul` })
      mlpOut = linear(`${ms}/down_proj`, b.op('Mul', [silu, up], {}, { name: `${ms}/Mul` }), L.wOut, cfg.dMlp, d, `${p}.mlp.down_proj`)
    }
    x = b.op('Add', [mid, mlpOut], {}, { name: `${s}/Add` })
  }

  const f = norm(gpt2 ? '/transformer/ln_f' : '/model/norm', x, w.lnFinal, w.lnFinalBias, gpt2 ? 'transformer.ln_f' : 'model.norm')
  const unembed = cfg.tieEmbeddings ? b.op('Transpose', [embedName], { perm: [1, 0] }, { name: '/lm_head/Transpose' }) : b.init('lm_head.weight', [d, cfg.vocabSize], w.unembed)
  b.op('MatMul', [f, unembed], {}, { name: '/lm_head/MatMul', outputs: ['logits'] })
  return b.model({ opset: 17 })
}
