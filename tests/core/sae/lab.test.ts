import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { SaeLab, chooseSaeBackend, suggestTrainConfig, type SaeCorpusData } from '../../../src/core/sae/lab.ts'
import { buildSaeCorpus, splitPassages } from '../../../src/core/sae/corpus.ts'
import { evaluateSaeReconstruction } from '../../../src/core/sae/evaluation.ts'
import { correlateFeaturesWithLabels, selectMoralFeatures } from '../../../src/core/sae/labels.ts'
import { encode } from '../../../src/core/sae/model.ts'
import { saveSaeLens } from '../../../src/core/sae/saelens.ts'
import { MORAL_TYPICALITY_SET, VALUE_ENTANGLEMENT_SET } from '../../../src/core/stimuli/builtin/index.ts'
import { MORAL_VECTOR_DIM } from '../../../src/core/stimuli/types.ts'

const D = 16

/** Texts of 2–6 tokens; the last token of text i carries item i's moral vector along planted directions. */
function corpus(nTexts: number, seed: number): SaeCorpusData & { dirs: Float32Array } {
  const rng = new Rng(seed)
  const dirs = Float32Array.from({ length: MORAL_VECTOR_DIM * D }, () => rng.normal())
  const items = MORAL_TYPICALITY_SET.items
  const offsets = [0]
  const rows: number[] = []
  const tokens: string[][] = []
  const ids: string[] = []
  for (let i = 0; i < nTexts; i++) {
    const len = 2 + rng.int(5)
    const toks: string[] = []
    for (let t = 0; t < len; t++) {
      const row = Array.from({ length: D }, () => 0.3 * rng.normal())
      if (t === len - 1) {
        const v = items[i % items.length].moralVector ?? []
        v.forEach((m, a) => {
          for (let j = 0; j < D; j++) row[j] += 3 * m * dirs[a * D + j]
        })
      }
      rows.push(...row)
      toks.push(t === 0 ? `w${i}` : ` t${t}`)
    }
    offsets.push(offsets[offsets.length - 1] + len)
    tokens.push(toks)
    ids.push(`item-${i}`)
  }
  return { acts: Float32Array.from(rows), dIn: D, offsets, tokens, ids, hook: 'blocks.1.hook_resid_post', modelName: 'synthetic', dirs }
}

describe('SAE corpus', () => {
  it('joins sets and text, dropping duplicates and cutting long lines', () => {
    const long = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ')
    const c = buildSaeCorpus([MORAL_TYPICALITY_SET, MORAL_TYPICALITY_SET], { extraText: `first line\n\n${long}\nfirst line`, maxWords: 48 })
    expect(c.set.items.length).toBe(MORAL_TYPICALITY_SET.items.length + 1 + 3)
    expect(c.duplicates).toBe(MORAL_TYPICALITY_SET.items.length + 1)
    expect(c.sources.map((s) => s.passages)).toEqual([MORAL_TYPICALITY_SET.items.length, 0, 4])
    expect(splitPassages(long, 48).map((p) => p.split(' ').length)).toEqual([48, 48, 4])
    expect(new Set(c.set.items.map((i) => i.id)).size).toBe(c.set.items.length)
    expect(c.set.id).not.toBe(buildSaeCorpus([VALUE_ENTANGLEMENT_SET]).set.id)
  })

  it('says what is wrong with an empty or oversized corpus', () => {
    expect(() => buildSaeCorpus([], { extraText: '  \n ' })).toThrow(/empty/)
    expect(() => buildSaeCorpus([], { extraText: 'a\nb\nc', maxPassages: 2, extraSource: 'notes.txt' })).toThrow(/notes\.txt: 3 passages/)
  })
})

