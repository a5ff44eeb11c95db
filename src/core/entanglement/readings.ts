// Plain-language readings of the results for students, written from the computed numbers, and the
// method notes (what this implementation does, and where it departs from METHODS.md §2.3).
import type { ValueKind } from '../stimuli/types.ts'
import type { AblationResult } from './ablation.ts'
import type { BehaviourResult, CoefficientSummary, EntanglementIndex } from './behaviour.ts'
import type { EmbeddingProbeResult } from './embedding.ts'
import type { ProjectionResult } from './projection.ts'
import { coefficientOf } from './regression.ts'

export interface Reading {
  topic: 'model' | 'behaviour' | 'embedding' | 'projection' | 'ablation'
  /** 'finding' states a result; 'caution' limits how far it can be trusted. */
  tone: 'finding' | 'caution'
  text: string
}

export interface MethodNote {
  id: string
  /** True where this implementation departs from (or fills a gap in) METHODS.md §2.3. */
  deviation: boolean
  text: string
}

const MINUS = '\u2212'

/** +0.42 / −0.42 (true minus sign), fixed decimals. */
export function signed(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return 'n/a'
  const s = Math.abs(x).toFixed(digits)
  if (Number(s) === 0) return (0).toFixed(digits)
  return (x < 0 ? MINUS : '+') + s
}

export function plain(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return 'n/a'
  return x < 0 ? MINUS + Math.abs(x).toFixed(digits) : x.toFixed(digits)
}

export function ciText(ci: [number, number], level = 0.95, digits = 2): string {
  return `${Math.round(level * 100)}% CI ${signed(ci[0], digits)} to ${signed(ci[1], digits)}`
}

const excludesZero = (ci: [number, number]) => ci[0] > 0 || ci[1] < 0
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : 'n/a')

const RATING_NAME: Record<ValueKind, string> = {
  moral: 'moral rating',
  grammatical: 'grammaticality rating',
  economic: 'rating of what the object is worth',
}
const FACTOR_PHRASE: Record<ValueKind, string> = {
  moral: 'a good rather than a bad act',
  grammatical: 'a well-formed rather than an ill-formed sentence',
  economic: 'an expensive rather than a cheap object',
}

function entanglementSentence(e: EntanglementIndex, level: number): string {
  const m = e.model
  let s = `The moral content of a sentence moves its ${RATING_NAME[e.kind]} by ${signed(m.estimate)} points (${ciText(m.ci, level)})`
  if (e.human.source === 'design') s += '; humans would not move it at all (the design norm is 0).'
  else
    s +=
      `; in the human ratings (rescaled to 1–7, ${e.human.n} items) it moves it by ${signed(e.human.estimate)}` +
      (e.human.ci ? ` (${ciText(e.human.ci, level)})` : '') +
      `, so the model differs from people by ${signed(e.difference.estimate)} (${ciText(e.difference.ci, level)}).`
  if (excludesZero(e.difference.ci))
    s +=
      e.difference.estimate > 0
        ? ` Good acts make sentences look ${e.kind === 'grammatical' ? 'more grammatical' : 'more valuable'} to the model than they should: value entanglement.`
        : ` Good acts make sentences look ${e.kind === 'grammatical' ? 'less grammatical' : 'less valuable'} to the model than they should: an entanglement with the opposite sign.`
  else s += ' The interval includes the human norm, so this run shows no clear entanglement for this kind of value.'
  return s
}

