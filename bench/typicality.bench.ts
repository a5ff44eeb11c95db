// Times the four moral-indifference diagnostics on the issue-5 workload: 1,000 stimuli × 24 layers
// × width 1024, single thread. Run with `npx tsx bench/typicality.bench.ts [items] [layers] [width]`
// (or as a section of `npm run bench`).

import { loadavg } from 'node:os'
import { Rng } from '../src/core/random.ts'
import { CORE_FOUNDATIONS, MORAL_VECTOR_DIM, type StimulusItem } from '../src/core/stimuli/types.ts'
import { computeTypicalityDiagnostics, type LayerActivations } from '../src/core/typicality/diagnostics.ts'
import { isMain } from './lib/main.ts'
import { mainThreadCpuMs, median } from './lib/stats.ts'

export const TYPICALITY_TARGET_MS = 5000

export interface TypicalityBenchResult {
  items: number
  layers: number
  width: number
  wallMs: number
  cpuMs: number
  mainThreadMs: number
  perLayerMs: number[]
  loadAverage: number
  lastLayer: { centredCos?: number; meanViceRho?: number; ariPolarity?: number; r2Cv?: number; rsa?: number }
}

export async function benchTypicality(n = 1000, layerCount = 24, width = 1024): Promise<TypicalityBenchResult> {
  const rng = new Rng(1)

  // 100 items per (foundation × polarity) cell plus neutral items, as in the METHODS.md subsample.
  const items: StimulusItem[] = []
  for (let i = 0; i < n; i++) {
    const cell = i % 11
    if (cell === 10) {
      const moralVector = new Array(MORAL_VECTOR_DIM).fill(0)
      items.push({ id: `n${i}`, text: `neutral ${i}`, polarity: 'neutral', moralVector })
      continue
    }
    const foundation = CORE_FOUNDATIONS[cell >> 1]
    const polarity = cell % 2 === 0 ? 'virtue' : 'vice'
    const typicality = rng.next()
    const moralVector = new Array(MORAL_VECTOR_DIM).fill(0)
    moralVector[cell] = typicality
    items.push({ id: `i${i}`, text: `item ${i}`, foundation, polarity, typicality, moralVector })
  }

  // A planted signal (one direction per cell, scaled by typicality) growing with depth, plus noise and an offset.
  const directions = Array.from({ length: 11 }, () => Float32Array.from({ length: width }, () => rng.normal()))
  const layers: LayerActivations[] = []
  for (let l = 0; l < layerCount; l++) {
    const data = new Float32Array(n * width)
    const strength = l / layerCount
    for (let i = 0; i < n; i++) {
      const cell = i % 11
      const t = items[i].typicality ?? 0
      const dir = directions[cell]
      for (let j = 0; j < width; j++) data[i * width + j] = 3 + rng.normal() + strength * (0.3 + t) * dir[j]
    }
    layers.push({ hook: `blocks.${l}.hook_resid_post`, layer: l, acts: { data, rows: n, cols: width } })
  }

  const cpuStart = process.cpuUsage()
  const threadStart = mainThreadCpuMs()
  const start = performance.now()
  let lastLayer = start
  const perLayer: number[] = []
  const report = await computeTypicalityDiagnostics(layers, items, {
    seed: 0,
    onProgress: (done) => {
      const now = performance.now()
      if (done > 0) perLayer.push(now - lastLayer)
      lastLayer = now
    },
  })
  const total = performance.now() - start
  // CPU time (whole process, and the main thread alone): the figures to read when other jobs share the machine.
  const cpu = process.cpuUsage(cpuStart)
  const last = report.layers[report.layers.length - 1]
  return {
    items: n,
    layers: layerCount,
    width,
    wallMs: total,
    cpuMs: (cpu.user + cpu.system) / 1000,
    mainThreadMs: mainThreadCpuMs() - threadStart,
    perLayerMs: perLayer,
    loadAverage: loadavg()[0],
    lastLayer: {
      centredCos: last.categorical.meanCentroidCosine.centred ?? undefined,
      meanViceRho: last.gradient.meanViceRho ?? undefined,
      ariPolarity: last.structural.polarity.ari ?? undefined,
      r2Cv: last.dimensional.r2Cv ?? undefined,
      rsa: last.rsa.rho ?? undefined,
    },
  }
}

export function printTypicality(r: TypicalityBenchResult, log: (line: string) => void = console.log) {
  const l = r.lastLayer
  log(`typicality diagnostics: ${r.items} items × ${r.layers} layers × width ${r.width}`)
  log(
    `wall ${seconds(r.wallMs)} (per layer median ${median(r.perLayerMs).toFixed(0)} ms), ` +
      `CPU ${seconds(r.cpuMs)} (main thread ${Number.isNaN(r.mainThreadMs) ? 'n/a' : seconds(r.mainThreadMs)}), ` +
      `load average ${r.loadAverage.toFixed(2)}`,
  )
  log(
    `last layer: centred cos ${l.centredCos?.toFixed(3)}, mean vice ρ ${l.meanViceRho?.toFixed(3)}, ` +
      `ARI polarity ${l.ariPolarity?.toFixed(3)}, CV R² ${l.r2Cv?.toFixed(3)}, RSA ${l.rsa?.toFixed(3)}`,
  )
  log(`per layer ms: ${r.perLayerMs.map((v) => v.toFixed(0)).join(' ')}`)
  log(r.wallMs < TYPICALITY_TARGET_MS ? 'within the 5 s target' : 'OVER the 5 s target')
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`
}

if (isMain(import.meta.url)) {
  const [n, layerCount, width] = [1000, 24, 1024].map((v, i) => Number(process.argv[2 + i] ?? v))
  printTypicality(await benchTypicality(n, layerCount, width))
}
