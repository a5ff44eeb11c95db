import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { describe, expect, it } from 'vitest'
import { float16ToFloat32, float32ToFloat16 } from '../../../src/core/onnx/tensor.ts'
import { MemoryBackend, type StorageBackend, type WriteBatch } from '../../../src/core/store/backend.ts'
import { IndexedDbBackend } from '../../../src/core/store/indexeddb.ts'
import { activationKeyString, captureIdOf } from '../../../src/core/store/key.ts'
import { ActivationStore, type ActivationStoreOptions } from '../../../src/core/store/store.ts'
import { hookNames, makeCapture, makeKey, makeSet, sameBits } from './fixtures.ts'

const backends: [string, () => Promise<StorageBackend>][] = [
  ['MemoryBackend', async () => new MemoryBackend()],
  ['IndexedDbBackend (fake-indexeddb)', () => IndexedDbBackend.open({ indexedDB: new IDBFactory(), IDBKeyRange })],
]

/** Counts backend calls, to check that loads and saves use few transactions. */
class CountingBackend extends MemoryBackend {
  calls = { getMeta: 0, getChunks: 0, write: 0 }
  override async getMeta(keys: readonly string[]) {
    this.calls.getMeta++
    return super.getMeta(keys)
  }
  override async getChunks(keys: readonly string[]) {
    this.calls.getChunks++
    return super.getChunks(keys)
  }
  override async write(batch: WriteBatch) {
    this.calls.write++
    return super.write(batch)
  }
}

const set = makeSet(7)
const key = makeKey(set)
let clock = Date.parse('2026-01-01T00:00:00Z')
const now = () => new Date((clock += 1000))

