import { afterEach, describe, expect, it } from 'vitest'
import {
  completionsEndpoint,
  icmItemsFromStimuli,
  RemoteIcmScorer,
  runBaselines,
  runIcm,
  splitHeldOut,
  type ScoreRequest,
} from '../../../src/core/icm/index.ts'
import { buildMoralClaimItems } from '../../../src/core/stimuli/builtin/moral-claims.ts'
import { MOCK_LABEL_MASS, startMockCompletions, type MockCompletionsOptions, type MockCompletionsServer } from '../../../scripts/mock-completions.ts'

const KEY = 'sk-test-0123456789abcdef'
let mock: MockCompletionsServer | undefined

async function start(opts: MockCompletionsOptions): Promise<MockCompletionsServer> {
  mock = await startMockCompletions(opts)
  return mock
}

afterEach(async () => {
  await mock?.close()
  mock = undefined
})

/** The code's formula worked by hand for the mock's distribution: all four label tokens are in the top 20. */
function expectedScore(s: number): number {
  const pt = MOCK_LABEL_MASS / (1 + Math.exp(-s))
  const pf = MOCK_LABEL_MASS - pt
  return Math.log(pt + 1e-5) - Math.log(pf + 1e-5)
}

const requests: ScoreRequest[] = Array.from({ length: 5 }, (_, i) => ({
  context: i % 2 ? 'Claim: a\nI think this claim is True\n\n' : '',
  target: `Claim: item ${i}\nI think this claim is`,
}))
const logOddsOf = (prompt: string) => (prompt.length % 7) - 3

