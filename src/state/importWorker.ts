import * as Comlink from 'comlink'
import type { ImportWorkerApi } from '../../workers/import.worker.ts'

let remote: Comlink.Remote<ImportWorkerApi> | undefined

export function importWorker(): Comlink.Remote<ImportWorkerApi> {
  if (!remote) {
    const worker = new Worker(new URL('../../workers/import.worker.ts', import.meta.url), { type: 'module', name: 'import' })
    remote = Comlink.wrap<ImportWorkerApi>(worker)
  }
  return remote
}
