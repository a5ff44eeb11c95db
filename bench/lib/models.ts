// Generated models for the benchmarks (random weights, fixed seeds) and inputs of an exact length.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { buildTinyModel, type TinyModelDefinition } from '../../src/core/testmodels/package.ts'
import { TOKENIZER_CORPUS } from '../../src/core/testmodels/corpus.ts'
import { decodeModel, encodeModel } from '../../src/core/onnx/proto.ts'
import { makeExternalTensor } from '../../src/core/onnx/tensor.ts'
import { Rng } from '../../src/core/random.ts'

type Config = TinyModelDefinition['config']

function definition(id: string, description: string, config: Config): TinyModelDefinition {
  return { id, title: id, description, style: 'unfused', instruct: false, config }
}

const LLAMA_BASE = { family: 'llama', maxPositions: 512, ropeTheta: 10000, eps: 1e-5, qkvBias: false, tieEmbeddings: true } as const

/** Issue 3's "realistic shape": width 512, 8 layers, 8 heads (4 KV heads, GQA), SwiGLU MLP 1376. */
export const REALISTIC_MODEL = definition('bench-llama-512x8', 'width 512, 8 layers, 8 heads (GQA 4 KV), MLP 1376, vocab 595', {
  ...LLAMA_BASE,
  dModel: 512,
  nLayers: 8,
  nHeads: 8,
  nKvHeads: 4,
  dHead: 64,
  dMlp: 1376,
  seed: 3003,
})

/** For --quick smoke runs. */
export const QUICK_MODEL = definition('bench-llama-128x2', 'width 128, 2 layers, 4 heads (GQA 2 KV), MLP 256', {
  ...LLAMA_BASE,
  dModel: 128,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  dHead: 32,
  dMlp: 256,
  seed: 3004,
})

/** A few hundred MB of fp32 weights, for peak memory while opening. */
export const MEMORY_MODEL = definition('bench-llama-1024x12', 'width 1024, 12 layers, 16 heads (GQA 4 KV), MLP 768', {
  ...LLAMA_BASE,
  dModel: 1024,
  nLayers: 12,
  nHeads: 16,
  nKvHeads: 4,
  dHead: 64,
  dMlp: 768,
  seed: 3005,
})

export const QUICK_MEMORY_MODEL = definition('bench-llama-256x4', 'width 256, 4 layers, 4 heads (GQA 2 KV), MLP 512', {
  ...LLAMA_BASE,
  dModel: 256,
  nLayers: 4,
  nHeads: 4,
  nKvHeads: 2,
  dHead: 64,
  dMlp: 512,
  seed: 3006,
})

export function buildModel(def: TinyModelDefinition) {
  return buildTinyModel(def)
}

export function writeFolder(dir: string, files: Map<string, Uint8Array>): string {
  for (const [rel, bytes] of files) {
    const path = join(dir, rel)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, bytes)
  }
  return dir
}

/**
 * The same graph with every initializer of at least `threshold` bytes moved to an external data
 * file (as optimum does above 2 GB and onnxruntime-genai always does).
 */
export function toExternalData(onnx: Uint8Array, location = 'model.onnx_data', threshold = 1024): { onnx: Uint8Array; data: Uint8Array } {
  const model = decodeModel(onnx)
  const chunks: { offset: number; bytes: Uint8Array }[] = []
  let size = 0
  model.graph.initializer = model.graph.initializer.map((t) => {
    if (!t.rawData || t.rawData.length < threshold) return t
    const offset = Math.ceil(size / 4096) * 4096
    chunks.push({ offset, bytes: t.rawData })
    size = offset + t.rawData.length
    return makeExternalTensor(t.name, t.dims.map(Number), t.dataType, location, offset, t.rawData.length)
  })
  const data = new Uint8Array(size)
  for (const c of chunks) data.set(c.bytes, c.offset)
  return { onnx: encodeModel(model), data }
}

/**
 * `count` texts of exactly `tokens` tokens each: words that are single tokens with a leading space
 * (GPT-2 pre-tokenisation never merges across them), drawn with a fixed seed.
 */
export function textsOfLength(encode: (text: string) => number[], count: number, tokens: number, seed = 1): string[] {
  const words = [...new Set(TOKENIZER_CORPUS.split(/[^A-Za-z]+/).filter((w) => w.length > 1))].filter(
    (w) => encode(` ${w}`).length === 1,
  )
  if (words.length < 10) throw new Error(`only ${words.length} single-token words in the tokenizer corpus`)
  const rng = new Rng(seed)
  const texts: string[] = []
  for (let i = 0; i < count; i++) {
    const text = Array.from({ length: tokens }, () => ` ${words[rng.int(words.length)]}`).join('')
    const n = encode(text).length
    if (n !== tokens) throw new Error(`a generated text has ${n} tokens, expected ${tokens}`)
    texts.push(text)
  }
  return texts
}

const builds = new Map<string, ReturnType<typeof buildTinyModel>>()

/** One build per definition per process (sections share the realistic model). */
export function cachedBuild(def: TinyModelDefinition) {
  let b = builds.get(def.id)
  if (!b) {
    b = buildTinyModel(def)
    builds.set(def.id, b)
  }
  return b
}
