// CPU kernels that exploit TopK sparsity. Only the encoder's forward product is dense; decode,
// its backward and the encoder-weight gradient touch the active latents only. Scalar JS spends
// most of its time loading and storing the row being accumulated, so each sparse loop combines
// four rows per pass: decode runs token-major (four decoder rows into one output row), the
// backward kernels latent-major (four tokens into one weight-gradient row, which also loads each
// weight row once per step while the [batch, d_in] activations stay in cache).
import type { AdamStep, EncodeTopK, MatmulNT, SaeKernels } from './kernels.ts'

export interface CpuKernelOptions {
  /** Replaces the built-in JS product in `encode` (e.g. onnxruntime-web's Gemm, see ortMatmul.ts). */
  matmul?: MatmulNT
  /** Provides the fused encode + top k (e.g. one onnxruntime graph, see ortMatmul.ts). */
  encodeTopK?: EncodeTopK
  /** When set, the built-in product yields to the event loop at least this often (ms). */
  yieldEveryMs?: number
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

/**
 * out[m, n] = a[m, k] · b[n, k]ᵀ + bias[n] for output columns [colStart, colEnd), register-blocked
 * 3×3 over rows of a and b (both contiguous along k) and tiled over b so a tile of b stays in
 * L1/L2 across all rows of a.
 */
export function matmulNT(
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array | null,
  out: Float32Array,
  m: number,
  k: number,
  n: number,
  colStart = 0,
  colEnd = n,
): void {
  const TILE = Math.max(3, Math.floor(16384 / Math.max(1, k)) * 3)
  for (let j0 = colStart; j0 < colEnd; j0 += TILE) {
    const j1 = Math.min(colEnd, j0 + TILE)
    let t = 0
    for (; t + 3 <= m; t += 3) {
      const x0 = t * k
      const x1 = x0 + k
      const x2 = x1 + k
      const o0 = t * n
      const o1 = o0 + n
      const o2 = o1 + n
      let j = j0
      for (; j + 3 <= j1; j += 3) {
        const w0 = j * k
        const w1 = w0 + k
        const w2 = w1 + k
        let a00 = 0, a01 = 0, a02 = 0, a10 = 0, a11 = 0, a12 = 0, a20 = 0, a21 = 0, a22 = 0
        for (let d = 0; d < k; d++) {
          const u = b[w0 + d]
          const v = b[w1 + d]
          const w = b[w2 + d]
          const p = a[x0 + d]
          const q = a[x1 + d]
          const r = a[x2 + d]
          a00 += p * u
          a01 += p * v
          a02 += p * w
          a10 += q * u
          a11 += q * v
          a12 += q * w
          a20 += r * u
          a21 += r * v
          a22 += r * w
        }
        const c0 = bias ? bias[j] : 0
        const c1 = bias ? bias[j + 1] : 0
        const c2 = bias ? bias[j + 2] : 0
        out[o0 + j] = a00 + c0
        out[o0 + j + 1] = a01 + c1
        out[o0 + j + 2] = a02 + c2
        out[o1 + j] = a10 + c0
        out[o1 + j + 1] = a11 + c1
        out[o1 + j + 2] = a12 + c2
        out[o2 + j] = a20 + c0
        out[o2 + j + 1] = a21 + c1
        out[o2 + j + 2] = a22 + c2
      }
      for (; j < j1; j++) {
        const w0 = j * k
        let s0 = 0, s1 = 0, s2 = 0
        for (let d = 0; d < k; d++) {
          const u = b[w0 + d]
          s0 += a[x0 + d] * u
          s1 += a[x1 + d] * u
          s2 += a[x2 + d] * u
        }
        const c = bias ? bias[j] : 0
        out[o0 + j] = s0 + c
        out[o1 + j] = s1 + c
        out[o2 + j] = s2 + c
      }
    }
    for (; t < m; t++) {
      const x0 = t * k
      for (let j = j0; j < j1; j++) {
        const w0 = j * k
        let s = 0
        for (let d = 0; d < k; d++) s += a[x0 + d] * b[w0 + d]
        out[t * n + j] = s + (bias ? bias[j] : 0)
      }
    }
  }
}

/** Column-compressed view of a sparse code: for each latent, the entries (token, slot) that use it. */
class LatentMajor {
  offsets = new Int32Array(1)
  tokens = new Int32Array(0)
  slots = new Int32Array(0)
  private fill = new Int32Array(0)

