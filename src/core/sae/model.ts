// Initialisation and inference (encode / decode / reconstruct) of an SAE on raw activations.
import type { Rng } from '../random.ts'
import { createCpuKernels, matmulNT } from './cpu.ts'
import type { Sae, SaeModelConfig, SaeTrainConfig } from './types.ts'

/**
 * Initial weights. Decoder rows are isotropic random unit directions (SAELens draws kaiming-uniform
 * rows and rescales them; only the direction survives either way) and the encoder starts as the
 * decoder's transpose, as in SAELens. decoderInitNorm (SAELens decoder_init_norm, 0.1):
 * - without the unit-norm constraint, decoder rows get that norm and encoder = decoderᵀ (SAELens);
 * - with it, the decoder must stay unit-norm, so the factor goes to the encoder instead:
 *   encoder = decoderInitNorm · decoderᵀ. Pre-activations at step 0 are then the same as SAELens'
 *   (0.1 · d̂ᵀx).
 * b_enc and b_dec start at zero; the trainer sets b_dec from the data.
 */
export function createSae(
  cfg: Pick<SaeTrainConfig, 'architecture' | 'k' | 'decoderInitNorm' | 'normalizeDecoder' | 'hookName' | 'hookLayer' | 'modelName'> & {
    dIn: number
    dSae: number
  },
  rng: Rng,
): Sae {
  const { dIn, dSae } = cfg
  const decoder = new Float32Array(dSae * dIn)
  for (let i = 0; i < dSae; i++) {
    let ss = 0
    const row = new Float64Array(dIn)
    for (let d = 0; d < dIn; d++) {
      row[d] = rng.normal()
      ss += row[d] * row[d]
    }
    const norm = Math.sqrt(ss)
    for (let d = 0; d < dIn; d++) decoder[i * dIn + d] = row[d] / norm
  }
  const encoder = new Float32Array(decoder)
  if (cfg.normalizeDecoder) for (let i = 0; i < encoder.length; i++) encoder[i] *= cfg.decoderInitNorm
  else {
    for (let i = 0; i < decoder.length; i++) decoder[i] *= cfg.decoderInitNorm
    encoder.set(decoder)
  }
  return {
    cfg: {
      dIn,
      dSae,
      architecture: cfg.architecture,
      k: cfg.architecture === 'topk' ? cfg.k : undefined,
      applyBDecToInput: true,
      activationScale: 1,
      hookName: cfg.hookName,
      hookLayer: cfg.hookLayer,
      modelName: cfg.modelName,
    },
    encoder,
    bEnc: new Float32Array(dSae),
    decoder,
    bDec: new Float32Array(dIn),
  }
}

export function validateSae(sae: Sae): void {
  const { dIn, dSae } = sae.cfg
  const expect = (name: string, a: Float32Array | undefined, n: number, shape: string) => {
    if (!a || a.length !== n) throw new Error(`SAE: ${name} has ${a?.length ?? 0} values but d_in=${dIn}, d_sae=${dSae} needs ${shape}`)
  }
  expect('encoder', sae.encoder, dSae * dIn, `[${dSae}, ${dIn}]`)
  expect('bEnc', sae.bEnc, dSae, `[${dSae}]`)
  expect('decoder', sae.decoder, dSae * dIn, `[${dSae}, ${dIn}]`)
  expect('bDec', sae.bDec, dIn, `[${dIn}]`)
  if (sae.cfg.architecture === 'topk' && !(Number.isInteger(sae.cfg.k) && sae.cfg.k! >= 1 && sae.cfg.k! <= dSae))
    throw new Error(`SAE: architecture 'topk' needs an integer k in [1, ${dSae}], got ${sae.cfg.k}`)
  if (sae.cfg.architecture === 'jumprelu') expect('threshold', sae.threshold, dSae, `[${dSae}]`)
  if (!(sae.cfg.activationScale > 0)) throw new Error(`SAE: activationScale must be positive, got ${sae.cfg.activationScale}`)
}

const CHUNK_ROWS = 256
const cpu = createCpuKernels()

