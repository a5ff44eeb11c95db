import { useEffect, useRef, useState } from 'react'
import { useShare } from '../state/share.ts'
import { Dialog } from './Dialog.tsx'

/** The link to this experiment, what it leaves out, and a copy button. */
export function ShareDialog() {
  const made = useShare((s) => s.made)
  const error = useShare((s) => s.makeError)
  const close = useShare((s) => s.closeDialog)
  const [copied, setCopied] = useState<'yes' | 'select' | undefined>()
  const input = useRef<HTMLInputElement>(null)
  const open = !!made || !!error
  useEffect(() => {
    setCopied(undefined)
    if (open) input.current?.select()
  }, [open, made])
  if (!open) return null
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(made!.url)
      setCopied('yes')
    } catch {
      // Clipboard access needs a secure context and permission; the selected text can still be copied by hand.
      input.current?.select()
      setCopied('select')
    }
  }
  return (
    <Dialog title="Share this experiment" testId="share-dialog" onClose={close}>
    {error ? (
        <p className="banner error" role="alert" data-testid="share-error">
          {error}
        </p>
      ) : (
        <>
          <p className="small-text">
            The link holds the model, the stimulus set, every panel’s settings and the view. Whoever opens it gets the same lab, and the panel’s
            analysis is re-run (or taken from their browser’s store) with the same seed, so the numbers match.
          </p>
          <label className="small-text" htmlFor="share-url">
            Link ({made!.url.length} characters)
          </label>
          <div className="row">
            <input id="share-url" ref={input} className="share-url" readOnly value={made!.url} data-testid="share-url" onFocus={(e) => e.currentTarget.select()} />
            <button onClick={() => void copy()} data-testid="share-copy">
              Copy
            </button>
          </div>
          {copied && (
            <p className="small-text" role="status">
              {copied === 'yes' ? 'Copied to the clipboard.' : 'The browser did not allow copying: the link is selected, press Ctrl+C.'}
            </p>
          )}
          {made!.omitted.length > 0 && (
            <div className="small-text" data-testid="share-omitted">
              <strong>Not in the link:</strong>
              <ul>
                {made!.omitted.map((o) => (
                  <li key={o}>{o}</li>
                ))}
              </ul>
            </div>
          )}
        </>
      )}
    </Dialog>
  )
}

/** What opening a link did, or why it could not be opened. */
export function ShareBanner() {
  const opened = useShare((s) => s.opened)
  const linkError = useShare((s) => s.linkError)
  const dismiss = useShare((s) => s.dismiss)
  if (linkError)
    return (
      <div className="banner error" role="alert" data-testid="share-link-error">
        <strong>This link could not be opened.</strong> {linkError.message}{' '}
        {linkError.when === 'startup' ? 'The lab opened with its usual settings instead.' : 'Nothing in the lab was changed.'}{' '}
        <button className="link" onClick={dismiss}>
          Dismiss
        </button>
      </div>
    )
  if (!opened) return null
  return (
    <div className="banner info" role="status" data-testid="share-opened">
      <strong>{opened.status === 'restoring' ? 'Opening a shared experiment…' : 'Opened from a shared link.'}</strong>
      {opened.notes.length > 0 && (
        <ul className="small-text">
          {opened.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {opened.status === 'done' && (
        <button className="link" onClick={dismiss}>
          Dismiss
        </button>
      )}
    </div>
  )
}
