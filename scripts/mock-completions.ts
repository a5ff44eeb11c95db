// A local stand-in for an OpenAI-compatible completions server with top log-probabilities (as vLLM serves it),
// for the remote ICM scorer's tests and for trying the Elicitation panel without a GPU:
//   POST /v1/completions {model, prompt: string | string[], max_tokens, temperature, logprobs}
//   → {choices: [{index, text, logprobs: {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}}]}
// Log-odds come from a deterministic function of the prompt. It can require a bearer key, answer 429 or 500 a
// few times first, delay, or return malformed bodies.
//
//   npx tsx scripts/mock-completions.ts [--port 8001] [--key secret] [--model mock]
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { sha256Hex } from '../src/core/hash.ts'
import { buildMoralClaimItems } from '../src/core/stimuli/builtin/moral-claims.ts'

export type MockMalformation = 'no-logprobs' | 'not-json' | 'wrong-count' | 'bad-logprob'

export interface MockCompletionsOptions {
  port?: number
  /** When set, requests must carry "Authorization: Bearer <apiKey>" (else 401, as vLLM --api-key does). */
  apiKey?: string
  /** When set, other model names get 404. */
  model?: string
  /** Answer the first N completion requests with 429. */
  fail429?: number
  /** Retry-After header (seconds) sent with 429 (default "0"). */
  retryAfter?: string
  /** Answer the first N completion requests (after the 429s) with 500. */
  fail500?: number
  malformed?: MockMalformation
  /** Wait this long before answering (timeout and cancel tests). */
  delayMs?: number
  /** Log-odds True vs False for a prompt; null puts neither among the top tokens. Default `goldOrHashLogOdds`. */
  logOdds?: (prompt: string) => number | null
  /** Largest `logprobs` accepted (vLLM's default max_logprobs is 20). */
  maxLogprobs?: number
}

export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: unknown
}

export interface MockCompletionsServer {
  url: string
  server: Server
  requests: RecordedRequest[]
  close(): Promise<void>
}

/** Share of the next-token mass on True-like and False-like tokens together. */
export const MOCK_LABEL_MASS = 0.9

/** Deterministic log-odds in [−3, 3] from a hash of the prompt. */
export function hashLogOdds(prompt: string): number {
  const h = parseInt(sha256Hex(prompt).slice(0, 8), 16) / 2 ** 32
  return 6 * h - 3
}

const GOLD = new Map(buildMoralClaimItems().map((s) => [s.text, s.gold]))

/** ±2 (plus a little hash noise) by the gold label when the prompt's last "Claim: …" is a built-in claim. */
export function goldOrHashLogOdds(prompt: string): number {
  const claims = [...prompt.matchAll(/Claim: (.*)\n/g)]
  const last = claims[claims.length - 1]?.[1]
  const gold = last === undefined ? undefined : GOLD.get(last)
  if (gold === undefined) return hashLogOdds(prompt)
  return (gold === 1 ? 2 : -2) + 0.25 * hashLogOdds(prompt)
}

const FILLERS = [
  ...[' the', ' not', ' a', ' very', ' clearly', ' probably', ' morally', ' neither', ' both'],
  ...[' that', ' so', ' it', ' quite', ' always', ' never', ' just', ' also', ' rather'],
]

/**
 * Top log-probabilities with the given log-odds: True-like mass 0.9·σ(s) split 0.7/0.3 over " True"/"True",
 * False-like 0.9·(1−σ(s)) over " False"/"False", the rest over filler words and one "True/False" token (which
 * the code's rule skips). Highest first, cut to k.
 */
export function mockTopLogprobs(logOdds: number | null, k: number): Record<string, number> {
  const entries: [string, number][] = []
  let rest = 1
  if (logOdds !== null) {
    const pt = MOCK_LABEL_MASS / (1 + Math.exp(-logOdds))
    const pf = MOCK_LABEL_MASS - pt
    entries.push([' True', 0.7 * pt], ['True', 0.3 * pt], [' False', 0.7 * pf], ['False', 0.3 * pf])
    rest -= MOCK_LABEL_MASS
  }
  entries.push(['True/False', rest * 0.2])
  FILLERS.forEach((t, i) => entries.push([t, (rest * 0.8 * 2 ** -(i + 1)) / (1 - 2 ** -FILLERS.length)]))
  entries.sort((a, b) => b[1] - a[1])
  return Object.fromEntries(entries.slice(0, k).map(([t, p]) => [t, Math.log(p)]))
}

function send(res: import('node:http').ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(typeof body === 'string' ? body : JSON.stringify(body))
}

