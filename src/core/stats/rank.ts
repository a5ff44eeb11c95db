// Sorting and ranking. Spearman and RSA rank up to ~500k values per layer (the upper triangle of
// a 1,000-item RDM), so large inputs go through an exact LSD radix sort on the float64 bits.

const RADIX_THRESHOLD = 4096

/** True when the platform stores float64 low word first (every browser/Node target in practice). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

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
  return radixArgsort(values)
}

function radixArgsort(values: ArrayLike<number>): Uint32Array {
  const n = values.length
  const f = Float64Array.from(values)
  const words = new Uint32Array(f.buffer)
  const lo = new Uint32Array(n)
  const hi = new Uint32Array(n)
  const loOff = LITTLE_ENDIAN ? 0 : 1
  const hiOff = 1 - loOff
  for (let i = 0; i < n; i++) {
    let h = words[2 * i + hiOff]
    let l = words[2 * i + loOff]
    // Map IEEE order onto unsigned order: negatives flip every bit, non-negatives flip the sign.
    if (h & 0x80000000) {
      h = ~h >>> 0
      l = ~l >>> 0
    } else {
      h = (h | 0x80000000) >>> 0
    }
    hi[i] = h
    lo[i] = l
  }
  let idx = new Uint32Array(n)
  let tmp = new Uint32Array(n)
  for (let i = 0; i < n; i++) idx[i] = i
  const count = new Uint32Array(65536)
  const passes: [Uint32Array, number][] = [
    [lo, 0],
    [lo, 16],
    [hi, 0],
    [hi, 16],
  ]
  for (const [key, shift] of passes) {
    count.fill(0)
    for (let i = 0; i < n; i++) count[(key[i] >>> shift) & 0xffff]++
    // A digit shared by every value does not reorder anything.
    if (count[(key[0] >>> shift) & 0xffff] === n) continue
    let sum = 0
    for (let b = 0; b < 65536; b++) {
      const c = count[b]
      count[b] = sum
      sum += c
    }
    for (let r = 0; r < n; r++) {
      const i = idx[r]
      tmp[count[(key[i] >>> shift) & 0xffff]++] = i
    }
    const t = idx
    idx = tmp
    tmp = t
  }
  return idx
}

/** 1-based ranks with ties given the average of the ranks they span (as scipy.stats.rankdata). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length
  const order = argsort(values)
  const ranks = new Float64Array(n)
  let start = 0
  while (start < n) {
    let end = start + 1
    const v = values[order[start]]
    while (end < n && values[order[end]] === v) end++
    // Positions start..end-1 hold ranks start+1..end.
    const r = (start + 1 + end) / 2
    for (let t = start; t < end; t++) ranks[order[t]] = r
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
