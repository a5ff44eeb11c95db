import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { describe, expect, it } from 'vitest'
import { ACTIVATIONS_DB_NAME, IndexedDbBackend } from '../../../src/core/store/indexeddb.ts'
import { ActivationStore } from '../../../src/core/store/store.ts'
import { hookNames, makeCapture, makeKey, makeSet, sameBits } from './fixtures.ts'

describe('IndexedDbBackend (fake-indexeddb)', () => {
  it("persists captures across re-opening the database, as after a page reload", async () => {
    const indexedDB = new IDBFactory()
    const set = makeSet(9)
    const key = makeKey(set, 'all')
    const cap = makeCapture({ texts: 9, d: 6, hooks: hookNames(3, ['resid_pre', 'resid_post']), pooling: 'all' })

    const first = await IndexedDbBackend.open({ indexedDB, IDBKeyRange })
    const saved = await new ActivationStore(first, { chunkBytes: 40 }).saveCapture(cap, { key, setName: set.name }, { storageDtype: 'float32' })
    first.close()
    await expect(first.getMeta(['x'])).rejects.toThrow(/used after close/)

    const names = (await indexedDB.databases()).map((d) => d.name)
    expect(names).toEqual([ACTIVATIONS_DB_NAME])

    const reopened = await IndexedDbBackend.open({ indexedDB, IDBKeyRange })
    const store = new ActivationStore(reopened)
    const list = await store.listCaptures()
    expect(list).toEqual([saved])
    const loaded = await store.loadCapture(saved.id)
    expect(loaded.offsets).toEqual(cap.offsets)
    expect(loaded.tokenIds).toEqual(cap.tokenIds)
    for (const h of cap.hooks) expect(sameBits(loaded.activations[h].data, cap.activations[h].data)).toBe(true)
    reopened.close()
  })

  it('two connections (two tabs) see each other’s writes and deletions', async () => {
    const indexedDB = new IDBFactory()
    const a = new ActivationStore(await IndexedDbBackend.open({ indexedDB, IDBKeyRange }))
    const b = new ActivationStore(await IndexedDbBackend.open({ indexedDB, IDBKeyRange }))
    const key = makeKey(makeSet(4))
    const { id } = await a.saveCapture(makeCapture({ texts: 4, d: 3, hooks: hookNames(1) }), { key })
    expect((await b.listCaptures()).map((c) => c.id)).toEqual([id])
    expect(await b.deleteCapture(id)).toBe(true)
    expect(await a.listCaptures()).toEqual([])
    expect(await a.backend.listChunkKeys('')).toEqual([])
    a.backend.close()
    b.backend.close()
  })

  it('uses key ranges for prefixes, so one capture’s deletion leaves a similar id alone', async () => {
    const backend = await IndexedDbBackend.open({ indexedDB: new IDBFactory(), IDBKeyRange })
    const data = new Uint8Array([1, 2, 3, 4])
    await backend.write({ putChunks: ['ab/x/1/0', 'ab/x/1/1', 'abc/x/1/0', 'a/x'].map((key) => ({ key, data })) })
    await backend.write({ deleteChunkPrefixes: ['ab/'] })
    expect(await backend.listChunkKeys('')).toEqual(['a/x', 'abc/x/1/0'])
    const [buf, missing] = await backend.getChunks(['a/x', 'zz'])
    expect([...new Uint8Array(buf!)]).toEqual([1, 2, 3, 4])
    expect(missing).toBeUndefined()
    await backend.write({ putMeta: [{ key: 'capture/1', value: { n: 1 } }, { key: 'capture/2', value: { n: 2 } }, { key: 'tokens/1', value: [] }] })
    expect(await backend.listMeta('capture/')).toEqual([
      { key: 'capture/1', value: { n: 1 } },
      { key: 'capture/2', value: { n: 2 } },
    ])
    backend.close()
  })

  it('explains when IndexedDB is missing', async () => {
    await expect(IndexedDbBackend.open({ indexedDB: undefined, IDBKeyRange: undefined })).rejects.toThrow(/IndexedDB is not available/)
  })

  it('deletes the whole database', async () => {
    const indexedDB = new IDBFactory()
    const backend = await IndexedDbBackend.open({ indexedDB, IDBKeyRange })
    backend.close()
    await IndexedDbBackend.deleteDatabase({ indexedDB })
    expect(await indexedDB.databases()).toEqual([])
  })
})
