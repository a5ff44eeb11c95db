import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './ui/App.tsx'
import './ui/styles.css'
import { modelStore } from './state/modelStore.ts'
import { jobsStore } from './state/jobs.ts'
import { modelWorker } from './state/modelWorker.ts'

// A console handle for researchers (and end-to-end tests): the same stores the UI renders.
Object.assign(globalThis, { moralLens: { model: modelStore, jobs: jobsStore, worker: modelWorker } })

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
void modelStore.getState().init()
