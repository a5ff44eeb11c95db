// Small dense linear algebra for the statistics core: row-major matrices, a register-blocked
// A·Bᵀ kernel (the only O(n·m·k) loop everything else goes through), Cholesky and symmetric eigen.
// All accumulation is in float64; inputs may be float32.

export type MatrixData = Float32Array | Float64Array

/** Row-major dense matrix: element (i, j) is data[i * cols + j]. */
export interface Matrix {
  data: MatrixData
  rows: number
  cols: number
}

/** A Matrix whose storage is known to be float64 (what every routine here returns). */
export interface Matrix64 extends Matrix {
  data: Float64Array
}

export function createMatrix(rows: number, cols: number, data?: MatrixData): Matrix64 {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new Error(`createMatrix: expected non-negative integer shape, got ${rows}×${cols}`)
  }
  if (data && data.length !== rows * cols) {
    throw new Error(`createMatrix: data has length ${data.length}, expected rows×cols = ${rows * cols}`)
  }
  return { data: data ? Float64Array.from(data) : new Float64Array(rows * cols), rows, cols }
}

/** Builds a matrix from nested arrays (tests, small inputs). */
export function matrixFromRows(rows: ArrayLike<number>[]): Matrix64 {
  const n = rows.length
  const d = n === 0 ? 0 : rows[0].length
  const out = new Float64Array(n * d)
  for (let i = 0; i < n; i++) {
    if (rows[i].length !== d) throw new Error(`matrixFromRows: row ${i} has ${rows[i].length} values, expected ${d}`)
    for (let j = 0; j < d; j++) out[i * d + j] = rows[i][j]
  }
  return { data: out, rows: n, cols: d }
}

export function assertMatrix(m: Matrix, where: string): void {
  if (!m || !(m.data instanceof Float32Array || m.data instanceof Float64Array)) {
    throw new Error(`${where}: expected a Matrix with Float32Array/Float64Array data`)
  }
  if (m.data.length !== m.rows * m.cols) {
    throw new Error(`${where}: data has length ${m.data.length}, expected rows×cols = ${m.rows}×${m.cols}`)
  }
}

/** Float64 view of the data (copied only when the input is float32). */
export function toFloat64(m: Matrix): Matrix64 {
  if (m.data instanceof Float64Array) return m as Matrix64
  return { data: Float64Array.from(m.data), rows: m.rows, cols: m.cols }
}

export function getRow(m: Matrix, i: number): Float64Array {
  return Float64Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols))
}

/** Rows of m picked by index, in the given order. */
export function selectRows(m: Matrix, indices: ArrayLike<number>): Matrix64 {
  const d = m.cols
  const out = new Float64Array(indices.length * d)
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r]
    if (i < 0 || i >= m.rows) throw new Error(`selectRows: row index ${i} out of range [0, ${m.rows})`)
    out.set(m.data.subarray(i * d, (i + 1) * d), r * d)
  }
  return { data: out, rows: indices.length, cols: d }
}

export function transpose(m: Matrix): Matrix64 {
  const { rows: n, cols: d, data } = m
  const out = new Float64Array(n * d)
  // Blocked so both sides stay in cache for wide matrices.
  const B = 32
  for (let i0 = 0; i0 < n; i0 += B) {
    const i1 = Math.min(n, i0 + B)
    for (let j0 = 0; j0 < d; j0 += B) {
      const j1 = Math.min(d, j0 + B)
      for (let i = i0; i < i1; i++) {
        const o = i * d
        for (let j = j0; j < j1; j++) out[j * n + i] = data[o + j]
      }
    }
  }
  return { data: out, rows: d, cols: n }
}

export function columnMeans(m: Matrix): Float64Array {
  const { rows: n, cols: d, data } = m
  const mean = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    const o = i * d
    for (let j = 0; j < d; j++) mean[j] += data[o + j]
  }
  if (n > 0) for (let j = 0; j < d; j++) mean[j] /= n
  return mean
}

/** Subtracts the column means; returns a float64 copy and the means. */
export function centreColumns(m: Matrix): { centred: Matrix64; means: Float64Array } {
  const means = columnMeans(m)
  const { rows: n, cols: d, data } = m
  const out = new Float64Array(n * d)
  for (let i = 0; i < n; i++) {
    const o = i * d
    for (let j = 0; j < d; j++) out[o + j] = data[o + j] - means[j]
  }
  return { centred: { data: out, rows: n, cols: d }, means }
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`dot: lengths differ (${a.length} vs ${b.length})`)
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a))
}

