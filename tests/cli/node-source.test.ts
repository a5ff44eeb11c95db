import { afterAll, describe, expect, it } from 'vitest'
import { Buffer } from 'node:buffer'
import { symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ModelFolderError, NodeDirSource } from '../../src/cli/node-source.ts'
import { dtypeOptions } from '../../src/core/model/files.ts'
import { tempDir, writeFolder } from './helpers.ts'

describe('NodeDirSource', () => {
  const tmp = tempDir()
  afterAll(() => tmp.remove())
  const big = new Uint8Array((17 << 20) + 3).map((_, i) => i * 7)
  const files = new Map<string, Uint8Array>([
    ['config.json', new TextEncoder().encode('{"model_type":"llama"}')],
    ['onnx/model.onnx', new Uint8Array([1, 2, 3])],
    ['onnx/model.onnx_data', big],
    ['onnx/model_q4.onnx', new Uint8Array(10)],
  ])
  const dir = writeFolder(join(tmp.dir, 'm'), files)
  writeFileSync(join(dir, '.hidden'), 'x')

  it('lists the folder recursively with sizes, so dtypes and sizes are known before reading', async () => {
    const src = new NodeDirSource(dir)
    expect(await src.list()).toEqual([
      { path: 'config.json', size: 22 },
      { path: 'onnx/model.onnx', size: 3 },
      { path: 'onnx/model.onnx_data', size: big.length },
      { path: 'onnx/model_q4.onnx', size: 10 },
    ])
    expect(dtypeOptions(await src.list())).toEqual([
      { dtype: 'fp32', onnxPath: 'onnx/model.onnx', bytes: 3 + big.length, dataFiles: ['onnx/model.onnx_data'] },
      { dtype: 'q4', onnxPath: 'onnx/model_q4.onnx', bytes: 10, dataFiles: [] },
    ])
    expect(src.kind).toBe('local')
    expect(src.key).toBe(`local:m:4:${22 + 3 + big.length + 10}`)
  })

  it('reads files whole, in chunks with progress', async () => {
    const src = new NodeDirSource(dir)
    const seen: number[] = []
    const bytes = await src.read('onnx/model.onnx_data', { onProgress: (p) => seen.push(p.loaded) })
    expect(bytes!.length).toBe(big.length)
    expect(Buffer.compare(bytes!, big)).toBe(0)
    expect(seen.length).toBeGreaterThan(1)
    expect(seen.at(-1)).toBe(big.length)
  })

  it('says which file is missing, or returns undefined for optional files', async () => {
    const src = new NodeDirSource(dir, { label: 'my-model' })
    await expect(src.read('tokenizer.json')).rejects.toThrow('tokenizer.json is missing from the folder my-model')
    expect(await src.read('tokenizer.json', { optional: true })).toBeUndefined()
  })

  it('refuses paths outside the folder (external data locations come from the graph)', async () => {
    const src = new NodeDirSource(dir)
    writeFileSync(join(tmp.dir, 'secret.txt'), 's')
    await expect(src.read('../secret.txt')).rejects.toThrow(/points outside the model folder/)
    await expect(src.read('onnx/../../secret.txt', { optional: true })).rejects.toThrow(/points outside/)
    await expect(src.read(join(tmp.dir, 'secret.txt'))).rejects.toThrow(/points outside/)
  })

  it('follows symlinked files (hub caches link blobs into snapshots)', async () => {
    const linked = join(tmp.dir, 'linked')
    writeFolder(linked, new Map([['config.json', files.get('config.json')!]]))
    symlinkSync(join(dir, 'onnx'), join(linked, 'onnx'))
    symlinkSync(join(dir, 'onnx', 'model.onnx'), join(linked, 'model-link.onnx'))
    const src = new NodeDirSource(linked)
    expect((await src.list()).map((f) => f.path)).toContain('model-link.onnx')
    expect(await src.read('model-link.onnx')).toEqual(new Uint8Array([1, 2, 3]))
  })

  it('refuses a missing folder or a file', () => {
    expect(() => new NodeDirSource(join(tmp.dir, 'nope'))).toThrow(ModelFolderError)
    expect(() => new NodeDirSource(join(dir, 'config.json'))).toThrow(/is a file, not a model folder/)
  })
})
