import { test, expect, waitForModel, logits, screenshot, modelState, HUB, SLOW_HUB } from './fixtures.ts'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const PANEL_IDS = ['model', 'stimuli', 'typicality', 'entanglement', 'features', 'elicitation']

test('opens offline on the built-in model, with the banners and every panel', async ({ page, blocked }) => {
  await page.goto('./')
  const info = await waitForModel(page)
  expect(info.sourceKind).toBe('builtin')
  expect(info.randomWeights).toBe(true)
  await expect(page.getByTestId('offline-banner')).toBeVisible()
  await expect(page.getByTestId('random-weights-banner')).toContainText('random weights')
  // The only requests that left the machine were attempts to reach the hub.
  expect(blocked.length).toBeGreaterThan(0)
  for (const url of blocked) expect(new URL(url).hostname).toBe('huggingface.co')
  await expect(page.getByTestId('status-model')).toContainText('tiny-llama-instruct')
  await screenshot(page, 'panel-model')
  for (const id of PANEL_IDS.slice(1)) {
    await page.locator(`[data-panel="${id}"]`).click()
    await expect(page.getByTestId(`panel-${id}`)).toBeVisible()
    await expect(page.getByTestId(`panel-${id}`).locator('h1')).toBeVisible()
    // Every panel is built: none is a placeholder.
    await expect(page.getByTestId(`panel-${id}`)).not.toContainText('Not built yet')
    await screenshot(page, `panel-${id}`)
  }
})

test('serves onnxruntime wasm itself: no CDN request', async ({ page, blocked }) => {
  const wasm: string[] = []
  page.on('request', (r) => {
    if (/ort-wasm/.test(r.url())) wasm.push(r.url())
  })
  await page.goto('./?builtin=tiny-gpt2&device=wasm')
  await waitForModel(page)
  expect(wasm.length).toBeGreaterThan(0)
  for (const u of wasm) expect(new URL(u).hostname).toBe('127.0.0.1')
  expect(blocked.filter((u) => /jsdelivr|unpkg|cdnjs/.test(u))).toEqual([])
})

test('the built-in model gives the same logits on WASM and WebGPU, and the status bar says which', async ({ page }) => {
  const texts = ['It is good to help a friend.', 'Claim: it is bad to lie. I think this claim is']
  await page.goto('./?builtin=tiny-llama-instruct&device=wasm')
  let info = await waitForModel(page)
  expect(info.device).toBe('wasm')
  await expect(page.getByTestId('status-backend')).toContainText(/WASM · \d+ thread/)
  const onWasm = await logits(page, texts)

  await page.getByTestId('device-webgpu').check()
  await page.getByTestId('load-builtin-tiny-llama-instruct').click()
  await page.waitForFunction(() => (globalThis as any).moralLens.model.getState().info?.device === 'webgpu', undefined, { timeout: 120_000 })
  info = await waitForModel(page)
  expect(info.device).toBe('webgpu')
  await expect(page.getByTestId('status-backend')).toContainText('WebGPU · google / swiftshader')
  const onGpu = await logits(page, texts)
  expect(onGpu.length).toBe(onWasm.length)
  let maxErr = 0
  for (let i = 0; i < onWasm.length; i++) maxErr = Math.max(maxErr, Math.abs(onWasm[i] - onGpu[i]))
  expect(maxErr).toBeLessThan(1e-3)
  await page.getByTestId('try-run').click()
  await expect(page.getByTestId('top-tokens')).toBeVisible()
  await screenshot(page, 'model-webgpu-try')
})

function modelFolder(mutate: (dir: string) => void): string {
  const root = mkdtempSync(join(tmpdir(), 'moral-lens-'))
  const dir = join(root, 'broken-model')
  cpSync('public/models/tiny-gpt2', dir, { recursive: true })
  mutate(dir)
  return dir
}

test('a bad local folder gives a clear error and the previous model stays usable', async ({ page }) => {
  await page.goto('./?builtin=tiny-llama-instruct&device=wasm')
  await waitForModel(page)
  const before = await logits(page, ['Hello there'])

  const noTokenizer = modelFolder((d) => rmSync(join(d, 'tokenizer.json')))
  await page.getByTestId('folder-input').setInputFiles(noTokenizer)
  await expect(page.getByTestId('error-banner')).toContainText('tokenizer.json is missing')
  await expect(page.getByTestId('error-banner')).toContainText('still loaded')
  await screenshot(page, 'model-error-missing-tokenizer')
  let s = await modelState(page)
  expect(s.info.sourceLabel).toBe('tiny-llama-instruct')
  expect(await logits(page, ['Hello there'])).toEqual(before)

  const truncated = modelFolder((d) => {
    const p = join(d, 'onnx', 'model.onnx')
    const bytes = readFileSync(p)
    writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length * 0.6)))
  })
  await page.getByTestId('folder-input').setInputFiles(truncated)
  await expect(page.getByTestId('error-banner')).toContainText('could not be read as an ONNX model')
  s = await modelState(page)
  expect(s.status).toBe('ready')
  expect(s.info.sourceLabel).toBe('tiny-llama-instruct')
  expect(await logits(page, ['Hello there'])).toEqual(before)

  // A good folder loads.
  const good = modelFolder(() => {})
  await page.getByTestId('folder-input').setInputFiles(good)
  await page.waitForFunction(() => (globalThis as any).moralLens.model.getState().info?.sourceKind === 'local')
  await expect(page.getByTestId('loaded-model')).toContainText('a folder on this computer')
})

