// Independent reference forward pass for the tiny LMs, in plain TypeScript (float64 accumulation).
// It shares nothing with the ONNX graphs but the weights, so agreement checks the exports,
// the hook locator and the capture/intervention machinery.
import { float16BitsToFloat32, float32ToFloat16Bits } from '../onnx/tensor.ts'
import { rotaryInvFreq, type TinyLmConfig, type TinyLmWeights } from './spec.ts'

export interface ReferenceIntervention {
  hook: 'resid_pre' | 'resid_mid' | 'resid_post'
  layer: number
  /** h ← h − Σ (h·d̂)d̂ over an orthonormal set. */
  ablate?: Float32Array[]
  /** h ← h + v. */
  add?: Float32Array
  /** Apply only at the last position. */
  lastOnly?: boolean
  /** Any per-position edit of the residual row (in place), applied after ablate/add. */
  transform?: (row: Float64Array) => void
}

export interface ReferenceOptions {
  /**
   * Positions from n on are decoded one token at a time against a KV cache stored in float16: query
   * t ≥ n sees the keys and values of positions < t rounded through fp16, and its own exact.
   */
  float16CacheFrom?: number
}

export interface ReferenceResult {
  /** [T, vocab] */
  logits: Float64Array
  /** Per layer, [T, d] each. */
  residPre: Float64Array[]
  residMid: Float64Array[]
  residPost: Float64Array[]
}

function matmul(x: Float64Array, T: number, w: Float32Array, inDim: number, outDim: number, b?: Float32Array) {
  const y = new Float64Array(T * outDim)
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < outDim; o++) {
      let s = b ? b[o] : 0
      for (let i = 0; i < inDim; i++) s += x[t * inDim + i] * w[i * outDim + o]
      y[t * outDim + o] = s
    }
  }
  return y
}

function layerNorm(x: Float64Array, T: number, d: number, g: Float32Array, b: Float32Array | undefined, eps: number) {
  const y = new Float64Array(T * d)
  for (let t = 0; t < T; t++) {
    let mean = 0
    for (let i = 0; i < d; i++) mean += x[t * d + i]
    mean /= d
    let v = 0
    for (let i = 0; i < d; i++) v += (x[t * d + i] - mean) ** 2
    const inv = 1 / Math.sqrt(v / d + eps)
    for (let i = 0; i < d; i++) y[t * d + i] = (x[t * d + i] - mean) * inv * g[i] + (b ? b[i] : 0)
  }
  return y
}

function rmsNorm(x: Float64Array, T: number, d: number, g: Float32Array, eps: number) {
  const y = new Float64Array(T * d)
  for (let t = 0; t < T; t++) {
    let ms = 0
    for (let i = 0; i < d; i++) ms += x[t * d + i] ** 2
    const inv = 1 / Math.sqrt(ms / d + eps)
    for (let i = 0; i < d; i++) y[t * d + i] = x[t * d + i] * inv * g[i]
  }
  return y
}

function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
}

function applyRotary(x: Float64Array, T: number, heads: number, dh: number, inv: Float32Array) {
  const half = dh / 2
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < heads; h++) {
      const base = t * heads * dh + h * dh
      for (let i = 0; i < half; i++) {
        const angle = Math.fround(t * inv[i])
        const c = Math.cos(angle)
        const s = Math.sin(angle)
        const x1 = x[base + i]
        const x2 = x[base + i + half]
        x[base + i] = x1 * c - x2 * s
        x[base + i + half] = x2 * c + x1 * s
      }
    }
  }
}

function intervene(h: Float64Array, T: number, d: number, iv: ReferenceIntervention[]) {
  for (const v of iv) {
    for (let t = v.lastOnly ? T - 1 : 0; t < T; t++) {
      const row = h.subarray(t * d, (t + 1) * d)
      for (const dir of v.ablate ?? []) {
        let dot = 0
        for (let i = 0; i < d; i++) dot += row[i] * dir[i]
        for (let i = 0; i < d; i++) row[i] -= dot * dir[i]
      }
      if (v.add) for (let i = 0; i < d; i++) row[i] += v.add[i]
      v.transform?.(row)
    }
  }
}

