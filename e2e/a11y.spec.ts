// Accessibility: axe (WCAG 2.0/2.1 A and AA) on every panel, with results rendered where cheap, in
// normal and presenter mode with the tour open; keyboard operation; no horizontal overflow at
// laptop sizes.
import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { test, expect, waitForModel, screenshot } from './fixtures.ts'

test.setTimeout(600_000)

const PANELS = ['model', 'stimuli', 'typicality', 'entanglement', 'features', 'elicitation'] as const
const URL = './?builtin=tiny-llama-instruct&device=wasm'

/** Serious and critical violations on the page, one line per violation with its nodes. */
async function seriousViolations(page: Page, where: string): Promise<string[]> {
  // Closed disclosures (options, data tables, method notes) are checked too.
  await page.evaluate(() => document.querySelectorAll('details:not([open])').forEach((d) => ((d as HTMLDetailsElement).open = true)))
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `[${where}] ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? ` (${n.failureSummary.replace(/\s+/g, ' ').slice(0, 160)})` : ''}`).join('\n    ')}`)
}

/** Tables without a CSV button in their container (card, disclosure or plot data block). */
async function tablesWithoutCsv(page: Page, where: string): Promise<string[]> {
  const missing = await page.evaluate(() =>
    [...document.querySelectorAll('table')]
      .filter((t) => {
        const box = t.closest('details, .card, .plot-data-body, .lens-results, .import-preview') ?? t.parentElement!
        return ![...box.querySelectorAll('button')].some((b) => /CSV/.test(b.getAttribute('aria-label') ?? b.textContent ?? ''))
      })
      .map((t) => t.getAttribute('data-testid') ?? t.querySelector('caption')?.textContent ?? t.outerHTML.slice(0, 80)),
  )
  return missing.map((m) => `[${where}] table without a CSV button: ${m}`)
}

async function openPanel(page: Page, id: string) {
  await page.locator(`nav [data-panel="${id}"]`).click()
  await expect(page.getByTestId(`panel-${id}`)).toBeVisible()
}

async function runTypicality(page: Page) {
  await page.getByTestId('typicality-run-button').click()
  await expect(page.getByTestId('plot-map')).toBeVisible({ timeout: 180_000 })
}

async function runEntanglement(page: Page) {
  await page.getByTestId('entanglement-frames').selectOption('4')
  await page.getByTestId('entanglement-run-button').click()
  await expect(page.getByTestId('plot-heatmap')).toBeVisible({ timeout: 180_000 })
}

test('axe finds no serious or critical violations on any panel, with results, in normal and presenter mode with the tour open', async ({ page }) => {
  await page.goto(`${URL}#/model`)
  await waitForModel(page)
  const found: string[] = []
  for (const id of PANELS) {
    await openPanel(page, id)
    if (id === 'model') {
      await page.getByTestId('try-run').click()
      await expect(page.getByTestId('top-tokens')).toBeVisible({ timeout: 60_000 })
      await page.getByTestId('lens-run').click()
      await expect(page.getByTestId('lens-table')).toBeVisible({ timeout: 60_000 })
    }
    if (id === 'typicality') await runTypicality(page)
    if (id === 'entanglement') {
      await runEntanglement(page)
      await page.getByTestId('ablation-run').click()
      await expect(page.getByTestId('ablation-items')).toBeVisible({ timeout: 180_000 })
    }
    found.push(...(await seriousViolations(page, id)))
    found.push(...(await tablesWithoutCsv(page, id)))
  }
  // Presenter mode opens the tour; the results above are still shown.
  await page.getByTestId('presenter-toggle').click()
  await expect(page.getByTestId('tour')).toBeVisible()
  for (const id of PANELS) {
    await openPanel(page, id)
    found.push(...(await seriousViolations(page, `presenter+tour ${id}`)))
  }
  await page.getByTestId('presenter-toggle').click()
  await page.getByTestId('tour-start').click()
  await expect(page.getByTestId('tour')).toBeVisible()
  found.push(...(await seriousViolations(page, 'tour')))
  await page.getByTestId('tour-close').click()
  // The dialogs: share link and notebook.
  await page.getByTestId('share-button').click()
  await expect(page.getByTestId('share-dialog')).toBeVisible()
  found.push(...(await seriousViolations(page, 'share dialog')))
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('share-dialog')).toHaveCount(0)
  await page.getByTestId('notebook-button').click()
  await expect(page.getByTestId('notebook-dialog')).toBeVisible()
  found.push(...(await seriousViolations(page, 'notebook dialog')))
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('notebook-dialog')).toHaveCount(0)
  expect(found, `axe violations:\n${found.join('\n')}`).toEqual([])
})

