import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { spearman } from '../../../src/core/stats/correlation.ts'
import { matrixFromRows } from '../../../src/core/stats/linalg.ts'
import { condensedIndex, representationalDissimilarity, rsa, squareRdm } from '../../../src/core/stats/rsa.ts'
import { countingRanks, naiveCosine, randomMatrix, row, textbookPearson } from './helpers.ts'

describe('representational dissimilarity', () => {
  it('hand-worked cosine, correlation and euclidean RDMs in scipy pdist order', () => {
    const X = matrixFromRows([
      [1, 0, 0],
      [0, 2, 0],
      [3, 3, 0],
    ])
    // Pairs (0,1), (0,2), (1,2).
    const cos = representationalDissimilarity(X, 'cosine')
    expect(cos[0]).toBeCloseTo(1, 15)
    expect(cos[1]).toBeCloseTo(1 - Math.SQRT1_2, 14)
    expect(cos[2]).toBeCloseTo(1 - Math.SQRT1_2, 14)
    const euclidean = Array.from(representationalDissimilarity(X, 'euclidean'))
    expect(euclidean).toEqual([Math.sqrt(5), Math.sqrt(13), Math.sqrt(10)])
    // Row-centred rows: (2/3, −1/3, −1/3), (−2/3, 4/3, −2/3), (1, 1, −2).
    const corr = representationalDissimilarity(X, 'correlation')
    expect(corr[0]).toBeCloseTo(1.5, 14)
    expect(corr[1]).toBeCloseTo(0.5, 14)
    expect(corr[2]).toBeCloseTo(0.5, 14)
  })

  it('matches direct pairwise computation on random data', () => {
    const rng = new Rng(1)
    const X = randomMatrix(rng, 23, 7, 1, 0.3)
    const cos = representationalDissimilarity(X, 'cosine')
    const corr = representationalDissimilarity(X, 'correlation')
    for (let i = 0; i < 23; i++)
      for (let j = i + 1; j < 23; j++) {
        const k = condensedIndex(i, j, 23)
        expect(condensedIndex(j, i, 23)).toBe(k)
        expect(cos[k]).toBeCloseTo(1 - naiveCosine(row(X, i), row(X, j)), 12)
        expect(corr[k]).toBeCloseTo(1 - textbookPearson(row(X, i), row(X, j)), 10)
      }
    const sq = squareRdm(cos, 23)
    expect(sq[0]).toBe(0)
    expect(sq[5 * 23 + 2]).toBe(cos[condensedIndex(2, 5, 23)])
    expect(() => squareRdm(cos, 22)).toThrow(/upper triangle/)
  })
})

describe('rsa', () => {
  it('is the Spearman correlation of the condensed RDMs', () => {
    const rng = new Rng(2)
    const A = randomMatrix(rng, 30, 5)
    // B carries A (scaled) in its first five columns plus small noise everywhere.
    const B = randomMatrix(rng, 30, 8, 0.3)
    for (let i = 0; i < 30; i++) for (let t = 0; t < 5; t++) B.data[i * 8 + t] += 3 * A.data[i * 5 + t]
    const ra = representationalDissimilarity(A, 'cosine')
    const rb = representationalDissimilarity(B, 'euclidean')
    expect(rsa(ra, rb)).toBeCloseTo(textbookPearson(countingRanks(ra), countingRanks(rb)), 10)
    expect(rsa(ra, ra)).toBeCloseTo(1, 14)
    // Ranks only: a monotone transform of one RDM changes nothing.
    expect(rsa(ra.map((v) => v * v), rb)).toBeCloseTo(spearman(ra, rb), 14)
    expect(rsa(ra, rb)).toBeGreaterThan(0.3)
    expect(() => rsa(ra, rb.subarray(1))).toThrow(/pairs/)
  })
})
