import { useMemo } from 'react'
import { useTypicality, currentResult, typicalitySet, type TypicalityResult } from '../../state/typicalityStore.ts'
import { useModel } from '../../state/modelStore.ts'
import { useStimuli } from '../../state/stimuliStore.ts'
import { TYPICALITY_METRICS, metricPeaks } from '../../core/typicality/views.ts'
import { typicalityReadings } from '../../core/typicality/readings.ts'
import { CORE_FOUNDATIONS } from '../../core/stimuli/types.ts'
import { LineChart, type LineSeries } from '../plots/LineChart.tsx'
import { ScatterPlot } from '../plots/ScatterPlot.tsx'
import { PlotFrame } from '../plots/PlotFrame.tsx'
import { downloadText } from '../plots/export.ts'
import { CsvButton } from '../CsvButton.tsx'

const CATEGORIES = CORE_FOUNDATIONS.flatMap((f) => [`${f}.virtue`, `${f}.vice`])

export function TypicalityPanel() {
  const result = useTypicality(currentResult)
  return (
    <section className="panel" aria-labelledby="panel-typicality" data-testid="panel-typicality">
      <h1 id="panel-typicality">Moral typicality</h1>
      <p className="question">Does the model care which way a moral act points, and does it feel that some acts are more typically cruel or kind than others?</p>
      <RunCard />
      {result && <Results result={result} />}
      <Comparison />
    </section>
  )
}

function RunCard() {
  const info = useModel((s) => s.info)
  useStimuli((s) => s.activeId)
  const { set, fallback } = typicalitySet()
  const options = useTypicality((s) => s.options)
  const setOptions = useTypicality((s) => s.setOptions)
  const run = useTypicality((s) => s.run)
  const running = useTypicality((s) => s.running)
  const error = useTypicality((s) => s.error)
  return (
    <div className="card" data-testid="typicality-run">
      <p>
        The lab runs every item of <strong>{set.name}</strong> ({set.items.length} items{fallback ? '; the active set has no moral labels, so the built-in set is used' : ''}) through{' '}
        <strong>{info?.sourceLabel ?? 'the loaded model'}</strong>, reads the residual stream at every layer ({options.pooling === 'mean' ? 'averaged over the tokens' : 'at the last token'}), and measures four kinds of
        “moral indifference” layer by layer (Li, Teng & Wang, 2026).
      </p>
      <div className="row">
        <button onClick={() => void run()} disabled={!!running || !info} data-testid="typicality-run-button">
          {running === 'capturing' ? 'Capturing…' : running === 'analysing' ? 'Analysing…' : 'Run the four diagnostics'}
        </button>
        <details className="options">
          <summary>Options</summary>
          <div className="row">
            <label>
              Hook{' '}
              <select value={options.hookKind} onChange={(e) => setOptions({ hookKind: e.target.value as never })}>
                <option value="resid_post">resid_post (after each block)</option>
                <option value="resid_mid">resid_mid (between attention and MLP)</option>
                <option value="resid_pre">resid_pre (before each block)</option>
              </select>
            </label>
            <label>
              Token{' '}
              <select value={options.pooling} onChange={(e) => setOptions({ pooling: e.target.value as never })}>
                <option value="last">last token</option>
                <option value="mean">mean over tokens</option>
              </select>
            </label>
            <label>
              Seed <input type="number" value={options.seed} onChange={(e) => setOptions({ seed: Number(e.target.value) || 0 })} style={{ width: '5rem' }} />
            </label>
            <label>
              Bootstrap resamples{' '}
              <input type="number" value={options.bootstrap} min={0} onChange={(e) => setOptions({ bootstrap: Number(e.target.value) || 0 })} style={{ width: '6rem' }} />
            </label>
            <label>
              Reduce to{' '}
              <select value={String(options.pcaDims)} onChange={(e) => setOptions({ pcaDims: e.target.value === 'null' ? null : Number(e.target.value) })}>
                <option value="50">50 PCA dimensions</option>
                <option value="null">all dimensions</option>
              </select>
            </label>
          </div>
        </details>
      </div>
      {error && (
        <p className="banner error" role="alert">
          {error}
        </p>
      )}
    </div>
  )
}

