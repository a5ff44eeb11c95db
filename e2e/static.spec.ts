// The built site on a plain static host: served from a sub-path with and without cross-origin
// isolation, reopened offline through the service worker, and as a workshop kit.
import { test, expect, waitForModel, screenshot, logits } from './fixtures.ts'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { startStaticServer, type StaticServer } from '../scripts/static-server.ts'
import { BUILTIN_MODELS, buildTinyModel } from '../src/core/testmodels/package.ts'

let servers: StaticServer[] = []
test.afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

async function serve(root: string, base: string, isolate = false): Promise<StaticServer> {
  const s = await startStaticServer({ root, base, isolate })
  servers.push(s)
  return s
}

test('dist/ from a sub-path without isolation headers: built-in model on single-threaded WASM', async ({ page, blocked }) => {
  const site = await serve('dist', '/some/project/')
  const failed: string[] = []
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`)
  })
  await page.goto(site.url + '?device=wasm')
  const info = await waitForModel(page)
  expect(info.sourceKind).toBe('builtin')
  expect(info.device).toBe('wasm')
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(false)
  const backend = page.getByTestId('status-backend')
  await expect(backend).toContainText('WASM · 1 thread (page not cross-origin isolated)')
  await expect(backend).toHaveAttribute('title', /single-threaded: the page is not cross-origin isolated/)
  await expect(page.getByTestId('device-reason')).toContainText('single-threaded')
  // Everything came from under the sub-path (a site that is not a workshop kit has no workshop.json);
  // only the hub probe left the machine.
  expect(failed.filter((f) => !f.endsWith('/some/project/workshop.json'))).toEqual([])
  for (const p of site.requests) expect(p.startsWith('/some/project/')).toBe(true)
  expect(site.requests.some((p) => /ort-wasm.*\.wasm$/.test(p))).toBe(true)
  for (const url of blocked) expect(new URL(url).hostname).toBe('huggingface.co')
  await screenshot(page, 'static-subpath-no-isolation')
})

test('the service worker reopens the lab and its built-in model with no network, still cross-origin isolated', async ({ page, context }) => {
  const site = await serve('dist', '/lab/', true)
  await page.goto(site.url + '?builtin=tiny-gpt2&device=wasm')
  await waitForModel(page)
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true)
  // Installed (everything precached) and in control of the page.
  await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated', undefined, { timeout: 60_000 })
  const caches = await page.evaluate(() => globalThis.caches.keys())
  expect(caches.filter((n) => n.startsWith('moral-lens-shell-')).length).toBe(1)
  const texts = ['It is good to help a friend.']
  const before = await logits(page, texts)

  // No network at all: the browser is offline and the server is gone.
  await context.setOffline(true)
  await site.close()
  await page.reload()
  const info = await waitForModel(page)
  expect(info.sourceLabel).toBe('tiny-gpt2')
  expect(await logits(page, texts)).toEqual(before)
  // Cached responses keep the server's COOP/COEP headers, so threads survive the offline reload.
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true)
  await expect(page.getByTestId('status-backend')).toHaveAttribute('title', /\d+ threads? \(cross-origin isolated/)
  await page.getByTestId('try-run').click()
  await expect(page.getByTestId('top-tokens')).toBeVisible()
  await screenshot(page, 'static-offline-reload')
  await context.setOffline(false)
})

test('a workshop kit opens on its own model and lists its set, with the internet blocked', async ({ page, blocked }) => {
  const tmp = mkdtempSync(join(tmpdir(), 'moral-lens-kit-'))
  const folder = join(tmp, 'class-gpt2')
  for (const [rel, bytes] of buildTinyModel(BUILTIN_MODELS[1]).files) {
    mkdirSync(dirname(join(folder, rel)), { recursive: true })
    writeFileSync(join(folder, rel), bytes)
  }
  const kit = join(tmp, 'kit')
  execFileSync('npx', ['tsx', 'scripts/workshop.ts', '--model', folder, '--set', 'tests/fixtures/importers/ethics-cm.csv', '--site', 'dist', '--title', 'Ethics seminar', '--out', kit], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const site = await serve(kit, '/kit/')
  await page.goto(site.url)
  const info = await waitForModel(page)
  expect(info.sourceLabel).toBe('class-gpt2')
  expect(site.requests).toContain('/kit/workshop.json')
  expect(site.requests).toContain('/kit/models/class-gpt2/onnx/model.onnx')
  // Nothing was loaded from (or probed on) the hub; only the catalog's size listing was attempted.
  expect(blocked.filter((u) => !new URL(u).pathname.startsWith('/api/models/'))).toEqual([])
  await expect(page.getByTestId('offline-banner')).toHaveCount(0)
  await expect(page.getByTestId('workshop-models')).toContainText('Ethics seminar')
  await expect(page.getByTestId('workshop-model-0')).toContainText('fp32')
  await expect(page.getByTestId('status-model')).toContainText('class-gpt2')
  await page.getByTestId('workshop-models').scrollIntoViewIfNeeded()
  await screenshot(page, 'workshop-model-panel')

  await page.locator('[data-panel="stimuli"]').click()
  await expect(page.getByTestId('set-list')).toContainText('ethics-cm.csv (ethics-cm)')
  await expect(page.getByTestId('top-set')).toContainText('ethics-cm.csv')
  await page.getByTestId('set-list').scrollIntoViewIfNeeded()
  await screenshot(page, 'workshop-stimuli-panel')
  rmSync(tmp, { recursive: true, force: true })
})