  build(idx: Int32Array | null, val: Float32Array, width: number, rows: number, dSae: number, skipZeros: boolean): void {
    if (this.offsets.length < dSae + 1) {
      this.offsets = new Int32Array(dSae + 1)
      this.fill = new Int32Array(dSae)
    }
    const n = rows * width
    if (this.tokens.length < n) {
      this.tokens = new Int32Array(n)
      this.slots = new Int32Array(n)
    }
    const off = this.offsets
    off.fill(0, 0, dSae + 1)
    for (let p = 0; p < n; p++) {
      if (skipZeros && val[p] === 0) continue
      off[(idx ? idx[p] : p % width) + 1]++
    }
    for (let i = 0; i < dSae; i++) off[i + 1] += off[i]
    const fill = this.fill
    fill.set(off.subarray(0, dSae))
    for (let t = 0; t < rows; t++) {
      const base = t * width
      for (let j = 0; j < width; j++) {
        const p = base + j
        if (skipZeros && val[p] === 0) continue
        const q = fill[idx ? idx[p] : j]++
        this.tokens[q] = t
        this.slots[q] = p
      }
    }
  }
}

/** Min-heap top-k selection of one row; ties keep the lower index. */
class TopKSelector {
  private hv = new Float64Array(0)
  private hi = new Int32Array(0)
  private size = 0
  private k = 0

  /** Candidates are src[offset + i] for i in [0, n), or for i in candidates[0..n) when given. */
  select(src: Float32Array, offset: number, candidates: Int32Array | null, n: number, k: number, idx: Int32Array, val: Float32Array, out: number, relu: boolean): void {
    if (this.hv.length < k) {
      this.hv = new Float64Array(k)
      this.hi = new Int32Array(k)
    }
    this.size = 0
    this.k = k
    const hv = this.hv
    let c = 0
    // fill the heap, then only values beating the current k-th largest need heap work
    if (candidates) {
      for (; c < n && this.size < k; c++) this.push(src[offset + candidates[c]], candidates[c])
      for (; c < n; c++) {
        const i = candidates[c]
        const v = src[offset + i]
        if (v > hv[0]) this.replaceRoot(v, i)
      }
    } else {
      for (; c < n && this.size < k; c++) this.push(src[offset + c], c)
      let threshold = hv[0]
      for (; c < n; c++) {
        const v = src[offset + c]
        if (v > threshold) {
          this.replaceRoot(v, c)
          threshold = hv[0]
        }
      }
    }
    for (let j = 0; j < k; j++) {
      idx[out + j] = this.hi[j]
      val[out + j] = relu && hv[j] < 0 ? 0 : hv[j]
    }
  }

  private push(v: number, i: number): void {
    const hv = this.hv
    const hi = this.hi
    let pos = this.size++
    while (pos > 0) {
      const parent = (pos - 1) >> 1
      if (hv[parent] < v || (hv[parent] === v && hi[parent] > i)) break
      hv[pos] = hv[parent]
      hi[pos] = hi[parent]
      pos = parent
    }
    hv[pos] = v
    hi[pos] = i
  }

