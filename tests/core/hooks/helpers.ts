import * as ort from 'onnxruntime-web'
import { LocalModelSource } from '../../../src/core/model/sources.ts'
import { loadCausalLM } from '../../../src/core/model/loader.ts'
import type { Environment } from '../../../src/core/model/device.ts'
import type { TinyModelBuild } from '../../../src/core/testmodels/package.ts'

export const nodeEnv: Environment = {
  gpu: null,
  gpuUnavailableReason: 'Node has no WebGPU',
  crossOriginIsolated: false,
  hardwareConcurrency: 2,
  wasmThreads: 1,
  wasmThreadsReason: 'test',
}

export function sourceOf(build: TinyModelBuild, files = build.files) {
  return new LocalModelSource(
    [...files].map(([path, bytes]) => ({ path, file: new Blob([bytes as BlobPart]) })),
    build.definition.id,
  )
}

export function loadBuild(build: TinyModelBuild, opts: { instrument?: boolean } = {}) {
  return loadCausalLM(sourceOf(build), { ort, env: nodeEnv, instrument: opts.instrument })
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

export function randomUnit(d: number, seed: number): Float32Array {
  let s = seed >>> 0
  const v = new Float32Array(d)
  for (let i = 0; i < d; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    v[i] = s / 2 ** 32 - 0.5
  }
  const n = Math.hypot(...v)
  return v.map((x) => x / n)
}
