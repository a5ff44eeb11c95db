import { useEffect, useMemo, useRef, useState } from 'react'
import { useModel } from '../../state/modelStore.ts'
import { CATALOG, DTYPES, type Dtype } from '../../core/model/catalog.ts'
import { BUILTIN_MODELS } from '../../core/testmodels/builtin.ts'
import type { DevicePreference } from '../../core/model/device.ts'
import type { ModelFilesSummary } from '../../core/model/loader.ts'
import { formatBytes, formatDuration } from '../format.ts'
import { entriesFromDrop, entriesFromFileList } from '../folderInput.ts'
import { InsideModel } from './InsideModel.tsx'
import { kitModelSource, useWorkshop } from '../../state/workshop.ts'
import { CsvButton } from '../CsvButton.tsx'

export function ModelPanel() {
  return (
    <section className="panel" aria-labelledby="panel-model" data-testid="panel-model">
      <h1 id="panel-model">Model</h1>
      <p className="question">Which model, on which backend? Everything runs in this tab; nothing is sent to a server.</p>
      <LoadProgressCard />
      <LoadedModelCard />
      <TryModel />
      <InsideModel />
      <WorkshopModels />
      <OpenModel />
      <CacheCard />
    </section>
  )
}

function LoadProgressCard() {
  const status = useModel((s) => s.status)
  const progress = useModel((s) => s.progress)
  const label = useModel((s) => s.loadingLabel)
  const cancel = useModel((s) => s.cancelLoad)
  if (status !== 'loading') return null
  const frac = progress && progress.total > 0 ? progress.loaded / progress.total : undefined
  return (
    <div className="card progress-card" data-testid="load-progress" aria-live="polite">
      <h2>Loading {label}</h2>
      <progress max={1} value={frac} aria-label={`Loading ${label}`} />
      <p>
        {progress?.message ?? 'Starting…'}
        {progress && progress.loaded > 0 && (
          <>
            {' · '}
            <span data-testid="load-bytes">
              {formatBytes(progress.loaded)}
              {progress.total > 0 && ` of ${formatBytes(progress.total)}`}
            </span>
            {progress.bytesPerSecond > 0 && ` · ${formatBytes(progress.bytesPerSecond)}/s`}
            {progress.etaSeconds !== undefined && ` · about ${formatDuration(progress.etaSeconds)} left`}
          </>
        )}
      </p>
      <button onClick={cancel}>Cancel</button>
    </div>
  )
}

function LoadedModelCard() {
  const info = useModel((s) => s.info)
  const env = useModel((s) => s.env)
  if (!info) return null
  const total = info.files.reduce((s, f) => s + f.bytes, 0)
  return (
    <div className="card" data-testid="loaded-model">
      <h2>
        {info.sourceLabel} <span className={`chip ${info.device}`}>{info.device === 'webgpu' ? 'WebGPU' : 'WASM'}</span>{' '}
        <span className="chip">{info.dtype}</span>
      </h2>
      <dl className="facts">
        <dt>Source</dt>
        <dd>
          {{ hub: 'Hugging Face hub', url: 'URL', builtin: 'built into the lab', local: 'a folder on this computer' }[info.sourceKind]}
          {info.revision ? ` (revision ${info.revision})` : ''}
        </dd>
        <dt>Architecture</dt>
        <dd>
          {info.architecture} · {info.nLayers} layers · width {info.dModel} · vocabulary {info.vocabSize.toLocaleString()}
        </dd>
        <dt>Backend</dt>
        <dd data-testid="device-reason">
          {info.deviceReason}
          {info.device === 'wasm' && env ? ` · ${env.wasmThreadsReason}` : ''}
        </dd>
        <dt>Chat template</dt>
        <dd>{info.hasChatTemplate ? 'yes (instruct model: prompts use it)' : 'none (base model: prompts are plain text)'}</dd>
        <dt>Files</dt>
        <dd>
          {info.files.map((f) => `${f.path} (${formatBytes(f.bytes)})`).join(', ')} · {formatBytes(total)} in all
        </dd>
      </dl>
    </div>
  )
}

