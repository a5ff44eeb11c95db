// A model folder on disk (config.json, tokenizer files, onnx/*.onnx and their external data) as a
// ModelSource, so the CLI opens models through the same loader as the browser.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { DownloadError } from '../core/model/download.ts'
import type { ListedFile, ModelSource, ReadOptions } from '../core/model/sources.ts'

/** Thrown when the folder itself cannot be used (missing, not a directory). */
export class ModelFolderError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ModelFolderError'
  }
}

// Progress granularity; each chunk is read straight into the final buffer.
const CHUNK = 16 << 20

function walk(root: string, dir: string, out: ListedFile[]) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue
    const full = join(dir, entry.name)
    if (entry.isDirectory()) walk(root, full, out)
    else if (entry.isFile() || entry.isSymbolicLink()) {
      const st = statSync(full, { throwIfNoEntry: false })
      if (st?.isFile()) out.push({ path: relative(root, full).split(sep).join('/'), size: st.size })
    }
  }
}

export class NodeDirSource implements ModelSource {
  readonly kind = 'local' as const
  readonly key: string
  readonly label: string
  /** Absolute path of the folder. */
  readonly dir: string
  private readonly files: ListedFile[]

  constructor(dir: string, opts: { label?: string } = {}) {
    this.dir = resolve(dir)
    this.label = opts.label ?? dir
    if (!existsSync(this.dir)) throw new ModelFolderError(`model folder ${dir} does not exist`)
    if (!statSync(this.dir).isDirectory()) throw new ModelFolderError(`${dir} is a file, not a model folder (expected a folder with config.json)`)
    this.files = []
    walk(this.dir, this.dir, this.files)
    this.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    const total = this.files.reduce((s, f) => s + f.size, 0)
    this.key = `local:${basename(this.dir)}:${this.files.length}:${total}`
  }

  async list(): Promise<ListedFile[]> {
    return this.files.map((f) => ({ ...f }))
  }

  /** Absolute path of a file inside the folder; refuses paths that leave it (`../`, absolute). */
  pathOf(path: string): string {
    const full = resolve(this.dir, path)
    const rel = relative(this.dir, full)
    if (isAbsolute(path) || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel))
      throw new DownloadError(`"${path}" points outside the model folder ${this.label}`, path, 400)
    return full
  }

  async read(path: string, opts: ReadOptions = {}): Promise<Uint8Array | undefined> {
    const full = this.pathOf(path)
    const st = statSync(full, { throwIfNoEntry: false })
    if (!st?.isFile()) {
      if (opts.optional) return undefined
      throw new DownloadError(`${path} is missing from the folder ${this.label}`, path, 404)
    }
    const fh = await open(full, 'r')
    try {
      const buf = new Uint8Array(st.size)
      let loaded = 0
      while (loaded < buf.length) {
        if (opts.signal?.aborted) throw new DOMException('Loading was cancelled', 'AbortError')
        const { bytesRead } = await fh.read(buf, loaded, Math.min(CHUNK, buf.length - loaded), loaded)
        if (bytesRead === 0) throw new DownloadError(`${path} in ${this.label} shrank while it was read`, path)
        loaded += bytesRead
        opts.onProgress?.({ file: path, loaded, total: buf.length, bytesPerSecond: 0, etaSeconds: undefined, fromCache: false })
      }
      return buf
    } finally {
      await fh.close()
    }
  }
}
