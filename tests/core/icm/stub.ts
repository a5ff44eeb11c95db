// Stub scorers for the ICM tests: deterministic functions of the prompt text, no LM.

import type { IcmItem, IcmScorer, ScoreRequest } from '../../../src/core/icm/index.ts'

export function countOccurrences(text: string, needle: string): number {
  let n = 0
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) n++
  return n
}

/** Demonstrations in a context, parsed back: each is "<prompt> True|False\n\n". */
export function parseDemos(context: string): { prompt: string; label: 0 | 1 }[] {
  if (context === '') return []
  const parts = context.split('\n\n')
  parts.pop()
  return parts.map((p) => {
    if (p.endsWith(' True')) return { prompt: p.slice(0, -5), label: 1 as const }
    if (p.endsWith(' False')) return { prompt: p.slice(0, -6), label: 0 as const }
    throw new Error(`bad demonstration: ${JSON.stringify(p)}`)
  })
}

export interface CountingScorer extends IcmScorer {
  calls: ScoreRequest[][]
  requests: number
}

/** Wraps a per-request function; records every batch. */
export function stubScorer(f: (r: ScoreRequest) => number): CountingScorer {
  const s: CountingScorer = {
    calls: [],
    requests: 0,
    async score(requests) {
      s.calls.push(requests)
      s.requests += requests.length
      return requests.map(f)
    },
  }
  return s
}

/**
 * Knows the gold labels: +c for a true item, −c for a false one, plus `demoWeight` times the share of True
 * demonstrations minus the share of False ones (a demonstration-dependent term).
 */
export function goldScorer(items: readonly IcmItem[], c = 1, demoWeight = 0): CountingScorer {
  const gold = new Map(items.map((it) => [it.prompt, it.gold]))
  return stubScorer(({ context, target }) => {
    const g = gold.get(target)
    if (g === undefined) throw new Error(`unknown prompt ${target}`)
    const t = countOccurrences(context, ' True\n\n')
    const f = countOccurrences(context, ' False\n\n')
    const demo = t + f === 0 ? 0 : (demoWeight * (t - f)) / (t + f)
    return (g === 1 ? c : -c) + demo
  })
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
