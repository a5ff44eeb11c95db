// Strict checks for data that comes from strangers (share links, notebook files): every failure is a
// CheckError whose message names the field's path and what was expected, e.g.
// "typicality.bootstrap: expected an integer between 0 and 10000, got -3".
// Also the privacy scan that keeps credentials out of links and notebooks.
import { describeValue } from '../stimuli/validate.ts'

export class CheckError extends Error {
  constructor(
    /** Dotted path of the field ("typicality.bootstrap", "results.typicality[0].report"); '' = the whole value. */
    readonly path: string,
    readonly expected: string,
    /** The offending value, already described (absent when the sentence says it all). */
    readonly got?: string,
    /** Set when a privacy or size rule (not the shape of the data) was broken. */
    readonly rule?: 'privacy' | 'size',
  ) {
    super(`${path ? `${path}: ` : ''}expected ${expected}${got !== undefined ? `, got ${got}` : ''}`)
    this.name = 'CheckError'
  }
}

/** Throws; `got` is described only when passed (an explicit undefined reads "got nothing"). */
export function fail(path: string, expected: string, ...got: [unknown?]): never {
  throw new CheckError(path, expected, got.length ? describeValue(got[0]) : undefined)
}

/** Throws with `got` already in words ("a string of 97 characters"). */
export function failSaying(path: string, expected: string, got: string): never {
  throw new CheckError(path, expected, got)
}

/** A broken privacy or size rule: the sentence is the whole message, no "got". */
export function breaks(rule: 'privacy' | 'size', path: string, expected: string): never {
  throw new CheckError(path, expected, undefined, rule)
}

