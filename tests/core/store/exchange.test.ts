import { describe, expect, it } from 'vitest'
import { readNpy } from '../../../src/core/formats/npy.ts'
import { writeSafetensors, type SafetensorsInput } from '../../../src/core/formats/safetensors.ts'
import { float16ToFloat32, float32ToFloat16 } from '../../../src/core/onnx/tensor.ts'
import { stimulusSetHash } from '../../../src/core/stimuli/hash.ts'
import { parseStimulusJsonlStrict, stimulusSetToJsonl } from '../../../src/core/stimuli/jsonl.ts'
import { MemoryBackend } from '../../../src/core/store/backend.ts'
import {
  captureExportMetadata,
  exportCaptureBundle,
  exportCaptureNpy,
  exportCaptureSafetensors,
  importCaptureSafetensors,
} from '../../../src/core/store/exchange.ts'
import { captureKeyString } from '../../../src/core/store/key.ts'
import { ActivationStore } from '../../../src/core/store/store.ts'
import type { CaptureData } from '../../../src/core/store/types.ts'
import { hookNames, makeCapture, makeKey, makeSet, sameBits } from './fixtures.ts'

const set = makeSet(6, 'Moral typicality (test)')
let t = Date.parse('2026-02-01T00:00:00Z')
const now = () => new Date((t += 1000))

async function storedCapture(pooling: 'last' | 'all', storageDtype: 'float32' | 'float16' | 'mixed'): Promise<CaptureData> {
  const store = new ActivationStore(new MemoryBackend(), { appVersion: '0.1.0', now, chunkBytes: 128 })
  const cap = makeCapture({ texts: 6, d: 10, hooks: hookNames(3, ['resid_pre', 'resid_post']), pooling })
  const dtypes = storageDtype === 'mixed' ? Object.fromEntries(cap.hooks.map((h, i) => [h, i % 2 ? 'float16' : 'float32'] as const)) : storageDtype
  const { id } = await store.saveCapture(cap, { key: makeKey(set, pooling), modelLabel: 'Tiny Llama (random)', setName: set.name }, { storageDtype: dtypes })
  return store.loadCapture(id)
}

/** An independent reading of the file layout: 8-byte little-endian length, then the JSON header. */
function rawHeader(bytes: Uint8Array): Record<string, { dtype: string; shape: number[] } | Record<string, string>> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true))
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)))
}

function expectSameCapture(a: CaptureData, b: CaptureData) {
  expect(b.hooks).toEqual(a.hooks)
  expect(b.key).toEqual(a.key)
  expect(b.tokenCounts).toEqual(a.tokenCounts)
  expect(b.offsets).toEqual(a.offsets)
  expect(b.tokenIds).toEqual(a.tokenIds)
  expect(b.storageDtypes).toEqual(a.storageDtypes)
  for (const h of a.hooks) {
    expect(b.activations[h].shape).toEqual(a.activations[h].shape)
    expect(sameBits(b.activations[h].data, a.activations[h].data), h).toBe(true)
  }
}

