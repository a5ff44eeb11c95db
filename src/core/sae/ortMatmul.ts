// The encoder's dense product run by onnxruntime-web: a one-node Gemm (transB = 1) graph with
// symbolic shapes, fed the live weights on every call. The `ort` module is passed in so that core
// code stays free of a hard dependency on how the runtime was loaded.
import type * as Ort from 'onnxruntime-web'
import { GraphBuilder } from '../onnx/builder.ts'
import { DataType, encodeModel } from '../onnx/proto.ts'
import type { MatmulNT } from './kernels.ts'

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

export interface OrtMatmul {
  matmul: MatmulNT
  release(): Promise<void>
}

export async function createOrtMatmul(
  ort: typeof Ort,
  sessionOptions: Ort.InferenceSession.SessionOptions = { executionProviders: ['wasm'] },
): Promise<OrtMatmul> {
  const session = await ort.InferenceSession.create(gemmNTModel(), sessionOptions)
  return {
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
    release: () => session.release(),
  }
}
