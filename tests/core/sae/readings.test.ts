import { describe, expect, it } from 'vitest'
import { readEvaluation, readMoralFeatures, readRealignment, readTraining, readWinRate, saeMethodNotes } from '../../../src/core/sae/readings.ts'
import { editedWinRate, recordJudgement, createPairwiseTrials } from '../../../src/core/sae/behaviour.ts'
import type { SaeStepMetrics } from '../../../src/core/sae/train.ts'

const step = { step: 200, tokens: 204800, explainedVariance: 0.734, l0: 32, deadFraction: 0.61 } as SaeStepMetrics

describe('SAE readings', () => {
  it('state the numbers on screen and caution where they are weak', () => {
    const t = readTraining(step, 200, false)
    expect(t[0].text).toContain('After 200 steps (204,800 tokens)')
    expect(t[0].text).toContain('73%')
    expect(t[1].tone).toBe('caution')
    expect(readTraining({ ...step, deadFraction: 0.1 }, 400, true)[0].text).toMatch(/^Stopped after 200 of 400 steps/)
    const ev = { tokens: 1000, explainedVariance: 0.9, l0: 32, deadFraction: 0, denseFraction: 0.04, split: 'held-out' } as never
    const splice = { ceOriginal: 3, ceSpliced: 3.2, ceAblated: 7, ceIncrease: 0.2, ceLossScore: 0.95, klDivScore: 0.9 } as never
    const r = readEvaluation(ev, splice, 'blocks.6.hook_resid_post')
    expect(r[1].text).toContain('from 3.000 to 3.200 nats (+0.200)')
    expect(r[1].text).toContain('CE loss score 95%')
    expect(r).toHaveLength(2)
    expect(readEvaluation(ev, { ...(splice as object), ceAblated: 3.01 } as never, 'x').at(-1)!.tone).toBe('caution')
  })

  it('names the moral features found, or says none passed', () => {
    expect(readMoralFeatures([], 512, { minRho: 0.3, minMargin: 0.1 })[0].text).toContain('None of the 512 features')
    const r = readMoralFeatures(
      [
        { feature: 7, axis: 1, axisName: 'care.vice', rho: 0.61, margin: 0.33 },
        { feature: 9, axis: 1, axisName: 'care.vice', rho: 0.4, margin: 0.2 },
      ],
      512,
      { minRho: 0.3, minMargin: 0.1 },
    )
    expect(r[0].text).toContain('2 features track a single moral coordinate (care.vice ×2)')
    expect(r[0].text).toContain('feature 7: ρ = +0.61 with care.vice, 0.33 above')
  })

  it('reads the re-alignment on held-out items and the blind win rate', () => {
    const rsa = (before: number, after: number) => ({ before, after, pairs: 45 })
    const r = readRealignment({ rsa: { fit: rsa(0.1, 0.5), validation: rsa(0.1, 0.05), all: rsa(0.1, 0.4) }, editNorm: { relativeRms: 0.123 } } as never)
    expect(r[0].text).toContain('On held-out items')
    expect(r[0].text).toContain('+0.10 before the edit and +0.05 after')
    expect(r[1].tone).toBe('caution')
    const trials = createPairwiseTrials(
      Array.from({ length: 8 }, (_, i) => ({ promptId: `p${i}`, prompt: 'q', edited: 'e', original: 'o' })),
      3,
    )
    const js = trials.map((t) => recordJudgement(t, t.left === 'edited' ? 'left' : 'right', 'user'))
    const w = editedWinRate(js)
    const text = readWinRate(w, 'user')[0]
    expect(text.text).toContain('preferred the edited model\'s answer 8 times, the original 0')
    expect(text.tone).toBe('finding')
    expect(readWinRate(editedWinRate(js.slice(0, 1)), 'model')[0].tone).toBe('caution')
    expect(saeMethodNotes().some((n) => n.deviation && /Flames/.test(n.text))).toBe(true)
  })
})
