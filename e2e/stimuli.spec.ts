import { test, expect, screenshot, waitForModel } from './fixtures.ts'
import { readFileSync } from 'node:fs'
import type { Page } from '@playwright/test'

async function dropFile(page: Page, testId: string, name: string, bytes: Buffer | string) {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes
  const dt = await page.evaluateHandle(
    ({ name, b64 }) => {
      const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
      const t = new DataTransfer()
      t.items.add(new File([bin], name))
      return t
    },
    { name, b64: data.toString('base64') },
  )
  await page.getByTestId(testId).dispatchEvent('drop', { dataTransfer: dt })
}

test('the Stimuli panel browses the built-in sets with filters, sorting and counts', async ({ page }) => {
  await page.goto('./?builtin=tiny-gpt2&device=wasm#/stimuli')
  await waitForModel(page)
  const browser = page.getByTestId('set-browser')
  await expect(browser).toContainText('Moral typicality')
  await expect(page.getByTestId('cell-counts')).toContainText('care')
  await expect(page.getByTestId('top-set')).toContainText('Moral typicality')
  await page.getByTestId('filter-polarity').selectOption('vice')
  await page.getByTestId('filter-foundation').selectOption('care')
  await expect(page.getByTestId('stimuli-showing')).toContainText('of 18 (filtered from 228)')
  await page.getByRole('button', { name: /^Typicality/ }).click()
  await page.getByRole('button', { name: /^Typicality/ }).click()
  const first = await page.getByTestId('stimuli-table').locator('tbody tr').first().locator('td').nth(3).textContent()
  expect(Number(first)).toBeGreaterThan(0.9)
  await page.getByTestId('stimuli-search').fill('kitten')
  await expect(page.getByTestId('stimuli-table').locator('tbody tr')).toHaveCount(1)
  await screenshot(page, 'panel-stimuli-browse')
  await page.getByTestId('use-set-builtin:value-entanglement').click()
  await expect(page.getByTestId('set-counts')).toContainText('416')
  await expect(page.getByTestId('top-set')).toContainText('entanglement')
})

test('importing a file by drag-and-drop shows a preview, what is dropped and why, and adds the set', async ({ page }) => {
  await page.goto('./?builtin=tiny-gpt2&device=wasm#/stimuli')
  await waitForModel(page)
  await dropFile(page, 'stimuli-drop', 'ethics-cm.csv', readFileSync('tests/fixtures/importers/ethics-cm-malformed.csv'))
  const dialog = page.getByTestId('import-dialog')
  await expect(dialog).toContainText('ethics-cm')
  await expect(page.getByTestId('import-preview')).toBeVisible()
  const dropped = Number(await page.getByTestId('import-dropped-total').textContent())
  expect(dropped).toBeGreaterThan(0)
  await expect(page.getByTestId('import-dropped')).toContainText(/label|expected/)
  await page.getByTestId('import-preview').scrollIntoViewIfNeeded()
  await screenshot(page, 'stimuli-import-preview')
  await page.getByTestId('import-confirm').click()
  await expect(page.getByTestId('set-list')).toContainText('ETHICS')
  await expect(page.getByTestId('top-set')).toContainText(/ETHICS/i)
})

test('a bad file gives a clear message naming the file and line, and the loaded sets stay', async ({ page }) => {
  await page.goto('./?builtin=tiny-gpt2&device=wasm#/stimuli')
  await waitForModel(page)
  await dropFile(page, 'stimuli-drop', 'empty.csv', '')
  await expect(page.getByTestId('import-error')).toContainText('empty.csv is empty')
  await expect(page.getByTestId('import-error')).toContainText('unchanged')
  await page.getByRole('button', { name: 'Cancel' }).click()
  await dropFile(page, 'stimuli-drop', 'social-chem.tsv', 'a,b,c\n1,2,3\n')
  await page.getByTestId('import-format').selectOption('social-chem')
  await page.getByTestId('import-read').click()
  await expect(page.getByTestId('import-error')).toContainText(/social-chem\.tsv line 1: expected/)
  await expect(page.getByTestId('set-list').locator('tbody tr')).toHaveCount(3)
})

test('a generic file gets a column mapping that is remembered', async ({ page }) => {
  await page.goto('./?builtin=tiny-gpt2&device=wasm#/stimuli')
  await waitForModel(page)
  const csv = 'sentence,group,verdict\nHelping a stranger,care,1\nKicking a dog,care,0\n'
  await dropFile(page, 'stimuli-drop', 'mine.csv', csv)
  await expect(page.getByTestId('column-mapping')).toBeVisible()
  await page.getByTestId('import-format').selectOption('generic')
  await page.getByTestId('map-text').selectOption('sentence')
  await page.getByTestId('map-gold').selectOption('verdict')
  await page.getByTestId('import-read').click()
  await expect(page.getByTestId('import-preview')).toContainText('2 items')
  await page.getByTestId('import-confirm').click()
  await expect(page.getByTestId('set-counts')).toContainText('gold: 0 1, 1 1')
  // The same columns again: the mapping comes back.
  await dropFile(page, 'stimuli-drop', 'mine2.csv', csv)
  await page.getByTestId('import-format').selectOption('generic')
  await expect(page.getByTestId('map-gold')).toHaveValue('verdict')
})
