import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import type { SectionResult } from '../../bench/lib/result.ts'
import { renderPerformanceDoc } from '../../bench/docs.ts'
import { SECTIONS } from '../../bench/sections.ts'
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
})
