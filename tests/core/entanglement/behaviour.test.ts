import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_MODELS, TEST_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { referenceForward } from '../../../src/core/testmodels/reference.ts'
import type { CausalLM } from '../../../src/core/model/causal-lm.ts'
import { renderChat } from '../../../src/core/model/tokenizer.ts'
import {
  ENTANGLEMENT_FRAMES,
  VALUE_ENTANGLEMENT_SET,
  buildValueEntanglementItems,
} from '../../../src/core/stimuli/builtin/value-entanglement.ts'
import type { StimulusSet } from '../../../src/core/stimuli/types.ts'
import { runBehaviouralProbe, type BehaviourResult } from '../../../src/core/entanglement/behaviour.ts'
import { buildRatingPrompt, promptIds, promptText, ratingDigits } from '../../../src/core/entanglement/prompts.ts'
import { designMatrix } from '../../../src/core/entanglement/design.ts'
import { fitOls } from '../../../src/core/entanglement/regression.ts'
import { planPrefixSharing } from '../../../src/core/entanglement/scorer.ts'
import { readBehaviour } from '../../../src/core/entanglement/readings.ts'
import { loadBuild } from '../hooks/helpers.ts'

const subset = (frames: number): StimulusSet => ({
  ...VALUE_ENTANGLEMENT_SET,
  items: buildValueEntanglementItems(ENTANGLEMENT_FRAMES.slice(0, frames)),
})

/** Tokens a PrefixKvCache computes for a plan when nothing is evicted. */
function plannedTokens(rows: number[][], sharing: 'prompt' | 'tree') {
  const { steps } = planPrefixSharing(rows, sharing)
  const cached: number[][] = []
  const longest = (ids: number[]) =>
    Math.max(0, ...cached.filter((c) => c.length <= ids.length && c.every((t, i) => ids[i] === t)).map((c) => c.length))
  let tokens = 0
  let passes = 0
  for (const s of steps) {
    const ids = s.op === 'prefill' ? s.ids : rows[s.row]
    const hit = longest(ids)
    if (hit === ids.length) continue
    tokens += ids.length - hit
    passes++
    if (s.op === 'prefill') cached.push(ids)
  }
  return { tokens, passes }
}

function maxRatingDiff(a: BehaviourResult, b: BehaviourResult): number {
  let m = 0
  a.items.forEach((it, i) => {
    for (const k of a.kinds) {
      const x = it.ratings[k]!
      const y = b.items[i].ratings[k]!
      m = Math.max(m, Math.abs(x.expected - y.expected), ...x.probs.map((p, r) => Math.abs(p - y.probs[r])))
      m = Math.max(m, Math.abs(Math.log(x.digitMass) - Math.log(y.digitMass)) / 10)
    }
  })
  return m
}

describe('rating prompts', () => {
  let chat: CausalLM
  let base: CausalLM
  beforeAll(async () => {
    chat = await loadBuild(buildTinyModel(BUILTIN_MODELS[0]))
    base = await loadBuild(buildTinyModel(BUILTIN_MODELS[1]))
  })
  afterAll(async () => {
    await chat.dispose()
    await base.dispose()
  })

  it('splits the chat-template prompt at the sentence; ids are prefix ids ++ suffix ids', () => {
    const p = buildRatingPrompt(chat, VALUE_ENTANGLEMENT_SET, 'grammatical', 'chat')
    expect(p.templateKey).toBe('grammatical')
    expect(p.prefix).toBe(
      '<|im_start|>user\nRate how grammatically acceptable the sentence below is, with a number from 1 (completely unacceptable) to 7 (perfectly acceptable). Sentence: "',
    )
    expect(p.after.endsWith('Answer:<|im_end|>\n<|im_start|>assistant\n')).toBe(true)
    const text = 'Tom returned a key ring.'
    const whole = renderChat(chat.tokenizer, [{ role: 'user', content: VALUE_ENTANGLEMENT_SET.prompts!.grammatical.replace('{text}', text) }])
    expect(promptText(p, text)).toBe(whole)
    const ids = promptIds(chat, p, text)
    expect(ids.prefix[0]).toBe(chat.tokenizer.encode('<|im_start|>', { add_special_tokens: false })[0])
    expect(ids.ids).toEqual([...chat.tokenizer.encode(p.prefix, { add_special_tokens: false }), ...chat.tokenizer.encode(text + p.after, { add_special_tokens: false })])
    expect(chat.tokenizer.decode(ids.ids)).toBe(whole)
  })

  it('uses the _completion frame for base models and picks single-token digits', () => {
    const p = buildRatingPrompt(base, VALUE_ENTANGLEMENT_SET, 'economic', 'completion')
    expect(p.templateKey).toBe('economic_completion')
    expect(p.prefix).toBe('Money value of the object mentioned, from 1 (almost worthless) to 7 (extremely valuable).\nSentence: "')
    expect(p.prefixIds).toEqual(base.encode([p.prefix], true).ids[0])
    // The tiny tokenizer keeps " 1" but not " 2" as one token, so completion falls back to bare digits.
    const dc = ratingDigits(base, 'completion')
    expect(dc.variant).toBe('bare')
    expect(dc.reason).toMatch(/" 2" is 2 tokens/)
    expect(dc.ids).toEqual(['1', '2', '3', '4', '5', '6', '7'].map((s) => base.encode([s], false).ids[0][0]))
    expect(ratingDigits(chat, 'chat').reason).toMatch(/natural next token/)
    expect(() => ratingDigits(base, 'completion', 'space')).toThrow(/no single-token rating digits/)
    expect(() => buildRatingPrompt(base, { id: 'x', prompts: { moral: 'no slot' } }, 'moral', 'chat')).toThrow(/0 \{text\} slots/)
    expect(() => buildRatingPrompt(base, VALUE_ENTANGLEMENT_SET, 'moral', 'chat')).toThrow(/no chat template/)
  })
})

