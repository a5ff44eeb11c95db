// Peak memory while opening a model (issue 3: at most 1.3× the model's file size), measured in a
// fresh child process per variant. The kernel's high-water mark (VmHWM, reset through
// /proc/self/clear_refs at every loader phase) gives the exact peak of each stage even while the
// main thread is busy inside onnxruntime; a worker thread also samples process RSS every 2 ms.
//
//   npx tsx bench/memory.bench.ts [--quick]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { BenchContext, ResultRow, SectionResult } from './lib/result.ts'
import { MEMORY_MODEL, QUICK_MEMORY_MODEL, buildModel, toExternalData, writeFolder } from './lib/models.ts'
import { machineInfo } from './lib/stats.ts'
import { isMain } from './lib/main.ts'

const TARGET = 1.3
const MB = 1e6

interface Stage {
  stage: string
  /** Peak RSS during the stage, above the baseline, in bytes. */
  peak: number
  /** RSS at the end of the stage, above the baseline. */
  end: number
  /** process.memoryUsage().arrayBuffers at the end, above the baseline. */
  arrayBuffers: number
  ms: number
}

interface ChildResult {
  variant: string
  fileBytes: number
  peak: number
  sampledPeak: number
  /** RSS above the baseline once the model is ready and garbage was collected. */
  retained: number
  stages: Stage[]
}

type Mode = 'lab' | 'lab-plain' | 'ort'

function status(): { rss: number; hwm: number } {
  const s = readFileSync('/proc/self/status', 'utf8')
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0). */
function resetPeak() {
  writeFileSync('/proc/self/clear_refs', '5')
}

