import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_MODELS, buildTinyModel } from '../../../src/core/testmodels/package.ts'
import { encodeWithBpe } from '../../../src/core/testmodels/bpe.ts'
import { referenceForward, type ReferenceIntervention } from '../../../src/core/testmodels/reference.ts'
import type { CausalLM } from '../../../src/core/model/causal-lm.ts'
import type { Intervention } from '../../../src/core/hooks/interventions.ts'
import {
  icmItemsFromStimuli,
  IcmScoring,
  LmIcmScorer,
  prefixTrieOrder,
  renderDemonstration,
  runBaselines,
  runIcm,
  splitDemonstrations,
  splitHeldOut,
  type IcmLabel,
  type ScoreRequest,
} from '../../../src/core/icm/index.ts'
import { CHAT_ZERO_SHOT_SYSTEM_PROMPT, chatZeroShotScorer } from '../../../src/core/icm/chat-scorer.ts'
import { buildMoralClaimItems } from '../../../src/core/stimuli/builtin/moral-claims.ts'
import { loadBuild, randomUnit } from '../hooks/helpers.ts'

const CLAIMS = icmItemsFromStimuli(buildMoralClaimItems())

function lastRow(logits: Float64Array, T: number, V: number): Float64Array {
  return logits.subarray((T - 1) * V, T * V)
}

function lse(xs: number[]): number {
  const m = Math.max(...xs)
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0))
}

/** True-like / False-like ids by the code's rule, straight from the tokenizer. */
function labelIds(model: CausalLM): { t: number[]; f: number[] } {
  const t: number[] = []
  const f: number[] = []
  for (let id = 0; id < model.info.vocabSize; id++) {
    const s = model.tokenizer.decode([id]).toLowerCase()
    if (s.includes('true') && !s.includes('false')) t.push(id)
    if (s.includes('false') && !s.includes('true')) f.push(id)
  }
  return { t, f }
}

function context(indices: number[], labels: IcmLabel[]): string {
  return indices.map((i, k) => renderDemonstration(CLAIMS[i].prompt, labels[k])).join('')
}

describe('demonstration splitting and trie order', () => {
  it('cuts a context into demonstrations and a rest, losslessly', () => {
    const ctx = context([0, 1, 2], [1, 0, 1])
    const { demonstrations, rest } = splitDemonstrations(ctx + 'Note: ')
    expect(demonstrations).toEqual([0, 1, 2].map((i, k) => CLAIMS[i].prompt + (k === 1 ? ' False' : ' True')))
    expect(rest).toBe('Note: ')
    expect(demonstrations.map((d) => d + '\n\n').join('') + rest).toBe(ctx + 'Note: ')
    expect(splitDemonstrations('')).toEqual({ demonstrations: [], rest: '' })
  })

  it('walks the prefix trie smallest subtree first, prefixes before their extensions', () => {
    const seqs = [
      [1, 2, 3, 4],
      [1, 2, 3, 5],
      [1, 2, 3, 5],
      [1, 2, 9],
      [7],
      [1, 2],
    ]
    // Under [1,2]: [1,2] ends there; then child 9 (1 sequence) before child 3 (3 sequences); under [1,2,3]:
    // child 4 (1) before child 5 (2). [7] is a subtree of 1 against 5 under [1].
    expect(prefixTrieOrder(seqs)).toEqual([4, 5, 3, 0, 1, 2])
    expect(prefixTrieOrder([])).toEqual([])
  })
})

