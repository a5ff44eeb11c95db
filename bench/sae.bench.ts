// SAE training throughput at width 896, 8× expansion, k = 32, batch 1024 on the CPU path, measured
// side by side with the dense product of the same shape (1024×896 · 896×7168).
//
//   npx tsx bench/sae.bench.ts [--steps 5] [--threads 1,2] [--aux] [--no-js]
//
// (or as a section of `npm run bench`). --no-js skips the slow pure-JavaScript reference path.
// Each onnxruntime thread count runs in its own child process (ort.env.wasm.numThreads is fixed
// once the runtime has started). --aux adds a run in which half the latents are dead, so AuxK
// uses its full k_aux = d_in / 2 = 448 latents per token.
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-web'
import { GraphBuilder } from '../src/core/onnx/builder.ts'
import { DataType, encodeModel } from '../src/core/onnx/proto.ts'
import { Rng } from '../src/core/random.ts'
import { createCpuKernels, matmulNT } from '../src/core/sae/cpu.ts'
import type { SaeKernels } from '../src/core/sae/kernels.ts'
import { createSae } from '../src/core/sae/model.ts'
import { createOrtMatmul } from '../src/core/sae/ortMatmul.ts'
import { allocTrainingState, forwardBackward, optimizerStep, writeParams } from '../src/core/sae/step.ts'
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
  result.trainOrt = await trainSteps(createCpuKernels({ matmul: gemm.matmul }), steps, 0)
  if (aux) result.trainOrtAux = await trainSteps(createCpuKernels({ matmul: gemm.matmul }), Math.max(1, steps - 2), D_SAE / 2)
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

if (isMain(import.meta.url)) {
  if (has('child')) await child(Number(arg('threads', '1')), Number(arg('steps', '5')), has('aux'), !has('no-js'))
  else await benchSae({ steps: Number(arg('steps', '5')), threads: arg('threads', os.cpus().length > 1 ? '1,2' : '1').split(',').map(Number), aux: has('aux'), js: !has('no-js') })
}
