// Share links: an experiment's configuration in the URL's hash fragment, `#/<panel>?x=<payload>`.
//
//   payload = base64url( check[4] ‖ deflate-raw( canonicalJson(config) ) )
//   check   = the first 4 bytes (8 hex digits) of SHA-256(canonicalJson(config))
//
// The fragment never reaches a server. A link carries settings only, never data or secrets: no API
// keys (any key named like one, anywhere, is refused when encoding and when decoding), no model from a
// local folder (not representable), and imported stimulus sets only as { name, hash }; small sets the
// lab did not import may travel inline. Links come from strangers, so decoding validates strictly:
// unknown keys, out-of-range numbers and over-long strings are refused with the field's path.
//
// Versions: `v` is the schema version. migrateShareConfig is the one place where an older version is
// upgraded to the current one; a newer version is refused with a message that says so.
import { deflateSync, inflateSync } from 'fflate'
import { canonicalJson, sha256Hex } from '../hash.ts'
import { DTYPES, type Dtype } from '../model/catalog.ts'
import type { DevicePreference } from '../model/device.ts'
import type { SourceSpec } from '../model/service.ts'
import { HOOK_KINDS, type HookKind } from '../hooks/locate.ts'
import type { Pooling } from '../hooks/capture.ts'
import { MORAL_VECTOR_AXES, VALUE_KINDS, type StimulusSet, type ValueKind } from '../stimuli/types.ts'
import { BUILTIN_SET_IDS, type BuiltinSetId } from '../stimuli/builtin/index.ts'
import { ITEM_FIELDS, SET_HEADER_FIELDS, describeValue, formatProblem, validateStimulusSet } from '../stimuli/validate.ts'
import { stimulusSetHash } from '../stimuli/hash.ts'
import { IMPORT_LICENCE } from '../importers/import.ts'
import type { ElicitationOptions } from '../icm/session.ts'
import type { SaeTrainConfig } from '../sae/types.ts'
import type { SaeBackendPreference } from '../sae/lab.ts'
import {
  CheckError,
  arrayOf,
  assertNoSecrets,
  at,
  bool,
  breaks,
  fail,
  fields,
  httpUrl,
  int,
  isRecord,
  nullable,
  num,
  oneOf,
  str,
  type Check,
} from './check.ts'

// ---------------------------------------------------------------------------------------------
// The schema

export const SHARE_VERSION = 1

export const SHARE_PANELS = ['model', 'stimuli', 'typicality', 'entanglement', 'features', 'elicitation'] as const
export type SharePanel = (typeof SHARE_PANELS)[number]

/** Where the model comes from. A local folder is deliberately not representable. */
export type ShareModelSource = { kind: 'hub'; id: string; revision?: string } | { kind: 'builtin'; id: string } | { kind: 'url'; prefix: string }

export interface ShareModel {
  source: ShareModelSource
  dtype?: Dtype
  device?: DevicePreference
}

/**
 * The stimulus set: a built-in one by id; a set the recipient must open themselves (an import),
 * matched by name and content hash (stimulusSetHash); or a small set the lab did not import, inline.
 */
export type ShareSet =
  | { kind: 'builtin'; id: BuiltinSetId }
  | { kind: 'imported'; name: string; hash: string }
  | { kind: 'inline'; set: StimulusSet }

export const POOLINGS: readonly Pooling[] = ['last', 'mean', 'all']

/** The Moral typicality panel's run options and view. */
export interface ShareTypicality {
  hookKind: HookKind
  pooling: Pooling
  seed: number
  bootstrap: number
  /** null (or 0) = full width. */
  pcaDims: number | null
  layer?: number
  /** A MORAL_VECTOR_AXES name, e.g. "care.vice". */
  category?: string
  colorBy?: 'foundation' | 'polarity'
}

export const ENTANGLEMENT_SORT_KEYS = ['maxAbsDelta', 'delta.grammatical', 'delta.economic', 'delta.moral'] as const
export type EntanglementSortKey = (typeof ENTANGLEMENT_SORT_KEYS)[number]

