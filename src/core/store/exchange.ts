// Exports of a capture for Python (safetensors with tensor names = hook names, one .npy per hook,
// the stimulus set as JSONL, a README) and the import that re-creates the capture from them.
// export → import gives byte-identical arrays, and exporting the import again gives the same file.
import { readSafetensors, writeSafetensors, type SafetensorsInput } from '../formats/safetensors.ts'
import { writeNpy } from '../formats/npy.ts'
import { stimulusSetHash } from '../stimuli/hash.ts'
import { parseStimulusJsonlStrict, stimulusSetToJsonl } from '../stimuli/jsonl.ts'
import type { StimulusSet } from '../stimuli/types.ts'
import { FLOAT16_PRECISION_NOTE, FLOAT32_PRECISION_NOTE, float16BitsInto, float32ToFloat16Into } from './fp16.ts'
import { POOLINGS, captureKeyString, isHookName, normalizeCaptureKey } from './key.ts'
import type { CaptureData, StorageDtype } from './types.ts'
import type { Pooling } from '../hooks/capture.ts'

export const STORE_EXPORT_FORMAT = 'moral-lens-activation-store'
export const STORE_EXPORT_VERSION = 1

export interface ExportFile {
  fileName: string
  bytes: Uint8Array
}

export interface ImportedCapture extends CaptureData {
  /** The stimulus set, when its JSONL was given (checked against the capture's set hash). */
  set?: StimulusSet
  /** The file's __metadata__ as read. */
  metadata: Record<string, string>
}

function storageSummary(c: CaptureData): StorageDtype | 'mixed' {
  const kinds = new Set(c.hooks.map((h) => c.storageDtypes[h] ?? 'float32'))
  return kinds.size === 1 ? [...kinds][0] : 'mixed'
}

function checkExportable(c: CaptureData, where: string): void {
  for (const h of c.hooks) {
    const a = c.activations[h]
    if (!a) throw new Error(`${where}: no activations for hook "${h}"`)
    if (a.data.length !== a.shape[0] * a.shape[1])
      throw new Error(`${where}: hook "${h}" holds ${a.data.length} values but its shape is [${a.shape.join(', ')}]`)
  }
}

/** The `__metadata__` string map of an export: the key, the capture's shared fields and its provenance. */
export function captureExportMetadata(c: CaptureData): Record<string, string> {
  const key = normalizeCaptureKey(c.key)
  const storage = storageSummary(c)
  const m: Record<string, string> = {
    format: STORE_EXPORT_FORMAT,
    format_version: String(STORE_EXPORT_VERSION),
    key: captureKeyString(key),
    model: key.modelId,
    revision: key.revision,
    dtype: key.dtype,
    device: key.device,
    set_hash: key.setHash,
    pooling: key.pooling,
    hooks: c.hooks.join(','),
    n_texts: String(c.textsCount),
    d_model: String(c.dModel),
    storage_dtype: storage,
    precision: storage === 'float32' ? FLOAT32_PRECISION_NOTE : FLOAT16_PRECISION_NOTE,
    token_counts: JSON.stringify(c.tokenCounts ?? []),
    model_label: c.modelLabel,
    set_name: c.setName,
    created: c.createdAt,
    app_version: c.appVersion,
  }
  if (c.offsets) m.offsets = JSON.stringify(c.offsets)
  if (c.tokenIds) m.token_ids = JSON.stringify(c.tokenIds)
  return m
}

function storedValues(c: CaptureData, hook: string): { dtype: StorageDtype; data: Float32Array | Uint16Array } {
  const data = c.activations[hook].data
  if ((c.storageDtypes[hook] ?? 'float32') === 'float32') return { dtype: 'float32', data }
  const bits = new Uint16Array(data.length)
  float32ToFloat16Into(data, bits)
  return { dtype: 'float16', data: bits }
}

/** One safetensors file: a [rows, d_model] tensor per hook (F32, or F16 for float16-stored hooks). */
export function exportCaptureSafetensors(c: CaptureData): Uint8Array {
  checkExportable(c, 'exportCaptureSafetensors')
  const tensors: Record<string, SafetensorsInput> = {}
  for (const h of c.hooks) {
    const v = storedValues(c, h)
    tensors[h] = { dtype: v.dtype === 'float32' ? 'F32' : 'F16', shape: c.activations[h].shape, data: v.data }
  }
  return writeSafetensors(tensors, captureExportMetadata(c))
}

