// ONNX ModelProto codec. Every message keeps the fields it does not model as raw bytes, so a
// decode/encode round trip is lossless. Tensors (initializers, Constant attributes) are lazy:
// only their metadata is read; the payload stays a view into the source buffer.
import {
  ProtoReader,
  ProtoWriter,
  forEachField,
  WIRE_LEN,
  WIRE_FIXED32,
  type Int64,
} from './wire.ts'

export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
  UINT4: 21,
  INT4: 22,
} as const

export const DATA_TYPE_NAME: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
  21: 'uint4',
  22: 'int4',
}

export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
} as const

type Unknown = Uint8Array[]

export interface TensorProto {
  name: string
  dims: Int64[]
  dataType: number
  /** Inline payload (raw_data), a view into the source buffer or a fresh array. */
  rawData?: Uint8Array
  /** Typed repeated fields, when the tensor was written that way (small constants). */
  floatData?: number[]
  int32Data?: number[]
  int64Data?: Int64[]
  doubleData?: number[]
  /** external_data key/value pairs (location, offset, length, checksum). */
  externalData?: { key: string; value: string }[]
  dataLocation?: number
  /** The encoded message as it was read; re-emitted verbatim while `dirty` is false. */
  encoded?: Uint8Array
  dirty?: boolean
  unknown?: Unknown
}

export interface Dim {
  value?: Int64
  param?: string
  unknown?: Unknown
}

export interface TypeProto {
  /** Only tensor types are modelled; anything else is kept as raw bytes. */
  tensor?: { elemType: number; shape?: Dim[]; unknown?: Unknown }
  unknown?: Unknown
}

export interface ValueInfo {
  name: string
  type?: TypeProto
  unknown?: Unknown
}

export interface Attribute {
  name: string
  type: number
  f?: number
  i?: Int64
  s?: Uint8Array
  t?: TensorProto
  g?: Graph
  floats?: number[]
  ints?: Int64[]
  strings?: Uint8Array[]
  tensors?: TensorProto[]
  graphs?: Graph[]
  unknown?: Unknown
}

export interface NodeProto {
  input: string[]
  output: string[]
  name: string
  opType: string
  domain: string
  attribute: Attribute[]
  unknown?: Unknown
}

export interface Graph {
  node: NodeProto[]
  name: string
  initializer: TensorProto[]
  input: ValueInfo[]
  output: ValueInfo[]
  valueInfo: ValueInfo[]
  unknown?: Unknown
}

export interface OpsetId {
  domain: string
  version: Int64
}

export interface ModelProto {
  irVersion: Int64
  opsetImport: OpsetId[]
  producerName?: string
  producerVersion?: string
  domain?: string
  modelVersion?: Int64
  docString?: string
  graph: Graph
  metadataProps: { key: string; value: string }[]
  unknown?: Unknown
}

function keep(unknown: Unknown | undefined, bytes: Uint8Array): Unknown {
  const u = unknown ?? []
  u.push(bytes)
  return u
}

// ---------------------------------------------------------------- decode

function decodeStringEntry(r: ProtoReader): { key: string; value: string } {
  const e = { key: '', value: '' }
  forEachField(r, (f, w, t) => {
    if (f === 1) e.key = r.string()
    else if (f === 2) e.value = r.string()
    else r.skip(w, t)
  })
  return e
}

function sub(r: ProtoReader): ProtoReader {
  const b = r.bytes()
  return new ProtoReader(b)
}

