// Clustering: k-means (k-means++ init, restarts), the adjusted Rand index and the silhouette score.

import { Rng } from '../random.ts'
import {
  type Matrix,
  type Matrix64,
  assertMatrix,
  columnMeans,
  dotAt,
  multiplyABtInto,
  normalizeRows,
  toFloat64,
} from './linalg.ts'

/** Maps arbitrary labels to 0..k-1 in order of first appearance. */
export function encodeLabels(labels: ArrayLike<number | string>): { codes: Int32Array; classes: (number | string)[] } {
  const map = new Map<number | string, number>()
  const codes = new Int32Array(labels.length)
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]
    let c = map.get(l)
    if (c === undefined) {
      c = map.size
      map.set(l, c)
    }
    codes[i] = c
  }
  return { codes, classes: [...map.keys()] }
}

function choose2(x: number): number {
  return (x * (x - 1)) / 2
}

/**
 * Adjusted Rand index (Hubert & Arabie 1985) between two labelings of the same items:
 * 1 for identical partitions, about 0 for independent ones, negative when worse than chance.
 */
export function adjustedRandIndex(a: ArrayLike<number | string>, b: ArrayLike<number | string>): number {
  if (a.length !== b.length) {
    throw new Error(`adjustedRandIndex: labelings differ in length (${a.length} vs ${b.length})`)
  }
  const n = a.length
  if (n < 2) return 1
  const ea = encodeLabels(a)
  const eb = encodeLabels(b)
  const ka = ea.classes.length
  const kb = eb.classes.length
  const table = new Float64Array(ka * kb)
  for (let i = 0; i < n; i++) table[ea.codes[i] * kb + eb.codes[i]]++
  let sumCells = 0
  for (let i = 0; i < table.length; i++) sumCells += choose2(table[i])
  let sumA = 0
  for (let r = 0; r < ka; r++) {
    let s = 0
    for (let c = 0; c < kb; c++) s += table[r * kb + c]
    sumA += choose2(s)
  }
  let sumB = 0
  for (let c = 0; c < kb; c++) {
    let s = 0
    for (let r = 0; r < ka; r++) s += table[r * kb + c]
    sumB += choose2(s)
  }
  const expected = (sumA * sumB) / choose2(n)
  const max = (sumA + sumB) / 2
  // The denominator vanishes only when both are all-singletons or both one cluster: identical.
  if (max === expected) return 1
  return (sumCells - expected) / (max - expected)
}

export type OptionalLabel = number | string | null | undefined

/**
 * Mean silhouette coefficient with cosine distance 1 − cos(x_i, x_j) (all-zero rows count as
 * similarity 0, as scikit-learn does). Because cosine distance is linear in unit vectors, the mean
 * distance from x_i to a cluster is 1 − û_i·(Σ_c û_j)/|c|: O(n·d·k) instead of O(n²·d).
 * Rows labelled null or undefined are left out. Items alone in their cluster score 0.
 * Needs 2 ≤ clusters ≤ (labelled rows) − 1.
 */
export function silhouetteScore(X: Matrix, labels: ArrayLike<OptionalLabel>): number {
  return silhouetteScores(X, [labels])[0]
}

