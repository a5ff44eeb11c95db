// Shared test helpers for the importers: fixtures, byte-level variants and chunked runs.

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { chunksOf, importStimuli } from '../../../src/core/importers/import.ts'
import type { ImportRequest, ImportResult } from '../../../src/core/importers/types.ts'

const FIXTURES = fileURLToPath(new URL('../../fixtures/importers/', import.meta.url))

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(FIXTURES + name))
}

export function fixtureText(name: string): string {
  return new TextDecoder().decode(fixture(name))
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : new Uint8Array(p)))
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0))
  let o = 0
  for (const a of arrays) {
    out.set(a, o)
    o += a.length
  }
  return out
}

export const withBom = (b: Uint8Array): Uint8Array => concat([0xef, 0xbb, 0xbf], b)
export const withCrlf = (b: Uint8Array): Uint8Array => utf8(new TextDecoder().decode(b).replace(/\n/g, '\r\n'))
export const withCr = (b: Uint8Array): Uint8Array => utf8(new TextDecoder().decode(b).replace(/\n/g, '\r'))

/** UTF-16 with a BOM, little- or big-endian. */
export function utf16(s: string, bigEndian: boolean, bom = true): Uint8Array {
  const out = new Uint8Array((bom ? 2 : 0) + s.length * 2)
  let o = 0
  if (bom) {
    out[0] = bigEndian ? 0xfe : 0xff
    out[1] = bigEndian ? 0xff : 0xfe
    o = 2
  }
  for (let i = 0; i < s.length; i++, o += 2) {
    const c = s.charCodeAt(i)
    out[o + (bigEndian ? 0 : 1)] = c >> 8
    out[o + (bigEndian ? 1 : 0)] = c & 0xff
  }
  return out
}

export async function runImport(
  bytes: Uint8Array,
  fileName: string,
  chunkSize = bytes.length || 1,
  request: Partial<ImportRequest> = {},
): Promise<ImportResult> {
  return importStimuli(chunksOf(bytes, chunkSize), { fileName, ...request })
}

/** Import with 1-byte, 7-byte and whole-file chunks; asserts the three results are identical and returns one. */
export async function importAnyChunking(
  bytes: Uint8Array,
  fileName: string,
  request: Partial<ImportRequest> = {},
): Promise<ImportResult> {
  const whole = await runImport(bytes, fileName, bytes.length || 1, request)
  const json = JSON.stringify(whole)
  for (const size of [1, 7]) {
    const r = await runImport(bytes, fileName, size, request)
    expect(JSON.stringify(r), `chunk size ${size}`).toBe(json)
  }
  return whole
}

/** Rejection message of a promise (fails the test if it resolves). */
export async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    return (e as Error).message
  }
  throw new Error('expected the promise to reject')
}

export function item(result: ImportResult, line: number) {
  const it = result.set.items.find((i) => i.meta?.line === line)
  if (!it) throw new Error(`no item from line ${line}`)
  return it
}
