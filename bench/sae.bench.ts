// Issue 7's performance requirements for SAE training at width 896, 8× expansion, k = 32, batch
// 1024, as the `sae` section of `npm run bench`:
// - training throughput (tokens/s) on the CPU/WASM path, side by side with the dense product of the
//   encoder's shape (1024×896 · 896×7168) on the same backend (target: at least half its throughput);
// - the same step in PyTorch on the CPU (bench/sae_torch.py) when a python3 with torch is found
//   (target: our step within 3× of PyTorch's), after checking on a small shape that both compute
//   the same step;
// - peak memory of trainSae in a fresh process against weights + Adam state + one batch (target ≤ 2×);
// - WebGPU (bench/sae-webgpu.bench.ts, in a child process): tokens/s at the issue's shape on a real
//   GPU; on a software adapter (SwiftShader) only a small-shape run, labelled as not a GPU timing.
//
//   npx tsx bench/sae.bench.ts [--steps 5] [--threads 1,2] [--aux] [--no-js]     (timings only)
//   npx tsx bench/sae.bench.ts --section [--quick]                               (the whole section)
//
// --no-js skips the slow pure-JavaScript reference path.
// Each onnxruntime thread count runs in its own child process (ort.env.wasm.numThreads is fixed
// once the runtime has started). --aux adds a run in which half the latents are dead, so AuxK
// uses its full k_aux = d_in / 2 = 448 latents per token.
// PyTorch: $PYTHON if set (only that), else the first of python3 and /usr/bin/python3 that can import torch
// (with pyenv, `python3` is often not the interpreter Debian's python3-torch is installed for).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-web'
import { GraphBuilder } from '../src/core/onnx/builder.ts'
import { DataType, encodeModel } from '../src/core/onnx/proto.ts'
import { Rng } from '../src/core/random.ts'
import { createCpuKernels, matmulNT } from '../src/core/sae/cpu.ts'
import type { SaeKernels } from '../src/core/sae/kernels.ts'
import { createSae } from '../src/core/sae/model.ts'
import { createOrtMatmul } from '../src/core/sae/ortMatmul.ts'
import { allocTrainingState, forwardBackward, optimizerStep, readParams, writeParams } from '../src/core/sae/step.ts'
import { arraySource, trainSae } from '../src/core/sae/train.ts'
import type { BenchContext, ResultRow, SectionResult } from './lib/result.ts'
import { machineInfo } from './lib/stats.ts'
import { isMain } from './lib/main.ts'

const B = 1024
const D_IN = 896
const D_SAE = 8 * D_IN
const K = 32
const weightsMiB = ((2 * D_SAE * D_IN + D_SAE + D_IN) * 4) / 2 ** 20

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}
const has = (name: string) => process.argv.includes(`--${name}`)

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Median wall time of `reps` calls after one warm-up call (JIT, runtime allocations). */
async function time(reps: number, f: () => unknown): Promise<number> {
  await f()
  const ms: number[] = []
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now()
    await f()
    ms.push(performance.now() - t0)
  }
  return median(ms)
}

/** Wraps every kernel call to accumulate its wall time. */
function timed(kernels: SaeKernels, totals: Map<string, number>): SaeKernels {
  return new Proxy(kernels, {
    get(target, prop) {
      const f = (target as unknown as Record<string | symbol, unknown>)[prop]
      if (typeof f !== 'function') return f
      return (...args: unknown[]) => {
        const t0 = performance.now()
        const done = () => totals.set(String(prop), (totals.get(String(prop)) ?? 0) + performance.now() - t0)
        const r = f.apply(target, args)
        if (r instanceof Promise) return r.then((v) => (done(), v))
        done()
        return r
      }
    },
  }) as SaeKernels
}

interface TrainTiming {
  /** Median over the timed steps. */
  msPerStep: number
  tokensPerSecond: number
  /** Mean per step. */
  breakdown: [string, number][]
  /** Bytes of all buffers the trainer allocated through the kernels. */
  stateBytes: number
}

async function trainSteps(kernels: SaeKernels, steps: number, deadLatents: number): Promise<TrainTiming> {
  const totals = new Map<string, number>()
  const K_ = timed(kernels, totals)
  const rng = new Rng(1)
  const sae = createSae({ dIn: D_IN, dSae: D_SAE, architecture: 'topk', k: K, decoderInitNorm: 0.1, normalizeDecoder: true }, rng)
  const s = allocTrainingState(K_, { batch: B, dIn: D_IN, dSae: D_SAE, architecture: 'topk', k: K, kAux: D_IN / 2 })
  await writeParams(s, sae)
  const batch = Float32Array.from({ length: B * D_IN }, () => rng.normal())
  const dead = new Float32Array(D_SAE)
  for (let i = 0; i < deadLatents; i++) dead[(i * 2) % D_SAE] = 1
  await K_.write(s.dead, dead)
  const step = async () => {
    await K_.write(s.x, batch)
    await forwardBackward(s, { numDead: deadLatents, auxLossCoefficient: 1, l1Coefficient: 0 })
    await optimizerStep(s, { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, gradClipNorm: 1, normalizeDecoder: true })
  }
  await step()
  totals.clear()
  const ms: number[] = []
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now()
    await step()
    ms.push(performance.now() - t0)
  }
  const breakdown = [...totals.entries()].map(([k, v]): [string, number] => [k, v / steps]).sort((a, b) => b[1] - a[1])
  const bufs = [s.x, s.dead, s.fired, s.xc, s.pre, s.val, s.gVal, s.xhat, s.err, s.rowSq, s.rowL1, s.auxVal, s.auxGVal, s.auxRecon, s.auxErr, s.auxRowSq]
  for (const set of [s.params, s.grads, s.adamM, s.adamV]) bufs.push(...Object.values(set))
  const stateBytes = bufs.reduce((a, b) => a + b.byteLength, 0) + (s.idx?.byteLength ?? 0) + s.auxIdx.byteLength
  const m = median(ms)
  return { msPerStep: m, tokensPerSecond: (B * 1000) / m, breakdown, stateBytes }
}

