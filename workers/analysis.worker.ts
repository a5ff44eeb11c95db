// Thin comlink adapter over the analysis core (moral typicality; later value entanglement).
import * as Comlink from 'comlink'
import { computeTypicalityDiagnostics, type TypicalityOptions, type TypicalityReport } from '../src/core/typicality/diagnostics.ts'
import { categoryProjection, stimulusMap, type CategoryProjection, type StimulusMap } from '../src/core/typicality/views.ts'
import type { StimulusItem } from '../src/core/stimuli/types.ts'
import { ActivationStore } from '../src/core/store/store.ts'
import { IndexedDbBackend } from '../src/core/store/indexeddb.ts'

let store: Promise<ActivationStore> | undefined
function activationStore(): Promise<ActivationStore> {
  store ??= IndexedDbBackend.open().then((b) => new ActivationStore(b, { appVersion: __APP_VERSION__ }))
  return store
}

export interface LayerData {
  hook: string
  layer: number
  data: Float32Array
  rows: number
  cols: number
}

const jobs = new Map<string, AbortController>()
let lastLayers: { key: string; layers: LayerData[]; items: StimulusItem[] } | undefined

const api = {
  /** Keeps the activations in the worker for the per-layer views that follow. */
  async typicality(
    key: string,
    layers: LayerData[],
    items: StimulusItem[],
    options: Omit<TypicalityOptions, 'signal' | 'onProgress'>,
    jobId: string,
    onProgress?: (done: number, total: number) => void,
  ): Promise<TypicalityReport> {
    const controller = new AbortController()
    jobs.set(jobId, controller)
    lastLayers = { key, layers, items }
    try {
      return await computeTypicalityDiagnostics(
        layers.map((l) => ({ hook: l.hook, layer: l.layer, acts: { data: l.data, rows: l.rows, cols: l.cols } })),
        items,
        { ...options, signal: controller.signal, onProgress },
      )
    } finally {
      jobs.delete(jobId)
    }
  },

  /** The same analysis on activations read from the store (the model worker wrote them). */
  async typicalityFromStore(
    key: string,
    captureId: string,
    hooks: string[],
    items: StimulusItem[],
    options: Omit<TypicalityOptions, 'signal' | 'onProgress'>,
    jobId: string,
    onProgress?: (done: number, total: number) => void,
  ): Promise<TypicalityReport> {
    const loaded = await (await activationStore()).loadHooks(captureId, hooks)
    const layers = hooks.map((h) => ({
      hook: h,
      layer: Number(/^blocks\.(\d+)\./.exec(h)![1]),
      data: loaded[h].data,
      rows: loaded[h].shape[0],
      cols: loaded[h].shape[1],
    }))
    return api.typicality(key, layers, items, options, jobId, onProgress)
  },

  hasLayers(key: string): boolean {
    return lastLayers?.key === key
  },

  projection(key: string, layer: number, category: string): CategoryProjection {
    const l = requireLayer(key, layer)
    return categoryProjection({ data: l.data, rows: l.rows, cols: l.cols }, lastLayers!.items, layer, category)
  },

  map(key: string, layer: number): StimulusMap {
    const l = requireLayer(key, layer)
    return stimulusMap({ data: l.data, rows: l.rows, cols: l.cols }, lastLayers!.items, layer)
  },

  cancel(jobId: string): void {
    jobs.get(jobId)?.abort()
  },
}

function requireLayer(key: string, layer: number): LayerData {
  if (lastLayers?.key !== key) throw new Error('The activations for this view are no longer loaded; run the analysis again.')
  const l = lastLayers.layers.find((x) => x.layer === layer)
  if (!l) throw new Error(`layer ${layer} was not analysed`)
  return l
}

export type AnalysisWorkerApi = typeof api
Comlink.expose(api)
