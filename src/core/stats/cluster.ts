// Clustering: k-means (k-means++ init, restarts), the adjusted Rand index and the silhouette score.

import { Rng } from '../random.ts'
import { type Matrix, type Matrix64, assertMatrix, multiplyABt, normalizeRows, toFloat64 } from './linalg.ts'

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
  if (a.length !== b.length) throw new Error(`adjustedRandIndex: labelings differ in length (${a.length} vs ${b.length})`)
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

/**
 * Mean silhouette coefficient with cosine distance 1 − cos(x_i, x_j) (all-zero rows count as
 * similarity 0, as scikit-learn does). Because cosine distance is linear in unit vectors, the mean
 * distance from x_i to a cluster is 1 − û_i·(Σ_c û_j)/|c|: O(n·d·k) instead of O(n²·d).
 * Items alone in their cluster score 0. Needs 2 ≤ clusters ≤ n − 1.
 */
export function silhouetteScore(X: Matrix, labels: ArrayLike<number | string>): number {
  assertMatrix(X, 'silhouetteScore')
  const n = X.rows
  const d = X.cols
  if (labels.length !== n) throw new Error(`silhouetteScore: ${labels.length} labels for ${n} rows`)
  const { codes, classes } = encodeLabels(labels)
  const k = classes.length
  if (k < 2 || k > n - 1) {
    throw new Error(`silhouetteScore: needs between 2 and n − 1 = ${n - 1} distinct labels, got ${k}`)
  }
  const U = normalizeRows(X).data
  const sums = new Float64Array(k * d)
  const sizes = new Float64Array(k)
  for (let i = 0; i < n; i++) {
    const c = codes[i]
    sizes[c]++
    const o = i * d
    const oc = c * d
    for (let t = 0; t < d; t++) sums[oc + t] += U[o + t]
  }
  let total = 0
  for (let i = 0; i < n; i++) {
    const own = codes[i]
    if (sizes[own] === 1) continue
    const o = i * d
    let selfDot = 0
    for (let t = 0; t < d; t++) selfDot += U[o + t] * U[o + t]
    let a = 0
    let b = Infinity
    for (let c = 0; c < k; c++) {
      const oc = c * d
      let s = 0
      for (let t = 0; t < d; t++) s += U[o + t] * sums[oc + t]
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
  return total / n
}

export type KMeansMetric = 'euclidean' | 'cosine'

export interface KMeansOptions {
  seed?: number
  rng?: Rng
  /** Independent k-means++ initialisations; the lowest inertia wins (default 4). */
  restarts?: number
  maxIterations?: number
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
  const maxIterations = options.maxIterations ?? 100
  if (!Number.isInteger(restarts) || restarts < 1) throw new Error(`kMeans: restarts must be ≥ 1, got ${restarts}`)
  const rng = options.rng ?? new Rng(options.seed ?? 0)
  const data = metric === 'cosine' ? normalizeRows(X) : toFloat64(X)
  const sqNorms = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let t = i * d; t < (i + 1) * d; t++) s += data.data[t] * data.data[t]
    sqNorms[i] = s
  }
  let best: KMeansResult | undefined
  for (let r = 0; r < restarts; r++) {
    const run = lloyd(data, sqNorms, k, metric, maxIterations, rng.fork())
    if (!best || run.inertia < best.inertia) best = { ...run, restart: r }
  }
  return best!
}

function sqDist(x: Float64Array, i: number, c: Float64Array, j: number, d: number): number {
  let s = 0
  const oi = i * d
  const oj = j * d
  for (let t = 0; t < d; t++) {
    const v = x[oi + t] - c[oj + t]
    s += v * v
  }
  return s
}

function lloyd(
  X: Matrix64,
  sqNorms: Float64Array,
  k: number,
  metric: KMeansMetric,
  maxIterations: number,
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
  const counts = new Float64Array(k)
  const centroids: Matrix64 = { data: C, rows: k, cols: d }
  let iterations = 0
  for (; iterations < maxIterations; iterations++) {
    // Assignment through ‖x‖² − 2x·c + ‖c‖², with the x·c products from the blocked kernel.
    const xc = multiplyABt(X, centroids).data
    const cNorms = new Float64Array(k)
    for (let c = 0; c < k; c++) {
      let s = 0
      for (let t = c * d; t < (c + 1) * d; t++) s += C[t] * C[t]
      cNorms[c] = s
    }
    let changed = 0
    for (let i = 0; i < n; i++) {
      let bestC = 0
      let bestD = Infinity
      for (let c = 0; c < k; c++) {
        const v = sqNorms[i] - 2 * xc[i * k + c] + cNorms[c]
        if (v < bestD) {
          bestD = v
          bestC = c
        }
      }
      dist[i] = Math.max(0, bestD)
      if (labels[i] !== bestC) {
        labels[i] = bestC
        changed++
      }
    }
    if (changed === 0 && iterations > 0) break
    updateCentroids(x, labels, n, d, k, C, counts, dist, metric)
  }
  // Exact inertia from final labels and centroids (no expansion round-off).
  let inertia = 0
  for (let i = 0; i < n; i++) {
    const sd = sqDist(x, i, C, labels[i], d)
    inertia += metric === 'cosine' ? sd / 2 : sd
  }
  return { labels, centroids, inertia, iterations }
}

function updateCentroids(
  x: Float64Array,
  labels: Int32Array,
  n: number,
  d: number,
  k: number,
  C: Float64Array,
  counts: Float64Array,
  dist: Float64Array,
  metric: KMeansMetric,
): void {
  C.fill(0)
  counts.fill(0)
  for (let i = 0; i < n; i++) {
    const c = labels[i]
    counts[c]++
    const oi = i * d
    const oc = c * d
    for (let t = 0; t < d; t++) C[oc + t] += x[oi + t]
  }
  for (let c = 0; c < k; c++) {
    const oc = c * d
    if (counts[c] === 0) {
      // Empty cluster: restart it on the item farthest from its centre.
      let far = 0
      for (let i = 1; i < n; i++) if (dist[i] > dist[far]) far = i
      dist[far] = 0
      C.set(x.subarray(far * d, (far + 1) * d), oc)
      continue
    }
    const inv = 1 / counts[c]
    for (let t = 0; t < d; t++) C[oc + t] *= inv
    if (metric === 'cosine') {
      let s = 0
      for (let t = 0; t < d; t++) s += C[oc + t] * C[oc + t]
      if (s > 0) {
        const invNorm = 1 / Math.sqrt(s)
        for (let t = 0; t < d; t++) C[oc + t] *= invNorm
      }
    }
  }
}
