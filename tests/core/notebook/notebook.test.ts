import { beforeAll, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate'
import { loadSaeLens } from '../../../src/core/sae/saelens.ts'
import type { ModelInfo } from '../../../src/core/model/causal-lm.ts'
import type { Environment } from '../../../src/core/model/device.ts'
import {
  NOTEBOOK_JSON,
  NOTEBOOK_MAX_ENTRIES,
  NotebookWriteError,
  SAE_CFG_ATTACHMENT,
  SAE_WEIGHTS_ATTACHMENT,
  notebookFileName,
  provenanceFrom,
  readNotebook,
  saeFilesFromAttachments,
  writeNotebook,
  type Notebook,
  type NotebookAttachments,
} from '../../../src/core/notebook/notebook.ts'
import { sampleNotebook } from './fixtures.ts'

const FILE = 'lab.moral-lens.zip'

let nb: Notebook
let attachments: NotebookAttachments
let bytes: Uint8Array

beforeAll(async () => {
  ;({ notebook: nb, attachments } = await sampleNotebook())
  bytes = writeNotebook(nb, attachments)
})

function readOk(b: Uint8Array) {
  const r = readNotebook(b, FILE)
  if (!r.ok) throw new Error(`expected the notebook to read: ${r.message}`)
  return r
}

function readError(b: Uint8Array, name = FILE): string {
  const r = readNotebook(b, name)
  expect(r.ok).toBe(false)
  return (r as { message: string }).message
}

/** The written notebook with its notebook.json changed (other entries kept). */
function patched(change: (json: Record<string, any>) => void, extra: Record<string, Uint8Array> = {}): Uint8Array {
  const files = unzipSync(bytes)
  const json = JSON.parse(strFromU8(files[NOTEBOOK_JSON]))
  change(json)
  return zipSync({ ...files, [NOTEBOOK_JSON]: strToU8(JSON.stringify(json)), ...extra })
}

describe('notebooks: round trip', () => {
  it('write → read gives the same notebook: typed arrays, NaN and ±Infinity included; attachments byte-equal', () => {
    const r = readOk(bytes)
    expect(r.notebook).toEqual(nb)
    expect(r.warnings).toEqual([])
    const f = r.notebook.results.features!
    expect(f.realignment!.M).toBeInstanceOf(Float64Array)
    expect(Array.from(f.realignment!.M)).toEqual(Array.from(nb.results.features!.realignment!.M))
    expect(f.evaluation!.density.density).toBeInstanceOf(Float64Array)
    expect(f.evaluation!.density.log10Density).toBeInstanceOf(Float64Array)
    expect(f.splice!.perToken!.ceRows).toBeInstanceOf(Int32Array)
    expect(f.splice!.perToken!.klSpliced).toBeInstanceOf(Float32Array)
    expect(r.notebook.results.elicitation!.points![1].energy).toBeNaN()
    expect(r.notebook.results.entanglement!.ablation!.items[0].maxAbsDelta).toBe(Infinity)
    expect(r.notebook.results.entanglement!.ablation!.items[0].delta.moral).toBe(-Infinity)
    expect(r.notebook.notes).toEqual(['Vice categories graded better than virtue ones, as in the paper.', 'NaN', 'Infinity'])
    expect(Object.keys(r.attachments).sort()).toEqual([SAE_CFG_ATTACHMENT, SAE_WEIGHTS_ATTACHMENT])
    for (const [path, data] of Object.entries(attachments)) expect(Buffer.from(r.attachments[path]).equals(Buffer.from(data))).toBe(true)
  })

  it('the attached SAE opens again with loadSaeLens', () => {
    const files = saeFilesFromAttachments(readOk(bytes).attachments)!
    const sae = loadSaeLens(files.cfgJson, files.weights)
    expect(sae.cfg.dIn).toBe(6)
    expect(sae.cfg.dSae).toBe(12)
    expect(saeFilesFromAttachments({})).toBeUndefined()
  })

  it('notebook.json is plain JSON other tools can read: typed arrays as arrays, listed; NaN as text; attachments with SHA-256', () => {
    const files = unzipSync(bytes)
    expect(Object.keys(files)).toEqual([NOTEBOOK_JSON, SAE_CFG_ATTACHMENT, SAE_WEIGHTS_ATTACHMENT])
    const json = JSON.parse(strFromU8(files[NOTEBOOK_JSON]))
    expect(json.format).toBe('moral-lens-notebook')
    expect(json.version).toBe(1)
    expect(json.createdAt).toBe('2026-01-05T14:03:07.000Z')
    expect(json.app).toEqual({ name: 'Moral Lens', version: '0.1.0' })
    expect(Array.isArray(json.results.features.realignment.M)).toBe(true)
    expect(json.typedArrays['/results/features/realignment/M']).toBe('Float64Array')
    expect(json.typedArrays['/results/features/evaluation/density/density']).toBe('Float64Array')
    expect(json.results.elicitation.points[1].energy).toBe('NaN')
    expect(json.notes[1]).toBe('~NaN')
    expect(json.attachments).toEqual(
      Object.entries(attachments).map(([path, data]) => ({ path, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') })),
    )
  })

  it('the same notebook writes the same bytes', () => {
    expect(Buffer.from(writeNotebook(nb, attachments)).equals(Buffer.from(bytes))).toBe(true)
  })

  it('reads notebook.json on its own (without attachments)', () => {
    const alone = writeNotebook(nb)
    const json = unzipSync(alone)[NOTEBOOK_JSON]
    const r = readNotebook(json, 'notebook.json')
    expect(r).toEqual({ ok: true, notebook: nb, attachments: {}, warnings: [] })
    const withList = unzipSync(bytes)[NOTEBOOK_JSON]
    expect(readError(withList, 'notebook.json')).toBe(
      `notebook.json: 2 attachment(s) are listed (${SAE_CFG_ATTACHMENT}, ${SAE_WEIGHTS_ATTACHMENT}) but only notebook.json was opened; open the whole .zip`,
    )
  })

  it('passes over what zip tools add, and warns about other unlisted files', () => {
    const r = readOk(patched(() => {}, { '__MACOSX/._notebook.json': new Uint8Array(4), 'README.txt': strToU8('hello') }))
    expect(r.warnings).toEqual([`${FILE}: README.txt: not listed in notebook.json, so it was ignored`])
    expect(Object.keys(r.attachments).length).toBe(2)
  })
})

describe('notebooks: files that are not notebooks', () => {
  it('refuses a file that is not a ZIP', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])
    expect(readError(png, 'photo.png')).toBe(
      'photo.png: not a ZIP file; a Moral Lens notebook is a .zip holding notebook.json (did you pick the right file?)',
    )
    expect(readError(new Uint8Array(0), 'empty.zip')).toMatch(/^empty\.zip: not a ZIP file/)
  })

  it('refuses a ZIP without notebook.json', () => {
    const other = zipSync({ 'word/document.xml': strToU8('<w:document/>') })
    expect(readError(other, 'essay.docx')).toBe('essay.docx: no notebook.json inside; this ZIP is not a Moral Lens notebook')
  })

  it('refuses a truncated ZIP', () => {
    for (const keep of [0.3, 0.9, 0.999]) {
      expect(readError(bytes.subarray(0, Math.floor(bytes.length * keep)))).toBe(
        `${FILE}: the ZIP file is damaged or incomplete; it could not be unpacked (was the download cut short?)`,
      )
    }
  })

  it('refuses notebook.json that is not JSON, or JSON of another kind', () => {
    expect(readError(zipSync({ [NOTEBOOK_JSON]: strToU8('{"format": ') }))).toMatch(/^lab\.moral-lens\.zip: notebook\.json: not valid JSON \(/)
    expect(readError(zipSync({ [NOTEBOOK_JSON]: Uint8Array.from([0x7b, 0xff, 0x7d]) }))).toBe(`${FILE}: notebook.json: not UTF-8 text`)
    expect(readError(zipSync({ [NOTEBOOK_JSON]: strToU8('[1, 2]') }))).toBe(`${FILE}: notebook.json: expected a JSON object, got array of 2: [1,2]`)
    expect(readError(patched((j) => (j.format = 'jupyter')))).toBe(
      `${FILE}: notebook.json: format: expected "moral-lens-notebook" (this is not a Moral Lens notebook), got "jupyter"`,
    )
  })

  it('says when a notebook was made by a newer Moral Lens', () => {
    expect(readError(patched((j) => (j.version = 2)))).toBe(
      `${FILE}: notebook.json: made by a newer Moral Lens (notebook version 2); this page reads version 1. Reload the page to get the newest Moral Lens, then open it again.`,
    )
    expect(readError(patched((j) => (j.version = '1')))).toBe(`${FILE}: notebook.json: version: expected the notebook version 1, got "1"`)
    expect(readError(patched((j) => (j.config.v = 9)))).toMatch(/^lab\.moral-lens\.zip: notebook\.json: These settings were made by a newer Moral Lens \(settings version 9\)/)
  })
})

describe('notebooks: malformed sections name the file, the entry and the field', () => {
  const cases: [string, (j: Record<string, any>) => void, string][] = [
    ['report layers', (j) => (j.results.typicality[0].report.layers = {}), 'results.typicality[0].report.layers: expected an array, got {}'],
    ['a layer index', (j) => (j.results.typicality[0].report.layers[1].layer = -1), 'results.typicality[0].report.layers[1].layer: expected an integer between 0 and 9007199254740991, got -1'],
    ['the hook kind', (j) => (j.results.typicality[0].hookKind = 'attn'), 'results.typicality[0].hookKind: expected one of "resid_pre", "resid_mid", "resid_post", got "attn"'],
    ['an unknown section', (j) => (j.results.surprise = {}), 'results.surprise: expected a known field (one of typicality, entanglement, elicitation, features)'],
    ['an unknown top-level field', (j) => (j.extra = 1), 'extra: expected a known field (one of format, version, createdAt, app, provenance, config, results, notes)'],
    ['labels vs items', (j) => j.results.elicitation.labels.pop(), `results.elicitation.labels: expected one entry per item (${'N'}, as itemIds)`],
    ['a label value', (j) => (j.results.elicitation.labels[0] = 2), 'results.elicitation.labels[0]: expected one of 0, 1, null, got 2'],
    ['the re-alignment map', (j) => j.results.features.realignment.M.pop(), 'results.features.realignment.M: expected 3×3 = 9 numbers (one row per re-aligned feature), got 8 numbers'],
    ['a judgement', (j) => (j.results.features.behaviour.judgements[0].winner = 'both'), 'results.features.behaviour.judgements[0].winner: expected one of "edited", "original", "tie", got "both"'],
    ['the config', (j) => (j.config.typicality.bootstrap = -3), 'config.typicality.bootstrap: expected an integer between 0 and 10000, got -3'],
    ['the config panel', (j) => delete j.config.panel, 'config.panel: expected a value (the field is required)'],
    ['provenance', (j) => (j.provenance.model.device = 'tpu'), 'provenance.model.device: expected one of "webgpu", "wasm", got "tpu"'],
    ['the date', (j) => (j.createdAt = 'yesterday'), 'createdAt: expected an ISO 8601 date and time, got "yesterday"'],
    ['notes', (j) => (j.notes = 'a note'), 'notes: expected an array, got "a note"'],
    ['the typed-array list', (j) => (j.typedArrays['/results/features/chosen/0'] = 'Float64Array'), 'typedArrays["/results/features/chosen/0"]: expected the pointer of an array of numbers, got something else'],
    ['the attachment list', (j) => (j.attachments[0].sha256 = 'abc'), 'attachments[0].sha256: expected a SHA-256 (64 hex digits), got "abc"'],
    ['an attachment path', (j) => (j.attachments[0].path = '../../.bashrc'), 'attachments["../../.bashrc"]: expected a relative path of letters'],
  ]
  for (const [what, change, message] of cases) {
    it(what, () => {
      const m = readError(patched(change))
      const n = nb.results.elicitation!.itemIds.length
      expect(m.startsWith(`${FILE}: notebook.json: ${message.replace('N', String(n))}`)).toBe(true)
    })
  }

  it('an attachment that was changed, or that is missing, is reported', () => {
    const files = unzipSync(bytes)
    const changed = Uint8Array.from(files[SAE_WEIGHTS_ATTACHMENT])
    changed[changed.length - 1] ^= 1
    expect(readError(zipSync({ ...files, [SAE_WEIGHTS_ATTACHMENT]: changed }))).toBe(
      `${FILE}: ${SAE_WEIGHTS_ATTACHMENT}: damaged (its size or SHA-256 does not match what notebook.json lists)`,
    )
    const { [SAE_CFG_ATTACHMENT]: _gone, ...rest } = files
    expect(readError(zipSync(rest))).toBe(`${FILE}: ${SAE_CFG_ATTACHMENT}: listed in notebook.json but missing from the ZIP`)
  })
})

describe('notebooks: privacy and ZIP bombs', () => {
  it('the writer refuses an API key anywhere, naming the field', () => {
    const withKey = structuredClone(nb)
    ;(withKey.config.elicitation!.scorer as Record<string, unknown>).apiKey = 'sk-1234'
    expect(() => writeNotebook(withKey)).toThrow(NotebookWriteError)
    expect(() => writeNotebook(withKey)).toThrow(/^notebook\.json: config\.elicitation\.scorer\.apiKey: expected no API keys/)
    const inResults = structuredClone(nb)
    ;(inResults.results.entanglement as unknown as Record<string, unknown>).api_key = 'x'
    expect(() => writeNotebook(inResults)).toThrow(/results\.entanglement\.api_key/)
    const inProvenance = structuredClone(nb)
    ;(inProvenance.provenance as Record<string, unknown>).token = 'x'
    expect(() => writeNotebook(inProvenance)).toThrow(/provenance\.token/)
  })

  it('the reader refuses keys too; vocabulary "token" fields in results are fine', () => {
    expect(readError(patched((j) => (j.results.features.behaviour.authorization = 'Bearer x')))).toMatch(
      /notebook\.json: results\.features\.behaviour\.authorization: expected no API keys, tokens or passwords here/,
    )
    expect(readError(patched((j) => (j.notes[0] = 'hf_abcdefghijklmnopqrstuvwxyz0123456789')))).toMatch(/notes\[0\]: expected no API keys or access tokens/)
    const r = readOk(patched((j) => (j.results.features.logits = { top: [{ token: 'kill', logit: 2.5 }] })))
    expect((r.notebook.results.features as Record<string, unknown>).logits).toEqual({ top: [{ token: 'kill', logit: 2.5 }] })
  })

  it('the writer refuses unsafe attachment paths and a local-model config is not representable', () => {
    expect(() => writeNotebook(nb, { '../evil.sh': new Uint8Array(1) })).toThrow(/attachments\["\.\.\/evil\.sh"\]: expected a relative path/)
    expect(() => writeNotebook(nb, { [NOTEBOOK_JSON]: new Uint8Array(1) })).toThrow(NotebookWriteError)
    const local = structuredClone(nb)
    ;(local.config.model as unknown as Record<string, unknown>).source = { kind: 'local', name: 'my folder' }
    expect(() => writeNotebook(local)).toThrow(/config\.model\.source: expected a hub id, a URL or a built-in model: a model opened from a folder/)
  })

  it('refuses ZIPs with too many entries', () => {
    const many = Object.fromEntries(Array.from({ length: NOTEBOOK_MAX_ENTRIES + 1 }, (_, i) => [`f${i}.txt`, new Uint8Array(1)]))
    expect(readError(zipSync({ [NOTEBOOK_JSON]: strToU8('{}'), ...many }))).toBe(`${FILE}: holds more than ${NOTEBOOK_MAX_ENTRIES} files; a notebook holds a few`)
  })

  it('refuses ZIPs that would expand beyond the cap, before expanding anything', () => {
    // Declare 600 MB for one entry in the central directory (uncompressed size at offset 24).
    const zip = Uint8Array.from(bytes)
    const view = new DataView(zip.buffer)
    let patchedEntries = 0
    for (let i = 0; i + 4 <= zip.length; i++)
      if (view.getUint32(i, true) === 0x02014b50) {
        view.setUint32(i + 24, 600 * 1024 * 1024, true)
        patchedEntries++
        break
      }
    expect(patchedEntries).toBe(1)
    expect(readError(zip)).toBe(`${FILE}: would expand to more than 512 MB; a notebook is never that big (refused as a possible ZIP bomb)`)
  })
})

describe('notebooks: names and provenance', () => {
  it('suggests a file name from the model and the local date and time', () => {
    const d = new Date(2026, 0, 5, 9, 7)
    expect(notebookFileName('HuggingFaceTB/SmolLM2-135M-Instruct', d)).toBe('moral-lens-smollm2-135m-instruct-2026-01-05-0907.zip')
    expect(notebookFileName('built-in tiny-llama-instruct', d)).toBe('moral-lens-built-in-tiny-llama-instruct-2026-01-05-0907.zip')
    expect(notebookFileName('https://models.example.org/a/My Model/', d)).toBe('moral-lens-my-model-2026-01-05-0907.zip')
    expect(notebookFileName('///', d)).toBe('moral-lens-notebook-2026-01-05-0907.zip')
    expect(notebookFileName('Qwen2.5 0.5B', d)).toBe('moral-lens-qwen2.5-0.5b-2026-01-05-0907.zip')
    expect(notebookFileName(undefined, d)).toBe('moral-lens-notebook-2026-01-05-0907.zip')
    expect(notebookFileName('ü'.repeat(10) + 'x'.repeat(100), d)).toBe(`moral-lens-${'x'.repeat(48)}-2026-01-05-0907.zip`)
  })

  it('builds provenance from the model info and the environment', () => {
    const info = {
      sourceKey: 'hub:HuggingFaceTB/SmolLM2-135M-Instruct@main',
      sourceLabel: 'HuggingFaceTB/SmolLM2-135M-Instruct',
      sourceKind: 'hub',
      revision: 'main',
      dtype: 'q4f16',
      device: 'webgpu',
      deviceReason: 'WebGPU adapter with shader-f16',
      randomWeights: false,
    } as ModelInfo
    const env = { gpu: { vendor: 'nvidia', architecture: 'hopper', isFallbackAdapter: false, shaderF16: true, maxBufferSize: 1 }, wasmThreads: 8 } as Environment
    expect(provenanceFrom(info, env, 'Mozilla/5.0')).toEqual({
      model: {
        sourceKey: info.sourceKey,
        label: info.sourceLabel,
        kind: 'hub',
        revision: 'main',
        dtype: 'q4f16',
        device: 'webgpu',
        deviceReason: info.deviceReason,
        randomWeights: false,
      },
      backend: { device: 'webgpu', gpu: { vendor: 'nvidia', architecture: 'hopper' } },
      userAgent: 'Mozilla/5.0',
    })
    expect(provenanceFrom()).toEqual({})
  })
})
