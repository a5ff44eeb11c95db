// Internal Coherence Maximization search, faithful to the official code (Jiaxin-Wen/Unsupervised-Elicitation,
// src/experiments/ICM.py `main`, `initialize`, `fix_inconsistency`, `predict_assignment`, `get_temperature`;
// ICM_tools.py `pick_two_inconsistent_claims`), as summarised in METHODS.md §4.2. Where the code and the paper
// differ, the code wins: mean signed log-odds (not summed log-probs), log schedule constant 2 on accepted
// flips, proposals only when the predicted label differs, ConsistencyFix keeping an option only if its
// energy ≥ the best so far.

import { Rng } from '../random.ts'
import { consistentAssignments, findInconsistentPairs } from './consistency.ts'
import { acceptanceProbability, icmTemperature, type IcmScheduler } from './schedule.ts'
import { IcmAbortError, IcmScoring, type EnergyEval, type EnergySubset } from './scoring.ts'
import { validateIcmItems, type IcmItem, type IcmLabel, type IcmScorer, type MaybeLabel } from './types.ts'

export interface IcmOptions {
  /** Seed of every random choice (the code's default is 27565976). */
  seed: number
  /** Weight of mutual predictability against inconsistency. Code default 30; the paper suggests starting at 50. */
  alpha?: number
  /** K initially labelled items, K/2 ones and K/2 zeros (must be even). Code default 8. */
  numSeed?: number
  /** Search iterations (the code's `--K`, default 3000). */
  iterations?: number
  /** ConsistencyFix rounds (code default 10; the code hard-codes 10 for proposals as well). */
  consistencyFixK?: number
  initialT?: number
  finalT?: number
  /** Only used by the 'exp' scheduler. */
  decay?: number
  scheduler?: IcmScheduler
  /** Approximation: at most this many demonstrations per scored item, chosen at random per target. */
  maxDemonstrations?: number
  /** With `maxDemonstrations`: one random choice per target (default) or one shared by all targets. */
  demoSelection?: 'per-target' | 'shared'
  /** Approximation: per proposal, the energy's mean over this many labelled items (plus all changed ones). */
  energySubsample?: number
  /** Warn when one label's share of the labelled items exceeds this (default 0.9)… */
  collapseThreshold?: number
  /** …once at least this many items are labelled (default 16). */
  collapseMinLabelled?: number
  /** Memoise scores on their exact prompt (default true, like the code's pipeline cache). */
  cacheScores?: boolean
  signal?: AbortSignal
  /** Awaited before each iteration; return a pending promise to pause. */
  pauseGate?: () => void | Promise<void>
  /** Yield to the event loop (a macrotask) every this many iterations. */
  yieldEvery?: number
}

export const ICM_DEFAULTS = {
  alpha: 30,
  numSeed: 8,
  iterations: 3000,
  consistencyFixK: 10,
  initialT: 10,
  finalT: 0.01,
  decay: 0.99,
  scheduler: 'log' as IcmScheduler,
  collapseThreshold: 0.9,
  collapseMinLabelled: 16,
}

export interface IcmProposal {
  itemId: string
  index: number
  from: MaybeLabel
  /** The predicted label (= `from` when nothing was proposed). */
  to: IcmLabel
  /** The prediction's log-odds with all other labelled items as demonstrations. */
  score: number
}

export interface IcmLabelChange {
  itemId: string
  index: number
  from: MaybeLabel
  to: MaybeLabel
}

export interface IcmWarning {
  kind: 'label-collapse'
  message: string
  majorityLabel: IcmLabel
  share: number
}

export interface LabelBalance {
  labelled: number
  ones: number
  zeros: number
  /** Share of labelled items labelled 1 (0 when none). */
  shareOnes: number
}

export interface IcmEvent {
  kind: 'init' | 'iteration'
  /** 0 for the initial state, then 1..iterations. */
  iteration: number
  /** Energy of the current (accepted) labelling; on the subsample when `energyExact` is false. */
  energy: number
  meanSignedScore: number
  inconsistentPairs: number
  energyExact: boolean
  /** Temperature for this iteration's decision (from the accepted flips so far). */
  temperature: number
  /** Whether the predicted label differed, so a new labelling was evaluated. */
  proposed: boolean
  accepted: boolean
  proposal: IcmProposal | null
  /** Energy of the proposed (fixed) labelling, when proposed. */
  proposalEnergy: number | null
  acceptProbability: number | null
  /** Labels changed this iteration (the proposal and ConsistencyFix's changes), only when accepted. */
  changes: IcmLabelChange[]
  /** Current labels, aligned with the input items. */
  labels: MaybeLabel[]
  labelBalance: LabelBalance
  /** Share of labelled items with gold whose label equals gold (null when none has gold). */
  goldAgreement: number | null
  goldCompared: number
  /** Accepted proposals so far. */
  flips: number
  /** LM forward passes so far (as reported by the scorer, cache misses only). */
  forwardPasses: number
  forwardPassesPerLabelled: number
  /** U(D) evaluations so far (each scores every labelled item; ConsistencyFix options included). */
  energyEvaluations: number
  energyEvaluationsPerLabelled: number
  warnings: IcmWarning[]
}

