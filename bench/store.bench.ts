// Activation store save/load times on the issue-4 workload: 5,000 texts × 24 layers × width 1024
// ('last' pooling), float32 (492 MB) and float16 (246 MB), on the MemoryBackend and on IndexedDB
// through fake-indexeddb. Target: re-opening (open the database, find the capture, load all 24
// layers) under 1 s. The Chromium figure is measured separately; Node only shows the store's own cost.
//
//   npx tsx bench/store.bench.ts [--texts 5000] [--layers 24] [--width 1024] [--repeats 3]
// (or as the 'store' section of `npm run bench`).
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import type { CaptureResult } from '../src/core/hooks/capture.ts'
import { Rng } from '../src/core/random.ts'
import { MemoryBackend, type StorageBackend } from '../src/core/store/backend.ts'
import { IndexedDbBackend } from '../src/core/store/indexeddb.ts'
import type { CaptureKey } from '../src/core/store/key.ts'
import { ActivationStore } from '../src/core/store/store.ts'
import type { StorageDtype } from '../src/core/store/types.ts'
import { isMain } from './lib/main.ts'
import { median } from './lib/stats.ts'

export interface StoreBenchOptions {
  texts?: number
  layers?: number
  width?: number
  repeats?: number
  dtypes?: StorageDtype[]
  backends?: ('memory' | 'fake-indexeddb')[]
  log?: (line: string) => void
}

export interface StoreBenchRow {
  backend: string
  dtype: StorageDtype
  megabytes: number
  saveMs: number
  /** Median over repeats: open the backend again, find the capture, load every layer. */
  reopenMs: number
  /** Median over repeats: loadHooks of every layer on an open store. */
  loadAllMs: number
  /** Median over repeats: loadHooks of one layer. */
  loadOneMs: number
  verified: boolean
}

export const STORE_TARGET_MS = 1000

function syntheticCapture(texts: number, layers: number, width: number): CaptureResult {
  const rng = new Rng(4)
  const base = new Float32Array(texts * width)
  for (let i = 0; i < base.length; i++) base[i] = rng.normal() * 3
  const hooks = Array.from({ length: layers }, (_, l) => `blocks.${l}.hook_resid_post`)
  const activations: CaptureResult['activations'] = {}
  hooks.forEach((h, l) => {
    // Residual norms grow with depth; scaling keeps the layers distinct without drawing 120M normals.
    const data = new Float32Array(base.length)
    const s = 1 + l / 4
    for (let i = 0; i < data.length; i++) data[i] = base[i] * s
    activations[h] = { data, shape: [texts, width] }
  })
  return { hooks, pooling: 'last', dModel: width, activations, tokenCounts: new Array(texts).fill(12) }
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length)
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length)
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false
  return true
}

export async function benchStore(options: StoreBenchOptions = {}): Promise<StoreBenchRow[]> {
  const texts = options.texts ?? 5000
  const layers = options.layers ?? 24
  const width = options.width ?? 1024
  const repeats = Math.max(1, options.repeats ?? 3)
  const log = options.log ?? (() => undefined)
  const capture = syntheticCapture(texts, layers, width)
  const key: CaptureKey = {
    modelId: 'bench:model',
    revision: '',
    dtype: 'fp32',
    device: 'wasm',
    setHash: 'ab'.repeat(32),
    pooling: 'last',
  }
  const rows: StoreBenchRow[] = []
  for (const backendName of options.backends ?? ['memory', 'fake-indexeddb']) {
    for (const dtype of options.dtypes ?? ['float32', 'float16']) {
      let reopen: () => Promise<StorageBackend>
      if (backendName === 'memory') {
        const mem = new MemoryBackend()
        reopen = async () => mem
      } else {
        const indexedDB = new IDBFactory()
        reopen = () => IndexedDbBackend.open({ indexedDB, IDBKeyRange })
      }
      const backend = await reopen()
      const store = new ActivationStore(backend)
      let t0 = performance.now()
      const summary = await store.saveCapture(capture, { key }, { storageDtype: dtype })
      const saveMs = performance.now() - t0
      const reopenTimes: number[] = []
      const allTimes: number[] = []
      const oneTimes: number[] = []
      let verified = true
      for (let r = 0; r < repeats; r++) {
        if (backendName !== 'memory') backend.close()
        t0 = performance.now()
        const b2 = backendName === 'memory' ? backend : await reopen()
        const s2 = new ActivationStore(b2)
        const found = await s2.findCapture(key)
        const loaded = await s2.loadHooks(found!.id, capture.hooks)
        reopenTimes.push(performance.now() - t0)
        if (r === 0) {
          const h = capture.hooks[layers - 1]
          verified = dtype === 'float32' ? sameBits(loaded[h].data, capture.activations[h].data) : loaded[h].data.length === texts * width
        }
        t0 = performance.now()
        await s2.loadHooks(summary.id, capture.hooks)
        allTimes.push(performance.now() - t0)
        t0 = performance.now()
        await s2.loadHooks(summary.id, [capture.hooks[0]])
        oneTimes.push(performance.now() - t0)
        if (backendName !== 'memory' && r === repeats - 1) b2.close()
      }
      const row: StoreBenchRow = {
        backend: backendName,
        dtype,
        megabytes: summary.bytes / 1e6,
        saveMs,
        reopenMs: median(reopenTimes),
        loadAllMs: median(allTimes),
        loadOneMs: median(oneTimes),
        verified,
      }
      rows.push(row)
      log(
        `${row.backend.padEnd(15)} ${row.dtype.padEnd(8)} ${row.megabytes.toFixed(0).padStart(5)} MB  ` +
          `save ${row.saveMs.toFixed(0).padStart(6)} ms  reopen ${row.reopenMs.toFixed(0).padStart(5)} ms  ` +
          `load all ${row.loadAllMs.toFixed(0).padStart(5)} ms  load one ${row.loadOneMs.toFixed(1).padStart(6)} ms  ` +
          `${row.verified ? 'verified' : 'MISMATCH'}`,
      )
      if (backendName === 'memory') backend.close()
    }
  }
  return rows
}

async function main() {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`)
    return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback
  }
  const texts = arg('texts', 5000)
  const layers = arg('layers', 24)
  const width = arg('width', 1024)
  console.log(`activation store: ${texts} texts × ${layers} layers × width ${width}, Node ${process.version}\n`)
  const rows = await benchStore({ texts, layers, width, repeats: arg('repeats', 3), log: console.log })
  const worst = Math.max(...rows.map((r) => r.reopenMs))
  console.log(
    `\nre-open (worst in Node): ${worst.toFixed(0)} ms (target < ${STORE_TARGET_MS} ms): ${worst < STORE_TARGET_MS ? 'ok' : 'OVER TARGET'}`,
  )
  if (rows.some((r) => !r.verified)) process.exitCode = 1
}

if (isMain(import.meta.url)) await main()
