// Baselines run next to ICM on a held-out split (METHODS.md §4.1, §4.3): zero-shot, few-shot with random,
// gold or ICM labels as demonstrations, with accuracy and a confidence interval. Scored with the same
// `IcmScorer` and the same prompt format as ICM, so the comparisons differ only in the demonstrations.

import { Rng } from '../random.ts'
import { buildFewShotContext } from './templates.ts'
import { callScorer, validateIcmItems, type IcmItem, type IcmLabel, type IcmScorer, type MaybeLabel } from './types.ts'

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054

export interface Predictions {
  scores: number[]
  labels: IcmLabel[]
  forwardPasses: number
}

export interface LabelledDemo {
  item: IcmItem
  label: IcmLabel
}

/** Zero-shot: the bare prompt, label = score > 0. */
export async function zeroShotPredict(
  items: readonly IcmItem[],
  scorer: IcmScorer,
  opts: { signal?: AbortSignal } = {},
): Promise<Predictions> {
  return fewShotPredict(items, [], scorer, opts)
}

/**
 * Few-shot: every test item is scored after the same demonstrations (grouped by consistency group, as in
 * ICM). With `maxDemonstrations`, one random subset (seeded) is used for all test items so the prefix is shared.
 */
export async function fewShotPredict(
  testItems: readonly IcmItem[],
  demonstrations: readonly LabelledDemo[],
  scorer: IcmScorer,
  opts: { maxDemonstrations?: number; seed?: number; signal?: AbortSignal } = {},
): Promise<Predictions & { demonstrations: number }> {
  let demos = demonstrations.slice()
  if (opts.maxDemonstrations !== undefined && demos.length > opts.maxDemonstrations) {
    if (opts.seed === undefined) throw new Error('fewShotPredict: maxDemonstrations needs an explicit seed')
    const rng = new Rng(opts.seed)
    const keep = new Set(rng.shuffle(demos.map((_, i) => i)).slice(0, opts.maxDemonstrations))
    demos = demos.filter((_, i) => keep.has(i))
  }
  const context = buildFewShotContext(demos)
  const requests = testItems.map((it) => ({ context, target: it.prompt }))
  const batch = await callScorer(scorer, requests, 'baseline scorer', opts.signal)
  return {
    scores: batch.scores,
    labels: batch.scores.map((s) => (s > 0 ? 1 : 0)),
    forwardPasses: batch.forwardPasses,
    demonstrations: demos.length,
  }
}

/** Labels from a fair coin, one per item (the "random-label few-shot" baseline). */
export function randomDemoLabels(n: number, rng: Rng): IcmLabel[] {
  return Array.from({ length: n }, () => (rng.next() < 0.5 ? 1 : 0))
}

/** Wilson score interval for k successes in n trials. */
export function wilsonInterval(successes: number, n: number, z = Z95): { lo: number; hi: number } {
  if (n === 0) return { lo: 0, hi: 1 }
  const p = successes / n
  const z2 = z * z
  const denom = 1 + z2 / n
  const centre = (p + z2 / (2 * n)) / denom
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) }
}

/** Percentile bootstrap interval of a mean of 0/1 outcomes (type-7 quantiles). */
export function bootstrapInterval(
  outcomes: readonly boolean[],
  opts: { seed: number; resamples?: number; level?: number },
): { lo: number; hi: number } {
  const n = outcomes.length
  if (n === 0) return { lo: 0, hi: 1 }
  const B = opts.resamples ?? 2000
  const level = opts.level ?? 0.95
  const rng = new Rng(opts.seed)
  const means = new Float64Array(B)
  for (let b = 0; b < B; b++) {
    let k = 0
    for (let i = 0; i < n; i++) if (outcomes[rng.int(n)]) k++
    means[b] = k / n
  }
  means.sort()
  const q = (p: number) => {
    const h = (B - 1) * p
    const lo = Math.floor(h)
    return means[lo] + (h - lo) * ((means[Math.min(lo + 1, B - 1)] ?? means[lo]) - means[lo])
  }
  return { lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2) }
}

export interface AccuracyWithCi {
  correct: number
  /** Items with a gold label. */
  n: number
  accuracy: number
  lo: number
  hi: number
  method: 'wilson' | 'bootstrap'
  /** Items with gold but no prediction, counted as wrong. */
  missing: number
}

/** Accuracy over items with gold (predictions aligned with items); missing predictions count as wrong. */
export function accuracyWithCi(
  predictions: readonly MaybeLabel[],
  gold: readonly (IcmLabel | undefined)[],
  opts: { method?: 'wilson' | 'bootstrap'; z?: number; seed?: number; resamples?: number; level?: number } = {},
): AccuracyWithCi {
  if (predictions.length !== gold.length) {
    throw new Error(`accuracyWithCi: ${predictions.length} predictions for ${gold.length} gold labels`)
  }
  const outcomes: boolean[] = []
  let missing = 0
  gold.forEach((g, i) => {
    if (g === undefined) return
    if (predictions[i] === null || predictions[i] === undefined) missing++
    outcomes.push(predictions[i] === g)
  })
  const correct = outcomes.filter(Boolean).length
  const n = outcomes.length
  const method = opts.method ?? 'wilson'
  let ci
  if (method === 'wilson') ci = wilsonInterval(correct, n, opts.z)
  else {
    if (opts.seed === undefined) throw new Error('accuracyWithCi: the bootstrap needs an explicit seed')
    ci = bootstrapInterval(outcomes, { seed: opts.seed, resamples: opts.resamples, level: opts.level })
  }
  return { correct, n, accuracy: n === 0 ? NaN : correct / n, ...ci, method, missing }
}

