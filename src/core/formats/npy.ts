// NumPy .npy (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// "\x93NUMPY", version, header length, a Python-literal dict header, then the raw array.
// Written as v1.0, little-endian, C order; read for v1.0–3.0.
import { float32ToFloat16 } from '../onnx/tensor.ts'

export type NpyDtype = 'float32' | 'float16' | 'float64'

export interface NpyArray {
  dtype: NpyDtype
  shape: number[]
  /** float16 arrays are returned as their raw IEEE binary16 bits. */
  data: Float32Array | Uint16Array | Float64Array
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY
const DESCR: Record<NpyDtype, string> = { float32: '<f4', float16: '<f2', float64: '<f8' }
const BYTES: Record<NpyDtype, number> = { float32: 4, float16: 2, float64: 8 }
// numpy aligns the start of the data to 64 bytes.
const ALIGN = 64

function numel(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1)
}

function shapeLiteral(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`
  return `(${shape.join(', ')})`
}

/**
 * Serialises a C-order array. A Float32Array is written as float32, or converted when `dtype` is
 * 'float16'; a Uint16Array is taken as float16 bits.
 */
export function writeNpy(
  data: Float32Array | Uint16Array | Float64Array,
  shape: readonly number[],
  dtype?: NpyDtype,
): Uint8Array {
  const kind: NpyDtype =
    dtype ?? (data instanceof Float64Array ? 'float64' : data instanceof Uint16Array ? 'float16' : 'float32')
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new Error(`writeNpy: invalid shape [${shape.join(', ')}]`)
  if (numel(shape) !== data.length)
    throw new Error(`writeNpy: ${data.length} values do not fill shape [${shape.join(', ')}] (${numel(shape)} values)`)
  let payload: ArrayBufferView
  if (kind === 'float16') {
    if (data instanceof Uint16Array) payload = data
    else if (data instanceof Float32Array) payload = float32ToFloat16(data)
    else payload = float32ToFloat16(Float32Array.from(data))
  } else if (kind === 'float32') {
    if (data instanceof Uint16Array) throw new Error('writeNpy: Uint16Array holds float16 bits; pass dtype "float16"')
    payload = data instanceof Float32Array ? data : Float32Array.from(data)
  } else {
    if (data instanceof Uint16Array) throw new Error('writeNpy: Uint16Array holds float16 bits; pass dtype "float16"')
    payload = data instanceof Float64Array ? data : Float64Array.from(data)
  }
  const dict = `{'descr': '${DESCR[kind]}', 'fortran_order': False, 'shape': ${shapeLiteral(shape)}, }`
  // 6 magic + 2 version + 2 length + header (ending in '\n') is a multiple of ALIGN.
  const total = Math.ceil((10 + dict.length + 1) / ALIGN) * ALIGN
  const headerLen = total - 10
  if (headerLen > 0xffff) throw new Error(`writeNpy: header of ${headerLen} bytes does not fit format v1.0`)
  const header = dict + ' '.repeat(headerLen - dict.length - 1) + '\n'
  const out = new Uint8Array(total + payload.byteLength)
  out.set(MAGIC, 0)
  out[6] = 1
  out[7] = 0
  out[8] = headerLen & 0xff
  out[9] = headerLen >>> 8
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i)
  out.set(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength), total)
  return out
}

/** Parses a .npy file; the data is a view into `bytes` when aligned, else a copy. */
export function readNpy(bytes: Uint8Array, source = 'npy file'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new Error(`${source}: not a .npy file (missing the \\x93NUMPY magic string)`)
  const major = bytes[6]
  let headerLen: number
  let start: number
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (major === 1) {
    headerLen = dv.getUint16(8, true)
    start = 10
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new Error(`${source}: truncated before the header length`)
    headerLen = dv.getUint32(8, true)
    start = 12
  } else {
    throw new Error(`${source}: unsupported .npy format version ${major}.${bytes[7]} (expected 1.0, 2.0 or 3.0)`)
  }
  if (start + headerLen > bytes.length)
    throw new Error(`${source}: header of ${headerLen} bytes runs past the end of the file (${bytes.length} bytes); file truncated?`)
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen))
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1]
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1]
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1]
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw new Error(`${source}: header lacks 'descr', 'fortran_order' or 'shape': ${header.trim()}`)
  if (fortran === 'True') throw new Error(`${source}: Fortran-order arrays are not supported (expected C order)`)
  const dtype = (Object.keys(DESCR) as NpyDtype[]).find((k) => DESCR[k] === descr || DESCR[k].slice(1) === descr)
  if (!dtype) {
    const hint = descr.startsWith('>') ? ' (big-endian data is not supported)' : ''
    throw new Error(`${source}: dtype '${descr}' is not supported${hint}; expected '<f4', '<f2' or '<f8'`)
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''))
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${source}: invalid shape entry '${s}' in ${header.trim()}`)
      return n
    })
  const dataStart = start + headerLen
  const need = numel(shape) * BYTES[dtype]
  const have = bytes.length - dataStart
  if (have < need)
    throw new Error(`${source}: expected ${need} bytes of ${dtype} data for shape [${shape.join(', ')}], found ${have}; file truncated?`)
  if (have > need)
    throw new Error(`${source}: ${have - need} bytes after the array data for shape [${shape.join(', ')}]`)
  let buf: ArrayBufferLike = bytes.buffer
  let off = bytes.byteOffset + dataStart
  if (off % BYTES[dtype] !== 0) {
    buf = bytes.slice(dataStart, dataStart + need).buffer
    off = 0
  }
  const n = numel(shape)
  const data =
    dtype === 'float32'
      ? new Float32Array(buf, off, n)
      : dtype === 'float16'
        ? new Uint16Array(buf, off, n)
        : new Float64Array(buf, off, n)
  return { dtype, shape, data }
}