export interface IcmResult {
  status: 'completed' | 'cancelled'
  /** Iterations completed. */
  iterations: number
  /** Aligned with the input items. */
  labels: MaybeLabel[]
  energy: EnergyEval
  flips: number
  forwardPasses: number
  forwardPassesPerLabelled: number
  energyEvaluations: number
  energyEvaluationsPerLabelled: number
  scoreRequests: number
  cacheHits: number
  goldAgreement: number | null
  labelBalance: LabelBalance
  warnings: IcmWarning[]
  /** Item ids in batch order (the order of demonstrations and of seeding). */
  batchOrder: string[]
}

/** Plain-language list of the ways a run departs from the official code, for the panel. */
export function icmApproximations(
  o: Pick<IcmOptions, 'maxDemonstrations' | 'energySubsample' | 'iterations' | 'demoSelection'>,
): string[] {
  const out: string[] = []
  if (o.maxDemonstrations !== undefined) {
    out.push(
      o.demoSelection === 'shared'
        ? `At most ${o.maxDemonstrations} demonstrations per scored item: the first ${o.maxDemonstrations} labelled items ` +
            'of one random ranking shared by all items (an item in that set sees the others); the code puts every other ' +
            'labelled item in context.'
        : `At most ${o.maxDemonstrations} demonstrations per scored item, chosen at random (fixed per item); ` +
            'the code puts every other labelled item in context.',
    )
  }
  if (o.energySubsample !== undefined) {
    out.push(
      `Each proposal compares energies over ${o.energySubsample} random labelled items plus every changed one; ` +
        'the code averages over all labelled items.',
    )
  }
  const iterations = o.iterations ?? ICM_DEFAULTS.iterations
  if (iterations !== ICM_DEFAULTS.iterations) {
    out.push(`${iterations} search iterations (the code's default is ${ICM_DEFAULTS.iterations}).`)
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------
// Pure steps

/** The code's batch: groups in random order, each group's items contiguous in their given order. */
export function batchOrder(items: readonly IcmItem[], rng: Rng): number[] {
  const groups = new Map<string, number[]>()
  items.forEach((it, i) => {
    const g = groups.get(it.consistencyGroup)
    if (g) g.push(i)
    else groups.set(it.consistencyGroup, [i])
  })
  return rng.shuffle([...groups.values()]).flat()
}

/** The code's `initialize`: the first K items in batch order get a shuffled list of K/2 ones and K/2 zeros. */
export function initialLabels(n: number, order: readonly number[], numSeed: number, rng: Rng): MaybeLabel[] {
  if (!Number.isInteger(numSeed) || numSeed < 0 || numSeed % 2 !== 0) {
    throw new Error(`ICM: numSeed must be an even integer ≥ 0 (K/2 ones and K/2 zeros), got ${numSeed}`)
  }
  if (numSeed > n) throw new Error(`ICM: numSeed=${numSeed} exceeds the ${n} items`)
  const seedLabels = rng.shuffle([...Array<IcmLabel>(numSeed / 2).fill(1), ...Array<IcmLabel>(numSeed / 2).fill(0)])
  const labels: MaybeLabel[] = new Array(n).fill(null)
  for (let k = 0; k < numSeed; k++) labels[order[k]] = seedLabels[k]
  return labels
}

/** Weight 100 for unlabelled members of groups that already have a labelled member, else 1. */
export function samplingWeights(items: readonly IcmItem[], labels: readonly MaybeLabel[]): number[] {
  const touched = new Set<string>()
  items.forEach((it, i) => labels[i] !== null && touched.add(it.consistencyGroup))
  return items.map((it, i) => (labels[i] === null && touched.has(it.consistencyGroup) ? 100 : 1))
}

/** Python's `random.choices(population, weights, k=1)`: bisect_right of u·total in the cumulative weights. */
export function sampleWeighted(order: readonly number[], weights: readonly number[], rng: Rng): number {
  let total = 0
  for (const i of order) total += weights[i]
  const x = rng.next() * total
  let cum = 0
  for (const i of order) {
    cum += weights[i]
    if (cum > x) return i
  }
  return order[order.length - 1]
}

export function labelBalance(labels: readonly MaybeLabel[]): LabelBalance {
  let ones = 0
  let zeros = 0
  for (const l of labels) {
    if (l === 1) ones++
    else if (l === 0) zeros++
  }
  const labelled = ones + zeros
  return { labelled, ones, zeros, shareOnes: labelled === 0 ? 0 : ones / labelled }
}

/** The degenerate "same label everywhere" solution (METHODS.md §3.2): warn when one label dominates. */
export function collapseWarnings(labels: readonly MaybeLabel[], threshold: number, minLabelled: number): IcmWarning[] {
  const b = labelBalance(labels)
  if (b.labelled < minLabelled || b.labelled === 0) return []
  const majorityLabel: IcmLabel = b.ones >= b.zeros ? 1 : 0
  const share = Math.max(b.ones, b.zeros) / b.labelled
  if (share <= threshold) return []
  const word = majorityLabel === 1 ? 'True' : 'False'
  return [
    {
      kind: 'label-collapse',
      majorityLabel,
      share,
      message:
        `${(share * 100).toFixed(1)}% of ${b.labelled} labelled items are "${word}": ` +
        'the search may be collapsing onto the degenerate one-label solution',
    },
  ]
}

export function goldAgreement(
  items: readonly IcmItem[],
  labels: readonly MaybeLabel[],
): { agreement: number | null; compared: number } {
  let agree = 0
  let compared = 0
  items.forEach((it, i) => {
    if (it.gold === undefined || labels[i] === null) return
    compared++
    if (labels[i] === it.gold) agree++
  })
  return { agreement: compared === 0 ? null : agree / compared, compared }
}

// ---------------------------------------------------------------------------------------------------------
// ConsistencyFix

export interface FixOptions {
  alpha: number
  /** Rounds (the code's K). */
  rounds: number
  rng: Rng
  subset?: EnergySubset
  order?: readonly number[]
}

export interface FixResult {
  labels: MaybeLabel[]
  energy: EnergyEval
  /** Rounds in which an option was applied. */
  applied: number
}

/**
 * The code's `fix_inconsistency`. Each round shuffles the inconsistent pairs and walks them; for a pair it
 * evaluates both consistent assignments, takes the better (first on ties) and applies it if its energy ≥ the
 * best so far, ending the round. It stops when a round applies nothing or no inconsistency is left.
 * `current` null is the code's dummy metric for a new label (energy −∞): the first pair's better option is
 * then always applied.
 */
export async function fixInconsistency(
  scoring: IcmScoring,
  labels: readonly MaybeLabel[],
  current: EnergyEval | null,
  o: FixOptions,
): Promise<FixResult> {
  if (current && current.inconsistent === 0) return { labels: labels.slice(), energy: current, applied: 0 }
  let best = current
  let assignment = labels.slice()
  let applied = 0
  for (let k = 0; k < o.rounds; k++) {
    const pairs = o.rng.shuffle(findInconsistentPairs(scoring.items, assignment, o.order))
    let took = false
    for (const pair of pairs) {
      const candidates = consistentAssignments(pair).map(([la, lb]) => {
        const c = assignment.slice()
        c[pair.a] = la
        c[pair.b] = lb
        return c
      })
      const evals = await scoring.energies(candidates, o.alpha, o.subset)
      const pick = evals[1].energy > evals[0].energy ? 1 : 0
      if (best === null || evals[pick].energy >= best.energy) {
        best = evals[pick]
        assignment = candidates[pick]
        took = true
        applied++
        break
      }
    }
    if (!took || best!.inconsistent === 0) break
  }
  if (best === null) best = await scoring.energy(assignment, o.alpha, o.subset)
  return { labels: assignment, energy: best, applied }
}

// ---------------------------------------------------------------------------------------------------------
// The search

function resolve(o: IcmOptions) {
  if (!Number.isFinite(o.seed)) throw new Error(`ICM: options.seed must be a number, got ${String(o.seed)}`)
  const r = { ...ICM_DEFAULTS, ...stripUndefined(o) }
  const posInt = (name: string, v: number | undefined, min: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) {
      throw new Error(`ICM: options.${name} must be an integer ≥ ${min}, got ${v}`)
    }
  }
  posInt('iterations', r.iterations, 0)
  posInt('consistencyFixK', r.consistencyFixK, 0)
  posInt('maxDemonstrations', r.maxDemonstrations, 0)
  posInt('energySubsample', r.energySubsample, 1)
  posInt('yieldEvery', r.yieldEvery, 1)
  if (!(r.initialT > 0) || !(r.finalT > 0)) throw new Error(`ICM: initialT and finalT must be > 0`)
  if (!Number.isFinite(r.alpha)) throw new Error(`ICM: options.alpha must be a number, got ${r.alpha}`)
  return r
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

async function waitGate(gate: (() => void | Promise<void>) | undefined, signal: AbortSignal | undefined): Promise<void> {
  if (!gate) return
  const p = gate()
  if (!p) return
  if (!signal) return p
  if (signal.aborted) return
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => resolve()
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      () => (signal.removeEventListener('abort', onAbort), resolve()),
      (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
    )
  })
}