describe('SaeLab', () => {
  const data = corpus(120, 5)

  it('holds out 10% of the texts, whole texts only', () => {
    const lab = new SaeLab()
    const s = lab.setCorpus(data)
    expect(s.heldOutTexts).toBe(12)
    expect(s.trainTokens + s.heldOutTokens).toBe(s.tokens)
    const held = lab.heldOutTextIndices()
    expect(held.length).toBe(12)
    expect(held.reduce((a, i) => a + data.offsets[i + 1] - data.offsets[i], 0)).toBe(s.heldOutTokens)
  })

  it('trains, evaluates on the held-out rows, browses, correlates and re-aligns like the core functions it wraps', async () => {
    const lab = new SaeLab()
    lab.setCorpus(data)
    const cfg = { ...suggestTrainConfig(D, 400), steps: 60, batchSize: 64, k: 4, logEvery: 10 }
    const run = await lab.train(cfg)
    expect(run.stepsCompleted).toBe(60)
    expect(run.history.length).toBe(6)
    expect(run.sae.dSae).toBe(8 * D)
    expect(run.sae.hook).toBe('blocks.1.hook_resid_post')

    const sae = lab.exportSae()
    const heldRows = lab.heldOutTextIndices().flatMap((i) => Array.from({ length: data.offsets[i + 1] - data.offsets[i] }, (_, k) => data.offsets[i] + k))
    const x = new Float32Array(heldRows.length * D)
    heldRows.sort((a, b) => a - b).forEach((r, k) => x.set(data.acts.subarray(r * D, (r + 1) * D), k * D))
    const ev = await lab.evaluate()
    const ref = await evaluateSaeReconstruction(sae, x)
    expect(ev.split).toBe('held-out')
    expect(ev.tokens).toBe(heldRows.length)
    expect(ev.explainedVariance).toBeCloseTo(ref.explainedVariance, 6)
    expect(ev.l0).toBeCloseTo(ref.l0, 6)

    const stats = await lab.computeStats()
    expect(stats.nTexts).toBe(120)
    const page = lab.queryFeatures({ sort: { key: 'density', order: 'desc' }, limit: 5 })
    expect(page.total).toBe(8 * D)
    expect(page.rows[0].density).toBeGreaterThanOrEqual(page.rows[4].density)
    const detail = lab.featureDetail(page.rows[0].feature)
    expect(detail.top.length).toBeGreaterThan(0)
    expect(detail.top[0].tokens).toEqual(data.tokens[detail.top[0].text])
    expect(() => lab.featureDetail(9999)).toThrow(/does not exist/)

    const items = MORAL_TYPICALITY_SET.items.slice(0, 120)
    const h = new Float32Array(items.length * D)
    items.forEach((_, i) => h.set(data.acts.subarray((data.offsets[i + 1] - 1) * D, data.offsets[i + 1] * D), i * D))
    const labels = await lab.setLabelled(items, h)
    const direct = correlateFeaturesWithLabels({ data: encode(sae, h), rows: items.length, cols: 8 * D }, items)
    expect(labels.map((l) => l.key)).toEqual(direct.labels.map((l) => l.key))
    const detailed = lab.featureDetail(3)
    detailed.correlations.forEach((c, l) => {
      const r = direct.rho[3 * direct.labels.length + l]
      if (Number.isNaN(r)) expect(c.rho).toBeNaN()
      else expect(c.rho).toBeCloseTo(r, 10)
    })
    const picked = lab.selectMoral({ minRho: 0.2, minMargin: 0.05 })
    expect(picked).toEqual(selectMoralFeatures(direct, { minRho: 0.2, minMargin: 0.05 }))
    expect(picked.length).toBeGreaterThan(0)

    const fit = await lab.realign(picked.slice(0, 4).map((p) => p.feature), { maxSteps: 30 })
    expect(fit.features).toEqual(picked.slice(0, 4).map((p) => p.feature))
    expect(fit.M.length).toBe(16)

    const text = lab.readText(data.acts.subarray(0, data.offsets[1] * D), data.tokens[0])
    const z = encode(sae, data.acts.subarray(0, data.offsets[1] * D))
    const top = text.features[0]
    const dSae = 8 * D
    expect(top.activations).toEqual(Array.from({ length: data.tokens[0].length }, (_, t) => z[t * dSae + top.feature]))
    expect(top.max).toBe(Math.max(...top.activations))
    if (text.features.length > 1) expect(text.features[1].max).toBeLessThanOrEqual(top.max)
  })

  it('opens SAELens files, refusing another model width or hook with a clear message', async () => {
    const lab = new SaeLab()
    lab.setCorpus(data)
    await lab.train({ steps: 5, batchSize: 32, k: 4, expansionFactor: 2 })
    const files = lab.saveSaeLens()
    const hooks = ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_post']
    const other = new SaeLab()
    other.setCorpus(data)
    const summary = other.loadSaeLens(files.cfgJson, files.weights, { dIn: D, hooks })
    expect(summary).toMatchObject({ dIn: D, dSae: 2 * D, origin: 'loaded', hook: 'blocks.1.hook_resid_post' })
    const a = lab.exportSae()
    const b = other.exportSae()
    const x = data.acts.subarray(0, 10 * D)
    const za = encode(a, x)
    const zb = encode(b, x)
    for (let i = 0; i < za.length; i++) expect(zb[i]).toBeCloseTo(za[i], 4)
    expect(() => other.loadSaeLens(files.cfgJson, files.weights, { dIn: D + 4, hooks })).toThrow(/d_in is 16 but the loaded model's residual stream has 20/)
    expect(() => other.loadSaeLens(files.cfgJson, files.weights, { dIn: D, hooks: ['blocks.0.hook_resid_pre'] })).toThrow(/hook_name "blocks.1.hook_resid_post" is not a hook/)
    // A config that keeps the scale out of the weights and does not state it: the corpus supplies it.
    const unscaled = saveSaeLens(a, { foldActivationScale: false })
    const cfg = JSON.parse(unscaled.cfgJson)
    delete cfg.metadata.norm_scaling_factor
    expect(other.loadSaeLens(JSON.stringify(cfg), unscaled.weights, { dIn: D, hooks }).activationScale).toBeCloseTo(a.cfg.activationScale, 1)
  })

  it('chooses the training backend with a reason', () => {
    const real = { ok: true as const, adapter: { vendor: 'nvidia', architecture: 'hopper', isFallbackAdapter: false } }
    const soft = { ok: true as const, adapter: { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true } }
    expect(chooseSaeBackend('auto', real)).toEqual({ backend: 'webgpu', reason: 'WebGPU adapter nvidia hopper' })
    expect(chooseSaeBackend('auto', soft).backend).toBe('cpu')
    expect(chooseSaeBackend('auto', soft).reason).toMatch(/software fallback/)
    expect(chooseSaeBackend('webgpu', soft).backend).toBe('webgpu')
    expect(chooseSaeBackend('webgpu', { ok: false, reason: 'no adapter' })).toEqual({ backend: 'cpu', reason: 'no adapter' })
    expect(chooseSaeBackend('cpu', real).backend).toBe('cpu')
  })

  it('suggests SAELens-like defaults scaled to the corpus', () => {
    expect(suggestTrainConfig(896, 20000)).toMatchObject({ expansionFactor: 8, k: 32, batchSize: 1024, steps: 391 })
    expect(suggestTrainConfig(64, 300)).toMatchObject({ batchSize: 64, steps: 200, k: 32 })
  })
})
