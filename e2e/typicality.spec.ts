import { test, expect, waitForModel, screenshot } from './fixtures.ts'
import type { Page } from '@playwright/test'

async function axisNumbers(page: Page, testId: string): Promise<number[]> {
  return page.getByTestId(testId).locator('svg text').evaluateAll((els) => els.map((e) => Number(e.textContent)).filter((n) => Number.isFinite(n)))
}

test('the moral typicality panel runs the four diagnostics, plots them, explores a layer, and compares two models', async ({ page }) => {
  await page.goto('./?builtin=tiny-llama-instruct&device=wasm#/typicality')
  await waitForModel(page)
  await page.getByTestId('typicality-run-button').click()
  await expect(page.getByTestId('typicality-results')).toBeVisible({ timeout: 120_000 })
  for (const id of ['plot-categorical', 'plot-gradient', 'plot-structural', 'plot-dimensional']) {
    const plot = page.getByTestId(id)
    await expect(plot.locator('svg path[d^="M"]').first()).toBeVisible()
    const nums = await axisNumbers(page, id)
    // x ticks cover layers 0..3; y ticks are finite, inside plausible metric ranges.
    expect(nums).toContain(0)
    expect(nums).toContain(3)
    for (const n of nums) expect(Math.abs(n)).toBeLessThanOrEqual(3)
    await expect(plot.locator('.reading')).toContainText(/layer \d/)
  }
  await expect(page.getByTestId('plot-categorical')).toContainText('paper: often > 0.5')
  await expect(page.getByTestId('plot-gradient')).toContainText('paper: peak < 0.55')
  await expect(page.getByTestId('plot-dimensional')).toContainText('0.26')
  await expect(page.getByTestId('typicality-results')).toContainText('random weights')
  await screenshot(page, 'typicality-plots')

  // One layer: the scatter with hover, and the PCA map with brushing.
  await page.getByTestId('typicality-category').selectOption('sanctity.vice')
  const scatter = page.getByTestId('plot-scatter')
  await expect(scatter).toContainText('sanctity vice')
  await expect(scatter.locator('svg path[transform]')).toHaveCount(18)
  await scatter.locator('svg path[transform]').first().hover()
  await expect(scatter.getByRole('tooltip')).toBeVisible()
  await scatter.scrollIntoViewIfNeeded()
  await screenshot(page, 'typicality-scatter')
  const map = page.getByTestId('plot-map')
  await map.scrollIntoViewIfNeeded()
  const box = (await map.locator('svg').boundingBox())!
  await page.mouse.move(box.x + 80, box.y + 20)
  await page.mouse.down()
  await page.mouse.move(box.x + 560, box.y + 360, { steps: 5 })
  await page.mouse.up()
  await expect(page.getByTestId('brushed-list')).toContainText('selected acts')
  await screenshot(page, 'typicality-map')

  // A second model: the comparison lists both.
  await page.goto('./?builtin=tiny-gpt2&device=wasm#/typicality')
  await waitForModel(page)
  await page.getByTestId('typicality-run-button').click()
  await expect(page.getByTestId('peaks-table').locator('tbody tr')).toHaveCount(2, { timeout: 120_000 })
  await expect(page.getByTestId('peaks-table')).toContainText('tiny-llama-instruct')
  await expect(page.getByTestId('peaks-table')).toContainText('tiny-gpt2')
  await page.getByTestId('typicality-comparison').scrollIntoViewIfNeeded()
  await screenshot(page, 'typicality-comparison')
})
