// The compute interface of SAE training. The trainer (step.ts) only moves opaque buffers between
// these operations, so a backend decides where buffers live (JS arrays, WASM memory, GPU buffers).
//
// Conventions for every operation:
// - Matrices are row-major. `encoder`/`decoder` are [dSae, dIn] (row = latent).
// - A sparse code is a pair (idx, val) of [rows, width] arrays: token t uses latents idx[t·width + j]
//   with values val[t·width + j]. idx === null means the dense identity (width === dSae, idx[j] = j).
//   Entries with val === 0 contribute nothing and may be skipped.
// - Outputs are overwritten unless the name says `accumulate` (gradients are accumulated so that the
//   main and the auxiliary loss can add into the same buffers).
// - An operation may return a promise (e.g. a matmul run by onnxruntime or a GPU readback); the
//   trainer awaits every call.

export type MaybePromise<T> = T | Promise<T>
export type FloatArray = Float32Array | Float64Array

export interface SaeKernels<F = Float32Array, I = Int32Array> {
  readonly name: string

  /** A zero-filled float buffer. */
  alloc(length: number): F
  /** A zero-filled index buffer. */
  allocIndex(length: number): I
  /**
   * Host-memory kernels only: `src` itself as a buffer, without a copy (the trainer takes the freshly
   * initialised weights this way instead of holding them twice).
   */
  adopt?(src: Float32Array): F
  /** dst[offset + i] = src[i]. */
  write(dst: F, src: ArrayLike<number>, offset?: number): MaybePromise<void>
  /** A host copy (or view) of the first `length` values (default all). */
  read(src: F, length?: number): MaybePromise<FloatArray>
  readIndex(src: I, length?: number): MaybePromise<Int32Array>
  fill(dst: F, value: number, length?: number): MaybePromise<void>

