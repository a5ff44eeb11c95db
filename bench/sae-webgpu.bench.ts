// SAE training throughput on the WebGPU kernels (src/core/sae/webgpu.ts) in Node through the
// `webgpu` package, next to the dense encoder product on the same device and the CPU path on the
// same shape.
//
//   npx tsx bench/sae-webgpu.bench.ts [--shape auto|small|issue] [--steps 5] [--aux] [--gpu auto|swiftshader|system] [--no-cpu | --cpu fallback] [--result]
//
// --shape issue is issue 7's shape (width 896, 8× expansion, k = 32, batch 1024); 'small' is
// d_in 64, d_sae 512, k 32, batch 256. 'auto' (default) runs the issue's shape on a real GPU and the
// small one on a fallback adapter: SwiftShader (the only WebGPU on machines without a GPU) emulates
// the GPU on the CPU, one invocation at a time, and waits ~10 ms per submission, so its numbers
// say nothing about GPU speed (issue 7's shape takes tens of seconds per step there).
// --aux marks half the latents dead so AuxK runs with k_aux = d_in / 2.
// --cpu fallback times the CPU kernels on the same shape only on a fallback adapter (small shape).
// --result ends with one line `RESULT <json>` (how bench/sae.bench.ts runs it, in a child process:
// Dawn keeps its instances alive for the life of the process).
import os from 'node:os'
import { Rng } from '../src/core/random.ts'
import { createCpuKernels } from '../src/core/sae/cpu.ts'
import type { SaeKernels } from '../src/core/sae/kernels.ts'
import { createSae } from '../src/core/sae/model.ts'
import { allocTrainingState, forwardBackward, optimizerStep, writeParams } from '../src/core/sae/step.ts'
import { createWebGpuKernels, requestSaeDevice } from '../src/core/sae/webgpu.ts'
import { nodeGpu } from '../tests/core/sae/nodeGpu.ts'
import { isMain } from './lib/main.ts'

export interface SaeWebGpuShape {
  batch: number
  dIn: number
  dSae: number
  k: number
}

export const ISSUE_SHAPE: SaeWebGpuShape = { batch: 1024, dIn: 896, dSae: 8 * 896, k: 32 }
export const SMALL_SHAPE: SaeWebGpuShape = { batch: 256, dIn: 64, dSae: 512, k: 32 }

export interface SaeWebGpuBenchOptions {
  shape?: 'auto' | 'small' | 'issue' | SaeWebGpuShape
  steps?: number
  aux?: boolean
  gpu?: 'auto' | 'swiftshader' | 'system'
  /** Also time the CPU kernels on the same shape (default true; 'fallback': only on a fallback adapter). */
  cpu?: boolean | 'fallback'
  log?: (line: string) => void
}

export interface StepTiming {
  msPerStep: number
  tokensPerSecond: number
}

export interface SaeWebGpuBenchResult {
  adapter: { vendor: string; architecture: string; description: string; isFallbackAdapter: boolean }
  shape: SaeWebGpuShape
  aux: boolean
  /** Median over the timed steps, each ending with the trainer's own readbacks. */
  webgpu: StepTiming & { dispatchesPerStep: number; submitsPerStep: number; readbacksPerStep: number; gpuMiB: number }
  /** The encoder's dense product alone on the same device (one dispatch and a sync). */
  denseEncodeMs: number
  cpu?: StepTiming
  /** Weights, Adam moments and one batch (the issue's memory budget is 2× this). */
  modelMiB: number
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function timeSteps<F, I>(K: SaeKernels<F, I>, shape: SaeWebGpuShape, steps: number, aux: boolean, afterWarmup?: () => void): Promise<StepTiming> {
  const { batch: B, dIn, dSae, k } = shape
  const kAux = Math.floor(dIn / 2)
  const rng = new Rng(1)
  const sae = createSae({ dIn, dSae, architecture: 'topk', k, decoderInitNorm: 0.1, normalizeDecoder: true }, rng)
  const s = allocTrainingState(K, { batch: B, dIn, dSae, architecture: 'topk', k, kAux })
  await writeParams(s, sae)
  const x = Float32Array.from({ length: B * dIn }, () => rng.normal())
  const dead = new Float32Array(dSae)
  const numDead = aux ? Math.floor(dSae / 2) : 0
  for (let i = 0; i < numDead; i++) dead[2 * i] = 1
  await K.write(s.dead, dead)
  const step = async () => {
    await K.write(s.x, x)
    await forwardBackward(s, { numDead, auxLossCoefficient: 1, l1Coefficient: 0 })
    await K.read(s.fired, dSae) // what trainSae reads besides the losses
    await optimizerStep(s, { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, gradClipNorm: 1, normalizeDecoder: true })
  }
  await step() // compiles pipelines, allocates scratch
  afterWarmup?.()
  const ms: number[] = []
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now()
    await step()
    ms.push(performance.now() - t0)
  }
  const m = median(ms)
  return { msPerStep: m, tokensPerSecond: (B * 1000) / m }
}

function resolveShape(opt: SaeWebGpuBenchOptions['shape'], fallback: boolean): SaeWebGpuShape {
  if (typeof opt === 'object') return opt
  if (opt === 'issue') return ISSUE_SHAPE
  if (opt === 'small') return SMALL_SHAPE
  return fallback ? SMALL_SHAPE : ISSUE_SHAPE
}

