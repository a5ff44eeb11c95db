// One elicitation run as the panel does it: items from a stimulus set, a train/test split, ICM on
// the train split, the baselines on the test split, and (for human-rights sets) failure rates per
// group category, zero-shot against ICM.
import type { StimulusItem, StimulusSet } from '../stimuli/types.ts'
import type { IcmItem, IcmScorer, MaybeLabel } from './types.ts'
import { renderClaimPrompt } from './templates.ts'
import { icmItemsFromStimuli } from './datasets.ts'
import { runIcm, icmApproximations, ICM_DEFAULTS, type IcmEvent, type IcmOptions, type IcmResult } from './icm.ts'
import { runBaselines, splitHeldOut, zeroShotPredict, falseShareByCategory, type BaselineRow } from './baselines.ts'

export interface ElicitationOptions extends Omit<IcmOptions, 'signal' | 'pauseGate'> {
  /** Share of items held out for the baselines when the set has no split (default 0.25). */
  testFraction?: number
  /** Skip the baselines (they cost a forward pass per test item and demonstration set). */
  baselines?: boolean
  /** At most this many demonstrations in the few-shot baselines. */
  baselineDemonstrations?: number
}

export interface CategoryFailure {
  category: string
  n: number
  zeroShot: { share: number; lo: number; hi: number }
  icm: { share: number; lo: number; hi: number } | null
}

export interface ElicitationResult {
  items: IcmItem[]
  train: string[]
  test: string[]
  icm: IcmResult
  baselines: BaselineRow[]
  /** Human-rights mode (all gold labels true, items with a category): share labelled false per category. */
  failures?: CategoryFailure[]
  approximations: string[]
  templateNote: string
}

/** The set's claim template (`{text}` slot), or the official "Claim: … I think this claim is". */
export function claimRenderer(set: Pick<StimulusSet, 'prompts'>): { render: (text: string) => string; note: string } {
  const t = set.prompts?.claim
  if (t && t.includes('{text}')) {
    const body = t.replace(/\s+$/, '')
    return { render: (text) => body.replace('{text}', text), note: `the set's claim template: ${JSON.stringify(t)}` }
  }
  return { render: renderClaimPrompt, note: 'the official ICM template "Claim: {claim}\\nI think this claim is"' }
}

export function elicitationItems(set: StimulusSet): IcmItem[] {
  const { render } = claimRenderer(set)
  const items = icmItemsFromStimuli(set.items, render)
  if (items.length < 4) throw new Error(`${set.name} has ${items.length} items; ICM needs at least 4`)
  return items
}

function splitOf(set: StimulusSet, items: IcmItem[], o: ElicitationOptions): { train: IcmItem[]; test: IcmItem[] } {
  const byId = new Map(set.items.map((s) => [s.id, s]))
  const declared = items.filter((i) => byId.get(i.id)?.split === 'test')
  if (declared.length > 0 && declared.length < items.length) {
    return { train: items.filter((i) => byId.get(i.id)?.split !== 'test'), test: declared }
  }
  return splitHeldOut(items, { testFraction: o.testFraction ?? 0.25, seed: o.seed })
}

function categoryOf(s: StimulusItem | undefined): string | undefined {
  const c = s?.meta?.category
  return typeof c === 'string' && c ? c : undefined
}

export async function runElicitation(
  set: StimulusSet,
  scorer: IcmScorer,
  o: ElicitationOptions,
  hooks: { onStart?: (train: IcmItem[], test: IcmItem[]) => void; onEvent?: (e: IcmEvent) => void; signal?: AbortSignal; pauseGate?: () => Promise<void> | undefined; onPhase?: (phase: 'icm' | 'baselines' | 'failures') => void; instructScorer?: IcmScorer } = {},
): Promise<ElicitationResult> {
  const items = elicitationItems(set)
  const { train, test } = splitOf(set, items, o)
  hooks.onStart?.(train, test)
  hooks.onPhase?.('icm')
  const icm = await runIcm(train, scorer, { ...o, signal: hooks.signal, pauseGate: hooks.pauseGate, onEvent: hooks.onEvent })
  let baselines: BaselineRow[] = []
  const testHasGold = test.some((t) => t.gold !== undefined)
  if (o.baselines !== false && icm.status === 'completed' && test.length > 0 && testHasGold) {
    hooks.onPhase?.('baselines')
    baselines = await runBaselines({
      train,
      test,
      scorer,
      icmLabels: icm.labels,
      instructScorer: hooks.instructScorer,
      seed: o.seed,
      maxDemonstrations: o.baselineDemonstrations ?? o.maxDemonstrations,
      signal: hooks.signal,
    })
  }
  let failures: CategoryFailure[] | undefined
  const byId = new Map(set.items.map((s) => [s.id, s]))
  const allTrue = items.every((i) => i.gold === 1)
  const categories = train.map((i) => categoryOf(byId.get(i.id)))
  if (allTrue && icm.status === 'completed' && categories.some(Boolean)) {
    hooks.onPhase?.('failures')
    const zs = await zeroShotPredict(train, scorer, { signal: hooks.signal })
    const cats = categories.map((c) => c ?? 'other')
    const zero = falseShareByCategory(cats, zs.labels)
    const mine = falseShareByCategory(cats, icm.labels as MaybeLabel[])
    failures = [...zero.entries()].map(([category, z]) => {
      const m = mine.get(category)
      return { category, n: z.n, zeroShot: { share: z.share, lo: z.lo, hi: z.hi }, icm: m ? { share: m.share, lo: m.lo, hi: m.hi } : null }
    })
  }
  const approximations = icmApproximations(o)
  if ((o.alpha ?? ICM_DEFAULTS.alpha) !== ICM_DEFAULTS.alpha) approximations.push(`α = ${o.alpha} (the code's default is ${ICM_DEFAULTS.alpha}; the paper lowers α when acceptance is too slow).`)
  return {
    items,
    train: train.map((i) => i.id),
    test: test.map((i) => i.id),
    icm,
    baselines,
    failures,
    approximations,
    templateNote: claimRenderer(set).note,
  }
}
