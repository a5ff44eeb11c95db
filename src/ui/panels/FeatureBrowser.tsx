import { FEATURE_PAGE_SIZE, useSae } from '../../state/saeStore.ts'
import { MORAL_VECTOR_AXES } from '../../core/stimuli/types.ts'
import { Histogram } from '../plots/Histogram.tsx'
import { PlotFrame } from '../plots/PlotFrame.tsx'
import { CsvButton } from '../CsvButton.tsx'
import { seriesColor } from '../plots/palette.ts'
import type { FeatureSortKey } from '../../core/sae/labels.ts'

const SORTS: [FeatureSortKey, string][] = [
  ['monosemanticity', 'mono-semanticity (one moral coordinate)'],
  ['bestAxisRho', '|ρ| with its best moral coordinate'],
  ['label:typicality', '|ρ| with typicality'],
  ['label:virtue-vs-vice', '|ρ| with virtue vs vice'],
  ['density', 'how often it fires'],
  ['maxActivation', 'largest activation'],
  ['feature', 'feature number'],
]

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–')
const pct = (x: number) => (x >= 0.001 ? `${(100 * x).toFixed(1)}%` : x > 0 ? `${(100 * x).toExponential(0)}%` : '0')

/** Tokens shaded by the feature's activation quantile bin; the value is in each token's title. */
export function TokenText({ tokens, activations, bins, testId }: { tokens: readonly string[]; activations: ArrayLike<number>; bins: ArrayLike<number>; testId?: string }) {
  let peak = 0
  for (let t = 1; t < tokens.length; t++) if (activations[t] > activations[peak]) peak = t
  return (
    <span className="token-text" data-testid={testId}>
      {tokens.map((tok, t) => {
        const b = bins[t]
        const on = b >= 0 && activations[t] > 0
        return (
          <span
            key={t}
            className={on ? 'tok on' : 'tok'}
            style={on ? { background: `rgba(230, 159, 0, ${0.15 + (0.85 * (b + 1)) / 10})` } : undefined}
            title={`${JSON.stringify(tok)}: ${fmt(activations[t], 3)}`}
            data-bin={b}
          >
            {t === peak && on ? <strong>{tok}</strong> : tok}
          </span>
        )
      })}
    </span>
  )
}

