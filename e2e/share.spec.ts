import { test, expect, waitForModel, screenshot, freshPage, dropFile } from './fixtures.ts'
import { readFileSync } from 'node:fs'
import type { Page } from '@playwright/test'
import { base64UrlDecode, base64UrlEncode, readShareFromUrl } from '../src/core/share/link.ts'
import { startStaticServer } from '../scripts/static-server.ts'

test.setTimeout(300_000)

/** What the typicality panel shows: the settings, the view and every number of the current result. */
async function typicalityView(page: Page) {
  return page.evaluate(() => {
    const t = (globalThis as any).moralLens.typicality.getState()
    const r = t.results.find((x: any) => x.key === t.currentKey)
    return {
      options: t.options,
      layer: t.layer,
      category: t.category,
      modelLabel: r?.modelLabel,
      setName: r?.setName,
      report: r && JSON.parse(JSON.stringify(r.report)),
      projection: t.projection && { layer: t.projection.layer, category: t.projection.category, values: t.projection.points.map((p: any) => p.projection) },
    }
  })
}

/** Every number in two JSON trees, pairwise, within tol; the structure must be the same. */
function expectSameNumbers(a: unknown, b: unknown, path = 'report', tol = 1e-9) {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a)) expect(Number.isNaN(b), path).toBe(true)
    else expect(Math.abs(a - b), `${path}: ${a} vs ${b}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(a)))
    return
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(b as object).sort(), path).toEqual(Object.keys(a as object).sort())
    for (const k of Object.keys(a as object)) expectSameNumbers((a as any)[k], (b as any)[k], `${path}.${k}`, tol)
    return
  }
  expect(b, path).toEqual(a)
}

test('a share link reopens the experiment in a fresh browser: same model, set, settings, view and numbers', async ({ page, browser }) => {
  await page.goto('./?builtin=tiny-gpt2&device=wasm#/typicality')
  await waitForModel(page)
  await page.locator('[data-testid="typicality-run"] summary').click()
  await page.getByRole('combobox', { name: /Token/ }).selectOption('mean')
  await page.getByRole('spinbutton', { name: /Bootstrap/ }).fill('100')
  await page.getByTestId('typicality-run-button').click()
  await expect(page.getByTestId('plot-categorical')).toBeVisible({ timeout: 180_000 })
  await page.getByTestId('typicality-layer').selectOption('1')
  await page.getByTestId('typicality-category').selectOption('fairness.virtue')
  await expect.poll(async () => (await typicalityView(page)).projection?.category).toBe('fairness.virtue')
  const original = await typicalityView(page)
  expect(original.options.pooling).toBe('mean')
  expect(original.projection!.values.length).toBeGreaterThan(5)

  await page.getByTestId('share-button').click()
  const url = await page.getByTestId('share-url').inputValue()
  await screenshot(page, 'share-dialog')
  // The link names the experiment itself, not the sharer's start-up parameters.
  expect(url).toMatch(/#\/typicality\?x=[A-Za-z0-9_-]+$/)
  expect(new URL(url).search).toBe('')
  const decoded = readShareFromUrl(url)
  expect(decoded?.ok).toBe(true)
  if (decoded?.ok) {
    expect(decoded.config.model).toEqual({ source: { kind: 'builtin', id: 'tiny-gpt2' }, dtype: 'fp32', device: 'wasm' })
    expect(decoded.config.typicality).toMatchObject({ pooling: 'mean', bootstrap: 100, layer: 1, category: 'fairness.virtue' })
  }
  await page.getByTestId('share-close').click()
  await expect(page.getByTestId('share-dialog')).toHaveCount(0)

  const other = await freshPage(browser)
  const p2 = other.page
  await p2.goto(url)
  const info = await waitForModel(p2)
  expect(info.sourceLabel).toBe('tiny-gpt2')
  await expect(p2.getByTestId('share-opened')).toContainText('Re-computed: the activations were captured afresh', { timeout: 180_000 })
  await expect(p2.getByTestId('panel-typicality')).toBeVisible()
  await expect(p2.getByTestId('typicality-layer')).toHaveValue('1')
  await expect(p2.getByTestId('typicality-category')).toHaveValue('fairness.virtue')
  await p2.locator('[data-testid="typicality-run"] summary').click()
  await expect(p2.getByRole('combobox', { name: /Token/ })).toHaveValue('mean')
  await expect.poll(async () => (await typicalityView(p2)).projection?.category).toBe('fairness.virtue')
  const reopened = await typicalityView(p2)
  expect(reopened.options).toEqual(original.options)
  expect([reopened.layer, reopened.category, reopened.modelLabel, reopened.setName]).toEqual([original.layer, original.category, original.modelLabel, original.setName])
  expectSameNumbers(original.report, reopened.report)
  expectSameNumbers(original.projection, reopened.projection, 'projection')
  // The address bar no longer carries the payload, and the link's panel is the one on screen.
  expect(new URL(p2.url()).hash).toBe('#/typicality')
  await screenshot(p2, 'share-opened')

  // Pasted again into the same tab: the page does not reload and the result on hand is shown.
  await p2.goto(url)
  await expect(p2.getByTestId('share-opened')).toContainText('The result this tab already had for these settings is shown')
  // Opened again in a new tab of the same browser: the stored activations are reused, the numbers are the same.
  await p2.goto('about:blank')
  await p2.goto(url)
  await waitForModel(p2)
  await expect(p2.getByTestId('share-opened')).toContainText('Re-computed from the activations this browser had stored', { timeout: 180_000 })
  await expect.poll(async () => (await typicalityView(p2)).projection?.category).toBe('fairness.virtue')
  expectSameNumbers(original.report, (await typicalityView(p2)).report)
  await other.done()
})

test('on a static host under a sub-path without isolation headers, a share link reopens with the same numbers', async ({ page, browser }) => {
  const site = await startStaticServer({ root: 'dist', base: '/course/moral-lens/', isolate: false })
  try {
    await page.goto(`${site.url}?builtin=tiny-gpt2&device=wasm#/typicality`)
    await waitForModel(page)
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(false)
    await page.locator('[data-testid="typicality-run"] summary').click()
    await page.getByRole('spinbutton', { name: /Bootstrap/ }).fill('50')
    await page.getByTestId('typicality-run-button').click()
    await expect(page.getByTestId('plot-categorical')).toBeVisible({ timeout: 180_000 })
    await page.getByTestId('typicality-category').selectOption('loyalty.vice')
    await expect.poll(async () => (await typicalityView(page)).projection?.category).toBe('loyalty.vice')
    const original = await typicalityView(page)
    await page.getByTestId('share-button').click()
    const url = await page.getByTestId('share-url').inputValue()
    expect(url.startsWith(`${site.url}#/typicality?x=`)).toBe(true)

    const other = await freshPage(browser)
    await other.page.goto(url)
    await waitForModel(other.page)
    await expect(other.page.getByTestId('share-opened')).toContainText('Re-computed', { timeout: 180_000 })
    await expect.poll(async () => (await typicalityView(other.page)).projection?.category).toBe('loyalty.vice')
    const reopened = await typicalityView(other.page)
    expect(reopened.options).toEqual(original.options)
    expectSameNumbers(original.report, reopened.report)
    expectSameNumbers(original.projection, reopened.projection, 'projection')
    for (const path of site.requests) expect(path.startsWith('/course/moral-lens/')).toBe(true)
    await other.done()
  } finally {
    await site.close()
  }
})

