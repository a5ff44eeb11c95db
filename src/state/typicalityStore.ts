// Moral typicality runs: capture in the model worker, diagnostics in the analysis worker,
// results kept per (model, set, hook) so models can be compared.
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import { Comlink, modelWorker } from './modelWorker.ts'
import { analysisWorker } from './analysisWorker.ts'
import { jobsStore } from './jobs.ts'
import { modelStore } from './modelStore.ts'
import { stimuliStore, activeSet } from './stimuliStore.ts'
import { MORAL_TYPICALITY_SET } from '../core/stimuli/builtin/index.ts'
import { stimulusSetHash } from '../core/stimuli/hash.ts'
import type { StimulusSet } from '../core/stimuli/types.ts'
import type { CategoryProjection, StimulusMap } from '../core/typicality/views.ts'
import type { HookKind } from '../core/hooks/locate.ts'
import type { NotebookTypicalityRun } from '../core/notebook/types.ts'
import type { Pooling } from '../core/hooks/capture.ts'

/** One run as the panel keeps it; a notebook stores exactly this. */
export type TypicalityResult = NotebookTypicalityRun

/** The scatter and map of the result on screen, as a notebook keeps them. */
export interface SavedTypicalityView {
  layer: number
  category: string
  colorBy: 'foundation' | 'polarity'
  projection?: CategoryProjection
  map?: StimulusMap
}

/** Identifies a run: same model, set and options give the same numbers (seeded). */
export function typicalityKey(modelKey: { sourceKey: string; dtype: string }, setHash: string, o: TypicalityOptionsUI): string {
  return [modelKey.sourceKey, modelKey.dtype, setHash, o.hookKind, o.pooling, o.seed, o.bootstrap, o.pcaDims ?? 'full'].join('|')
}

export interface TypicalityOptionsUI {
  hookKind: HookKind
  pooling: Pooling
  seed: number
  bootstrap: number
  pcaDims: number | null
}

export interface TypicalityState {
  options: TypicalityOptionsUI
  results: TypicalityResult[]
  currentKey?: string
  running?: 'capturing' | 'analysing'
  error?: string
  usedFallbackSet?: boolean
  /** The last run read stored activations instead of capturing. */
  reusedCapture?: boolean
  layer: number
  category: string
  colorBy: 'foundation' | 'polarity'
  projection?: CategoryProjection
  map?: StimulusMap
  brushed: number[]
  setOptions(o: Partial<TypicalityOptionsUI>): void
  run(): Promise<void>
  /** Shows the result of these options if this tab already computed it, else runs (reusing stored activations). */
  runOrReuse(): Promise<'shown' | 'ran'>
  /** Shows results read from a notebook, with the view it was saved with (no worker state behind them). */
  showSaved(results: TypicalityResult[], currentKey: string | undefined, view?: SavedTypicalityView): void
  cancel(): void
  select(key: string): void
  removeResult(key: string): void
  setView(v: Partial<Pick<TypicalityState, 'layer' | 'category' | 'colorBy'>>): Promise<void>
  setBrushed(ids: number[]): void
}

const STORAGE_KEY = 'moral-lens.typicality-results.v1'
const JOB = 'typicality'

function loadResults(): TypicalityResult[] {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]') as TypicalityResult[]
  } catch {
    return []
  }
}

function saveResults(results: TypicalityResult[]) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(results.slice(-20)))
  } catch {
    // Quota: results stay in memory for this session.
  }
}

/** The set the analysis runs on: the active set when it has polarity labels, else the built-in one. */
export function typicalitySet(): { set: StimulusSet; fallback: boolean } {
  const set = activeSet(stimuliStore.getState())
  const labelled = set.items.filter((i) => i.polarity).length
  if (labelled >= 10) return { set, fallback: false }
  return { set: MORAL_TYPICALITY_SET, fallback: true }
}

