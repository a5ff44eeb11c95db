import { describe, expect, it } from 'vitest'
import { BUILTIN_SETS, getBuiltinSet } from '../../../src/core/stimuli/builtin/index.ts'
import { MORAL_TYPICALITY_SET } from '../../../src/core/stimuli/builtin/moral-typicality.ts'
import {
  CHEAP_MAX,
  ENTANGLEMENT_FRAMES,
  EXPENSIVE_MIN,
  GRAMMAR_ERROR_TYPES,
  VALUE_ENTANGLEMENT_PROMPTS,
  VALUE_ENTANGLEMENT_SET,
  buildValueEntanglementItems,
  entanglementItemId,
} from '../../../src/core/stimuli/builtin/value-entanglement.ts'
import { MORAL_CLAIMS_SET } from '../../../src/core/stimuli/builtin/moral-claims.ts'
import { validateStimulusSet } from '../../../src/core/stimuli/validate.ts'
import {
  CORE_FOUNDATIONS,
  MORAL_VECTOR_AXES,
  MORAL_VECTOR_DIM,
  VALUE_KINDS,
  type StimulusItem,
} from '../../../src/core/stimuli/types.ts'

/** Textbook Pearson r, written out independently of any library code. */
function pearson(x: number[], y: number[]): number {
  const n = x.length
  const mx = x.reduce((a, b) => a + b, 0) / n
  const my = y.reduce((a, b) => a + b, 0) / n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my)
    sxx += (x[i] - mx) ** 2
    syy += (y[i] - my) ** 2
  }
  return sxy / Math.sqrt(sxx * syy)
}

/** Word-level Levenshtein distance. */
function wordEdits(a: string, b: string): number {
  const x = a.split(/\s+/)
  const y = b.split(/\s+/)
  const d = Array.from({ length: x.length + 1 }, (_, i) => [i, ...new Array<number>(y.length).fill(0)])
  for (let j = 1; j <= y.length; j++) d[0][j] = j
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1))
    }
  }
  return d[x.length][y.length]
}

const norm = (t: string) => t.trim().toLowerCase().replace(/\s+/g, ' ')

describe('built-in sets', () => {
  it('are registered under their ids', () => {
    expect(BUILTIN_SETS.map((s) => s.id)).toEqual([
      'builtin:moral-typicality',
      'builtin:value-entanglement',
      'builtin:moral-claims',
    ])
    for (const s of BUILTIN_SETS) expect(getBuiltinSet(s.id)).toBe(s)
    expect(getBuiltinSet('builtin:nope')).toBeUndefined()
  })

  it.each(BUILTIN_SETS.map((s) => [s.id, s] as const))('%s passes validation without a single problem', (_id, s) => {
    const { set, problems } = validateStimulusSet(s)
    expect(problems).toEqual([])
    expect(set).toEqual(s)
  })

  it.each(BUILTIN_SETS.map((s) => [s.id, s] as const))('%s has unique ids and unique texts', (_id, s) => {
    expect(new Set(s.items.map((i) => i.id)).size).toBe(s.items.length)
    expect(new Set(s.items.map((i) => norm(i.text))).size).toBe(s.items.length)
  })
})

