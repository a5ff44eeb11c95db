// Lab notebook files: one ZIP that bundles an experiment's configuration, its results and where they
// came from, plus optional attachments (the SAE's SAELens files).
//
//   moral-lens-<model>-<date>.zip
//   ├── notebook.json                   { format, version, createdAt, app, provenance, config, results,
//   │                                     notes?, attachments: [{ path, bytes, sha256 }], typedArrays }
//   └── sae/cfg.json, sae/sae_weights.safetensors   (optional; any other attachment path works too)
//
// notebook.json is plain JSON that other tools can read: typed arrays are plain arrays (listed in
// `typedArrays` by JSON Pointer so they come back typed), NaN/±Infinity/−0 are strings (json.ts), and
// every attachment is listed with its size and SHA-256, checked when reading.
//
// Reading is defensive (the file may come from anyone): non-ZIP input, missing notebook.json, another
// format or a newer version, malformed sections, API keys anywhere, and ZIP bombs (total expanded size
// and entry count capped) are refused with a message that names the file, the entry and the field.
import { strFromU8, strToU8, unzipSync, zipSync, type UnzipFileInfo, type Zippable } from 'fflate'
import { sha256Hex } from '../hash.ts'
import type { ModelInfo } from '../model/causal-lm.ts'
import type { Environment } from '../model/device.ts'
import { SAE_CFG_FILENAME, SAE_WEIGHTS_FILENAME, type SaeLensFiles } from '../sae/saelens.ts'
import { CheckError, assertNoSecrets, fail, failSaying, fields, isRecord, oneOf } from '../share/check.ts'
import { NOTEBOOK_CONFIG_LIMITS, checkShareConfig, type ShareConfigV1 } from '../share/link.ts'
import { parseJsonWithNumbers, restoreTypedArrays, toJsonTree } from './json.ts'
import { appCheck, isoDateTime, notesCheck, provenanceCheck, resultsCheck } from './validate.ts'
import {
  NOTEBOOK_FORMAT,
  NOTEBOOK_VERSION,
  type Notebook,
  type NotebookAttachmentInfo,
  type NotebookAttachments,
  type NotebookProvenance,
  type NotebookResults,
} from './types.ts'

export * from './types.ts'

export const NOTEBOOK_JSON = 'notebook.json'
export const SAE_CFG_ATTACHMENT = `sae/${SAE_CFG_FILENAME}`
export const SAE_WEIGHTS_ATTACHMENT = `sae/${SAE_WEIGHTS_FILENAME}`
export const APP_NAME = 'Moral Lens'

/** Most bytes a notebook may expand to (all entries together, as their headers declare). */
export const NOTEBOOK_MAX_UNCOMPRESSED = 512 * 1024 * 1024
/** Most entries a notebook ZIP may hold. */
export const NOTEBOOK_MAX_ENTRIES = 256

/** Attachment paths: relative, '/'-separated, no '..', nothing but letters, digits, '.', '_' and '-'. */
const ATTACHMENT_PATH = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/

/** Entries that zip tools add and a reader should pass over without a word. */
const TOOL_ENTRY = /(^__MACOSX\/|(^|\/)\.DS_Store$|\/$)/

/** Binary attachments are stored: float weights barely compress and deflating them costs seconds. */
const STORED = /\.(safetensors|npy|bin|onnx|zip|png|jpe?g)$/i

// ---------------------------------------------------------------------------------------------
// Building

export interface NotebookParts {
  config: ShareConfigV1
  results: NotebookResults
  provenance: NotebookProvenance
  /** The app's version (e.g. package.json's), and its name when not Moral Lens. */
  app: { name?: string; version: string }
  notes?: string[]
  /** Default: now. */
  createdAt?: Date
}

export function createNotebook(parts: NotebookParts): Notebook {
  const nb: Notebook = {
    format: NOTEBOOK_FORMAT,
    version: NOTEBOOK_VERSION,
    createdAt: (parts.createdAt ?? new Date()).toISOString(),
    app: { name: parts.app.name ?? APP_NAME, version: parts.app.version },
    provenance: parts.provenance,
    config: parts.config,
    results: parts.results,
  }
  if (parts.notes?.length) nb.notes = parts.notes
  return nb
}