function series(result: TypicalityResult, ids: string[]): LineSeries[] {
  return ids.map((id) => {
    const m = TYPICALITY_METRICS.find((x) => x.id === id)!
    return { name: m.label, points: result.report.layers.map((l) => ({ x: l.layer, y: m.value(l) })) }
  })
}

function Results({ result }: { result: TypicalityResult }) {
  const readings = useMemo(
    () => typicalityReadings(result.report, { randomWeights: result.randomWeights, authoredTypicality: result.authoredTypicality }),
    [result],
  )
  const s = useTypicality((st) => st)
  const layers = result.report.layers.map((l) => l.layer)
  const catSeries: LineSeries = {
    name: `${s.category} (with 95% CI)`,
    points: result.report.layers.map((l) => {
      const c = l.gradient.categories.find((x) => x.category === s.category)
      return { x: l.layer, y: c?.rho ?? null, lo: c?.ci?.[0] ?? null, hi: c?.ci?.[1] ?? null }
    }),
  }
  const chart = (title: string, name: string, ids: string[], yLabel: string, extra: LineSeries[] = [], note?: React.ReactNode, reading?: string) => {
    const refs = [...new Map(ids.map((id) => TYPICALITY_METRICS.find((m) => m.id === id)!.reference).filter(Boolean).map((r) => [r!.value, { y: r!.value, label: r!.label }])).values()]
    return (
      <PlotFrame title={title} name={`${name}-${result.modelLabel}`} testId={`plot-${name}`} reading={reading} note={note}>
        {(ref) => (
          <LineChart svgRef={ref} series={[...series(result, ids), ...extra]} xLabel="Layer" yLabel={yLabel} refLines={refs} integerX description={`${title} Layers 0 to ${layers.length - 1}.`} width={760} />
        )}
      </PlotFrame>
    )
  }
  return (
    <div data-testid="typicality-results">
      <div className="card">
        <h2>
          {result.modelLabel} <span className="chip">{result.dtype}</span> on {result.setName}
        </h2>
        <p className="small-text muted">
          {result.hookKind}, {result.pooling} token, {result.report.layers.length} layers, {result.report.counts.items} items · {new Date(result.createdAt).toLocaleString()} ·{' '}
          <CsvButton
            className="link"
            columns={[{ header: 'layer', value: (l) => l.layer }, ...TYPICALITY_METRICS.map((m) => ({ header: m.id, value: (l: (typeof result.report.layers)[number]) => m.value(l) }))]}
            rows={result.report.layers}
            filename={`typicality-${result.modelLabel}`}
            what="the per-layer diagnostics"
            label="table as CSV"
          />{' '}
          ·{' '}
          <button className="link" onClick={() => downloadText(JSON.stringify(result, null, 2), `typicality-${result.modelLabel.replace(/\W+/g, '_')}.json`, 'application/json')}>
            full result as JSON
          </button>
        </p>
        {readings.caveats.map((c) => (
          <p key={c} className="banner warn small-text">
            {c}
          </p>
        ))}
      </div>
      <div className="card">
        {chart(
          'Does the model separate virtue from vice?',
          'categorical',
          ['cosine-centred', 'cosine-uncentred'],
          'Cosine of centroids',
          [],
          <p>For each foundation, the average activation of its virtue items and of its vice items; the line is the cosine between the two averages, averaged over the five foundations. Near 1: virtue and vice look alike to the model. Near −1: opposite.</p>,
          readings.categorical,
        )}
        {chart(
          'Does the model grade how typical an act is?',
          'gradient',
          ['rho-vice', 'rho-virtue'],
          'Spearman ρ with typicality',
          [catSeries],
          <p>Each act is projected on the direction from neutral acts to its category; the Spearman correlation between that projection and the typicality grade says whether more typical acts lie further out. The selected category is shown with its bootstrap 95% interval.</p>,
          readings.gradient,
        )}
        {chart(
          'Do the model’s activations cluster into moral categories?',
          'structural',
          ['ari-polarity', 'ari-foundation'],
          'Adjusted Rand index',
          [],
          <p>k-means groups the activations without seeing labels (3 groups for virtue/vice/neutral, 5 for the foundations); the adjusted Rand index compares the groups with the labels: 1 is perfect agreement, 0 is chance.</p>,
          readings.structural,
        )}
        {chart(
          'Can the moral vector be read out of the activations?',
          'dimensional',
          ['r2-cv', 'r2-adjusted', 'rsa'],
          'R² / Spearman',
          [],
          <p>A cross-validated ridge regression predicts each item’s 10-dimensional moral vector (5 foundations × virtue/vice) from the activations. R² is the share of variance explained on held-out items. RSA compares the model’s item-by-item similarity with the moral vectors’ similarity.</p>,
          readings.dimensional,
        )}
      </div>
      <div className="card">
        <div className="row">
          <label>
            Layer{' '}
            <select value={s.layer} onChange={(e) => void s.setView({ layer: Number(e.target.value) })} data-testid="typicality-layer">
              {layers.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
          <label>
            Category{' '}
            <select value={s.category} onChange={(e) => void s.setView({ category: e.target.value })} data-testid="typicality-category">
              {CATEGORIES.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
          <label>
            Colour the map by{' '}
            <select value={s.colorBy} onChange={(e) => void s.setView({ colorBy: e.target.value as never })}>
              <option value="polarity">polarity</option>
              <option value="foundation">foundation</option>
            </select>
          </label>
        </div>
        {!s.projection && !s.map && <p className="muted">Run the analysis in this session to explore single layers (the per-item data are not kept between visits).</p>}
        {s.projection && (
          <PlotFrame
            title={`Are more typical ${s.category.replace('.', ' ')} acts further along their direction? (layer ${s.projection.layer})`}
            name={`typicality-scatter-${s.category}-L${s.projection.layer}`}
            testId="plot-scatter"
            reading={`Spearman ρ = ${s.projection.rho === null ? 'n/a' : s.projection.rho.toFixed(2)} over ${s.projection.points.length} acts. Hover a point to see the act.`}
          >
            {(ref) => (
              <ScatterPlot
                svgRef={ref}
                points={s.projection!.points.map((p) => ({ id: p.index, x: p.typicality, y: p.projection, label: p.text, group: s.category }))}
                xLabel="Typicality grade"
                yLabel="Projection on the category direction"
                description={`Typicality versus projection for ${s.category} at layer ${s.projection!.layer}`}
                width={760}
              />
            )}
          </PlotFrame>
        )}
        {s.map && (
          <PlotFrame
            title={`Where do the stimuli lie in the model’s space? (layer ${s.map.layer}, first two principal components)`}
            name={`typicality-map-L${s.map.layer}`}
            testId="plot-map"
            reading={`The two axes hold ${(100 * (s.map.explained[0] + s.map.explained[1])).toFixed(0)}% of the variance. Drag a rectangle to list the acts inside it.`}
          >
            {(ref) => (
              <ScatterPlot
                svgRef={ref}
                points={s.map!.points.map((p) => ({ id: p.index, x: p.x, y: p.y, label: p.text, group: s.colorBy === 'polarity' ? p.polarity : p.foundation, shape: s.colorBy === 'polarity' ? p.foundation : p.polarity }))}
                xLabel={`PC1 (${(100 * s.map!.explained[0]).toFixed(0)}%)`}
                yLabel={`PC2 (${(100 * s.map!.explained[1]).toFixed(0)}%)`}
                description={`PCA map of all stimuli at layer ${s.map!.layer}, coloured by ${s.colorBy}`}
                onBrush={s.setBrushed}
                width={760}
                height={420}
              />
            )}
          </PlotFrame>
        )}
        {s.map && (
          <div className="row small-text">
            <label>
              Or list the acts labelled{' '}
              <select
                value=""
                onChange={(e) => {
                  const key = e.target.value
                  if (!key) return
                  s.setBrushed(s.map!.points.filter((p) => (s.colorBy === 'polarity' ? p.polarity : p.foundation) === key).map((p) => p.index))
                }}
                data-testid="map-select-group"
              >
                <option value="">choose a {s.colorBy === 'polarity' ? 'polarity' : 'foundation'}…</option>
                {[...new Set(s.map.points.map((p) => (s.colorBy === 'polarity' ? p.polarity : p.foundation)))].map((g) => (
                  <option key={g} value={g}>
                    {g}
                  </option>
                ))}
              </select>
            </label>
          </div>
        )}
        {s.brushed.length > 0 && s.map && (
          <div data-testid="brushed-list">
            <h3>{s.brushed.length} selected acts</h3>
            <ul className="small-text brushed">
              {s.brushed.slice(0, 60).map((i) => (
                <li key={i}>
                  {s.map!.points[i].text} <span className="muted">({s.map!.points[i].foundation}, {s.map!.points[i].polarity})</span>
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
    </div>
  )
}

function Comparison() {
  const results = useTypicality((s) => s.results)
  const select = useTypicality((s) => s.select)
  const remove = useTypicality((s) => s.removeResult)
  const currentKey = useTypicality((s) => s.currentKey)
  if (results.length === 0) return null
  const main = ['cosine-centred', 'rho-vice', 'ari-foundation', 'r2-cv']
  return (
    <div className="card" data-testid="typicality-comparison">
      <h2>Every model analysed so far</h2>
      <div className="small-multiples">
        {main.map((id) => {
          const m = TYPICALITY_METRICS.find((x) => x.id === id)!
          return (
            <PlotFrame key={id} title={m.label} name={`compare-${id}`}>
              {(ref) => (
                <LineChart
                  svgRef={ref}
                  width={520}
                  height={240}
                  integerX
                  series={results.map((r) => ({ name: `${r.modelLabel} (${r.dtype})`, points: r.report.layers.map((l) => ({ x: l.layer, y: m.value(l) })) }))}
                  refLines={m.reference ? [{ y: m.reference.value, label: m.reference.label }] : []}
                  xLabel="Layer"
                  yLabel={m.id.startsWith('cos') ? 'cosine' : m.id.startsWith('rho') ? 'ρ' : m.id.startsWith('ari') ? 'ARI' : 'R²'}
                  description={`${m.label} across layers for ${results.length} analysed models`}
                />
              )}
            </PlotFrame>
          )
        })}
      </div>
      <table className="small-text" data-testid="peaks-table">
        <caption>Each model’s best value and the layer where it occurs (for cosines, the lowest)</caption>
        <thead>
          <tr>
            <th>Model</th>
            <th>Set</th>
            {TYPICALITY_METRICS.filter((m) => main.includes(m.id) || m.id === 'rho-virtue' || m.id === 'ari-polarity').map((m) => (
              <th key={m.id}>{m.label}</th>
            ))}
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {results.map((r) => {
            const peaks = metricPeaks(r.report)
            return (
              <tr key={r.key} className={r.key === currentKey ? 'selected' : undefined}>
                <td>
                  {r.modelLabel} <span className="muted">{r.dtype}</span>
                  {r.randomWeights ? <span className="muted"> (random weights)</span> : ''}
                </td>
                <td>{r.setName}</td>
                {peaks
                  .filter((p) => main.includes(p.id) || p.id === 'rho-virtue' || p.id === 'ari-polarity')
                  .map((p) => (
                    <td key={p.id}>{p.best === null ? '–' : `${p.best.toFixed(2)} (L${p.layer})`}</td>
                  ))}
                <td>
                  <button className="small secondary" onClick={() => select(r.key)}>
                    Show
                  </button>{' '}
                  <button className="small secondary" onClick={() => remove(r.key)}>
                    Remove
                  </button>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
      <CsvButton
        columns={[
          { header: 'model', value: (r) => r.modelLabel },
          { header: 'dtype', value: (r) => r.dtype },
          { header: 'set', value: (r) => r.setName },
          { header: 'random_weights', value: (r) => !!r.randomWeights },
          ...TYPICALITY_METRICS.flatMap((m) => [
            { header: `${m.id}_best`, value: (r: (typeof results)[number]) => metricPeaks(r.report).find((p) => p.id === m.id)?.best },
            { header: `${m.id}_layer`, value: (r: (typeof results)[number]) => metricPeaks(r.report).find((p) => p.id === m.id)?.layer },
          ]),
        ]}
        rows={results}
        filename="typicality-comparison"
        what="every model's best values"
        testId="peaks-csv"
      />
    </div>
  )
}