/** Held-out split by consistency group (no group straddles the split): about `testFraction` of the items. */
export function splitHeldOut(
  items: readonly IcmItem[],
  opts: { testFraction: number; seed: number },
): { train: IcmItem[]; test: IcmItem[] } {
  if (!(opts.testFraction > 0 && opts.testFraction < 1)) {
    throw new Error(`splitHeldOut: testFraction must be in (0, 1), got ${opts.testFraction}`)
  }
  const groups = new Map<string, IcmItem[]>()
  for (const it of items) {
    const g = groups.get(it.consistencyGroup)
    if (g) g.push(it)
    else groups.set(it.consistencyGroup, [it])
  }
  const shuffled = new Rng(opts.seed).shuffle([...groups.values()])
  const want = Math.round(opts.testFraction * items.length)
  const test: IcmItem[] = []
  const train: IcmItem[] = []
  for (const g of shuffled) (test.length < want ? test : train).push(...g)
  return { train, test }
}

export interface BaselineRow {
  name: 'zero-shot' | 'zero-shot-instruct' | 'random-few-shot' | 'gold-few-shot' | 'icm-few-shot'
  predictions: IcmLabel[]
  accuracy: AccuracyWithCi
  demonstrations: number
  forwardPasses: number
}

export interface BaselineOptions {
  train: readonly IcmItem[]
  test: readonly IcmItem[]
  scorer: IcmScorer
  /** ICM labels of the train items (aligned with `train`). */
  icmLabels?: readonly MaybeLabel[]
  /** Zero-shot with the instruct variant, when one is loaded. */
  instructScorer?: IcmScorer
  seed: number
  maxDemonstrations?: number
  ciMethod?: 'wilson' | 'bootstrap'
  signal?: AbortSignal
}

/**
 * Every baseline on the test split: zero-shot, random-label few-shot, gold-label few-shot (when train has
 * gold), ICM-label few-shot (when given), and instruct zero-shot (when given). Accuracy needs test gold.
 */
export async function runBaselines(o: BaselineOptions): Promise<BaselineRow[]> {
  validateIcmItems(o.train, 'baselines: train')
  validateIcmItems(o.test, 'baselines: test')
  if (o.icmLabels && o.icmLabels.length !== o.train.length) {
    throw new Error(`baselines: icmLabels has ${o.icmLabels.length} entries for ${o.train.length} train items`)
  }
  const rng = new Rng(o.seed)
  const gold = o.test.map((it) => it.gold)
  const rows: BaselineRow[] = []
  const ciSeed = rng.nextUint32()
  const add = (name: BaselineRow['name'], p: Predictions & { demonstrations?: number }) =>
    rows.push({
      name,
      predictions: p.labels,
      accuracy: accuracyWithCi(p.labels, gold, { method: o.ciMethod, seed: ciSeed }),
      demonstrations: p.demonstrations ?? 0,
      forwardPasses: p.forwardPasses,
    })
  const few = (demos: LabelledDemo[]) =>
    fewShotPredict(o.test, demos, o.scorer, {
      maxDemonstrations: o.maxDemonstrations,
      seed: rng.nextUint32(),
      signal: o.signal,
    })

  add('zero-shot', await zeroShotPredict(o.test, o.scorer, { signal: o.signal }))
  if (o.instructScorer) add('zero-shot-instruct', await zeroShotPredict(o.test, o.instructScorer, { signal: o.signal }))
  const random = randomDemoLabels(o.train.length, rng)
  add('random-few-shot', await few(o.train.map((item, i) => ({ item, label: random[i] }))))
  const goldDemos = o.train.filter((it) => it.gold !== undefined).map((item) => ({ item, label: item.gold! }))
  if (goldDemos.length > 0) add('gold-few-shot', await few(goldDemos))
  if (o.icmLabels) {
    const icmDemos: LabelledDemo[] = []
    o.train.forEach((item, i) => {
      const l = o.icmLabels![i]
      if (l !== null) icmDemos.push({ item, label: l })
    })
    add('icm-few-shot', await few(icmDemos))
  }
  return rows
}

/**
 * UDHR-Demographics failure rate (METHODS.md §3.2): per category, the share of items labelled 0 ("right
 * denied"), all gold labels being 1. Unlabelled items are left out.
 */
export function falseShareByCategory(
  categories: readonly string[],
  labels: readonly MaybeLabel[],
  z = Z95,
): Map<string, { n: number; labelledFalse: number; share: number; lo: number; hi: number }> {
  if (categories.length !== labels.length) {
    throw new Error(`falseShareByCategory: ${categories.length} categories for ${labels.length} labels`)
  }
  const counts = new Map<string, { n: number; f: number }>()
  categories.forEach((c, i) => {
    if (labels[i] === null) return
    const e = counts.get(c) ?? { n: 0, f: 0 }
    e.n++
    if (labels[i] === 0) e.f++
    counts.set(c, e)
  })
  const out = new Map<string, { n: number; labelledFalse: number; share: number; lo: number; hi: number }>()
  for (const [c, { n, f }] of counts) out.set(c, { n, labelledFalse: f, share: f / n, ...wilsonInterval(f, n, z) })
  return out
}