/** The Value entanglement panel's run options and view. */
export interface ShareEntanglement {
  /** Sentence frames used (null = all). */
  frames: number | null
  seed: number
  scope: 'all' | 'from-layer'
  /** null = the projection probe's best layer. */
  ablationLayer?: number | null
  projectionLayer?: number
  projectionContext?: ValueKind
  sortBy?: EntanglementSortKey
}

/** The ICM options that are plain numbers, strings or booleans. */
export type ShareElicitationOptions = Pick<ElicitationOptions, 'seed'> &
  Partial<
    Pick<
      ElicitationOptions,
      | 'alpha'
      | 'numSeed'
      | 'iterations'
      | 'consistencyFixK'
      | 'initialT'
      | 'finalT'
      | 'decay'
      | 'scheduler'
      | 'maxDemonstrations'
      | 'demoSelection'
      | 'energySubsample'
      | 'collapseThreshold'
      | 'collapseMinLabelled'
      | 'cacheScores'
      | 'testFraction'
      | 'baselines'
      | 'baselineDemonstrations'
    >
  >

/** 'model' = the loaded model; a remote endpoint travels without its API key (the recipient types their own). */
export type ShareScorer = 'model' | { kind: 'remote'; baseUrl: string; model: string }

export interface ShareElicitation {
  options: ShareElicitationOptions
  scorer: ShareScorer
}

/** SAE training settings; the hook and model are set by the panel, not the link. */
export type ShareSaeTrainConfig = Partial<Omit<SaeTrainConfig, 'hookName' | 'hookLayer' | 'modelName'>>

/** The Features (SAE) panel. Pasted corpus text is never part of a link. */
export interface ShareFeatures {
  /** null = the middle layer. */
  layer: number | null
  hookKind: HookKind
  /** Stimulus set ids of the corpus (built-in ids, or the ids of sets the recipient has). */
  corpusSetIds: string[]
  trainConfig: ShareSaeTrainConfig
  backend?: SaeBackendPreference
  selectedFeature?: number
  selection?: { minRho: number; minMargin: number; maxFeatures: number }
  chosen?: number[]
  positions?: 'all' | 'last'
  editPenalty?: number
}

export interface ShareConfigV1 {
  v: 1
  /** The panel the link opens. */
  panel: SharePanel
  model?: ShareModel
  set?: ShareSet
  typicality?: ShareTypicality
  entanglement?: ShareEntanglement
  elicitation?: ShareElicitation
  features?: ShareFeatures
}

/** The current schema. */
export type ShareConfig = ShareConfigV1

// ---------------------------------------------------------------------------------------------
// Limits

/** Longest payload (the `x` parameter) accepted, in characters. Chat apps and browsers cope with this. */
export const SHARE_PAYLOAD_MAX_CHARS = 8000
/** Longest decompressed settings JSON accepted, in bytes (guards against deflate bombs). */
export const SHARE_JSON_MAX_BYTES = 64 * 1024

export interface ShareLimits {
  /** Most items an inline stimulus set may carry. */
  inlineMaxItems: number
  /** Most bytes of canonical JSON an inline stimulus set may take. */
  inlineMaxBytes: number
}

export const LINK_LIMITS: ShareLimits = { inlineMaxItems: 50, inlineMaxBytes: 6 * 1024 }
/** A notebook file has room for bigger inline sets; the privacy rules are the same. */
export const NOTEBOOK_CONFIG_LIMITS: ShareLimits = { inlineMaxItems: 20_000, inlineMaxBytes: 16 * 1024 * 1024 }

// ---------------------------------------------------------------------------------------------
// Validation

const SEED = int(0, 0xffffffff)
const LAYER = int(0, 1000)
const HOOK = oneOf(HOOK_KINDS)

