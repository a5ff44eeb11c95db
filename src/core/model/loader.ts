// Opening a causal LM from any source: config, tokenizer, generation config, the ONNX graph
// at the chosen dtype and its external data, then an onnxruntime session on WASM or WebGPU.
import { decodeModel, encodeModel, DataType, type ModelProto } from '../onnx/proto.ts'
import { CausalLM, readModelConfig, type HookSetup, type HooksSummary, type ModelInfo, type Ort } from './causal-lm.ts'
import { locateResidualStream, UnsupportedGraphError } from '../hooks/locate.ts'
import { instrumentGraph } from '../hooks/instrument.ts'
import { buildLensGraph } from '../hooks/lens.ts'
import { createTokenizer } from './tokenizer.ts'
import { candidateOnnxPaths, dtypeOptions, externalDataLocations, type DtypeOption } from './files.ts'
import { chooseDevice, defaultDtype, type Device, type DevicePreference, type Environment } from './device.ts'
import type { Dtype } from './catalog.ts'
import type { ModelSource } from './sources.ts'
import { DownloadError, RateMeter, isAbortError } from './download.ts'

export type LoadPhase = 'listing' | 'config' | 'tokenizer' | 'download' | 'graph' | 'session' | 'ready'

export interface LoadProgress {
  phase: LoadPhase
  message: string
  file?: string
  /** Bytes of model files read so far, over all files. */
  loaded: number
  /** Expected bytes over all files; 0 when unknown. */
  total: number
  bytesPerSecond: number
  etaSeconds?: number
  fromCache?: boolean
}

export interface LoadOptions {
  ort: Ort
  env: Environment
  device?: DevicePreference
  dtype?: Dtype
  signal?: AbortSignal
  onProgress?: (p: LoadProgress) => void
  /** Instrument the residual stream (hooks and interventions); default true. */
  instrument?: boolean
}

export class ModelLoadError extends Error {
  constructor(message: string, readonly cause?: unknown) {
    super(message)
    this.name = 'ModelLoadError'
  }
}

function checkAborted(signal?: AbortSignal) {
  if (signal?.aborted) throw new DOMException('Loading was cancelled', 'AbortError')
}

async function readJson(source: ModelSource, path: string, optional: boolean, signal?: AbortSignal) {
  const bytes = await source.read(path, { optional, signal })
  if (!bytes) return undefined
  const text = new TextDecoder().decode(bytes)
  if (/^\s*</.test(text))
    throw new ModelLoadError(`${path} in ${source.label} is an HTML page, not JSON: the server has no such file (is the address right?)`)
  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch (e) {
    throw new ModelLoadError(`${path} in ${source.label} is not valid JSON (${(e as Error).message})`)
  }
}

export interface ModelFilesSummary {
  options: DtypeOption[]
  listed: boolean
}

/** Dtypes a source offers and their sizes (from its listing, when it can list). */
export async function describeModelFiles(source: ModelSource, signal?: AbortSignal): Promise<ModelFilesSummary> {
  const files = await source.list(signal)
  if (!files) return { options: [], listed: false }
  return { options: dtypeOptions(files), listed: true }
}

