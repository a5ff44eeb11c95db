// A loaded causal LM: tokenizer + one onnxruntime session + what the lab knows about it.
// Feeds are built from the graph's declared inputs, so exports with other input sets open too.
import type * as OrtModule from 'onnxruntime-web'
import { DataType, type ValueInfo } from '../onnx/proto.ts'
import { float16ToFloat32 } from '../onnx/tensor.ts'
import type { Tokenizer } from './tokenizer.ts'
import type { ResidualStreamMap } from '../hooks/locate.ts'
import type { SiteIO } from '../hooks/instrument.ts'
import { resolveInterventions, type Intervention } from '../hooks/interventions.ts'
import { yieldIfDue } from '../yield.ts'
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
  /** Residual-stream hook points, or why the graph could not be instrumented. */
  hooks: HooksSummary
}

export interface HooksSummary {
  supported: boolean
  reason?: string
  style?: 'unfused' | 'fused'
  carrier?: string
  names: string[]
  /** Residual value name in the graph, per hook (for the layer diagram). */
  values?: Record<string, string>
}

/** What instrumentation added to the graph the session runs. */
export interface HookSetup {
  map: ResidualStreamMap
  sites: SiteIO[]
  siteOfHook: Map<string, number>
  interventions: boolean
  /** Encoded logit-lens graph (built at load, opened on first use). */
  lensBytes?: Uint8Array
}

/** Keys and values of the tokens already processed, per past input, for every row. */
export interface KvCache {
  length: number
  tensors: Record<string, OrtTensor>
  /** Per row: which of the `length` cached positions are real tokens (default: all). */
  valid?: number[][]
}

export interface RunOptions {
  fetch: string[]
  interventions?: Intervention[]
  past?: KvCache
  /** Per-position additive edits, hook → [batch, maxLen, d] row-major (padding rows ignored). */
  deltas?: Map<string, Float32Array>
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
  private lensSession: Promise<OrtSession> | undefined
  /** past input name → present output name */
  readonly pastToPresent: Map<string, string>

  constructor(
    readonly info: ModelInfo,
    readonly tokenizer: Tokenizer,
    readonly session: OrtSession,
    readonly ort: Ort,
    readonly graphInputs: ValueInfo[],
    readonly config: Record<string, unknown>,
    readonly generationConfig: Record<string, unknown> | undefined,
    readonly hooks?: HookSetup,
  ) {
    this.pastToPresent = new Map()
    const outputs = new Set(session.outputNames)
    for (const input of graphInputs) {
      if (!PAST_RE.test(input.name) || input.name.startsWith('moral_lens')) continue
      const candidates = [input.name.replace(/^past_key_values/, 'present'), input.name.replace(/^past/, 'present')]
      const present = candidates.find((c) => outputs.has(c))
      if (present) this.pastToPresent.set(input.name, present)
    }
  }

  get dModel(): number {
    return this.info.dModel
  }

  requireHooks(): HookSetup {
    if (!this.hooks) throw new Error(`Hooks are not available for this model: ${this.info.hooks.reason ?? 'unknown graph structure'}`)
    return this.hooks
  }

