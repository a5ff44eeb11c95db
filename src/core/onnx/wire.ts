// Protobuf wire format: a reader over a Uint8Array that hands out views (never copies),
// and a writer that collects chunks so large payloads are copied exactly once, at the end.

export type Int64 = number | bigint

export const WIRE_VARINT = 0
export const WIRE_FIXED64 = 1
export const WIRE_LEN = 2
export const WIRE_FIXED32 = 5

const textDecoder = new TextDecoder()
const textEncoder = new TextEncoder()

export class ProtoReader {
  pos: number
  readonly end: number
  private readonly view: DataView

  constructor(readonly buf: Uint8Array, start = 0, end = buf.length) {
    this.pos = start
    this.end = end
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  done(): boolean {
    return this.pos >= this.end
  }

  /** Unsigned varint as a number; only for tags and lengths (< 2^53). */
  uint(): number {
    let result = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('protobuf: truncated varint')
      const b = this.buf[this.pos++]
      result += (b & 0x7f) * mul
      if ((b & 0x80) === 0) return result
      mul *= 128
    }
    throw new Error('protobuf: varint longer than 10 bytes')
  }

  /** Signed 64-bit varint; a number when it is exactly representable, else a bigint. */
  int64(): Int64 {
    let lo = 0
    let hi = 0
    let shift = 0
    let i = 0
    for (; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('protobuf: truncated varint')
      const b = this.buf[this.pos++]
      if (shift < 28) lo |= (b & 0x7f) << shift
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28
        hi |= (b & 0x7f) >> 4
      } else hi |= (b & 0x7f) << (shift - 32)
      shift += 7
      if ((b & 0x80) === 0) break
    }
    if (i === 10) throw new Error('protobuf: varint longer than 10 bytes')
    lo >>>= 0
    hi >>>= 0
    if (hi === 0) return lo
    if (hi === 0xffffffff && lo !== 0) return lo - 0x100000000
    const big = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo))
    const n = Number(big)
    return Number.isSafeInteger(n) ? n : big
  }

  int32(): number {
    const v = this.int64()
    return typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : v | 0
  }

  fixed32Float(): number {
    const v = this.view.getFloat32(this.pos, true)
    this.pos += 4
    return v
  }

  fixed64Double(): number {
    const v = this.view.getFloat64(this.pos, true)
    this.pos += 8
    return v
  }

  fixed64Int(): Int64 {
    const big = this.view.getBigUint64(this.pos, true)
    this.pos += 8
    const n = Number(big)
    return Number.isSafeInteger(n) ? n : big
  }

  /** A length-delimited field as a view into the buffer (no copy). */
  bytes(): Uint8Array {
    const len = this.uint()
    const start = this.pos
    if (start + len > this.end) throw new Error('protobuf: length-delimited field runs past the end (file truncated?)')
    this.pos += len
    return this.buf.subarray(start, start + len)
  }

  string(): string {
    return textDecoder.decode(this.bytes())
  }

  /** Skips a field of the given wire type and returns the raw bytes of the whole field, tag included. */
  skip(wireType: number, tagStart: number): Uint8Array {
    switch (wireType) {
      case WIRE_VARINT:
        this.uint64Skip()
        break
      case WIRE_FIXED64:
        this.pos += 8
        break
      case WIRE_LEN: {
        const len = this.uint()
        this.pos += len
        break
      }
      case WIRE_FIXED32:
        this.pos += 4
        break
      default:
        throw new Error(`protobuf: unsupported wire type ${wireType}`)
    }
    if (this.pos > this.end) throw new Error('protobuf: field runs past the end (file truncated?)')
    return this.buf.subarray(tagStart, this.pos)
  }

  private uint64Skip(): void {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('protobuf: truncated varint')
      if ((this.buf[this.pos++] & 0x80) === 0) return
    }
    throw new Error('protobuf: varint longer than 10 bytes')
  }

  /** Packed or unpacked repeated int64: appends to out. */
  repeatedInt64(wireType: number, out: Int64[]): void {
    if (wireType === WIRE_LEN) {
      const len = this.uint()
      const end = this.pos + len
      while (this.pos < end) out.push(this.int64())
    } else out.push(this.int64())
  }

  repeatedFloat(wireType: number, out: number[]): void {
    if (wireType === WIRE_LEN) {
      const len = this.uint()
      const end = this.pos + len
      while (this.pos < end) out.push(this.fixed32Float())
    } else out.push(this.fixed32Float())
  }

  repeatedDouble(wireType: number, out: number[]): void {
    if (wireType === WIRE_LEN) {
      const len = this.uint()
      const end = this.pos + len
      while (this.pos < end) out.push(this.fixed64Double())
    } else out.push(this.fixed64Double())
  }
}