export async function loadCausalLM(source: ModelSource, opts: LoadOptions): Promise<CausalLM> {
  const { signal } = opts
  let done = 0
  let total = 0
  const meter = new RateMeter()
  const t0 = Date.now()
  const report = (p: Omit<LoadProgress, 'loaded' | 'total' | 'bytesPerSecond'> & { current?: number }) => {
    const loaded = done + (p.current ?? 0)
    const rate = meter.add(Date.now() - t0, loaded)
    opts.onProgress?.({
      ...p,
      loaded,
      total,
      bytesPerSecond: rate,
      etaSeconds: total > loaded && rate > 0 ? (total - loaded) / rate : undefined,
    })
  }
  try {
    report({ phase: 'listing', message: `Looking up ${source.label}` })
    const listing = await source.list(signal)
    checkAborted(signal)

    report({ phase: 'config', message: 'Reading config.json' })
    const config = await readJson(source, 'config.json', false, signal)
    const cfg = readModelConfig(config!, `${source.label}/config.json`)
    const generationConfig = await readJson(source, 'generation_config.json', true, signal)

    report({ phase: 'tokenizer', message: 'Reading the tokenizer' })
    const tokenizerJson = await source.read('tokenizer.json', { optional: true, signal })
    if (!tokenizerJson)
      throw new ModelLoadError(
        `tokenizer.json is missing from ${source.label}. The lab needs the fast-tokenizer file (tokenizer.json) next to config.json.`,
      )
    const tokenizerConfig = (await readJson(source, 'tokenizer_config.json', true, signal)) ?? {}
    let tokenizer
    try {
      tokenizer = createTokenizer(JSON.parse(new TextDecoder().decode(tokenizerJson)), tokenizerConfig)
    } catch (e) {
      throw new ModelLoadError(`tokenizer.json in ${source.label} could not be read: ${(e as Error).message}`, e)
    }

    // Dtype and device.
    const options = listing ? dtypeOptions(listing) : []
    const available = options.map((o) => o.dtype)
    let dtype = opts.dtype
    const pref = opts.device ?? 'auto'
    const provisional = chooseDevice(pref, opts.env, dtype ?? 'fp32')
    if (!dtype) dtype = defaultDtype(available.length ? available : ['fp32'], provisional.device, !!opts.env.gpu?.shaderF16) ?? 'fp32'
    if (listing && available.length && !available.includes(dtype))
      throw new ModelLoadError(`${source.label} has no ${dtype} weights; it offers ${available.join(', ')}`)
    if (listing && !available.length)
      throw new ModelLoadError(`${source.label} has no ONNX decoder (expected onnx/model*.onnx)`)
    let { device, reason: deviceReason } = chooseDevice(pref, opts.env, dtype)

    // The graph.
    const option = options.find((o) => o.dtype === dtype)
    total = option?.bytes ?? 0
    let onnxPath = option?.onnxPath
    let onnxBytes: Uint8Array | undefined
    const progressFor = (phase: LoadPhase) => (p: { file: string; loaded: number; total: number; fromCache: boolean }) => {
      if (!option && p.total && total < done + p.total) total = done + p.total
      report({ phase, message: `${p.fromCache ? 'Reading from cache' : 'Downloading'} ${p.file}`, file: p.file, current: p.loaded, fromCache: p.fromCache })
    }
    for (const path of onnxPath ? [onnxPath] : candidateOnnxPaths(dtype)) {
      onnxBytes = await source.read(path, { optional: !option, signal, onProgress: progressFor('download') })
      if (onnxBytes) {
        onnxPath = path
        break
      }
    }
    if (!onnxBytes || !onnxPath)
      throw new ModelLoadError(`${source.label} has no ONNX decoder for dtype ${dtype} (looked for ${candidateOnnxPaths(dtype).join(', ')})`)
    done += onnxBytes.length
    const files = [{ path: onnxPath, bytes: onnxBytes.length }]

    report({ phase: 'graph', message: `Reading the graph of ${onnxPath}` })
    let graph
    try {
      graph = decodeModel(onnxBytes)
    } catch (e) {
      throw new ModelLoadError(`${onnxPath} in ${source.label} could not be read as an ONNX model: ${(e as Error).message}`, e)
    }
    const folder = onnxPath.includes('/') ? onnxPath.slice(0, onnxPath.lastIndexOf('/') + 1) : ''
    const externalData: { path: string; data: Uint8Array }[] = []
    for (const location of externalDataLocations(graph)) {
      const path = folder + location
      const data = await source.read(path, { optional: true, signal, onProgress: progressFor('download') })
      if (!data)
        throw new ModelLoadError(`${onnxPath} keeps its weights in "${location}", but ${path} is missing from ${source.label}`)
      done += data.length
      files.push({ path, bytes: data.length })
      externalData.push({ path: location, data })
    }
    checkAborted(signal)

    if (device === 'webgpu' && !opts.env.gpu?.shaderF16 && graphUsesFloat16(graph)) {
      const why = `${onnxPath} computes with float16 tensors and the WebGPU adapter lacks 'shader-f16'`
      if (pref === 'webgpu') throw new ModelLoadError(`WebGPU cannot run this model: ${why}. Choose WASM.`)
      device = 'wasm'
      deviceReason = `WASM because ${why}`
    }

    const graphInputs = graph.graph.input.filter((i) => !graph.graph.initializer.some((t) => t.name === i.name))
    if (!graphInputs.some((i) => i.name === 'input_ids'))
      throw new ModelLoadError(`${onnxPath} has no "input_ids" input; it does not look like a causal LM decoder`)
    if (!graph.graph.output.some((o) => o.name === 'logits'))
      throw new ModelLoadError(`${onnxPath} has no "logits" output; it does not look like a causal LM decoder`)
    let hooks: HookSetup | undefined
    let hooksSummary: HooksSummary = { supported: false, names: [], reason: 'instrumentation was turned off' }
    let runBytes = onnxBytes
    if (opts.instrument !== false) {
      report({ phase: 'graph', message: 'Locating the residual stream' })
      try {
        const map = locateResidualStream(graph, cfg.nLayers)
        let lensBytes: Uint8Array | undefined
        try {
          lensBytes = encodeModel(buildLensGraph(graph, map, Object.fromEntries(externalData.map((e) => [e.path, e.data]))))
        } catch {
          lensBytes = undefined
        }
        const inst = instrumentGraph(graph, map, { dModel: cfg.dModel })
        const location = inlineWeightsLocation(externalData.map((e) => e.path))
        if (pointInitializersIntoFile(inst.model, onnxBytes, location)) externalData.push({ path: location, data: onnxBytes })
        runBytes = encodeModel(inst.model)
        hooks = { map, sites: inst.sites, siteOfHook: inst.siteOfHook, interventions: true, lensBytes }
        hooksSummary = {
          supported: true,
          style: map.style,
          carrier: map.carrier,
          names: map.hooks.map((h) => h.name),
          values: Object.fromEntries(map.hooks.map((h) => [h.name, h.value])),
        }
      } catch (e) {
        if (!(e instanceof UnsupportedGraphError)) throw e
        hooksSummary = { supported: false, names: [], reason: e.message }
      }
    }
    const finalInputs = hooks ? graph.graph.input.filter((i) => !graph.graph.initializer.some((t) => t.name === i.name)) : graphInputs

    report({ phase: 'session', message: `Starting onnxruntime on ${device === 'webgpu' ? 'WebGPU' : 'WASM'}` })
    const session = await createSession(opts.ort, runBytes, externalData, device, onnxPath)
    if (signal?.aborted) {
      await session.release()
      checkAborted(signal)
    }
    const info: ModelInfo = {
      sourceKey: source.key,
      sourceLabel: source.label,
      sourceKind: source.kind,
      revision: source.revision,
      dtype,
      device,
      deviceReason,
      ...cfg,
      hasChatTemplate: Boolean((tokenizer as unknown as { chat_template?: unknown }).chat_template),
      files,
      onnxPath,
      inputNames: [...session.inputNames],
      outputNames: [...session.outputNames],
      hooks: hooksSummary,
    }
    report({ phase: 'ready', message: `${source.label} is ready on ${device === 'webgpu' ? 'WebGPU' : 'WASM'}` })
    return new CausalLM(info, tokenizer, session, opts.ort, finalInputs, config!, generationConfig, hooks)
  } catch (e) {
    if (isAbortError(e)) throw e
    if (e instanceof ModelLoadError || e instanceof DownloadError) throw e
    throw new ModelLoadError(`Could not load ${source.label}: ${(e as Error).message}`, e)
  }
}

