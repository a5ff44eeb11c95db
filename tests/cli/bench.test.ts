import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import type { SectionResult } from '../../bench/lib/result.ts'
import { renderPerformanceDoc } from '../../bench/docs.ts'
import { SECTIONS } from '../../bench/sections.ts'
import { modelBytes, trainerBufferBytes, webGpuRows, type SaeWebGpuOutcome } from '../../bench/sae.bench.ts'
import type { SaeWebGpuBenchResult } from '../../bench/sae-webgpu.bench.ts'
import { createCpuKernels } from '../../src/core/sae/cpu.ts'
import { allocTrainingState } from '../../src/core/sae/step.ts'
import { tempDir } from './helpers.ts'

const ROOT = resolve(import.meta.dirname, '../..')

describe('npm run bench', () => {
  it('--quick --only machinery runs and produces numbers (a smoke test: no thresholds)', async () => {
    const tmp = tempDir()
    try {
      const json = join(tmp.dir, 'results.json')
      const { stdout } = await promisify(execFile)('npx', ['tsx', 'bench/run.ts', '--quick', '--only', 'machinery', '--json', json], { cwd: ROOT })
      expect(stdout).toMatch(/== The lab’s machinery vs onnxruntime-web called directly \[machinery\] \(quick\)/)
      const results = JSON.parse(readFileSync(json, 'utf8')) as SectionResult[]
      expect(results.map((r) => r.section)).toEqual(['machinery'])
      const [r] = results
      expect(r.quick).toBe(true)
      expect(r.rows.length).toBeGreaterThanOrEqual(3)
      for (const row of r.rows) {
        expect(Number.isFinite(row.value)).toBe(true)
        expect(row.value).toBeGreaterThan(0)
      }
      const ratios = r.rows.filter((row) => row.unit === '×')
      expect(ratios).toHaveLength(2)
      for (const row of ratios) expect(row.spread![0]).toBeLessThanOrEqual(row.value)
      expect(r.machine.cores).toBeGreaterThan(0)
      expect(r.versions['onnxruntime-web']).toMatch(/^\d+\.\d+/)
    } finally {
      tmp.remove()
    }
  })

  it('regenerates only its marked blocks of docs/PERFORMANCE.md and keeps the text around them', () => {
    const result: SectionResult = {
      section: 'capture',
      title: 'Capture overhead',
      setup: 'a model',
      quick: false,
      date: '2026-01-02T03:04:05.000Z',
      machine: { cpu: 'Test CPU', cores: 2, memoryGiB: 8, node: 'v20', platform: 'linux', loadAverage: 0.5, simd: 'AVX2' },
      versions: { 'onnxruntime-web': '1.2.3' },
      durationS: 10,
      rows: [{ name: 'capture vs plain', value: 1.02, unit: '×', spread: [0.98, 1.07], cpuRatio: 1.01, target: '≤ 1.10×', ok: true }],
    }
    const first = renderPerformanceDoc(undefined, [result], SECTIONS)
    expect(first).toMatch(/\| Machine \| Test CPU \(from \/proc\/cpuinfo\), 2 cores/)
    expect(first).toContain('| capture vs plain | **1.020×** | 0.980–1.070 | 1.010× | ≤ 1.10× | met |')
    expect(first).toContain('## Issue 4')
    const edited = first.replace('<!-- bench:issue-3:end -->', '<!-- bench:issue-3:end -->\n\nHand-written analysis.')
    const second = renderPerformanceDoc(edited, [{ ...result, rows: [{ ...result.rows[0], value: 1.2, ok: false }] }], SECTIONS)
    expect(second).toContain('Hand-written analysis.')
    expect(second).toContain('| capture vs plain | **1.200×** | 0.980–1.070 | 1.010× | ≤ 1.10× | **missed** |')
    expect(second).not.toContain('**1.020×**')
    expect(second.match(/<!-- bench:issue-3:start -->/g)).toHaveLength(1)
    // Quick results never reach the docs.
    expect(renderPerformanceDoc(undefined, [{ ...result, quick: true }], SECTIONS)).not.toContain('capture vs plain')
  })

  it('renders a row that was not run by its label, not as NaN', () => {
    const result: SectionResult = {
      section: 'sae',
      title: 'Sparse autoencoder training',
      setup: 'a shape',
      quick: false,
      date: '2026-01-02T03:04:05.000Z',
      machine: { cpu: 'Test CPU', cores: 2, memoryGiB: 8, node: 'v20', platform: 'linux', loadAverage: 0.5, simd: 'AVX2' },
      versions: {},
      durationS: 10,
      rows: [{ name: 'the same step in PyTorch (CPU)', value: NaN, unit: '', display: 'not run', note: 'PyTorch is not installed' }],
    }
    const doc = renderPerformanceDoc(undefined, [result], SECTIONS)
    expect(doc).toContain('| the same step in PyTorch (CPU) <br><sub>PyTorch is not installed</sub> | **not run** |  |  | recorded |  |')
    expect(doc).not.toContain('NaN')
  })
})