async function child(threads: number, steps: number, aux: boolean, js: boolean) {
  ort.env.wasm.numThreads = threads
  const rng = new Rng(2)
  const x = Float32Array.from({ length: B * D_IN }, () => rng.normal())
  const wT = Float32Array.from({ length: D_SAE * D_IN }, () => rng.normal() * 0.03)
  const w = new Float32Array(D_IN * D_SAE)
  for (let i = 0; i < D_SAE; i++) for (let d = 0; d < D_IN; d++) w[d * D_SAE + i] = wT[i * D_IN + d]
  const bias = new Float32Array(D_SAE)
  const out = new Float32Array(B * D_SAE)

  // the Gemm (transB) the trainer injects, including the copies in and out of the wasm heap
  const gemm = await createOrtMatmul(ort)
  const result: Record<string, unknown> = { threads }
  result.trainOrt = await trainSteps(createCpuKernels({ matmul: gemm.matmul, encodeTopK: gemm.encodeTopK }), steps, 0)
  if (aux) result.trainOrtAux = await trainSteps(createCpuKernels({ matmul: gemm.matmul, encodeTopK: gemm.encodeTopK }), Math.max(1, steps - 2), D_SAE / 2)
  result.ortGemmMs = await time(5, () => gemm.matmul(x, wT, bias, out, B, D_IN, D_SAE))
  await gemm.release()

  // (ii) onnxruntime-web wasm: a one-node MatMul, x [B, d_in] · W [d_in, d_sae]
  const g = new GraphBuilder('matmul')
  g.output(g.op('MatMul', [g.input('x', DataType.FLOAT, [B, D_IN]), g.input('w', DataType.FLOAT, [D_IN, D_SAE])]), DataType.FLOAT, [B, D_SAE])
  const session = await ort.InferenceSession.create(encodeModel(g.model({ opset: 17 })), { executionProviders: ['wasm'] })
  const feeds = { x: new ort.Tensor('float32', x, [B, D_IN]), w: new ort.Tensor('float32', w, [D_IN, D_SAE]) }
  result.ortMatMulMs = await time(5, async () => (await session.run(feeds))[session.outputNames[0]].dispose())
  await session.release()

  if (threads === 1 && js) {
    // (i) the built-in JS product (single-threaded, independent of the ORT thread count)
    result.jsMatmulMs = await time(2, () => matmulNT(x, wT, bias, out, B, D_IN, D_SAE))
    result.trainJs = await trainSteps(createCpuKernels(), Math.max(1, steps - 2), 0)
  }
  result.rssMiB = process.memoryUsage().rss / 2 ** 20
  console.log(`RESULT ${JSON.stringify(result)}`)
}

function fmt(n: number, digits = 0) {
  return n.toFixed(digits).padStart(8)
}

export interface SaeBenchOptions {
  steps?: number
  threads?: number[]
  aux?: boolean
  /** Also time the pure-JavaScript path (slow; default true). */
  js?: boolean
  log?: (line: string) => void
}

/** One child result per thread count (timings in ms, see `child`). */
export interface SaeBenchThreadResult {
  threads: number
  ortMatMulMs: number
  ortGemmMs: number
  jsMatmulMs?: number
  trainOrt: TrainTiming
  trainOrtAux?: TrainTiming
  trainJs?: TrainTiming
  rssMiB: number
}

export const SAE_SHAPE = { batch: B, dIn: D_IN, dSae: D_SAE, k: K }

