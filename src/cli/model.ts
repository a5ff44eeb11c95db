// Opening a model folder in Node with the browser's loader (onnxruntime-web, WASM), and turning
// the loader's failures into one-line CLI errors.
import { cpus } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-web'
import { loadCausalLM, ModelLoadError, type LoadProgress } from '../core/model/loader.ts'
import { DownloadError } from '../core/model/download.ts'
import { DTYPES, type Dtype } from '../core/model/catalog.ts'
import type { CausalLM } from '../core/model/causal-lm.ts'
import type { Environment } from '../core/model/device.ts'
import { CliError, UsageError } from './io.ts'
import { ModelFolderError, NodeDirSource } from './node-source.ts'

/** Node has no WebGPU; onnxruntime-web runs its WASM build single-threaded there. */
export function nodeEnvironment(): Environment {
  return {
    gpu: null,
    gpuUnavailableReason: 'Node has no WebGPU',
    crossOriginIsolated: false,
    hardwareConcurrency: cpus().length,
    wasmThreads: 1,
    wasmThreadsReason: 'onnxruntime-web in Node (WASM, one thread)',
  }
}

export function parseDtype(raw: string | undefined): Dtype | undefined {
  if (raw === undefined) return undefined
  if (!(DTYPES as readonly string[]).includes(raw)) throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}, got "${raw}"`)
  return raw as Dtype
}

export interface OpenOptions {
  dtype?: Dtype
  instrument?: boolean
  onProgress?: (p: LoadProgress) => void
}

export interface OpenedModel {
  model: CausalLM
  source: NodeDirSource
}

/** Loads a model folder; every failure becomes a CliError naming the folder and the problem. */
export async function openModelFolder(dir: string, opts: OpenOptions = {}): Promise<OpenedModel> {
  // onnxruntime's warnings would land in stdout, which carries the commands' JSON.
  ort.env.logLevel = 'error'
  let source: NodeDirSource
  try {
    source = new NodeDirSource(dir)
  } catch (e) {
    if (e instanceof ModelFolderError) throw new CliError(e.message)
    throw e
  }
  const files = await source.list()
  if (!files.some((f) => f.path === 'config.json'))
    throw new CliError(`${dir} is not a model folder: config.json is missing (expected a Hugging Face model folder with config.json, tokenizer.json and onnx/model*.onnx)`)
  try {
    const model = await loadCausalLM(source, { ort, env: nodeEnvironment(), device: 'wasm', dtype: opts.dtype, instrument: opts.instrument, onProgress: opts.onProgress })
    return { model, source }
  } catch (e) {
    if (e instanceof ModelLoadError || e instanceof DownloadError) throw new CliError(e.message)
    throw e
  }
}

/** Throws a CliError with the locator's reason when the model's residual stream was not found. */
export function requireHookSupport(model: CausalLM, dir: string): void {
  const h = model.info.hooks
  if (!h.supported) throw new CliError(`unsupported graph in ${join(dir, model.info.onnxPath)}: ${h.reason ?? 'the residual stream was not found'}`)
}

export function ortWebVersion(): string {
  return ort.env.versions?.web ?? 'unknown'
}