export const typicalityStore = createStore<TypicalityState>()((set, get) => ({
  options: { hookKind: 'resid_post', pooling: 'last', seed: 1, bootstrap: 500, pcaDims: 50 },
  results: loadResults(),
  layer: 0,
  category: 'care.vice',
  colorBy: 'polarity',
  brushed: [],

  setOptions: (o) => set({ options: { ...get().options, ...o } }),

  async run() {
    const info = modelStore.getState().info
    if (!info) return set({ error: 'Load a model first (Model panel).' })
    if (!info.hooks.supported) return set({ error: `This model's residual stream could not be located: ${info.hooks.reason}` })
    const { set: stimuli, fallback } = typicalitySet()
    const { options } = get()
    const setHash = stimulusSetHash(stimuli)
    const key = typicalityKey(info, setHash, options)
    set({ error: undefined, running: 'capturing', usedFallbackSet: fallback })
    const cancel = () => get().cancel()
    jobsStore.getState().upsert({ id: JOB, label: 'Capturing activations', fraction: 0, cancel })
    try {
      const { summary, reused } = await modelWorker().ensureCapture(
        stimuli,
        { hooks: [options.hookKind], pooling: options.pooling, batchSize: 8 },
        `${JOB}-capture`,
        Comlink.proxy((done: number, total: number) =>
          jobsStore.getState().upsert({ id: JOB, label: 'Capturing activations', fraction: done / total, cancel }),
        ),
      )
      set({ running: 'analysing', reusedCapture: reused })
      jobsStore.getState().upsert({ id: JOB, label: 'Computing diagnostics', fraction: 0, cancel })
      const hooks = summary.hooks.map((h) => h.hook).filter((h) => h.endsWith(`hook_${options.hookKind}`))
      const report = await analysisWorker().typicalityFromStore(
        key,
        summary.id,
        hooks,
        stimuli.items,
        { seed: options.seed, bootstrap: options.bootstrap, pcaDims: options.pcaDims },
        JOB,
        Comlink.proxy((done: number, total: number) =>
          jobsStore.getState().upsert({ id: JOB, label: 'Computing diagnostics', fraction: done / total, cancel }),
        ),
      )
      const result: TypicalityResult = {
        key,
        modelKey: `${info.sourceKey}|${info.dtype}`,
        modelLabel: info.sourceLabel,
        dtype: info.dtype,
        device: info.device,
        randomWeights: info.randomWeights,
        setId: stimuli.id,
        setName: stimuli.name,
        setHash,
        authoredTypicality: stimuli.items.some((i) => i.typicalitySource === 'authored'),
        hookKind: options.hookKind,
        pooling: options.pooling,
        createdAt: new Date().toISOString(),
        report,
      }
      const results = [...get().results.filter((r) => r.key !== key), result]
      saveResults(results)
      const mid = report.layers[Math.floor(report.layers.length / 2)]?.layer ?? 0
      set({ results, currentKey: key, layer: mid, brushed: [] })
      await get().setView({ layer: mid })
    } catch (e) {
      const msg = (e as Error).message
      set({ error: /abort|cancel/i.test(msg) ? undefined : msg })
    } finally {
      set({ running: undefined })
      jobsStore.getState().remove(JOB)
    }
  },

  async runOrReuse() {
    const info = modelStore.getState().info
    if (info) {
      const key = typicalityKey(info, stimulusSetHash(typicalitySet().set), get().options)
      if (get().results.some((r) => r.key === key) && (await analysisWorker().hasLayers(key))) {
        get().select(key)
        return 'shown'
      }
    }
    await get().run()
    return 'ran'
  },

  showSaved(saved, currentKey, view) {
    const results = [...get().results.filter((r) => !saved.some((x) => x.key === r.key)), ...saved]
    set({ results, currentKey, brushed: [], projection: view?.projection, map: view?.map, ...(view ? { layer: view.layer, category: view.category, colorBy: view.colorBy } : {}) })
  },

  cancel() {
    void modelWorker().cancelJob(`${JOB}-capture`)
    void analysisWorker().cancel(JOB)
  },

  select(key) {
    set({ currentKey: key, projection: undefined, map: undefined, brushed: [] })
    void get().setView({})
  },

  removeResult(key) {
    const results = get().results.filter((r) => r.key !== key)
    saveResults(results)
    set({ results, currentKey: get().currentKey === key ? undefined : get().currentKey })
  },

  async setView(v) {
    set({ ...v, ...(v.layer !== undefined ? { brushed: [] } : {}) })
    const { currentKey, layer, category } = get()
    if (!currentKey) return
    const w = analysisWorker()
    if (!(await w.hasLayers(currentKey))) {
      set({ projection: undefined, map: undefined })
      return
    }
    try {
      const [projection, map] = await Promise.all([
        w.projection(currentKey, layer, category).catch(() => undefined),
        v.category !== undefined && v.layer === undefined && get().map?.layer === layer ? Promise.resolve(get().map) : w.map(currentKey, layer),
      ])
      set({ projection, map })
    } catch (e) {
      set({ error: (e as Error).message })
    }
  },

  setBrushed: (ids) => set({ brushed: ids }),
}))

export const useTypicality = <T,>(selector: (s: TypicalityState) => T) => useStore(typicalityStore, selector)

export function currentResult(s: TypicalityState): TypicalityResult | undefined {
  return s.results.find((r) => r.key === s.currentKey)
}
