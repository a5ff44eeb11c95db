// Sorting and ranking. Spearman and RSA rank up to ~500k values per layer (the upper triangle of
// a 1,000-item RDM), so large inputs go through a radix sort that is still exact in float64.

const RADIX_THRESHOLD = 4096

function assertNoNaN(values: ArrayLike<number>, where: string): void {
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) throw new Error(`${where}: value ${i} is NaN; ranks need comparable numbers`)
  }
}

/** Indices that sort values ascending; ties keep input order (stable). Rejects NaN. */
export function argsort(values: ArrayLike<number>): Uint32Array {
  const n = values.length
  assertNoNaN(values, 'argsort')
  if (n < RADIX_THRESHOLD) {
    const idx = new Uint32Array(n)
    for (let i = 0; i < n; i++) idx[i] = i
    idx.sort((a, b) => values[a] - values[b] || a - b)
    return idx
  }
  return radixArgsort(values).order
}

/**
 * LSD radix sort (3 × 11 bits) on float32 keys, which order the values up to rounding because
 * Math.fround is monotone; runs that share a float32 key are then put in exact float64 order.
 */
function radixArgsort(values: ArrayLike<number>): { order: Uint32Array; sortedKeys: Uint32Array } {
  const n = values.length
  const f32 = new Float32Array(n)
  // + 0 turns −0 into +0 so that equal values always share a key.
  for (let i = 0; i < n; i++) f32[i] = values[i] + 0
  const bits = new Uint32Array(f32.buffer)
  let key = new Uint32Array(n)
  let keyTmp = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    const h = bits[i]
    // IEEE order onto unsigned order: negatives flip every bit, non-negatives flip the sign bit.
    key[i] = h & 0x80000000 ? ~h >>> 0 : (h | 0x80000000) >>> 0
  }
  let idx = new Uint32Array(n)
  let idxTmp = new Uint32Array(n)
  for (let i = 0; i < n; i++) idx[i] = i
  const count = new Uint32Array(2048)
  for (const shift of [0, 11, 22]) {
    count.fill(0)
    for (let i = 0; i < n; i++) count[(key[i] >>> shift) & 2047]++
    // A digit shared by every value does not reorder anything.
    if (count[(key[0] >>> shift) & 2047] === n) continue
    let sum = 0
    for (let b = 0; b < 2048; b++) {
      const c = count[b]
      count[b] = sum
      sum += c
    }
    for (let r = 0; r < n; r++) {
      const k = key[r]
      const pos = count[(k >>> shift) & 2047]++
      idxTmp[pos] = idx[r]
      keyTmp[pos] = k
    }
    let t = idx
    idx = idxTmp
    idxTmp = t
    t = key
    key = keyTmp
    keyTmp = t
  }
  let start = 0
  while (start < n) {
    let end = start + 1
    while (end < n && key[end] === key[start]) end++
    if (end - start > 1) orderRun(idx, start, end, values)
    start = end
  }
  return { order: idx, sortedKeys: key }
}

/** Stable exact ordering of idx[start..end) by value: insertion sort, or a merge sort for long runs. */
function orderRun(idx: Uint32Array, start: number, end: number, values: ArrayLike<number>): void {
  if (end - start > 32) {
    const run = Array.from(idx.subarray(start, end)).sort((a, b) => values[a] - values[b] || a - b)
    idx.set(run, start)
    return
  }
  for (let a = start + 1; a < end; a++) {
    const x = idx[a]
    const v = values[x]
    let b = a - 1
    while (b >= start && values[idx[b]] > v) {
      idx[b + 1] = idx[b]
      b--
    }
    idx[b + 1] = x
  }
}

/** 1-based ranks with ties given the average of the ranks they span (as scipy.stats.rankdata). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length
  assertNoNaN(values, 'averageRanks')
  let order: Uint32Array
  // Equal values have equal float32 keys, so a key change proves a new tie group without reading values.
  let keys: Uint32Array | undefined
  if (n < RADIX_THRESHOLD) order = argsort(values)
  else ({ order, sortedKeys: keys } = radixArgsort(values))
  const ranks = new Float64Array(n)
  let start = 0
  while (start < n) {
    let end = start + 1
    if (keys) while (end < n && keys[end] === keys[start]) end++
    else while (end < n && values[order[end]] === values[order[start]]) end++
    // A float32 key run can still hold several distinct float64 values: split it into tie groups.
    let g = start
    while (g < end) {
      let h = g + 1
      if (keys) while (h < end && values[order[h]] === values[order[g]]) h++
      else h = end
      // Positions g..h-1 hold ranks g+1..h.
      const r = (g + 1 + h) / 2
      for (let t = g; t < h; t++) ranks[order[t]] = r
      g = h
    }
    start = end
  }
  return ranks
}

/** Quantile with linear interpolation between order statistics (numpy's default) of sorted data. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length
  if (n === 0) return NaN
  const pos = Math.min(Math.max(q, 0), 1) * (n - 1)
  const lo = Math.floor(pos)
  const hi = Math.min(lo + 1, n - 1)
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo])
}