const modelSourceCheck: Check<ShareModelSource> = (v, path) => {
  if (isRecord(v) && v.kind === 'local')
    breaks('privacy', path, 'a hub id, a URL or a built-in model: a model opened from a folder on this computer cannot travel in a link')
  const kind = fields({ kind: oneOf(['hub', 'builtin', 'url'] as const) }, undefined, { open: true })(v, path).kind
  switch (kind) {
    case 'hub':
      return fields(
        {
          kind: oneOf(['hub'] as const),
          id: str({ max: 96, pattern: /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/, what: 'a hub model id like org/name' }),
        },
        { revision: str({ max: 100, pattern: /^[\w][\w.\/-]*$/, what: 'a revision (branch, tag or commit)' }) },
      )(v, path)
    case 'builtin':
      return fields({
        kind: oneOf(['builtin'] as const),
        id: str({ max: 64, pattern: /^[a-z0-9][a-z0-9-]*$/, what: 'a built-in model id like tiny-llama-instruct' }),
      })(v, path)
    case 'url':
      return fields({ kind: oneOf(['url'] as const), prefix: httpUrl() })(v, path)
  }
}

const modelCheck: Check<ShareModel> = fields(
  { source: modelSourceCheck },
  { dtype: oneOf(DTYPES), device: oneOf(['auto', 'webgpu', 'wasm'] as const) },
)

/** A set the lab imported from a user's file: its rows never travel in a link. */
export function isImportedSet(set: Pick<StimulusSet, 'id' | 'licence'>): boolean {
  return set.id.startsWith('import:') || set.licence === IMPORT_LICENCE
}

function inlineSetCheck(limits: ShareLimits): Check<StimulusSet> {
  return (v, path) => {
    if (!isRecord(v)) fail(path, 'a stimulus set object', v)
    for (const k of Object.keys(v))
      if (k !== 'items' && !(SET_HEADER_FIELDS as readonly string[]).includes(k)) fail(at(path, k), `a known stimulus set field (one of items, ${SET_HEADER_FIELDS.join(', ')})`)
    if (Array.isArray(v.items)) {
      if (v.items.length > limits.inlineMaxItems)
        breaks('size', at(path, 'items'), `at most ${limits.inlineMaxItems} items in an inline set (it has ${v.items.length}); share it as a file instead`)
      v.items.forEach((item, i) => {
        if (isRecord(item))
          for (const k of Object.keys(item))
            if (!(ITEM_FIELDS as readonly string[]).includes(k)) fail(at(at(at(path, 'items'), i), k), `a known stimulus item field (one of ${ITEM_FIELDS.join(', ')})`)
      })
    }
    const { set, problems } = validateStimulusSet(v)
    const error = problems.find((p) => p.severity === 'error')
    if (error) {
      const where = error.row !== undefined ? at(at(path, 'items'), error.row - 1) : path
      fail(error.field ? at(where, error.field) : where, formatProblem({ ...error, row: undefined, field: undefined }).replace(/^expected /, ''))
    }
    if (!set) fail(path, 'a stimulus set with at least one item')
    if (set.id.startsWith('builtin:')) fail(at(path, 'id'), "an id of its own (built-in sets travel as { kind: 'builtin', id })", set.id)
    if (isImportedSet(set))
      breaks('privacy', path, `no imported rows: ${set.name} came from a file, so it travels as { kind: 'imported', name, hash }`)
    const bytes = new TextEncoder().encode(canonicalJson(set)).length
    if (bytes > limits.inlineMaxBytes)
      breaks('size', path, `at most ${limits.inlineMaxBytes} bytes of items in an inline set (it takes ${bytes}); share it as a file instead`)
    return set
  }
}

function setCheck(limits: ShareLimits): Check<ShareSet> {
  return (v, path) => {
    const kind = fields({ kind: oneOf(['builtin', 'imported', 'inline'] as const) }, undefined, { open: true })(v, path).kind
    switch (kind) {
      case 'builtin':
        return fields({ kind: oneOf(['builtin'] as const), id: oneOf(BUILTIN_SET_IDS) })(v, path)
      case 'imported':
        return fields({
          kind: oneOf(['imported'] as const),
          name: str({ max: 200 }),
          hash: str({ max: 64, min: 64, pattern: /^[0-9a-f]{64}$/, what: 'a SHA-256 content hash (64 hex digits)' }),
        })(v, path)
      case 'inline':
        return fields({ kind: oneOf(['inline'] as const), set: inlineSetCheck(limits) })(v, path)
    }
  }
}