export async function benchSaeWebGpu(opts: SaeWebGpuBenchOptions = {}): Promise<SaeWebGpuBenchResult> {
  const log = opts.log ?? console.log
  const steps = opts.steps ?? 5
  const aux = opts.aux ?? false
  const mode = opts.gpu ?? 'auto'
  const { gpu } = await nodeGpu(mode === 'swiftshader' ? 'force' : mode === 'system' ? 'never' : 'auto')
  const r = await requestSaeDevice({ gpu, powerPreference: 'high-performance' })
  if (!r.ok) throw new Error(`sae-webgpu bench: ${r.reason}`)
  const { device, adapter } = r
  const shape = resolveShape(opts.shape, adapter.isFallbackAdapter)
  const { batch: B, dIn, dSae, k } = shape
  const weights = 2 * dSae * dIn + dSae + dIn
  const modelMiB = ((3 * weights + B * dIn) * 4) / 2 ** 20
  log(`SAE training on WebGPU: d_in ${dIn}, d_sae ${dSae} (${dSae / dIn}×), k ${k}, batch ${B}${aux ? `, AuxK ${Math.floor(dIn / 2)}` : ''}, ${steps} timed steps`)
  log(`adapter: ${adapter.vendor} ${adapter.architecture} ${adapter.description}${adapter.isFallbackAdapter ? ' (fallback: CPU emulation, not a GPU speed)' : ''}`)
  log(`${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, Node ${process.version}\n`)

  const K = createWebGpuKernels(device)
  try {
    let mark = { ...K.stats }
    const webgpu = await timeSteps(K, shape, steps, aux, () => (mark = { ...K.stats }))
    const after = { ...K.stats }
    const per = (key: 'dispatches' | 'submits' | 'readbacks') => (after[key] - mark[key]) / steps
    const gpuMiB = after.liveBytes / 2 ** 20

    // the dense product alone: [B, d_in] · [d_sae, d_in]ᵀ
    const rng = new Rng(2)
    const xc = K.alloc(B * dIn)
    const enc = K.alloc(dSae * dIn)
    const bias = K.alloc(dSae)
    const pre = K.alloc(B * dSae)
    K.write(xc, Float32Array.from({ length: B * dIn }, () => rng.normal()))
    K.write(enc, Float32Array.from({ length: dSae * dIn }, () => rng.normal() * 0.03))
    const encodeOnce = async () => {
      K.encode(xc, enc, bias, pre, B, dIn, dSae)
      await K.sync()
    }
    await encodeOnce()
    const encMs: number[] = []
    for (let i = 0; i < Math.max(3, steps); i++) {
      const t0 = performance.now()
      await encodeOnce()
      encMs.push(performance.now() - t0)
    }
    const denseEncodeMs = median(encMs)

    const result: SaeWebGpuBenchResult = {
      adapter,
      shape,
      aux,
      webgpu: { ...webgpu, dispatchesPerStep: per('dispatches'), submitsPerStep: per('submits'), readbacksPerStep: per('readbacks'), gpuMiB },
      denseEncodeMs,
      modelMiB,
    }
    const fmt = (n: number, d = 0) => n.toFixed(d).padStart(9)
    log(`  ${'train step, WebGPU kernels'.padEnd(36)} ${fmt(webgpu.msPerStep, 1)} ms ${fmt(webgpu.tokensPerSecond)} tokens/s`)
    log(`      ${per('dispatches')} dispatches, ${per('submits')} submissions, ${per('readbacks')} readbacks per step`)
    log(`  ${'dense encode product alone'.padEnd(36)} ${fmt(denseEncodeMs, 1)} ms ${fmt((B * 1000) / denseEncodeMs)} tokens/s  (step = ${fmt((100 * denseEncodeMs) / webgpu.msPerStep, 1)} % of it)`)
    log(`      GPU buffers ${gpuMiB.toFixed(1)} MiB (budget 2 × (weights + Adam + batch) = ${(2 * modelMiB).toFixed(1)} MiB)`)
    if (opts.cpu === 'fallback' ? adapter.isFallbackAdapter : (opts.cpu ?? true)) {
      result.cpu = await timeSteps(createCpuKernels() as SaeKernels<Float32Array, Int32Array>, shape, Math.max(1, Math.min(steps, 3)), aux)
      log(`  ${'train step, CPU kernels (JS)'.padEnd(36)} ${fmt(result.cpu.msPerStep, 1)} ms ${fmt(result.cpu.tokensPerSecond)} tokens/s`)
    }
    return result
  } finally {
    K.dispose()
    device.destroy()
  }
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}

if (isMain(import.meta.url)) {
  const result = await benchSaeWebGpu({
    shape: arg('shape', 'auto') as 'auto' | 'small' | 'issue',
    steps: Number(arg('steps', '5')),
    aux: process.argv.includes('--aux'),
    gpu: arg('gpu', 'auto') as 'auto' | 'swiftshader' | 'system',
    cpu: process.argv.includes('--no-cpu') ? false : arg('cpu', '') === 'fallback' ? 'fallback' : true,
  })
  if (process.argv.includes('--result')) {
    console.log(`RESULT ${JSON.stringify(result)}`)
    process.exit(0)
  }
}
