import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { Rng } from '../../../src/core/random.ts'
import { createCpuKernels, matmulNT } from '../../../src/core/sae/cpu.ts'
import { createOrtMatmul } from '../../../src/core/sae/ortMatmul.ts'
import { createReferenceKernels } from '../../../src/core/sae/reference.ts'
import { arraySource, trainSae } from '../../../src/core/sae/train.ts'

describe('encoder product through onnxruntime-web (injected matmul)', () => {
  it('matches the JS product and trains like the reference backend', async () => {
    const ortMatmul = await createOrtMatmul(ort)
    try {
      const rng = new Rng(2)
      const [m, k, n] = [5, 7, 11]
      const a = Float32Array.from({ length: m * k }, () => rng.normal())
      const b = Float32Array.from({ length: n * k }, () => rng.normal())
      const bias = Float32Array.from({ length: n }, () => rng.normal())
      const got = new Float32Array(m * n)
      const want = new Float32Array(m * n)
      await ortMatmul.matmul(a, b, bias, got, m, k, n)
      matmulNT(a, b, bias, want, m, k, n)
      for (let i = 0; i < m * n; i++) expect(got[i]).toBeCloseTo(want[i], 5)

      const dIn = 8
      const data = Float32Array.from({ length: 200 * dIn }, () => rng.normal() + 1)
      const cfg = { expansionFactor: 4, k: 3, batchSize: 32, steps: 5, lr: 3e-3, deadFeatureWindow: 0, logEvery: 1 }
      const viaOrt = await trainSae(arraySource(data, dIn), cfg, { kernels: createCpuKernels({ matmul: ortMatmul.matmul }) })
      const ref = await trainSae(arraySource(data, dIn), cfg, { kernels: createReferenceKernels('f64') })
      expect(viaOrt.history.map((h) => h.l0)).toEqual(ref.history.map((h) => h.l0))
      for (let i = 0; i < ref.sae.decoder.length; i++) expect(Math.abs(viaOrt.sae.decoder[i] - ref.sae.decoder[i])).toBeLessThan(1e-4)
    } finally {
      await ortMatmul.release()
    }
  })

  it('the fused encode + top k (one graph) gives the CPU kernels\' codes, with and without AuxK, and trains like the reference', async () => {
    const ortK = await createOrtMatmul(ort)
    try {
      const rng = new Rng(5)
      const [rows, dIn, dSae, k, kAux] = [6, 7, 40, 4, 5]
      const xc = Float32Array.from({ length: rows * dIn }, () => rng.normal())
      const enc = Float32Array.from({ length: dSae * dIn }, () => rng.normal())
      const bEnc = Float32Array.from({ length: dSae }, () => rng.normal() - 1)
      const dead = Float32Array.from({ length: dSae }, (_, i) => (i % 3 === 0 ? 1 : 0))
      const cpu = createCpuKernels()
      const pre = new Float32Array(rows * dSae)
      cpu.encode(xc, enc, bEnc, pre, rows, dIn, dSae)
      const want = { idx: new Int32Array(rows * k), val: new Float32Array(rows * k), auxIdx: new Int32Array(rows * kAux), auxVal: new Float32Array(rows * kAux) }
      cpu.topK(pre, rows, dSae, k, want.idx, want.val)
      cpu.deadTopK(pre, dead, rows, dSae, kAux, want.auxIdx, want.auxVal)
      // Entries within a row may come in another order: compare (index → value) per row.
      const rowMaps = (idx: Int32Array, val: Float32Array, width: number) =>
        Array.from({ length: rows }, (_, t) => new Map(Array.from({ length: width }, (_, j) => [idx[t * width + j], val[t * width + j]] as const)))
      const expectSameCodes = (got: Map<number, number>[], exp: Map<number, number>[]) => {
        for (let t = 0; t < rows; t++) {
          expect([...got[t].keys()].sort((x, y) => x - y)).toEqual([...exp[t].keys()].sort((x, y) => x - y))
          for (const [i, v] of exp[t]) expect(got[t].get(i)!).toBeCloseTo(v, 5)
        }
      }
      const got = { idx: new Int32Array(rows * k), val: new Float32Array(rows * k), auxIdx: new Int32Array(rows * kAux), auxVal: new Float32Array(rows * kAux) }
      await ortK.encodeTopK(xc, enc, bEnc, rows, dIn, dSae, k, got.idx, got.val, { dead, kAux, idx: got.auxIdx, val: got.auxVal })
      expectSameCodes(rowMaps(got.idx, got.val, k), rowMaps(want.idx, want.val, k))
      expectSameCodes(rowMaps(got.auxIdx, got.auxVal, kAux), rowMaps(want.auxIdx, want.auxVal, kAux))
      // Every AuxK latent is dead, and AuxK values keep their sign (no ReLU); the main code is ReLU'd.
      for (const i of got.auxIdx) expect(dead[i]).toBe(1)
      expect(Array.from(got.auxVal).some((v) => v < 0)).toBe(true)
      expect(Array.from(got.val).every((v) => v >= 0)).toBe(true)
      await ortK.encodeTopK(xc, enc, bEnc, rows, dIn, dSae, k, got.idx, got.val, null)
      expectSameCodes(rowMaps(got.idx, got.val, k), rowMaps(want.idx, want.val, k))
      await expect(ortK.encodeTopK(xc, enc, bEnc, rows, dIn, dSae, k, got.idx, got.val, { dead: new Float32Array(dSae), kAux, idx: got.auxIdx, val: got.auxVal })).rejects.toThrow(/only 0 dead latents/)

      // The trainer with the fused graph (AuxK active: deadFeatureWindow 0) against the f64 reference.
      const data = Float32Array.from({ length: 200 * 8 }, () => rng.normal() + 1)
      const cfg = { expansionFactor: 4, k: 3, batchSize: 32, steps: 5, lr: 3e-3, deadFeatureWindow: 0, logEvery: 1 }
      const fusedRun = await trainSae(arraySource(data, 8), cfg, { kernels: createCpuKernels({ matmul: ortK.matmul, encodeTopK: ortK.encodeTopK }) })
      const ref = await trainSae(arraySource(data, 8), cfg, { kernels: createReferenceKernels('f64') })
      expect(fusedRun.history.some((h) => h.auxLoss > 0)).toBe(true)
      expect(fusedRun.history.map((h) => h.l0)).toEqual(ref.history.map((h) => h.l0))
      for (let i = 0; i < ref.sae.decoder.length; i++) expect(Math.abs(fusedRun.sae.decoder[i] - ref.sae.decoder[i])).toBeLessThan(1e-4)
    } finally {
      await ortK.release()
    }
  })
})
