import { describe, expect, it } from 'vitest'
import {
  consistentAssignments,
  countInconsistentPairs,
  findInconsistentPairs,
  pairInconsistency,
  type IcmItem,
  type MaybeLabel,
} from '../../../src/core/icm/index.ts'

const item = (id: string, consistencyGroup: string, consistencyKey?: string): IcmItem => ({
  id,
  prompt: id,
  consistencyGroup,
  consistencyKey,
})

describe('ICM consistency', () => {
  it('classifies pairs exactly as pick_two_inconsistent_claims', () => {
    const A = { consistencyKey: 'A' }
    const B = { consistencyKey: 'B' }
    const AB = { consistencyKey: 'A>B' }
    const BA = { consistencyKey: 'B>A' }
    expect(pairInconsistency(A, 1, B, 1)).toBe('contradiction')
    expect(pairInconsistency(A, 0, B, 0)).toBeNull() // plain keys: both false allowed
    expect(pairInconsistency(A, 1, B, 0)).toBeNull()
    expect(pairInconsistency(AB, 1, BA, 1)).toBe('contradiction')
    expect(pairInconsistency(AB, 0, BA, 0)).toBe('contradiction') // comparisons: one ordering must hold
    expect(pairInconsistency(AB, 1, BA, 0)).toBeNull()
    expect(pairInconsistency(A, 1, A, 0)).toBe('implication')
    expect(pairInconsistency(A, 0, A, 0)).toBeNull()
    expect(pairInconsistency({}, 1, B, 1)).toBeNull() // no key: no constraint
  })

  it('counts inconsistent pairs within groups only, among labelled items', () => {
    // g1: keys A, B, B ; g2: A>B, B>A ; g3: A, A ; x: unlabelled member of g1
    const items = [
      item('p', 'g1', 'A'),
      item('q', 'g1', 'B'),
      item('r', 'g1', 'B'),
      item('s', 'g2', 'A>B'),
      item('t', 'g2', 'B>A'),
      item('u', 'g3', 'A'),
      item('v', 'g3', 'A'),
      item('x', 'g1', 'A'),
      item('w', 'g4', 'B'),
    ]
    const labels: MaybeLabel[] = [1, 1, 0, 0, 0, 1, 0, null, 1]
    // g1: (p,q) both 1, different keys → contradiction; (p,r) 1/0 fine; (q,r) same key, 1/0 → implication.
    // g2: both 0 with comparison keys → contradiction. g3: implication. w alone (and p vs w: other group).
    const pairs = findInconsistentPairs(items, labels)
    expect(pairs).toEqual([
      { a: 0, b: 1, type: 'contradiction' },
      { a: 1, b: 2, type: 'implication' },
      { a: 3, b: 4, type: 'contradiction' },
      { a: 5, b: 6, type: 'implication' },
    ])
    expect(countInconsistentPairs(items, labels)).toBe(4)
    expect(countInconsistentPairs(items, [0, 0, 0, 1, 0, 1, 1, null, 1])).toBe(0)
    // labelling x (key A) 0 adds an implication with p (A, 1); with q (B, 1) and r (B, 0) it is consistent.
    expect(countInconsistentPairs(items, [1, 1, 0, 0, 0, 1, 0, 0, 1])).toBe(5)
  })

  it('follows the given order for pair orientation', () => {
    const items = [item('p', 'g', 'A'), item('q', 'g', 'B')]
    expect(findInconsistentPairs(items, [1, 1], [1, 0])).toEqual([{ a: 1, b: 0, type: 'contradiction' }])
  })

  it('offers the consistent assignments in the code order', () => {
    expect(consistentAssignments({ a: 0, b: 1, type: 'contradiction' })).toEqual([
      [0, 1],
      [1, 0],
    ])
    expect(consistentAssignments({ a: 0, b: 1, type: 'implication' })).toEqual([
      [0, 0],
      [1, 1],
    ])
  })
})
