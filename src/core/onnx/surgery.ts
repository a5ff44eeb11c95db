// Graph surgery on a decoded ModelProto: index producers and consumers, add outputs and
// inputs, splice subgraphs, rewire consumers. Initializer payloads are never touched.
import { DataType, type Graph, type ModelProto, type NodeProto, type ValueInfo } from './proto.ts'
import { valueInfo, type GraphBuilder } from './builder.ts'

export interface NodeRef {
  node: NodeProto
  index: number
}

export interface Use {
  node: NodeProto
  index: number
  slot: number
}

/** Producers and consumers of every value in a graph. Rebuild it after edits. */
export class GraphIndex {
  readonly producer = new Map<string, { node: NodeProto; index: number; slot: number }>()
  readonly consumers = new Map<string, Use[]>()
  readonly initializers = new Set<string>()
  readonly inputs = new Set<string>()
  readonly outputs = new Set<string>()
  readonly types = new Map<string, number>()

  constructor(readonly graph: Graph) {
    graph.node.forEach((node, index) => {
      node.output.forEach((o, slot) => {
        if (o) this.producer.set(o, { node, index, slot })
      })
      node.input.forEach((i, slot) => {
        if (!i) return
        const list = this.consumers.get(i)
        if (list) list.push({ node, index, slot })
        else this.consumers.set(i, [{ node, index, slot }])
      })
    })
    for (const t of graph.initializer) {
      this.initializers.add(t.name)
      this.types.set(t.name, t.dataType)
    }
    const note = (v: ValueInfo) => {
      const t = v.type?.tensor?.elemType
      if (t) this.types.set(v.name, t)
    }
    for (const v of graph.input) {
      this.inputs.add(v.name)
      note(v)
    }
    for (const v of graph.output) {
      this.outputs.add(v.name)
      note(v)
    }
    graph.valueInfo.forEach(note)
  }

  uses(value: string): Use[] {
    return this.consumers.get(value) ?? []
  }

  /** Number of consumers, counting a graph output as one. */
  fanOut(value: string): number {
    return this.uses(value).length + (this.outputs.has(value) ? 1 : 0)
  }

  producerOf(value: string): NodeProto | undefined {
    return this.producer.get(value)?.node
  }
}

/** A name not yet used anywhere in the graph. */
export function freshName(graph: Graph, base: string): string {
  const used = new Set<string>()
  for (const n of graph.node) {
    used.add(n.name)
    n.input.forEach((x) => used.add(x))
    n.output.forEach((x) => used.add(x))
  }
  graph.initializer.forEach((t) => used.add(t.name))
  graph.input.forEach((v) => used.add(v.name))
  graph.output.forEach((v) => used.add(v.name))
  if (!used.has(base)) return base
  for (let k = 1; ; k++) if (!used.has(`${base}_${k}`)) return `${base}_${k}`
}

/**
 * Exposes `value` as a graph output named `outputName`, cast to fp32 when it is not
 * known to be fp32 already.
 */
export function addFloatOutput(graph: Graph, index: GraphIndex, value: string, outputName: string): void {
  if (graph.output.some((o) => o.name === outputName)) return
  const known = index.types.get(value)
  if (known === DataType.FLOAT && value === outputName) {
    graph.output.push(valueInfo(outputName, DataType.FLOAT))
    return
  }
  if (known === DataType.FLOAT) {
    graph.node.push({ input: [value], output: [outputName], name: `${outputName}/Identity`, opType: 'Identity', domain: '', attribute: [] })
  } else {
    graph.node.push({
      input: [value],
      output: [outputName],
      name: `${outputName}/Cast`,
      opType: 'Cast',
      domain: '',
      attribute: [{ name: 'to', type: 2, i: DataType.FLOAT }],
    })
  }
  graph.output.push(valueInfo(outputName, DataType.FLOAT))
}

export function addGraphInput(graph: Graph, name: string, elemType: number, shape: (number | string)[]): void {
  if (graph.input.some((i) => i.name === name)) throw new Error(`graph input ${name} exists already`)
  graph.input.push(valueInfo(name, elemType, shape))
}

/** Makes sure `node` emits output `slot`, naming it `name` (fused norms often leave the sum unnamed). */
export function ensureNodeOutput(node: NodeProto, slot: number, name: string): string {
  while (node.output.length <= slot) node.output.push('')
  if (!node.output[slot]) node.output[slot] = name
  return node.output[slot]
}

/** Points every consumer of `from` (except `exceptNodes`) and matching graph outputs at `to`. */
export function rewireConsumers(graph: Graph, from: string, to: string, exceptNodes: Set<NodeProto> = new Set()): number {
  let n = 0
  for (const node of graph.node) {
    if (exceptNodes.has(node)) continue
    node.input.forEach((x, i) => {
      if (x === from) {
        node.input[i] = to
        n++
      }
    })
  }
  return n
}

/**
 * Splices the nodes, initializers and inputs of a builder's graph into `model`, after the
 * producer of the values they read (ONNX needs topological order).
 */
export function spliceBuilder(model: ModelProto, b: GraphBuilder): NodeProto[] {
  const g = model.graph
  g.initializer.push(...b.initializers)
  for (const i of b.inputs) if (!g.input.some((x) => x.name === i.name)) g.input.push(i)
  for (const o of b.outputs) if (!g.output.some((x) => x.name === o.name)) g.output.push(o)
  for (const n of b.nodes) insertTopologically(g, n)
  for (const n of b.nodes) if (n.domain === 'com.microsoft' && !model.opsetImport.some((o) => o.domain === 'com.microsoft'))
    model.opsetImport.push({ domain: 'com.microsoft', version: 1 })
  return b.nodes
}

/** Inserts a node right after the last node producing one of its inputs. */
export function insertTopologically(g: Graph, node: NodeProto): void {
  const needed = new Set(node.input.filter(Boolean))
  let at = 0
  g.node.forEach((n, i) => {
    if (n.output.some((o) => needed.has(o))) at = i + 1
  })
  g.node.splice(at, 0, node)
}
