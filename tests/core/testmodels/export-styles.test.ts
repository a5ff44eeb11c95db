// The test-only export styles (fused onnxruntime-genai-style with external data, legacy GPT-2 with
// stacked fp16 pasts) against the independent reference forward pass.
import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { BUILTIN_MODELS, TEST_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { referenceForward } from '../../../src/core/testmodels/reference.ts'
import { exportUnfused } from '../../../src/core/testmodels/export-unfused.ts'
import { exportFused } from '../../../src/core/testmodels/export-fused.ts'
import { generateWeights } from '../../../src/core/testmodels/spec.ts'
import { decodeModel, encodeModel, DataType } from '../../../src/core/onnx/proto.ts'
import { externalInfo, readTensor } from '../../../src/core/onnx/tensor.ts'
import { sha256Hex } from '../../../src/core/hash.ts'

type Build = ReturnType<typeof buildTinyModel>
type Outputs = Record<string, ort.Tensor>

const definition = (id: string) => TEST_MODELS.find((d) => d.id === id)!

async function open(build: Build, withExternalData = true) {
  const data = build.files.get('onnx/model.onnx_data')
  return ort.InferenceSession.create(build.files.get('onnx/model.onnx')!, {
    ...(withExternalData && data ? { externalData: [{ path: 'model.onnx_data', data }] } : {}),
  })
}

/**
 * Inputs for right-padded rows. `past` are the previous call's outputs and `pastMask` its mask: the
 * new tokens append columns, so a row's next position is its count of ones so far.
 */
function feeds(build: Build, rows: number[][], past?: Outputs, pastMask?: number[][]) {
  const c = build.config
  const B = rows.length
  const S = Math.max(...rows.map((r) => r.length))
  const mask = rows.map((r, b) => [...(pastMask?.[b] ?? []), ...Array.from({ length: S }, (_, i) => (i < r.length ? 1 : 0))])
  const T = mask[0].length
  const ids = rows.flatMap((r) => Array.from({ length: S }, (_, i) => BigInt(r[i] ?? 0)))
  const positions = rows.flatMap((_, b) => {
    const seen = (pastMask?.[b] ?? []).reduce((a, m) => a + m, 0)
    return Array.from({ length: S }, (_, i) => BigInt(seen + i))
  })
  const inputs: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids), [B, S]),
    attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask.flat().map(BigInt)), [B, T]),
  }
  const legacy = build.definition.variant === 'stacked-fp16-past'
  if (!legacy) inputs.position_ids = new ort.Tensor('int64', BigInt64Array.from(positions), [B, S])
  for (let l = 0; l < c.nLayers; l++) {
    if (legacy) {
      inputs[`past_${l}`] = past?.[`present_${l}`] ?? new ort.Tensor('float16', new Uint16Array(0), [2, B, c.nKvHeads, 0, c.dHead])
      continue
    }
    for (const kv of ['key', 'value'])
      inputs[`past_key_values.${l}.${kv}`] =
        past?.[`present.${l}.${kv}`] ?? new ort.Tensor('float32', new Float32Array(0), [B, c.nKvHeads, 0, c.dHead])
  }
  return { inputs, mask }
}

function maxAbsDiff(a: ArrayLike<number>, aOffset: number, b: ArrayLike<number>, bOffset: number, n: number) {
  let e = 0
  for (let i = 0; i < n; i++) e = Math.max(e, Math.abs(a[aOffset + i] - b[bOffset + i]))
  return e
}

const SEQS = [
  [5, 300, 17, 42, 500, 8, 99, 250],
  [3, 4, 250],
  [11, 412, 13, 140, 15],
]
const NEXT = [77, 88, 501]

