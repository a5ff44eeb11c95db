import { describe, expect, it } from 'vitest'
import { Rng } from '../../../src/core/random.ts'
import {
  batchOrder,
  claimItems,
  claimNegationItems,
  collapseWarnings,
  icmApproximations,
  IcmController,
  icmSearch,
  icmTemperature,
  initialLabels,
  runIcm,
  sampleWeighted,
  samplingWeights,
  type IcmEvent,
  type IcmItem,
  type IcmLabel,
  type IcmOptions,
  type IcmScorer,
} from '../../../src/core/icm/index.ts'
import { countOccurrences, goldScorer, parseDemos, sleep, stubScorer } from './stub.ts'

function pairs(n: number): IcmItem[] {
  return claimNegationItems(
    Array.from({ length: n }, (_, i) => ({
      id: `r${i}`,
      claim: `it's good to do thing ${i}.`,
      negation: `it's bad to do thing ${i}.`,
      gold: (i % 3 === 0 ? 0 : 1) as IcmLabel,
    })),
  )
}

async function collect(items: IcmItem[], scorer: IcmScorer, options: IcmOptions) {
  const events: IcmEvent[] = []
  const result = await runIcm(items, scorer, { ...options, onEvent: (e) => events.push(e) })
  return { events, result }
}

describe('ICM initialisation and sampling', () => {
  it('keeps groups contiguous in the batch order', () => {
    const items = pairs(6)
    const order = batchOrder(items, new Rng(3))
    expect([...order].sort((a, b) => a - b)).toEqual(items.map((_, i) => i))
    for (let k = 0; k < order.length; k += 2) {
      expect(items[order[k]].consistencyGroup).toBe(items[order[k + 1]].consistencyGroup)
      expect(order[k + 1]).toBe(order[k] + 1)
    }
  })

  it('seeds exactly K/2 ones and K/2 zeros on the first K items of the batch', () => {
    const order = [5, 2, 9, 0, 1, 3, 4, 6, 7, 8, 10, 11]
    const patterns = new Set<string>()
    for (let seed = 0; seed < 40; seed++) {
      const labels = initialLabels(12, order, 8, new Rng(seed))
      const seeded = order.slice(0, 8).map((i) => labels[i])
      expect(seeded.filter((l) => l === 1)).toHaveLength(4)
      expect(seeded.filter((l) => l === 0)).toHaveLength(4)
      for (const i of order.slice(8)) expect(labels[i]).toBeNull()
      patterns.add(seeded.join(''))
    }
    expect(patterns.size).toBeGreaterThan(10)
    expect(() => initialLabels(12, order, 7, new Rng(0))).toThrow(/even/)
    expect(() => initialLabels(6, order.slice(0, 6), 8, new Rng(0))).toThrow(/exceeds/)
  })

  it('weights unlabelled members of touched groups 100, everything else 1', () => {
    const items: IcmItem[] = ['a:g1', 'b:g1', 'c:g2', 'd:g3', 'e:g3'].map((s) => {
      const [id, g] = s.split(':')
      return { id, prompt: id, consistencyGroup: g }
    })
    expect(samplingWeights(items, [1, null, null, null, null])).toEqual([1, 100, 1, 1, 1])
    expect(samplingWeights(items, [1, null, 0, null, 0])).toEqual([1, 100, 1, 100, 1])
    expect(samplingWeights(items, [null, null, null, null, null])).toEqual([1, 1, 1, 1, 1])
  })

  it('samples like random.choices (bisect_right on the cumulative weights)', () => {
    const fake = (u: number) => ({ next: () => u }) as unknown as Rng
    const order = [0, 1, 2]
    const w = [1, 100, 1] // cumulative 1, 101, 102
    expect(sampleWeighted(order, w, fake(0.005))).toBe(0) // x = 0.51
    expect(sampleWeighted(order, w, fake(1 / 102))).toBe(1) // x = 1: bisect_right passes cum = 1
    expect(sampleWeighted(order, w, fake(0.5))).toBe(1)
    expect(sampleWeighted(order, w, fake(0.995))).toBe(2) // x = 101.49
    const rng = new Rng(9)
    let hits = 0
    for (let k = 0; k < 20000; k++) if (sampleWeighted(order, w, rng) === 1) hits++
    expect(hits / 20000).toBeCloseTo(100 / 102, 2)
  })

  it('warns about label collapse only past the threshold and the minimum count', () => {
    const ones = (k: number, z: number) => [...Array(k).fill(1), ...Array(z).fill(0), null]
    expect(collapseWarnings(ones(15, 0), 0.9, 16)).toEqual([])
    const w = collapseWarnings(ones(15, 1), 0.9, 16)
    expect(w).toHaveLength(1)
    expect(w[0].majorityLabel).toBe(1)
    expect(w[0].share).toBeCloseTo(15 / 16, 12)
    expect(collapseWarnings(ones(18, 2), 0.9, 16)).toEqual([]) // exactly 90%: not above
    expect(collapseWarnings(ones(1, 19), 0.9, 16)[0].majorityLabel).toBe(0)
  })
})