describe.each([
  [BUILTIN_MODELS[0].id, BUILTIN_MODELS[0], 4],
  [BUILTIN_MODELS[1].id, BUILTIN_MODELS[1], 4],
  [TEST_MODELS[0].id, TEST_MODELS[0], 2],
] as const)('behavioural probe on %s', (_id, def, frames) => {
  const build = buildTinyModel(def)
  const set = subset(frames)
  let model: CausalLM
  let scratch: BehaviourResult
  beforeAll(async () => {
    model = await loadBuild(build)
    scratch = await runBehaviouralProbe(model, set, { usePrefixCache: false, batchSize: 5 })
  })
  afterAll(() => model.dispose())

  it('computes E[r] from the digit probabilities as a hand computation from the reference forward pass does', () => {
    const prompt = buildRatingPrompt(model, set, 'grammatical', scratch.style)
    for (const index of [0, 5]) {
      const ids = promptIds(model, prompt, set.items[index].text).ids
      const ref = referenceForward(build.config, build.weights, ids)
      const V = build.config.vocabSize
      const last = ref.logits.subarray((ids.length - 1) * V, ids.length * V)
      const max = Math.max(...last)
      const z = last.reduce((a, v) => a + Math.exp(v - max), 0)
      const p = scratch.digits.ids.map((id) => Math.exp(last[id] - max) / z)
      const mass = p.reduce((a, v) => a + v, 0)
      const expected = p.reduce((a, v, r) => a + ((r + 1) * v) / mass, 0)
      const got = scratch.items[index].ratings.grammatical!
      expect(Math.abs(got.expected - expected)).toBeLessThan(1e-4)
      got.probs.forEach((q, r) => expect(Math.abs(q - p[r] / mass)).toBeLessThan(1e-4))
      expect(Math.abs(Math.log(got.digitMass) - Math.log(mass))).toBeLessThan(1e-3)
      expect(got.probs.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 12)
    }
  })

  it('gives the same ratings with the prefix KV cache (prompt prefix and prefix tree) as from scratch, computing fewer tokens', async () => {
    const prompt = await runBehaviouralProbe(model, set, { usePrefixCache: true, sharing: 'prompt' })
    const tree = await runBehaviouralProbe(model, set, { usePrefixCache: true, sharing: 'tree' })
    expect(maxRatingDiff(prompt, scratch)).toBeLessThan(1e-4)
    expect(maxRatingDiff(tree, scratch)).toBeLessThan(1e-4)
    for (const k of scratch.kinds)
      scratch.regressions[k]!.coefficients.forEach((c, j) => {
        expect(Math.abs(tree.regressions[k]!.coefficients[j].estimate - c.estimate)).toBeLessThan(1e-4)
      })
    expect(scratch.cost.tokensComputed).toBe(scratch.cost.promptTokens)
    expect(scratch.cost.forwardPasses).toBe(3 * Math.ceil(set.items.length / 5))
    // The caches compute exactly what their plans say (nothing evicted and recomputed).
    for (const [run, sharing] of [
      [prompt, 'prompt'],
      [tree, 'tree'],
    ] as const) {
      let tokens = 0
      let passes = 0
      for (const kind of run.kinds) {
        const p = buildRatingPrompt(model, set, kind, run.style)
        const planned = plannedTokens(set.items.map((it) => promptIds(model, p, it.text).ids), sharing)
        tokens += planned.tokens
        passes += planned.passes
      }
      expect(run.cost.tokensComputed).toBe(tokens)
      expect(run.cost.forwardPasses).toBe(passes)
      expect(run.cost.promptTokens).toBe(scratch.cost.promptTokens)
    }
    expect(prompt.cost.tokensComputed).toBeLessThan(scratch.cost.tokensComputed)
    expect(tree.cost.tokensComputed).toBeLessThan(prompt.cost.tokensComputed)
  })

  it('fits each kind on the design and reports the entanglement index against the design norm', () => {
    expect(scratch.predictors).toEqual(['moral', 'grammatical', 'economic'])
    const X = designMatrix(set.items, scratch.predictors)
    const direct = fitOls(
      X,
      scratch.items.map((it) => it.ratings.grammatical!.expected),
      { names: scratch.predictors },
    )
    const moral = direct.coefficients.find((c) => c.name === 'moral')!
    const e = scratch.entanglement.find((x) => x.kind === 'grammatical')!
    expect(e.model.estimate).toBeCloseTo(moral.estimate, 12)
    expect(e.model.ci).toEqual(moral.ci)
    expect(e.human).toEqual({ source: 'design', estimate: 0 })
    expect(e.difference.estimate).toBe(e.model.estimate)
    expect(scratch.entanglement.map((x) => x.kind)).toEqual(['grammatical', 'economic'])
    // Random weights put almost no probability on digits: the probe says so.
    expect(scratch.digitMass.moral!.mean).toBeLessThan(0.5)
    expect(scratch.warnings.some((w) => /not answering with a rating/.test(w))).toBe(true)
    const readings = readBehaviour(scratch).map((r) => r.text)
    expect(readings.some((t) => t.includes('random weights'))).toBe(true)
    expect(readings.some((t) => t.includes(`moves its grammaticality rating by`) && t.includes('humans would not move it at all'))).toBe(true)
  })
})