describe.each(backends)('ActivationStore on %s', (_name, open) => {
  async function store(options: ActivationStoreOptions = {}) {
    return new ActivationStore(await open(), { appVersion: '0.1.0-test', now, ...options })
  }

  it('round-trips float32 exactly and loads only the hooks asked for', async () => {
    const s = await store()
    const cap = makeCapture({ texts: 7, d: 12, hooks: hookNames(4) })
    const summary = await s.saveCapture(cap, { key, modelLabel: 'Tiny Llama', setName: set.name })
    expect(summary.id).toBe(captureIdOf(key))
    expect(summary.storageDtype).toBe('float32')
    expect(summary.precision).toMatch(/exact/)
    const got = await s.loadHooks(summary.id, ['blocks.2.hook_resid_post', 'blocks.0.hook_resid_post'])
    expect(Object.keys(got).sort()).toEqual(['blocks.0.hook_resid_post', 'blocks.2.hook_resid_post'])
    for (const h of Object.keys(got)) {
      expect(got[h].shape).toEqual([7, 12])
      expect(sameBits(got[h].data, cap.activations[h].data)).toBe(true)
    }
  })

  it('stores float16 bits and returns exactly float16ToFloat32(float32ToFloat16(x))', async () => {
    const s = await store()
    const cap = makeCapture({ texts: 7, d: 33, hooks: hookNames(2) })
    const summary = await s.saveCapture(cap, { key }, { storageDtype: 'float16' })
    expect(summary.storageDtype).toBe('float16')
    expect(summary.precision).toMatch(/binary16.*2\^-11/)
    expect(summary.bytes).toBe(2 * 7 * 33 * 2)
    const got = await s.loadHooks(summary.id, cap.hooks)
    for (const h of cap.hooks) {
      const x = cap.activations[h].data
      const y = got[h].data
      expect(sameBits(y, float16ToFloat32(float32ToFloat16(x)))).toBe(true)
      for (let i = 0; i < x.length; i++) {
        const bound = Math.abs(x[i]) >= 2 ** -14 ? Math.abs(x[i]) * 2 ** -11 : 2 ** -25
        expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual(bound)
      }
    }
  })

  it('records float16 overflow in the precision note', async () => {
    const s = await store()
    const cap = makeCapture({ texts: 2, d: 4, hooks: hookNames(1) })
    cap.activations['blocks.0.hook_resid_post'].data[3] = 1e5
    const summary = await s.saveCapture(cap, { key: makeKey(makeSet(2)) }, { storageDtype: 'float16' })
    expect(summary.hooks[0].fp16Overflow).toBe(1)
    expect(summary.precision).toMatch(/1 value overflowed/)
  })

  it("keeps token counts, offsets and token ids for 'all' pooling", async () => {
    const s = await store()
    const cap = makeCapture({ texts: 7, d: 8, hooks: hookNames(2), pooling: 'all' })
    const k = makeKey(set, 'all')
    const summary = await s.saveCapture(cap, { key: k })
    expect(summary.rows).toBe(cap.offsets![7])
    expect(summary.textsCount).toBe(7)
    const stored = await s.getCapture(summary.id)
    expect(stored?.tokenCounts).toEqual(cap.tokenCounts)
    expect(stored?.offsets).toEqual(cap.offsets)
    expect(stored?.tokenIds).toEqual(cap.tokenIds)
    const loaded = await s.loadCapture(summary.id)
    expect(loaded.hooks).toEqual(cap.hooks)
    expect(loaded.pooling).toBe('all')
    for (const h of cap.hooks) expect(sameBits(loaded.activations[h].data, cap.activations[h].data)).toBe(true)
  })

  it('keeps one record per key: saving the same key again replaces it, any other key is separate', async () => {
    const s = await store()
    const a = makeCapture({ texts: 7, d: 4, hooks: ['blocks.1.hook_resid_post'], seed: 1 })
    const b = makeCapture({ texts: 7, d: 4, hooks: ['blocks.1.hook_resid_post'], seed: 2 })
    await s.saveCapture(a, { key })
    await s.saveCapture(b, { key: { ...key, setHash: key.setHash.toUpperCase() } })
    expect(await s.listCaptures()).toHaveLength(1)
    const rec = await s.findHook({ ...key, hook: 'blocks.1.hook_resid_post' })
    expect(rec?.key).toBe(activationKeyString({ ...key, hook: 'blocks.1.hook_resid_post' }))
    expect(sameBits((await s.loadActivation({ ...key, hook: 'blocks.1.hook_resid_post' })).data, b.activations['blocks.1.hook_resid_post'].data)).toBe(true)
    // The replaced chunks are gone.
    expect(await s.backend.listChunkKeys('')).toHaveLength(1)

    await s.saveCapture(a, { key: { ...key, device: 'webgpu' } })
    await s.saveCapture(a, { key: { ...key, dtype: 'q8' } })
    expect(await s.listCaptures()).toHaveLength(3)
    expect(await s.findHook({ ...key, device: 'webgpu', hook: 'blocks.1.hook_resid_post' })).toBeDefined()
    expect(await s.findHook({ ...key, hook: 'blocks.2.hook_resid_post' })).toBeUndefined()
    expect(await s.missingHooks(key, ['blocks.1.hook_resid_post', 'blocks.2.hook_resid_post'])).toEqual([
      'blocks.2.hook_resid_post',
    ])
  })

  it('merges hooks saved later into the capture and replaces it when the texts differ', async () => {
    const s = await store()
    const first = makeCapture({ texts: 7, d: 4, hooks: hookNames(2) })
    const later = makeCapture({ texts: 7, d: 4, hooks: ['blocks.1.hook_resid_post', 'blocks.2.hook_resid_mid'], seed: 5 })
    const s1 = await s.saveCapture(first, { key, setName: 'First' })
    const s2 = await s.saveCapture(later, { key }, { storageDtype: 'float16' })
    expect(s2.hooks.map((h) => h.hook)).toEqual(['blocks.0.hook_resid_post', 'blocks.1.hook_resid_post', 'blocks.2.hook_resid_mid'])
    expect(s2.storageDtype).toBe('mixed')
    expect(s2.precision).toMatch(/stored exactly as float32: blocks.0.hook_resid_post/)
    expect(s2.createdAt).toBe(s1.createdAt)
    expect(s2.updatedAt > s1.updatedAt).toBe(true)
    expect(s2.setName).toBe('First')
    expect(s2.bytes).toBe(7 * 4 * 4 + 2 * 7 * 4 * 2)
    const got = await s.loadHooks(s2.id, ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_post'])
    expect(sameBits(got['blocks.0.hook_resid_post'].data, first.activations['blocks.0.hook_resid_post'].data)).toBe(true)
    expect(sameBits(got['blocks.1.hook_resid_post'].data, float16ToFloat32(float32ToFloat16(later.activations['blocks.1.hook_resid_post'].data)))).toBe(true)
    expect(await s.backend.listChunkKeys('')).toHaveLength(3)

    // Different token counts (another tokenisation): the old hooks no longer describe these texts.
    const other = makeCapture({ texts: 7, d: 4, hooks: ['blocks.5.hook_resid_pre'], tokensPerText: () => 9 })
    const s3 = await s.saveCapture(other, { key })
    expect(s3.hooks.map((h) => h.hook)).toEqual(['blocks.5.hook_resid_pre'])
    expect(s3.createdAt).not.toBe(s1.createdAt)
    expect(await s.backend.listChunkKeys('')).toHaveLength(1)
  })

  it('lists captures with sizes, newest first, and deletes them', async () => {
    const s = await store()
    const setB = makeSet(5, 'B')
    await s.saveCapture(makeCapture({ texts: 7, d: 10, hooks: hookNames(3) }), { key, setName: 'A' })
    await s.saveCapture(makeCapture({ texts: 5, d: 10, hooks: hookNames(2) }), { key: makeKey(setB), setName: 'B' }, { storageDtype: 'float16' })
    const list = await s.listCaptures()
    expect(list.map((c) => c.setName)).toEqual(['B', 'A'])
    expect(list.map((c) => c.bytes)).toEqual([5 * 10 * 2 * 2, 7 * 10 * 3 * 4])
    expect(list[1].hooks.map((h) => h.bytes)).toEqual([280, 280, 280])
    expect(await s.totalBytes()).toBe(200 + 840)
    expect(list[0].appVersion).toBe('0.1.0-test')

    const afterHooks = await s.deleteHooks(list[1].id, ['blocks.1.hook_resid_post'])
    expect(afterHooks?.hooks.map((h) => h.hook)).toEqual(['blocks.0.hook_resid_post', 'blocks.2.hook_resid_post'])
    expect(afterHooks?.bytes).toBe(560)
    await expect(s.loadHooks(list[1].id, ['blocks.1.hook_resid_post'])).rejects.toThrow(/has no hook "blocks.1.hook_resid_post"/)

    expect(await s.deleteCapture(list[0].id)).toBe(true)
    expect(await s.deleteCapture(list[0].id)).toBe(false)
    expect((await s.listCaptures()).map((c) => c.setName)).toEqual(['A'])
    expect((await s.backend.listChunkKeys('')).every((k) => k.startsWith(list[1].id + '/'))).toBe(true)
    await expect(s.loadHooks(list[0].id, ['blocks.0.hook_resid_post'])).rejects.toThrow(/no stored capture/)

    await s.deleteAll()
    expect(await s.listCaptures()).toEqual([])
    expect(await s.backend.listChunkKeys('')).toEqual([])
  })

  it('splits hooks into chunks of at most chunkBytes and reassembles them across the boundaries', async () => {
    const s = await store({ chunkBytes: 64 })
    // 16 floats per chunk: 7×10 = 70 values → 280 bytes → 5 chunks; 4×4 = 16 values fills exactly one.
    const cap = makeCapture({ texts: 7, d: 10, hooks: hookNames(2) })
    const summary = await s.saveCapture(cap, { key })
    expect(summary.hooks.map((h) => h.chunks.length)).toEqual([5, 5])
    const got = await s.loadHooks(summary.id, cap.hooks)
    for (const h of cap.hooks) expect(sameBits(got[h].data, cap.activations[h].data)).toBe(true)

    const s16 = await s.saveCapture(cap, { key: { ...key, device: 'webgpu' } }, { storageDtype: 'float16' })
    expect(s16.hooks.map((h) => h.chunks.length)).toEqual([3, 3])
    const got16 = await s.loadHooks(s16.id, cap.hooks)
    for (const h of cap.hooks)
      expect(sameBits(got16[h].data, float16ToFloat32(float32ToFloat16(cap.activations[h].data)))).toBe(true)

    const exact = makeCapture({ texts: 4, d: 4, hooks: ['blocks.0.hook_resid_pre'] })
    const se = await s.saveCapture(exact, { key: makeKey(makeSet(4)) })
    expect(se.hooks[0].chunks).toHaveLength(1)
    const view = (await s.loadHooks(se.id, ['blocks.0.hook_resid_pre']))['blocks.0.hook_resid_pre'].data
    // A single chunk comes back as a view on the stored ArrayBuffer (no further copy).
    expect(view.byteOffset).toBe(0)
    expect(view.buffer.byteLength).toBe(64)
    expect(sameBits(view, exact.activations['blocks.0.hook_resid_pre'].data)).toBe(true)

    const empty = makeCapture({ texts: 0, d: 4, hooks: ['blocks.0.hook_resid_pre'] })
    const sz = await s.saveCapture(empty, { key: makeKey(makeSet(0)) })
    expect((await s.loadHooks(sz.id, ['blocks.0.hook_resid_pre']))['blocks.0.hook_resid_pre'].data.length).toBe(0)
  })

  it('hands out arrays that do not alias what is stored', async () => {
    const s = await store()
    const cap = makeCapture({ texts: 7, d: 4, hooks: hookNames(1) })
    const saved = cap.activations['blocks.0.hook_resid_post'].data.slice()
    const { id } = await s.saveCapture(cap, { key })
    cap.activations['blocks.0.hook_resid_post'].data.fill(42)
    const a = (await s.loadHooks(id, ['blocks.0.hook_resid_post']))['blocks.0.hook_resid_post'].data
    a.fill(7)
    const b = (await s.loadHooks(id, ['blocks.0.hook_resid_post']))['blocks.0.hook_resid_post'].data
    expect(sameBits(b, saved)).toBe(true)
  })

  it('cancels a save cleanly, leaving the previous capture intact', async () => {
    const s = await store({ chunkBytes: 16, transactionBytes: 16 })
    const before = makeCapture({ texts: 7, d: 4, hooks: hookNames(2) })
    const { id } = await s.saveCapture(before, { key })
    const chunksBefore = await s.backend.listChunkKeys('')

    const ctl = new AbortController()
    const next = makeCapture({ texts: 7, d: 4, hooks: hookNames(3), seed: 9 })
    const err = await s
      .saveCapture(next, { key }, { signal: ctl.signal, onProgress: (p) => p.hooksDone === 2 && ctl.abort() })
      .catch((e: unknown) => e)
    expect((err as DOMException).name).toBe('AbortError')
    expect(await s.backend.listChunkKeys('')).toEqual(chunksBefore)
    const got = await s.loadHooks(id, before.hooks)
    for (const h of before.hooks) expect(sameBits(got[h].data, before.activations[h].data)).toBe(true)

    ctl.abort()
    await expect(s.saveCapture(next, { key: { ...key, device: 'webgpu' } }, { signal: ctl.signal })).rejects.toThrow(/cancelled/)
    expect(await s.listCaptures()).toHaveLength(1)
  })

  it('sweeps orphan chunks and reports a missing chunk clearly', async () => {
    const s = await store({ chunkBytes: 64 })
    const cap = makeCapture({ texts: 7, d: 10, hooks: hookNames(1) })
    const { id, hooks } = await s.saveCapture(cap, { key })
    await s.backend.write({ putChunks: [{ key: `${id}/blocks.0.hook_resid_post/99/00000`, data: new Uint8Array(8) }] })
    expect(await s.removeOrphanChunks()).toBe(1)
    expect(await s.removeOrphanChunks()).toBe(0)
    await s.backend.write({ deleteChunks: [hooks[0].chunks[2]] })
    await expect(s.loadHooks(id, ['blocks.0.hook_resid_post'])).rejects.toThrow(
      `chunk "${hooks[0].chunks[2]}" of hook "blocks.0.hook_resid_post" is missing`,
    )
  })

  it('rejects inconsistent captures with messages naming the field', async () => {
    const s = await store()
    const cap = makeCapture({ texts: 7, d: 4, hooks: hookNames(2) })
    await expect(s.saveCapture(cap, { key: { ...key, pooling: 'mean' } })).rejects.toThrow(/pooling "last" differs from the key's pooling "mean"/)
    const badShape = { ...cap, activations: { ...cap.activations, 'blocks.1.hook_resid_post': { data: new Float32Array(24), shape: [6, 4] as [number, number] } } }
    await expect(s.saveCapture(badShape, { key })).rejects.toThrow(/activations\["blocks.1.hook_resid_post"\] has shape \[6, 4\]; expected \[7, 4\]/)
    await expect(s.saveCapture({ ...cap, hooks: ['layer1'] }, { key })).rejects.toThrow(/"layer1" is not a hook name/)
    await expect(s.saveCapture({ ...cap, tokenCounts: [1, 2] }, { key })).rejects.toThrow(/tokenCounts has 2 entries but there are 7 texts/)
    await expect(s.saveCapture(cap, { key: { ...key, setHash: 'x' } })).rejects.toThrow(/field "setHash"/)
    await expect(s.saveCapture(cap, { key }, { storageDtype: 'bfloat16' as never })).rejects.toThrow(/must be float32 or float16/)
    const all = makeCapture({ texts: 3, d: 2, hooks: hookNames(1), pooling: 'all' })
    await expect(s.saveCapture({ ...all, offsets: [0, 1, 2, 3] }, { key: makeKey(set, 'all') })).rejects.toThrow(/offsets\[1\] - offsets\[0\] = 1 but tokenCounts\[0\] = 2/)
    expect(await s.listCaptures()).toEqual([])
    expect(() => new ActivationStore(new MemoryBackend(), { chunkBytes: 10 })).toThrow(/multiple of 4/)
  })
})

describe('ActivationStore transactions', () => {
  it('loads any number of hooks with one metadata read and one chunk read', async () => {
    const backend = new CountingBackend()
    const s = new ActivationStore(backend, { chunkBytes: 256, transactionBytes: 1024 })
    const cap = makeCapture({ texts: 7, d: 16, hooks: hookNames(24) }) // 448 B per hook: 2 chunks each
    await s.saveCapture(cap, { key })
    // 24 × 448 B in batches of ≥ 1024 B, then the metadata: far fewer writes than chunks.
    expect(backend.calls.write).toBeLessThanOrEqual(Math.ceil((24 * 448) / 1024) + 2)
    backend.calls = { getMeta: 0, getChunks: 0, write: 0 }
    const got = await s.loadHooks(captureIdOf(key), cap.hooks)
    expect(backend.calls).toEqual({ getMeta: 1, getChunks: 1, write: 0 })
    expect(Object.keys(got)).toHaveLength(24)
  })

  it('reports progress per hook', async () => {
    const s = new ActivationStore(new MemoryBackend())
    const seen: string[] = []
    await s.saveCapture(makeCapture({ texts: 7, d: 4, hooks: hookNames(3) }), { key }, {
      storageDtype: 'float16',
      onProgress: (p) => seen.push(`${p.hooksDone}/${p.hooks} ${p.bytesWritten}/${p.bytesTotal}`),
    })
    expect(seen).toEqual(['1/3 56/168', '2/3 112/168', '3/3 168/168'])
  })
})
