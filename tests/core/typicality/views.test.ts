import { describe, expect, it } from 'vitest'
import { computeTypicalityDiagnostics } from '../../../src/core/typicality/diagnostics.ts'
import { categoryProjection, stimulusMap, metricPeaks } from '../../../src/core/typicality/views.ts'
import { typicalityReadings, describeCosine } from '../../../src/core/typicality/readings.ts'
import { MORAL_TYPICALITY_SET } from '../../../src/core/stimuli/builtin/index.ts'
import { Rng } from '../../../src/core/random.ts'
import { CORE_FOUNDATIONS } from '../../../src/core/stimuli/types.ts'

const items = MORAL_TYPICALITY_SET.items
const d = 24

/** Activations with typicality planted along a per-category direction, plus noise. */
function planted(seed: number, strength: number) {
  const rng = new Rng(seed)
  const dirs = new Map<string, Float64Array>()
  for (const f of CORE_FOUNDATIONS)
    for (const p of ['virtue', 'vice']) dirs.set(`${f}.${p}`, Float64Array.from({ length: d }, () => rng.normal()))
  const data = new Float32Array(items.length * d)
  items.forEach((it, i) => {
    const dir = it.polarity !== 'neutral' ? dirs.get(`${it.foundation}.${it.polarity}`) : undefined
    for (let j = 0; j < d; j++) data[i * d + j] = rng.normal() + (dir ? strength * (it.typicality ?? 0) * dir[j] : 0)
  })
  return { data, rows: items.length, cols: d }
}

describe('typicality views', () => {
  it('the scatter projection gives the same Spearman ρ as the gradient diagnostic, by an independent route', async () => {
    const acts = planted(3, 1.5)
    const report = await computeTypicalityDiagnostics([{ hook: 'blocks.0.hook_resid_post', layer: 0, acts }], items, { seed: 1, bootstrap: 50 })
    for (const cat of ['care.vice', 'loyalty.virtue']) {
      const view = categoryProjection(acts, items, 0, cat)
      const diag = report.layers[0].gradient.categories.find((c) => c.category === cat)!
      expect(view.points).toHaveLength(18)
      expect(view.rho).toBeCloseTo(diag.rho!, 10)
      expect(view.rho!).toBeGreaterThan(0.6)
      // The projection is on the centred data along centroid(category) − centroid(neutral), unit norm.
      const n = items.length
      const mean = new Float64Array(d)
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += acts.data[i * d + j] / n
      const centroid = (pred: (i: number) => boolean) => {
        const m = new Float64Array(d)
        let k = 0
        for (let i = 0; i < n; i++) if (pred(i)) {
          k++
          for (let j = 0; j < d; j++) m[j] += acts.data[i * d + j] - mean[j]
        }
        return m.map((v) => v / k)
      }
      const [f, p] = cat.split('.')
      const c = centroid((i) => items[i].foundation === f && items[i].polarity === p)
      const z = centroid((i) => items[i].polarity === 'neutral')
      const dir = c.map((v, j) => v - z[j])
      const norm = Math.hypot(...dir)
      const pt = view.points[0]
      let proj = 0
      for (let j = 0; j < d; j++) proj += (acts.data[pt.index * d + j] - mean[j]) * dir[j]
      expect(pt.projection).toBeCloseTo(proj / norm, 4)
    }
  })

  it('the 2-D map is the first two principal components', () => {
    const acts = planted(4, 3)
    const map = stimulusMap(acts, items, 0)
    expect(map.points).toHaveLength(items.length)
    const xs = map.points.map((p) => p.x)
    const ys = map.points.map((p) => p.y)
    const meanX = xs.reduce((a, b) => a + b, 0) / xs.length
    // Scores of centred data are centred, uncorrelated, and the first has the larger variance.
    expect(Math.abs(meanX)).toBeLessThan(1e-6)
    const cov = xs.reduce((a, x, i) => a + x * ys[i], 0)
    expect(Math.abs(cov) / xs.length).toBeLessThan(1e-3)
    const vx = xs.reduce((a, x) => a + x * x, 0)
    const vy = ys.reduce((a, y) => a + y * y, 0)
    expect(vx).toBeGreaterThanOrEqual(vy)
    expect(map.explained[0]).toBeGreaterThan(map.explained[1])
  })

  it('readings quote the numbers and the paper’s levels, and carry the caveats', async () => {
    const layers = [0, 1, 2].map((l) => ({ hook: `blocks.${l}.hook_resid_post`, layer: l, acts: planted(10 + l, l) }))
    const report = await computeTypicalityDiagnostics(layers, items, { seed: 2, bootstrap: 50 })
    const peaks = metricPeaks(report)
    const rhoVice = peaks.find((p) => p.id === 'rho-vice')!
    expect(rhoVice.layer).toBe(2)
    const r = typicalityReadings(report, { randomWeights: true, authoredTypicality: true })
    expect(r.gradient).toContain(`layer ${rhoVice.layer} (mean Spearman ρ ${rhoVice.best!.toFixed(2)})`)
    expect(r.gradient).toContain('below 0.55')
    expect(r.dimensional).toContain('0.26')
    expect(r.caveats).toHaveLength(2)
    expect(describeCosine(0.7)).toMatch(/barely/)
    expect(describeCosine(-0.6)).toMatch(/opposite/)
  })
})
