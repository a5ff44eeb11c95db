// Value-entanglement runs: the model worker probes and ablates; this store keeps the results.
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import { Comlink, modelWorker } from './modelWorker.ts'
import { jobsStore } from './jobs.ts'
import { modelStore } from './modelStore.ts'
import { stimuliStore, activeSet } from './stimuliStore.ts'
import { VALUE_ENTANGLEMENT_SET } from '../core/stimuli/builtin/index.ts'
import type { StimulusSet } from '../core/stimuli/types.ts'
import type { EntanglementProbes } from '../core/entanglement/session.ts'
import type { AblationResult } from '../core/entanglement/ablation.ts'
import type { EntanglementProgress } from '../core/entanglement/behaviour.ts'

export interface EntanglementState {
  frames: number | null
  seed: number
  ablationLayer: number | null
  scope: 'all' | 'from-layer'
  probes?: EntanglementProbes
  ablation?: AblationResult
  modelLabel?: string
  randomWeights?: boolean
  running?: 'probes' | 'ablation'
  progress?: EntanglementProgress
  error?: string
  projectionLayer: number
  projectionContext: string
  sortBy: 'maxAbsDelta' | 'delta.grammatical' | 'delta.economic' | 'delta.moral'
  setOptions(o: Partial<Pick<EntanglementState, 'frames' | 'seed' | 'ablationLayer' | 'scope' | 'projectionLayer' | 'projectionContext' | 'sortBy'>>): void
  run(): Promise<void>
  ablate(): Promise<void>
  cancel(): void
}

const JOB = 'entanglement'

/** The active set when it carries value labels (e.g. imported CoLA), else the built-in factorial set. */
export function entanglementSet(): { set: StimulusSet; fallback: boolean } {
  const set = activeSet(stimuliStore.getState())
  const labelled = set.items.filter((i) => i.values && Object.keys(i.values).length > 0).length
  return labelled >= 8 ? { set, fallback: false } : { set: VALUE_ENTANGLEMENT_SET, fallback: true }
}

export const entanglementStore = createStore<EntanglementState>()((set, get) => ({
  frames: 12,
  seed: 1,
  ablationLayer: null,
  scope: 'all',
  projectionLayer: 0,
  projectionContext: 'grammatical',
  sortBy: 'maxAbsDelta',

  setOptions: (o) => set(o),

  async run() {
    const info = modelStore.getState().info
    if (!info) return set({ error: 'Load a model first (Model panel).' })
    if (!info.hooks.supported) return set({ error: `This model's residual stream could not be located: ${info.hooks.reason}` })
    const { set: stimuli } = entanglementSet()
    set({ running: 'probes', error: undefined, probes: undefined, ablation: undefined, progress: undefined })
    const cancel = () => get().cancel()
    jobsStore.getState().upsert({ id: JOB, label: 'Value entanglement', cancel })
    try {
      const probes = await modelWorker().entanglement(
        stimuli,
        { frames: get().frames ?? undefined, seed: get().seed },
        Comlink.proxy((p: EntanglementProgress) => {
          set({ progress: p })
          jobsStore.getState().upsert({ id: JOB, label: `Value entanglement · ${p.stage}`, fraction: p.total ? p.done / p.total : undefined, cancel })
        }),
        JOB,
      )
      set({
        probes,
        modelLabel: info.sourceLabel,
        randomWeights: info.randomWeights,
        projectionLayer: probes.projection?.bestLayer ?? 0,
        ablationLayer: probes.projection?.bestLayer ?? null,
      })
    } catch (e) {
      const msg = (e as Error).message
      set({ error: /abort|cancel/i.test(msg) ? undefined : msg })
    } finally {
      set({ running: undefined, progress: undefined })
      jobsStore.getState().remove(JOB)
    }
  },

  async ablate() {
    const probes = get().probes
    if (!probes) return
    const { set: stimuli } = entanglementSet()
    set({ running: 'ablation', error: undefined, progress: undefined })
    const cancel = () => get().cancel()
    jobsStore.getState().upsert({ id: JOB, label: 'Ablating the moral direction', cancel })
    try {
      const ablation = await modelWorker().entanglementAblation(
        stimuli,
        probes,
        { frames: get().frames ?? undefined, seed: get().seed, layer: get().ablationLayer ?? undefined, scope: get().scope },
        Comlink.proxy((p: EntanglementProgress) => {
          set({ progress: p })
          jobsStore.getState().upsert({ id: JOB, label: `Ablation · ${p.message ?? p.stage}`, fraction: p.total ? p.done / p.total : undefined, cancel })
        }),
        JOB,
      )
      set({ ablation })
    } catch (e) {
      const msg = (e as Error).message
      set({ error: /abort|cancel/i.test(msg) ? undefined : msg })
    } finally {
      set({ running: undefined, progress: undefined })
      jobsStore.getState().remove(JOB)
    }
  },

  cancel() {
    void modelWorker().cancelJob(JOB)
  },
}))

export const useEntanglement = <T,>(selector: (s: EntanglementState) => T) => useStore(entanglementStore, selector)
