// Plain-language readings of the Features panel's numbers and its method notes.
import type { MethodNote, Reading } from '../entanglement/readings.ts'
import { plain, signed } from '../entanglement/readings.ts'
import type { SpliceEvaluation, ReconstructionEvaluation } from './evaluation.ts'
import type { MoralFeature } from './labels.ts'
import type { RealignmentResult } from './realign.ts'
import type { SaeStepMetrics } from './train.ts'
import type { WinRate } from './behaviour.ts'

type SaeReading = Omit<Reading, 'topic'> & { topic: 'training' | 'evaluation' | 'features' | 'realignment' | 'behaviour' }

const pct = (x: number, digits = 0) => (Number.isFinite(x) ? `${(100 * x).toFixed(digits)}%` : 'n/a')

export function readTraining(last: SaeStepMetrics, steps: number, cancelled: boolean): SaeReading[] {
  const out: SaeReading[] = [
    {
      topic: 'training',
      tone: 'finding',
      text:
        `${cancelled ? `Stopped after ${last.step} of ${steps} steps` : `After ${last.step} steps`} (${last.tokens.toLocaleString('en')} tokens), the SAE explains ` +
        `${pct(last.explainedVariance)} of the activations' variance in the last batch with about ${plain(last.l0, 1)} active features per token; ` +
        `${pct(last.deadFraction, 1)} of the features are dead (silent for the dead-feature window).`,
    },
  ]
  if (last.deadFraction > 0.5)
    out.push({ topic: 'training', tone: 'caution', text: 'Most features are dead: the corpus is small for this width. A smaller expansion factor or more text usually helps.' })
  return out
}

export function readEvaluation(ev: ReconstructionEvaluation & { split: string }, splice: SpliceEvaluation | undefined, layerName: string): SaeReading[] {
  const out: SaeReading[] = [
    {
      topic: 'evaluation',
      tone: 'finding',
      text: `On ${ev.split === 'held-out' ? 'held-out texts it never trained on' : 'the training texts (too few texts to hold some out)'} (${ev.tokens.toLocaleString('en')} tokens), the SAE explains ${pct(ev.explainedVariance)} of the variance with L0 = ${plain(ev.l0, 1)}; ${pct(ev.deadFraction, 1)} of features never fired and ${pct(ev.denseFraction, 1)} fire on more than a tenth of tokens.`,
    },
  ]
  if (splice) {
    out.push({
      topic: 'evaluation',
      tone: 'finding',
      text:
        `Replacing ${layerName} by the SAE's reconstruction changes next-token loss from ${plain(splice.ceOriginal, 3)} to ${plain(splice.ceSpliced, 3)} nats (${signed(splice.ceIncrease, 3)}); ` +
        `zeroing it gives ${plain(splice.ceAblated, 3)}. CE loss score ${pct(splice.ceLossScore)} (100% = as good as the model, 0% = as bad as zeroing); KL score ${pct(splice.klDivScore)}.`,
    })
    if (splice.ceAblated - splice.ceOriginal < 0.05)
      out.push({
        topic: 'evaluation',
        tone: 'caution',
        text: 'Zeroing this layer barely changes the loss, so the CE loss score divides by a tiny number and is unstable; judge the SAE by the KL and explained variance instead.',
      })
  }
  return out
}

export function readMoralFeatures(selected: readonly MoralFeature[], dSae: number, thresholds: { minRho: number; minMargin: number }): SaeReading[] {
  if (selected.length === 0)
    return [
      {
        topic: 'features',
        tone: 'caution',
        text: `None of the ${dSae.toLocaleString('en')} features correlates with one moral coordinate at |ρ| ≥ ${thresholds.minRho} while staying ${thresholds.minMargin} above the others. Lower the thresholds, or train on more moral text.`,
      },
    ]
  const axes = new Map<string, number>()
  for (const f of selected) axes.set(f.axisName, (axes.get(f.axisName) ?? 0) + 1)
  const best = selected[0]
  return [
    {
      topic: 'features',
      tone: 'finding',
      text:
        `${selected.length} feature${selected.length === 1 ? '' : 's'} track a single moral coordinate (${[...axes].map(([a, n]) => `${a} ×${n}`).join(', ')}). ` +
        `The most specific is feature ${best.feature}: ρ = ${signed(best.rho)} with ${best.axisName}, ${plain(best.margin)} above its next-best coordinate.`,
    },
  ]
}

