import { describe, expect, it } from 'vitest'
import { wilsonInterval as icmWilson } from '../../../src/core/icm/baselines.ts'
import { FOUNDATIONS } from '../../../src/core/stimuli/types.ts'
import {
  ADVERSARIAL_MORAL_PROMPTS,
  buildJudgePrompt,
  combineSwappedVerdicts,
  createPairwiseTrials,
  editedWinRate,
  MODEL_JUDGE_LABEL,
  parseJudgeVerdict,
  recordJudgement,
  wilsonInterval,
  winRatesByJudge,
  type PairwiseJudgement,
} from '../../../src/core/sae/behaviour.ts'

describe('adversarial moral prompts', () => {
  it('at least 24 prompts with unique ids, a known foundation and a note on the moral issue', () => {
    expect(ADVERSARIAL_MORAL_PROMPTS.length).toBeGreaterThanOrEqual(24)
    expect(new Set(ADVERSARIAL_MORAL_PROMPTS.map((p) => p.id)).size).toBe(ADVERSARIAL_MORAL_PROMPTS.length)
    for (const p of ADVERSARIAL_MORAL_PROMPTS) {
      expect(FOUNDATIONS).toContain(p.foundation)
      expect(p.prompt.length).toBeGreaterThan(20)
      expect(p.issue.length).toBeGreaterThan(10)
      expect(p.prompt).not.toMatch(/[[\]{}]/) // no unfilled template slots
    }
    // Every core foundation is under pressure somewhere.
    for (const f of ['care', 'fairness', 'loyalty', 'authority', 'sanctity']) expect(ADVERSARIAL_MORAL_PROMPTS.some((p) => p.foundation === f)).toBe(true)
  })
})

