// A live ICM run: the model worker searches; this store keeps the curves, the labels and the result.
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import { Comlink, modelWorker } from './modelWorker.ts'
import { jobsStore } from './jobs.ts'
import { modelStore } from './modelStore.ts'
import { stimuliStore, activeSet } from './stimuliStore.ts'
import { MORAL_CLAIMS_SET } from '../core/stimuli/builtin/index.ts'
import type { StimulusSet } from '../core/stimuli/types.ts'
import type { IcmEvent, IcmWarning } from '../core/icm/icm.ts'
import type { ElicitationOptions, ElicitationResult } from '../core/icm/session.ts'
import type { MaybeLabel } from '../core/icm/types.ts'

export interface IcmPoint {
  iteration: number
  energy: number
  temperature: number
  goldAgreement: number | null
  labelled: number
}

export interface RemoteScorerForm {
  baseUrl: string
  model: string
  /** Kept in this tab's memory only: never stored, exported or put in a link. */
  apiKey: string
}

export interface ElicitationState {
  options: Required<Pick<ElicitationOptions, 'seed' | 'alpha' | 'numSeed' | 'iterations' | 'consistencyFixK' | 'initialT' | 'finalT' | 'scheduler'>> &
    Pick<ElicitationOptions, 'maxDemonstrations' | 'energySubsample' | 'demoSelection'>
  scorer: 'model' | 'remote'
  remote: RemoteScorerForm
  status: 'idle' | 'running' | 'paused' | 'done'
  phase?: string
  points: IcmPoint[]
  accepted: number
  rejected: number
  labels: MaybeLabel[]
  flips: number[]
  lastChanged: number[]
  itemIds: string[]
  itemTexts: string[]
  gold: (0 | 1 | undefined)[]
  warnings: IcmWarning[]
  forwardPasses: number
  result?: ElicitationResult
  setName?: string
  error?: string
  setOptions(o: Partial<ElicitationState['options']>): void
  setScorer(s: 'model' | 'remote'): void
  setRemote(r: Partial<RemoteScorerForm>): void
  run(): Promise<void>
  pause(): void
  resume(): void
  cancel(): void
}

const JOB = 'icm'

/** The active set when it can be elicited (gold labels or consistency groups), else the built-in claims. */
export function elicitationSet(): { set: StimulusSet; fallback: boolean } {
  const set = activeSet(stimuliStore.getState())
  const usable = set.items.filter((i) => i.gold !== undefined || i.consistencyGroup).length >= 8
  return usable ? { set, fallback: false } : { set: MORAL_CLAIMS_SET, fallback: true }
}

export const elicitationStore = createStore<ElicitationState>()((set, get) => ({
  options: {
    seed: 1,
    alpha: 30,
    numSeed: 8,
    iterations: 200,
    consistencyFixK: 10,
    initialT: 10,
    finalT: 0.01,
    scheduler: 'log',
    maxDemonstrations: 16,
    demoSelection: 'shared',
  },
  scorer: 'model',
  remote: { baseUrl: 'http://localhost:8000', model: '', apiKey: '' },
  status: 'idle',
  points: [],
  accepted: 0,
  rejected: 0,
  labels: [],
  flips: [],
  lastChanged: [],
  itemIds: [],
  itemTexts: [],
  gold: [],
  warnings: [],
  forwardPasses: 0,

  setOptions: (o) => set({ options: { ...get().options, ...o } }),
  setScorer: (s) => set({ scorer: s }),
  setRemote: (r) => set({ remote: { ...get().remote, ...r } }),

  async run() {
    const { set: stimuli } = elicitationSet()
    if (get().scorer === 'model' && !modelStore.getState().info) return set({ error: 'Load a model first (Model panel).' })
    const { options, scorer, remote } = get()
    const spec =
      scorer === 'remote'
        ? { kind: 'remote' as const, baseUrl: remote.baseUrl, model: remote.model, apiKey: remote.apiKey || undefined }
        : { kind: 'model' as const }
    const byId = new Map(stimuli.items.map((i) => [i.id, i]))
    set({
      status: 'running',
      phase: 'icm',
      error: undefined,
      result: undefined,
      points: [],
      accepted: 0,
      rejected: 0,
      labels: [],
      flips: [],
      lastChanged: [],
      warnings: [],
      setName: stimuli.name,
    })
    const cancel = () => get().cancel()
    jobsStore.getState().upsert({ id: JOB, label: 'ICM', fraction: 0, cancel })
    // Events arrive for every iteration; the view is refreshed at most ten times a second.
    let buffer: IcmEvent[] = []
    let timer: ReturnType<typeof setTimeout> | undefined
    const flush = () => {
      timer = undefined
      if (!buffer.length) return
      const events = buffer
      buffer = []
      const s = get()
      const points = [...s.points]
      let { accepted, rejected } = s
      const flips = s.flips.length ? [...s.flips] : new Array(events[0].labels.length).fill(0)
      let lastChanged = s.lastChanged
      for (const e of events) {
        points.push({ iteration: e.iteration, energy: e.energy, temperature: e.temperature, goldAgreement: e.goldAgreement, labelled: e.labelBalance.labelled })
        if (e.proposed) e.accepted ? accepted++ : rejected++
        if (e.changes.length) {
          for (const c of e.changes) flips[c.index]++
          lastChanged = e.changes.map((c) => c.index)
        }
      }
      const last = events[events.length - 1]
      set({ points, accepted, rejected, flips, lastChanged, labels: last.labels, warnings: last.warnings, forwardPasses: last.forwardPasses })
      jobsStore.getState().upsert({ id: JOB, label: `ICM · iteration ${last.iteration}`, fraction: last.iteration / get().options.iterations, cancel })
    }
    try {
      const result = await modelWorker().elicitation(
        stimuli,
        options,
        spec,
        Comlink.proxy((e: IcmEvent) => {
          buffer.push(e)
          timer ??= setTimeout(flush, 100)
        }),
        Comlink.proxy((phase: string) => {
          set({ phase })
          if (phase !== 'icm') jobsStore.getState().upsert({ id: JOB, label: phase === 'baselines' ? 'ICM · baselines' : 'ICM · failure rates', cancel })
        }),
        JOB,
        Comlink.proxy((trainIds: string[]) =>
          set({
            itemIds: trainIds,
            itemTexts: trainIds.map((id) => byId.get(id)?.text ?? id),
            gold: trainIds.map((id) => byId.get(id)?.gold),
          }),
        ),
      )
      if (timer) clearTimeout(timer)
      flush()
      set({ result, status: 'done', labels: result.icm.labels, forwardPasses: result.icm.forwardPasses })
    } catch (e) {
      const msg = (e as Error).message
      set({ status: 'idle', error: /abort|cancel/i.test(msg) ? 'The run was cancelled.' : msg })
    } finally {
      jobsStore.getState().remove(JOB)
      if (get().status !== 'done') set({ status: 'idle' })
    }
  },

  pause() {
    void modelWorker().pauseElicitation(JOB)
    set({ status: 'paused' })
  },
  resume() {
    void modelWorker().resumeElicitation(JOB)
    set({ status: 'running' })
  },
  cancel() {
    void modelWorker().cancelElicitation(JOB)
  },
}))

export const useElicitation = <T,>(selector: (s: ElicitationState) => T) => useStore(elicitationStore, selector)
