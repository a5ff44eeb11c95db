import { test, expect, waitForModel, screenshot, freshPage } from './fixtures.ts'
import type { Page } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { readNotebook } from '../src/core/notebook/notebook.ts'

test.setTimeout(600_000)

/** The results every panel holds, as plain JSON (typed arrays as arrays). */
async function labResults(page: Page) {
  return page.evaluate(() => {
    const ml = (globalThis as any).moralLens
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>) : x)))
    const t = ml.typicality.getState()
    const e = ml.entanglement.getState()
    const el = ml.elicitation.getState()
    const s = ml.sae.getState()
    return plain({
      typicality: { report: t.results.find((r: any) => r.key === t.currentKey)?.report, layer: t.layer, category: t.category, projection: t.projection, map: t.map },
      entanglement: { probes: e.probes, ablation: e.ablation },
      elicitation: { labels: el.labels, itemIds: el.itemIds, result: el.result, points: el.points },
      features: { sae: s.sae, evaluation: s.evaluation, history: s.history, moral: s.moral },
    })
  })
}

async function saveNotebook(page: Page, withSae: boolean, notes: string): Promise<string> {
  await page.getByTestId('notebook-button').click()
  if (withSae) await page.getByTestId('notebook-include-sae').check()
  await page.getByTestId('notebook-notes').fill(notes)
  const download = page.waitForEvent('download')
  await page.getByTestId('notebook-save').click()
  const d = await download
  expect(d.suggestedFilename()).toMatch(/^moral-lens-tiny-llama-instruct-\d{4}-\d\d-\d\d-\d{4}\.zip$/)
  const path = await d.path()
  await page.getByTestId('notebook-close').click()
  return path!
}

