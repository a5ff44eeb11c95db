// A local stand-in for the Hugging Face hub, serving the project's generated models under
// hub-shaped URLs (`/{org}/{name}/resolve/{rev}/{path}`, `/api/models/{org}/{name}/tree/{rev}/{folder}`).
// Tests use it to exercise the real hub-loading code without the network.
import { createServer, type Server } from 'node:http'
import { BUILTIN_MODELS, TEST_MODELS, buildTinyModel, type TinyModelDefinition } from '../src/core/testmodels/package.ts'

export interface MockHubOptions {
  port?: number
  /** model id → (path → bytes) */
  models?: Map<string, Map<string, Uint8Array>>
  /** Throttle model bodies to this many bytes per second (progress and cancel tests). */
  bytesPerSecond?: number
}

/** The generated models under hub-like ids `moral-lens-test/<id>`. */
export function generatedHubModels(): Map<string, Map<string, Uint8Array>> {
  const models = new Map<string, Map<string, Uint8Array>>()
  for (const def of [...BUILTIN_MODELS, ...TEST_MODELS, WIDE_TEST_MODEL]) models.set(`moral-lens-test/${def.id}`, buildTinyModel(def).files)
  return models
}

/** About 20 MB of weights: big enough that a leaked session shows in memory readings. */
export const WIDE_TEST_MODEL: TinyModelDefinition = {
  ...BUILTIN_MODELS[0],
  id: 'tiny-llama-wide',
  title: 'Wide test model',
  config: { ...BUILTIN_MODELS[0].config, dModel: 256, dHead: 64, dMlp: 768, nLayers: 6, seed: 3003 },
}

export async function startMockHub(opts: MockHubOptions = {}): Promise<{ url: string; server: Server; requests: string[] }> {
  const models = opts.models ?? generatedHubModels()
  const requests: string[] = []
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    requests.push(url.pathname)
    res.setHeader('access-control-allow-origin', '*')
    res.setHeader('access-control-expose-headers', 'content-length')
    res.setHeader('cross-origin-resource-policy', 'cross-origin')
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/[^/]+\/?(.*)$/.exec(url.pathname)
    if (tree) {
      const files = models.get(tree[1])
      if (!files) return void res.writeHead(404).end('{"error":"Repository not found"}')
      const folder = tree[2].replace(/\/$/, '')
      const entries = [...files]
        .filter(([p]) => (folder ? p.startsWith(folder + '/') && !p.slice(folder.length + 1).includes('/') : !p.includes('/')))
        .map(([path, bytes]) => ({ type: 'file', path, size: bytes.length, oid: '0' }))
      res.setHeader('content-type', 'application/json')
      return void res.end(JSON.stringify(entries))
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(url.pathname)
    const bytes = resolve ? models.get(resolve[1])?.get(decodeURIComponent(resolve[2])) : undefined
    if (!bytes) return void res.writeHead(404).end('Entry not found')
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) })
    if (!opts.bytesPerSecond) return void res.end(bytes)
    const chunk = Math.max(1024, Math.floor(opts.bytesPerSecond / 20))
    for (let i = 0; i < bytes.length; i += chunk) {
      if (res.destroyed) return
      res.write(bytes.subarray(i, i + chunk))
      await new Promise((r) => setTimeout(r, 50))
    }
    res.end()
  })
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : opts.port
  return { url: `http://127.0.0.1:${port}/`, server, requests }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const portArg = process.argv.indexOf('--port')
  const bpsArg = process.argv.indexOf('--bytes-per-second')
  const hub = await startMockHub({
    port: portArg > 0 ? Number(process.argv[portArg + 1]) : 5199,
    bytesPerSecond: bpsArg > 0 ? Number(process.argv[bpsArg + 1]) : undefined,
  })
  console.log(`mock hub at ${hub.url} serving ${[...generatedHubModels().keys()].join(', ')}`)
}
