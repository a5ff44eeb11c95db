// SAELens interchange: `sae_weights.safetensors` (W_enc [d_in, d_sae], b_enc [d_sae],
// W_dec [d_sae, d_in], b_dec [d_in], threshold [d_sae] for JumpReLU) and `cfg.json`.
// Written in the SAELens 6 inference layout (SAE.save_model / save_inference_model): top-level
// architecture fields plus a `metadata` object; read from both that and the flat pre-6 layout.
import { floatTensor, readSafetensors, tensorToFloat32, writeSafetensors, type SafetensorsTensor } from '../formats/safetensors.ts'
import { validateSae } from './model.ts'
import type { Sae, SaeArchitecture } from './types.ts'

export const SAE_WEIGHTS_FILENAME = 'sae_weights.safetensors'
export const SAE_CFG_FILENAME = 'cfg.json'
/** The SAELens config layout these files follow (written as metadata.sae_lens_version). */
export const SAELENS_FORMAT_VERSION = '6.0.0'

export interface SaveSaeLensOptions {
  dtype?: 'float32' | 'float16' | 'bfloat16'
  /**
   * Fold the activation scale into the weights (W_enc·s, W_dec/s, b_dec/s) and write
   * normalize_activations 'none', as SAELens does at the end of training (default true). Otherwise
   * the scale is written as metadata.norm_scaling_factor with 'expected_average_only_in'.
   */
  foldActivationScale?: boolean
  /** Extra metadata entries (e.g. context_size, dataset_path). */
  metadata?: Record<string, unknown>
}

export interface SaeLensFiles {
  cfg: Record<string, unknown>
  /** cfg.json contents. */
  cfgJson: string
  /** sae_weights.safetensors contents. */
  weights: Uint8Array
}

const STORAGE = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' } as const

export function saveSaeLens(sae: Sae, options: SaveSaeLensOptions = {}): SaeLensFiles {
  validateSae(sae)
  const { dIn, dSae, activationScale } = sae.cfg
  const dtype = options.dtype ?? 'float32'
  const fold = (options.foldActivationScale ?? true) && activationScale !== 1
  const s = fold ? activationScale : 1
  const wEnc = new Float32Array(dIn * dSae)
  for (let i = 0; i < dSae; i++) for (let d = 0; d < dIn; d++) wEnc[d * dSae + i] = sae.encoder[i * dIn + d] * s
  const wDec = fold ? sae.decoder.map((v) => v / s) : sae.decoder
  const bDec = fold ? sae.bDec.map((v) => v / s) : sae.bDec
  const st = STORAGE[dtype]
  const tensors: Record<string, ReturnType<typeof floatTensor>> = {
    W_enc: floatTensor(wEnc, [dIn, dSae], st),
    b_enc: floatTensor(sae.bEnc, [dSae], st),
    W_dec: floatTensor(wDec, [dSae, dIn], st),
    b_dec: floatTensor(bDec, [dIn], st),
  }
  if (sae.cfg.architecture === 'jumprelu') tensors.threshold = floatTensor(sae.threshold!, [dSae], st)
  const weights = writeSafetensors(tensors, { format: 'pt' })

  const scaled = !fold && activationScale !== 1
  const metadata: Record<string, unknown> = {
    sae_lens_version: SAELENS_FORMAT_VERSION,
    sae_lens_training_version: null,
    model_name: sae.cfg.modelName ?? null,
    hook_name: sae.cfg.hookName ?? null,
    hook_head_index: null,
    ...(sae.cfg.hookLayer !== undefined ? { hook_layer: sae.cfg.hookLayer } : {}),
    ...(scaled ? { norm_scaling_factor: activationScale } : {}),
    trained_with: 'moral-lens',
    ...options.metadata,
  }
  const cfg: Record<string, unknown> = {
    architecture: sae.cfg.architecture,
    d_in: dIn,
    d_sae: dSae,
    dtype,
    device: 'cpu',
    apply_b_dec_to_input: sae.cfg.applyBDecToInput,
    normalize_activations: scaled ? 'expected_average_only_in' : 'none',
    reshape_activations: 'none',
    ...(sae.cfg.architecture === 'topk' ? { k: sae.cfg.k, rescale_acts_by_decoder_norm: false } : {}),
    metadata,
    // Flat copies for readers of the pre-6 layout; SAELens 6 ignores unknown top-level keys.
    model_name: sae.cfg.modelName ?? null,
    hook_name: sae.cfg.hookName ?? null,
    ...(sae.cfg.hookLayer !== undefined ? { hook_layer: sae.cfg.hookLayer } : {}),
  }
  return { cfg, cfgJson: JSON.stringify(cfg, null, 2), weights }
}

export interface LoadSaeLensOptions {
  /** The factor for normalize_activations 'expected_average_only_in' when cfg.json does not carry it. */
  activationScale?: number
}

