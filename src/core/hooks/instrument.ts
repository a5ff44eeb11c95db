// Instruments a located graph: residual values become fp32 graph outputs, and an intervention
// block at every residual site reads its vectors from graph inputs, so changing a direction or
// a steering vector never rebuilds the session. With the inputs at zero the block is exactly the
// identity (h − 0·… + 0·… = h), so logits are bit-identical to the unmodified graph.
import { DataType, type ModelProto, type NodeProto } from '../onnx/proto.ts'
import { GraphBuilder, valueInfo } from '../onnx/builder.ts'
import { GraphIndex, addFloatOutput, ensureNodeOutput, insertTopologically, rewireConsumers } from '../onnx/surgery.ts'
import { residualSites, type HookPoint, type ResidualStreamMap } from './locate.ts'

/** Prefix of every name the lab adds, so they cannot collide with the model's own. */
export const LAB_PREFIX = 'moral_lens'

export interface SiteIO {
  /** Index of the site in stream order. */
  site: number
  /** Hook names that read this value (resid_post(l) and resid_pre(l+1) share one). */
  hooks: string[]
  /** Graph output carrying the (post-intervention) value in fp32. */
  output: string
  /** Intervention inputs, present when the graph was instrumented with interventions. */
  directions?: string
  steer?: string
  mask?: string
  /** Per-position additive edit [batch, seq, d] (or a broadcast [1, 1, d] of zeros when off). */
  delta?: string
  /**
   * Fused exports only: a bool input that switches the norm fused into the producing node to a
   * re-normalisation of the edited value (off: the node's own output, bit for bit).
   */
  active?: string
}

export interface Splice {
  /** The hook whose value the subgraph transforms. */
  hook: string
  /**
   * Builds the subgraph: reads `input` (fp32 [B, T, d]) and returns the name of its fp32 result.
   * Nodes, initializers and inputs go into `b`.
   */
  build: (b: GraphBuilder, input: string) => string
}

export interface InstrumentOptions {
  dModel: number
  /** Intervention blocks at every residual site (default true). */
  interventions?: boolean
  splices?: Splice[]
}

export interface Instrumented {
  model: ModelProto
  sites: SiteIO[]
  /** hook name → site index */
  siteOfHook: Map<string, number>
}

export function siteInputNames(site: number) {
  return {
    directions: `${LAB_PREFIX}.site${site}.directions`,
    steer: `${LAB_PREFIX}.site${site}.steer`,
    mask: `${LAB_PREFIX}.site${site}.mask`,
    delta: `${LAB_PREFIX}.site${site}.delta`,
    active: `${LAB_PREFIX}.site${site}.active`,
  }
}

const SKIP_NORMS = new Set(['SkipSimplifiedLayerNormalization', 'SkipLayerNormalization'])

