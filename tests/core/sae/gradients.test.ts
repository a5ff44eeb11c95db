import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { createReferenceKernels } from '../../../src/core/sae/reference.ts'
import {
  allocTrainingState,
  forwardBackward,
  PARAM_NAMES,
  paramLength,
  type StepShape,
  type TrainingState,
} from '../../../src/core/sae/step.ts'
import type { FloatArray } from '../../../src/core/sae/kernels.ts'

type State = TrainingState<FloatArray, Int32Array>

function setup(shape: StepShape, seed: number, dead: number[]): State {
  const rng = new Rng(seed)
  const s = allocTrainingState(createReferenceKernels('f64'), shape)
  for (const name of PARAM_NAMES) {
    const p = s.params[name]
    for (let i = 0; i < p.length; i++) p[i] = rng.normal() * (name === 'bEnc' ? 0.1 : name === 'bDec' ? 0.3 : 0.5)
  }
  for (let i = 0; i < shape.dSae; i++) s.params.bEnc[i] += 0.2
  for (let i = 0; i < s.x.length; i++) s.x[i] = rng.normal()
  for (const i of dead) s.dead[i] = 1
  return s
}

/** max |analytic − central difference| relative to the largest analytic entry, per parameter. */
async function checkGradients(s: State, opts: { numDead: number; auxLossCoefficient: number; l1Coefficient: number }) {
  const base = await forwardBackward(s, opts)
  const grads = Object.fromEntries(PARAM_NAMES.map((n) => [n, s.grads[n].slice()]))
  const xhat0 = s.xhat.slice()
  const eps = 1e-6
  const loss = async () => (await forwardBackward(s, { ...opts, auxResidualFrom: xhat0 })).loss
  const report: Record<string, number> = {}
  for (const name of PARAM_NAMES) {
    const p = s.params[name]
    let maxDiff = 0
    let maxAbs = 0
    for (let i = 0; i < paramLength(name, s.shape); i++) {
      const keep = p[i]
      p[i] = keep + eps
      const up = await loss()
      p[i] = keep - eps
      const down = await loss()
      p[i] = keep
      const fd = (up - down) / (2 * eps)
      maxDiff = Math.max(maxDiff, Math.abs(fd - grads[name][i]))
      maxAbs = Math.max(maxAbs, Math.abs(grads[name][i]))
    }
    expect(maxAbs).toBeGreaterThan(0)
    report[name] = maxDiff / maxAbs
  }
  return { base, report }
}

const shape = (over: Partial<StepShape> = {}): StepShape => ({
  batch: 5,
  dIn: 6,
  dSae: 10,
  architecture: 'topk',
  k: 3,
  kAux: 3,
  ...over,
})

describe('SAE gradients (reference kernels, float64, central differences)', () => {
  it('TopK: MSE only', async () => {
    const s = setup(shape(), 1, [])
    const { base, report } = await checkGradients(s, { numDead: 0, auxLossCoefficient: 1, l1Coefficient: 0 })
    expect(base.auxLoss).toBe(0)
    for (const r of Object.values(report)) expect(r).toBeLessThan(1e-4)
  })

  it('TopK: MSE + AuxK with more dead latents than k_aux (scale 1)', async () => {
    const s = setup(shape(), 2, [0, 2, 5, 7, 9])
    const { base, report } = await checkGradients(s, { numDead: 5, auxLossCoefficient: 1, l1Coefficient: 0 })
    expect(base.kAuxUsed).toBe(3)
    expect(base.auxScale).toBe(1)
    expect(base.auxLoss).toBeGreaterThan(0)
    for (const r of Object.values(report)) expect(r).toBeLessThan(1e-4)
  })

  it('TopK: AuxK with fewer dead latents than k_aux (k_aux = n_dead, scale n_dead / k_aux)', async () => {
    const s = setup(shape(), 3, [4, 8])
    const { base, report } = await checkGradients(s, { numDead: 2, auxLossCoefficient: 0.5, l1Coefficient: 0 })
    expect(base.kAuxUsed).toBe(2)
    expect(base.auxScale).toBeCloseTo(2 / 3, 12)
    for (const r of Object.values(report)) expect(r).toBeLessThan(1e-4)
  })

  it('ReLU + norm-weighted L1', async () => {
    const s = setup(shape({ architecture: 'standard' }), 4, [])
    const { base, report } = await checkGradients(s, { numDead: 0, auxLossCoefficient: 1, l1Coefficient: 0.7 })
    expect(base.l1Loss).toBeGreaterThan(0)
    for (const r of Object.values(report)) expect(r).toBeLessThan(1e-4)
  })

  it('computes the SAELens loss values', async () => {
    // one token, d_in 2, two latents, k 1: hand-worked
    const s = allocTrainingState(createReferenceKernels('f64'), { batch: 1, dIn: 2, dSae: 2, architecture: 'topk', k: 1, kAux: 1 })
    s.params.encoder.set([1, 0, 0, 1]) // latent 0 reads x0, latent 1 reads x1
    s.params.decoder.set([1, 0, 0, 2])
    s.params.bDec.set([0.5, 0])
    s.x.set([3.5, 1]) // xc = [3, 1]: pre = [3, 1], latent 0 wins, z0 = 3
    s.dead.set([0, 1])
    const l = await forwardBackward(s, { numDead: 1, auxLossCoefficient: 1, l1Coefficient: 0 })
    // x̂ = 3·[1, 0] + [0.5, 0] = [3.5, 0]; mse = (0 + 1) = 1
    expect(l.mseLoss).toBeCloseTo(1, 12)
    // aux: k_aux = 1, scale = min(1/1, 1) = 1; ê = pre1·W_dec[1] = [0, 2]; residual = x − x̂ = [0, 1]; loss = 1
    expect(l.auxLoss).toBeCloseTo(1, 12)
    expect(l.loss).toBeCloseTo(2, 12)
  })
})