test('a lab notebook round-trips: every panel’s results, the SAE weights and provenance reopen in a fresh browser without re-running', async ({ page, browser }) => {
  await page.goto('./?builtin=tiny-llama-instruct&device=wasm#/typicality')
  await waitForModel(page)
  await page.getByTestId('typicality-run-button').click()
  await expect(page.getByTestId('plot-categorical')).toBeVisible({ timeout: 180_000 })
  await page.getByTestId('typicality-layer').selectOption('2')

  await page.locator('[data-panel="entanglement"]').click()
  await page.getByTestId('entanglement-frames').selectOption('4')
  await page.getByTestId('entanglement-run-button').click()
  await expect(page.getByTestId('plot-coefficients')).toBeVisible({ timeout: 180_000 })
  await page.getByTestId('ablation-run').click()
  await expect(page.getByTestId('plot-ablation')).toBeVisible({ timeout: 180_000 })

  await page.locator('[data-panel="elicitation"]').click()
  await page.getByText('Parameters (defaults').click()
  await page.getByTestId('icm-iterations').fill('20')
  await page.getByTestId('icm-run-button').click()
  await expect(page.getByTestId('icm-result')).toBeVisible({ timeout: 180_000 })

  await page.locator('[data-panel="features"]').click()
  await page.getByTestId('sae-layer').selectOption('2')
  await page.getByTestId('sae-backend').selectOption('cpu')
  await page.getByTestId('sae-run').click()
  await expect(page.getByTestId('sae-feature-table')).toBeVisible({ timeout: 300_000 })
  await expect(page.getByTestId('sae-run')).toBeEnabled({ timeout: 300_000 })

  const saved = await labResults(page)
  expect(saved.typicality.report.layers.length).toBe(4)
  expect(saved.elicitation.labels.length).toBeGreaterThan(10)
  expect(saved.features.sae).toBeTruthy()
  const file = await saveNotebook(page, true, 'First run.\n\nThe model has random weights.')

  // The file itself: provenance, notes, the SAE attached, no secrets.
  const read = readNotebook(new Uint8Array(readFileSync(file)), 'notebook.zip')
  expect(read.ok).toBe(true)
  if (!read.ok) return
  expect(read.notebook.provenance.model).toMatchObject({ label: 'tiny-llama-instruct', dtype: 'fp32', device: 'wasm', randomWeights: true })
  expect(read.notebook.provenance.backend?.device).toBe('wasm')
  expect(read.notebook.app.name).toBe('Moral Lens')
  expect(read.notebook.app.version).toMatch(/^\d+\.\d+\.\d+/)
  expect(read.notebook.notes).toEqual(['First run.', 'The model has random weights.'])
  expect(read.notebook.config.panel).toBe('features')
  expect(Object.keys(read.attachments).sort()).toEqual(['sae/cfg.json', 'sae/sae_weights.safetensors'])

  // Another computer: a fresh browser opens the file and sees the same results, nothing re-run.
  const other = await freshPage(browser)
  const p2 = other.page
  await p2.goto('./?builtin=tiny-llama-instruct&device=wasm')
  await waitForModel(p2)
  // A file that is not a notebook says so and changes nothing.
  await p2.getByTestId('notebook-button').click()
  await p2.getByTestId('notebook-file').setInputFiles({ name: 'holiday-photos.txt', mimeType: 'text/plain', buffer: Buffer.from('not a notebook') })
  await expect(p2.getByTestId('notebook-error')).toContainText('holiday-photos.txt: not a ZIP file')
  await p2.evaluate(() => {
    const w = globalThis as any
    w.jobLabels = []
    w.moralLens.jobs.subscribe((s: any) => w.jobLabels.push(...(s.jobs ?? []).map((j: any) => j.label)))
  })
  await p2.getByTestId('notebook-file').setInputFiles({ name: 'seminar-notebook.zip', mimeType: 'application/zip', buffer: readFileSync(file) })
  await expect(p2.getByTestId('notebook-opened')).toContainText('tiny-llama-instruct')
  await expect(p2.getByTestId('notebook-opened')).toContainText('not re-run')
  await expect(p2.getByTestId('notebook-opened')).toContainText('seminar-notebook.zip')
  await expect(p2.getByTestId('notebook-opened')).toContainText('weights are attached')
  await expect(p2).toHaveURL(/#\/features$/)
  const reopened = await labResults(p2)
  expect(reopened.typicality).toEqual(saved.typicality)
  expect(reopened.entanglement).toEqual(saved.entanglement)
  expect(reopened.elicitation).toEqual(saved.elicitation)
  expect(reopened.features.evaluation).toEqual(saved.features.evaluation)
  expect(reopened.features.history).toEqual(saved.features.history)
  expect(reopened.features.moral).toEqual(saved.features.moral)
  expect(reopened.features.sae).toEqual(saved.features.sae)
  await screenshot(p2, 'notebook-opened')

  // The panels draw the saved results.
  await p2.locator('[data-panel="typicality"]').click()
  await expect(p2.getByTestId('plot-categorical')).toBeVisible()
  await expect(p2.getByTestId('typicality-layer')).toHaveValue('2')
  await p2.locator('[data-panel="entanglement"]').click()
  await expect(p2.getByTestId('plot-coefficients')).toBeVisible()
  await expect(p2.getByTestId('plot-ablation')).toBeVisible()
  await p2.locator('[data-panel="elicitation"]').click()
  await expect(p2.getByTestId('icm-result')).toBeVisible()
  // Nothing ran on the second computer to show them (opening the SAE's weights is the only job).
  const jobs: string[] = await p2.evaluate(() => (globalThis as any).jobLabels)
  expect(jobs.filter((l) => !/Opening the SAE/.test(l))).toEqual([])

  // Saved again from the second browser, the results are the same file content.
  await p2.locator('[data-panel="features"]').click()
  const again = readNotebook(new Uint8Array(readFileSync(await saveNotebook(p2, true, 'First run.\n\nThe model has random weights.'))), 'again.zip')
  expect(again.ok).toBe(true)
  if (again.ok) {
    expect(JSON.parse(JSON.stringify(again.notebook.results))).toEqual(JSON.parse(JSON.stringify(read.notebook.results)))
    expect(again.attachments['sae/sae_weights.safetensors']).toEqual(read.attachments['sae/sae_weights.safetensors'])
  }
  // The attached SAE opens on the loaded model: same weights, features browsable.
  await p2.getByTestId('notebook-open-sae').click()
  await expect(p2.getByTestId('sae-feature-table')).toBeVisible({ timeout: 300_000 })
  await expect(p2.getByTestId('notebook-open-sae')).toHaveCount(0, { timeout: 300_000 })
  const browsed = await labResults(p2)
  expect(browsed.features.sae.dSae).toBe(saved.features.sae.dSae)
  expect(browsed.features.sae.hook).toBe(saved.features.sae.hook)
  await other.done()
})
