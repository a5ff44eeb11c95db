// Reading and writing tensor payloads of TensorProto (initializers and constants).
import { DataType, DATA_TYPE_NAME, type TensorProto } from './proto.ts'
import type { Int64 } from './wire.ts'

export type NumericArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | BigUint64Array

const BYTES_PER_ELEMENT: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.UINT16]: 2,
  [DataType.INT16]: 2,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.FLOAT16]: 2,
  [DataType.DOUBLE]: 8,
  [DataType.UINT32]: 4,
  [DataType.UINT64]: 8,
  [DataType.BFLOAT16]: 2,
}

export function dataTypeName(dt: number): string {
  return DATA_TYPE_NAME[dt] ?? `onnx-type-${dt}`
}

export function elementCount(dims: readonly Int64[]): number {
  return dims.reduce<number>((a, d) => a * Number(d), 1)
}

/** Byte size of a tensor's payload, inline or external, without reading it. */
export function tensorByteLength(t: TensorProto): number {
  if (t.rawData) return t.rawData.length
  const ext = externalInfo(t)
  if (ext) return ext.length
  const bpe = BYTES_PER_ELEMENT[t.dataType]
  if (bpe) return elementCount(t.dims) * bpe
  return 0
}

export interface ExternalInfo {
  location: string
  offset: number
  length: number
}

export function externalInfo(t: TensorProto): ExternalInfo | undefined {
  if (t.dataLocation !== 1 || !t.externalData) return undefined
  const kv = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]))
  const bpe = BYTES_PER_ELEMENT[t.dataType] ?? 1
  return {
    location: kv.location,
    offset: kv.offset ? Number(kv.offset) : 0,
    length: kv.length ? Number(kv.length) : elementCount(t.dims) * bpe,
  }
}

function copyAligned(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer
}

/**
 * The payload of a tensor as a typed array (copying it once).
 * External payloads are read from `external[location]`.
 */
export function readTensor(t: TensorProto, external?: Record<string, Uint8Array>): NumericArray {
  let bytes: Uint8Array | undefined = t.rawData
  const ext = externalInfo(t)
  if (!bytes && ext) {
    const file = external?.[ext.location]
    if (!file) throw new Error(`tensor ${t.name}: external data file "${ext.location}" was not provided`)
    if (ext.offset + ext.length > file.length)
      throw new Error(`tensor ${t.name}: external data runs past the end of "${ext.location}" (file truncated?)`)
    bytes = file.subarray(ext.offset, ext.offset + ext.length)
  }
  if (bytes) {
    const buf = copyAligned(bytes)
    switch (t.dataType) {
      case DataType.FLOAT:
        return new Float32Array(buf)
      case DataType.DOUBLE:
        return new Float64Array(buf)
      case DataType.INT32:
        return new Int32Array(buf)
      case DataType.INT64:
        return new BigInt64Array(buf)
      case DataType.UINT64:
        return new BigUint64Array(buf)
      case DataType.UINT8:
      case DataType.BOOL:
        return new Uint8Array(buf)
      case DataType.INT8:
        return new Int8Array(buf)
      case DataType.UINT16:
      case DataType.FLOAT16:
      case DataType.BFLOAT16:
        return new Uint16Array(buf)
      case DataType.INT16:
        return new Int16Array(buf)
      case DataType.UINT32:
        return new Uint32Array(buf)
    }
    throw new Error(`tensor ${t.name}: unsupported data type ${dataTypeName(t.dataType)}`)
  }
  switch (t.dataType) {
    case DataType.FLOAT:
      return Float32Array.from(t.floatData ?? [])
    case DataType.DOUBLE:
      return Float64Array.from(t.doubleData ?? [])
    case DataType.INT64:
      return BigInt64Array.from((t.int64Data ?? []).map((x) => BigInt(x)))
    case DataType.INT32:
      return Int32Array.from(t.int32Data ?? [])
    case DataType.BOOL:
    case DataType.UINT8:
      return Uint8Array.from(t.int32Data ?? [])
    case DataType.INT8:
      return Int8Array.from(t.int32Data ?? [])
    case DataType.FLOAT16:
      return Uint16Array.from(t.int32Data ?? [])
  }
  throw new Error(`tensor ${t.name}: unsupported data type ${dataTypeName(t.dataType)}`)
}