function startSampler() {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads')
     let max = 0
     const tick = () => { max = Math.max(max, process.memoryUsage.rss()) }
     const timer = setInterval(tick, 2)
     parentPort.on('message', (m) => { if (m === 'reset') max = 0; else { tick(); parentPort.postMessage(max) } })`,
    { eval: true },
  )
  const ask = () =>
    new Promise<number>((resolve) => {
      worker.once('message', resolve)
      worker.postMessage('max')
    })
  return { reset: () => worker.postMessage('reset'), max: ask, stop: () => worker.terminate() }
}

const gc = () => (globalThis as { gc?: () => void }).gc?.()
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function child(dir: string, mode: Mode): Promise<ChildResult> {
  const ort = await import('onnxruntime-web')
  const { loadCausalLM } = await import('../src/core/model/loader.ts')
  const { NodeDirSource } = await import('../src/cli/node-source.ts')
  const { nodeEnvironment } = await import('../src/cli/model.ts')
  const { GraphBuilder, DataType } = await import('../src/core/onnx/builder.ts')
  const { encodeModel } = await import('../src/core/onnx/proto.ts')
  ort.env.logLevel = 'error'
  // Start the WASM runtime first: its own heap is part of the baseline, not of the model.
  const g = new GraphBuilder()
  g.output(g.op('Identity', [g.input('x', DataType.FLOAT, [1])], {}, { outputs: ['y'] }), DataType.FLOAT, [1])
  await (await ort.InferenceSession.create(encodeModel(g.model()), { executionProviders: ['wasm'] })).release()
  const source = new NodeDirSource(dir)
  const files = await source.list()
  const fileBytes = files.filter((f) => f.path.startsWith('onnx/')).reduce((s, f) => s + f.size, 0)
  const sampler = startSampler()
  await settle()
  const base = { ...status(), ab: process.memoryUsage().arrayBuffers }
  resetPeak()
  sampler.reset()
  const stages: Stage[] = []
  let current = 'read files'
  let t0 = performance.now()
  const mark = (next: string) => {
    const s = status()
    stages.push({ stage: current, peak: s.hwm - base.rss, end: s.rss - base.rss, arrayBuffers: process.memoryUsage().arrayBuffers - base.ab, ms: performance.now() - t0 })
    resetPeak()
    current = next
    t0 = performance.now()
  }
  let release: () => Promise<void>
  if (mode === 'ort') {
    // The floor: onnxruntime-web alone, given the files' bytes.
    const onnx = (await source.read('onnx/model.onnx'))!
    const data = await source.read('onnx/model.onnx_data', { optional: true })
    mark('onnxruntime session')
    const session = await ort.InferenceSession.create(onnx, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
      ...(data ? { externalData: [{ path: 'model.onnx_data', data }] } : {}),
    })
    mark('done')
    release = () => session.release()
  } else {
    const model = await loadCausalLM(source, {
      ort,
      env: nodeEnvironment(),
      device: 'wasm',
      instrument: mode === 'lab',
      onProgress: (p) => {
        if (p.phase === 'graph' && p.message.startsWith('Reading the graph')) mark('decode graph')
        else if (p.phase === 'graph' && p.message.startsWith('Locating')) mark('locate, lens, instrument, encode')
        else if (p.phase === 'session') mark('onnxruntime session')
      },
    })
    mark('done')
    release = () => model.dispose()
  }
  const sampledPeak = (await sampler.max()) - base.rss
  await settle()
  const retained = status().rss - base.rss
  await release()
  await sampler.stop()
  return {
    variant: mode,
    fileBytes,
    peak: Math.max(...stages.map((s) => s.peak)),
    sampledPeak,
    retained,
    stages,
  }
}

function runChild(dir: string, mode: Mode): ChildResult {
  const file = fileURLToPath(import.meta.url)
  const out = execFileSync(process.execPath, ['--expose-gc', ...process.execArgv, file, '--child', dir, mode], { encoding: 'utf8', maxBuffer: 1 << 24 })
  const line = out.split('\n').find((l) => l.startsWith('RESULT '))
  if (!line) throw new Error(`memory child (${mode}, ${dir}) printed no result:\n${out}`)
  return JSON.parse(line.slice(7)) as ChildResult
}

export async function runMemoryBench(ctx: BenchContext): Promise<SectionResult> {
  const started = performance.now()
  const def = ctx.quick ? QUICK_MEMORY_MODEL : MEMORY_MODEL
  ctx.log(`memory: generating ${def.id} (${def.description})`)
  const dirs = (() => {
    const build = buildModel(def)
    const inline = writeFolder(join(ctx.tmp, `${def.id}-inline`), build.files)
    const files = new Map(build.files)
    const ext = toExternalData(build.files.get('onnx/model.onnx')!)
    files.set('onnx/model.onnx', ext.onnx)
    files.set('onnx/model.onnx_data', ext.data)
    const external = writeFolder(join(ctx.tmp, `${def.id}-external`), files)
    return { inline, external }
  })()
  const variants: { label: string; dir: string; mode: Mode; target: boolean }[] = [
    { label: 'inline weights: lab loader (instrumented)', dir: dirs.inline, mode: 'lab', target: true },
    { label: 'external data: lab loader (instrumented)', dir: dirs.external, mode: 'lab', target: true },
    { label: 'inline weights: lab loader, instrument:false', dir: dirs.inline, mode: 'lab-plain', target: false },
    { label: 'inline weights: onnxruntime-web alone (floor)', dir: dirs.inline, mode: 'ort', target: false },
    { label: 'external data: onnxruntime-web alone (floor)', dir: dirs.external, mode: 'ort', target: false },
  ]
  const results: (ChildResult & { label: string })[] = []
  for (const v of variants) {
    ctx.log(`memory: ${v.label}`)
    const r = runChild(v.dir, v.mode)
    results.push({ ...r, label: v.label })
    ctx.log(
      `  file ${(r.fileBytes / MB).toFixed(0)} MB, peak ${(r.peak / MB).toFixed(0)} MB = ${(r.peak / r.fileBytes).toFixed(2)}× ` +
        `(sampled ${(r.sampledPeak / r.fileBytes).toFixed(2)}×), retained ${(r.retained / r.fileBytes).toFixed(2)}×; ` +
        r.stages.map((s) => `${s.stage} ${(s.peak / MB).toFixed(0)}`).join(', ') + ' MB',
    )
  }
  const rows: ResultRow[] = results.map((r, i) => {
    const v = variants[i]
    const x = r.peak / r.fileBytes
    return {
      name: `peak RSS opening a model, ${r.label}`,
      value: x,
      unit: '× file size',
      ...(v.target ? { target: `≤ ${TARGET}×`, ok: x <= TARGET } : {}),
      note: `${(r.fileBytes / MB).toFixed(0)} MB files; retained after load ${(r.retained / r.fileBytes).toFixed(2)}×`,
    }
  })
  return {
    section: 'memory',
    title: 'Peak memory while opening a model',
    setup: `${def.id} (${def.description}), fp32, as one .onnx with inline weights and as .onnx + model.onnx_data; each variant in a fresh Node process; RSS above the baseline after the WASM runtime started`,
    quick: ctx.quick,
    date: new Date().toISOString(),
    machine: machineInfo(),
    versions: {},
    durationS: (performance.now() - started) / 1000,
    rows,
    details: results,
  }
}

if (isMain(import.meta.url)) {
  if (process.argv[2] === '--child') {
    const r = await child(process.argv[3], process.argv[4] as Mode)
    console.log(`RESULT ${JSON.stringify(r)}`)
  } else {
    const tmp = mkdtempSync(join(tmpdir(), 'moral-lens-bench-'))
    try {
      const r = await runMemoryBench({ quick: process.argv.includes('--quick'), log: (l) => console.log(l), tmp })
      console.log(JSON.stringify(r.rows, null, 2))
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  }
}
