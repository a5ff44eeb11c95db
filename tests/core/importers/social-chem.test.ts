import { describe, expect, it } from 'vitest'
import {
  SOCIAL_CHEM_COLUMNS,
  socialChemMoralVector,
  socialChemTypicality,
} from '../../../src/core/importers/formats/social-chem.ts'
import { MORAL_VECTOR_AXES } from '../../../src/core/stimuli/types.ts'
import { errorOf, fixture, fixtureText, importAnyChunking, item, runImport, utf8 } from './helpers.ts'

/** A 10-vector from {axis: value}, e.g. {'care.vice': 0.99}. */
function vec(entries: Record<string, number>): number[] {
  return MORAL_VECTOR_AXES.map((a) => entries[a] ?? 0)
}

function expectVector(actual: number[] | undefined, expected: number[]) {
  expect(actual).toHaveLength(10)
  actual!.forEach((x, i) => expect(x, MORAL_VECTOR_AXES[i]).toBeCloseTo(expected[i], 12))
}

const FORMAT = { format: 'social-chem' as const }

describe('social-chem importer', () => {
  it('computes polarity, typicality and the moral vector as worked out by hand (METHODS §1.4 A)', async () => {
    const r = await importAnyChunking(fixture('social-chem.tsv'), 'social-chem.tsv', FORMAT)
    expect(r.kept).toBe(7)
    // j = -2, a = 4: t = (2/2)·0.99
    const l2 = item(r, 2)
    expect(l2).toMatchObject({ text: 'kicking a sleeping dog', foundation: 'care', polarity: 'vice', split: 'train' })
    expect(l2.typicality).toBeCloseTo(0.99, 12)
    expect(l2.typicalitySource).toBe('derived')
    expect(l2.typicalityNote).toMatch(/\|action-moral-judgment\|\/2\) × w\(action-agree\)/)
    expectVector(l2.moralVector, vec({ 'care.vice': 0.99 }))
    // j = 1, a = 3, two foundations: t = (1/2)·0.825 = 0.4125, 0.20625 on each virtue axis
    const l3 = item(r, 3)
    expect(l3).toMatchObject({
      foundation: 'fairness',
      foundations: ['fairness', 'loyalty'],
      polarity: 'virtue',
      split: 'dev',
    })
    expect(l3.typicality).toBeCloseTo(0.4125, 12)
    expectVector(l3.moralVector, vec({ 'fairness.virtue': 0.20625, 'loyalty.virtue': 0.20625 }))
    // j = 0: neutral, t = 0, zero vector
    const l4 = item(r, 4)
    expect(l4.polarity).toBe('neutral')
    expect(l4.typicality).toBe(0)
    expectVector(l4.moralVector, vec({}))
    // pandas floats "-1.0" / "2.0": t = (1/2)·0.5 = 0.25
    const l8 = item(r, 8)
    expect(l8).toMatchObject({ foundation: 'sanctity', polarity: 'vice' })
    expect(l8.typicality).toBeCloseTo(0.25, 12)
    expectVector(l8.moralVector, vec({ 'sanctity.vice': 0.25 }))
    // j = 2, a = 0: t = 0.01
    expect(item(r, 9).typicality).toBeCloseTo(0.01, 12)
    expectVector(item(r, 9).moralVector, vec({ 'authority.virtue': 0.01 }))
    // Quoted action over two lines: j = -1, a = 1, three foundations: t = 0.075, 0.025 each
    const l10 = item(r, 10)
    expect(l10.text).toBe('saying "boo"\tto a\nnervous stranger')
    expect(l10.typicality).toBeCloseTo(0.075, 12)
    expectVector(l10.moralVector, vec({ 'care.vice': 0.025, 'fairness.vice': 0.025, 'sanctity.vice': 0.025 }))
    // The row after the two-line record starts on line 12.
    expect(item(r, 12).typicality).toBeCloseTo(0.825, 12)
    expect(item(r, 12).meta).toMatchObject({
      rot: "It's wrong to betray a friend's secret.",
      'rot-id': 'rot/10',
      area: 'amitheasshole',
    })
  })

  it('drops rot-bad rows, rows without foundations and rows without a judgment, each with a reason', async () => {
    const r = await importAnyChunking(fixture('social-chem.tsv'), 'social-chem.tsv', FORMAT)
    expect(r.dropped).toEqual([
      { line: 5, reason: 'rot-bad is 1 (the RoT was flagged as confusing or low quality)' },
      { line: 6, reason: 'rot-moral-foundations is empty' },
      { line: 7, reason: 'action-moral-judgment is empty' },
    ])
    expect(r.problems).toEqual([])
    expect(r.labels).toEqual({
      'foundation:authority': 1,
      'foundation:care': 3,
      'foundation:fairness': 1,
      'foundation:loyalty': 1,
      'foundation:sanctity': 1,
      'polarity:neutral': 1,
      'polarity:vice': 4,
      'polarity:virtue': 2,
      'split:dev': 1,
      'split:test': 1,
      'split:train': 5,
    })
    expect(r.set.kind).toBe('typicality')
  })

  it('honours the options: rot as text, a frame, w(a) = a/4, keeping rot-bad and unlabelled rows, splits', async () => {
    const r = await runImport(fixture('social-chem.tsv'), 'social-chem.tsv', undefined, {
      ...FORMAT,
      options: {
        socialChem: {
          text: 'rot',
          frame: 'Rule: {text}',
          agreementWeights: 'linear',
          dropBad: false,
          requireFoundations: false,
          requireJudgment: false,
        },
      },
    })
    expect(r.kept).toBe(10)
    expect(item(r, 2).text).toBe("Rule: It's cruel to kick a sleeping dog.")
    expect(item(r, 2).meta?.rot).toBe("It's cruel to kick a sleeping dog.")
    expect(item(r, 2).typicality).toBeCloseTo(1, 12) // (2/2)·4/4
    expect(item(r, 3).typicality).toBeCloseTo(0.375, 12) // (1/2)·3/4
    expect(item(r, 10).typicality).toBeCloseTo(0.125, 12) // (1/2)·1/4
    expect(item(r, 5).meta?.['rot-bad']).toBe(1)
    expect(item(r, 6).foundation).toBeUndefined()
    expect(item(r, 6).polarity).toBe('vice')
    expect(item(r, 7)).not.toHaveProperty('polarity')
    expect(item(r, 7)).not.toHaveProperty('typicality')

    const dev = await runImport(fixture('social-chem.tsv'), 'social-chem.tsv', undefined, {
      ...FORMAT,
      options: { socialChem: { splits: ['dev', 'test'] } },
    })
    expect(dev.set.items.map((i) => i.split)).toEqual(['dev', 'test'])
    expect(dev.dropCounts['split not selected']).toBe(7) // train rows on lines 2, 4, 6, 7, 9, 10, 12
  })

  it('lists malformed rows as problems with line, column and field, and warns about unknown foundations', async () => {
    const r = await importAnyChunking(fixture('social-chem-malformed.tsv'), 'social-chem-malformed.tsv', FORMAT)
    expect(r.set.items.map((i) => i.meta?.line)).toEqual([2, 7])
    const byLine = Object.fromEntries(r.problems.map((p) => [p.line, p]))
    expect(byLine[3]).toEqual({
      file: 'social-chem-malformed.tsv',
      line: 3,
      column: 12,
      field: 'action-moral-judgment',
      expected: 'an integer in -2..2',
      got: "'very bad'",
      action: 'dropped',
    })
    expect(byLine[4]).toMatchObject({ field: 'action-agree', column: 13, got: "'7'", action: 'dropped' })
    expect(byLine[5]).toMatchObject({ field: 'rot-bad', expected: '0 or 1', got: "'maybe'" })
    expect(byLine[6]).toMatchObject({ field: 'rot-moral-foundations', got: "'honesty'", action: 'dropped' })
    expect(byLine[7]).toMatchObject({ field: 'rot-moral-foundations', got: "'honesty'", action: 'kept-with-warning' })
    expect(byLine[8]).toMatchObject({
      expected: '25 tab-separated fields (as in the header)',
      got: '4',
      action: 'dropped',
    })
    expect(byLine[9]).toMatchObject({ field: 'action-moral-judgment', got: "'-1.5'" })
    expect(r.dropped.find((d) => d.line === 10)?.reason).toBe('action is empty')
    expect(r.dropped.find((d) => d.line === 3)?.reason).toBe(
      "action-moral-judgment must be an integer in -2..2, got 'very bad'",
    )
    expect(item(r, 7).foundations).toEqual(['care'])
  })

  it('refuses a file that is not Social-Chem, naming the file, line and what was seen', async () => {
    expect(await errorOf(runImport(fixture('ethics-cm.csv'), 'social-chem.tsv', undefined, FORMAT))).toBe(
      'social-chem.tsv line 1: expected the Social-Chemistry-101 header (25 tab-separated columns starting "area, m, split"), ' +
        'got 4 comma-separated columns starting "label, input, is_short, …"',
    )
    const three = utf8('a,b,c\n1,2,3\n')
    expect(await errorOf(runImport(three, 'social-chem.tsv', undefined, FORMAT))).toBe(
      'social-chem.tsv line 1: expected the Social-Chemistry-101 header (25 tab-separated columns starting "area, m, split"), ' +
        'got 3 comma-separated columns starting "a, b, c"',
    )
    const partial = utf8('area\tm\tsplit\trot-bad\n')
    expect(await errorOf(runImport(partial, 'sc.tsv', undefined, FORMAT))).toMatch(
      /^sc\.tsv line 1: .*got 4 tab-separated columns starting "area, m, split, …" \(missing rot-moral-foundations, action, action-moral-judgment, action-agree, rot\)$/,
    )
  })

  it('reads a windows-1252 row after valid UTF-8 ones, reporting where the bytes stopped being UTF-8', async () => {
    const text = fixtureText('social-chem.tsv').replace('watering the plants', 'watering the plants at the caf\u00e9')
    const bytes = new Uint8Array([...text].map((c) => c.charCodeAt(0)))
    const r = await importAnyChunking(bytes, 'sc-latin1.tsv', FORMAT)
    expect(item(r, 4).text).toBe('watering the plants at the café')
    expect(r.kept).toBe(7)
    expect(r.problems).toEqual([
      expect.objectContaining({ line: 4, expected: 'valid UTF-8 text', action: 'kept-with-warning' }),
    ])
    expect(r.problems[0].got).toMatch(/^invalid byte sequence 0xE9 at byte offset \d+$/)
  })

  it('accepts the Social-Chem header in a comma-separated file, with a notice', async () => {
    const r = await importAnyChunking(fixture('social-chem-header-as-csv.csv'), 'sc.csv', FORMAT)
    expect(r.kept).toBe(1)
    expect(r.delimiter).toBe(',')
    expect(r.notices).toContain('sc.csv is comma-separated; read with the columns of its header')
    expect(item(r, 2).typicality).toBeCloseTo(0.5 * 0.825, 12)
  })

  it('exports its formula as functions matching the hand computation', () => {
    expect(socialChemTypicality(-2, 4)).toBeCloseTo(0.99, 12)
    expect(socialChemTypicality(1, 3, 'linear')).toBeCloseTo(0.375, 12)
    expectVector(
      socialChemMoralVector(['care', 'liberty', 'authority'], -1, 0.5),
      vec({ 'care.vice': 0.25, 'authority.vice': 0.25 }),
    )
  })
})

