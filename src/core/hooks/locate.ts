// Finds the residual stream of a stock decoder export by its structure, not by names:
// in unfused exports it is the chain of Add nodes whose outputs feed both a norm and the next
// Add; in fused exports it is the chain of Skip(Simplified)LayerNormalization nodes whose
// output 3 is the residual sum. Hook points get TransformerLens names.
import type { ModelProto, NodeProto } from '../onnx/proto.ts'
import { GraphIndex } from '../onnx/surgery.ts'

export type HookKind = 'resid_pre' | 'resid_mid' | 'resid_post'
export const HOOK_KINDS: HookKind[] = ['resid_pre', 'resid_mid', 'resid_post']

export function hookName(layer: number, kind: HookKind): string {
  return `blocks.${layer}.hook_${kind}`
}

export function parseHookName(name: string): { layer: number; kind: HookKind } {
  const m = /^blocks\.(\d+)\.hook_(resid_pre|resid_mid|resid_post)$/.exec(name)
  if (!m) throw new Error(`"${name}" is not a hook name (expected blocks.<layer>.hook_resid_pre|resid_mid|resid_post)`)
  return { layer: Number(m[1]), kind: m[2] as HookKind }
}

export interface HookPoint {
  name: string
  layer: number
  kind: HookKind
  /** The graph value that carries this residual state. resid_post(l) and resid_pre(l+1) share it. */
  value: string
  /** For fused exports: the norm node whose output slot must be emitted to read the value. */
  emit?: { nodeName: string; slot: number }
}

export interface ResidualStreamMap {
  style: 'unfused' | 'fused'
  nLayers: number
  hooks: HookPoint[]
  /** The op types that carry the residual (for display). */
  carrier: string
  /** The final norm's input is resid_post of the last layer; used by the logit lens. */
  finalNorm: { nodeName: string; opType: string }
}

export class UnsupportedGraphError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnsupportedGraphError'
  }
}

const SKIP_NORMS = new Set(['SkipSimplifiedLayerNormalization', 'SkipLayerNormalization'])
const PLAIN_NORMS = new Set(['SimplifiedLayerNormalization', 'LayerNormalization', 'RMSNormalization'])
const CONTROL_FLOW = new Set(['If', 'Loop', 'Scan'])

function describeOps(nodes: NodeProto[]): string {
  const counts = new Map<string, number>()
  for (const n of nodes) counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1)
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([op, c]) => `${c}× ${op}`)
    .join(', ')
}

/**
 * Locates the residual stream. `expectedLayers` (from config.json) lets the locator check what
 * it found; a mismatch or an unrecognised structure is refused with a message naming what was seen.
 */
export function locateResidualStream(model: ModelProto, expectedLayers?: number): ResidualStreamMap {
  const g = model.graph
  const control = g.node.filter((n) => CONTROL_FLOW.has(n.opType))
  if (control.length)
    throw new UnsupportedGraphError(
      `The graph contains ${control.length} ${[...new Set(control.map((n) => n.opType))].join('/')} node(s) (e.g. "${control[0].name}"). ` +
        'This is an old merged decoder (decoder_model_merged.onnx) whose layers are hidden inside sub-graphs; ' +
        'hooks need a single-graph export such as onnx/model.onnx.',
    )
  const index = new GraphIndex(g)
  const skipNorms = g.node.filter((n) => SKIP_NORMS.has(n.opType))
  if (skipNorms.length) return locateFused(model, index, skipNorms, expectedLayers)
  return locateUnfused(model, index, expectedLayers)
}

function check(found: number, expected: number | undefined, what: string) {
  if (expected !== undefined && found !== expected)
    throw new UnsupportedGraphError(`${what} gives ${found} layers, but config.json says ${expected}; the lab does not recognise this graph's structure.`)
}