export async function benchSae(opts: SaeBenchOptions = {}): Promise<SaeBenchThreadResult[]> {
  const steps = opts.steps ?? 5
  const aux = opts.aux ?? false
  const js = opts.js ?? true
  const log = opts.log ?? console.log
  const threadCounts = opts.threads ?? (os.cpus().length > 1 ? [1, 2] : [1])
  const file = fileURLToPath(import.meta.url)
  log(`SAE training benchmark: d_in ${D_IN}, d_sae ${D_SAE} (8×), k ${K}, batch ${B}, ${steps} timed steps`)
  log(`${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, Node ${process.version}, onnxruntime-web ${ort.env.versions.web ?? ''}`)
  log(`weights ${weightsMiB.toFixed(0)} MiB, Adam state ${(2 * weightsMiB).toFixed(0)} MiB, batch ${(B * D_IN * 4 / 2 ** 20).toFixed(1)} MiB\n`)

  const results: SaeBenchThreadResult[] = []
  for (const threads of threadCounts) {
    const childArgs = ['--child', '--threads', String(threads), '--steps', String(steps), ...(aux ? ['--aux'] : []), ...(js ? [] : ['--no-js'])]
    const outText = execFileSync(process.execPath, [...process.execArgv, file, ...childArgs], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    })
    const line = outText.split('\n').find((l) => l.startsWith('RESULT '))
    if (!line) throw new Error(`benchmark child (threads=${threads}) printed no result:\n${outText}`)
    const r = JSON.parse(line.slice(7)) as SaeBenchThreadResult
    results.push(r)
    const tok = (ms: number) => (B * 1000) / ms
    log(`— onnxruntime-web wasm, ${threads} thread(s) —`)
    const best = Math.min(r.ortMatMulMs, r.ortGemmMs, r.jsMatmulMs ?? Infinity)
    const rows: [string, number][] = [
      ['dense MatMul (ORT wasm)', r.ortMatMulMs],
      ['dense Gemm NT (ORT, with copies)', r.ortGemmMs],
    ]
    if (r.jsMatmulMs) rows.push(['dense matmulNT (own JS)', r.jsMatmulMs])
    for (const [name, ms] of rows) log(`  ${name.padEnd(40)} ${fmt(ms)} ms ${fmt(tok(ms))} tokens/s`)
    const trains: [string, TrainTiming | undefined][] = [
      ['train step, sparse CPU + ORT encoder', r.trainOrt],
      ['train step, sparse CPU + ORT, AuxK 448', r.trainOrtAux],
      ['train step, sparse CPU, JS encoder', r.trainJs],
    ]
    for (const [name, t] of trains) {
      if (!t) continue
      log(
        `  ${name.padEnd(40)} ${fmt(t.msPerStep)} ms ${fmt(t.tokensPerSecond)} tokens/s  = ${fmt((100 * best) / t.msPerStep, 1)} % of the fastest dense product`,
      )
      log(`      ${t.breakdown.filter(([, v]) => v >= 1).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')} (ms/step)`)
    }
    if (r.trainJs)
      log(`  JS-only path vs own JS matmul: ${fmt((100 * r.jsMatmulMs!) / r.trainJs.msPerStep, 1)} %`)
    const budget = 2 * (weightsMiB * 3 + (B * D_IN * 4) / 2 ** 20)
    log(
      `  trainer buffers ${(r.trainOrt.stateBytes / 2 ** 20).toFixed(0)} MiB (budget 2 × (weights + Adam + batch) = ${budget.toFixed(0)} MiB), process RSS ${r.rssMiB.toFixed(0)} MiB\n`,
    )
  }
  return results
}

// ---------------------------------------------------------------------------------------------
// Memory: peak RSS of trainSae (what the SAE worker runs) in a fresh process.

/** The issue's memory yardstick, fp32: weights (encoder, decoder, both biases), Adam's m and v for all of them, one batch. */
export function modelBytes(shape: { batch: number; dIn: number; dSae: number } = SAE_SHAPE) {
  const weights = (2 * shape.dSae * shape.dIn + shape.dSae + shape.dIn) * 4
  const batch = shape.batch * shape.dIn * 4
  return { weights, adam: 2 * weights, batch, total: 3 * weights + batch }
}

/**
 * Bytes of every buffer allocTrainingState makes for a TopK SAE (what trainSteps' stateBytes counts):
 * parameters, gradients, Adam m and v, and the per-batch activations (x, xc, x̂, error, pre-activations
 * [batch, d_sae], the sparse codes and the AuxK buffers).
 */
/** `fused`: kernels with encodeTopK keep no [batch, d_sae] pre-activations on the host. */
export function trainerBufferBytes(
  shape: { batch: number; dIn: number; dSae: number; k: number } = SAE_SHAPE,
  kAux = Math.floor(shape.dIn / 2),
  fused = false,
): number {
  const { batch: b, dIn, dSae, k } = shape
  const weights = 2 * dSae * dIn + dSae + dIn
  return 4 * (4 * weights + 6 * b * dIn + (fused ? 0 : b * dSae) + 3 * b * k + 2 * dSae + 3 * b + 3 * b * kAux)
}

/**
 * Bytes onnxruntime-web's WASM heap holds for one encoder product: its inputs (batch, encoder, bias)
 * and the [batch, d_sae] pre-activations (the Gemm's output, or inside the fused Gemm + TopK graph).
 */
export function gemmHeapBytes(shape: { batch: number; dIn: number; dSae: number } = SAE_SHAPE): number {
  return 4 * (shape.batch * shape.dIn + shape.dSae * shape.dIn + shape.dSae + shape.batch * shape.dSae)
}

/**
 * Rows of training data in the memory run, allocated before the baseline (the corpus is not part of
 * the budget). At least cfg.normEstimateTokens (65,536), so that trainSae's normalisation sample is
 * as large as with a real corpus (the lab's corpora have up to ~300k tokens).
 */
const MEMORY_SOURCE_ROWS = 65536

