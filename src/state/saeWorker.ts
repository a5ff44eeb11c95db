import * as Comlink from 'comlink'
import type { SaeWorkerApi } from '../../workers/sae.worker.ts'

let remote: Comlink.Remote<SaeWorkerApi> | undefined

export function saeWorker(): Comlink.Remote<SaeWorkerApi> {
  if (!remote) {
    const worker = new Worker(new URL('../../workers/sae.worker.ts', import.meta.url), { type: 'module', name: 'sae' })
    remote = Comlink.wrap<SaeWorkerApi>(worker)
  }
  return remote
}
