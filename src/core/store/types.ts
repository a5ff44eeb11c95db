// Records of the activation store and the in-memory form of a capture that saving, loading,
// exporting and importing share.
import type { CapturedHook, CaptureResult } from '../hooks/capture.ts'
import type { CaptureKey } from './key.ts'

export type StorageDtype = 'float32' | 'float16'
export const STORAGE_DTYPES: readonly StorageDtype[] = ['float32', 'float16']

/** One hook of a capture: its own record (chunks), loadable without the others. */
export interface StoredHook {
  hook: string
  /** activationKeyString of the hook's key. */
  key: string
  shape: [number, number]
  storageDtype: StorageDtype
  /** Stored bytes (values × 2 or 4). */
  bytes: number
  /** Chunk keys in order; concatenated they hold the row-major values. */
  chunks: string[]
  /** float16 only: finite values that became ±Infinity (|x| ≥ 65520). */
  fp16Overflow?: number
  savedAt: string
}

/** What listCaptures returns: small, no per-text arrays. */
export interface CaptureSummary {
  id: string
  key: CaptureKey
  /** captureKeyString(key). */
  keyString: string
  /** In layer order, then resid_pre, resid_mid, resid_post. */
  hooks: StoredHook[]
  textsCount: number
  /** Rows per hook: textsCount for 'last'/'mean', total tokens for 'all'. */
  rows: number
  dModel: number
  storageDtype: StorageDtype | 'mixed'
  /** What storage did to the values (exact, or the float16 rounding bound and any overflow). */
  precision: string
  /** Stored activation bytes over all hooks. */
  bytes: number
  createdAt: string
  updatedAt: string
  appVersion: string
  modelLabel: string
  setName: string
  /** Bumped on every save; chunk keys carry it so a save never overwrites chunks still in use. */
  generation: number
  formatVersion: 1
}

export interface CaptureTokens {
  /** Tokens per text; empty when unknown (an import without them). */
  tokenCounts: number[]
  /** 'all' pooling: row offsets of each text (length textsCount + 1). */
  offsets?: number[]
  tokenIds?: number[][]
}

export interface StoredCapture extends CaptureSummary, CaptureTokens {}

/** Descriptive fields of a capture besides its key. */
export interface CaptureLabels {
  modelLabel: string
  setName: string
  createdAt: string
  appVersion: string
}

/** A whole capture in memory (fp32 values): what loadCapture returns and export/import exchange. */
export interface CaptureData extends CaptureResult, CaptureLabels {
  key: CaptureKey
  textsCount: number
  /** How each hook is (or is to be) stored; float16 hooks hold values exactly representable in binary16. */
  storageDtypes: Record<string, StorageDtype>
}

export type LoadedHooks = Record<string, CapturedHook>