/** Provenance from the loaded model's info and the probed environment (both optional). */
export function provenanceFrom(info?: ModelInfo, env?: Environment, userAgent?: string): NotebookProvenance {
  const p: NotebookProvenance = {}
  if (info) {
    p.model = {
      sourceKey: info.sourceKey,
      label: info.sourceLabel,
      kind: info.sourceKind,
      dtype: info.dtype,
      device: info.device,
      deviceReason: info.deviceReason,
      randomWeights: info.randomWeights,
    }
    if (info.revision !== undefined) p.model.revision = info.revision
    p.backend = { device: info.device }
    if (env) {
      if (info.device === 'wasm') p.backend.wasmThreads = env.wasmThreads
      if (env.gpu) p.backend.gpu = { vendor: env.gpu.vendor, architecture: env.gpu.architecture }
    }
  }
  if (userAgent) p.userAgent = userAgent.slice(0, 2000)
  return p
}

/** The SAE's SAELens files as notebook attachments. */
export function saeAttachments(files: Pick<SaeLensFiles, 'cfgJson' | 'weights'>): NotebookAttachments {
  return { [SAE_CFG_ATTACHMENT]: strToU8(files.cfgJson), [SAE_WEIGHTS_ATTACHMENT]: files.weights }
}

/** The SAELens files attached to a notebook, when both are there. */
export function saeFilesFromAttachments(attachments: NotebookAttachments): { cfgJson: string; weights: Uint8Array } | undefined {
  const cfg = attachments[SAE_CFG_ATTACHMENT]
  const weights = attachments[SAE_WEIGHTS_ATTACHMENT]
  return cfg && weights ? { cfgJson: strFromU8(cfg), weights } : undefined
}

/** A file name for a notebook: `moral-lens-<model>-<yyyy-mm-dd>-<hhmm>.zip` (local time). */
export function notebookFileName(modelLabel: string | undefined, date: Date = new Date()): string {
  const base = (modelLabel ?? '').split('/').filter(Boolean).pop() ?? ''
  const slug = base
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 48)
    .replace(/[-.]+$/, '')
  const two = (n: number) => String(n).padStart(2, '0')
  const stamp = `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}-${two(date.getHours())}${two(date.getMinutes())}`
  return `moral-lens-${slug || 'notebook'}-${stamp}.zip`
}

// ---------------------------------------------------------------------------------------------
// Checking (shared by the writer and the reader, so a written notebook always reads back)

class NotebookProblem extends Error {}

function checkConfig(v: unknown, path: string): ShareConfigV1 {
  const r = checkShareConfig(v, NOTEBOOK_CONFIG_LIMITS, path)
  if (!r.ok) throw new NotebookProblem(r.error.message)
  return r.config
}

const notebookCheck = fields(
  {
    format: oneOf([NOTEBOOK_FORMAT] as const),
    version: oneOf([NOTEBOOK_VERSION] as const),
    createdAt: isoDateTime,
    app: appCheck,
    provenance: provenanceCheck,
    config: checkConfig,
    results: resultsCheck,
  },
  { notes: notesCheck },
)

/** Format and version first, so that a newer notebook or another file says so plainly. */
function checkEnvelope(v: unknown): void {
  if (!isRecord(v)) fail('', 'a JSON object', v)
  if (v.format !== NOTEBOOK_FORMAT) fail('format', `"${NOTEBOOK_FORMAT}" (this is not a Moral Lens notebook)`, v.format)
  if (typeof v.version === 'number' && Number.isInteger(v.version) && v.version > NOTEBOOK_VERSION)
    throw new NotebookProblem(
      `made by a newer Moral Lens (notebook version ${v.version}); this page reads version ${NOTEBOOK_VERSION}. Reload the page to get the newest Moral Lens, then open it again.`,
    )
  if (v.version !== NOTEBOOK_VERSION) fail('version', `the notebook version ${NOTEBOOK_VERSION}`, v.version)
}

function checkNotebook(v: unknown): Notebook {
  checkEnvelope(v)
  // Credentials are refused anywhere; results may use "token" for vocabulary tokens.
  assertNoSecrets(v, '', { allowBareTokenUnder: ['results'] })
  return notebookCheck(v, '') as Notebook
}

function checkAttachmentPath(path: string): void {
  if (path === NOTEBOOK_JSON || path.length > 200 || !ATTACHMENT_PATH.test(path))
    fail(
      `attachments["${path}"]`,
      `a relative path of letters, digits, '.', '_', '-' and '/' (at most 200 characters, no '..', not ${NOTEBOOK_JSON})`,
    )
}

// ---------------------------------------------------------------------------------------------
// Writing

export class NotebookWriteError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NotebookWriteError'
  }
}