/** Σ_t a[ao + t]·b[bo + t] for t < len, with four accumulators to break the add dependency chain. */
export function dotAt(a: Float64Array, ao: number, b: Float64Array, bo: number, len: number): number {
  let s0 = 0
  let s1 = 0
  let s2 = 0
  let s3 = 0
  let t = 0
  for (; t + 3 < len; t += 4) {
    s0 += a[ao + t] * b[bo + t]
    s1 += a[ao + t + 1] * b[bo + t + 1]
    s2 += a[ao + t + 2] * b[bo + t + 2]
    s3 += a[ao + t + 3] * b[bo + t + 3]
  }
  for (; t < len; t++) s0 += a[ao + t] * b[bo + t]
  return s0 + s1 + (s2 + s3)
}

/** Copies the rows scaled to unit Euclidean norm; all-zero rows stay zero. */
export function normalizeRows(m: Matrix): Matrix64 {
  const { rows: n, cols: d, data } = m
  const out = new Float64Array(n * d)
  for (let i = 0; i < n; i++) {
    const o = i * d
    let s = 0
    for (let j = 0; j < d; j++) s += data[o + j] * data[o + j]
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0
    for (let j = 0; j < d; j++) out[o + j] = data[o + j] * inv
  }
  return { data: out, rows: n, cols: d }
}

/**
 * out[i·bRows + j] = Σ_t a[i·k + t] · b[j·k + t]. Two rows of A against four of B per inner loop
 * keep twelve values in registers, which is roughly twice as fast as plain dot products in V8.
 * With lowerOnly (A and B the same matrix) only j ≤ i + 1 is computed; the caller mirrors.
 */
function abtKernel(
  a: Float64Array,
  aRows: number,
  b: Float64Array,
  bRows: number,
  k: number,
  out: Float64Array,
  lowerOnly: boolean,
): void {
  let i = 0
  for (; i + 1 < aRows; i += 2) {
    const a0 = i * k
    const a1 = a0 + k
    const o0 = i * bRows
    const o1 = o0 + bRows
    const jEnd = lowerOnly ? Math.min(i + 2, bRows) : bRows
    let j = 0
    for (; j + 3 < jEnd; j += 4) {
      const b0 = j * k
      const b1 = b0 + k
      const b2 = b1 + k
      const b3 = b2 + k
      let s00 = 0
      let s01 = 0
      let s02 = 0
      let s03 = 0
      let s10 = 0
      let s11 = 0
      let s12 = 0
      let s13 = 0
      for (let t = 0; t < k; t++) {
        const x0 = a[a0 + t]
        const x1 = a[a1 + t]
        const y0 = b[b0 + t]
        const y1 = b[b1 + t]
        const y2 = b[b2 + t]
        const y3 = b[b3 + t]
        s00 += x0 * y0
        s01 += x0 * y1
        s02 += x0 * y2
        s03 += x0 * y3
        s10 += x1 * y0
        s11 += x1 * y1
        s12 += x1 * y2
        s13 += x1 * y3
      }
      out[o0 + j] = s00
      out[o0 + j + 1] = s01
      out[o0 + j + 2] = s02
      out[o0 + j + 3] = s03
      out[o1 + j] = s10
      out[o1 + j + 1] = s11
      out[o1 + j + 2] = s12
      out[o1 + j + 3] = s13
    }
    for (; j < jEnd; j++) {
      const b0 = j * k
      let s0 = 0
      let s1 = 0
      let u0 = 0
      let u1 = 0
      let t = 0
      for (; t + 1 < k; t += 2) {
        const y = b[b0 + t]
        const z = b[b0 + t + 1]
        s0 += a[a0 + t] * y
        s1 += a[a1 + t] * y
        u0 += a[a0 + t + 1] * z
        u1 += a[a1 + t + 1] * z
      }
      if (t < k) {
        const y = b[b0 + t]
        s0 += a[a0 + t] * y
        s1 += a[a1 + t] * y
      }
      out[o0 + j] = s0 + u0
      out[o1 + j] = s1 + u1
    }
  }
  if (i < aRows) {
    // Last odd row of A: one row against four of B.
    const a0 = i * k
    const o0 = i * bRows
    const jEnd = lowerOnly ? Math.min(i + 1, bRows) : bRows
    let j = 0
    for (; j + 3 < jEnd; j += 4) {
      const b0 = j * k
      const b1 = b0 + k
      const b2 = b1 + k
      const b3 = b2 + k
      let s0 = 0
      let s1 = 0
      let s2 = 0
      let s3 = 0
      for (let t = 0; t < k; t++) {
        const x = a[a0 + t]
        s0 += x * b[b0 + t]
        s1 += x * b[b1 + t]
        s2 += x * b[b2 + t]
        s3 += x * b[b3 + t]
      }
      out[o0 + j] = s0
      out[o0 + j + 1] = s1
      out[o0 + j + 2] = s2
      out[o0 + j + 3] = s3
    }
    for (; j < jEnd; j++) out[o0 + j] = dotAt(a, a0, b, j * k, k)
  }
}

