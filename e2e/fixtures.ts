// Every e2e test runs with all non-localhost requests blocked, as on a machine without internet,
// and records what it blocked.
import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'

import { COMPLETIONS_PORT, HUB_PORT, SLOW_HUB_PORT } from './ports.ts'

export const HUB = `http://127.0.0.1:${HUB_PORT}/`
export const SLOW_HUB = `http://127.0.0.1:${SLOW_HUB_PORT}/`
export const COMPLETIONS = `http://127.0.0.1:${COMPLETIONS_PORT}`

function isLocal(url: string): boolean {
  try {
    const u = new URL(url)
    return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) || ['data:', 'blob:'].includes(u.protocol)
  } catch {
    return false
  }
}

async function blockInternet(context: BrowserContext): Promise<string[]> {
  const blocked: string[] = []
  await context.route('**/*', (route) => {
    const url = route.request().url()
    if (isLocal(url)) return route.continue()
    blocked.push(url)
    return route.abort('internetdisconnected')
  })
  return blocked
}

export const test = base.extend<{ blocked: string[] }>({
  blocked: async ({ context }, use) => {
    await use(await blockInternet(context))
  },
  page: async ({ page, blocked }, use) => {
    void blocked
    // An uncaught error in the page fails the test that caused it.
    const errors: string[] = []
    page.on('pageerror', (e) => {
      console.log(`[pageerror] ${e.message}`)
      errors.push(e.message)
    })
    await use(page)
    expect(errors, 'uncaught errors in the page').toEqual([])
  },
})

export { expect }

/**
 * A page in a brand-new browser context (no storage, no cache, as on another computer), with the
 * internet blocked like the test's own page. `done()` checks it had no uncaught errors and closes it.
 */
export async function freshPage(browser: Browser): Promise<{ page: Page; done: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } })
  await blockInternet(context)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  return {
    page,
    done: async () => {
      await context.close()
      expect(errors, 'uncaught errors in the fresh page').toEqual([])
    },
  }
}

/** Waits until the model store reports a loaded model and returns its info. */
export async function waitForModel(page: Page, timeout = 120_000) {
  await page.waitForFunction(
    () => {
      const s = (globalThis as any).moralLens?.model.getState()
      return s && s.status === 'ready' && s.info
    },
    undefined,
    { timeout },
  )
  return page.evaluate(() => (globalThis as any).moralLens.model.getState().info)
}

export async function modelState(page: Page) {
  return page.evaluate(() => {
    const s = (globalThis as any).moralLens.model.getState()
    return { status: s.status, info: s.info, error: s.error, offlineFallback: s.offlineFallback }
  })
}

/** Full next-token logits from the worker, for the texts given. */
export async function logits(page: Page, texts: string[]): Promise<number[]> {
  return page.evaluate(async (t) => {
    const r = await (globalThis as any).moralLens.worker().nextTokenLogits(t)
    return Array.from(r.logits as Float32Array)
  }, texts)
}

export async function screenshot(page: Page, name: string) {
  mkdirSync('test-results/screenshots', { recursive: true })
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: false })
}

/** Drops a file on the element with this test id, as a user dragging it from their desktop would. */
export async function dropFile(page: Page, testId: string, name: string, bytes: Buffer | string) {
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