test('a tampered, damaged or oversized link says so and the lab opens clean', async ({ page }) => {
  await page.goto('./?builtin=tiny-gpt2&device=wasm#/typicality')
  await waitForModel(page)
  await page.getByTestId('share-button').click()
  const url = await page.getByTestId('share-url').inputValue()
  const payload = new URL(url).hash.split('x=')[1]
  // Same compressed settings, wrong check code: a hand-edited link.
  const bytes = base64UrlDecode(payload)!
  bytes[0] ^= 0xff
  const cases: [string, RegExp][] = [
    [`#/typicality?x=${base64UrlEncode(bytes)}`, /changed after it was made/],
    [`#/typicality?x=${payload.slice(0, payload.length >> 1)}`, /damaged|changed after it was made/],
    [`#/typicality?x=${'A'.repeat(9000)}`, /too long/],
    [`#/entanglement?x=${payload}`, /says #\/entanglement but its settings are for the typicality panel/],
  ]
  for (const [hash, message] of cases) {
    await page.goto('about:blank')
    await page.goto(`./${hash}`)
    await waitForModel(page)
    await expect(page.getByTestId('share-link-error')).toContainText(message)
    await expect(page.getByTestId('share-link-error')).toContainText('opened with its usual settings')
    // Clean: the default panel and settings, no analysis started.
    expect(new URL(page.url()).hash).toBe('#/model')
    const t = await page.evaluate(() => {
      const s = (globalThis as any).moralLens.typicality.getState()
      return { options: s.options, running: s.running }
    })
    expect(t.options.pooling).toBe('last')
    expect(t.running).toBeUndefined()
  }
  await screenshot(page, 'share-bad-link')

  // Pasted into a tab that already runs the lab: the page does not reload, and nothing changes.
  await page.goto('./?builtin=tiny-gpt2&device=wasm#/stimuli')
  await waitForModel(page)
  await page.getByTestId('use-set-builtin:value-entanglement').click()
  await page.evaluate(() => (location.hash = '#/typicality?x=AAAAAAAAAAAAAAAA'))
  await expect(page.getByTestId('share-link-error')).toContainText('Nothing in the lab was changed')
  await expect(page).toHaveURL(/#\/stimuli$/)
  await expect(page.getByTestId('top-set')).toContainText('entanglement')
})

test('a small typed set travels inside the link; an imported set and an API key never do', async ({ page, browser }) => {
  await page.goto('./?builtin=tiny-llama-instruct&device=wasm#/stimuli')
  await waitForModel(page)
  await page.getByTestId('typed-set').locator('summary').click()
  await page.getByTestId('typed-set-name').fill('Seminar examples')
  await page.getByTestId('typed-set-text').fill('Helping a lost child find home | virtue | care | 0.9\nMocking a grieving friend | vice | care | 0.8\nWatering the plants')
  await page.getByTestId('typed-set-add').click()
  await expect(page.getByTestId('top-set')).toHaveText('Seminar examples')
  // A remote scorer not filled in yet does not stop the link: ICM falls back to the loaded model.
  await page.evaluate(() => (globalThis as any).moralLens.elicitation.getState().setScorer('remote'))
  await page.getByTestId('share-button').click()
  await expect(page.getByTestId('share-omitted')).toContainText('not filled in')
  const unfilled = readShareFromUrl(await page.getByTestId('share-url').inputValue())
  expect(unfilled?.ok && unfilled.config.elicitation?.scorer).toBe('model')
  await page.getByTestId('share-close').click()
  // A remote scorer's key stays in this tab.
  await page.evaluate(() => {
    const el = (globalThis as any).moralLens.elicitation.getState()
    el.setScorer('remote')
    el.setRemote({ baseUrl: 'http://127.0.0.1:9/v1', model: 'some-model', apiKey: 'sk-e2e-secret-value-123456' })
  })
  await page.getByTestId('share-button').click()
  const url = await page.getByTestId('share-url').inputValue()
  await expect(page.getByTestId('share-omitted')).toContainText('API key')
  const decoded = readShareFromUrl(url)
  expect(decoded?.ok).toBe(true)
  expect(JSON.stringify(decoded)).not.toContain('sk-e2e-secret')
  if (decoded?.ok) expect(decoded.config.set?.kind).toBe('inline')

  const other = await freshPage(browser)
  await other.page.goto(url)
  await waitForModel(other.page)
  await expect(other.page.getByTestId('share-opened')).toContainText('its own small set, “Seminar examples” (3 items)', { timeout: 60_000 })
  await expect(other.page.getByTestId('top-set')).toHaveText('Seminar examples')
  await expect(other.page.getByTestId('panel-stimuli')).toBeVisible()
  const remote = await other.page.evaluate(() => (globalThis as any).moralLens.elicitation.getState().remote)
  expect(remote).toEqual({ baseUrl: 'http://127.0.0.1:9/v1', model: 'some-model', apiKey: '' })
  await other.done()

  // An imported file's rows stay home: the link names it by hash.
  await page.getByTestId('share-close').click()
  await dropFile(page, 'stimuli-drop', 'ethics-cm.csv', readFileSync('tests/fixtures/importers/ethics-cm.csv'))
  await page.getByTestId('import-confirm').click()
  await expect(page.getByTestId('top-set')).toContainText(/ETHICS/i)
  await page.getByTestId('share-button').click()
  await expect(page.getByTestId('share-omitted')).toContainText('stay on this computer')
  const imported = readShareFromUrl(await page.getByTestId('share-url').inputValue())
  expect(imported?.ok && imported.config.set?.kind).toBe('imported')
})