function checkRows(x: Float32Array, dIn: number, what: string): number {
  if (x.length % dIn !== 0) throw new Error(`${what}: ${x.length} values is not a whole number of rows of d_in=${dIn}`)
  return x.length / dIn
}

/** Pre-activations [rows, dSae] of raw activations x [rows, dIn]. */
function preActivations(sae: Sae, x: Float32Array, r0: number, r1: number, pre: Float32Array): void {
  const { dIn, dSae, activationScale: s, applyBDecToInput } = sae.cfg
  const rows = r1 - r0
  const xc = new Float32Array(rows * dIn)
  for (let t = 0; t < rows; t++)
    for (let d = 0; d < dIn; d++) xc[t * dIn + d] = x[(r0 + t) * dIn + d] * s - (applyBDecToInput ? sae.bDec[d] : 0)
  matmulNT(xc, sae.encoder, sae.bEnc, pre, rows, dIn, dSae)
}

function activate(cfg: SaeModelConfig, pre: Float32Array, rows: number, threshold: Float32Array | undefined, out: Float32Array, outOffset: number): void {
  const { dSae } = cfg
  if (cfg.architecture === 'topk') {
    const k = cfg.k!
    const idx = new Int32Array(rows * k)
    const val = new Float32Array(rows * k)
    cpu.topK(pre, rows, dSae, k, idx, val)
    out.fill(0, outOffset, outOffset + rows * dSae)
    for (let t = 0; t < rows; t++) for (let j = 0; j < k; j++) out[outOffset + t * dSae + idx[t * k + j]] = val[t * k + j]
    return
  }
  for (let p = 0; p < rows * dSae; p++) {
    const v = pre[p]
    const on = cfg.architecture === 'jumprelu' ? v > threshold![p % dSae] && v > 0 : v > 0
    out[outOffset + p] = on ? v : 0
  }
}

/** Feature activations z [rows, dSae] of raw activations x [rows, dIn] (normalisation applied). */
export function encode(sae: Sae, x: Float32Array): Float32Array {
  const { dIn, dSae } = sae.cfg
  const rows = checkRows(x, dIn, 'encode')
  const z = new Float32Array(rows * dSae)
  const pre = new Float32Array(Math.min(rows, CHUNK_ROWS) * dSae)
  for (let r0 = 0; r0 < rows; r0 += CHUNK_ROWS) {
    const r1 = Math.min(rows, r0 + CHUNK_ROWS)
    preActivations(sae, x, r0, r1, pre)
    activate(sae.cfg, pre, r1 - r0, sae.threshold, z, r0 * dSae)
  }
  return z
}

/** Reconstruction in raw activation units: (z · W_dec + b_dec) / activationScale. */
export function decode(sae: Sae, z: Float32Array): Float32Array {
  const { dIn, dSae, activationScale: s } = sae.cfg
  const rows = checkRows(z, dSae, 'decode')
  const out = new Float32Array(rows * dIn)
  for (let t = 0; t < rows; t++) {
    const o = t * dIn
    out.set(sae.bDec, o)
    for (let i = 0; i < dSae; i++) {
      const v = z[t * dSae + i]
      if (v === 0) continue
      const w = i * dIn
      for (let d = 0; d < dIn; d++) out[o + d] += v * sae.decoder[w + d]
    }
    for (let d = 0; d < dIn; d++) out[o + d] /= s
  }
  return out
}

/** decode(encode(x)): what splicing the SAE into the forward pass substitutes for x. */
export function reconstruct(sae: Sae, x: Float32Array): Float32Array {
  const { dIn } = sae.cfg
  const rows = checkRows(x, dIn, 'reconstruct')
  const out = new Float32Array(rows * dIn)
  for (let r0 = 0; r0 < rows; r0 += CHUNK_ROWS) {
    const r1 = Math.min(rows, r0 + CHUNK_ROWS)
    out.set(decode(sae, encode(sae, x.subarray(r0 * dIn, r1 * dIn))), r0 * dIn)
  }
  return out
}
