// Fetching model files with byte progress, ETA, cancellation and an optional cache.

export interface ByteProgress {
  file: string
  loaded: number
  /** 0 when the server did not say. */
  total: number
  bytesPerSecond: number
  etaSeconds: number | undefined
  fromCache: boolean
}

export interface FileCache {
  get(url: string): Promise<Uint8Array | undefined>
  put(url: string, bytes: Uint8Array): Promise<void>
  list(): Promise<CachedFile[]>
  delete(url: string): Promise<boolean>
  clear(): Promise<void>
}

export interface CachedFile {
  url: string
  size: number
  storedAt: string
}

export class DownloadError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'DownloadError'
  }
}

export function isAbortError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || /aborted|cancelled/i.test(e.message))
}

export interface FetchOptions {
  signal?: AbortSignal
  onProgress?: (p: ByteProgress) => void
  cache?: FileCache
  fetch?: typeof fetch
  /** Label for progress and errors (defaults to the URL's last path segment). */
  label?: string
}

/** Moving-average speed over the last few seconds, so the ETA does not jump around. */
export class RateMeter {
  private samples: { t: number; bytes: number }[] = []
  constructor(private windowMs = 3000) {}
  add(t: number, bytes: number): number {
    this.samples.push({ t, bytes })
    while (this.samples.length > 2 && t - this.samples[0].t > this.windowMs) this.samples.shift()
    const first = this.samples[0]
    const dt = (t - first.t) / 1000
    return dt > 0 ? (bytes - first.bytes) / dt : 0
  }
}

export async function fetchBytes(url: string, opts: FetchOptions = {}): Promise<Uint8Array> {
  const label = opts.label ?? decodeURIComponent(url.split('?')[0].split('/').pop() ?? url)
  const cached = await opts.cache?.get(url)
  if (cached) {
    opts.onProgress?.({ file: label, loaded: cached.length, total: cached.length, bytesPerSecond: 0, etaSeconds: 0, fromCache: true })
    return cached
  }
  const doFetch = opts.fetch ?? fetch
  let res: Response
  try {
    res = await doFetch(url, { signal: opts.signal })
  } catch (e) {
    if (isAbortError(e)) throw e
    throw new DownloadError(`Could not reach ${url}: ${(e as Error).message}`, url)
  }
  if (!res.ok) {
    throw new DownloadError(
      res.status === 404 ? `${label} was not found at ${url} (HTTP 404)` : `${label}: HTTP ${res.status} ${res.statusText} from ${url}`,
      url,
      res.status,
    )
  }
  const total = Number(res.headers.get('content-length') ?? 0)
  const encoded = res.headers.get('content-encoding')
  // A compressed body's length is not the decoded length; only preallocate when they agree.
  let buf = new Uint8Array(total > 0 && !encoded ? total : 1 << 16)
  let loaded = 0
  const meter = new RateMeter()
  const start = Date.now()
  let lastReport = 0
  const reader = res.body?.getReader()
  if (!reader) {
    const whole = new Uint8Array(await res.arrayBuffer())
    buf = whole
    loaded = whole.length
  } else {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (loaded + value.length > buf.length) {
        const grown = new Uint8Array(Math.max(buf.length * 2, loaded + value.length))
        grown.set(buf.subarray(0, loaded))
        buf = grown
      }
      buf.set(value, loaded)
      loaded += value.length
      const now = Date.now()
      if (now - lastReport > 100 || loaded === total) {
        lastReport = now
        const rate = meter.add(now - start, loaded)
        opts.onProgress?.({
          file: label,
          loaded,
          total,
          bytesPerSecond: rate,
          etaSeconds: total > 0 && rate > 0 ? (total - loaded) / rate : undefined,
          fromCache: false,
        })
      }
    }
  }
  if (total > 0 && !encoded && loaded !== total)
    throw new DownloadError(`${label}: the download stopped at ${loaded} of ${total} bytes`, url)
  const bytes = loaded === buf.length ? buf : buf.slice(0, loaded)
  opts.onProgress?.({ file: label, loaded, total: loaded, bytesPerSecond: 0, etaSeconds: 0, fromCache: false })
  if (opts.cache) {
    try {
      await opts.cache.put(url, bytes)
    } catch {
      // A full quota must not fail the load; the file is simply not cached.
    }
  }
  return bytes
}

/** Cache API storage (available in windows and workers). */
export class CacheApiFileCache implements FileCache {
  constructor(readonly cacheName = 'moral-lens-models-v1') {}

  private open(): Promise<Cache> {
    return caches.open(this.cacheName)
  }

  async get(url: string): Promise<Uint8Array | undefined> {
    const res = await (await this.open()).match(url)
    if (!res) return undefined
    return new Uint8Array(await res.arrayBuffer())
  }

  async put(url: string, bytes: Uint8Array): Promise<void> {
    const headers = {
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.length),
      'x-moral-lens-stored-at': new Date().toISOString(),
    }
    await (await this.open()).put(url, new Response(bytes as BodyInit, { headers }))
  }

  async list(): Promise<CachedFile[]> {
    const cache = await this.open()
    const out: CachedFile[] = []
    for (const req of await cache.keys()) {
      const res = await cache.match(req)
      out.push({
        url: req.url,
        size: Number(res?.headers.get('content-length') ?? 0),
        storedAt: res?.headers.get('x-moral-lens-stored-at') ?? '',
      })
    }
    return out
  }

  async delete(url: string): Promise<boolean> {
    return (await this.open()).delete(url)
  }

  async clear(): Promise<void> {
    await caches.delete(this.cacheName)
  }
}

/** In-memory cache for Node and tests. */
export class MemoryFileCache implements FileCache {
  private files = new Map<string, { bytes: Uint8Array; storedAt: string }>()
  async get(url: string) {
    return this.files.get(url)?.bytes
  }
  async put(url: string, bytes: Uint8Array) {
    this.files.set(url, { bytes, storedAt: new Date().toISOString() })
  }
  async list() {
    return [...this.files].map(([url, f]) => ({ url, size: f.bytes.length, storedAt: f.storedAt }))
  }
  async delete(url: string) {
    return this.files.delete(url)
  }
  async clear() {
    this.files.clear()
  }
}