/** Whether a graph has float16 inputs, outputs, initializers or casts (WebGPU then needs shader-f16). */
export function graphUsesFloat16(model: ModelProto): boolean {
  const g = model.graph
  const f16 = (v: { type?: { tensor?: { elemType: number } } }) => v.type?.tensor?.elemType === DataType.FLOAT16
  if (g.input.some(f16) || g.output.some(f16)) return true
  if (g.initializer.some((t) => t.dataType === DataType.FLOAT16)) return true
  return g.node.some((n) => n.opType === 'Cast' && n.attribute.some((a) => a.name === 'to' && Number(a.i) === DataType.FLOAT16))
}

/** Name under which the downloaded .onnx file itself is handed to onnxruntime as external data. */
export const INLINE_WEIGHTS_LOCATION = 'moral_lens.inline_weights'

function inlineWeightsLocation(taken: string[]): string {
  let name = INLINE_WEIGHTS_LOCATION
  for (let i = 1; taken.includes(name); i++) name = `${INLINE_WEIGHTS_LOCATION}_${i}`
  return name
}

/**
 * Re-points every inline initializer of at least `minBytes` at its own bytes inside `file` (the
 * downloaded .onnx), as external data under `location`. The session is then created from a small
 * graph and onnxruntime copies each weight once, straight from `file` into its heap, instead of
 * the weights being copied by re-encoding, again into the heap as a model buffer, and again when
 * onnxruntime parses that buffer. Payloads are untouched, so results are bit-identical.
 * Returns the number of bytes re-pointed.
 */
export function pointInitializersIntoFile(model: ModelProto, file: Uint8Array, location: string, minBytes = 1024): number {
  let moved = 0
  model.graph.initializer = model.graph.initializer.map((t) => {
    const raw = t.rawData
    if (!raw || raw.length < minBytes || raw.buffer !== file.buffer) return t
    const offset = raw.byteOffset - file.byteOffset
    if (offset < 0 || offset + raw.length > file.length) return t
    moved += raw.length
    return {
      ...t,
      rawData: undefined,
      encoded: undefined,
      dirty: true,
      dataLocation: 1,
      externalData: [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(raw.length) },
      ],
    }
  })
  return moved
}

export async function createSession(
  ort: Ort,
  bytes: Uint8Array,
  externalData: { path: string; data: Uint8Array }[],
  device: Device,
  label: string,
) {
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: [device],
      graphOptimizationLevel: 'all',
      ...(externalData.length ? { externalData } : {}),
    })
  } catch (e) {
    throw new ModelLoadError(`onnxruntime could not open ${label} on ${device === 'webgpu' ? 'WebGPU' : 'WASM'}: ${(e as Error).message}`, e)
  }
}
