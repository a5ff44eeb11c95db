// What identifies stored activations: the model (source, revision, dtype, device), the stimulus set's
// content hash, the pooling and the hook. A capture key is everything but the hook; each hook of a
// capture is its own record, so an analysis loads only the layers it needs.
import type { Pooling } from '../hooks/capture.ts'
import { parseHookName } from '../hooks/locate.ts'
import { sha256Hex } from '../hash.ts'
import type { ModelInfo } from '../model/causal-lm.ts'
import { stimulusSetHash } from '../stimuli/hash.ts'
import type { StimulusSet } from '../stimuli/types.ts'

export const POOLINGS: readonly Pooling[] = ['last', 'mean', 'all']

export interface CaptureKey {
  /** `ModelInfo.sourceKey`. */
  modelId: string
  /** Hub revision; '' when the source has none. */
  revision: string
  /** Model weights dtype (`ModelInfo.dtype`: fp32, fp16, q8, ...). */
  dtype: string
  /** 'webgpu' | 'wasm': kernels differ in the last bits, so activations are kept apart. */
  device: string
  /** `stimulusSetHash` of the set: 64 lowercase hex digits. */
  setHash: string
  pooling: Pooling
}

export interface ActivationKey extends CaptureKey {
  hook: string
}

export type CaptureKeyInput = Omit<CaptureKey, 'revision'> & { revision?: string }
export type ActivationKeyInput = CaptureKeyInput & { hook: string }

const KEY_PREFIX = 'moral-lens/activations/v1?'
const FIELD_NAMES: [keyof ActivationKey, string][] = [
  ['modelId', 'model'],
  ['revision', 'revision'],
  ['dtype', 'dtype'],
  ['device', 'device'],
  ['setHash', 'set'],
  ['pooling', 'pooling'],
  ['hook', 'hook'],
]

export function isHookName(name: string): boolean {
  try {
    parseHookName(name)
    return true
  } catch {
    return false
  }
}

/** Throws an Error naming the hook and the expected form. */
export function assertHookName(name: unknown, where = 'hook'): asserts name is string {
  if (typeof name !== 'string' || !isHookName(name))
    throw new Error(
      `${where}: ${JSON.stringify(name)} is not a hook name (expected blocks.<layer>.hook_resid_pre|resid_mid|resid_post)`,
    )
}

/** Validates and normalises (revision undefined → '', hash lower-cased); throws naming the field. */
export function normalizeCaptureKey(key: CaptureKeyInput, where = 'capture key'): CaptureKey {
  if (typeof key !== 'object' || key === null) throw new Error(`${where}: expected an object`)
  const text = (field: 'modelId' | 'dtype' | 'device'): string => {
    const v = key[field]
    if (typeof v !== 'string' || v.length === 0)
      throw new Error(`${where}: field "${field}" must be a non-empty string, got ${JSON.stringify(v)}`)
    return v
  }
  const revision = key.revision ?? ''
  if (typeof revision !== 'string')
    throw new Error(`${where}: field "revision" must be a string, got ${JSON.stringify(revision)}`)
  const setHash = typeof key.setHash === 'string' ? key.setHash.toLowerCase() : key.setHash
  if (typeof setHash !== 'string' || !/^[0-9a-f]{64}$/.test(setHash))
    throw new Error(
      `${where}: field "setHash" must be a stimulus-set hash (64 hex digits), got ${JSON.stringify(key.setHash)}`,
    )
  if (!POOLINGS.includes(key.pooling))
    throw new Error(`${where}: field "pooling" must be one of ${POOLINGS.join(', ')}, got ${JSON.stringify(key.pooling)}`)
  return {
    modelId: text('modelId'),
    revision,
    dtype: text('dtype'),
    device: text('device'),
    setHash,
    pooling: key.pooling,
  }
}

export function normalizeActivationKey(key: ActivationKeyInput, where = 'activation key'): ActivationKey {
  const base = normalizeCaptureKey(key, where)
  assertHookName(key.hook, `${where}: field "hook"`)
  return { ...base, hook: key.hook }
}

function encodeFields(key: Partial<ActivationKey>, fields: [keyof ActivationKey, string][]): string {
  return fields.map(([f, name]) => `${name}=${encodeURIComponent(String(key[f]))}`).join('&')
}

/** Canonical string of a capture key: equal keys give equal strings, any field change a different one. */
export function captureKeyString(key: CaptureKeyInput): string {
  return KEY_PREFIX + encodeFields(normalizeCaptureKey(key), FIELD_NAMES.slice(0, -1))
}

/** Canonical string of one hook's record: the capture key string plus `&hook=...`. */
export function activationKeyString(key: ActivationKeyInput): string {
  return KEY_PREFIX + encodeFields(normalizeActivationKey(key), FIELD_NAMES)
}

/** Inverse of activationKeyString (and of captureKeyString when the hook is absent). */
export function parseKeyString(s: string): CaptureKey & { hook?: string } {
  if (!s.startsWith(KEY_PREFIX)) throw new Error(`activation key "${s}": expected it to start with "${KEY_PREFIX}"`)
  const params = new Map<string, string>()
  for (const part of s.slice(KEY_PREFIX.length).split('&')) {
    const eq = part.indexOf('=')
    if (eq < 0) throw new Error(`activation key "${s}": "${part}" is not name=value`)
    params.set(part.slice(0, eq), decodeURIComponent(part.slice(eq + 1)))
  }
  const get = (name: string) => params.get(name)
  const input = {
    modelId: get('model') ?? '',
    revision: get('revision') ?? '',
    dtype: get('dtype') ?? '',
    device: get('device') ?? '',
    setHash: get('set') ?? '',
    pooling: get('pooling') as Pooling,
  }
  const hook = get('hook')
  if (hook === undefined) return normalizeCaptureKey(input, `activation key "${s}"`)
  return normalizeActivationKey({ ...input, hook }, `activation key "${s}"`)
}

/** Stable id of the capture that holds a key's hooks (one capture per capture key). */
export function captureIdOf(key: CaptureKeyInput): string {
  return 'cap-' + sha256Hex(captureKeyString(key)).slice(0, 24)
}

export function activationKeyOf(key: CaptureKeyInput, hook: string): ActivationKey {
  return normalizeActivationKey({ ...key, hook })
}

/** The capture key of a loaded model, a stimulus set (or its hash) and a pooling. */
export function captureKeyFor(
  model: Pick<ModelInfo, 'sourceKey' | 'revision' | 'dtype' | 'device'>,
  set: Pick<StimulusSet, 'items' | 'prompts'> | string,
  pooling: Pooling,
): CaptureKey {
  return normalizeCaptureKey({
    modelId: model.sourceKey,
    revision: model.revision,
    dtype: model.dtype,
    device: model.device,
    setHash: typeof set === 'string' ? set : stimulusSetHash(set),
    pooling,
  })
}

export function sameCaptureKey(a: CaptureKeyInput, b: CaptureKeyInput): boolean {
  return captureKeyString(a) === captureKeyString(b)
}
