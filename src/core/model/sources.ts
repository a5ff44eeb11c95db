// Where a model's files come from: the Hugging Face hub, a URL prefix (a self-hosted static
// copy or the lab's built-in models), or a folder the user picked. All expose the same interface.
import { fetchBytes, DownloadError, type ByteProgress, type FileCache } from './download.ts'

export interface ListedFile {
  path: string
  size: number
}

export interface ReadOptions {
  signal?: AbortSignal
  onProgress?: (p: ByteProgress) => void
  /** Missing optional files resolve to undefined instead of throwing. */
  optional?: boolean
}

export interface ModelSource {
  /** Stable key used in caches and results, e.g. `hub:org/name@main`. */
  readonly key: string
  /** Human-readable label. */
  readonly label: string
  readonly kind: 'hub' | 'url' | 'builtin' | 'local'
  /** Files with sizes when the source can list them (hub API, manifest, local folder). */
  list(signal?: AbortSignal): Promise<ListedFile[] | undefined>
  read(path: string, opts?: ReadOptions): Promise<Uint8Array | undefined>
  /** Revision / commit when known (provenance). */
  revision?: string
}

/** Name of the file list a static copy may carry so the lab knows sizes without a hub API. */
export const FILE_MANIFEST = 'moral-lens-files.json'

export interface HttpSourceOptions {
  cache?: FileCache
  fetch?: typeof fetch
}

export class HttpModelSource implements ModelSource {
  private listing?: Promise<ListedFile[] | undefined>

  constructor(
    readonly kind: 'hub' | 'url' | 'builtin',
    readonly key: string,
    readonly label: string,
    /** Ends with '/'. */
    readonly baseUrl: string,
    private readonly listUrl: string | undefined,
    private readonly opts: HttpSourceOptions = {},
    readonly revision?: string,
  ) {}

  list(signal?: AbortSignal): Promise<ListedFile[] | undefined> {
    this.listing ??= this.fetchListing(signal).catch(() => undefined)
    return this.listing
  }

  private async fetchListing(signal?: AbortSignal): Promise<ListedFile[] | undefined> {
    const doFetch = this.opts.fetch ?? fetch
    if (this.kind === 'hub' && this.listUrl) {
      const out: ListedFile[] = []
      for (const folder of ['', 'onnx']) {
        const res = await doFetch(this.listUrl + folder, { signal })
        if (!res.ok) return undefined
        const entries = (await res.json()) as { type: string; path: string; size: number; lfs?: { size: number } }[]
        for (const e of entries) if (e.type === 'file') out.push({ path: e.path, size: e.lfs?.size ?? e.size })
      }
      return out
    }
    const res = await doFetch(this.baseUrl + FILE_MANIFEST, { signal })
    if (!res.ok) return undefined
    const manifest = (await res.json()) as { files: Record<string, number> }
    return Object.entries(manifest.files).map(([path, size]) => ({ path, size }))
  }

  async read(path: string, opts: ReadOptions = {}): Promise<Uint8Array | undefined> {
    try {
      return await fetchBytes(this.baseUrl + path.split('/').map(encodeURIComponent).join('/'), {
        signal: opts.signal,
        onProgress: opts.onProgress,
        cache: this.opts.cache,
        fetch: this.opts.fetch,
        label: path,
      })
    } catch (e) {
      if (opts.optional && e instanceof DownloadError && e.status === 404) return undefined
      throw e
    }
  }
}

export const HF_HUB = 'https://huggingface.co/'

export function hubSource(id: string, opts: HttpSourceOptions & { host?: string; revision?: string } = {}): HttpModelSource {
  const host = (opts.host ?? HF_HUB).replace(/\/?$/, '/')
  const revision = opts.revision ?? 'main'
  if (!/^[\w.-]+\/[\w.-]+$/.test(id)) throw new Error(`"${id}" is not a Hugging Face model id (expected "organisation/name")`)
  return new HttpModelSource(
    'hub',
    `hub:${id}@${revision}`,
    id,
    `${host}${id}/resolve/${encodeURIComponent(revision)}/`,
    `${host}api/models/${id}/tree/${encodeURIComponent(revision)}/`,
    opts,
    revision,
  )
}

export function urlSource(prefix: string, opts: HttpSourceOptions = {}): HttpModelSource {
  let base: URL
  try {
    base = new URL(prefix.replace(/\/?$/, '/'), globalThis.location?.href)
  } catch {
    throw new Error(`"${prefix}" is not a URL (expected e.g. https://example.org/models/my-model/)`)
  }
  return new HttpModelSource('url', `url:${base.href}`, base.href, base.href, undefined, opts)
}

export function builtinSource(id: string, modelsBaseUrl: string, opts: HttpSourceOptions = {}): HttpModelSource {
  return new HttpModelSource('builtin', `builtin:${id}`, id, `${modelsBaseUrl.replace(/\/?$/, '/')}${id}/`, undefined, opts)
}

export interface LocalFileEntry {
  /** Path relative to the model folder, e.g. `onnx/model.onnx`. */
  path: string
  file: Blob
}

/**
 * A folder picked or dropped by the user. Paths may carry the folder's own name as a first
 * segment (`webkitRelativePath`); it is stripped when config.json sits one level down.
 */
export class LocalModelSource implements ModelSource {
  readonly kind = 'local' as const
  readonly key: string
  private files = new Map<string, Blob>()

  constructor(
    entries: LocalFileEntry[],
    readonly label: string,
  ) {
    const paths = entries.map((e) => e.path.replace(/^\/+/, ''))
    const prefix = paths.includes('config.json')
      ? ''
      : (paths.find((p) => /^[^/]+\/config\.json$/.test(p))?.split('/')[0] ?? '')
    entries.forEach((e, i) => {
      const p = prefix && paths[i].startsWith(prefix + '/') ? paths[i].slice(prefix.length + 1) : paths[i]
      this.files.set(p, e.file)
    })
    const total = entries.reduce((s, e) => s + e.file.size, 0)
    this.key = `local:${label}:${this.files.size}:${total}`
  }

  async list(): Promise<ListedFile[]> {
    return [...this.files].map(([path, f]) => ({ path, size: f.size }))
  }

  async read(path: string, opts: ReadOptions = {}): Promise<Uint8Array | undefined> {
    const f = this.files.get(path)
    if (!f) {
      if (opts.optional) return undefined
      throw new DownloadError(`${path} is missing from the folder "${this.label}"`, path, 404)
    }
    const buf = new Uint8Array(f.size)
    let loaded = 0
    const reader = f.stream().getReader()
    for (;;) {
      if (opts.signal?.aborted) throw new DOMException('Loading was cancelled', 'AbortError')
      const { done, value } = await reader.read()
      if (done) break
      buf.set(value, loaded)
      loaded += value.length
      opts.onProgress?.({ file: path, loaded, total: f.size, bytesPerSecond: 0, etaSeconds: undefined, fromCache: false })
    }
    return buf
  }
}
