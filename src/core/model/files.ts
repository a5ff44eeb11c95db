// Which files make up a model at a given dtype, and how big they are.
import { DTYPES, DTYPE_SUFFIX, type Dtype } from './catalog.ts'
import type { ListedFile } from './sources.ts'
import type { ModelProto } from '../onnx/proto.ts'
import { externalInfo } from '../onnx/tensor.ts'

/** Decoder file stems in order of preference (single-graph exports first). */
export const DECODER_STEMS = ['model', 'decoder_model', 'decoder_model_merged'] as const

export interface DtypeOption {
  dtype: Dtype
  onnxPath: string
  /** .onnx plus its external data files, when listed. */
  bytes: number | undefined
  dataFiles: string[]
}

function suffixToDtype(suffix: string): Dtype | undefined {
  return DTYPES.find((d) => DTYPE_SUFFIX[d] === suffix)
}

/** The dtypes a listed model offers, with the file that implements each and its size. */
export function dtypeOptions(files: ListedFile[]): DtypeOption[] {
  const byPath = new Map(files.map((f) => [f.path, f.size]))
  const found = new Map<Dtype, DtypeOption>()
  for (const stem of DECODER_STEMS) {
    for (const f of files) {
      const m = new RegExp(`^onnx/${stem}(_[a-z0-9]+)?\\.onnx$`).exec(f.path)
      if (!m) continue
      const dtype = suffixToDtype(m[1] ?? '')
      if (!dtype || found.has(dtype)) continue
      const dataFiles = files
        .map((g) => g.path)
        .filter((p) => p.startsWith(f.path + '_data') || p === f.path + '.data')
        .sort()
      const bytes = f.size + dataFiles.reduce((s, p) => s + (byPath.get(p) ?? 0), 0)
      found.set(dtype, { dtype, onnxPath: f.path, bytes, dataFiles })
    }
  }
  return DTYPES.filter((d) => found.has(d)).map((d) => found.get(d)!)
}

/** Candidate ONNX paths for a dtype when the source cannot list its files. */
export function candidateOnnxPaths(dtype: Dtype): string[] {
  return DECODER_STEMS.map((stem) => `onnx/${stem}${DTYPE_SUFFIX[dtype]}.onnx`)
}

/** External data files named by the graph's initializers, relative to the .onnx file's folder. */
export function externalDataLocations(model: ModelProto): string[] {
  const locations = new Set<string>()
  for (const t of model.graph.initializer) {
    const ext = externalInfo(t)
    if (ext) locations.add(ext.location)
  }
  return [...locations].sort()
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return 'size unknown'
  if (n < 1000) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let v = n
  let i = -1
  do {
    v /= 1000
    i++
  } while (v >= 1000 && i < units.length - 1)
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`
}
