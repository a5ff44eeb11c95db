import { useElicitation, elicitationSet, elicitationStore } from '../../state/elicitationStore.ts'
import { useModel } from '../../state/modelStore.ts'
import { useStimuli } from '../../state/stimuliStore.ts'
import { LineChart, type LinePoint } from '../plots/LineChart.tsx'
import { PlotFrame } from '../plots/PlotFrame.tsx'
import { downloadText } from '../plots/export.ts'
import { labelsToJsonl } from '../../core/icm/datasets.ts'
import { CsvButton } from '../CsvButton.tsx'

function thin<T>(xs: T[], max = 300): T[] {
  if (xs.length <= max) return xs
  const step = xs.length / max
  return Array.from({ length: max }, (_, i) => xs[Math.floor(i * step)]).concat([xs[xs.length - 1]])
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`

export function ElicitationPanel() {
  return (
    <section className="panel" aria-labelledby="panel-elicitation" data-testid="panel-elicitation">
      <h1 id="panel-elicitation">Elicitation (ICM)</h1>
      <p className="question">
        Can the model label right and wrong without being told? Internal Coherence Maximization looks for the labels that the model itself finds most
        mutually predictable and logically consistent (Wen et al. 2025; applied to moral claims by Alizadeh, Gilardi & Samei, 2026).
      </p>
      <RunCard />
      <Live />
      <Result />
    </section>
  )
}

function RunCard() {
  const s = useElicitation((st) => st)
  const info = useModel((m) => m.info)
  useStimuli((st) => st.activeId)
  const { set, fallback } = elicitationSet()
  const o = s.options
  const num = (key: keyof typeof o, label: string, step = 1) => (
    <label>
      {label}{' '}
      <input
        type="number"
        step={step}
        value={(o[key] as number | undefined) ?? ''}
        placeholder="off"
        style={{ width: '6rem' }}
        onChange={(e) => s.setOptions({ [key]: e.target.value === '' ? undefined : Number(e.target.value) } as never)}
        data-testid={`icm-${String(key)}`}
      />
    </label>
  )
  const running = s.status === 'running' || s.status === 'paused'
  return (
    <div className="card" data-testid="icm-run">
      <p>
        Claims: <strong>{set.name}</strong> ({set.items.length} items{fallback ? '; the active set has no gold labels or consistency groups, so the built-in claims are used' : ''}).
        Scorer: {s.scorer === 'model' ? <strong>{info?.sourceLabel ?? 'no model loaded'}</strong> : <strong>{s.remote.baseUrl || 'remote endpoint'}</strong>}.
      </p>
      <fieldset className="row" aria-label="Scorer">
        <legend>Who scores the claims</legend>
        <label className="radio">
          <input type="radio" checked={s.scorer === 'model'} onChange={() => s.setScorer('model')} /> the loaded model, in this tab
        </label>
        <label className="radio">
          <input type="radio" checked={s.scorer === 'remote'} onChange={() => s.setScorer('remote')} data-testid="icm-scorer-remote" /> an OpenAI-compatible completions
          endpoint (e.g. vLLM)
        </label>
      </fieldset>
      {s.scorer === 'remote' && (
        <div className="row">
          <label className="grow">
            Base URL <input value={s.remote.baseUrl} onChange={(e) => s.setRemote({ baseUrl: e.target.value })} data-testid="icm-remote-url" />
          </label>
          <label>
            Model <input value={s.remote.model} onChange={(e) => s.setRemote({ model: e.target.value })} data-testid="icm-remote-model" />
          </label>
          <label>
            API key{' '}
            <input type="password" autoComplete="off" value={s.remote.apiKey} onChange={(e) => s.setRemote({ apiKey: e.target.value })} data-testid="icm-remote-key" />
          </label>
          <span className="muted small-text">The key stays in this tab’s memory: it is never saved, exported or put in a link.</span>
        </div>
      )}
      <details className="options">
        <summary>Parameters (defaults from the official code, scaled to a browser)</summary>
        <div className="row">
          {num('alpha', 'α')}
          {num('numSeed', 'initial labels K')}
          {num('iterations', 'iterations')}
          {num('consistencyFixK', 'fix rounds')}
          {num('initialT', 'T₀', 0.5)}
          {num('finalT', 'T_min', 0.01)}
          {num('maxDemonstrations', 'max demonstrations')}
          {num('energySubsample', 'energy subsample')}
          {num('seed', 'seed')}
          <label>
            Demonstrations{' '}
            <select value={o.demoSelection ?? 'per-target'} onChange={(e) => s.setOptions({ demoSelection: e.target.value as never })}>
              <option value="shared">one shared random set (reuses KV caches)</option>
              <option value="per-target">a random set per item</option>
            </select>
          </label>
          <label>
            Schedule{' '}
            <select value={o.scheduler} onChange={(e) => s.setOptions({ scheduler: e.target.value as never })}>
              <option value="log">log (code default)</option>
              <option value="exp">exp</option>
            </select>
          </label>
        </div>
      </details>
      <div className="row">
        {!running && (
          <button onClick={() => void s.run()} data-testid="icm-run-button">
            Run ICM
          </button>
        )}
        {s.status === 'running' && (
          <button className="secondary" onClick={s.pause} data-testid="icm-pause">
            Pause
          </button>
        )}
        {s.status === 'paused' && (
          <button onClick={s.resume} data-testid="icm-resume">
            Resume
          </button>
        )}
        {running && (
          <button className="secondary" onClick={s.cancel} data-testid="icm-cancel">
            Cancel
          </button>
        )}
        {s.phase && running && <span className="muted">{s.phase === 'icm' ? 'searching labels…' : s.phase === 'baselines' ? 'running the baselines…' : 'failure rates…'}</span>}
      </div>
      {s.error && (
        <p className="banner error" role="alert" data-testid="icm-error">
          {s.error}
        </p>
      )}
    </div>
  )
}

function Live() {
  const s = useElicitation((st) => st)
  const info = useModel((m) => m.info)
  if (s.points.length === 0) return null
  const last = s.points[s.points.length - 1]
  const labelled = s.labels.filter((l) => l !== null)
  const ones = labelled.filter((l) => l === 1).length
  const share = labelled.length ? ones / labelled.length : 0
  const pts = thin(s.points)
  const series = (f: (p: (typeof pts)[number]) => number | null): LinePoint[] => pts.map((p) => ({ x: p.iteration, y: f(p) }))
  const hasGold = s.points.some((p) => p.goldAgreement !== null)
  return (
    <div className="card" data-testid="icm-live">
      <h2>
        Iteration {last.iteration} · {labelled.length} of {s.labels.length} claims labelled
      </h2>
      <p data-testid="icm-counts">
        {s.accepted} proposals accepted, {s.rejected} rejected · {s.forwardPasses} forward passes
        {labelled.length ? ` (${(s.forwardPasses / labelled.length).toFixed(1)} per labelled claim)` : ''}
        {info?.randomWeights && s.scorer === 'model' ? ' · random-weight model: the labels mean nothing' : ''}
      </p>
      <div className="balance" role="img" aria-label={`Label balance: ${pct(share)} True, ${pct(1 - share)} False`} data-testid="icm-balance">
        <span className="bar-true" style={{ width: pct(share) }}>
          True {pct(share)}
        </span>
        <span className="bar-false" style={{ width: pct(1 - share) }}>
          False {pct(1 - share)}
        </span>
      </div>
      {s.warnings.map((w) => (
        <p key={w.message} className="banner warn" role="alert" data-testid="icm-warning">
          {w.message}
        </p>
      ))}
      <div className="small-multiples">
        <PlotFrame title="Is coherence rising?" name="icm-energy" testId="plot-icm-energy" note={<p>Energy = α × mean log-odds of each label given all the others − number of inconsistent pairs. ICM keeps a flip when the energy rises, and sometimes when it falls while the temperature is high.</p>}>
          {(ref) => <LineChart svgRef={ref} width={520} height={220} integerX series={[{ name: 'energy', points: series((p) => p.energy) }]} xLabel="Iteration" yLabel="Energy" description="ICM energy by iteration" />}
        </PlotFrame>
        <PlotFrame title="How willing is the search to accept a worse labelling?" name="icm-temperature" testId="plot-icm-temperature">
          {(ref) => <LineChart svgRef={ref} width={520} height={220} integerX series={[{ name: 'temperature', points: series((p) => p.temperature) }]} xLabel="Iteration" yLabel="Temperature" description="ICM temperature by iteration" />}
        </PlotFrame>
        {hasGold && (
          <PlotFrame title="Do the labels agree with the gold labels?" name="icm-gold" testId="plot-icm-gold" note={<p>Share of labelled claims whose label equals the gold label. ICM never sees the gold labels.</p>}>
            {(ref) => (
              <LineChart
                svgRef={ref}
                width={520}
                height={220}
                integerX
                yDomain={[0, 1]}
                refLines={[{ y: 0.5, label: 'chance' }]}
                series={[{ name: 'agreement with gold', points: series((p) => p.goldAgreement) }]}
                xLabel="Iteration"
                yLabel="Agreement"
                description="Agreement of ICM labels with gold by iteration"
              />
            )}
          </PlotFrame>
        )}
      </div>
      {s.itemIds.length > 0 && (
        <details open={s.itemIds.length <= 40}>
          <summary>The labelled claims (latest changes highlighted)</summary>
          <CsvButton
            columns={[
              { header: 'id', value: (id) => id },
              { header: 'claim', value: (_, i) => s.itemTexts[i] },
              { header: 'icm_label', value: (_, i) => (s.labels[i] === null || s.labels[i] === undefined ? undefined : s.labels[i] === 1) },
              { header: 'gold', value: (_, i) => (s.gold[i] === undefined ? undefined : s.gold[i] === 1) },
              { header: 'flips', value: (_, i) => s.flips[i] ?? 0 },
            ]}
            rows={s.itemIds}
            filename="icm-labels"
            what="the labelled claims"
          />
          <table className="small-text" data-testid="icm-labels">
            <thead>
              <tr>
                <th>Claim</th>
                <th>ICM label</th>
                <th>Gold</th>
                <th>Flips</th>
              </tr>
            </thead>
            <tbody>
              {s.itemIds.map((id, i) => (
                <tr key={id} className={s.lastChanged.includes(i) ? 'flipped' : undefined}>
                  <td>{s.itemTexts[i]}</td>
                  <td>{s.labels[i] === null || s.labels[i] === undefined ? '—' : s.labels[i] === 1 ? 'True' : 'False'}</td>
                  <td>{s.gold[i] === undefined ? '' : s.gold[i] === 1 ? 'True' : 'False'}</td>
                  <td>{s.flips[i] ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </div>
  )
}

const BASELINE_NAMES: Record<string, string> = {
  'zero-shot': 'zero-shot (no demonstrations)',
  'zero-shot-instruct': 'zero-shot, chat template (instruct model)',
  'random-few-shot': 'few-shot with random labels',
  'gold-few-shot': 'few-shot with gold labels',
  'icm-few-shot': 'few-shot with ICM labels',
}

function Result() {
  const s = useElicitation((st) => st)
  const r = s.result
  if (!r) return null
  const perItem = r.icm.forwardPassesPerLabelled
  const trainItems = r.items.filter((i) => r.train.includes(i.id))
  return (
    <div className="card" data-testid="icm-result">
      <h2>
        {r.icm.status === 'cancelled' ? 'Cancelled run' : 'Finished'}: {r.icm.labelBalance.labelled} claims labelled, agreement with gold{' '}
        {r.icm.goldAgreement === null ? 'n/a' : pct(r.icm.goldAgreement)}
      </h2>
      <p data-testid="icm-cost">
        Cost: {r.icm.forwardPasses} forward passes, <strong>{perItem.toFixed(1)} per labelled claim</strong>; {r.icm.energyEvaluations} energy evaluations (
        {r.icm.energyEvaluationsPerLabelled.toFixed(1)} per labelled claim). The paper’s official runs cost 2.0–3.9 forward passes per labelled item, most
        likely counted as energy evaluations.
      </p>
      {r.baselines.length > 0 && (
        <>
          <table data-testid="icm-baselines">
            <caption>Accuracy on the {r.test.length} held-out claims (95% Wilson interval)</caption>
            <thead>
              <tr>
                <th>Method</th>
                <th>Accuracy</th>
                <th>95% CI</th>
                <th>Demonstrations</th>
              </tr>
            </thead>
            <tbody>
              {r.baselines.map((b) => (
                <tr key={b.name}>
                  <td>{BASELINE_NAMES[b.name] ?? b.name}</td>
                  <td>
                    <span className="bar" style={{ width: `${b.accuracy.accuracy * 160}px` }} aria-hidden /> {pct(b.accuracy.accuracy)}
                  </td>
                  <td>
                    {pct(b.accuracy.lo)}–{pct(b.accuracy.hi)}
                  </td>
                  <td>{b.demonstrations}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <CsvButton
            columns={[
              { header: 'method', value: (b) => BASELINE_NAMES[b.name] ?? b.name },
              { header: 'accuracy', value: (b) => b.accuracy.accuracy },
              { header: 'ci_low', value: (b) => b.accuracy.lo },
              { header: 'ci_high', value: (b) => b.accuracy.hi },
              { header: 'demonstrations', value: (b) => b.demonstrations },
            ]}
            rows={r.baselines}
            filename="icm-baselines"
            what="the baseline accuracies"
          />
        </>
      )}
      {r.failures && (
        <table data-testid="icm-failures">
          <caption>Share of rights claims labelled false per group category (lower is better; all gold labels are true)</caption>
          <thead>
            <tr>
              <th>Category</th>
              <th>Claims</th>
              <th>Zero-shot</th>
              <th>ICM</th>
            </tr>
          </thead>
          <tbody>
            {r.failures.map((f) => (
              <tr key={f.category}>
                <td>{f.category}</td>
                <td>{f.n}</td>
                <td>
                  {pct(f.zeroShot.share)} <span className="muted">({pct(f.zeroShot.lo)}–{pct(f.zeroShot.hi)})</span>
                </td>
                <td>{f.icm ? `${pct(f.icm.share)} (${pct(f.icm.lo)}–${pct(f.icm.hi)})` : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {r.failures && (
        <CsvButton
          columns={[
            { header: 'category', value: (f) => f.category },
            { header: 'claims', value: (f) => f.n },
            { header: 'zero_shot_share', value: (f) => f.zeroShot.share },
            { header: 'zero_shot_low', value: (f) => f.zeroShot.lo },
            { header: 'zero_shot_high', value: (f) => f.zeroShot.hi },
            { header: 'icm_share', value: (f) => f.icm?.share },
            { header: 'icm_low', value: (f) => f.icm?.lo },
            { header: 'icm_high', value: (f) => f.icm?.hi },
          ]}
          rows={r.failures}
          filename="icm-failures"
          what="the failure shares per group category"
        />
      )}
      <details className="method-note" open>
        <summary>Method notes and approximations</summary>
        <ul className="small-text" data-testid="icm-approximations">
          <li>Prompts use {r.templateNote}; each label is scored by the log-odds of “True”-like versus “False”-like next tokens, as the official code does.</li>
          {r.approximations.map((a) => (
            <li key={a}>{a}</li>
          ))}
          <li>ICM ran on {r.train.length} claims; {r.test.length} were held out for the baselines.</li>
        </ul>
      </details>
      <button
        className="secondary"
        onClick={() => downloadText(labelsToJsonl(trainItems, r.icm.labels) + '\n', `icm-labels-${(s.setName ?? 'set').replace(/\W+/g, '_')}.jsonl`, 'application/jsonl')}
        data-testid="icm-export"
      >
        Export labels (JSONL)
      </button>
    </div>
  )
}

export { elicitationStore }