function vllmError(message: string, code: number) {
  return { object: 'error', message, type: code === 404 ? 'NotFoundError' : 'BadRequestError', param: null, code }
}

export async function startMockCompletions(opts: MockCompletionsOptions = {}): Promise<MockCompletionsServer> {
  const requests: RecordedRequest[] = []
  let completions = 0
  const logOdds = opts.logOdds ?? goldOrHashLogOdds
  const server = createServer(async (req, res) => {
    res.setHeader('access-control-allow-origin', '*')
    res.setHeader('access-control-allow-headers', 'authorization, content-type')
    res.setHeader('access-control-allow-methods', 'POST, GET, OPTIONS')
    if (req.method === 'OPTIONS') return void res.writeHead(204).end()
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    let body: unknown = raw
    try {
      body = raw ? JSON.parse(raw) : undefined
    } catch {
      // recorded as text
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    requests.push({ method: req.method ?? '', path, headers: req.headers, body })
    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return send(res, 401, { error: 'Unauthorized' })
    }
    if (req.method === 'GET' && path === '/v1/models') {
      return send(res, 200, { object: 'list', data: [{ id: opts.model ?? 'mock', object: 'model' }] })
    }
    if (req.method !== 'POST' || path !== '/v1/completions') {
      return send(res, 404, vllmError(`no route ${req.method} ${path}`, 404))
    }
    const b = body as { model?: unknown; prompt?: unknown; max_tokens?: unknown; logprobs?: unknown } | undefined
    if (!b || typeof b !== 'object') return send(res, 400, vllmError('request body must be a JSON object', 400))
    if (typeof b.model !== 'string') return send(res, 400, vllmError('"model" is required', 400))
    if (opts.model !== undefined && b.model !== opts.model) {
      return send(res, 404, vllmError(`The model \`${b.model}\` does not exist.`, 404))
    }
    const prompts = typeof b.prompt === 'string' ? [b.prompt] : b.prompt
    if (!Array.isArray(prompts) || prompts.some((p) => typeof p !== 'string')) {
      return send(res, 400, vllmError('"prompt" must be a string or a list of strings', 400))
    }
    const k = b.logprobs === undefined || b.logprobs === null ? 0 : Number(b.logprobs)
    const max = opts.maxLogprobs ?? 20
    if (!(Number.isInteger(k) && k >= 0 && k <= max)) {
      const message = `Requested sample logprobs of ${String(b.logprobs)}, which is greater than max allowed: ${max}`
      return send(res, 400, vllmError(message, 400))
    }
    completions++
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs))
    if (res.destroyed) return
    if (completions <= (opts.fail429 ?? 0)) {
      const limited = { error: { message: 'Rate limit reached, slow down', type: 'rate_limit' } }
      return send(res, 429, limited, { 'retry-after': opts.retryAfter ?? '0' })
    }
    if (completions <= (opts.fail429 ?? 0) + (opts.fail500 ?? 0)) {
      return send(res, 500, vllmError('mock internal error', 500))
    }
    if (opts.malformed === 'not-json') return send(res, 200, '<html><body>502 Bad Gateway</body></html>')
    const choices = (prompts as string[]).map((prompt, index) => {
      const top = mockTopLogprobs(logOdds(prompt), Math.max(k, 1))
      const [token, lp] = Object.entries(top)[0]
      const logprobs =
        opts.malformed === 'no-logprobs' || k === 0
          ? null
          : {
              tokens: [token],
              token_logprobs: [lp],
              top_logprobs: [opts.malformed === 'bad-logprob' ? { ...top, [token]: 'high' } : top],
              text_offset: [prompt.length],
            }
      return { index, text: token, logprobs, finish_reason: 'length', stop_reason: null }
    })
    if (opts.malformed === 'wrong-count') choices.pop()
    const promptTokens = (prompts as string[]).reduce((a, p) => a + Math.ceil(p.length / 4), 0)
    send(res, 200, {
      id: `cmpl-mock-${completions}`,
      object: 'text_completion',
      created: 0,
      model: b.model,
      choices,
      usage: { prompt_tokens: promptTokens, completion_tokens: choices.length, total_tokens: promptTokens + choices.length },
    })
  })
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : opts.port
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`)
    return i > 0 ? process.argv[i + 1] : undefined
  }
  const mock = await startMockCompletions({ port: Number(arg('port') ?? 8001), apiKey: arg('key'), model: arg('model') })
  console.log(`mock completions server at ${mock.url}/v1/completions${arg('key') ? ' (bearer key required)' : ''}`)
}
