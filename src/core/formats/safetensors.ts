// safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header length,
// a JSON header mapping tensor names to { dtype, shape, data_offsets } (offsets relative to the
// byte buffer after the header) plus an optional `__metadata__` string map, then the tensor bytes.
import { float16ToFloat32, float32ToFloat16 } from '../onnx/tensor.ts'

export type SafetensorsDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL'
  | 'F8_E4M3'
  | 'F8_E5M2'

export const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
}

/** One tensor of a parsed file. `data` is a view into the file's bytes (never a copy). */
export interface SafetensorsTensor {
  name: string
  dtype: SafetensorsDtype
  shape: number[]
  data: Uint8Array
}

export interface SafetensorsFile {
  /** The `__metadata__` string map, if the file has one. */
  metadata: Record<string, string> | undefined
  /** Tensors in header order. */
  tensors: Map<string, SafetensorsTensor>
}

// The reference implementation refuses headers above 100 MB.
const MAX_HEADER_BYTES = 100_000_000
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function numel(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

function isDtype(s: unknown): s is SafetensorsDtype {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, s)
}

/**
 * Parses a safetensors file. Tensor payloads are views into `bytes`. Offsets are validated like the
 * reference implementation does: each tensor's byte span matches its dtype and shape, spans do not
 * overlap, leave no holes and cover the data section exactly.
 */
export function readSafetensors(bytes: Uint8Array, source = 'safetensors file'): SafetensorsFile {
  if (bytes.length < 8)
    throw new Error(`${source}: ${bytes.length} bytes is too short; expected an 8-byte header length first`)
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const lo = dv.getUint32(0, true)
  const hi = dv.getUint32(4, true)
  const headerLen = hi * 2 ** 32 + lo
  if (headerLen > MAX_HEADER_BYTES)
    throw new Error(`${source}: header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`)
  if (8 + headerLen > bytes.length)
    throw new Error(
      `${source}: header of ${headerLen} bytes runs past the end of the file (${bytes.length} bytes); file truncated?`,
    )
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen))
  } catch {
    throw new Error(`${source}: header is not valid UTF-8`)
  }
  let header: unknown
  try {
    header = JSON.parse(text)
  } catch (e) {
    throw new Error(`${source}: header is not valid JSON (${(e as Error).message})`)
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new Error(`${source}: header must be a JSON object mapping tensor names to {dtype, shape, data_offsets}`)

  const dataStart = 8 + headerLen
  const dataLen = bytes.length - dataStart
  let metadata: Record<string, string> | undefined
  const tensors = new Map<string, SafetensorsTensor>()
  const spans: { name: string; begin: number; end: number }[] = []
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info))
        throw new Error(`${source}: __metadata__ must be an object of string values`)
      for (const [k, v] of Object.entries(info))
        if (typeof v !== 'string') throw new Error(`${source}: __metadata__["${k}"] must be a string, got ${typeof v}`)
      metadata = { ...(info as Record<string, string>) }
      continue
    }
    const where = `${source}: tensor "${name}"`
    if (typeof info !== 'object' || info === null) throw new Error(`${where}: expected {dtype, shape, data_offsets}`)
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>
    if (!isDtype(dtype))
      throw new Error(`${where}: unknown dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(DTYPE_BYTES).join(', ')})`)
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new Error(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`)
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[1] < offsets[0]
    )
      throw new Error(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`)
    const [begin, end] = offsets as number[]
    const need = numel(shape) * DTYPE_BYTES[dtype]
    if (end - begin !== need)
      throw new Error(
        `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} [${shape.join(', ')}] needs ${need}`,
      )
    if (end > dataLen)
      throw new Error(
        `${where}: data ends at byte ${end} but only ${dataLen} bytes follow the header; file truncated?`,
      )
    tensors.set(name, {
      name,
      dtype,
      shape: [...shape],
      data: bytes.subarray(dataStart + begin, dataStart + end),
    })
    spans.push({ name, begin, end })
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end)
  let cursor = 0
  for (const s of spans) {
    if (s.begin < cursor) {
      const prev = spans[spans.indexOf(s) - 1]
      throw new Error(`${source}: tensor "${s.name}" overlaps tensor "${prev.name}" (starts at ${s.begin}, before ${cursor})`)
    }
    if (s.begin > cursor)
      throw new Error(`${source}: ${s.begin - cursor} unaccounted bytes before tensor "${s.name}" (offset ${cursor})`)
    cursor = s.end
  }
  if (cursor !== dataLen)
    throw new Error(`${source}: ${dataLen - cursor} bytes after the last tensor are not described by the header`)
  return { metadata, tensors }
}

export type TypedArrayFor<D extends SafetensorsDtype> = D extends 'F64'
  ? Float64Array
  : D extends 'F32'
    ? Float32Array
    : D extends 'I64'
      ? BigInt64Array
      : D extends 'U64'
        ? BigUint64Array
        : D extends 'I32'
          ? Int32Array
          : D extends 'U32'
            ? Uint32Array
            : D extends 'I16'
              ? Int16Array
              : D extends 'F16' | 'BF16' | 'U16'
                ? Uint16Array
                : D extends 'I8'
                  ? Int8Array
                  : Uint8Array

type AnyTyped =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array

function ctorFor(dtype: SafetensorsDtype) {
  switch (dtype) {
    case 'F64':
      return Float64Array
    case 'F32':
      return Float32Array
    case 'I64':
      return BigInt64Array
    case 'U64':
      return BigUint64Array
    case 'I32':
      return Int32Array
    case 'U32':
      return Uint32Array
    case 'I16':
      return Int16Array
    case 'F16':
    case 'BF16':
    case 'U16':
      return Uint16Array
    case 'I8':
      return Int8Array
    default:
      return Uint8Array
  }
}

