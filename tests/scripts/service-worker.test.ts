// The generated service worker, run in a stand-in for a ServiceWorkerGlobalScope (Cache API and
// network in memory), so what it stores, answers and leaves alone is checked without a browser.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { writeServiceWorker, listSiteFiles } from '../../scripts/service-worker.ts'

const tmp = mkdtempSync(join(tmpdir(), 'moral-lens-sw-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const ORIGIN = 'http://lab.test'
const SCOPE = `${ORIGIN}/some/project/`
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }

function site(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmp, 'site-'))
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true })
    writeFileSync(join(dir, rel), text)
  }
  return dir
}

class MemoryCache {
  entries = new Map<string, { body: ArrayBuffer; status: number; headers: [string, string][] }>()
  private key(r: string | Request) {
    return typeof r === 'string' ? r : r.url
  }
  async match(r: string | Request) {
    const e = this.entries.get(this.key(r))
    return e ? new Response(e.body.slice(0), { status: e.status, headers: e.headers }) : undefined
  }
  async put(r: string | Request, res: Response) {
    this.entries.set(this.key(r), { body: await res.arrayBuffer(), status: res.status, headers: [...res.headers] })
  }
}

class MemoryCacheStorage {
  caches = new Map<string, MemoryCache>()
  async open(name: string) {
    if (!this.caches.has(name)) this.caches.set(name, new MemoryCache())
    return this.caches.get(name)!
  }
  async keys() {
    return [...this.caches.keys()]
  }
  async delete(name: string) {
    return this.caches.delete(name)
  }
}

type Listener = (e: any) => void

/** Runs dir/sw.js as if the browser had registered it at SCOPE; the "server" serves dir with COOP/COEP. */
function boot(dir: string, caches = new MemoryCacheStorage()) {
  const listeners: Record<string, Listener> = {}
  const net = { offline: false, fetched: [] as string[] }
  const fetch = async (input: string | { url: string }) => {
    const url = typeof input === 'string' ? input : input.url
    net.fetched.push(url)
    if (net.offline) throw new TypeError('Failed to fetch')
    const rel = decodeURIComponent(url.slice(SCOPE.length).split('?')[0]) || 'index.html'
    try {
      return new Response(readFileSync(join(dir, rel)), { status: 200, headers: { ...ISOLATION, 'content-type': 'text/plain' } })
    } catch {
      return new Response('Not found', { status: 404 })
    }
  }
  const self = {
    location: new URL(SCOPE + 'sw.js'),
    addEventListener: (type: string, f: Listener) => (listeners[type] = f),
    skipWaiting: async () => {},
    clients: { claim: async () => {} },
  }
  new Function('self', 'caches', 'fetch', readFileSync(join(dir, 'sw.js'), 'utf8'))(self, caches, fetch)
  const extendable = async (type: string) => {
    let done: Promise<unknown> = Promise.resolve()
    listeners[type]({ waitUntil: (p: Promise<unknown>) => (done = p) })
    await done
  }
  /** What the worker answers, or 'network' when it leaves the request alone. */
  const request = async (url: string, init: { mode?: string; method?: string; headers?: Record<string, string> } = {}) => {
    let answer: Promise<Response> | undefined
    listeners.fetch({
      request: { url, mode: init.mode ?? 'cors', method: init.method ?? 'GET', headers: new Headers(init.headers) },
      respondWith: (p: Promise<Response>) => (answer = p),
    })
    return answer ? await answer : 'network'
  }
  return { caches, net, install: () => extendable('install'), activate: () => extendable('activate'), request }
}

const sha16 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16)

