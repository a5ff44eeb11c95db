import { useEffect, useRef, type ReactNode } from 'react'

/**
 * A modal dialog: focus moves into it and back to what opened it, Escape and a click outside close
 * it, and a Close button ends it.
 */
export function Dialog({ title, testId, onClose, children }: { title: string; testId: string; onClose: () => void; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null)
  const titleId = `${testId}-title`
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null
    // A control inside that focused itself (e.g. a selected link) keeps the focus.
    if (!box.current?.contains(document.activeElement)) box.current?.focus()
    return () => opener?.focus()
  }, [])
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose()
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [onClose])
  return (
    <div className="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} tabIndex={-1} ref={box} data-testid={testId}>
        <h2 id={titleId}>{title}</h2>
        {children}
        <div className="row dialog-actions">
          <button className="secondary" onClick={onClose} data-testid={testId.replace(/-dialog$/, '-close')}>
            Close
          </button>
        </div>
      </div>
    </div>
  )
}