const typicalityCheck: Check<ShareTypicality> = fields(
  { hookKind: HOOK, pooling: oneOf(POOLINGS), seed: SEED, bootstrap: int(0, 10000), pcaDims: nullable(int(0, 100_000)) },
  { layer: LAYER, category: oneOf(MORAL_VECTOR_AXES), colorBy: oneOf(['foundation', 'polarity'] as const) },
)

const entanglementCheck: Check<ShareEntanglement> = fields(
  { frames: nullable(int(1, 10_000)), seed: SEED, scope: oneOf(['all', 'from-layer'] as const) },
  { ablationLayer: nullable(LAYER), projectionLayer: LAYER, projectionContext: oneOf(VALUE_KINDS), sortBy: oneOf(ENTANGLEMENT_SORT_KEYS) },
)

const evenInt = (min: number, max: number): Check<number> => (v, path) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max || v % 2 !== 0) fail(path, `an even integer between ${min} and ${max}`, v)
  return v
}

const elicitationOptionsCheck: Check<ShareElicitationOptions> = fields(
  { seed: SEED },
  {
    alpha: num(0, 1e6),
    numSeed: evenInt(0, 10_000),
    iterations: int(0, 1_000_000),
    consistencyFixK: int(0, 1000),
    initialT: num(0, 1e6, { aboveMin: true }),
    finalT: num(0, 1e6, { aboveMin: true }),
    decay: num(0, 1, { aboveMin: true }),
    scheduler: oneOf(['log', 'exp'] as const),
    maxDemonstrations: int(1, 10_000),
    demoSelection: oneOf(['per-target', 'shared'] as const),
    energySubsample: int(1, 1_000_000),
    collapseThreshold: num(0, 1),
    collapseMinLabelled: int(0, 1_000_000),
    cacheScores: bool,
    testFraction: num(0, 0.95, { aboveMin: true }),
    baselines: bool,
    baselineDemonstrations: int(0, 10_000),
  },
)

const remoteScorerCheck = fields({ kind: oneOf(['remote'] as const), baseUrl: httpUrl(), model: str({ max: 200 }) })

const scorerCheck: Check<ShareScorer> = (v, path) => {
  if (v === 'model') return 'model'
  if (!isRecord(v)) fail(path, `"model" or a remote endpoint { kind: "remote", baseUrl, model }`, v)
  return remoteScorerCheck(v, path)
}

const BIG = 1 << 24

const trainConfigCheck: Check<ShareSaeTrainConfig> = fields(
  {},
  {
    architecture: oneOf(['topk', 'standard'] as const),
    expansionFactor: num(0, 1024, { aboveMin: true }),
    dSae: int(1, BIG),
    k: int(1, 65_536),
    batchSize: int(1, 1 << 20),
    steps: int(0, 10_000_000),
    lr: num(0, 10, { aboveMin: true }),
    lrWarmUpSteps: int(0, 10_000_000),
    lrDecaySteps: int(0, 10_000_000),
    lrEnd: num(0, 10),
    adamBeta1: num(0, 1),
    adamBeta2: num(0, 1),
    adamEps: num(0, 1, { aboveMin: true }),
    gradClipNorm: num(0, 1e6),
    auxLossCoefficient: num(0, 1e6),
    kAux: int(0, BIG),
    l1Coefficient: num(0, 1e6),
    deadFeatureWindow: int(1, 10_000_000),
    featureSamplingWindow: int(1, 10_000_000),
    denseThreshold: num(0, 1),
    normalizeActivations: oneOf(['expected_average_only_in', 'none'] as const),
    normEstimateTokens: int(0, 1e9),
    bDecInit: oneOf(['geometric_median', 'mean', 'zeros'] as const),
    bDecInitTokens: int(0, 1e9),
    decoderInitNorm: num(0, 1e6),
    normalizeDecoder: bool,
    seed: SEED,
    logEvery: int(1, 10_000_000),
  },
)