/** One hook as .npy (<f4, or <f2 when stored as float16). */
export function exportCaptureNpy(c: CaptureData, hook: string): Uint8Array {
  if (!c.hooks.includes(hook))
    throw new Error(`exportCaptureNpy: the capture has no hook "${hook}" (it has ${c.hooks.join(', ')})`)
  checkExportable({ ...c, hooks: [hook] }, 'exportCaptureNpy')
  const v = storedValues(c, hook)
  return writeNpy(v.data, c.activations[hook].shape, v.dtype)
}

function slug(s: string, max = 40): string {
  const t = s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
  return t.slice(0, max).replace(/[-.]+$/, '') || 'x'
}

/** File name stem: set, model, pooling and the first 8 hex digits of the set hash. */
export function captureFileBase(c: Pick<CaptureData, 'key' | 'setName' | 'modelLabel'>): string {
  const model = c.modelLabel || c.key.modelId.split('/').pop() || c.key.modelId
  return `${slug(c.setName || 'stimuli')}.${slug(model)}.${c.key.pooling}.${c.key.setHash.slice(0, 8)}`
}

export function captureReadme(c: CaptureData, files: { safetensors: string; jsonl?: string; npy?: Record<string, string> }): string {
  const m = captureExportMetadata(c)
  const first = c.hooks[0]
  const rowsMeaning =
    c.key.pooling === 'all'
      ? `one row per token: rows offsets[i]:offsets[i+1] belong to text i (offsets is in the metadata, ${c.textsCount + 1} entries)`
      : `one row per text (${c.key.pooling === 'last' ? 'the last token' : 'the mean over tokens'}), in the order of the stimulus file`
  const lines = [
    'Moral Lens activation export',
    '============================',
    '',
    `Set:     ${c.setName || '(unnamed)'} (hash ${c.key.setHash})`,
    `Model:   ${c.modelLabel || c.key.modelId}`,
    `Created: ${c.createdAt} with Moral Lens ${c.appVersion}`,
    '',
    'Key (what these activations are; the store keeps one capture per key):',
    `  model     ${c.key.modelId}`,
    `  revision  ${c.key.revision || '(none)'}`,
    `  dtype     ${c.key.dtype}`,
    `  device    ${c.key.device}`,
    `  set hash  ${c.key.setHash}`,
    `  pooling   ${c.key.pooling}`,
    `  key       ${m.key}`,
    '',
    `Hooks (${c.hooks.length}): ${c.hooks.join(', ')}`,
    `Each tensor is [rows, d_model] = [${c.activations[first]?.shape.join(', ')}], ${rowsMeaning}.`,
    `Storage: ${m.precision}.`,
    '',
    'Files',
    `  ${files.safetensors}  all hooks; tensor name = hook name; metadata holds the key, token_counts${c.offsets ? ', offsets' : ''}`,
    ...(files.jsonl
      ? [`  ${files.jsonl}  the stimulus set: line 1 is a header, then one item per line (row i = item i)`]
      : []),
    ...Object.entries(files.npy ?? {}).map(([h, f]) => `  ${f}  ${h} alone`),
    '',
    'Python (pip install numpy safetensors)',
    '',
    '  import json',
    '  import numpy as np',
    '  from safetensors import safe_open',
    '  from safetensors.numpy import load_file',
    '',
    `  acts = load_file("${files.safetensors}")  # {hook name: np.ndarray}`,
    `  with safe_open("${files.safetensors}", framework="np") as f:`,
    '      meta = f.metadata()',
    `  x = acts["${first}"].astype(np.float32)  # [rows, d_model]`,
    '  token_counts = json.loads(meta["token_counts"])',
    ...(c.key.pooling === 'all'
      ? ['  offsets = json.loads(meta["offsets"])', '  text0 = x[offsets[0]:offsets[1]]  # tokens of the first text']
      : []),
    ...(files.jsonl
      ? [
          `  lines = [json.loads(l) for l in open("${files.jsonl}", encoding="utf-8")]`,
          '  header, items = lines[0], lines[1:]',
          `  assert header["hash"] == meta["set_hash"] and len(items) == ${c.textsCount}`,
        ]
      : []),
    ...(files.npy && Object.keys(files.npy).length
      ? ['', `  y = np.load("${files.npy[first] ?? Object.values(files.npy)[0]}")  # the same array as acts["${first}"]`]
      : []),
    '',
    'PyTorch: safetensors.torch.load_file(...) gives the same tensors as torch tensors.',
    'To restore this capture in Moral Lens, import the .safetensors file (optionally with the .stimuli.jsonl',
    'file, which must have the same set hash); the arrays come back bit for bit.',
    '',
  ]
  return lines.join('\n')
}

