// Captures that persist: reuse what the store already holds for this model, set and pooling,
// capture only the missing hooks, and check the browser's quota before writing.
import type { CausalLM } from '../model/causal-lm.ts'
import { captureActivations, expandHooks, type Pooling } from '../hooks/capture.ts'
import type { HookKind } from '../hooks/locate.ts'
import type { StimulusSet } from '../stimuli/types.ts'
import type { ActivationStore } from './store.ts'
import { captureKeyFor } from './key.ts'
import { estimateCaptureBytes, checkQuota, type QuotaCheck, type StorageEstimator } from './quota.ts'
import type { CaptureSummary, StorageDtype } from './types.ts'

export interface CapturePlanOptions {
  hooks: (string | HookKind)[]
  pooling: Pooling
  storageDtype?: StorageDtype
}

export interface CapturePlan {
  hooks: string[]
  missing: string[]
  /** Bytes the missing hooks will take (for 'all' pooling, estimated from token counts). */
  bytes: number
  quota: QuotaCheck
  existing?: CaptureSummary
}

export async function planCapture(
  model: CausalLM,
  store: ActivationStore,
  set: StimulusSet,
  opts: CapturePlanOptions,
  estimator?: StorageEstimator,
): Promise<CapturePlan> {
  const key = captureKeyFor(model.info, set, opts.pooling)
  const hooks = expandHooks(model, opts.hooks)
  const missing = await store.missingHooks(key, hooks)
  const rows = opts.pooling === 'all' ? set.items.reduce((a, it) => a + model.encode([it.text]).ids[0].length, 0) : set.items.length
  const bytes = estimateCaptureBytes(rows, model.dModel, missing.length, opts.storageDtype ?? 'float32')
  const quota = await checkQuota(bytes, estimator ? { estimate: estimator } : {})
  return { hooks, missing, bytes, quota, existing: await store.findCapture(key) }
}

export async function ensureCapture(
  model: CausalLM,
  store: ActivationStore,
  set: StimulusSet,
  opts: CapturePlanOptions & { batchSize?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void; appVersion?: string },
): Promise<{ summary: CaptureSummary; reused: boolean; captured: string[] }> {
  const key = captureKeyFor(model.info, set, opts.pooling)
  const hooks = expandHooks(model, opts.hooks)
  const missing = await store.missingHooks(key, hooks)
  if (missing.length === 0) {
    const summary = await store.findCapture(key)
    if (summary) return { summary, reused: true, captured: [] }
  }
  const result = await captureActivations(
    model,
    set.items.map((i) => i.text),
    { hooks: missing, pooling: opts.pooling, batchSize: opts.batchSize, signal: opts.signal, onProgress: opts.onProgress },
  )
  const summary = await store.saveCapture(
    result,
    { key, modelLabel: model.info.sourceLabel, setName: set.name, appVersion: opts.appVersion },
    { storageDtype: opts.storageDtype ?? 'float32', signal: opts.signal },
  )
  return { summary, reused: false, captured: missing }
}