describe('the sae section', () => {
  it("counts the trainer's buffers and the issue's memory yardstick (weights + Adam + one batch) exactly", () => {
    const shape = { batch: 16, dIn: 12, dSae: 96, k: 4 }
    const s = allocTrainingState(createCpuKernels(), { ...shape, architecture: 'topk', kAux: 6 })
    const bufs = [s.x, s.dead, s.fired, s.xc, s.pre, s.val, s.gVal, s.xhat, s.err, s.rowSq, s.rowL1, s.idx!, s.auxIdx, s.auxVal, s.auxGVal, s.auxRecon, s.auxErr, s.auxRowSq]
    for (const set of [s.params, s.grads, s.adamM, s.adamV]) bufs.push(...Object.values(set))
    expect(trainerBufferBytes(shape, 6)).toBe(bufs.reduce((n, b) => n + b.byteLength, 0))
    // With a fused encode + top k the trainer holds no pre-activations.
    const noop = () => {}
    const f = allocTrainingState(createCpuKernels({ encodeTopK: noop }), { ...shape, architecture: 'topk', kAux: 6 })
    expect(f.pre.byteLength).toBe(0)
    expect(trainerBufferBytes(shape, 6, true)).toBe(trainerBufferBytes(shape, 6) - 4 * shape.batch * shape.dSae)
    const params = Object.values(s.params).reduce((n, b) => n + b.byteLength, 0)
    expect(modelBytes(shape)).toEqual({ weights: params, adam: 2 * params, batch: s.x.byteLength, total: 3 * params + s.x.byteLength })
  })

  it('reports WebGPU tokens/s at the issue’s shape on a GPU, labels a software adapter as no GPU timing, and skips without one', () => {
    const run = (isFallbackAdapter: boolean, shape: SaeWebGpuBenchResult['shape']): SaeWebGpuOutcome => ({
      ok: true,
      result: {
        adapter: { vendor: isFallbackAdapter ? 'google' : 'nvidia', architecture: isFallbackAdapter ? 'swiftshader' : 'hopper', description: '', isFallbackAdapter },
        shape,
        aux: false,
        webgpu: { msPerStep: 20, tokensPerSecond: (shape.batch * 1000) / 20, dispatchesPerStep: 32, submitsPerStep: 7, readbacksPerStep: 6, gpuMiB: 260 },
        denseEncodeMs: 5,
        modelMiB: 150,
      },
    })
    const gpu = webGpuRows(run(false, { batch: 1024, dIn: 896, dSae: 7168, k: 32 }))
    expect(gpu[0]).toMatchObject({ name: expect.stringMatching(/^training throughput, WebGPU \(nvidia hopper\), d_in 896, d_sae 7168, k 32, batch 1024$/), value: 51200, unit: 'tokens/s' })
    expect(gpu.find((r) => r.name.startsWith('GPU buffers'))).toMatchObject({ target: '≤ 2×', ok: true })
    const soft = webGpuRows(run(true, { batch: 256, dIn: 64, dSae: 512, k: 32 }))
    expect(soft).toHaveLength(1)
    expect(soft[0].name).toMatch(/software adapter \(SwiftShader\): not a GPU timing/)
    expect(soft[0].unit).toBe('ms')
    expect(soft[0].target).toBeUndefined()
    expect(webGpuRows({ ok: false, reason: 'no adapter' })).toEqual([{ name: 'training on WebGPU', value: NaN, unit: '', display: 'skipped', note: 'no adapter' }])
  })
})