describe('LM scorer on tiny-gpt2', () => {
  const build = buildTinyModel(BUILTIN_MODELS.find((d) => d.id === 'tiny-gpt2')!)
  const cfg = build.config
  let model: CausalLM
  beforeAll(async () => {
    model = await loadBuild(build, { instrument: false })
  })
  afterAll(() => model.dispose())

  it('scores log P(True-like) − log P(False-like) as worked by hand from the reference forward pass', async () => {
    const { t, f } = labelIds(model)
    expect(t.length).toBeGreaterThan(0)
    expect(f.length).toBeGreaterThan(0)
    const request = { context: context([0, 3], [1, 0]), target: CLAIMS[5].prompt }
    const text = request.context + request.target
    const exact = new LmIcmScorer(model)
    const { ids } = exact.tokenize(request)
    // Piecewise tokenisation equals tokenising the whole text, by transformers.js and by an independent encoder.
    expect(ids).toEqual(model.encode([text]).ids[0])
    expect(ids).toEqual(encodeWithBpe(build.tokenizer, text))
    const row = lastRow(referenceForward(cfg, build.weights, ids).logits, ids.length, cfg.vocabSize)
    const want = lse(t.map((i) => row[i])) - lse(f.map((i) => row[i]))
    const got = await exact.score([request])
    expect(got.forwardPasses).toBe(1)
    expect(Math.abs(got.scores[0] - want)).toBeLessThan(1e-4)

    // The code's top-20 rule: summed probabilities of label tokens among the 20 most likely, eps 1e-5.
    const lz = lse([...row])
    const top = [...row.keys()].sort((a, b) => row[b] - row[a]).slice(0, 20)
    let pt = 1e-5
    let pf = 1e-5
    for (const id of top) {
      const s = model.tokenizer.decode([id]).toLowerCase()
      if (s.includes('true') && !s.includes('false')) pt += Math.exp(row[id] - lz)
      if (s.includes('false') && !s.includes('true')) pf += Math.exp(row[id] - lz)
    }
    const wantTop = pt === 1e-5 && pf === 1e-5 ? 0 : Math.log(pt) - Math.log(pf)
    const topK = new LmIcmScorer(model, { tokenSelection: 'top-k', tokenSets: { trueIds: t, falseIds: f } })
    expect(Math.abs((await topK.score([request])).scores[0] - wantTop)).toBeLessThan(1e-4)
    expect(topK.approximations().join(' ')).toMatch(/top 20/)
    exact.dispose()
    topK.dispose()
  })

  it('reuses KV-cached prefixes: same scores as from scratch, fewer tokens computed', async () => {
    const items = CLAIMS.slice(0, 10)
    const labels = items.map((_, i) => (i % 3 === 0 ? 0 : 1) as IcmLabel)
    const targets = items.map((_, i) => i)
    const cached = new LmIcmScorer(model)
    const scratch = new LmIcmScorer(model, { reusePrefixes: false })
    const a = await new IcmScoring(items, cached).scoreTargets(labels, targets)
    const b = await new IcmScoring(items, scratch).scoreTargets(labels, targets)
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-4)
    expect(cached.stats.promptsComputed).toBe(10)
    expect(scratch.stats.promptsComputed).toBe(10)
    expect(scratch.stats.tokensComputed).toBe(scratch.stats.tokensFromScratch)
    expect(cached.stats.tokensFromScratch).toBe(scratch.stats.tokensFromScratch)
    // Leave-one-out contexts share the demonstrations before the left-out item: about half is reusable.
    expect(cached.stats.tokensComputed).toBeLessThan(0.7 * scratch.stats.tokensComputed)
    expect(cached.stats.tokensReused).toBe(cached.stats.tokensFromScratch - cached.stats.tokensComputed)
    expect(cached.stats.tokenisationMismatches).toBe(0)

    // One shared context (a few-shot baseline): the context is computed once, then only each target's tail; a
    // duplicate is free.
    const fresh = new LmIcmScorer(model)
    const ctx = context([0, 1, 2, 3], [1, 0, 0, 1])
    const requests: ScoreRequest[] = [4, 5, 6, 7, 4].map((i) => ({ context: ctx, target: CLAIMS[i].prompt }))
    const ctxLen = fresh.tokenize(requests[0]).contextLength
    const tails = requests.slice(0, 4).reduce((a, r) => a + fresh.tokenize(r).ids.length - ctxLen, 0)
    const out = await fresh.score(requests)
    expect(out.forwardPasses).toBe(4)
    expect(fresh.stats.duplicateRequests).toBe(1)
    expect(out.scores[4]).toBe(out.scores[0])
    expect(out.tokensComputed).toBe(ctxLen + tails)
    const ref = await scratch.score(requests)
    for (let i = 0; i < 5; i++) expect(Math.abs(out.scores[i] - ref.scores[i])).toBeLessThan(1e-4)
    // Later calls with the same context start from its cached keys and values.
    const again = await fresh.score([{ context: ctx, target: CLAIMS[8].prompt }])
    expect(again.tokensComputed).toBe(fresh.tokenize({ context: ctx, target: CLAIMS[8].prompt }).ids.length - ctxLen)
    fresh.dispose()
    cached.dispose()
    scratch.dispose()
  })

  it('drops the oldest demonstrations to fit the context window, and says so', async () => {
    const small = new LmIcmScorer(model, { maxContextTokens: 80 })
    const full = new LmIcmScorer(model, { reusePrefixes: false })
    expect(full.maxContextTokens).toBe(cfg.maxPositions)
    const request = { context: context([0, 1, 2, 3], [1, 0, 1, 0]), target: CLAIMS[4].prompt }
    const tok = small.tokenize(request)
    expect(tok.dropped).toBeGreaterThan(0)
    expect(tok.demonstrations).toBe(4 - tok.dropped)
    expect(tok.ids.length).toBeLessThanOrEqual(80)
    // Keeping one more demonstration would not fit.
    const kept = [0, 1, 2, 3].slice(tok.dropped)
    const keptLabels = ([1, 0, 1, 0] as IcmLabel[]).slice(tok.dropped)
    const longer = full.tokenize({ context: context([0, 1, 2, 3].slice(tok.dropped - 1), ([1, 0, 1, 0] as IcmLabel[]).slice(tok.dropped - 1)), target: request.target })
    expect(longer.ids.length).toBeGreaterThan(80)
    const got = await small.score([request])
    expect(got.truncatedRequests).toBe(1)
    const want = await full.score([{ context: context(kept, keptLabels), target: request.target }])
    expect(Math.abs(got.scores[0] - want.scores[0])).toBeLessThan(1e-5)
    expect(small.approximations().join(' ')).toMatch(/80-token context window; their oldest demonstrations were dropped/)
    expect(full.approximations()).toEqual([])
    const tiny = new LmIcmScorer(model, { maxContextTokens: 5 })
    expect(() => tiny.tokenize(request)).toThrow(/target prompt alone is \d+ tokens; the model's context window is 5/)
    small.dispose()
    full.dispose()
  })

  it('cancels through the AbortSignal', async () => {
    const scorer = new LmIcmScorer(model)
    const ctrl = new AbortController()
    ctrl.abort()
    await expect(scorer.score([{ context: '', target: CLAIMS[0].prompt }], { signal: ctrl.signal })).rejects.toMatchObject({ name: 'AbortError' })
    scorer.dispose()
  })

  it('runs ICM end to end over 16 built-in claims and reports forward passes per labelled item', async () => {
    const items = CLAIMS.slice(0, 16)
    const scorer = new LmIcmScorer(model)
    const result = await runIcm(items, scorer, { seed: 5, iterations: 32, alpha: 1, maxDemonstrations: 6, demoSelection: 'shared' })
    expect(result.status).toBe('completed')
    expect(result.labelBalance.labelled).toBeGreaterThanOrEqual(12)
    expect(result.forwardPasses).toBe(scorer.stats.promptsComputed)
    expect(result.forwardPassesPerLabelled).toBeCloseTo(result.forwardPasses / result.labelBalance.labelled, 12)
    expect(result.forwardPassesPerLabelled).toBeGreaterThan(0)
    expect(result.energyEvaluationsPerLabelled).toBeGreaterThan(0)
    expect(scorer.stats.tokensComputed).toBeLessThan(scorer.stats.tokensFromScratch)
    scorer.dispose()
  })
})

