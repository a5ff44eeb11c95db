import { useMemo } from 'react'
import { useSae } from '../../state/saeStore.ts'
import { useModel } from '../../state/modelStore.ts'
import { useStimuli } from '../../state/stimuliStore.ts'
import { readEvaluation, readTraining, saeMethodNotes } from '../../core/sae/readings.ts'
import { SAE_CFG_FILENAME, SAE_WEIGHTS_FILENAME } from '../../core/sae/saelens.ts'
import { LineChart } from '../plots/LineChart.tsx'
import { Histogram } from '../plots/Histogram.tsx'
import { PlotFrame } from '../plots/PlotFrame.tsx'
import { downloadBytes } from '../plots/export.ts'
import { CsvButton } from '../CsvButton.tsx'
import { FeatureBrowser } from './FeatureBrowser.tsx'
import { MoralFeatures } from './MoralFeatures.tsx'
import { BehaviourCheck } from './BehaviourCheck.tsx'
import { MethodNotesCard, Readings } from './Readings.tsx'
import type { HookKind } from '../../core/hooks/locate.ts'

export function FeaturesPanel() {
  const info = useModel((m) => m.info)
  return (
    <section className="panel" aria-labelledby="panel-features" data-testid="panel-features">
      <h1 id="panel-features">Features (SAE)</h1>
      <p className="question">
        Which sparse features carry morality? Train a sparse autoencoder on one layer of the residual stream in this tab, browse its features, find the ones
        that track a single moral coordinate, re-align them to human moral geometry, and compare the model’s answers before and after (the SAE stage of the
        moral-indifference paper, 2026).
      </p>
      {info?.randomWeights && (
        <p className="banner warn small-text" data-testid="sae-random-weights">
          {info.sourceLabel} has random weights: its features and every number below mean nothing about real models. Load a real model to study them.
        </p>
      )}
      <SetupCard />
      <TrainingCard />
      <EvaluationCard />
      <FeatureBrowser />
      <MoralFeatures />
      <BehaviourCheck />
      <MethodNotes />
    </section>
  )
}

