// Choosing the execution provider: WebGPU when an adapter can run the dtype, else WASM,
// always with a reason the status bar can show.
import { dtypeNeedsShaderF16, type Dtype } from './catalog.ts'

export type DevicePreference = 'auto' | 'webgpu' | 'wasm'
export type Device = 'webgpu' | 'wasm'

export interface GpuAdapterSummary {
  vendor: string
  architecture: string
  description?: string
  isFallbackAdapter: boolean
  shaderF16: boolean
  maxBufferSize: number
}

export interface Environment {
  /** null when navigator.gpu is missing or no adapter was returned (with `gpuUnavailableReason`). */
  gpu: GpuAdapterSummary | null
  gpuUnavailableReason?: string
  crossOriginIsolated: boolean
  hardwareConcurrency: number
  /** Threads onnxruntime-web's WASM backend will use. */
  wasmThreads: number
  wasmThreadsReason: string
}

export interface DeviceChoice {
  device: Device
  reason: string
}

export function chooseDevice(pref: DevicePreference, env: Environment, dtype: Dtype): DeviceChoice {
  const needsF16 = dtypeNeedsShaderF16(dtype)
  const gpuProblem = !env.gpu
    ? `no WebGPU adapter (${env.gpuUnavailableReason ?? 'navigator.gpu is missing'})`
    : needsF16 && !env.gpu.shaderF16
      ? `the WebGPU adapter lacks 'shader-f16', which dtype ${dtype} needs`
      : undefined
  if (pref === 'wasm') return { device: 'wasm', reason: 'WASM was chosen by the user' }
  if (pref === 'webgpu') {
    if (gpuProblem) throw new Error(`WebGPU was requested but cannot run this model: ${gpuProblem}. Choose WASM or another dtype.`)
    return { device: 'webgpu', reason: 'WebGPU was chosen by the user' }
  }
  if (gpuProblem) return { device: 'wasm', reason: `WASM because ${gpuProblem}` }
  const g = env.gpu!
  return {
    device: 'webgpu',
    reason: `WebGPU adapter found (${g.vendor || 'unknown vendor'}${g.architecture ? ' / ' + g.architecture : ''}${g.isFallbackAdapter ? ', software fallback' : ''})`,
  }
}

/** The dtype to use when the user did not choose: the smallest that suits the device. */
export function defaultDtype(available: Dtype[], device: Device, shaderF16: boolean): Dtype | undefined {
  const order: Dtype[] =
    device === 'webgpu'
      ? shaderF16
        ? ['q4f16', 'fp16', 'q4', 'fp32', 'q8']
        : ['q4', 'fp32', 'q8', 'int8', 'uint8']
      : ['q8', 'q4', 'int8', 'uint8', 'fp32', 'bnb4']
  return order.find((d) => available.includes(d)) ?? available[0]
}

export function wasmThreadCount(crossOriginIsolated: boolean, hardwareConcurrency: number): { threads: number; reason: string } {
  if (!crossOriginIsolated)
    return {
      threads: 1,
      reason: 'single-threaded: the page is not cross-origin isolated (the host sends no COOP/COEP headers), so SharedArrayBuffer is unavailable',
    }
  // onnxruntime-web's own default: half the logical cores, at most 4.
  const threads = Math.max(1, Math.min(4, Math.ceil(hardwareConcurrency / 2)))
  return { threads, reason: `${threads} thread${threads === 1 ? '' : 's'} (cross-origin isolated, ${hardwareConcurrency} logical cores)` }
}