function TryModel() {
  const info = useModel((s) => s.info)
  const text = useModel((s) => s.tryText)
  const setText = useModel((s) => s.setTryText)
  const run = useModel((s) => s.runTry)
  const top = useModel((s) => s.topTokens)
  const [busy, setBusy] = useState(false)
  if (!info) return null
  return (
    <div className="card">
      <h2>What does the model expect next?</h2>
      <form
        className="row"
        onSubmit={async (e) => {
          e.preventDefault()
          setBusy(true)
          await run()
          setBusy(false)
        }}
      >
        <label className="grow">
          <span className="sr-only">Text</span>
          <input value={text} onChange={(e) => setText(e.target.value)} data-testid="try-text" />
        </label>
        <button type="submit" disabled={busy || !text.trim()} data-testid="try-run">
          Predict next token
        </button>
      </form>
      {top && (
        <table className="tokens" data-testid="top-tokens">
          <caption>
            The five most likely next tokens after “{top.text}”{info.randomWeights ? ' (random weights: meaningless)' : ''}
          </caption>
          <thead>
            <tr>
              <th>Token</th>
              <th>Probability</th>
              <th>Logit</th>
            </tr>
          </thead>
          <tbody>
            {top.tokens.map((t) => (
              <tr key={t.id}>
                <td>
                  <code>{JSON.stringify(t.token)}</code>
                </td>
                <td>
                  <span className="bar" style={{ width: `${Math.max(1, t.prob * 200)}px` }} aria-hidden /> {(t.prob * 100).toFixed(1)}%
                </td>
                <td>{t.logit.toFixed(3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {top && (
        <CsvButton
          columns={[{ header: 'token_id', value: (t) => t.id }, { header: 'token', value: (t) => t.token }, { header: 'probability', value: (t) => t.prob }, { header: 'logit', value: (t) => t.logit }]}
          rows={top.tokens}
          filename="next-tokens"
          what="the most likely next tokens"
        />
      )}
    </div>
  )
}

/** The models a workshop kit carries (`npm run workshop`): served with the site, no hub needed. */
function WorkshopModels() {
  const kit = useWorkshop((s) => s.kit)
  const load = useModel((s) => s.load)
  const busy = useModel((s) => s.status === 'loading')
  const [dtypes, setDtypes] = useState<Record<string, Dtype | ''>>({})
  if (!kit?.models.length) return null
  return (
    <div className="card" data-testid="workshop-models">
      <h2>This workshop's models</h2>
      <p className="muted">{kit.title}: these models come with this site, so they open without internet.</p>
      <table className="catalog">
        <thead>
          <tr>
            <th>Model</th>
            <th>Size per dtype</th>
            <th>Dtype</th>
            <th>
              <span className="sr-only">Load</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {kit.models.map((m, i) => (
            <tr key={m.path} data-testid={`workshop-model-${i}`}>
              <td>
                <strong>{m.title}</strong>
                {m.title !== m.id && <div className="muted small-text">{m.id}</div>}
              </td>
              <td className="small-text">{m.dtypes.map((d) => `${d.dtype} ${formatBytes(d.bytes)}`).join(' · ')}</td>
              <td>
                <select aria-label={`dtype for ${m.title}`} value={dtypes[m.path] ?? ''} onChange={(e) => setDtypes({ ...dtypes, [m.path]: e.target.value as Dtype })}>
                  <option value="">automatic</option>
                  {m.dtypes.map((d) => (
                    <option key={d.dtype} value={d.dtype}>
                      {d.dtype}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <button disabled={busy} onClick={() => load(kitModelSource(m), { label: m.title, dtype: dtypes[m.path] || undefined })} data-testid={`load-workshop-${i}`}>
                  Load
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <CsvButton
        columns={[{ header: 'title', value: (m) => m.title }, { header: 'id', value: (m) => m.id }, { header: 'path', value: (m) => m.path }, { header: 'sizes', value: (m) => m.dtypes.map((d) => `${d.dtype} ${d.bytes}`).join('; ') }]}
        rows={kit.models}
        filename="workshop-models"
        what="this workshop's models"
      />
    </div>
  )
}

function sizeText(summary: ModelFilesSummary | 'pending' | 'unavailable' | undefined, published?: Partial<Record<Dtype, number>>) {
  if (summary === 'pending') return 'checking sizes…'
  if (summary && summary !== 'unavailable')
    return summary.options.map((o) => `${o.dtype} ${formatBytes(o.bytes)}`).join(' · ') || 'no ONNX decoder found'
  if (published) return `${Object.entries(published).map(([d, b]) => `${d} ≈${formatBytes(b)}`).join(' · ')} (published; hub not reachable now)`
  return 'sizes unavailable (hub not reachable)'
}

function OpenModel() {
  const devicePref = useModel((s) => s.devicePref)
  const setDevicePref = useModel((s) => s.setDevicePref)
  const sizes = useModel((s) => s.sizes)
  const describe = useModel((s) => s.describe)
  const load = useModel((s) => s.load)
  const status = useModel((s) => s.status)
  const hubHost = useModel((s) => s.hubHost)
  const setHubHost = useModel((s) => s.setHubHost)
  const env = useModel((s) => s.env)
  const [hubId, setHubId] = useState('')
  const [urlPrefix, setUrlPrefix] = useState('')
  const [hostDraft, setHostDraft] = useState(hubHost)
  const [dtypes, setDtypes] = useState<Record<string, Dtype | ''>>({})
  const [dragging, setDragging] = useState(false)
  const folderRef = useRef<HTMLInputElement>(null)
  useEffect(() => {
    for (const m of CATALOG) void describe(m.id)
  }, [describe, hubHost])
  useEffect(() => setHostDraft(hubHost), [hubHost])
  const busy = status === 'loading'
  const dtypeFor = (id: string) => dtypes[id] || undefined

  const folderAttrs = useMemo(() => ({ webkitdirectory: '', directory: '' }) as Record<string, string>, [])

  return (
    <div className="card">
      <h2>Open a model</h2>
      <fieldset className="row" aria-label="Backend">
        <legend>Backend</legend>
        {(['auto', 'webgpu', 'wasm'] as DevicePreference[]).map((d) => (
          <label key={d} className="radio">
            <input type="radio" name="device" value={d} checked={devicePref === d} onChange={() => setDevicePref(d)} data-testid={`device-${d}`} />
            {{ auto: 'Automatic (WebGPU when possible)', webgpu: 'WebGPU', wasm: 'WASM (CPU)' }[d]}
          </label>
        ))}
        <span className="muted">{env ? (env.gpu ? `WebGPU adapter: ${env.gpu.vendor || 'unknown'} ${env.gpu.architecture}${env.gpu.shaderF16 ? ' (shader-f16)' : ' (no shader-f16)'}` : `No WebGPU: ${env.gpuUnavailableReason}`) : ''}</span>
      </fieldset>

      <h3>From the Hugging Face hub</h3>
      <table className="catalog" data-testid="catalog">
        <thead>
          <tr>
            <th>Model</th>
            <th>Size per dtype (before download)</th>
            <th>Dtype</th>
            <th>
              <span className="sr-only">Load</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {CATALOG.map((m) => {
            const s = sizes[m.id]
            const offered = s && s !== 'pending' && s !== 'unavailable' ? s.options.map((o) => o.dtype) : (Object.keys(m.publishedSizes ?? {}) as Dtype[])
            return (
              <tr key={m.id}>
                <td>
                  <strong>{m.title}</strong> <span className="muted">{m.parameters} · {m.instruct ? 'instruct' : 'base'}</span>
                  <div className="muted small-text">{m.id}</div>
                </td>
                <td className="small-text">{sizeText(s, m.publishedSizes)}</td>
                <td>
                  <select aria-label={`dtype for ${m.title}`} value={dtypes[m.id] ?? ''} onChange={(e) => setDtypes({ ...dtypes, [m.id]: e.target.value as Dtype })}>
                    <option value="">automatic</option>
                    {(offered.length ? offered : DTYPES).map((d) => (
                      <option key={d} value={d}>
                        {d}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <button disabled={busy} onClick={() => load({ kind: 'hub', id: m.id }, { dtype: dtypeFor(m.id) })}>
                    Load
                  </button>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
      <CsvButton
        columns={[
          { header: 'title', value: (m) => m.title },
          { header: 'id', value: (m) => m.id },
          { header: 'parameters', value: (m) => m.parameters },
          { header: 'instruct', value: (m) => m.instruct },
          { header: 'sizes', value: (m) => sizeText(sizes[m.id], m.publishedSizes) },
        ]}
        rows={CATALOG}
        filename="model-catalog"
        what="the model catalogue"
      />
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault()
          if (hubId.trim()) void load({ kind: 'hub', id: hubId.trim() })
        }}
      >
        <label className="grow">
          Any hub model id{' '}
          <input placeholder="organisation/model-name" value={hubId} onChange={(e) => setHubId(e.target.value)} data-testid="hub-id" />
        </label>
        <button type="submit" disabled={busy || !hubId.trim()}>
          Load
        </button>
      </form>

      <h3>From this computer</h3>
      <div
        className={dragging ? 'dropzone dragging' : 'dropzone'}
        data-testid="folder-drop"
        onDragOver={(e) => {
          e.preventDefault()
          setDragging(true)
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={async (e) => {
          e.preventDefault()
          setDragging(false)
          const { name, entries } = await entriesFromDrop(e.dataTransfer.items)
          if (entries.length) void load({ kind: 'local', name, entries })
        }}
      >
        Drop a model folder here (config.json, tokenizer.json, onnx/*.onnx and any external data file), or{' '}
        <button className="link" onClick={() => folderRef.current?.click()}>
          choose a folder
        </button>
        .
        <input
          ref={folderRef}
          type="file"
          multiple
          hidden
          data-testid="folder-input"
          {...folderAttrs}
          onChange={(e) => {
            const files = e.target.files
            if (!files?.length) return
            const entries = entriesFromFileList(files)
            const name = entries[0].path.split('/')[0] || 'folder'
            void load({ kind: 'local', name, entries })
            e.target.value = ''
          }}
        />
      </div>

      <h3>From a URL (a self-hosted static copy)</h3>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault()
          if (urlPrefix.trim()) void load({ kind: 'url', prefix: urlPrefix.trim() })
        }}
      >
        <label className="grow">
          URL prefix <input placeholder="https://example.org/models/my-model/" value={urlPrefix} onChange={(e) => setUrlPrefix(e.target.value)} data-testid="url-prefix" />
        </label>
        <button type="submit" disabled={busy || !urlPrefix.trim()}>
          Load
        </button>
      </form>

      <h3>Built into the lab (works offline)</h3>
      <ul className="builtin-list">
        {BUILTIN_MODELS.map((m) => (
          <li key={m.id}>
            <button disabled={busy} onClick={() => load({ kind: 'builtin', id: m.id })} data-testid={`load-builtin-${m.id}`}>
              Load
            </button>{' '}
            <strong>{m.title}</strong> <span className="muted">{m.description}</span>
          </li>
        ))}
      </ul>

      <details>
        <summary>Hub endpoint</summary>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault()
            void setHubHost(hostDraft)
          }}
        >
          <label className="grow">
            Address of the hub or a mirror{' '}
            <input value={hostDraft} onChange={(e) => setHostDraft(e.target.value)} data-testid="hub-host" />
          </label>
          <button type="submit">Use</button>
        </form>
      </details>
    </div>
  )
}

function modelOfUrl(url: string): string {
  const m = /\/([^/]+\/[^/]+)\/resolve\//.exec(url)
  return m ? m[1] : new URL(url).pathname.split('/').slice(0, -2).join('/') || url
}

function CacheCard() {
  const cache = useModel((s) => s.cache)
  const refresh = useModel((s) => s.refreshCache)
  const del = useModel((s) => s.deleteCached)
  const clear = useModel((s) => s.clearCache)
  useEffect(() => {
    void refresh()
  }, [refresh])
  const groups = new Map<string, { urls: string[]; size: number }>()
  for (const f of cache) {
    const g = groups.get(modelOfUrl(f.url)) ?? { urls: [], size: 0 }
    g.urls.push(f.url)
    g.size += f.size
    groups.set(modelOfUrl(f.url), g)
  }
  const total = cache.reduce((s, f) => s + f.size, 0)
  return (
    <div className="card" data-testid="cache">
      <h2>Downloaded models in this browser</h2>
      {groups.size === 0 ? (
        <p className="muted">Nothing cached yet. Models downloaded from the hub or a URL are kept here so the next visit opens them without downloading.</p>
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th>Model</th>
                <th>Files</th>
                <th>Size</th>
                <th>
                  <span className="sr-only">Delete</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {[...groups].map(([model, g]) => (
                <tr key={model}>
                  <td>{model}</td>
                  <td>{g.urls.length}</td>
                  <td>{formatBytes(g.size)}</td>
                  <td>
                    <button className="small" onClick={() => del(g.urls)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <CsvButton columns={[{ header: 'model', value: ([m]) => m }, { header: 'files', value: ([, g]) => g.urls.length }, { header: 'bytes', value: ([, g]) => g.size }]} rows={[...groups]} filename="cached-models" what="the cached models" />
          <p>
            {formatBytes(total)} in all.{' '}
            <button className="small" onClick={clear} data-testid="cache-clear">
              Clear all
            </button>
          </p>
        </>
      )}
    </div>
  )
}
