// An `IcmScorer` backed by an OpenAI-compatible completions endpoint that returns top log-probabilities, as
// vLLM serves it: POST {baseUrl}/v1/completions {model, prompt: [...], max_tokens: 1, temperature: 0,
// logprobs: 20}; each choice's logprobs.top_logprobs[0] maps token text → logprob. The score is the code's
// `get_yes_no_diff_logprobs` over that map (METHODS.md §4.2).
//
// The API key is given at runtime and kept in a private field: it goes only into the Authorization header,
// never into results, stats, `toJSON()` or error messages (which are scrubbed of it).

import { OFFICIAL_TOP_LOGPROBS, yesNoDiffLogprobs } from './logodds.ts'
import type { IcmScorer, ScoreBatch, ScoreRequest } from './types.ts'

export interface RemoteScorerOptions {
  /** Server root, e.g. "http://localhost:8000" (a trailing "/v1" is accepted). */
  baseUrl: string
  model: string
  /** Sent as "Authorization: Bearer <key>"; also settable later with `setApiKey`. */
  apiKey?: string
  /** Top log-probabilities asked for (default 20, the code's value; vLLM's default cap is 20). */
  topLogprobs?: number
  /** Prompts per HTTP request (default 16). */
  batchSize?: number
  /** Retries after 429 or 5xx (default 4). */
  maxRetries?: number
  /** First retry delay; doubles each retry, capped by `maxRetryDelayMs`; a Retry-After header wins (default 500). */
  retryDelayMs?: number
  maxRetryDelayMs?: number
  /** Per HTTP attempt, including reading the body (default 60 000). */
  timeoutMs?: number
  /** Injected fetch (default globalThis.fetch). */
  fetch?: typeof fetch
}

export interface RemoteScorerStats {
  httpRequests: number
  retries: number
  /** Prompts sent (each is one forward pass on the server). */
  prompts: number
  /** From the responses' `usage`, when reported. */
  promptTokens: number
}

export interface RemoteScoreBatch extends ScoreBatch {
  httpRequests: number
  retries: number
}

export class RemoteScorerError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'RemoteScorerError'
  }
}

const NO_LOGPROBS = 'the endpoint returned no logprobs — does it support the completions API with logprobs?'

/** POST target for a base URL: {base}/v1/completions, or {base}/completions when base already ends in /v1. */
export function completionsEndpoint(baseUrl: string): string {
  let base = baseUrl.trim().replace(/\/+$/, '')
  if (!/^https?:\/\//i.test(base)) {
    throw new Error(`remote scorer: baseUrl must start with http:// or https://, got "${baseUrl}"`)
  }
  if (base.endsWith('/completions')) base = base.slice(0, -'/completions'.length)
  return /\/v1$/.test(base) ? `${base}/completions` : `${base}/v1/completions`
}

function abortError(): DOMException {
  return new DOMException('Scoring was cancelled', 'AbortError')
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError())
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(abortError())
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** The server's own words from an error body: vLLM {message}, OpenAI {error: {message}}, {error: "..."}, {detail}. */
function serverMessage(body: string): string {
  try {
    const j = JSON.parse(body) as Record<string, unknown>
    const e = j.error
    if (typeof e === 'string') return e
    if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') {
      return (e as { message: string }).message
    }
    if (typeof j.message === 'string') return j.message
    if (typeof j.detail === 'string') return j.detail
  } catch {
    // not JSON: fall through to the raw text
  }
  const text = body.trim().replace(/\s+/g, ' ')
  return text.length > 300 ? `${text.slice(0, 300)}…` : text || '(empty body)'
}

export class RemoteIcmScorer implements IcmScorer {
  readonly endpoint: string
  readonly model: string
  readonly topLogprobs: number
  readonly batchSize: number
  readonly stats: RemoteScorerStats = { httpRequests: 0, retries: 0, prompts: 0, promptTokens: 0 }
  #apiKey: string | undefined
  private readonly opts: Omit<RemoteScorerOptions, 'apiKey'>

  constructor(opts: RemoteScorerOptions) {
    const { apiKey, ...rest } = opts
    this.opts = rest
    this.endpoint = completionsEndpoint(opts.baseUrl)
    if (typeof opts.model !== 'string' || opts.model === '') {
      throw new Error('remote scorer: "model" must be a non-empty string')
    }
    this.model = opts.model
    this.topLogprobs = opts.topLogprobs ?? OFFICIAL_TOP_LOGPROBS
    this.batchSize = opts.batchSize ?? 16
    for (const [name, v, min] of [
      ['topLogprobs', this.topLogprobs, 1],
      ['batchSize', this.batchSize, 1],
      ['maxRetries', opts.maxRetries ?? 0, 0],
    ] as const) {
      if (!(Number.isInteger(v) && v >= min)) {
        throw new Error(`remote scorer: ${name} must be an integer ≥ ${min}, got ${v}`)
      }
    }
    this.#apiKey = apiKey || undefined
  }

  setApiKey(key: string | undefined): void {
    this.#apiKey = key || undefined
  }

  get hasApiKey(): boolean {
    return this.#apiKey !== undefined
  }

  /** What may be saved or shared about this scorer: never the key. */
  toJSON(): { kind: 'remote-completions'; endpoint: string; model: string; topLogprobs: number; batchSize: number } {
    const { endpoint, model, topLogprobs, batchSize } = this
    return { kind: 'remote-completions', endpoint, model, topLogprobs, batchSize }
  }

  private scrub(message: string): string {
    const key = this.#apiKey
    return key && key.length >= 4 ? message.split(key).join('***') : message
  }

