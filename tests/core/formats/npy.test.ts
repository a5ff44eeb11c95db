import { describe, expect, it } from 'vitest'
import { readNpy, writeNpy } from '../../../src/core/formats/npy.ts'
import { float16BitsToFloat32 } from '../../../src/core/onnx/tensor.ts'

// Bytes written by numpy 2.4.6: np.save(f, np.array([[1.5, -2, 0], [3.25, 4, 1e-3]], dtype='<f4'))
const NUMPY_F32_2x3 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAAwAAAAAAAAFBAAACAQG8Sgzo='
// np.save(f, np.arange(12, dtype='<f2').reshape(2, 3, 2) / 4)
const NUMPY_F16_2x3x2 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAA0ADgAOgA8AD0APgA/AECAQABBgEE='

const bytesOf = (b64: string) => Uint8Array.from(Buffer.from(b64, 'base64'))

describe('npy', () => {
  it('writes float32 byte-for-byte like numpy', () => {
    const data = Float32Array.from([1.5, -2, 0, 3.25, 4, 1e-3])
    expect(Array.from(writeNpy(data, [2, 3]))).toEqual(Array.from(bytesOf(NUMPY_F32_2x3)))
  })

  it('writes float16 (from float32 or raw bits) byte-for-byte like numpy', () => {
    const values = Float32Array.from({ length: 12 }, (_, i) => i / 4)
    expect(Array.from(writeNpy(values, [2, 3, 2], 'float16'))).toEqual(Array.from(bytesOf(NUMPY_F16_2x3x2)))
  })

  it('reads numpy files as views and round-trips', () => {
    const bytes = bytesOf(NUMPY_F32_2x3)
    const a = readNpy(bytes)
    expect(a.dtype).toBe('float32')
    expect(a.shape).toEqual([2, 3])
    expect(Array.from(a.data)).toEqual(Array.from(Float32Array.from([1.5, -2, 0, 3.25, 4, 1e-3])))
    expect(a.data.buffer).toBe(bytes.buffer)
    const h = readNpy(bytesOf(NUMPY_F16_2x3x2))
    expect(h.dtype).toBe('float16')
    expect(h.shape).toEqual([2, 3, 2])
    expect(Array.from(h.data as Uint16Array, float16BitsToFloat32)).toEqual(Array.from({ length: 12 }, (_, i) => i / 4))
    const rt = readNpy(writeNpy(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 2, 2]))
    expect(rt.shape).toEqual([2, 2, 2])
    expect(Array.from(rt.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('aligns the data to 64 bytes and ends the header with a newline', () => {
    const out = writeNpy(new Float32Array(7 * 5), [7, 5])
    const headerLen = out[8] | (out[9] << 8)
    expect((10 + headerLen) % 64).toBe(0)
    expect(out[10 + headerLen - 1]).toBe(0x0a)
  })

  it('rejects malformed files with clear messages', () => {
    const good = bytesOf(NUMPY_F32_2x3)
    expect(() => readNpy(good.subarray(0, good.length - 4), 'acts.npy')).toThrow(/acts\.npy: expected 24 bytes.*found 20.*truncated/)
    expect(() => readNpy(new Uint8Array([1, 2, 3]), 'x.npy')).toThrow(/x\.npy: not a \.npy file/)
    const fortran = Uint8Array.from(good)
    const text = new TextDecoder('latin1').decode(fortran)
    const pos = text.indexOf('False')
    new TextEncoder().encodeInto('True ', fortran.subarray(pos))
    expect(() => readNpy(fortran)).toThrow(/Fortran-order/)
    const big = Uint8Array.from(good)
    big[text.indexOf('<f4') + 0] = '>'.charCodeAt(0)
    expect(() => readNpy(big)).toThrow(/'>f4' is not supported \(big-endian/)
    expect(() => writeNpy(new Float32Array(5), [2, 3])).toThrow(/5 values do not fill shape \[2, 3\]/)
  })
})
