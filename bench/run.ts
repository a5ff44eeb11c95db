// `npm run bench`: every benchmark section, a table of the figures, results in bench/results/ and,
// with --write-docs, the generated parts of docs/PERFORMANCE.md.
//
//   npm run bench -- [--only capture,machinery,...] [--quick] [--write-docs] [--docs-only] [--json <file>]
//
// Full runs save bench/results/<section>.json; --quick runs (small shapes, few repetitions: a smoke
// test of the benchmark itself) save nothing unless --json is given.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SECTIONS } from './sections.ts'
import type { ResultRow, SectionResult } from './lib/result.ts'
import { isMain } from './lib/main.ts'
import { writePerformanceDoc } from './docs.ts'

const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
export const RESULTS_DIR = join(BENCH_DIR, 'results')

export interface RunOptions {
  only?: string[]
  quick?: boolean
  writeDocs?: boolean
  docsOnly?: boolean
  json?: string
  log?: (line: string) => void
}

const HELP = `Usage: npm run bench -- [options]

Options:
  --only <list>   comma-separated sections: ${SECTIONS.map((s) => s.name).join(', ')}
  --quick         small shapes and few repetitions (a smoke run; results are not saved)
  --write-docs    regenerate the generated sections of docs/PERFORMANCE.md from bench/results/
  --docs-only     only regenerate the docs (no benchmark runs)
  --json <file>   also write this run's results to <file>
  --help          show this help

Sections:
${SECTIONS.map((s) => `  ${s.name.padEnd(12)}(issue ${s.issue}) ${s.summary}`).join('\n')}
`

export function parseRunArgs(argv: readonly string[]): RunOptions & { help?: boolean } {
  const opts: RunOptions & { help?: boolean } = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]
      if (!v) throw new Error(`${a} needs a value`)
      return v
    }
    if (a === '--quick') opts.quick = true
    else if (a === '--write-docs') opts.writeDocs = true
    else if (a === '--docs-only') opts.docsOnly = true
    else if (a === '--help' || a === '-h') opts.help = true
    else if (a.startsWith('--only')) opts.only = value().split(',').map((s) => s.trim()).filter(Boolean)
    else if (a.startsWith('--json')) opts.json = value()
    else throw new Error(`unknown option ${a} (see npm run bench -- --help)`)
  }
  for (const name of opts.only ?? [])
    if (!SECTIONS.some((s) => s.name === name)) throw new Error(`unknown section "${name}"; sections: ${SECTIONS.map((s) => s.name).join(', ')}`)
  return opts
}

function fmtValue(r: ResultRow): string {
  if (r.display !== undefined) return r.display
  if (r.unit === '×' || r.unit.startsWith('×')) return `${r.value.toFixed(3)}${r.unit}`
  if (r.unit === 'ms') return `${r.value.toFixed(r.value < 10 ? 2 : 0)} ms`
  return `${r.value.toFixed(r.value < 10 ? 2 : 1)} ${r.unit}`
}

export function formatTable(results: SectionResult[]): string {
  const lines: string[] = []
  const cols = ['value', 'spread (min–max)', 'CPU ratio', 'target', '']
  const widths = [18, 18, 11, 13, 8]
  for (const s of results) {
    lines.push('', `== ${s.title} [${s.section}]${s.quick ? ' (quick)' : ''}, ${s.durationS.toFixed(0)} s`, `   ${s.setup}`)
    lines.push('   ' + cols.map((c, i) => c.padEnd(widths[i])).join('') + 'measurement')
    for (const r of s.rows) {
      const cells = [
        fmtValue(r),
        r.spread ? `${r.spread[0].toFixed(3)}–${r.spread[1].toFixed(3)}` : '',
        r.cpuRatio !== undefined && Number.isFinite(r.cpuRatio) ? `${r.cpuRatio.toFixed(3)}×` : '',
        r.target ?? '',
        r.ok === undefined ? '' : r.ok ? 'ok' : 'MISSED',
      ]
      lines.push('   ' + cells.map((c, i) => c.padEnd(widths[i])).join('') + r.name)
    }
  }
  return lines.join('\n') + '\n'
}

export function readSavedResults(dir = RESULTS_DIR): SectionResult[] {
  let files: string[] = []
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'))
  } catch {
    return []
  }
  return files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SectionResult)
}

export async function runBench(opts: RunOptions = {}): Promise<SectionResult[]> {
  const log = opts.log ?? ((l: string) => console.log(l))
  const chosen = SECTIONS.filter((s) => !opts.only || opts.only.includes(s.name))
  const results: SectionResult[] = []
  const failed: string[] = []
  if (!opts.docsOnly) {
    const tmp = mkdtempSync(join(tmpdir(), 'moral-lens-bench-'))
    try {
      for (const section of chosen) {
        log(`-- ${section.name}: ${section.summary}`)
        let r: SectionResult
        try {
          r = await section.run({ quick: !!opts.quick, log: (l) => log(`  ${l}`), tmp })
        } catch (e) {
          // One broken section must not cost the others' figures.
          failed.push(section.name)
          log(`  FAILED: ${(e as Error).stack ?? e}`)
          continue
        }
        results.push(r)
        if (!opts.quick) {
          mkdirSync(RESULTS_DIR, { recursive: true })
          writeFileSync(join(RESULTS_DIR, `${r.section}.json`), JSON.stringify(r, null, 2) + '\n')
        }
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
    log(formatTable(results))
    if (failed.length) {
      log(`sections that failed: ${failed.join(', ')}`)
      process.exitCode = 1
    }
    if (opts.json) {
      mkdirSync(dirname(opts.json), { recursive: true })
      writeFileSync(opts.json, JSON.stringify(results, null, 2) + '\n')
    }
  }
  if (opts.writeDocs || opts.docsOnly) {
    const path = writePerformanceDoc(readSavedResults(), SECTIONS)
    log(`wrote ${path}`)
  }
  return results
}

if (isMain(import.meta.url)) {
  try {
    const opts = parseRunArgs(process.argv.slice(2))
    if (opts.help) console.log(HELP)
    else await runBench(opts)
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`)
    process.exitCode = 1
  }
}