/** Edits `model` in place and returns what was added. */
export function instrumentGraph(model: ModelProto, map: ResidualStreamMap, opts: InstrumentOptions): Instrumented {
  const g = model.graph
  const withInterventions = opts.interventions ?? true
  const opset = Number(model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 13)
  if (withInterventions && opset < 15)
    throw new Error(`The graph uses ONNX opset ${opset}; interventions need opset 15 or newer (CastLike).`)

  // Fused norms that leave the residual sum unnamed must emit it.
  for (const h of map.hooks) {
    if (!h.emit) continue
    const node = g.node.find((n) => n.name === h.emit!.nodeName)
    if (!node) throw new Error(`node ${h.emit.nodeName} disappeared`)
    ensureNodeOutput(node, h.emit.slot, h.value)
  }

  const sites = residualSites(map)
  const siteOfHook = new Map<string, number>()
  const siteIO: SiteIO[] = sites.map((s, i) => ({
    site: i,
    hooks: map.hooks.filter((h) => h.value === s.value).map((h) => h.name),
    output: `${LAB_PREFIX}.resid.site${i}`,
  }))
  siteIO.forEach((io) => io.hooks.forEach((h) => siteOfHook.set(h, io.site)))

  sites.forEach((s: HookPoint, i) => {
    let value = s.value
    const io = siteIO[i]
    const splice = opts.splices?.find((sp) => siteOfHook.get(sp.hook) === i)
    if (withInterventions || splice) {
      const b = new GraphBuilder()
      const scope = `/${LAB_PREFIX}/site${i}`
      let h = b.op('Cast', [value], { to: DataType.FLOAT }, { name: `${scope}/CastIn` })
      if (withInterventions) {
        const names = siteInputNames(i)
        b.input(names.directions, DataType.FLOAT, [`${LAB_PREFIX}_n_directions_${i}`, opts.dModel])
        b.input(names.steer, DataType.FLOAT, [opts.dModel])
        b.input(names.mask, DataType.FLOAT, ['batch_size', 'sequence_length', 1])
        const coeff = b.op('MatMul', [h, b.op('Transpose', [names.directions], { perm: [1, 0] }, { name: `${scope}/Transpose` })], {}, { name: `${scope}/MatMul` })
        const proj = b.op('MatMul', [coeff, names.directions], {}, { name: `${scope}/MatMul` })
        const ablated = b.op('Sub', [h, b.op('Mul', [names.mask, proj], {}, { name: `${scope}/Mul` })], {}, { name: `${scope}/Sub` })
        h = b.op('Add', [ablated, b.op('Mul', [names.mask, names.steer], {}, { name: `${scope}/Mul` })], {}, { name: `${scope}/Add` })
        // Any per-position edit computed outside the graph (an SAE splice, a re-alignment) enters here.
        b.input(names.delta, DataType.FLOAT, [`${LAB_PREFIX}_delta_batch_${i}`, `${LAB_PREFIX}_delta_seq_${i}`, opts.dModel])
        h = b.op('Add', [h, names.delta], {}, { name: `${scope}/AddDelta` })
        Object.assign(io, { directions: names.directions, steer: names.steer, mask: names.mask, delta: names.delta })
      }
      if (splice) h = splice.build(b, h)
      const out = b.op('CastLike', [h, value], {}, { name: `${scope}/CastOut` })
      // A fused skip norm also normalises the sum internally (output 0): recompute that from
      // the edited sum, and select it only while an edit is active.
      const producer = g.node.find((n) => n.output.includes(value))
      let normedSwap: { from: string; to: string } | undefined
      if (producer && SKIP_NORMS.has(producer.opType) && producer.output.indexOf(value) === 3 && producer.output[0]) {
        const simplified = producer.opType === 'SkipSimplifiedLayerNormalization'
        const normInputs = simplified ? [out, producer.input[2]] : [out, producer.input[2], producer.input[3]].filter(Boolean)
        const eps = producer.attribute.filter((a) => a.name === 'epsilon')
        const renorm = b.node(simplified ? 'SimplifiedLayerNormalization' : 'LayerNormalization', normInputs, {}, { name: `${scope}/Renorm` })[0]
        b.nodes[b.nodes.length - 1].attribute.push(...eps, { name: 'axis', type: 2, i: -1 })
        if (splice) normedSwap = { from: producer.output[0], to: renorm }
        else {
          const names = siteInputNames(i)
          b.input(names.active, DataType.BOOL, [])
          io.active = names.active
          const selected = b.op('Where', [names.active, renorm, producer.output[0]], {}, { name: `${scope}/SelectNormed` })
          normedSwap = { from: producer.output[0], to: selected }
        }
      }
      const blockNodes = new Set<NodeProto>(b.nodes)
      rewireConsumers(g, value, out, blockNodes)
      if (normedSwap) rewireConsumers(g, normedSwap.from, normedSwap.to, blockNodes)
      for (const o of g.output) if (o.name === value) throw new Error(`residual value ${value} is also a graph output; cannot intervene on it`)
      g.initializer.push(...b.initializers)
      for (const inp of b.inputs) g.input.push(inp)
      // Block nodes go right after the producer of the residual value, in order.
      const producerIndex = g.node.findIndex((n) => n.output.includes(value))
      g.node.splice(producerIndex + 1, 0, ...b.nodes)
      value = out
    }
    const index = new GraphIndex({ ...g, node: [] })
    addFloatOutput(g, index, value, io.output)
  })
  // Outputs with a Cast/Identity were appended at the end; keep them after their producers.
  const tail = g.node.filter((n) => n.name.startsWith(`${LAB_PREFIX}.resid.site`))
  g.node = g.node.filter((n) => !tail.includes(n))
  for (const n of tail) insertTopologically(g, n)
  return { model, sites: siteIO, siteOfHook }
}

export { valueInfo }