/**
 * Runs ICM, yielding an event for the initial state and for every iteration, and returning the final result
 * (status 'cancelled' with the last accepted labelling when the signal aborts). Deterministic under the seed
 * for a deterministic scorer. Stop pulling to pause, or use `pauseGate`.
 */
export async function* icmSearch(
  items: readonly IcmItem[],
  scorer: IcmScorer,
  options: IcmOptions,
): AsyncGenerator<IcmEvent, IcmResult, void> {
  validateIcmItems(items, 'ICM')
  const o = resolve(options)
  const n = items.length
  const rng = new Rng(options.seed)
  const order = batchOrder(items, rng)
  const demoSeed = rng.nextUint32()
  const subRng = rng.fork()
  const scoring = new IcmScoring(items, scorer, {
    order,
    maxDemonstrations: o.maxDemonstrations,
    demoSelection: o.demoSelection,
    demoSeed,
    cache: o.cacheScores,
    signal: o.signal,
  })
  const temp = (flips: number) => icmTemperature(flips, o)

  let labels = initialLabels(n, order, o.numSeed, rng)
  let cur: EnergyEval | null = null
  let flips = 0
  let iteration = 0

  const snapshot = (
    kind: IcmEvent['kind'],
    rest: Pick<
      IcmEvent,
      'temperature' | 'proposed' | 'accepted' | 'proposal' | 'proposalEnergy' | 'acceptProbability' | 'changes'
    >,
  ): IcmEvent => {
    const balance = labelBalance(labels)
    const gold = goldAgreement(items, labels)
    return {
      kind,
      iteration,
      energy: cur!.energy,
      meanSignedScore: cur!.meanSignedScore,
      inconsistentPairs: cur!.inconsistent,
      energyExact: cur!.exact,
      ...rest,
      labels: labels.slice(),
      labelBalance: balance,
      goldAgreement: gold.agreement,
      goldCompared: gold.compared,
      flips,
      forwardPasses: scoring.forwardPasses,
      forwardPassesPerLabelled: scoring.forwardPasses / Math.max(1, balance.labelled),
      energyEvaluations: scoring.energyEvaluations,
      energyEvaluationsPerLabelled: scoring.energyEvaluations / Math.max(1, balance.labelled),
      warnings: collapseWarnings(labels, o.collapseThreshold, o.collapseMinLabelled),
    }
  }

  const result = async (status: IcmResult['status']): Promise<IcmResult> => {
    const balance = labelBalance(labels)
    return {
      status,
      iterations: iteration,
      labels: labels.slice(),
      energy: cur ?? { energy: NaN, meanSignedScore: NaN, inconsistent: 0, evaluated: 0, exact: false },
      flips,
      forwardPasses: scoring.forwardPasses,
      forwardPassesPerLabelled: scoring.forwardPasses / Math.max(1, balance.labelled),
      energyEvaluations: scoring.energyEvaluations,
      energyEvaluationsPerLabelled: scoring.energyEvaluations / Math.max(1, balance.labelled),
      scoreRequests: scoring.requestsScored,
      cacheHits: scoring.cacheHits,
      goldAgreement: goldAgreement(items, labels).agreement,
      labelBalance: balance,
      warnings: collapseWarnings(labels, o.collapseThreshold, o.collapseMinLabelled),
      batchOrder: order.map((i) => items[i].id),
    }
  }

  const diff = (from: readonly MaybeLabel[], to: readonly MaybeLabel[]): IcmLabelChange[] => {
    const out: IcmLabelChange[] = []
    for (const i of order) if (from[i] !== to[i]) out.push({ itemId: items[i].id, index: i, from: from[i], to: to[i] })
    return out
  }

  try {
    const unlabelled: MaybeLabel[] = new Array(n).fill(null)
    cur = await scoring.energy(labels, o.alpha)
    const fixed = await fixInconsistency(scoring, labels, cur, { alpha: o.alpha, rounds: o.consistencyFixK, rng, order })
    labels = fixed.labels
    cur = fixed.energy
    yield snapshot('init', {
      temperature: temp(0),
      proposed: false,
      accepted: false,
      proposal: null,
      proposalEnergy: null,
      acceptProbability: null,
      changes: diff(unlabelled, labels),
    })

    for (let it = 1; it <= o.iterations; it++) {
      await waitGate(o.pauseGate, o.signal)
      scoring.checkAbort()
      if (o.yieldEvery && it % o.yieldEvery === 0) await new Promise((r) => setTimeout(r, 0))

      const weights = samplingWeights(items, labels)
      const idx = sampleWeighted(order, weights, rng)
      const [score] = await scoring.scoreTargets(labels, [idx])
      const predicted: IcmLabel = score > 0 ? 1 : 0
      const proposal: IcmProposal = { itemId: items[idx].id, index: idx, from: labels[idx], to: predicted, score }
      const T = temp(flips)

      if (labels[idx] === predicted) {
        iteration = it
        yield snapshot('iteration', {
          temperature: T,
          proposed: false,
          accepted: false,
          proposal,
          proposalEnergy: null,
          acceptProbability: null,
          changes: [],
        })
        continue
      }

      const proposed = labels.slice()
      proposed[idx] = predicted
      let subset: EnergySubset | undefined
      if (o.energySubsample !== undefined) {
        const pool: number[] = []
        for (const j of order) if (j !== idx && proposed[j] !== null) pool.push(j)
        if (pool.length + 1 > o.energySubsample) {
          subRng.shuffle(pool)
          subset = { core: [idx, ...pool.slice(0, o.energySubsample - 1)], base: labels }
        }
      }
      const next = await fixInconsistency(scoring, proposed, null, {
        alpha: o.alpha,
        rounds: o.consistencyFixK,
        rng,
        order,
        subset,
      })
      let before: EnergyEval = cur!
      if (subset) before = await scoring.energy(labels, o.alpha, { core: subset.core, base: next.labels })
      const p = acceptanceProbability(next.energy.energy - before.energy, T)
      const accepted = rng.next() < p
      const changes = accepted ? diff(labels, next.labels) : []
      if (accepted) {
        labels = next.labels
        cur = next.energy
        flips++
      } else {
        cur = before
      }
      iteration = it
      yield snapshot('iteration', {
        temperature: T,
        proposed: true,
        accepted,
        proposal,
        proposalEnergy: next.energy.energy,
        acceptProbability: p,
        changes,
      })
    }
    return await result('completed')
  } catch (e) {
    if (e instanceof IcmAbortError) return await result('cancelled')
    throw e
  }
}

