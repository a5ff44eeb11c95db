import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { createCpuKernels, matmulNT } from '../../../src/core/sae/cpu.ts'
import type { FloatArray, SaeKernels } from '../../../src/core/sae/kernels.ts'
import { createReferenceKernels } from '../../../src/core/sae/reference.ts'
import { arraySource, trainSae } from '../../../src/core/sae/train.ts'

const cpu = createCpuKernels()
const ref = createReferenceKernels('f64')

function randn(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale)
}

/** max |a − b| / max |b| */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let d = 0
  let m = 0
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]))
    m = Math.max(m, Math.abs(b[i]))
  }
  return m === 0 ? d : d / m
}

/** Runs the same ops on both backends with float32 inputs copied to each. */
async function both<T>(
  f: (K: SaeKernels<FloatArray, Int32Array>, buf: (a: ArrayLike<number>) => FloatArray) => Promise<T>,
): Promise<[T, T]> {
  return [
    await f(cpu as SaeKernels<FloatArray, Int32Array>, (a) => Float32Array.from(a)),
    await f(ref, (a) => Float64Array.from(a)),
  ]
}

/** Per token, the (latent, value) pairs sorted by latent. */
function sortedCode(idx: Int32Array, val: ArrayLike<number>, rows: number, width: number): [number, number][][] {
  return Array.from({ length: rows }, (_, t) =>
    Array.from({ length: width }, (_, j): [number, number] => [idx[t * width + j], val[t * width + j]]).sort((a, b) => a[0] - b[0]),
  )
}