/**
 * The notebook as ZIP bytes. The notebook is checked exactly as the reader will check it (privacy
 * rules included); a problem throws a NotebookWriteError naming the field.
 */
export function writeNotebook(nb: Notebook, attachments: NotebookAttachments = {}): Uint8Array {
  let json: string
  const files: Zippable = {}
  let total = 0
  try {
    const clean = checkNotebook(nb)
    const manifest: NotebookAttachmentInfo[] = []
    for (const [path, bytes] of Object.entries(attachments)) {
      checkAttachmentPath(path)
      if (!(bytes instanceof Uint8Array)) fail(`attachments["${path}"]`, 'bytes (a Uint8Array)', bytes)
      manifest.push({ path, bytes: bytes.length, sha256: sha256Hex(bytes) })
      files[path] = [bytes, { level: STORED.test(path) ? 0 : 6 }]
      total += bytes.length
    }
    const { tree, typedArrays } = toJsonTree(clean)
    json = JSON.stringify({ ...(tree as object), attachments: manifest, typedArrays }, null, 1)
  } catch (e) {
    if (e instanceof CheckError || e instanceof NotebookProblem) throw new NotebookWriteError(`${NOTEBOOK_JSON}: ${e.message}`)
    throw e
  }
  const body = strToU8(json)
  total += body.length
  if (total > NOTEBOOK_MAX_UNCOMPRESSED)
    throw new NotebookWriteError(`The notebook would hold ${total} bytes; a notebook holds at most ${NOTEBOOK_MAX_UNCOMPRESSED}.`)
  if (Object.keys(files).length + 1 > NOTEBOOK_MAX_ENTRIES)
    throw new NotebookWriteError(`The notebook would hold ${Object.keys(files).length + 1} files; a notebook holds at most ${NOTEBOOK_MAX_ENTRIES}.`)
  // notebook.json first, so that a glance at the archive shows what it is.
  // ZIP times start in 1980.
  const mtime = new Date(Math.max(Date.parse(nb.createdAt), Date.UTC(1980, 0, 2)))
  return zipSync({ [NOTEBOOK_JSON]: [body, { level: 6 }], ...files }, { mtime })
}

// ---------------------------------------------------------------------------------------------
// Reading

export type NotebookReadResult =
  | {
      ok: true
      notebook: Notebook
      attachments: NotebookAttachments
      /** Things passed over that the user may want to know about (unlisted files in the ZIP). */
      warnings: string[]
    }
  | { ok: false; message: string }

const ZIP_MAGIC = [0x50, 0x4b]

function startsWithJson(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++
  return bytes[i] === 0x7b
}

/**
 * Reads a notebook: the ZIP, or its notebook.json alone (then without attachments). `fileName` is
 * used in messages. Never throws for bad input.
 */
export function readNotebook(bytes: Uint8Array, fileName: string): NotebookReadResult {
  const bad = (message: string): NotebookReadResult => ({ ok: false, message: `${fileName}: ${message}` })
  const isZip = bytes.length >= 4 && bytes[0] === ZIP_MAGIC[0] && bytes[1] === ZIP_MAGIC[1]
  if (!isZip && !startsWithJson(bytes))
    return bad(`not a ZIP file; a Moral Lens notebook is a .zip holding ${NOTEBOOK_JSON} (did you pick the right file?)`)

  let entries: UnzipFileInfo[] = []
  let jsonBytes: Uint8Array | undefined
  if (isZip) {
    const listed = listZip(bytes)
    if (typeof listed === 'string') return bad(listed)
    entries = listed.entries
    jsonBytes = listed.notebookJson
    if (!jsonBytes) return bad(`no ${NOTEBOOK_JSON} inside; this ZIP is not a Moral Lens notebook`)
  } else {
    jsonBytes = bytes
  }
  const entry = isZip ? `${NOTEBOOK_JSON}: ` : ''

  let text: string
  let raw: unknown
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(jsonBytes)
  } catch {
    return bad(`${entry}not UTF-8 text`)
  }
  try {
    raw = parseJsonWithNumbers(text)
  } catch (e) {
    return bad(`${entry}not valid JSON (${(e as Error).message})`)
  }

  let notebook: Notebook
  let manifest: NotebookAttachmentInfo[]
  try {
    if (!isRecord(raw)) fail('', 'a JSON object', raw)
    const { attachments: rawManifest, typedArrays, ...rest } = raw
    checkEnvelope(rest)
    manifest = attachmentManifest(rawManifest)
    if (typedArrays !== undefined) restoreTypedArrays(rest, typedArrays, 'typedArrays', ['/results'])
    notebook = checkNotebook(rest)
  } catch (e) {
    if (e instanceof CheckError || e instanceof NotebookProblem) return bad(`${entry}${e.message}`)
    if (e instanceof RangeError) return bad(`${entry}nested too deeply to read`)
    throw e
  }

  if (!isZip) {
    if (manifest.length)
      return bad(`${manifest.length} attachment(s) are listed (${manifest.map((m) => m.path).join(', ')}) but only ${NOTEBOOK_JSON} was opened; open the whole .zip`)
    return { ok: true, notebook, attachments: {}, warnings: [] }
  }

  const wanted = new Set(manifest.map((m) => m.path))
  let files: Record<string, Uint8Array>
  try {
    files = unzipSync(bytes, { filter: (f) => wanted.has(f.name) })
  } catch {
    return bad('the ZIP file is damaged or incomplete; it could not be unpacked (was the download cut short?)')
  }
  const attachments: NotebookAttachments = {}
  for (const m of manifest) {
    const data = files[m.path]
    if (!data) return bad(`${m.path}: listed in ${NOTEBOOK_JSON} but missing from the ZIP`)
    if (data.length !== m.bytes || sha256Hex(data) !== m.sha256)
      return bad(`${m.path}: damaged (its size or SHA-256 does not match what ${NOTEBOOK_JSON} lists)`)
    attachments[m.path] = data
  }
  const warnings = entries
    .filter((e) => e.name !== NOTEBOOK_JSON && !wanted.has(e.name) && !TOOL_ENTRY.test(e.name))
    .map((e) => `${fileName}: ${e.name}: not listed in ${NOTEBOOK_JSON}, so it was ignored`)
  return { ok: true, notebook, attachments, warnings }
}

