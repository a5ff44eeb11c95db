import { useEffect, useState } from 'react'
import { PANELS, type PanelId } from './panels/registry.ts'
import { ModelPanel } from './panels/ModelPanel.tsx'
import { StimuliPanel } from './panels/StimuliPanel.tsx'
import { TypicalityPanel } from './panels/TypicalityPanel.tsx'
import { ElicitationPanel } from './panels/ElicitationPanel.tsx'
import { EntanglementPanel } from './panels/EntanglementPanel.tsx'
import { FeaturesPanel } from './panels/FeaturesPanel.tsx'
import { StatusBar } from './StatusBar.tsx'
import { TopBar } from './TopBar.tsx'
import { Banners } from './Banners.tsx'
import { Tour } from './Tour.tsx'
import { ShareDialog } from './ShareDialog.tsx'
import { NotebookDialog } from './NotebookDialog.tsx'
import { usePresenter } from '../state/presenterStore.ts'
import { currentPanel } from '../state/share.ts'

export function App() {
  const [panel, setPanel] = useState<PanelId>(currentPanel)
  useEffect(() => {
    const onHash = () => setPanel(currentPanel())
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [])
  const presenter = usePresenter((s) => s.presenter)
  useEffect(() => {
    document.documentElement.classList.toggle('presenter', presenter)
  }, [presenter])
  const go = (id: PanelId) => {
    history.replaceState(null, '', `#/${id}`)
    setPanel(id)
  }
  return (
    <div className="app">
      <TopBar />
      <nav className="nav" aria-label="Panels">
        <ul>
          {PANELS.map((p) => (
            <li key={p.id}>
              <button
                className={p.id === panel ? 'nav-item active' : 'nav-item'}
                aria-current={p.id === panel ? 'page' : undefined}
                onClick={() => go(p.id)}
                data-panel={p.id}
              >
                <span className="nav-title">{p.title}</span>
                <span className="nav-question">{p.question}</span>
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main className="main" id="main">
        <Banners />
        {panel === 'model' ? <ModelPanel /> : panel === 'stimuli' ? <StimuliPanel /> : panel === 'typicality' ? <TypicalityPanel /> : panel === 'elicitation' ? <ElicitationPanel /> : panel === 'entanglement' ? <EntanglementPanel /> : <FeaturesPanel />}
      </main>
      <Tour />
      <StatusBar />
      <ShareDialog />
      <NotebookDialog />
    </div>
  )
}