/**
 * The tensor's elements as a typed array of its storage type (F16/BF16 as raw Uint16 bits).
 * A view without copying when the bytes are suitably aligned, otherwise an aligned copy.
 */
export function tensorView<D extends SafetensorsDtype>(t: SafetensorsTensor & { dtype: D }): TypedArrayFor<D> {
  if (!LITTLE_ENDIAN_HOST) throw new Error('safetensors: big-endian hosts are not supported')
  const Ctor = ctorFor(t.dtype) as unknown as {
    new (buf: ArrayBufferLike, off: number, len: number): AnyTyped
    BYTES_PER_ELEMENT: number
  }
  const n = t.data.byteLength / Ctor.BYTES_PER_ELEMENT
  if (t.data.byteOffset % Ctor.BYTES_PER_ELEMENT === 0)
    return new Ctor(t.data.buffer, t.data.byteOffset, n) as TypedArrayFor<D>
  const copy = t.data.slice()
  return new Ctor(copy.buffer, 0, n) as TypedArrayFor<D>
}

export function bfloat16ToFloat32(u: Uint16Array): Float32Array {
  const out = new Float32Array(u.length)
  const bits = new Uint32Array(out.buffer)
  for (let i = 0; i < u.length; i++) bits[i] = u[i] << 16
  return out
}

/** Rounds to nearest even, as PyTorch's float32 -> bfloat16 cast does; NaN stays NaN. */
export function float32ToBfloat16(a: Float32Array): Uint16Array {
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length)
  const out = new Uint16Array(a.length)
  for (let i = 0; i < a.length; i++) {
    const x = bits[i]
    if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) {
      out[i] = (x >>> 16) | 0x40
      continue
    }
    out[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff
  }
  return out
}

/** Any float or integer tensor as float32 (a view for aligned F32, otherwise converted). */
export function tensorToFloat32(t: SafetensorsTensor): Float32Array {
  switch (t.dtype) {
    case 'F32':
      return tensorView(t as SafetensorsTensor & { dtype: 'F32' })
    case 'F16':
      return float16ToFloat32(tensorView(t as SafetensorsTensor & { dtype: 'F16' }))
    case 'BF16':
      return bfloat16ToFloat32(tensorView(t as SafetensorsTensor & { dtype: 'BF16' }))
    case 'F8_E4M3':
    case 'F8_E5M2':
      throw new Error(`tensor "${t.name}": ${t.dtype} cannot be converted to float32 here`)
    default: {
      const v = tensorView(t) as ArrayLike<number | bigint>
      const out = new Float32Array(v.length)
      for (let i = 0; i < v.length; i++) out[i] = Number(v[i])
      return out
    }
  }
}

/** What `writeSafetensors` accepts for one tensor: raw element storage matching `dtype`. */
export interface SafetensorsInput {
  dtype: SafetensorsDtype
  shape: readonly number[]
  data: ArrayBufferView
}

/** float32 data stored as F32, F16 or BF16. */
export function floatTensor(data: Float32Array, shape: readonly number[], dtype: 'F32' | 'F16' | 'BF16' = 'F32'): SafetensorsInput {
  if (dtype === 'F32') return { dtype, shape, data }
  return { dtype, shape, data: dtype === 'F16' ? float32ToFloat16(data) : float32ToBfloat16(data) }
}

/**
 * Serialises tensors to a safetensors file. Like the reference writer, tensors are laid out by
 * decreasing element size, then name, so every tensor starts at an offset aligned to its element
 * size; the header is padded with spaces to a multiple of 8 bytes.
 */
export function writeSafetensors(
  tensors: Record<string, SafetensorsInput>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = Object.entries(tensors)
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new Error('writeSafetensors: "__metadata__" is reserved and cannot name a tensor')
    if (!isDtype(t.dtype)) throw new Error(`writeSafetensors: tensor "${name}" has unknown dtype ${JSON.stringify(t.dtype)}`)
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new Error(`writeSafetensors: tensor "${name}" has invalid shape [${t.shape.join(', ')}]`)
    const need = numel(t.shape) * DTYPE_BYTES[t.dtype]
    if (t.data.byteLength !== need)
      throw new Error(
        `writeSafetensors: tensor "${name}" has ${t.data.byteLength} bytes but ${t.dtype} [${t.shape.join(', ')}] needs ${need}`,
      )
  }
  if (metadata)
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new Error(`writeSafetensors: __metadata__["${k}"] must be a string`)
  entries.sort(([na, a], [nb, b]) => DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype] || (na < nb ? -1 : na > nb ? 1 : 0))

  const header: Record<string, unknown> = {}
  if (metadata) header.__metadata__ = metadata
  let offset = 0
  for (const [name, t] of entries) {
    const end = offset + t.data.byteLength
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, end] }
    offset = end
  }
  const json = new TextEncoder().encode(JSON.stringify(header))
  const padded = Math.ceil(json.length / 8) * 8
  const out = new Uint8Array(8 + padded + offset)
  const dv = new DataView(out.buffer)
  dv.setUint32(0, padded % 2 ** 32, true)
  dv.setUint32(4, Math.floor(padded / 2 ** 32), true)
  out.set(json, 8)
  out.fill(0x20, 8 + json.length, 8 + padded)
  let pos = 8 + padded
  for (const [, t] of entries) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos)
    pos += t.data.byteLength
  }
  return out
}
