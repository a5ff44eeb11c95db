// State of the Model panel's "inside the model" tools: logit lens and generation.
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import { modelWorker, Comlink } from './modelWorker.ts'
import { jobsStore } from './jobs.ts'
import type { LensResult } from '../core/hooks/logit-lens.ts'
import type { GeneratedToken } from '../core/hooks/generate.ts'

export interface InsideState {
  lensText: string
  lens?: LensResult
  lensBusy: boolean
  lensError?: string
  genPrompt: string
  genText: string
  genBusy: boolean
  genError?: string
  genReason?: string
  maxNewTokens: number
  temperature: number
  useChat: boolean
  setLensText(t: string): void
  runLens(): Promise<void>
  setGen(p: Partial<Pick<InsideState, 'genPrompt' | 'maxNewTokens' | 'temperature' | 'useChat'>>): void
  runGenerate(): Promise<void>
  cancelGenerate(): void
  reset(): void
}

const GEN_JOB = 'generate'

export const insideStore = createStore<InsideState>()((set, get) => ({
  lensText: 'It is wrong to steal from a friend because',
  lensBusy: false,
  genPrompt: 'Is it wrong to break a promise?',
  genText: '',
  genBusy: false,
  maxNewTokens: 40,
  temperature: 0,
  useChat: true,

  setLensText: (t) => set({ lensText: t }),

  async runLens() {
    set({ lensBusy: true, lensError: undefined })
    try {
      const lens = await modelWorker().layerLens(get().lensText, { topK: 5 })
      set({ lens })
    } catch (e) {
      set({ lensError: (e as Error).message })
    } finally {
      set({ lensBusy: false })
    }
  },

  setGen: (p) => set(p),

  async runGenerate() {
    const { genPrompt, maxNewTokens, temperature, useChat } = get()
    set({ genBusy: true, genText: '', genError: undefined, genReason: undefined })
    jobsStore.getState().upsert({ id: GEN_JOB, label: 'Generating', fraction: 0, cancel: () => get().cancelGenerate() })
    let n = 0
    try {
      const r = await modelWorker().generate(
        genPrompt,
        { maxNewTokens, temperature, chat: useChat, seed: 1 },
        Comlink.proxy((t: GeneratedToken) => {
          n++
          set({ genText: t.text })
          jobsStore.getState().upsert({ id: GEN_JOB, label: 'Generating', fraction: n / maxNewTokens, cancel: () => get().cancelGenerate() })
        }),
        GEN_JOB,
      )
      set({ genText: r.text, genReason: r.reason })
    } catch (e) {
      const msg = (e as Error).message
      if (!/cancel|abort/i.test(msg)) set({ genError: msg })
      else set({ genReason: 'cancelled' })
    } finally {
      set({ genBusy: false })
      jobsStore.getState().remove(GEN_JOB)
    }
  },

  cancelGenerate() {
    void modelWorker().cancelJob(GEN_JOB)
  },

  reset: () => set({ lens: undefined, genText: '', genReason: undefined, lensError: undefined, genError: undefined }),
}))

export const useInside = <T,>(selector: (s: InsideState) => T) => useStore(insideStore, selector)
