import { describe, expect, it } from 'vitest'
import { chunksOf } from '../../../src/core/importers/import.ts'
import { decodeText, decodeWindows1252, findInvalidUtf8, NewlineNormaliser } from '../../../src/core/importers/text.ts'
import { Rng } from '../../../src/core/random.ts'
import { concat, utf16, utf8 } from './helpers.ts'

async function decodeAll(bytes: Uint8Array, chunkSize: number, maxSliceBytes?: number) {
  const { text, state } = decodeText(chunksOf(bytes, chunkSize), { fileName: 'f.txt', maxSliceBytes })
  let s = ''
  for await (const piece of text) s += piece
  return { s, state }
}

/** Decoding must not depend on where the chunks are cut. */
async function decodeEveryWay(bytes: Uint8Array) {
  const ref = await decodeAll(bytes, bytes.length || 1)
  for (const size of [1, 2, 3, 5, 7]) {
    const r = await decodeAll(bytes, size)
    expect(r.s, `chunk size ${size}`).toBe(ref.s)
    expect(r.state.problems, `chunk size ${size}`).toEqual(ref.state.problems)
  }
  const sliced = await decodeAll(bytes, bytes.length || 1, 3)
  expect(sliced.s).toBe(ref.s)
  return ref
}

describe('decodeText', () => {
  it('strips a UTF-8 BOM and keeps multi-byte characters split across chunks', async () => {
    const { s, state } = await decodeEveryWay(concat([0xef, 0xbb, 0xbf], utf8('café €5 😀\nnext')))
    expect(s).toBe('café €5 😀\nnext')
    expect(state.bom).toBe(true)
    expect(state.encoding).toBe('utf-8')
    expect(state.problems).toEqual([])
  })

  it('keeps a U+FEFF that is not at the start', async () => {
    const { s } = await decodeEveryWay(utf8('a\ufeffb'))
    expect(s).toBe('a\ufeffb')
  })

  it('normalises CRLF and CR-only line endings, also when "\\r\\n" is split between chunks', async () => {
    expect((await decodeEveryWay(utf8('a\r\nb\r\nc'))).s).toBe('a\nb\nc')
    expect((await decodeEveryWay(utf8('a\rb\rc\r'))).s).toBe('a\nb\nc\n')
    expect((await decodeEveryWay(utf8('a\r\n\r\nb\r\r\nc'))).s).toBe('a\n\nb\n\nc')
    const n = new NewlineNormaliser()
    expect(n.push('x\r') + n.push('') + n.push('\ny')).toBe('x\ny')
  })

  it('decodes UTF-16 LE and BE with a BOM, surrogate pairs included', async () => {
    const text = 'label,input\r\n1,"naïve 😀"\n'
    for (const be of [false, true]) {
      const { s, state } = await decodeEveryWay(utf16(text, be))
      expect(s).toBe('label,input\n1,"naïve 😀"\n')
      expect(state.encoding).toBe(be ? 'utf-16be' : 'utf-16le')
      expect(state.bom).toBe(true)
    }
  })

  it('recognises BOM-less UTF-16 from its NUL bytes and says so', async () => {
    const { s, state } = await decodeEveryWay(utf16('text,label\nhello world,1\nanother row,0\n', false, false))
    expect(s).toBe('text,label\nhello world,1\nanother row,0\n')
    expect(state.encoding).toBe('utf-16le')
    expect(state.notices[0]).toMatch(/no byte-order mark.*UTF-16LE/)
  })

  it('reports the line and byte offset of invalid UTF-8 and reads the rest as windows-1252', async () => {
    // "caf\xE9" is windows-1252 for "café"; \x93…\x94 are curly quotes there.
    const bytes = concat(
      utf8('line one\r\nline two caf'),
      [0xe9],
      utf8(' \x93'),
      [0x93],
      utf8('ok'),
      [0x94],
      utf8('\nend'),
    )
    const { s, state } = await decodeEveryWay(bytes)
    expect(state.problems).toEqual([
      { line: 2, byteOffset: 22, expected: 'valid UTF-8 text', got: 'invalid byte sequence 0xE9 at byte offset 22' },
    ])
    expect(state.fallback).toEqual({ encoding: 'windows-1252', line: 2, byteOffset: 22 })
    // The \x93 written through utf8() became C2 93, which windows-1252 reads as "Â“".
    expect(s).toBe('line one\nline two café Â““ok”\nend')
    expect(state.notices[0]).toMatch(/f\.txt is not valid UTF-8 \(line 2, byte offset 22.*windows-1252/)
  })

  it('finds a bad byte inside a sequence carried over a chunk boundary, and a sequence cut off by the end', async () => {
    const bad = await decodeEveryWay(concat(utf8('ab'), [0xe2, 0x82], utf8('A\nz')))
    expect(bad.state.problems[0]).toMatchObject({
      line: 1,
      byteOffset: 2,
      got: 'invalid byte sequence 0xE2 0x82 at byte offset 2',
    })
    expect(bad.s).toBe('abâ‚A\nz')
    const cut = await decodeEveryWay(concat(utf8('x\nabc'), [0xe2, 0x82]))
    expect(cut.state.problems[0]).toMatchObject({ line: 2, byteOffset: 5 })
    expect(cut.s).toBe('x\nabcâ‚')
  })

  it('rejects overlong forms and surrogates like TextDecoder does', async () => {
    for (const seq of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff]]) {
      const { state } = await decodeEveryWay(concat(utf8('ok '), seq))
      expect(state.problems[0].byteOffset, seq.join(',')).toBe(3)
    }
  })

  it('reports progress in bytes and stops when aborted', async () => {
    const bytes = utf8('x'.repeat(1000))
    const seen: number[] = []
    const { text } = decodeText(chunksOf(bytes, 100), { fileName: 'p', onProgress: (b) => seen.push(b) })
    for await (const _ of text) void _
    expect(seen.at(-1)).toBe(1000)
    expect(seen).toEqual([...seen].sort((a, b) => a - b))
    const ac = new AbortController()
    const { text: t2 } = decodeText(chunksOf(bytes, 100), { fileName: 'p', signal: ac.signal })
    await expect(
      (async () => {
        for await (const _ of t2) ac.abort(new Error('stop'))
      })(),
    ).rejects.toThrow('stop')
  })
})

