// Thin comlink adapter: browser dependencies in, the core ModelService out.
import * as Comlink from 'comlink'
import * as ort from 'onnxruntime-web/webgpu'
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url'
import mjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url'
import { ModelService } from '../src/core/model/service.ts'
import { CacheApiFileCache } from '../src/core/model/download.ts'
import { wasmThreadCount, type Environment, type GpuAdapterSummary } from '../src/core/model/device.ts'
import { ActivationStore } from '../src/core/store/store.ts'
import { IndexedDbBackend } from '../src/core/store/indexeddb.ts'
import { ensureCapture, planCapture, type CapturePlanOptions } from '../src/core/store/ensure.ts'
import { exportCaptureBundle, importCaptureSafetensors } from '../src/core/store/exchange.ts'
import type { StimulusSet } from '../src/core/stimuli/types.ts'

// Served by the lab itself: no CDN request at run time.
ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, self.location.href).href, mjs: new URL(mjsUrl, self.location.href).href }
const threads = wasmThreadCount(self.crossOriginIsolated, navigator.hardwareConcurrency || 1)
ort.env.wasm.numThreads = threads.threads
ort.env.logLevel = 'error'

async function probeEnvironment(): Promise<Environment> {
  let gpu: GpuAdapterSummary | null = null
  let gpuUnavailableReason: string | undefined
  const nav = navigator as Navigator & { gpu?: GPU }
  if (!nav.gpu) gpuUnavailableReason = 'this browser exposes no navigator.gpu'
  else {
    try {
      const adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' })
      if (!adapter) gpuUnavailableReason = 'the browser returned no WebGPU adapter'
      else {
        const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info
        gpu = {
          vendor: info?.vendor ?? '',
          architecture: info?.architecture ?? '',
          description: info?.description ?? '',
          isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter),
          shaderF16: adapter.features.has('shader-f16'),
          maxBufferSize: adapter.limits.maxBufferSize,
        }
      }
    } catch (e) {
      gpuUnavailableReason = `requesting a WebGPU adapter failed: ${(e as Error).message}`
    }
  }
  return {
    gpu,
    gpuUnavailableReason,
    crossOriginIsolated: self.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency || 1,
    wasmThreads: threads.threads,
    wasmThreadsReason: threads.reason,
  }
}

const service = new ModelService({
  ort: ort as unknown as typeof import('onnxruntime-web'),
  probeEnvironment,
  cache: typeof caches !== 'undefined' ? new CacheApiFileCache() : undefined,
  currentGpuDevice: () => (ort.env.webgpu as { device?: unknown }).device,
})

let store: Promise<ActivationStore> | undefined
function activationStore(): Promise<ActivationStore> {
  store ??= IndexedDbBackend.open().then((b) => new ActivationStore(b, { appVersion: __APP_VERSION__ }))
  return store
}

const storeApi = {
  async planCapture(set: StimulusSet, opts: CapturePlanOptions) {
    return planCapture(service.requireModel(), await activationStore(), set, opts)
  },
  async ensureCapture(set: StimulusSet, opts: CapturePlanOptions & { batchSize?: number }, jobId?: string, onProgress?: (done: number, total: number) => void) {
    const s = await activationStore()
    return service.runJob(jobId, (signal) =>
      ensureCapture(service.requireModel(), s, set, { ...opts, signal, onProgress, appVersion: __APP_VERSION__ }),
    )
  },
  async listCaptures() {
    return (await activationStore()).listCaptures()
  },
  async deleteCapture(id: string) {
    await (await activationStore()).deleteCapture(id)
  },
  async deleteAllCaptures() {
    await (await activationStore()).deleteAll()
  },
  async exportCapture(id: string, set: StimulusSet | undefined) {
    const s = await activationStore()
    const files = exportCaptureBundle(await s.loadCapture(id), set)
    return Comlink.transfer(files, files.map((f) => f.bytes.buffer as ArrayBuffer))
  },
  /** Token offsets and token strings of a stored per-token capture (the SAE worker's browser needs them). */
  async captureTokens(id: string) {
    const c = await (await activationStore()).getCapture(id)
    if (!c?.tokenIds || !c.offsets) throw new Error('This capture has no per-token ids; capture it with every token.')
    return { offsets: c.offsets, tokens: service.decodeTokens(c.tokenIds) }
  },
  async importCapture(bytes: Uint8Array, setJsonl: string | undefined, fileName: string) {
    const s = await activationStore()
    const imported = importCaptureSafetensors(bytes, setJsonl, { fileName })
    const summary = await s.saveCaptureData(imported)
    return { summary, set: imported.set }
  },
}