describe('optimised CPU kernels agree with the reference', () => {
  const rng = new Rng(7)
  const rows = 7
  const dIn = 9
  const dSae = 20
  const k = 4
  const x = randn(rng, rows * dIn)
  const enc = randn(rng, dSae * dIn, 0.5)
  const dec = randn(rng, dSae * dIn, 0.5)
  const bEnc = randn(rng, dSae, 0.1)
  const bDec = randn(rng, dIn, 0.1)
  const err = randn(rng, rows * dIn)

  it('matmulNT matches a naive product on ragged shapes', () => {
    for (const [m, kk, n] of [
      [7, 13, 11],
      [1, 1, 1],
      [3, 5, 3],
      [10, 2, 17],
    ]) {
      const a = randn(rng, m * kk)
      const b = randn(rng, n * kk)
      const bias = randn(rng, n)
      const out = new Float32Array(m * n)
      matmulNT(a, b, bias, out, m, kk, n)
      const want = new Float64Array(m * n)
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = bias[j]
          for (let d = 0; d < kk; d++) s += a[i * kk + d] * b[j * kk + d]
          want[i * n + j] = s
        }
      expect(relDiff(out, want)).toBeLessThan(1e-6)
      // the same product assembled from column blocks (how the yielding encode runs it)
      const blocks = new Float32Array(m * n)
      for (let j = 0; j < n; j += 3) matmulNT(a, b, bias, blocks, m, kk, n, j, Math.min(n, j + 3))
      expect(Array.from(blocks)).toEqual(Array.from(out))
    }
  })

  it('encode, topK, deadTopK, decode, countFiring', async () => {
    const [c, r] = await both(async (K, buf) => {
      const xc = K.alloc(rows * dIn)
      K.center(buf(x), buf(bDec), xc, rows, dIn)
      const pre = K.alloc(rows * dSae)
      await K.encode(xc, buf(enc), buf(bEnc), pre, rows, dIn, dSae)
      const idx = K.allocIndex(rows * k)
      const val = K.alloc(rows * k)
      K.topK(pre, rows, dSae, k, idx, val)
      const dead = buf(Array.from({ length: dSae }, (_, i) => (i % 3 === 0 ? 1 : 0)))
      const aIdx = K.allocIndex(rows * 5)
      const aVal = K.alloc(rows * 5)
      K.deadTopK(pre, dead, rows, dSae, 5, aIdx, aVal)
      const out = K.alloc(rows * dIn)
      K.decode(idx, val, k, buf(dec), buf(bDec), out, rows, dIn)
      const aOut = K.alloc(rows * dIn)
      K.decode(aIdx, aVal, 5, buf(dec), null, aOut, rows, dIn)
      const fired = K.alloc(dSae)
      K.countFiring(idx, val, k, rows, dSae, fired)
      return { pre, idx, val, aIdx, aVal, out, aOut, fired }
    })
    expect(relDiff(c.pre, r.pre)).toBeLessThan(1e-6)
    const codeC = sortedCode(c.idx, c.val, rows, k)
    const codeR = sortedCode(r.idx, r.val, rows, k)
    expect(codeC.map((row) => row.map((e) => e[0]))).toEqual(codeR.map((row) => row.map((e) => e[0])))
    expect(relDiff(codeC.flat().map((e) => e[1]), codeR.flat().map((e) => e[1]))).toBeLessThan(1e-6)
    const auxC = sortedCode(c.aIdx, c.aVal, rows, 5)
    const auxR = sortedCode(r.aIdx, r.aVal, rows, 5)
    expect(auxC.map((row) => row.map((e) => e[0]))).toEqual(auxR.map((row) => row.map((e) => e[0])))
    expect(auxC.flat().every(([i]) => i % 3 === 0)).toBe(true)
    expect(auxC.flat().some(([, v]) => v < 0)).toBe(true) // AuxK keeps raw (negative) pre-activations
    expect(relDiff(c.out, r.out)).toBeLessThan(1e-6)
    expect(relDiff(c.aOut, r.aOut)).toBeLessThan(1e-6)
    expect(Array.from(c.fired)).toEqual(Array.from(r.fired))
  })

  it('topK keeps the lower index on ties and ReLUs the kept values', () => {
    const pre = Float32Array.from([1, 5, 5, -1, 5, -2, -3, -4])
    const idx = new Int32Array(2)
    const val = new Float32Array(2)
    cpu.topK(pre, 1, 8, 2, idx, val)
    expect(Array.from(idx).sort()).toEqual([1, 2])
    const idx3 = new Int32Array(3)
    const val3 = new Float32Array(3)
    cpu.topK(Float32Array.from([-5, -1, -2, -9]), 1, 4, 3, idx3, val3)
    expect(Array.from(idx3).sort()).toEqual([0, 1, 2])
    expect(Array.from(val3)).toEqual([0, 0, 0])
  })

  it('decodeBackward, encodeBackward, l1Backward, addColumnSums (sparse and dense codes)', async () => {
    for (const dense of [false, true]) {
      const width = dense ? dSae : k
      const idxArr = dense ? null : Int32Array.from({ length: rows * k }, (_, p) => (p * 7 + (p % 3)) % dSae)
      // a zero and a negative value test the gate
      const valArr = Array.from({ length: rows * width }, (_, p) => (p % 5 === 0 ? 0 : p % 7 === 0 ? -0.5 : Math.abs(Math.sin(p)) + 0.1))
      const [c, r] = await both(async (K, buf) => {
        const gDec = K.alloc(dSae * dIn)
        const gVal = K.alloc(rows * width)
        K.decodeBackward(idxArr, buf(valArr), width, buf(err), buf(dec), gDec, gVal, true, rows, dIn)
        const gValNoGate = K.alloc(rows * width)
        const gDec2 = K.alloc(dSae * dIn)
        K.decodeBackward(idxArr, buf(valArr), width, buf(err), buf(dec), gDec2, gValNoGate, false, rows, dIn)
        const rowL1 = K.alloc(rows)
        K.l1Backward(idxArr, buf(valArr.map((v) => Math.max(v, 0))), width, buf(dec), 0.3, gVal, gDec, rowL1, rows, dIn, dSae)
        const gEnc = K.alloc(dSae * dIn)
        const gBEnc = K.alloc(dSae)
        const gBDec = K.alloc(dIn)
        K.encodeBackward(idxArr, gValNoGate, width, buf(x), buf(enc), gEnc, gBEnc, gBDec, rows, dIn)
        K.addColumnSums(buf(err), gBDec, rows, dIn)
        return { gDec, gVal, gValNoGate, gDec2, rowL1, gEnc, gBEnc, gBDec }
      })
      for (const key of Object.keys(c) as (keyof typeof c)[]) expect(relDiff(c[key], r[key]), `${key} dense=${dense}`).toBeLessThan(1e-5)
      const gated = c.gVal
      valArr.forEach((v, p) => {
        if (v <= 0) expect(gated[p]).toBe(0)
      })
    }
  })

  it('sparse kernels with many tokens per latent (the 4-way unrolled loops)', async () => {
    const r2 = new Rng(21)
    const [n, d, m, kk] = [41, 10, 12, 5]
    const idxArr = Int32Array.from({ length: n * kk }, (_, p) => (p * 5 + Math.floor(p / 7)) % m)
    const valArr = Array.from({ length: n * kk }, (_, p) => (p % 9 === 0 ? 0 : r2.next() + 0.05))
    const xs = randn(r2, n * d)
    const es = randn(r2, n * d)
    const ws = randn(r2, m * d)
    const [c, r] = await both(async (K, buf) => {
      const out = K.alloc(n * d)
      await K.decode(idxArr, buf(valArr), kk, buf(ws), buf(randn(new Rng(1), d)), out, n, d)
      const gDec = K.alloc(m * d)
      const gVal = K.alloc(n * kk)
      await K.decodeBackward(idxArr, buf(valArr), kk, buf(es), buf(ws), gDec, gVal, false, n, d)
      const gEnc = K.alloc(m * d)
      const gBEnc = K.alloc(m)
      const gBDec = K.alloc(d)
      await K.encodeBackward(idxArr, gVal, kk, buf(xs), buf(ws), gEnc, gBEnc, gBDec, n, d)
      return { out, gDec, gVal, gEnc, gBEnc, gBDec }
    })
    for (const key of Object.keys(c) as (keyof typeof c)[]) expect(relDiff(c[key], r[key]), key).toBeLessThan(1e-5)
  })

  it('projectOutParallel, normalizeRows, sumSquares', async () => {
    const [c, r] = await both(async (K, buf) => {
      const w = buf(dec)
      const g = buf(randn(new Rng(3), dSae * dIn))
      K.projectOutParallel(w, g, dSae, dIn)
      const ss = K.sumSquares(g, g.length) as number
      K.normalizeRows(w, dSae, dIn)
      return { w, g, ss }
    })
    expect(relDiff(c.g, r.g)).toBeLessThan(1e-5)
    expect(relDiff(c.w, r.w)).toBeLessThan(1e-6)
    expect(Math.abs(c.ss - r.ss) / r.ss).toBeLessThan(1e-5)
    for (let i = 0; i < dSae; i++) {
      let dot = 0
      let nn = 0
      for (let d = 0; d < dIn; d++) {
        dot += c.g[i * dIn + d] * c.w[i * dIn + d]
        nn += c.w[i * dIn + d] ** 2
      }
      expect(Math.abs(dot)).toBeLessThan(1e-5)
      expect(Math.sqrt(nn)).toBeCloseTo(1, 6)
    }
  })

  it('Adam matches a hand-computed update (torch.optim.Adam form)', () => {
    const hp = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    for (const K of [cpu, ref] as SaeKernels<FloatArray, Int32Array>[]) {
      const p = K.alloc(2)
      const m = K.alloc(2)
      const v = K.alloc(2)
      K.write(p, [1, -2])
      K.adam(p, K === cpu ? Float32Array.of(0.5, -0.1) : Float64Array.of(0.5, -0.1), m, v, 2, { ...hp, step: 1, gradScale: 1 })
      // step 1: m̂ = g, v̂ = g², update = lr · g / (|g| + eps)
      expect(p[0]).toBeCloseTo(1 - (0.1 * 0.5) / (0.5 + 1e-8), 6)
      expect(p[1]).toBeCloseTo(-2 + (0.1 * 0.1) / (0.1 + 1e-8), 6)
      // step 2 with g = [1, 0.6] scaled by 0.5 (gradScale) = [0.5, 0.3]:
      // p0: m = 0.095, v = 0.00049975, m̂ = 0.095/0.19 = 0.5, v̂ = 0.00049975/0.001999 = 0.25 -> −0.1
      // p1: m = 0.021, v = 0.00009999, m̂ = 0.1105263, v̂ = 0.0500200 -> −0.1 · 0.1105263 / 0.2236515
      K.adam(p, K === cpu ? Float32Array.of(1, 0.6) : Float64Array.of(1, 0.6), m, v, 2, { ...hp, step: 2, gradScale: 0.5 })
      expect(p[0]).toBeCloseTo(0.8, 6)
      expect(p[1]).toBeCloseTo(-1.9 - (0.1 * 0.1105263) / 0.2236515, 5)
      expect(m[0]).toBeCloseTo(0.095, 7)
      expect(v[1]).toBeCloseTo(0.00009999, 9)
    }
  })
})

