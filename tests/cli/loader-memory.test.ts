// The loader hands the downloaded .onnx to onnxruntime as external data instead of re-encoding its
// weights (src/core/model/loader.ts, measured by `npm run bench -- --only memory`). Here: through the
// CLI's NodeDirSource, what onnxruntime receives, and that nothing numerical changes.
import { afterAll, describe, expect, it } from 'vitest'
import { Buffer } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as ort from 'onnxruntime-web'
import { INLINE_WEIGHTS_LOCATION, loadCausalLM, pointInitializersIntoFile } from '../../src/core/model/loader.ts'
import { NodeDirSource } from '../../src/cli/node-source.ts'
import { nodeEnvironment } from '../../src/cli/model.ts'
import { BUILTIN_MODELS, TEST_MODELS, buildTinyModel } from '../../src/core/testmodels/package.ts'
import { decodeModel } from '../../src/core/onnx/proto.ts'
import { externalInfo } from '../../src/core/onnx/tensor.ts'
import { tempDir, writeFolder } from './helpers.ts'

type Create = typeof ort.InferenceSession.create

/** onnxruntime-web with InferenceSession.create recorded. */
function recordingOrt() {
  const calls: { bytes: Uint8Array; options: Parameters<Create>[1] }[] = []
  const create = (async (bytes: Uint8Array, options?: ort.InferenceSession.SessionOptions) => {
    calls.push({ bytes, options })
    return ort.InferenceSession.create(bytes, options)
  }) as Create
  return { ort: { ...ort, InferenceSession: { ...ort.InferenceSession, create } } as typeof ort, calls }
}

describe('opening a model without copying its weights in JavaScript', () => {
  const tmp = tempDir()
  afterAll(() => tmp.remove())

  it('re-points inline weights into the file itself; the session gets a small graph and the untouched file', async () => {
    const build = buildTinyModel(BUILTIN_MODELS[0])
    const dir = writeFolder(join(tmp.dir, 'inline'), build.files)
    const onDisk = readFileSync(join(dir, 'onnx/model.onnx'))
    const rec = recordingOrt()
    const model = await loadCausalLM(new NodeDirSource(dir), { ort: rec.ort, env: nodeEnvironment() })
    const plain = await loadCausalLM(new NodeDirSource(dir), { ort: rec.ort, env: nodeEnvironment(), instrument: false })
    try {
      const [instrumented, untouched] = rec.calls
      expect(instrumented.bytes.length).toBeLessThan(onDisk.length / 10)
      const ext = instrumented.options!.externalData as { path: string; data: Uint8Array }[]
      expect(ext.map((e) => e.path)).toEqual([INLINE_WEIGHTS_LOCATION])
      expect(Buffer.compare(ext[0].data, onDisk)).toBe(0)
      // Every large initializer of the session's graph points at its own bytes in the file.
      const graph = decodeModel(instrumented.bytes)
      const original = new Map(decodeModel(onDisk).graph.initializer.map((t) => [t.name, t]))
      let pointed = 0
      for (const t of graph.graph.initializer) {
        const e = externalInfo(t)
        if (!e) continue
        pointed++
        const raw = original.get(t.name)!.rawData!
        expect(Buffer.compare(onDisk.subarray(e.offset, e.offset + e.length), raw)).toBe(0)
      }
      expect(pointed).toBeGreaterThan(4 * build.config.nLayers)
      // instrument:false still runs the published bytes as they are: the control for bit-identity.
      expect(Buffer.compare(untouched.bytes, onDisk)).toBe(0)
      expect(untouched.options!.externalData).toBeUndefined()
      const texts = ['It is good to help a friend.', 'Stealing']
      expect(Array.from((await model.nextTokenLogits(texts)).logits)).toEqual(Array.from((await plain.nextTokenLogits(texts)).logits))
    } finally {
      await model.dispose()
      await plain.dispose()
    }
  })

  it('keeps a model’s own external data file as it is', async () => {
    const build = buildTinyModel(TEST_MODELS.find((d) => d.style === 'fused')!)
    const dir = writeFolder(join(tmp.dir, 'fused'), build.files)
    const rec = recordingOrt()
    const model = await loadCausalLM(new NodeDirSource(dir), { ort: rec.ort, env: nodeEnvironment() })
    try {
      const ext = rec.calls[0].options!.externalData as { path: string; data: Uint8Array }[]
      const dataFile = [...build.files.keys()].find((p) => p.startsWith('onnx/') && !p.endsWith('.onnx'))!
      const own = ext.find((e) => e.path === dataFile.slice('onnx/'.length))!
      expect(Buffer.compare(own.data, build.files.get(dataFile)!)).toBe(0)
      expect(ext.every((e) => e.path === own.path || e.path === INLINE_WEIGHTS_LOCATION)).toBe(true)
      expect(model.info.hooks.style).toBe('fused')
    } finally {
      await model.dispose()
    }
  })

  it('pointInitializersIntoFile moves only large payloads that are views into the file', () => {
    const build = buildTinyModel(BUILTIN_MODELS[1])
    const file = build.files.get('onnx/model.onnx')!
    const model = decodeModel(file)
    const before = model.graph.initializer.map((t) => ({ name: t.name, size: t.rawData?.length ?? 0 }))
    model.graph.initializer.push({ name: 'fresh', dims: [512], dataType: 1, rawData: new Uint8Array(2048), dirty: true })
    const moved = pointInitializersIntoFile(model, file, 'weights.bin')
    expect(moved).toBe(before.filter((t) => t.size >= 1024).reduce((s, t) => s + t.size, 0))
    for (const t of model.graph.initializer) {
      const large = (before.find((b) => b.name === t.name)?.size ?? 0) >= 1024
      expect(externalInfo(t)?.location).toBe(large ? 'weights.bin' : undefined)
    }
    expect(model.graph.initializer.find((t) => t.name === 'fresh')!.rawData).toHaveLength(2048)
  })
})
