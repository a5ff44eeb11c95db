// A small ONNX graph builder: used to generate the project's own test models and to write
// the subgraphs that graph surgery splices into downloaded models.
import {
  AttributeType,
  DataType,
  type Attribute,
  type Dim,
  type Graph,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfo,
} from './proto.ts'
import { makeTensor, type NumericArray } from './tensor.ts'
import { utf8 } from './wire.ts'

export type AttrValue =
  | number
  | string
  | number[]
  | { float: number }
  | { floats: number[] }
  | { tensor: TensorProto }

export function toAttribute(name: string, v: AttrValue): Attribute {
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { name, type: AttributeType.INT, i: v } : { name, type: AttributeType.FLOAT, f: v }
  }
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: utf8(v) }
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v }
  if ('float' in v) return { name, type: AttributeType.FLOAT, f: v.float }
  if ('floats' in v) return { name, type: AttributeType.FLOATS, floats: v.floats }
  return { name, type: AttributeType.TENSOR, t: v.tensor }
}

export function valueInfo(name: string, elemType?: number, shape?: (number | string)[]): ValueInfo {
  if (elemType === undefined) return { name }
  const dims: Dim[] | undefined = shape?.map((d) => (typeof d === 'number' ? { value: d } : { param: d }))
  return { name, type: { tensor: { elemType, shape: dims } } }
}

export interface NodeOptions {
  name?: string
  domain?: string
  /** Output count when the names are generated from the node name. */
  outputs?: number | string[]
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = []
  readonly initializers: TensorProto[] = []
  readonly inputs: ValueInfo[] = []
  readonly outputs: ValueInfo[] = []
  readonly valueInfos: ValueInfo[] = []
  private counter = new Map<string, number>()
  private usedNames = new Set<string>()

  constructor(readonly name = 'main_graph') {}

  input(name: string, elemType: number, shape: (number | string)[]): string {
    this.inputs.push(valueInfo(name, elemType, shape))
    return name
  }

  output(name: string, elemType?: number, shape?: (number | string)[]): string {
    this.outputs.push(valueInfo(name, elemType, shape))
    return name
  }

  init(name: string, dims: number[], data: NumericArray, dataType?: number): string {
    this.initializers.push(makeTensor(name, dims, data, dataType))
    return name
  }

  /** Adds an already-made tensor (e.g. one whose payload lives in an external data file). */
  initTensor(t: TensorProto): string {
    this.initializers.push(t)
    return t.name
  }

  constInt64(values: number[], name?: string): string {
    const n = name ?? this.uniqueName('/Constant_i64')
    return this.init(n, [values.length], BigInt64Array.from(values.map(BigInt)))
  }

  scalarInt64(value: number, name?: string): string {
    const n = name ?? this.uniqueName('/Constant_i64')
    return this.init(n, [], BigInt64Array.of(BigInt(value)))
  }

  scalarFloat(value: number, name?: string): string {
    const n = name ?? this.uniqueName('/Constant_f32')
    return this.init(n, [], Float32Array.of(value))
  }

  uniqueName(base: string): string {
    if (!this.usedNames.has(base)) {
      this.usedNames.add(base)
      return base
    }
    let k = this.counter.get(base) ?? 1
    while (this.usedNames.has(`${base}_${k}`)) k++
    this.counter.set(base, k + 1)
    const n = `${base}_${k}`
    this.usedNames.add(n)
    return n
  }

  /**
   * Adds a node. Its name follows TorchScript (`{scope}/{Op}`, `{scope}/{Op}_1`, ...) and its
   * outputs are `{name}_output_{k}` unless given.
   */
  node(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    opts: NodeOptions = {},
  ): string[] {
    const name = this.uniqueName(opts.name ?? `/${opType}`)
    const outs = Array.isArray(opts.outputs)
      ? opts.outputs
      : Array.from({ length: opts.outputs ?? 1 }, (_, k) => `${name}_output_${k}`)
    this.nodes.push({
      input: inputs,
      output: outs,
      name,
      opType,
      domain: opts.domain ?? '',
      attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    })
    return outs
  }

  /** Single-output convenience. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: NodeOptions = {}): string {
    return this.node(opType, inputs, attrs, opts)[0]
  }

  graph(): Graph {
    return {
      node: this.nodes,
      name: this.name,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
      valueInfo: this.valueInfos,
    }
  }

  model(opts: { opset?: number; msOpset?: number; producer?: string; irVersion?: number } = {}): ModelProto {
    const opsetImport = [{ domain: '', version: opts.opset ?? 17 }]
    if (this.nodes.some((n) => n.domain === 'com.microsoft'))
      opsetImport.push({ domain: 'com.microsoft', version: opts.msOpset ?? 1 })
    return {
      irVersion: opts.irVersion ?? 8,
      opsetImport,
      producerName: opts.producer ?? 'moral-lens',
      producerVersion: '1',
      graph: this.graph(),
      metadataProps: [],
    }
  }
}

export { DataType }
