import { describe, expect, it } from 'vitest'
import { float16BitsToFloat32, float16ToFloat32, float32ToFloat16, float32ToFloat16Bits } from '../../../src/core/onnx/tensor.ts'
import { Rng } from '../../../src/core/random.ts'
import { float16BitsInto, float16Table, float32ToFloat16Into } from '../../../src/core/store/fp16.ts'

describe('float16 storage conversions', () => {
  it('table lookup equals the reference decoder for all 65536 bit patterns', () => {
    const bits = new Uint16Array(65536).map((_, i) => i)
    const out = new Float32Array(65536)
    float16BitsInto(bits, out)
    const ref = float16ToFloat32(bits)
    const wrong: number[] = []
    for (let h = 0; h < 65536; h++)
      if (Number.isNaN(ref[h]) ? !Number.isNaN(out[h]) : !Object.is(out[h], ref[h])) wrong.push(h)
    expect(wrong).toEqual([])
    expect(float16Table()[0x3c00]).toBe(1)
    expect(float16Table()[0xc000]).toBe(-2)
    expect(float16Table()[0x7bff]).toBe(65504)
    expect(float16Table()[0x0001]).toBe(2 ** -24)
  })

  it('writes at an offset, for lengths that are not multiples of the unrolling', () => {
    for (const n of [0, 1, 3, 4, 5, 7, 9]) {
      const bits = Uint16Array.from({ length: n }, (_, i) => 0x3c00 + i)
      const out = new Float32Array(n + 5).fill(-7)
      float16BitsInto(bits, out, 3)
      expect([...out]).toEqual([-7, -7, -7, ...float16ToFloat32(bits), -7, -7])
    }
    expect(() => float16BitsInto(new Uint16Array(4), new Float32Array(5), 2)).toThrow(/do not fit/)
  })

  it('encoder matches the reference bit for bit, over every exponent and the rounding ties', () => {
    const rng = new Rng(7)
    const special: number[] = []
    // Exact ties and near-ties at every float32 exponent, so the round-to-even branches are exercised.
    for (let e = 0; e < 256; e++)
      for (const m of [0, 1, 0x1000, 0x1001, 0x0fff, 0x3000, 0x2000, 0x400000, 0x7fffff])
        for (const sign of [0, 0x80000000]) special.push((sign | (e << 23) | m) >>> 0)
    const u = new Uint32Array(200_000 + special.length)
    for (let i = 0; i < 200_000; i++) u[i] = ((rng.int(2 ** 16) << 16) | rng.int(2 ** 16)) >>> 0
    u.set(special, 200_000)
    const f = new Float32Array(u.buffer)
    const mine = new Uint16Array(f.length)
    float32ToFloat16Into(f, mine)
    const ref = float32ToFloat16(f)
    let diff = 0
    for (let i = 0; i < f.length; i++) if (mine[i] !== ref[i]) diff++
    expect(diff).toBe(0)
  })

  it('counts finite values that overflow to infinity', () => {
    const f = new Float32Array([65504, 65519, 65520, -1e6, Infinity, NaN, 1])
    const out = new Uint16Array(f.length)
    expect(float32ToFloat16Into(f, out)).toBe(2)
    expect([...out].map(float16BitsToFloat32)).toEqual([65504, 65504, Infinity, -Infinity, Infinity, NaN, 1])
    expect(out[2]).toBe(float32ToFloat16Bits(65520))
  })
})
