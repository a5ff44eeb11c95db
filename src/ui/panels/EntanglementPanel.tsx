import { useMemo } from 'react'
import { useEntanglement, entanglementSet } from '../../state/entanglementStore.ts'
import { useModel } from '../../state/modelStore.ts'
import { useStimuli } from '../../state/stimuliStore.ts'
import { readAblation, readBehaviour, readEmbedding, readProjection, methodNotes } from '../../core/entanglement/readings.ts'
import { MethodNotesCard, Readings } from './Readings.tsx'
import type { ValueKind } from '../../core/stimuli/types.ts'
import { CoefficientPlot, type CoefficientRow } from '../plots/CoefficientPlot.tsx'
import { Heatmap } from '../plots/Heatmap.tsx'
import { ScatterPlot } from '../plots/ScatterPlot.tsx'
import { PlotFrame } from '../plots/PlotFrame.tsx'
import { CsvButton } from '../CsvButton.tsx'
import type { CsvColumn } from '../../core/export/csv.ts'

const KIND_LABEL: Record<ValueKind, string> = { moral: 'moral goodness', grammatical: 'grammatical acceptability', economic: 'economic worth' }

export function EntanglementPanel() {
  return (
    <section className="panel" aria-labelledby="panel-entanglement" data-testid="panel-entanglement">
      <h1 id="panel-entanglement">Value entanglement</h1>
      <p className="question">
        Is “good grammar” or “good price” contaminated by “morally good”? The lab asks the model to rate the same sentences for moral goodness, grammar and
        worth, looks for the three kinds of value in the residual stream, and removes the moral direction to see whether the contamination shrinks (after
        Cho, Li & Leshinskaya, 2026).
      </p>
      <RunCard />
      <Behaviour />
      <Directions />
      <Ablation />
      <MethodNotes />
    </section>
  )
}

function RunCard() {
  const s = useEntanglement((st) => st)
  const info = useModel((m) => m.info)
  useStimuli((st) => st.activeId)
  const { set, fallback } = entanglementSet()
  const frames = new Set(set.items.map((i) => i.meta?.frame).filter(Boolean)).size
  return (
    <div className="card" data-testid="entanglement-run">
      <p>
        Sentences: <strong>{set.name}</strong> ({set.items.length} items{fallback ? '; the active set has no value labels, so the built-in factorial set is used' : ''}
        ). Model: <strong>{info?.sourceLabel ?? 'none loaded'}</strong>
        {info ? ` (${info.hasChatTemplate ? 'instruct: prompts use its chat template' : 'base: prompts are completion frames'})` : ''}.
      </p>
      <div className="row">
        {frames > 0 && (
          <label>
            Frames{' '}
            <select value={String(s.frames)} onChange={(e) => s.setOptions({ frames: e.target.value === 'null' ? null : Number(e.target.value) })} data-testid="entanglement-frames">
              {[4, 12, 24].filter((n) => n < frames).map((n) => (
                <option key={n} value={n}>
                  {n} of {frames} ({n * 8} sentences, quicker)
                </option>
              ))}
              <option value="null">all {frames}</option>
            </select>
          </label>
        )}
        <button onClick={() => void s.run()} disabled={!!s.running || !info} data-testid="entanglement-run-button">
          {s.running === 'probes' ? 'Running…' : 'Run the probes'}
        </button>
        {s.running && (
          <span className="muted small-text">
            {s.progress ? `${s.progress.stage}: ${s.progress.message ?? ''} ${s.progress.done}/${s.progress.total}` : 'starting…'}
          </span>
        )}
      </div>
      {s.error && (
        <p className="banner error" role="alert" data-testid="entanglement-error">
          {s.error}
        </p>
      )}
    </div>
  )
}

