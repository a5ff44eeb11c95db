import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_MODELS, TEST_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { referenceForward } from '../../../src/core/testmodels/reference.ts'
import { forwardWithEdits, zeroAblation } from '../../../src/core/hooks/edit.ts'
import type { CausalLM } from '../../../src/core/model/causal-lm.ts'
import { loadBuild, maxAbsDiff, randomUnit } from './helpers.ts'

describe.each([BUILTIN_MODELS[1], TEST_MODELS[0]].map((d) => [d.id, d] as const))('residual edits on %s', (_id, def) => {
  const build = buildTinyModel(def)
  const cfg = build.config
  let model: CausalLM
  beforeAll(async () => {
    model = await loadBuild(build)
  })
  afterAll(() => model.dispose())

  it('a nonlinear per-position edit equals the reference with the same transform, padding-aware', async () => {
    const d = cfg.dModel
    const u = randomUnit(d, 21)
    const v = randomUnit(d, 22).map((x) => 3 * x)
    const f = (row: ArrayLike<number>) => {
      let c = 0
      for (let i = 0; i < d; i++) c += row[i] * u[i]
      return Math.max(0, c)
    }
    const edit = {
      hook: 'blocks.2.hook_resid_mid',
      delta: (rows: Float32Array, n: number) => {
        const out = new Float32Array(rows.length)
        for (let r = 0; r < n; r++) {
          const c = f(rows.subarray(r * d, (r + 1) * d))
          for (let i = 0; i < d; i++) out[r * d + i] = c * v[i]
        }
        return out
      },
    }
    const batch = model.encode(['It is good to help a friend.', 'Stealing', 'Claim: lying is bad.'])
    const out = await forwardWithEdits(model, batch, { fetch: ['logits'], edits: [edit] })
    const logits = out.logits.data as Float32Array
    const V = cfg.vocabSize
    const T = batch.maxLen
    batch.ids.forEach((ids, b) => {
      const ref = referenceForward(cfg, build.weights, ids, [
        {
          hook: 'resid_mid',
          layer: 2,
          transform: (row) => {
            const c = f(row)
            for (let i = 0; i < d; i++) row[i] += c * v[i]
          },
        },
      ])
      const got = logits.subarray(b * T * V, (b * T + ids.length) * V)
      expect(maxAbsDiff(got, ref.logits)).toBeLessThan(1e-4)
    })
  })

  it('zero-ablation replaces the residual with zeros at the hook', async () => {
    const batch = model.encode(['Kindness matters'])
    const hook = 'blocks.1.hook_resid_post'
    const out = await forwardWithEdits(model, batch, { fetch: ['logits', model.hookOutput(hook)], edits: [zeroAblation(hook)] })
    const h = out[model.hookOutput(hook)].data as Float32Array
    expect(Math.max(...Array.from(h, Math.abs))).toBeLessThan(1e-6)
    const ref = referenceForward(cfg, build.weights, batch.ids[0], [{ hook: 'resid_post', layer: 1, transform: (row) => row.fill(0) }])
    expect(maxAbsDiff(out.logits.data as Float32Array, ref.logits)).toBeLessThan(1e-4)
  })
})

describe('generation with a residual edit', () => {
  it('recomputes the edit at every step and follows the reference greedily', async () => {
    const { generateText } = await import('../../../src/core/hooks/generate.ts')
    const build = buildTinyModel(BUILTIN_MODELS[0])
    const cfg = build.config
    const model = await loadBuild(build)
    const scale = (rows: Float32Array) => rows.map((x) => -0.5 * x)
    const out = await generateText(model, 'The student', { maxNewTokens: 5, edits: [{ hook: 'blocks.1.hook_resid_mid', delta: scale }], stopTokenIds: [] })
    const ids = [...model.encode(['The student']).ids[0]]
    const V = cfg.vocabSize
    for (const chosen of out.ids) {
      const ref = referenceForward(cfg, build.weights, ids, [{ hook: 'resid_mid', layer: 1, transform: (row) => row.forEach((x, i) => (row[i] = 0.5 * x)) }])
      const last = ref.logits.subarray((ids.length - 1) * V, ids.length * V)
      let best = 0
      for (let j = 1; j < V; j++) if (last[j] > last[best]) best = j
      expect(last[best] - last[chosen]).toBeLessThan(1e-4)
      ids.push(chosen)
    }
    await model.dispose()
  })
})