export function decodeTensor(bytes: Uint8Array): TensorProto {
  const r = new ProtoReader(bytes)
  const t: TensorProto = { name: '', dims: [], dataType: 0, encoded: bytes, dirty: false }
  forEachField(r, (f, w, tagStart) => {
    switch (f) {
      case 1:
        r.repeatedInt64(w, t.dims)
        break
      case 2:
        t.dataType = r.int32()
        break
      case 4:
        r.repeatedFloat(w, (t.floatData ??= []))
        break
      case 5: {
        const xs: Int64[] = []
        r.repeatedInt64(w, xs)
        ;(t.int32Data ??= []).push(...xs.map(Number))
        break
      }
      case 7:
        r.repeatedInt64(w, (t.int64Data ??= []))
        break
      case 8:
        t.name = r.string()
        break
      case 9:
        t.rawData = r.bytes()
        break
      case 10:
        r.repeatedDouble(w, (t.doubleData ??= []))
        break
      case 13:
        ;(t.externalData ??= []).push(decodeStringEntry(sub(r)))
        break
      case 14:
        t.dataLocation = r.int32()
        break
      default:
        t.unknown = keep(t.unknown, r.skip(w, tagStart))
    }
  })
  return t
}

function decodeDim(r: ProtoReader): Dim {
  const d: Dim = {}
  forEachField(r, (f, w, t) => {
    if (f === 1) d.value = r.int64()
    else if (f === 2) d.param = r.string()
    else d.unknown = keep(d.unknown, r.skip(w, t))
  })
  return d
}

function decodeType(r: ProtoReader): TypeProto {
  const tp: TypeProto = {}
  forEachField(r, (f, w, t) => {
    if (f === 1) {
      const tr = sub(r)
      const tensor: NonNullable<TypeProto['tensor']> = { elemType: 0 }
      forEachField(tr, (f2, w2, t2) => {
        if (f2 === 1) tensor.elemType = tr.int32()
        else if (f2 === 2) {
          const sr = sub(tr)
          const dims: Dim[] = []
          forEachField(sr, (f3, w3, t3) => {
            if (f3 === 1) dims.push(decodeDim(sub(sr)))
            else sr.skip(w3, t3)
          })
          tensor.shape = dims
        } else tensor.unknown = keep(tensor.unknown, tr.skip(w2, t2))
      })
      tp.tensor = tensor
    } else tp.unknown = keep(tp.unknown, r.skip(w, t))
  })
  return tp
}

function decodeValueInfo(r: ProtoReader): ValueInfo {
  const v: ValueInfo = { name: '' }
  forEachField(r, (f, w, t) => {
    if (f === 1) v.name = r.string()
    else if (f === 2) v.type = decodeType(sub(r))
    else v.unknown = keep(v.unknown, r.skip(w, t))
  })
  return v
}

function decodeAttribute(r: ProtoReader): Attribute {
  const a: Attribute = { name: '', type: 0 }
  forEachField(r, (f, w, t) => {
    switch (f) {
      case 1:
        a.name = r.string()
        break
      case 20:
        a.type = r.int32()
        break
      case 2:
        a.f = r.fixed32Float()
        break
      case 3:
        a.i = r.int64()
        break
      case 4:
        a.s = r.bytes()
        break
      case 5:
        a.t = decodeTensor(r.bytes())
        break
      case 6:
        a.g = decodeGraph(sub(r))
        break
      case 7:
        r.repeatedFloat(w, (a.floats ??= []))
        break
      case 8:
        r.repeatedInt64(w, (a.ints ??= []))
        break
      case 9:
        ;(a.strings ??= []).push(r.bytes())
        break
      case 10:
        ;(a.tensors ??= []).push(decodeTensor(r.bytes()))
        break
      case 11:
        ;(a.graphs ??= []).push(decodeGraph(sub(r)))
        break
      default:
        a.unknown = keep(a.unknown, r.skip(w, t))
    }
  })
  return a
}

function decodeNode(r: ProtoReader): NodeProto {
  const n: NodeProto = { input: [], output: [], name: '', opType: '', domain: '', attribute: [] }
  forEachField(r, (f, w, t) => {
    switch (f) {
      case 1:
        n.input.push(r.string())
        break
      case 2:
        n.output.push(r.string())
        break
      case 3:
        n.name = r.string()
        break
      case 4:
        n.opType = r.string()
        break
      case 7:
        n.domain = r.string()
        break
      case 5:
        n.attribute.push(decodeAttribute(sub(r)))
        break
      default:
        n.unknown = keep(n.unknown, r.skip(w, t))
    }
  })
  return n
}