describe('behavioural probe with human ratings, neutral items and cancellation', () => {
  let model: CausalLM
  beforeAll(async () => {
    model = await loadBuild(buildTinyModel(BUILTIN_MODELS[0]))
  })
  afterAll(() => model.dispose())

  it('compares the model with human ratings by regressing their difference on the design', async () => {
    const base = subset(3)
    // Human grammaticality ratings on 1–5: driven by grammar, slightly by morals.
    const set: StimulusSet = {
      ...base,
      ratingScale: '1-5',
      items: base.items.map((it, i) => ({ ...it, humanRatings: { grammatical: 2 + 2 * it.values!.grammatical! + 0.25 * it.values!.moral! + 0.1 * ((i * 7) % 5) / 5 } })),
    }
    const r = await runBehaviouralProbe(model, set, { kinds: ['grammatical'] })
    const e = r.entanglement[0]
    const X = designMatrix(set.items, ['moral', 'grammatical', 'economic'])
    const human = set.items.map((it) => 1 + (6 * (it.humanRatings!.grammatical! - 1)) / 4)
    const h = fitOls(X, human, { names: ['moral', 'grammatical', 'economic'] }).coefficients[1]
    expect(e.human.source).toBe('humanRatings')
    expect(e.human.estimate).toBeCloseTo(h.estimate, 12)
    expect(e.human.estimate).toBeCloseTo(0.25 * 1.5, 1)
    expect(e.difference.method).toBe('paired-difference-regression')
    expect(e.difference.estimate).toBeCloseTo(e.model.estimate - e.human.estimate, 12)
    expect(e.difference.ci[0]).toBeLessThan(e.difference.estimate)
  })

  it('treats a CoLA-style set as morally neutral (no entanglement index) and can be cancelled', async () => {
    const cola: StimulusSet = {
      id: 'import:cola-mini',
      name: 'CoLA mini',
      source: 'test',
      licence: 'test',
      kind: 'generic',
      items: [
        ['The cat sat on the mat.', 1],
        ['The cat sat mat on the.', 0],
        ['She has finished her work.', 1],
        ['She have finished her work.', 0],
      ].map(([text, g], i) => ({ id: `c${i}`, text: text as string, values: { grammatical: g as number } })),
    }
    const r = await runBehaviouralProbe(model, cola, { kinds: ['grammatical'] })
    expect(r.predictors).toEqual(['grammatical'])
    expect(r.regressions.grammatical!.names).toEqual(['(intercept)', 'grammatical'])
    expect(r.entanglement).toEqual([])
    expect(r.prompts[0].templateSource).toBe('builtin')
    expect(r.warnings.some((w) => /morally neutral/.test(w))).toBe(true)
    const ac = new AbortController()
    ac.abort()
    await expect(runBehaviouralProbe(model, cola, { signal: ac.signal })).rejects.toThrow(/cancelled/)
    const progress: number[] = []
    await runBehaviouralProbe(model, cola, { kinds: ['grammatical'], onProgress: (p) => progress.push(p.done) })
    expect(progress[progress.length - 1]).toBe(4)
  })
})
