import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import { adjustedRandIndex, kMeans, silhouetteScore, silhouetteScores } from '../../../src/core/stats/cluster.ts'
import { matrixFromRows, type Matrix64 } from '../../../src/core/stats/linalg.ts'
import { naiveCosine, randomMatrix, row } from './helpers.ts'

/** ARI from O(n²) pair counts: 2(ad − bc) / ((a+b)(b+d) + (a+c)(c+d)). */
function pairCountingAri(x: ArrayLike<number | string>, y: ArrayLike<number | string>): number {
  let a = 0
  let b = 0
  let c = 0
  let d = 0
  for (let i = 0; i < x.length; i++)
    for (let j = i + 1; j < x.length; j++) {
      const sx = x[i] === x[j]
      const sy = y[i] === y[j]
      if (sx && sy) a++
      else if (sx) b++
      else if (sy) c++
      else d++
    }
  return (2 * (a * d - b * c)) / ((a + b) * (b + d) + (a + c) * (c + d))
}

/** Silhouette straight from the definition with cosine distance. */
function naiveSilhouette(X: Matrix64, labels: (number | string | null)[]): number {
  const idx = labels.map((l, i) => (l === null ? -1 : i)).filter((i) => i >= 0)
  const dist = (i: number, j: number) => {
    if (i === j) return 0
    const c = naiveCosine(row(X, i), row(X, j))
    return 1 - (Number.isFinite(c) ? c : 0)
  }
  let total = 0
  for (const i of idx) {
    const own = idx.filter((j) => labels[j] === labels[i] && j !== i)
    if (own.length === 0) continue
    const a = own.reduce((s, j) => s + dist(i, j), 0) / own.length
    let b = Infinity
    for (const other of new Set(idx.map((j) => labels[j]))) {
      if (other === labels[i]) continue
      const members = idx.filter((j) => labels[j] === other)
      b = Math.min(b, members.reduce((s, j) => s + dist(i, j), 0) / members.length)
    }
    total += (b - a) / Math.max(a, b)
  }
  return total / idx.length
}

function blobs(rng: Rng, centres: number[][], perBlob: number, spread: number): { X: Matrix64; truth: number[] } {
  const rows: number[][] = []
  const truth: number[] = []
  centres.forEach((c, k) => {
    for (let i = 0; i < perBlob; i++) {
      rows.push(c.map((v) => v + spread * rng.normal()))
      truth.push(k)
    }
  })
  return { X: matrixFromRows(rows), truth }
}

describe('adjusted Rand index', () => {
  it('matches hand-worked / scikit-learn values', () => {
    expect(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0])).toBe(1)
    expect(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(0.5714285714285714, 14)
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 14)
    expect(adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0)
    expect(adjustedRandIndex(['a', 'a', 'b'], [7, 7, 9])).toBe(1)
  })

  it('agrees with brute-force pair counting on random labelings', () => {
    const rng = new Rng(1)
    for (let trial = 0; trial < 30; trial++) {
      const n = 3 + rng.int(80)
      const x = Array.from({ length: n }, () => rng.int(1 + rng.int(5)))
      const y = x.map((v) => (rng.next() < 0.6 ? v : rng.int(4)))
      const want = pairCountingAri(x, y)
      if (Number.isFinite(want)) expect(adjustedRandIndex(x, y)).toBeCloseTo(want, 12)
    }
  })

  it('is about 0 for independent labelings', () => {
    const rng = new Rng(2)
    const x = Array.from({ length: 3000 }, () => rng.int(3))
    const y = Array.from({ length: 3000 }, () => rng.int(5))
    expect(Math.abs(adjustedRandIndex(x, y))).toBeLessThan(0.01)
  })
})