/** A·Bᵀ for A (n×k) and B (m×k): the product of rows with rows. */
export function multiplyABt(A: Matrix, B: Matrix): Matrix64 {
  if (A.cols !== B.cols) throw new Error(`multiplyABt: inner dimensions differ (${A.cols} vs ${B.cols})`)
  const a = toFloat64(A)
  const b = A === B ? a : toFloat64(B)
  const out = new Float64Array(A.rows * B.rows)
  abtKernel(a.data, A.rows, b.data, B.rows, A.cols, out, false)
  return { data: out, rows: A.rows, cols: B.rows }
}

/** multiplyABt into a caller-owned buffer of length A.rows × B.rows (for hot loops). */
export function multiplyABtInto(A: Matrix64, B: Matrix64, out: Float64Array): void {
  if (A.cols !== B.cols) throw new Error(`multiplyABt: inner dimensions differ (${A.cols} vs ${B.cols})`)
  if (out.length !== A.rows * B.rows) {
    throw new Error(`multiplyABtInto: out has ${out.length} values, expected ${A.rows * B.rows}`)
  }
  abtKernel(A.data, A.rows, B.data, B.rows, A.cols, out, false)
}

/** A·B for A (n×k) and B (k×m). */
export function multiply(A: Matrix, B: Matrix): Matrix64 {
  if (A.cols !== B.rows) throw new Error(`multiply: inner dimensions differ (${A.cols} vs ${B.rows})`)
  return multiplyABt(A, transpose(B))
}

/** Gram matrix A·Aᵀ (n×n), computing each symmetric pair once. */
export function gram(A: Matrix): Matrix64 {
  const a = toFloat64(A)
  const n = A.rows
  const out = new Float64Array(n * n)
  abtKernel(a.data, n, a.data, n, A.cols, out, true)
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[i * n + j] = out[j * n + i]
  return { data: out, rows: n, cols: n }
}

/**
 * Cholesky factor L (lower, row-major n×n) of a symmetric positive definite matrix.
 * Throws when a pivot is not positive (matrix singular or indefinite).
 */
export function cholesky(a: ArrayLike<number>, n: number): Float64Array {
  if (a.length !== n * n) throw new Error(`cholesky: expected ${n}×${n} = ${n * n} values, got ${a.length}`)
  const L = new Float64Array(n * n)
  for (let j = 0; j < n; j++) {
    const oj = j * n
    const s = a[oj + j] - dotAt(L, oj, L, oj, j)
    if (!(s > 0)) throw new Error(`cholesky: matrix is not positive definite (pivot ${j} = ${s})`)
    const ljj = Math.sqrt(s)
    L[oj + j] = ljj
    for (let i = j + 1; i < n; i++) {
      const oi = i * n
      L[oi + j] = (a[oi + j] - dotAt(L, oi, L, oj, j)) / ljj
    }
  }
  return L
}