  /** Output name of a hook's residual value. */
  hookOutput(hook: string): string {
    const h = this.requireHooks()
    const site = h.siteOfHook.get(hook)
    if (site === undefined) throw new Error(`unknown hook "${hook}" (this model has ${this.info.hooks.names.length} hooks, e.g. ${this.info.hooks.names[0]})`)
    return h.sites[site].output
  }

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
   * Feeds for one right-padded batch: every declared input gets a tensor in its declared
   * dtype. Without a cache, past key/value inputs of any naming get empty (length-0) pasts.
   */
  buildFeeds(
    batch: EncodedBatch,
    opts: { past?: KvCache; interventions?: Intervention[]; deltas?: Map<string, Float32Array> } = {},
  ): Record<string, OrtTensor> {
    const { ort } = this
    const B = batch.ids.length
    const T = batch.maxLen
    const P = opts.past?.length ?? 0
    const pad = this.padTokenId
    const feeds: Record<string, OrtTensor> = {}
    const labInputs = new Set<string>()
    if (this.hooks?.interventions) for (const s of this.hooks.sites) [s.directions, s.steer, s.mask, s.delta, s.active].forEach((n) => n && labInputs.add(n))
    for (const input of this.graphInputs) {
      const name = input.name
      if (labInputs.has(name)) continue
      const type = this.inputType(input)
      const fill = (cols: number, f: (b: number, t: number) => number) => {
        const a = typedArrayFor(type, B * cols)
        for (let b = 0; b < B; b++)
          for (let t = 0; t < cols; t++) {
            const v = f(b, t)
            ;(a as unknown as { [i: number]: number | bigint })[b * cols + t] = type === 'int64' ? BigInt(v) : v
          }
        return new ort.Tensor(type, a, [B, cols])
      }
      if (name === 'input_ids') feeds[name] = fill(T, (b, t) => (t < batch.lengths[b] ? batch.ids[b][t] : pad))
      else if (name === 'attention_mask')
        feeds[name] = fill(P + T, (b, t) => (t < P ? (opts.past?.valid?.[b]?.[t] ?? 1) : t - P < batch.lengths[b] ? 1 : 0))
      else if (name === 'position_ids') {
        const offsets = opts.past?.valid?.map((row) => row.reduce((a, v) => a + v, 0))
        feeds[name] = fill(T, (b, t) => (offsets?.[b] ?? P) + Math.min(t, batch.lengths[b] - 1))
      } else if (PAST_RE.test(name)) {
        const cached = opts.past?.tensors[name]
        if (cached) {
          feeds[name] = cached
          continue
        }
        const dims = (input.type?.tensor?.shape ?? []).map((d, i) => {
          if (d.value !== undefined) return Number(d.value)
          if (d.param && /batch/i.test(d.param)) return B
          if (d.param && /past|seq|length/i.test(d.param)) return 0
          return i === 0 ? B : 0
        })
        if (dims.length === 0) throw new Error(`graph input "${name}" looks like a KV cache but has no declared shape`)
        feeds[name] = new ort.Tensor(type, typedArrayFor(type, 0), dims)
      } else if (/^(num_)?logits_to_keep$/.test(name)) {
        feeds[name] = new ort.Tensor(type, typedArrayFor(type, 1), [])
      } else {
        throw new Error(`The model's graph has an input "${name}" that the lab does not know how to feed`)
      }
    }
    if (this.hooks?.interventions) Object.assign(feeds, this.interventionFeeds(batch, opts.interventions ?? [], opts.deltas))
    else if (opts.interventions?.length || opts.deltas?.size) throw new Error('this model was loaded without interventions')
    return feeds
  }

  private zeroSite?: { d: number; directions: OrtTensor; steer: OrtTensor; delta: OrtTensor; off: OrtTensor; on: OrtTensor }