export type ModelWorkerApi = typeof storeApi & {
  environment: ModelService['environment']
  setHubHost: ModelService['setHubHost']
  setBuiltinBaseUrl: ModelService['setBuiltinBaseUrl']
  describe: ModelService['describe']
  hubReachable: ModelService['hubReachable']
  load: ModelService['load']
  cancelLoad: ModelService['cancelLoad']
  unload: ModelService['unload']
  info: ModelService['info']
  nextTokenLogits: ModelService['nextTokenLogits']
  topNextTokens: ModelService['topNextTokens']
  getStats: ModelService['getStats']
  cacheList: ModelService['cacheList']
  cacheDelete: ModelService['cacheDelete']
  cacheClear: ModelService['cacheClear']
  workerMemory: () => { jsHeapBytes?: number }
  cancelJob: ModelService['cancelJob']
  capture: ModelService['capture']
  layerLens: ModelService['layerLens']
  scoreNextTokens: ModelService['scoreNextTokens']
  scoreContinuations: ModelService['scoreContinuations']
  generate: ModelService['generate']
  elicitation: ModelService['elicitation']
  entanglement: ModelService['entanglement']
  entanglementAblation: ModelService['entanglementAblation']
  pauseElicitation: ModelService['pauseElicitation']
  resumeElicitation: ModelService['resumeElicitation']
  cancelElicitation: ModelService['cancelElicitation']
  setSae: ModelService['setSae']
  saeSpliceEval: ModelService['saeSpliceEval']
  saeLogitEffects: ModelService['saeLogitEffects']
  decodeTokens: ModelService['decodeTokens']
}

const api: ModelWorkerApi = {
  ...storeApi,
  environment: () => service.environment(),
  setHubHost: (h) => service.setHubHost(h),
  setBuiltinBaseUrl: (u) => service.setBuiltinBaseUrl(u),
  describe: (s, t) => service.describe(s, t),
  hubReachable: (id, t) => service.hubReachable(id, t),
  load: (req, onProgress) => service.load(req, onProgress),
  cancelLoad: () => service.cancelLoad(),
  unload: () => service.unload(),
  info: () => service.info(),
  nextTokenLogits: async (texts) => {
    const r = await service.nextTokenLogits(texts)
    return Comlink.transfer(r, [r.logits.buffer])
  },
  topNextTokens: (text, k) => service.topNextTokens(text, k),
  getStats: () => service.getStats(),
  cacheList: () => service.cacheList(),
  cacheDelete: (urls) => service.cacheDelete(urls),
  cacheClear: () => service.cacheClear(),
  cancelJob: (id) => service.cancelJob(id),
  capture: async (texts, opts, jobId, onProgress) => {
    const r = await service.capture(texts, opts, jobId, onProgress)
    return Comlink.transfer(r, Object.values(r.activations).map((a) => a.data.buffer as ArrayBuffer))
  },
  layerLens: (text, opts) => service.layerLens(text, opts),
  scoreNextTokens: (p, ids, opts, jobId) => service.scoreNextTokens(p, ids, opts, jobId),
  scoreContinuations: (p, c, opts) => service.scoreContinuations(p, c, opts),
  generate: (prompt, opts, onToken, jobId) => service.generate(prompt, opts, onToken, jobId),
  elicitation: (set, options, scorer, onEvent, onPhase, jobId, onStart) => service.elicitation(set, options, scorer, onEvent, onPhase, jobId, onStart),
  pauseElicitation: (id) => service.pauseElicitation(id),
  entanglement: (set, opts, onProgress, jobId) => service.entanglement(set, opts, onProgress, jobId),
  entanglementAblation: (set, before, opts, onProgress, jobId) => service.entanglementAblation(set, before, opts, onProgress, jobId),
  resumeElicitation: (id) => service.resumeElicitation(id),
  cancelElicitation: (id) => service.cancelElicitation(id),
  setSae: (sae) => service.setSae(sae),
  saeSpliceEval: (texts, hook, opts, jobId, onProgress) => service.saeSpliceEval(texts, hook, opts, jobId, onProgress),
  saeLogitEffects: (features, k) => service.saeLogitEffects(features, k),
  decodeTokens: (ids) => service.decodeTokens(ids),
  workerMemory: () => ({ jsHeapBytes: (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize }),
}

Comlink.expose(api)