/** Forward pass of one unpadded sequence. */
export function referenceForward(
  cfg: TinyLmConfig,
  w: TinyLmWeights,
  ids: readonly number[],
  interventions: ReferenceIntervention[] = [],
  opts: ReferenceOptions = {},
): ReferenceResult {
  const T = ids.length
  const d = cfg.dModel
  const gpt2 = cfg.family === 'gpt2'
  const { nHeads: H, nKvHeads: Hkv, dHead: dh, dMlp } = cfg
  const at = (hook: ReferenceIntervention['hook'], l: number) =>
    interventions.filter((v) => v.hook === hook && v.layer === l)
  let x = new Float64Array(T * d)
  for (let t = 0; t < T; t++)
    for (let i = 0; i < d; i++)
      x[t * d + i] = w.embed[ids[t] * d + i] + (w.positions ? w.positions[t * d + i] : 0)
  const residPre: Float64Array[] = []
  const residMid: Float64Array[] = []
  const residPost: Float64Array[] = []
  const inv = gpt2 ? undefined : rotaryInvFreq(cfg)
  for (let l = 0; l < cfg.nLayers; l++) {
    const L = w.layers[l]
    intervene(x, T, d, at('resid_pre', l))
    residPre.push(x.slice())
    const a = gpt2 ? layerNorm(x, T, d, L.ln1, L.ln1Bias, cfg.eps) : rmsNorm(x, T, d, L.ln1, cfg.eps)
    const q = matmul(a, T, L.wq, d, H * dh, L.bq)
    const k = matmul(a, T, L.wk, d, Hkv * dh, L.bk)
    const v = matmul(a, T, L.wv, d, Hkv * dh, L.bv)
    if (inv) {
      applyRotary(q, T, H, dh, inv)
      applyRotary(k, T, Hkv, dh, inv)
    }
    const n = opts.float16CacheFrom ?? T
    let kHalf = k
    let vHalf = v
    if (n < T) {
      const half = (x: number) => float16BitsToFloat32(float32ToFloat16Bits(x))
      kHalf = k.map(half)
      vHalf = v.map(half)
    }
    const o = new Float64Array(T * H * dh)
    const scale = 1 / Math.sqrt(dh)
    const group = H / Hkv
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / group)
      for (let t = 0; t < T; t++) {
        const keys = (s: number) => (t >= n && s < t ? kHalf : k)
        const values = (s: number) => (t >= n && s < t ? vHalf : v)
        const scores = new Float64Array(t + 1)
        let max = -Infinity
        for (let s = 0; s <= t; s++) {
          const ks = keys(s)
          let dot = 0
          for (let i = 0; i < dh; i++) dot += q[t * H * dh + h * dh + i] * ks[s * Hkv * dh + kh * dh + i]
          scores[s] = dot * scale
          if (scores[s] > max) max = scores[s]
        }
        let sum = 0
        for (let s = 0; s <= t; s++) sum += (scores[s] = Math.exp(scores[s] - max))
        for (let s = 0; s <= t; s++) {
          const p = scores[s] / sum
          const vs = values(s)
          for (let i = 0; i < dh; i++) o[t * H * dh + h * dh + i] += p * vs[s * Hkv * dh + kh * dh + i]
        }
      }
    }
    const attn = matmul(o, T, L.wo, H * dh, d, L.bo)
    const mid = new Float64Array(T * d)
    for (let i = 0; i < mid.length; i++) mid[i] = x[i] + attn[i]
    intervene(mid, T, d, at('resid_mid', l))
    residMid.push(mid.slice())
    const m = gpt2 ? layerNorm(mid, T, d, L.ln2, L.ln2Bias, cfg.eps) : rmsNorm(mid, T, d, L.ln2, cfg.eps)
    let hidden: Float64Array
    if (gpt2) {
      hidden = matmul(m, T, L.wIn, d, dMlp, L.bIn)
      for (let i = 0; i < hidden.length; i++) hidden[i] = geluTanh(hidden[i])
    } else {
      const up = matmul(m, T, L.wIn, d, dMlp)
      const gate = matmul(m, T, L.wGate!, d, dMlp)
      hidden = new Float64Array(up.length)
      for (let i = 0; i < up.length; i++) hidden[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i]
    }
    const mlp = matmul(hidden, T, L.wOut, dMlp, d, L.bOut)
    const post = new Float64Array(T * d)
    for (let i = 0; i < post.length; i++) post[i] = mid[i] + mlp[i]
    intervene(post, T, d, at('resid_post', l))
    residPost.push(post.slice())
    x = post
  }
  const f = gpt2 ? layerNorm(x, T, d, w.lnFinal, w.lnFinalBias, cfg.eps) : rmsNorm(x, T, d, w.lnFinal, cfg.eps)
  const logits = matmul(f, T, w.unembed, d, cfg.vocabSize)
  return { logits, residPre, residMid, residPost }
}