export function readBehaviour(b: BehaviourResult): Reading[] {
  const out: Reading[] = []
  if (b.model.randomWeights)
    out.push({ topic: 'model', tone: 'caution', text: `${b.model.label} has random weights: its numbers exercise the method and mean nothing about real language models.` })
  for (const w of b.warnings) out.push({ topic: 'behaviour', tone: 'caution', text: w })
  const own = (kind: ValueKind): CoefficientSummary | undefined => {
    const fit = b.regressions[kind]
    if (!fit || !fit.names.includes(kind)) return undefined
    const c = coefficientOf(fit, kind)
    return { estimate: c.estimate, se: c.se, t: c.t, p: c.p, ci: c.ci }
  }
  const moral = own('moral')
  if (moral) {
    const text =
      `Describing ${FACTOR_PHRASE.moral} changes the moral rating by ${signed(moral.estimate)} points (${ciText(moral.ci, b.level)}).` +
      (excludesZero(moral.ci) && moral.estimate > 0
        ? ' The model does tell good from bad acts, which the entanglement measures below presuppose.'
        : ' The model hardly tells good from bad acts, so the entanglement measures below say little.')
    out.push({ topic: 'behaviour', tone: excludesZero(moral.ci) && moral.estimate > 0 ? 'finding' : 'caution', text })
  }
  for (const e of b.entanglement) {
    out.push({ topic: 'behaviour', tone: 'finding', text: entanglementSentence(e, b.level) })
    const self = own(e.kind)
    if (self && Math.abs(self.estimate) > 0)
      out.push({
        topic: 'behaviour',
        tone: 'finding',
        text:
          `For comparison, ${e.kind === 'economic' && b.economicScale === 'logPrice' ? 'one unit of log price (an object e ≈ 2.7 times as expensive)' : FACTOR_PHRASE[e.kind]} moves the same rating by ${signed(self.estimate)} points (${ciText(self.ci, b.level)}); ` +
          `the moral effect is ${pct(Math.abs(e.model.estimate / self.estimate))} of that size.`,
      })
  }
  return out
}

export function readEmbedding(e: EmbeddingProbeResult): Reading[] {
  const out: Reading[] = []
  for (const p of e.places) {
    const where = p.place === 'input' ? 'In the input embeddings' : 'At the final layer'
    const cos = p.cosines.filter((c) => c.a === 'moral' || c.b === 'moral')
    if (cos.length)
      out.push({
        topic: 'embedding',
        tone: 'finding',
        text:
          `${where}, the moral direction (mean of good-act sentences minus bad-act sentences) has cosine ` +
          cos.map((c) => `${plain(c.cosine)} with the ${c.a === 'moral' ? c.b : c.a} direction`).join(' and ') +
          ' (0 = unrelated, 1 = the same direction).',
      })
    for (const f of p.moralAxis?.byFactor ?? []) {
      out.push({
        topic: 'embedding',
        tone: 'finding',
        text:
          `${where}, making it ${FACTOR_PHRASE[f.factor]} moves a sentence along the moral axis by ${plain(f.relativeToMoral)} of a good/bad flip ` +
          `(correlation with the ${f.factor} level r = ${plain(f.pearson)}).`,
      })
    }
    if (p.moralAxis && p.place === 'input')
      out.push({
        topic: 'embedding',
        tone: 'caution',
        text: `${where}, good and bad acts are ${plain(p.moralAxis.separation.cohenD)} standard deviations apart on the moral axis; the axis was fitted to these same sentences, so that separation is optimistic.`,
      })
  }
  return out
}

export function readProjection(p: ProjectionResult): Reading[] {
  const out: Reading[] = []
  const layerAt = (k: number) => p.layers[k]
  const argmax = (xs: number[]) => xs.reduce((best, v, k) => (Number.isFinite(v) && (!Number.isFinite(xs[best]) || v > xs[best]) ? k : best), 0)
  for (const row of p.cosines.filter((c) => c.context === 'native' && (c.a === 'moral' || c.b === 'moral'))) {
    const other = row.a === 'moral' ? row.b : row.a
    const k = argmax(row.values.map(Math.abs))
    out.push({
      topic: 'projection',
      tone: 'finding',
      text: `The moral and ${other} directions (each read in its own judgment prompt) are most aligned at layer ${layerAt(k)}: cosine ${plain(row.values[k])}.`,
    })
  }
  for (const mp of p.moralProjections.filter((m) => m.context !== 'moral')) {
    const k = argmax(mp.pearson.map(Math.abs))
    out.push({
      topic: 'projection',
      tone: 'finding',
      text:
        `Inside ${mp.context === 'grammatical' ? 'grammaticality' : 'economic-value'} prompts, where an item sits on the moral direction correlates with ` +
        `its moral value up to r = ${plain(mp.pearson[k])} (Spearman ${plain(mp.spearman[k])}, layer ${layerAt(k)}): the moral content is still represented while the model judges something else.`,
    })
  }
  for (const s of p.shares) {
    const k = argmax(s.squaredCosine)
    out.push({
      topic: 'projection',
      tone: 'finding',
      text:
        `The moral direction accounts for ${pct(s.squaredCosine[k])} of the ${s.factor} direction at layer ${layerAt(k)} (squared cosine), ` +
        `and for ${pct(s.varianceExplained[k])} of the variation of the item-by-item ${s.factor} contrasts there.`,
    })
  }
  out.push({ topic: 'projection', tone: 'finding', text: `The layer that best separates good from bad acts is ${p.bestLayer}: ${p.bestLayerReason}.` })
  return out
}