describe('the service worker', () => {
  const files = {
    'index.html': '<!doctype html>',
    'assets/index-abc.js': 'app',
    'assets/index-abc.js.map': '{}',
    'assets/ort-wasm-simd-threaded.asyncify-x.wasm': 'wasm',
    'models/tiny-gpt2/onnx/model.onnx': 'weights',
    'models/org/my model/config.json': '{}',
  }

  it('lists every file of the site with its content hash, but not itself or source maps', () => {
    const dir = site(files)
    const sw = writeServiceWorker(dir)
    expect(sw.entries.map((e) => e.url)).toEqual([
      'assets/index-abc.js',
      'assets/ort-wasm-simd-threaded.asyncify-x.wasm',
      'index.html',
      'models/org/my%20model/config.json',
      'models/tiny-gpt2/onnx/model.onnx',
    ])
    expect(sw.entries.find((e) => e.url === 'index.html')).toEqual({ url: 'index.html', rev: sha16('<!doctype html>'), size: 15 })
    expect(listSiteFiles(dir)).toContain('sw.js')
    // Same files, same version; one changed byte, a new version.
    expect(writeServiceWorker(dir).version).toBe(sw.version)
    writeFileSync(join(dir, 'index.html'), '<!doctype html>!')
    expect(writeServiceWorker(dir).version).not.toBe(sw.version)
  })

  it('precaches the site keeping the server headers, and answers from the cache without network', async () => {
    const dir = site(files)
    writeServiceWorker(dir)
    const sw = boot(dir)
    await sw.install()
    await sw.activate()
    const names = await sw.caches.keys()
    expect(names).toHaveLength(1)
    expect(names[0]).toMatch(/^moral-lens-shell-[0-9a-f]{16}$/)
    expect([...(await sw.caches.open(names[0])).entries.keys()].sort()).toEqual(
      ['assets/index-abc.js', 'assets/ort-wasm-simd-threaded.asyncify-x.wasm', 'index.html', 'models/org/my%20model/config.json', 'models/tiny-gpt2/onnx/model.onnx'].map((u) => SCOPE + u),
    )

    sw.net.offline = true
    sw.net.fetched.length = 0
    const model = await sw.request(SCOPE + 'models/tiny-gpt2/onnx/model.onnx')
    expect(model).not.toBe('network')
    expect(await (model as Response).text()).toBe('weights')
    // A navigation (any query, any hash route) gets the cached page, with COOP/COEP intact.
    const page = (await sw.request(SCOPE + '?builtin=tiny-gpt2&device=wasm', { mode: 'navigate' })) as Response
    expect(await page.text()).toBe('<!doctype html>')
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin')
    expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp')
    expect((await sw.request(SCOPE + 'assets/index-abc.js')) as Response).toBeInstanceOf(Response)
    expect(sw.net.fetched.every((u) => u.startsWith(SCOPE) && !u.includes('model.onnx'))).toBe(true)
  })

  it('leaves hub downloads, other same-origin files, ranges and POSTs to the network', async () => {
    const dir = site(files)
    writeServiceWorker(dir)
    const sw = boot(dir)
    await sw.install()
    await sw.activate()
    expect(await sw.request('https://huggingface.co/org/model/resolve/main/onnx/model.onnx')).toBe('network')
    expect(await sw.request(`${ORIGIN}/mirror/org/model/onnx/model.onnx`)).toBe('network')
    expect(await sw.request(SCOPE + 'workshop.json')).toBe('network')
    expect(await sw.request(SCOPE + 'models/tiny-gpt2/onnx/model.onnx', { headers: { range: 'bytes=0-9' } })).toBe('network')
    expect(await sw.request(SCOPE + 'index.html', { method: 'POST' })).toBe('network')
    expect(await sw.request(`${ORIGIN}/elsewhere/`, { mode: 'navigate' })).toBe('network')
    expect(await sw.request(SCOPE + 'assets/', { mode: 'navigate' })).toBe('network')
    // Online, a navigation goes to the network first (a redeployed site shows at once).
    writeFileSync(join(dir, 'index.html'), 'new page')
    expect(await ((await sw.request(SCOPE, { mode: 'navigate' })) as Response).text()).toBe('new page')
  })

  it('a new version reuses unchanged files, fetches changed ones and drops old shell caches only', async () => {
    const dir = site(files)
    const v1 = writeServiceWorker(dir)
    const first = boot(dir)
    await first.install()
    await first.activate()
    const models = await first.caches.open('moral-lens-models-v1')
    await models.put('https://huggingface.co/org/model/resolve/main/config.json', new Response('{}'))

    writeFileSync(join(dir, 'assets/index-abc.js'), 'app v2')
    const v2 = writeServiceWorker(dir)
    expect(v2.version).not.toBe(v1.version)
    const second = boot(dir, first.caches)
    second.net.fetched.length = 0
    await second.install()
    expect(second.net.fetched).toEqual([SCOPE + 'assets/index-abc.js'])
    await second.activate()
    expect((await second.caches.keys()).sort()).toEqual(['moral-lens-models-v1', `moral-lens-shell-${v2.version}`])
    expect(await ((await second.request(SCOPE + 'assets/index-abc.js')) as Response).text()).toBe('app v2')
  })

  it('fails its install (and stays out of the way) when a listed file cannot be fetched', async () => {
    const dir = site(files)
    writeServiceWorker(dir)
    rmSync(join(dir, 'models/tiny-gpt2/onnx/model.onnx'))
    await expect(boot(dir).install()).rejects.toThrow(/precaching .*model\.onnx: HTTP 404/)
  })
})
