// Small statistics and timing helpers shared by the benchmark sections.
import { readFileSync } from 'node:fs'
import os from 'node:os'

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  if (!s.length) return NaN
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

export function minMax(xs: readonly number[]): [number, number] {
  return [Math.min(...xs), Math.max(...xs)]
}

/** CPU time of the main thread alone (Linux /proc, 10 ms resolution); NaN elsewhere. */
export function mainThreadCpuMs(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ')
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return NaN
  }
}

export interface Timing {
  wallMs: number
  /** Main-thread CPU time: insensitive to other processes on a shared machine (WASM runs on this thread). */
  cpuMs: number
  /** CPU time of the whole process (all threads: onnxruntime-node runs off the main thread). */
  processCpuMs: number
}

export async function timeOnce(f: () => Promise<unknown>): Promise<Timing> {
  const c0 = mainThreadCpuMs()
  const p0 = process.cpuUsage()
  const t0 = performance.now()
  await f()
  const wallMs = performance.now() - t0
  const p = process.cpuUsage(p0)
  return { wallMs, cpuMs: mainThreadCpuMs() - c0, processCpuMs: (p.user + p.system) / 1000 }
}

export interface VariantTimings {
  name: string
  runs: Timing[]
}

/**
 * Runs every variant once per round, in an order rotated each round so that no variant always
 * follows the same neighbour, after one warm-up call each. Returns all timings per variant.
 */
export async function interleave(variants: { name: string; run: () => Promise<unknown> }[], rounds: number): Promise<VariantTimings[]> {
  for (const v of variants) await v.run()
  const out = variants.map((v) => ({ name: v.name, runs: [] as Timing[] }))
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + r) % variants.length
      out[i].runs.push(await timeOnce(variants[i].run))
    }
  }
  return out
}

export interface Ratio {
  /** Median over rounds of (variant / baseline) in the same round. */
  median: number
  min: number
  max: number
  /** Same, from CPU time (NaN when unavailable). */
  cpuMedian: number
  rounds: number
}

/**
 * Per-round ratios of `variant` over `baseline` (paired: same round, adjacent in time). `cpu`
 * chooses the CPU clock of the second figure: the main thread's, or the whole process's.
 */
export function ratio(variant: VariantTimings, baseline: VariantTimings, cpu: 'thread' | 'process' = 'thread'): Ratio {
  const wall = variant.runs.map((t, i) => t.wallMs / baseline.runs[i].wallMs)
  const cpuOf = (t: Timing) => (cpu === 'thread' ? t.cpuMs : t.processCpuMs)
  // The main thread's clock ticks in 10 ms: too coarse for short runs.
  const cpuRatios = variant.runs.map((t, i) => (cpuOf(baseline.runs[i]) >= 200 ? cpuOf(t) / cpuOf(baseline.runs[i]) : NaN))
  const [min, max] = minMax(wall)
  return { median: median(wall), min, max, cpuMedian: median(cpuRatios), rounds: wall.length }
}

/**
 * The figure a timing target is judged on: the CPU-time ratio when there is one (the WASM work runs
 * on the main thread, so its CPU time is the cost, whatever else the shared machine is doing), else
 * the wall-time ratio.
 */
export function judged(r: Ratio): number {
  return Number.isFinite(r.cpuMedian) ? r.cpuMedian : r.median
}

export function medianWall(v: VariantTimings): number {
  return median(v.runs.map((t) => t.wallMs))
}

export interface MachineInfo {
  cpu: string
  cores: number
  memoryGiB: number
  node: string
  platform: string
  loadAverage: number
  /** Widest x86 SIMD the CPU reports (native onnxruntime uses it; WASM has 128-bit SIMD). */
  simd: string
}

/** CPU model from /proc/cpuinfo (os.cpus() may report a generic name), core count, memory, Node version. */
export function machineInfo(): MachineInfo {
  let cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8')
    const model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]
    if (model) cpu = model.trim()
  } catch {
    // not Linux
  }
  let simd = 'unknown'
  try {
    const flags = /^flags\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1].split(' ') ?? []
    simd = flags.includes('avx512f') ? 'AVX-512' : flags.includes('avx2') ? 'AVX2' : flags.includes('sse4_2') ? 'SSE4.2' : 'unknown'
  } catch {
    // not Linux
  }
  return {
    cpu,
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: Number(os.loadavg()[0].toFixed(2)),
    simd,
  }
}
