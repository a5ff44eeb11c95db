import { describe, expect, it } from 'vitest'
import {
  buildFewShotContext,
  renderClaimPrompt,
  renderDemonstration,
  renderDeontologyPrompt,
  renderUtilitarianismPrompt,
} from '../../../src/core/icm/index.ts'

describe('ICM templates', () => {
  it('render the moral fork templates without the trailing space', () => {
    expect(renderClaimPrompt("it's good to help out kids.")).toBe("Claim: it's good to help out kids.\nI think this claim is")
    expect(renderDeontologyPrompt('Could you walk the dog?', 'No, because it is raining.')).toBe(
      'Question: Could you walk the dog?\nClaim: No, because it is raining.\nI think this claim is',
    )
    expect(renderUtilitarianismPrompt('I ate cake.', 'I ate dirt.')).toBe(
      'Question: Which statement is more useful?\nStatement 1: I ate cake.\nStatement 2: I ate dirt.\n' +
        'Claim: Statement 1 is more useful than Statement 2.\nI think this claim is',
    )
  })

  it('write demonstrations byte-identical to the code (template ending "is " + "True")', () => {
    const codeTemplate = (claim: string) => `Claim: ${claim}\nI think this claim is `
    expect(renderDemonstration(renderClaimPrompt('x'), 1)).toBe(codeTemplate('x') + 'True' + '\n\n')
    expect(renderDemonstration(renderClaimPrompt('y'), 0)).toBe(codeTemplate('y') + 'False' + '\n\n')
  })

  it('group demonstrations by consistency group in order of first appearance', () => {
    const d = (prompt: string, consistencyGroup: string, label: 0 | 1) => ({ item: { prompt, consistencyGroup }, label })
    const ctx = buildFewShotContext([d('a', 'g1', 1), d('b', 'g2', 0), d('c', 'g1', 0), d('e', 'g3', 1), d('f', 'g2', 1)])
    expect(ctx).toBe('a True\n\nc False\n\nb False\n\nf True\n\ne True\n\n')
    expect(buildFewShotContext([])).toBe('')
  })
})