/** silhouetteScore for several labelings of the same rows, normalising the rows once. */
export function silhouetteScores(X: Matrix, labelings: ArrayLike<OptionalLabel>[]): number[] {
  assertMatrix(X, 'silhouetteScore')
  const n = X.rows
  const d = X.cols
  const parsed = labelings.map((labels) => {
    if (labels.length !== n) throw new Error(`silhouetteScore: ${labels.length} labels for ${n} rows`)
    const map = new Map<number | string, number>()
    const codes = new Int32Array(n).fill(-1)
    let used = 0
    for (let i = 0; i < n; i++) {
      const l = labels[i]
      if (l === null || l === undefined) continue
      let c = map.get(l)
      if (c === undefined) {
        c = map.size
        map.set(l, c)
      }
      codes[i] = c
      used++
    }
    const k = map.size
    if (k < 2 || k > used - 1) {
      throw new Error(`silhouetteScore: needs 2 to ${used - 1} distinct labels (labelled rows − 1), got ${k}`)
    }
    return { codes, k, used }
  })
  const U = normalizeRows(X).data
  // û·û is 1 for every non-zero row and 0 for zero rows.
  const selfDots = new Float64Array(n)
  for (let i = 0; i < n; i++) selfDots[i] = U[i * d] !== 0 || dotAt(U, i * d, U, i * d, d) > 0 ? 1 : 0
  return parsed.map(({ codes, k, used }) => {
    const sums = new Float64Array(k * d)
    const sizes = new Float64Array(k)
    for (let i = 0; i < n; i++) {
      const c = codes[i]
      if (c < 0) continue
      sizes[c]++
      const o = i * d
      const oc = c * d
      for (let t = 0; t < d; t++) sums[oc + t] += U[o + t]
    }
    let total = 0
    for (let i = 0; i < n; i++) {
      const own = codes[i]
      if (own < 0 || sizes[own] === 1) continue
      const o = i * d
      const selfDot = selfDots[i]
      let a = 0
      let b = Infinity
      for (let c = 0; c < k; c++) {
        const s = dotAt(U, o, sums, c * d, d)
        if (c === own) {
          // Remove the self-pair: the distance of an item to itself is defined as 0.
          a = (sizes[c] - s - (1 - selfDot)) / (sizes[c] - 1)
        } else {
          const mean = (sizes[c] - s) / sizes[c]
          if (mean < b) b = mean
        }
      }
      const m = Math.max(a, b)
      total += m > 0 ? (b - a) / m : 0
    }
    return total / used
  })
}

export type KMeansMetric = 'euclidean' | 'cosine'

export interface KMeansOptions {
  seed?: number
  rng?: Rng
  /** Independent k-means++ initialisations; the lowest inertia wins (default 4). */
  restarts?: number
  /** Default 300. */
  maxIterations?: number
  /** Relative centre-shift tolerance (default 1e-4, as scikit-learn). 0 runs until labels are stable. */
  tolerance?: number
  /** 'cosine' clusters unit-normalised rows with unit centroids (spherical k-means). */
  metric?: KMeansMetric
}

export interface KMeansResult {
  labels: Int32Array
  /** k×d; unit rows for the cosine metric. */
  centroids: Matrix64
  /** Σ‖x − c‖² (euclidean) or Σ(1 − cos(x, c)) (cosine) over items. */
  inertia: number
  iterations: number
  /** Which restart produced the result. */
  restart: number
}

/** Lloyd's k-means with k-means++ seeding; deterministic under a seed. */
export function kMeans(X: Matrix, k: number, options: KMeansOptions = {}): KMeansResult {
  assertMatrix(X, 'kMeans')
  const n = X.rows
  const d = X.cols
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`kMeans: k must be an integer in [1, ${n}], got ${k}`)
  const metric = options.metric ?? 'euclidean'
  const restarts = options.restarts ?? 4
  const maxIterations = options.maxIterations ?? 300
  if (!Number.isInteger(restarts) || restarts < 1) throw new Error(`kMeans: restarts must be ≥ 1, got ${restarts}`)
  const rng = options.rng ?? new Rng(options.seed ?? 0)
  const data = metric === 'cosine' ? normalizeRows(X) : toFloat64(X)
  const sqNorms = new Float64Array(n)
  for (let i = 0; i < n; i++) sqNorms[i] = dotAt(data.data, i * d, data.data, i * d, d)
  // Stop when the centres move less than tol × the mean feature variance (squared, summed).
  const means = columnMeans(data)
  let variance = 0
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) variance += (data.data[i * d + t] - means[t]) ** 2
  const tolerance = (options.tolerance ?? 1e-4) * (variance / Math.max(1, n * d))
  let best: KMeansResult | undefined
  for (let r = 0; r < restarts; r++) {
    const run = lloyd(data, sqNorms, k, metric, maxIterations, tolerance, rng.fork())
    if (!best || run.inertia < best.inertia) best = { ...run, restart: r }
  }
  return best!
}

function sqDist(x: Float64Array, i: number, c: Float64Array, j: number, d: number): number {
  let s0 = 0
  let s1 = 0
  const oi = i * d
  const oj = j * d
  let t = 0
  for (; t + 1 < d; t += 2) {
    const v0 = x[oi + t] - c[oj + t]
    const v1 = x[oi + t + 1] - c[oj + t + 1]
    s0 += v0 * v0
    s1 += v1 * v1
  }
  if (t < d) {
    const v = x[oi + t] - c[oj + t]
    s0 += v * v
  }
  return s0 + s1
}

