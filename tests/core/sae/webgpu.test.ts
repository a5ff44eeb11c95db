// The WebGPU kernels against the CPU kernels and the dense reference, in Node through the `webgpu`
// package on SwiftShader (CPU emulation of a GPU: shapes stay small). No adapter is a failure, not
// a skip: CI installs chromium, which provides the SwiftShader ICD.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { createCpuKernels } from '../../../src/core/sae/cpu.ts'
import type { SaeKernels } from '../../../src/core/sae/kernels.ts'
import { createReferenceKernels } from '../../../src/core/sae/reference.ts'
import { arraySource, trainSae, type SaeTrainResult } from '../../../src/core/sae/train.ts'
import {
  createWebGpuKernels,
  requestSaeDevice,
  type GpuFloatBuffer,
  type GpuIndexBuffer,
  type WebGpuKernels,
} from '../../../src/core/sae/webgpu.ts'
import { nodeGpu } from './nodeGpu.ts'

let device: GPUDevice
let K: WebGpuKernels
let setupError: unknown
const uncaptured: string[] = []
const cpu = createCpuKernels()
const ref = createReferenceKernels('f64')

beforeAll(async () => {
  try {
    const { gpu } = await nodeGpu('force')
    const r = await requestSaeDevice({ gpu })
    if (!r.ok) throw new Error(`requestSaeDevice failed on the SwiftShader adapter: ${r.reason}`)
    device = r.device
    device.addEventListener('uncapturederror', (e) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message))
    K = createWebGpuKernels(device)
  } catch (e) {
    setupError = e
  }
})

// every test fails (rather than being skipped) with the reason when there is no adapter
beforeEach(() => {
  if (setupError) throw setupError
})

afterAll(() => {
  K?.dispose()
  device?.destroy()
})

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

function up(a: ArrayLike<number>, G: WebGpuKernels = K): GpuFloatBuffer {
  const b = G.alloc(a.length)
  G.write(b, a)
  return b
}

function upIdx(a: ArrayLike<number>, G: WebGpuKernels = K): GpuIndexBuffer {
  const b = G.allocIndex(a.length)
  G.writeIndex(b, a)
  return b
}

const down = async (b: GpuFloatBuffer, G: WebGpuKernels = K) => Array.from(await G.read(b))

/** Per token, the (latent, value) pairs sorted by latent. */
function sortedCode(idx: ArrayLike<number>, val: ArrayLike<number>, rows: number, width: number): [number, number][][] {
  return Array.from({ length: rows }, (_, t) =>
    Array.from({ length: width }, (_, j): [number, number] => [idx[t * width + j], val[t * width + j] + 0]).sort((a, b) => a[0] - b[0]),
  )
}

/** Distinct latents per row (what topK produces; the GPU lists assume it). */
function distinctIdx(rng: Rng, rows: number, width: number, dSae: number): Int32Array {
  const out = new Int32Array(rows * width)
  for (let t = 0; t < rows; t++) {
    const perm = Array.from({ length: dSae }, (_, i) => i)
    for (let j = 0; j < width; j++) {
      const r = j + rng.int(dSae - j)
      ;[perm[j], perm[r]] = [perm[r], perm[j]]
      out[t * width + j] = perm[j]
    }
  }
  return out
}

describe('requestSaeDevice', () => {
  it('returns the device with the adapter maximum buffer limits, or a reason', async () => {
    expect(device.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20)
    const none = await requestSaeDevice()
    expect(none.ok).toBe(false)
    if (!none.ok) expect(none.reason).toMatch(/navigator\.gpu/)
    const noAdapter = await requestSaeDevice({ gpu: { requestAdapter: async () => null } as unknown as GPU })
    expect(noAdapter.ok).toBe(false)
    if (!noAdapter.ok) expect(noAdapter.reason).toMatch(/no adapter/)
    const throwing = await requestSaeDevice({
      gpu: {
        requestAdapter: async () => {
          throw new Error('boom')
        },
      } as unknown as GPU,
    })
    expect(!throwing.ok && throwing.reason).toMatch(/boom/)
  })
})

