// A loaded causal LM: tokenizer + one onnxruntime session + what the lab knows about it.
// Feeds are built from the graph's declared inputs, so exports with other input sets open too.
import type * as OrtModule from 'onnxruntime-web'
import { DataType, type ValueInfo } from '../onnx/proto.ts'
import { float16ToFloat32 } from '../onnx/tensor.ts'
import type { Tokenizer } from './tokenizer.ts'
import type { Device } from './device.ts'
import type { Dtype } from './catalog.ts'

export type Ort = typeof OrtModule
export type OrtSession = OrtModule.InferenceSession
export type OrtTensor = OrtModule.Tensor

export interface ModelInfo {
  sourceKey: string
  sourceLabel: string
  sourceKind: 'hub' | 'url' | 'builtin' | 'local'
  revision?: string
  dtype: Dtype
  device: Device
  deviceReason: string
  modelType: string
  architecture: string
  nLayers: number
  dModel: number
  nHeads: number
  vocabSize: number
  /** True for the lab's generated models: results mean nothing about real models. */
  randomWeights: boolean
  note?: string
  hasChatTemplate: boolean
  files: { path: string; bytes: number }[]
  onnxPath: string
  inputNames: string[]
  outputNames: string[]
}

/** Numbers the lab needs from config.json, whatever the family calls them. */
export function readModelConfig(config: Record<string, unknown>, file = 'config.json') {
  const num = (...keys: string[]) => {
    for (const k of keys) {
      const v = config[k]
      if (typeof v === 'number') return v
    }
    const text = (config.text_config ?? undefined) as Record<string, unknown> | undefined
    if (text) for (const k of keys) if (typeof text[k] === 'number') return text[k] as number
    return undefined
  }
  const modelType = String(config.model_type ?? '')
  if (!modelType) throw new Error(`${file}: "model_type" is missing; is this a Hugging Face model folder?`)
  const nLayers = num('num_hidden_layers', 'n_layer', 'num_layers')
  const dModel = num('hidden_size', 'n_embd', 'd_model')
  const nHeads = num('num_attention_heads', 'n_head')
  const vocabSize = num('vocab_size')
  if (!nLayers || !dModel || !vocabSize)
    throw new Error(`${file}: expected num_hidden_layers/n_layer, hidden_size/n_embd and vocab_size for a causal LM`)
  const archs = config.architectures as string[] | undefined
  const lens = config.moral_lens as { random_weights?: boolean; note?: string } | undefined
  return {
    modelType,
    architecture: archs?.[0] ?? modelType,
    nLayers,
    dModel,
    nHeads: nHeads ?? 0,
    vocabSize,
    randomWeights: Boolean(lens?.random_weights),
    note: lens?.note,
  }
}

export interface EncodedBatch {
  ids: number[][]
  lengths: number[]
  maxLen: number
}

const ELEM_TYPE_NAME: Record<number, OrtModule.Tensor.Type> = {
  [DataType.FLOAT]: 'float32',
  [DataType.FLOAT16]: 'float16',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.BOOL]: 'bool',
  [DataType.UINT8]: 'uint8',
  [DataType.INT8]: 'int8',
  [DataType.DOUBLE]: 'float64',
}

function typedArrayFor(type: OrtModule.Tensor.Type, n: number) {
  switch (type) {
    case 'float32':
      return new Float32Array(n)
    case 'float16':
      return new Uint16Array(n)
    case 'int64':
      return new BigInt64Array(n)
    case 'int32':
      return new Int32Array(n)
    case 'bool':
    case 'uint8':
      return new Uint8Array(n)
    case 'int8':
      return new Int8Array(n)
    case 'float64':
      return new Float64Array(n)
  }
  throw new Error(`unsupported input type ${type}`)
}

/** Reads any float tensor as fp32. */
export function tensorToFloat32(t: OrtTensor): Float32Array {
  const data = t.data
  if (data instanceof Float32Array) return data
  if (t.type === 'float16') return float16ToFloat32(data as Uint16Array)
  return Float32Array.from(data as ArrayLike<number>, Number)
}

const PAST_RE = /past|cache/i

export class CausalLM {
  private disposed = false

  constructor(
    readonly info: ModelInfo,
    readonly tokenizer: Tokenizer,
    readonly session: OrtSession,
    private readonly ort: Ort,
    readonly graphInputs: ValueInfo[],
    readonly config: Record<string, unknown>,
    readonly generationConfig: Record<string, unknown> | undefined,
  ) {}