const featuresCheck: Check<ShareFeatures> = fields(
  {
    layer: nullable(LAYER),
    hookKind: HOOK,
    corpusSetIds: arrayOf(str({ max: 300 }), 32),
    trainConfig: trainConfigCheck,
  },
  {
    backend: oneOf(['auto', 'webgpu', 'cpu'] as const),
    selectedFeature: int(0, BIG),
    selection: fields({ minRho: num(0, 1), minMargin: num(0, 1), maxFeatures: int(1, 100_000) }),
    chosen: arrayOf(int(0, BIG), 1024),
    positions: oneOf(['all', 'last'] as const),
    editPenalty: num(0, 1e6),
  },
)

/**
 * Checks a (migrated) configuration of the current version and returns a clean copy holding only the
 * known fields. Throws a CheckError naming the first offending field. Does not scan for secrets:
 * checkShareConfig and the encoder do that first.
 */
export function validateShareConfig(raw: unknown, limits: ShareLimits = LINK_LIMITS, path = ''): ShareConfigV1 {
  return fields(
    { v: oneOf([SHARE_VERSION] as const), panel: oneOf(SHARE_PANELS) },
    {
      model: modelCheck,
      set: setCheck(limits),
      typicality: typicalityCheck,
      entanglement: entanglementCheck,
      elicitation: fields({ options: elicitationOptionsCheck, scorer: scorerCheck }),
      features: featuresCheck,
    },
  )(raw, path)
}

// ---------------------------------------------------------------------------------------------
// Results

export type ShareErrorKind = 'oversized' | 'corrupt' | 'tampered' | 'version' | 'invalid'

export interface ShareError {
  kind: ShareErrorKind
  /** A sentence for the student: what is wrong and, for bad fields, the field's path and what was expected. */
  message: string
  /** The offending field, when one is to blame. */
  path?: string
}

export type ShareReadResult = { ok: true; config: ShareConfigV1 } | { ok: false; error: ShareError }

function failed(kind: ShareErrorKind, message: string, path?: string): { ok: false; error: ShareError } {
  return { ok: false, error: path === undefined ? { kind, message } : { kind, message, path } }
}

/**
 * The one place where older settings are upgraded. Takes parsed JSON with a `v`; returns an object of
 * the current version (not yet validated), or a 'version' error for a newer one.
 */
export function migrateShareConfig(raw: unknown, path = ''): { ok: true; value: Record<string, unknown> } | { ok: false; error: ShareError } {
  const where = (p: string) => (p ? `${p}: ` : '')
  if (!isRecord(raw)) return failed('invalid', `${where(path)}expected the settings (an object), got ${describeValue(raw)}`, path)
  const v = raw.v
  const vPath = at(path, 'v')
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    return failed('invalid', `${vPath}: expected the settings version (an integer from 1), got ${describeValue(v)}`, vPath)
  if (v > SHARE_VERSION)
    return failed(
      'version',
      `These settings were made by a newer Moral Lens (settings version ${v}); this page reads version ${SHARE_VERSION}. ` +
        'Reload the page to get the newest Moral Lens, then open them again.',
      vPath,
    )
  // v1 is current. An upgrade from v1 to v2 would go here: `if (v === 1) raw = upgradeV1ToV2(raw)`.
  return { ok: true, value: raw }
}