function positiveInt(cfg: Record<string, unknown>, key: string): number {
  const v = cfg[key]
  if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${SAE_CFG_FILENAME}: ${key} must be a positive integer, got ${JSON.stringify(v)}`)
  return v as number
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

/** Parses SAELens-style cfg.json + sae_weights.safetensors into an SAE, checking every shape. */
export function loadSaeLens(cfgInput: string | Record<string, unknown>, weights: Uint8Array, options: LoadSaeLensOptions = {}): Sae {
  let cfg: Record<string, unknown>
  if (typeof cfgInput === 'string') {
    try {
      cfg = JSON.parse(cfgInput)
    } catch (e) {
      throw new Error(`${SAE_CFG_FILENAME}: not valid JSON (${(e as Error).message})`)
    }
  } else cfg = cfgInput
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new Error(`${SAE_CFG_FILENAME}: expected a JSON object`)
  const meta = (typeof cfg.metadata === 'object' && cfg.metadata !== null ? cfg.metadata : {}) as Record<string, unknown>
  const dIn = positiveInt(cfg, 'd_in')
  const dSae = positiveInt(cfg, 'd_sae')

  const activationFn = str(cfg.activation_fn) ?? str(cfg.activation_fn_str)
  const architecture = (str(cfg.architecture) ?? (activationFn === 'topk' ? 'topk' : 'standard')) as SaeArchitecture
  if (!['topk', 'standard', 'jumprelu'].includes(architecture))
    throw new Error(`${SAE_CFG_FILENAME}: architecture '${architecture}' is not supported (supported: topk, standard, jumprelu)`)
  let k: number | undefined
  if (architecture === 'topk') {
    const kwargs = cfg.activation_fn_kwargs as Record<string, unknown> | undefined
    k = (cfg.k ?? kwargs?.k) as number | undefined
    if (!Number.isInteger(k) || k! < 1 || k! > dSae)
      throw new Error(`${SAE_CFG_FILENAME}: architecture 'topk' needs an integer k in [1, d_sae=${dSae}], got ${JSON.stringify(k)}`)
  }

  const norm = cfg.normalize_activations
  let activationScale = 1
  if (norm === 'expected_average_only_in' || norm === true) {
    const s = options.activationScale ?? meta.norm_scaling_factor ?? cfg.norm_scaling_factor
    if (typeof s !== 'number' || !(s > 0))
      throw new Error(
        `${SAE_CFG_FILENAME}: normalize_activations is 'expected_average_only_in' but no norm_scaling_factor is given; ` +
          'pass the dataset scale (sqrt(d_in) / mean activation norm) as activationScale',
      )
    activationScale = s
  } else if (norm !== undefined && norm !== null && norm !== 'none' && norm !== false) {
    throw new Error(`${SAE_CFG_FILENAME}: normalize_activations '${String(norm)}' is not supported (supported: none, expected_average_only_in)`)
  }

  const file = readSafetensors(weights, SAE_WEIGHTS_FILENAME)
  const get = (name: string, shape: number[], what: string): SafetensorsTensor => {
    const t = file.tensors.get(name)
    if (!t) throw new Error(`${SAE_WEIGHTS_FILENAME}: missing tensor "${name}" (found: ${[...file.tensors.keys()].join(', ') || 'none'})`)
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      throw new Error(
        `${name} has shape [${t.shape.join(', ')}] but ${SAE_CFG_FILENAME} says ${what} (expected [${shape.join(', ')}])`,
      )
    return t
  }
  const dims = `d_sae=${dSae}, d_in=${dIn}`
  const wEnc = tensorToFloat32(get('W_enc', [dIn, dSae], `d_in=${dIn}, d_sae=${dSae}`))
  const bEnc = Float32Array.from(tensorToFloat32(get('b_enc', [dSae], `d_sae=${dSae}`)))
  const decoder = Float32Array.from(tensorToFloat32(get('W_dec', [dSae, dIn], dims)))
  const bDec = Float32Array.from(tensorToFloat32(get('b_dec', [dIn], `d_in=${dIn}`)))
  const threshold = architecture === 'jumprelu' ? Float32Array.from(tensorToFloat32(get('threshold', [dSae], `d_sae=${dSae}`))) : undefined

  const encoder = new Float32Array(dSae * dIn)
  for (let d = 0; d < dIn; d++) for (let i = 0; i < dSae; i++) encoder[i * dIn + d] = wEnc[d * dSae + i]

  // Older SAELens checkpoints scale feature activations by a learned per-latent factor in decode.
  const sfTensor = file.tensors.get('finetuning_scaling_factor') ?? file.tensors.get('scaling_factor')
  if (sfTensor) {
    const sf = tensorToFloat32(sfTensor)
    if (sf.length !== dSae) throw new Error(`${sfTensor.name} has shape [${sfTensor.shape.join(', ')}] but ${SAE_CFG_FILENAME} says d_sae=${dSae}`)
    for (let i = 0; i < dSae; i++) for (let d = 0; d < dIn; d++) decoder[i * dIn + d] *= sf[i]
  }
  // A TopK training checkpoint with rescale_acts_by_decoder_norm computes as if W_dec rows were
  // unit-norm; fold the norms in the same way SAELens does before saving for inference.
  if (architecture === 'topk' && cfg.rescale_acts_by_decoder_norm === true) {
    for (let i = 0; i < dSae; i++) {
      let ss = 0
      for (let d = 0; d < dIn; d++) ss += decoder[i * dIn + d] ** 2
      const n = Math.max(Math.sqrt(ss), 1e-8)
      bEnc[i] *= n
      for (let d = 0; d < dIn; d++) {
        decoder[i * dIn + d] /= n
        encoder[i * dIn + d] *= n
      }
    }
  }

  const hookName = str(meta.hook_name) ?? str(cfg.hook_name) ?? str(cfg.hook_point)
  const layerField = meta.hook_layer ?? cfg.hook_layer ?? cfg.hook_point_layer
  const hookLayer = Number.isInteger(layerField)
    ? (layerField as number)
    : hookName && /^blocks\.(\d+)\./.test(hookName)
      ? Number(/^blocks\.(\d+)\./.exec(hookName)![1])
      : undefined
  const sae: Sae = {
    cfg: {
      dIn,
      dSae,
      architecture,
      k,
      applyBDecToInput: cfg.apply_b_dec_to_input === undefined ? true : Boolean(cfg.apply_b_dec_to_input),
      activationScale,
      hookName,
      hookLayer,
      modelName: str(meta.model_name) ?? str(cfg.model_name),
    },
    encoder,
    bEnc,
    decoder,
    bDec,
    threshold,
  }
  validateSae(sae)
  return sae
}
