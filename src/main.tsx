import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './ui/App.tsx'
import './ui/styles.css'
import { modelStore } from './state/modelStore.ts'
import { jobsStore } from './state/jobs.ts'
import { modelWorker } from './state/modelWorker.ts'
import { stimuliStore } from './state/stimuliStore.ts'
import { typicalityStore } from './state/typicalityStore.ts'
import { startWorkshop, workshopStore } from './state/workshop.ts'
import { registerServiceWorker } from './sw/register.ts'

// A console handle for researchers (and end-to-end tests): the same stores the UI renders.
Object.assign(globalThis, { moralLens: { model: modelStore, jobs: jobsStore, worker: modelWorker, stimuli: stimuliStore, typicality: typicalityStore, workshop: workshopStore } })

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
void modelStore.getState().init()
// Kit sets are added after the ones kept from earlier visits, so none is listed twice.
void startWorkshop(stimuliStore.getState().restore())
registerServiceWorker()