describe('WebGPU kernels agree with the CPU kernels and the reference', () => {
  it('encode: the register-blocked product on ragged shapes (vec4 and scalar paths)', async () => {
    const rng = new Rng(1)
    for (const [m, k, n] of [
      [7, 13, 11],
      [1, 1, 1],
      [33, 8, 70],
      [64, 32, 128],
      [5, 6, 37],
    ]) {
      const a = randn(rng, m * k)
      const b = randn(rng, n * k)
      const bias = randn(rng, n)
      const out = K.alloc(m * n)
      K.encode(up(a), up(b), up(bias), out, m, k, n)
      const want = ref.alloc(m * n)
      ref.encode(Float64Array.from(a), Float64Array.from(b), Float64Array.from(bias), want, m, k, n)
      expect(relDiff(await down(out), want), `${m}×${k}×${n}`).toBeLessThan(1e-6)
    }
  })

  it('topK and deadTopK pick exactly the CPU latents (ties to the lower index, −0 = +0)', async () => {
    const rng = new Rng(2)
    for (const [rows, dSae, k] of [
      [9, 20, 4],
      [6, 300, 17],
      [4, 128, 128],
      [3, 64, 1],
    ]) {
      // coarse values: many ties, including across the k-th place
      const pre = Float32Array.from({ length: rows * dSae }, () => Math.round(rng.normal() * 2) / 2)
      pre[1] = -0
      pre[2] = 0
      const gi = K.allocIndex(rows * k)
      const gv = K.alloc(rows * k)
      const gPre = up(pre)
      K.topK(gPre, rows, dSae, k, gi, gv)
      const ci = new Int32Array(rows * k)
      const cv = new Float32Array(rows * k)
      cpu.topK(pre, rows, dSae, k, ci, cv)
      const gIdx = await K.readIndex(gi)
      expect(sortedCode(gIdx, await K.read(gv), rows, k)).toEqual(sortedCode(ci, cv, rows, k))
      // GPU codes come out in latent order
      for (let t = 0; t < rows; t++) for (let j = 1; j < k; j++) expect(gIdx[t * k + j]).toBeGreaterThan(gIdx[t * k + j - 1])

      const dead = Float32Array.from({ length: dSae }, (_, i) => (i % 3 === 0 || i === 1 ? 1 : 0))
      const kAux = Math.min(5, Math.ceil(dSae / 3))
      const ai = K.allocIndex(rows * kAux)
      const av = K.alloc(rows * kAux)
      K.deadTopK(gPre, up(dead), rows, dSae, kAux, ai, av)
      const cai = new Int32Array(rows * kAux)
      const cav = new Float32Array(rows * kAux)
      cpu.deadTopK(pre, dead, rows, dSae, kAux, cai, cav)
      expect(sortedCode(await K.readIndex(ai), await K.read(av), rows, kAux)).toEqual(sortedCode(cai, cav, rows, kAux))
    }
    // hand-worked: ties keep the lower index; all-negative rows give zeros
    const idx = K.allocIndex(2)
    const val = K.alloc(2)
    K.topK(up([1, 5, 5, -1, 5, -2, -3, -4]), 1, 8, 2, idx, val)
    expect(Array.from(await K.readIndex(idx))).toEqual([1, 2])
    const idx3 = K.allocIndex(3)
    const val3 = K.alloc(3)
    K.topK(up([-5, -1, -2, -9]), 1, 4, 3, idx3, val3)
    expect(Array.from(await K.readIndex(idx3))).toEqual([0, 1, 2])
    expect(await down(val3)).toEqual([0, 0, 0])
  })

  it.each([9, 12])('center, relu, decode, errorGrad, countFiring (d_in %i: scalar and vec4 kernels)', async (dIn) => {
    const rng = new Rng(3)
    const [rows, dSae, k] = [11, 24, 5]
    const x = randn(rng, rows * dIn)
    const bDec = randn(rng, dIn, 0.3)
    const dec = randn(rng, dSae * dIn, 0.5)
    const idx = distinctIdx(rng, rows, k, dSae)
    const val = Float32Array.from({ length: rows * k }, (_, p) => (p % 4 === 0 ? 0 : rng.normal()))
    const dense = Float32Array.from({ length: rows * dSae }, (_, p) => (p % 3 === 0 ? 0 : rng.normal()))

    const xc = K.alloc(rows * dIn)
    K.center(up(x), up(bDec), xc, rows, dIn)
    const cxc = new Float32Array(rows * dIn)
    cpu.center(x, bDec, cxc, rows, dIn)
    expect(await down(xc)).toEqual(Array.from(cxc))

    const r = K.alloc(rows * dSae)
    K.relu(up(dense), r, rows * dSae)
    expect(await down(r)).toEqual(Array.from(dense, (v) => Math.max(v, 0)))

    for (const [code, width, bias] of [
      [idx, k, bDec],
      [idx, k, null],
      [null, dSae, bDec],
    ] as const) {
      const v = code ? val : dense
      const out = K.alloc(rows * dIn)
      K.decode(code ? upIdx(code) : null, up(v), width, up(dec), bias ? up(bias) : null, out, rows, dIn)
      const want = new Float32Array(rows * dIn)
      cpu.decode(code, v, width, dec, bias, want, rows, dIn)
      expect(relDiff(await down(out), want)).toBeLessThan(1e-6)

      const fired = K.alloc(dSae)
      K.countFiring(code ? upIdx(code) : null, up(v), width, rows, dSae, fired)
      const cf = new Float32Array(dSae)
      cpu.countFiring(code, v, width, rows, dSae, cf)
      expect(await down(fired)).toEqual(Array.from(cf))
    }

    const a = randn(rng, rows * dIn)
    const b = randn(rng, rows * dIn)
    const c = randn(rng, rows * dIn)
    for (const withC of [false, true]) {
      const out = K.alloc(rows * dIn)
      const rowSq = K.alloc(rows)
      K.errorGrad(up(a), up(b), withC ? up(c) : null, 0.7, out, rowSq, rows, dIn)
      const co = new Float32Array(rows * dIn)
      const cs = new Float32Array(rows)
      cpu.errorGrad(a, b, withC ? c : null, 0.7, co, cs, rows, dIn)
      expect(relDiff(await down(out), co)).toBeLessThan(1e-6)
      expect(relDiff(await down(rowSq), cs)).toBeLessThan(1e-6)
    }
    // without rowSq only the gradient is written
    const out = K.alloc(rows * dIn)
    K.errorGrad(up(a), up(b), null, 2, out, null, rows, dIn)
    expect(relDiff(await down(out), Array.from(a, (v, i) => 2 * (v - b[i])))).toBeLessThan(1e-6)
  })

  it.each([10, 12])('decodeBackward, encodeBackward, l1Backward, addColumnSums (sparse and dense codes, many tokens per latent; d_in %i)', async (dIn) => {
    const rng = new Rng(4)
    const [rows, dSae, k] = [41, 12, 5]
    const x = randn(rng, rows * dIn)
    const err = randn(rng, rows * dIn)
    const enc = randn(rng, dSae * dIn, 0.5)
    const dec = randn(rng, dSae * dIn, 0.5)
    for (const dense of [false, true]) {
      const width = dense ? dSae : k
      const idx = dense ? null : distinctIdx(rng, rows, k, dSae)
      // zeros and negative values exercise the gate
      const val = Float32Array.from({ length: rows * width }, (_, p) => (p % 5 === 0 ? 0 : p % 7 === 0 ? -0.5 : Math.abs(Math.sin(p)) + 0.1))
      const gIdx = idx ? upIdx(idx) : null
      const gDec = up(randn(new Rng(9), dSae * dIn, 0.1)) // accumulates onto existing values
      const gVal = K.alloc(rows * width)
      K.decodeBackward(gIdx, up(val), width, up(err), up(dec), gDec, gVal, true, rows, dIn)
      const gValNoGate = K.alloc(rows * width)
      const gDec2 = K.alloc(dSae * dIn)
      K.decodeBackward(gIdx, up(val), width, up(err), up(dec), gDec2, gValNoGate, false, rows, dIn)
      const rowL1 = K.alloc(rows)
      const relu = val.map((v) => Math.max(v, 0))
      K.l1Backward(gIdx, up(relu), width, up(dec), 0.3, gVal, gDec, rowL1, rows, dIn, dSae)
      const gEnc = K.alloc(dSae * dIn)
      const gBEnc = up(randn(new Rng(10), dSae, 0.1))
      const gBDec = K.alloc(dIn)
      K.encodeBackward(gIdx, gValNoGate, width, up(x), up(enc), gEnc, gBEnc, gBDec, rows, dIn)
      K.addColumnSums(up(err), gBDec, rows, dIn)

      const c = {
        gDec: randn(new Rng(9), dSae * dIn, 0.1),
        gVal: new Float32Array(rows * width),
        gValNoGate: new Float32Array(rows * width),
        gDec2: new Float32Array(dSae * dIn),
        rowL1: new Float32Array(rows),
        gEnc: new Float32Array(dSae * dIn),
        gBEnc: randn(new Rng(10), dSae, 0.1),
        gBDec: new Float32Array(dIn),
      }
      cpu.decodeBackward(idx, val, width, err, dec, c.gDec, c.gVal, true, rows, dIn)
      cpu.decodeBackward(idx, val, width, err, dec, c.gDec2, c.gValNoGate, false, rows, dIn)
      cpu.l1Backward(idx, relu, width, dec, 0.3, c.gVal, c.gDec, c.rowL1, rows, dIn, dSae)
      cpu.encodeBackward(idx, c.gValNoGate, width, x, enc, c.gEnc, c.gBEnc, c.gBDec, rows, dIn)
      cpu.addColumnSums(err, c.gBDec, rows, dIn)
      const g = { gDec, gVal, gValNoGate, gDec2, rowL1, gEnc, gBEnc, gBDec }
      for (const key of Object.keys(c) as (keyof typeof c)[])
        expect(relDiff(await down(g[key]), c[key]), `${key} dense=${dense}`).toBeLessThan(1e-5)
      const gated = await down(gVal)
      val.forEach((v, p) => {
        if (v <= 0) expect(gated[p]).toBe(0)
      })
    }
  })

  it('projectOutParallel, normalizeRows (a zero row stays zero), sumSquares over many workgroups', async () => {
    const rng = new Rng(5)
    const [rows, cols] = [20, 70]
    const w = randn(rng, rows * cols, 0.5)
    w.fill(0, 3 * cols, 4 * cols)
    const g = randn(rng, rows * cols)
    const gw = up(w)
    const gg = up(g)
    K.projectOutParallel(gw, gg, rows, cols)
    K.normalizeRows(gw, rows, cols)
    const cw = w.slice()
    const cg = g.slice()
    cpu.projectOutParallel(cw, cg, rows, cols)
    cpu.normalizeRows(cw, rows, cols)
    expect(relDiff(await down(gg), cg)).toBeLessThan(1e-5)
    expect(relDiff(await down(gw), cw)).toBeLessThan(1e-6)

    const big = randn(rng, 40_000)
    const gb = up(big)
    for (const n of [40_000, 12_345, 1, 0]) {
      const want = cpu.sumSquares(big, n) as number
      const got = await K.sumSquares(gb, n)
      expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * Math.max(want, 1))
    }
  })

  it('Adam matches a hand-computed update (torch.optim.Adam form)', async () => {
    const hp = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    const p = up([1, -2])
    const m = K.alloc(2)
    const v = K.alloc(2)
    K.adam(p, up([0.5, -0.1]), m, v, 2, { ...hp, step: 1, gradScale: 1 })
    const p1 = await down(p)
    expect(p1[0]).toBeCloseTo(1 - (0.1 * 0.5) / (0.5 + 1e-8), 6)
    expect(p1[1]).toBeCloseTo(-2 + (0.1 * 0.1) / (0.1 + 1e-8), 6)
    // see kernels.test.ts for the hand computation of step 2
    K.adam(p, up([1, 0.6]), m, v, 2, { ...hp, step: 2, gradScale: 0.5 })
    const p2 = await down(p)
    expect(p2[0]).toBeCloseTo(0.8, 6)
    expect(p2[1]).toBeCloseTo(-1.9 - (0.1 * 0.1105263) / 0.2236515, 5)
    expect((await down(m))[0]).toBeCloseTo(0.095, 7)
    expect((await down(v))[1]).toBeCloseTo(0.00009999, 9)
  })

  it('buffers: write at an offset, partial fill and read, index round trip', async () => {
    const b = K.alloc(10)
    K.fill(b, 2)
    K.write(b, [7, 8, 9], 4)
    K.fill(b, 0, 2)
    expect(await down(b)).toEqual([0, 0, 2, 2, 7, 8, 9, 2, 2, 2])
    expect(Array.from(await K.read(b, 5))).toEqual([0, 0, 2, 2, 7])
    const i = upIdx([3, -1, 2 ** 30])
    expect(Array.from(await K.readIndex(i))).toEqual([3, -1, 2 ** 30])
    expect(() => K.write(b, [1, 2], 9)).toThrow(/needs 11 values but the buffer holds 10/)
  })
})

