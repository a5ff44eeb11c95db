// JSON that keeps what plain JSON loses, while staying plain JSON that any tool can read:
//
// - Non-finite numbers and −0 are written as the strings "NaN", "Infinity", "-Infinity" and "-0".
//   A genuine string equal to one of those words, after any number of "~", gets one more "~" in front
//   ("NaN" as text is written "~NaN"), so the encoding is exact both ways.
// - Typed arrays are written as plain arrays of numbers; the JSON Pointer (RFC 6901) of each, with
//   its constructor name, goes into a manifest that the reader uses to restore them.
// - Anything else that is not plain data (Map, Set, class instances, functions, bigint, cycles) is
//   refused with its path, rather than silently written as {} or dropped.
import { at, fail, failSaying, isRecord } from '../share/check.ts'

const CONSTRUCTORS = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
} as const
export type TypedArrayName = keyof typeof CONSTRUCTORS
export type NumericTypedArray = InstanceType<(typeof CONSTRUCTORS)[TypedArrayName]>
export const TYPED_ARRAY_NAMES = Object.keys(CONSTRUCTORS) as readonly TypedArrayName[]

/** JSON Pointer → constructor name of each typed array in a document. */
export type TypedArrayManifest = Record<string, TypedArrayName>

const TOKEN = /^~*(NaN|Infinity|-Infinity|-0)$/

function encodeNumber(x: number): number | string {
  if (Number.isFinite(x)) return Object.is(x, -0) ? '-0' : x
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity'
}

/** The reviver's half of the encoding: tokens back to numbers, escaped strings back to text. */
export function decodeJsonValue(v: unknown): unknown {
  if (typeof v !== 'string' || !TOKEN.test(v)) return v
  if (v.startsWith('~')) return v.slice(1)
  return v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : -0
}

function pointerSegment(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1')
}

const MAX_DEPTH = 200

/**
 * The JSON-ready copy of `value` and the manifest of its typed arrays (pointers relative to `value`).
 * `path` names fields in error messages.
 */
export function toJsonTree(value: unknown, path = ''): { tree: unknown; typedArrays: TypedArrayManifest } {
  const typedArrays: TypedArrayManifest = {}
  const ancestors = new Set<object>()
  const walk = (v: unknown, p: string, pointer: string, depth: number): unknown => {
    if (depth > MAX_DEPTH) fail(p, `at most ${MAX_DEPTH} levels of nesting`)
    switch (typeof v) {
      case 'number':
        return encodeNumber(v)
      case 'string':
        return TOKEN.test(v) ? `~${v}` : v
      case 'boolean':
        return v
      case 'undefined':
        return undefined
      case 'object':
        break
      default:
        fail(p, 'plain data (numbers, strings, booleans, null, arrays, objects, typed arrays)', typeof v)
    }
    if (v === null) return null
    if (ArrayBuffer.isView(v)) {
      const name = v.constructor.name as TypedArrayName
      if (!(TYPED_ARRAY_NAMES as readonly string[]).includes(name)) fail(p, `a numeric typed array, not a ${v.constructor.name}`)
      typedArrays[pointer] = name
      return Array.from(v as NumericTypedArray, encodeNumber)
    }
    if (ancestors.has(v)) fail(p, 'data without cycles (this object contains itself)')
    const proto = Object.getPrototypeOf(v)
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) {
      if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return walk((v as { toJSON(): unknown }).toJSON(), p, pointer, depth + 1)
      fail(p, `plain data, not a ${(v as object).constructor?.name ?? 'special object'}`)
    }
    ancestors.add(v)
    let out: unknown
    if (Array.isArray(v)) {
      out = v.map((x, i) => walk(x, at(p, i), `${pointer}/${i}`, depth + 1) ?? null)
    } else {
      const o: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(v)) {
        const w = walk(x, at(p, k), `${pointer}/${pointerSegment(k)}`, depth + 1)
        if (w !== undefined) o[k] = w
      }
      out = o
    }
    ancestors.delete(v)
    return out
  }
  return { tree: walk(value, path, '', 0), typedArrays }
}

/** JSON.parse with the number tokens decoded. Throws a SyntaxError for text that is not JSON. */
export function parseJsonWithNumbers(text: string): unknown {
  return JSON.parse(text, (_k, v) => decodeJsonValue(v))
}

/**
 * Turns the arrays a manifest names back into typed arrays, in place. Pointers must lie under one of
 * `allowedRoots` (e.g. "/results"). Errors name the manifest entry at `manifestPath`.
 */
export function restoreTypedArrays(root: unknown, manifest: unknown, manifestPath: string, allowedRoots: readonly string[]): void {
  if (!isRecord(manifest)) fail(manifestPath, 'an object of JSON Pointer → typed array name', manifest)
  for (const [pointer, name] of Object.entries(manifest)) {
    const p = `${manifestPath}["${pointer}"]`
    if (!(TYPED_ARRAY_NAMES as readonly unknown[]).includes(name)) fail(p, `one of ${TYPED_ARRAY_NAMES.join(', ')}`, name)
    if (!allowedRoots.some((r) => pointer.startsWith(`${r}/`))) fail(p, `a pointer under ${allowedRoots.join(' or ')}`, pointer)
    const segments = pointer
      .slice(1)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    // Own properties only: a pointer through "__proto__" must not reach a prototype.
    const child = (v: unknown, key: string): unknown =>
      (isRecord(v) || Array.isArray(v)) && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined
    const parent = segments.slice(0, -1).reduce(child, root)
    const last = segments[segments.length - 1]
    const arr = child(parent, last)
    if (!Array.isArray(arr) || arr.some((x) => typeof x !== 'number'))
      failSaying(p, 'the pointer of an array of numbers', arr === undefined ? 'nothing there' : 'something else')
    const holder = parent as Record<string, unknown>
    holder[last] = CONSTRUCTORS[name as TypedArrayName].from(arr)
  }
}
