import { describe, expect, it } from 'vitest'
import { MORAL_VECTOR_AXES } from '../../../src/core/stimuli/types.ts'
import { errorOf, fixture, importAnyChunking, item, runImport, utf8 } from './helpers.ts'

const vec = (e: Record<string, number>) => MORAL_VECTOR_AXES.map((a) => e[a] ?? 0)

describe('mfv importer', () => {
  it('takes the foundation with the largest share, its share as typicality and the shares as the vice vector', async () => {
    const r = await importAnyChunking(fixture('mfv.csv'), 'mfv.csv', { format: 'mfv' })
    expect(r.kept).toBe(5)
    const cat = item(r, 2)
    expect(cat).toMatchObject({
      text: 'You see a girl laughing as she pulls the tail of a sleeping cat.',
      foundation: 'care',
      polarity: 'vice',
      typicality: 0.86,
      typicalitySource: 'human',
      values: { moral: 0 },
    })
    expect(cat.moralVector).toEqual(
      vec({ 'care.vice': 0.86, 'fairness.vice': 0.04, 'authority.vice': 0.02, 'sanctity.vice': 0.04 }),
    )
    expect(cat.meta).toMatchObject({ wrongness: 3.1, 'share.liberty': 0.02, 'share.social': 0.02 })
    expect(item(r, 3)).toMatchObject({
      text: 'You see a referee taking money, in secret, to favour one team.',
      foundation: 'fairness',
      typicality: 0.9,
    })
    expect(item(r, 4)).toMatchObject({ foundation: 'loyalty', typicality: 0.6 })
    expect(item(r, 6)).toMatchObject({ foundation: 'sanctity', typicality: 0.4 })
    // A social-norm control vignette is neutral, with no foundation.
    const norms = item(r, 5)
    expect(norms).toMatchObject({ polarity: 'neutral', typicality: 0.8, meta: { category: 'social-norms' } })
    expect(norms.foundation).toBeUndefined()
    expect(norms.moralVector).toEqual(vec({}))
    expect(norms.meta).toMatchObject({ 'share.social': 0.8, 'share.authority': 0.1 })
    expect(r.set.kind).toBe('typicality')
  })

  it('accepts header variants case-insensitively, semicolons and percentages', async () => {
    const r = await importAnyChunking(fixture('mfv-variant.csv'), 'mfv2.csv')
    expect(r.format).toBe('mfv')
    expect(r.delimiter).toBe(';')
    expect(item(r, 2)).toMatchObject({ foundation: 'care', typicality: 0.8, meta: { wrongness: 3 } })
    expect(item(r, 2).moralVector).toEqual(
      vec({ 'care.vice': 0.8, 'fairness.vice': 0.1, 'authority.vice': 0.05, 'sanctity.vice': 0.05 }),
    )
    expect(item(r, 3)).toMatchObject({ foundation: 'fairness', typicality: 0.85 })
    expect(r.dropped).toEqual([
      { line: 4, reason: 'ingroup_pct must be a share of raters in [0,1] (or a percentage 0–100), got an empty value' },
    ])
    expect(r.notices).toContain('2 rows had shares above 1 and were read as percentages')
  })

  it('warns when shares add up to more than 1 and drops rows nobody rated', async () => {
    const csv = 'text,care,fairness,loyalty,authority,sanctity\nA,0.9,0.5,0,0,0\nB,0,0,0,0,0\n'
    const r = await runImport(utf8(csv), 'v.csv', undefined, { format: 'mfv' })
    expect(r.kept).toBe(1)
    expect(r.problems[0]).toMatchObject({
      line: 2,
      expected: 'shares that sum to at most 1',
      got: 'a sum of 1.4',
      action: 'kept-with-warning',
    })
    expect(r.dropped).toEqual([{ line: 3, reason: 'no rater chose any foundation (all shares are 0)' }])
  })

  it('refuses a file without a text column or with too few foundation columns', async () => {
    expect(
      await errorOf(runImport(utf8('id,care,fairness\n1,0.5,0.5\n'), 'v.csv', undefined, { format: 'mfv' })),
    ).toMatch(
      /^v\.csv line 1: expected a Moral Foundations Vignettes header .*got 3 comma-separated columns starting "id, care, fairness" \(no vignette text column\)$/,
    )
    expect(
      await errorOf(runImport(utf8('vignette,care,fairness\nx,0.5,0.5\n'), 'v.csv', undefined, { format: 'mfv' })),
    ).toMatch(/\(2 foundation share columns; at least 3 needed\)$/)
  })
})
