import { useEffect, useRef } from 'react'
import { useActivations, activationsStore } from '../../state/activationsStore.ts'
import { useModel } from '../../state/modelStore.ts'
import { useStimuli, activeSet } from '../../state/stimuliStore.ts'
import { formatBytes } from '../format.ts'
import { CsvButton } from '../CsvButton.tsx'
import type { HookKind } from '../../core/hooks/locate.ts'

const KINDS: HookKind[] = ['resid_pre', 'resid_mid', 'resid_post']

export function ActivationsCard() {
  const a = useActivations((s) => s)
  const info = useModel((s) => s.info)
  const set = useStimuli(activeSet)
  const hashes = useStimuli((s) => s.hashes)
  const fileRef = useRef<HTMLInputElement>(null)
  useEffect(() => {
    void activationsStore.getState().refresh()
  }, [info?.sourceKey])
  const total = a.captures.reduce((s, c) => s + c.bytes, 0)
  const sets = useStimuli((s) => s.sets)
  const setName = (hash: string) => sets.find((x) => hashes[x.id] === hash)?.name
  return (
    <div className="card" data-testid="activations-card">
      <h2>Activations stored in this browser</h2>
      <p className="small-text">
        Run <strong>{set.name}</strong> through <strong>{info?.sourceLabel ?? 'the loaded model'}</strong> once and keep the residual stream here, so analyses
        re-open instantly and survive a reload. Keyed by model, revision, dtype, backend, the set’s content hash, hook and pooling.
      </p>
      <div className="row">
        <fieldset className="row" aria-label="Hooks">
          <legend>Hooks (every layer)</legend>
          {KINDS.map((k) => (
            <label key={k} className="radio">
              <input
                type="checkbox"
                checked={a.hookKinds.includes(k)}
                onChange={(e) => a.setOptions({ hookKinds: e.target.checked ? [...a.hookKinds, k] : a.hookKinds.filter((x) => x !== k) })}
              />
              {k}
            </label>
          ))}
        </fieldset>
        <label>
          Token{' '}
          <select value={a.pooling} onChange={(e) => a.setOptions({ pooling: e.target.value as never })} data-testid="store-pooling">
            <option value="last">last</option>
            <option value="mean">mean</option>
            <option value="all">all tokens</option>
          </select>
        </label>
        <label>
          Stored as{' '}
          <select value={a.storageDtype} onChange={(e) => a.setOptions({ storageDtype: e.target.value as never })} data-testid="store-dtype">
            <option value="float32">float32 (exact)</option>
            <option value="float16">float16 (half the space)</option>
          </select>
        </label>
        <button className="secondary" onClick={() => void a.estimate()} disabled={!info || a.hookKinds.length === 0}>
          How much space?
        </button>
        <button onClick={() => void a.capture()} disabled={!info || a.busy || a.hookKinds.length === 0} data-testid="store-capture">
          {a.busy ? 'Capturing…' : 'Capture and store'}
        </button>
      </div>
      {a.plan && (
        <p className={a.plan.quota.ok ? 'small-text' : 'banner warn'} data-testid="store-plan">
          {a.plan.missing.length === 0
            ? 'Everything asked for is already stored.'
            : `${a.plan.missing.length} hooks to capture, about ${formatBytes(a.plan.bytes)}. `}
          {!a.plan.quota.ok && <strong>{a.plan.quota.message} </strong>}
          {a.plan.quota.ok && a.plan.quota.message ? a.plan.quota.message : ''}
        </p>
      )}
      {a.message && <p className="small-text" data-testid="store-message">{a.message}</p>}
      {a.error && (
        <p className="banner error" role="alert" data-testid="store-error">
          {a.error}
        </p>
      )}
      {a.captures.length === 0 ? (
        <p className="muted">Nothing stored yet.</p>
      ) : (
        <table className="small-text" data-testid="captures">
          <thead>
            <tr>
              <th>Model</th>
              <th>Set</th>
              <th>Pooling</th>
              <th>Hooks</th>
              <th>Rows × width</th>
              <th>Stored as</th>
              <th>Size</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {a.captures.map((c) => (
              <tr key={c.id}>
                <td>
                  {c.modelLabel} <span className="muted">{c.key.dtype} · {c.key.device}</span>
                </td>
                <td>{setName(c.key.setHash) ?? c.setName}</td>
                <td>{c.key.pooling}</td>
                <td>{c.hooks.length}</td>
                <td>
                  {c.rows} × {c.dModel}
                </td>
                <td title={c.precision}>{c.storageDtype}</td>
                <td>{formatBytes(c.bytes)}</td>
                <td>
                  <button className="small secondary" onClick={() => void a.exportCapture(c.id)} data-testid="capture-export">
                    Export
                  </button>{' '}
                  <button className="small secondary" onClick={() => void a.remove(c.id)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="row">
        <span>{formatBytes(total)} in all.</span>
        {a.captures.length > 0 && (
          <CsvButton
            columns={[
              { header: 'model', value: (c) => c.modelLabel },
              { header: 'dtype', value: (c) => c.key.dtype },
              { header: 'device', value: (c) => c.key.device },
              { header: 'set', value: (c) => setName(c.key.setHash) ?? c.setName },
              { header: 'pooling', value: (c) => c.key.pooling },
              { header: 'hooks', value: (c) => c.hooks.join(' ') },
              { header: 'rows', value: (c) => c.rows },
              { header: 'd_model', value: (c) => c.dModel },
              { header: 'stored_as', value: (c) => c.storageDtype },
              { header: 'bytes', value: (c) => c.bytes },
            ]}
            rows={a.captures}
            filename="stored-activations"
            what="the list of stored activations"
          />
        )}
        {a.captures.length > 0 && (
          <button className="small secondary" onClick={() => void a.removeAll()}>
            Delete all
          </button>
        )}
        <button className="small secondary" onClick={() => fileRef.current?.click()}>
          Import exported activations…
        </button>
        <input
          ref={fileRef}
          type="file"
          multiple
          hidden
          accept=".safetensors,.jsonl"
          data-testid="capture-import"
          onChange={(e) => {
            const files = Array.from(e.target.files ?? [])
            if (files.length) void a.importFiles(files)
            e.target.value = ''
          }}
        />
      </div>
      <p className="muted small-text">
        Exports are a safetensors file (tensor names are hook names), the stimulus set as JSONL and a README with the Python lines that load them.
      </p>
    </div>
  )
}

