import { describe, expect, it } from 'vitest'
import {
  activationKeyString,
  captureIdOf,
  captureKeyFor,
  captureKeyString,
  normalizeCaptureKey,
  parseKeyString,
  type ActivationKey,
} from '../../../src/core/store/key.ts'
import { stimulusSetHash } from '../../../src/core/stimuli/hash.ts'
import { makeKey, makeSet } from './fixtures.ts'

const set = makeSet(3)
const base: ActivationKey = { ...makeKey(set), hook: 'blocks.3.hook_resid_post' }

describe('activation keys', () => {
  it('gives equal strings for equal keys, whatever the field order or hash case', () => {
    const shuffled = {
      hook: base.hook,
      pooling: base.pooling,
      setHash: base.setHash.toUpperCase(),
      device: base.device,
      dtype: base.dtype,
      revision: base.revision,
      modelId: base.modelId,
    }
    expect(activationKeyString(shuffled)).toBe(activationKeyString(base))
    expect(captureIdOf(shuffled)).toBe(captureIdOf(base))
  })

  it('gives a different string and capture id when any field changes', () => {
    const changes: Partial<ActivationKey>[] = [
      { modelId: 'builtin:tiny-gpt2' },
      { revision: 'refs/pr/1' },
      { revision: '' },
      { dtype: 'fp16' },
      { device: 'webgpu' },
      { setHash: stimulusSetHash(makeSet(4)) },
      { pooling: 'mean' },
      { hook: 'blocks.3.hook_resid_mid' },
      { hook: 'blocks.13.hook_resid_post' },
    ]
    const seen = new Set([activationKeyString(base)])
    for (const c of changes) {
      const s = activationKeyString({ ...base, ...c })
      expect(seen.has(s), JSON.stringify(c)).toBe(false)
      seen.add(s)
      if (c.hook === undefined) expect(captureIdOf({ ...base, ...c })).not.toBe(captureIdOf(base))
      else expect(captureIdOf({ ...base, ...c })).toBe(captureIdOf(base))
    }
  })

  it('cannot be confused by separators inside fields', () => {
    const a = activationKeyString({ ...base, modelId: 'a&revision=x', revision: '' })
    const b = activationKeyString({ ...base, modelId: 'a', revision: 'x' })
    expect(a).not.toBe(b)
    expect(parseKeyString(a)).toEqual({ ...base, modelId: 'a&revision=x', revision: '' })
  })

  it('round-trips through parseKeyString', () => {
    expect(parseKeyString(activationKeyString(base))).toEqual(base)
    const { hook: _h, ...cap } = base
    expect(parseKeyString(captureKeyString(cap))).toEqual(cap)
    expect(activationKeyString(base).startsWith(captureKeyString(cap) + '&hook=')).toBe(true)
  })

  it('treats a missing revision as the empty one', () => {
    const { revision: _r, ...rest } = base
    expect(activationKeyString(rest)).toBe(activationKeyString({ ...base, revision: '' }))
  })

  it('builds the key from ModelInfo fields and a set', () => {
    const k = captureKeyFor({ sourceKey: 'hub:org/model', revision: undefined, dtype: 'q8', device: 'webgpu' }, set, 'all')
    expect(k).toEqual({ modelId: 'hub:org/model', revision: '', dtype: 'q8', device: 'webgpu', setHash: stimulusSetHash(set), pooling: 'all' })
    expect(captureKeyFor({ sourceKey: 'x', dtype: 'fp32', device: 'wasm' }, stimulusSetHash(set), 'last').setHash).toBe(stimulusSetHash(set))
  })

  it('rejects bad fields with a message naming them', () => {
    expect(() => activationKeyString({ ...base, hook: 'layers.3' })).toThrow(/field "hook".*not a hook name/)
    expect(() => normalizeCaptureKey({ ...base, setHash: 'abc' })).toThrow(/field "setHash".*64 hex/)
    expect(() => normalizeCaptureKey({ ...base, modelId: '' })).toThrow(/field "modelId"/)
    expect(() => normalizeCaptureKey({ ...base, pooling: 'max' as never })).toThrow(/field "pooling".*last, mean, all/)
    expect(() => parseKeyString('nope')).toThrow(/expected it to start with/)
  })
})