/**
 * Files for the UI to download one by one (no zip): <base>.safetensors, <base>.stimuli.jsonl (when the
 * set is given; it must be the captured set) and README.txt; with `npy`, also <base>.<hook>.npy per hook.
 */
export function exportCaptureBundle(
  c: CaptureData,
  set: StimulusSet | undefined,
  options: { npy?: boolean } = {},
): ExportFile[] {
  const enc = new TextEncoder()
  const base = captureFileBase(c)
  if (set) {
    const h = stimulusSetHash(set)
    if (h !== c.key.setHash)
      throw new Error(
        `exportCaptureBundle: set "${set.name}" has hash ${h.slice(0, 12)}… but the capture was made for set hash ${c.key.setHash.slice(0, 12)}…`,
      )
  }
  const names = {
    safetensors: `${base}.safetensors`,
    ...(set ? { jsonl: `${base}.stimuli.jsonl` } : {}),
    ...(options.npy ? { npy: Object.fromEntries(c.hooks.map((h) => [h, `${base}.${h}.npy`])) } : {}),
  }
  const files: ExportFile[] = [{ fileName: names.safetensors, bytes: exportCaptureSafetensors(c) }]
  if (set) files.push({ fileName: names.jsonl!, bytes: enc.encode(stimulusSetToJsonl(set)) })
  if (options.npy) for (const h of c.hooks) files.push({ fileName: names.npy![h], bytes: exportCaptureNpy(c, h) })
  files.push({ fileName: 'README.txt', bytes: enc.encode(captureReadme(c, names)) })
  return files
}

function parseJsonField(m: Record<string, string>, field: string, where: string): unknown {
  try {
    return JSON.parse(m[field])
  } catch (e) {
    throw new Error(`${where}: __metadata__ field "${field}" is not valid JSON (${(e as Error).message})`)
  }
}

function intArray(v: unknown, field: string, where: string, length?: number): number[] {
  if (!Array.isArray(v)) throw new Error(`${where}: __metadata__ field "${field}" must be a JSON array of integers`)
  v.forEach((x, i) => {
    if (!Number.isSafeInteger(x) || (x as number) < 0)
      throw new Error(`${where}: __metadata__ field "${field}"[${i}] must be a non-negative integer, got ${JSON.stringify(x)}`)
  })
  if (length !== undefined && v.length !== length)
    throw new Error(`${where}: __metadata__ field "${field}" has ${v.length} entries; expected ${length}`)
  return v as number[]
}

export interface ImportOptions {
  /** Names the file in error messages. */
  fileName?: string
  setFileName?: string
}

/**
 * Reads an export back into a capture. Every problem is an Error naming the file and the tensor or
 * metadata field. With `setJsonl`, the set is parsed, and must have the capture's set hash and one
 * item per text.
 */