function procStatus(): { rss: number; hwm: number } {
  const s = readFileSync('/proc/self/status', 'utf8')
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0); false where that is not possible. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
    return true
  } catch {
    return false
  }
}

async function settle() {
  for (let i = 0; i < 3; i++) {
    ;(globalThis as { gc?: () => void }).gc?.()
    await new Promise((r) => setTimeout(r, 20))
  }
}

export interface SaeMemoryStage {
  stage: string
  /** Peak RSS during the stage above the baseline (bytes). */
  peak: number
  /** RSS at its end above the baseline. */
  end: number
  /** Live ArrayBuffer bytes (process.memoryUsage().arrayBuffers; not the WASM memory) at its end, above the baseline. */
  arrayBuffers: number
  /** V8 heap in use at its end, above the baseline. */
  heapUsed: number
}

export interface SaeMemoryResult {
  kernels: 'ort' | 'js'
  steps: number
  sourceRows: number
  /** RSS when training started: the runtime (and onnxruntime's Gemm session) up, the training data allocated. */
  baseline: number
  /** Highest RSS above the baseline while trainSae ran. */
  peak: number
  /** RSS above the baseline once trainSae returned (the trained weights in hand) and garbage was collected. */
  retained: number
  stages: SaeMemoryStage[]
  /** False when VmHWM could not be reset per stage (then the peak may predate the baseline). */
  exact: boolean
}

async function memoryChild(kind: 'ort' | 'js', steps: number): Promise<void> {
  ort.env.logLevel = 'error'
  ort.env.wasm.numThreads = 1
  let gemm: Awaited<ReturnType<typeof createOrtMatmul>> | null = null
  if (kind === 'ort') {
    // As the worker: one Gemm session, created before training. Its (tiny) first run starts the WASM runtime.
    gemm = await createOrtMatmul(ort)
    await gemm.matmul(new Float32Array(1), new Float32Array(1), new Float32Array(1), new Float32Array(1), 1, 1, 1)
  }
  const rng = new Rng(3)
  const data = new Float32Array(MEMORY_SOURCE_ROWS * D_IN)
  for (let i = 0; i < data.length; i++) data[i] = rng.normal()
  await settle()
  const base = { ...procStatus(), ...process.memoryUsage() }
  const exact = resetPeak()
  const stages: SaeMemoryStage[] = []
  let phase = 'initialise (normalisation and b_dec samples, initial weights, trainer buffers)'
  const mark = (next: string) => {
    const s = procStatus()
    const u = process.memoryUsage()
    stages.push({ stage: phase, peak: s.hwm - base.rss, end: s.rss - base.rss, arrayBuffers: u.arrayBuffers - base.arrayBuffers, heapUsed: u.heapUsed - base.heapUsed })
    resetPeak()
    phase = next
  }
  let first = true
  const trained = await trainSae(arraySource(data, D_IN), { batchSize: B, k: K, expansionFactor: 8, steps, logEvery: 1, seed: 0 }, {
    // what workers/sae.worker.ts passes
    kernels: createCpuKernels({ matmul: gemm?.matmul, encodeTopK: gemm?.encodeTopK, yieldEveryMs: 30 }),
    pauseGate: () => {
      if (first) mark('step 1')
      first = false
    },
    onStep: (m) => mark(m.step < steps ? `step ${m.step + 1}` : 'finish (read back the weights)'),
  })
  mark('')
  await settle()
  const retained = procStatus().rss - base.rss
  if (trained.stepsCompleted !== steps) throw new Error(`memory run: ${trained.stepsCompleted} of ${steps} steps`)
  await gemm?.release()
  const result: SaeMemoryResult = {
    kernels: kind,
    steps,
    // read from the corpus itself, which keeps it alive to here: its being collected must not pass for training's memory going down
    sourceRows: data.length / D_IN,
    baseline: base.rss,
    peak: Math.max(...stages.map((s) => s.peak)),
    retained,
    stages,
    exact,
  }
  console.log(`RESULT ${JSON.stringify(result)}`)
}

function runChild(args: string[], nodeArgs: string[] = []): string {
  const file = fileURLToPath(import.meta.url)
  const out = execFileSync(process.execPath, [...process.execArgv, ...nodeArgs, file, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 })
  const line = out.split('\n').find((l) => l.startsWith('RESULT '))
  if (!line) throw new Error(`benchmark child (${args.join(' ')}) printed no result:\n${out}`)
  return line.slice(7)
}

/** Peak RSS growth of trainSae (issue shape, `steps` steps) in a fresh process. */
export function benchSaeMemory(kind: 'ort' | 'js', steps: number): SaeMemoryResult {
  return JSON.parse(runChild(['--memory', kind, '--steps', String(steps)], ['--expose-gc'])) as SaeMemoryResult
}

// ---------------------------------------------------------------------------------------------
// PyTorch (bench/sae_torch.py).

const TORCH_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'sae_torch.py')

export type TorchPython = { ok: true; python: string; torch: string } | { ok: false; reason: string }