/** Path of a key below `path`. */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`
  return path ? `${path}.${key}` : key
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v)
}

/** A check: returns the (possibly normalised) value or throws a CheckError naming `path`. */
export type Check<T> = (v: unknown, path: string) => T
type Out<S> = { [K in keyof S]: S[K] extends Check<infer T> ? T : never }

/**
 * A plain object with required and optional fields. Closed by default: other keys are rejected with
 * their path. The result holds only the known fields; absent optional fields stay absent.
 */
export function fields<R extends Record<string, Check<unknown>>, O extends Record<string, Check<unknown>> = Record<never, Check<unknown>>>(
  req: R,
  opt?: O,
  options: { open?: boolean } = {},
): Check<Out<R> & Partial<Out<O>>> {
  const known = [...Object.keys(req), ...Object.keys(opt ?? {})]
  return (v, path) => {
    if (!isRecord(v)) fail(path, 'an object', v)
    if (!options.open)
      for (const k of Object.keys(v)) if (!known.includes(k)) fail(at(path, k), `a known field (one of ${known.join(', ')})`)
    const out: Record<string, unknown> = options.open ? { ...v } : {}
    for (const [k, check] of Object.entries(req)) {
      if (v[k] === undefined) fail(at(path, k), 'a value (the field is required)')
      out[k] = check(v[k], at(path, k))
    }
    for (const [k, check] of Object.entries(opt ?? {})) if (v[k] !== undefined) out[k] = check(v[k], at(path, k))
    return out as Out<R> & Partial<Out<O>>
  }
}

export function int(min: number, max: number): Check<number> {
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `an integer between ${min} and ${max}`, v)
    return v
  }
}

/** A finite number in [min, max], or in (min, max] with aboveMin. */
export function num(min: number, max: number, opts: { aboveMin?: boolean } = {}): Check<number> {
  return (v, path) => {
    const ok = typeof v === 'number' && Number.isFinite(v) && (opts.aboveMin ? v > min : v >= min) && v <= max
    if (!ok) fail(path, opts.aboveMin ? `a number above ${min} and at most ${max}` : `a number between ${min} and ${max}`, v)
    return v as number
  }
}

/** Any number, NaN and ±Infinity included (results may hold them). */
export const anyNumber: Check<number> = (v, path) => {
  if (typeof v !== 'number') fail(path, 'a number', v)
  return v
}

export const bool: Check<boolean> = (v, path) => {
  if (typeof v !== 'boolean') fail(path, 'true or false', v)
  return v
}

export interface StringRule {
  /** Longest accepted length (default 200). */
  max?: number
  /** Shortest accepted length (default 1: empty strings are rejected). */
  min?: number
  pattern?: RegExp
  /** What the pattern means, for the message ("a hub model id like org/name"). */
  what?: string
}

export function str(rule: StringRule = {}): Check<string> {
  const max = rule.max ?? 200
  const min = rule.min ?? 1
  const what = rule.what ?? (min > 0 ? 'a non-empty string' : 'a string')
  return (v, path) => {
    if (typeof v !== 'string') fail(path, `${what} of at most ${max} characters`, v)
    if (v.length > max) failSaying(path, `${what} of at most ${max} characters`, `a string of ${v.length} characters`)
    if (v.length < min || (rule.pattern && !rule.pattern.test(v))) fail(path, what, v)
    return v
  }
}

export function oneOf<T extends string | number | boolean | null>(values: readonly T[]): Check<T> {
  return (v, path) => {
    if (!values.includes(v as T)) fail(path, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, v)
    return v as T
  }
}

export function arrayOf<T>(each: Check<T>, max: number): Check<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) fail(path, 'an array', v)
    if (v.length > max) failSaying(path, `an array of at most ${max} entries`, `${v.length} entries`)
    return v.map((x, i) => each(x, at(path, i)))
  }
}

/** `check`, or null when the value is null. */
export function nullable<T>(check: Check<T>): Check<T | null> {
  return (v, path) => (v === null ? null : check(v, path))
}

/** An http(s) URL without credentials or secret-looking query parameters. */
export function httpUrl(max = 500): Check<string> {
  const text = str({ max, what: 'an http:// or https:// address' })
  return (v, path) => {
    const s = text(v, path)
    let u: URL | undefined
    try {
      u = new URL(s)
    } catch {
      // reported below
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) fail(path, 'an http:// or https:// address', s)
    if (u.username || u.password) breaks('privacy', path, 'an address without a user name or password in it')
    for (const k of u.searchParams.keys())
      if (isSecretKey(k)) breaks('privacy', path, `an address without API keys or tokens in it (query parameter "${k}")`)
    return s
  }
}

// ---------------------------------------------------------------------------------------------
// Privacy: credentials never travel in a link or a notebook.

/** Key names (compared lower-case without - and _) that hold credentials. */
const SECRET_KEYS = new Set([
  'apikey',
  'xapikey',
  'apitoken',
  'accesstoken',
  'authtoken',
  'bearertoken',
  'refreshtoken',
  'sessiontoken',
  'idtoken',
  'oauthtoken',
  'hftoken',
  'hubtoken',
  'githubtoken',
  'bearer',
  'authorization',
  'auth',
  'secret',
  'secretkey',
  'clientsecret',
  'apisecret',
  'privatekey',
  'password',
  'passwd',
  'credential',
  'credentials',
])

/**
 * Whether a key name holds a credential (apiKey, api_key, Authorization, hf_token, password…).
 * A bare "token" counts too unless `allowBareToken`: notebook results use it for vocabulary tokens.
 */
export function isSecretKey(key: string, allowBareToken = false): boolean {
  const k = key.toLowerCase().replace(/[-_\s.]/g, '')
  if (k === 'token') return !allowBareToken
  return SECRET_KEYS.has(k) || k.includes('apikey') || k.endsWith('password') || k.endsWith('secret')
}

/** Strings that are credentials in well-known formats (Hugging Face, OpenAI-style, GitHub, bearer headers). */
const SECRET_VALUES: readonly RegExp[] = [
  /^hf_[A-Za-z0-9]{30,}$/,
  /^sk-[A-Za-z0-9_-]{20,}$/,
  /^gh[pousr]_[A-Za-z0-9]{30,}$/,
  /^Bearer\s+\S{16,}$/i,
]

export function looksLikeSecret(value: string): boolean {
  const s = value.trim()
  return s.length >= 20 && s.length <= 500 && SECRET_VALUES.some((r) => r.test(s))
}

/** Keys that would reach an object's prototype when copied naively. */
const POISON_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

export interface SecretScanOptions {
  /** Paths (dotted prefixes) below which a bare "token" key is allowed. */
  allowBareTokenUnder?: readonly string[]
  /** Deepest nesting accepted (default 64). */
  maxDepth?: number
}

/**
 * Throws a CheckError at the first credential-like key or value, prototype-poisoning key, or nesting
 * deeper than maxDepth. Iterative, so hostile nesting cannot overflow the stack.
 */
export function assertNoSecrets(value: unknown, path = '', opts: SecretScanOptions = {}): void {
  const maxDepth = opts.maxDepth ?? 64
  const allowUnder = opts.allowBareTokenUnder ?? []
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path, depth: 0 }]
  while (stack.length) {
    const { v, path: p, depth } = stack.pop()!
    if (typeof v === 'string') {
      if (looksLikeSecret(v)) breaks('privacy', p, 'no API keys or access tokens (this text looks like one)')
      continue
    }
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) continue
    if (depth >= maxDepth) fail(p, `at most ${maxDepth} levels of nesting`)
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: at(p, i), depth: depth + 1 })
      continue
    }
    for (const [k, child] of Object.entries(v)) {
      const kp = at(p, k)
      if (POISON_KEYS.has(k)) fail(kp, 'an ordinary field name (not __proto__, constructor or prototype)')
      const allowBare = allowUnder.some((u) => kp === u || kp.startsWith(`${u}.`) || kp.startsWith(`${u}[`))
      if (isSecretKey(k, allowBare)) breaks('privacy', kp, 'no API keys, tokens or passwords here: they are never shared (remove this field)')
      stack.push({ v: child, path: kp, depth: depth + 1 })
    }
  }
}