/** Float payload as fp32 regardless of storage type (fp32, fp16, bf16, fp64). */
export function readTensorAsFloat32(t: TensorProto, external?: Record<string, Uint8Array>): Float32Array {
  const raw = readTensor(t, external)
  if (raw instanceof Float32Array) return raw
  if (t.dataType === DataType.FLOAT16) return float16ToFloat32(raw as Uint16Array)
  if (t.dataType === DataType.BFLOAT16) {
    const u = raw as Uint16Array
    const out = new Float32Array(u.length)
    const view = new Uint32Array(out.buffer)
    for (let i = 0; i < u.length; i++) view[i] = u[i] << 16
    return out
  }
  return Float32Array.from(raw as ArrayLike<number>, Number)
}

function rawBytes(a: NumericArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
}

function dataTypeOf(a: NumericArray): number {
  if (a instanceof Float32Array) return DataType.FLOAT
  if (a instanceof Float64Array) return DataType.DOUBLE
  if (a instanceof Int32Array) return DataType.INT32
  if (a instanceof BigInt64Array) return DataType.INT64
  if (a instanceof BigUint64Array) return DataType.UINT64
  if (a instanceof Uint8Array) return DataType.UINT8
  if (a instanceof Int8Array) return DataType.INT8
  if (a instanceof Int16Array) return DataType.INT16
  if (a instanceof Uint32Array) return DataType.UINT32
  return DataType.UINT16
}

/** A new TensorProto holding `data` inline (raw_data). Uint16Array is stored as `dataType` (default FLOAT16). */
export function makeTensor(
  name: string,
  dims: readonly number[],
  data: NumericArray,
  dataType = dataTypeOf(data),
): TensorProto {
  if (elementCount(dims) !== data.length && dataType !== DataType.UINT4 && dataType !== DataType.INT4)
    throw new Error(`makeTensor ${name}: ${data.length} values for shape [${dims.join(', ')}]`)
  return { name, dims: [...dims], dataType, rawData: rawBytes(data), dirty: true }
}

/** A TensorProto whose payload lives in an external data file. */
export function makeExternalTensor(
  name: string,
  dims: readonly number[],
  dataType: number,
  location: string,
  offset: number,
  length: number,
): TensorProto {
  return {
    name,
    dims: [...dims],
    dataType,
    dataLocation: 1,
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(length) },
    ],
    dirty: true,
  }
}

// ---------------------------------------------------------------- half precision

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

export function float32ToFloat16Bits(v: number): number {
  f32[0] = v
  const x = u32[0]
  const sign = (x >>> 16) & 0x8000
  let exp = ((x >>> 23) & 0xff) - 127 + 15
  let mant = x & 0x7fffff
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  if (exp >= 0x1f) return sign | 0x7c00
  if (exp <= 0) {
    if (exp < -10) return sign
    mant |= 0x800000
    const shift = 14 - exp
    let half = mant >>> shift
    const rem = mant & ((1 << shift) - 1)
    const mid = 1 << (shift - 1)
    if (rem > mid || (rem === mid && (half & 1))) half++
    return sign | half
  }
  let half = (exp << 10) | (mant >>> 13)
  const rem = mant & 0x1fff
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++
  return sign | half
}

export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >>> 10) & 0x1f
  const mant = h & 0x3ff
  if (exp === 0) return sign * mant * 2 ** -24
  if (exp === 0x1f) return mant ? NaN : sign * Infinity
  return sign * (1 + mant / 1024) * 2 ** (exp - 15)
}

export function float16ToFloat32(u: Uint16Array): Float32Array {
  const out = new Float32Array(u.length)
  for (let i = 0; i < u.length; i++) out[i] = float16BitsToFloat32(u[i])
  return out
}

export function float32ToFloat16(a: Float32Array): Uint16Array {
  const out = new Uint16Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = float32ToFloat16Bits(a[i])
  return out
}