/** Synthetic rows: `perCell` rows in each of care/fairness × virtue/vice, plus `neutral` neutral rows. */
function syntheticTsv(perCell: number, neutral: number): Uint8Array {
  const header = SOCIAL_CHEM_COLUMNS.join('\t')
  const lines = [header]
  const row = (f: string, j: number, n: number) => {
    const v: Record<string, string> = {
      'rot-moral-foundations': f,
      'rot-bad': '0',
      action: `act ${f} ${j} ${n}`,
      'action-moral-judgment': String(j),
      'action-agree': String(n % 5),
      rot: 'a rule',
      split: 'train',
    }
    return SOCIAL_CHEM_COLUMNS.map((c) => v[c] ?? 'x').join('\t')
  }
  for (let n = 0; n < perCell; n++) {
    lines.push(
      row('care-harm', -1, n),
      row('care-harm', 2, n),
      row('fairness-cheating', -2, n),
      row('fairness-cheating', 1, n),
    )
  }
  for (let n = 0; n < neutral; n++) lines.push(row('loyalty-betrayal', 0, n))
  return utf8(lines.join('\n') + '\n')
}

describe('social-chem balanced subsample', () => {
  it('keeps at most maxPerCell per foundation × polarity cell and neutralCap neutral rows, in file order', async () => {
    const bytes = syntheticTsv(30, 12)
    const r = await importAnyChunking(bytes, 'synthetic.tsv', {
      ...FORMAT,
      options: { socialChem: { subsample: { maxPerCell: 5, neutralCap: 3, seed: 42 } } },
    })
    expect(r.kept).toBe(23)
    expect(r.sampling).toEqual({
      seed: 42,
      maxPerCell: 5,
      neutralCap: 3,
      cells: {
        'care.vice': { seen: 30, kept: 5 },
        'care.virtue': { seen: 30, kept: 5 },
        'fairness.vice': { seen: 30, kept: 5 },
        'fairness.virtue': { seen: 30, kept: 5 },
        neutral: { seen: 12, kept: 3 },
      },
    })
    const lines = r.set.items.map((i) => i.meta!.line as number)
    expect(lines).toEqual([...lines].sort((a, b) => a - b))
    expect(r.labels['polarity:neutral']).toBe(3)
    expect(r.set.description).toMatch(/balanced subsample \(seed 42\)/)
    // A different seed picks different rows.
    const other = await runImport(bytes, 'synthetic.tsv', undefined, {
      ...FORMAT,
      options: { socialChem: { subsample: { maxPerCell: 5, neutralCap: 3, seed: 43 } } },
    })
    expect(other.set.items.map((i) => i.id)).not.toEqual(r.set.items.map((i) => i.id))
  })

  it('gives every row of a cell the same chance cap/seen (reservoir sampling is uniform)', async () => {
    const bytes = syntheticTsv(20, 0)
    const counts = new Map<string, number>()
    const seeds = 200
    for (let seed = 1; seed <= seeds; seed++) {
      const r = await runImport(bytes, 'synthetic.tsv', undefined, {
        ...FORMAT,
        options: { socialChem: { subsample: { maxPerCell: 5, seed } } },
      })
      for (const it of r.set.items)
        if (it.foundation === 'care' && it.polarity === 'vice') counts.set(it.id, (counts.get(it.id) ?? 0) + 1)
    }
    // 20 rows, 5 picked: p = 1/4, expected 50 of 200, sd ≈ 6.1; ±25 is about 4 sd.
    expect(counts.size).toBe(20)
    for (const [id, c] of counts) expect(Math.abs(c - 50), id).toBeLessThan(25)
  })

  it('is not used unless asked for, and rejects a cap below 1', async () => {
    const all = await runImport(syntheticTsv(3, 2), 's.tsv', undefined, FORMAT)
    expect(all.kept).toBe(14)
    expect(all.sampling).toBeUndefined()
    expect(
      await errorOf(
        runImport(syntheticTsv(3, 2), 's.tsv', undefined, {
          ...FORMAT,
          options: { socialChem: { subsample: { maxPerCell: 0, seed: 1 } } },
        }),
      ),
    ).toMatch(/maxPerCell must be at least 1/)
  })

  it('reads the whole fixture text with the expected header', () => {
    expect(fixtureText('social-chem.tsv').split('\n')[0].split('\t')).toEqual([...SOCIAL_CHEM_COLUMNS])
  })
})
