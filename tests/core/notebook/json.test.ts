import { describe, expect, it } from 'vitest'
import { decodeJsonValue, parseJsonWithNumbers, restoreTypedArrays, toJsonTree, TYPED_ARRAY_NAMES } from '../../../src/core/notebook/json.ts'

function roundTrip(value: unknown, roots = ['']): unknown {
  const { tree, typedArrays } = toJsonTree(value)
  const text = JSON.stringify(tree)
  const back = parseJsonWithNumbers(text)
  const holder = { root: back }
  const prefixed = Object.fromEntries(Object.entries(typedArrays).map(([p, n]) => [`/root${p}`, n]))
  restoreTypedArrays(holder, prefixed, 'typedArrays', roots.map((r) => `/root${r}`))
  return holder.root
}

describe('notebook JSON: numbers JSON cannot hold', () => {
  it('writes NaN, ±Infinity and −0 as strings that are plain JSON, and reads them back exactly', () => {
    const value = { a: NaN, b: Infinity, c: -Infinity, d: -0, e: 0, f: 1e-7, g: -0.5, h: 0.1 + 0.2, list: [NaN, 1, -Infinity, null] }
    const { tree } = toJsonTree(value)
    expect(JSON.stringify(tree)).toBe('{"a":"NaN","b":"Infinity","c":"-Infinity","d":"-0","e":0,"f":1e-7,"g":-0.5,"h":0.30000000000000004,"list":["NaN",1,"-Infinity",null]}')
    const back = roundTrip({ x: value }) as { x: typeof value }
    expect(back.x).toEqual(value)
    expect(Object.is(back.x.d, -0)).toBe(true)
    expect(Object.is(back.x.e, 0)).toBe(true)
    expect(back.x.list[0]).toBeNaN()
  })

  it('keeps text that happens to spell those words, by escaping it with "~"', () => {
    const texts = ['NaN', 'Infinity', '-Infinity', '-0', '~NaN', '~~Infinity', '~', 'NaN!', 'nan', '~x']
    const { tree } = toJsonTree(texts)
    expect(tree).toEqual(['~NaN', '~Infinity', '~-Infinity', '~-0', '~~NaN', '~~~Infinity', '~', 'NaN!', 'nan', '~x'])
    expect(parseJsonWithNumbers(JSON.stringify(tree))).toEqual(texts)
    expect(decodeJsonValue('~~NaN')).toBe('~NaN')
  })

  it('drops undefined object fields and writes undefined array entries as null, as JSON does', () => {
    expect(toJsonTree({ a: undefined, b: [undefined, 1] }).tree).toEqual({ b: [null, 1] })
  })
})

describe('notebook JSON: typed arrays', () => {
  it('writes every numeric typed array as a plain array listed by JSON Pointer, and restores it', () => {
    const value = {
      results: {
        'odd/key~name': new Float64Array([1.5, NaN, -Infinity, -0, Number.MIN_VALUE, Number.MAX_VALUE]),
        nested: [{ f32: Float32Array.from([0.1, 3.4028234663852886e38, 1.401298464324817e-45, NaN]) }],
        ints: { i32: Int32Array.from([-2147483648, 2147483647]), u8: Uint8Array.from([0, 255]), u16: Uint16Array.from([65535]) },
      },
    }
    const { tree, typedArrays } = toJsonTree(value)
    expect(typedArrays).toEqual({
      '/results/odd~1key~0name': 'Float64Array',
      '/results/nested/0/f32': 'Float32Array',
      '/results/ints/i32': 'Int32Array',
      '/results/ints/u8': 'Uint8Array',
      '/results/ints/u16': 'Uint16Array',
    })
    expect((tree as { results: { ints: { u8: unknown } } }).results.ints.u8).toEqual([0, 255])
    const back = roundTrip(value, ['/results']) as typeof value
    expect(back).toEqual(value)
    expect(back.results['odd/key~name']).toBeInstanceOf(Float64Array)
    expect(back.results.nested[0].f32).toBeInstanceOf(Float32Array)
    expect(new Uint8Array(back.results.nested[0].f32.buffer)).toEqual(new Uint8Array(value.results.nested[0].f32.buffer))
    expect(Object.is(back.results['odd/key~name'][3], -0)).toBe(true)
  })

  it('restores every constructor it lists', () => {
    for (const name of TYPED_ARRAY_NAMES) {
      const Ctor = globalThis[name] as unknown as { from(a: number[]): ArrayLike<number> }
      const back = roundTrip({ r: { a: Ctor.from([1, 2, 3]) } }) as { r: { a: ArrayLike<number> } }
      expect(back.r.a.constructor.name).toBe(name)
      expect(Array.from(back.r.a)).toEqual([1, 2, 3])
    }
  })

  it('refuses manifests that point outside the allowed roots, at something else, or through a prototype', () => {
    const doc = { results: { a: [1, 2], s: 'x' }, config: { b: [1] } }
    expect(() => restoreTypedArrays(doc, { '/config/b': 'Float64Array' }, 'typedArrays', ['/results'])).toThrow(
      'typedArrays["/config/b"]: expected a pointer under /results, got "/config/b"',
    )
    expect(() => restoreTypedArrays(doc, { '/results/s': 'Float64Array' }, 'typedArrays', ['/results'])).toThrow(
      'typedArrays["/results/s"]: expected the pointer of an array of numbers, got something else',
    )
    expect(() => restoreTypedArrays(doc, { '/results/a': 'BigInt64Array' }, 'typedArrays', ['/results'])).toThrow(/expected one of Float64Array/)
    expect(() => restoreTypedArrays(doc, { '/results/__proto__/polluted': 'Float64Array' }, 'typedArrays', ['/results'])).toThrow(/nothing there/)
    expect(() => restoreTypedArrays(doc, [], 'typedArrays', ['/results'])).toThrow(/typedArrays: expected an object/)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('notebook JSON: what is not plain data is refused with its path', () => {
  it('refuses Maps, class instances, functions, bigints and cycles', () => {
    class Thing {
      x = 1
    }
    expect(() => toJsonTree({ results: { m: new Map() } })).toThrow('results.m: expected plain data, not a Map')
    expect(() => toJsonTree({ a: [new Thing()] })).toThrow('a[0]: expected plain data, not a Thing')
    expect(() => toJsonTree({ f: () => 1 })).toThrow(/^f: expected plain data/)
    expect(() => toJsonTree({ n: 10n })).toThrow(/^n: expected plain data.*got "bigint"/)
    expect(() => toJsonTree({ v: new BigInt64Array(1) })).toThrow('v: expected a numeric typed array, not a BigInt64Array')
    const loop: Record<string, unknown> = { a: 1 }
    loop.self = { back: loop }
    expect(() => toJsonTree(loop)).toThrow('self.back: expected data without cycles (this object contains itself)')
  })

  it('writes Dates as ISO text and shared (non-cyclic) objects twice', () => {
    const shared = { k: 1 }
    expect(toJsonTree({ d: new Date(Date.UTC(2026, 0, 5)), a: shared, b: shared }).tree).toEqual({ d: '2026-01-05T00:00:00.000Z', a: { k: 1 }, b: { k: 1 } })
  })
})
