import { describe, expect, it } from 'vitest'
import { readSafetensors, tensorToFloat32, writeSafetensors, floatTensor } from '../../../src/core/formats/safetensors.ts'
import { Rng } from '../../../src/core/random.ts'
import { createSae, decode, encode, reconstruct } from '../../../src/core/sae/model.ts'
import { loadSaeLens, saveSaeLens } from '../../../src/core/sae/saelens.ts'
import type { Sae } from '../../../src/core/sae/types.ts'

function randomSae(seed: number, dIn = 5, dSae = 8): Sae {
  const rng = new Rng(seed)
  const sae = createSae({ dIn, dSae, architecture: 'topk', k: 3, decoderInitNorm: 0.1, normalizeDecoder: true, hookName: 'blocks.4.hook_resid_post', hookLayer: 4, modelName: 'tiny' }, rng)
  for (let i = 0; i < sae.encoder.length; i++) sae.encoder[i] += rng.normal() * 0.3
  sae.bEnc.forEach((_, i) => (sae.bEnc[i] = rng.normal() * 0.1))
  sae.bDec.forEach((_, i) => (sae.bDec[i] = rng.normal()))
  sae.cfg.activationScale = 0.37
  return sae
}

function inputs(seed: number, rows: number, dIn: number): Float32Array {
  const rng = new Rng(seed)
  return Float32Array.from({ length: rows * dIn }, () => rng.normal() * 3)
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

describe('SAELens interchange', () => {
  it('writes SAELens tensors (W_enc [d_in, d_sae] = encoderᵀ) and a SAELens 6 cfg.json', () => {
    const sae = randomSae(1)
    const files = saveSaeLens(sae, { foldActivationScale: false })
    const st = readSafetensors(files.weights)
    expect([...st.tensors.keys()].sort()).toEqual(['W_dec', 'W_enc', 'b_dec', 'b_enc'])
    expect(st.tensors.get('W_enc')!.shape).toEqual([5, 8])
    expect(st.tensors.get('W_dec')!.shape).toEqual([8, 5])
    const wEnc = tensorToFloat32(st.tensors.get('W_enc')!)
    expect(wEnc[2 * 8 + 6]).toBe(sae.encoder[6 * 5 + 2])
    const cfg = JSON.parse(files.cfgJson)
    expect(cfg).toMatchObject({
      architecture: 'topk',
      d_in: 5,
      d_sae: 8,
      k: 3,
      dtype: 'float32',
      apply_b_dec_to_input: true,
      normalize_activations: 'expected_average_only_in',
      rescale_acts_by_decoder_norm: false,
      metadata: { hook_name: 'blocks.4.hook_resid_post', model_name: 'tiny', hook_layer: 4, norm_scaling_factor: 0.37, sae_lens_version: '6.0.0' },
    })
  })

  it('round-trips with the scale kept, and with the scale folded into the weights (SAELens end-of-training)', () => {
    const sae = randomSae(2)
    const x = inputs(3, 6, 5)
    const z = encode(sae, x)
    const xhat = reconstruct(sae, x)

    const kept = saveSaeLens(sae, { foldActivationScale: false })
    const a = loadSaeLens(kept.cfgJson, kept.weights)
    expect(a.cfg).toEqual(sae.cfg)
    expect(Array.from(a.encoder)).toEqual(Array.from(sae.encoder))
    expect(Array.from(a.decoder)).toEqual(Array.from(sae.decoder))
    expect(Array.from(a.bDec)).toEqual(Array.from(sae.bDec))

    const folded = saveSaeLens(sae)
    expect(JSON.parse(folded.cfgJson).normalize_activations).toBe('none')
    const b = loadSaeLens(folded.cfgJson, folded.weights)
    expect(b.cfg.activationScale).toBe(1)
    expect(maxAbsDiff(encode(b, x), z)).toBeLessThan(1e-4)
    expect(maxAbsDiff(reconstruct(b, x), xhat)).toBeLessThan(1e-4)
  })

  it('saves float16 and bfloat16 weights', () => {
    const sae = randomSae(4)
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const f = saveSaeLens(sae, { dtype, foldActivationScale: false })
      expect(readSafetensors(f.weights).tensors.get('W_dec')!.dtype).toBe(dtype === 'float16' ? 'F16' : 'BF16')
      const back = loadSaeLens(f.cfgJson, f.weights)
      expect(JSON.parse(f.cfgJson).dtype).toBe(dtype)
      expect(maxAbsDiff(back.decoder, sae.decoder)).toBeLessThan(dtype === 'float16' ? 1e-3 : 1e-2)
    }
  })

  it('rejects mismatched shapes with a message naming the tensor and the cfg.json sizes', () => {
    const sae = randomSae(5)
    const files = saveSaeLens(sae)
    const cfg = JSON.parse(files.cfgJson)
    expect(() => loadSaeLens({ ...cfg, d_sae: 16 }, files.weights)).toThrow(
      'W_enc has shape [5, 8] but cfg.json says d_in=5, d_sae=16 (expected [5, 16])',
    )
    const st = readSafetensors(files.weights)
    const t = (name: string) => tensorToFloat32(st.tensors.get(name)!)
    const badDec = writeSafetensors({
      W_enc: floatTensor(t('W_enc'), [5, 8]),
      b_enc: floatTensor(t('b_enc'), [8]),
      W_dec: floatTensor(new Float32Array(4 * 5), [4, 5]),
      b_dec: floatTensor(t('b_dec'), [5]),
    })
    expect(() => loadSaeLens(cfg, badDec)).toThrow('W_dec has shape [4, 5] but cfg.json says d_sae=8, d_in=5 (expected [8, 5])')
    const noBias = writeSafetensors({ W_enc: floatTensor(t('W_enc'), [5, 8]) })
    expect(() => loadSaeLens(cfg, noBias)).toThrow(/missing tensor "b_enc" \(found: W_enc\)/)
    expect(() => loadSaeLens({ ...cfg, k: 0 }, files.weights)).toThrow(/needs an integer k in \[1, d_sae=8\], got 0/)
    expect(() => loadSaeLens({ ...cfg, architecture: 'gated' }, files.weights)).toThrow(/architecture 'gated' is not supported/)
    expect(() => loadSaeLens({ ...cfg, d_in: '5' }, files.weights)).toThrow(/d_in must be a positive integer, got "5"/)
    expect(() => loadSaeLens({ ...cfg, normalize_activations: 'expected_average_only_in' }, files.weights)).toThrow(
      /no norm_scaling_factor/,
    )
    expect(loadSaeLens({ ...cfg, normalize_activations: 'expected_average_only_in' }, files.weights, { activationScale: 2 }).cfg.activationScale).toBe(2)
    expect(() => loadSaeLens('{', files.weights)).toThrow(/cfg\.json: not valid JSON/)
  })

  it('reads the flat pre-6 cfg layout', () => {
    const sae = randomSae(6)
    const { weights } = saveSaeLens(sae)
    const old = {
      d_in: 5,
      d_sae: 8,
      activation_fn_str: 'topk',
      activation_fn_kwargs: { k: 3 },
      hook_point: 'blocks.2.hook_resid_pre',
      hook_point_layer: 2,
      model_name: 'gpt2-small',
      normalize_activations: false,
    }
    const loaded = loadSaeLens(old, weights)
    expect(loaded.cfg).toMatchObject({ architecture: 'topk', k: 3, hookName: 'blocks.2.hook_resid_pre', hookLayer: 2, modelName: 'gpt2-small', activationScale: 1, applyBDecToInput: true })
  })

  it('folds decoder norms of a TopK checkpoint saved with rescale_acts_by_decoder_norm', () => {
    // SAELens TopK training: hidden_pre · ‖W_dec[i]‖ picks the top k; decode divides by the norm again
    const dIn = 4
    const dSae = 6
    const rng = new Rng(7)
    const wEnc = Float32Array.from({ length: dIn * dSae }, () => rng.normal())
    const bEnc = Float32Array.from({ length: dSae }, () => rng.normal() * 0.1)
    const wDec = Float32Array.from({ length: dSae * dIn }, () => rng.normal() * (0.05 + rng.next()))
    const bDec = Float32Array.from({ length: dIn }, () => rng.normal())
    const weights = writeSafetensors({
      W_enc: floatTensor(wEnc, [dIn, dSae]),
      b_enc: floatTensor(bEnc, [dSae]),
      W_dec: floatTensor(wDec, [dSae, dIn]),
      b_dec: floatTensor(bDec, [dIn]),
    })
    const sae = loadSaeLens({ architecture: 'topk', d_in: dIn, d_sae: dSae, k: 2, rescale_acts_by_decoder_norm: true, metadata: { sae_lens_version: '6.5.0' } }, weights)
    const x = Float32Array.of(0.3, -1, 2, 0.5)
    const norms = Array.from({ length: dSae }, (_, i) => Math.hypot(...wDec.subarray(i * dIn, (i + 1) * dIn)))
    const hidden = norms.map((n, i) => {
      let v = bEnc[i]
      for (let d = 0; d < dIn; d++) v += (x[d] - bDec[d]) * wEnc[d * dSae + i]
      return v * n
    })
    const top = hidden.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 2)
    const want = Array.from(bDec, Number)
    for (const [v, i] of top) for (let d = 0; d < dIn; d++) want[d] += (Math.max(v, 0) / norms[i]) * wDec[i * dIn + d]
    const z = encode(sae, x)
    for (const [v, i] of top) expect(z[i]).toBeCloseTo(Math.max(v, 0), 5)
    expect(maxAbsDiff(decode(sae, z), want)).toBeLessThan(1e-5)
  })

  it('loads a JumpReLU SAE with its threshold', () => {
    const weights = writeSafetensors({
      W_enc: floatTensor(Float32Array.of(1, 0, 0, 1), [2, 2]),
      b_enc: floatTensor(Float32Array.of(0, 0), [2]),
      W_dec: floatTensor(Float32Array.of(1, 0, 0, 1), [2, 2]),
      b_dec: floatTensor(Float32Array.of(0, 0), [2]),
      threshold: floatTensor(Float32Array.of(0.5, 2), [2]),
    })
    const sae = loadSaeLens({ architecture: 'jumprelu', d_in: 2, d_sae: 2, apply_b_dec_to_input: false }, weights)
    expect(Array.from(encode(sae, Float32Array.of(1, 1, 0.4, 3)))).toEqual([1, 0, 0, 3])
    expect(() => loadSaeLens({ architecture: 'jumprelu', d_in: 2, d_sae: 4 }, saveSaeLens(randomSae(1, 2, 4)).weights)).toThrow(
      /missing tensor "threshold"/,
    )
  })
})
