// Synthetic captures and sets for the activation-store tests.
import type { CaptureResult, Pooling } from '../../../src/core/hooks/capture.ts'
import { Rng } from '../../../src/core/random.ts'
import { stimulusSetHash } from '../../../src/core/stimuli/hash.ts'
import type { StimulusSet } from '../../../src/core/stimuli/types.ts'
import type { CaptureKey } from '../../../src/core/store/key.ts'

export function makeSet(n: number, name = 'Test set'): StimulusSet {
  return {
    id: 'test:store',
    name,
    source: 'tests',
    licence: 'none',
    kind: 'generic',
    items: Array.from({ length: n }, (_, i) => ({ id: `t${i}`, text: `text number ${i}`, polarity: 'neutral' as const })),
  }
}

export function makeKey(set: StimulusSet, pooling: Pooling = 'last', over: Partial<CaptureKey> = {}): CaptureKey {
  return {
    modelId: 'builtin:tiny-llama',
    revision: 'main',
    dtype: 'fp32',
    device: 'wasm',
    setHash: stimulusSetHash(set),
    pooling,
    ...over,
  }
}

/** Values with a wide spread of magnitudes (incl. ±0, subnormal-range and large ones). */
export function values(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n)
  for (let i = 0; i < n; i++) a[i] = rng.normal() * 10 ** (rng.int(9) - 5)
  if (n > 2) {
    a[0] = 0
    a[1] = -0
  }
  return a
}

export function hookNames(layers: number, kinds: ('resid_pre' | 'resid_mid' | 'resid_post')[] = ['resid_post']): string[] {
  const out: string[] = []
  for (let l = 0; l < layers; l++) for (const k of kinds) out.push(`blocks.${l}.hook_${k}`)
  return out
}

export function makeCapture(opts: {
  texts: number
  d: number
  hooks: string[]
  pooling?: Pooling
  seed?: number
  tokensPerText?: (i: number) => number
}): CaptureResult {
  const rng = new Rng(opts.seed ?? 1)
  const pooling = opts.pooling ?? 'last'
  const tokenCounts = Array.from({ length: opts.texts }, (_, i) => opts.tokensPerText?.(i) ?? 2 + (i % 5))
  const offsets = [0]
  for (const c of tokenCounts) offsets.push(offsets[offsets.length - 1] + c)
  const rows = pooling === 'all' ? offsets[offsets.length - 1] : opts.texts
  const activations: CaptureResult['activations'] = {}
  for (const h of opts.hooks) activations[h] = { data: values(rows * opts.d, rng), shape: [rows, opts.d] }
  return {
    hooks: opts.hooks,
    pooling,
    dModel: opts.d,
    activations,
    tokenCounts,
    ...(pooling === 'all'
      ? { offsets, tokenIds: tokenCounts.map((c, i) => Array.from({ length: c }, (_, j) => (i * 7 + j) % 50)) }
      : {}),
  }
}

/** float32 arrays compared by their bits (distinguishes -0 and NaN payloads). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length)
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length)
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false
  return true
}