  async score(requests: ScoreRequest[], options: { signal?: AbortSignal } = {}): Promise<RemoteScoreBatch> {
    const { signal } = options
    if (signal?.aborted) throw abortError()
    const prompts: string[] = []
    const slot = new Map<string, number>()
    const at = requests.map((r) => {
      const text = r.context + r.target
      let i = slot.get(text)
      if (i === undefined) {
        i = prompts.length
        slot.set(text, i)
        prompts.push(text)
      }
      return i
    })
    const distinct = new Array<number>(prompts.length)
    const out: RemoteScoreBatch = { scores: [], forwardPasses: 0, httpRequests: 0, retries: 0 }
    for (let s = 0; s < prompts.length; s += this.batchSize) {
      const chunk = prompts.slice(s, s + this.batchSize)
      const scores = await this.complete(chunk, signal, out)
      scores.forEach((v, k) => (distinct[s + k] = v))
      out.forwardPasses += chunk.length
    }
    out.scores = at.map((i) => distinct[i])
    return out
  }

  /** One batch of prompts → scores, with retries on 429/5xx. */
  private async complete(prompts: string[], signal: AbortSignal | undefined, out: RemoteScoreBatch): Promise<number[]> {
    const body = JSON.stringify({
      model: this.model,
      prompt: prompts,
      max_tokens: 1,
      temperature: 0,
      logprobs: this.topLogprobs,
    })
    const maxRetries = this.opts.maxRetries ?? 4
    for (let attempt = 0; ; attempt++) {
      const res = await this.post(body, signal)
      this.stats.httpRequests++
      out.httpRequests++
      if (res.status >= 200 && res.status < 300) {
        this.stats.prompts += prompts.length
        return this.parse(res.text, prompts.length)
      }
      const retryable = res.status === 429 || res.status >= 500
      if (!retryable || attempt >= maxRetries) {
        const tries = attempt > 0 ? ` (after ${attempt + 1} attempts)` : ''
        throw new RemoteScorerError(
          this.scrub(`remote scorer: POST ${this.endpoint} → HTTP ${res.status}${tries}: ${serverMessage(res.text)}`),
          res.status,
        )
      }
      const base = this.opts.retryDelayMs ?? 500
      const cap = this.opts.maxRetryDelayMs ?? 10_000
      const after = res.retryAfter
      const delay = Math.min(cap, after !== undefined ? after * 1000 : base * 2 ** attempt)
      this.stats.retries++
      out.retries++
      await sleep(delay, signal)
    }
  }

  private async post(
    body: string,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; text: string; retryAfter?: number }> {
    const doFetch = this.opts.fetch ?? globalThis.fetch
    if (!doFetch) throw new RemoteScorerError('remote scorer: no fetch() in this environment')
    const timeoutMs = this.opts.timeoutMs ?? 60_000
    const ctrl = new AbortController()
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      ctrl.abort()
    }, timeoutMs)
    const onAbort = () => ctrl.abort()
    signal?.addEventListener('abort', onAbort, { once: true })
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`
    try {
      const res = await doFetch(this.endpoint, { method: 'POST', headers, body, signal: ctrl.signal })
      const text = await res.text()
      const ra = Number(res.headers.get('retry-after'))
      return { status: res.status, text, retryAfter: res.headers.has('retry-after') && ra >= 0 ? ra : undefined }
    } catch (e) {
      if (signal?.aborted) throw abortError()
      if (timedOut) throw new RemoteScorerError(`remote scorer: POST ${this.endpoint} timed out after ${timeoutMs} ms`)
      const why = e instanceof Error ? e.message : String(e)
      throw new RemoteScorerError(
        this.scrub(
          `remote scorer: could not reach ${this.endpoint}: ${why} ` +
            '(is the server running, and does it allow this origin?)',
        ),
      )
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  private parse(text: string, n: number): number[] {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new RemoteScorerError(
        this.scrub(`remote scorer: ${this.endpoint} answered with something that is not JSON: ${serverMessage(text)}`),
      )
    }
    const choices = (json as { choices?: unknown })?.choices
    if (!Array.isArray(choices)) {
      throw new RemoteScorerError(`remote scorer: the response from ${this.endpoint} has no "choices" array`)
    }
    if (choices.length !== n) {
      throw new RemoteScorerError(`remote scorer: ${this.endpoint} returned ${choices.length} choices for ${n} prompts`)
    }
    const usage = (json as { usage?: { prompt_tokens?: unknown } }).usage
    if (usage && typeof usage.prompt_tokens === 'number') this.stats.promptTokens += usage.prompt_tokens
    const scores = new Array<number>(n)
    const seen = new Set<number>()
    choices.forEach((c: unknown, pos: number) => {
      const choice = c as { index?: unknown; logprobs?: { top_logprobs?: unknown } | null }
      const index = typeof choice?.index === 'number' ? choice.index : pos
      if (!Number.isInteger(index) || index < 0 || index >= n || seen.has(index)) {
        throw new RemoteScorerError(
          `remote scorer: choice ${pos} has index ${String(choice?.index)}; expected 0..${n - 1}, each once`,
        )
      }
      seen.add(index)
      const top = choice?.logprobs?.top_logprobs
      const first = Array.isArray(top) ? top[0] : undefined
      if (!first || typeof first !== 'object') throw new RemoteScorerError(`remote scorer: choice ${index}: ${NO_LOGPROBS}`)
      const entries = Object.entries(first as Record<string, unknown>)
      for (const [token, lp] of entries) {
        if (typeof lp !== 'number' || Number.isNaN(lp) || lp > 1e-6) {
          throw new RemoteScorerError(
            `remote scorer: choice ${index}: top_logprobs[0][${JSON.stringify(token)}] is ${JSON.stringify(lp)}, ` +
              'expected a log-probability ≤ 0',
          )
        }
      }
      scores[index] = yesNoDiffLogprobs(entries as [string, number][])
    })
    return scores
  }
}
