import * as Comlink from 'comlink'
import type { AnalysisWorkerApi } from '../../workers/analysis.worker.ts'

let remote: Comlink.Remote<AnalysisWorkerApi> | undefined

export function analysisWorker(): Comlink.Remote<AnalysisWorkerApi> {
  if (!remote) {
    const worker = new Worker(new URL('../../workers/analysis.worker.ts', import.meta.url), { type: 'module', name: 'analysis' })
    remote = Comlink.wrap<AnalysisWorkerApi>(worker)
  }
  return remote
}
