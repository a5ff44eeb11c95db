import { useMemo } from 'react'
import { useSae } from '../../state/saeStore.ts'
import { readMoralFeatures, readRealignment } from '../../core/sae/readings.ts'
import { TYPICALITY_METRICS } from '../../core/typicality/views.ts'
import { LineChart } from '../plots/LineChart.tsx'
import { CoefficientPlot, type CoefficientRow } from '../plots/CoefficientPlot.tsx'
import { PlotFrame } from '../plots/PlotFrame.tsx'
import { CsvButton } from '../CsvButton.tsx'
import { Readings } from './Readings.tsx'

const DIAGNOSTICS: [string, string][] = [
  ['cosine-centred', 'Cosine'],
  ['rho-vice', 'Spearman ρ'],
  ['ari-polarity', 'ARI'],
  ['r2-cv', 'R² (cross-validated)'],
  ['rsa', 'RSA ρ'],
]

export function MoralFeatures() {
  const s = useSae((st) => st)
  const readings = useMemo(() => (s.moral && s.sae ? readMoralFeatures(s.moral, s.sae.dSae, s.selection) : []), [s.moral, s.sae, s.selection])
  if (!s.labels) return null
  const toggle = (f: number) => s.setOptions({ chosen: s.chosen.includes(f) ? s.chosen.filter((x) => x !== f) : [...s.chosen, f] })
  const num = (key: 'minRho' | 'minMargin' | 'maxFeatures', step: number) => (
    <input type="number" step={step} min={0} value={s.selection[key]} onChange={(e) => s.setSelection({ [key]: Number(e.target.value) })} aria-label={key} data-testid={`sae-sel-${key}`} />
  )
  return (
    <div className="card" data-testid="sae-moral">
      <h2>4 · Moral features and topology re-alignment</h2>
      <p className="small-text">
        Labels: last-token activations of <strong>{s.labelledSet?.name}</strong> ({s.labelledSet?.items} items
        {s.labelledSet?.fallback ? '; the active set has no polarity labels, so the built-in set is used' : ''}). A moral feature correlates with one of the ten moral
        coordinates (foundation × virtue/vice) and not with the others.
      </p>
      <div className="row small-text">
        <label>|ρ| at least {num('minRho', 0.05)}</label>
        <label>ahead of the runner-up by {num('minMargin', 0.05)}</label>
        <label>at most {num('maxFeatures', 1)} features</label>
        <button className="secondary" onClick={() => void s.findMoral()} data-testid="sae-find-moral">
          Find moral features
        </button>
      </div>
      {s.moral && (
        <>
          <Readings items={readings} />
          {s.moral.length > 0 && (
            <>
              <table className="small-text" data-testid="sae-moral-table">
                <caption className="sr-only">Moral features: the coordinate each tracks, its correlation and its lead over the runner-up</caption>
                <thead>
                  <tr>
                    <th scope="col">Use</th>
                    <th scope="col">Feature</th>
                    <th scope="col">Coordinate</th>
                    <th scope="col">ρ</th>
                    <th scope="col">Margin</th>
                  </tr>
                </thead>
                <tbody>
                  {s.moral.map((m) => (
                    <tr key={m.feature}>
                      <td>
                        <input type="checkbox" checked={s.chosen.includes(m.feature)} onChange={() => toggle(m.feature)} aria-label={`Re-align feature ${m.feature}`} />
                      </td>
                      <td>
                        <button className="link" onClick={() => void s.selectFeature(m.feature)}>
                          #{m.feature}
                        </button>
                      </td>
                      <td>{m.axisName}</td>
                      <td>{m.rho.toFixed(2)}</td>
                      <td>{m.margin.toFixed(2)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <CsvButton
                columns={[
                  { header: 'feature', value: (m) => m.feature },
                  { header: 'coordinate', value: (m) => m.axisName },
                  { header: 'rho', value: (m) => m.rho },
                  { header: 'margin', value: (m) => m.margin },
                  { header: 'chosen', value: (m) => s.chosen.includes(m.feature) },
                ]}
                rows={s.moral}
                filename="sae-moral-features"
                what="the moral features table"
              />
            </>
          )}
          <div className="row small-text">
            <label>
              Apply the edit at{' '}
              <select value={s.positions} onChange={(e) => s.setOptions({ positions: e.target.value as 'all' | 'last' })} data-testid="sae-positions">
                <option value="all">every token</option>
                <option value="last">the last token only (where it was fitted)</option>
              </select>
            </label>
            <label>
              Keep the edit{' '}
              <select value={s.editPenalty} onChange={(e) => s.setOptions({ editPenalty: Number(e.target.value) })} data-testid="sae-edit-penalty">
                <option value={1}>small (λ = 1)</option>
                <option value={0.1}>moderate (λ = 0.1)</option>
                <option value={0.01}>free (λ = 0.01)</option>
              </select>
            </label>
            <button onClick={() => void s.realign()} disabled={s.chosen.length === 0 || !!s.running} data-testid="sae-realign">
              Fit the re-alignment ({s.chosen.length} features)
            </button>
          </div>
        </>
      )}
      <Realignment />
    </div>
  )
}

function Realignment() {
  const s = useSae((st) => st)
  const r = s.realignment
  if (!r) return null
  const rsaRows: CoefficientRow[] = (
    [
      ['fitted items', r.rsa.fit],
      ['held-out items', r.rsa.validation],
      ['all items', r.rsa.all],
    ] as const
  )
    .filter(([, v]) => v && v.before !== null && v.after !== null)
    .map(([label, v]) => ({
      label,
      values: [
        { series: 'before the edit', estimate: v!.before!, lo: v!.before!, hi: v!.before! },
        { series: 'after the edit', estimate: v!.after!, lo: v!.after!, hi: v!.after! },
      ],
    }))
  const loss = [
    { name: 'training RDM loss', points: r.history.rsaLoss.map((y, x) => ({ x, y })) },
    ...(r.history.validationRsaLoss.length ? [{ name: 'held-out RDM loss', points: r.history.validationRsaLoss.map((y, x) => ({ x, y })) }] : []),
  ]
  return (
    <div data-testid="sae-realignment">
      <PlotFrame
        title="Does the edit make the model's moral geometry match the human moral vectors?"
        name="sae-realignment-rsa"
        testId="plot-sae-rsa"
        note={<p>RSA compares two similarity structures: how alike the model finds each pair of items (cosine of their activations at this layer) and how alike their human moral vectors are. 1 means the same ordering of pairs; 0 means unrelated.</p>}
      >
        {(ref) => <CoefficientPlot svgRef={ref} rows={rsaRows} xLabel="RSA (Spearman ρ between dissimilarity matrices)" reference={{ x: 0, label: 'no match' }} description="RSA before and after the re-alignment edit" />}
      </PlotFrame>
      <Readings items={readRealignment(r)} />
      <details>
        <summary className="small-text">Fit details</summary>
        <p className="small-text">
          {r.steps} Adam steps, best at step {r.bestStep}
          {r.stoppedEarly ? ' (stopped early)' : ''}; λ = {r.lambda.toExponential(2)}; RDM loss on fitted pairs {r.rdmLoss.before.toFixed(4)} → {r.rdmLoss.after.toFixed(4)}; edit size {(100 * r.editNorm.relativeRms).toFixed(1)}% of the
          activations’ spread. {r.items.rsaItems.length} items with a moral vector ({r.items.validation.length} held out), {r.items.zeroVector} neutral items kept out of the loss.
        </p>
        <PlotFrame title="Did the fit converge?" name="sae-realignment-loss" testId="plot-sae-realign-loss">
          {(ref) => <LineChart svgRef={ref} series={loss} xLabel="Step" yLabel="RDM loss" description="Re-alignment loss during fitting" width={520} height={200} />}
        </PlotFrame>
      </details>
      <div className="row">
        <button className="secondary" onClick={() => void s.runDiagnostics()} disabled={!!s.running} data-testid="sae-diagnostics">
          Re-run the four indifference diagnostics with the edit
        </button>
      </div>
      <Diagnostics />
    </div>
  )
}

function Diagnostics() {
  const d = useSae((st) => st.diagnostics)
  if (!d) return null
  const csvHead = ['layer', ...DIAGNOSTICS.flatMap(([id]) => [`${id}_before`, `${id}_after`])]
  const csvRows = () =>
    d.before.layers.map((l, i) => [
      l.layer,
      ...DIAGNOSTICS.flatMap(([id]) => {
        const m = TYPICALITY_METRICS.find((x) => x.id === id)!
        return [m.value(l), m.value(d.after.layers[i])]
      }),
    ])
  const editLayer = Number(/^blocks\.(\d+)\./.exec(d.hook)?.[1] ?? 0)
  return (
    <div data-testid="sae-diagnostics-result">
      <h3>The four indifference diagnostics, without and with the edit</h3>
      <p className="reading">The edit acts at layer {editLayer}, so the lines can only part from layer {editLayer} on. Dashed grey lines are the levels the paper reports.</p>
      <div className="plot-grid">
      {DIAGNOSTICS.map(([id, unit]) => {
        const m = TYPICALITY_METRICS.find((x) => x.id === id)!
        const series = [
          { name: 'original', points: d.before.layers.map((l) => ({ x: l.layer, y: m.value(l) })) },
          { name: 're-aligned', points: d.after.layers.map((l) => ({ x: l.layer, y: m.value(l) })) },
        ]
        return (
          <PlotFrame key={id} title={`${m.label} (${m.higherIsBetter ? 'higher' : 'lower'} = more moral structure)`} name={`sae-diagnostic-${id}`} testId={`plot-sae-diag-${id}`}>
            {(ref) => (
              <LineChart
                svgRef={ref}
                series={series}
                xLabel="Layer"
                yLabel={unit}
                refLines={m.reference ? [{ y: m.reference.value, label: m.reference.label }] : []}
                integerX
                description={`${m.label} per layer, original and re-aligned`}
                width={440}
                height={220}
              />
            )}
          </PlotFrame>
        )
      })}
      </div>
      <CsvButton columns={csvHead} rows={csvRows} filename="sae-diagnostics-before-after" what="the diagnostics before and after the edit" label="before/after as CSV" />
    </div>
  )
}
