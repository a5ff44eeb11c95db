import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { Sha256, sha256Hex, canonicalJson } from '../../src/core/hash.ts'
import { Rng } from '../../src/core/random.ts'

describe('sha256', () => {
  it('matches the FIPS 180-2 test vectors', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    )
  })

  it('agrees with node:crypto on random inputs fed in random chunks', () => {
    const rng = new Rng(7)
    for (let trial = 0; trial < 50; trial++) {
      const n = rng.int(300)
      const data = Uint8Array.from({ length: n }, () => rng.int(256))
      const h = new Sha256()
      let i = 0
      while (i < n) {
        const k = 1 + rng.int(70)
        h.update(data.subarray(i, i + k))
        i += k
      }
      expect(h.digestHex()).toBe(createHash('sha256').update(data).digest('hex'))
    }
  })

  it('canonical JSON ignores key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe(
      canonicalJson({ a: { c: [3, { e: 2, f: 1 }], d: 2 }, b: 1 }),
    )
  })
})

describe('Rng', () => {
  it('is deterministic under a seed and roughly uniform/normal', () => {
    const a = new Rng(42)
    const b = new Rng(42)
    const xs = Array.from({ length: 20000 }, () => a.next())
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()))
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01)
    const ns = Array.from({ length: 20000 }, () => a.normal())
    const m = ns.reduce((s, x) => s + x, 0) / ns.length
    const v = ns.reduce((s, x) => s + (x - m) ** 2, 0) / ns.length
    expect(Math.abs(m)).toBeLessThan(0.03)
    expect(Math.abs(v - 1)).toBeLessThan(0.05)
  })
})
