// Mutual-predictability scoring and the energy U(D) = α·mean signed score − #inconsistent pairs, after the
// code's `get_pipeline` / `calculate_accuracy` / `get_energy` (src/experiments/ICM.py, ICM_tools.py).
//
// Scores are memoised on (target, ordered demonstrations with labels): the prompt text is a function of
// these, so the cache is exact. The code gets the same effect from its pipeline's `use_cache=True`; only
// cache misses cost forward passes.

import { Rng } from '../random.ts'
import { findInconsistentPairs } from './consistency.ts'
import { renderDemonstration } from './templates.ts'
import { callScorer, type IcmItem, type IcmLabel, type IcmScorer, type MaybeLabel } from './types.ts'

export class IcmAbortError extends Error {
  constructor() {
    super('ICM run cancelled')
    this.name = 'AbortError'
  }
}

export interface IcmScoringOptions {
  /**
   * Item indices in batch order, which fixes the order of demonstrations; it should keep each group
   * contiguous. Default: groups in order of first appearance, items in their given order.
   */
  order?: readonly number[]
  /** Cap on demonstrations per scored item (an approximation of "all other labelled items"). */
  maxDemonstrations?: number
  /** Seed of the random priorities that choose capped demonstrations. */
  demoSeed?: number
  /**
   * How capped demonstrations are chosen: 'per-target' (default) draws one random priority row per scored item
   * and takes its first m other labelled items; 'shared' takes the first m labelled items of one ranking for every
   * item (a member of that set sees the other m − 1), so all other targets see the same context, which a
   * KV-prefix-caching scorer computes once, and an unchanged context keeps its memoised scores.
   */
  demoSelection?: 'per-target' | 'shared'
  /** Memoise scores (default true). */
  cache?: boolean
  /** FIFO bound on memoised scores (default 200 000). */
  maxCacheEntries?: number
  signal?: AbortSignal
}

export interface EnergyEval {
  energy: number
  /** The code's `train_prob`: mean over evaluated labelled items of (label 1 ? +score : −score). */
  meanSignedScore: number
  /** Inconsistent pairs among all labelled items (always exact: no LM involved). */
  inconsistent: number
  /** Labelled items whose signed score entered the mean. */
  evaluated: number
  /** False when the mean came from a subsample. */
  exact: boolean
}

/** A subsample for the energy: `core` items plus every item whose label differs from `base`. */
export interface EnergySubset {
  core: readonly number[]
  base: readonly MaybeLabel[]
}

export class IcmScoring {
  forwardPasses = 0
  /** U(D) evaluations (one per labelling scored), the unit the paper's "forward passes" most likely counts. */
  energyEvaluations = 0
  requestsScored = 0
  cacheHits = 0
  readonly rank: Int32Array
  private readonly order: readonly number[]
  private readonly cache = new Map<string, number>()
  private readonly priorities = new Map<number, Float64Array>()
  private readonly opts: IcmScoringOptions

  constructor(
    readonly items: readonly IcmItem[],
    readonly scorer: IcmScorer,
    opts: IcmScoringOptions = {},
  ) {
    this.opts = opts
    this.order = opts.order ?? groupedOrder(items)
    if (this.order.length !== items.length) {
      throw new Error(`IcmScoring: order has ${this.order.length} entries for ${items.length} items`)
    }
    this.rank = new Int32Array(items.length).fill(-1)
    this.order.forEach((i, r) => {
      if (!(i >= 0 && i < items.length) || this.rank[i] !== -1) {
        throw new Error(`IcmScoring: order must be a permutation of 0..${items.length - 1} (bad entry ${i} at ${r})`)
      }
      this.rank[i] = r
    })
    const m = opts.maxDemonstrations
    if (m !== undefined && !(Number.isInteger(m) && m >= 0)) {
      throw new Error(`IcmScoring: maxDemonstrations must be an integer ≥ 0, got ${m}`)
    }
    const sel = opts.demoSelection
    if (sel !== undefined && sel !== 'per-target' && sel !== 'shared') {
      throw new Error(`IcmScoring: demoSelection must be 'per-target' or 'shared', got ${String(sel)}`)
    }
  }

  /** Labelled items other than `target`, capped and in batch order (batch order is group-contiguous). */
  demonstrationIndices(labels: readonly MaybeLabel[], target: number): number[] {
    const m = this.opts.maxDemonstrations
    if (m !== undefined && this.opts.demoSelection === 'shared') return this.sharedDemonstrations(labels, target, m)
    let demos: number[] = []
    for (const j of this.order) if (j !== target && labels[j] !== null) demos.push(j)
    if (m !== undefined && demos.length > m) {
      const p = this.priorityRow(target)
      demos = demos.sort((x, y) => p[y] - p[x] || x - y).slice(0, m)
      demos.sort((x, y) => this.rank[x] - this.rank[y])
    }
    return demos
  }

  /**
   * 'shared': the m labelled items ranked first by one random ranking, minus the target itself. Every item
   * outside that set sees the same context, and a member sees it without itself (a leave-one-out chain).
   */
  private sharedDemonstrations(labels: readonly MaybeLabel[], target: number, m: number): number[] {
    const p = this.priorityRow(-1)
    let chosen: number[] = []
    for (const j of this.order) if (labels[j] !== null) chosen.push(j)
    if (chosen.length > m) {
      chosen = chosen.sort((x, y) => p[y] - p[x] || x - y).slice(0, m)
      chosen.sort((x, y) => this.rank[x] - this.rank[y])
    }
    return chosen.filter((j) => j !== target)
  }