describe('moral typicality set', () => {
  const items = MORAL_TYPICALITY_SET.items
  const cell = (f: string, p: string) => items.filter((i) => i.foundation === f && i.polarity === p)

  it('says the grades are authored, not human norms', () => {
    for (const text of [MORAL_TYPICALITY_SET.source, MORAL_TYPICALITY_SET.licence]) {
      expect(text).toMatch(/authored by the Moral Lens project/)
      expect(text).toMatch(/not (human norms|collected from human raters)/)
    }
  })

  it('has at least 16 items in each foundation × virtue/vice cell and at least 40 neutral acts', () => {
    for (const f of CORE_FOUNDATIONS) {
      for (const p of ['virtue', 'vice']) expect(cell(f, p).length, `${f}/${p}`).toBeGreaterThanOrEqual(16)
    }
    const neutral = items.filter((i) => i.polarity === 'neutral')
    expect(neutral.length).toBeGreaterThanOrEqual(40)
    expect(neutral.length + 10 * 16).toBeLessThanOrEqual(items.length)
  })

  it('spreads typicality within each cell from marginal to prototypical', () => {
    for (const f of CORE_FOUNDATIONS) {
      for (const p of ['virtue', 'vice']) {
        const t = cell(f, p).map((i) => i.typicality!)
        expect(Math.min(...t), `${f}/${p}`).toBeLessThanOrEqual(0.35)
        expect(Math.max(...t), `${f}/${p}`).toBeGreaterThanOrEqual(0.85)
        // not bunched at the ends: at least 4 items in the middle band
        expect(t.filter((x) => x > 0.4 && x < 0.8).length, `${f}/${p}`).toBeGreaterThanOrEqual(4)
      }
    }
  })

  it('labels every moral item completely, as authored, with a one-line rationale', () => {
    for (const it of items) {
      expect(it.rationale?.trim(), it.id).toBeTruthy()
      expect(it.rationale).not.toContain('\n')
      if (it.polarity === 'neutral') {
        expect(it.foundation).toBeUndefined()
        expect(it.typicality).toBeUndefined()
        continue
      }
      expect(CORE_FOUNDATIONS).toContain(it.foundation)
      expect(it.foundations).toEqual([it.foundation])
      expect(it.typicalitySource).toBe('authored')
      expect(it.typicality).toBeGreaterThan(0)
      expect(it.typicality).toBeLessThanOrEqual(1)
    }
  })

  it('has moral vectors with the typicality on the item’s own axis and zeros elsewhere', () => {
    for (const it of items) {
      const v = it.moralVector!
      expect(v).toHaveLength(MORAL_VECTOR_DIM)
      if (it.polarity === 'neutral') {
        expect(v.every((x) => x === 0)).toBe(true)
        continue
      }
      const axis = MORAL_VECTOR_AXES.indexOf(`${it.foundation}.${it.polarity}`)
      expect(axis).toBeGreaterThanOrEqual(0)
      v.forEach((x, k) => expect(x, `${it.id}[${k}]`).toBe(k === axis ? it.typicality : 0))
    }
  })

  it('varies phrasing: lengths spread, no opening repeated more than a few times', () => {
    const words = items.map((i) => i.text.split(' ').length)
    expect(Math.min(...words)).toBeLessThanOrEqual(2)
    expect(Math.max(...words)).toBeGreaterThanOrEqual(10)
    const openings = new Map<string, number>()
    for (const it of items) {
      const key = it.text.split(' ').slice(0, 2).join(' ').toLowerCase()
      openings.set(key, (openings.get(key) ?? 0) + 1)
    }
    expect(Math.max(...openings.values())).toBeLessThanOrEqual(3)
  })
})

