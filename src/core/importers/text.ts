// Streaming bytes → text: BOM detection, UTF-8 with a windows-1252 fallback, UTF-16, and line endings
// normalised to "\n". Works on any AsyncIterable<Uint8Array> (File.stream(), a fetch body, a Node stream).

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252'

export interface EncodingProblem {
  /** 1-based line of the first bad byte (after line-ending normalisation). */
  line: number
  byteOffset: number
  expected: string
  got: string
}

export interface DecodeState {
  /** Encoding the file started in. */
  encoding: TextEncodingName
  bom: boolean
  /** Set when invalid UTF-8 switched the rest of the file to windows-1252. */
  fallback?: { encoding: 'windows-1252'; line: number; byteOffset: number }
  bytesRead: number
  /** Newlines yielded so far. */
  newlines: number
  problems: EncodingProblem[]
  notices: string[]
}

export interface DecodeOptions {
  fileName: string
  signal?: AbortSignal
  onProgress?: (bytesRead: number) => void
  /** Chunks larger than this are decoded in slices so that no single step blocks for long. Default 1 MiB. */
  maxSliceBytes?: number
}

const HEAD_BYTES = 64

/** Decode a byte stream into text pieces with "\n" line endings. `state` is filled in as the stream is read. */
export function decodeText(
  chunks: AsyncIterable<Uint8Array>,
  options: DecodeOptions,
): { text: AsyncGenerator<string>; state: DecodeState } {
  const state: DecodeState = { encoding: 'utf-8', bom: false, bytesRead: 0, newlines: 0, problems: [], notices: [] }
  return { text: generate(chunks, options, state), state }
}

async function* generate(
  chunks: AsyncIterable<Uint8Array>,
  options: DecodeOptions,
  state: DecodeState,
): AsyncGenerator<string> {
  const maxSlice = options.maxSliceBytes ?? 1 << 20
  const nl = new NewlineNormaliser()
  let decoder: SliceDecoder | undefined
  let head: Uint8Array | undefined = new Uint8Array(0)
  const emit = (s: string): string => {
    const t = nl.push(s)
    state.newlines += countNewlines(t)
    return t
  }
  const decodeSliced = function* (bytes: Uint8Array): Generator<string> {
    for (let i = 0; i < bytes.length; i += maxSlice) {
      const t = emit(decoder!.decode(bytes.subarray(i, Math.min(bytes.length, i + maxSlice))))
      if (t) yield t
    }
  }
  for await (const chunk of chunks) {
    options.signal?.throwIfAborted()
    state.bytesRead += chunk.length
    if (head) {
      head = concatBytes(head, chunk)
      if (head.length < HEAD_BYTES) {
        options.onProgress?.(state.bytesRead)
        continue
      }
      decoder = startDecoder(head, options.fileName, state)
      const rest = head.subarray(decoder.skip)
      head = undefined
      yield* decodeSliced(rest)
    } else {
      yield* decodeSliced(chunk)
    }
    options.onProgress?.(state.bytesRead)
  }
  options.signal?.throwIfAborted()
  if (head) {
    decoder = startDecoder(head, options.fileName, state)
    yield* decodeSliced(head.subarray(decoder.skip))
  }
  const t = emit(decoder!.end())
  if (t) yield t
}

function startDecoder(head: Uint8Array, fileName: string, state: DecodeState): SliceDecoder {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    state.bom = true
    return new Utf8Decoder(3, fileName, state)
  }
  if (head[0] === 0xff && head[1] === 0xfe) {
    state.bom = true
    state.encoding = 'utf-16le'
    return new Utf16Decoder(2, false, fileName, state)
  }
  if (head[0] === 0xfe && head[1] === 0xff) {
    state.bom = true
    state.encoding = 'utf-16be'
    return new Utf16Decoder(2, true, fileName, state)
  }
  const guess = guessBomlessUtf16(head)
  if (guess) {
    state.encoding = guess
    state.notices.push(
      `${fileName}: no byte-order mark, but the bytes look like ${guess.toUpperCase()}; decoded as such`,
    )
    return new Utf16Decoder(0, guess === 'utf-16be', fileName, state)
  }
  return new Utf8Decoder(0, fileName, state)
}

/** Many NUL bytes at alternating positions: ASCII text stored as UTF-16 without a BOM. */
function guessBomlessUtf16(head: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  const n = head.length - (head.length % 2)
  if (n < 4) return undefined
  let evenZero = 0
  let oddZero = 0
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) evenZero++
    if (head[i + 1] === 0) oddZero++
  }
  const pairs = n / 2
  if (oddZero >= 0.6 * pairs && evenZero === 0) return 'utf-16le'
  if (evenZero >= 0.6 * pairs && oddZero === 0) return 'utf-16be'
  return undefined
}

interface SliceDecoder {
  /** Bytes of BOM to skip at the start. */
  skip: number
  decode(bytes: Uint8Array): string
  end(): string
}