describe('LM scorer on tiny-llama-instruct: interventions and the chat zero-shot', () => {
  const build = buildTinyModel(BUILTIN_MODELS.find((d) => d.id === 'tiny-llama-instruct')!)
  const cfg = build.config
  let model: CausalLM
  beforeAll(async () => {
    model = await loadBuild(build)
  })
  afterAll(() => model.dispose())

  it('scores an edited model like the reference with the same edit (all positions and last only)', async () => {
    const { t, f } = labelIds(model)
    const steer = randomUnit(cfg.dModel, 9).map((x) => 3 * x)
    const request = { context: context([2, 7], [0, 1]), target: CLAIMS[9].prompt }
    const cases: [Intervention[], ReferenceIntervention[], boolean][] = [
      [[{ hook: 'blocks.1.hook_resid_mid', add: steer }], [{ hook: 'resid_mid', layer: 1, add: steer }], true],
      [[{ hook: 'blocks.2.hook_resid_post', add: steer, positions: 'last' }], [{ hook: 'resid_post', layer: 2, add: steer, lastOnly: true }], false],
    ]
    for (const [lab, ref, reuse] of cases) {
      const scorer = new LmIcmScorer(model, { interventions: lab })
      expect(scorer.reusePrefixes).toBe(reuse)
      const { ids } = scorer.tokenize(request)
      const row = lastRow(referenceForward(cfg, build.weights, ids, ref).logits, ids.length, cfg.vocabSize)
      const want = lse(t.map((i) => row[i])) - lse(f.map((i) => row[i]))
      // Twice: the second time through the cached context.
      for (let k = 0; k < 2; k++) expect(Math.abs((await scorer.score([request])).scores[0] - want)).toBeLessThan(1e-4)
      scorer.dispose()
    }
  })

  it('scores the instruct zero-shot through the chat template', async () => {
    const chat = chatZeroShotScorer(model)
    const request = { context: '', target: CLAIMS[0].prompt }
    const text = chat.prompt(request)
    expect(text).toContain(CHAT_ZERO_SHOT_SYSTEM_PROMPT)
    expect(text).toContain(`Claim: ${buildMoralClaimItems()[0].text}\nIs this claim true or false?`)
    expect(text).not.toContain('I think this claim is')
    expect(text.endsWith('<|im_start|>assistant\n')).toBe(true)
    const ids = model.encode([text], false).ids[0]
    expect(chat.inner.tokenize({ context: '', target: text }).ids).toEqual(ids)
    const { t, f } = labelIds(model)
    const row = lastRow(referenceForward(cfg, build.weights, ids).logits, ids.length, cfg.vocabSize)
    const out = (await chat.score([request])) as { scores: number[] }
    expect(Math.abs(out.scores[0] - (lse(t.map((i) => row[i])) - lse(f.map((i) => row[i]))))).toBeLessThan(1e-4)

    const items = CLAIMS.slice(0, 16)
    const { train, test } = splitHeldOut(items, { testFraction: 0.25, seed: 3 })
    const base = new LmIcmScorer(model)
    const rows = await runBaselines({ train, test, scorer: base, instructScorer: chat, seed: 1 })
    const instruct = rows.find((r) => r.name === 'zero-shot-instruct')!
    expect(instruct.predictions).toHaveLength(test.length)
    expect(instruct.forwardPasses).toBe(test.length)
    // The system prompt is a shared prefix: computed once for the whole test split.
    expect(chat.inner.stats.tokensComputed).toBeLessThan(chat.inner.stats.tokensFromScratch)
    chat.inner.dispose()
    base.dispose()
  })

  it('refuses the chat zero-shot on a model without a chat template', async () => {
    const gpt2 = await loadBuild(buildTinyModel(BUILTIN_MODELS.find((d) => d.id === 'tiny-gpt2')!), { instrument: false })
    expect(() => chatZeroShotScorer(gpt2)).toThrow(/no chat template/)
    await gpt2.dispose()
  })
})