test('keyboard: every panel is reached with Tab and opened with Enter or Space, focus is visible, and the typicality analysis runs from the keyboard', async ({ page }) => {
  await page.goto(`${URL}#/model`)
  await waitForModel(page)
  // A :focus-visible rule with a real outline exists in the page's styles.
  const rule = await page.evaluate(() =>
    [...document.styleSheets].flatMap((sh) => [...sh.cssRules]).some((r) => r instanceof CSSStyleRule && r.selectorText.includes(':focus-visible') && /outline/.test(r.cssText) && !/outline:\s*none/.test(r.cssText)),
  )
  expect(rule).toBe(true)
  const active = () => page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null
    return { panel: el?.dataset.panel ?? null, testid: el?.dataset.testid ?? null }
  })
  /** Presses Tab until the focused element satisfies `done` (at most `max` presses). */
  async function tabTo(done: (a: { panel: string | null; testid: string | null }) => boolean, max = 80) {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab')
      if (done(await active())) return
    }
    throw new Error(`not reached with ${max} Tab presses`)
  }
  await page.locator('body').click({ position: { x: 5, y: 300 } })
  for (const [i, id] of PANELS.entries()) {
    await tabTo((a) => a.panel === id)
    const item = page.locator(`nav [data-panel="${id}"]`)
    // Focus is visible: the element matches :focus-visible and draws an outline at least 2 px wide.
    const ring = await item.evaluate((el) => {
      const cs = getComputedStyle(el)
      return { matches: el.matches(':focus-visible'), style: cs.outlineStyle, width: parseFloat(cs.outlineWidth) }
    })
    expect(ring.matches, `${id} matches :focus-visible`).toBe(true)
    expect(ring.style).not.toBe('none')
    expect(ring.width).toBeGreaterThanOrEqual(2)
    await page.keyboard.press(i % 2 === 0 ? 'Enter' : ' ')
    await expect(page.getByTestId(`panel-${id}`)).toBeVisible()
    await expect(item).toHaveAttribute('aria-current', 'page')
    expect(page.url()).toContain(`#/${id}`)
  }
  // Back to the typicality panel and its run button, keyboard only.
  await page.keyboard.press('Shift+Tab')
  await page.keyboard.press('Shift+Tab')
  await page.keyboard.press('Shift+Tab')
  expect((await active()).panel).toBe('typicality')
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('panel-typicality')).toBeVisible()
  await tabTo((a) => a.testid === 'typicality-run-button')
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('typicality-results')).toBeVisible({ timeout: 180_000 })
  // The data behind a plot opens from the keyboard too (the equivalent of its hover tooltips).
  const summary = page.getByTestId('plot-categorical').locator('details.plot-data > summary')
  await summary.focus()
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('plot-categorical').locator('details.plot-data table tbody tr')).toHaveCount(4)
  const csv = page.getByTestId('plot-categorical').getByRole('button', { name: /as CSV$/ })
  await csv.focus()
  const download = page.waitForEvent('download')
  await page.keyboard.press('Enter')
  const text = readFileSync((await (await download).path())!, 'utf8')
  const lines = text.split('\r\n')
  expect(lines[0]).toMatch(/^Layer,virtue–vice centroid cosine \(centred\),/)
  expect(lines.slice(1, 5).map((l) => Number(l.split(',')[0]))).toEqual([0, 1, 2, 3])
  expect(lines[5]).toBe('')
})

for (const [w, h] of [
  [1280, 720],
  [1366, 768],
] as const) {
  test(`layout at ${w}×${h}: no panel overflows sideways`, async ({ page }) => {
    await page.setViewportSize({ width: w, height: h })
    await page.goto(`${URL}#/model`)
    await waitForModel(page)
    for (const id of PANELS) {
      await openPanel(page, id)
      if (id === 'typicality') await runTypicality(page)
      const o = await page.evaluate(() => {
        const main = document.querySelector('main.main') as HTMLElement
        return { doc: document.documentElement.scrollWidth, win: window.innerWidth, main: main.scrollWidth, mainClient: main.clientWidth }
      })
      expect(o.doc, `${id}: page wider than the window`).toBeLessThanOrEqual(o.win)
      expect(o.main, `${id}: main column scrolls sideways`).toBeLessThanOrEqual(o.mainClient)
      if (id === 'typicality') await page.getByTestId('plot-categorical').scrollIntoViewIfNeeded()
      await screenshot(page, `layout-${w}-${id}`)
    }
  })
}
