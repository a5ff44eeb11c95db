import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { stimulusSetContent, stimulusSetHash } from '../../../src/core/stimuli/hash.ts'
import type { StimulusSet } from '../../../src/core/stimuli/types.ts'
import { BUILTIN_SETS } from '../../../src/core/stimuli/builtin/index.ts'

const base: StimulusSet = {
  id: 'test:a',
  name: 'A',
  source: 's',
  licence: 'l',
  kind: 'claims',
  prompts: { claim: 'Claim: {text}\nI think this claim is' },
  items: [
    { id: 'x', text: "It's good to help.", gold: 1, values: { moral: 1, economic: 0 }, meta: { b: 1, a: 'z' } },
    { id: 'y', text: "It's bad to help.", gold: 0 },
  ],
}

const clone = (s: StimulusSet): StimulusSet => structuredClone(s)

describe('stimulusSetHash', () => {
  it('is SHA-256 of the canonical JSON of items and prompts (checked with node:crypto)', () => {
    const expected = createHash('sha256')
      .update(
        '{"items":[{"gold":1,"id":"x","meta":{"a":"z","b":1},"text":"It\'s good to help.","values":{"economic":0,"moral":1}},' +
          '{"gold":0,"id":"y","text":"It\'s bad to help."}],"prompts":{"claim":"Claim: {text}\\nI think this claim is"}}',
      )
      .digest('hex')
    expect(stimulusSetContent(base)).toBe(
      '{"items":[{"gold":1,"id":"x","meta":{"a":"z","b":1},"text":"It\'s good to help.","values":{"economic":0,"moral":1}},' +
        '{"gold":0,"id":"y","text":"It\'s bad to help."}],"prompts":{"claim":"Claim: {text}\\nI think this claim is"}}',
    )
    expect(stimulusSetHash(base)).toBe(expected)
    expect(stimulusSetHash(base)).toMatch(/^[0-9a-f]{64}$/)
  })

  it('streams the same bytes as hashing the whole content at once, for the built-in sets', () => {
    for (const s of BUILTIN_SETS) {
      expect(stimulusSetHash(s)).toBe(createHash('sha256').update(stimulusSetContent(s)).digest('hex'))
    }
  })

  it('ignores key order, name, description, id, source and licence', () => {
    const reordered: StimulusSet = {
      items: base.items.map((it) => Object.fromEntries(Object.entries(it).reverse()) as typeof it),
      prompts: base.prompts,
      kind: 'claims',
      licence: 'other',
      source: 'other',
      name: 'Renamed',
      id: 'test:b',
      description: 'new words',
    }
    expect(stimulusSetHash(reordered)).toBe(stimulusSetHash(base))
  })

  it('treats missing prompts as empty prompts, and ignores undefined fields', () => {
    const a = { ...clone(base), prompts: undefined }
    const b = { ...clone(base), prompts: {} }
    expect(stimulusSetHash(a)).toBe(stimulusSetHash(b))
    const c = clone(base)
    c.items[1].split = undefined
    expect(stimulusSetHash(c)).toBe(stimulusSetHash(base))
  })

  it('changes when item order, a label, a text or a prompt changes', () => {
    const h = stimulusSetHash(base)
    const swapped = { ...clone(base), items: [...base.items].reverse() }
    expect(stimulusSetHash(swapped)).not.toBe(h)
    const label = clone(base)
    label.items[0].gold = 0
    expect(stimulusSetHash(label)).not.toBe(h)
    const value = clone(base)
    value.items[0].values!.economic = 1
    expect(stimulusSetHash(value)).not.toBe(h)
    const text = clone(base)
    text.items[1].text += ' '
    expect(stimulusSetHash(text)).not.toBe(h)
    const prompt = clone(base)
    prompt.prompts!.claim = 'Claim: {text}'
    expect(stimulusSetHash(prompt)).not.toBe(h)
    const added = clone(base)
    added.items.push({ id: 'z', text: 'z' })
    expect(stimulusSetHash(added)).not.toBe(h)
  })

  it('gives the three built-in sets distinct hashes that are stable across calls', () => {
    const hs = BUILTIN_SETS.map(stimulusSetHash)
    expect(new Set(hs).size).toBe(3)
    expect(BUILTIN_SETS.map(stimulusSetHash)).toEqual(hs)
  })
})