  context(labels: readonly MaybeLabel[], target: number): string {
    return this.contextOf(labels, this.demonstrationIndices(labels, target))
  }

  /** Score each target with its demonstrations under `labels`; one scorer call for all cache misses. */
  scoreTargets(labels: readonly MaybeLabel[], targets: readonly number[]): Promise<number[]> {
    return this.scoreMany(targets.map((target) => ({ labels, target })))
  }

  /** Score (labelling, target) pairs in one scorer call for all cache misses (duplicates scored once). */
  async scoreMany(jobs: readonly { labels: readonly MaybeLabel[]; target: number }[]): Promise<number[]> {
    this.checkAbort()
    const out = new Array<number>(jobs.length)
    const missKeys: string[] = []
    const missAt = new Map<string, number[]>()
    const requests: { context: string; target: string }[] = []
    jobs.forEach(({ labels, target: t }, k) => {
      const demos = this.demonstrationIndices(labels, t)
      const key = this.cacheKey(labels, t, demos)
      const hit = this.opts.cache === false ? undefined : this.cache.get(key)
      if (hit !== undefined) {
        this.cacheHits++
        out[k] = hit
        return
      }
      const pending = missAt.get(key)
      if (pending) {
        pending.push(k)
        return
      }
      missAt.set(key, [k])
      missKeys.push(key)
      requests.push({ context: this.contextOf(labels, demos), target: this.items[t].prompt })
    })
    if (requests.length > 0) {
      let batch
      try {
        batch = await callScorer(this.scorer, requests, 'ICM scorer', this.opts.signal)
      } catch (e) {
        if (this.opts.signal?.aborted) throw new IcmAbortError()
        throw e
      }
      this.checkAbort()
      this.forwardPasses += batch.forwardPasses
      this.requestsScored += requests.length
      missKeys.forEach((key, r) => {
        const s = batch.scores[r]
        for (const k of missAt.get(key)!) out[k] = s
        if (this.opts.cache !== false) this.remember(key, s)
      })
    }
    return out
  }

  /** U(D) = α·mean signed score − #inconsistent pairs; the mean over `subset` items when given. */
  async energy(labels: readonly MaybeLabel[], alpha: number, subset?: EnergySubset): Promise<EnergyEval> {
    return (await this.energies([labels], alpha, subset))[0]
  }

  /** Energies of several labellings with a single scorer call. */
  async energies(
    labelsList: readonly (readonly MaybeLabel[])[],
    alpha: number,
    subset?: EnergySubset,
  ): Promise<EnergyEval[]> {
    this.energyEvaluations += labelsList.length
    const plans = labelsList.map((labels) => {
      const labelled: number[] = []
      for (const i of this.order) if (labels[i] !== null) labelled.push(i)
      let targets = labelled
      if (subset) {
        const keep = new Set(subset.core)
        for (const i of labelled) if (subset.base[i] !== labels[i]) keep.add(i)
        targets = labelled.filter((i) => keep.has(i))
      }
      return { labels, labelled, targets }
    })
    const scores = await this.scoreMany(plans.flatMap((p) => p.targets.map((target) => ({ labels: p.labels, target }))))
    let at = 0
    return plans.map(({ labels, labelled, targets }) => {
      let sum = 0
      for (const i of targets) sum += labels[i] === 1 ? scores[at++] : -scores[at++]
      const meanSignedScore = targets.length === 0 ? 0 : sum / targets.length
      const inconsistent = findInconsistentPairs(this.items, labels, this.order).length
      return {
        energy: alpha * meanSignedScore - inconsistent,
        meanSignedScore,
        inconsistent,
        evaluated: targets.length,
        exact: targets.length === labelled.length,
      }
    })
  }

  checkAbort(): void {
    if (this.opts.signal?.aborted) throw new IcmAbortError()
  }

  private contextOf(labels: readonly MaybeLabel[], demos: readonly number[]): string {
    let s = ''
    for (const j of demos) s += renderDemonstration(this.items[j].prompt, labels[j] as IcmLabel)
    return s
  }

  private cacheKey(labels: readonly MaybeLabel[], target: number, demos: readonly number[]): string {
    let s = `${target}|`
    for (const j of demos) s += `${j * 2 + (labels[j] as number)},`
    return s
  }

  private remember(key: string, score: number): void {
    const max = this.opts.maxCacheEntries ?? 200_000
    if (this.cache.size >= max) {
      const oldest = this.cache.keys().next()
      if (!oldest.done) this.cache.delete(oldest.value)
    }
    this.cache.set(key, score)
  }

  /** Target −1 is the row shared by all targets. */
  private priorityRow(target: number): Float64Array {
    let row = this.priorities.get(target)
    if (!row) {
      const rng = new Rng(((this.opts.demoSeed ?? 0) + Math.imul(target + 1, 0x9e3779b9)) >>> 0)
      row = new Float64Array(this.items.length)
      for (let j = 0; j < row.length; j++) row[j] = rng.next()
      this.priorities.set(target, row)
    }
    return row
  }
}

/** Item indices with each consistency group contiguous, groups in order of first appearance. */
export function groupedOrder(items: readonly IcmItem[]): number[] {
  const groups = new Map<string, number[]>()
  items.forEach((it, i) => {
    const g = groups.get(it.consistencyGroup)
    if (g) g.push(i)
    else groups.set(it.consistencyGroup, [i])
  })
  return [...groups.values()].flat()
}