  private interventionFeeds(batch: EncodedBatch, interventions: Intervention[], deltas?: Map<string, Float32Array>): Record<string, OrtTensor> {
    const { ort } = this
    const hooks = this.hooks!
    const d = this.dModel
    const B = batch.ids.length
    const T = batch.maxLen
    const resolved = resolveInterventions(interventions, hooks.siteOfHook, d)
    if (!this.zeroSite)
      this.zeroSite = {
        d,
        directions: new ort.Tensor('float32', new Float32Array(d), [1, d]),
        steer: new ort.Tensor('float32', new Float32Array(d), [d]),
        delta: new ort.Tensor('float32', new Float32Array(d), [1, 1, d]),
        off: new ort.Tensor('bool', Uint8Array.of(0), []),
        on: new ort.Tensor('bool', Uint8Array.of(1), []),
      }
    const zeroMask = new ort.Tensor('float32', new Float32Array(B * T), [B, T, 1])
    const deltaBySite = new Map<number, Float32Array>()
    for (const [hook, data] of deltas ?? []) {
      const site = hooks.siteOfHook.get(hook)
      if (site === undefined) throw new Error(`unknown hook "${hook}"`)
      if (data.length !== B * T * d) throw new Error(`the edit at ${hook} has ${data.length} values; expected ${B}×${T}×${d}`)
      if (deltaBySite.has(site)) throw new Error(`two edits at ${hook} (the same residual value)`)
      deltaBySite.set(site, data)
    }
    const feeds: Record<string, OrtTensor> = {}
    for (const site of hooks.sites) {
      const delta = deltaBySite.get(site.site)
      feeds[site.delta!] = delta ? new ort.Tensor('float32', delta, [B, T, d]) : this.zeroSite.delta
      const v = resolved.get(site.site)
      if (!v) {
        feeds[site.directions!] = this.zeroSite.directions
        feeds[site.steer!] = this.zeroSite.steer
        feeds[site.mask!] = zeroMask
        if (site.active) feeds[site.active] = delta ? this.zeroSite.on : this.zeroSite.off
        continue
      }
      if (site.active) feeds[site.active] = this.zeroSite.on
      const mask = new Float32Array(B * T)
      for (let b = 0; b < B; b++) {
        if (v.positions === 'last') mask[b * T + batch.lengths[b] - 1] = 1
        else for (let t = 0; t < batch.lengths[b]; t++) mask[b * T + t] = 1
      }
      feeds[site.directions!] = new ort.Tensor('float32', v.directions, [v.nDirections, d])
      feeds[site.steer!] = new ort.Tensor('float32', v.steer, [d])
      feeds[site.mask!] = new ort.Tensor('float32', mask, [B, T, 1])
    }
    return feeds
  }

  /** One forward pass; returns the fetched outputs (callers dispose them). */
  async forward(batch: EncodedBatch, opts: RunOptions): Promise<Record<string, OrtTensor>> {
    return this.run(this.buildFeeds(batch, opts), opts.fetch)
  }

  /** Site index of a hook (hooks sharing a residual value share a site). */
  siteOf(hook: string): number {
    const s = this.requireHooks().siteOfHook.get(hook)
    if (s === undefined) throw new Error(`unknown hook "${hook}"`)
    return s
  }

  /** The present.* outputs of a run, as a cache for the next one. */
  cacheFrom(outputs: Record<string, OrtTensor>, length: number, valid?: number[][]): KvCache {
    const tensors: Record<string, OrtTensor> = {}
    for (const [past, present] of this.pastToPresent) {
      const t = outputs[present]
      if (!t) throw new Error(`the run did not fetch ${present}`)
      tensors[past] = t
    }
    return { length, tensors, valid }
  }

  get presentNames(): string[] {
    return [...this.pastToPresent.values()]
  }

  /** Session of the logit-lens graph (final norm + unembedding), opened on first use. */
  lens(): Promise<OrtSession> {
    const bytes = this.requireHooks().lensBytes
    if (!bytes) throw new Error('This model has no logit-lens graph.')
    this.lensSession ??= this.ort.InferenceSession.create(bytes, { executionProviders: [this.info.device] })
    return this.lensSession
  }

  async run(feeds: Record<string, OrtTensor>, fetches?: string[]): Promise<Record<string, OrtTensor>> {
    if (this.disposed) throw new Error('this model was unloaded')
    // Lets pause/cancel messages reach the worker between forward passes.
    await yieldIfDue()
    return fetches ? this.session.run(feeds, fetches) : this.session.run(feeds)
  }

  /** Next-token logits after each text's last real token: [B, vocab]. */
  async nextTokenLogits(
    texts: string[],
    interventions: Intervention[] = [],
  ): Promise<{ logits: Float32Array; vocab: number; batch: EncodedBatch }> {
    const batch = this.encode(texts)
    const out = await this.forward(batch, { fetch: ['logits'], interventions })
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
    if (this.lensSession) await (await this.lensSession).release()
  }

  get isDisposed(): boolean {
    return this.disposed
  }
}
