// Opening generated models with the lab's loader, in memory (no disk), for the timing sections.
import * as ort from 'onnxruntime-web'
import { loadCausalLM } from '../../src/core/model/loader.ts'
import { LocalModelSource } from '../../src/core/model/sources.ts'
import type { CausalLM } from '../../src/core/model/causal-lm.ts'
import { nodeEnvironment } from '../../src/cli/model.ts'
import type { TinyModelBuild } from '../../src/core/testmodels/package.ts'

export { ort }

export function openBuild(build: TinyModelBuild, opts: { instrument?: boolean } = {}): Promise<CausalLM> {
  ort.env.logLevel = 'error'
  const source = new LocalModelSource(
    [...build.files].map(([path, bytes]) => ({ path, file: new Blob([bytes as BlobPart]) })),
    build.definition.id,
  )
  return loadCausalLM(source, { ort, env: nodeEnvironment(), device: 'wasm', instrument: opts.instrument })
}

export function ortVersions(): Record<string, string> {
  return { 'onnxruntime-web': ort.env.versions?.web ?? 'unknown', 'wasm threads': String(ort.env.wasm.numThreads ?? 1) }
}