describe('silhouette (cosine)', () => {
  it('agrees with the O(n²) definition, including zero rows, singletons and unlabelled rows', () => {
    const rng = new Rng(3)
    const X = randomMatrix(rng, 40, 6)
    X.data.fill(0, 5 * 6, 6 * 6) // a zero row
    const labels: (number | null)[] = Array.from({ length: 40 }, (_, i) => i % 3)
    labels[7] = 5 // a singleton cluster
    labels[11] = null
    labels[12] = null
    expect(silhouetteScore(X, labels)).toBeCloseTo(naiveSilhouette(X, labels), 12)
    const strings = labels.map((l) => (l === null ? null : `c${l}`))
    expect(silhouetteScore(X, strings)).toBeCloseTo(naiveSilhouette(X, labels), 12)
  })

  it('scores several labelings at once like one at a time', () => {
    const rng = new Rng(4)
    const X = randomMatrix(rng, 30, 5, 1, 0.5)
    const a = Array.from({ length: 30 }, (_, i) => i % 2)
    const b = Array.from({ length: 30 }, (_, i) => (i < 10 ? null : i % 4))
    expect(silhouetteScores(X, [a, b])).toEqual([silhouetteScore(X, a), silhouetteScore(X, b)])
  })

  it('is near 1 for tight clusters in different directions and rejects degenerate labelings', () => {
    const rng = new Rng(5)
    const { X, truth } = blobs(rng, [[10, 0, 0], [0, 10, 0], [0, 0, 10]], 20, 0.1)
    expect(silhouetteScore(X, truth)).toBeGreaterThan(0.95)
    expect(() => silhouetteScore(X, new Array(60).fill(0))).toThrow(/distinct labels/)
  })
})

describe('k-means', () => {
  it('recovers well-separated blobs exactly (ARI 1), for both metrics', () => {
    const rng = new Rng(6)
    const { X, truth } = blobs(rng, [[0, 0, 0, 0], [8, 0, 0, 0], [0, 8, 0, 0], [0, 0, 8, 8], [8, 8, 8, 8]], 30, 0.7)
    const km = kMeans(X, 5, { seed: 1 })
    expect(adjustedRandIndex(km.labels, truth)).toBe(1)
    // Directions for the cosine metric: norms vary wildly but angles separate the groups.
    const dirs = blobs(rng, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], 25, 0.05)
    for (let i = 0; i < dirs.X.rows; i++) {
      const s = 0.1 + 20 * rng.next()
      for (let t = 0; t < 3; t++) dirs.X.data[i * 3 + t] *= s
    }
    const cos = kMeans(dirs.X, 3, { seed: 2, metric: 'cosine' })
    expect(adjustedRandIndex(cos.labels, dirs.truth)).toBe(1)
    for (let c = 0; c < 3; c++) {
      const r = cos.centroids.data.subarray(c * 3, c * 3 + 3)
      expect(Math.hypot(...r)).toBeCloseTo(1, 12)
    }
  })

  it('reports the inertia of its labels and centroids, and keeps the best restart', () => {
    const rng = new Rng(7)
    const X = randomMatrix(rng, 120, 4)
    const km = kMeans(X, 4, { seed: 3, restarts: 6 })
    let inertia = 0
    for (let i = 0; i < 120; i++) {
      const c = km.labels[i]
      // Each point is assigned to its nearest centroid.
      const d = (k: number) => row(X, i).reduce((s, v, t) => s + (v - km.centroids.data[k * 4 + t]) ** 2, 0)
      for (let k = 0; k < 4; k++) expect(d(c)).toBeLessThanOrEqual(d(k) + 1e-9)
      inertia += d(c)
    }
    expect(km.inertia).toBeCloseTo(inertia, 9)
    // Restart r uses the same stream whatever the total, so more restarts never do worse.
    const byRestarts = [1, 2, 3, 4, 5, 6].map((r) => kMeans(X, 4, { seed: 3, restarts: r }))
    for (let r = 1; r < 6; r++) expect(byRestarts[r].inertia).toBeLessThanOrEqual(byRestarts[r - 1].inertia)
    expect(byRestarts[5].inertia).toBe(km.inertia)
    expect(byRestarts[km.restart].inertia).toBe(km.inertia)
  })

  it('is deterministic under a seed and validates k', () => {
    const rng = new Rng(8)
    const X = randomMatrix(rng, 50, 3)
    expect(kMeans(X, 3, { seed: 4 })).toEqual(kMeans(X, 3, { seed: 4 }))
    expect(() => kMeans(X, 0)).toThrow(/k must be/)
    expect(() => kMeans(X, 51)).toThrow(/k must be/)
    expect(kMeans(X, 1).labels.every((l) => l === 0)).toBe(true)
  })
})
