import { useModel } from '../state/modelStore.ts'
import { useStimuli, activeSet } from '../state/stimuliStore.ts'
import { usePresenter } from '../state/presenterStore.ts'
import { firstStepOfPanel } from '../core/tour/tour.ts'
import { currentPanel, shareStore } from '../state/share.ts'
import { notebookStore } from '../state/notebook.ts'

export function TopBar() {
  const info = useModel((s) => s.info)
  const status = useModel((s) => s.status)
  const loadingLabel = useModel((s) => s.loadingLabel)
  const set = useStimuli(activeSet)
  const presenter = usePresenter((s) => s.presenter)
  const setPresenter = usePresenter((s) => s.setPresenter)
  const startTour = usePresenter((s) => s.startTour)
  return (
    <header className="topbar">
      <div className="brand">
        <span className="logo" aria-hidden>
          ◐
        </span>{' '}
        Moral Lens
      </div>
      <div className="topbar-item" data-testid="top-model" title={info ? `${info.sourceLabel} ${info.dtype}` : undefined}>
        <span className="label">Model</span>{' '}
        {info ? (
          <>
            <strong>{info.sourceLabel}</strong> <span className="muted">{info.dtype}</span>
          </>
        ) : status === 'loading' ? (
          <span className="muted">loading {loadingLabel}…</span>
        ) : (
          <span className="muted">none</span>
        )}
      </div>
      <div className="topbar-item topbar-backend">
        <span className="label">Backend</span>{' '}
        {info ? <span className={`chip ${info.device}`}>{info.device === 'webgpu' ? 'WebGPU' : 'WASM'}</span> : <span className="muted">–</span>}
      </div>
      <div className="topbar-item" title={`${set.name}, ${set.items.length} items`}>
        <span className="label">Stimulus set</span> <strong data-testid="top-set">{set.name}</strong> <span className="muted topbar-count">{set.items.length} items</span>
      </div>
      <div className="topbar-actions">
        <button className="small secondary" onClick={() => shareStore.getState().makeLink()} data-testid="share-button">
          Share link
        </button>
        <button className="small secondary" onClick={() => notebookStore.getState().setDialog(true)} data-testid="notebook-button">
          Notebook
        </button>
        <button className="small secondary" onClick={() => startTour(firstStepOfPanel(currentPanel()))} data-testid="tour-start">
          Guided tour
        </button>
        <button className="small secondary" aria-pressed={presenter} onClick={() => setPresenter(!presenter, firstStepOfPanel(currentPanel()))} data-testid="presenter-toggle">
          Presenter mode
        </button>
      </div>
    </header>
  )
}