describe('training agrees between the optimised and the reference backend', () => {
  const rng = new Rng(11)
  const dIn = 16
  const n = 512
  const data = Float32Array.from({ length: n * dIn }, (_, i) => rng.normal() * (1 + (i % dIn) / 8) + 3)

  for (const architecture of ['topk', 'standard'] as const) {
    it(`${architecture}: same weights and losses after several steps`, async () => {
      const cfg = {
        architecture,
        expansionFactor: 4,
        k: 4,
        batchSize: 64,
        steps: 6,
        lr: 3e-3,
        l1Coefficient: 0.05,
        // every latent that did not fire in the previous step is dead, so AuxK is exercised
        deadFeatureWindow: 0,
        logEvery: 1,
        seed: 5,
      }
      const a = await trainSae(arraySource(data, dIn), cfg, { kernels: createCpuKernels() })
      const b = await trainSae(arraySource(data, dIn), cfg, { kernels: createReferenceKernels('f64') })
      if (architecture === 'topk') expect(a.history.some((m) => m.auxLoss > 0)).toBe(true)
      for (let s = 0; s < a.history.length; s++) {
        expect(Math.abs(a.history[s].loss - b.history[s].loss) / b.history[s].loss).toBeLessThan(1e-4)
        expect(a.history[s].l0).toBe(b.history[s].l0)
        expect(a.history[s].deadCount).toBe(b.history[s].deadCount)
      }
      expect(relDiff(a.sae.encoder, b.sae.encoder)).toBeLessThan(1e-4)
      expect(relDiff(a.sae.decoder, b.sae.decoder)).toBeLessThan(1e-4)
      expect(relDiff(a.sae.bEnc, b.sae.bEnc)).toBeLessThan(1e-4)
      expect(relDiff(a.sae.bDec, b.sae.bDec)).toBeLessThan(1e-4)
      expect(a.sae.cfg.activationScale).toBe(b.sae.cfg.activationScale)
    })
  }
})