/**
 * UTF-8 with `fatal: true`. Incomplete sequences at a slice end are carried by hand (instead of the decoder's
 * stream mode) so that the exact byte offset of the first invalid sequence is known; from there on the file is
 * read as windows-1252.
 */
class Utf8Decoder implements SliceDecoder {
  private readonly fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  private carry: Uint8Array = new Uint8Array(0)
  /** Absolute offset of the next byte passed to decode(). */
  private offset: number
  private latin = false

  constructor(
    readonly skip: number,
    private readonly fileName: string,
    private readonly state: DecodeState,
  ) {
    this.offset = skip
  }

  decode(bytes: Uint8Array): string {
    const start = this.offset
    this.offset += bytes.length
    if (this.latin) return decodeWindows1252(bytes)
    let out = ''
    let i = 0
    if (this.carry.length > 0) {
      const carryStart = start - this.carry.length
      const need = utf8SequenceLength(this.carry[0]) - this.carry.length
      const take = Math.min(need, bytes.length)
      const joined = concatBytes(this.carry, bytes.subarray(0, take))
      if (take < need && !hasNonContinuation(joined, 1)) {
        this.carry = joined
        return ''
      }
      this.carry = new Uint8Array(0)
      if (findInvalidUtf8(joined) >= 0) return this.switchToLatin('', joined, bytes.subarray(take), carryStart)
      out = this.fatal.decode(joined)
      i = take
    }
    const end = bytes.length - incompleteTail(bytes, i)
    try {
      out += this.fatal.decode(bytes.subarray(i, end))
      this.carry = bytes.slice(end)
      return out
    } catch {
      return this.switchToLatin(out, bytes.subarray(i), new Uint8Array(0), start + i)
    }
  }

  end(): string {
    if (this.latin || this.carry.length === 0) return ''
    const carry = this.carry
    this.carry = new Uint8Array(0)
    return this.switchToLatin('', carry, new Uint8Array(0), this.offset - carry.length)
  }

  /**
   * `before` is text already decoded in this call; `a` holds the bad sequence (with `aStart` its absolute offset)
   * and `b` the bytes after it. Decodes the valid prefix of `a`, reports the first bad byte, reads the rest as
   * windows-1252.
   */
  private switchToLatin(before: string, a: Uint8Array, b: Uint8Array, aStart: number): string {
    let bad = findInvalidUtf8(a)
    if (bad < 0) bad = 0
    const prefix = before + this.fatal.decode(a.subarray(0, bad))
    const line = this.state.newlines + countNewlines(prefix.replace(/\r\n?/g, '\n')) + 1
    const byteOffset = aStart + bad
    const seq = a.subarray(bad, bad + invalidSequenceLength(a, bad))
    const shown = Array.from(seq, (x) => '0x' + x.toString(16).toUpperCase().padStart(2, '0'))
    this.latin = true
    this.state.fallback = { encoding: 'windows-1252', line, byteOffset }
    this.state.problems.push({
      line,
      byteOffset,
      expected: 'valid UTF-8 text',
      got: `invalid byte sequence ${shown.join(' ')} at byte offset ${byteOffset}`,
    })
    this.state.notices.push(
      `${this.fileName} is not valid UTF-8 (line ${line}, byte offset ${byteOffset}: ${shown.join(' ')}); ` +
        'the rest of the file was read as windows-1252 (Western European). Check accented characters in the preview.',
    )
    return prefix + decodeWindows1252(a.subarray(bad)) + decodeWindows1252(b)
  }
}

class Utf16Decoder implements SliceDecoder {
  private decoder = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true })
  private odd: number | undefined
  private offset: number
  private lenient = false

  constructor(
    readonly skip: number,
    private readonly bigEndian: boolean,
    private readonly fileName: string,
    private readonly state: DecodeState,
  ) {
    this.offset = skip
  }

  decode(bytes: Uint8Array): string {
    const start = this.offset
    this.offset += bytes.length
    if (this.bigEndian) bytes = this.swap(bytes)
    try {
      return this.decoder.decode(bytes, { stream: true })
    } catch {
      return this.fail(bytes, start)
    }
  }

  end(): string {
    try {
      const tail = this.odd !== undefined ? '\ufffd' : ''
      return this.decoder.decode() + tail
    } catch {
      return this.fail(new Uint8Array(0), this.offset)
    }
  }

  private fail(bytes: Uint8Array, start: number): string {
    if (this.lenient) return ''
    this.lenient = true
    const line = this.state.newlines + 1
    this.state.problems.push({
      line,
      byteOffset: start,
      expected: `valid ${this.bigEndian ? 'UTF-16BE' : 'UTF-16LE'} text`,
      got: `an unpaired surrogate in the bytes from offset ${start}`,
    })
    this.state.notices.push(
      `${this.fileName}: invalid UTF-16 near line ${line} (byte offset ${start}); ` +
        'bad characters were replaced by U+FFFD',
    )
    this.decoder = new TextDecoder('utf-16le', { fatal: false, ignoreBOM: true })
    return this.decoder.decode(bytes, { stream: true })
  }

  /** Big-endian → little-endian, carrying an odd trailing byte to the next slice. */
  private swap(bytes: Uint8Array): Uint8Array {
    let src = bytes
    if (this.odd !== undefined) {
      src = new Uint8Array(bytes.length + 1)
      src[0] = this.odd
      src.set(bytes, 1)
      this.odd = undefined
    }
    const n = src.length - (src.length % 2)
    if (n < src.length) this.odd = src[n]
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i += 2) {
      out[i] = src[i + 1]
      out[i + 1] = src[i]
    }
    return out
  }
}

