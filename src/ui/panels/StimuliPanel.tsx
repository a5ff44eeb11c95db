import { useMemo, useRef, useState } from 'react'
import { useStimuli, activeSet, stimuliStore } from '../../state/stimuliStore.ts'
import { BUILTIN_SETS } from '../../core/stimuli/builtin/index.ts'
import { countLabels, facetOptions, filterItems, sortItems, NONE, type StimulusSortKey } from '../../core/stimuli/query.ts'
import { FORMAT_IDS, type ColumnMapping, type FormatId } from '../../core/importers/types.ts'
import { CORE_FOUNDATIONS } from '../../core/stimuli/types.ts'
import { formatBytes } from '../format.ts'
import { ActivationsCard } from './ActivationsCard.tsx'
import { parseTypedSet } from '../../core/stimuli/typed.ts'
import { CsvButton } from '../CsvButton.tsx'

const PAGE = 50

export function StimuliPanel() {
  return (
    <section className="panel" aria-labelledby="panel-stimuli" data-testid="panel-stimuli">
      <h1 id="panel-stimuli">Stimuli</h1>
      <p className="question">Which texts and labels? Every analysis runs the active set through the model and compares its activations with these labels.</p>
      <SetList />
      <ImportCard />
      <TypedSetCard />
      <SetBrowser />
      <ActivationsCard />
    </section>
  )
}