describe.each(TEST_MODELS.map((d) => [d.id, d] as const))('test model %s', (_id, def) => {
  const build = buildTinyModel(def)
  const V = build.config.vocabSize
  // The legacy model's cache holds fp16 keys/values; the reference rounds its own the same way. Its
  // fp64 keys and the graph's fp32 keys fall on different sides of an fp16 rounding boundary a few
  // times in 10⁴, and one such ulp moves the logits by up to ~4·10⁻⁴ (fp16 rounding as a whole: ~4·10⁻³).
  const fp16Cache = def.variant === 'stacked-fp16-past'
  const cacheOpts = (n: number) => (fp16Cache ? { float16CacheFrom: n } : {})
  const decodeTolerance = fp16Cache ? 1e-3 : 1e-4

  it('is not a built-in model', () => {
    expect(BUILTIN_MODELS.map((d) => d.id)).not.toContain(def.id)
  })

  it('gives the reference logits for single sequences and a right-padded batch', async () => {
    const session = await open(build)
    const S = Math.max(...SEQS.map((s) => s.length))
    const batch = (await session.run(feeds(build, SEQS).inputs)).logits
    expect(batch.dims).toEqual([SEQS.length, S, V])
    for (const [b, seq] of SEQS.entries()) {
      const ref = referenceForward(build.config, build.weights, seq).logits
      const alone = (await session.run(feeds(build, [seq]).inputs)).logits.data as Float32Array
      expect(maxAbsDiff(alone, 0, ref, 0, seq.length * V)).toBeLessThan(1e-4)
      expect(maxAbsDiff(batch.data as Float32Array, b * S * V, ref, 0, seq.length * V)).toBeLessThan(1e-4)
    }
    await session.release()
  })

  it('decodes one token per row against the padded prompt’s cache like the reference on the full text', async () => {
    const session = await open(build)
    const prompt = feeds(build, SEQS)
    const cache = await session.run(prompt.inputs)
    const next = feeds(build, NEXT.map((t) => [t]), cache, prompt.mask)
    const step = await session.run(next.inputs)
    expect(step.logits.dims).toEqual([SEQS.length, 1, V])
    let exactErr = 0
    for (const [b, seq] of SEQS.entries()) {
      const full = [...seq, NEXT[b]]
      const ref = referenceForward(build.config, build.weights, full, [], cacheOpts(seq.length)).logits
      expect(maxAbsDiff(step.logits.data as Float32Array, b * V, ref, seq.length * V, V)).toBeLessThan(decodeTolerance)
      const exact = referenceForward(build.config, build.weights, full).logits
      exactErr = Math.max(exactErr, maxAbsDiff(step.logits.data as Float32Array, b * V, exact, seq.length * V, V))
    }
    // The legacy cache really is fp16: it is further from the unrounded reference.
    if (fp16Cache) expect(exactErr).toBeGreaterThan(1e-3)
    else expect(exactErr).toBeLessThan(1e-4)
    // A second step on the first one's cache (padded rows now have a gap of pads before the new token).
    const step2 = await session.run(feeds(build, SEQS.map((_, b) => [7 + b]), step, next.mask).inputs)
    for (const [b, seq] of SEQS.entries()) {
      const full = [...seq, NEXT[b], 7 + b]
      const ref = referenceForward(build.config, build.weights, full, [], cacheOpts(seq.length)).logits
      expect(maxAbsDiff(step2.logits.data as Float32Array, b * V, ref, (seq.length + 1) * V, V)).toBeLessThan(decodeTolerance)
    }
    await session.release()
  })
})