/** $PYTHON when set, else the first of python3 and /usr/bin/python3 that imports torch. */
export function findTorchPython(): TorchPython {
  const candidates = process.env.PYTHON ? [process.env.PYTHON] : ['python3', '/usr/bin/python3']
  const tried: string[] = []
  for (const python of candidates) {
    try {
      const torch = execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim()
      return { ok: true, python, torch }
    } catch (e) {
      tried.push(`${python}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : 'cannot import torch'}`)
    }
  }
  return { ok: false, reason: `PyTorch is not installed (${tried.join('; ')}); on Debian: apt-get install python3-torch libopenblas0-openmp` }
}

export interface TorchStepTiming {
  variant: 'dense' | 'sparse'
  threads: number
  msPerStep: number
  tokensPerSecond: number
  ms: number[]
  cpuMsPerStep: number
}

export interface TorchBenchResult {
  torch: string
  python: string
  executable: string
  /** Shared libraries with 'blas' in their name that torch loaded. */
  blas: string[]
  steps: number
  warmup: number
  results: TorchStepTiming[]
  /** The encoder's dense product alone (torch.addmm), per thread count. */
  matmul: { threads: number; ms: number }[]
}

export function benchSaeTorch(python: string, opts: { threads: number[]; steps: number; warmup: number; numDead?: number }): TorchBenchResult {
  const args = [TORCH_SCRIPT, '--threads', opts.threads.join(','), '--steps', String(opts.steps), '--warmup', String(opts.warmup), '--num-dead', String(opts.numDead ?? 0)]
  const out = execFileSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24, timeout: 600_000, stdio: ['ignore', 'pipe', 'pipe'] })
  return JSON.parse(out) as TorchBenchResult
}

/** A short name for the BLAS torch loaded (e.g. 'openblas-openmp', 'reference BLAS'). */
export function blasName(libs: string[]): string {
  const dirs = libs.map((l) => l.split('/').at(-2) ?? '')
  const named = dirs.find((d) => /openblas|blis|atlas|mkl/i.test(d)) ?? libs.map((l) => l.split('/').at(-1) ?? '').find((f) => /openblas|blis|atlas|mkl/i.test(f))
  if (named) return named
  return libs.some((l) => /\/blas\/libblas\.so/.test(l)) ? 'reference BLAS (slow; install OpenBLAS)' : libs.length ? libs.map((l) => l.split('/').at(-1)).join(', ') : 'bundled'
}

export interface TorchCheck {
  shape: { dIn: number; dSae: number; batch: number; k: number; kAux: number }
  steps: number
  numDead: number
  variants: { variant: string; maxParamDiff: number; maxLossRelDiff: number }[]
}

/**
 * Runs `steps` steps of step.ts (CPU kernels) and of sae_torch.py from the same weights and batches
 * on a small shape with AuxK active, and compares the losses and the final parameters.
 */
export async function checkTorchEquivalence(python: string): Promise<TorchCheck> {
  const shape = { dIn: 64, dSae: 512, batch: 64, k: 8, kAux: 32 }
  const steps = 3
  const numDead = 100
  const { dIn, dSae, batch, k, kAux } = shape
  const rng = new Rng(5)
  const sae = createSae({ dIn, dSae, architecture: 'topk', k, decoderInitNorm: 0.1, normalizeDecoder: true }, rng)
  for (let i = 0; i < dSae; i++) sae.bEnc[i] = 0.01 * rng.normal()
  for (let d = 0; d < dIn; d++) sae.bDec[d] = 0.1 * rng.normal()
  const batches = Array.from({ length: steps }, () => Float32Array.from({ length: batch * dIn }, () => rng.normal()))
  const dead = new Float32Array(dSae)
  for (let i = 0; i < numDead; i++) dead[2 * i] = 1

  const Kc = createCpuKernels()
  const s = allocTrainingState(Kc, { batch, dIn, dSae, architecture: 'topk', k, kAux })
  await writeParams(s, sae)
  const ours: { mse: number; aux: number }[] = []
  for (const x of batches) {
    await Kc.write(s.x, x)
    await Kc.write(s.dead, dead)
    const l = await forwardBackward(s, { numDead, auxLossCoefficient: 1, l1Coefficient: 0 })
    await optimizerStep(s, { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, gradClipNorm: 1, normalizeDecoder: true })
    ours.push({ mse: l.mseLoss, aux: l.auxLoss })
  }
  const p = await readParams(s)

  const dir = mkdtempSync(join(os.tmpdir(), 'sae-torch-check-'))
  try {
    const parts = [sae.encoder, sae.bEnc, sae.decoder, sae.bDec, ...batches, dead]
    const flat = new Float32Array(parts.reduce((n, a) => n + a.length, 0))
    let o = 0
    for (const a of parts) {
      flat.set(a, o)
      o += a.length
    }
    writeFileSync(join(dir, 'in.bin'), flat)
    const args = [TORCH_SCRIPT, '--check', dir, '--d-in', String(dIn), '--d-sae', String(dSae), '--batch', String(batch), '--k', String(k), '--k-aux', String(kAux), '--steps', String(steps)]
    const out = JSON.parse(execFileSync(python, args, { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] })) as {
      check: Record<string, { mse: number[]; aux: number[] }>
    }
    const variants = Object.entries(out.check).map(([variant, losses]) => {
      const bytes = readFileSync(join(dir, `out-${variant}.bin`))
      const theirs = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
      let maxParamDiff = 0
      let q = 0
      for (const a of [p.encoder, p.bEnc, p.decoder, p.bDec])
        for (let i = 0; i < a.length; i++) maxParamDiff = Math.max(maxParamDiff, Math.abs(a[i] - theirs[q++]))
      if (q !== theirs.length) throw new Error(`torch check: ${theirs.length} parameters back, expected ${q}`)
      let maxLossRelDiff = 0
      ours.forEach((l, i) => {
        maxLossRelDiff = Math.max(maxLossRelDiff, Math.abs(l.mse - losses.mse[i]) / Math.abs(l.mse), Math.abs(l.aux - losses.aux[i]) / Math.abs(l.aux))
      })
      return { variant, maxParamDiff, maxLossRelDiff }
    })
    return { shape, steps, numDead, variants }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------------------------------------
// WebGPU (bench/sae-webgpu.bench.ts in a child process: Dawn keeps its instances alive).

export type SaeWebGpuOutcome = { ok: true; result: import('./sae-webgpu.bench.ts').SaeWebGpuBenchResult } | { ok: false; reason: string }

export function benchSaeWebGpuChild(steps: number, log: (l: string) => void): SaeWebGpuOutcome {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'sae-webgpu.bench.ts')
  let out: string
  try {
    out = execFileSync(process.execPath, [...process.execArgv, file, '--result', '--steps', String(steps), '--cpu', 'fallback'], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      timeout: 300_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string }
    const why = (err.stderr ?? '').split('\n').find((l) => /sae-webgpu bench:|No WebGPU adapter/.test(l)) ?? err.message.split('\n')[0]
    return { ok: false, reason: why.replace(/^.*?(sae-webgpu bench: |Error: )/, '').trim() }
  }
  for (const l of out.split('\n')) if (l && !l.startsWith('RESULT ')) log(l)
  const line = out.split('\n').find((l) => l.startsWith('RESULT '))
  if (!line) return { ok: false, reason: 'the WebGPU benchmark printed no result' }
  return { ok: true, result: JSON.parse(line.slice(7)) }
}

