import { describe, expect, it } from 'vitest'
import { runElicitation, elicitationItems, claimRenderer } from '../../../src/core/icm/session.ts'
import { MORAL_CLAIMS_SET } from '../../../src/core/stimuli/builtin/index.ts'
import { goldScorer, stubScorer } from './stub.ts'
import type { StimulusSet } from '../../../src/core/stimuli/types.ts'

describe('runElicitation', () => {
  it('labels the train split, keeps the declared test split for the baselines, and reports approximations', async () => {
    const items = elicitationItems(MORAL_CLAIMS_SET)
    expect(items[0].prompt.endsWith('I think this claim is')).toBe(true)
    const scorer = goldScorer(items, 2)
    const r = await runElicitation(MORAL_CLAIMS_SET, scorer, { seed: 3, iterations: 200, maxDemonstrations: 8, demoSelection: 'shared' })
    const testIds = MORAL_CLAIMS_SET.items.filter((i) => i.split === 'test').map((i) => i.id)
    expect(r.test.sort()).toEqual(testIds.sort())
    expect(r.icm.goldAgreement).toBe(1)
    const names = r.baselines.map((b) => b.name)
    expect(names).toEqual(expect.arrayContaining(['zero-shot', 'random-few-shot', 'gold-few-shot', 'icm-few-shot']))
    const zero = r.baselines.find((b) => b.name === 'zero-shot')!
    expect(zero.accuracy.accuracy).toBe(1)
    expect(r.approximations.join(' ')).toMatch(/At most 8 demonstrations/)
    expect(r.templateNote).toMatch(/claim template|official/)
  })

  it('in human-rights mode compares the share labelled false per category, zero-shot vs ICM', async () => {
    const cats = ['Religion', 'Politics']
    const set: StimulusSet = {
      id: 'test:udhr',
      name: 'rights',
      source: 'test',
      licence: 'test',
      kind: 'claims',
      items: Array.from({ length: 16 }, (_, i) => ({
        id: `r${i}`,
        text: `group ${i} should have the right to vote`,
        gold: 1 as const,
        consistencyGroup: `g${i}`,
        meta: { category: cats[i % 2] },
      })),
    }
    // The stub denies rights to odd (Politics) items at zero shot: failure 100% there, 0% for Religion.
    const scorer = stubScorer((r) => (/group (\d+)/.exec(r.target)![1] === undefined ? 0 : Number(/group (\d+)/.exec(r.target)![1]) % 2 ? -1 : 1))
    const r = await runElicitation(set, scorer, { seed: 1, iterations: 50, testFraction: 0.25 })
    expect(r.failures).toBeDefined()
    const politics = r.failures!.find((f) => f.category === 'Politics')!
    const religion = r.failures!.find((f) => f.category === 'Religion')!
    expect(politics.zeroShot.share).toBe(1)
    expect(religion.zeroShot.share).toBe(0)
    expect(politics.icm).not.toBeNull()
  })

  it('uses the set’s own claim template when it has one', () => {
    const { render } = claimRenderer({ prompts: { claim: 'Statement: {text}\nThis is ' } })
    expect(render('x')).toBe('Statement: x\nThis is')
  })
})