export function importCaptureSafetensors(bytes: Uint8Array, setJsonl?: string, options: ImportOptions = {}): ImportedCapture {
  const where = options.fileName ?? 'safetensors file'
  const file = readSafetensors(bytes, where)
  const m = file.metadata
  if (!m)
    throw new Error(
      `${where}: no __metadata__; expected a Moral Lens activation export (format "${STORE_EXPORT_FORMAT}")`,
    )
  if (m.format !== STORE_EXPORT_FORMAT)
    throw new Error(
      `${where}: __metadata__ field "format" is ${JSON.stringify(m.format)}; expected "${STORE_EXPORT_FORMAT}" (a Moral Lens activation export)`,
    )
  if (m.format_version !== String(STORE_EXPORT_VERSION))
    throw new Error(
      `${where}: __metadata__ field "format_version" is ${JSON.stringify(m.format_version)}; this version reads ${STORE_EXPORT_VERSION}`,
    )
  const text = (field: string, optional = false): string => {
    const v = m[field]
    if (v === undefined || (!optional && v === ''))
      throw new Error(`${where}: __metadata__ field "${field}" is missing`)
    return v
  }
  const int = (field: string, min: number): number => {
    const s = text(field)
    const n = Number(s)
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < min)
      throw new Error(`${where}: __metadata__ field "${field}" must be an integer >= ${min}, got ${JSON.stringify(s)}`)
    return n
  }
  const setHash = text('set_hash')
  if (!/^[0-9a-f]{64}$/.test(setHash))
    throw new Error(`${where}: __metadata__ field "set_hash" must be 64 lowercase hex digits, got ${JSON.stringify(setHash)}`)
  const pooling = text('pooling') as Pooling
  if (!POOLINGS.includes(pooling))
    throw new Error(`${where}: __metadata__ field "pooling" must be one of ${POOLINGS.join(', ')}, got ${JSON.stringify(pooling)}`)
  const key = normalizeCaptureKey(
    {
      modelId: text('model'),
      revision: m.revision ?? '',
      dtype: text('dtype'),
      device: text('device'),
      setHash,
      pooling,
    },
    `${where}: __metadata__`,
  )
  if (m.key !== undefined && m.key !== captureKeyString(key))
    throw new Error(
      `${where}: __metadata__ field "key" (${m.key}) does not match the fields model/revision/dtype/device/set_hash/pooling (${captureKeyString(key)})`,
    )
  const textsCount = int('n_texts', 0)
  const dModel = int('d_model', 1)

  const hooks = text('hooks').split(',')
  for (const h of hooks)
    if (!isHookName(h))
      throw new Error(
        `${where}: __metadata__ field "hooks" lists ${JSON.stringify(h)}, which is not a hook name (expected blocks.<layer>.hook_resid_pre|resid_mid|resid_post)`,
      )
  if (new Set(hooks).size !== hooks.length) throw new Error(`${where}: __metadata__ field "hooks" lists a hook twice`)
  for (const name of file.tensors.keys()) {
    if (!isHookName(name))
      throw new Error(
        `${where}: tensor "${name}" is not named after a hook (expected blocks.<layer>.hook_resid_pre|resid_mid|resid_post)`,
      )
    if (!hooks.includes(name)) throw new Error(`${where}: tensor "${name}" is not listed in __metadata__ field "hooks"`)
  }
  for (const h of hooks) if (!file.tensors.has(h)) throw new Error(`${where}: hook "${h}" is listed in "hooks" but has no tensor`)

  let tokenCounts = m.token_counts === undefined ? [] : intArray(parseJsonField(m, 'token_counts', where), 'token_counts', where)
  if (tokenCounts.length !== 0 && tokenCounts.length !== textsCount)
    throw new Error(`${where}: __metadata__ field "token_counts" has ${tokenCounts.length} entries; expected n_texts = ${textsCount}`)
  let offsets: number[] | undefined
  let rows = textsCount
  if (pooling === 'all') {
    if (m.offsets === undefined) throw new Error(`${where}: __metadata__ field "offsets" is missing (required for 'all' pooling)`)
    offsets = intArray(parseJsonField(m, 'offsets', where), 'offsets', where, textsCount + 1)
    if (offsets[0] !== 0) throw new Error(`${where}: __metadata__ field "offsets"[0] must be 0, got ${offsets[0]}`)
    for (let i = 0; i < textsCount; i++) {
      const span = offsets[i + 1] - offsets[i]
      if (span < 0) throw new Error(`${where}: __metadata__ field "offsets" decreases at entry ${i + 1}`)
      if (tokenCounts.length && span !== tokenCounts[i])
        throw new Error(`${where}: __metadata__ "offsets"[${i + 1}] - "offsets"[${i}] = ${span} but "token_counts"[${i}] = ${tokenCounts[i]}`)
    }
    rows = offsets[textsCount]
    if (tokenCounts.length === 0) tokenCounts = offsets.slice(1).map((o, i) => o - offsets![i])
  } else if (m.offsets !== undefined) {
    throw new Error(`${where}: __metadata__ field "offsets" is only meaningful for 'all' pooling, not "${pooling}"`)
  }
  let tokenIds: number[][] | undefined
  if (m.token_ids !== undefined) {
    const v = parseJsonField(m, 'token_ids', where)
    if (!Array.isArray(v) || v.length !== textsCount)
      throw new Error(`${where}: __metadata__ field "token_ids" must be a JSON array with one array per text (${textsCount})`)
    tokenIds = v.map((row, i) => {
      const ids = intArray(row, `token_ids[${i}]`, where)
      if (tokenCounts.length && ids.length !== tokenCounts[i])
        throw new Error(`${where}: __metadata__ "token_ids"[${i}] has ${ids.length} ids but "token_counts"[${i}] = ${tokenCounts[i]}`)
      return ids
    })
  }

  const rowsMeaning = pooling === 'all' ? `offsets[n_texts] = ${rows} token rows` : `n_texts = ${textsCount} rows ('${pooling}' pooling)`
  const activations: CaptureData['activations'] = {}
  const storageDtypes: Record<string, StorageDtype> = {}
  for (const h of hooks) {
    const t = file.tensors.get(h)!
    if (t.dtype !== 'F32' && t.dtype !== 'F16')
      throw new Error(`${where}: tensor "${h}" has dtype ${t.dtype}; expected F32 or F16`)
    if (t.shape.length !== 2 || t.shape[0] !== rows || t.shape[1] !== dModel)
      throw new Error(`${where}: tensor "${h}" has shape [${t.shape.join(', ')}]; expected [${rows}, ${dModel}] (${rowsMeaning}, d_model = ${dModel})`)
    const n = rows * dModel
    const data = new Float32Array(n)
    if (t.dtype === 'F32') {
      new Uint8Array(data.buffer).set(t.data)
      storageDtypes[h] = 'float32'
    } else {
      const bits = t.data.byteOffset % 2 === 0 ? new Uint16Array(t.data.buffer, t.data.byteOffset, n) : new Uint16Array(t.data.slice().buffer)
      float16BitsInto(bits, data)
      storageDtypes[h] = 'float16'
    }
    activations[h] = { data, shape: [rows, dModel] }
  }
  const declared = m.storage_dtype
  const kinds = new Set(Object.values(storageDtypes))
  const actual = kinds.size === 1 ? [...kinds][0] : 'mixed'
  if (declared !== undefined && declared !== actual)
    throw new Error(`${where}: __metadata__ field "storage_dtype" is "${declared}" but the tensors are ${actual}`)

  let set: StimulusSet | undefined
  if (setJsonl !== undefined) {
    const setWhere = options.setFileName ?? 'stimulus JSONL'
    set = parseStimulusJsonlStrict(setJsonl, setWhere)
    if (set.items.length !== textsCount)
      throw new Error(`${setWhere}: ${set.items.length} items but the capture ${where} has n_texts = ${textsCount}`)
    const h = stimulusSetHash(set)
    if (h !== setHash)
      throw new Error(
        `${setWhere}: the set's hash ${h.slice(0, 12)}… differs from the capture's set_hash ${setHash.slice(0, 12)}… (a different or edited set)`,
      )
  }

  return {
    key,
    hooks,
    pooling,
    dModel,
    activations,
    tokenCounts,
    ...(offsets ? { offsets } : {}),
    ...(tokenIds ? { tokenIds } : {}),
    textsCount,
    storageDtypes,
    modelLabel: m.model_label ?? '',
    setName: m.set_name ?? set?.name ?? '',
    createdAt: m.created ?? '',
    appVersion: m.app_version ?? '',
    metadata: { ...m },
    ...(set ? { set } : {}),
  }
}
