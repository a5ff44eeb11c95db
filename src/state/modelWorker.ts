// The one model worker of the tab, wrapped by comlink.
import * as Comlink from 'comlink'
import type { ModelWorkerApi } from '../../workers/model.worker.ts'

let remote: Comlink.Remote<ModelWorkerApi> | undefined

export function modelWorker(): Comlink.Remote<ModelWorkerApi> {
  if (!remote) {
    const worker = new Worker(new URL('../../workers/model.worker.ts', import.meta.url), { type: 'module', name: 'model' })
    remote = Comlink.wrap<ModelWorkerApi>(worker)
  }
  return remote
}

export { Comlink }