describe('safetensors export and import', () => {
  for (const [pooling, dtype] of [
    ['last', 'float32'],
    ['last', 'float16'],
    ['all', 'mixed'],
  ] as const) {
    it(`export → import gives identical arrays and re-exports the same bytes (${pooling}, ${dtype})`, async () => {
      const c = await storedCapture(pooling, dtype)
      const bytes = exportCaptureSafetensors(c)
      const header = rawHeader(bytes)
      const tensorNames = Object.keys(header).filter((k) => k !== '__metadata__')
      expect(tensorNames.sort()).toEqual([...c.hooks].sort())
      for (const h of c.hooks) {
        const info = header[h] as { dtype: string; shape: number[] }
        expect(info.shape).toEqual(c.activations[h].shape)
        expect(info.dtype).toBe(c.storageDtypes[h] === 'float16' ? 'F16' : 'F32')
      }
      const meta = header.__metadata__ as Record<string, string>
      expect(meta).toMatchObject({
        model: c.key.modelId,
        revision: 'main',
        dtype: 'fp32',
        device: 'wasm',
        set_hash: stimulusSetHash(set),
        pooling,
        n_texts: '6',
        d_model: '10',
        key: captureKeyString(c.key),
        set_name: set.name,
        model_label: 'Tiny Llama (random)',
        app_version: '0.1.0',
      })
      if (pooling === 'all') expect(JSON.parse(meta.offsets)).toEqual(c.offsets)
      else expect(meta.offsets).toBeUndefined()

      const back = importCaptureSafetensors(bytes, stimulusSetToJsonl(set))
      expectSameCapture(c, back)
      expect(back.set?.items).toEqual(set.items)
      expect(exportCaptureSafetensors(back)).toEqual(bytes)

      // Stored again (as after importing on another machine) and loaded: still identical.
      const store = new ActivationStore(new MemoryBackend(), { appVersion: '9.9.9' })
      const summary = await store.saveCaptureData(back)
      expect(summary.createdAt).toBe(c.createdAt)
      expect(summary.appVersion).toBe('0.1.0')
      const reloaded = await store.loadCapture(summary.id)
      expectSameCapture(c, reloaded)
      expect(exportCaptureSafetensors(reloaded)).toEqual(bytes)
    })
  }

  it('keeps float16 values exact: they are the float16 rounding of the captured float32', async () => {
    const cap = makeCapture({ texts: 6, d: 10, hooks: hookNames(3, ['resid_pre', 'resid_post']) })
    const c = await storedCapture('last', 'float16')
    const back = importCaptureSafetensors(exportCaptureSafetensors(c))
    for (const h of cap.hooks) {
      const expected = float16ToFloat32(float32ToFloat16(cap.activations[h].data))
      expect(sameBits(back.activations[h].data, expected)).toBe(true)
    }
  })

  it('writes one .npy per hook that reads back to the same values', async () => {
    const c = await storedCapture('last', 'mixed')
    for (const h of c.hooks) {
      const npy = readNpy(exportCaptureNpy(c, h))
      expect(npy.shape).toEqual(c.activations[h].shape)
      if (c.storageDtypes[h] === 'float16') {
        expect(npy.dtype).toBe('float16')
        expect(sameBits(float16ToFloat32(npy.data as Uint16Array), c.activations[h].data)).toBe(true)
      } else {
        expect(npy.dtype).toBe('float32')
        expect(sameBits(npy.data as Float32Array, c.activations[h].data)).toBe(true)
      }
    }
    expect(() => exportCaptureNpy(c, 'blocks.9.hook_resid_post')).toThrow(/has no hook "blocks.9.hook_resid_post"/)
  })

  it('bundles the safetensors, the stimulus JSONL and a README with the exact key', async () => {
    const c = await storedCapture('all', 'float32')
    const files = exportCaptureBundle(c, set, { npy: true })
    const base = `moral-typicality-test.tiny-llama-random.all.${c.key.setHash.slice(0, 8)}`
    expect(files.map((f) => f.fileName)).toEqual([
      `${base}.safetensors`,
      `${base}.stimuli.jsonl`,
      ...c.hooks.map((h) => `${base}.${h}.npy`),
      'README.txt',
    ])
    expect(files[0].bytes).toEqual(exportCaptureSafetensors(c))
    const jsonl = new TextDecoder().decode(files[1].bytes)
    expect(stimulusSetHash(parseStimulusJsonlStrict(jsonl))).toBe(c.key.setHash)
    const readme = new TextDecoder().decode(files[files.length - 1].bytes)
    expect(readme).toContain(captureKeyString(c.key))
    expect(readme).toContain(`load_file("${base}.safetensors")`)
    expect(readme).toContain('offsets = json.loads(meta["offsets"])')
    expect(readme).toContain(`open("${base}.stimuli.jsonl"`)
    expect(readme).toContain(`np.load("${base}.blocks.0.hook_resid_pre.npy")`)

    expect(exportCaptureBundle(c, undefined).map((f) => f.fileName)).toEqual([`${base}.safetensors`, 'README.txt'])
    expect(() => exportCaptureBundle(c, makeSet(6, 'other'))).not.toThrow() // same items, other name: same hash
    expect(() => exportCaptureBundle(c, makeSet(5))).toThrow(/capture was made for set hash/)
  })
})