/** Drives `icmSearch`, passing each event to `onEvent` (alias `onProgress`, the lab's usual name). */
export async function runIcm(
  items: readonly IcmItem[],
  scorer: IcmScorer,
  options: IcmOptions & { onEvent?: (e: IcmEvent) => void; onProgress?: (e: IcmEvent) => void },
): Promise<IcmResult> {
  const gen = icmSearch(items, scorer, options)
  for (;;) {
    const r = await gen.next()
    if (r.done) return r.value
    options.onEvent?.(r.value)
    options.onProgress?.(r.value)
  }
}

/** Pause / resume / cancel for a UI: pass `signal` and `pauseGate` to `runIcm`/`icmSearch`. */
export class IcmController {
  private readonly abort = new AbortController()
  private waiting: Promise<void> | null = null
  private release: (() => void) | null = null

  get signal(): AbortSignal {
    return this.abort.signal
  }

  get paused(): boolean {
    return this.waiting !== null
  }

  pause(): void {
    if (this.waiting) return
    this.waiting = new Promise<void>((r) => (this.release = r))
  }

  resume(): void {
    const r = this.release
    this.waiting = null
    this.release = null
    r?.()
  }

  cancel(): void {
    this.abort.abort()
    this.resume()
  }

  readonly pauseGate = (): Promise<void> | undefined => this.waiting ?? undefined
}
