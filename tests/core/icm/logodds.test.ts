import { describe, expect, it } from 'vitest'
import { labelOfToken, tokenSetLogOdds, topLogprobs, yesNoDiffLogprobs } from '../../../src/core/icm/index.ts'

describe('the code\'s True/False log-odds', () => {
  it('classifies tokens as get_yes_no does', () => {
    expect([' True', 'TRUE', 'true.', 'untrue', ' False', 'false', 'True/False', ' the', ''].map(labelOfToken)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      null,
      null,
      null,
    ])
  })

  it('sums probabilities with eps 1e-5, and gives 0 when neither label appears', () => {
    const lp = { ' True': Math.log(0.3), True: Math.log(0.1), ' False': Math.log(0.2), 'True/False': Math.log(0.25), ' a': Math.log(0.15) }
    expect(yesNoDiffLogprobs(Object.entries(lp))).toBeCloseTo(Math.log(0.4 + 1e-5) - Math.log(0.2 + 1e-5), 12)
    expect(yesNoDiffLogprobs(Object.entries({ ' True': Math.log(0.5) }))).toBeCloseTo(Math.log(0.5 + 1e-5) - Math.log(1e-5), 12)
    expect(yesNoDiffLogprobs(Object.entries({ ' the': -0.1, 'True/False': -1 }))).toBe(0)
    expect(yesNoDiffLogprobs([])).toBe(0)
  })

  it('takes exact log-odds over token sets and the top-k log-probabilities of a logit row', () => {
    const logits = [2, -1, 0.5, 3, 0.5, -4]
    const lz = Math.log(logits.reduce((a, x) => a + Math.exp(x), 0))
    expect(tokenSetLogOdds(logits, [0, 2], [3])).toBeCloseTo(Math.log(Math.exp(2) + Math.exp(0.5)) - 3, 12)
    const top = topLogprobs(logits, 3)
    expect(top.map((t) => t.id)).toEqual([3, 0, 2])
    top.forEach((t) => expect(t.logprob).toBeCloseTo(logits[t.id] - lz, 12))
    expect(topLogprobs(logits, 10).map((t) => t.id)).toEqual([3, 0, 2, 4, 1, 5])
  })
})