function coefficientRows(b: { entanglement: { kind: ValueKind; model: { estimate: number; ci: [number, number] }; human: { estimate: number } }[] }, series = 'model'): CoefficientRow[] {
  return b.entanglement.map((e) => ({ label: `moral → ${KIND_LABEL[e.kind]}`, values: [{ series, estimate: e.model.estimate, lo: e.model.ci[0], hi: e.model.ci[1] }] }))
}

function Behaviour() {
  const s = useEntanglement((st) => st)
  const p = s.probes
  const readings = useMemo(() => (p ? [...readBehaviour(p.behaviour), ...(p.embedding ? readEmbedding(p.embedding) : [])] : []), [p])
  if (!p) return null
  const b = p.behaviour
  const moralFit = b.regressions.moral
  const moralCoef = moralFit?.coefficients.find((c) => c.name === 'moral')
  const rows: CoefficientRow[] = [
    ...(moralCoef ? [{ label: 'moral → moral goodness (should be large)', values: [{ series: 'model', estimate: moralCoef.estimate, lo: moralCoef.ci[0], hi: moralCoef.ci[1] }] }] : []),
    ...coefficientRows(b),
  ]
  return (
    <div className="card" data-testid="entanglement-behaviour">
      <h2>
        {s.modelLabel} on {p.set.name}
        {p.set.frames && p.set.totalFrames && p.set.frames < p.set.totalFrames ? ` (${p.set.frames} of ${p.set.totalFrames} frames)` : ''}
      </h2>
      <PlotFrame
        title="Does a sentence’s moral content move the model’s other ratings?"
        name="entanglement-coefficients"
        testId="plot-coefficients"
        note={
          <p>
            Each rating is the expected digit under the model’s next-token probabilities for “1”…“7”. A regression of each kind of rating on the
            sentence’s moral, grammatical and economic levels gives these coefficients: how many rating points turning a bad act into a good one adds. In
            the factorial design humans would give 0 for grammar and worth (the dashed line).
          </p>
        }
      >
        {(ref) => <CoefficientPlot svgRef={ref} rows={rows} xLabel="Rating points per moral flip (bad → good), 95% CI" reference={{ x: 0, label: 'human norm' }} description="Moral coefficient in each kind of rating" />}
      </PlotFrame>
      <Readings items={readings} />
      <details>
        <summary>Prompts and digits</summary>
        <ul className="small-text">
          {b.prompts.map((pr) => (
            <li key={pr.kind}>
              <strong>{pr.kind}</strong>: <code>{pr.example}</code>
            </li>
          ))}
          <li>{b.digits.reason}</li>
          <li>
            {b.cost.forwardPasses} forward passes; {b.cost.tokensReused} of {b.cost.tokensComputed + b.cost.tokensReused} prompt tokens came from cached prefixes.
          </li>
        </ul>
      </details>
    </div>
  )
}