  get padTokenId(): number {
    const t = this.tokenizer as unknown as { pad_token_id?: number; eos_token_id?: number }
    return t.pad_token_id ?? t.eos_token_id ?? 0
  }

  encode(texts: string[], addSpecialTokens = true): EncodedBatch {
    if (texts.length === 0) throw new Error('no texts to run')
    const ids = texts.map((t) => this.tokenizer.encode(t, { add_special_tokens: addSpecialTokens }))
    ids.forEach((row, i) => {
      if (row.length === 0) throw new Error(`text ${i + 1} is empty after tokenisation`)
    })
    const lengths = ids.map((r) => r.length)
    return { ids, lengths, maxLen: Math.max(...lengths) }
  }

  private inputType(v: ValueInfo): OrtModule.Tensor.Type {
    const t = v.type?.tensor?.elemType
    const name = t === undefined ? undefined : ELEM_TYPE_NAME[t]
    if (!name) throw new Error(`graph input "${v.name}" has an unsupported type (${t})`)
    return name
  }

  /**
   * Feeds for one right-padded batch with no past: every declared input gets a tensor in its
   * declared dtype; past key/value inputs of any naming get empty (length-0) pasts.
   */
  buildFeeds(batch: EncodedBatch, extra: Record<string, OrtTensor> = {}): Record<string, OrtTensor> {
    const { ort } = this
    const B = batch.ids.length
    const T = batch.maxLen
    const pad = this.padTokenId
    const feeds: Record<string, OrtTensor> = {}
    for (const input of this.graphInputs) {
      if (extra[input.name]) {
        feeds[input.name] = extra[input.name]
        continue
      }
      const type = this.inputType(input)
      const name = input.name
      const fill = (f: (b: number, t: number) => number) => {
        const a = typedArrayFor(type, B * T)
        for (let b = 0; b < B; b++)
          for (let t = 0; t < T; t++) {
            const v = f(b, t)
            ;(a as unknown as { [i: number]: number | bigint })[b * T + t] = type === 'int64' ? BigInt(v) : v
          }
        return new ort.Tensor(type, a, [B, T])
      }
      if (name === 'input_ids') feeds[name] = fill((b, t) => (t < batch.lengths[b] ? batch.ids[b][t] : pad))
      else if (name === 'attention_mask') feeds[name] = fill((b, t) => (t < batch.lengths[b] ? 1 : 0))
      else if (name === 'position_ids') feeds[name] = fill((b, t) => Math.min(t, batch.lengths[b] - 1))
      else if (PAST_RE.test(name)) {
        const dims = (input.type?.tensor?.shape ?? []).map((d, i) => {
          if (d.value !== undefined) return Number(d.value)
          if (i === 0) return B
          return 0
        })
        if (dims.length === 0) throw new Error(`graph input "${name}" looks like a KV cache but has no declared shape`)
        feeds[name] = new ort.Tensor(type, typedArrayFor(type, 0), dims)
      } else if (/^(num_)?logits_to_keep$/.test(name)) {
        feeds[name] = new ort.Tensor(type, typedArrayFor(type, 1), [])
      } else {
        throw new Error(`The model's graph has an input "${name}" that the lab does not know how to feed`)
      }
    }
    return feeds
  }

  async run(feeds: Record<string, OrtTensor>, fetches?: string[]): Promise<Record<string, OrtTensor>> {
    if (this.disposed) throw new Error('this model was unloaded')
    return fetches ? this.session.run(feeds, fetches) : this.session.run(feeds)
  }

  /** Next-token logits after each text's last real token: [B, vocab]. */
  async nextTokenLogits(texts: string[]): Promise<{ logits: Float32Array; vocab: number; batch: EncodedBatch }> {
    const batch = this.encode(texts)
    const out = await this.run(this.buildFeeds(batch), ['logits'])
    const logits = out.logits
    const [B, T, V] = logits.dims as number[]
    const all = tensorToFloat32(logits)
    const result = new Float32Array(B * V)
    for (let b = 0; b < B; b++) {
      const t = T === 1 ? 0 : batch.lengths[b] - 1
      result.set(all.subarray((b * T + t) * V, (b * T + t + 1) * V), b * V)
    }
    logits.dispose()
    return { logits: result, vocab: V, batch }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    await this.session.release()
  }

  get isDisposed(): boolean {
    return this.disposed
  }
}