/** "\r\n" and lone "\r" → "\n", also when a "\r\n" pair is split between two pieces. */
export class NewlineNormaliser {
  private pendingCR = false

  push(s: string): string {
    if (s === '') return s
    if (this.pendingCR && s.charCodeAt(0) === 10) s = s.slice(1)
    this.pendingCR = false
    if (s.indexOf('\r') === -1) return s
    this.pendingCR = s.charCodeAt(s.length - 1) === 13
    return s.replace(/\r\n?/g, '\n')
  }
}

export function countNewlines(s: string): number {
  let n = 0
  let i = s.indexOf('\n')
  while (i !== -1) {
    n++
    i = s.indexOf('\n', i + 1)
  }
  return n
}

/** Length of the UTF-8 sequence introduced by a lead byte (0 for a byte that cannot start one). */
function utf8SequenceLength(b: number): number {
  if (b < 0x80) return 1
  if (b >= 0xc2 && b <= 0xdf) return 2
  if (b >= 0xe0 && b <= 0xef) return 3
  if (b >= 0xf0 && b <= 0xf4) return 4
  return 0
}

function hasNonContinuation(a: Uint8Array, from: number): boolean {
  for (let i = from; i < a.length; i++) if ((a[i] & 0xc0) !== 0x80) return true
  return false
}

/** Number of trailing bytes of `a` (from index `from`) that start a sequence not yet complete. */
function incompleteTail(a: Uint8Array, from: number): number {
  const n = a.length
  for (let k = 1; k <= 3 && n - k >= from; k++) {
    const b = a[n - k]
    if ((b & 0xc0) === 0x80) continue
    const len = utf8SequenceLength(b)
    return len > k ? k : 0
  }
  return 0
}

/**
 * Index of the first byte of the first invalid UTF-8 sequence (WHATWG rules: no overlongs, surrogates or
 * code points above U+10FFFF), or -1. With `truncatedIsInvalid`, a sequence cut off by the end counts as invalid.
 */
export function findInvalidUtf8(a: Uint8Array, from = 0, truncatedIsInvalid = true): number {
  const n = a.length
  let i = from
  while (i < n) {
    const b = a[i]
    if (b < 0x80) {
      i++
      continue
    }
    let need: number
    let lo = 0x80
    let hi = 0xbf
    if (b >= 0xc2 && b <= 0xdf) need = 1
    else if (b === 0xe0) ((need = 2), (lo = 0xa0))
    else if (b === 0xed) ((need = 2), (hi = 0x9f))
    else if (b >= 0xe1 && b <= 0xef) need = 2
    else if (b === 0xf0) ((need = 3), (lo = 0x90))
    else if (b === 0xf4) ((need = 3), (hi = 0x8f))
    else if (b >= 0xf1 && b <= 0xf3) need = 3
    else return i
    if (i + need >= n) {
      // Check what is there, then decide on the truncation.
      for (let k = 1; i + k < n; k++) {
        const c = a[i + k]
        if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i
      }
      return truncatedIsInvalid ? i : -1
    }
    const c1 = a[i + 1]
    if (c1 < lo || c1 > hi) return i
    for (let k = 2; k <= need; k++) {
      const c = a[i + k]
      if (c < 0x80 || c > 0xbf) return i
    }
    i += need + 1
  }
  return -1
}

/** Length of the maximal invalid subpart starting at `i` (the lead byte and the continuation bytes that fit it). */
function invalidSequenceLength(a: Uint8Array, i: number): number {
  const b = a[i]
  const need = utf8SequenceLength(b) - 1
  if (need <= 0) return 1
  const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80
  const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf
  let k = 1
  while (k <= need && i + k < a.length) {
    const c = a[i + k]
    if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) break
    k++
  }
  return k
}

// windows-1252 0x80–0x9F (WHATWG: the five undefined bytes map to the C1 controls).
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
]

export function decodeWindows1252(bytes: Uint8Array): string {
  let out = ''
  const step = 8192
  for (let s = 0; s < bytes.length; s += step) {
    const e = Math.min(bytes.length, s + step)
    const codes = new Array<number>(e - s)
    for (let i = s; i < e; i++) {
      const b = bytes[i]
      codes[i - s] = b >= 0x80 && b < 0xa0 ? CP1252_HIGH[b - 0x80] : b
    }
    out += String.fromCharCode(...codes)
  }
  return out
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b
  if (b.length === 0) return a
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
