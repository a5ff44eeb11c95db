// Presenter mode (large type, high contrast, step by step) and the guided tour's position.
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'
import { TOUR_STEPS, type TourAction } from '../core/tour/tour.ts'
import { typicalityStore } from './typicalityStore.ts'
import { entanglementStore } from './entanglementStore.ts'
import { elicitationStore } from './elicitationStore.ts'
import { saeStore } from './saeStore.ts'

const PRESENTER_KEY = 'moral-lens.presenter'

function savedPresenter(): boolean {
  try {
    return new URLSearchParams(globalThis.location?.search ?? '').get('presenter') === '1' || localStorage.getItem(PRESENTER_KEY) === '1'
  } catch {
    return false
  }
}

export interface PresenterState {
  presenter: boolean
  tourOpen: boolean
  step: number
  /** Presenter mode on or off; turning it on opens the tour at `step`. */
  setPresenter(on: boolean, step?: number): void
  startTour(step?: number): void
  closeTour(): void
  go(step: number): void
  next(): void
  prev(): void
  /** Runs what a step needs with the lab's defaults (the "Do it for me" button). */
  runAction(action: TourAction): Promise<void>
}

export const presenterStore = createStore<PresenterState>()((set, get) => ({
  presenter: savedPresenter(),
  tourOpen: false,
  step: 0,
  setPresenter(on, step) {
    try {
      localStorage.setItem(PRESENTER_KEY, on ? '1' : '0')
    } catch {
      // Private mode: the choice lasts for this visit.
    }
    set({ presenter: on, ...(on && !get().tourOpen ? { tourOpen: true, step: step ?? get().step } : {}) })
  },
  startTour: (step = 0) => set({ tourOpen: true, step: Math.max(0, Math.min(TOUR_STEPS.length - 1, step)) }),
  closeTour: () => set({ tourOpen: false }),
  go: (step) => set({ step: Math.max(0, Math.min(TOUR_STEPS.length - 1, step)) }),
  next: () => get().go(get().step + 1),
  prev: () => get().go(get().step - 1),
  async runAction(action) {
    if (action === 'run-typicality') await typicalityStore.getState().run()
    else if (action === 'run-entanglement') {
      if (entanglementStore.getState().frames === null) entanglementStore.getState().setOptions({ frames: 12 })
      await entanglementStore.getState().run()
    } else if (action === 'run-elicitation') await elicitationStore.getState().run()
    else if (action === 'run-features') await saeStore.getState().runAll()
  },
}))

export const usePresenter = <T,>(selector: (s: PresenterState) => T) => useStore(presenterStore, selector)
