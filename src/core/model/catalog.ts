// Which models the lab offers by default, and what hub dtypes mean.

export const DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const
export type Dtype = (typeof DTYPES)[number]

/** File-name suffix transformers.js uses for each dtype (`onnx/model{suffix}.onnx`). */
export const DTYPE_SUFFIX: Record<Dtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
}

/** Dtypes whose kernels need the WebGPU `shader-f16` feature. */
export function dtypeNeedsShaderF16(dtype: Dtype): boolean {
  return dtype === 'fp16' || dtype === 'q4f16'
}

export interface CatalogModel {
  id: string
  title: string
  family: string
  parameters: string
  instruct: boolean
  /** The base (or instruct) sibling, for "does alignment change it?" comparisons. */
  pair?: string
  note?: string
  /** Published sizes in bytes per dtype, when known; live sizes from the hub replace them. */
  publishedSizes?: Partial<Record<Dtype, number>>
}

export const MB = 1_000_000

export const DEFAULT_HUB_MODEL = 'HuggingFaceTB/SmolLM2-135M-Instruct'

export const CATALOG: CatalogModel[] = [
  {
    id: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    title: 'SmolLM2 135M Instruct',
    family: 'Llama (SmolLM2)',
    parameters: '135M',
    instruct: true,
    pair: 'HuggingFaceTB/SmolLM2-135M',
    publishedSizes: { fp32: 654 * MB, fp16: 327 * MB, q4: 200 * MB, q4f16: 134 * MB },
  },
  {
    id: 'HuggingFaceTB/SmolLM2-135M',
    title: 'SmolLM2 135M (base)',
    family: 'Llama (SmolLM2)',
    parameters: '135M',
    instruct: false,
    pair: 'HuggingFaceTB/SmolLM2-135M-Instruct',
  },
  {
    id: 'HuggingFaceTB/SmolLM2-360M-Instruct',
    title: 'SmolLM2 360M Instruct',
    family: 'Llama (SmolLM2)',
    parameters: '360M',
    instruct: true,
  },
  {
    id: 'onnx-community/Qwen2.5-0.5B-Instruct',
    title: 'Qwen2.5 0.5B Instruct',
    family: 'Qwen2',
    parameters: '494M',
    instruct: true,
    note: 'A family the value-entanglement paper studied.',
  },
  {
    id: 'onnx-community/Qwen3-0.6B-ONNX',
    title: 'Qwen3 0.6B',
    family: 'Qwen3',
    parameters: '596M',
    instruct: true,
    note: 'The family whose larger sibling the moral-indifference paper analysed with SAEs.',
  },
  {
    id: 'onnx-community/gemma-3-270m-it-ONNX',
    title: 'Gemma 3 270M Instruct',
    family: 'Gemma 3',
    parameters: '268M',
    instruct: true,
  },
]
