import { describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-web'
import { PreTrainedTokenizer } from '@huggingface/transformers'
import { BUILTIN_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { referenceForward } from '../../../src/core/testmodels/reference.ts'
import { encodeWithBpe } from '../../../src/core/testmodels/bpe.ts'

function feeds(build: ReturnType<typeof buildTinyModel>, ids: number[]) {
  const T = ids.length
  const c = build.config
  const f: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, T]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(i))), [1, T]),
  }
  for (let l = 0; l < c.nLayers; l++) {
    f[`past_key_values.${l}.key`] = new ort.Tensor('float32', new Float32Array(0), [1, c.nKvHeads, 0, c.dHead])
    f[`past_key_values.${l}.value`] = new ort.Tensor('float32', new Float32Array(0), [1, c.nKvHeads, 0, c.dHead])
  }
  return f
}

describe.each(BUILTIN_MODELS.map((d) => [d.id, d] as const))('built-in model %s', (_id, def) => {
  const build = buildTinyModel(def)

  it('tokenizer.json loads in transformers.js and encodes like the reference BPE', () => {
    const tjson = JSON.parse(new TextDecoder().decode(build.files.get('tokenizer.json')))
    const tconf = JSON.parse(new TextDecoder().decode(build.files.get('tokenizer_config.json')))
    const tok = new PreTrainedTokenizer(tjson, tconf)
    for (const text of ['Claim: it\'s good to help a friend. I think this claim is', 'Zebras quietly juggle 42 émigrés!']) {
      const ids = tok.encode(text, { add_special_tokens: false })
      expect(ids).toEqual(encodeWithBpe(build.tokenizer, text))
      expect(tok.decode(ids)).toBe(text)
    }
    expect(tok.encode(' True', { add_special_tokens: false })).toHaveLength(1)
    expect(Math.max(...tok.encode('a b c', { add_special_tokens: false }))).toBeLessThan(build.config.vocabSize)
  })

  it('ONNX logits agree with the independent reference forward pass', async () => {
    const session = await ort.InferenceSession.create(build.files.get('onnx/model.onnx')!)
    const ids = [5, 300, 17, 42, 500, 8, 99]
    const out = await session.run(feeds(build, ids))
    const logits = out.logits.data as Float32Array
    const ref = referenceForward(build.config, build.weights, ids)
    expect(out.logits.dims).toEqual([1, ids.length, build.config.vocabSize])
    let maxErr = 0
    for (let i = 0; i < logits.length; i++) maxErr = Math.max(maxErr, Math.abs(logits[i] - ref.logits[i]))
    expect(maxErr).toBeLessThan(1e-4)
    // The logits are not degenerate: they vary across the vocabulary.
    const row = Array.from(ref.logits.subarray(0, build.config.vocabSize))
    expect(Math.max(...row) - Math.min(...row)).toBeGreaterThan(1)
    await session.release()
  })
})