  /** Replaces the root (the worst kept entry: smallest value, then largest index) and sifts down. */
  private replaceRoot(v: number, i: number): void {
    const hv = this.hv
    const hi = this.hi
    const k = this.k
    let pos = 0
    for (;;) {
      const l = 2 * pos + 1
      if (l >= k) break
      const r = l + 1
      let w = l
      if (r < k && (hv[r] < hv[l] || (hv[r] === hv[l] && hi[r] > hi[l]))) w = r
      if (v < hv[w] || (v === hv[w] && i > hi[w])) break
      hv[pos] = hv[w]
      hi[pos] = hi[w]
      pos = w
    }
    hv[pos] = v
    hi[pos] = i
  }
}

export function createCpuKernels(options: CpuKernelOptions = {}): SaeKernels<Float32Array, Int32Array> {
  const csc = new LatentMajor()
  const selector = new TopKSelector()
  let deadList = new Int32Array(0)
  let norms = new Float64Array(0)
  let rowIdx = new Int32Array(0)
  let rowVal = new Float64Array(0)

  return {
    name: options.encodeTopK ? 'cpu-sparse+injected-encode-topk' : options.matmul ? 'cpu-sparse+injected-matmul' : 'cpu-sparse',
    ...(options.encodeTopK ? { encodeTopK: options.encodeTopK } : {}),
    alloc: (n) => new Float32Array(n),
    allocIndex: (n) => new Int32Array(n),
    adopt: (src) => src,
    write: (dst, src, offset = 0) => {
      dst.set(src, offset)
    },
    read: (src, length = src.length) => src.subarray(0, length),
    readIndex: (src, length = src.length) => src.subarray(0, length),
    fill: (dst, value, length = dst.length) => {
      dst.fill(value, 0, length)
    },

    center(x, bDec, xc, rows, dIn) {
      for (let t = 0; t < rows; t++) {
        const o = t * dIn
        for (let d = 0; d < dIn; d++) xc[o + d] = x[o + d] - bDec[d]
      }
    },

    async encode(xc, encoder, bEnc, pre, rows, dIn, dSae) {
      if (options.matmul) return options.matmul(xc, encoder, bEnc, pre, rows, dIn, dSae)
      if (!options.yieldEveryMs) return matmulNT(xc, encoder, bEnc, pre, rows, dIn, dSae)
      // column blocks of ~2^27 multiply-adds (tens of ms), yielding in between when due
      const block = Math.max(3, Math.floor(2 ** 27 / Math.max(1, rows * dIn) / 3) * 3)
      let last = Date.now()
      for (let j = 0; j < dSae; j += block) {
        matmulNT(xc, encoder, bEnc, pre, rows, dIn, dSae, j, Math.min(dSae, j + block))
        if (Date.now() - last >= options.yieldEveryMs) {
          await yieldToEventLoop()
          last = Date.now()
        }
      }
    },

    topK(pre, rows, dSae, k, idx, val) {
      for (let t = 0; t < rows; t++) selector.select(pre, t * dSae, null, dSae, k, idx, val, t * k, true)
    },

    deadTopK(pre, dead, rows, dSae, kAux, idx, val) {
      if (deadList.length < dSae) deadList = new Int32Array(dSae)
      let nDead = 0
      for (let i = 0; i < dSae; i++) if (dead[i] !== 0) deadList[nDead++] = i
      if (nDead < kAux) throw new Error(`deadTopK: only ${nDead} dead latents for kAux=${kAux}`)
      for (let t = 0; t < rows; t++) selector.select(pre, t * dSae, deadList, nDead, kAux, idx, val, t * kAux, false)
    },

    relu(pre, val, length) {
      for (let i = 0; i < length; i++) {
        const v = pre[i]
        val[i] = v > 0 ? v : 0
      }
    },

    decode(idx, val, width, decoder, bDec, out, rows, dIn) {
      if (rowIdx.length < width) {
        rowIdx = new Int32Array(width)
        rowVal = new Float64Array(width)
      }
      for (let t = 0; t < rows; t++) {
        const o = t * dIn
        if (bDec) out.set(bDec.subarray(0, dIn), o)
        else out.fill(0, o, o + dIn)
        let n = 0
        for (let j = 0; j < width; j++) {
          const v = val[t * width + j]
          if (v === 0) continue
          rowIdx[n] = (idx ? idx[t * width + j] : j) * dIn
          rowVal[n++] = v
        }
        // four decoder rows per pass over the output row
        let j = 0
        for (; j + 4 <= n; j += 4) {
          const w0 = rowIdx[j]
          const w1 = rowIdx[j + 1]
          const w2 = rowIdx[j + 2]
          const w3 = rowIdx[j + 3]
          const v0 = rowVal[j]
          const v1 = rowVal[j + 1]
          const v2 = rowVal[j + 2]
          const v3 = rowVal[j + 3]
          for (let d = 0; d < dIn; d++)
            out[o + d] += v0 * decoder[w0 + d] + v1 * decoder[w1 + d] + v2 * decoder[w2 + d] + v3 * decoder[w3 + d]
        }
        for (; j < n; j++) {
          const w = rowIdx[j]
          const v = rowVal[j]
          for (let d = 0; d < dIn; d++) out[o + d] += v * decoder[w + d]
        }
      }
    },

    errorGrad(a, b, c, coef, out, rowSq, rows, dIn) {
      for (let t = 0; t < rows; t++) {
        const o = t * dIn
        let sq = 0
        if (c) {
          for (let d = 0; d < dIn; d++) {
            const diff = a[o + d] - b[o + d] + c[o + d]
            out[o + d] = coef * diff
            sq += diff * diff
          }
        } else {
          for (let d = 0; d < dIn; d++) {
            const diff = a[o + d] - b[o + d]
            out[o + d] = coef * diff
            sq += diff * diff
          }
        }
        if (rowSq) rowSq[t] = sq
      }
    },

    decodeBackward(idx, val, width, err, decoder, gDec, gVal, gate, rows, dIn) {
      const dSae = decoder.length / dIn
      gVal.fill(0, 0, rows * width)
      csc.build(idx, val, width, rows, dSae, gate)
      const { offsets, tokens, slots } = csc
      for (let i = 0; i < dSae; i++) {
        const p1 = offsets[i + 1]
        const w = i * dIn
        let p = offsets[i]
        // four tokens per pass over the decoder row and its gradient
        for (; p + 4 <= p1; p += 4) {
          const s0 = slots[p]
          const s1 = slots[p + 1]
          const s2 = slots[p + 2]
          const s3 = slots[p + 3]
          const v0 = val[s0]
          const v1 = val[s1]
          const v2 = val[s2]
          const v3 = val[s3]
          const e0 = tokens[p] * dIn
          const e1 = tokens[p + 1] * dIn
          const e2 = tokens[p + 2] * dIn
          const e3 = tokens[p + 3] * dIn
          let dot0 = 0
          let dot1 = 0
          let dot2 = 0
          let dot3 = 0
          for (let d = 0; d < dIn; d++) {
            const r = decoder[w + d]
            const a0 = err[e0 + d]
            const a1 = err[e1 + d]
            const a2 = err[e2 + d]
            const a3 = err[e3 + d]
            dot0 += r * a0
            dot1 += r * a1
            dot2 += r * a2
            dot3 += r * a3
            gDec[w + d] += v0 * a0 + v1 * a1 + v2 * a2 + v3 * a3
          }
          gVal[s0] = gate && v0 <= 0 ? 0 : dot0
          gVal[s1] = gate && v1 <= 0 ? 0 : dot1
          gVal[s2] = gate && v2 <= 0 ? 0 : dot2
          gVal[s3] = gate && v3 <= 0 ? 0 : dot3
        }
        for (; p < p1; p++) {
          const slot = slots[p]
          const v = val[slot]
          const e = tokens[p] * dIn
          let dot = 0
          for (let d = 0; d < dIn; d++) {
            const ed = err[e + d]
            dot += decoder[w + d] * ed
            gDec[w + d] += v * ed
          }
          gVal[slot] = gate && v <= 0 ? 0 : dot
        }
      }
    },

    l1Backward(idx, val, width, decoder, coef, gVal, gDec, rowL1, rows, dIn, dSae) {
      if (norms.length < 2 * dSae) norms = new Float64Array(2 * dSae)
      for (let i = 0; i < dSae; i++) {
        let s = 0
        const w = i * dIn
        for (let d = 0; d < dIn; d++) s += decoder[w + d] * decoder[w + d]
        norms[i] = Math.sqrt(s)
        norms[dSae + i] = 0
      }
      for (let t = 0; t < rows; t++) {
        let s = 0
        for (let j = 0; j < width; j++) {
          const p = t * width + j
          const v = val[p]
          if (v === 0) continue
          const i = idx ? idx[p] : j
          s += v * norms[i]
          norms[dSae + i] += v
          if (v > 0) gVal[p] += coef * norms[i]
        }
        rowL1[t] = s
      }
      for (let i = 0; i < dSae; i++) {
        const zs = norms[dSae + i]
        if (zs === 0 || norms[i] === 0) continue
        const f = (coef * zs) / norms[i]
        const w = i * dIn
        for (let d = 0; d < dIn; d++) gDec[w + d] += f * decoder[w + d]
      }
    },

    encodeBackward(idx, gPre, width, xc, encoder, gEncoder, gBEnc, gBDec, rows, dIn) {
      const dSae = encoder.length / dIn
      csc.build(idx, gPre, width, rows, dSae, true)
      const { offsets, tokens, slots } = csc
      for (let i = 0; i < dSae; i++) {
        const p0 = offsets[i]
        const p1 = offsets[i + 1]
        if (p0 === p1) continue
        const w = i * dIn
        let gs = 0
        let p = p0
        // four tokens per pass over the encoder-gradient row
        for (; p + 4 <= p1; p += 4) {
          const g0 = gPre[slots[p]]
          const g1 = gPre[slots[p + 1]]
          const g2 = gPre[slots[p + 2]]
          const g3 = gPre[slots[p + 3]]
          gs += g0 + g1 + g2 + g3
          const x0 = tokens[p] * dIn
          const x1 = tokens[p + 1] * dIn
          const x2 = tokens[p + 2] * dIn
          const x3 = tokens[p + 3] * dIn
          for (let d = 0; d < dIn; d++) gEncoder[w + d] += g0 * xc[x0 + d] + g1 * xc[x1 + d] + g2 * xc[x2 + d] + g3 * xc[x3 + d]
        }
        for (; p < p1; p++) {
          const g = gPre[slots[p]]
          gs += g
          const x = tokens[p] * dIn
          for (let d = 0; d < dIn; d++) gEncoder[w + d] += g * xc[x + d]
        }
        gBEnc[i] += gs
        for (let d = 0; d < dIn; d++) gBDec[d] -= gs * encoder[w + d]
      }
    },

    addColumnSums(m, out, rows, cols) {
      for (let t = 0; t < rows; t++) {
        const o = t * cols
        for (let d = 0; d < cols; d++) out[d] += m[o + d]
      }
    },

    countFiring(idx, val, width, rows, dSae, fired) {
      fired.fill(0, 0, dSae)
      const n = rows * width
      for (let p = 0; p < n; p++) if (val[p] !== 0) fired[idx ? idx[p] : p % width]++
    },

    sumSquares(buf, length) {
      let s0 = 0
      let s1 = 0
      let i = 0
      for (; i + 2 <= length; i += 2) {
        s0 += buf[i] * buf[i]
        s1 += buf[i + 1] * buf[i + 1]
      }
      if (i < length) s0 += buf[i] * buf[i]
      return s0 + s1
    },

    projectOutParallel(w, g, rows, cols) {
      for (let r = 0; r < rows; r++) {
        const o = r * cols
        let gw = 0
        let ww = 0
        for (let c = 0; c < cols; c++) {
          gw += g[o + c] * w[o + c]
          ww += w[o + c] * w[o + c]
        }
        if (ww === 0) continue
        const f = gw / ww
        for (let c = 0; c < cols; c++) g[o + c] -= f * w[o + c]
      }
    },

    normalizeRows(w, rows, cols) {
      for (let r = 0; r < rows; r++) {
        const o = r * cols
        let ss = 0
        for (let c = 0; c < cols; c++) ss += w[o + c] * w[o + c]
        if (ss === 0) continue
        const inv = 1 / Math.sqrt(ss)
        for (let c = 0; c < cols; c++) w[o + c] *= inv
      }
    },

    adam(param, grad, m, v, length, hp: AdamStep) {
      const b1 = hp.beta1
      const b2 = hp.beta2
      const c1 = 1 - b1
      const c2 = 1 - b2
      const stepSize = hp.lr / (1 - b1 ** hp.step)
      const invSqrtBc2 = 1 / Math.sqrt(1 - b2 ** hp.step)
      const eps = hp.eps
      const gs = hp.gradScale
      for (let i = 0; i < length; i++) {
        const g = grad[i] * gs
        const mi = b1 * m[i] + c1 * g
        const vi = b2 * v[i] + c2 * g * g
        m[i] = mi
        v[i] = vi
        param[i] -= (stepSize * mi) / (Math.sqrt(vi) * invSqrtBc2 + eps)
      }
    },
  }
}