test('loads from a hub (mock), shows sizes first, caches the files and clears the cache', async ({ page }) => {
  await page.goto(`./?hub=${encodeURIComponent(HUB)}&model=moral-lens-test/tiny-gpt2&device=wasm`)
  const info = await waitForModel(page)
  expect(info.sourceKind).toBe('hub')
  expect(info.sourceLabel).toBe('moral-lens-test/tiny-gpt2')
  await expect(page.getByTestId('offline-banner')).toHaveCount(0)
  await expect(page.getByTestId('cache')).toContainText('moral-lens-test/tiny-gpt2')
  await page.getByTestId('hub-id').fill('moral-lens-test/tiny-llama-instruct')
  await page.getByTestId('hub-id').press('Enter')
  await page.waitForFunction(() => (globalThis as any).moralLens.model.getState().info?.sourceLabel === 'moral-lens-test/tiny-llama-instruct')
  await expect(page.getByTestId('cache')).toContainText('moral-lens-test/tiny-llama-instruct')
  await screenshot(page, 'model-hub-cache')
  await page.getByTestId('cache-clear').click()
  await expect(page.getByTestId('cache')).toContainText('Nothing cached yet')
})

test('a slow download shows bytes and an ETA and can be cancelled, keeping the previous model', async ({ page }) => {
  await page.goto(`./?builtin=tiny-gpt2&device=wasm`)
  await waitForModel(page)
  await page.getByText('Hub endpoint').click()
  await page.getByTestId('hub-host').fill(SLOW_HUB)
  await page.getByTestId('hub-host').press('Enter')
  await page.getByTestId('hub-id').fill('moral-lens-test/tiny-llama-instruct')
  await page.getByTestId('hub-id').press('Enter')
  const progress = page.getByTestId('load-progress')
  await expect(progress).toBeVisible()
  await expect(page.getByTestId('load-bytes')).toContainText(/ of /)
  await expect(progress).toContainText('left')
  await expect(page.getByTestId('job-model-load')).toBeVisible()
  await screenshot(page, 'model-download-progress')
  await progress.getByRole('button', { name: 'Cancel' }).click()
  await expect(progress).toHaveCount(0)
  const s = await modelState(page)
  expect(s.status).toBe('ready')
  expect(s.info.sourceLabel).toBe('tiny-gpt2')
  expect(s.error).toBeUndefined()
})

for (const device of ['webgpu', 'wasm'] as const) {
  test(`switching models ten times on ${device} leaks no session, device or memory`, async ({ page }) => {
    await page.goto(`./?hub=${encodeURIComponent(HUB)}&model=moral-lens-test/tiny-llama-wide&device=${device}`)
    await waitForModel(page, 180_000)
    const measure = () =>
      page.evaluate(async () => {
        ;(globalThis as any).gc?.()
        const m = await (performance as any).measureUserAgentSpecificMemory()
        return m.bytes as number
      })
    const ids = ['moral-lens-test/tiny-gpt2', 'moral-lens-test/tiny-llama-wide']
    const switchTo = async (id: string) => {
      await page.evaluate((i) => (globalThis as any).moralLens.model.getState().load({ kind: 'hub', id: i }), id)
      const info = await waitForModel(page, 180_000)
      expect(info.sourceLabel).toBe(id)
      expect(info.device).toBe(device)
    }
    // Four switches first: the next model is opened before the old one is released, and the
    // wasm heap (which never shrinks) reaches its high-water mark only after a few loads; from
    // then on it stays flat. Both measurements are taken with the same model loaded.
    for (let i = 0; i < 4; i++) await switchTo(ids[i % 2])
    const first = await measure()
    for (let i = 0; i < 6; i++) await switchTo(ids[i % 2])
    const stats = await page.evaluate(() => (globalThis as any).moralLens.worker().getStats())
    expect(stats.loadsSucceeded).toBe(11)
    expect(stats.liveSessions).toBe(1)
    expect(stats.gpuDevicesSeen).toBe(device === 'webgpu' ? 1 : 0)
    const after = await measure()
    // The wide model holds ~20 MB of weights; keeping old sessions alive shows up well above this.
    expect(after - first).toBeLessThan(8_000_000)
  })
}
