// The activation store: captures saved under their key so re-opening an analysis is a read, not a
// forward pass. One capture per capture key (model, revision, dtype, device, set hash, pooling);
// each hook is a separate record of ≤ chunkBytes chunks, so analyses load only the layers they need.
//
// Layout in the backend:
//   meta   capture/<id>   CaptureSummary (listed; small)
//   meta   tokens/<id>    CaptureTokens (token counts, offsets, token ids; read on load)
//   chunk  <id>/<hook>/<generation>/<index>   raw little-endian float32 or binary16 values
//
// A save writes the new chunks first and the metadata last, in the transaction that also deletes
// the chunks it replaces, so an interrupted save leaves the previous capture intact (plus orphans
// that removeOrphanChunks() sweeps).
import type { CapturedHook, CaptureResult } from '../hooks/capture.ts'
import { parseHookName } from '../hooks/locate.ts'
import type { ChunkPut, StorageBackend } from './backend.ts'
import { FLOAT16_PRECISION_NOTE, FLOAT32_PRECISION_NOTE, float16BitsInto, float32ToFloat16Into } from './fp16.ts'
import {
  activationKeyString,
  assertHookName,
  captureIdOf,
  captureKeyString,
  normalizeActivationKey,
  normalizeCaptureKey,
  type ActivationKeyInput,
  type CaptureKey,
  type CaptureKeyInput,
} from './key.ts'
import { STORAGE_DTYPE_BYTES } from './quota.ts'
import {
  STORAGE_DTYPES,
  type CaptureData,
  type CaptureSummary,
  type CaptureTokens,
  type LoadedHooks,
  type StorageDtype,
  type StoredCapture,
  type StoredHook,
} from './types.ts'

/** IndexedDB values stay below this (browsers handle larger ones, but not all of them well). */
export const DEFAULT_CHUNK_BYTES = 32 * 2 ** 20
/** Chunks put per write transaction before it is committed. */
export const DEFAULT_TRANSACTION_BYTES = 128 * 2 ** 20

const SUMMARY = 'capture/'
const TOKENS = 'tokens/'
const HOOK_KIND_ORDER = { resid_pre: 0, resid_mid: 1, resid_post: 2 }

export interface ActivationStoreOptions {
  /** Largest chunk in bytes; a multiple of 4 (tests use small values to cross chunk boundaries). */
  chunkBytes?: number
  transactionBytes?: number
  /** Recorded in every capture (the app's package version). */
  appVersion?: string
  /** Clock for createdAt/updatedAt (tests fix it). */
  now?: () => Date
}

export interface CaptureMetaInput {
  key: CaptureKeyInput
  modelLabel?: string
  setName?: string
  /** Kept from an import; otherwise the time of the first save. */
  createdAt?: string
  appVersion?: string
}

export interface SaveProgress {
  hooksDone: number
  hooks: number
  bytesWritten: number
  bytesTotal: number
}

export interface SaveOptions {
  /** One dtype for the capture (default float32), or one per hook. */
  storageDtype?: StorageDtype | Record<string, StorageDtype>
  signal?: AbortSignal
  onProgress?: (p: SaveProgress) => void
}

export interface LoadOptions {
  signal?: AbortSignal
}

function compareHooks(a: string, b: string): number {
  const pa = parseHookName(a)
  const pb = parseHookName(b)
  return pa.layer - pb.layer || HOOK_KIND_ORDER[pa.kind] - HOOK_KIND_ORDER[pb.kind]
}