function locateUnfused(model: ModelProto, index: GraphIndex, expectedLayers?: number): ResidualStreamMap {
  const g = model.graph
  const adds = g.node.filter((n) => n.opType === 'Add')
  const isAdd = new Set(adds)
  // Edge p → n when an input of Add n is the output of Add p and that output also feeds
  // something else (a norm): the residual carried past a block.
  const pred = new Map<NodeProto, { from: NodeProto; value: string }>()
  const succ = new Map<NodeProto, NodeProto[]>()
  for (const n of adds) {
    const candidates = n.input.filter((x) => {
      const p = index.producerOf(x)
      return p && isAdd.has(p) && index.fanOut(x) >= 2
    })
    if (candidates.length === 0) continue
    // Both inputs qualify only in unusual graphs; take the one with more consumers.
    const value = candidates.sort((a, b) => index.fanOut(b) - index.fanOut(a))[0]
    const from = index.producerOf(value)!
    pred.set(n, { from, value })
    const s = succ.get(from) ?? []
    s.push(n)
    succ.set(from, s)
  }
  // The longest chain ending in an Add that is not followed by another chain Add.
  let best: NodeProto[] = []
  for (const end of adds) {
    if ((succ.get(end) ?? []).length) continue
    const chain = [end]
    let cur = end
    while (pred.has(cur)) {
      cur = pred.get(cur)!.from
      if (chain.includes(cur)) break
      chain.unshift(cur)
    }
    if (chain.length > best.length) best = chain
  }
  if (best.length < 2)
    throw new UnsupportedGraphError(
      `No residual stream found: the lab looks for a chain of Add nodes (as in optimum exports) or of SkipSimplifiedLayerNormalization nodes (as in onnxruntime-genai exports), and this graph has neither (ops: ${describeOps(g.node)}).`,
    )
  // An Add at the start whose inputs are both non-residual is the embedding sum (GPT-2: wte + wpe).
  let embeddingValue: string
  let chain = best
  if (chain.length % 2 === 1) {
    embeddingValue = chain[0].output[0]
    chain = chain.slice(1)
  } else {
    const first = chain[0]
    const residualIn = first.input.filter((x) => index.fanOut(x) >= 2).sort((a, b) => index.fanOut(b) - index.fanOut(a))[0]
    if (!residualIn)
      throw new UnsupportedGraphError(`Could not tell which input of "${first.name}" carries the embeddings into the residual stream.`)
    embeddingValue = residualIn
  }
  const nLayers = chain.length / 2
  check(nLayers, expectedLayers, `A chain of ${chain.length} residual Add nodes (from "${chain[0].name}" to "${chain[chain.length - 1].name}")`)
  const hooks: HookPoint[] = []
  for (let l = 0; l < nLayers; l++) {
    const pre = l === 0 ? embeddingValue : chain[2 * l - 1].output[0]
    hooks.push({ name: hookName(l, 'resid_pre'), layer: l, kind: 'resid_pre', value: pre })
    hooks.push({ name: hookName(l, 'resid_mid'), layer: l, kind: 'resid_mid', value: chain[2 * l].output[0] })
    hooks.push({ name: hookName(l, 'resid_post'), layer: l, kind: 'resid_post', value: chain[2 * l + 1].output[0] })
  }
  const last = chain[chain.length - 1]
  const finalUse = index.uses(last.output[0]).find((u) => PLAIN_NORMS.has(u.node.opType)) ?? index.uses(last.output[0])[0]
  return {
    style: 'unfused',
    nLayers,
    hooks,
    carrier: 'Add',
    finalNorm: { nodeName: finalUse?.node.name ?? '', opType: finalUse?.node.opType ?? '' },
  }
}

function locateFused(model: ModelProto, index: GraphIndex, skipNorms: NodeProto[], expectedLayers?: number): ResidualStreamMap {
  // Chain: each skip norm reads the sum (output 3) of the previous one.
  const bySum = new Map<string, NodeProto>()
  for (const n of skipNorms) if (n.output[3]) bySum.set(n.output[3], n)
  const prev = new Map<NodeProto, NodeProto>()
  const next = new Map<NodeProto, NodeProto>()
  for (const n of skipNorms) {
    for (const x of n.input.slice(0, 2)) {
      const p = bySum.get(x)
      if (p && p !== n) {
        prev.set(n, p)
        next.set(p, n)
      }
    }
  }
  const starts = skipNorms.filter((n) => !prev.has(n))
  let chain: NodeProto[] = []
  for (const s of starts) {
    const c = [s]
    let cur = s
    while (next.has(cur)) {
      cur = next.get(cur)!
      c.push(cur)
    }
    if (c.length > chain.length) chain = c
  }
  if (chain.length < 2 || chain.length % 2 !== 0)
    throw new UnsupportedGraphError(
      `Found ${skipNorms.length} ${skipNorms[0].opType} nodes, but they do not form one residual chain of two per layer (longest chain: ${chain.length}).`,
    )
  const nLayers = chain.length / 2
  check(nLayers, expectedLayers, `A chain of ${chain.length} ${chain[0].opType} nodes`)
  // resid_pre(0): the residual input of the first skip norm that is not itself an attention output,
  // i.e. the value that also feeds the first (plain) norm.
  const first = chain[0]
  const embedding =
    first.input.slice(0, 2).find((x) => index.uses(x).some((u) => PLAIN_NORMS.has(u.node.opType) || u.node.opType === 'EmbedLayerNormalization')) ??
    first.input.slice(0, 2).find((x) => index.fanOut(x) >= 2)
  let embeddingValue = embedding
  const embedNorm = model.graph.node.find((n) => n.opType === 'EmbedLayerNormalization')
  if (!embeddingValue && embedNorm) embeddingValue = embedNorm.output[2]
  if (!embeddingValue)
    throw new UnsupportedGraphError(`Could not find the embeddings feeding "${first.name}" (the first fused residual norm).`)
  const sumName = (n: NodeProto) => n.output[3] || `${n.name}/output_3`
  const hooks: HookPoint[] = []
  for (let l = 0; l < nLayers; l++) {
    const mid = chain[2 * l]
    const post = chain[2 * l + 1]
    const preValue = l === 0 ? embeddingValue : sumName(chain[2 * l - 1])
    hooks.push({ name: hookName(l, 'resid_pre'), layer: l, kind: 'resid_pre', value: preValue })
    hooks.push({ name: hookName(l, 'resid_mid'), layer: l, kind: 'resid_mid', value: sumName(mid), emit: mid.output[3] ? undefined : { nodeName: mid.name, slot: 3 } })
    hooks.push({
      name: hookName(l, 'resid_post'),
      layer: l,
      kind: 'resid_post',
      value: sumName(post),
      emit: post.output[3] ? undefined : { nodeName: post.name, slot: 3 },
    })
  }
  const last = chain[chain.length - 1]
  return { style: 'fused', nLayers, hooks, carrier: last.opType, finalNorm: { nodeName: last.name, opType: last.opType } }
}

/** The distinct residual values, in stream order (resid_pre(0), mid(0), post(0), mid(1), ...). */
export function residualSites(map: ResidualStreamMap): HookPoint[] {
  const seen = new Set<string>()
  const out: HookPoint[] = []
  for (const h of map.hooks) {
    if (seen.has(h.value)) continue
    seen.add(h.value)
    out.push(h)
  }
  return out
}