/** Iterates the fields of a message: calls visit(fieldNumber, wireType, tagStart) with the reader positioned after the tag. */
export function forEachField(
  r: ProtoReader,
  visit: (field: number, wireType: number, tagStart: number) => void,
): void {
  while (!r.done()) {
    const tagStart = r.pos
    const tag = r.uint()
    const field = Math.floor(tag / 8)
    const wireType = tag & 7
    if (field === 0) throw new Error('protobuf: field number 0 (not an ONNX file?)')
    visit(field, wireType, tagStart)
  }
}

/**
 * Encoded message under construction: a list of byte chunks and their total length.
 * Large views (initializer payloads) are referenced, not copied, until `concat`.
 */
export class ProtoWriter {
  readonly parts: Uint8Array[] = []
  length = 0
  private scratch = new Uint8Array(256)
  private scratchPos = 0

  private flushScratch(): void {
    if (this.scratchPos > 0) {
      this.parts.push(this.scratch.subarray(0, this.scratchPos))
      this.scratch = new Uint8Array(256)
      this.scratchPos = 0
    }
  }

  private ensure(n: number): void {
    if (this.scratchPos + n > this.scratch.length) {
      this.flushScratch()
      if (n > this.scratch.length) this.scratch = new Uint8Array(n)
    }
  }

  private byte(b: number): void {
    this.scratch[this.scratchPos++] = b
    this.length++
  }

  varint(v: Int64): void {
    this.ensure(10)
    if (typeof v === 'number' && v >= 0 && v <= 0xffffffff) {
      let x = v >>> 0
      while (x > 0x7f) {
        this.byte((x & 0x7f) | 0x80)
        x >>>= 7
      }
      this.byte(x)
      return
    }
    let big = BigInt.asUintN(64, BigInt(v))
    while (big > 0x7fn) {
      this.byte(Number(big & 0x7fn) | 0x80)
      big >>= 7n
    }
    this.byte(Number(big))
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType)
  }

  /** Appends bytes by reference (no copy until concat). */
  raw(bytes: Uint8Array): void {
    if (bytes.length === 0) return
    if (bytes.length <= 64) {
      this.ensure(bytes.length)
      this.scratch.set(bytes, this.scratchPos)
      this.scratchPos += bytes.length
      this.length += bytes.length
      return
    }
    this.flushScratch()
    this.parts.push(bytes)
    this.length += bytes.length
  }

  int64Field(field: number, v: Int64 | undefined): void {
    if (v === undefined) return
    this.tag(field, WIRE_VARINT)
    this.varint(v)
  }

  floatField(field: number, v: number | undefined): void {
    if (v === undefined) return
    this.tag(field, WIRE_FIXED32)
    this.ensure(4)
    new DataView(this.scratch.buffer, this.scratch.byteOffset).setFloat32(this.scratchPos, v, true)
    this.scratchPos += 4
    this.length += 4
  }

  bytesField(field: number, v: Uint8Array | undefined): void {
    if (v === undefined) return
    this.tag(field, WIRE_LEN)
    this.varint(v.length)
    this.raw(v)
  }

  stringField(field: number, v: string | undefined): void {
    if (v === undefined) return
    this.bytesField(field, textEncoder.encode(v))
  }

  messageField(field: number, sub: ProtoWriter): void {
    this.tag(field, WIRE_LEN)
    this.varint(sub.length)
    sub.finish()
    this.flushScratch()
    for (const p of sub.parts) this.parts.push(p)
    this.length += sub.length
  }

  packedInt64(field: number, vs: readonly Int64[]): void {
    if (vs.length === 0) return
    const sub = new ProtoWriter()
    for (const v of vs) sub.varint(v)
    this.tag(field, WIRE_LEN)
    this.varint(sub.length)
    sub.finish()
    this.flushScratch()
    for (const p of sub.parts) this.parts.push(p)
    this.length += sub.length
  }

  packedFloat(field: number, vs: readonly number[]): void {
    if (vs.length === 0) return
    const bytes = new Uint8Array(vs.length * 4)
    const dv = new DataView(bytes.buffer)
    vs.forEach((v, i) => dv.setFloat32(i * 4, v, true))
    this.bytesField(field, bytes)
  }

  packedDouble(field: number, vs: readonly number[]): void {
    if (vs.length === 0) return
    const bytes = new Uint8Array(vs.length * 8)
    const dv = new DataView(bytes.buffer)
    vs.forEach((v, i) => dv.setFloat64(i * 8, v, true))
    this.bytesField(field, bytes)
  }

  finish(): this {
    this.flushScratch()
    return this
  }

  /** The single copy: all chunks into one buffer. */
  concat(): Uint8Array {
    this.finish()
    const out = new Uint8Array(this.length)
    let o = 0
    for (const p of this.parts) {
      out.set(p, o)
      o += p.length
    }
    return out
  }
}

export function utf8(s: string): Uint8Array {
  return textEncoder.encode(s)
}

export function fromUtf8(b: Uint8Array): string {
  return textDecoder.decode(b)
}