/** Migrates, scans for secrets and validates parsed settings (from a link, or a notebook at `path`). */
export function checkShareConfig(raw: unknown, limits: ShareLimits = LINK_LIMITS, path = ''): ShareReadResult {
  const migrated = migrateShareConfig(raw, path)
  if (!migrated.ok) return migrated
  try {
    assertNoSecrets(migrated.value, path)
    return { ok: true, config: validateShareConfig(migrated.value, limits, path) }
  } catch (e) {
    if (!(e instanceof CheckError)) throw e
    return failed(e.rule === 'size' ? 'oversized' : 'invalid', e.message, e.path)
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Why a configuration cannot become a link: a privacy rule, a size limit, or a bad field. */
export class ShareEncodeError extends Error {
  constructor(
    readonly kind: 'private' | 'oversized' | 'invalid',
    message: string,
    readonly path?: string,
  ) {
    super(message)
    this.name = 'ShareEncodeError'
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const B64_INDEX = new Int16Array(128).fill(-1)
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i

/** RFC 4648 §5 base64url without padding. */
export function base64UrlEncode(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0)
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6))
    for (let c = 0; c < chars; c++) out += B64[(n >> (18 - 6 * c)) & 63]
  }
  return out
}

/** Inverse of base64UrlEncode; undefined for characters outside the alphabet, an impossible length or stray bits. */
export function base64UrlDecode(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined
  const out = new Uint8Array(Math.floor((text.length * 6) / 8))
  let acc = 0
  let bits = 0
  let o = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const d = code < 128 ? B64_INDEX[code] : -1
    if (d < 0) return undefined
    acc = ((acc << 6) | d) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (acc >> bits) & 0xff
    }
  }
  // Leftover bits must be zero: otherwise two texts would decode to the same bytes.
  return (acc & ((1 << bits) - 1)) === 0 ? out : undefined
}

function checkBytes(json: string): Uint8Array {
  const hex = sha256Hex(json).slice(0, 8)
  return Uint8Array.from({ length: 4 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16))
}

/**
 * The `x` payload of a configuration. Throws ShareEncodeError when the configuration holds a secret,
 * a local model or imported rows ('private'), is too big for a link ('oversized'), or is invalid.
 */
export function encodeShareConfig(config: ShareConfigV1): string {
  let clean: ShareConfigV1
  try {
    assertNoSecrets(config)
    clean = validateShareConfig(config, LINK_LIMITS)
  } catch (e) {
    if (!(e instanceof CheckError)) throw e
    const kind = e.rule === 'privacy' ? 'private' : e.rule === 'size' ? 'oversized' : 'invalid'
    throw new ShareEncodeError(kind, e.message, e.path)
  }
  const json = canonicalJson(clean)
  const packed = deflateSync(new TextEncoder().encode(json), { level: 9 })
  const bytes = new Uint8Array(4 + packed.length)
  bytes.set(checkBytes(json), 0)
  bytes.set(packed, 4)
  const payload = base64UrlEncode(bytes)
  if (payload.length > SHARE_PAYLOAD_MAX_CHARS)
    throw new ShareEncodeError(
      'oversized',
      `These settings take ${payload.length} characters; a link holds at most ${SHARE_PAYLOAD_MAX_CHARS}. ` +
        'Share a notebook file instead (or use a smaller inline set).',
    )
  return payload
}

/** The hash fragment of a configuration: `#/<panel>?x=<payload>`. */
export function shareHash(config: ShareConfigV1): string {
  const payload = encodeShareConfig(config)
  return `#/${config.panel}?x=${payload}`
}

/** `baseUrl` (its path and query kept, any fragment replaced) with the configuration in the fragment. */
export function shareUrl(baseUrl: string | URL, config: ShareConfigV1): string {
  const url = new URL(baseUrl)
  url.hash = shareHash(config)
  return url.href
}

// ---------------------------------------------------------------------------------------------
// Decoding

const CORRUPT =
  'This link is damaged: its settings could not be read. It was probably cut off or changed when it was copied; ask for the link again.'