describe('WebGPU kernels respect device limits', () => {
  it('splits dispatches over x and y when a dimension is limited', async () => {
    const S = createWebGpuKernels(device, { maxWorkgroupsPerDimension: 7 })
    try {
      const rng = new Rng(6)
      const [rows, dIn, dSae, k] = [13, 12, 40, 3]
      const x = randn(rng, rows * dIn)
      const enc = randn(rng, dSae * dIn, 0.5)
      const run = async (G: WebGpuKernels) => {
        const xc = G.alloc(rows * dIn)
        G.center(up(x, G), up(new Float32Array(dIn), G), xc, rows, dIn)
        const pre = G.alloc(rows * dSae)
        G.encode(xc, up(enc, G), G.alloc(dSae), pre, rows, dIn, dSae)
        const idx = G.allocIndex(rows * k)
        const val = G.alloc(rows * k)
        G.topK(pre, rows, dSae, k, idx, val)
        const out = G.alloc(rows * dIn)
        G.decode(idx, val, k, up(enc, G), null, out, rows, dIn)
        const gDec = G.alloc(dSae * dIn)
        const gVal = G.alloc(rows * k)
        G.decodeBackward(idx, val, k, out, up(enc, G), gDec, gVal, false, rows, dIn)
        const gEnc = G.alloc(dSae * dIn)
        const gb = G.alloc(dSae)
        const gd = G.alloc(dIn)
        G.encodeBackward(idx, gVal, k, xc, up(enc, G), gEnc, gb, gd, rows, dIn)
        return Promise.all([pre, val, out, gDec, gVal, gEnc, gb, gd].map((b) => down(b, G)))
      }
      const [want, got] = [await run(K), await run(S)]
      expect(got).toEqual(want)
      expect(() => S.center(S.alloc(64 * 256), S.alloc(1), S.alloc(64 * 256), 64, 256)).toThrow(/more than 7²/)
    } finally {
      S.dispose()
    }
  })

  it('refuses buffers above maxStorageBufferBindingSize and aliased outputs, with clear messages', () => {
    const tooMany = device.limits.maxStorageBufferBindingSize / 4 + 4
    expect(() => K.alloc(tooMany)).toThrow(/maxStorageBufferBindingSize/)
    const b = K.alloc(8)
    expect(() => K.center(b, K.alloc(2), b, 4, 2)).toThrow(/xc and x are the same buffer/)
  })

  it('dispose destroys every buffer; later use throws', () => {
    const D = createWebGpuKernels(device)
    D.alloc(100)
    D.allocIndex(100)
    expect(D.stats.liveBuffers).toBeGreaterThanOrEqual(3)
    D.dispose()
    expect(D.stats.liveBuffers).toBe(0)
    expect(() => D.alloc(4)).toThrow(/after dispose/)
  })
})

