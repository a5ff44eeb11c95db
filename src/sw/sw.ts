// The lab's service worker: precaches the app shell (and every file the build or a workshop kit
// lists: index.html, JS, CSS, onnxruntime's WASM, the built-in and kit models) so a reload without
// network still opens the lab. Built by scripts/service-worker.ts, which prepends `__PRECACHE__`
// and writes it as a classic script (`sw.js`) next to index.html.
//
// It only answers same-origin GETs for listed files and navigations inside its scope. Everything
// else (hub downloads, self-hosted URL sources, range requests) goes to the network untouched, so
// the model worker's own Cache API store ('moral-lens-models-v1'), its progress and its cancel
// keep working, and nothing is stored twice.

interface PrecacheEntry {
  /** Relative to the folder of sw.js. */
  url: string
  /** Content hash: a file whose rev is unchanged is copied from the previous version's cache. */
  rev: string
  size: number
}

interface PrecacheManifest {
  version: string
  entries: PrecacheEntry[]
}

declare const __PRECACHE__: PrecacheManifest
// A module for the type checker; the build strips this line (service workers run as classic scripts).
export {}

const sw = self as unknown as ServiceWorkerGlobalScope
const CACHE_PREFIX = 'moral-lens-shell-'
const CACHE_NAME = CACHE_PREFIX + __PRECACHE__.version
const REV_HEADER = 'x-moral-lens-rev'
const PARALLEL_DOWNLOADS = 4
/** How long a navigation waits for the network before the cached page is shown. */
const NAVIGATION_TIMEOUT_MS = 4000

const scopeBase = new URL('./', sw.location.href)
const indexUrl = new URL('index.html', scopeBase).href
const revByUrl = new Map(__PRECACHE__.entries.map((e) => [new URL(e.url, scopeBase).href, e.rev]))

/** A copy of the response that remembers its content hash. Headers (COOP/COEP among them) are kept. */
function withRev(res: Response, rev: string): Response {
  const headers = new Headers(res.headers)
  headers.set(REV_HEADER, rev)
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers })
}

async function precacheOne(cache: Cache, older: Cache[], url: string, rev: string): Promise<void> {
  const have = await cache.match(url)
  if (have?.headers.get(REV_HEADER) === rev) return
  for (const old of older) {
    const hit = await old.match(url)
    if (hit?.headers.get(REV_HEADER) === rev) return cache.put(url, hit)
  }
  const res = await fetch(url, { cache: 'no-cache', credentials: 'same-origin' })
  if (!res.ok) throw new Error(`precaching ${url}: HTTP ${res.status}`)
  await cache.put(url, withRev(res, rev))
}

async function precache(): Promise<void> {
  const cache = await caches.open(CACHE_NAME)
  const olderNames = (await caches.keys()).filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE_NAME)
  const older = await Promise.all(olderNames.map((n) => caches.open(n)))
  const queue = [...revByUrl]
  await Promise.all(
    Array.from({ length: PARALLEL_DOWNLOADS }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await precacheOne(cache, older, next[0], next[1])
    }),
  )
}

async function removeOldCaches(): Promise<void> {
  // Only this worker's own versions: the model worker's download cache is not ours to clean.
  const names = await caches.keys()
  await Promise.all(names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE_NAME).map((n) => caches.delete(n)))
}

async function cached(url: string): Promise<Response | undefined> {
  return (await caches.open(CACHE_NAME)).match(url)
}

/** Network first (a redeployed site shows at once), the cached page when offline or slow. */
async function navigate(req: Request): Promise<Response> {
  const network = fetch(req)
  network.catch(() => undefined)
  const fallback = await cached(indexUrl)
  if (!fallback) return network
  let timer: ReturnType<typeof setTimeout> | undefined
  const slow = new Promise<'slow'>((r) => (timer = setTimeout(() => r('slow'), NAVIGATION_TIMEOUT_MS)))
  try {
    const first = await Promise.race([network, slow])
    return first === 'slow' ? fallback : first
  } catch {
    return fallback
  } finally {
    clearTimeout(timer)
  }
}

async function precached(req: Request, url: string): Promise<Response> {
  return (await cached(url)) ?? fetch(req)
}

sw.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => sw.skipWaiting()))
})

sw.addEventListener('activate', (event) => {
  event.waitUntil(removeOldCaches().then(() => sw.clients.claim()))
})

sw.addEventListener('fetch', (event) => {
  const req = event.request
  if (req.method !== 'GET' || req.headers.has('range')) return
  const url = new URL(req.url)
  if (url.origin !== scopeBase.origin) return
  // Queries and hash routes (`?builtin=…`, `#/stimuli`) all open the one page.
  const key = url.origin + url.pathname
  if (req.mode === 'navigate' && (key === scopeBase.href || key === indexUrl)) event.respondWith(navigate(req))
  else if (revByUrl.has(key)) event.respondWith(precached(req, key))
})
