// The tiny models the lab ships (generated at install/build/test time, never committed).
// Kept apart from the generator so the app bundle does not carry it.
import type { TinyLmConfig } from './spec.ts'

export type ExportStyle = 'unfused' | 'fused'

export interface TinyModelDefinition {
  /** Folder name under public/models/. */
  id: string
  title: string
  description: string
  style: ExportStyle
  instruct: boolean
  config: Omit<TinyLmConfig, 'vocabSize'>
}

/** The models the lab ships (generated at install/build/test time, never committed). */
export const BUILTIN_MODELS: TinyModelDefinition[] = [
  {
    id: 'tiny-llama-instruct',
    title: 'Tiny Llama-style instruct (built-in, random weights)',
    description: 'RMSNorm, rotary, grouped-query attention, SwiGLU, ChatML template; unfused optimum-style export.',
    style: 'unfused',
    instruct: true,
    config: {
      family: 'llama',
      dModel: 64,
      nLayers: 4,
      nHeads: 4,
      nKvHeads: 2,
      dHead: 16,
      dMlp: 192,
      maxPositions: 512,
      ropeTheta: 10000,
      eps: 1e-5,
      qkvBias: true,
      tieEmbeddings: true,
      seed: 1001,
    },
  },
  {
    id: 'tiny-gpt2',
    title: 'Tiny GPT-2-style base (built-in, random weights)',
    description: 'LayerNorm, learned positions, fused c_attn, GELU; unfused optimum-style export.',
    style: 'unfused',
    instruct: false,
    config: {
      family: 'gpt2',
      dModel: 64,
      nLayers: 4,
      nHeads: 4,
      nKvHeads: 4,
      dHead: 16,
      dMlp: 256,
      maxPositions: 512,
      ropeTheta: 10000,
      eps: 1e-5,
      qkvBias: true,
      tieEmbeddings: true,
      seed: 2002,
    },
  },
]

export const DEFAULT_BUILTIN_MODEL = BUILTIN_MODELS[0].id