/** A small set of the user's own sentences: it can travel inline in a share link. */
function TypedSetCard() {
  const addSet = useStimuli((s) => s.addSet)
  const [name, setName] = useState('My sentences')
  const [text, setText] = useState('')
  const [errors, setErrors] = useState<string[]>([])
  const add = () => {
    const r = parseTypedSet(text, name)
    if (!r.ok) return setErrors(r.errors)
    setErrors([])
    addSet(r.set)
    setText('')
  }
  return (
    <details className="card" data-testid="typed-set">
      <summary>
        <strong>Write a small set</strong> <span className="muted small-text">(your own sentences; small enough to share inside a link)</span>
      </summary>
      <p className="small-text">
        One sentence per line, optionally with labels: <code>text | virtue, vice or neutral | foundation | typicality 0–1</code>, e.g. <code>She shared her lunch | virtue | care | 0.8</code>.
      </p>
      <div className="row">
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} data-testid="typed-set-name" />
        </label>
      </div>
      <textarea rows={5} className="grow" value={text} onChange={(e) => setText(e.target.value)} aria-label="Sentences, one per line" data-testid="typed-set-text" />
      <div className="row">
        <button onClick={add} disabled={!text.trim()} data-testid="typed-set-add">
          Add and use this set
        </button>
      </div>
      {errors.length > 0 && (
        <ul className="banner error small-text" role="alert" data-testid="typed-set-errors">
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
    </details>
  )
}

function SetList() {
  const sets = useStimuli((s) => s.sets)
  const activeId = useStimuli((s) => s.activeId)
  const setActive = useStimuli((s) => s.setActive)
  const remove = useStimuli((s) => s.removeSet)
  const hashes = useStimuli((s) => s.hashes)
  return (
    <div className="card">
      <h2>Sets</h2>
      <table data-testid="set-list">
        <thead>
          <tr>
            <th>Set</th>
            <th>Items</th>
            <th>Source and licence</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sets.map((s) => (
            <tr key={s.id} className={s.id === activeId ? 'selected' : undefined}>
              <td>
                <strong>{s.name}</strong>
                <div className="muted small-text">
                  {s.kind} · hash {hashes[s.id]?.slice(0, 12)}
                </div>
              </td>
              <td>{s.items.length.toLocaleString()}</td>
              <td className="small-text">
                {s.source}
                <br />
                <span className="muted">{s.licence}</span>
              </td>
              <td>
                {s.id === activeId ? (
                  <span className="chip">active</span>
                ) : (
                  <button className="small" onClick={() => setActive(s.id)} data-testid={`use-set-${s.id}`}>
                    Use
                  </button>
                )}{' '}
                {!BUILTIN_SETS.some((b) => b.id === s.id) && (
                  <button className="small secondary" onClick={() => remove(s.id)}>
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <CsvButton
        columns={[
          { header: 'name', value: (s) => s.name },
          { header: 'kind', value: (s) => s.kind },
          { header: 'hash', value: (s) => hashes[s.id] },
          { header: 'items', value: (s) => s.items.length },
          { header: 'source', value: (s) => s.source },
          { header: 'licence', value: (s) => s.licence },
          { header: 'active', value: (s) => s.id === activeId },
        ]}
        rows={sets}
        filename="stimulus-sets"
        what="the list of stimulus sets"
      />
    </div>
  )
}

const MAPPING_FIELDS: (keyof ColumnMapping)[] = ['text', 'foundation', 'polarity', 'typicality', 'gold', 'group', 'key', 'split', 'moral', 'grammatical', 'economic', 'price']

function ImportCard() {
  const pending = useStimuli((s) => s.pending)
  const importing = useStimuli((s) => s.importing)
  const { begin, setPending, preview, confirm, discard, cancelImport } = stimuliStore.getState()
  const [url, setUrl] = useState('')
  const [dragging, setDragging] = useState(false)
  const fileRef = useRef<HTMLInputElement>(null)
  const mapping = pending?.options.generic?.mapping
  const result = pending?.result
  const effectiveFormat = pending?.format === 'auto' ? (result?.format ?? pending?.inspection?.detection?.format) : pending?.format
  return (
    <div className="card" data-testid="import-card">
      <h2>Import your own data</h2>
      <p className="muted small-text">
        Social-Chemistry-101 (TSV), ETHICS (commonsense, deontology, justice, virtue, utilitarianism CSVs), Norm Bank / ICM JSON(L), Moral Foundations
        Vignettes (CSV), CoLA (TSV), a Moral Lens set export (JSONL), or any CSV/TSV/JSONL with a column mapping. Files are read in this browser; nothing is
        uploaded.
      </p>
      <div
        className={dragging ? 'dropzone dragging' : 'dropzone'}
        data-testid="stimuli-drop"
        onDragOver={(e) => {
          e.preventDefault()
          setDragging(true)
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault()
          setDragging(false)
          const f = e.dataTransfer.files[0]
          if (f) void begin({ file: f })
        }}
      >
        Drop a dataset file here, or{' '}
        <button className="link" onClick={() => fileRef.current?.click()}>
          choose a file
        </button>
        .
        <input
          ref={fileRef}
          type="file"
          hidden
          data-testid="stimuli-file"
          onChange={(e) => {
            const f = e.target.files?.[0]
            if (f) void begin({ file: f })
            e.target.value = ''
          }}
        />
      </div>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault()
          if (url.trim()) void begin({ url: url.trim() })
        }}
      >
        <label className="grow">
          Or a URL <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.org/ethics/commonsense.csv" data-testid="stimuli-url" />
        </label>
        <button type="submit" disabled={!url.trim()}>
          Read
        </button>
      </form>

      {pending && (
        <div className="import-dialog" role="dialog" aria-label={`Import ${pending.name}`} data-testid="import-dialog">
          <h3>Import {pending.name}</h3>
          {pending.inspection?.detection && (
            <p className="small-text">
              Detected: <strong>{pending.inspection.detection.format}</strong> ({pending.inspection.detection.reason})
            </p>
          )}
          <div className="row">
            <label>
              Format{' '}
              <select value={pending.format} onChange={(e) => setPending({ format: e.target.value as FormatId | 'auto' })} data-testid="import-format">
                <option value="auto">detect automatically</option>
                {FORMAT_IDS.map((f) => (
                  <option key={f} value={f}>
                    {f}
                  </option>
                ))}
              </select>
            </label>
            {effectiveFormat === 'social-chem' && (
              <>
                <label>
                  Text{' '}
                  <select
                    value={pending.options.socialChem?.text ?? 'action'}
                    onChange={(e) => setPending({ options: { ...pending.options, socialChem: { ...pending.options.socialChem, text: e.target.value as 'action' | 'rot' } } })}
                  >
                    <option value="action">action</option>
                    <option value="rot">rule of thumb</option>
                  </select>
                </label>
                <label>
                  Keep at most{' '}
                  <input
                    type="number"
                    min={1}
                    style={{ width: '6rem' }}
                    value={pending.options.socialChem?.subsample?.maxPerCell ?? ''}
                    placeholder="all"
                    onChange={(e) =>
                      setPending({
                        options: {
                          ...pending.options,
                          socialChem: { ...pending.options.socialChem, subsample: e.target.value ? { maxPerCell: Number(e.target.value), seed: 1 } : undefined },
                        },
                      })
                    }
                  />{' '}
                  per foundation × polarity cell
                </label>
              </>
            )}
          </div>
          {effectiveFormat === 'generic' && pending.inspection && !pending.inspection.labJsonl && (
            <fieldset className="mapping" data-testid="column-mapping">
              <legend>Which column holds what? (remembered for files with these columns)</legend>
              {MAPPING_FIELDS.map((field) => (
                <label key={field}>
                  {field}
                  {field === 'text' ? ' *' : ''}{' '}
                  <select
                    value={(mapping?.[field] as string | undefined) ?? ''}
                    onChange={(e) =>
                      setPending({
                        options: {
                          ...pending.options,
                          generic: { ...pending.options.generic, mapping: { ...(mapping ?? { text: '' }), [field]: e.target.value || undefined } as ColumnMapping },
                        },
                      })
                    }
                    data-testid={`map-${field}`}
                  >
                    <option value="">—</option>
                    {pending.inspection!.headers.map((h) => (
                      <option key={h} value={h}>
                        {h}
                      </option>
                    ))}
                  </select>
                </label>
              ))}
            </fieldset>
          )}
          {importing && (
            <p aria-live="polite">
              Reading… {formatBytes(importing.bytes)}
              {importing.total ? ` of ${formatBytes(importing.total)}` : ''}{' '}
              <button className="small secondary" onClick={cancelImport}>
                Cancel
              </button>
            </p>
          )}
          {pending.error && (
            <p className="banner error" role="alert" data-testid="import-error">
              {pending.error} Your other sets are unchanged.
            </p>
          )}
          {result && <ImportPreview />}
          <div className="row">
            {!result && !importing && (
              <button onClick={() => void preview()} data-testid="import-read">
                Read file
              </button>
            )}
            {result && (
              <button onClick={confirm} data-testid="import-confirm" disabled={result.kept === 0}>
                Import {result.kept.toLocaleString()} item{result.kept === 1 ? '' : 's'}
              </button>
            )}
            <button className="secondary" onClick={discard}>
              {result ? 'Discard' : 'Cancel'}
            </button>
          </div>
        </div>
      )}
    </div>
  )
}

function ImportPreview() {
  const result = useStimuli((s) => s.pending?.result)!
  const labels = Object.entries(result.labels).sort((a, b) => b[1] - a[1])
  return (
    <div className="import-preview" data-testid="import-preview">
      <p>
        <strong>{result.kept.toLocaleString()}</strong> items will be imported as format <strong>{result.format}</strong>;{' '}
        <strong data-testid="import-dropped-total">{result.droppedTotal.toLocaleString()}</strong> rows will be dropped.
      </p>
      {result.notices.length > 0 && (
        <ul className="small-text">
          {result.notices.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {labels.length > 0 && (
        <p className="small-text">
          Labels: {labels.slice(0, 16).map(([k, v]) => `${k} ${v}`).join(' · ')}
        </p>
      )}
      {result.dropped.length > 0 && (
        <details open={result.kept === 0 || result.droppedTotal <= 10}>
          <summary>Why rows are dropped ({result.droppedTotal})</summary>
          <table className="small-text" data-testid="import-dropped">
            <caption className="sr-only">Dropped rows (first 30)</caption>
            <thead>
              <tr>
                <th>Line</th>
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {result.dropped.slice(0, 30).map((d) => (
                <tr key={`${d.line}-${d.reason}`}>
                  <td>{d.line}</td>
                  <td>{d.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <CsvButton columns={[{ header: 'line', value: (d) => d.line }, { header: 'reason', value: (d) => d.reason }]} rows={result.dropped} filename="import-dropped-rows" what="the dropped rows" />
        </details>
      )}
      <table className="small-text">
        <caption>First items</caption>
        <thead className="sr-only">
          <tr>
            <th scope="col">Text</th>
            <th scope="col">Labels</th>
          </tr>
        </thead>
        <tbody>
          {result.set.items.slice(0, 5).map((it) => (
            <tr key={it.id}>
              <td>{it.text}</td>
              <td>{[it.foundation, it.polarity, it.typicality?.toFixed(2), it.gold !== undefined ? `gold ${it.gold}` : ''].filter(Boolean).join(' · ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <CsvButton
        columns={[{ header: 'text', value: (it) => it.text }, { header: 'foundation', value: (it) => it.foundation }, { header: 'polarity', value: (it) => it.polarity }, { header: 'typicality', value: (it) => it.typicality }, { header: 'gold', value: (it) => it.gold }]}
        rows={result.set.items.slice(0, 5)}
        filename="import-first-items"
        what="the first items of the import"
      />
    </div>
  )
}

function SetBrowser() {
  const state = useStimuli((s) => s)
  const set = activeSet(state)
  const { filter, sort, page } = state
  const counts = useMemo(() => countLabels(set.items), [set])
  const facets = useMemo(() => facetOptions(set.items), [set])
  const visible = useMemo(() => {
    const matched = filterItems(set.items, filter)
    return sortItems(matched, sort.key, sort.dir)
  }, [set, filter, sort])
  const pages = Math.max(1, Math.ceil(visible.length / PAGE))
  const rows = visible.slice(page * PAGE, (page + 1) * PAGE)
  const header = (key: StimulusSortKey, label: string) => (
    <th aria-sort={sort.key === key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button className="link" onClick={() => state.setSort(key)}>
        {label}
        {sort.key === key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  )
  const hasFoundations = Object.keys(counts.foundation).some((f) => f !== NONE)
  return (
    <div className="card" data-testid="set-browser">
      <h2>{set.name}</h2>
      {set.description && <p className="small-text">{set.description}</p>}
      <div className="counts" data-testid="set-counts">
        <span>
          <strong>{counts.total}</strong> items
        </span>
        {counts.withTypicality > 0 && <span>{counts.withTypicality} with typicality</span>}
        {counts.withMoralVector > 0 && <span>{counts.withMoralVector} with a moral vector</span>}
        {Object.keys(counts.gold).some((k) => k !== NONE) && <span>gold: {Object.entries(counts.gold).map(([k, v]) => `${k} ${v}`).join(', ')}</span>}
        {Object.keys(counts.split).length > 1 && <span>splits: {Object.entries(counts.split).map(([k, v]) => `${k} ${v}`).join(', ')}</span>}
        {counts.consistencyGroups > 0 && <span>{counts.consistencyGroups} consistency groups</span>}
        {Object.keys(counts.valueCells).length > 0 && <span>{Object.keys(counts.valueCells).length} value cells</span>}
      </div>
      {hasFoundations && (
        <table className="cell-counts small-text" data-testid="cell-counts">
          <caption>Items per foundation and polarity</caption>
          <thead>
            <tr>
              <th scope="col">Foundation</th>
              {['virtue', 'vice', 'neutral'].map((p) => (
                <th key={p} scope="col">
                  {p}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {[...CORE_FOUNDATIONS, 'liberty', NONE].filter((f) => counts.cells[f]).map((f) => (
              <tr key={f}>
                <th scope="row">{f}</th>
                {['virtue', 'vice', 'neutral'].map((p) => (
                  <td key={p}>{counts.cells[f]?.[p] ?? 0}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {hasFoundations && (
        <CsvButton
          columns={['foundation', 'virtue', 'vice', 'neutral']}
          rows={[...CORE_FOUNDATIONS, 'liberty', NONE].filter((f) => counts.cells[f]).map((f) => [f, ...['virtue', 'vice', 'neutral'].map((p) => counts.cells[f]?.[p] ?? 0)])}
          filename={`${set.name}-cell-counts`}
          what="the items per foundation and polarity"
        />
      )}
      <div className="row filters">
        <label className="grow">
          Search <input value={filter.search ?? ''} onChange={(e) => state.setFilter({ ...filter, search: e.target.value })} data-testid="stimuli-search" />
        </label>
        {facets.foundation.length > 1 && (
          <label>
            Foundation{' '}
            <select value={(filter.foundation as string) ?? ''} onChange={(e) => state.setFilter({ ...filter, foundation: (e.target.value || undefined) as never })} data-testid="filter-foundation">
              <option value="">all</option>
              {facets.foundation.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </label>
        )}
        {facets.polarity.length > 1 && (
          <label>
            Polarity{' '}
            <select value={(filter.polarity as string) ?? ''} onChange={(e) => state.setFilter({ ...filter, polarity: (e.target.value || undefined) as never })} data-testid="filter-polarity">
              <option value="">all</option>
              {facets.polarity.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </label>
        )}
        {facets.split.length > 1 && (
          <label>
            Split{' '}
            <select value={(filter.split as string) ?? ''} onChange={(e) => state.setFilter({ ...filter, split: e.target.value || undefined })}>
              <option value="">all</option>
              {facets.split.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <p className="small-text" data-testid="stimuli-showing">
        Showing {rows.length ? page * PAGE + 1 : 0}–{page * PAGE + rows.length} of {visible.length}
        {visible.length !== set.items.length ? ` (filtered from ${set.items.length})` : ''}
      </p>
      <CsvButton
        columns={[
          { header: 'id', value: (it) => it.id },
          { header: 'text', value: (it) => it.text },
          { header: 'foundation', value: (it) => it.foundation },
          { header: 'polarity', value: (it) => it.polarity },
          { header: 'typicality', value: (it) => it.typicality },
          { header: 'values', value: (it) => (it.values ? Object.entries(it.values).map(([k, v]) => `${k}=${v}`).join(' ') : undefined) },
          { header: 'gold', value: (it) => it.gold },
          { header: 'consistency_group', value: (it) => it.consistencyGroup },
          { header: 'consistency_key', value: (it) => it.consistencyKey },
          { header: 'split', value: (it) => it.split },
        ]}
        rows={visible}
        filename={set.name}
        what={`the ${visible.length} items shown (every page)`}
        label={`all ${visible.length} items as CSV`}
        testId="stimuli-csv"
      />
      <table className="items small-text" data-testid="stimuli-table">
        <thead>
          <tr>
            {header('text', 'Text')}
            {header('foundation', 'Foundation')}
            {header('polarity', 'Polarity')}
            {header('typicality', 'Typicality')}
            <th>Values</th>
            {header('gold', 'Gold')}
            {header('consistencyGroup', 'Group')}
            {header('split', 'Split')}
          </tr>
        </thead>
        <tbody>
          {rows.map((it) => (
            <tr key={it.id} title={it.rationale ?? it.typicalityNote ?? ''}>
              <td>{it.text}</td>
              <td>{it.foundation ?? ''}</td>
              <td>{it.polarity ?? ''}</td>
              <td>{it.typicality !== undefined ? it.typicality.toFixed(2) : ''}</td>
              <td>{it.values ? Object.entries(it.values).map(([k, v]) => `${k[0]}=${v}`).join(' ') : ''}</td>
              <td>{it.gold ?? ''}</td>
              <td>{it.consistencyGroup ? `${it.consistencyGroup}${it.consistencyKey ? ':' + it.consistencyKey : ''}` : ''}</td>
              <td>{it.split ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {pages > 1 && (
        <div className="row">
          <button className="small secondary" disabled={page === 0} onClick={() => state.setPage(page - 1)}>
            Previous
          </button>
          <span>
            page {page + 1} of {pages}
          </span>
          <button className="small secondary" disabled={page >= pages - 1} onClick={() => state.setPage(page + 1)} data-testid="stimuli-next">
            Next
          </button>
        </div>
      )}
      {counts.typicalitySource.authored && (
        <p className="muted small-text">Typicality grades marked “authored” were written by the Moral Lens project; they are not human norms.</p>
      )}
    </div>
  )
}
