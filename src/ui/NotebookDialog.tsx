import { useState } from 'react'
import { useNotebook } from '../state/notebook.ts'
import { useSae } from '../state/saeStore.ts'
import { downloadBytes } from './plots/export.ts'
import { Dialog } from './Dialog.tsx'

/** Save the lab as one notebook file, or open one. */
export function NotebookDialog() {
  const nb = useNotebook((s) => s)
  const hasSae = useSae((s) => !!s.sae)
  const [notes, setNotes] = useState('')
  if (!nb.dialog) return null
  const save = async () => {
    const paragraphs = notes
      .split(/\n\s*\n/)
      .map((p) => p.trim())
      .filter(Boolean)
    const out = await nb.write(paragraphs)
    if (out) downloadBytes(out.bytes, out.fileName, 'application/zip')
  }
  return (
    <Dialog title="Lab notebook" testId="notebook-dialog" onClose={() => nb.setDialog(false)}>
      <section>
        <h3>Save</h3>
        <p className="small-text">
          One .zip file with every panel’s settings, the results on screen (metrics, projections, ICM labels) and where they came from (model,
          revision, dtype, backend, app version, date). Whoever opens it sees the same results without running anything. Imported datasets are
          named by hash, not copied; API keys are never saved.
        </p>
        <label className="row small-text">
          <input type="checkbox" checked={nb.includeSae && hasSae} disabled={!hasSae} onChange={(e) => nb.setIncludeSae(e.target.checked)} data-testid="notebook-include-sae" />
          Include the SAE’s weights (SAELens files){hasSae ? '' : ' — no SAE trained yet'}
        </label>
        <label className="small-text" htmlFor="notebook-notes">
          Your notes (optional; blank lines separate paragraphs)
        </label>
        <textarea id="notebook-notes" rows={3} value={notes} onChange={(e) => setNotes(e.target.value)} data-testid="notebook-notes" />
        <p>
          <button onClick={() => void save()} disabled={!!nb.busy} data-testid="notebook-save">
            {nb.busy === 'writing' ? 'Writing…' : 'Download notebook'}
          </button>
        </p>
      </section>
      <section>
        <h3>Open</h3>
        <label className="small-text" htmlFor="notebook-file">
          A Moral Lens notebook (.zip) saved here or by someone else:
        </label>{' '}
        <input
          id="notebook-file"
          type="file"
          accept=".zip,application/zip,.json"
          disabled={!!nb.busy}
          onChange={(e) => {
            const f = e.target.files?.[0]
            if (f) void nb.open(f)
            e.target.value = ''
          }}
          data-testid="notebook-file"
        />
      </section>
      {nb.error && (
        <p className="banner error" role="alert" data-testid="notebook-error">
          {nb.error} Nothing on screen was changed.
        </p>
      )}
    </Dialog>
  )
}

/** Which notebook the results on screen came from. */
export function NotebookBanner() {
  const opened = useNotebook((s) => s.opened)
  const dismiss = useNotebook((s) => s.dismiss)
  const openSae = useNotebook((s) => s.openAttachedSae)
  const saeBusy = useSae((s) => !!s.running)
  const saeOpen = useSae((s) => s.statsReady)
  if (!opened) return null
  const m = opened.provenance.model
  const b = opened.provenance.backend
  const backend = b ? (b.device === 'webgpu' ? `WebGPU${b.gpu ? ` (${[b.gpu.vendor, b.gpu.architecture].filter(Boolean).join(' / ')})` : ''}` : `WASM${b.wasmThreads ? `, ${b.wasmThreads} thread${b.wasmThreads === 1 ? '' : 's'}` : ''}`) : undefined
  return (
    <div className="banner info" role="status" data-testid="notebook-opened">
      <strong>Results from the notebook {opened.fileName}</strong>, saved {new Date(opened.createdAt).toLocaleString()} by {opened.app.name} {opened.app.version}
      {m ? (
        <>
          {' '}
          with {m.label}
          {m.revision ? ` @ ${m.revision}` : ''} ({m.dtype}
          {backend ? `, ${backend}` : ''}){m.randomWeights ? ', a random-weights test model' : ''}
        </>
      ) : null}
      . They were not re-run here; running a panel again replaces them.
      {opened.notes.length > 0 && (
        <ul className="small-text">
          {opened.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {opened.warnings.map((w) => (
        <p key={w} className="small-text">
          {w}
        </p>
      ))}
      {opened.sae && !saeOpen && (
        <button className="small" onClick={() => void openSae()} disabled={saeBusy} data-testid="notebook-open-sae">
          Open the attached SAE (captures the corpus again to browse its features)
        </button>
      )}{' '}
      <button className="link" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  )
}