function Directions() {
  const s = useEntanglement((st) => st)
  const proj = s.probes?.projection
  if (!proj) return null
  const rows = proj.cosines.map((c) => ({ label: `${c.a} · ${c.b}${c.context === 'native' ? '' : ` (in ${c.context} prompts)`}`, values: c.values }))
  const readings = readProjection(proj)
  const mp = proj.moralProjections.find((m) => m.context === s.projectionContext) ?? proj.moralProjections[0]
  const li = Math.max(0, proj.layers.indexOf(s.projectionLayer))
  const items = s.probes!.behaviour.items
  return (
    <div className="card" data-testid="entanglement-directions">
      <PlotFrame
        title="Do the three kinds of “good” point the same way inside the model?"
        name="entanglement-cosines"
        testId="plot-heatmap"
        note={<p>For each layer, the difference between the average activation of good and bad sentences (items that differ only in that kind of value) gives a direction; the cells are cosines between those directions. Near 1: the model uses one direction for both kinds of good.</p>}
      >
        {(ref) => <Heatmap svgRef={ref} rows={rows} columns={proj.layers.map(String)} xLabel="Layer" description="Cosines between value directions per layer" />}
      </PlotFrame>
      <div className="row">
        <label>
          Layer{' '}
          <select value={s.projectionLayer} onChange={(e) => s.setOptions({ projectionLayer: Number(e.target.value) })} data-testid="entanglement-layer">
            {proj.layers.map((l) => (
              <option key={l} value={l}>
                {l}
                {l === proj.bestLayer ? ' (best moral separation)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Inside the prompts for{' '}
          <select value={mp.context} onChange={(e) => s.setOptions({ projectionContext: e.target.value })}>
            {proj.moralProjections.map((m) => (
              <option key={m.context} value={m.context}>
                {m.context}
              </option>
            ))}
          </select>
        </label>
      </div>
      <PlotFrame
        title={`Does the moral direction light up when the model judges ${mp.context === 'moral' ? 'morals' : mp.context === 'grammatical' ? 'grammar' : 'worth'}? (layer ${proj.layers[li]})`}
        name={`entanglement-projection-${mp.context}-L${proj.layers[li]}`}
        testId="plot-projection"
        reading={`Correlation of the projection with the sentence's moral value: Pearson ${mp.pearson[li]?.toFixed(2)}, Spearman ${mp.spearman[li]?.toFixed(2)}.`}
      >
        {(ref) => (
          <ScatterPlot
            svgRef={ref}
            width={720}
            points={mp.values[li].map((v, i) => ({
              id: i,
              x: (items[i].values.moral ?? 0) + ((i * 0.6180339) % 1) * 0.3 - 0.15,
              y: v,
              label: items[i].text,
              group: items[i].values.moral === 1 ? 'good act' : 'bad act',
              shape: items[i].values.grammatical === 0 ? 'with a grammar error' : 'well-formed',
            }))}
            xLabel="Moral value of the sentence (0 = bad act, 1 = good act; jittered)"
            yLabel="Projection on the moral direction"
            description={`Projection of every sentence on the moral direction inside ${mp.context} prompts at layer ${proj.layers[li]}`}
          />
        )}
      </PlotFrame>
      <Readings items={readings} />
    </div>
  )
}

function Ablation() {
  const s = useEntanglement((st) => st)
  const proj = s.probes?.projection
  const a = s.ablation
  if (!proj) return null
  const rows: CoefficientRow[] = a
    ? a.comparison.entanglement.map((e) => ({
        label: `moral → ${KIND_LABEL[e.kind]}`,
        values: [
          { series: 'before', estimate: e.before.estimate, lo: e.before.ci[0], hi: e.before.ci[1] },
          { series: 'moral direction removed', estimate: e.after.estimate, lo: e.after.ci[0], hi: e.after.ci[1] },
          { series: 'random direction removed', estimate: e.random.estimate, lo: e.random.ci[0], hi: e.random.ci[1] },
        ],
      }))
    : []
  if (a?.comparison.moralRatings) {
    const m = a.comparison.moralRatings
    rows.unshift({
      label: 'moral → moral goodness',
      values: [
        { series: 'before', estimate: m.before.estimate, lo: m.before.ci[0], hi: m.before.ci[1] },
        { series: 'moral direction removed', estimate: m.after.estimate, lo: m.after.ci[0], hi: m.after.ci[1] },
        { series: 'random direction removed', estimate: m.random.estimate, lo: m.random.ci[0], hi: m.random.ci[1] },
      ],
    })
  }
  const key = s.sortBy
  const sorted = a
    ? [...a.items].sort((x, y) => {
        const v = (it: typeof x) => (key === 'maxAbsDelta' ? it.maxAbsDelta : Math.abs(it.delta[key.split('.')[1] as ValueKind] ?? 0))
        return v(y) - v(x)
      })
    : []
  const kinds = s.probes!.kinds
  type Item = NonNullable<typeof a>['items'][number]
  const csvColumns: CsvColumn<Item>[] = [
    { header: 'id', value: (it) => it.id },
    { header: 'text', value: (it) => it.text },
    ...kinds.flatMap((k): CsvColumn<Item>[] => [
      { header: `${k}_before`, value: (it) => it.before[k] },
      { header: `${k}_after`, value: (it) => it.after[k] },
      { header: `${k}_random`, value: (it) => it.random[k] },
    ]),
  ]
  return (
    <div className="card" data-testid="entanglement-ablation">
      <h2>Remove the moral direction</h2>
      <div className="row">
        <label>
          Direction from layer{' '}
          <select value={String(s.ablationLayer ?? proj.bestLayer)} onChange={(e) => s.setOptions({ ablationLayer: Number(e.target.value) })} data-testid="ablation-layer">
            {proj.layers.map((l) => (
              <option key={l} value={l}>
                {l}
                {l === proj.bestLayer ? ' (best separation)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Removed at{' '}
          <select value={s.scope} onChange={(e) => s.setOptions({ scope: e.target.value as never })}>
            <option value="all">every layer and position</option>
            <option value="from-layer">that layer and the ones after</option>
          </select>
        </label>
        <button onClick={() => void s.ablate()} disabled={!!s.running} data-testid="ablation-run">
          {s.running === 'ablation' ? 'Ablating…' : 'Ablate and re-run'}
        </button>
      </div>
      {a && (
        <>
          <PlotFrame
            title="Does removing the moral direction take the moral pull out of the other ratings?"
            name="entanglement-ablation"
            testId="plot-ablation"
            note={<p>The same coefficients before and after projecting the moral direction out of the residual stream (h ← h − (h·d̂)d̂), and, as a control, after removing a random direction of the same length.</p>}
          >
            {(ref) => <CoefficientPlot svgRef={ref} rows={rows} xLabel="Rating points per moral flip, 95% CI" reference={{ x: 0, label: 'human norm' }} description="Moral coefficients before and after ablation" />}
          </PlotFrame>
          <Readings items={readAblation(a)} />
          {a.comparison.grammarAccuracy && (
            <p className="small-text">
              Grammar control ({a.comparison.grammarAccuracy.source}): discrimination {a.comparison.grammarAccuracy.before.discrimination.toFixed(2)} →{' '}
              {a.comparison.grammarAccuracy.after.discrimination.toFixed(2)} (random: {a.comparison.grammarAccuracy.random.discrimination.toFixed(2)}). {a.comparison.grammarAccuracy.note}
            </p>
          )}
          <div className="row">
            <label>
              Sort by{' '}
              <select value={s.sortBy} onChange={(e) => s.setOptions({ sortBy: e.target.value as never })} data-testid="ablation-sort">
                <option value="maxAbsDelta">largest change in any rating</option>
                {s.probes!.kinds.map((k) => (
                  <option key={k} value={`delta.${k}`}>
                    change in the {k} rating
                  </option>
                ))}
              </select>
            </label>
            <CsvButton columns={csvColumns} rows={a.items} filename="entanglement-ablation" what="the ablation table (every sentence)" label="table as CSV" />
          </div>
          <table className="small-text" data-testid="ablation-items">
            <thead>
              <tr>
                <th>Sentence</th>
                {s.probes!.kinds.map((k) => (
                  <th key={k}>{k}: before → after (random)</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {sorted.slice(0, 40).map((it) => (
                <tr key={it.id}>
                  <td>{it.text}</td>
                  {s.probes!.kinds.map((k) => (
                    <td key={k}>
                      {it.before[k]?.toFixed(2)} → <strong>{it.after[k]?.toFixed(2)}</strong> <span className="muted">({it.random[k]?.toFixed(2)})</span>
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  )
}

function MethodNotes() {
  const p = useEntanglement((st) => st.probes)
  if (!p) return null
  return <MethodNotesCard notes={methodNotes()} testId="entanglement-notes" />
}
