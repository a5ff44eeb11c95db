// IndexedDB backend (browser tab and workers). Two object stores with out-of-line string keys:
// 'meta' for small JSON records and 'chunks' for ArrayBuffers (the store keeps each under ~32 MB so
// no single value hits a browser's per-value limits). A WriteBatch is one readwrite transaction;
// getChunks is one readonly transaction with all its requests in flight together.
import { ownBuffer, type MetaEntry, type StorageBackend, type WriteBatch } from './backend.ts'

export const ACTIVATIONS_DB_NAME = 'moral-lens-activations'
const DB_VERSION = 1
const META = 'meta'
const CHUNKS = 'chunks'

export interface IndexedDbBackendOptions {
  /** Defaults to globalThis.indexedDB; tests pass fake-indexeddb's factory. */
  indexedDB?: IDBFactory
  /** Must come from the same implementation as `indexedDB`; defaults to globalThis.IDBKeyRange. */
  IDBKeyRange?: typeof IDBKeyRange
  name?: string
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
}

export class IndexedDbBackend implements StorageBackend {
  readonly label: string
  private db: IDBDatabase | undefined
  private opening: Promise<IDBDatabase> | undefined
  private closed = false

  private constructor(
    private readonly factory: IDBFactory,
    private readonly keyRange: typeof IDBKeyRange,
    readonly name: string,
  ) {
    this.label = `indexeddb:${name}`
  }

  /** Opens (creating on first use) the database; rejects with a clear message where IndexedDB is missing. */
  static async open(options: IndexedDbBackendOptions = {}): Promise<IndexedDbBackend> {
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
    const keyRange = options.IDBKeyRange ?? (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange
    if (!factory || !keyRange)
      throw new Error('IndexedDB is not available here (private browsing, or a non-browser runtime); use MemoryBackend')
    const backend = new IndexedDbBackend(factory, keyRange, options.name ?? ACTIVATIONS_DB_NAME)
    await backend.database()
    return backend
  }

  private database(): Promise<IDBDatabase> {
    if (this.closed) return Promise.reject(new Error(`${this.label}: used after close()`))
    if (this.db) return Promise.resolve(this.db)
    this.opening ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = this.factory.open(this.name, DB_VERSION)
      req.onupgradeneeded = () => {
        const db = req.result
        if (!db.objectStoreNames.contains(META)) db.createObjectStore(META)
        if (!db.objectStoreNames.contains(CHUNKS)) db.createObjectStore(CHUNKS)
      }
      req.onsuccess = () => {
        const db = req.result
        // Another tab upgrading the schema: step aside and reopen on the next call.
        db.onversionchange = () => {
          db.close()
          if (this.db === db) this.db = undefined
        }
        this.db = db
        this.opening = undefined
        resolve(db)
      }
      req.onerror = () => {
        this.opening = undefined
        reject(new Error(`${this.label}: cannot open the database (${req.error?.name}: ${req.error?.message})`))
      }
    })
    return this.opening
  }

  private prefixRange(prefix: string): IDBKeyRange {
    return this.keyRange.bound(prefix, prefix + '\uffff')
  }

  /** Runs `body` in one transaction and resolves when it has committed. */
  private async transact<T>(stores: string[], mode: IDBTransactionMode, body: (tx: IDBTransaction) => T): Promise<T> {
    const db = await this.database()
    const tx = db.transaction(stores, mode)
    let result!: T
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve()
      tx.onabort = () => reject(this.describe(tx.error, mode))
    })
    try {
      result = body(tx)
    } catch (e) {
      try {
        tx.abort()
      } catch {
        // already finished
      }
      await done.catch(() => undefined)
      throw e
    }
    await done
    return result
  }

  private describe(error: DOMException | null, mode: IDBTransactionMode): Error {
    if (error?.name === 'QuotaExceededError')
      return new Error(
        `${this.label}: the browser's storage quota is exhausted; delete stored captures or store as float16 (QuotaExceededError)`,
      )
    return new Error(`${this.label}: ${mode} transaction failed (${error?.name ?? 'aborted'}: ${error?.message ?? ''})`)
  }

  async getMeta(keys: readonly string[]): Promise<(unknown | undefined)[]> {
    const reqs = await this.transact([META], 'readonly', (tx) => keys.map((k) => tx.objectStore(META).get(k)))
    return reqs.map((r) => r.result)
  }

  async listMeta(prefix: string): Promise<MetaEntry[]> {
    const [keys, values] = await this.transact([META], 'readonly', (tx) => {
      const s = tx.objectStore(META)
      const range = this.prefixRange(prefix)
      return [s.getAllKeys(range), s.getAll(range)] as const
    })
    return keys.result.map((key, i) => ({ key: String(key), value: values.result[i] }))
  }

  async getChunks(keys: readonly string[]): Promise<(ArrayBuffer | undefined)[]> {
    const reqs = await this.transact([CHUNKS], 'readonly', (tx) => keys.map((k) => tx.objectStore(CHUNKS).get(k)))
    return reqs.map((r) => {
      const v = r.result as unknown
      if (v === undefined) return undefined
      if (v instanceof ArrayBuffer) return v
      // Some engines hand back a view or a buffer from another realm.
      if (ArrayBuffer.isView(v)) return ownBuffer(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), false)
      return v as ArrayBuffer
    })
  }

  async listChunkKeys(prefix: string): Promise<string[]> {
    const req = await this.transact([CHUNKS], 'readonly', (tx) => tx.objectStore(CHUNKS).getAllKeys(this.prefixRange(prefix)))
    return req.result.map(String)
  }

  async write(batch: WriteBatch): Promise<void> {
    const stores = [META, CHUNKS]
    await this.transact(stores, 'readwrite', (tx) => {
      const meta = tx.objectStore(META)
      const chunks = tx.objectStore(CHUNKS)
      for (const k of batch.deleteMeta ?? []) meta.delete(k)
      for (const k of batch.deleteChunks ?? []) chunks.delete(k)
      for (const p of batch.deleteChunkPrefixes ?? []) chunks.delete(this.prefixRange(p))
      for (const e of batch.putMeta ?? []) meta.put(e.value, e.key)
      // put() clones synchronously, so the caller's memory is free again when write() resolves.
      for (const c of batch.putChunks ?? []) chunks.put(ownBuffer(c.data, false), c.key)
    })
  }

  async clear(): Promise<void> {
    await this.transact([META, CHUNKS], 'readwrite', (tx) => {
      tx.objectStore(META).clear()
      tx.objectStore(CHUNKS).clear()
    })
  }

  close(): void {
    this.closed = true
    this.db?.close()
    this.db = undefined
  }

  /** Deletes the whole database (after closing this connection). */
  static async deleteDatabase(options: Pick<IndexedDbBackendOptions, 'indexedDB' | 'name'> = {}): Promise<void> {
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
    if (!factory) throw new Error('IndexedDB is not available here')
    await request(factory.deleteDatabase(options.name ?? ACTIVATIONS_DB_NAME))
  }
}
