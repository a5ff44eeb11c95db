// The tiny models the lab ships (generated at install/build/test time, never committed).
// Kept apart from the generator so the app bundle does not carry it.
import type { TinyLmConfig } from './spec.ts'

/** 'unfused': optimum/TorchScript-style graph; 'fused': onnxruntime-genai-style graph with external data. */
export type ExportStyle = 'unfused' | 'fused'

/** 'stacked-fp16-past' (unfused only): fp16 `past_{i}` [2, batch, heads, past, head_dim], no position_ids. */
export type ExportVariant = 'stacked-fp16-past'

export interface TinyModelDefinition {
  /** Folder name under public/models/. */
  id: string
  title: string
  description: string
  style: ExportStyle
  variant?: ExportVariant
  /** config.json's model_type for a Llama-family model (default 'llama'). */
  modelType?: 'llama' | 'qwen2'
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

/**
 * Models for tests and the mock hub only (not shipped): the other export conventions the lab must
 * open, from the same generator and reference forward pass.
 */
export const TEST_MODELS: TinyModelDefinition[] = [
  {
    id: 'tiny-qwen-fused',
    title: 'Tiny Qwen2-style instruct, fused export (test model, random weights)',
    description:
      'RMSNorm, rotary, grouped-query attention, q/k/v bias, SwiGLU, ChatML; onnxruntime-genai-style fused graph ' +
      '(SkipSimplifiedLayerNormalization, RotaryEmbedding, GroupQueryAttention) with weights in model.onnx_data.',
    style: 'fused',
    modelType: 'qwen2',
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
      ropeTheta: 1000000,
      eps: 1e-6,
      qkvBias: true,
      tieEmbeddings: true,
      seed: 4004,
    },
  },
  {
    id: 'tiny-gpt2-legacy',
    title: 'Tiny GPT-2-style base, legacy export (test model, random weights)',
    description:
      'As tiny-gpt2, exported with older conventions: stacked float16 past_{i}/present_{i} and no position_ids input.',
    style: 'unfused',
    variant: 'stacked-fp16-past',
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
      seed: 5005,
    },
  },
]