export function decodeGraph(r: ProtoReader): Graph {
  const g: Graph = { node: [], name: '', initializer: [], input: [], output: [], valueInfo: [] }
  forEachField(r, (f, w, t) => {
    switch (f) {
      case 1:
        g.node.push(decodeNode(sub(r)))
        break
      case 2:
        g.name = r.string()
        break
      case 5:
        g.initializer.push(decodeTensor(r.bytes()))
        break
      case 11:
        g.input.push(decodeValueInfo(sub(r)))
        break
      case 12:
        g.output.push(decodeValueInfo(sub(r)))
        break
      case 13:
        g.valueInfo.push(decodeValueInfo(sub(r)))
        break
      default:
        g.unknown = keep(g.unknown, r.skip(w, t))
    }
  })
  return g
}

/** Decodes a ModelProto. Initializer payloads stay views into `bytes` (keep it alive). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const r = new ProtoReader(bytes)
  const m: ModelProto = {
    irVersion: 0,
    opsetImport: [],
    graph: { node: [], name: '', initializer: [], input: [], output: [], valueInfo: [] },
    metadataProps: [],
  }
  let sawGraph = false
  forEachField(r, (f, w, t) => {
    switch (f) {
      case 1:
        m.irVersion = r.int64()
        break
      case 8: {
        const sr = sub(r)
        const o: OpsetId = { domain: '', version: 0 }
        forEachField(sr, (f2, w2, t2) => {
          if (f2 === 1) o.domain = sr.string()
          else if (f2 === 2) o.version = sr.int64()
          else sr.skip(w2, t2)
        })
        m.opsetImport.push(o)
        break
      }
      case 2:
        m.producerName = r.string()
        break
      case 3:
        m.producerVersion = r.string()
        break
      case 4:
        m.domain = r.string()
        break
      case 5:
        m.modelVersion = r.int64()
        break
      case 6:
        m.docString = r.string()
        break
      case 7:
        m.graph = decodeGraph(sub(r))
        sawGraph = true
        break
      case 14:
        m.metadataProps.push(decodeStringEntry(sub(r)))
        break
      default:
        m.unknown = keep(m.unknown, r.skip(w, t))
    }
  })
  if (!sawGraph) throw new Error('ONNX: the file has no graph (not an ONNX model?)')
  return m
}

// ---------------------------------------------------------------- encode

function encodeStringEntry(e: { key: string; value: string }): ProtoWriter {
  const w = new ProtoWriter()
  w.stringField(1, e.key)
  w.stringField(2, e.value)
  return w
}

function writeUnknown(w: ProtoWriter, unknown: Unknown | undefined): void {
  if (unknown) for (const u of unknown) w.raw(u)
}

export function encodeTensor(t: TensorProto): ProtoWriter {
  const w = new ProtoWriter()
  if (t.encoded && !t.dirty) {
    w.raw(t.encoded)
    return w
  }
  w.packedInt64(1, t.dims)
  w.int64Field(2, t.dataType)
  if (t.floatData) w.packedFloat(4, t.floatData)
  if (t.int32Data) w.packedInt64(5, t.int32Data)
  if (t.int64Data) w.packedInt64(7, t.int64Data)
  w.stringField(8, t.name)
  if (t.rawData) w.bytesField(9, t.rawData)
  if (t.doubleData) w.packedDouble(10, t.doubleData)
  for (const e of t.externalData ?? []) w.messageField(13, encodeStringEntry(e))
  if (t.dataLocation !== undefined) w.int64Field(14, t.dataLocation)
  writeUnknown(w, t.unknown)
  return w
}

function encodeType(tp: TypeProto): ProtoWriter {
  const w = new ProtoWriter()
  if (tp.tensor) {
    const tw = new ProtoWriter()
    tw.int64Field(1, tp.tensor.elemType)
    if (tp.tensor.shape) {
      const sw = new ProtoWriter()
      for (const d of tp.tensor.shape) {
        const dw = new ProtoWriter()
        if (d.value !== undefined) dw.int64Field(1, d.value)
        if (d.param !== undefined) dw.stringField(2, d.param)
        writeUnknown(dw, d.unknown)
        sw.messageField(1, dw)
      }
      tw.messageField(2, sw)
    }
    writeUnknown(tw, tp.tensor.unknown)
    w.messageField(1, tw)
  }
  writeUnknown(w, tp.unknown)
  return w
}

function encodeValueInfo(v: ValueInfo): ProtoWriter {
  const w = new ProtoWriter()
  w.stringField(1, v.name)
  if (v.type) w.messageField(2, encodeType(v.type))
  writeUnknown(w, v.unknown)
  return w
}

function encodeAttribute(a: Attribute): ProtoWriter {
  const w = new ProtoWriter()
  w.stringField(1, a.name)
  if (a.f !== undefined) w.floatField(2, a.f)
  if (a.i !== undefined) w.int64Field(3, a.i)
  if (a.s !== undefined) w.bytesField(4, a.s)
  if (a.t) w.messageField(5, encodeTensor(a.t))
  if (a.g) w.messageField(6, encodeGraph(a.g))
  if (a.floats) {
    // Unpacked, as onnx writes attribute lists; either form decodes.
    for (const x of a.floats) w.floatField(7, x)
  }
  if (a.ints) for (const x of a.ints) w.int64Field(8, x)
  if (a.strings) for (const s of a.strings) w.bytesField(9, s)
  if (a.tensors) for (const t of a.tensors) w.messageField(10, encodeTensor(t))
  if (a.graphs) for (const g of a.graphs) w.messageField(11, encodeGraph(g))
  w.int64Field(20, a.type)
  writeUnknown(w, a.unknown)
  return w
}

function encodeNode(n: NodeProto): ProtoWriter {
  const w = new ProtoWriter()
  for (const i of n.input) w.stringField(1, i)
  for (const o of n.output) w.stringField(2, o)
  if (n.name) w.stringField(3, n.name)
  w.stringField(4, n.opType)
  for (const a of n.attribute) w.messageField(5, encodeAttribute(a))
  if (n.domain) w.stringField(7, n.domain)
  writeUnknown(w, n.unknown)
  return w
}

export function encodeGraph(g: Graph): ProtoWriter {
  const w = new ProtoWriter()
  for (const n of g.node) w.messageField(1, encodeNode(n))
  if (g.name) w.stringField(2, g.name)
  for (const t of g.initializer) w.messageField(5, encodeTensor(t))
  for (const v of g.input) w.messageField(11, encodeValueInfo(v))
  for (const v of g.output) w.messageField(12, encodeValueInfo(v))
  for (const v of g.valueInfo) w.messageField(13, encodeValueInfo(v))
  writeUnknown(w, g.unknown)
  return w
}

/** Encodes a model into one new buffer; initializer payloads are copied exactly once. */
export function encodeModel(m: ModelProto): Uint8Array {
  const w = new ProtoWriter()
  w.int64Field(1, m.irVersion)
  if (m.producerName !== undefined) w.stringField(2, m.producerName)
  if (m.producerVersion !== undefined) w.stringField(3, m.producerVersion)
  if (m.domain !== undefined) w.stringField(4, m.domain)
  if (m.modelVersion !== undefined) w.int64Field(5, m.modelVersion)
  if (m.docString !== undefined) w.stringField(6, m.docString)
  w.messageField(7, encodeGraph(m.graph))
  for (const o of m.opsetImport) {
    const ow = new ProtoWriter()
    if (o.domain) ow.stringField(1, o.domain)
    ow.int64Field(2, o.version)
    w.messageField(8, ow)
  }
  for (const e of m.metadataProps) w.messageField(14, encodeStringEntry(e))
  writeUnknown(w, m.unknown)
  return w.concat()
}

export { WIRE_LEN, WIRE_FIXED32 }
