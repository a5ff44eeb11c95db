import { useEffect } from 'react'
import { useModel } from '../../state/modelStore.ts'
import { useInside, insideStore } from '../../state/insideStore.ts'
import { LayerDiagram } from './LayerDiagram.tsx'
import { LineChart } from '../plots/LineChart.tsx'
import { PlotFrame } from '../plots/PlotFrame.tsx'
import { CsvButton } from '../CsvButton.tsx'

export function InsideModel() {
  const info = useModel((s) => s.info)
  useEffect(() => insideStore.getState().reset(), [info?.sourceKey, info?.device, info?.dtype])
  if (!info) return null
  const hooks = info.hooks
  return (
    <div className="card" data-testid="inside-model">
      <h2>Inside the model: the residual stream</h2>
      {hooks.supported ? (
        <>
          <p>
            The lab found the residual stream of this export {hooks.style === 'fused' ? 'in its fused' : 'in its chain of'}{' '}
            <code>{hooks.carrier}</code> {hooks.style === 'fused' ? 'nodes (output 3 is the residual sum)' : 'nodes'} and can read and change it at{' '}
            <strong data-testid="hook-count">{hooks.names.length}</strong> hook points: before each block (<code>hook_resid_pre</code>), between
            attention and MLP (<code>hook_resid_mid</code>) and after it (<code>hook_resid_post</code>).
          </p>
          <PlotFrame title="Where can the lab read and change the residual stream?" name="layer-diagram">
            {(ref) => <LayerDiagram info={info} svgRef={ref} />}
          </PlotFrame>
          <LensTool />
        </>
      ) : (
        <p className="banner warn" data-testid="hooks-unsupported">
          <strong>No hooks for this export.</strong> {hooks.reason} The model still runs: next-token predictions and generation work, but
          analyses that read the residual stream need a supported export.
        </p>
      )}
      <GenerateTool />
    </div>
  )
}

function LensTool() {
  const info = useModel((s) => s.info)!
  const text = useInside((s) => s.lensText)
  const setText = useInside((s) => s.setLensText)
  const run = useInside((s) => s.runLens)
  const lens = useInside((s) => s.lens)
  const busy = useInside((s) => s.lensBusy)
  const error = useInside((s) => s.lensError)
  const layerOf = (i: number) => (i === 0 ? 'embed' : String(i - 1))
  const peak = lens ? lens.layers.reduce((a, l, i) => (l.norm > lens.layers[a].norm ? i : a), 0) : 0
  return (
    <>
      <h3>Run a text through the layers</h3>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault()
          void run()
        }}
      >
        <label className="grow">
          <span className="sr-only">Text for the logit lens</span>
          <input value={text} onChange={(e) => setText(e.target.value)} data-testid="lens-text" />
        </label>
        <button type="submit" disabled={busy || !text.trim()} data-testid="lens-run">
          {busy ? 'Running…' : 'Show layer by layer'}
        </button>
      </form>
      {error && <p className="banner error">{error}</p>}
      {lens && (
        <div className="lens-results" data-testid="lens-results">
          <PlotFrame
            title="How large is the residual stream after each layer?"
            name="residual-norms"
            testId="norm-plot"
            reading={
              <>
                At the last token (“{lens.tokens[lens.tokens.length - 1]}”) the residual stream is largest{' '}
                {peak === 0 ? 'right after the embedding' : `after layer ${peak - 1}`} (norm {lens.layers[peak].norm.toFixed(2)}).
                {info.randomWeights ? ' The built-in model has random weights, so the pattern means nothing.' : ''}
              </>
            }
            note={<p>The L2 norm of the residual vector at the last token, after the embedding and after each layer. Real models typically grow it with depth.</p>}
          >
            {(ref) => (
              <LineChart
                svgRef={ref}
                series={[{ name: 'norm', points: lens.layers.map((l, i) => ({ x: i - 1, y: l.norm })) }]}
                xLabel="Layer (−1 = embedding)"
                yLabel="Residual norm"
                integerX
                description={`Residual norm by layer for "${lens.text}"`}
              />
            )}
          </PlotFrame>
          <table className="lens-table" data-testid="lens-table">
            <caption>
              Logit lens: what the model would predict next if it stopped after each layer (the model’s own final norm and unembedding applied to
              the residual stream at the last token).
            </caption>
            <thead>
              <tr>
                <th>Layer</th>
                <th>Norm</th>
                {[1, 2, 3, 4, 5].map((k) => (
                  <th key={k}>#{k}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {lens.layers.map((l, i) => (
                <tr key={l.hook + i}>
                  <td>{layerOf(i)}</td>
                  <td>{l.norm.toFixed(2)}</td>
                  {l.top.map((t) => (
                    <td key={t.id} style={{ background: `rgba(0,114,178,${Math.min(0.6, t.prob * 0.9)})` }}>
                      <code>{JSON.stringify(t.token)}</code> <span className="small-text">{(t.prob * 100).toFixed(1)}%</span>
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <CsvButton
            columns={[
              { header: 'layer', value: (_, i) => layerOf(i) },
              { header: 'hook', value: (l) => l.hook },
              { header: 'norm', value: (l) => l.norm },
              ...[0, 1, 2, 3, 4].flatMap((k) => [
                { header: `top${k + 1}_token`, value: (l: (typeof lens.layers)[number]) => l.top[k]?.token },
                { header: `top${k + 1}_prob`, value: (l: (typeof lens.layers)[number]) => l.top[k]?.prob },
              ]),
            ]}
            rows={lens.layers}
            filename="logit-lens"
            what="the logit lens table"
          />
        </div>
      )}
    </>
  )
}

function GenerateTool() {
  const info = useModel((s) => s.info)!
  const s = useInside((st) => st)
  return (
    <>
      <h3>Let the model write</h3>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault()
          if (s.genBusy) s.cancelGenerate()
          else void s.runGenerate()
        }}
      >
        <label className="grow">
          Prompt <input value={s.genPrompt} onChange={(e) => s.setGen({ genPrompt: e.target.value })} data-testid="gen-prompt" />
        </label>
        <label>
          Tokens{' '}
          <input type="number" min={1} max={512} value={s.maxNewTokens} onChange={(e) => s.setGen({ maxNewTokens: Number(e.target.value) || 1 })} style={{ width: '5rem' }} />
        </label>
        <label>
          Temperature{' '}
          <input type="number" min={0} max={2} step={0.1} value={s.temperature} onChange={(e) => s.setGen({ temperature: Number(e.target.value) })} style={{ width: '5rem' }} />
        </label>
        {info.hasChatTemplate && (
          <label className="radio">
            <input type="checkbox" checked={s.useChat} onChange={(e) => s.setGen({ useChat: e.target.checked })} /> chat template
          </label>
        )}
        <button type="submit" data-testid="gen-run">
          {s.genBusy ? 'Stop' : 'Generate'}
        </button>
      </form>
      {(s.genText || s.genBusy) && (
        <pre className="generated" data-testid="gen-output" aria-live="polite">
          {s.genText}
          {s.genBusy ? '▍' : ''}
        </pre>
      )}
      {s.genReason && !s.genBusy && <p className="muted small-text">Stopped: {{ eos: 'end-of-sequence token', 'stop-string': 'stop string', 'max-tokens': 'token limit reached', cancelled: 'cancelled' }[s.genReason] ?? s.genReason}.{info.randomWeights ? ' (Random weights: the text is gibberish by design.)' : ''}</p>}
      {s.genError && <p className="banner error">{s.genError}</p>}
    </>
  )
}