/** Solves (L·Lᵀ)·X = B for B with n rows and m columns (row-major); returns X. */
export function choleskySolve(L: Float64Array, n: number, B: ArrayLike<number>, m: number): Float64Array {
  if (B.length !== n * m) throw new Error(`choleskySolve: right-hand side has ${B.length} values, expected ${n * m}`)
  // One right-hand side at a time, so both sweeps are contiguous dot products (Lᵀ gives the rows
  // of the backward sweep).
  const Lt = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let t = 0; t <= i; t++) Lt[t * n + i] = L[i * n + t]
  const z = new Float64Array(n)
  const X = new Float64Array(n * m)
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) z[i] = (B[i * m + c] - dotAt(L, i * n, z, 0, i)) / L[i * n + i]
    for (let i = n - 1; i >= 0; i--) {
      z[i] = (z[i] - dotAt(Lt, i * n + i + 1, z, i + 1, n - i - 1)) / L[i * n + i]
    }
    for (let i = 0; i < n; i++) X[i * m + c] = z[i]
  }
  return X
}

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array
  /** n×n row-major; row r is the unit eigenvector of values[r]. */
  vectors: Float64Array
}

function checkSquare(a: ArrayLike<number>, n: number, where: string): void {
  if (a.length !== n * n) throw new Error(`${where}: expected ${n}×${n} = ${n * n} values, got ${a.length}`)
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new Error(`${where}: entry (${Math.floor(i / n)}, ${i % n}) is ${a[i]}`)
  }
}

/** Sorts eigenpairs (vectors as columns of V) largest first and returns vectors as rows. */
function sortedEigen(values: Float64Array, V: Float64Array, n: number): SymmetricEigen {
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => values[j] - values[i] || i - j)
  const sortedValues = new Float64Array(n)
  const vectors = new Float64Array(n * n)
  for (let r = 0; r < n; r++) {
    const c = order[r]
    sortedValues[r] = values[c]
    for (let i = 0; i < n; i++) vectors[r * n + i] = V[i * n + c]
  }
  return { values: sortedValues, vectors }
}

/**
 * Eigen-decomposition of a symmetric matrix: Householder reduction to tridiagonal form and the
 * implicit QL algorithm (tred2/tql2 of EISPACK, as in JAMA). O(n³) with a small constant.
 */
export function symmetricEigen(a: ArrayLike<number>, n: number): SymmetricEigen {
  checkSquare(a, n, 'symmetricEigen')
  if (n === 0) return { values: new Float64Array(0), vectors: new Float64Array(0) }
  const V = Float64Array.from(a)
  const d = new Float64Array(n)
  const e = new Float64Array(n)
  tred2(V, d, e, n)
  tql2(V, d, e, n)
  return sortedEigen(d, V, n)
}

function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j]
  for (let i = n - 1; i > 0; i--) {
    let scale = 0
    let h = 0
    for (let k = 0; k < i; k++) scale += Math.abs(d[k])
    if (scale === 0) {
      e[i] = d[i - 1]
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j]
        V[i * n + j] = 0
        V[j * n + i] = 0
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale
        h += d[k] * d[k]
      }
      let f = d[i - 1]
      let g = Math.sqrt(h)
      if (f > 0) g = -g
      e[i] = scale * g
      h -= f * g
      d[i - 1] = f - g
      for (let j = 0; j < i; j++) e[j] = 0
      for (let j = 0; j < i; j++) {
        f = d[j]
        V[j * n + i] = f
        g = e[j] + V[j * n + j] * f
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k]
          e[k] += V[k * n + j] * f
        }
        e[j] = g
      }
      f = 0
      for (let j = 0; j < i; j++) {
        e[j] /= h
        f += e[j] * d[j]
      }
      const hh = f / (h + h)
      for (let j = 0; j < i; j++) e[j] -= hh * d[j]
      for (let j = 0; j < i; j++) {
        f = d[j]
        g = e[j]
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k]
        d[j] = V[(i - 1) * n + j]
        V[i * n + j] = 0
      }
    }
    d[i] = h
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i]
    V[i * n + i] = 1
    const h = d[i + 1]
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h
      for (let j = 0; j <= i; j++) {
        let g = 0
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j]
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k]
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j]
    V[(n - 1) * n + j] = 0
  }
  V[(n - 1) * n + n - 1] = 1
  e[0] = 0
}

