// The one test command: type check, unit tests (vitest, Node) and end-to-end tests (Playwright,
// Debian Chromium with WebGPU), ending with the line `N passed, N failed`.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const results = { passed: 0, failed: 0 }
const failures: string[] = []

function run(cmd: string, args: string[], env: Record<string, string> = {}): number {
  console.log(`\n$ ${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } })
  return r.status ?? 1
}

function ensureChromium(): boolean {
  if (existsSync(CHROMIUM)) return true
  const root = process.getuid?.() === 0
  if (root && existsSync('/usr/bin/apt-get')) {
    console.log('Chromium is missing; installing Debian\'s chromium package (needed for the end-to-end tests)…')
    run('apt-get', ['update'])
    run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { DEBIAN_FRONTEND: 'noninteractive' })
  }
  if (existsSync(CHROMIUM)) return true
  console.error(`Chromium was not found at ${CHROMIUM}. Install it (Debian: sudo apt-get install chromium) or set CHROMIUM_PATH.`)
  return false
}

function readJson(path: string): any {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    return undefined
  }
}

rmSync('test-results', { recursive: true, force: true })
mkdirSync('test-results', { recursive: true })

// Chromium first: the e2e tests drive it, and the unit tests of the WebGPU kernels use its
// SwiftShader Vulkan driver through Dawn.
const haveChromium = ensureChromium()
if (!haveChromium) {
  results.failed++
  failures.push('Chromium is not installed')
}

// Built-in models and the static build the e2e tests serve.
if (run('npx', ['tsx', 'scripts/generate-models.ts']) !== 0) {
  results.failed++
  failures.push('generating the built-in models')
}

if (run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']) === 0) results.passed++
else {
  results.failed++
  failures.push('type check (tsc --noEmit)')
}

run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile=test-results/unit-report.json'])
const unit = readJson('test-results/unit-report.json')
if (unit) {
  results.passed += unit.numPassedTests ?? 0
  results.failed += (unit.numFailedTests ?? 0) + (unit.numRuntimeErrorTestSuites ?? 0)
  if (unit.numFailedTests || unit.numRuntimeErrorTestSuites) failures.push('unit tests (vitest)')
} else {
  results.failed++
  failures.push('unit tests did not report (vitest crashed?)')
}

if (run('npx', ['vite', 'build']) !== 0) {
  results.failed++
  failures.push('vite build')
} else if (haveChromium) {
  run('npx', ['playwright', 'test'], { CI: '1' })
  const e2e = readJson('test-results/e2e-report.json')
  if (e2e?.stats) {
    results.passed += (e2e.stats.expected ?? 0) + (e2e.stats.flaky ?? 0)
    results.failed += e2e.stats.unexpected ?? 0
    if (e2e.stats.unexpected) failures.push('end-to-end tests (Playwright)')
    if (e2e.stats.skipped) console.log(`note: ${e2e.stats.skipped} e2e tests were skipped`)
  } else {
    results.failed++
    failures.push('end-to-end tests did not report (Playwright crashed?)')
  }
}

if (failures.length) console.log(`\nFailed: ${failures.join('; ')}`)
console.log(`\n${results.passed} passed, ${results.failed} failed`)
process.exit(results.failed > 0 ? 1 : 0)
