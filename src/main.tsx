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
import { readShareFromUrl } from './core/share/link.ts'
import { applyShareConfig, openLinkInPlace, shareStore } from './state/share.ts'
import { entanglementStore } from './state/entanglementStore.ts'
import { elicitationStore } from './state/elicitationStore.ts'
import { saeStore } from './state/saeStore.ts'
import { presenterStore } from './state/presenterStore.ts'

// A console handle for researchers (and end-to-end tests): the same stores the UI renders.
Object.assign(globalThis, {
  moralLens: {
    model: modelStore,
    jobs: jobsStore,
    worker: modelWorker,
    stimuli: stimuliStore,
    typicality: typicalityStore,
    entanglement: entanglementStore,
    elicitation: elicitationStore,
    sae: saeStore,
    presenter: presenterStore,
    share: shareStore,
    workshop: workshopStore,
  },
})

// A share link is read before anything renders: a bad one is reported and the lab opens clean.
const linked = readShareFromUrl(location.href)
const config = linked?.ok ? linked.config : undefined
if (linked && !linked.ok) shareStore.setState({ linkError: { ...linked.error, when: 'startup' } })
if (linked) history.replaceState(null, '', `${location.pathname}${location.search}#/${config?.panel ?? 'model'}`)

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
// Kit sets are added after the ones kept from earlier visits, so none is listed twice.
const setsBack = startWorkshop(stimuliStore.getState().restore())
const modelReady = modelStore.getState().init(config?.model ? { source: config.model.source, device: config.model.device, dtype: config.model.dtype } : undefined)
if (config) void Promise.allSettled([modelReady, setsBack]).then(() => applyShareConfig(config))
window.addEventListener('hashchange', (e) => void openLinkInPlace(location.hash, e.oldURL))
registerServiceWorker()