describe('remote completions scorer', () => {
  it('normalises the endpoint', () => {
    expect(completionsEndpoint('http://h:8000')).toBe('http://h:8000/v1/completions')
    expect(completionsEndpoint('http://h:8000/v1/')).toBe('http://h:8000/v1/completions')
    expect(completionsEndpoint('https://h/api/v1/completions')).toBe('https://h/api/v1/completions')
    expect(() => completionsEndpoint('h:8000')).toThrow(/http/)
  })

  it('batches prompts per request and scores them as the code does', async () => {
    const m = await start({ logOdds: logOddsOf, model: 'mock-8b' })
    const scorer = new RemoteIcmScorer({ baseUrl: m.url, model: 'mock-8b', batchSize: 2 })
    const dup = [...requests, requests[1]]
    const out = await scorer.score(dup)
    expect(m.requests.map((r) => (r.body as { prompt: string[] }).prompt.length)).toEqual([2, 2, 1])
    const body = m.requests[0].body as Record<string, unknown>
    expect(body).toMatchObject({ model: 'mock-8b', max_tokens: 1, temperature: 0, logprobs: 20 })
    expect(m.requests[0].path).toBe('/v1/completions')
    expect(out.forwardPasses).toBe(5)
    expect(out.httpRequests).toBe(3)
    dup.forEach((r, i) => expect(out.scores[i]).toBeCloseTo(expectedScore(logOddsOf(r.context + r.target)), 10))
    expect(out.scores[5]).toBe(out.scores[1])
    expect(scorer.stats.promptTokens).toBeGreaterThan(0)
  })

  it('scores 0 when neither label appears among the top tokens', async () => {
    const m = await start({ logOdds: () => null })
    const out = await new RemoteIcmScorer({ baseUrl: m.url, model: 'x' }).score(requests.slice(0, 2))
    expect(out.scores).toEqual([0, 0])
  })

  it('sends the key only in the Authorization header, never in results, stats or errors', async () => {
    const m = await start({ apiKey: KEY, logOdds: logOddsOf })
    const scorer = new RemoteIcmScorer({ baseUrl: m.url, model: 'x', apiKey: KEY })
    const out = await scorer.score(requests)
    expect(m.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true)
    for (const thing of [out, scorer.stats, scorer, scorer.toJSON()]) expect(JSON.stringify(thing)).not.toContain(KEY)
    expect(Object.values(scorer).some((v) => typeof v === 'string' && v.includes(KEY))).toBe(false)
    expect(scorer.hasApiKey).toBe(true)

    const wrong = new RemoteIcmScorer({ baseUrl: m.url, model: 'x', apiKey: 'wrong-key-123' })
    const err = await wrong.score(requests).catch((e: Error) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toMatch(/HTTP 401.*Unauthorized/)
    expect((err as Error).message).not.toContain('wrong-key-123')
    expect((err as { status?: number }).status).toBe(401)
    const none = new RemoteIcmScorer({ baseUrl: m.url, model: 'x' })
    await expect(none.score(requests)).rejects.toThrow(/401/)
    none.setApiKey(KEY)
    await expect(none.score(requests)).resolves.toMatchObject({ forwardPasses: 5 })
  })

  it('retries after 429 and 500 with backoff, then succeeds', async () => {
    const m = await start({ fail429: 1, fail500: 1, logOdds: logOddsOf })
    const scorer = new RemoteIcmScorer({ baseUrl: m.url, model: 'x', retryDelayMs: 1 })
    const out = await scorer.score(requests.slice(0, 2))
    expect(out.retries).toBe(2)
    expect(out.httpRequests).toBe(3)
    expect(m.requests).toHaveLength(3)
    expect(out.scores[0]).toBeCloseTo(expectedScore(logOddsOf(requests[0].target)), 10)
  })

  it('gives up after maxRetries with the status and the server message', async () => {
    const m = await start({ fail500: 10 })
    const scorer = new RemoteIcmScorer({ baseUrl: m.url, model: 'x', retryDelayMs: 1, maxRetries: 2 })
    await expect(scorer.score(requests)).rejects.toThrow(/HTTP 500 \(after 3 attempts\): mock internal error/)
    expect(m.requests).toHaveLength(3)
  })

  it('does not retry client errors, and names the model error', async () => {
    const m = await start({ model: 'right' })
    await expect(new RemoteIcmScorer({ baseUrl: m.url, model: 'wrong', retryDelayMs: 1 }).score(requests)).rejects.toThrow(
      /HTTP 404: The model `wrong` does not exist/,
    )
    await expect(
      new RemoteIcmScorer({ baseUrl: m.url, model: 'right', topLogprobs: 50 }).score(requests),
    ).rejects.toThrow(/HTTP 400: .*max allowed: 20/)
    expect(m.requests).toHaveLength(2)
  })

  it('explains malformed responses', async () => {
    const cases: [MockCompletionsOptions['malformed'], RegExp][] = [
      ['no-logprobs', /the endpoint returned no logprobs — does it support the completions API with logprobs\?/],
      ['not-json', /not JSON: <html>/],
      ['wrong-count', /returned 4 choices for 5 prompts/],
      ['bad-logprob', /is "high", expected a log-probability/],
    ]
    for (const [malformed, message] of cases) {
      const m = await start({ malformed })
      await expect(new RemoteIcmScorer({ baseUrl: m.url, model: 'x' }).score(requests)).rejects.toThrow(message)
      await m.close()
      mock = undefined
    }
  })

  it('times out, and cancels promptly through the AbortSignal', async () => {
    const m = await start({ delayMs: 2000 })
    const slow = new RemoteIcmScorer({ baseUrl: m.url, model: 'x', timeoutMs: 100 })
    await expect(slow.score(requests)).rejects.toThrow(/timed out after 100 ms/)
    const ctrl = new AbortController()
    const t0 = performance.now()
    const pending = new RemoteIcmScorer({ baseUrl: m.url, model: 'x' }).score(requests, { signal: ctrl.signal })
    setTimeout(() => ctrl.abort(), 50)
    const err = await pending.catch((e: Error) => e)
    expect((err as Error).name).toBe('AbortError')
    expect(performance.now() - t0).toBeLessThan(1000)
    // Cancel during a backoff wait.
    await m.close()
    const m2 = await start({ fail429: 5, retryAfter: '5' })
    const ctrl2 = new AbortController()
    const waiting = new RemoteIcmScorer({ baseUrl: m2.url, model: 'x', retryDelayMs: 1 }).score(requests, { signal: ctrl2.signal })
    setTimeout(() => ctrl2.abort(), 100)
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('reports an unreachable server clearly', async () => {
    const m = await start({})
    const url = m.url
    await m.close()
    mock = undefined
    await expect(new RemoteIcmScorer({ baseUrl: url, model: 'x' }).score(requests)).rejects.toThrow(/could not reach .*\/v1\/completions/)
  })

  it('drives ICM and the baselines end to end', async () => {
    const m = await start({ apiKey: KEY })
    const scorer = new RemoteIcmScorer({ baseUrl: m.url, model: 'x', apiKey: KEY, batchSize: 32 })
    const items = icmItemsFromStimuli(buildMoralClaimItems().slice(0, 24))
    const result = await runIcm(items, scorer, { seed: 3, iterations: 150, alpha: 30 })
    expect(result.status).toBe('completed')
    expect(result.labelBalance.labelled).toBe(24)
    expect(result.goldAgreement).toBeGreaterThan(0.9)
    expect(result.forwardPasses).toBe(scorer.stats.prompts)
    expect(JSON.stringify(result)).not.toContain(KEY)
    const { train, test } = splitHeldOut(items, { testFraction: 0.25, seed: 1 })
    const rows = await runBaselines({ train, test, scorer, seed: 2 })
    expect(rows.find((r) => r.name === 'zero-shot')!.accuracy.accuracy).toBe(1)
  })
})
