// The sections of `npm run bench`, each a function returning rows. Modules are imported only when
// their section runs, so one section's dependencies never stop another from running.
import type { BenchContext, ResultRow, SectionResult } from './lib/result.ts'
import { machineInfo, median } from './lib/stats.ts'

export interface Section {
  name: string
  /** The issue whose targets it measures (docs/PERFORMANCE.md groups sections by issue). */
  issue: number
  summary: string
  run(ctx: BenchContext): Promise<SectionResult>
}

function result(
  section: string,
  title: string,
  setup: string,
  ctx: BenchContext,
  started: number,
  rows: ResultRow[],
  details: unknown,
  versions: Record<string, string> = {},
): SectionResult {
  return {
    section,
    title,
    setup,
    quick: ctx.quick,
    date: new Date().toISOString(),
    machine: machineInfo(),
    versions,
    durationS: (performance.now() - started) / 1000,
    rows,
    details,
  }
}

export const SECTIONS: Section[] = [
  {
    name: 'capture',
    issue: 3,
    summary: 'capturing resid_post at every layer vs the plain forward pass (target ≤ 1.10×)',
    run: async (ctx) => (await import('./capture.bench.ts')).runCaptureBench(ctx),
  },
  {
    name: 'machinery',
    issue: 3,
    summary: 'CausalLM.forward / nextTokenLogits vs session.run with hand-built feeds (target ≤ 1.05×)',
    run: async (ctx) => (await import('./machinery.bench.ts')).runMachineryBench(ctx),
  },
  {
    name: 'native',
    issue: 3,
    summary: 'onnxruntime-web (WASM) vs onnxruntime-node (native CPU) on the same graph (recorded)',
    run: async (ctx) => (await import('./machinery.bench.ts')).runNativeBench(ctx),
  },
  {
    name: 'memory',
    issue: 3,
    summary: 'peak RSS while opening a model, relative to its file size (target ≤ 1.3×)',
    run: async (ctx) => (await import('./memory.bench.ts')).runMemoryBench(ctx),
  },
  {
    name: 'import',
    issue: 4,
    summary: 'streaming import of a Social-Chemistry-style TSV (target ≥ 20 MB/s)',
    run: async (ctx) => {
      const started = performance.now()
      const { benchImport, IMPORT_TARGET_MB_S } = await import('./import.bench.ts')
      const [mb, repeats] = ctx.quick ? [2, 1] : [20, 3]
      const r = await benchImport(mb, repeats, (l) => ctx.log(`  ${l}`))
      const rows: ResultRow[] = r.rates.map((x) => ({ name: x.label, value: x.mbPerS, unit: 'MB/s', note: `${x.ms.toFixed(0)} ms; ${x.detail}` }))
      rows.push({
        name: 'streaming import (slower of the two full imports)',
        value: r.streamingMbPerS,
        unit: 'MB/s',
        target: `≥ ${IMPORT_TARGET_MB_S} MB/s`,
        ok: r.streamingMbPerS >= IMPORT_TARGET_MB_S,
      })
      return result('import', 'Streaming import', `${r.megabytes.toFixed(1)} MB synthetic Social-Chem TSV in 64 KiB chunks, best of ${repeats}, Node main thread`, ctx, started, rows, r)
    },
  },
  {
    name: 'store',
    issue: 4,
    summary: 'activation store: re-opening stored activations (target < 1 s)',
    run: async (ctx) => {
      const started = performance.now()
      const { benchStore, STORE_TARGET_MS } = await import('./store.bench.ts')
      const shape = ctx.quick ? { texts: 500, layers: 4, width: 256, repeats: 1 } : { texts: 5000, layers: 24, width: 1024, repeats: 3 }
      const r = await benchStore({ ...shape, log: (l) => ctx.log(`  ${l}`) })
      const rows: ResultRow[] = r.map((x) => ({
        name: `re-open (find + load every layer), ${x.backend}, ${x.dtype}, ${x.megabytes.toFixed(0)} MB`,
        value: x.reopenMs,
        unit: 'ms',
        target: `< ${STORE_TARGET_MS} ms`,
        ok: x.reopenMs < STORE_TARGET_MS && x.verified,
        note: `save ${x.saveMs.toFixed(0)} ms${x.verified ? '' : '; READ-BACK MISMATCH'}`,
      }))
      return result('store', 'Activation store', `${shape.texts} texts × ${shape.layers} layers × width ${shape.width}, median of ${shape.repeats}, in Node (fake-indexeddb)`, ctx, started, rows, r)
    },
  },
  {
    name: 'typicality',
    issue: 5,
    summary: 'the four moral-indifference diagnostics, 1,000 stimuli × 24 layers × width 1024 (target < 5 s)',
    run: async (ctx) => {
      const started = performance.now()
      const { benchTypicality, printTypicality, TYPICALITY_TARGET_MS } = await import('./typicality.bench.ts')
      const [n, layers, width] = ctx.quick ? [200, 4, 256] : [1000, 24, 1024]
      const r = await benchTypicality(n, layers, width)
      printTypicality(r, (l) => ctx.log(`  ${l}`))
      const rows: ResultRow[] = [
        {
          name: `all four diagnostics, ${n} stimuli × ${layers} layers × width ${width}`,
          value: r.wallMs / 1000,
          unit: 's',
          target: `< ${TYPICALITY_TARGET_MS / 1000} s`,
          ok: r.wallMs < TYPICALITY_TARGET_MS,
          note: `main-thread CPU ${(r.mainThreadMs / 1000).toFixed(2)} s; per layer median ${median(r.perLayerMs).toFixed(0)} ms`,
        },
      ]
      return result('typicality', 'Moral typicality diagnostics', `synthetic activations with a planted signal, seed 1, single thread (Node main thread)`, ctx, started, rows, r)
    },
  },
  {
    name: 'sae',
    issue: 7,
    summary:
      'SAE training (TopK, 896 → 7168, k 32, batch 1024): tokens/s vs the dense product (target ≥ 0.5×) and vs PyTorch (target ≤ 3×), peak memory (target ≤ 2×), WebGPU',
    run: async (ctx) => (await import('./sae.bench.ts')).runSaeBench(ctx),
  },
  {
    name: 'icm',
    issue: 8,
    summary: 'ICM over 64 claims on a realistic shape: forward passes per labelled item (target ≤ 4) and KV-prefix reuse vs scratch (target ≥ 2×)',
    run: async (ctx) => (await import('./icm.bench.ts')).runIcmBench(ctx),
  },
  {
    name: 'entanglement',
    issue: 6,
    summary: 'behavioural probe with KV-prefix reuse vs scoring each prompt from scratch (target ≥ 2×)',
    run: async (ctx) => (await import('./entanglement.bench.ts')).runEntanglementBench(ctx),
  },
]