describe('ICM search', () => {
  it('finds the known optimum (100% gold agreement) with a scorer that knows the labels', async () => {
    const items = pairs(12)
    const { events, result } = await collect(items, goldScorer(items, 1, 0.3), { seed: 11, iterations: 300 })
    expect(result.status).toBe('completed')
    expect(result.labels.every((l) => l !== null)).toBe(true)
    expect(result.goldAgreement).toBe(1)
    expect(result.energy.inconsistent).toBe(0)
    const firstPerfect = events.findIndex((e) => e.goldAgreement === 1 && e.labelBalance.labelled === items.length)
    expect(firstPerfect).toBeGreaterThan(0)
    expect(firstPerfect).toBeLessThan(250)
    // the energy of accepted states never decreases here (every proposal is an improvement)
    for (let k = 1; k < events.length; k++) expect(events[k].energy).toBeGreaterThanOrEqual(events[k - 1].energy - 1e-9)
  })

  it('ends at the brute-force energy maximum, computed independently', async () => {
    const items = pairs(4)
    const scorer = goldScorer(items, 1, 0.3)
    const result = (await collect(items, scorer, { seed: 4, iterations: 150, alpha: 30 })).result
    // independent energy: score each item after all the others (order does not matter for this scorer)
    const gold = items.map((it) => it.gold!)
    const energy = (labels: number[]) => {
      let sum = 0
      labels.forEach((l, i) => {
        const others = labels.filter((_, j) => j !== i)
        const t = others.filter((x) => x === 1).length
        const s = (gold[i] === 1 ? 1 : -1) + (0.3 * (t - (others.length - t))) / others.length
        sum += l === 1 ? s : -s
      })
      let bad = 0
      for (let p = 0; p < labels.length; p += 2) if (labels[p] === 1 && labels[p + 1] === 1) bad++
      return (30 * sum) / labels.length - bad
    }
    let best = -Infinity
    let arg: number[] = []
    for (let m = 0; m < 1 << items.length; m++) {
      const labels = items.map((_, i) => (m >> i) & 1)
      const e = energy(labels)
      if (e > best) [best, arg] = [e, labels]
    }
    expect(arg).toEqual(gold)
    expect(result.labels).toEqual(arg)
    expect(result.energy.energy).toBeCloseTo(best, 9)
  })

  it('emits consistent events: schedule on accepted flips, proposals, diffs, pass counts', async () => {
    const items = pairs(8)
    const scorer = goldScorer(items, 1, 0.3)
    const { events, result } = await collect(items, scorer, { seed: 5, iterations: 120 })
    expect(events[0].kind).toBe('init')
    expect(events[0].iteration).toBe(0)
    expect(events[0].labelBalance.labelled).toBe(8)
    expect(events[0].changes.map((c) => c.from)).toEqual(Array(8).fill(null))
    expect(events).toHaveLength(121)
    let flips = 0
    let labels = events[0].labels
    for (const e of events.slice(1)) {
      expect(e.iteration).toBe(events.indexOf(e))
      expect(e.temperature).toBeCloseTo(icmTemperature(flips, { initialT: 10, finalT: 0.01, decay: 0.99, scheduler: 'log' }), 12)
      expect(e.proposal).not.toBeNull()
      if (!e.proposed) expect(e.proposal!.from).toBe(e.proposal!.to)
      else expect(e.proposal!.from).not.toBe(e.proposal!.to)
      expect(e.proposal!.to).toBe(e.proposal!.score > 0 ? 1 : 0)
      if (e.accepted) {
        flips++
        const next = labels.slice()
        for (const c of e.changes) {
          expect(next[c.index]).toBe(c.from)
          next[c.index] = c.to
        }
        expect(next).toEqual(e.labels)
      } else expect(e.labels).toEqual(labels)
      expect(e.flips).toBe(flips)
      labels = e.labels
    }
    // forward passes: monotone, equal to the requests the (array-returning) scorer saw, per labelled item
    for (let k = 1; k < events.length; k++) expect(events[k].forwardPasses).toBeGreaterThanOrEqual(events[k - 1].forwardPasses)
    expect(result.forwardPasses).toBe(scorer.requests)
    expect(result.scoreRequests).toBe(scorer.requests)
    expect(result.cacheHits).toBeGreaterThan(0)
    expect(result.forwardPassesPerLabelled).toBeCloseTo(scorer.requests / result.labelBalance.labelled, 12)
    expect(result.flips).toBe(flips)
  })

  it('counts U(D) evaluations: one initial, then one per proposal when nothing is inconsistent', async () => {
    const items = claimItems(Array.from({ length: 12 }, (_, i) => ({ id: `c${i}`, claim: `claim ${i}`, gold: (i % 2) as IcmLabel })))
    const { events, result } = await collect(items, goldScorer(items), { seed: 4, iterations: 60 })
    const proposals = events.filter((e) => e.proposed).length
    expect(proposals).toBeGreaterThanOrEqual(result.labelBalance.labelled - 8) // every newly labelled item
    expect(result.energyEvaluations).toBe(1 + proposals)
    expect(result.energyEvaluationsPerLabelled).toBeCloseTo((1 + proposals) / result.labelBalance.labelled, 12)
  })

  it('counts forward passes as the scorer reports them', async () => {
    const items = pairs(6)
    const inner = goldScorer(items)
    let calls = 0
    const batched: IcmScorer = {
      async score(requests) {
        calls++
        return { scores: (await inner.score(requests)) as number[], forwardPasses: 2 }
      },
    }
    const result = (await collect(items, batched, { seed: 2, iterations: 40 })).result
    expect(result.forwardPasses).toBe(2 * calls)
  })

  it('is deterministic under the seed, and the score cache changes only the cost', async () => {
    const items = pairs(8)
    const a = await collect(items, goldScorer(items, 1, 0.3), { seed: 21, iterations: 80 })
    const b = await collect(items, goldScorer(items, 1, 0.3), { seed: 21, iterations: 80 })
    expect(JSON.stringify(b.events)).toBe(JSON.stringify(a.events))
    expect(b.result).toEqual(a.result)
    const c = await collect(items, goldScorer(items, 1, 0.3), { seed: 21, iterations: 80, cacheScores: false })
    const strip = (e: IcmEvent) => ({ ...e, forwardPasses: 0, forwardPassesPerLabelled: 0 })
    expect(c.events.map(strip)).toEqual(a.events.map(strip))
    expect(c.result.forwardPasses).toBeGreaterThan(a.result.forwardPasses)
    const d = await collect(items, goldScorer(items, 1, 0.3), { seed: 22, iterations: 80 })
    expect(d.result.batchOrder).not.toEqual(a.result.batchOrder)
  })

  it('converges with the browser approximations (capped demonstrations, energy subsample)', async () => {
    const items = pairs(10)
    const scorer = goldScorer(items, 1, 0.3)
    const { events, result } = await collect(items, scorer, {
      seed: 8,
      iterations: 300,
      maxDemonstrations: 4,
      energySubsample: 5,
    })
    expect(result.goldAgreement).toBe(1)
    expect(result.labelBalance.labelled).toBe(items.length)
    for (const call of scorer.calls) for (const r of call) expect(parseDemos(r.context).length).toBeLessThanOrEqual(4)
    expect(events.some((e) => !e.energyExact)).toBe(true)
  })

  it('warns when a scorer that always says True collapses the labels', async () => {
    const items = claimItems(Array.from({ length: 24 }, (_, i) => ({ id: `c${i}`, claim: `claim ${i}`, gold: (i % 2) as IcmLabel })))
    const always = stubScorer(() => 1)
    const { events, result } = await collect(items, always, { seed: 3, iterations: 250 })
    const first = events.findIndex((e) => e.warnings.length > 0)
    expect(first).toBeGreaterThan(0)
    const e = events[first]
    expect(e.labelBalance.labelled).toBeGreaterThanOrEqual(16)
    expect(e.labelBalance.shareOnes).toBeGreaterThan(0.9)
    expect(e.warnings[0]).toMatchObject({ kind: 'label-collapse', majorityLabel: 1 })
    for (const x of events.slice(0, first)) {
      expect(x.labelBalance.labelled < 16 || x.labelBalance.shareOnes <= 0.9).toBe(true)
    }
    expect(result.warnings).toHaveLength(1)
    expect(result.goldAgreement).toBeCloseTo(0.5, 1)
    // a threshold of 1 can never be exceeded
    const loose = await collect(items, stubScorer(() => 1), { seed: 3, iterations: 250, collapseThreshold: 1 })
    expect(loose.events.every((x) => x.warnings.length === 0)).toBe(true)
  })

  it('cancels through the AbortSignal, between iterations and during scoring', async () => {
    const items = pairs(8)
    const ctl = new IcmController()
    const events: IcmEvent[] = []
    const result = await runIcm(items, goldScorer(items), {
      seed: 1,
      iterations: 100,
      signal: ctl.signal,
      pauseGate: ctl.pauseGate,
      onEvent: (e) => {
        events.push(e)
        if (e.iteration === 5) ctl.cancel()
      },
    })
    expect(result.status).toBe('cancelled')
    expect(result.iterations).toBe(5)
    expect(events).toHaveLength(6)
    expect(result.labels).toEqual(events[5].labels)

    const ac = new AbortController()
    const inner = goldScorer(items)
    let calls = 0
    const slow: IcmScorer = {
      async score(requests, opts) {
        if (++calls === 10) {
          ac.abort()
          expect(opts?.signal?.aborted).toBe(true)
          throw new DOMException('aborted', 'AbortError')
        }
        return inner.score(requests)
      },
    }
    const r2 = await runIcm(items, slow, { seed: 1, iterations: 100, signal: ac.signal })
    expect(r2.status).toBe('cancelled')
    expect(r2.iterations).toBeLessThan(100)
    expect(calls).toBe(10)
  })

  it('pauses and resumes without changing the run', async () => {
    const items = pairs(8)
    const reference = await collect(items, goldScorer(items, 1, 0.3), { seed: 9, iterations: 30 })
    const ctl = new IcmController()
    const events: IcmEvent[] = []
    const done = runIcm(items, goldScorer(items, 1, 0.3), {
      seed: 9,
      iterations: 30,
      signal: ctl.signal,
      pauseGate: ctl.pauseGate,
      onEvent: (e) => {
        events.push(e)
        if (e.iteration === 3) ctl.pause()
      },
    })
    await sleep(30)
    expect(ctl.paused).toBe(true)
    expect(events).toHaveLength(4)
    ctl.resume()
    const result = await done
    expect(result.status).toBe('completed')
    expect(JSON.stringify(events)).toBe(JSON.stringify(reference.events))

    const ctl2 = new IcmController()
    const p2 = runIcm(items, goldScorer(items), {
      seed: 9,
      iterations: 30,
      signal: ctl2.signal,
      pauseGate: ctl2.pauseGate,
      onEvent: (e) => e.iteration === 2 && ctl2.pause(),
    })
    await sleep(10)
    ctl2.cancel()
    expect((await p2).status).toBe('cancelled')
  })

  it('works as an async generator', async () => {
    const items = pairs(4)
    const gen = icmSearch(items, goldScorer(items), { seed: 1, iterations: 10 })
    let n = 0
    let r = await gen.next()
    while (!r.done) {
      n++
      r = await gen.next()
    }
    expect(n).toBe(11)
    expect(r.value.iterations).toBe(10)
  })

  it('puts every other labelled item, grouped, before the scored prompt', async () => {
    const items = pairs(5)
    const scorer = goldScorer(items)
    await collect(items, scorer, { seed: 6, iterations: 40 })
    for (const call of scorer.calls) {
      for (const r of call) {
        const demos = parseDemos(r.context)
        expect(demos.map((d) => d.prompt)).not.toContain(r.target)
        // the two members of a pair are adjacent when both are present
        const groups = demos.map((d) => items.find((it) => it.prompt === d.prompt)!.consistencyGroup)
        const seen = new Set<string>()
        groups.forEach((g, k) => {
          if (k > 0 && g !== groups[k - 1]) expect(seen.has(g)).toBe(false)
          seen.add(g)
        })
        expect(countOccurrences(r.context, '\n\n')).toBe(demos.length)
      }
    }
  })

  it('lists the approximations in force', () => {
    expect(icmApproximations({})).toEqual([])
    expect(icmApproximations({ iterations: 3000 })).toEqual([])
    const a = icmApproximations({ maxDemonstrations: 16, energySubsample: 12, iterations: 200 })
    expect(a).toHaveLength(3)
    expect(a[0]).toMatch(/At most 16 demonstrations/)
    expect(a[1]).toMatch(/over 12 random labelled items/)
    expect(a[2]).toMatch(/200 search iterations/)
  })

  it('rejects bad input with a message naming the field', async () => {
    const items = pairs(2)
    await expect(runIcm([...items, { ...items[0] }], goldScorer(items), { seed: 1 })).rejects.toThrow(/duplicate id/)
    await expect(runIcm(items, goldScorer(items), { seed: 1, numSeed: 3 })).rejects.toThrow(/numSeed/)
    await expect(runIcm(items, goldScorer(items), { seed: 1, iterations: -1 })).rejects.toThrow(/iterations/)
  })
})
