// Deterministic tiny causal LMs: one set of weights, exported to ONNX in several styles and
// evaluated by an independent reference forward pass (reference.ts).
import { Rng } from '../random.ts'

export type TinyFamily = 'gpt2' | 'llama'

export interface TinyLmConfig {
  family: TinyFamily
  vocabSize: number
  dModel: number
  nLayers: number
  nHeads: number
  nKvHeads: number
  dHead: number
  dMlp: number
  maxPositions: number
  ropeTheta: number
  eps: number
  /** Biases on q/k/v (GPT-2 and Qwen2 have them, Llama does not). */
  qkvBias: boolean
  tieEmbeddings: boolean
  seed: number
}

/** Matrices are row-major [in, out], i.e. y = x · W. */
export interface TinyLayerWeights {
  ln1: Float32Array
  ln1Bias?: Float32Array
  wq: Float32Array
  wk: Float32Array
  wv: Float32Array
  bq?: Float32Array
  bk?: Float32Array
  bv?: Float32Array
  wo: Float32Array
  bo?: Float32Array
  ln2: Float32Array
  ln2Bias?: Float32Array
  /** GPT-2: c_fc; Llama: up_proj. */
  wIn: Float32Array
  bIn?: Float32Array
  /** Llama only: gate_proj. */
  wGate?: Float32Array
  /** GPT-2: c_proj; Llama: down_proj. */
  wOut: Float32Array
  bOut?: Float32Array
}

export interface TinyLmWeights {
  embed: Float32Array
  /** Learned absolute positions (GPT-2 only). */
  positions?: Float32Array
  layers: TinyLayerWeights[]
  lnFinal: Float32Array
  lnFinalBias?: Float32Array
  /** [dModel, vocab]; the transpose of `embed` when tied. */
  unembed: Float32Array
}

function gaussian(rng: Rng, n: number, std: number, mean = 0): Float32Array {
  const a = new Float32Array(n)
  for (let i = 0; i < n; i++) a[i] = mean + std * rng.normal()
  return a
}

export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]
  return t
}

/**
 * Random weights scaled so activations stay O(1) through the stack: matrices N(0, 1/fan_in),
 * norm gains near 1, small biases. Results from such a model mean nothing about real models.
 */
export function generateWeights(cfg: TinyLmConfig): TinyLmWeights {
  const rng = new Rng(cfg.seed)
  const { dModel: d, dHead, nHeads, nKvHeads, dMlp, vocabSize: V } = cfg
  const gpt2 = cfg.family === 'gpt2'
  const qDim = nHeads * dHead
  const kvDim = nKvHeads * dHead
  const mat = (i: number, o: number) => gaussian(rng, i * o, 1 / Math.sqrt(i))
  const gain = () => gaussian(rng, d, 0.1, 1)
  const bias = (n: number) => gaussian(rng, n, 0.1)
  const embed = gaussian(rng, V * d, 1)
  const positions = gpt2 ? gaussian(rng, cfg.maxPositions * d, 0.3) : undefined
  const layers: TinyLayerWeights[] = []
  for (let l = 0; l < cfg.nLayers; l++) {
    const layer: TinyLayerWeights = {
      ln1: gain(),
      ln1Bias: gpt2 ? bias(d) : undefined,
      wq: mat(d, qDim),
      wk: mat(d, kvDim),
      wv: mat(d, kvDim),
      bq: cfg.qkvBias ? bias(qDim) : undefined,
      bk: cfg.qkvBias ? bias(kvDim) : undefined,
      bv: cfg.qkvBias ? bias(kvDim) : undefined,
      wo: mat(qDim, d),
      bo: gpt2 ? bias(d) : undefined,
      ln2: gain(),
      ln2Bias: gpt2 ? bias(d) : undefined,
      wIn: mat(d, dMlp),
      bIn: gpt2 ? bias(dMlp) : undefined,
      wGate: gpt2 ? undefined : mat(d, dMlp),
      wOut: mat(dMlp, d),
      bOut: gpt2 ? bias(d) : undefined,
    }
    layers.push(layer)
  }
  const lnFinal = gain()
  const lnFinalBias = gpt2 ? bias(d) : undefined
  const unembed = cfg.tieEmbeddings ? transpose(embed, V, d) : mat(d, V)
  return { embed, positions, layers, lnFinal, lnFinalBias, unembed }
}

/** Rotary inverse frequencies θ^(−2i/d_head), i < d_head/2 (Llama, rotate-half layout). */
export function rotaryInvFreq(cfg: TinyLmConfig): Float32Array {
  const half = cfg.dHead / 2
  return Float32Array.from({ length: half }, (_, i) => Math.pow(cfg.ropeTheta, (-2 * i) / cfg.dHead))
}

/** cos/sin caches [maxPositions, d_head/2], as onnxruntime's rotary contrib ops take them. */
export function rotaryCaches(cfg: TinyLmConfig): { cos: Float32Array; sin: Float32Array } {
  const inv = rotaryInvFreq(cfg)
  const half = inv.length
  const cos = new Float32Array(cfg.maxPositions * half)
  const sin = new Float32Array(cfg.maxPositions * half)
  for (let p = 0; p < cfg.maxPositions; p++)
    for (let i = 0; i < half; i++) {
      // Rounded through fp32 exactly as the exported graphs compute the angle.
      const angle = Math.fround(p * inv[i])
      cos[p * half + i] = Math.cos(angle)
      sin[p * half + i] = Math.sin(angle)
    }
  return { cos, sin }
}
