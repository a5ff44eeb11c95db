// Plain-language readings of a typicality report, written from the numbers on screen.
import type { TypicalityReport } from './diagnostics.ts'
import { metricPeaks } from './views.ts'

export interface TypicalityReadings {
  categorical: string
  gradient: string
  structural: string
  dimensional: string
  caveats: string[]
}

const f2 = (x: number) => x.toFixed(2)

export function describeCosine(c: number): string {
  if (c > 0.5) return 'the model barely tells them apart'
  if (c > 0.2) return 'they are only weakly separated'
  if (c > -0.2) return 'they are roughly unrelated directions'
  return 'they point in opposite directions: the model separates virtue from vice'
}

export function typicalityReadings(
  report: TypicalityReport,
  context: { randomWeights?: boolean; authoredTypicality?: boolean; modelLabel?: string } = {},
): TypicalityReadings {
  const peaks = Object.fromEntries(metricPeaks(report).map((p) => [p.id, p]))
  const byLayer = new Map(report.layers.map((l) => [l.layer, l]))
  const cos = peaks['cosine-centred']
  let categorical = 'Virtue–vice centroid cosines could not be computed for this set (it needs virtue and vice items of the same foundation).'
  if (cos.best !== null && cos.layer !== null) {
    const l = byLayer.get(cos.layer)!
    const worst = report.layers.reduce<{ v: number; layer: number } | null>((a, x) => {
      const v = x.categorical.meanCentroidCosine.centred
      return v !== null && (a === null || v > a.v) ? { v, layer: x.layer } : a
    }, null)
    categorical =
      `Virtue and vice are furthest apart at layer ${cos.layer}, where their centred centroids have cosine ${f2(cos.best)}: ${describeCosine(cos.best)}.` +
      (worst && worst.layer !== cos.layer ? ` At layer ${worst.layer} the cosine is ${f2(worst.v)} (${describeCosine(worst.v)}).` : '') +
      (l.categorical.meanCentroidCosine.uncentred !== null
        ? ` Without centring the cosine is ${f2(l.categorical.meanCentroidCosine.uncentred)}; uncentred cosines are high in every model because all activations share a common direction.`
        : '') +
      ' The paper reports cosines above 0.5 in middle layers.'
  }
  const vice = peaks['rho-vice']
  const virtue = peaks['rho-virtue']
  let gradient = 'Typicality gradients could not be computed (they need typicality grades and neutral items).'
  if (vice.best !== null || virtue.best !== null) {
    const parts: string[] = []
    if (vice.best !== null) parts.push(`vice acts best at layer ${vice.layer} (mean Spearman ρ ${f2(vice.best)})`)
    if (virtue.best !== null) parts.push(`virtue acts best at layer ${virtue.layer} (ρ ${f2(virtue.best)})`)
    const asym = vice.best !== null && virtue.best !== null ? vice.best - virtue.best : null
    gradient =
      `How far an act lies along its category's direction tracks how typical it is: ${parts.join('; ')}.` +
      (asym !== null
        ? asym > 0.05
          ? ' Vice is graded better than virtue, the asymmetry the paper reports.'
          : asym < -0.05
            ? ' Here virtue is graded better than vice, unlike the paper’s asymmetry.'
            : ' Vice and virtue are graded about equally well.'
        : '') +
      ' The paper found peaks below 0.55 for all 23 models.'
  }
  const ap = peaks['ari-polarity']
  const af = peaks['ari-foundation']
  let structural = 'Clustering could not be scored against the labels.'
  if (ap.best !== null || af.best !== null) {
    structural =
      'Grouping the activations without labels (k-means) and comparing the groups with the human labels (ARI: 1 = perfect, 0 = chance): ' +
      [
        ap.best !== null ? `virtue/vice/neutral reach ARI ${f2(ap.best)} at layer ${ap.layer}` : '',
        af.best !== null ? `the five foundations reach ${f2(af.best)} at layer ${af.layer}` : '',
      ]
        .filter(Boolean)
        .join(', and ') +
      '. The paper reports about 0.5 and below 0.15.'
  }
  const r2 = peaks['r2-cv']
  const r2a = peaks['r2-adjusted']
  let dimensional = 'The moral-vector probe could not be fitted (it needs moral vectors).'
  if (r2.best !== null) {
    dimensional =
      `A linear probe reads the 10-dimensional moral vector out of layer ${r2.layer} with cross-validated R² ${f2(r2.best)}` +
      (r2a.best !== null ? ` (adjusted R² ${f2(r2a.best)} at layer ${r2a.layer})` : '') +
      `; ${r2.best < 0.1 ? 'almost none of the moral structure is linearly readable' : r2.best < 0.3 ? 'a small part of it is readable' : 'a good part of it is readable'}. The paper’s best model reached adjusted R² 0.26.`
  }
  const caveats: string[] = []
  if (context.randomWeights) caveats.push('This model has random weights (the lab’s built-in model): these numbers show how the analysis works, not anything about real language models.')
  if (context.authoredTypicality) caveats.push('The typicality grades of this set were authored by the Moral Lens project, not collected from human raters.')
  return { categorical, gradient, structural, dimensional, caveats }
}
