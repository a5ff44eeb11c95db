// Where the activation store keeps its bytes: binary chunks plus small JSON metadata records, both
// addressed by string keys. Writes come in batches so a backend can make each one a single
// transaction; reads of many chunks come as one call for the same reason.

export interface MetaEntry {
  key: string
  value: unknown
}

export interface ChunkPut {
  key: string
  /** The backend stores a copy (IndexedDB clones on put); the caller may reuse the memory after. */
  data: Uint8Array
}

/** Applied as one unit where the backend allows it: deletes first, then puts. */
export interface WriteBatch {
  deleteMeta?: string[]
  deleteChunks?: string[]
  /** Deletes every chunk whose key starts with one of these. */
  deleteChunkPrefixes?: string[]
  putMeta?: MetaEntry[]
  putChunks?: ChunkPut[]
}

export interface StorageBackend {
  /** For messages: 'memory', 'indexeddb:moral-lens-activations', ... */
  readonly label: string
  getMeta(keys: readonly string[]): Promise<(unknown | undefined)[]>
  /** Metadata records whose key starts with `prefix`, in key order. */
  listMeta(prefix: string): Promise<MetaEntry[]>
  /**
   * Chunk payloads in the order asked, undefined where missing. Each ArrayBuffer belongs to the caller
   * (a fresh copy or clone), so views on it may be handed out without aliasing the stored bytes.
   */
  getChunks(keys: readonly string[]): Promise<(ArrayBuffer | undefined)[]>
  /** Chunk keys starting with `prefix`, in key order (keys only: cheap however large the chunks). */
  listChunkKeys(prefix: string): Promise<string[]>
  write(batch: WriteBatch): Promise<void>
  /** Removes everything. */
  clear(): Promise<void>
  close(): void
}

/** The bytes of a view as a standalone ArrayBuffer: the view's own buffer when it spans it exactly. */
export function ownBuffer(data: Uint8Array, copy: boolean): ArrayBuffer {
  if (!copy && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer)
    return data.buffer
  return data.slice().buffer as ArrayBuffer
}

function byKey<T extends { key: string }>(a: T, b: T): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0
}

/** In-memory backend for Node, tests and benches. Copies on put and get, as structured cloning does. */
export class MemoryBackend implements StorageBackend {
  readonly label = 'memory'
  private meta = new Map<string, unknown>()
  private chunks = new Map<string, ArrayBuffer>()
  private closed = false

  private check(): void {
    if (this.closed) throw new Error('MemoryBackend: used after close()')
  }

  async getMeta(keys: readonly string[]): Promise<(unknown | undefined)[]> {
    this.check()
    return keys.map((k) => (this.meta.has(k) ? structuredClone(this.meta.get(k)) : undefined))
  }

  async listMeta(prefix: string): Promise<MetaEntry[]> {
    this.check()
    const out: MetaEntry[] = []
    for (const [key, value] of this.meta) if (key.startsWith(prefix)) out.push({ key, value: structuredClone(value) })
    return out.sort(byKey)
  }

  async getChunks(keys: readonly string[]): Promise<(ArrayBuffer | undefined)[]> {
    this.check()
    return keys.map((k) => this.chunks.get(k)?.slice(0))
  }

  async listChunkKeys(prefix: string): Promise<string[]> {
    this.check()
    return [...this.chunks.keys()].filter((k) => k.startsWith(prefix)).sort()
  }

  async write(batch: WriteBatch): Promise<void> {
    this.check()
    // Clone before mutating anything so a bad value leaves the store untouched, like an aborted transaction.
    const metaPuts = (batch.putMeta ?? []).map((e) => [e.key, structuredClone(e.value)] as const)
    const chunkPuts = (batch.putChunks ?? []).map((c) => [c.key, ownBuffer(c.data, true)] as const)
    for (const k of batch.deleteMeta ?? []) this.meta.delete(k)
    for (const k of batch.deleteChunks ?? []) this.chunks.delete(k)
    for (const p of batch.deleteChunkPrefixes ?? [])
      for (const k of [...this.chunks.keys()]) if (k.startsWith(p)) this.chunks.delete(k)
    for (const [k, v] of metaPuts) this.meta.set(k, v)
    for (const [k, v] of chunkPuts) this.chunks.set(k, v)
  }

  async clear(): Promise<void> {
    this.check()
    this.meta.clear()
    this.chunks.clear()
  }

  close(): void {
    this.closed = true
  }
}