describe('training on WebGPU matches the CPU path for the same seed', () => {
  const rng = new Rng(11)
  const dIn = 32
  const n = 512
  const data = Float32Array.from({ length: n * dIn }, (_, i) => rng.normal() * (1 + (i % dIn) / 8) + 3)

  function compare(g: SaeTrainResult, c: SaeTrainResult) {
    expect(g.history.length).toBe(c.history.length)
    for (let s = 0; s < g.history.length; s++) {
      const [a, b] = [g.history[s], c.history[s]]
      expect(Math.abs(a.loss - b.loss) / b.loss, `loss at step ${s + 1}`).toBeLessThan(1e-3)
      expect(Math.abs(a.auxLoss - b.auxLoss), `auxLoss at step ${s + 1}`).toBeLessThanOrEqual(1e-3 * b.loss)
      expect(Math.abs(a.explainedVariance - b.explainedVariance)).toBeLessThan(1e-3)
      expect(a.l0).toBe(b.l0)
      expect(a.deadCount).toBe(b.deadCount)
      expect(Math.abs(a.gradNorm - b.gradNorm) / b.gradNorm).toBeLessThan(1e-3)
    }
    for (const key of ['encoder', 'decoder', 'bEnc', 'bDec'] as const) expect(relDiff(g.sae[key], c.sae[key]), key).toBeLessThan(1e-3)
    expect(g.sae.cfg.activationScale).toBe(c.sae.cfg.activationScale)
  }

  it('TopK with AuxK: weights, losses, L0 and dead counts; weights never leave the GPU until the end', async () => {
    const cfg = {
      expansionFactor: 4, // d_sae 128
      k: 8,
      batchSize: 64,
      steps: 5,
      lr: 3e-3,
      // every latent that did not fire in the previous step is dead, so AuxK is exercised
      deadFeatureWindow: 0,
      logEvery: 1,
      seed: 5,
      normEstimateTokens: 256,
      bDecInitTokens: 256,
    }
    // count the trainer's own reads; the kernels must not read back anything else
    let hostReads = 0
    const counted = new Proxy(K, {
      get(target, prop) {
        const f = Reflect.get(target, prop)
        if (prop === 'read' || prop === 'readIndex' || prop === 'sumSquares')
          return (...args: unknown[]) => {
            hostReads++
            return (f as (...a: unknown[]) => unknown).apply(target, args)
          }
        return f
      },
    }) as SaeKernels<GpuFloatBuffer, GpuIndexBuffer>
    const before = { ...K.stats }
    const g = await trainSae(arraySource(data, dIn), cfg, { kernels: counted })
    const c = await trainSae(arraySource(data, dIn), cfg, { kernels: createCpuKernels() })
    expect(g.history.some((m) => m.auxLoss > 0)).toBe(true)
    compare(g, c)
    expect(K.stats.readbacks - before.readbacks).toBe(hostReads)
    const B = cfg.batchSize
    const dSae = 4 * dIn
    // per step at most: rowSq twice (loss, metrics), auxRowSq, fired, four gradient norms; then the weights once
    const weights = 2 * dSae * dIn + dSae + dIn
    expect(K.stats.bytesRead - before.bytesRead).toBeLessThanOrEqual(4 * (cfg.steps * (3 * B + dSae + 4) + weights))

    // deterministic: a second run gives the same bits
    const again = await trainSae(arraySource(data, dIn), cfg, { kernels: K })
    expect(Array.from(again.sae.decoder)).toEqual(Array.from(g.sae.decoder))
    expect(again.history.map((m) => m.loss)).toEqual(g.history.map((m) => m.loss))
  })

  it('standard (ReLU + L1, dense code)', async () => {
    const cfg = { architecture: 'standard' as const, expansionFactor: 4, batchSize: 64, steps: 4, lr: 3e-3, l1Coefficient: 0.05, logEvery: 1, seed: 7, normEstimateTokens: 256, bDecInitTokens: 256 }
    const g = await trainSae(arraySource(data, dIn), cfg, { kernels: K })
    const c = await trainSae(arraySource(data, dIn), cfg, { kernels: createCpuKernels() })
    expect(g.history.at(-1)!.l1Loss).toBeGreaterThan(0)
    compare(g, c)
  })

  it('raised no uncaptured GPU errors', () => {
    expect(uncaptured).toEqual([])
  })
})
