/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it } from 'vitest'
import { onnx } from 'onnx-proto'
import * as ort from 'onnxruntime-web'
import { decodeModel, encodeModel, DataType } from '../../../src/core/onnx/proto.ts'
import { GraphBuilder } from '../../../src/core/onnx/builder.ts'
import { readTensor, float32ToFloat16Bits, float16BitsToFloat32 } from '../../../src/core/onnx/tensor.ts'

function sampleModel() {
  const b = new GraphBuilder('g')
  const x = b.input('x', DataType.FLOAT, ['batch', 3])
  const w = b.init('w', [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6]))
  const y = b.op('MatMul', [x, w], {}, { name: '/layer/MatMul' })
  const s = b.op('Softmax', [y], { axis: -1 }, { name: '/layer/Softmax' })
  b.output(s, DataType.FLOAT, ['batch', 2])
  return b.model({ opset: 17 })
}

describe('ONNX codec', () => {
  it('writes what the reference protobuf implementation (onnx-proto) reads', () => {
    const bytes = encodeModel(sampleModel())
    const ref = onnx.ModelProto.decode(bytes)
    expect((ref.graph as any).node.map((n: any) => n.opType)).toEqual(['MatMul', 'Softmax'])
    expect((ref.graph as any).node[1].attribute[0].name).toBe('axis')
    expect(Number((ref.graph as any).node[1].attribute[0].i)).toBe(-1)
    expect((ref.graph as any).input[0].type!.tensorType!.shape!.dim![0].dimParam).toBe('batch')
    const w = (ref.graph as any).initializer.find((t: any) => t.name === "w")!
    expect(Array.from(new Float32Array(w.rawData!.slice().buffer))).toEqual([1, 2, 3, 4, 5, 6])
    expect(Number(ref.opsetImport[0].version)).toBe(17)
  })

  it('reads what onnx-proto writes and round-trips it byte for byte', () => {
    const refBytes = onnx.ModelProto.encode(
      onnx.ModelProto.fromObject({
        irVersion: 8,
        producerName: 'ref',
        opsetImport: [{ domain: '', version: 17 }],
        graph: {
          name: 'g',
          node: [
            {
              input: ['x', 'starts', 'ends'],
              output: ['y'],
              name: 'slice',
              opType: 'Slice',
              attribute: [{ name: 'ints_attr', type: 7, ints: [-1, '9223372036854775807', 3] }],
            },
          ],
          initializer: [
            { name: 'starts', dims: [1], dataType: 7, int64Data: [0] },
            { name: 'ends', dims: [1], dataType: 7, int64Data: ['9223372036854775807'] },
            { name: 'f', dims: [2], dataType: 1, floatData: [1.5, -2] },
          ],
          input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 4 }] } } } }],
          output: [{ name: 'y' }],
          docString: 'kept as an unknown field',
        },
      }),
    ).finish()
    const m = decodeModel(refBytes)
    expect(m.graph.node[0].attribute[0].ints).toEqual([-1, 9223372036854775807n, 3])
    const ends = m.graph.initializer.find((t) => t.name === 'ends')!
    expect(Array.from(readTensor(ends) as BigInt64Array)).toEqual([9223372036854775807n])
    expect(Array.from(readTensor(m.graph.initializer[2]) as Float32Array)).toEqual([1.5, -2])
    // Mark the node dirty-equivalent by re-encoding everything: must be semantically identical.
    const again = encodeModel(m)
    const ref2 = onnx.ModelProto.decode(again)
    expect((ref2.graph as any).docString).toBe('kept as an unknown field')
    expect(String((ref2.graph as any).node[0].attribute[0].ints[1])).toBe('9223372036854775807')
    expect(encodeModel(decodeModel(again))).toEqual(again)
  })

  it('keeps initializer payloads as views into the source buffer', () => {
    const bytes = encodeModel(sampleModel())
    const m = decodeModel(bytes)
    const w = m.graph.initializer.find((t: any) => t.name === "w")!
    expect(w.rawData!.buffer).toBe(bytes.buffer)
    expect(w.encoded!.buffer).toBe(bytes.buffer)
  })

  it('produces a model onnxruntime-web runs', async () => {
    const session = await ort.InferenceSession.create(encodeModel(sampleModel()))
    const x = new ort.Tensor('float32', Float32Array.from([1, 0, 0, 0, 0, 1]), [2, 3])
    const out = await session.run({ x })
    const y = out[session.outputNames[0]].data as Float32Array
    // row 0: [1,2] -> softmax; row 1: [5,6] -> softmax
    const sm = (a: number, b: number) => [Math.exp(a) / (Math.exp(a) + Math.exp(b)), Math.exp(b) / (Math.exp(a) + Math.exp(b))]
    const expected = [...sm(1, 2), ...sm(5, 6)]
    y.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6))
    await session.release()
  })

  it('rejects a truncated file with a clear message', () => {
    const bytes = encodeModel(sampleModel())
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 20))).toThrow(/truncated|past the end/)
  })

  it('converts half precision like IEEE 754 binary16', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00)
    expect(float32ToFloat16Bits(-2)).toBe(0xc000)
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff)
    expect(float32ToFloat16Bits(1e6)).toBe(0x7c00)
    expect(float32ToFloat16Bits(5.960464477539063e-8)).toBe(0x0001)
    expect(float16BitsToFloat32(0x3555)).toBeCloseTo(0.333251953125, 12)
    for (const v of [0.1, -3.75, 1234.5, 6.1e-5]) {
      expect(Math.abs(float16BitsToFloat32(float32ToFloat16Bits(v)) - v)).toBeLessThan(Math.abs(v) * 1e-3)
    }
  })
})
