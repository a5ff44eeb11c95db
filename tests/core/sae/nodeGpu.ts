// WebGPU in Node through the `webgpu` package (Dawn). On machines without a GPU, Dawn's Vulkan
// backend is pointed at Chromium's SwiftShader ICD (CPU emulation), which needs a writable
// XDG_RUNTIME_DIR. When the system has no libvulkan.so.1, Chromium's own copy is loaded first
// (RTLD_GLOBAL | RTLD_NODELETE, so Dawn's dlopen('libvulkan.so.1') finds it by soname).
import { existsSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export const CHROMIUM_DIR = '/usr/lib/chromium'
export const SWIFTSHADER_ICD = `${CHROMIUM_DIR}/vk_swiftshader_icd.json`

const RTLD_NOW = 2
const RTLD_GLOBAL = 0x100
const RTLD_NODELETE = 0x1000

function hasSystemVulkan(): boolean {
  return ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'].some(
    (p) => existsSync(p),
  )
}

function preloadChromiumVulkan(): void {
  const lib = `${CHROMIUM_DIR}/libvulkan.so.1`
  if (process.platform !== 'linux' || hasSystemVulkan() || !existsSync(lib)) return
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, lib, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE)
  } catch {
    // "did not self-register": expected, it is not a Node addon; the library stays loaded
  }
}

function useSwiftShader(): void {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD
  if (!process.env.XDG_RUNTIME_DIR || !existsSync(process.env.XDG_RUNTIME_DIR))
    process.env.XDG_RUNTIME_DIR = mkdtempSync(path.join(os.tmpdir(), 'xdg-'))
}

// Dawn tears its instance down when the GPU object is garbage-collected, even while devices made
// from it are in use (the process then dies in a futex wait), so every instance is kept alive.
const keepAlive: GPU[] = []

export interface NodeGpu {
  gpu: GPU
  adapter: GPUAdapter
  /** 'swiftshader' when the CPU emulation was forced, else whatever Dawn found. */
  source: 'swiftshader' | 'system'
}

/**
 * An adapter from the `webgpu` package. swiftshader 'force' (tests: the same device everywhere),
 * 'auto' (benchmarks: a real GPU when Dawn finds one, else SwiftShader) or 'never'.
 * Throws with a clear message when no adapter can be had.
 */
export async function nodeGpu(swiftshader: 'force' | 'auto' | 'never' = 'force'): Promise<NodeGpu> {
  preloadChromiumVulkan()
  if (swiftshader === 'force') useSwiftShader()
  const { create, globals } = await import('webgpu')
  Object.assign(globalThis, globals)
  const tried: string[] = []
  if (swiftshader !== 'force') {
    const gpu = create([])
    keepAlive.push(gpu)
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' })
    if (adapter) return { gpu, adapter, source: 'system' }
    tried.push('the system Vulkan drivers')
  }
  if (swiftshader !== 'never') {
    useSwiftShader()
    const gpu = create([])
    keepAlive.push(gpu)
    const adapter = await gpu.requestAdapter()
    if (adapter) return { gpu, adapter, source: 'swiftshader' }
    tried.push(`SwiftShader (${SWIFTSHADER_ICD}${existsSync(SWIFTSHADER_ICD) ? '' : ', missing'})`)
  }
  throw new Error(
    `No WebGPU adapter from the 'webgpu' package after trying ${tried.join(' and ')}. ` +
      "The WebGPU SAE tests need Debian's chromium package (apt-get install -y chromium), whose SwiftShader " +
      `Vulkan ICD and libvulkan.so.1 live in ${CHROMIUM_DIR}.`,
  )
}