function tql2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]
  e[n - 1] = 0
  let f = 0
  let tst1 = 0
  const eps = 2 ** -52
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]))
    let m = l
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++
    if (m > l) {
      let iter = 0
      do {
        if (++iter > 60) throw new Error(`symmetricEigen: QL iteration did not converge for eigenvalue ${l}`)
        let g = d[l]
        let p = (d[l + 1] - g) / (2 * e[l])
        let r = Math.hypot(p, 1)
        if (p < 0) r = -r
        d[l] = e[l] / (p + r)
        d[l + 1] = e[l] * (p + r)
        const dl1 = d[l + 1]
        let h = g - d[l]
        for (let i = l + 2; i < n; i++) d[i] -= h
        f += h
        p = d[m]
        let c = 1
        let c2 = c
        let c3 = c
        const el1 = e[l + 1]
        let s = 0
        let s2 = 0
        for (let i = m - 1; i >= l; i--) {
          c3 = c2
          c2 = c
          s2 = s
          g = c * e[i]
          h = c * p
          r = Math.hypot(p, e[i])
          e[i + 1] = s * r
          s = e[i] / r
          c = p / r
          p = c * d[i] - s * g
          d[i + 1] = h + s * (c * g + s * d[i])
          for (let k = 0; k < n; k++) {
            const o = k * n
            h = V[o + i + 1]
            V[o + i + 1] = s * V[o + i] + c * h
            V[o + i] = c * V[o + i] - s * h
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1
        e[l] = s * p
        d[l] = c * p
      } while (Math.abs(e[l]) > eps * tst1)
    }
    d[l] += f
    e[l] = 0
  }
}

/**
 * Eigen-decomposition by cyclic Jacobi rotations: slower than symmetricEigen but a wholly
 * different algorithm, kept as an independent check and for tiny matrices.
 */
export function jacobiEigen(a: ArrayLike<number>, n: number, maxSweeps = 100): SymmetricEigen {
  checkSquare(a, n, 'jacobiEigen')
  const A = Float64Array.from(a)
  // V holds eigenvectors as columns while rotating.
  const V = new Float64Array(n * n)
  for (let i = 0; i < n; i++) V[i * n + i] = 1
  let total = 0
  for (let i = 0; i < n * n; i++) total += A[i] * A[i]
  const tol = 1e-30 * Math.max(total, Number.MIN_VALUE)
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q] * A[p * n + q]
    if (off <= tol) break
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]
        if (apq === 0) continue
        const app = A[p * n + p]
        const aqq = A[q * n + q]
        const theta = (aqq - app) / (2 * apq)
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        for (let r = 0; r < n; r++) {
          const o = r * n
          const arp = A[o + p]
          const arq = A[o + q]
          A[o + p] = c * arp - s * arq
          A[o + q] = s * arp + c * arq
        }
        const op = p * n
        const oq = q * n
        for (let r = 0; r < n; r++) {
          const apr = A[op + r]
          const aqr = A[oq + r]
          A[op + r] = c * apr - s * aqr
          A[oq + r] = s * apr + c * aqr
        }
        A[op + q] = 0
        A[oq + p] = 0
        for (let r = 0; r < n; r++) {
          const o = r * n
          const vrp = V[o + p]
          const vrq = V[o + q]
          V[o + p] = c * vrp - s * vrq
          V[o + q] = s * vrp + c * vrq
        }
      }
    }
  }
  const values = new Float64Array(n)
  for (let i = 0; i < n; i++) values[i] = A[i * n + i]
  return sortedEigen(values, V, n)
}

/**
 * Orthonormalizes the rows of m in place (classical Gram–Schmidt applied twice, which is as stable
 * as modified Gram–Schmidt with re-orthogonalization). Rows that become numerically dependent are
 * set to zero. Returns the number of non-zero rows.
 */
export function orthonormalizeRows(m: Matrix64): number {
  const { rows: r, cols: d, data } = m
  let rank = 0
  for (let i = 0; i < r; i++) {
    const oi = i * d
    const original = dotAt(data, oi, data, oi, d)
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        const oj = j * d
        const s = dotAt(data, oi, data, oj, d)
        if (s === 0) continue
        for (let t = 0; t < d; t++) data[oi + t] -= s * data[oj + t]
      }
    }
    const s = dotAt(data, oi, data, oi, d)
    if (s === 0 || s <= 1e-24 * original) {
      data.fill(0, oi, oi + d)
      continue
    }
    const inv = 1 / Math.sqrt(s)
    for (let t = 0; t < d; t++) data[oi + t] *= inv
    rank++
  }
  return rank
}