function sameNumbers(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function abortError(what: string): DOMException {
  return new DOMException(`${what} was cancelled`, 'AbortError')
}

function chunkIndex(i: number): string {
  return String(i).padStart(5, '0')
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
}

/** Validates the shared fields and every hook's array; returns rows per hook. Errors name the field. */
function validateCapture(c: CaptureResult, key: CaptureKey, where: string): { rows: number; textsCount: number } {
  if (c.pooling !== key.pooling)
    throw new Error(`${where}: pooling "${c.pooling}" differs from the key's pooling "${key.pooling}"`)
  if (!Number.isSafeInteger(c.dModel) || c.dModel <= 0)
    throw new Error(`${where}: dModel must be a positive integer, got ${JSON.stringify(c.dModel)}`)
  if (!Array.isArray(c.hooks) || c.hooks.length === 0) throw new Error(`${where}: hooks must list at least one hook`)
  if (new Set(c.hooks).size !== c.hooks.length) throw new Error(`${where}: hooks lists a hook twice`)
  for (const h of c.hooks) assertHookName(h, `${where}: hooks`)
  const counts = c.tokenCounts ?? []
  counts.forEach((n, i) => {
    if (!Number.isSafeInteger(n) || n < 0)
      throw new Error(`${where}: tokenCounts[${i}] must be a non-negative integer, got ${JSON.stringify(n)}`)
  })
  let rows: number
  let textsCount: number
  if (c.pooling === 'all') {
    const off = c.offsets
    if (!off) throw new Error(`${where}: 'all' pooling needs offsets (row offset of each text, length texts + 1)`)
    if (off.length !== counts.length + 1)
      throw new Error(`${where}: offsets has ${off.length} entries; expected tokenCounts.length + 1 = ${counts.length + 1}`)
    if (off[0] !== 0) throw new Error(`${where}: offsets[0] must be 0, got ${off[0]}`)
    for (let i = 0; i < counts.length; i++)
      if (off[i + 1] - off[i] !== counts[i])
        throw new Error(
          `${where}: offsets[${i + 1}] - offsets[${i}] = ${off[i + 1] - off[i]} but tokenCounts[${i}] = ${counts[i]}`,
        )
    rows = off[off.length - 1]
    textsCount = counts.length
  } else {
    if (c.offsets !== undefined) throw new Error(`${where}: offsets are only meaningful for 'all' pooling`)
    rows = c.activations[c.hooks[0]]?.shape[0] ?? 0
    textsCount = rows
    if (counts.length !== 0 && counts.length !== rows)
      throw new Error(`${where}: tokenCounts has ${counts.length} entries but there are ${rows} texts (rows)`)
  }
  if (c.tokenIds !== undefined) {
    if (c.tokenIds.length !== textsCount)
      throw new Error(`${where}: tokenIds has ${c.tokenIds.length} entries; expected one per text (${textsCount})`)
    c.tokenIds.forEach((ids, i) => {
      if (counts.length && ids.length !== counts[i])
        throw new Error(`${where}: tokenIds[${i}] has ${ids.length} ids but tokenCounts[${i}] = ${counts[i]}`)
    })
  }
  for (const h of c.hooks) {
    const a = c.activations[h]
    if (!a) throw new Error(`${where}: no activations for hook "${h}"`)
    if (!(a.data instanceof Float32Array)) throw new Error(`${where}: activations["${h}"].data must be a Float32Array`)
    const [r, d] = a.shape
    if (r !== rows || d !== c.dModel)
      throw new Error(`${where}: activations["${h}"] has shape [${a.shape.join(', ')}]; expected [${rows}, ${c.dModel}]`)
    if (a.data.length !== rows * c.dModel)
      throw new Error(`${where}: activations["${h}"] holds ${a.data.length} values; shape [${rows}, ${c.dModel}] needs ${rows * c.dModel}`)
  }
  return { rows, textsCount }
}

function precisionOf(hooks: StoredHook[]): { storageDtype: StorageDtype | 'mixed'; precision: string } {
  const f16 = hooks.filter((h) => h.storageDtype === 'float16')
  if (f16.length === 0) return { storageDtype: 'float32', precision: FLOAT32_PRECISION_NOTE }
  const overflow = f16.reduce((s, h) => s + (h.fp16Overflow ?? 0), 0)
  let precision = FLOAT16_PRECISION_NOTE
  if (overflow > 0) precision += `; ${overflow} value${overflow === 1 ? '' : 's'} overflowed to +/-Infinity`
  if (f16.length === hooks.length) return { storageDtype: 'float16', precision }
  const f32 = hooks.filter((h) => h.storageDtype === 'float32').map((h) => h.hook)
  return { storageDtype: 'mixed', precision: `${precision}; stored exactly as float32: ${f32.join(', ')}` }
}

export class ActivationStore {
  readonly chunkBytes: number
  readonly transactionBytes: number
  private readonly appVersion: string
  private readonly now: () => Date
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    readonly backend: StorageBackend,
    options: ActivationStoreOptions = {},
  ) {
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES
    if (!Number.isSafeInteger(this.chunkBytes) || this.chunkBytes <= 0 || this.chunkBytes % 4 !== 0)
      throw new Error(`ActivationStore: chunkBytes must be a positive multiple of 4, got ${options.chunkBytes}`)
    this.transactionBytes = Math.max(this.chunkBytes, options.transactionBytes ?? DEFAULT_TRANSACTION_BYTES)
    this.appVersion = options.appVersion ?? 'unknown'
    this.now = options.now ?? (() => new Date())
  }

  /** Writes run one at a time, so two saves into one capture cannot interleave their metadata. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  async getSummary(id: string): Promise<CaptureSummary | undefined> {
    const [s] = await this.backend.getMeta([SUMMARY + id])
    return s as CaptureSummary | undefined
  }

  /** Summary plus token counts/offsets, or undefined. */
  async getCapture(id: string): Promise<StoredCapture | undefined> {
    const [s, t] = await this.backend.getMeta([SUMMARY + id, TOKENS + id])
    if (!s) return undefined
    return { ...(s as CaptureSummary), ...((t as CaptureTokens | undefined) ?? { tokenCounts: [] }) }
  }

  /** The capture stored under a key, if any. */
  findCapture(key: CaptureKeyInput): Promise<CaptureSummary | undefined> {
    return this.getSummary(captureIdOf(key))
  }

  /** Which of `hooks` are not stored yet for this key (what still needs a forward pass). */
  async missingHooks(key: CaptureKeyInput, hooks: readonly string[]): Promise<string[]> {
    const s = await this.findCapture(key)
    const have = new Set(s?.hooks.map((h) => h.hook) ?? [])
    return hooks.filter((h) => !have.has(h))
  }

  /** The stored record of one hook under its full key, if any. */
  async findHook(key: ActivationKeyInput): Promise<(StoredHook & { captureId: string }) | undefined> {
    const k = normalizeActivationKey(key)
    const id = captureIdOf(k)
    const s = await this.getSummary(id)
    const h = s?.hooks.find((x) => x.hook === k.hook)
    return h && { ...h, captureId: id }
  }

  /** All captures, most recently updated first, with their sizes. */
  async listCaptures(): Promise<CaptureSummary[]> {
    const entries = await this.backend.listMeta(SUMMARY)
    return entries
      .map((e) => e.value as CaptureSummary)
      .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : a.id < b.id ? -1 : 1))
  }

  async totalBytes(): Promise<number> {
    return (await this.listCaptures()).reduce((s, c) => s + c.bytes, 0)
  }

  /**
   * Saves a capture under `meta.key`. When that key already holds a capture with the same texts,
   * d_model and token counts, the hooks are merged (a hook saved again replaces its old record);
   * otherwise the old capture is replaced entirely.
   */
  saveCapture(capture: CaptureResult, meta: CaptureMetaInput, options: SaveOptions = {}): Promise<CaptureSummary> {
    return this.exclusive(() => this.save(capture, meta, options))
  }

  /** Saves an imported (or loaded) capture with its own storage dtypes, dates and labels. */
  saveCaptureData(data: CaptureData, options: Omit<SaveOptions, 'storageDtype'> = {}): Promise<CaptureSummary> {
    return this.saveCapture(data, data, { ...options, storageDtype: data.storageDtypes })
  }

  private async save(capture: CaptureResult, meta: CaptureMetaInput, options: SaveOptions): Promise<CaptureSummary> {
    const key = normalizeCaptureKey(meta.key)
    const id = captureIdOf(key)
    const where = `saveCapture(${id})`
    const { rows, textsCount } = validateCapture(capture, key, where)
    const dtypeOf = (h: string): StorageDtype => {
      const s = options.storageDtype
      const d = s === undefined ? 'float32' : typeof s === 'string' ? s : (s[h] ?? 'float32')
      if (!STORAGE_DTYPES.includes(d))
        throw new Error(`${where}: storageDtype for "${h}" must be float32 or float16, got ${JSON.stringify(d)}`)
      return d
    }
    const dtypes = new Map(capture.hooks.map((h) => [h, dtypeOf(h)]))
    const signal = options.signal
    if (signal?.aborted) throw abortError('Saving the capture')

    const old = await this.getCapture(id)
    const tokens: CaptureTokens = {
      tokenCounts: [...(capture.tokenCounts ?? [])],
      ...(capture.offsets ? { offsets: [...capture.offsets] } : {}),
      ...(capture.tokenIds ? { tokenIds: capture.tokenIds.map((r) => [...r]) } : {}),
    }
    const compatible =
      old !== undefined &&
      old.dModel === capture.dModel &&
      old.rows === rows &&
      old.textsCount === textsCount &&
      (old.tokenCounts.length === 0 || tokens.tokenCounts.length === 0 || sameNumbers(old.tokenCounts, tokens.tokenCounts)) &&
      sameNumbers(old.offsets, tokens.offsets)
    if (compatible) {
      if (tokens.tokenCounts.length === 0) tokens.tokenCounts = old.tokenCounts
      if (!tokens.tokenIds && old.tokenIds) tokens.tokenIds = old.tokenIds
    }
    const generation = (old?.generation ?? 0) + 1
    const stamp = this.now().toISOString()
    const bytesTotal = capture.hooks.reduce((s, h) => s + rows * capture.dModel * STORAGE_DTYPE_BYTES[dtypes.get(h)!], 0)

    const newHooks: StoredHook[] = []
    let pending: ChunkPut[] = []
    let pendingBytes = 0
    let bytesWritten = 0
    const flush = async () => {
      if (pending.length === 0) return
      const batch = pending
      pending = []
      pendingBytes = 0
      await this.backend.write({ putChunks: batch })
    }
    try {
      for (const [i, hook] of capture.hooks.entries()) {
        if (signal?.aborted) throw abortError('Saving the capture')
        const data = capture.activations[hook].data
        const storageDtype = dtypes.get(hook)!
        let payload: Uint8Array
        let fp16Overflow: number | undefined
        if (storageDtype === 'float16') {
          const bits = new Uint16Array(data.length)
          fp16Overflow = float32ToFloat16Into(data, bits)
          payload = bytesOf(bits)
        } else {
          payload = bytesOf(data)
        }
        const chunks: string[] = []
        for (let off = 0, c = 0; off < payload.byteLength || c === 0; off += this.chunkBytes, c++) {
          const chunkKey = `${id}/${hook}/${generation}/${chunkIndex(c)}`
          pending.push({ key: chunkKey, data: payload.subarray(off, Math.min(payload.byteLength, off + this.chunkBytes)) })
          pendingBytes += Math.min(this.chunkBytes, payload.byteLength - off)
          chunks.push(chunkKey)
          if (pendingBytes >= this.transactionBytes) await flush()
        }
        newHooks.push({
          hook,
          key: activationKeyString({ ...key, hook }),
          shape: [rows, capture.dModel],
          storageDtype,
          bytes: payload.byteLength,
          chunks,
          ...(fp16Overflow !== undefined ? { fp16Overflow } : {}),
          savedAt: stamp,
        })
        bytesWritten += payload.byteLength
        options.onProgress?.({ hooksDone: i + 1, hooks: capture.hooks.length, bytesWritten, bytesTotal })
      }
      await flush()
      if (signal?.aborted) throw abortError('Saving the capture')
      const replacing = new Set(capture.hooks)
      const kept = compatible ? old.hooks.filter((h) => !replacing.has(h.hook)) : []
      const dropped = old ? old.hooks.filter((h) => !kept.includes(h)) : []
      const hooks = [...kept, ...newHooks].sort((a, b) => compareHooks(a.hook, b.hook))
      const summary: CaptureSummary = {
        id,
        key,
        keyString: captureKeyString(key),
        hooks,
        textsCount,
        rows,
        dModel: capture.dModel,
        ...precisionOf(hooks),
        bytes: hooks.reduce((s, h) => s + h.bytes, 0),
        createdAt: meta.createdAt || (compatible ? old.createdAt : stamp),
        updatedAt: stamp,
        appVersion: meta.appVersion || this.appVersion,
        modelLabel: meta.modelLabel || (compatible ? old.modelLabel : key.modelId),
        setName: meta.setName || (compatible ? old.setName : ''),
        generation,
        formatVersion: 1,
      }
      await this.backend.write({
        deleteChunks: dropped.flatMap((h) => h.chunks),
        putMeta: [
          { key: SUMMARY + id, value: summary },
          { key: TOKENS + id, value: tokens },
        ],
      })
      return summary
    } catch (e) {
      // Leave no chunks of an unfinished save behind (best effort; removeOrphanChunks catches the rest).
      await this.backend
        .write({ deleteChunkPrefixes: capture.hooks.map((h) => `${id}/${h}/${generation}/`) })
        .catch(() => undefined)
      throw e
    }

  }

  /** Loads the given hooks of a capture as fp32, reading all their chunks in one backend call. */
  async loadHooks(captureId: string, hooks: readonly string[], options: LoadOptions = {}): Promise<LoadedHooks> {
    const summary = await this.getSummary(captureId)
    if (!summary) throw new Error(`loadHooks: no stored capture "${captureId}"`)
    return this.readHooks(summary, hooks, options)
  }

  /** One hook under its full key. */
  async loadActivation(key: ActivationKeyInput, options: LoadOptions = {}): Promise<CapturedHook> {
    const k = normalizeActivationKey(key)
    const id = captureIdOf(k)
    const summary = await this.getSummary(id)
    if (!summary) throw new Error(`loadActivation: nothing stored under ${activationKeyString(k)}`)
    return (await this.readHooks(summary, [k.hook], options))[k.hook]
  }

  private async readHooks(summary: CaptureSummary, hooks: readonly string[], options: LoadOptions): Promise<LoadedHooks> {
    const wanted = [...new Set(hooks)]
    const records = wanted.map((h) => {
      const r = summary.hooks.find((x) => x.hook === h)
      if (!r)
        throw new Error(
          `loadHooks: capture "${summary.id}" has no hook "${h}" (stored: ${summary.hooks.map((x) => x.hook).join(', ') || 'none'})`,
        )
      return r
    })
    if (options.signal?.aborted) throw abortError('Loading activations')
    const keys = records.flatMap((r) => r.chunks)
    const buffers = await this.backend.getChunks(keys)
    if (options.signal?.aborted) throw abortError('Loading activations')
    const out: LoadedHooks = {}
    let k = 0
    for (const r of records) {
      const parts = buffers.slice(k, k + r.chunks.length)
      k += r.chunks.length
      parts.forEach((p, i) => {
        if (!p) throw new Error(`loadHooks: chunk "${r.chunks[i]}" of hook "${r.hook}" is missing from ${this.backend.label}`)
      })
      const got = parts.reduce((s, p) => s + p!.byteLength, 0)
      if (got !== r.bytes)
        throw new Error(`loadHooks: hook "${r.hook}" has ${got} stored bytes; expected ${r.bytes} (storage damaged?)`)
      const n = r.shape[0] * r.shape[1]
      let data: Float32Array
      if (r.storageDtype === 'float32') {
        if (parts.length === 1 && parts[0]!.byteLength % 4 === 0) {
          data = new Float32Array(parts[0]!)
        } else {
          data = new Float32Array(n)
          const dst = new Uint8Array(data.buffer)
          let off = 0
          for (const p of parts) {
            dst.set(new Uint8Array(p!), off)
            off += p!.byteLength
          }
        }
      } else {
        data = new Float32Array(n)
        let off = 0
        for (const p of parts) {
          const bits = new Uint16Array(p!)
          float16BitsInto(bits, data, off)
          off += bits.length
        }
      }
      out[r.hook] = { data, shape: [r.shape[0], r.shape[1]] }
    }
    return out
  }

  /** A whole capture (or some of its hooks) in memory, ready for export. */
  async loadCapture(captureId: string, hooks?: readonly string[], options: LoadOptions = {}): Promise<CaptureData & { id: string }> {
    const c = await this.getCapture(captureId)
    if (!c) throw new Error(`loadCapture: no stored capture "${captureId}"`)
    const names = hooks ? [...new Set(hooks)].sort(compareHooks) : c.hooks.map((h) => h.hook)
    const activations = await this.readHooks(c, names, options)
    const storageDtypes: Record<string, StorageDtype> = {}
    for (const h of c.hooks) if (names.includes(h.hook)) storageDtypes[h.hook] = h.storageDtype
    return {
      id: c.id,
      key: c.key,
      hooks: names,
      pooling: c.key.pooling,
      dModel: c.dModel,
      activations,
      tokenCounts: c.tokenCounts,
      ...(c.offsets ? { offsets: c.offsets } : {}),
      ...(c.tokenIds ? { tokenIds: c.tokenIds } : {}),
      textsCount: c.textsCount,
      storageDtypes,
      modelLabel: c.modelLabel,
      setName: c.setName,
      createdAt: c.createdAt,
      appVersion: c.appVersion,
    }
  }

  /** Deletes a capture and all its chunks; false when there was none. */
  deleteCapture(captureId: string): Promise<boolean> {
    return this.exclusive(async () => {
      const existed = (await this.getSummary(captureId)) !== undefined
      await this.backend.write({
        deleteMeta: [SUMMARY + captureId, TOKENS + captureId],
        deleteChunkPrefixes: [`${captureId}/`],
      })
      return existed
    })
  }

  /** Deletes some hooks of a capture (the capture too when none remain). */
  deleteHooks(captureId: string, hooks: readonly string[]): Promise<CaptureSummary | undefined> {
    return this.exclusive(async () => {
      const s = await this.getSummary(captureId)
      if (!s) throw new Error(`deleteHooks: no stored capture "${captureId}"`)
      const drop = new Set(hooks)
      const remaining = s.hooks.filter((h) => !drop.has(h.hook))
      if (remaining.length === 0) {
        await this.backend.write({ deleteMeta: [SUMMARY + captureId, TOKENS + captureId], deleteChunkPrefixes: [`${captureId}/`] })
        return undefined
      }
      const summary: CaptureSummary = {
        ...s,
        hooks: remaining,
        ...precisionOf(remaining),
        bytes: remaining.reduce((n, h) => n + h.bytes, 0),
        updatedAt: this.now().toISOString(),
      }
      await this.backend.write({
        deleteChunkPrefixes: s.hooks.filter((h) => drop.has(h.hook)).map((h) => `${captureId}/${h.hook}/`),
        putMeta: [{ key: SUMMARY + captureId, value: summary }],
      })
      return summary
    })
  }

  /** Removes every stored capture. */
  deleteAll(): Promise<void> {
    return this.exclusive(() => this.backend.clear())
  }

  /** Deletes chunks no capture refers to (left by a save interrupted by a crash or a closed tab). */
  removeOrphanChunks(): Promise<number> {
    return this.exclusive(async () => {
      const used = new Set((await this.listCaptures()).flatMap((c) => c.hooks.flatMap((h) => h.chunks)))
      const orphans = (await this.backend.listChunkKeys('')).filter((k) => !used.has(k))
      if (orphans.length) await this.backend.write({ deleteChunks: orphans })
      return orphans.length
    })
  }
}

