// Sizing a capture before running it, and checking it against the browser's storage quota.
import type { StorageDtype } from './types.ts'

export const STORAGE_DTYPE_BYTES: Record<StorageDtype, number> = { float32: 4, float16: 2 }

/** Bytes of activation data a capture stores: rows × d_model × hooks × bytes per value (metadata is extra, ~KB). */
export function estimateCaptureBytes(nRows: number, dModel: number, nHooks: number, dtype: StorageDtype): number {
  for (const [name, v] of [
    ['nRows', nRows],
    ['dModel', dModel],
    ['nHooks', nHooks],
  ] as const)
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`estimateCaptureBytes: ${name} must be a non-negative integer, got ${v}`)
  const per = STORAGE_DTYPE_BYTES[dtype]
  if (per === undefined) throw new Error(`estimateCaptureBytes: dtype must be float32 or float16, got ${JSON.stringify(dtype)}`)
  return nRows * dModel * nHooks * per
}

/** `navigator.storage.estimate` or a stand-in (tests, a worker without it). */
export type StorageEstimator = () => Promise<{ quota?: number; usage?: number }>

/** The browser's estimator when there is one (window and workers), else undefined. */
export function browserStorageEstimator(): StorageEstimator | undefined {
  const storage = (globalThis as { navigator?: { storage?: { estimate?: () => Promise<StorageEstimate> } } }).navigator
    ?.storage
  if (typeof storage?.estimate !== 'function') return undefined
  return () => storage.estimate!()
}

export type QuotaCheck =
  | { ok: true; needBytes: number; availableBytes?: number; quotaBytes?: number; usageBytes?: number; message: string }
  | { ok: false; needBytes: number; availableBytes: number; quotaBytes: number; usageBytes: number; message: string }

export interface QuotaOptions {
  /** Defaults to browserStorageEstimator(); null means "unknown, do not check". */
  estimate?: StorageEstimator | null
  /** Bytes to keep free besides the capture (default 0). */
  reserveBytes?: number
}

export function formatBytes(n: number): string {
  if (n < 1e3) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let v = n / 1e3
  let i = 0
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000
    i++
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`
}

/**
 * Whether `needBytes` more fit in the quota. ok: false is a warning the UI shows before capturing;
 * when the estimate is unavailable (or fails) the answer is ok with the reason in `message`.
 */
export async function checkQuota(needBytes: number, options: QuotaOptions = {}): Promise<QuotaCheck> {
  if (!Number.isFinite(needBytes) || needBytes < 0)
    throw new Error(`checkQuota: needBytes must be a non-negative number, got ${needBytes}`)
  const estimate = options.estimate === undefined ? browserStorageEstimator() : options.estimate
  if (!estimate) return { ok: true, needBytes, message: 'storage quota unknown here (no navigator.storage.estimate)' }
  let quota: number | undefined
  let usage: number | undefined
  try {
    ;({ quota, usage } = await estimate())
  } catch (e) {
    return { ok: true, needBytes, message: `storage quota unknown (estimate failed: ${(e as Error).message})` }
  }
  if (typeof quota !== 'number' || !Number.isFinite(quota))
    return { ok: true, needBytes, message: 'storage quota unknown (the estimate gave no quota)' }
  const usageBytes = typeof usage === 'number' && Number.isFinite(usage) ? usage : 0
  const availableBytes = Math.max(0, quota - usageBytes - (options.reserveBytes ?? 0))
  const base = { needBytes, availableBytes, quotaBytes: quota, usageBytes }
  if (needBytes <= availableBytes)
    return { ok: true, ...base, message: `${formatBytes(needBytes)} fits (${formatBytes(availableBytes)} free)` }
  return {
    ok: false,
    ...base,
    message:
      `This capture needs about ${formatBytes(needBytes)} but only ${formatBytes(availableBytes)} of browser storage is free ` +
      `(quota ${formatBytes(quota)}, ${formatBytes(usageBytes)} used). Store as float16 (half the size), capture fewer ` +
      'hooks or texts, or delete stored captures.',
  }
}

/** estimateCaptureBytes followed by checkQuota. */
export function checkCaptureQuota(
  nRows: number,
  dModel: number,
  nHooks: number,
  dtype: StorageDtype,
  options: QuotaOptions = {},
): Promise<QuotaCheck> {
  return checkQuota(estimateCaptureBytes(nRows, dModel, nHooks, dtype), options)
}
