// A plain static file server, as a project page or a classroom laptop would run one: it serves a
// folder under a sub-path and sends no cross-origin-isolation headers unless asked to. The e2e
// tests use it to check the built site and workshop kits; `npm run workshop` suggests it.
// Usage: tsx scripts/static-server.ts <dir> [--base /some/path/] [--port 8080] [--host 127.0.0.1] [--isolate]
import { createServer, type Server } from 'node:http'
import { createReadStream, statSync } from 'node:fs'
import { extname, join, resolve, sep } from 'node:path'

export interface StaticServerOptions {
  root: string
  /** URL path the folder is served under, e.g. `/some/project/`. */
  base?: string
  port?: number
  host?: string
  /** Send COOP/COEP so the page is cross-origin isolated. */
  isolate?: boolean
}

export interface StaticServer {
  /** Absolute URL of the served folder, ending with '/'. */
  url: string
  server: Server
  /** Paths requested, in order (for tests). */
  requests: string[]
  close(): Promise<void>
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/jsonl; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
}

export function contentType(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

export async function startStaticServer(opts: StaticServerOptions): Promise<StaticServer> {
  const root = resolve(opts.root)
  const base = ('/' + (opts.base ?? '/').replace(/^\/+|\/+$/g, '') + '/').replace(/^\/\/$/, '/')
  const requests: string[] = []
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    requests.push(url.pathname)
    if (opts.isolate) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp')
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end()
    // Static hosts redirect a folder without its trailing slash.
    if (url.pathname + '/' === base) return void res.writeHead(301, { location: base + url.search }).end()
    if (!url.pathname.startsWith(base)) return void res.writeHead(404).end('Not found')
    let rel: string
    try {
      rel = decodeURIComponent(url.pathname.slice(base.length))
    } catch {
      return void res.writeHead(400).end('Bad path')
    }
    let file = resolve(join(root, rel))
    if (file !== root && !file.startsWith(root + sep)) return void res.writeHead(404).end('Not found')
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html')
      const stat = statSync(file)
      res.writeHead(200, { 'content-type': contentType(file), 'content-length': String(stat.size), 'cache-control': 'no-cache' })
      if (req.method === 'HEAD') return void res.end()
      createReadStream(file).pipe(res)
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
    }
  })
  await new Promise<void>((r) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', r))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : opts.port
  const host = opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'
  return {
    url: `http://${host}:${port}${base}`,
    server,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2)
  const value = (name: string) => {
    const i = args.indexOf(name)
    return i >= 0 ? args[i + 1] : undefined
  }
  const root = args.find((a, i) => !a.startsWith('--') && !['--base', '--port', '--host'].includes(args[i - 1]))
  if (!root || args.includes('--help')) {
    console.log('Usage: tsx scripts/static-server.ts <dir> [--base /path/] [--port 8080] [--host 0.0.0.0] [--isolate]')
    process.exit(root ? 0 : 1)
  }
  const s = await startStaticServer({
    root,
    base: value('--base'),
    port: Number(value('--port') ?? 8080),
    host: value('--host'),
    isolate: args.includes('--isolate'),
  })
  console.log(`serving ${resolve(root)} at ${s.url}${args.includes('--isolate') ? ' (cross-origin isolated)' : ''}`)
}
