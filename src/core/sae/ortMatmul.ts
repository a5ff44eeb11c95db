// The encoder's dense product run by onnxruntime-web: a one-node Gemm (transB = 1) graph with
// symbolic shapes, fed the live weights on every call. The `ort` module is passed in so that core
// code stays free of a hard dependency on how the runtime was loaded.
import type * as Ort from 'onnxruntime-web'
import { GraphBuilder } from '../onnx/builder.ts'
import { DataType, encodeModel } from '../onnx/proto.ts'
import type { EncodeTopK, MatmulNT } from './kernels.ts'

/** A one-node ONNX model out[m, n] = a[m, k] · b[n, k]ᵀ + bias[n]. */
export function gemmNTModel(): Uint8Array {
  const g = new GraphBuilder('sae_encode')
  const a = g.input('a', DataType.FLOAT, ['m', 'k'])
  const b = g.input('b', DataType.FLOAT, ['n', 'k'])
  const bias = g.input('bias', DataType.FLOAT, ['n'])
  const y = g.op('Gemm', [a, b, bias], { transB: 1 }, { name: '/Gemm', outputs: ['out'] })
  g.output(y, DataType.FLOAT, ['m', 'n'])
  return encodeModel(g.model({ opset: 17 }))
}

/**
 * The encoder product and the top k in one graph (with AuxK: also the top k of pre + penalty, where
 * the penalty is 0 on dead latents and −∞ elsewhere). Only the [m, k] codes leave the runtime: the
 * [m, n] pre-activations stay in its heap instead of coming back as a fresh array every step.
 */
export function encodeTopKModel(aux: boolean): Uint8Array {
  const g = new GraphBuilder(aux ? 'sae_encode_topk_aux' : 'sae_encode_topk')
  const a = g.input('a', DataType.FLOAT, ['m', 'k'])
  const b = g.input('b', DataType.FLOAT, ['n', 'k'])
  const bias = g.input('bias', DataType.FLOAT, ['n'])
  const topK = g.input('top_k', DataType.INT64, [1])
  const pre = g.op('Gemm', [a, b, bias], { transB: 1 }, { name: '/Gemm' })
  // ONNX TopK: largest first, ties broken by the lower index (as the CPU kernels' selection).
  const [values, indices] = g.node('TopK', [pre, topK], { axis: -1, largest: 1, sorted: 1 }, { name: '/TopK', outputs: ['values', 'indices'] })
  g.output(values, DataType.FLOAT, ['m', 'top_k'])
  g.output(indices, DataType.INT64, ['m', 'top_k'])
  if (aux) {
    const penalty = g.input('penalty', DataType.FLOAT, ['n'])
    const auxK = g.input('aux_k', DataType.INT64, [1])
    const masked = g.op('Add', [pre, penalty], {}, { name: '/Add' })
    const [auxValues, auxIndices] = g.node('TopK', [masked, auxK], { axis: -1, largest: 1, sorted: 1 }, { name: '/TopK_aux', outputs: ['aux_values', 'aux_indices'] })
    g.output(auxValues, DataType.FLOAT, ['m', 'aux_k'])
    g.output(auxIndices, DataType.INT64, ['m', 'aux_k'])
  }
  return encodeModel(g.model({ opset: 17 }))
}

export interface OrtMatmul {
  matmul: MatmulNT
  /** The fused encode + top k for TopK SAEs (see SaeKernels.encodeTopK). */
  encodeTopK: EncodeTopK
  release(): Promise<void>
}

export async function createOrtMatmul(
  ort: typeof Ort,
  sessionOptions: Ort.InferenceSession.SessionOptions = { executionProviders: ['wasm'] },
): Promise<OrtMatmul> {
  const session = await ort.InferenceSession.create(gemmNTModel(), sessionOptions)
  const fused = await ort.InferenceSession.create(encodeTopKModel(false), sessionOptions)
  const fusedAux = await ort.InferenceSession.create(encodeTopKModel(true), sessionOptions)
  let penalty = new Float32Array(0)
  const copyCodes = (values: Ort.Tensor, indices: Ort.Tensor, idx: Int32Array, val: Float32Array, relu: boolean) => {
    const v = values.data as Float32Array
    const ix = indices.data as BigInt64Array
    for (let i = 0; i < v.length; i++) {
      idx[i] = Number(ix[i])
      val[i] = relu && v[i] < 0 ? 0 : v[i]
    }
    values.dispose()
    indices.dispose()
  }
  return {
    async encodeTopK(xc, encoder, bEnc, rows, dIn, dSae, k, idx, val, aux) {
      const feeds: Record<string, Ort.Tensor> = {
        a: new ort.Tensor('float32', xc.subarray(0, rows * dIn), [rows, dIn]),
        b: new ort.Tensor('float32', encoder.subarray(0, dSae * dIn), [dSae, dIn]),
        bias: new ort.Tensor('float32', bEnc.subarray(0, dSae), [dSae]),
        top_k: new ort.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
      }
      if (aux) {
        if (penalty.length !== dSae) penalty = new Float32Array(dSae)
        let nDead = 0
        for (let i = 0; i < dSae; i++) {
          const dead = aux.dead[i] !== 0
          penalty[i] = dead ? 0 : -Infinity
          if (dead) nDead++
        }
        if (nDead < aux.kAux) throw new Error(`deadTopK: only ${nDead} dead latents for kAux=${aux.kAux}`)
        feeds.penalty = new ort.Tensor('float32', penalty, [dSae])
        feeds.aux_k = new ort.Tensor('int64', BigInt64Array.of(BigInt(aux.kAux)), [1])
      }
      const r = await (aux ? fusedAux : fused).run(feeds)
      copyCodes(r.values, r.indices, idx, val, true)
      // AuxK keeps the raw pre-activations (no ReLU); pre + 0 on dead latents is pre exactly.
      if (aux) copyCodes(r.aux_values, r.aux_indices, aux.idx, aux.val, false)
    },
    async matmul(a, b, bias, out, m, k, n) {
      // onnxruntime-web (1.31 dev, wasm) leaves pre-allocated CPU outputs unwritten, so copy the result.
      const result = await session.run({
        a: new ort.Tensor('float32', a.subarray(0, m * k), [m, k]),
        b: new ort.Tensor('float32', b.subarray(0, n * k), [n, k]),
        bias: new ort.Tensor('float32', bias.subarray(0, n), [n]),
      })
      const y = result.out
      out.set(y.data as Float32Array)
      y.dispose()
    },
    release: async () => {
      await Promise.all([session.release(), fused.release(), fusedAux.release()])
    },
  }
}