describe('fused export (tiny-qwen-fused)', () => {
  const def = definition('tiny-qwen-fused')
  const build = buildTinyModel(def)
  const onnx = build.files.get('onnx/model.onnx')!
  const data = build.files.get('onnx/model.onnx_data')!
  const model = decodeModel(onnx)
  const nodes = model.graph.node
  const L = build.config.nLayers
  const count = (op: string) => nodes.filter((n) => n.opType === op).length

  it('uses the fused contrib ops and no Add on the residual stream', () => {
    expect(model.opsetImport).toEqual(
      expect.arrayContaining([
        { domain: '', version: 21 },
        { domain: 'com.microsoft', version: 1 },
      ]),
    )
    const byName = new Map(nodes.map((n) => [n.name, n]))
    expect(byName.get('/model/embed_tokens/Gather')?.opType).toBe('Gather')
    const first = byName.get('/model/layers.0/input_layernorm/LayerNorm')!
    expect([first.opType, first.domain]).toEqual(['SimplifiedLayerNormalization', ''])
    expect(count('SkipSimplifiedLayerNormalization')).toBe(2 * L)
    expect(count('RotaryEmbedding')).toBe(2 * L)
    expect(count('GroupQueryAttention')).toBe(L)
    // The only Adds are the q/k/v biases.
    expect(nodes.filter((n) => n.opType === 'Add').map((n) => n.name.split('/').at(-2))).toEqual(
      Array.from({ length: L }, () => ['q_proj', 'k_proj', 'v_proj']).flat(),
    )
    for (const n of nodes.filter((n) => ['SkipSimplifiedLayerNormalization', 'RotaryEmbedding', 'GroupQueryAttention'].includes(n.opType)))
      expect(n.domain).toBe('com.microsoft')
    for (let l = 0; l < L; l++) {
      const gqa = byName.get(`/model/layers.${l}/attn/GroupQueryAttention`)!
      expect(gqa.input.slice(5)).toEqual([
        '/model/attn_mask_reformat/attn_mask_subgraph/Sub/Cast/output_0',
        '/model/attn_mask_reformat/attn_mask_subgraph/Gather/Cast/output_0',
      ])
      expect(gqa.output.slice(1)).toEqual([`present.${l}.key`, `present.${l}.value`])
      expect(byName.get(`/model/layers.${l}/attn/q_rotary/RotaryEmbedding`)!.input[1]).toBe('position_ids')
    }
  })

  it('emits the residual sums as output 3 of the SkipLayerNorms, except the final norm', () => {
    const byName = new Map(nodes.map((n) => [n.name, n]))
    for (let l = 0; l < L; l++) {
      const mid = byName.get(`/model/layers.${l}/post_attention_layernorm/SkipLayerNorm`)!
      expect(mid.output).toEqual([
        `/model/layers.${l}/post_attention_layernorm/output_0`,
        '',
        '',
        `/model/layers.${l}/post_attention_layernorm/output_3`,
      ])
      if (l + 1 < L) {
        const post = byName.get(`/model/layers.${l + 1}/input_layernorm/SkipLayerNorm`)!
        expect(post.output[3]).toBe(`/model/layers.${l + 1}/input_layernorm/output_3`)
        // resid_mid of layer l is the skip input of the next norm.
        expect(post.input[1]).toBe(mid.output[3])
      }
    }
    const final = byName.get(`/model/layers.${L}/final_norm_layernorm/SkipLayerNorm`)!
    expect(final.opType).toBe('SkipSimplifiedLayerNormalization')
    expect(final.output).toEqual([`/model/layers.${L}/final_norm_layernorm/output_0`])
  })

  it('keeps the weights in model.onnx_data, aligned and equal to the generated ones', () => {
    const weightBytes = build.weights.embed.byteLength * 2 // embed_tokens and the lm_head copy
    expect(data.length).toBeGreaterThan(weightBytes)
    expect(onnx.length).toBeLessThan(data.length / 10)
    for (const t of model.graph.initializer) {
      const ext = externalInfo(t)
      const bytes = ext ? ext.length : (t.rawData?.length ?? 0)
      if (bytes > 1024) {
        expect(ext, t.name).toBeDefined()
        expect(ext!.location).toBe('model.onnx_data')
        expect(ext!.offset % 64).toBe(0)
        expect(ext!.offset + ext!.length).toBeLessThanOrEqual(data.length)
      } else expect(ext, t.name).toBeUndefined()
    }
    const find = (name: string) => model.graph.initializer.find((t) => t.name === name)!
    expect(readTensor(find('model.embed_tokens.weight'), { 'model.onnx_data': data })).toEqual(build.weights.embed)
    expect(readTensor(find('lm_head.MatMul.weight'), { 'model.onnx_data': data })).toEqual(build.weights.unembed)
    expect(readTensor(find('model.layers.3.mlp.down_proj.MatMul.weight'), { 'model.onnx_data': data })).toEqual(build.weights.layers[3].wOut)
  })

  it('cannot open without its external data file', async () => {
    await expect(open(build, false)).rejects.toThrow(/external data|model\.onnx_data/i)
  })

  it('refuses GPT-2 weights', () => {
    const cfg = { ...BUILTIN_MODELS[1].config, vocabSize: 50 }
    expect(() => exportFused(cfg, generateWeights(cfg))).toThrow(/family "gpt2"/)
  })
})

describe('legacy GPT-2 export (tiny-gpt2-legacy)', () => {
  const build = buildTinyModel(definition('tiny-gpt2-legacy'))
  const model = decodeModel(build.files.get('onnx/model.onnx')!)
  const { nKvHeads: H, dHead: dh, nLayers: L } = build.config
  const shapeOf = (v: (typeof model.graph.input)[number]) => v.type!.tensor!.shape!.map((d) => d.param ?? Number(d.value))

  it('declares stacked float16 pasts and presents and no position_ids', () => {
    expect(model.graph.input.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', ...Array.from({ length: L }, (_, l) => `past_${l}`)])
    for (let l = 0; l < L; l++) {
      const past = model.graph.input.find((i) => i.name === `past_${l}`)!
      expect(past.type!.tensor!.elemType).toBe(DataType.FLOAT16)
      expect(shapeOf(past)).toEqual([2, 'batch_size', H, 'past_sequence_length', dh])
      const present = model.graph.output.find((o) => o.name === `present_${l}`)!
      expect(present.type!.tensor!.elemType).toBe(DataType.FLOAT16)
      expect(shapeOf(present)).toEqual([2, 'batch_size', H, 'total_sequence_length', dh])
    }
  })

  it('keeps the unfused residual naming of the default GPT-2 export', () => {
    const names = new Set(model.graph.node.map((n) => n.name))
    for (let l = 0; l < L; l++) for (const n of [`/transformer/h.${l}/Add`, `/transformer/h.${l}/Add_1`]) expect(names).toContain(n)
  })

  it('leaves the default export unchanged when asked for split pasts', () => {
    for (const def of BUILTIN_MODELS) {
      const b = buildTinyModel(def, { onnx: false })
      const plain = encodeModel(exportUnfused(b.config, b.weights))
      const split = encodeModel(exportUnfused(b.config, b.weights, { pastStyle: 'split' }))
      expect(sha256Hex(split)).toBe(sha256Hex(plain))
      expect(decodeModel(plain).graph.input.map((i) => i.name)).toContain('position_ids')
    }
  })
})
