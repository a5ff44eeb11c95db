import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { startMockHub } from '../../../scripts/mock-hub.ts'
import { hubSource, LocalModelSource } from '../../../src/core/model/sources.ts'
import { loadCausalLM, describeModelFiles } from '../../../src/core/model/loader.ts'
import { MemoryFileCache } from '../../../src/core/model/download.ts'
import { BUILTIN_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { referenceForward } from '../../../src/core/testmodels/reference.ts'
import type { Environment } from '../../../src/core/model/device.ts'

const env: Environment = {
  gpu: null,
  gpuUnavailableReason: 'Node has no WebGPU',
  crossOriginIsolated: false,
  hardwareConcurrency: 2,
  wasmThreads: 1,
  wasmThreadsReason: 'test',
}

let hub: Awaited<ReturnType<typeof startMockHub>>
beforeAll(async () => {
  hub = await startMockHub()
})
afterAll(() => hub.server.close())

function localEntries(files: Map<string, Uint8Array>, drop: string[] = [], patch: Record<string, Uint8Array> = {}) {
  return [...files]
    .filter(([p]) => !drop.includes(p))
    .map(([path, bytes]) => ({ path: `my-model/${path}`, file: new Blob([(patch[path] ?? bytes) as BlobPart]) }))
}

describe('loading a causal LM', () => {
  const def = BUILTIN_MODELS[0]
  const build = buildTinyModel(def)

  it('lists dtypes and sizes from the hub API before downloading', async () => {
    const src = hubSource(`moral-lens-test/${def.id}`, { host: hub.url })
    const summary = await describeModelFiles(src)
    expect(summary.listed).toBe(true)
    expect(summary.options.map((o) => o.dtype)).toEqual(['fp32'])
    expect(summary.options[0].bytes).toBe(build.files.get('onnx/model.onnx')!.length)
  })

  it('loads from the hub with progress, caches files, and gives the reference logits', async () => {
    const cache = new MemoryFileCache()
    const src = hubSource(`moral-lens-test/${def.id}`, { host: hub.url, cache })
    const phases: string[] = []
    let lastLoaded = 0
    const model = await loadCausalLM(src, {
      ort,
      env,
      onProgress: (p) => {
        phases.push(p.phase)
        expect(p.loaded).toBeGreaterThanOrEqual(lastLoaded)
        lastLoaded = p.loaded
      },
    })
    expect(phases).toContain('download')
    expect(phases.at(-1)).toBe('ready')
    expect(model.info.device).toBe('wasm')
    expect(model.info.deviceReason).toMatch(/no WebGPU adapter/)
    expect(model.info.randomWeights).toBe(true)
    expect(model.info.nLayers).toBe(def.config.nLayers)
    const text = 'It is good to help a friend.'
    const { logits, batch } = await model.nextTokenLogits([text, 'Stealing is wrong'])
    const ref = referenceForward(build.config, build.weights, batch.ids[0])
    const V = build.config.vocabSize
    const last = ref.logits.subarray((batch.lengths[0] - 1) * V, batch.lengths[0] * V)
    let maxErr = 0
    for (let i = 0; i < V; i++) maxErr = Math.max(maxErr, Math.abs(logits[i] - last[i]))
    expect(maxErr).toBeLessThan(1e-4)
    // Right padding does not change the shorter text's logits.
    const alone = await model.nextTokenLogits(['Stealing is wrong'])
    for (let i = 0; i < V; i++) expect(Math.abs(alone.logits[i] - logits[V + i])).toBeLessThan(1e-4)
    expect((await cache.list()).map((f) => f.url.split('/').pop())).toContain('model.onnx')
    await model.dispose()
    // A second load is served from the cache.
    const before = hub.requests.length
    const again = await loadCausalLM(src, { ort, env })
    expect(hub.requests.slice(before).filter((p) => p.includes('/resolve/'))).toEqual([])
    await again.dispose()
  })

  it('names the missing tokenizer.json of a local folder', async () => {
    const src = new LocalModelSource(localEntries(build.files, ['tokenizer.json']), 'my-model')
    await expect(loadCausalLM(src, { ort, env })).rejects.toThrow(/tokenizer\.json is missing from my-model/)
  })

  it('says a truncated .onnx cannot be read', async () => {
    const onnx = build.files.get('onnx/model.onnx')!
    const src = new LocalModelSource(localEntries(build.files, [], { 'onnx/model.onnx': onnx.subarray(0, onnx.length / 2) }), 'my-model')
    await expect(loadCausalLM(src, { ort, env })).rejects.toThrow(/onnx\/model\.onnx in my-model could not be read as an ONNX model: .*truncated/)
  })

  it('can be cancelled while downloading', async () => {
    const slow = await startMockHub({ bytesPerSecond: 200_000 })
    try {
      const controller = new AbortController()
      const src = hubSource(`moral-lens-test/${def.id}`, { host: slow.url })
      const p = loadCausalLM(src, {
        ort,
        env,
        signal: controller.signal,
        onProgress: (pr) => {
          if (pr.phase === 'download' && pr.loaded > 50_000) controller.abort()
        },
      })
      await expect(p).rejects.toThrow(/abort|cancel/i)
    } finally {
      slow.server.close()
    }
  })

  it('rejects a dtype the model does not offer, naming what it offers', async () => {
    const src = hubSource(`moral-lens-test/${def.id}`, { host: hub.url })
    await expect(loadCausalLM(src, { ort, env, dtype: 'q4' })).rejects.toThrow(/has no q4 weights; it offers fp32/)
  })
})