/**
 * Rows for the WebGPU run: tokens/s at the issue's shape on a real GPU; on a fallback (software)
 * adapter only the small shape's step time, labelled as no GPU timing; 'skipped' with the reason
 * when there was no adapter.
 */
export function webGpuRows(gpu: SaeWebGpuOutcome): ResultRow[] {
  if (!gpu.ok) return [{ name: 'training on WebGPU', value: NaN, unit: '', display: 'skipped', note: gpu.reason }]
  const g = gpu.result
  const a = g.adapter
  const shape = `d_in ${g.shape.dIn}, d_sae ${g.shape.dSae}, k ${g.shape.k}, batch ${g.shape.batch}`
  const counts = `${g.webgpu.dispatchesPerStep} dispatches, ${g.webgpu.submitsPerStep} submissions, ${g.webgpu.readbacksPerStep} readbacks per step`
  if (a.isFallbackAdapter)
    return [
      {
        name: `train step on WebGPU, software adapter (SwiftShader): not a GPU timing; correctness-sized shape ${shape}`,
        value: g.webgpu.msPerStep,
        unit: 'ms',
        note: `${a.vendor} ${a.architecture} ${a.description}, CPU emulation; ${counts}${g.cpu ? `; the CPU kernels on the same shape: ${g.cpu.msPerStep.toFixed(1)} ms` : ''}`,
      },
    ]
  const name = `${a.vendor} ${a.architecture} ${a.description}`.trim() || 'adapter'
  const isIssueShape = g.shape.dIn === D_IN && g.shape.dSae === D_SAE && g.shape.batch === B && g.shape.k === K
  const gpuRatio = (g.webgpu.gpuMiB * 2 ** 20) / modelBytes(g.shape).total
  return [
    { name: `training throughput, WebGPU (${name}), ${shape}`, value: g.webgpu.tokensPerSecond, unit: 'tokens/s', note: `${g.webgpu.msPerStep.toFixed(1)} ms per step; ${counts}` },
    { name: 'dense encoder product alone on the same device', value: (g.shape.batch * 1000) / g.denseEncodeMs, unit: 'tokens/s', note: `${g.denseEncodeMs.toFixed(1)} ms` },
    { name: 'WebGPU training throughput relative to that dense product', value: g.denseEncodeMs / g.webgpu.msPerStep, unit: '×' },
    {
      name: 'GPU buffers while training / (weights + Adam state + one batch)',
      value: gpuRatio,
      unit: '×',
      ...(isIssueShape ? { target: '≤ 2×', ok: gpuRatio <= 2 } : {}),
      note: `${g.webgpu.gpuMiB.toFixed(0)} MiB of GPU buffers${isIssueShape ? '' : ' (not the issue’s shape: recorded)'}`,
    },
  ]
}

// ---------------------------------------------------------------------------------------------
// The `sae` section of npm run bench.

const MB = 1e6

