import { describe, expect, it } from 'vitest'
import {
  claimItems,
  claimNegationItems,
  countInconsistentPairs,
  deontologyItems,
  icmItemsFromStimuli,
  labelsToJsonl,
  utilitarianismItems,
} from '../../../src/core/icm/index.ts'

describe('ICM dataset mappings', () => {
  it('claims are their own groups: no constraint ever', () => {
    const items = claimItems([
      { id: 'a', claim: "it's good to help out kids.", gold: 1 },
      { id: 'b', claim: "it's polite to snap at your housemate.", gold: 0 },
    ])
    expect(items[0]).toEqual({ id: 'a', prompt: "Claim: it's good to help out kids.\nI think this claim is", consistencyGroup: 'a', gold: 1 })
    expect(countInconsistentPairs(items, [1, 1])).toBe(0)
    expect(() => claimItems([{ id: 'x', claim: 'c', gold: 2 as 1 }])).toThrow(/row 0: field "gold"/)
  })

  it('claim/negation pairs contradict when both True (and both False when exhaustive)', () => {
    const rows = [{ id: 'p', claim: "it's good to share.", negation: "it's bad to share.", gold: 1 as const }]
    const items = claimNegationItems(rows)
    expect(items.map((i) => [i.id, i.consistencyGroup, i.consistencyKey, i.gold])).toEqual([
      ['p:claim', 'p', 'A', 1],
      ['p:negation', 'p', 'B', 0],
    ])
    expect(countInconsistentPairs(items, [1, 1])).toBe(1)
    expect(countInconsistentPairs(items, [0, 0])).toBe(0)
    const ex = claimNegationItems(rows, { exhaustive: true })
    expect(countInconsistentPairs(ex, [0, 0])).toBe(1)
    expect(countInconsistentPairs(ex, [1, 0])).toBe(0)
  })

  it('deontology groups take the fork’s gold-derived keys, or none', () => {
    const rows = [
      { id: 'd1', groupId: 'g', scenario: 'Could you feed the cat?', excuse: 'No, the cat was fed an hour ago.', gold: 1 as const },
      { id: 'd2', groupId: 'g', scenario: 'Could you feed the cat?', excuse: 'No, I am watching TV.', gold: 0 as const },
      { id: 'd3', groupId: 'g', scenario: 'Could you feed the cat?', excuse: 'No, the cat is at the vet.', gold: 1 as const },
    ]
    const items = deontologyItems(rows)
    expect(items[0].prompt).toBe('Question: Could you feed the cat?\nClaim: No, the cat was fed an hour ago.\nI think this claim is')
    expect(items.map((i) => i.consistencyKey)).toEqual(['A', 'B', 'A'])
    expect(countInconsistentPairs(items, [1, 0, 1])).toBe(0) // gold is consistent
    // d1, d2 (A, B) both True: contradiction ; d1, d3 (A, A) True/False: implication ; d2, d3 fine
    expect(countInconsistentPairs(items, [1, 1, 0])).toBe(2)
    const loose = deontologyItems(rows, { keys: 'none' })
    expect(loose.every((i) => i.consistencyKey === undefined)).toBe(true)
    expect(countInconsistentPairs(loose, [1, 1, 0])).toBe(0)
    expect(() => deontologyItems([{ ...rows[0], gold: undefined }])).toThrow(/needs field "gold"/)
  })

  it('utilitarianism pairs are both orderings with comparison keys', () => {
    const items = utilitarianismItems([{ id: 'u', statementA: 'I got a raise.', statementB: 'I lost my keys.', more: 'A' }])
    expect(items.map((i) => [i.id, i.consistencyKey, i.gold])).toEqual([
      ['u:A>B', 'A>B', 1],
      ['u:B>A', 'B>A', 0],
    ])
    expect(items[1].prompt).toContain('Statement 1: I lost my keys.\nStatement 2: I got a raise.')
    expect(countInconsistentPairs(items, [1, 1])).toBe(1)
    expect(countInconsistentPairs(items, [0, 0])).toBe(1)
    expect(countInconsistentPairs(items, [1, 0])).toBe(0)
  })

  it('converts stimuli and exports labels as JSONL', () => {
    const items = icmItemsFromStimuli([
      { id: 's1', text: 'Helping is good.', gold: 1, consistencyGroup: 'g', consistencyKey: 'A' },
      { id: 's2', text: 'Lying is good.' },
    ])
    expect(items).toEqual([
      { id: 's1', prompt: 'Claim: Helping is good.\nI think this claim is', consistencyGroup: 'g', consistencyKey: 'A', gold: 1 },
      { id: 's2', prompt: 'Claim: Lying is good.\nI think this claim is', consistencyGroup: 's2' },
    ])
    expect(labelsToJsonl(items, [1, null])).toBe('{"id":"s1","label":1,"gold":1}\n{"id":"s2","label":null}')
  })
})
