import { describe, expect, it } from 'vitest'
import { parseTypedSet, TYPED_SET_SOURCE } from '../../../src/core/stimuli/typed.ts'
import { MORAL_VECTOR_AXES } from '../../../src/core/stimuli/types.ts'

describe('typed sets', () => {
  it('reads one item per line with optional labels and derives the moral vector', () => {
    const r = parseTypedSet('She shared her lunch | virtue | care | 0.8\n\nHe cheated at cards | vice | fairness\nThe bus was late | neutral\nA plain sentence', 'Class set')
    if (!r.ok) throw new Error(r.errors.join('\n'))
    expect(r.set.items.map((i) => i.text)).toEqual(['She shared her lunch', 'He cheated at cards', 'The bus was late', 'A plain sentence'])
    expect(r.set.source).toBe(TYPED_SET_SOURCE)
    expect(r.set.kind).toBe('typicality')
    const v = r.set.items[0].moralVector!
    expect(v[MORAL_VECTOR_AXES.indexOf('care.virtue')]).toBe(0.8)
    expect(v.reduce((a, b) => a + b, 0)).toBe(0.8)
    expect(r.set.items[1].moralVector![MORAL_VECTOR_AXES.indexOf('fairness.vice')]).toBe(1)
    expect(r.set.items[2].moralVector).toEqual(new Array(10).fill(0))
    expect(r.set.items[3].polarity).toBeUndefined()
    expect(parseTypedSet('x\ny', 'a').ok && parseTypedSet('x\ny', 'a')).toMatchObject({ set: { id: expect.stringMatching(/^typed:[0-9a-f]{12}$/) } })
  })

  it('names the line and field of every mistake', () => {
    const r = parseTypedSet('ok | virtue | care\nbad | good\nworse | vice | kindness\nworst | vice | care | 2\n | vice', 'S')
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors).toEqual([
      'S, line 2, field polarity: expected virtue | vice | neutral, got "good"',
      'S, line 3, field foundation: expected care | fairness | loyalty | authority | sanctity | liberty, got "kindness"',
      'S, line 4, field typicality: expected a number from 0 to 1, got "2"',
      'S, line 5, field text: expected the sentence before the first "|"',
    ])
    expect(parseTypedSet('  ', 'Empty')).toEqual({ ok: false, errors: ['Empty: no sentences; write one per line.'] })
  })
})