function SetupCard() {
  const s = useSae((st) => st)
  const info = useModel((m) => m.info)
  const sets = useStimuli((st) => st.sets)
  const layer = s.layer ?? (info ? Math.floor(info.nLayers / 2) : 0)
  const busy = !!s.running
  const cfg = s.config
  const num = (field: keyof typeof cfg, min: number, step = 1) => (
    <input
      type="number"
      min={min}
      step={step}
      value={String(cfg[field] ?? '')}
      onChange={(e) => s.setConfig({ [field]: e.target.value === '' ? undefined : Number(e.target.value) })}
      aria-label={String(field)}
      data-testid={`sae-cfg-${String(field)}`}
    />
  )
  const onText = async (files: FileList | null) => {
    const f = files?.[0]
    if (!f) return
    s.setOptions({ extraText: await f.text(), extraSource: f.name })
  }
  const save = async () => {
    const files = await s.saeFiles()
    if (!files) return
    downloadBytes(new TextEncoder().encode(files.cfgJson), SAE_CFG_FILENAME, 'application/json')
    downloadBytes(files.weights, SAE_WEIGHTS_FILENAME)
  }
  return (
    <div className="card" data-testid="sae-setup">
      <h2>1 · Collect activations and train</h2>
      <div className="row">
        <label>
          Layer{' '}
          <select value={layer} onChange={(e) => s.setOptions({ layer: Number(e.target.value) })} disabled={!info || busy} data-testid="sae-layer">
            {Array.from({ length: info?.nLayers ?? 0 }, (_, l) => (
              <option key={l} value={l}>
                {l}
                {l === Math.floor((info?.nLayers ?? 0) / 2) ? ' (middle)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Hook{' '}
          <select value={s.hookKind} onChange={(e) => s.setOptions({ hookKind: e.target.value as HookKind })} disabled={busy}>
            <option value="resid_pre">resid_pre (into the block)</option>
            <option value="resid_mid">resid_mid (after attention)</option>
            <option value="resid_post">resid_post (out of the block)</option>
          </select>
        </label>
        <label>
          Train on{' '}
          <select value={s.backendPref} onChange={(e) => s.setOptions({ backendPref: e.target.value as never })} disabled={busy} data-testid="sae-backend">
            <option value="auto">automatic (WebGPU on a real GPU)</option>
            <option value="webgpu">WebGPU</option>
            <option value="cpu">CPU (WASM)</option>
          </select>
        </label>
      </div>
      <fieldset className="row">
        <legend className="small-text">Texts to train on (every token counts)</legend>
        {sets.map((set) => (
          <label key={set.id} className="small-text">
            <input
              type="checkbox"
              checked={s.corpusSetIds.includes(set.id)}
              onChange={(e) => s.setOptions({ corpusSetIds: e.target.checked ? [...s.corpusSetIds, set.id] : s.corpusSetIds.filter((x) => x !== set.id) })}
              disabled={busy}
            />{' '}
            {set.name} ({set.items.length})
          </label>
        ))}
      </fieldset>
      <details>
        <summary>Add your own text {s.extraText ? `(${s.extraSource ?? 'pasted'}: ${s.extraText.split(/\n/).filter((l) => l.trim()).length} lines)` : ''}</summary>
        <textarea
          rows={4}
          className="grow"
          placeholder="Paste text here: one passage per line."
          value={s.extraText}
          onChange={(e) => s.setOptions({ extraText: e.target.value, extraSource: undefined })}
          aria-label="Extra training text"
          data-testid="sae-extra-text"
        />
        <label className="small-text">
          or a .txt file <input type="file" accept=".txt,text/plain" onChange={(e) => void onText(e.target.files)} />
        </label>
      </details>
      <details data-testid="sae-options">
        <summary>Training options</summary>
        <div className="row small-text">
          <label>
            Architecture{' '}
            <select value={cfg.architecture ?? 'topk'} onChange={(e) => s.setConfig({ architecture: e.target.value as never })}>
              <option value="topk">TopK + AuxK (default)</option>
              <option value="standard">ReLU + L1 (for comparison)</option>
            </select>
          </label>
          <label>Expansion factor {num('expansionFactor', 1)}</label>
          <label>k (active features) {num('k', 1)}</label>
          <label>Learning rate {num('lr', 0, 0.0001)}</label>
          <label>Batch (tokens) {num('batchSize', 1)}</label>
          <label>Steps {num('steps', 1)}</label>
          <label>Seed {num('seed', 0)}</label>
          {cfg.architecture === 'standard' && <label>L1 coefficient {num('l1Coefficient', 0, 0.1)}</label>}
        </div>
        <p className="small-text muted">Defaults follow SAELens (k = 32, 8× expansion, Adam at 3·10⁻⁴) with the number of steps scaled to about 20 passes over the corpus.</p>
      </details>
      <div className="row">
        <button onClick={() => void s.runAll()} disabled={!info || busy} data-testid="sae-run">
          {busy ? 'Working…' : 'Run: collect, train, find moral features'}
        </button>
        <button className="secondary" onClick={() => void s.collect()} disabled={!info || busy} data-testid="sae-collect">
          Collect only
        </button>
        <button className="secondary" onClick={() => void s.train()} disabled={!s.corpus || busy} data-testid="sae-train">
          Train again
        </button>
        {s.running === 'train' &&
          (s.paused ? (
            <button className="secondary" onClick={() => s.resume()} data-testid="sae-resume">
              Resume
            </button>
          ) : (
            <button className="secondary" onClick={() => s.pause()} data-testid="sae-pause">
              Pause
            </button>
          ))}
        {busy && (
          <button className="secondary" onClick={() => s.cancel()} data-testid="sae-cancel">
            Cancel
          </button>
        )}
      </div>
      <div className="row small-text">
        <label className="secondary">
          Open SAELens files ({SAE_CFG_FILENAME} + {SAE_WEIGHTS_FILENAME}){' '}
          <input type="file" multiple accept=".json,.safetensors" onChange={(e) => e.target.files && void s.loadSae([...e.target.files])} disabled={!info || busy} data-testid="sae-open" />
        </label>
        <button className="small secondary" onClick={() => void save()} disabled={!s.sae || busy} data-testid="sae-save">
          Save as SAELens files
        </button>
      </div>
      {s.progress && (
        <p className="small-text muted" data-testid="sae-progress">
          {s.progress.label}: {s.progress.done}/{s.progress.total}
        </p>
      )}
      {s.corpus && (
        <p className="small-text" data-testid="sae-corpus">
          Corpus: {s.corpus.texts.toLocaleString('en')} texts, {s.corpus.tokens.toLocaleString('en')} tokens at <code>{s.corpus.hook}</code> ({s.corpus.sources.map((x) => `${x.name}: ${x.passages}`).join('; ')}
          ). {s.corpus.heldOutTexts} texts ({s.corpus.heldOutTokens} tokens) are held out for evaluation.{s.corpus.reused ? ' Activations came from the store, not recomputed.' : ''}
        </p>
      )}
      {s.notice && <p className="banner small-text">{s.notice}</p>}
      {s.error && (
        <p className="banner error" role="alert" data-testid="sae-error">
          {s.error}
        </p>
      )}
    </div>
  )
}

function TrainingCard() {
  const s = useSae((st) => st)
  const h = s.history
  if (h.length === 0 && s.running !== 'train') return null
  const last = h[h.length - 1]
  const ev = [{ name: 'explained variance', points: h.map((m) => ({ x: m.step, y: m.explainedVariance })) }]
  const health = [
    { name: 'dead', points: h.map((m) => ({ x: m.step, y: m.deadFraction })) },
    { name: 'dense (>10% of tokens)', points: h.map((m) => ({ x: m.step, y: m.denseFraction })) },
  ]
  const sparsity = [{ name: 'L0', points: h.map((m) => ({ x: m.step, y: m.l0 })) }]
  const mse = [{ name: 'MSE', points: h.map((m) => ({ x: m.step, y: m.mseLoss })) }]
  const topk = s.sae?.architecture === 'topk' || (s.config.architecture ?? 'topk') === 'topk'
  const csvColumns = ['step', 'tokens', 'lr', 'loss', 'mseLoss', 'auxLoss', 'l1Loss', 'explainedVariance', 'l0', 'deadFraction', 'denseFraction', 'tokensPerSecond']
  return (
    <div className="card" data-testid="sae-training">
      <h2>Training {s.paused ? '(paused)' : ''}</h2>
      <p className="small-text">
        {s.backend ? `Backend: ${s.backend.backend === 'webgpu' ? 'WebGPU' : 'CPU (WASM)'} — ${s.backend.reason}. ` : ''}
        {last ? `Step ${last.step}${s.trainRun ? ` of ${s.trainRun.steps}` : ''}, ${Math.round(last.tokensPerSecond).toLocaleString('en')} tokens/s.` : 'Starting…'}
        {s.trainRun?.cancelled ? ' Cancelled: the SAE keeps the weights reached so far.' : ''}
      </p>
      {h.length > 0 && (
        <div className="plot-grid">
          <PlotFrame title="How much of the activations does it reconstruct?" name="sae-training-ev" testId="plot-sae-quality">
            {(ref) => <LineChart svgRef={ref} series={ev} xLabel="Step" yLabel="Explained variance" yDomain={[0, 1]} description="Explained variance of each training batch" width={440} height={220} />}
          </PlotFrame>
          <PlotFrame title="How large is the reconstruction error?" name="sae-training-mse" testId="plot-sae-mse">
            {(ref) => <LineChart svgRef={ref} series={mse} xLabel="Step" yLabel="MSE (normalised units)" description="Reconstruction mean squared error during training" width={440} height={220} />}
          </PlotFrame>
          <PlotFrame title="How many features are dead or dense?" name="sae-training-dead" testId="plot-sae-dead">
            {(ref) => <LineChart svgRef={ref} series={health} xLabel="Step" yLabel="Fraction of features" yDomain={[0, 1]} description="Dead and dense feature fractions during training" width={440} height={220} />}
          </PlotFrame>
          <PlotFrame
            title="How many features fire per token?"
            name="sae-training-l0"
            testId="plot-sae-l0"
            reading={topk ? `A TopK SAE keeps exactly k = ${s.config.k ?? s.sae?.k} features per token, so this line is flat by design.` : undefined}
          >
            {(ref) => <LineChart svgRef={ref} series={sparsity} xLabel="Step" yLabel="L0 (features per token)" description="L0 during training" width={440} height={220} />}
          </PlotFrame>
        </div>
      )}
      {last && s.trainRun && <Readings items={readTraining(last, s.trainRun.steps, s.trainRun.cancelled)} />}
      {h.length > 0 && (
        <CsvButton columns={csvColumns} rows={h} filename="sae-training" what="the training curves" label="training curves as CSV" />
      )}
    </div>
  )
}

function EvaluationCard() {
  const s = useSae((st) => st)
  const ev = s.evaluation
  const readings = useMemo(() => (ev ? readEvaluation(ev, s.splice, s.corpus?.hook ?? 'the layer') : []), [ev, s.splice, s.corpus?.hook])
  if (!s.sae) return null
  const tiles: [string, string, string][] = ev
    ? [
        ['Explained variance', `${(100 * ev.explainedVariance).toFixed(1)}%`, 'sae-ev'],
        ['L0', ev.l0.toFixed(1), 'sae-l0'],
        ['Dead', `${(100 * ev.deadFraction).toFixed(1)}%`, 'sae-dead'],
        ['Dense (>10% of tokens)', `${(100 * ev.denseFraction).toFixed(1)}%`, 'sae-dense'],
        ...(s.splice
          ? ([
              ['CE loss score', `${(100 * s.splice.ceLossScore).toFixed(1)}%`, 'sae-ce-score'],
              ['CE increase', `${s.splice.ceIncrease.toFixed(3)} nats`, 'sae-ce-increase'],
              ['KL score', `${(100 * s.splice.klDivScore).toFixed(1)}%`, 'sae-kl-score'],
            ] as [string, string, string][])
          : []),
      ]
    : []
  const density = ev?.density.histogram
  return (
    <div className="card" data-testid="sae-evaluation">
      <h2>
        2 · How good is the SAE? <span className="chip">{s.sae.dSae.toLocaleString('en')} features</span>{' '}
        <span className="chip">{s.sae.architecture === 'topk' ? `TopK, k = ${s.sae.k}` : s.sae.architecture}</span> <span className="chip">{s.sae.origin}</span>
      </h2>
      {ev && (
        <dl className="facts" data-testid="sae-metrics">
          {tiles.map(([k, v, id]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd data-testid={id}>{v}</dd>
            </div>
          ))}
        </dl>
      )}
      {density && (
        <PlotFrame
          title="How often does each feature fire?"
          name="sae-feature-density"
          testId="plot-sae-density"
          note={<p>Each bar counts features by the fraction of held-out tokens they fire on, on a log scale. Features at the far left never fired (dead); features right of the dashed line fire on more than one token in ten (dense). A healthy SAE has most features in between.</p>}
        >
          {(ref) => (
            <Histogram
              svgRef={ref}
              bins={density.counts.map((c, i) => ({ x0: density.lo[i], x1: density.hi[i], count: c }))}
              xLabel="Feature density (log₁₀ fraction of tokens)"
              yLabel="Features"
              xFormat={powerOfTen}
              marker={{ x: -1, label: 'dense' }}
              description="Histogram of log10 feature density over held-out tokens"
              width={640}
            />
          )}
        </PlotFrame>
      )}
      <Readings items={readings} />
    </div>
  )
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '.': '·' }
function powerOfTen(v: number): string {
  return `10${String(v).replace(/./g, (c) => SUPERSCRIPT[c] ?? c)}`
}

function MethodNotes() {
  return <MethodNotesCard notes={saeMethodNotes()} testId="sae-notes" />
}