export async function runSaeBench(ctx: BenchContext): Promise<SectionResult> {
  const started = performance.now()
  const log = (l: string) => ctx.log(`  ${l}`)
  const quick = ctx.quick
  const steps = quick ? 1 : 5
  const threads = quick ? [1] : os.cpus().length > 1 ? [1, 2] : [1]
  const js = !quick
  const rows: ResultRow[] = []
  const tok = (ms: number) => (B * 1000) / ms

  // 1. The CPU/WASM path and the dense products on this backend.
  const cpu = await benchSae({ steps, threads, js, log })
  for (const t of cpu) {
    const dense: [string, number][] = [
      ['onnxruntime-web MatMul', t.ortMatMulMs],
      ['onnxruntime-web Gemm (transB, with the copies in and out)', t.ortGemmMs],
      ...(t.jsMatmulMs ? [['own JS matmulNT', t.jsMatmulMs] as [string, number]] : []),
    ]
    const [bestName, bestMs] = dense.reduce((a, b) => (b[1] < a[1] ? b : a))
    const encodeMs = t.trainOrt.breakdown.find(([k]) => k === 'encode' || k === 'encodeTopK')?.[1]
    rows.push({
      name: `training throughput, CPU/WASM path (sparse kernels, onnxruntime-web Gemm + TopK for the encoder), ${t.threads} thread(s)`,
      value: t.trainOrt.tokensPerSecond,
      unit: 'tokens/s',
      note: `${t.trainOrt.msPerStep.toFixed(0)} ms per step${encodeMs ? `, of which the encoder's Gemm + top k ${encodeMs.toFixed(0)} ms` : ''}`,
    })
    rows.push({
      name: `dense product of the encoder's shape alone, fastest on this backend (${bestName}), ${t.threads} thread(s)`,
      value: tok(bestMs),
      unit: 'tokens/s',
      note: dense.map(([n, ms]) => `${n} ${ms.toFixed(0)} ms`).join('; '),
    })
    const ratio = bestMs / t.trainOrt.msPerStep
    rows.push({
      name: `training throughput relative to that dense product, ${t.threads} thread(s)`,
      value: ratio,
      unit: '×',
      target: '≥ 0.5×',
      ok: ratio >= 0.5,
    })
    if (t.trainJs)
      rows.push({
        name: 'training throughput, pure JavaScript kernels (no onnxruntime), 1 thread',
        value: t.trainJs.tokensPerSecond,
        unit: 'tokens/s',
        note: `${t.trainJs.msPerStep.toFixed(0)} ms per step`,
      })
  }

  // 2. PyTorch on the CPU.
  const py = findTorchPython()
  let torch: TorchBenchResult | undefined
  let check: TorchCheck | undefined
  if (!py.ok) {
    log(`PyTorch: ${py.reason}`)
    rows.push({ name: 'the same step in PyTorch (CPU)', value: NaN, unit: '', display: 'not run', note: py.reason })
  } else {
    log(`PyTorch ${py.torch} (${py.python}): checking that bench/sae_torch.py runs the same step as step.ts…`)
    check = await checkTorchEquivalence(py.python)
    for (const v of check.variants) log(`  ${v.variant}: parameters after ${check.steps} steps agree to ${v.maxParamDiff.toExponential(1)}, losses to ${v.maxLossRelDiff.toExponential(1)} (relative)`)
    log(`timing the PyTorch step, ${threads.join(' and ')} thread(s)…`)
    torch = benchSaeTorch(py.python, { threads, steps, warmup: quick ? 1 : 2 })
    const blas = blasName(torch.blas)
    const agree = check.variants.map((v) => `${v.variant} ${v.maxParamDiff.toExponential(0)}`).join(', ')
    for (const t of cpu) {
      const mine = torch.results.filter((r) => r.threads === t.threads)
      if (!mine.length) continue
      const best = mine.reduce((a, b) => (b.msPerStep < a.msPerStep ? b : a))
      const other = mine.find((r) => r !== best)
      const label = (v: string) => (v === 'dense' ? 'dense code, autograd as SAELens' : 'sparse: gathered rows, embedding_bag')
      rows.push({
        name: `training throughput, PyTorch ${torch.torch} (CPU, fp32; ${label(best.variant)}), ${t.threads} thread(s)`,
        value: best.tokensPerSecond,
        unit: 'tokens/s',
        note: `${best.msPerStep.toFixed(0)} ms per step${other ? `; ${label(other.variant)}: ${other.msPerStep.toFixed(0)} ms` : ''}; BLAS ${blas}; same step as step.ts (max parameter difference after ${check.steps} steps with AuxK: ${agree})`,
      })
      const ratio = t.trainOrt.msPerStep / best.msPerStep
      rows.push({
        name: `our step time / PyTorch's (its faster variant), ${t.threads} thread(s)`,
        value: ratio,
        unit: '×',
        target: '≤ 3×',
        ok: ratio <= 3,
        ...(other ? { note: `against the ${label(other.variant)} variant: ${(t.trainOrt.msPerStep / other.msPerStep).toFixed(2)}×` } : {}),
      })
      const mm = torch.matmul.find((m) => m.threads === t.threads)
      if (mm)
        rows.push({
          name: `onnxruntime-web MatMul / PyTorch addmm on the encoder's shape, ${t.threads} thread(s)`,
          value: t.ortMatMulMs / mm.ms,
          unit: '×',
          note: `${t.ortMatMulMs.toFixed(0)} ms vs ${mm.ms.toFixed(0)} ms: the runtime's floor for the one dense product`,
        })
    }
  }

  // 3. Memory.
  const budget = modelBytes()
  const memory: SaeMemoryResult[] = []
  for (const kind of quick ? (['ort'] as const) : (['ort', 'js'] as const)) {
    const memSteps = quick ? 1 : kind === 'ort' ? 3 : 2
    log(`peak memory of trainSae, ${kind === 'ort' ? 'CPU/WASM path' : 'pure JavaScript kernels'}, ${memSteps} step(s), fresh process…`)
    const m = benchSaeMemory(kind, memSteps)
    memory.push(m)
    const stages = m.stages.map((s) => `${s.stage.replace(/ \(.*\)$/, '')} ${(s.peak / MB).toFixed(0)}`).join(', ')
    log(`  peak ${(m.peak / MB).toFixed(0)} MB above the baseline (${stages} MB), retained ${(m.retained / MB).toFixed(0)} MB`)
    const peakStage = m.stages.reduce((a, b) => (b.peak > a.peak ? b : a))
    const heap = kind === 'ort' ? gemmHeapBytes() : 0
    // The worker's onnxruntime path runs the fused Gemm + TopK graph; the JS kernels keep pre-activations.
    const trainer = trainerBufferBytes(SAE_SHAPE, undefined, kind === 'ort')
    rows.push({
      name: `peak RSS growth while training (trainSae, ${memSteps} step(s), ${kind === 'ort' ? 'CPU/WASM path as the worker runs it' : 'pure JavaScript kernels, no onnxruntime'}) / (weights + Adam state + one batch)`,
      value: m.peak / budget.total,
      unit: '×',
      ...(kind === 'ort' ? { target: '≤ 2×', ok: m.exact && m.peak <= 2 * budget.total } : {}),
      note:
        `peak ${(m.peak / MB).toFixed(0)} MB above the RSS at the start (runtime up, ${m.sourceRows} rows of training data already allocated); ` +
        `weights ${(budget.weights / MB).toFixed(1)} + Adam ${(budget.adam / MB).toFixed(1)} + batch ${(budget.batch / MB).toFixed(1)} = ${(budget.total / MB).toFixed(1)} MB. ` +
        `Of the peak: the trainer's buffers ${(trainer / MB).toFixed(0)} MB (${(trainer / budget.total).toFixed(2)}×)` +
        (heap ? `, onnxruntime's WASM heap for the fused Gemm + TopK (batch, encoder, [batch, d_sae] pre-activations) ≈ ${(heap / MB).toFixed(0)} MB (${(heap / budget.total).toFixed(2)}×)` : '') +
        `; JS ArrayBuffers live at the end of the peak stage ${(peakStage.arrayBuffers / MB).toFixed(0)} MB. Peak per stage (MB): ${stages}; ` +
        `retained after training ${(m.retained / MB).toFixed(0)} MB${m.exact ? '' : '; VmHWM could not be reset: not exact'}`,
    })
  }

  // 4. WebGPU.
  log('WebGPU (child process)…')
  const gpu = benchSaeWebGpuChild(quick ? 1 : 5, (l) => log(`  ${l}`))
  rows.push(...webGpuRows(gpu))

  const torchNote = torch ? `; PyTorch ${torch.torch} via ${torch.executable} (BLAS ${blasName(torch.blas)}), ${torch.warmup} warm-up steps` : ''
  return {
    section: 'sae',
    title: 'Sparse autoencoder training',
    setup:
      `TopK SAE d_in ${D_IN}, d_sae ${D_SAE}, k ${K}, batch ${B}, no dead latents (AuxK idle) in the timed steps; median of ${steps} timed steps after a warm-up step; ` +
      `each onnxruntime thread count, each memory run and WebGPU in a fresh process${torchNote}`,
    quick,
    date: new Date().toISOString(),
    machine: machineInfo(),
    versions: { 'onnxruntime-web': ort.env.versions?.web ?? 'unknown', ...(torch ? { PyTorch: `${torch.torch} (${blasName(torch.blas)})` } : {}) },
    durationS: (performance.now() - started) / 1000,
    rows,
    details: { cpu, torch, torchCheck: check, memory, memoryBudget: { ...budget, trainerBuffers: trainerBufferBytes(SAE_SHAPE, undefined, true), trainerBuffersJs: trainerBufferBytes() }, webgpu: gpu },
  }
}

if (isMain(import.meta.url)) {
  if (has('child')) await child(Number(arg('threads', '1')), Number(arg('steps', '5')), has('aux'), !has('no-js'))
  else if (has('memory')) await memoryChild(arg('memory', 'ort') as 'ort' | 'js', Number(arg('steps', '3')))
  else if (has('section')) {
    const { formatTable } = await import('./run.ts')
    console.log(formatTable([await runSaeBench({ quick: has('quick'), log: (l) => console.log(l), tmp: '' })]))
  } else await benchSae({ steps: Number(arg('steps', '5')), threads: arg('threads', os.cpus().length > 1 ? '1,2' : '1').split(',').map(Number), aux: has('aux'), js: !has('no-js') })
}