describe('malformed imports', () => {
  async function variant(patch: (meta: Record<string, string>, tensors: Record<string, SafetensorsInput>) => void, pooling: 'last' | 'all' = 'last') {
    const c = await storedCapture(pooling, 'float32')
    const meta = captureExportMetadata(c)
    const tensors: Record<string, SafetensorsInput> = {}
    for (const h of c.hooks) tensors[h] = { dtype: 'F32', shape: c.activations[h].shape, data: c.activations[h].data }
    patch(meta, tensors)
    return writeSafetensors(tensors, meta)
  }
  const imp = (bytes: Uint8Array, jsonl?: string) => () => importCaptureSafetensors(bytes, jsonl, { fileName: 'acts.safetensors', setFileName: 'set.jsonl' })

  it('names the file and the field or tensor that is wrong', async () => {
    const cases: [string, (m: Record<string, string>, t: Record<string, SafetensorsInput>) => void, RegExp][] = [
      ['format', (m) => (m.format = 'moral-lens-activations'), /acts.safetensors: __metadata__ field "format" is "moral-lens-activations"; expected "moral-lens-activation-store"/],
      ['version', (m) => (m.format_version = '2'), /field "format_version" is "2"; this version reads 1/],
      ['model', (m) => delete m.model, /__metadata__ field "model" is missing/],
      ['set_hash', (m) => (m.set_hash = 'abc'), /field "set_hash" must be 64 lowercase hex digits/],
      ['pooling', (m) => (m.pooling = 'max'), /field "pooling" must be one of last, mean, all, got "max"/],
      ['key', (m) => (m.device = 'webgpu'), /field "key" .* does not match the fields/],
      ['n_texts', (m) => (m.n_texts = 'six'), /field "n_texts" must be an integer >= 0, got "six"/],
      ['hooks list', (m) => (m.hooks = m.hooks.replace('blocks.0.hook_resid_pre', 'embed')), /field "hooks" lists "embed", which is not a hook name/],
      [
        'tensor name',
        (_m, t) => {
          t['model.layers.0'] = t['blocks.0.hook_resid_pre']
        },
        /tensor "model.layers.0" is not named after a hook/,
      ],
      [
        'unlisted tensor',
        (_m, t) => {
          t['blocks.7.hook_resid_mid'] = t['blocks.0.hook_resid_pre']
        },
        /tensor "blocks.7.hook_resid_mid" is not listed in __metadata__ field "hooks"/,
      ],
      ['missing tensor', (_m, t) => delete t['blocks.2.hook_resid_post'], /hook "blocks.2.hook_resid_post" is listed in "hooks" but has no tensor/],
      [
        'dtype',
        (_m, t) => {
          t['blocks.1.hook_resid_pre'] = { ...t['blocks.1.hook_resid_pre'], dtype: 'I32' }
        },
        /tensor "blocks.1.hook_resid_pre" has dtype I32; expected F32 or F16/,
      ],
      ['rows', (m) => ((m.n_texts = '7'), delete m.token_counts), /tensor "blocks.0.hook_resid_pre" has shape \[6, 10\]; expected \[7, 10\] \(n_texts = 7 rows \('last' pooling\)/],
      ['d_model', (m) => (m.d_model = '12'), /has shape \[6, 10\]; expected \[6, 12\]/],
      ['token_counts json', (m) => (m.token_counts = '[1, 2'), /field "token_counts" is not valid JSON/],
      ['token_counts length', (m) => (m.token_counts = '[1,2]'), /field "token_counts" has 2 entries; expected n_texts = 6/],
      ['token_counts value', (m) => (m.token_counts = '[1,2,3,4,5,-6]'), /field "token_counts"\[5\] must be a non-negative integer, got -6/],
      ['offsets for last', (m) => (m.offsets = '[0]'), /field "offsets" is only meaningful for 'all' pooling/],
      ['storage_dtype', (m) => (m.storage_dtype = 'float16'), /field "storage_dtype" is "float16" but the tensors are float32/],
    ]
    for (const [name, patch, message] of cases) expect(imp(await variant(patch)), name).toThrow(message)
  })

  it("checks offsets and token ids for 'all' pooling", async () => {
    expect(imp(await variant((m) => delete m.offsets, 'all'))).toThrow(/field "offsets" is missing \(required for 'all' pooling\)/)
    expect(imp(await variant((m) => (m.offsets = '[0,1,2]'), 'all'))).toThrow(/field "offsets" has 3 entries; expected 7/)
    expect(imp(await variant((m) => (m.offsets = JSON.stringify([1, ...JSON.parse(m.offsets).slice(1)])), 'all'))).toThrow(/"offsets"\[0\] must be 0/)
    expect(
      imp(await variant((m) => (m.token_counts = JSON.stringify([9, ...JSON.parse(m.token_counts).slice(1)])), 'all')),
    ).toThrow(/"offsets"\[1\] - "offsets"\[0\] = 2 but "token_counts"\[0\] = 9/)
    expect(imp(await variant((m) => (m.token_ids = '[[1]]'), 'all'))).toThrow(/field "token_ids" must be a JSON array with one array per text \(6\)/)
    // Without token_counts they are derived from the offsets.
    const c = importCaptureSafetensors(await variant((m) => delete m.token_counts, 'all'))
    expect(c.tokenCounts).toEqual((await storedCapture('all', 'float32')).tokenCounts)
  })

  it('rejects a stimulus file that is not the captured set', async () => {
    const bytes = await variant(() => undefined)
    expect(imp(bytes, stimulusSetToJsonl(makeSet(5)))).toThrow(/set.jsonl: 5 items but the capture acts.safetensors has n_texts = 6/)
    const edited = { ...set, items: set.items.map((it, i) => (i === 0 ? { ...it, text: 'changed' } : it)) }
    expect(imp(bytes, stimulusSetToJsonl(edited))).toThrow(/set.jsonl: the set's hash [0-9a-f]{12}… differs from the capture's set_hash/)
    expect(imp(bytes, 'not json\n')).toThrow(/Invalid stimulus JSONL set.jsonl/)
  })

  it('rejects files that are not safetensors exports', async () => {
    const bytes = await variant(() => undefined)
    expect(imp(bytes.subarray(0, bytes.length - 5))).toThrow(/acts.safetensors: .*truncated/)
    expect(imp(new Uint8Array(3))).toThrow(/acts.safetensors: 3 bytes is too short/)
    const plain = writeSafetensors({ 'blocks.0.hook_resid_post': { dtype: 'F32', shape: [1, 2], data: new Float32Array(2) } })
    expect(imp(plain)).toThrow(/acts.safetensors: no __metadata__; expected a Moral Lens activation export/)
  })
})