export function readRealignment(r: RealignmentResult): SaeReading[] {
  const v = r.rsa.validation ?? r.rsa.all
  const which = r.rsa.validation ? 'held-out items' : 'all items'
  const out: SaeReading[] = []
  if (v.before !== null && v.after !== null)
    out.push({
      topic: 'realignment',
      tone: 'finding',
      text: `On ${which}, the similarity structure of the model's activations matches the human moral vectors with RSA ρ = ${signed(v.before)} before the edit and ${signed(v.after)} after it (${v.pairs.toLocaleString('en')} item pairs). The edit moves activations by ${pct(r.editNorm.relativeRms, 1)} of their typical spread.`,
    })
  if (v.before !== null && v.after !== null && v.after <= v.before)
    out.push({ topic: 'realignment', tone: 'caution', text: 'The edit did not improve the held-out match: the selected features may not carry the moral geometry at this layer.' })
  return out
}

export function readWinRate(w: WinRate, judge: 'user' | 'model'): SaeReading[] {
  if (w.n === 0) return []
  const who = judge === 'user' ? 'you' : 'the model judge'
  const includesHalf = w.ci[0] <= 0.5 && w.ci[1] >= 0.5
  return [
    {
      topic: 'behaviour',
      tone: includesHalf ? 'caution' : 'finding',
      text:
        `In ${w.n} blind comparison${w.n === 1 ? '' : 's'}, ${who} preferred the edited model's answer ${w.wins} time${w.wins === 1 ? '' : 's'}, the original ${w.losses}, with ${w.ties} tie${w.ties === 1 ? '' : 's'}: ` +
        `a win rate of ${pct(w.winRate)} (95% CI ${pct(w.ci[0])}–${pct(w.ci[1])}; the paper reports 75%).` +
        (includesHalf ? ' The interval includes 50%, so this is no evidence either way yet.' : ''),
    },
  ]
}

export function saeMethodNotes(): MethodNote[] {
  return [
    { id: 'trainer', deviation: false, text: 'TopK SAE with the AuxK loss for dead features, unit-norm decoder rows, Adam, b_dec subtracted from the input and activations scaled to mean norm √d_in (SAELens defaults, shortened to a browser-sized corpus).' },
    { id: 'split', deviation: false, text: 'One text in ten (seeded) is held out of training; explained variance, L0 and the splice evaluation use those texts.' },
    { id: 'splice', deviation: false, text: 'CE loss score = (CE_zero − CE_SAE) / (CE_zero − CE_original) and KL score as in SAELens evals: the reconstruction or zeros replace the hook at every position; special tokens are left out.' },
    { id: 'labels', deviation: false, text: 'Label correlations encode the last-token activation of each labelled item (METHODS.md §1.4 D); Spearman ρ for graded labels, point-biserial r for categories. Mono-semanticity = |ρ| with the best moral coordinate minus the runner-up.' },
    { id: 'logits', deviation: false, text: 'Promoted and suppressed tokens: the decoder direction passed through the model\'s own final norm and unembedding, (lens(d) − lens(−d)) / 2, standardised over the vocabulary.' },
    { id: 'realign', deviation: true, text: 'Re-alignment follows the METHODS.md proposal (the paper gives no formula): a map M on the selected features fitted so the cosine geometry of the edited activations matches the moral vectors, with a penalty on the edit size; RSA is reported on held-out items.' },
    { id: 'flames', deviation: true, text: 'The behavioural check uses an English set of adversarial moral prompts written for this lab instead of the Chinese Flames benchmark the paper used.' },
    { id: 'judge', deviation: false, text: 'Model-judged comparisons ask the loaded model in both orders and keep only consistent verdicts; they are tallied apart from yours.' },
  ]
}