export function readAblation(a: AblationResult): Reading[] {
  const out: Reading[] = []
  const level = a.behaviour.before.level
  const where = `the moral direction of layer ${a.layer}, projected out at ${a.hooks.length} hook${a.hooks.length === 1 ? '' : 's'}`
  for (const e of a.comparison.entanglement) {
    const moved = Math.abs(e.after.estimate - e.humanNorm) < Math.abs(e.before.estimate - e.humanNorm)
    out.push({
      topic: 'ablation',
      tone: 'finding',
      text:
        `Removing ${where} moves the moral effect on the ${RATING_NAME[e.kind]} from ${signed(e.before.estimate)} (${ciText(e.before.ci, level)}) ` +
        `to ${signed(e.after.estimate)} (${ciText(e.after.ci, level)}), ${moved ? 'towards' : 'away from'} the human norm of ${signed(e.humanNorm)}; ` +
        `removing a random direction of the same length leaves it at ${signed(e.random.estimate)}.`,
    })
  }
  const m = a.comparison.moralRatings
  if (m)
    out.push({
      topic: 'ablation',
      tone: 'finding',
      text:
        `Control: the good/bad difference in the moral ratings themselves goes from ${signed(m.before.estimate)} to ${signed(m.after.estimate)} points ` +
        `(random direction: ${signed(m.random.estimate)}); moral ratings moved by ${plain(m.meanAbsChange.after)} points on average ` +
        `(random direction: ${plain(m.meanAbsChange.random)}). If the moral ratings do not change, the removed direction was not what the model uses to judge morality.`,
    })
  const g = a.comparison.grammarAccuracy
  if (g)
    out.push({
      topic: 'ablation',
      tone: g.source === 'proxy' ? 'caution' : 'finding',
      text:
        `Control: grammatical discrimination (well-formed minus ill-formed, ${g.source === 'proxy' ? 'all items, as a proxy' : 'morally neutral items'}) ` +
        `is ${signed(g.before.discrimination)} points before, ${signed(g.after.discrimination)} after, ${signed(g.random.discrimination)} with the random direction ` +
        `(AUC ${plain(g.before.auc)} → ${plain(g.after.auc)}).` +
        (g.source === 'proxy' ? ' The factorial set has no morally neutral sentences; add a CoLA-style set for a clean check.' : ''),
    })
  const top = [...a.items].sort((x, y) => y.maxAbsDelta - x.maxAbsDelta)[0]
  if (top)
    out.push({
      topic: 'ablation',
      tone: 'finding',
      text: `The sentence the ablation moved most: "${top.text}" (largest rating change ${signed(top.maxAbsDelta)} points).`,
    })
  return out
}

