// The plain dense reference kernels: every sparse code is scattered into a dense [rows, dSae]
// matrix and every product is a textbook triple loop. Slow and obviously right; used by the tests
// (in float64 for finite differences) and as the yardstick for faster backends.
import type { AdamStep, FloatArray, SaeKernels } from './kernels.ts'

export type Precision = 'f32' | 'f64'

function denseCode(idx: Int32Array | null, val: FloatArray, width: number, rows: number, dSae: number): Float64Array {
  const z = new Float64Array(rows * dSae)
  for (let t = 0; t < rows; t++)
    for (let j = 0; j < width; j++) {
      const i = idx ? idx[t * width + j] : j
      z[t * dSae + i] += val[t * width + j]
    }
  return z
}

/** Indices of the `count` largest entries of `score` (ties: lower index first), -Infinity excluded. */
function largest(score: ArrayLike<number>, count: number): number[] {
  const order = Array.from({ length: score.length }, (_, i) => i).filter((i) => score[i] !== -Infinity)
  order.sort((a, b) => score[b] - score[a] || a - b)
  return order.slice(0, count)
}

export function createReferenceKernels(precision: Precision = 'f64'): SaeKernels<FloatArray, Int32Array> {
  const Ctor = precision === 'f64' ? Float64Array : Float32Array
  const rowCount = (w: FloatArray, cols: number) => w.length / cols

  return {
    name: `reference-${precision}`,
    alloc: (n) => new Ctor(n),
    allocIndex: (n) => new Int32Array(n),
    write: (dst, src, offset = 0) => {
      for (let i = 0; i < src.length; i++) dst[offset + i] = src[i]
    },
    read: (src, length = src.length) => src.slice(0, length),
    readIndex: (src, length = src.length) => src.slice(0, length),
    fill: (dst, value, length = dst.length) => {
      dst.fill(value, 0, length)
    },

    center(x, bDec, xc, rows, dIn) {
      for (let t = 0; t < rows; t++) for (let d = 0; d < dIn; d++) xc[t * dIn + d] = x[t * dIn + d] - bDec[d]
    },

    encode(xc, encoder, bEnc, pre, rows, dIn, dSae) {
      for (let t = 0; t < rows; t++)
        for (let i = 0; i < dSae; i++) {
          let s = 0
          for (let d = 0; d < dIn; d++) s += xc[t * dIn + d] * encoder[i * dIn + d]
          pre[t * dSae + i] = s + bEnc[i]
        }
    },

    topK(pre, rows, dSae, k, idx, val) {
      for (let t = 0; t < rows; t++) {
        const chosen = largest(pre.subarray(t * dSae, (t + 1) * dSae), k)
        chosen.forEach((i, j) => {
          idx[t * k + j] = i
          val[t * k + j] = Math.max(pre[t * dSae + i], 0)
        })
      }
    },

    deadTopK(pre, dead, rows, dSae, kAux, idx, val) {
      for (let t = 0; t < rows; t++) {
        const score = Array.from({ length: dSae }, (_, i) => (dead[i] !== 0 ? pre[t * dSae + i] : -Infinity))
        const chosen = largest(score, kAux)
        if (chosen.length < kAux) throw new Error(`deadTopK: only ${chosen.length} dead latents for kAux=${kAux}`)
        chosen.forEach((i, j) => {
          idx[t * kAux + j] = i
          val[t * kAux + j] = pre[t * dSae + i]
        })
      }
    },

    relu(pre, val, length) {
      for (let i = 0; i < length; i++) val[i] = Math.max(pre[i], 0)
    },

    decode(idx, val, width, decoder, bDec, out, rows, dIn) {
      const dSae = rowCount(decoder, dIn)
      const z = denseCode(idx, val, width, rows, dSae)
      for (let t = 0; t < rows; t++)
        for (let d = 0; d < dIn; d++) {
          let s = bDec ? bDec[d] : 0
          for (let i = 0; i < dSae; i++) s += z[t * dSae + i] * decoder[i * dIn + d]
          out[t * dIn + d] = s
        }
    },

    errorGrad(a, b, c, coef, out, rowSq, rows, dIn) {
      for (let t = 0; t < rows; t++) {
        let sq = 0
        for (let d = 0; d < dIn; d++) {
          const o = t * dIn + d
          const diff = a[o] - b[o] + (c ? c[o] : 0)
          out[o] = coef * diff
          sq += diff * diff
        }
        if (rowSq) rowSq[t] = sq
      }
    },

    decodeBackward(idx, val, width, err, decoder, gDec, gVal, gate, rows, dIn) {
      const dSae = rowCount(decoder, dIn)
      const z = denseCode(idx, val, width, rows, dSae)
      // dense gradient of the loss w.r.t. the code: gz = err · decoderᵀ
      for (let i = 0; i < dSae; i++)
        for (let d = 0; d < dIn; d++) {
          let s = 0
          for (let t = 0; t < rows; t++) s += z[t * dSae + i] * err[t * dIn + d]
          gDec[i * dIn + d] += s
        }
      for (let t = 0; t < rows; t++)
        for (let j = 0; j < width; j++) {
          const i = idx ? idx[t * width + j] : j
          let s = 0
          for (let d = 0; d < dIn; d++) s += decoder[i * dIn + d] * err[t * dIn + d]
          gVal[t * width + j] = gate && val[t * width + j] <= 0 ? 0 : s
        }
    },

    l1Backward(idx, val, width, decoder, coef, gVal, gDec, rowL1, rows, dIn, dSae) {
      const norms = new Float64Array(dSae)
      for (let i = 0; i < dSae; i++) {
        let s = 0
        for (let d = 0; d < dIn; d++) s += decoder[i * dIn + d] ** 2
        norms[i] = Math.sqrt(s)
      }
      const z = denseCode(idx, val, width, rows, dSae)
      for (let t = 0; t < rows; t++) {
        let s = 0
        for (let i = 0; i < dSae; i++) s += z[t * dSae + i] * norms[i]
        rowL1[t] = s
        for (let j = 0; j < width; j++) {
          const i = idx ? idx[t * width + j] : j
          if (val[t * width + j] > 0) gVal[t * width + j] += coef * norms[i]
        }
      }
      for (let i = 0; i < dSae; i++) {
        if (norms[i] === 0) continue
        let zs = 0
        for (let t = 0; t < rows; t++) zs += z[t * dSae + i]
        for (let d = 0; d < dIn; d++) gDec[i * dIn + d] += (coef * zs * decoder[i * dIn + d]) / norms[i]
      }
    },

    encodeBackward(idx, gPre, width, xc, encoder, gEncoder, gBEnc, gBDec, rows, dIn) {
      const dSae = rowCount(encoder, dIn)
      const g = denseCode(idx, gPre, width, rows, dSae)
      for (let i = 0; i < dSae; i++) {
        let sb = 0
        for (let t = 0; t < rows; t++) sb += g[t * dSae + i]
        gBEnc[i] += sb
        for (let d = 0; d < dIn; d++) {
          let s = 0
          for (let t = 0; t < rows; t++) s += g[t * dSae + i] * xc[t * dIn + d]
          gEncoder[i * dIn + d] += s
        }
      }
      for (let d = 0; d < dIn; d++) {
        let s = 0
        for (let t = 0; t < rows; t++) for (let i = 0; i < dSae; i++) s += g[t * dSae + i] * encoder[i * dIn + d]
        gBDec[d] -= s
      }
    },

    addColumnSums(m, out, rows, cols) {
      for (let d = 0; d < cols; d++) {
        let s = 0
        for (let t = 0; t < rows; t++) s += m[t * cols + d]
        out[d] += s
      }
    },

    countFiring(idx, val, width, rows, dSae, fired) {
      const z = denseCode(idx, val, width, rows, dSae)
      for (let i = 0; i < dSae; i++) {
        let c = 0
        for (let t = 0; t < rows; t++) if (z[t * dSae + i] !== 0) c++
        fired[i] = c
      }
    },

    sumSquares(buf, length) {
      let s = 0
      for (let i = 0; i < length; i++) s += buf[i] * buf[i]
      return s
    },

    projectOutParallel(w, g, rows, cols) {
      for (let r = 0; r < rows; r++) {
        let gw = 0
        let ww = 0
        for (let c = 0; c < cols; c++) {
          gw += g[r * cols + c] * w[r * cols + c]
          ww += w[r * cols + c] ** 2
        }
        if (ww === 0) continue
        for (let c = 0; c < cols; c++) g[r * cols + c] -= (gw / ww) * w[r * cols + c]
      }
    },

    normalizeRows(w, rows, cols) {
      for (let r = 0; r < rows; r++) {
        let ss = 0
        for (let c = 0; c < cols; c++) ss += w[r * cols + c] ** 2
        if (ss === 0) continue
        const n = Math.sqrt(ss)
        for (let c = 0; c < cols; c++) w[r * cols + c] /= n
      }
    },

    adam(param, grad, m, v, length, hp: AdamStep) {
      const bc1 = 1 - hp.beta1 ** hp.step
      const bc2 = 1 - hp.beta2 ** hp.step
      for (let i = 0; i < length; i++) {
        const g = grad[i] * hp.gradScale
        m[i] = hp.beta1 * m[i] + (1 - hp.beta1) * g
        v[i] = hp.beta2 * v[i] + (1 - hp.beta2) * g * g
        param[i] -= (hp.lr / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + hp.eps))
      }
    },
  }
}
