import { describe, expect, it } from 'vitest'
import {
  bfloat16ToFloat32,
  float32ToBfloat16,
  floatTensor,
  readSafetensors,
  tensorToFloat32,
  tensorView,
  writeSafetensors,
} from '../../../src/core/formats/safetensors.ts'

/** A file laid out by hand: u64 header length, JSON header, then the raw tensor bytes. */
function handBuilt(header: string, data: number[]): Uint8Array {
  const json = new TextEncoder().encode(header)
  const out = new Uint8Array(8 + json.length + data.length)
  out[0] = json.length & 0xff
  out[1] = (json.length >> 8) & 0xff
  out.set(json, 8)
  out.set(data, 8 + json.length)
  return out
}

// little-endian bytes of float32 1.5 (0x3fc00000) and -2 (0xc0000000), int32 7, uint8 255
const F32_1_5 = [0x00, 0x00, 0xc0, 0x3f]
const F32_M2 = [0x00, 0x00, 0x00, 0xc0]
const I32_7 = [7, 0, 0, 0]

describe('safetensors read', () => {
  it('parses a hand-built file and returns views into it', () => {
    const header =
      '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"n":{"dtype":"I32","shape":[],"data_offsets":[8,12]},"m":{"dtype":"U8","shape":[1,1],"data_offsets":[12,13]}}'
    const bytes = handBuilt(header, [...F32_1_5, ...F32_M2, ...I32_7, 255])
    const f = readSafetensors(bytes)
    expect(f.metadata).toEqual({ format: 'pt' })
    expect([...f.tensors.keys()]).toEqual(['w', 'n', 'm'])
    const w = f.tensors.get('w')!
    expect(w.shape).toEqual([2])
    expect(w.data.buffer).toBe(bytes.buffer)
    expect(Array.from(tensorToFloat32(w))).toEqual([1.5, -2])
    expect(Array.from(tensorView(f.tensors.get('n')! as never) as Int32Array)).toEqual([7])
    expect(Array.from(tensorToFloat32(f.tensors.get('m')!))).toEqual([255])
  })

  it('converts F16, BF16, F64 and I64 to float32', () => {
    const header =
      '{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},' +
      '"pad":{"dtype":"U8","shape":[2],"data_offsets":[6,8]},"d":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},' +
      '"i":{"dtype":"I64","shape":[1],"data_offsets":[16,24]}}'
    // f16 1.0 = 0x3c00, f16 -2 = 0xc000; bf16 -1.5 = 0xbfc0; f64 0.1; i64 -3
    const f64 = Array.from(new Uint8Array(Float64Array.of(0.1).buffer))
    const i64 = Array.from(new Uint8Array(BigInt64Array.of(-3n).buffer))
    const f = readSafetensors(handBuilt(header, [0x00, 0x3c, 0x00, 0xc0, 0xc0, 0xbf, 0, 0, ...f64, ...i64]))
    expect(Array.from(tensorToFloat32(f.tensors.get('h')!))).toEqual([1, -2])
    expect(Array.from(tensorToFloat32(f.tensors.get('b')!))).toEqual([-1.5])
    expect(tensorToFloat32(f.tensors.get('d')!)[0]).toBeCloseTo(0.1, 7)
    expect(Array.from(tensorToFloat32(f.tensors.get('i')!))).toEqual([-3])
  })

  it('names the tensor and the problem for truncated or malformed files', () => {
    const header = '{"W_dec":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    const good = handBuilt(header, [...F32_1_5, ...F32_M2])
    expect(() => readSafetensors(good.subarray(0, good.length - 3), 'sae.safetensors')).toThrow(
      /sae\.safetensors: tensor "W_dec": data ends at byte 8 but only 5 bytes follow the header; file truncated\?/,
    )
    expect(() => readSafetensors(good.subarray(0, 20))).toThrow(/header of \d+ bytes runs past the end/)
    expect(() => readSafetensors(good.subarray(0, 5))).toThrow(/too short/)
    expect(() => readSafetensors(handBuilt('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', Array(8).fill(0)))).toThrow(
      /tensor "a": data_offsets \[0, 8\] span 8 bytes but F32 \[3\] needs 12/,
    )
    expect(() => readSafetensors(handBuilt('{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}', [0]))).toThrow(
      /tensor "a": unknown dtype "Q4"/,
    )
    expect(() =>
      readSafetensors(
        handBuilt(
          '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}',
          [0, 0, 0],
        ),
      ),
    ).toThrow(/tensor "b" overlaps tensor "a"/)
    expect(() => readSafetensors(handBuilt('{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', [0, 0]))).toThrow(
      /1 unaccounted bytes before tensor "a"/,
    )
    expect(() => readSafetensors(handBuilt('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [0, 0]))).toThrow(
      /1 bytes after the last tensor/,
    )
    expect(() => readSafetensors(handBuilt('{"__metadata__":{"n":3}}', []))).toThrow(/__metadata__\["n"\] must be a string/)
    expect(() => readSafetensors(handBuilt('{not json', []))).toThrow(/not valid JSON/)
    const huge = new Uint8Array(16)
    huge[5] = 1 // 2^40
    expect(() => readSafetensors(huge)).toThrow(/exceeds the 100000000-byte limit/)
  })
})

describe('safetensors write', () => {
  it('writes the documented layout: u64 length, space-padded JSON, aligned tensors by dtype size then name', () => {
    const bytes = writeSafetensors(
      {
        b: { dtype: 'U8', shape: [3], data: Uint8Array.of(1, 2, 3) },
        a: { dtype: 'F32', shape: [1, 2], data: Float32Array.of(1.5, -2) },
        c: { dtype: 'F64', shape: [], data: Float64Array.of(0.25) },
      },
      { note: 'x' },
    )
    const n = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)
    expect(bytes.subarray(4, 8).every((b) => b === 0)).toBe(true)
    expect(n % 8).toBe(0)
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n))
    expect(text.trimEnd()).toBe(
      '{"__metadata__":{"note":"x"},"c":{"dtype":"F64","shape":[],"data_offsets":[0,8]},' +
        '"a":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]},"b":{"dtype":"U8","shape":[3],"data_offsets":[16,19]}}',
    )
    expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true)
    expect(Array.from(bytes.subarray(8 + n + 8, 8 + n + 16))).toEqual([...F32_1_5, ...F32_M2])
    expect(Array.from(bytes.subarray(8 + n + 16))).toEqual([1, 2, 3])
    expect(bytes.length).toBe(8 + n + 19)
  })

  it('round-trips every dtype and keeps views aligned', () => {
    const inputs = {
      f64: { dtype: 'F64' as const, shape: [2], data: Float64Array.of(1e-300, -7) },
      f32: { dtype: 'F32' as const, shape: [3, 1], data: Float32Array.of(1, 2, 3) },
      f16: floatTensor(Float32Array.of(0.5, -4), [2], 'F16'),
      bf16: floatTensor(Float32Array.of(3, -0.25), [2], 'BF16'),
      i64: { dtype: 'I64' as const, shape: [1], data: BigInt64Array.of(-9007199254740993n) },
      i32: { dtype: 'I32' as const, shape: [2], data: Int32Array.of(-5, 6) },
      u8: { dtype: 'U8' as const, shape: [1], data: Uint8Array.of(200) },
      bool: { dtype: 'BOOL' as const, shape: [2], data: Uint8Array.of(1, 0) },
      empty: { dtype: 'F32' as const, shape: [0, 4], data: new Float32Array(0) },
    }
    const f = readSafetensors(writeSafetensors(inputs))
    expect(Array.from(tensorView(f.tensors.get('f64')! as never) as Float64Array)).toEqual([1e-300, -7])
    expect(Array.from(tensorToFloat32(f.tensors.get('f32')!))).toEqual([1, 2, 3])
    expect(Array.from(tensorToFloat32(f.tensors.get('f16')!))).toEqual([0.5, -4])
    expect(Array.from(tensorToFloat32(f.tensors.get('bf16')!))).toEqual([3, -0.25])
    expect((tensorView(f.tensors.get('i64')! as never) as BigInt64Array)[0]).toBe(-9007199254740993n)
    expect(Array.from(tensorView(f.tensors.get('i32')! as never) as Int32Array)).toEqual([-5, 6])
    expect(Array.from(f.tensors.get('u8')!.data)).toEqual([200])
    expect(Array.from(f.tensors.get('bool')!.data)).toEqual([1, 0])
    expect(f.tensors.get('empty')!.shape).toEqual([0, 4])
    for (const t of f.tensors.values()) {
      const size = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, U8: 1, BOOL: 1 }[t.dtype as 'F64']
      expect(t.data.byteOffset % size).toBe(0)
    }
  })

  it('rejects inconsistent input', () => {
    expect(() => writeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } })).toThrow(
      /tensor "w" has 12 bytes but F32 \[2, 2\] needs 16/,
    )
    expect(() => writeSafetensors({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } })).toThrow(/reserved/)
  })

  it('rounds float32 to bfloat16 to nearest even', () => {
    // 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: ties to even (1); just above rounds up
    const f = Float32Array.of(1 + 2 ** -8, 1 + 2 ** -8 + 2 ** -20, 1 + 3 * 2 ** -8, NaN, -Infinity)
    const back = bfloat16ToFloat32(float32ToBfloat16(f))
    expect(back[0]).toBe(1)
    expect(back[1]).toBe(1 + 2 ** -7)
    expect(back[2]).toBe(1 + 2 ** -6)
    expect(back[3]).toBeNaN()
    expect(back[4]).toBe(-Infinity)
  })
})
