// Thin comlink adapter: parses users' dataset files off the main thread, streaming.
import * as Comlink from 'comlink'
import { openStimulusFile, inspectSample, type FileInspection } from '../src/core/importers/open.ts'
import { readableStreamChunks } from '../src/core/importers/import.ts'
import type { FormatId, ImportOptions, ImportResult } from '../src/core/importers/types.ts'

export type ImportSource = { file: File } | { url: string; name?: string }

const jobs = new Map<string, AbortController>()

async function open(source: ImportSource, signal: AbortSignal): Promise<{ stream: ReadableStream<Uint8Array>; name: string; size?: number }> {
  if ('file' in source) return { stream: source.file.stream(), name: source.file.name, size: source.file.size }
  let res: Response
  try {
    res = await fetch(source.url, { signal })
  } catch (e) {
    throw new Error(`Could not fetch ${source.url}: ${(e as Error).message}`)
  }
  if (!res.ok || !res.body) throw new Error(`${source.url}: HTTP ${res.status} ${res.statusText}`)
  const name = source.name ?? decodeURIComponent(new URL(source.url).pathname.split('/').pop() || 'download')
  const size = Number(res.headers.get('content-length') ?? 0) || undefined
  return { stream: res.body, name, size }
}

const api = {
  async inspect(source: ImportSource): Promise<FileInspection & { name: string }> {
    const controller = new AbortController()
    const { stream, name } = await open(source, controller.signal)
    const reader = stream.getReader()
    const parts: Uint8Array[] = []
    let n = 0
    let complete = false
    while (n < 64 * 1024) {
      const r = await reader.read()
      if (r.done) {
        complete = true
        break
      }
      parts.push(r.value)
      n += r.value.length
    }
    void reader.cancel().catch(() => {})
    const head = new Uint8Array(n)
    let o = 0
    for (const p of parts) {
      head.set(p, o)
      o += p.length
    }
    return { ...inspectSample(head, name, complete), name }
  },

  async importFile(
    source: ImportSource,
    req: { format: FormatId | 'auto'; options?: ImportOptions },
    jobId: string,
    onProgress?: (bytes: number, total: number | undefined) => void,
  ): Promise<ImportResult> {
    const controller = new AbortController()
    jobs.set(jobId, controller)
    try {
      const { stream, name, size } = await open(source, controller.signal)
      let last = 0
      return await openStimulusFile(readableStreamChunks(stream), {
        fileName: name,
        format: req.format,
        options: { yieldEvery: 5000, ...req.options },
        signal: controller.signal,
        onProgress: (bytes) => {
          const now = Date.now()
          if (now - last > 100) {
            last = now
            onProgress?.(bytes, size)
          }
        },
      })
    } finally {
      jobs.delete(jobId)
    }
  },

  cancel(jobId: string): void {
    jobs.get(jobId)?.abort()
  },
}

export type ImportWorkerApi = typeof api
Comlink.expose(api)