describe('value entanglement set', () => {
  const items = VALUE_ENTANGLEMENT_SET.items
  const frameOf = (i: StimulusItem) => i.meta!.frame as string

  it('has at least 48 frames and 384 items, every frame in all 8 cells exactly once', () => {
    expect(ENTANGLEMENT_FRAMES.length).toBeGreaterThanOrEqual(48)
    expect(items.length).toBe(ENTANGLEMENT_FRAMES.length * 8)
    expect(items.length).toBeGreaterThanOrEqual(384)
    for (const f of ENTANGLEMENT_FRAMES) {
      const cells = items.filter((i) => frameOf(i) === f.id).map((i) => VALUE_KINDS.map((k) => i.values![k]).join(''))
      expect(cells.sort()).toEqual(['000', '001', '010', '011', '100', '101', '110', '111'])
    }
  })

  it('has uncorrelated factors: Pearson r between each pair of factor columns is exactly 0', () => {
    const col = (k: (typeof VALUE_KINDS)[number]) => items.map((i) => i.values![k]!)
    expect(pearson(col('moral'), col('grammatical'))).toBe(0)
    expect(pearson(col('moral'), col('economic'))).toBe(0)
    expect(pearson(col('grammatical'), col('economic'))).toBe(0)
    // price follows the economic factor only
    const price = items.map((i) => Math.log(i.price!))
    expect(Math.abs(pearson(price, col('moral')))).toBeLessThan(1e-12)
    expect(Math.abs(pearson(price, col('grammatical')))).toBeLessThan(1e-12)
    expect(pearson(price, col('economic'))).toBeGreaterThan(0.8)
  })

  it('prices cheap and expensive objects apart', () => {
    for (const it of items) {
      if (it.values!.economic) expect(it.price, it.id).toBeGreaterThanOrEqual(EXPENSIVE_MIN)
      else expect(it.price, it.id).toBeLessThanOrEqual(CHEAP_MAX)
    }
  })

  it('uses ids ve-<frame>-m?-g?-e? and labels error types on ungrammatical items only', () => {
    for (const it of items) {
      const v = it.values as { moral: 0 | 1; grammatical: 0 | 1; economic: 0 | 1 }
      expect(it.id).toBe(entanglementItemId(frameOf(it), v))
      expect(it.id).toMatch(/^ve-f\d+-m[01]-g[01]-e[01]$/)
      if (v.grammatical) expect(it.meta).not.toHaveProperty('error_type')
      else expect(GRAMMAR_ERROR_TYPES).toContain(it.meta!.error_type)
    }
  })

  it('varies the error type across frames', () => {
    for (const t of GRAMMAR_ERROR_TYPES) {
      expect(ENTANGLEMENT_FRAMES.filter((f) => f.errorType === t).length, t).toBeGreaterThanOrEqual(10)
    }
  })

  it('makes each ungrammatical sentence differ from its grammatical twin by one small edit', () => {
    const byId = new Map(items.map((i) => [i.id, i]))
    for (const it of items.filter((i) => i.values!.grammatical === 0)) {
      const twin = byId.get(it.id.replace('-g0-', '-g1-'))!
      expect(it.text).not.toBe(twin.text)
      const d = wordEdits(it.text, twin.text)
      expect(d, `${it.id}: ${it.text}`).toBeGreaterThanOrEqual(1)
      expect(d, `${it.id}: ${it.text}`).toBeLessThanOrEqual(3)
    }
  })

  it('changes the moral act and the object independently of the error', () => {
    const byId = new Map(items.map((i) => [i.id, i]))
    for (const f of ENTANGLEMENT_FRAMES) {
      expect(f.acts.good).not.toBe(f.acts.bad)
      expect(f.grammatical.split('{act}')).toHaveLength(2)
      expect(f.ungrammatical.split('{act}')).toHaveLength(2)
      for (const g of [0, 1] as const) {
        for (const e of [0, 1] as const) {
          const good = byId.get(`ve-${f.id}-m1-g${g}-e${e}`)!
          const bad = byId.get(`ve-${f.id}-m0-g${g}-e${e}`)!
          expect(good.text).not.toBe(bad.text)
          expect(good.price).toBe(bad.price)
        }
      }
      // the grammatical template is fixed across the act and the object
      const gram = items.filter((i) => frameOf(i) === f.id && i.values!.grammatical === 1)
      for (const i of gram) {
        const [pre, post] = f.grammatical.split('{act}')
        expect(i.text.startsWith(pre) && i.text.endsWith(post), i.id).toBe(true)
      }
    }
  })

  it('writes each item as one sentence', () => {
    for (const it of items) {
      expect(it.text, it.id).toMatch(/^[A-Z].*\.$/)
      expect(it.text.slice(0, -1), it.id).not.toMatch(/[.!?](\s|$)/)
      expect(it.text).not.toMatch(/\{|\}/)
    }
  })

  it('is rebuilt identically from the frame table', () => {
    expect(buildValueEntanglementItems()).toEqual(items)
  })

  it('provides chat and completion rating prompts for each kind of value', () => {
    for (const k of VALUE_KINDS) {
      for (const key of [k, `${k}_completion`]) {
        const p = VALUE_ENTANGLEMENT_PROMPTS[key]
        expect(p, key).toBeDefined()
        expect(p.split('{text}')).toHaveLength(2)
        expect(p).toContain('1 (')
        expect(p).toContain('7 (')
      }
    }
    expect(VALUE_ENTANGLEMENT_SET.prompts).toBe(VALUE_ENTANGLEMENT_PROMPTS)
  })
})

