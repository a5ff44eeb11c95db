import { useEffect, useState } from 'react'
import { usePresenter } from '../state/presenterStore.ts'
import { STORY_TITLES, TOUR_STEPS, storyProgress } from '../core/tour/tour.ts'

/** Finds the step's element, keeps looking while it does not exist yet (results still running). */
function useTarget(testId: string | undefined, active: boolean): boolean {
  const [found, setFound] = useState(false)
  useEffect(() => {
    if (!active || !testId) return
    let shown: Element | null = null
    const look = () => {
      const el = document.querySelector(`[data-testid="${testId}"]`)
      if (el && el !== shown) {
        shown?.classList.remove('tour-highlight')
        el.classList.add('tour-highlight')
        el.scrollIntoView({ block: 'start', behavior: 'smooth' })
        shown = el
      }
      setFound(!!el)
    }
    look()
    const t = setInterval(look, 400)
    return () => {
      clearInterval(t)
      shown?.classList.remove('tour-highlight')
    }
  }, [testId, active])
  return found
}

export function Tour() {
  const p = usePresenter((s) => s)
  const step = TOUR_STEPS[p.step]
  const [running, setRunning] = useState(false)
  useEffect(() => {
    if (!p.tourOpen || !step) return
    if (location.hash !== `#/${step.panel}`) location.hash = `#/${step.panel}`
  }, [p.tourOpen, step])
  const found = useTarget(step?.target, p.tourOpen)
  useEffect(() => {
    if (!p.tourOpen) return
    // Presenter clickers send PageDown / PageUp; arrows work too outside form fields.
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement
      if (t.closest('input, textarea, select, [contenteditable]')) return
      if (e.key === 'PageDown' || (e.key === 'ArrowRight' && e.altKey)) p.next()
      else if (e.key === 'PageUp' || (e.key === 'ArrowLeft' && e.altKey)) p.prev()
      else if (e.key === 'Escape') p.closeTour()
      else return
      e.preventDefault()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [p.tourOpen, p])
  if (!p.tourOpen || !step) return null
  const prog = storyProgress(p.step)
  const run = async () => {
    if (!step.action) return
    setRunning(true)
    try {
      await p.runAction(step.action)
    } finally {
      setRunning(false)
    }
  }
  return (
    <aside className="tour" role="region" aria-label="Guided tour" aria-live="polite" data-testid="tour">
      <p className="tour-story">
        {STORY_TITLES[step.story]} · step {prog.position} of {prog.length}
      </p>
      <h2 className="tour-title" data-testid="tour-title">
        {step.title}
      </h2>
      <p className="tour-body">{step.body}</p>
      {step.action && !found && (
        <p>
          <button onClick={() => void run()} disabled={running} data-testid="tour-run">
            {running ? 'Running…' : 'Do it for me (default settings)'}
          </button>
        </p>
      )}
      <div className="row tour-nav">
        <button className="secondary" onClick={p.prev} disabled={p.step === 0} data-testid="tour-prev">
          ← Back
        </button>
        <span className="muted small-text">
          {p.step + 1} / {TOUR_STEPS.length}
        </span>
        {p.step < TOUR_STEPS.length - 1 ? (
          <button onClick={p.next} data-testid="tour-next">
            Next →
          </button>
        ) : (
          <button onClick={p.closeTour} data-testid="tour-finish">
            Finish
          </button>
        )}
        <button className="small secondary" onClick={p.closeTour} aria-label="Close the tour" data-testid="tour-close">
          Close
        </button>
      </div>
      <p className="muted small-text tour-keys">Page Down / Page Up (or a presenter clicker) move between steps; Esc closes.</p>
    </aside>
  )
}
