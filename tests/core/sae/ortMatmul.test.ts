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
})