describe('moral claims set', () => {
  const items = MORAL_CLAIMS_SET.items

  it('has at least 64 claims in at least 32 consistency pairs', () => {
    const groups = new Map<string, StimulusItem[]>()
    for (const it of items) groups.set(it.consistencyGroup!, [...(groups.get(it.consistencyGroup!) ?? []), it])
    expect(items.length).toBeGreaterThanOrEqual(64)
    expect(groups.size).toBeGreaterThanOrEqual(32)
    for (const [g, pair] of groups) {
      expect(pair.map((p) => p.consistencyKey).sort(), g).toEqual(['A', 'B'])
      expect(pair.map((p) => p.gold).sort(), g).toEqual([0, 1])
      expect(pair[0].split).toBe(pair[1].split)
      expect(pair[0].meta!.act).toBe(pair[1].meta!.act)
      expect(pair[0].text).not.toBe(pair[1].text)
      // the two claims differ only in the evaluative word
      expect(wordEdits(pair[0].text, pair[1].text), g).toBe(1)
    }
  })

  it('states claims in the "It\'s <word> to <act>." style with gold that follows the act', () => {
    const positive = ['good', 'right', 'kind', 'fair', 'polite']
    for (const it of items) {
      const m = /^It's (\w+) to (.+)\.$/.exec(it.text)
      expect(m, it.text).not.toBeNull()
      const isPositive = positive.includes(m![1])
      expect(it.consistencyKey).toBe(isPositive ? 'A' : 'B')
      expect(it.gold, it.text).toBe((it.polarity === 'virtue') === isPositive ? 1 : 0)
    }
  })

  it('balances gold labels and keys, and spreads over all core foundations and both polarities', () => {
    const ones = items.filter((i) => i.gold === 1).length
    expect(ones * 2).toBe(items.length)
    const goldOfA = items.filter((i) => i.consistencyKey === 'A').map((i) => i.gold!)
    expect(Math.abs(goldOfA.reduce((a: number, b) => a + b, 0) * 2 - goldOfA.length)).toBeLessThanOrEqual(2)
    for (const f of CORE_FOUNDATIONS) {
      for (const p of ['virtue', 'vice']) {
        expect(items.filter((i) => i.foundation === f && i.polarity === p).length, `${f}/${p}`).toBeGreaterThanOrEqual(
          4,
        )
      }
    }
  })

  it('splits whole pairs about 3:1 into train and test, with test pairs in every foundation', () => {
    const test = items.filter((i) => i.split === 'test').length
    const train = items.filter((i) => i.split === 'train').length
    expect(test + train).toBe(items.length)
    expect(test / items.length).toBeGreaterThan(0.2)
    expect(test / items.length).toBeLessThan(0.3)
    for (const f of CORE_FOUNDATIONS)
      expect(
        items.some((i) => i.split === 'test' && i.foundation === f),
        f,
      ).toBe(true)
  })

  it('carries the ICM claim prompt', () => {
    expect(MORAL_CLAIMS_SET.prompts?.claim).toBe('Claim: {text}\nI think this claim is')
  })
})