describe('findInvalidUtf8', () => {
  it('agrees with TextDecoder({fatal: true}) on random bytes (second implementation)', () => {
    const rng = new Rng(7)
    const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
    const pool = [0x41, 0x0a, 0x80, 0x9f, 0xa0, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xc0, 0xff]
    for (let trial = 0; trial < 3000; trial++) {
      const a = new Uint8Array(1 + rng.int(8))
      for (let i = 0; i < a.length; i++) a[i] = pool[rng.int(pool.length)]
      let valid = true
      try {
        fatal.decode(a)
      } catch {
        valid = false
      }
      const at = findInvalidUtf8(a)
      expect(at === -1, Array.from(a).join(',')).toBe(valid)
      if (at > 0) expect(() => fatal.decode(a.subarray(0, at))).not.toThrow()
    }
  })
})

describe('decodeWindows1252', () => {
  it('maps 0x80–0x9F per WHATWG and the rest as Latin-1', () => {
    const s = decodeWindows1252(new Uint8Array([0x41, 0x80, 0x81, 0x8a, 0x93, 0x94, 0x96, 0x9f, 0xa0, 0xe9, 0xff]))
    expect(Array.from(s, (c) => c.codePointAt(0))).toEqual([
      0x41, 0x20ac, 0x81, 0x160, 0x201c, 0x201d, 0x2013, 0x178, 0xa0, 0xe9, 0xff,
    ])
  })
})