  /** xc[t] = x[t] − bDec. */
  center(x: F, bDec: F, xc: F, rows: number, dIn: number): MaybePromise<void>
  /** pre[t, i] = xc[t] · encoder[i] + bEnc[i]: the one dense product, [rows, dIn] × [dSae, dIn]ᵀ. */
  encode(xc: F, encoder: F, bEnc: F, pre: F, rows: number, dIn: number, dSae: number): MaybePromise<void>
  /**
   * Optional fusion of encode, topK and (when `aux` is given) deadTopK for TopK SAEs: the sparse
   * codes come straight from xc and no [rows, dSae] pre-activation buffer exists on this side.
   * Same results as the three operations up to the order of the k entries within a row.
   */
  encodeTopK?(
    xc: F,
    encoder: F,
    bEnc: F,
    rows: number,
    dIn: number,
    dSae: number,
    k: number,
    idx: I,
    val: F,
    aux: { dead: F; kAux: number; idx: I; val: F } | null,
  ): MaybePromise<void>
  /**
   * Per row, the k largest pre-activations (ties: lower index first) with val = max(pre, 0), as in
   * SAELens' TopK (topk, then ReLU of the kept values).
   */
  topK(pre: F, rows: number, dSae: number, k: number, idx: I, val: F): MaybePromise<void>
  /** Per row, the kAux largest pre-activations among latents with dead[i] ≠ 0; val = pre (no ReLU, as SAELens' AuxK). */
  deadTopK(pre: F, dead: F, rows: number, dSae: number, kAux: number, idx: I, val: F): MaybePromise<void>
  /** val = max(pre, 0) elementwise over `length` values (the dense code of a ReLU SAE). */
  relu(pre: F, val: F, length: number): MaybePromise<void>
  /** out[t] = Σ_j val[t, j] · decoder[idx[t, j]] (+ bDec when given). */
  decode(idx: I | null, val: F, width: number, decoder: F, bDec: F | null, out: F, rows: number, dIn: number): MaybePromise<void>
  /**
   * diff = a − b (+ c); out = coef · diff; rowSq[t] = Σ_d diff[t, d]² (when rowSq is given).
   * Gives the MSE gradient (a = x̂, b = x) and the AuxK gradient (a = aux reconstruction, b = x, c = x̂).
   */
  errorGrad(a: F, b: F, c: F | null, coef: number, out: F, rowSq: F | null, rows: number, dIn: number): MaybePromise<void>
  /**
   * Backward through decode for an output gradient `err`:
   * gDec[idx[t, j]] += val[t, j] · err[t] (accumulate);
   * gVal[t, j] = decoder[idx[t, j]] · err[t], set to 0 where gate is true and val ≤ 0 (the ReLU's derivative).
   */
  decodeBackward(
    idx: I | null,
    val: F,
    width: number,
    err: F,
    decoder: F,
    gDec: F,
    gVal: F,
    gate: boolean,
    rows: number,
    dIn: number,
  ): MaybePromise<void>
  /**
   * The norm-weighted L1 penalty coef · Σ_t Σ_i val[t, i]·‖decoder[i]‖ of a ReLU SAE:
   * rowL1[t] = Σ_i val·‖decoder[i]‖ (unscaled); gVal[t, j] += coef·‖decoder[i]‖ where val > 0;
   * gDec[i] += coef · (Σ_t val[t, i]) · decoder[i] / ‖decoder[i]‖ (accumulate).
   */
  l1Backward(
    idx: I | null,
    val: F,
    width: number,
    decoder: F,
    coef: number,
    gVal: F,
    gDec: F,
    rowL1: F,
    rows: number,
    dIn: number,
    dSae: number,
  ): MaybePromise<void>
  /**
   * Backward through encode (and the b_dec subtraction) for gradients gPre on the listed latents
   * (accumulate): gEncoder[i] += gPre·xc[t]; gBEnc[i] += gPre; gBDec −= gPre·encoder[i].
   */
  encodeBackward(
    idx: I | null,
    gPre: F,
    width: number,
    xc: F,
    encoder: F,
    gEncoder: F,
    gBEnc: F,
    gBDec: F,
    rows: number,
    dIn: number,
  ): MaybePromise<void>
  /** out[d] += Σ_t m[t, d] (accumulate). */
  addColumnSums(m: F, out: F, rows: number, cols: number): MaybePromise<void>
  /** fired[i] = number of tokens with a non-zero value on latent i (overwrite). */
  countFiring(idx: I | null, val: F, width: number, rows: number, dSae: number, fired: F): MaybePromise<void>
  /** Σ buf[i]² over the first `length` values. */
  sumSquares(buf: F, length: number): MaybePromise<number>
  /** g[i] −= (g[i]·w[i] / w[i]·w[i]) · w[i] per row: removes the part that would change row norms. */
  projectOutParallel(w: F, g: F, rows: number, cols: number): MaybePromise<void>
  /** w[i] /= ‖w[i]‖ per row (rows of norm 0 stay 0). */
  normalizeRows(w: F, rows: number, cols: number): MaybePromise<void>
  /**
   * One Adam step exactly as torch.optim.Adam (no weight decay) on `length` values, for the gradient
   * gradScale·grad: m = β1m + (1−β1)g; v = β2v + (1−β2)g²;
   * p −= (lr / (1−β1^step)) · m / (sqrt(v) / sqrt(1−β2^step) + eps). `step` counts from 1.
   */
  adam(param: F, grad: F, m: F, v: F, length: number, hp: AdamStep): MaybePromise<void>
}

export interface AdamStep {
  lr: number
  beta1: number
  beta2: number
  eps: number
  step: number
  gradScale: number
}

/**
 * A dense product out[m, n] = a[m, k] · b[n, k]ᵀ + bias[n] that a caller can inject into the CPU
 * kernels (e.g. onnxruntime-web's Gemm, see ortMatmul.ts).
 */
export type MatmulNT = (
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array,
  out: Float32Array,
  m: number,
  k: number,
  n: number,
) => MaybePromise<void>

/** encodeTopK (see SaeKernels) on host arrays, for a caller to inject into the CPU kernels. */
export type EncodeTopK = (
  xc: Float32Array,
  encoder: Float32Array,
  bEnc: Float32Array,
  rows: number,
  dIn: number,
  dSae: number,
  k: number,
  idx: Int32Array,
  val: Float32Array,
  aux: { dead: Float32Array; kAux: number; idx: Int32Array; val: Float32Array } | null,
) => MaybePromise<void>