export function FeatureBrowser() {
  const s = useSae((st) => st)
  if (!s.statsReady || !s.page) return null
  const q = s.query
  const pages = Math.max(1, Math.ceil(s.page.total / FEATURE_PAGE_SIZE))
  const csvColumns = ['feature', 'density', 'maxActivation', 'meanActivation', 'monosemanticity', 'bestAxis', 'bestAxisRho', 'bestLabel', 'bestLabelRho']
  return (
    <div className="card" data-testid="sae-browser">
      <h2>3 · Browse the features</h2>
      <div className="row small-text">
        <label>
          Search top texts{' '}
          <input type="search" value={q.text} onChange={(e) => void s.setQuery({ text: e.target.value })} placeholder="e.g. steal" data-testid="sae-search" />
        </label>
        <label>
          Sort by{' '}
          <select value={q.sort} onChange={(e) => void s.setQuery({ sort: e.target.value as FeatureSortKey })} data-testid="sae-sort">
            {SORTS.map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          <select value={q.order} onChange={(e) => void s.setQuery({ order: e.target.value as 'asc' | 'desc' })} aria-label="Sort order">
            <option value="desc">highest first</option>
            <option value="asc">lowest first</option>
          </select>
        </label>
        <label>
          Best coordinate{' '}
          <select value={q.axis} onChange={(e) => void s.setQuery({ axis: e.target.value })} data-testid="sae-axis">
            <option value="">any</option>
            {MORAL_VECTOR_AXES.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          Fires on at least{' '}
          <select value={q.minDensity} onChange={(e) => void s.setQuery({ minDensity: Number(e.target.value) })}>
            <option value={0}>any share of tokens</option>
            <option value={0.0001}>0.01% of tokens</option>
            <option value={0.001}>0.1% of tokens</option>
            <option value={0.01}>1% of tokens</option>
          </select>
        </label>
      </div>
      <div className="browser">
        <div>
          <table className="small-text feature-table" data-testid="sae-feature-table">
            <caption className="sr-only">Features of the SAE, {s.page.total} matching</caption>
            <thead>
              <tr>
                <th scope="col">Feature</th>
                <th scope="col">Fires on</th>
                <th scope="col">Max</th>
                <th scope="col">Mono-sem.</th>
                <th scope="col">Best coordinate (ρ)</th>
              </tr>
            </thead>
            <tbody>
              {s.page.rows.map((r) => (
                <tr key={r.feature} className={r.feature === s.selected ? 'selected' : undefined}>
                  <td>
                    <button className="link" onClick={() => void s.selectFeature(r.feature)} aria-pressed={r.feature === s.selected} data-testid={`sae-feature-${r.feature}`}>
                      #{r.feature}
                    </button>
                  </td>
                  <td>{pct(r.density)}</td>
                  <td>{fmt(r.maxActivation)}</td>
                  <td>{fmt(r.monosemanticity)}</td>
                  <td>{r.bestAxis ? `${r.bestAxis} (${fmt(r.bestAxisRho)})` : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="row small-text">
            <button className="small secondary" disabled={q.page === 0} onClick={() => void s.setQuery({ page: q.page - 1 })}>
              ← previous
            </button>
            <span data-testid="sae-page">
              page {q.page + 1} of {pages} ({s.page.total.toLocaleString('en')} features)
            </span>
            <button className="small secondary" disabled={q.page + 1 >= pages} onClick={() => void s.setQuery({ page: q.page + 1 })}>
              next →
            </button>
            <CsvButton columns={csvColumns} rows={s.page.rows} filename="sae-features" what="this page of features" label="this page as CSV" />
          </div>
        </div>
        <FeatureDetailView />
      </div>
      <TestYourText />
    </div>
  )
}

function FeatureDetailView() {
  const s = useSae((st) => st)
  const d = s.detail
  if (!d || d.row.feature !== s.selected) return <div className="muted small-text">Choose a feature to see its top texts.</div>
  const f = d.row.feature
  const hist = d.histogram
  const corr = d.correlations.filter((c) => Number.isFinite(c.rho)).sort((a, b) => Math.abs(b.rho) - Math.abs(a.rho))
  return (
    <div className="feature-detail" data-testid="sae-feature-detail">
      <h3>
        Feature #{f}{' '}
        <button className="small secondary" onClick={() => s.setBehaviour({ edit: 'steer', steerFeature: f })} data-testid="sae-steer-this">
          steer with this feature
        </button>
      </h3>
      <p className="small-text">
        Fires on {pct(d.row.density)} of tokens; largest activation {fmt(d.row.maxActivation)}; mean when on {fmt(d.row.meanActivation)}.
        {Number.isFinite(d.row.monosemanticity) ? ` Mono-semanticity ${fmt(d.row.monosemanticity)} (best coordinate ${d.row.bestAxis}, ρ ${fmt(d.row.bestAxisRho)}).` : ''}
      </p>
      <h4>Top-activating texts</h4>
      <ol className="top-examples small-text" data-testid="sae-top-examples">
        {d.top.map((ex) => (
          <li key={ex.text}>
            <TokenText tokens={ex.tokens} activations={ex.activations} bins={ex.bins} /> <span className="muted">max {fmt(ex.maxActivation)}</span>
          </li>
        ))}
        {d.top.length === 0 && <li className="muted">This feature never fired on the corpus.</li>}
      </ol>
      <p className="small-text muted">Shading: the token’s activation decile among all the feature’s activations (darker = stronger); the strongest token is bold. Hover a token for its value.</p>
      {hist.counts.length > 0 && (
        <PlotFrame title={`How strongly does feature #${f} fire when it fires?`} name={`sae-feature-${f}-histogram`} testId="plot-sae-activation-histogram">
          {(ref) => (
            <Histogram
              svgRef={ref}
              bins={hist.counts.map((c, i) => ({ x0: hist.lo[i], x1: hist.hi[i], count: c }))}
              xLabel="Activation"
              yLabel="Tokens"
              description={`Activation histogram of feature ${f} over the tokens where it fires`}
              width={480}
              height={200}
            />
          )}
        </PlotFrame>
      )}
      {s.logits && s.logits.feature === f && (
        <div className="row small-text" data-testid="sae-logit-effects">
          <div>
            <h4>Promotes</h4>
            <ul className="token-list">
              {s.logits.promoted.map((t) => (
                <li key={t.id}>
                  <code>{JSON.stringify(t.token)}</code> {fmt(t.z, 1)}σ
                </li>
              ))}
            </ul>
          </div>
          <div>
            <h4>Suppresses</h4>
            <ul className="token-list">
              {s.logits.suppressed.map((t) => (
                <li key={t.id}>
                  <code>{JSON.stringify(t.token)}</code> {fmt(t.z, 1)}σ
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}
      {corr.length > 0 && (
        <details open>
          <summary className="small-text">Correlation with the moral labels</summary>
          <table className="small-text" data-testid="sae-correlations">
            <thead>
              <tr>
                <th scope="col">Label</th>
                <th scope="col">ρ</th>
                <th scope="col">Items</th>
              </tr>
            </thead>
            <tbody>
              {corr.slice(0, 12).map((c) => (
                <tr key={c.label.key}>
                  <td title={c.label.description}>{c.label.key}</td>
                  <td>
                    <span className="bar" style={{ width: `${Math.round(Math.abs(c.rho) * 80)}px`, background: seriesColor(c.rho >= 0 ? 0 : 3) }} aria-hidden="true" /> {c.rho >= 0 ? '+' : '−'}
                    {Math.abs(c.rho).toFixed(2)}
                  </td>
                  <td>{c.label.n}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <CsvButton
            columns={[
              { header: 'label', value: (c) => c.label.key },
              { header: 'description', value: (c) => c.label.description },
              { header: 'rho', value: (c) => c.rho },
              { header: 'items', value: (c) => c.label.n },
            ]}
            rows={corr}
            filename={`sae-feature-${f}-correlations`}
            what={`the correlations of feature ${f} with the moral labels`}
          />
        </details>
      )}
    </div>
  )
}

function TestYourText() {
  const s = useSae((st) => st)
  const r = s.textReading
  return (
    <div data-testid="sae-test-text">
      <h3>Test your own text</h3>
      <div className="row">
        <input
          className="grow"
          value={s.testText}
          onChange={(e) => s.setOptions({ testText: e.target.value })}
          onKeyDown={(e) => e.key === 'Enter' && void s.readText()}
          placeholder="Type a sentence, e.g. She kept the promise she made to her sister."
          aria-label="Your text"
          data-testid="sae-test-input"
        />
        <button onClick={() => void s.readText()} disabled={!s.testText.trim() || !!s.running} data-testid="sae-test-run">
          Which features fire?
        </button>
      </div>
      {r && (
        <ul className="small-text" data-testid="sae-test-result">
          {r.features.map((f) => (
            <li key={f.feature}>
              <button className="link" onClick={() => void s.selectFeature(f.feature)}>
                #{f.feature}
              </button>{' '}
              (max {fmt(f.max)}): <TokenText tokens={r.tokens} activations={f.activations} bins={f.bins} />
            </li>
          ))}
          {r.features.length === 0 && <li className="muted">No feature fires on this text.</li>}
        </ul>
      )}
    </div>
  )
}
