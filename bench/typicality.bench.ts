// Times the four moral-indifference diagnostics on the issue-5 workload: 1,000 stimuli × 24 layers
// × width 1024, single thread. Run with `npx tsx bench/typicality.bench.ts [items] [layers] [width]`.

import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { Rng } from '../src/core/random.ts'
import { CORE_FOUNDATIONS, MORAL_VECTOR_DIM, type StimulusItem } from '../src/core/stimuli/types.ts'
import { computeTypicalityDiagnostics, type LayerActivations } from '../src/core/typicality/diagnostics.ts'

const [n, layerCount, width] = [1000, 24, 1024].map((v, i) => Number(process.argv[2 + i] ?? v))
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
const cpuMs = (cpu.user + cpu.system) / 1000
const threadMs = mainThreadCpuMs() - threadStart
const last = report.layers[report.layers.length - 1]
console.log(`typicality diagnostics: ${n} items × ${layerCount} layers × width ${width}`)
console.log(
  `wall ${seconds(total)} (per layer median ${median(perLayer).toFixed(0)} ms), ` +
    `CPU ${seconds(cpuMs)} (main thread ${Number.isNaN(threadMs) ? 'n/a' : seconds(threadMs)}), ` +
    `load average ${loadavg()[0].toFixed(2)}`,
)
console.log(
  `last layer: centred cos ${last.categorical.meanCentroidCosine.centred?.toFixed(3)}, ` +
    `mean vice ρ ${last.gradient.meanViceRho?.toFixed(3)}, ` +
    `ARI polarity ${last.structural.polarity.ari?.toFixed(3)}, ` +
    `CV R² ${last.dimensional.r2Cv?.toFixed(3)}, RSA ${last.rsa.rho?.toFixed(3)}`,
)
console.log(`per layer ms: ${perLayer.map((v) => v.toFixed(0)).join(' ')}`)
console.log(total < 5000 ? 'within the 5 s target' : 'OVER the 5 s target')

/** CPU time of the main thread alone (Linux /proc, 10 ms resolution): unaffected by other processes or GC threads. */
function mainThreadCpuMs(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ')
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return NaN
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? NaN
}
