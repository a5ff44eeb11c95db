// One value-entanglement run as the panel does it: the behavioural, embedding and projection
// probes on (a subset of) a set, then, on request, the ablation of the moral direction.
import type { CausalLM } from '../model/causal-lm.ts'
import type { StimulusSet, ValueKind } from '../stimuli/types.ts'
import { VALUE_KINDS } from '../stimuli/types.ts'
import { Rng } from '../random.ts'
import { runBehaviouralProbe, type BehaviourResult, type EntanglementProgress } from './behaviour.ts'
import { runEmbeddingProbe, type EmbeddingProbeResult } from './embedding.ts'
import { runProjectionProbe, type ProjectionResult } from './projection.ts'
import { runAblation, residualHooks, type AblationResult } from './ablation.ts'

export interface EntanglementRunOptions {
  /** Use at most this many sentence frames of a factorial set (all when undefined). */
  frames?: number
  seed?: number
  signal?: AbortSignal
  onProgress?: (p: EntanglementProgress) => void
}

export interface EntanglementProbes {
  set: { id: string; name: string; items: number; frames?: number; totalFrames?: number }
  kinds: ValueKind[]
  behaviour: BehaviourResult
  embedding?: EmbeddingProbeResult
  projection?: ProjectionResult
}

/** The kinds of value a set carries levels for (CoLA: grammatical only). */
export function kindsOf(set: StimulusSet): ValueKind[] {
  return VALUE_KINDS.filter((k) => set.items.some((i) => i.values?.[k] !== undefined))
}

/** A subset of whole frames (so the design stays factorial), seeded. */
export function subsetFrames(set: StimulusSet, frames: number | undefined, seed = 1): { set: StimulusSet; used?: number; total?: number } {
  const frameOf = (id: number) => set.items[id].meta?.frame
  const all = [...new Set(set.items.map((_, i) => frameOf(i)).filter((f): f is string => typeof f === 'string'))]
  if (!frames || all.length === 0 || frames >= all.length) return { set, used: all.length || undefined, total: all.length || undefined }
  const keep = new Set(new Rng(seed).shuffle([...all]).slice(0, frames))
  return { set: { ...set, items: set.items.filter((it) => keep.has(it.meta?.frame as string)) }, used: frames, total: all.length }
}

export async function runEntanglementProbes(model: CausalLM, full: StimulusSet, o: EntanglementRunOptions = {}): Promise<EntanglementProbes> {
  const { set, used, total } = subsetFrames(full, o.frames, o.seed)
  const kinds = kindsOf(set)
  if (kinds.length === 0) throw new Error(`${full.name} has no value labels (moral, grammatical or economic levels); import a set with them, e.g. CoLA`)
  const common = { signal: o.signal, onProgress: o.onProgress }
  const behaviour = await runBehaviouralProbe(model, set, { kinds, ...common })
  const varying = kinds.filter((k) => set.items.some((i) => i.values?.[k] === 1) && set.items.some((i) => i.values?.[k] === 0))
  const embedding = varying.includes('moral') ? await runEmbeddingProbe(model, set, common) : undefined
  const projection = varying.includes('moral') && varying.length > 1 ? await runProjectionProbe(model, set, { contexts: kinds, ...common }) : undefined
  return { set: { id: full.id, name: full.name, items: set.items.length, frames: used, totalFrames: total }, kinds, behaviour, embedding, projection }
}

export interface AblationRunOptions extends EntanglementRunOptions {
  layer?: number
  /** 'all' (default): every residual hook; 'from-layer': from the chosen layer to the last. */
  scope?: 'all' | 'from-layer'
}

export async function runEntanglementAblation(
  model: CausalLM,
  full: StimulusSet,
  before: EntanglementProbes,
  o: AblationRunOptions = {},
): Promise<AblationResult> {
  const { set } = subsetFrames(full, o.frames, o.seed)
  if (!before.projection) throw new Error('the ablation needs the projection probe (a set with moral and at least one other kind of value)')
  const layer = o.layer ?? before.projection.bestLayer
  const hooks = o.scope === 'from-layer' ? residualHooks(model, { fromLayer: layer }) : undefined
  return runAblation(model, set, {
    kinds: before.kinds,
    layer,
    hooks,
    seed: o.seed,
    before: { behaviour: before.behaviour, projection: before.projection },
    signal: o.signal,
    onProgress: o.onProgress,
  })
}