/** What the implementation does, and every departure from METHODS.md §2.3. */
export function methodNotes(): MethodNote[] {
  return [
    {
      id: 'paper-not-public',
      deviation: true,
      text:
        'The paper (Cho, Li & Leshinskaya 2026, arXiv 2602.19101) is available only as an abstract: its stimuli, prompts, rating scales, human norms, ' +
        'equations, layers and ablation formula are not public. This panel follows the proposal in METHODS.md §2.3; its numbers are not the paper\'s.',
    },
    {
      id: 'stimuli',
      deviation: true,
      text:
        'The built-in set is written for Moral Lens: frames crossing moral (good/bad act) × grammatical (well-formed/one error) × economic (cheap/expensive object). ' +
        'Without collected human ratings, the design levels stand in for the human norms, under which the moral coefficient in grammatical and economic ratings is 0.',
    },
    {
      id: 'digit-expectation',
      deviation: false,
      text:
        'Each rating is E[r] = Σ r·p(r) over the next-token probabilities of the digits 1–7, renormalised over those seven tokens (no sampling). ' +
        'The probability the model puts on the digits at all is reported; when it is low the model is not answering with a rating.',
    },
    {
      id: 'digit-tokens',
      deviation: true,
      text:
        'Digit tokens: bare "1".."7" after a chat template (the answer starts a fresh assistant turn), " 1".." 7" with a leading space after a completion frame ' +
        '(which ends in ":"), falling back to the other variant when the tokenizer does not keep all seven as single tokens. Only one variant is scored.',
    },
    {
      id: 'prompts',
      deviation: true,
      text:
        'Instruct models (a chat template in the tokenizer) get the set\'s chat question as one user turn with the generation prompt; base models get the set\'s ' +
        '`_completion` frame. Each prompt is tokenised as two parts, the text before the sentence and the sentence plus the rest, so that the prefix\'s KV cache can be ' +
        'reused; scoring from scratch uses the same token ids. They can differ from tokenising the whole prompt at once at the boundary.',
    },
    {
      id: 'kv-reuse',
      deviation: false,
      text:
        'Prompts are scored reusing the KV cache of shared prefixes: the rating prompt before the sentence, and longer prefixes that sentences of the same frame share. ' +
        'Each run is exact (the same token ids and positions); ratings agree with scoring every prompt from scratch to within 1e-4.',
    },
    {
      id: 'regression',
      deviation: true,
      text:
        'Ratings of each kind are regressed by OLS with an intercept on all design factors (moral, grammatical, economic as 0/1 levels); METHODS fits grammatical ratings on ' +
        'grammatical + moral only. In the full factorial the factors are orthogonal, so adding economic leaves β_moral unchanged and only tightens its standard error. ' +
        'Classical standard errors with t(n − k) intervals are reported, HC3 robust ones as a check. Items from the same frame are not independent; neither error ' +
        'accounts for that clustering, so intervals may be too narrow.',
    },
    {
      id: 'economic-scale',
      deviation: true,
      text: 'The economic factor enters as the design level (cheap 0 / expensive 1); METHODS suggests log price as the human norm, available as the "log price" option.',
    },
    {
      id: 'human-ratings',
      deviation: false,
      text:
        'When a set carries human ratings, they are rescaled linearly from the set\'s rating scale to 1–7 and regressed on the same design; the difference from the model is the ' +
        'moral coefficient of (model − human) on that design, whose interval accounts for the two sharing items.',
    },
    {
      id: 'embedding',
      deviation: true,
      text:
        'Embedding probe: METHODS proposes cosines with "good"/"bad" anchor words or a sentence encoder; here each sentence alone (no prompt, no special tokens) is ' +
        'mean-pooled at the input embeddings (blocks.0.hook_resid_pre, which includes position embeddings in GPT-2-style models) and at the final layer, and projected on the ' +
        'difference-of-means moral axis, whose correlation with the grammatical and economic levels is reported.',
    },
    {
      id: 'projection',
      deviation: true,
      text:
        'Attribute vectors are differences of means at the last token of each rating prompt, at every layer\'s hook_resid_post, averaged over pairs of items that differ only ' +
        'in that factor (same frame, same other levels). Each factor\'s native vector comes from its own judgment prompt, as METHODS proposes; all vectors are also computed ' +
        'within every prompt. "How much of the grammar direction is explained by the moral one" is given both as a squared cosine and as the share of the item-level ' +
        'grammar contrasts\' second moment along the moral axis.',
    },
    {
      id: 'best-layer',
      deviation: true,
      text:
        'METHODS leaves "the layer of best separation" undefined; here it is the layer with the largest Cohen\'s d between good and bad acts of the moral projection in ' +
        'moral-judgment prompts, cross-fitted over two halves of the frames (the direction is estimated on one half and tested on the other).',
    },
    {
      id: 'ablation',
      deviation: false,
      text:
        'Ablation: h ← h − (h·d̂)d̂ with d the moral direction of the chosen layer, at every residual hook (resid_pre, resid_mid, resid_post) of every layer and every token ' +
        'position, by default (Arditi et al. 2024); the hooks can be restricted, e.g. to layers l*..L.',
    },
    {
      id: 'controls',
      deviation: true,
      text:
        'Controls in the same run: a Gaussian random direction (seeded) scaled to the moral direction\'s length — for directional ablation only its direction matters; the ' +
        'change in the moral ratings; and grammatical discrimination (mean rating of well-formed minus ill-formed sentences, and the AUC) on morally neutral items. ' +
        'The factorial set has none, so unless a CoLA-style set is supplied, discrimination over all its items is the proxy.',
    },
  ]
}