function lloyd(
  X: Matrix64,
  sqNorms: Float64Array,
  k: number,
  metric: KMeansMetric,
  maxIterations: number,
  tolerance: number,
  rng: Rng,
): Omit<KMeansResult, 'restart'> {
  const n = X.rows
  const d = X.cols
  const x = X.data
  const C = new Float64Array(k * d)
  // k-means++: each next centre drawn with probability ∝ squared distance to the nearest chosen one.
  const nearest = new Float64Array(n)
  const first = rng.int(n)
  C.set(x.subarray(first * d, (first + 1) * d), 0)
  for (let i = 0; i < n; i++) nearest[i] = sqDist(x, i, C, 0, d)
  for (let c = 1; c < k; c++) {
    let total = 0
    for (let i = 0; i < n; i++) total += nearest[i]
    let pick = n - 1
    if (total > 0) {
      let u = rng.next() * total
      for (let i = 0; i < n; i++) {
        u -= nearest[i]
        if (u < 0) {
          pick = i
          break
        }
      }
    } else {
      pick = rng.int(n)
    }
    C.set(x.subarray(pick * d, (pick + 1) * d), c * d)
    for (let i = 0; i < n; i++) {
      const dist = sqDist(x, i, C, c, d)
      if (dist < nearest[i]) nearest[i] = dist
    }
  }

  const labels = new Int32Array(n).fill(-1)
  const dist = new Float64Array(n)
  // Per-cluster sums and sizes, updated only for items that change cluster.
  const sums = new Float64Array(k * d)
  const counts = new Float64Array(k)
  const centroids: Matrix64 = { data: C, rows: k, cols: d }
  const products = new Float64Array(k * n)
  const cNorms = new Float64Array(k)
  const previous = new Float64Array(k * d)
  const move = (i: number, to: number) => {
    const from = labels[i]
    const o = i * d
    if (from >= 0) {
      counts[from]--
      const of = from * d
      for (let t = 0; t < d; t++) sums[of + t] -= x[o + t]
    }
    counts[to]++
    const ot = to * d
    for (let t = 0; t < d; t++) sums[ot + t] += x[o + t]
    labels[i] = to
  }
  const assign = (): number => {
    // ‖x‖² − 2x·c + ‖c‖², with the c·x products from the blocked kernel (k×n).
    multiplyABtInto(centroids, X, products)
    for (let c = 0; c < k; c++) cNorms[c] = dotAt(C, c * d, C, c * d, d)
    let changed = 0
    for (let i = 0; i < n; i++) {
      let bestC = 0
      let bestD = Infinity
      for (let c = 0; c < k; c++) {
        const v = sqNorms[i] - 2 * products[c * n + i] + cNorms[c]
        if (v < bestD) {
          bestD = v
          bestC = c
        }
      }
      dist[i] = Math.max(0, bestD)
      if (labels[i] !== bestC) {
        move(i, bestC)
        changed++
      }
    }
    return changed
  }
  const updateCentroids = () => {
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        // Empty cluster: restart it on the item farthest from its centre.
        let far = 0
        for (let i = 1; i < n; i++) if (dist[i] > dist[far]) far = i
        dist[far] = 0
        move(far, c)
      }
    }
    for (let c = 0; c < k; c++) {
      const oc = c * d
      const inv = 1 / counts[c]
      let s = 0
      for (let t = 0; t < d; t++) {
        const v = sums[oc + t] * inv
        C[oc + t] = v
        s += v * v
      }
      if (metric === 'cosine' && s > 0) {
        const invNorm = 1 / Math.sqrt(s)
        for (let t = 0; t < d; t++) C[oc + t] *= invNorm
      }
    }
  }
  let iterations = 0
  while (iterations < maxIterations) {
    iterations++
    if (assign() === 0 && iterations > 1) break
    previous.set(C)
    updateCentroids()
    let shift = 0
    for (let t = 0; t < C.length; t++) shift += (C[t] - previous[t]) ** 2
    // Converged centres (scikit-learn's rule): relabel once more so labels match the centres.
    if (shift <= tolerance) {
      assign()
      break
    }
  }
  // Exact inertia from final labels and centroids (no expansion round-off).
  let inertia = 0
  for (let i = 0; i < n; i++) {
    const sd = sqDist(x, i, C, labels[i], d)
    inertia += metric === 'cosine' ? sd / 2 : sd
  }
  return { labels, centroids, inertia, iterations }
}