/** Decodes an `x` payload: size, encoding, integrity, version, privacy and every field are checked. */
export function decodeSharePayload(payload: string): ShareReadResult {
  if (payload.length > SHARE_PAYLOAD_MAX_CHARS)
    return failed(
      'oversized',
      `This link is too long to be a Moral Lens link: its settings take ${payload.length} characters, the most a link may hold is ${SHARE_PAYLOAD_MAX_CHARS}.`,
    )
  const bytes = base64UrlDecode(payload)
  if (!bytes || bytes.length < 6) return failed('corrupt', CORRUPT)
  const out = new Uint8Array(SHARE_JSON_MAX_BYTES + 1)
  let raw: Uint8Array
  try {
    raw = inflateSync(bytes.subarray(4), { out })
  } catch (e) {
    // fflate writes into the fixed buffer; a stored block larger than it throws a RangeError.
    if (e instanceof RangeError) return failed('oversized', `This link's settings unpack to more than ${SHARE_JSON_MAX_BYTES} bytes; a Moral Lens link holds less.`)
    return failed('corrupt', CORRUPT)
  }
  if (raw.length > SHARE_JSON_MAX_BYTES)
    return failed('oversized', `This link's settings unpack to more than ${SHARE_JSON_MAX_BYTES} bytes; a Moral Lens link holds less.`)
  let json: string
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(raw)
  } catch {
    return failed('corrupt', CORRUPT)
  }
  const expected = checkBytes(json)
  if (expected.some((b, i) => b !== bytes[i]))
    return failed('tampered', 'This link was changed after it was made: its settings do not match their check code. Ask for the link again.')
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    return failed('corrupt', CORRUPT)
  }
  return checkShareConfig(parsed, LINK_LIMITS)
}

/**
 * Reads a hash fragment (`#/typicality?x=…`, with or without the leading '#'). Undefined when it holds
 * no share payload (plain navigation). The panel in the path must agree with the settings.
 */
export function parseShareHash(hash: string): ShareReadResult | undefined {
  const h = hash.startsWith('#') ? hash.slice(1) : hash
  const q = h.indexOf('?')
  if (q < 0) return undefined
  const payload = new URLSearchParams(h.slice(q + 1)).get('x')
  if (payload === null) return undefined
  const result = decodeSharePayload(payload)
  const panel = h.slice(0, q).replace(/^\/+|\/+$/g, '')
  if (result.ok && panel && panel !== result.config.panel)
    return failed('tampered', `This link's address says #/${panel} but its settings are for the ${result.config.panel} panel; ask for the link again.`)
  return result
}

/** Reads the share payload of a whole URL; undefined when it has none. */
export function readShareFromUrl(url: string | URL): ShareReadResult | undefined {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return undefined
  }
  return parseShareHash(u.hash)
}

// ---------------------------------------------------------------------------------------------
// Building a configuration from what the app holds

/** The link form of a model source. Throws ShareEncodeError for a local folder. */
export function shareModelSource(spec: SourceSpec): ShareModelSource {
  switch (spec.kind) {
    case 'hub':
      return spec.revision === undefined || spec.revision === 'main' ? { kind: 'hub', id: spec.id } : { kind: 'hub', id: spec.id, revision: spec.revision }
    case 'builtin':
      return { kind: 'builtin', id: spec.id }
    case 'url':
      return { kind: 'url', prefix: spec.prefix }
    case 'local':
      throw new ShareEncodeError(
        'private',
        `The model "${spec.name}" was opened from a folder on this computer, so a link cannot bring it along. Load it from the hub or a URL to share it.`,
        'model.source',
      )
  }
}

/**
 * The link form of a stimulus set: a built-in set by id, an imported set (or one too big to inline)
 * by name and content hash, any other small set inline.
 */
export function shareSetRef(set: StimulusSet, hash: string = stimulusSetHash(set), limits: ShareLimits = LINK_LIMITS): ShareSet {
  if ((BUILTIN_SET_IDS as readonly string[]).includes(set.id)) return { kind: 'builtin', id: set.id as BuiltinSetId }
  const byHash: ShareSet = { kind: 'imported', name: set.name.slice(0, 200), hash }
  if (isImportedSet(set)) return byHash
  try {
    return { kind: 'inline', set: inlineSetCheck(limits)(set, 'set.set') }
  } catch (e) {
    if (e instanceof CheckError) return byHash
    throw e
  }
}