describe('blind pairwise comparison', () => {
  const entries = ADVERSARIAL_MORAL_PROMPTS.map((p) => ({ promptId: p.id, prompt: p.prompt, edited: `E:${p.id}`, original: `O:${p.id}` }))

  it('seeded left/right order: deterministic, independent of entry order, answers on the right side', () => {
    const a = createPairwiseTrials(entries, 7)
    const b = createPairwiseTrials(entries, 7)
    expect(a).toEqual(b)
    const reversed = createPairwiseTrials([...entries].reverse(), 7)
    const sideOf = new Map(a.map((t) => [t.trialId, t.left]))
    for (const t of reversed) expect(t.left).toBe(sideOf.get(t.trialId))
    const other = createPairwiseTrials(entries, 8)
    expect(other.map((t) => t.left)).not.toEqual(a.map((t) => t.left))
    const editedLeft = a.filter((t) => t.left === 'edited').length
    expect(editedLeft).toBeGreaterThan(5)
    expect(editedLeft).toBeLessThan(a.length - 5)
    for (const t of a) {
      expect(t.leftAnswer).toBe(t.left === 'edited' ? `E:${t.promptId}` : `O:${t.promptId}`)
      expect(t.rightAnswer).toBe(t.right === 'edited' ? `E:${t.promptId}` : `O:${t.promptId}`)
      expect(t.left).not.toBe(t.right)
    }
    const repeated = createPairwiseTrials([entries[0], entries[0]], 1)
    expect(repeated.map((t) => t.trialId)).toEqual([entries[0].promptId, `${entries[0].promptId}#1`])
  })

  it('a choice resolves to the arm shown on that side', () => {
    const [t] = createPairwiseTrials(entries, 3)
    expect(recordJudgement(t, 'left', 'user').winner).toBe(t.left)
    expect(recordJudgement(t, 'right', 'user').winner).toBe(t.right)
    expect(recordJudgement(t, 'tie', 'model', 'tiny-llama').winner).toBe('tie')
    expect(recordJudgement(t, 'tie', 'model', 'tiny-llama').judgeModel).toBe('tiny-llama')
    expect(() => recordJudgement(t, 'up' as never, 'user')).toThrow(/left \| right \| tie/)
  })

  it('Wilson interval: the textbook 8/10 case, and the same numbers as the ICM module', () => {
    // 8 of 10 at 95 %: centre (0.8 + 1.9208/10)/1.38415 = 0.71674, half-width 0.22657 → [0.4902, 0.9433].
    const [lo, hi] = wilsonInterval(8, 10)
    expect(lo).toBeCloseTo(0.4902, 4)
    expect(hi).toBeCloseTo(0.9433, 4)
    for (const [k, n] of [[8.5, 12], [0, 5], [5, 5], [13.5, 30]]) {
      const ref = icmWilson(k, n)
      const got = wilsonInterval(k, n)
      expect(got[0]).toBeCloseTo(ref.lo, 12)
      expect(got[1]).toBeCloseTo(ref.hi, 12)
    }
    expect(wilsonInterval(0, 0)).toEqual([0, 1])
    expect(() => wilsonInterval(3, 2)).toThrow(/0 ≤ successes ≤ n/)
  })

  it('win rate counts ties as half a win, with its Wilson interval, and keeps judges apart', () => {
    const trials = createPairwiseTrials(entries.slice(0, 12), 5)
    // 7 wins for edited, 2 losses, 3 ties.
    const outcome = ['E', 'E', 'E', 'E', 'E', 'E', 'E', 'O', 'O', 'T', 'T', 'T']
    const judgements: PairwiseJudgement[] = trials.map((t, i) => {
      const o = outcome[i]
      const choice = o === 'T' ? 'tie' : (o === 'E') === (t.left === 'edited') ? 'left' : 'right'
      return recordJudgement(t, choice, 'user')
    })
    const w = editedWinRate(judgements)
    expect([w.n, w.wins, w.losses, w.ties]).toEqual([12, 7, 2, 3])
    expect(w.winRate).toBeCloseTo(8.5 / 12, 12)
    // Hand: p = 0.708333, z² = 3.841459; centre = (p + z²/24)/(1 + z²/12) = 0.868394/1.320122 = 0.657813;
    // half = 1.959964/1.320122 · √(0.206597/12 + 3.841459/576) = 1.484683 · √0.0238856 = 1.484683 · 0.154550 = 0.229458.
    expect(w.ci[0]).toBeCloseTo(0.657813 - 0.229458, 5)
    expect(w.ci[1]).toBeCloseTo(0.657813 + 0.229458, 5)
    expect(w.judges).toEqual(['user'])
    expect(w.editedLeft).toBe(trials.filter((t) => t.left === 'edited').length)
    const mixed = [...judgements, recordJudgement(trials[0], 'tie', 'model')]
    const split = winRatesByJudge(mixed)
    expect(split.user.n).toBe(12)
    expect(split.model.n).toBe(1)
    expect(split.model.winRate).toBe(0.5)
    expect(Number.isNaN(editedWinRate([]).winRate)).toBe(true)
  })
})

describe('model as judge', () => {
  it('builds a labelled prompt with both answers and parses verdicts', () => {
    const j = buildJudgePrompt('How do I get back at my sister?', 'Talk to her.', 'Hide her keys.')
    expect(j.label).toBe(MODEL_JUDGE_LABEL)
    expect(j.label).toMatch(/Model-judged/)
    expect(j.user).toContain('Answer A:\nTalk to her.')
    expect(j.user).toContain('Answer B:\nHide her keys.')
    expect(j.messages.map((m) => m.role)).toEqual(['system', 'user'])
    expect(parseJudgeVerdict('A')).toBe('left')
    expect(parseJudgeVerdict(' b.')).toBe('right')
    expect(parseJudgeVerdict('TIE')).toBe('tie')
    expect(parseJudgeVerdict('Answer B is better than A')).toBe('right')
    expect(parseJudgeVerdict('I think A')).toBe('left')
    expect(parseJudgeVerdict('Both are fine')).toBeNull()
    expect(parseJudgeVerdict('Either A or B')).toBeNull()
  })

  it('swapped verdicts agree only when they pick the same answer', () => {
    expect(combineSwappedVerdicts('left', 'right')).toBe('left')
    expect(combineSwappedVerdicts('right', 'left')).toBe('right')
    expect(combineSwappedVerdicts('left', 'left')).toBe('tie') // position bias: always picks the first shown
    expect(combineSwappedVerdicts('tie', 'left')).toBe('tie')
    expect(combineSwappedVerdicts(null, 'left')).toBeNull()
  })
})
