import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './ui/App.tsx'
import './ui/styles.css'
import { modelStore } from './state/modelStore.ts'
import { jobsStore } from './state/jobs.ts'
import { modelWorker } from './state/modelWorker.ts'
import { stimuliStore } from './state/stimuliStore.ts'
import { typicalityStore } from './state/typicalityStore.ts'

// A console handle for researchers (and end-to-end tests): the same stores the UI renders.
Object.assign(globalThis, { moralLens: { model: modelStore, jobs: jobsStore, worker: modelWorker, stimuli: stimuliStore, typicality: typicalityStore } })

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
void modelStore.getState().init()
void stimuliStore.getState().restore()
