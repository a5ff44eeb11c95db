import { test, expect, waitForModel, screenshot, dropFile } from './fixtures.ts'
import { readFileSync } from 'node:fs'
import { readSafetensors, tensorToFloat32 } from '../src/core/formats/safetensors.ts'

test('import by drag-and-drop, capture, reload: the set and activations are still there; export and re-import give identical arrays', async ({ page }) => {
  await page.goto('./?builtin=tiny-gpt2&device=wasm#/stimuli')
  await waitForModel(page)
  await dropFile(page, 'stimuli-drop', 'claims.jsonl', readFileSync('tests/fixtures/importers/normbank.jsonl'))
  await page.getByTestId('import-confirm').click()
  await expect(page.getByTestId('top-set')).not.toContainText('Moral typicality')
  const setName = await page.getByTestId('top-set').textContent()

  await page.getByTestId('store-pooling').selectOption('mean')
  await page.getByTestId('store-capture').click()
  await expect(page.getByTestId('captures').locator('tbody tr')).toHaveCount(1, { timeout: 60_000 })
  await expect(page.getByTestId('captures')).toContainText('mean')

  await page.reload()
  await waitForModel(page)
  await expect(page.getByTestId('set-list')).toContainText(setName!)
  await expect(page.getByTestId('top-set')).toHaveText(setName!)
  await expect(page.getByTestId('captures').locator('tbody tr')).toHaveCount(1)
  await page.getByTestId('activations-card').scrollIntoViewIfNeeded()
  await screenshot(page, 'stimuli-stored-activations')

  // Export: the safetensors file, the set as JSONL and a README.
  const downloads: { name: string; bytes: Buffer }[] = []
  page.on('download', async (d) => {
    const path = await d.path()
    downloads.push({ name: d.suggestedFilename(), bytes: readFileSync(path!) })
  })
  await page.getByTestId('capture-export').click()
  await expect.poll(() => downloads.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3)
  const st = downloads.find((d) => d.name.endsWith('.safetensors'))!
  const jsonl = downloads.find((d) => d.name.endsWith('.jsonl'))!
  expect(downloads.some((d) => d.name === 'README.txt')).toBe(true)
  const exported = readSafetensors(new Uint8Array(st.bytes))
  expect([...exported.tensors.keys()]).toContain('blocks.3.hook_resid_post')

  // Delete, re-import, export again: identical arrays.
  await page.getByRole('button', { name: 'Delete all' }).click()
  await expect(page.getByTestId('captures')).toHaveCount(0)
  await page.getByTestId('capture-import').setInputFiles([
    { name: st.name, mimeType: 'application/octet-stream', buffer: st.bytes },
    { name: jsonl.name, mimeType: 'application/jsonl', buffer: jsonl.bytes },
  ])
  await expect(page.getByTestId('captures').locator('tbody tr')).toHaveCount(1)
  downloads.length = 0
  await page.getByTestId('capture-export').click()
  await expect.poll(() => downloads.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2)
  const again = readSafetensors(new Uint8Array(downloads.find((d) => d.name.endsWith('.safetensors'))!.bytes))
  for (const [name, t] of exported.tensors) {
    expect(Array.from(tensorToFloat32(again.tensors.get(name)!))).toEqual(Array.from(tensorToFloat32(t)))
  }
})

test('re-opening the typicality analysis reads the stored activations instead of capturing again', async ({ page }) => {
  await page.goto('./?builtin=tiny-gpt2&device=wasm#/typicality')
  await waitForModel(page)
  await page.getByTestId('typicality-run-button').click()
  await expect(page.getByTestId('typicality-results')).toBeVisible({ timeout: 120_000 })
  await page.reload()
  await waitForModel(page)
  await page.getByTestId('typicality-run-button').click()
  await page.waitForFunction(() => (globalThis as any).moralLens.typicality?.getState().reusedCapture === true, undefined, { timeout: 60_000 })
})