/** Lists the ZIP's entries under the caps and unpacks notebook.json; a string is the problem. */
function listZip(bytes: Uint8Array): { entries: UnzipFileInfo[]; notebookJson?: Uint8Array } | string {
  const entries: UnzipFileInfo[] = []
  let total = 0
  let problem: string | undefined
  let files: Record<string, Uint8Array>
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        entries.push(f)
        total += f.originalSize
        if (entries.length > NOTEBOOK_MAX_ENTRIES) problem = `holds more than ${NOTEBOOK_MAX_ENTRIES} files; a notebook holds a few`
        else if (total > NOTEBOOK_MAX_UNCOMPRESSED)
          problem = `would expand to more than ${NOTEBOOK_MAX_UNCOMPRESSED / 1024 / 1024} MB; a notebook is never that big (refused as a possible ZIP bomb)`
        if (problem) throw new Error(problem)
        return f.name === NOTEBOOK_JSON
      },
    })
  } catch {
    return problem ?? 'the ZIP file is damaged or incomplete; it could not be unpacked (was the download cut short?)'
  }
  return { entries, notebookJson: files[NOTEBOOK_JSON] }
}

function attachmentManifest(v: unknown): NotebookAttachmentInfo[] {
  if (v === undefined) return []
  if (!Array.isArray(v)) fail('attachments', 'an array of { path, bytes, sha256 }', v)
  if (v.length >= NOTEBOOK_MAX_ENTRIES) failSaying('attachments', `at most ${NOTEBOOK_MAX_ENTRIES - 1} entries`, `${v.length} entries`)
  const seen = new Set<string>()
  return v.map((m, i) => {
    const path = `attachments[${i}]`
    if (!isRecord(m)) fail(path, 'an object { path, bytes, sha256 }', m)
    for (const k of Object.keys(m)) if (k !== 'path' && k !== 'bytes' && k !== 'sha256') fail(`${path}.${k}`, 'a known field (one of path, bytes, sha256)')
    if (typeof m.path !== 'string') fail(`${path}.path`, 'a string', m.path)
    checkAttachmentPath(m.path)
    if (seen.has(m.path)) fail(`${path}.path`, 'each attachment listed once', m.path)
    seen.add(m.path)
    if (typeof m.bytes !== 'number' || !Number.isInteger(m.bytes) || m.bytes < 0 || m.bytes > NOTEBOOK_MAX_UNCOMPRESSED)
      fail(`${path}.bytes`, `an integer between 0 and ${NOTEBOOK_MAX_UNCOMPRESSED}`, m.bytes)
    if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) fail(`${path}.sha256`, 'a SHA-256 (64 hex digits)', m.sha256)
    return { path: m.path, bytes: m.bytes, sha256: m.sha256 }
  })
}
