// Thin comlink adapter over the SAE core (src/core/sae/lab.ts): training on the CPU kernels (with
// onnxruntime-web's Gemm for the dense product) or the WebGPU kernels, evaluation, the feature
// browser's queries, label correlations, moral features, re-alignment and SAELens files.
import * as Comlink from 'comlink'
import * as ort from 'onnxruntime-web/webgpu'
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url'
import mjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url'
import { SaeLab, chooseSaeBackend, suggestTrainConfig, type SaeBackendPreference, type SaeBackendChoice } from '../src/core/sae/lab.ts'
import { createCpuKernels } from '../src/core/sae/cpu.ts'
import { createOrtMatmul, type OrtMatmul } from '../src/core/sae/ortMatmul.ts'
import { createWebGpuKernels, requestSaeDevice, type WebGpuKernels } from '../src/core/sae/webgpu.ts'
import { createPauseController, type PauseController, type SaeStepMetrics } from '../src/core/sae/train.ts'
import type { FeatureDensity } from '../src/core/sae/metrics.ts'
import type { SaeTrainConfig } from '../src/core/sae/types.ts'
import type { FeatureQuery, MoralFeatureSelection } from '../src/core/sae/labels.ts'
import type { RealignmentOptions } from '../src/core/sae/realign.ts'
import type { StimulusItem } from '../src/core/stimuli/types.ts'
import { wasmThreadCount } from '../src/core/model/device.ts'
import { ActivationStore } from '../src/core/store/store.ts'
import { IndexedDbBackend } from '../src/core/store/indexeddb.ts'

ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, self.location.href).href, mjs: new URL(mjsUrl, self.location.href).href }
ort.env.wasm.numThreads = wasmThreadCount(self.crossOriginIsolated, navigator.hardwareConcurrency || 1).threads
ort.env.logLevel = 'error'

const lab = new SaeLab()
let store: Promise<ActivationStore> | undefined
function activationStore(): Promise<ActivationStore> {
  store ??= IndexedDbBackend.open().then((b) => new ActivationStore(b, { appVersion: __APP_VERSION__ }))
  return store
}

let gemm: Promise<OrtMatmul | null> | undefined
function ortGemm(): Promise<OrtMatmul | null> {
  gemm ??= createOrtMatmul(ort as unknown as typeof import('onnxruntime-web')).catch(() => null)
  return gemm
}

let gpu: ReturnType<typeof requestSaeDevice> | undefined
const jobs = new Map<string, AbortController>()
let pause: PauseController | undefined

function startJob(id: string): AbortController {
  jobs.get(id)?.abort()
  const c = new AbortController()
  jobs.set(id, c)
  return c
}

async function withJob<T>(id: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const c = startJob(id)
  try {
    return await work(c.signal)
  } finally {
    if (jobs.get(id) === c) jobs.delete(id)
  }
}

const api = {
  async backend(preference: SaeBackendPreference): Promise<SaeBackendChoice> {
    if (preference === 'cpu') return chooseSaeBackend('cpu', { ok: false, reason: '' })
    gpu ??= requestSaeDevice()
    return chooseSaeBackend(preference, await gpu)
  },

  /** Reads the corpus capture from the store (the model worker wrote it) into the lab. */
  async loadCorpus(captureId: string, hook: string, tokens: string[][], ids: string[], modelName: string) {
    const s = await activationStore()
    const meta = await s.getCapture(captureId)
    if (!meta?.offsets) throw new Error('The stored corpus capture has no token offsets; capture it again with every token.')
    const loaded = await s.loadHooks(captureId, [hook])
    const acts = loaded[hook]
    return lab.setCorpus({ acts: acts.data, dIn: acts.shape[1], offsets: meta.offsets, tokens, ids, hook, modelName })
  },

  corpusSummary: () => lab.corpusSummary(),
  heldOutTextIndices: () => lab.heldOutTextIndices(),
  suggestTrainConfig: (dIn: number, tokens: number) => suggestTrainConfig(dIn, tokens),

  async train(
    config: Partial<SaeTrainConfig>,
    preference: SaeBackendPreference,
    onStep: (m: SaeStepMetrics) => void,
    onDensity: (d: Pick<FeatureDensity, 'histogram' | 'silentFraction' | 'denseFraction'>, step: number) => void,
    onBackend: (choice: SaeBackendChoice) => void,
  ) {
    const choice = await api.backend(preference)
    onBackend(choice)
    let kernels: WebGpuKernels | ReturnType<typeof createCpuKernels>
    if (choice.backend === 'webgpu') {
      const g = await gpu!
      if (!g.ok) throw new Error(g.reason)
      kernels = createWebGpuKernels(g.device)
    } else {
      const m = await ortGemm()
      kernels = createCpuKernels({ matmul: m?.matmul, encodeTopK: m?.encodeTopK, yieldEveryMs: 30 })
    }
    pause = createPauseController()
    try {
      return await withJob('train', (signal) =>
        lab.train(config, {
          kernels: kernels as never,
          signal,
          pauseGate: pause!.gate,
          onStep,
          onDensity: (d, step) => onDensity({ histogram: d.histogram, silentFraction: d.silentFraction, denseFraction: d.denseFraction }, step),
        }),
      ).then((r) => ({ ...r, backend: choice }))
    } finally {
      pause = undefined
      if ('dispose' in kernels) kernels.dispose()
    }
  },

  pauseTraining: () => pause?.pause(),
  resumeTraining: () => pause?.resume(),
  cancel: (id: string) => jobs.get(id)?.abort(),

  evaluate: (onProgress?: (done: number, total: number) => void) => withJob('evaluate', (signal) => lab.evaluate({ onProgress, signal })),
  computeStats: (onProgress?: (done: number, total: number) => void) => withJob('stats', (signal) => lab.computeStats({ onProgress, signal })),

  async setLabelledFromStore(captureId: string, hook: string, items: StimulusItem[], onProgress?: (done: number, total: number) => void) {
    const loaded = await (await activationStore()).loadHooks(captureId, [hook])
    return lab.setLabelled(items, loaded[hook].data, { onProgress })
  },

  queryFeatures: (q: FeatureQuery) => lab.queryFeatures(q),
  featureDetail: (f: number) => lab.featureDetail(f),
  readText: (acts: Float32Array, tokens: string[]) => lab.readText(acts, tokens),
  selectMoral: (o: MoralFeatureSelection) => lab.selectMoral(o),
  realign: (features: number[], o: RealignmentOptions, onProgress?: (done: number, total: number) => void) =>
    withJob('realign', (signal) => lab.realign(features, { ...o, onProgress, signal })),

  exportSae() {
    const sae = lab.exportSae()
    return Comlink.transfer(sae, [sae.encoder.buffer, sae.bEnc.buffer, sae.decoder.buffer, sae.bDec.buffer] as ArrayBuffer[])
  },
  saeSummary: () => lab.saeSummary(),
  saveSaeLens(metadata: Record<string, unknown>) {
    const files = lab.saveSaeLens(metadata)
    return Comlink.transfer(files, [files.weights.buffer as ArrayBuffer])
  },
  loadSaeLens: (cfgJson: string, weights: Uint8Array, expect: { dIn: number; hooks: string[] }) => lab.loadSaeLens(cfgJson, weights, expect),
}

export type SaeWorkerApi = typeof api
Comlink.expose(api)
